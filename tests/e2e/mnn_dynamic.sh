#!/bin/sh
# End-to-end: `yoloport export format=mnn dynamic=True` -- the height and width of the MNN file
# unknown (-1), its anchors computed by CumSum over the feature maps (no constant of 8400
# anchors), the metadata's args with 'dynamic': True; read back, the file predicts on bus.jpg
# at its rectangular letterbox and validates on coco8 as the peer's PyTorch model does on
# rectangular letterboxes (mAP50-95 0.638; the fixed-size file gives 0.609 on square ones).
# The run at 480x640 (6300 anchors) against the source is in tests/unit/test_mnn.c.  The
# export and val use the release binary ($YOLOPORT_REL_BIN), predict the ASan one.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t" || exit 1

if ! need_shared; then
    skip "mnn dynamic: export, predict and val" "../shared is absent"
    exit 0
fi
S=$YOLOPORT_SHARED
cp "$S/models/yolov8n.pt" yolov8n.pt

"$REL" export model=yolov8n.pt format=mnn dynamic=True >"$t/export.out" 2>"$t/export.err"; rc=$?
check "mnn dynamic: the export checks the file at another size too (480x640, against the graph written)" \
    grep -q "MNN: check at another size ✅ passed: the model as read back at 480x640" "$t/export.out"
check "mnn dynamic: export exits 0" [ "$rc" -eq 0 ]
check "mnn dynamic: the check reads back an input of unknown height and width" \
    grep -qF "images [1, 3, ?, ?] -> output0 [1, 84, ?]" "$t/export.out"
check "mnn dynamic: the read-back file matches the source at 640" \
    grep -qE "check numeric: passed, the MNN model as read back: output0 max \|Δ\| " "$t/export.out"

"$REL" info model=yolov8n.mnn >"$t/info.out" 2>&1
check "mnn dynamic: info shows the unknown dims" grep -qx "input:    images \[1, 3, ?, ?\] float32" "$t/info.out"
check "mnn dynamic: six CumSum ops, no Shape or Gather" \
    sh -c "grep -q '^ops: .* CumSum 6' '$t/info.out' && ! grep -qE '^ops: .*(Shape|Gather|Range) ' '$t/info.out'"
check "mnn dynamic: the metadata's args record dynamic" \
    grep -qF "meta:     args: {'batch': 1, 'half': False, 'int8': False, 'dynamic': True}" "$t/info.out"
# no constant holds the 8400 anchors of a 640 export: the fixed-size file's Blob dims [1, 2, 8400]
# and [1, 8400] (flatbuffer int32 vectors) show as these bytes, which this file must not hold
check "mnn dynamic: no constant of 8400 anchors" \
    /usr/bin/python3 -c "
import struct, sys
b = open('yolov8n.mnn', 'rb').read()
bad = [struct.pack('<3i', 3, 1, 2) + struct.pack('<i', 8400), struct.pack('<2i', 2, 8400), struct.pack('<2i', 1, 8400)]
sys.exit(1 if any(p in b for p in bad) else 0)"

"$BIN" predict model=yolov8n.mnn source="$S/data/images/bus.jpg" >"$t/predict.out" 2>&1; rc=$?
check "mnn dynamic: predict exits 0" [ "$rc" -eq 0 ]
check "mnn dynamic: predict on bus.jpg at its 640x480 letterbox finds 4 persons and 1 bus" \
    grep -qE "bus\.jpg: 640x480 4 persons, 1 bus" "$t/predict.out"

"$REL" val model=yolov8n.mnn data="$S/data/coco8.yaml" --json >"$t/val.out" 2>"$t/val.err"; rc=$?
check "mnn dynamic: val exits 0" [ "$rc" -eq 0 ]
m=$(/usr/bin/python3 -c "import json; print(round(json.load(open('$t/val.out'))['metrics/mAP50-95(B)'], 4))" 2>/dev/null)
echo "# mnn dynamic: coco8 mAP50-95 $m (the peer's PyTorch 0.638)"
check "mnn dynamic: val on rectangular letterboxes gives mAP50-95 within 0.01 of 0.638" \
    /usr/bin/python3 -c "import sys; sys.exit(0 if abs(float('${m:-0}') - 0.638) <= 0.01 else 1)"

# a format whose writer cannot take it (Edge TPU compiles a fixed-size TF Lite file) still refuses it by name
"$REL" export model=yolov8n.pt format=edgetpu dynamic=True >"$t/edgetpu.out" 2>"$t/edgetpu.err"; rc=$?
check "mnn dynamic: a format without it still refuses dynamic=True" \
    sh -c "[ $rc -ne 0 ] && grep -qF \"argument 'dynamic' is not supported for format='edgetpu'\" '$t/edgetpu.err'"
exit 0
