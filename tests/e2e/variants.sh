#!/bin/sh
# Variants never overwrite each other.  The command line keeps the peer's names, writes
# elsewhere with name= and project=, and says in its log when it replaces an earlier
# artifact.  The workbench names each export by the arguments that differ from the defaults,
# asks before replacing a file it did not write, and Compare shows every variant with its
# arguments and whether its file is still the one it wrote (gone, replaced), and deletes one
# after a question.  The built-in yolov8n.yaml at a small imgsz keeps it quick.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.sh
. tests/e2e/tui_lib.sh
[ -x "$BIN" ] || { fail variants_binary "no $BIN"; exit 1; }

# ---- the command line -----------------------------------------------------------------------
C="$TUI_TMP/cli"; mkdir -p "$C"
(cd "$C" && "$BIN" export model=yolov8n.yaml format=onnx imgsz=32 >first.out 2>&1)
check variants_cli_peer_name test -s "$C/yolov8n.onnx"
check variants_cli_first_says_nothing_replaced sh -c "! grep -q 'replacing' '$C/first.out'"
(cd "$C" && "$BIN" export model=yolov8n.yaml format=onnx imgsz=32 >again.out 2>&1)
check variants_cli_replace_logged grep -q "^ONNX: replacing the earlier yolov8n.onnx ([0-9.]* MB, written [0-9-]* [0-9:]*)" "$C/again.out"
(cd "$C" && "$BIN" export model=yolov8n.yaml format=onnx imgsz=32 half=True name=yolov8n-half project=out/a >named.out 2>&1)
if [ -s "$C/out/a/yolov8n-half.onnx" ] && grep -q "saved as 'out/a/yolov8n-half.onnx'" "$C/named.out"; then
    pass variants_cli_name_and_project
else fail variants_cli_name_and_project "$(tail -5 "$C/named.out")"; fi
(cd "$C" && "$BIN" export model=yolov8n.yaml format=onnx name=a/b >bad.out 2>&1)
rc=$?
check variants_cli_name_is_a_file_name sh -c "[ $rc -ne 0 ] && grep -q \"name='a/b' is not a file name\" '$C/bad.out' && [ ! -e '$C/a' ]"

# ---- the workbench ---------------------------------------------------------------------------
command -v tmux >/dev/null || { skip variants_tui "tmux not installed"; exit 0; }
D="$TUI_TMP/wb"; mkdir -p "$D"
cp "$C/yolov8n.onnx" "$D/yolov8n.onnx" # a file this session did not write
before=$(cksum <"$D/yolov8n.onnx")
tui_start v 150 30 "$D" -- yolov8n.yaml
tui_wait v "YOLOv8n summary" 20
tui_keys v :; tui_type v "export format=onnx imgsz=640"; tui_keys v Enter
if tui_wait v "yolov8n.onnx is already there .*this" 5 && tui_wait v "Replace it with this ONNX export" 2; then
    pass variants_tui_asks_before_replacing
else fail variants_tui_asks_before_replacing "$(tui_cap v | sed -n 8,20p)"; fi
tui_keys v n
check variants_tui_no_keeps_the_file tui_wait v "not exported: the file stays as it is" 3
check variants_tui_file_untouched [ "$(cksum <"$D/yolov8n.onnx")" = "$before" ]
for extra in "" " half" " half dynamic opset=12"; do
    tui_keys v :; tui_type v "export format=onnx imgsz=32$extra"; tui_keys v Enter
    tui_wait v "ONNX export success" 60
    sleep 0.3
done
check variants_tui_files_side_by_side sh -c "[ -s '$D/yolov8n-imgsz32.onnx' ] && [ -s '$D/yolov8n-imgsz32-half.onnx' ] && [ -s '$D/yolov8n-imgsz32-half-dynamic-opset12.onnx' ]"
tui_keys v 4
if tui_wait v "ONNX +✅ .* imgsz=32 +on disk" 5 && tui_wait v "ONNX +✅ .* imgsz=32 half +on disk" 2 &&
    tui_wait v "ONNX +✅ .* imgsz=32 half dynamic opset=12 +on disk" 2; then pass variants_tui_compare_rows
else fail variants_tui_compare_rows "$(tui_cap v | sed -n 2,8p)"; fi
# gone and replaced since
rm "$D/yolov8n-imgsz32.onnx"
cp "$C/yolov8n.onnx" "$D/yolov8n-imgsz32-half.onnx.new" && mv "$D/yolov8n-imgsz32-half.onnx.new" "$D/yolov8n-imgsz32-half.onnx"
tui_keys v C-l
if tui_wait v "imgsz=32 +gone" 3 && tui_wait v "imgsz=32 half +replaced" 2; then pass variants_tui_gone_and_replaced
else fail variants_tui_gone_and_replaced "$(tui_cap v | sed -n 2,8p)"; fi
# D deletes the selected row's artifact after a question (the last row: its file is still its own)
tui_keys v G D
if tui_wait v "Delete yolov8n-imgsz32-half-dynamic-opset12.onnx \([0-9.]+ MB\) from disk" 3; then
    tui_keys v y
    if tui_wait v "deleted yolov8n-imgsz32-half-dynamic-opset12.onnx" 3 && [ ! -e "$D/yolov8n-imgsz32-half-dynamic-opset12.onnx" ] &&
        tui_wait v "dynamic opset=12 +gone" 2; then pass variants_tui_delete
    else fail variants_tui_delete "$(tui_cap v | tail -4)"; fi
else fail variants_tui_delete "no question: $(tui_cap v | tail -4)"; fi
# a replaced file is not deleted
tui_keys v k D
check variants_tui_delete_refuses_replaced tui_wait v "was replaced since job [0-9]+ wrote it: not deleting" 3
# yes replaces, and the log says so
tui_keys v :; tui_type v "export format=onnx imgsz=640"; tui_keys v Enter
tui_wait v "Replace it with this ONNX export" 5 && tui_keys v y
if tui_wait v "ONNX: replacing the earlier yolov8n.onnx" 30; then pass variants_tui_yes_replaces
else fail variants_tui_yes_replaces "$(tui_cap v | tail -8)"; fi
tui_quit v
check variants_tui_no_sanitizer_report sh -c "! grep -q 'Sanitizer' '$TUI_TMP/v.stderr'"
exit 0
