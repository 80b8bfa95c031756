#!/bin/sh
# End-to-end: INT8 exports.  Refusal without data= (saying what to pass), a folder of images
# (the under-300 warning, no accuracy without labels), a corrupt image skipped with a warning
# naming it, half=True with int8=True (the peer's rule and warning) -- with the ASan binary on
# the built-in yolov8n at imgsz 64.  Then, with the release binary on ../shared's yolov8n.pt at
# 640, one calibration per format reused by every check: the int8 ONNX runs in onnxruntime (the
# npm package; the export's check against our executor in 8-bit steps), keeps bus.jpg's fp32
# detections, is at most 0.3x the fp32 ONNX, has opset >= 13, QDQ and int8 in its metadata, and
# its COCO8 mAP50-95 is within 0.05 of fp32; the OpenVINO int8 IR has the peer's FakeQuantize
# placement (count within 10% of its 66, feeding the same op types), reads back and runs in our
# executor within 0.05 of fp32.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t" || exit 1

# 1. no data: refused with what to pass, nothing written (Ultralytics would download coco8)
"$BIN" export model=yolov8n.yaml format=onnx imgsz=64 int8=True >nodata.out 2>nodata.err; rc=$?
check "int8: without data= refused, saying what to pass" sh -c "[ $rc -ne 0 ] && grep -qF 'int8=True needs calibration data: give data=<dataset.yaml> (the images of its split=val; split= and fraction= choose others) or data=<folder of images>; yoloport does not download coco8.yaml as Ultralytics does' nodata.err && [ ! -e yolov8n_int8.onnx ]"

if ! need_shared; then
    skip "int8: calibration and accuracy" "../shared is absent"
    exit 0
fi
S=$YOLOPORT_SHARED

# 2. a folder of 8 images: the peer's warning below 300, the count and source in the log; no
# labels, so no accuracy to measure (said so)
mkdir imgs
cp "$S"/data/coco8/images/train/*.jpg "$S"/data/coco8/images/val/*.jpg imgs/
"$BIN" export model=yolov8n.yaml format=onnx imgsz=64 int8=True data=imgs >folder.out 2>folder.err; rc=$?
check "int8: a folder of images is calibrated on (exit 0, yolov8n_int8.onnx)" sh -c "[ $rc -eq 0 ] && [ -s yolov8n_int8.onnx ]"
check "int8: the under-300 warning for 8 images" grep -qF "WARNING ⚠️ ONNX: >300 images recommended for INT8 calibration, found 8 images." folder.out
check "int8: the log names the source and the count" grep -qF "ONNX: calibration data: 8 images of the folder imgs (split and fraction are for dataset yamls), letterboxed to 64x64" folder.out
check "int8: no accuracy without labels, said so" grep -qF "ONNX: accuracy against the source – skipped: data=imgs is a folder of images without labels" folder.out

# 3. a corrupt image is skipped with a warning naming it, and the others are used
printf 'not a jpeg' >imgs/zz_broken.jpg
"$BIN" export model=yolov8n.yaml format=onnx imgsz=64 int8=True data=imgs >corrupt.out 2>corrupt.err; rc=$?
check "int8: a corrupt image skipped with a warning naming it" sh -c "[ $rc -eq 0 ] && grep -Eq '^WARNING ⚠️ .*/imgs/zz_broken\.jpg: ignoring corrupt image/label: ' corrupt.out && grep -qF 'ONNX: calibrated on 8 images' corrupt.out"
rm imgs/zz_broken.jpg

# 4. half=True with int8=True: the peer's rule (half dropped) and its warning; the IR is int8
"$BIN" export model=yolov8n.yaml format=openvino imgsz=64 int8=True half=True data=imgs >half.out 2>half.err; rc=$?
check "int8: half=True int8=True keeps int8, with the peer's warning" sh -c "[ $rc -eq 0 ] && grep -qxF 'WARNING ⚠️ half=True and int8=True are mutually exclusive, setting half=False.' half.out && grep -Eq '^  yolov8n_int8_openvino_model +OpenVINO +int8 \(FakeQuantize\) ' half.out && [ -s yolov8n_int8_openvino_model/yolov8n.xml ]"
rm -rf yolov8n_int8.onnx yolov8n_int8_openvino_model

# 4b. a pose model calibrated on a detection dataset: calibrated, the accuracy not measured (said why)
"$BIN" export model=yolo11n-pose.yaml format=onnx imgsz=64 int8=True data="$S/data/coco8.yaml" >pose.out 2>&1; rc=$?
check "int8: a pose model on coco8.yaml: exported (exit 0), accuracy skipped for want of keypoints" sh -c "[ $rc -eq 0 ] && grep -qF 'ONNX: accuracy against the source – skipped: $S/data/coco8.yaml: a pose model needs a dataset with kpt_shape' pose.out"
rm -f yolo11n-pose_int8.onnx

# 5. the real yolov8n at 640, calibrated on coco8.yaml (val): ONNX
cp "$S/models/yolov8n.pt" .
DATA="$S/data/coco8.yaml"
ORT_DIR="$ROOT/tests/node/node_modules/onnxruntime-node/bin/napi-v6/linux/x64"
HAVE_ORT=""
command -v node >/dev/null 2>&1 && [ -f "$ORT_DIR/libonnxruntime.so.1" ] && HAVE_ORT=1
YOLOPORT_RUNTIME_PATH="$ORT_DIR" "$REL" export model=yolov8n.pt format=onnx int8=True data="$DATA" >onnx.out 2>onnx.err; rc=$?
check "int8 onnx: exported and checked (exit 0)" sh -c "[ $rc -eq 0 ] && [ -s yolov8n_int8.onnx ]"
"$REL" export model=yolov8n.pt format=onnx >f32.out 2>&1
check "int8 onnx: at most 0.3x the fp32 ONNX" sh -c "[ \$(wc -c <yolov8n_int8.onnx) -le \$((\$(wc -c <yolov8n.onnx) * 3 / 10)) ]"
"$REL" info yolov8n_int8.onnx >info.out 2>&1
check "int8 onnx: opset >= 13, static QDQ, per-channel, int8 in the metadata's args" sh -c "grep -Eq '^source: +onnx, opset (1[3-9]|2[0-9]),' info.out && grep -Eq '^ops: .*DequantizeLinear [0-9]+ QuantizeLinear 66 ' info.out && grep -qx 'precision: int8 (QDQ, per-channel)' info.out && grep -qF \"'int8': True\" info.out"
# the accuracy check line: mAP50-95 within 0.05 of fp32 on coco8's val split
map_of() { sed -n 's/.*accuracy against the source ✅ passed: mAP50-95 \([0-9.]*\) ([−+][0-9.]* vs fp32 \([0-9.]*\)).*/\1 \2/p' "$1" | head -1; }
within() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= t) }'; }
set -- $(map_of onnx.out)
check "int8 onnx: COCO8 mAP50-95 within 0.05 of fp32 (the export's accuracy check: ${1:-?} vs ${2:-?})" within "${1:-}" "${2:-x}" 0.05
check "int8 onnx: the size report names the precision and the accuracy" grep -Eq '^  yolov8n_int8\.onnx +ONNX +int8 \(QDQ, per-channel\) .*✅ passed max \|Δ\| [0-9.e-]+, mAP50-95 0\.[0-9]{3} \([−+]0\.[0-9]{3} vs fp32\)$' onnx.out
if [ -n "$HAVE_ORT" ]; then
    # the export's own check ran the file in onnxruntime against our executor on the QDQ graph
    check "int8 onnx: onnxruntime and our executor agree within one 8-bit step per output channel" grep -Eq '^ONNX: check against the source ✅ passed: the int8 file: checked in onnxruntime [0-9.]+: output0 mean \|Δ\| 0\.[0-9]+ of an 8-bit step in its worst channel \(at most 1\), (99|100)\.[0-9]+% of values within one step' onnx.out
    node "$ROOT/tests/node/run_onnx.js" yolov8n_int8.onnx images="$S/reference/peer/yolov8n.input.npy" --out ort >ort.json 2>&1
    check "int8 onnx: runs in onnxruntime-node" grep -q '"name":"output0","dtype":"float32","dims":\[1,84,8400\]' ort.json
    # bus.jpg: every fp32 detection with conf >= 0.5 kept (same class, IoU >= 0.8), in both runtimes
    "$REL" predict model=yolov8n.pt source="$S/data/images/bus.jpg" --json >p32.json 2>/dev/null
    "$REL" predict model=yolov8n_int8.onnx source="$S/data/images/bus.jpg" runtime=onnxruntime:"$ORT_DIR" --json >p8ort.json 2>/dev/null
    "$REL" predict model=yolov8n_int8.onnx source="$S/data/images/bus.jpg" runtime=builtin --json >p8ours.json 2>/dev/null
    keeps() {
        /usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
a, b = json.load(open(sys.argv[1]))["detections"], json.load(open(sys.argv[2]))["detections"]
def iou(p, q):
    w = max(0, min(p[2], q[2]) - max(p[0], q[0])); h = max(0, min(p[3], q[3]) - max(p[1], q[1]))
    u = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - w * h
    return w * h / u if u > 0 else 0
want = [d for d in a if d["conf"] >= 0.5]
miss = [d for d in want if not any(e["class"] == d["class"] and iou(d["box"], e["box"]) >= 0.8 for e in b)]
print(len(want), "fp32 detections >= 0.5;", len(miss), "missing")
sys.exit(1 if miss or not want else 0)
PY
    }
    check "int8 onnx: bus.jpg keeps every fp32 detection (conf >= 0.5, same class, IoU >= 0.8) in onnxruntime" keeps p32.json p8ort.json
    check "int8 onnx: and in our executor" keeps p32.json p8ours.json
else
    skip "int8 onnx: onnxruntime" "node or onnxruntime-node missing (make deps)"
fi
# val of the file, independently of the export: within 0.05 of the fp32 ONNX
"$REL" val model=yolov8n_int8.onnx data="$DATA" --json >v8.json 2>/dev/null
"$REL" val model=yolov8n.onnx data="$DATA" --json >v32.json 2>/dev/null
m8=$(/usr/bin/python3 -c "import json; print(json.load(open('v8.json'))['metrics/mAP50-95(B)'])" 2>/dev/null)
m32=$(/usr/bin/python3 -c "import json; print(json.load(open('v32.json'))['metrics/mAP50-95(B)'])" 2>/dev/null)
check "int8 onnx: yoloport val of the file within 0.05 of the fp32 ONNX (${m8:-?} vs ${m32:-?})" within "${m8:-}" "${m32:-x}" 0.05

# 6. OpenVINO: the peer's FakeQuantize placement, read back and run by our executor
"$REL" export model=yolov8n.pt format=openvino int8=True data="$DATA" >ov.out 2>ov.err; rc=$?
check "int8 openvino: exported and checked (exit 0, yolov8n_int8_openvino_model/)" sh -c "[ $rc -eq 0 ] && [ -s yolov8n_int8_openvino_model/yolov8n.xml ] && [ -s yolov8n_int8_openvino_model/metadata.yaml ]"
fq() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, xml.etree.ElementTree as ET
from collections import Counter
def fq(path):
    r = ET.parse(path).getroot()
    layers = {l.get("id"): l for l in r.find("layers")}
    q = {i for i, l in layers.items() if l.get("type") == "FakeQuantize"}
    feeds = Counter(layers[e.get("to-layer")].get("type") for e in r.find("edges") if e.get("from-layer") in q)
    levels = {layers[i].find("data").get("levels") for i in q}
    return len(q), feeds, levels
peer, ours = fq(sys.argv[1]), fq(sys.argv[2])
print("peer", peer, "ours", ours)
ok = abs(ours[0] - peer[0]) <= 0.1 * peer[0] and set(ours[1]) == set(peer[1]) and ours[2] == peer[2] == {"256"}
sys.exit(0 if ok else 1)
PY
}
check "int8 openvino: FakeQuantize count within 10% of the peer's 66, feeding the same op types, levels 256" fq "$S/reference/openvino/yolov8n_int8_openvino_model/yolov8n.xml" yolov8n_int8_openvino_model/yolov8n.xml
set -- $(map_of ov.out)
check "int8 openvino: COCO8 mAP50-95 within 0.05 of fp32 (the export's accuracy check: ${1:-?} vs ${2:-?})" within "${1:-}" "${2:-x}" 0.05
"$REL" info yolov8n_int8_openvino_model >ovinfo.out 2>&1
check "int8 openvino: read back by our reader: int8 (FakeQuantize), 66 of them" sh -c "grep -qx 'precision: int8 (FakeQuantize)' ovinfo.out && grep -Eq '^ops: +FakeQuantize 66 ' ovinfo.out"
"$REL" val model=yolov8n_int8_openvino_model data="$DATA" --json >vov.json 2>/dev/null
mov=$(/usr/bin/python3 -c "import json; print(json.load(open('vov.json'))['metrics/mAP50-95(B)'])" 2>/dev/null)
check "int8 openvino: run by our executor, val within 0.05 of the fp32 ONNX (${mov:-?} vs ${m32:-?})" within "${mov:-}" "${m32:-x}" 0.05
