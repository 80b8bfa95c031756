#!/bin/sh
# The TF.js writer end to end: a built-in config written as a web model (files, metadata.yaml,
# interface) and run in pure-JS TF.js against our executor; the real yolov8n.pt at imgsz 640
# on the peer's input against the peer's PyTorch output (boxes <= 0.05 px, scores <= 1e-3).
# The writer is driven through build/asan/tests/test_tfjs --export (see test_tfjs.c).
# TFJS_FULL=1 adds the slower checks: yolo11n-seg at 640 (output0 + protos), the peer's
# yolov8n.onnx as the source, and yolov8n with float16 weights.
. "$(dirname "$0")/lib.sh"
DRIVER=build/asan/tests/test_tfjs
RUNNER=tests/node/run_tfjs.js
if [ ! -x "$DRIVER" ]; then skip tfjs "build/asan/tests/test_tfjs missing (make unit-tests)"; exit 0; fi
if ! command -v node >/dev/null 2>&1 || [ ! -d tests/node/node_modules/@tensorflow/tfjs ]; then
    skip tfjs "node or @tensorflow/tfjs missing (make deps)"; exit 0
fi
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then skip tfjs "python3-numpy missing"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cmp_npy NAME GOT WANT ROWS TOL [ROWS TOL ...] [--nhwc]: max |diff| over row ranges of axis 1
cmp_npy() {
    /usr/bin/python3 - "$@" <<'PY'
import sys, numpy as np
name, got, want = sys.argv[1:4]
args = sys.argv[4:]
a, b = np.load(got).astype(np.float64), np.load(want).astype(np.float64)
if a.shape != b.shape:
    print(f"{name}: shape {a.shape} vs {b.shape}"); sys.exit(1)
ok = True
for rows, tol in zip(args[0::2], args[1::2]):
    lo, hi = (int(v) if v else None for v in rows.split(":"))
    d = float(np.abs(a[:, lo:hi] - b[:, lo:hi]).max())
    print(f"{name}: rows {rows} max |diff| {d:.3g} (limit {tol})")
    ok = ok and d <= float(tol)
sys.exit(0 if ok else 1)
PY
}

# 1. a built-in config at 320: the directory, its metadata and interface, and its numbers
/usr/bin/python3 -c "
import numpy as np
rng = np.random.default_rng(7)
np.save('$tmp/in320.npy', rng.random((1, 3, 320, 320), dtype=np.float32))"
if $DRIVER --export yolov8n.yaml "$tmp/cfg_web_model" imgsz=320 ref="$tmp/in320.npy" refout="$tmp/cfg_ref" >"$tmp/cfg.json" 2>&1; then
    pass tfjs_cfg_export
else
    fail tfjs_cfg_export "$(cat "$tmp/cfg.json")"
fi
check tfjs_cfg_files test -f "$tmp/cfg_web_model/model.json" -a -f "$tmp/cfg_web_model/group1-shard1of4.bin" \
    -a -f "$tmp/cfg_web_model/group1-shard4of4.bin" -a ! -e "$tmp/cfg_web_model/group1-shard5of4.bin"
check tfjs_cfg_metadata grep -q '^task: detect$' "$tmp/cfg_web_model/metadata.yaml"
check tfjs_cfg_metadata_imgsz grep -Eq '^imgsz:$' "$tmp/cfg_web_model/metadata.yaml"
# a config's class names are "0", "1", ... (as the peer's): strings, so quoted
check tfjs_cfg_metadata_names grep -q "^  79: '79'$" "$tmp/cfg_web_model/metadata.yaml"
node $RUNNER "$tmp/cfg_web_model" --info >"$tmp/info.json" 2>&1
check tfjs_cfg_input grep -q '"inputs":\[{"name":"images","dtype":"float32","dims":\[1,320,320,3\]}\]' "$tmp/info.json"
check tfjs_cfg_output grep -q '"name":"Identity:0","dims":\[1,84,2100\]' "$tmp/info.json"
node $RUNNER "$tmp/cfg_web_model" images="$tmp/in320.npy" --nchw --out "$tmp/cfg_out" >"$tmp/run.json" 2>&1
check tfjs_cfg_ran grep -q '"dims":\[1,84,2100\]' "$tmp/run.json"
# untrained weights: boxes are pixels (up to 320), class scores in [0, 1]
check tfjs_cfg_matches_exec cmp_npy cfg "$tmp/cfg_out/Identity.npy" "$tmp/cfg_ref/output0.npy" 0:4 0.01 4: 1e-5

# 2. the real checkpoint on the peer's input
if ! need_shared; then skip tfjs_peer "../shared not present"; exit 0; fi
P="$YOLOPORT_SHARED/reference/peer"
M="$YOLOPORT_SHARED/models"
$DRIVER --export "$M/yolov8n.pt" "$tmp/v8_web_model" imgsz=640 >"$tmp/v8.json" 2>&1
check tfjs_v8_export grep -q '"outputs":1' "$tmp/v8.json"
node $RUNNER "$tmp/v8_web_model" images="$P/yolov8n.input.npy" --nchw --out "$tmp/v8_out" >"$tmp/v8run.json" 2>&1
echo "# yolov8n 640 in pure-JS TF.js: $(grep -o '"run_ms":[0-9]*' "$tmp/v8run.json") (export $(grep -o '"write_s":[0-9.]*' "$tmp/v8.json"))"
check tfjs_v8_matches_peer cmp_npy yolov8n "$tmp/v8_out/Identity.npy" "$P/yolov8n.output.npy" 0:4 0.05 4: 1e-3

if [ "${TFJS_FULL:-0}" = 1 ]; then
    $DRIVER --export "$M/yolo11n-seg.pt" "$tmp/seg_web_model" imgsz=640 >"$tmp/seg.json" 2>&1
    check tfjs_seg_export grep -q '"outputs":2' "$tmp/seg.json"
    node $RUNNER "$tmp/seg_web_model" images="$P/yolo11n-seg.input.npy" --nchw --to-nchw --out "$tmp/seg_out" >"$tmp/segrun.json" 2>&1
    echo "# yolo11n-seg 640: $(grep -o '"run_ms":[0-9]*' "$tmp/segrun.json")"
    check tfjs_seg_matches_peer cmp_npy seg "$tmp/seg_out/Identity.npy" "$P/yolo11n-seg.output.npy" 0:4 0.05 4: 1e-3
    check tfjs_seg_protos cmp_npy protos "$tmp/seg_out/Identity_1.npy" "$P/yolo11n-seg.protos.npy" : 1e-3
    # the peer's own ONNX file as the source: no value_info, chunk() as Shape/Gather/Slice
    $DRIVER --export "$P/yolov8n.onnx" "$tmp/v8onnx_web_model" >"$tmp/v8onnx.json" 2>&1
    check tfjs_v8_onnx_export grep -q '"outputs":1' "$tmp/v8onnx.json"
    node $RUNNER "$tmp/v8onnx_web_model" images="$P/yolov8n.input.npy" --nchw --out "$tmp/v8onnx_out" >/dev/null 2>&1
    check tfjs_v8_onnx_matches_peer cmp_npy yolov8n-onnx "$tmp/v8onnx_out/Identity.npy" "$P/yolov8n.output.npy" 0:4 0.05 4: 1e-3
    $DRIVER --export "$M/yolov8n.pt" "$tmp/v8h_web_model" imgsz=640 half >"$tmp/v8h.json" 2>&1
    node $RUNNER "$tmp/v8h_web_model" images="$P/yolov8n.input.npy" --nchw --out "$tmp/v8h_out" >/dev/null 2>&1
    # float16 weights: the whole output moves (3 px worst box); scores stay close
    check tfjs_v8_half cmp_npy yolov8n-half "$tmp/v8h_out/Identity.npy" "$P/yolov8n.output.npy" 0:4 5 4: 0.01
fi
