#!/bin/sh
# End-to-end: `yoloport checks` (the host and every runtime: found with its version and path,
# or what was looked for), the runtime selection of predict/val (runtime=onnxruntime with the
# npm package's libonnxruntime.so.1, runtime=NAME:PATH), and a runtime library that is not a
# library: one clear message and a non-zero exit.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
ORT_DIR="$ROOT/tests/node/node_modules/onnxruntime-node/bin/napi-v6/linux/x64"
[ "$(uname -m)" = aarch64 ] && ORT_DIR="$ROOT/tests/node/node_modules/onnxruntime-node/bin/napi-v6/linux/arm64"

env -u YOLOPORT_RUNTIME_PATH YOLOPORT_RUNTIME_PATH="$t/nowhere" "$BIN" checks >"$t/c.out" 2>"$t/c.err"; rc=$?
check "checks: exits 0" [ "$rc" -eq 0 ]
check "checks: the host" sh -c "grep -Eq '^CPU count +[0-9]+$' '$t/c.out' && grep -Eq '^RAM +[0-9.]+ GB$' '$t/c.out' && grep -Eq '^GPU +' '$t/c.out' && grep -q '^Setup complete ✅' '$t/c.out'"
check "checks: builtin always there" grep -Eq '^builtin +✅ [0-9.]+, the yoloport executor' "$t/c.out"
check "checks: a runtime not found says where it looked" grep -Eq "^onnxruntime +❌ not found: no libonnxruntime\.so\.1 in $t/nowhere, " "$t/c.out"
check "checks: runtimes without an adapter say so" grep -Eq '^openvino +.*this build has no adapter' "$t/c.out"

printf 'not a library\n' >"$t/libonnxruntime.so.1"
"$BIN" checks runtime=onnxruntime:"$t/libonnxruntime.so.1" >"$t/fake.out" 2>&1
check "checks: a fake library is refused" grep -Eq "^onnxruntime +❌ refused $t/libonnxruntime\.so\.1: not a shared library \(no ELF header" "$t/fake.out"

bad() { # NAME EXPECTED-TEXT VERB ARGS...
    n=$1 want=$2; shift 2
    "$BIN" "$@" >"$t/$n.out" 2>"$t/$n.err"; rc=$?
    if [ "$rc" -ne 0 ] && [ "$(wc -l <"$t/$n.err")" -eq 1 ] && grep -qF -- "$want" "$t/$n.err"; then pass "checks: $n"
    else fail "checks: $n" "exit $rc, stderr: $(head -c 300 "$t/$n.err")"; fi
}
if need_shared && [ -f "$ORT_DIR/libonnxruntime.so.1" ]; then
    S=$YOLOPORT_SHARED
    bad predict-fake-library "refused $t/libonnxruntime.so.1: not a shared library" \
        predict model="$S/reference/peer/yolov8n.onnx" source="$S/data/images/bus.jpg" runtime=onnxruntime:"$t/libonnxruntime.so.1"
    bad predict-missing-library "no libonnxruntime.so.1 in $t/none" \
        predict model="$S/reference/peer/yolov8n.onnx" source="$S/data/images/bus.jpg" runtime=onnxruntime:"$t/none"
    bad onnxruntime-on-a-checkpoint "ONNX Runtime runs ONNX (.onnx) files" \
        predict model="$S/models/yolov8n.pt" source="$S/data/images/bus.jpg" runtime=onnxruntime:"$ORT_DIR"
    YOLOPORT_RUNTIME_PATH="$ORT_DIR" "$BIN" checks >"$t/ort.out" 2>&1
    check "checks: onnxruntime found with its version and path" grep -Eq "^onnxruntime +✅ 1\.[0-9]+\.[0-9]+, $ORT_DIR/libonnxruntime\.so\.1$" "$t/ort.out"
    YOLOPORT_RUNTIME_PATH="$ORT_DIR" "$BIN" predict model="$S/reference/peer/yolov8n.onnx" source="$S/data/images/bus.jpg" >"$t/p.out" 2>&1; rc=$?
    check "predict in onnxruntime: says so, the peer's ONNX square input" sh -c "[ $rc -eq 0 ] && grep -q '^Loading .*yolov8n.onnx for onnxruntime 1\.' '$t/p.out' && grep -Eq '^image 1/1 .*bus.jpg: 640x640 4 persons, 1 bus, ' '$t/p.out'"
else
    skip "checks: onnxruntime runs" "../shared or the npm package onnxruntime-node is absent"
fi
