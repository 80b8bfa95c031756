#!/bin/sh
# The TorchScript writer end to end: our archives for the peer's checkpoints load in
# torch.jit.load (PyTorch 1.13, test-only) and reproduce the peer's PyTorch outputs on the
# peer's inputs; half=True archives hold exactly torch's .half() of the weights; a dynamic
# archive runs at other sizes and batches; every task head (built from its yaml) matches our
# own executor.  Archives are written by the unit-test program's write mode.  Read back:
# yoloport's own export opens in info and predict (the bus and its four people), its
# dynamic=True export too, on the rect letterbox (640x480); the peer's torch.jit archive is
# refused by name.
. "$(dirname "$0")/lib.sh"
T=build/asan/tests/test_torchscript
if [ ! -x "$T" ]; then skip torchscript "$T not built (make unit-tests)"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
P="${YOLOPORT_SHARED:-}/reference/peer"
M="${YOLOPORT_SHARED:-}/models"

write() { # name args... : PASS/FAIL on writing + the structural check; the summary line kept
    n=$1; shift
    if "$T" write "$@" >"$tmp/$n.log" 2>&1; then
        pass "torchscript_write_$n ($(head -n 1 "$tmp/$n.log" | sed 's/^[^:]*: //'))"
    else
        fail "torchscript_write_$n" "$(tail -n 3 "$tmp/$n.log")"
    fi
}

if need_shared; then
    write yolov8n "$M/yolov8n.pt" "$tmp/yolov8n.torchscript"
    write yolov8n_half "$M/yolov8n.pt" "$tmp/yolov8n_half.torchscript" half=1
    write yolov8n_dynamic "$M/yolov8n.pt" "$tmp/yolov8n_dynamic.torchscript" dynamic=1
    write yolo11n_seg "$M/yolo11n-seg.pt" "$tmp/yolo11n-seg.torchscript"
    # smaller than the peer's traced archive (13,015,585 bytes) for the same model
    size=$(wc -c <"$tmp/yolov8n.torchscript" 2>/dev/null || echo 0)
    peer=$(wc -c <"$P/yolov8n.torchscript")
    check "torchscript_size_${size}_vs_peer_$peer" test "$size" -gt 12000000 -a "$size" -lt "$peer"
else
    skip torchscript_peer_models "../shared not present"
fi
if need_shared; then
    REL="${YOLOPORT_REL_BIN:-$BIN}"
    mkdir -p "$tmp/cli" && cp "$M/yolov8n.pt" "$tmp/cli/yolov8n.pt"
    (cd "$tmp/cli" && "$REL" export model=yolov8n.pt format=torchscript >export.log 2>&1 &&
        mv yolov8n.torchscript static.torchscript &&
        "$REL" export model=yolov8n.pt format=torchscript dynamic=True >export_dyn.log 2>&1 &&
        mv yolov8n.torchscript dynamic.torchscript)
    "$BIN" info model="$tmp/cli/static.torchscript" >"$tmp/info.out" 2>&1
    check "torchscript_read: info opens our export (NCHW input, the metadata's task and names)" sh -c \
        "grep -q '^input: *images \[1, 3, 640, 640\] float32' '$tmp/info.out' && grep -q '^task: *detect' '$tmp/info.out' && grep -q '^classes: *80 ' '$tmp/info.out' && grep -q '^ops: *Conv 64 SiLU 57 ' '$tmp/info.out'"
    "$REL" predict model="$tmp/cli/static.torchscript" source="$YOLOPORT_SHARED/data/images/bus.jpg" --json >"$tmp/p.json" 2>"$tmp/p.err"
    check "torchscript_read: predict finds the bus and its four people" [ "$(/usr/bin/python3 -c "import json; d=json.load(open('$tmp/p.json')); d=d[0] if isinstance(d, list) else d; det=d['detections']; print(sum(x['name']=='person' for x in det), sum(x['name']=='bus' for x in det))")" = "4 1" ]
    "$BIN" predict model="$tmp/cli/dynamic.torchscript" source="$YOLOPORT_SHARED/data/images/bus.jpg" >"$tmp/d.out" 2>"$tmp/d.err"; rc=$?
    check "torchscript_read: a dynamic=True export predicts on the rect letterbox: 640x480, the bus and its four people" sh -c \
        "[ $rc -eq 0 ] && grep -Eq '^image 1/1 .*bus.jpg: 640x480 4 persons, 1 bus(,| )' '$tmp/d.out' && grep -q 'at shape (1, 3, 640, 480)' '$tmp/d.out'"
    "$BIN" info model="$P/yolov8n.torchscript" >"$tmp/peer.out" 2>"$tmp/peer.err"; rc=$?
    check "torchscript_read: the peer's torch.jit archive is refused (only straight-line forward code is read)" sh -c \
        "[ $rc -ne 0 ] && grep -q 'only the straight-line forward code' '$tmp/peer.err'"
fi
for m in yolov8n-seg yolov8n-pose yolov8n-obb yolov8n-cls yolo11n; do
    write "$m" "$m.yaml" "$tmp/$m.torchscript" imgsz=320 "exec=$tmp/$m.input.npy:$tmp/$m.exec"
done

if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
    skip torchscript_in_torch "/usr/bin/python3 cannot import torch and numpy"; exit 0
fi
{
    echo '['
    if need_shared; then
        cat <<JSON
{"name": "yolov8n", "model": "$tmp/yolov8n.torchscript", "input": "$P/yolov8n.input.npy",
 "output": "$P/yolov8n.output.npy", "box_tol": 0.05, "score_tol": 1e-3,
 "peer_config": "$P/yolov8n.torchscript", "params": 3151904, "resave": "$tmp/resaved.torchscript"},
{"name": "yolov8n_half", "model": "$tmp/yolov8n_half.torchscript", "input": "$P/yolov8n.input.npy",
 "output": "$P/yolov8n.output.npy", "half_of": "$tmp/yolov8n.torchscript",
 "box_tol": 5.0, "box_conf_tol": 0.25, "score_tol": 0.01},
{"name": "yolov8n_dynamic", "model": "$tmp/yolov8n_dynamic.torchscript", "input": "$P/yolov8n.input.npy",
 "output": "$P/yolov8n.output.npy", "box_tol": 0.05, "score_tol": 1e-3,
 "same_as": "$tmp/yolov8n.torchscript", "sizes": [[320, 480], [416, 256]]},
{"name": "yolo11n_seg", "model": "$tmp/yolo11n-seg.torchscript", "input": "$P/yolo11n-seg.input.npy",
 "output": "$P/yolo11n-seg.output.npy", "protos": "$P/yolo11n-seg.protos.npy",
 "box_tol": 0.05, "score_tol": 1e-3, "extra_tol": 1e-3, "protos_tol": 1e-3},
JSON
    fi
    cat <<JSON
{"name": "yolov8n_seg_yaml", "model": "$tmp/yolov8n-seg.torchscript", "input": "$tmp/yolov8n-seg.input.npy",
 "output": "$tmp/yolov8n-seg.exec0.npy", "protos": "$tmp/yolov8n-seg.exec1.npy", "kind": "raw", "tol": [0.05, 1e-3]},
{"name": "yolov8n_pose_yaml", "model": "$tmp/yolov8n-pose.torchscript", "input": "$tmp/yolov8n-pose.input.npy",
 "output": "$tmp/yolov8n-pose.exec0.npy", "kind": "raw", "tol": [0.05]},
{"name": "yolov8n_obb_yaml", "model": "$tmp/yolov8n-obb.torchscript", "input": "$tmp/yolov8n-obb.input.npy",
 "output": "$tmp/yolov8n-obb.exec0.npy", "kind": "raw", "tol": [0.05]},
{"name": "yolov8n_cls_yaml", "model": "$tmp/yolov8n-cls.torchscript", "input": "$tmp/yolov8n-cls.input.npy",
 "output": "$tmp/yolov8n-cls.exec0.npy", "kind": "raw", "tol": [1e-5]},
{"name": "yolo11n_yaml", "model": "$tmp/yolo11n.torchscript", "input": "$tmp/yolo11n.input.npy",
 "output": "$tmp/yolo11n.exec0.npy", "kind": "raw", "tol": [0.05]}
JSON
    echo ']'
} >"$tmp/plan.json"
/usr/bin/python3 tests/torchscript_check.py plan "$tmp/plan.json" 2>&1 || fail torchscript_check_script "exited with an error"
