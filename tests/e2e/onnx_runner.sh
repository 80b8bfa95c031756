#!/bin/sh
# The onnxruntime-node runner other tests rely on (tests/node/run_onnx.js + npy.js): the
# peer's ONNX exports run on the peer's inputs must reproduce the peer's PyTorch outputs,
# --info must report the interface, and pattern-filled inputs must have the asked shape.
. "$(dirname "$0")/lib.sh"
RUNNER=tests/node/run_onnx.js
if ! command -v node >/dev/null 2>&1 || [ ! -d tests/node/node_modules/onnxruntime-node ]; then
    skip onnx_runner "node or onnxruntime-node missing (make deps)"; exit 0
fi
if ! need_shared; then skip onnx_runner "../shared not present"; exit 0; fi
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then skip onnx_runner "python3-numpy missing"; exit 0; fi
P="$YOLOPORT_SHARED/reference/peer"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --info: the declared interface as JSON
node $RUNNER --info "$P/yolo11n-seg.onnx" >"$tmp/info.json" 2>&1
check onnx_runner_info_inputs  grep -q '"name":"images","dtype":"float32","dims":\[1,3,640,640\]' "$tmp/info.json"
check onnx_runner_info_outputs grep -q '"name":"output1","dtype":"float32","dims":\[1,32,160,160\]' "$tmp/info.json"

# yolov8n and yolo11n-seg on the peer's inputs: outputs match the peer's PyTorch outputs
node $RUNNER "$P/yolov8n.onnx" images="$P/yolov8n.input.npy" --out "$tmp/v8" >"$tmp/v8.json" 2>&1
check onnx_runner_v8_ran grep -q '"dims":\[1,84,8400\]' "$tmp/v8.json"
node $RUNNER "$P/yolo11n-seg.onnx" images="$P/yolo11n-seg.input.npy" --out "$tmp/seg" >"$tmp/seg.json" 2>&1
check onnx_runner_seg_ran grep -q '"name":"output1"' "$tmp/seg.json"
cmp_npy() { # got want tolerance
    /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
d = float(np.abs(a.astype(np.float64) - b).max()) if a.shape == b.shape else float("inf")
print("max |diff|", d, a.shape, b.shape)
sys.exit(0 if d <= float(sys.argv[3]) else 1)
PY
}
# the peer's outputs come from float32 PyTorch: boxes are in pixels, so allow 0.05
check onnx_runner_v8_matches_peer   cmp_npy "$tmp/v8/output0.npy" "$P/yolov8n.output.npy" 0.05
check onnx_runner_seg_matches_peer  cmp_npy "$tmp/seg/output0.npy" "$P/yolo11n-seg.output.npy" 0.05
check onnx_runner_seg_protos        cmp_npy "$tmp/seg/output1.npy" "$P/yolo11n-seg.protos.npy" 0.01

# pattern-filled input written back through npy.js: ramp values, float32, the asked shape
node $RUNNER "$P/yolov8n.onnx" images=float32:1x3x640x640:ramp --out "$tmp/ramp" >"$tmp/ramp.json" 2>&1
check onnx_runner_pattern grep -q '"inputs":\[{"name":"images","dtype":"float32","dims":\[1,3,640,640\]}\]' "$tmp/ramp.json"
# a wrong input name is an error line, exit status 1
if node $RUNNER "$P/yolov8n.onnx" nosuch=float32:1:zeros >"$tmp/bad.json" 2>&1; then
    fail onnx_runner_bad_input "accepted an unknown input name"
else
    check onnx_runner_bad_input grep -q '"error"' "$tmp/bad.json"
fi
