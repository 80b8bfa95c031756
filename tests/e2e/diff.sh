#!/bin/sh
# `yoloport diff A B`: a config against its ONNX export (node for node the same: exit 0) and
# against its NHWC GraphDef (built at the GraphDef's height and width), an
# export against its half-precision variant (they part: exit 1, the ops and metadata that
# differ, the nodes of each side without a counterpart), usage and unreadable files (exit 2);
# with ../shared, yolov8n.pt against the peer's ONNX export names where they part, and the
# peer's ONNX before and after our simplification shows the constants folded (the same
# computation, node for node).
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
"$BIN" export model=yolov8n.yaml format=onnx imgsz=64 verify=False >/dev/null 2>&1
"$BIN" export model=yolov8n.yaml format=onnx imgsz=64 half=True verify=False name=half >/dev/null 2>&1

"$BIN" diff yolov8n.yaml yolov8n.onnx >same.out 2>&1
rc=$?
check diff_config_vs_its_export_same sh -c "[ $rc -eq 0 ] && grep -q '^Same computation: B is A node for node (175 nodes' same.out &&
    grep -q '^A  yolov8n.yaml: Model config (built from its layers and fused' same.out && grep -q '^  B  images  *float32  *\[1, 3, 64, 64\]' same.out"
"$BIN" diff yolov8n.onnx half.onnx >half.out 2>&1
rc=$?
check diff_half_parts sh -c "[ $rc -eq 1 ] && grep -q '^They part: ' half.out && grep -q '^Nodes of B with no counterpart in A ([1-9][0-9]*):' half.out"
check diff_half_inputs_side_by_side sh -c "grep -q '^  A  images  *float32 ' half.out && grep -q '^  B  images  *float16 ' half.out"
check diff_half_metadata grep -q "^  meta args  A {'batch': 1, 'half': False.*  B {'batch': 1, 'half': True" half.out
check diff_half_size grep -q '^Size        A 12\.[0-9] MB  B 6\.[0-9] MB  (B is 0\.[0-9]*x A)' half.out
# a TensorFlow export's input is NHWC: the config is built at its height and width
"$BIN" export model=yolov8n.yaml format=pb imgsz=64 verify=False >/dev/null 2>&1
"$BIN" diff yolov8n.yaml yolov8n.pb >pb.out 2>&1
rc=$?
check diff_config_vs_nhwc_graphdef sh -c "[ $rc -eq 1 ] && grep -q '^  A  images  *float32  *\[1, 3, 64, 64\]' pb.out && grep -q '^  B  images  *float32  *\[1, 64, 64, 3\]' pb.out && grep -q '^Parameters  A 3,151,904  B 3,151,904  (the same)' pb.out"
"$BIN" diff yolov8n.onnx >usage.out 2>&1
check diff_usage sh -c "[ $? -eq 2 ] && grep -q '^usage: yoloport diff MODEL_A MODEL_B' usage.out"
"$BIN" diff yolov8n.onnx nope.onnx >nope.out 2>&1
check diff_unreadable sh -c "[ $? -eq 2 ] && grep -q 'nope.onnx' nope.out"

if need_shared && [ -f "$YOLOPORT_SHARED/reference/peer/yolov8n.onnx" ]; then
    P="$YOLOPORT_SHARED/reference/peer/yolov8n.onnx"
    "$BIN" diff "$YOLOPORT_SHARED/models/yolov8n.pt" "$P" --nodes 3 >peer.out 2>&1
    rc=$?
    check diff_pt_vs_peer_onnx_names_where_they_part sh -c "[ $rc -eq 1 ] && grep -q \"^They part: node '[^']*' ([A-Za-z]*) has no counterpart in A\" peer.out &&
        grep -q '^[0-9]* of B.s 261 nodes compute what A.s do' peer.out && grep -q '^Parameters  A 3,151,904  B 3,151,904  (the same)' peer.out"
    check diff_pt_vs_peer_ops grep -q '^  SiLU  *A   57  B    0  (-57)' peer.out
    cp "$P" peer.onnx
    "$YOLOPORT_REL_BIN" export model=peer.onnx format=onnx name=simplified >/dev/null 2>&1 || "$BIN" export model=peer.onnx format=onnx name=simplified >/dev/null 2>&1
    "$BIN" diff peer.onnx simplified.onnx >simp.out 2>&1
    # simplified: its Constant nodes became initializers, and it still computes what the peer's does
    check diff_before_after_simplify sh -c "grep -q '^  Constant  *A   22  B    0  (-22)' simp.out && grep -q '^Same computation: B is A node for node' simp.out"
else
    skip diff_pt_vs_peer_onnx "no ../shared/reference"
fi
exit 0
