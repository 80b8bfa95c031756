#!/bin/sh
# End-to-end: TF Lite int8.  Refusal without data= (ASan binary, built-in yolov8n at imgsz 64,
# nothing written).  Then one export of ../shared's yolov8n.pt at 640 calibrated on coco8.yaml
# (release binary), whose three files serve every check: the peer's names, the dynamic-range
# file returned and checked within 1e-4 against the source with its int8 weights, each file's
# COCO8 mAP50-95 within 0.05 of fp32 (the export's accuracy checks: val of the file read back in
# our executor), the full-integer file in @tensorflow/tfjs-tflite (int8 input) keeping every
# fp32 detection of bus.jpg with conf >= 0.5 (same class, IoU >= 0.8, the peer's fp32 output
# as reference), the same in our executor, and the two runtimes' int8 outputs compared step by
# step; the integer file in LiteRT.js (XNNPACK's int8 kernels) and, at imgsz 160, in Arm NN
# against our executor; which
# operators run on int8 tensors; sizes against the float32 file.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
DRIVER="$ROOT/build/asan/tests/test_tflite"
PY=/usr/bin/python3
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t" || exit 1

# 1. no data: refused with what to pass, nothing written
"$BIN" export model=yolov8n.yaml format=tflite imgsz=64 int8=True >nodata.out 2>nodata.err; rc=$?
check "tflite int8: without data= refused, saying what to pass" sh -c "[ $rc -ne 0 ] && grep -qF 'int8=True needs calibration data: give data=<dataset.yaml>' nodata.err && [ ! -e yolov8n_saved_model ]"

if ! need_shared; then
    skip "tflite int8: calibration and accuracy" "../shared is absent"
    exit 0
fi
if [ ! -x "$DRIVER" ] || ! $PY -c 'import numpy' 2>/dev/null; then
    skip "tflite int8: calibration and accuracy" "build/asan/tests/test_tflite (make unit-tests) or python3-numpy missing"
    exit 0
fi
S=$YOLOPORT_SHARED
P="$S/reference/peer"
cp "$S/models/yolov8n.pt" .

# 2. the real yolov8n at 640, one calibration for the three files
"$REL" export model=yolov8n.pt format=tflite int8=True data="$S/data/coco8.yaml" >x.out 2>x.err; rc=$?
D=yolov8n_saved_model
check "tflite int8: exported, the dynamic-range file returned (exit 0)" sh -c "[ $rc -eq 0 ] && grep -qF \"saved as '$D/yolov8n_int8.tflite'\" x.out"
check "tflite int8: the peer's three files beside the float ones" sh -c "[ -s $D/yolov8n_int8.tflite ] && [ -s $D/yolov8n_integer_quant.tflite ] && [ -s $D/yolov8n_full_integer_quant.tflite ] && [ -s $D/yolov8n_float32.tflite ] && [ -s $D/saved_model.pb ]"
check "tflite int8: one calibration on coco8 val" sh -c "[ \$(grep -c 'TensorFlow Lite: calibrated on 4 images' x.out) -eq 1 ]"
check "tflite int8: the dynamic-range file within 1e-4 of the source with the same int8 weights" grep -Eq '^TensorFlow Lite: check against the source ✅ passed: the TF Lite file in our executor' x.out
map_pairs() { sed -n 's/.*accuracy against the source ✅ passed: mAP50-95 \([0-9.]*\) ([−+][0-9.]* vs fp32 \([0-9.]*\)).*/\1 \2/p' "$1"; }
within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= t) }'; }
k8=0
map_pairs x.out >maps.txt
for f in int8 integer_quant full_integer_quant; do
    k8=$((k8 + 1))
    set -- $(sed -n "${k8}p" maps.txt)
    check "tflite int8: ${f}: COCO8 mAP50-95 within 0.05 of fp32 (${1:-?} vs ${2:-?})" within "${1:-}" "${2:-x}" 0.05
done
check "tflite int8: the size report names the precision and the accuracy" grep -Eq '^  yolov8n_saved_model/yolov8n_int8\.tflite +TensorFlow Lite +int8 weights, float compute .*✅ passed .*mAP50-95 0\.[0-9]{3} \([−+]0\.[0-9]{3} vs fp32\)$' x.out
check "tflite int8: each int8 file at most 0.3x the float32 file" $PY -c "
import os, sys
f = os.path.getsize('$D/yolov8n_float32.tflite')
sys.exit(0 if all(os.path.getsize('$D/yolov8n_%s.tflite' % k) <= 0.3 * f for k in ('int8', 'integer_quant', 'full_integer_quant')) else 1)"
"$REL" info $D/yolov8n_full_integer_quant.tflite >info.out 2>&1
check "tflite int8: info shows the int8 input and output" sh -c "grep -q '^input: .*\[1, 640, 640, 3\] int8' info.out && grep -q '^output: .*\[1, 84, 8400\] int8' info.out"
"$REL" info $D/yolov8n_full_integer_quant.tflite --json >info.json 2>/dev/null
check "tflite int8: the full-integer file runs TF Lite's int8 kernels: 63 of 64 convolutions and every SiLU on int8 tensors, under 10 operators in float" $PY -c "
import json, re, sys
m = json.load(open('info.json'))['metadata']
ops = dict((k, int(v)) for k, v in re.findall(r'([A-Z_0-9]+) ([0-9]+)', m['tflite.operators']))
i8 = dict((k, int(v)) for k, v in re.findall(r'([A-Z_0-9]+) ([0-9]+)', m.get('tflite.int8_operators', '')))
print(i8, ops.get('DEQUANTIZE'))
sys.exit(0 if ops['CONV_2D'] == 64 and i8.get('CONV_2D') == 63 and i8.get('LOGISTIC', 0) >= 57 and i8.get('MUL', 0) >= 57 and ops.get('DEQUANTIZE', 0) < 10 else 1)"
IOQ=$($PY -c "
import json, re
q = json.load(open('info.json'))['metadata']['tflite.io_quantization']
i = re.search(r'input [^:]*:0: scale ([0-9.e-]+) zero_point (-?[0-9]+)', q)
o = re.search(r'output [^:]*:0: scale ([0-9.e-]+) zero_point (-?[0-9]+)', q)
print(i.group(1), i.group(2), o.group(1), o.group(2))" 2>/dev/null)
set -- $IOQ
check "tflite int8: the int8 input is TF Lite's 0..1 (scale 1/255, zero point -128)" sh -c "[ '${1:-}' = 0.00392156886 ] && [ '${2:-}' = -128 ]"
OS=${3:-1} OZ=${4:-0}

# 3. bus.jpg (the peer's input): every fp32 detection with conf >= 0.5 kept, in tfjs-tflite and ours
cat >keeps.py <<'PY'
import sys, numpy as np
def iou(a, b):
    w = max(0, min(a[2], b[2]) - max(a[0], b[0])); h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
    return w * h / u if u > 0 else 0
def dets(o, box_scale, conf=0.25, iou_t=0.7):
    o = o.reshape(o.shape[-2], o.shape[-1]).T.astype(np.float64)
    b, s = o[:, :4] * box_scale, o[:, 4:]
    c, p = s.argmax(1), s.max(1)
    k = p >= conf
    b, c, p = b[k], c[k], p[k]
    xy = np.stack([b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2], 1)
    keep = []
    for i in p.argsort()[::-1]:
        if all(c[j] != c[i] or iou(xy[i], xy[j]) < iou_t for j in keep): keep.append(i)
    return [(int(c[i]), float(p[i]), xy[i]) for i in keep]
ref = dets(np.load(sys.argv[1]), 1.0)
q = np.load(sys.argv[2]).astype(np.float64)
if len(sys.argv) > 4: q = (q - float(sys.argv[4])) * float(sys.argv[3])   # int8 values -> real
got = dets(q, 640.0)
want = [d for d in ref if d[1] >= 0.5]
miss = [d for d in want if not any(e[0] == d[0] and iou(d[2], e[2]) >= 0.8 for e in got)]
print(len(want), "fp32 detections >= 0.5;", len(miss), "missing")
sys.exit(1 if miss or not want else 0)
PY
if command -v node >/dev/null 2>&1 && [ -d "$ROOT/tests/node/node_modules/@tensorflow/tfjs-tflite" ]; then
    node "$ROOT/tests/node/run_tfjs_tflite.js" $D/yolov8n_full_integer_quant.tflite "$P/yolov8n.input.npy" fi.npy --nchw --in-quant "${1:-0.00392156886}:${2:--128}" >fi.json 2>&1
    check "tflite int8: the full-integer file runs in tfjs-tflite with an int8 input" grep -q '"inputs":\[{"name":"serving_default_images:0","dtype":"int32","shape":\[1,640,640,3\]}\],"outputs":\[{"name":"StatefulPartitionedCall:0","dtype":"int32","shape":\[1,84,8400\]' fi.json
    check "tflite int8: bus.jpg keeps every fp32 detection (conf >= 0.5, same class, IoU >= 0.8) in tfjs-tflite" $PY keeps.py "$P/yolov8n.output.npy" fi.npy "$OS" "$OZ"
    HAVE_TFL=1
else
    skip "tflite int8: tfjs-tflite" "node or @tensorflow/tfjs-tflite missing (make deps)"
    HAVE_TFL=""
fi
"$DRIVER" --ref $D/yolov8n_full_integer_quant.tflite "$P/yolov8n.input.npy" ours >/dev/null 2>ours.err
check "tflite int8: bus.jpg keeps every fp32 detection in our executor" $PY keeps.py "$P/yolov8n.output.npy" ours/output0.npy
if [ -n "$HAVE_TFL" ]; then
    check "tflite int8: tfjs-tflite and our executor agree: 99% of the int8 outputs within one step" $PY -c "
import numpy as np, sys
a = np.load('fi.npy').astype(np.float64)
b = np.round(np.load('ours/output0.npy').astype(np.float64) / $OS + $OZ)
d = np.abs(a - b)
print('within one step: %.4f, equal: %.4f' % ((d <= 1).mean(), (d == 0).mean()))
sys.exit(0 if (d <= 1).mean() >= 0.99 else 1)"
fi
for f in int8 integer_quant; do
    "$DRIVER" --ref $D/yolov8n_$f.tflite "$P/yolov8n.input.npy" "o_$f" >/dev/null 2>&1
    check "tflite int8: ${f}: read back and run by our executor, bus.jpg's detections kept" $PY keeps.py "$P/yolov8n.output.npy" "o_$f/output0.npy"
done
# a segmentation model (more operator kinds than fit the writer's first table) in the ASan build
mkdir -p seg64 && (cd seg64 && "$BIN" export model=yolov8n-seg.yaml format=tflite int8=True imgsz=64 data="$S/data/coco8.yaml" >x.out 2>&1); rc=$?
check "tflite int8: yolov8n-seg's three files at 64 in the ASan build, read back and checked" sh -c \
    "[ $rc -eq 0 ] && [ \$(grep -c 'interface check ✅ passed' seg64/x.out) -eq 3 ] && ! grep -q 'Sanitizer' seg64/x.out"
"$REL" info seg64/yolov8n-seg_saved_model/yolov8n-seg_full_integer_quant.tflite --json >seg64/info.json 2>&1
check "tflite int8: the seg model's proto upsample (TRANSPOSE_CONV) runs on int8 tensors" $PY -c "
import json, sys
sys.exit(0 if 'TRANSPOSE_CONV 1' in json.load(open('seg64/info.json'))['metadata']['tflite.int8_operators'] else 1)"

# Arm NN (CpuRef, its own TF Lite parser and int8 kernels): the integer file at imgsz 160
mkdir -p a160 && cp yolov8n.pt a160/ && (cd a160 && "$REL" export model=yolov8n.pt format=tflite int8=True imgsz=160 data="$S/data/coco8.yaml" >x.out 2>&1)
$PY -c "
import numpy as np
np.save('in160.npy', np.ascontiguousarray(np.load('$P/yolov8n.input.npy')[:, :, ::4, ::4]))"
"$DRIVER" --ref a160/$D/yolov8n_integer_quant.tflite in160.npy o160 >/dev/null 2>&1
$PY "$ROOT/tests/tf_check.py" armnn a160/$D/yolov8n_integer_quant.tflite in160.npy arm160.npy >arm.txt 2>&1
case $? in
0) check "tflite int8: integer_quant at 160 in Arm NN (CpuRef) agrees with our executor: 99% of the outputs within one step" $PY -c "
import numpy as np, sys
a = np.load('arm160.npy').astype(np.float64)
b = np.load('o160/output0.npy').astype(np.float64)
d = np.abs(a - b) / ((b.max() - b.min()) / 255)
print('within one step: %.4f' % (d <= 1.01).mean())
sys.exit(0 if a.shape == b.shape and (d <= 1.01).mean() >= 0.99 else 1)" ;;
3) skip "tflite int8: integer_quant in Arm NN" "$(grep -v '^Your' arm.txt | tail -1) (python3-pyarmnn, libarmnn-cpuref-backend22: make deps)" ;;
*) fail "tflite int8: integer_quant in Arm NN" "$(tail -3 arm.txt)" ;;
esac

# the integer file (float input and output) in LiteRT.js: XNNPACK's int8 kernels
if command -v node >/dev/null 2>&1 && [ -d "$ROOT/tests/node/node_modules/@litertjs/core" ]; then
    node "$ROOT/tests/node/run_tflite.mjs" $D/yolov8n_integer_quant.tflite "$P/yolov8n.input.npy" --nchw --out lite >lite.json 2>/dev/null
    check "tflite int8: integer_quant: runs in LiteRT.js (XNNPACK), bus.jpg's detections kept" $PY keeps.py "$P/yolov8n.output.npy" lite/output_0.npy
    check "tflite int8: integer_quant: LiteRT.js and our executor agree: 99% of the outputs within one output step" $PY -c "
import numpy as np, sys
a = np.load('lite/output_0.npy').astype(np.float64)
b = np.load('o_integer_quant/output0.npy').astype(np.float64)
d = np.abs(a - b) / $OS
print('within one step: %.4f, within half a step: %.4f' % ((d <= 1.01).mean(), (d < 0.5).mean()))
sys.exit(0 if a.shape == b.shape and (d <= 1.01).mean() >= 0.99 else 1)"
else
    skip "tflite int8: integer_quant in LiteRT.js" "node or @litertjs/core missing (make deps)"
fi
