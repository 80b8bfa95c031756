#!/bin/sh
# The workbench's rough edges a new user hit, each checked through tmux on the built-in
# yolov8n.yaml: at 80x24 the Graph's details pane hides (d) and the tree takes the rows; on a
# wide terminal the name column stops at its content; the Matrix shows "Here" and "Last
# export" first and whole cells (no cut at 28 columns); Matrix e exports the row the filter
# shows; :theme nope changes nothing; a screen's status message stays on its screen; the
# first export is job 1; Compare's = opens the diff view; under LANG=C the Jobs log is ASCII.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.sh
. tests/e2e/tui_lib.sh
[ -x "$BIN" ] || { fail tui_edges_binary "no $BIN"; exit 1; }
command -v tmux >/dev/null || { skip tui_edges "tmux not installed"; exit 0; }
D="$TUI_TMP/edges"; mkdir -p "$D"

tui_start e 80 24 "$D" -- yolov8n.yaml
tui_wait e "YOLOv8n summary" 20
tui_keys e j l
tui_wait e "  ▸ 0 " 3
before=$(tui_cap e | grep -c '▸ [0-9]')
tui_keys e d
tui_wait e "details hidden" 3
after=$(tui_cap e | grep -c '▸ [0-9]')
check tui_graph_details_hide_at_80x24 sh -c "[ $after -ge $((before + 6)) ] && ! $TMUX_CMD capture-pane -p -t e | grep -q '─ details'"
tui_keys e d
check tui_graph_details_shown_again tui_wait e "─ details" 3
# a screen's message stays on its screen; :theme nope changes nothing
tui_keys e 5
tui_wait e "Deployment options" 5
check tui_matrix_here_first tui_wait e "^Option +Here +Performance" 3
check tui_matrix_whole_cells tui_wait e "TorchScript +built in +Beats eager PyTorch in production( |$)" 2
tui_keys e j j j j j j j j j j j j
tui_keys e /; tui_type e openvino; tui_keys e Enter
tui_wait e "filter 'openvino'" 3
tui_keys e e
if tui_wait e "^Export yolov8n.yaml to (ONNX|OpenVINO) as" 3; then pass tui_matrix_e_exports_a_row_the_filter_shows
else fail tui_matrix_e_exports_a_row_the_filter_shows "$(tui_cap e | sed -n 2p)"; fi
check tui_status_stays_on_its_screen tui_gone e "filter 'openvino'" 2
tui_keys e :; tui_type e "theme nope"; tui_keys e Enter
check tui_theme_nope_refused tui_wait e "theme nope: no such theme \(dark, high-contrast, light, mono\)" 3
# the first export is job 1, and its Last export column comes to the front
tui_keys e :; tui_type e "export format=onnx imgsz=32"; tui_keys e Enter
check tui_first_export_is_job_1 tui_wait e "job 1: ONNX export success" 60
tui_keys e 5
check tui_matrix_last_export_first tui_wait e "^Option +Here +Last export +Performance" 3
check tui_matrix_last_export_row tui_wait e "^ONNX +built in +✅ [0-9.]+ MB" 2
# Compare's = diffs the selected row's artifact against the model: node for node the same
tui_keys e 4
tui_wait e "ONNX +✅" 3
tui_keys e =
if tui_wait e "diff: the same computation" 60 && tui_wait e "Same computation: B is A node for node" 2; then pass tui_compare_diff
else fail tui_compare_diff "$(tui_cap e | sed -n 2,12p)"; fi
tui_keys e Escape
tui_gone e "diff: the same" 3
tui_quit e

# a wide terminal: the name column stops at its content
tui_start w 200 40 "$D" -- yolov8n.yaml
tui_wait w "YOLOv8n summary" 20
check tui_graph_name_column_fits tui_wait w "^name +type +params output +" 3
col=$(tui_cap w | grep '^name ' | awk '{print index($0, "type")}')
check tui_graph_name_column_stops_at_content [ "${col:-999}" -lt 30 ]
tui_quit w

# LANG=C: the Jobs log in ASCII, as the screens draw
tui_start a 100 30 "$D" LANG=C LC_ALL=C -- yolov8n.yaml
tui_wait a "YOLOv8n summary" 20
tui_keys a :; tui_type a "export format=onnx imgsz=32 name=ascii"; tui_keys a Enter
tui_wait a "export success" 60
if tui_wait a "ONNX: export success ok " 3 && ! tui_cap a | grep -q '✅\|🚀'; then pass tui_lang_c_jobs_log_ascii
else fail tui_lang_c_jobs_log_ascii "$(tui_cap a | grep -i 'success\|yoloport 0' | head -3)"; fi
tui_quit a
exit 0
