#!/bin/sh
# End-to-end: `yoloport benchmark` -- one full run of yolov8n.pt on coco8 over every format
# (release binary, onnxruntime from the npm test dependency on the search path), whose outputs
# every assertion reads: a row for every format in the peer's order, the peer's columns and
# legend, mAP50-95 within 0.01 of the peer's 0.638 for every fp32 format that ran (each exported
# dynamic=True, so validated on rectangular letterboxes as its source), ONNX timed in
# onnxruntime, the formats this build cannot produce as ❌ with the reason, the three files and
# the host stamp; then dynamic=False (fixed-shape files, validated on squares as the peer
# validates them), a model with no dynamic form, a second run that reuses the ONNX artifact,
# and usage errors.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t" || exit 1
ORT_DIR="$ROOT/tests/node/node_modules/onnxruntime-node/bin/napi-v6/linux/x64"
[ "$(uname -m)" = aarch64 ] && ORT_DIR="$ROOT/tests/node/node_modules/onnxruntime-node/bin/napi-v6/linux/arm64"

bad() { # NAME EXPECTED-TEXT ARGS...
    n=$1 want=$2; shift 2
    "$BIN" benchmark "$@" >"$t/$n.out" 2>"$t/$n.err"; rc=$?
    if [ "$rc" -eq 2 ] && [ "$(wc -l <"$t/$n.err")" -eq 1 ] && grep -qF -- "$want" "$t/$n.err"; then pass "benchmark: $n"
    else fail "benchmark: $n" "exit $rc, stderr: $(head -c 300 "$t/$n.err")"; fi
}
bad no-model "no model given" data=coco8.yaml
bad close-format "did you mean 'onnx'" model=yolov8n.yaml format=onx
bad remote-host "host=gpu-box: benchmarking on another machine is not available" model=yolov8n.yaml host=gpu-box
bad non-square "requires a square imgsz" model=yolov8n.yaml imgsz=640,480

if ! need_shared; then
    skip "benchmark: yolov8n.pt on coco8" "../shared is absent"
    exit 0
fi
S=$YOLOPORT_SHARED
cp "$S/models/yolov8n.pt" "$t/yolov8n.pt"
export YOLOPORT_RUNTIME_PATH="$ORT_DIR"
"$REL" benchmark model=yolov8n.pt data="$S/data/coco8.yaml" warmup=1 runs=3 >"$t/b.out" 2>"$t/b.err"; rc=$?
check "benchmark: exits 0" [ "$rc" -eq 0 ]
check "benchmark: the peer's closing line and legend" sh -c "grep -Eq '^Benchmarks complete for yolov8n.pt on coco8.yaml at imgsz=640 \([0-9.]+s\)$' '$t/b.out' && grep -qF 'Benchmarks legend:  - ✅ Success  - ❎ Export passed but validation failed  - ❌️ Export failed' '$t/b.out'"
check "benchmark: the peer's columns, then ours" grep -Eq '^ +Format +Status❔ +Size \(MB\) +metrics/mAP50-95\(B\) +Inference time \(ms/im\) +FPS +Runtime +Precision +max \|Δ\| +Export \(s\)$' "$t/b.out"
J="$t/runs/benchmark/yolov8n/benchmarks.json"
py() { /usr/bin/python3 -c "import json; d=json.load(open('$J')); r=d['rows']; $1"; }
check "benchmark: a row for every format, in the peer's order" [ "$(py "print(len(r), r[0]['format'], r[2]['format'], r[3]['format'], r[-1]['format'])")" = "16 PyTorch ONNX OpenVINO RKNN" ]
check "benchmark: every row printed" sh -c "[ \$(grep -cE '^[0-9]+ +[A-Za-z]' '$t/b.out') -eq 16 ]"
# Every format is exported dynamic=True (ours for NCNN, MNN and the TF formats: height and
# width open, anchors by CumSum), so each is validated as the peer validates a dynamic model,
# on rectangular letterboxes like its source: the peer's 0.638 for all of them.
check "benchmark: mAP50-95 within 0.01 of 0.638 for every fp32 format that ran (every format this build writes)" [ "$(py "ran=[x for x in r if x['precision']=='fp32' and x['metrics/mAP50-95(B)'] is not None]; print(sorted(x['format'] for x in ran) if all(abs(x['metrics/mAP50-95(B)']-0.638)<=0.01 and x['letterbox']=='rect' for x in ran) else 'off: %s' % [(x['format'], x['metrics/mAP50-95(B)'], x['letterbox']) for x in ran])")" = "['MNN', 'NCNN', 'ONNX', 'OpenVINO', 'PyTorch', 'TensorFlow GraphDef', 'TensorFlow Lite', 'TensorFlow SavedModel', 'TensorFlow.js', 'TorchScript']" ]
check "benchmark: the TF Lite file runs in the executor (NHWC input of any size, boxes back in pixels) and validates at 0.638" [ "$(py "x=[y for y in r if y['format']=='TensorFlow Lite'][0]; print(x['status'], x['metrics/mAP50-95(B)'] is not None and abs(x['metrics/mAP50-95(B)']-0.638)<=0.01)")" = "✅ True" ]
"$REL" predict model="$t/yolov8n_saved_model/yolov8n_float32.tflite" source="$S/data/images/bus.jpg" --json >"$t/p.json" 2>"$t/p.err"
check "predict: the TF Lite file finds the bus and its people (boxes in the image's pixels)" [ "$(/usr/bin/python3 -c "import json; d=json.load(open('$t/p.json')); d=d[0] if isinstance(d, list) else d; det=d['detections']; b=[x for x in det if x['name']=='bus'][0]['box']; print(sum(x['name']=='person' for x in det), b[2] > 700 and b[3] > 700)")" = "4 True" ]
check "benchmark: its provenance record inside a TF Lite folder" test -f "$t/yolov8n_saved_model/.yolov8n_float32.tflite.provenance.json"
"$REL" export model=yolov8n.pt format=tflite >"$t/e.out" 2>&1
check "export: a folder holding benchmark's provenance record is replaced by a new export" grep -q "export success" "$t/e.out"
check "benchmark: ONNX timed in onnxruntime, checked against the source" [ "$(py "o=r[2]; print(o['status'], o['runtime'].startswith('onnxruntime 1.'), o['ms_per_image'] > 0, o['fps'] > 0, o['max_abs_delta'] < 0.05)")" = "✅ True True True True" ]
check "benchmark: formats this build cannot produce are ❌ with the reason" [ "$(py "x=[y for y in r if y['format']=='CoreML'][0]; print(x['status'], x['note'].startswith('not available in this build'))")" = "❌ True" ]
check "benchmark: TorchScript (exported dynamic=True) read back and run in the executor, validated on rect letterboxes like ONNX: 0.638, no square-letterbox note" [ "$(py "x=[y for y in r if y['format']=='TorchScript'][0]; print(x['status'], x['runtime'], x['ms_per_image'] > 0, x['letterbox'], abs(x['metrics/mAP50-95(B)']-0.638)<=0.01, 'square' in (x['note'] or ''))")" = "✅ yoloport executor True rect True False" ]
check "benchmark: NCNN (exported dynamic=True: any input size) validated on rect letterboxes like ONNX: 0.638, no square-letterbox note" [ "$(py "x=[y for y in r if y['format']=='NCNN'][0]; print(x['status'], x['letterbox'], abs(x['metrics/mAP50-95(B)']-0.638)<=0.01, 'square' in (x['note'] or ''))")" = "✅ rect True False" ]
check "benchmark: the TensorFlow formats read back and run: SavedModel, GraphDef, TF Lite, TF.js timed and validated" [ "$(py "print(sorted(x['format'] for x in r if x['format'].startswith('TensorFlow') and x['status']=='✅' and x['ms_per_image'] and x['metrics/mAP50-95(B)'] is not None))")" = "['TensorFlow GraphDef', 'TensorFlow Lite', 'TensorFlow SavedModel', 'TensorFlow.js']" ]
check "benchmark: the host stamp goes with the results" [ "$(py "h=d['host']; print(h['cpu_count'] > 0, h['memory_bytes'] > 0, [x['version'] for x in h['runtimes'] if x['name']=='onnxruntime'][0].startswith('1.'))")" = "True True True" ]
check "benchmark: CSV and Markdown written" sh -c "[ \$(wc -l <'$t/runs/benchmark/yolov8n/benchmarks.csv') -eq 17 ] && head -1 '$t/runs/benchmark/yolov8n/benchmarks.csv' | grep -q '^Format,Status,Size (MB),metrics/mAP50-95(B),Inference time (ms/im),FPS,Runtime,Precision,max |Δ|,Export (s),Note$' && grep -q '^| PyTorch | ✅ | 6.2 |' '$t/runs/benchmark/yolov8n/benchmarks.md'"
check "benchmark: provenance recorded beside the artifacts" test -f "$t/.yolov8n.onnx.provenance.json"

# dynamic=False: the fixed-shape files the peer makes, validated on squares as the peer validates
# a static model, each row saying so with the source's own figure on the same squares (0.609:
# the letterbox, not the export)
"$REL" benchmark model=yolov8n.pt data="$S/data/coco8.yaml" format=ncnn,tfjs dynamic=False warmup=0 runs=1 >"$t/s.out" 2>&1; rc=$?
J2="$t/runs/benchmark/yolov8n/benchmarks.json"
check "benchmark dynamic=False: fixed-shape rows validated on squares, with the source on the same squares" [ "$(/usr/bin/python3 -c "import json; d=json.load(open('$J2')); r=d['rows']; print($rc, [(x['format'], x['letterbox'], abs(x['metrics/mAP50-95(B)']-0.609)<=0.01, 'the source on the same: 0.60' in x['note']) for x in r], abs(d['source_square_map']-0.609)<=0.01)")" = "0 [('NCNN', 'square', True, True), ('TensorFlow.js', 'square', True, True)] True" ]

"$REL" benchmark model=yolov8n.pt format=ncnn warmup=0 runs=1 >"$t/s2.out" 2>&1
check "benchmark: a fixed-shape artifact is not reused for a dynamic benchmark of a model that has a dynamic form" sh -c "grep -q 'Benchmark: NCNN: exporting (format=ncnn imgsz=640 half=False int8=False dynamic=True' '$t/s2.out' && grep -Eq '^0 +NCNN +✅' '$t/s2.out'"

# a model our dynamic form of a format cannot express (YOLO11's attention reads its input's
# size): the fixed-shape export instead, said in the row's note, and reused as such next time
cp "$S/models/yolo11n-seg.pt" "$t/yolo11n-seg.pt"
"$REL" benchmark model=yolo11n-seg.pt format=ncnn warmup=0 runs=1 >"$t/f.out" 2>&1; rc=$?
check "benchmark: NCNN of a model with no dynamic NCNN form is exported fixed-shape, with why" sh -c "[ $rc -eq 0 ] && grep -Eq '^0 +NCNN +✅' '$t/f.out' && grep -q 'NCNN: exported fixed-shape: dynamic=True failed (node .*Shape' '$t/f.out'"
"$REL" benchmark model=yolo11n-seg.pt format=ncnn warmup=0 runs=1 >"$t/f2.out" 2>&1
check "benchmark: that fixed-shape export is reused next time" grep -q "NCNN: reusing yolo11n-seg_ncnn_model (.*dynamic=False" "$t/f2.out"

# the ONNX artifact is reused (same source, same arguments); a changed artifact is not
"$REL" benchmark model=yolov8n.pt format=onnx warmup=0 runs=1 >"$t/r.out" 2>&1; rc=$?
check "benchmark again: the ONNX artifact reused" sh -c "[ $rc -eq 0 ] && grep -q 'Benchmark: ONNX: reusing yolov8n.onnx (written from the same source and arguments' '$t/r.out' && grep -Eq '^0 +ONNX +✅ .* reused$' '$t/r.out'"
printf 'x' >>"$t/yolov8n.onnx"
"$REL" benchmark model=yolov8n.pt format=onnx warmup=0 runs=1 >"$t/c.out" 2>&1
check "benchmark: a changed artifact is exported again" grep -q "Benchmark: ONNX: exporting (.*the one on disk cannot be reused: the artifact changed since it was written)" "$t/c.out"
