#!/bin/sh
# The workbench's Matrix screen through tmux: all fourteen options, scrolling, sorting,
# filtering, English/Chinese with aligned columns (cells start at their header's display
# column, CJK counted as two), and, after an ONNX export, the ONNX row's live columns
# showing the export's status and size.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.sh
. tests/e2e/tui_lib.sh
[ -x "$BIN" ] || { fail tui_matrix_binary "no $BIN"; exit 1; }
command -v tmux >/dev/null || { skip tui_matrix "tmux not installed"; exit 0; }

# columns of a screen capture aligned: every data row's cell starts where its header starts
aligned() { # CAPTURE-FILE
    /usr/bin/python3 - "$1" <<'PY'
import sys, unicodedata
def cells(line):
    out = []
    for ch in line:
        w = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        out.append(ch)
        if w == 2: out.append("")  # the right half of a wide glyph
    return out
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
head = cells(lines[2])
starts = [i for i in range(1, len(head)) if head[i] not in (" ", "") and head[i - 1] == " " and (i < 2 or head[i - 2] == " ")]
bad = 0
for ln in lines[3:17]:
    row = cells(ln)
    for c in starts:
        if c < len(row) and (row[c] == "" or row[c - 1] not in (" ",)):
            bad += 1
print("starts", starts, "misaligned", bad)
sys.exit(1 if bad or len(starts) < 3 else 0)
PY
}

D="$TUI_TMP/matrix"; mkdir -p "$D"
tui_start m 160 30 "$D" --
tui_wait m "YOLOv8n summary" 20
tui_keys m 5
if tui_wait m "Deployment options for YOLO models +\[en\]" 5; then pass tui_matrix_screen; else fail tui_matrix_screen "$(tui_cap m | head -3)"; fi
ok=1
for o in PyTorch TorchScript ONNX OpenVINO TensorRT CoreML "TF SavedModel" "TF GraphDef" "TF Lite" "TF Edge TPU" "TF.js" PaddlePaddle MNN NCNN; do
    tui_cap m | grep -q "^$o " || { ok=0; echo "# missing option $o"; }
done
check tui_matrix_all_fourteen_options [ $ok = 1 ]

# "Here" (what this host can do) stands first, beside the option; with no export yet, "Last
# export" is at the end: a horizontal scroll reaches it
check tui_matrix_here_beside_the_option tui_wait m "^Option +Here +Performance" 3
for i in 1 2 3 4 5 6 7 8 9; do tui_keys m Right; done
check tui_matrix_scrolls_to_live_columns tui_wait m "Here +.*Last export" 3
tui_keys m g
# sort by the focused column (back to the first criterion, after Here), then descending
for i in 1 2 3 4 5 6 7 8; do tui_keys m Left; done
first_before=$(tui_cap m | sed -n 4p | cut -d' ' -f1)
tui_keys m s
check tui_matrix_sort_ascending tui_wait m "Performance▲" 3
first_asc=$(tui_cap m | sed -n 4p | cut -d' ' -f1)
check tui_matrix_sort_reorders [ "$first_asc" != "$first_before" ]
tui_keys m s
check tui_matrix_sort_descending tui_wait m "Performance▼" 3
first_desc=$(tui_cap m | sed -n 4p | cut -d' ' -f1)
check tui_matrix_sort_descending_reorders [ "$first_desc" != "$first_asc" ]
# filter: rows whose text mentions OpenVINO only
tui_keys m /; tui_type m openvino; tui_keys m Enter
check tui_matrix_filter tui_wait m "filter: openvino" 3
check tui_matrix_filter_rows sh -c "$TMUX_CMD capture-pane -p -t m | grep -q '^OpenVINO ' && ! $TMUX_CMD capture-pane -p -t m | grep -q '^NCNN '"
tui_keys m Escape
check tui_matrix_filter_cleared tui_wait m "^NCNN " 3
# English columns aligned; then Chinese
tui_cap m > "$TUI_TMP/en.txt"
check tui_matrix_en_aligned aligned "$TUI_TMP/en.txt"
tui_keys m l
if tui_wait m "\[zh\]" 3; then pass tui_matrix_chinese; else fail tui_matrix_chinese "$(tui_cap m | head -3)"; fi
check tui_matrix_chinese_text tui_wait m "部署选项" 2
tui_cap m > "$TUI_TMP/zh.txt"
check tui_matrix_zh_aligned aligned "$TUI_TMP/zh.txt"
check tui_matrix_zh_fits tui_fits m 160
tui_keys m l
tui_wait m "\[en\]" 3

# an ONNX export, then its row's live columns
tui_keys m :; tui_type m "export format=onnx imgsz=320"; tui_keys m Enter
i=0; while [ $i -lt 120 ] && [ ! -s "$D/yolov8n-imgsz320.onnx" ]; do sleep 0.5; i=$((i + 1)); done
check tui_matrix_export_written test -s "$D/yolov8n-imgsz320.onnx"
sleep 1
tui_keys m 5
for i in 1 2 3 4 5 6 7 8 9; do tui_keys m Right; done
if tui_wait m "^ONNX .*✅ [0-9.]+ MB" 10; then pass tui_matrix_onnx_row_status_and_size; else fail tui_matrix_onnx_row_status_and_size "$(tui_cap m | grep '^ONNX')"; fi
tui_quit m >/dev/null
