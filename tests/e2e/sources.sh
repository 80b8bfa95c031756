#!/bin/sh
# Any model file is a source: the peer's ONNX (no shapes inside: they are inferred over the
# whole graph) to TorchScript, to OpenVINO and to ONNX at opset 12 (named yolov8n-opset12.onnx:
# yolov8n.onnx is the model itself), each passing its check; a dynamic ONNX of ours exported
# at a fixed size; our OpenVINO IR back to ONNX, node for node; the peer's int8 IR refused up
# front by name for ONNX (its FakeQuantize), nothing written, and its size report names the
# folder's size, not "built from the config".  Needs ../shared (skipped without it); the
# heavy exports use the release binary ($YOLOPORT_REL_BIN).
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
case "$REL" in /*) ;; *) REL="$ROOT/$REL" ;; esac
if ! need_shared || [ ! -f "$YOLOPORT_SHARED/reference/peer/yolov8n.onnx" ]; then
    skip sources "no ../shared/reference"
    exit 0
fi
P="$YOLOPORT_SHARED/reference"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
cp "$P/peer/yolov8n.onnx" .
cp -r "$P/openvino/yolov8n_int8_openvino_model" . && chmod -R u+w yolov8n_int8_openvino_model
run() { n=$1; b=$2; shift 2; "$b" export "$@" >"$T/$n.out" 2>&1; rc=$?; }
show() { sed 's/^/    | /' "$T/$1.out" | tail -n 12; }
checked() { # NAME PREFIX FILE: the last run exited 0, its check passed, the file is there
    if [ "$rc" -eq 0 ] && grep -qF "$2 check against the source ✅ passed" "$T/$n.out" &&
        grep -qF "$2 export success ✅" "$T/$n.out" && [ -e "$3" ]; then pass "$1"; else fail "$1" "exit $rc"; show "$n"; fi
}

run onnx_to_torchscript "$REL" model=yolov8n.onnx format=torchscript
checked source_onnx_to_torchscript "TorchScript:" yolov8n.torchscript
check source_onnx_shapes_inferred grep -q "^ONNX: shapes inferred for [0-9]* tensors the file does not describe" "$T/onnx_to_torchscript.out"
run onnx_to_openvino "$REL" model=yolov8n.onnx format=openvino
checked source_onnx_to_openvino "OpenVINO:" yolov8n_openvino_model/yolov8n.xml
run onnx_to_opset12 "$REL" model=yolov8n.onnx format=onnx opset=12
checked source_onnx_to_onnx_opset12 "ONNX:" yolov8n-opset12.onnx
check source_onnx_opset12_named_beside grep -q "yolov8n.onnx would be the model it is made from: this export is named yolov8n-opset12.onnx" "$T/onnx_to_opset12.out"
# the IR just written, back to ONNX: node for node the source's graph
run openvino_to_onnx "$REL" model=yolov8n_openvino_model format=onnx name=from_ir
checked source_openvino_to_onnx "ONNX:" from_ir.onnx
check source_openvino_size_report grep -q "^Size report (source yolov8n_openvino_model, 12\.[0-9] MB)" "$T/openvino_to_onnx.out"
# a dynamic ONNX exported at one size: its shape arithmetic becomes constants
run dyn_onnx "$REL" model=yolov8n.yaml format=onnx imgsz=64 dynamic=True name=dyn
run dyn_to_ncnn "$REL" model=dyn.onnx format=ncnn
checked source_dynamic_onnx_to_ncnn "NCNN:" dyn_ncnn_model
# the peer's int8 IR: its FakeQuantize nodes cannot be ONNX: refused up front, by name
"$BIN" export model=yolov8n_int8_openvino_model format=onnx >"$T/int8.out" 2>"$T/int8.err"
rc=$?
if [ $rc -ne 0 ] && grep -q "yolov8n_int8_openvino_model is quantised ([0-9]* FakeQuantize nodes on activations, 'images/fq_output_0' first), which ONNX cannot carry" "$T/int8.err" &&
    ! grep -q "starting export" "$T/int8.out" && [ ! -e yolov8n_int8.onnx ] && ! ls -A | grep -q '\.tmp\.'; then
    pass source_int8_ir_to_onnx_refused_up_front
else fail source_int8_ir_to_onnx_refused_up_front "exit $rc"; sed 's/^/    | /' "$T/int8.err" "$T/int8.out" | tail -8; fi
check source_int8_ir_names_its_format grep -q "^OpenVINO: starting from 'yolov8n_int8_openvino_model' with input shape (1, 3, 640, 640) BCHW and output shape(s) (1, 84, 8400) (3\.[0-9] MB)" "$T/int8.out"
exit 0
