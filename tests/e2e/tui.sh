#!/bin/sh
# Workbench end to end, driven through tmux at fixed sizes with TERM=screen-256color and a
# UTF-8 locale: the built-in yolov8n.yaml (always), yolov8n.pt from ../shared (skipped
# without it): tree, expand, search, Export form validation, a real ONNX export streamed
# into Jobs, Compare, cancel, the `:` line's completion, resizing down to a too-small
# terminal while an export runs, NO_COLOR, LANG=C, and keys answering while a job floods
# its log.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.sh
. tests/e2e/tui_lib.sh
[ -x "$BIN" ] || { fail tui_binary "no $BIN"; exit 1; }
command -v tmux >/dev/null || { skip tui "tmux not installed"; exit 0; }

# ---- the built-in model: tree, expand a C2f, search ----------------------------------------
D1="$TUI_TMP/yaml"; mkdir -p "$D1"
tui_start y 100 30 "$D1" --
if tui_wait y "YOLOv8n summary: 129 layers, 3,157,200 parameters" 20; then pass tui_yaml_summary; else fail tui_yaml_summary "$(tui_cap y | head -5)"; fi
check tui_yaml_tree_rows tui_wait y "2 +C2f +7,360" 2
# rows: DetectionModel, model, 0, 1, 2 (C2f): down four times, then expand
tui_keys y j j j j l
if tui_wait y "cv1 +Conv" 3 && tui_wait y "  m +ModuleList" 1; then pass tui_expand_c2f; else fail tui_expand_c2f "$(tui_cap y | sed -n 3,14p)"; fi
tui_keys y /; tui_type y SPPF; tui_keys y Enter
check tui_search_sppf tui_wait y "model\.9  SPPF" 3
tui_keys y n
check tui_search_next_wraps tui_wait y "search wrapped: SPPF|model\.9  SPPF" 3
# help overlay: filter and close
tui_keys y '?'
tui_wait y "Keys and commands: Graph" 3 && tui_type y expand && \
    check tui_help_filter tui_wait y "expand-all" 2
tui_keys y Escape Escape
check tui_help_closes tui_gone y "Keys and commands" 3

# ---- the mouse (X10 reports as the terminal sends them): tabs, wheel, function bar -----------
mouse() { # NAME BUTTON X Y (0-based cells)
    $TMUX_CMD send-keys -t "$1" -l "$(printf '\033[M%b%b%b' "\\$(printf %03o $((32 + $2)))" \
        "\\$(printf %03o $((33 + $3)))" "\\$(printf %03o $((33 + $4)))")"
}
mouse y 0 21 0; mouse y 3 21 0
check tui_mouse_tab_click tui_wait y "job +format +state" 3
mouse y 0 2 0; mouse y 3 2 0
tui_wait y "YOLOv8n summary" 3
mouse y 65 10 6; mouse y 65 10 6
check tui_mouse_wheel_scrolls tui_gone y "DetectionModel +Detection" 3
mouse y 0 1 29; mouse y 3 1 29
check tui_mouse_funcbar_help tui_wait y "Keys and commands: Graph" 3
tui_keys y Escape
tui_gone y "Keys and commands" 3
tui_keys y g

# ---- the `:` command line with completion ---------------------------------------------------
tui_keys y :; tui_type y expo; tui_keys y Tab; tui_type y form; tui_keys y Tab; tui_type y on; tui_keys y Tab
if tui_wait y "^:export format=onnx" 3; then pass tui_cmdline_completion; else fail tui_cmdline_completion "$(tui_cap y | tail -3)"; fi
tui_keys y C-u Escape
tui_keys y :; tui_type y "screen matrix"; tui_keys y Enter
check tui_cmdline_runs tui_wait y "Deployment options" 3
tui_keys y l
check tui_matrix_chinese tui_wait y "\[zh\]" 3
tui_keys y 1

# ---- keys answer while a job floods its log (10,000 lines/s) -------------------------------
tui_keys y :; tui_type y "stress-log 10000 6"; tui_keys y Enter
tui_wait y "log stress +running" 5
sleep 1
ok=1
for screen in 1 3 1 3; do
    t0=$(date +%s%N)
    tui_keys y $screen
    if [ $screen = 1 ]; then tui_wait y "YOLOv8n summary" 2 || ok=0; else tui_wait y "log: job" 2 || ok=0; fi
    t1=$(date +%s%N)
    # a frame within half a second (tmux polling included), even under ASan
    [ $(( (t1 - t0) / 1000000 )) -lt 500 ] || ok=0
done
check tui_keys_answer_during_log_flood [ $ok = 1 ]
tui_wait y "log stress +done" 10
check tui_log_flood_complete tui_wait y "stress done: [0-9]+ lines" 3

# ---- resize while an export runs --------------------------------------------------------------
tui_keys y :; tui_type y "export format=onnx imgsz=1280 half=True"; tui_keys y Enter  # half: the check runs both models, so the export lasts
tui_wait y "ONNX +(queued|running)" 10
ok=1
for size in "120 40" "80 24" "40 10" "20 6" "120 40"; do
    set -- $size
    tui_resize y "$1" "$2"; sleep 0.4
    tui_alive y || ok=0
    tui_fits y "$1" || ok=0
    if [ "$1" -lt 60 ]; then tui_wait y "(too small|small:)" 2 || ok=0; else tui_wait y "1:Graph" 2 || ok=0; fi
done
check tui_resize_during_export [ $ok = 1 ]
tui_keys y C-l
check tui_ctrl_l_redraws tui_wait y "1:Graph" 2
tui_wait y "ONNX +(done|failed)" 240
check tui_export_from_yaml_written test -s "$D1/yolov8n-imgsz1280-half.onnx"  # named by its arguments
tui_quit y
check tui_quit_clean sh -c "$TMUX_CMD capture-pane -p -t y | grep -q 'EXITED=0'"
check tui_no_sanitizer_report sh -c "! grep -q 'Sanitizer' '$TUI_TMP/y.stderr'"

# ---- the config file: a key binding, default export arguments; the state file on exit --------
D6="$TUI_TMP/cfg"; mkdir -p "$D6/config/yoloport" "$D6/state"
printf 'theme = mono\nbind graph x expand-all\nexport = imgsz=320 half=True\n' > "$D6/config/yoloport/config"
tui_start cfg 100 30 "$D6" XDG_CONFIG_HOME="$D6/config" XDG_STATE_HOME="$D6/state" --
tui_wait cfg "YOLOv8n summary" 20
tui_keys cfg x
check tui_config_binding tui_wait cfg "conv +Conv2d +432" 3
tui_keys cfg 2
check tui_config_export_defaults tui_wait cfg "imgsz +320" 3
# the format list names the loaded model's source: a config builds the PyTorch model
check tui_export_source_yaml tui_wait cfg "PyTorch \(source: yaml\)" 2
tui_keys cfg q
tui_wait cfg "EXITED=0" 10
check tui_state_file_written grep -q "^model = yolov8n.yaml" "$D6/state/yoloport/state"
check tui_state_keeps_args grep -q "imgsz=320" "$D6/state/yoloport/state"

# ---- cancel a running export: cancelled, nothing left ----------------------------------------
D2="$TUI_TMP/cancel"; mkdir -p "$D2"
tui_start c 100 30 "$D2" --
tui_wait c "YOLOv8n summary" 20
# half=True runs the source and the written model side by side (a float32 export is
# proven node for node and finishes too fast to cancel): long enough at imgsz 1280
tui_keys c :; tui_type c "export format=onnx imgsz=1280 half=True"; tui_keys c Enter
tui_wait c "ONNX +running" 10
tui_keys c x
tui_wait c "Cancel job" 3 && tui_keys c y
if tui_wait c "ONNX +cancelled" 30; then pass tui_cancel_job; else fail tui_cancel_job "$(tui_cap c | sed -n 1,4p)"; fi
sleep 0.5
left=$(ls -A "$D2")
check tui_cancel_leaves_no_files [ -z "$left" ]
tui_quit c

# ---- NO_COLOR: no colour escape sequences at all; LANG=C: ASCII drawing ----------------------
D3="$TUI_TMP/nocolor"; mkdir -p "$D3"
$TMUX_CMD new-session -d -s n -x 100 -y 30 \
    "cd '$D3' && env TERM=screen-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 NO_COLOR=1 script -qfc '$BIN' '$TUI_TMP/nocolor.raw' >/dev/null; echo EXITED=\$?; sleep 600"
tui_wait n "YOLOv8n summary" 20
tui_keys n 2; sleep 0.3; tui_keys n 5; sleep 0.3; tui_keys n 1; sleep 0.3
tui_quit n
if grep -qaP '\x1b\[[0-9;]*(3[0-7]|4[0-7]|38;5;[0-9]+|48;5;[0-9]+|9[0-7]|10[0-7])m' "$TUI_TMP/nocolor.raw"; then
    fail tui_no_color "colour escapes found"
else
    check tui_no_color grep -qa "YOLOv8n summary" "$TUI_TMP/nocolor.raw"
fi
$TMUX_CMD new-session -d -s nc -x 100 -y 30 \
    "cd '$D3' && env TERM=screen-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 script -qfc '$BIN --no-color' '$TUI_TMP/nocolor2.raw' >/dev/null; echo EXITED=\$?; sleep 600"
tui_wait nc "YOLOv8n summary" 20
tui_keys nc 3; sleep 0.3; tui_keys nc 1; sleep 0.3
tui_quit nc
if grep -qaP '\x1b\[[0-9;]*(3[0-7]|4[0-7]|38;5;[0-9]+|48;5;[0-9]+|9[0-7]|10[0-7])m' "$TUI_TMP/nocolor2.raw"; then
    fail tui_no_color_option "colour escapes found"
else
    check tui_no_color_option grep -qa "YOLOv8n summary" "$TUI_TMP/nocolor2.raw"
fi
# TERM=dumb cannot place the cursor: a clear message, the terminal untouched
$TMUX_CMD new-session -d -s dumb -x 100 -y 30 "env TERM=dumb '$BIN'; echo EXITED=\$?; sleep 600"
check tui_term_dumb_refuses tui_wait dumb "cannot place the cursor.*|EXITED=1" 10
D4="$TUI_TMP/asciilocale"; mkdir -p "$D4"
$TMUX_CMD new-session -d -s a -x 100 -y 30 \
    "cd '$D4' && env TERM=screen-256color LANG=C LC_ALL=C '$BIN'; echo EXITED=\$?; sleep 600"
tui_wait a "YOLOv8n summary" 20
if tui_cap a | grep -q "^- DetectionModel" && ! tui_cap a | grep -q "[▾▸─│]"; then pass tui_lang_c_ascii; else fail tui_lang_c_ascii "$(tui_cap a | sed -n 3,6p)"; fi
tui_quit a

# ---- the real checkpoint: Export ONNX with half and imgsz=641, Jobs, Compare -------------------
if ! need_shared; then
    skip tui_pt "no ../shared models"
    exit 0
fi
D5="$TUI_TMP/pt"; mkdir -p "$D5"
cp "$YOLOPORT_SHARED/models/yolov8n.pt" "$D5/"
tui_start p 120 36 "$D5" -- yolov8n.pt
if tui_wait p "YOLOv8n summary: 129 layers, 3,157,200 parameters" 20; then pass tui_pt_summary; else fail tui_pt_summary "$(tui_cap p | sed -n 1,6p)"; fi
check tui_pt_tree tui_wait p "9 +SPPF" 2
tui_keys p 2
tui_wait p "Export yolov8n.pt to ONNX" 3
check tui_export_source_pt tui_wait p "PyTorch \(source\)" 2
tui_keys p Tab; tui_type p 641; tui_keys p Enter j j Space
if tui_wait p "imgsz +641 .*672.*must be multiple of max stride" 3; then pass tui_export_imgsz_672; else fail tui_export_imgsz_672 "$(tui_cap p | sed -n 3,6p)"; fi
check tui_export_half_toggled tui_wait p "half +\[x\] True" 2
check tui_export_command_line tui_wait p "yolo export model=yolov8n.pt format=onnx imgsz=641 half=True" 2
tui_keys p r
check tui_jobs_streams_log tui_wait p "ONNX: starting export" 30
if tui_wait p "export success" 240; then pass tui_jobs_export_success; else fail tui_jobs_export_success "$(tui_cap p | tail -12)"; fi
check tui_onnx_file_exists test -s "$D5/yolov8n-imgsz672-half.onnx"  # named by its arguments
tui_keys p 4
check tui_compare_lists_onnx tui_wait p "ONNX +✅ +[0-9.]+ MB" 3
# open an ONNX file from the command line: the tree shows its name groups
if [ -f "$YOLOPORT_SHARED/reference/peer/yolov8n.onnx" ]; then
    tui_keys p 1 :; tui_type p "open $YOLOPORT_SHARED/reference/peer/yolov8n.onnx"; tui_keys p Enter
    check tui_open_onnx tui_wait p "yolov8n.onnx: 261 nodes" 10
    tui_keys p 2
    if tui_wait p "ONNX \(source\)" 5 && ! tui_cap p | grep -q "PyTorch (source"; then pass tui_export_source_onnx
    else fail tui_export_source_onnx "$(tui_cap p | sed -n 2,6p)"; fi
fi
tui_quit p
exit 0
