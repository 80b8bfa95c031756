#!/bin/sh
# The Graph screen's search on the shared yolov8s.pt through tmux: `op:Conv out:256` finds
# exactly the Convs with 256 output channels (counted against `info --tree`), shown as "1/N";
# n and N move through them and wrap; f shows only them with their ancestors and f again every
# row; shape:, params>, k: s: and words.  Then the peer's yolov8n.onnx: its name groups read as
# the checkpoint's modules (C2f, SPPF, Upsample, Detect with its output, once the shapes the
# file leaves out are inferred), and the same query finds as many Convs as in yolov8n.pt.
# Needs ../shared (skipped without it).
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.sh
. tests/e2e/tui_lib.sh
[ -x "$BIN" ] || { fail tui_search_binary "no $BIN"; exit 1; }
command -v tmux >/dev/null || { skip tui_search "tmux not installed"; exit 0; }
if ! need_shared; then
    skip tui_search "no ../shared models"
    exit 0
fi
S=$YOLOPORT_SHARED
D="$TUI_TMP/search"; mkdir -p "$D"
cp "$S/models/yolov8s.pt" "$S/models/yolov8n.pt" "$D/"
want=$("$BIN" info "$D/yolov8s.pt" --tree | grep -cE ' Conv2d +[0-9,]+ +\[1, 256,')
search() { tui_keys "$1" /; tui_type "$1" "$2"; tui_keys "$1" Enter; }

tui_start s 120 40 "$D" -- yolov8s.pt
tui_wait s "YOLOv8s summary" 20
search s "op:Conv out:256"
if [ "$want" -gt 5 ] && tui_wait s "^/op:Conv out:256  1/$want " 5; then pass tui_search_op_conv_out_256_count
else fail tui_search_op_conv_out_256_count "want 1/$want: $(tui_cap s | tail -2 | head -1)"; fi
tui_keys s n
check tui_search_next tui_wait s "^/op:Conv out:256  2/$want " 3
tui_keys s N N
check tui_search_previous_wraps tui_wait s "^search wrapped: op:Conv out:256  $want/$want " 3
tui_keys s f
tui_keys s g
if tui_wait s "^filter: $want rows match /op:Conv out:256" 3; then
    # every node row shown is a Conv with 256 output channels; every other row is an ancestor
    bad=$(tui_cap s | sed -n '4,38p' | cut -c1-68 | grep '·' | grep -vcE '· Conv +Conv +[0-9,]+ \[1, 256, ')
    check tui_search_filter_only_hits [ "$bad" -eq 0 ]
    check tui_search_filter_keeps_ancestors tui_wait s "▾ DetectionModel" 2
else fail tui_search_filter_only_hits "$(tui_cap s | tail -2 | head -1)"; fi
tui_keys s f
check tui_search_filter_off tui_wait s "^filter off: every row \($want matched" 3
search s "k:3 s:2"
check tui_search_kernel_stride tui_wait s "^/k:3 s:2  1/7 " 3
search s "shape:1x256x20x20 op:Conv"
check tui_search_shape tui_wait s "^/shape:1x256x20x20 op:Conv  [0-9]+/[0-9]+ " 3
search s "params>1M type:C2f"
check tui_search_params tui_wait s "^/params>1M type:C2f  [0-9]+/2 " 3
search s "out:abc"
check tui_search_bad_term tui_wait s "search: 'out:abc': out takes a number" 3
tui_keys s Escape
tui_quit s

# the peer's ONNX: name groups as modules, the same query
if [ -f "$S/reference/peer/yolov8n.onnx" ]; then
    n_pt=$("$BIN" info "$D/yolov8n.pt" --tree | grep -cE ' Conv2d +[0-9,]+ +\[1, 256,')
    cp "$S/reference/peer/yolov8n.onnx" "$D/"
    tui_start o 120 40 "$D" -- yolov8n.onnx
    tui_wait o "yolov8n.onnx: 261 nodes" 20
    if tui_wait o "model.2 +C2f +7,264" 3 && tui_wait o "model.9 +SPPF" 1 && tui_wait o "model.10 +Upsample" 1 &&
        tui_wait o "model.22 +Detect +896,800 +\[1, 84, 8400\]" 20; then pass tui_onnx_groups_read_as_modules
    else fail tui_onnx_groups_read_as_modules "$(tui_cap o | sed -n 3,12p)"; fi
    # the shapes the file leaves out, inferred in the background with its weights
    check tui_onnx_group_output_shapes tui_wait o "model.8 +C2f +459,520 +\[1, 256, 20, 20\]" 90
    search o "op:Conv out:256"
    check tui_onnx_search_as_the_checkpoint tui_wait o "^/op:Conv out:256  [0-9]+/$n_pt " 3
    search o "type:C2f"
    check tui_onnx_search_group_kind tui_wait o "^/type:C2f  [0-9]+/8 " 3
    tui_quit o
fi
exit 0
