#!/bin/sh
# End-to-end: `yoloport export format=ncnn dynamic=True` -- the folder's param leaves the
# input size open (an Input of channels only, CumulativeSum anchors, no MemoryData), and the
# folder predicts and validates at the images' own rectangular sizes: bus.jpg at 640x480 finds
# the 4 persons and the bus, coco8 gives the PyTorch model's mAP50-95 (0.638 on rectangular
# letterboxes, where the fixed 640x640 export gives 0.609).  The run uses the release binary
# ($YOLOPORT_REL_BIN); the graph-level figures are in tests/unit/test_ncnn.c.  Where the host has
# libncnn.so.1, predict and val run the folder in ncnn itself too.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
case "$REL" in /*) ;; *) REL="$ROOT/$REL" ;; esac
if ! need_shared; then
    skip "ncnn dynamic: export, predict and val" "../shared is absent"
    exit 0
fi
S=$YOLOPORT_SHARED
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t" || exit 1
cp "$S/models/yolov8n.pt" yolov8n.pt

"$REL" export model=yolov8n.pt format=ncnn dynamic=True >"$t/export.out" 2>&1; rc=$?
check "ncnn dynamic: export exits 0, its checks pass at 640x640 and at 480x640" \
    sh -c "[ $rc -eq 0 ] && grep -q 'check numeric: passed' '$t/export.out' && grep -q 'check other size: passed, the model as read back at 480x640' '$t/export.out'"
P=yolov8n_ncnn_model/model.ncnn.param
check "ncnn dynamic: the Input gives the channels only" grep -Eq '^Input +in0 +0 1 in0 2=3$' "$P"
check "ncnn dynamic: six CumulativeSum layers, no MemoryData, no anchor count" \
    sh -c "[ \$(grep -c '^CumulativeSum ' '$P') -eq 6 ] && ! grep -q '^MemoryData ' '$P' && ! grep -q 8400 '$P'"
check "ncnn dynamic: metadata.yaml keeps imgsz and says dynamic: true" \
    sh -c "grep -q '^  dynamic: true\$' yolov8n_ncnn_model/metadata.yaml && grep -A2 '^imgsz:' yolov8n_ncnn_model/metadata.yaml | tr '\n' ' ' | grep -q 'imgsz: - 640 - 640'"

"$REL" predict model=yolov8n_ncnn_model source="$S/data/images/bus.jpg" >"$t/predict.out" 2>&1; rc=$?
check "ncnn dynamic: predict on bus.jpg runs at 640x480 and finds 4 persons and a bus" \
    sh -c "[ $rc -eq 0 ] && grep -Eq 'bus.jpg: 640x480 4 persons, 1 bus' '$t/predict.out'"

"$REL" val model=yolov8n_ncnn_model data="$S/data/coco8.yaml" >"$t/val.out" 2>&1; rc=$?
map=$(awk '$1 == "all" { print $NF }' "$t/val.out")
check "ncnn dynamic: val on coco8 gives mAP50-95 $map, within 0.01 of 0.638" \
    sh -c "[ $rc -eq 0 ] && [ -n '$map' ] && awk 'BEGIN { d = $map - 0.638; exit !(d < 0.01 && d > -0.01) }'"

# in ncnn itself, when the host has libncnn.so.1 (tests/e2e/ncnn_runtime.sh says where it looks)
"$REL" checks >"$t/checks.out" 2>&1
if ! grep -Eq '^ncnn +✅ ' "$t/checks.out"; then
    skip "ncnn dynamic: in ncnn itself" "no libncnn.so.1 on this host"
    exit 0
fi
"$REL" predict model=yolov8n_ncnn_model source="$S/data/images/bus.jpg" runtime=ncnn >"$t/pn.out" 2>&1; rc=$?
check "ncnn dynamic: in ncnn, predict on bus.jpg runs at 640x480 and finds 4 persons and a bus" \
    sh -c "[ $rc -eq 0 ] && grep -q '^Loading yolov8n_ncnn_model for ncnn ' '$t/pn.out' && grep -Eq 'bus.jpg: 640x480 4 persons, 1 bus' '$t/pn.out'"
"$REL" val model=yolov8n_ncnn_model data="$S/data/coco8.yaml" runtime=ncnn >"$t/vn.out" 2>&1; rc=$?
map=$(awk '$1 == "all" { print $NF }' "$t/vn.out")
check "ncnn dynamic: in ncnn, val on coco8 gives mAP50-95 $map, within 0.01 of 0.638" \
    sh -c "[ $rc -eq 0 ] && [ -n '$map' ] && awk 'BEGIN { d = $map - 0.638; exit !(d < 0.01 && d > -0.01) }'"
