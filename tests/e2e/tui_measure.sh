#!/bin/sh
# Workbench end to end, measuring: the Predict screen (:predict bus.jpg with yolov8n.pt) drawn
# with half blocks at 80x24 and 120x40 with "person" and "bus" in its detections, its colour
# modes (256 colours, 16 grey levels, characters with NO_COLOR), then an ONNX export benchmarked
# from Compare (:benchmark data=coco8.yaml) whose ms/img, FPS and mAP50-95 fill the Compare
# row, and p predicting with the selected artifact.  Needs ../shared (skipped without it).
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.sh
. tests/e2e/tui_lib.sh
[ -x "$BIN" ] || { fail tui_measure_binary "no $BIN"; exit 1; }
command -v tmux >/dev/null || { skip tui_measure "tmux not installed"; exit 0; }
if ! need_shared; then
    skip tui_measure "no ../shared models"
    exit 0
fi
S=$YOLOPORT_SHARED
D="$TUI_TMP/m"; mkdir -p "$D"
cp "$S/models/yolov8n.pt" "$D/"
BUS="$S/data/images/bus.jpg"

tui_start m 80 24 "$D" -- yolov8n.pt
tui_wait m "YOLOv8n summary" 20
tui_keys m 6
check tui_predict_empty tui_wait m "No prediction yet: :predict IMAGE" 3
tui_keys m :; tui_type m "predict $BUS"; tui_keys m Enter
if tui_wait m "Detections \(6\)" 90; then pass tui_predict_80x24; else fail tui_predict_80x24 "$(tui_cap m | head -8)"; fi
check tui_predict_person_bus_80x24 sh -c "tui_cap() { $TMUX_CMD capture-pane -p -t m; }; tui_cap | grep -q '■ person ' && tui_cap | grep -q '■ bus '"
check tui_predict_header tui_wait m "^Predict: bus.jpg with yolov8n.pt in the yoloport executor, 640x480" 2
check tui_predict_mode tui_wait m "drawn in 256 colours" 2
check tui_predict_halfblocks sh -c "$TMUX_CMD capture-pane -p -t m | grep -q '▀▀▀▀'"
check tui_predict_fits_80 tui_fits m 80
tui_resize m 120 40
check tui_predict_120x40 tui_wait m "^Predict: bus.jpg with yolov8n.pt in the yoloport executor, 640x480, [0-9.]+ ms" 5
check tui_predict_person_bus_120x40 sh -c "c=\$($TMUX_CMD capture-pane -p -t m); echo \"\$c\" | grep -q '■ person ' && echo \"\$c\" | grep -q '■ bus ' && echo \"\$c\" | grep -q 'bus 0.87'"
check tui_predict_fits_120 tui_fits m 120
tui_keys m j j
check tui_predict_select tui_wait m "Detections \(6\)" 2

# ---- an ONNX export benchmarked from Compare -----------------------------------------------------
tui_keys m :; tui_type m "export format=onnx imgsz=320"; tui_keys m Enter
if tui_wait m "export success" 240; then pass tui_measure_export; else fail tui_measure_export "$(tui_cap m | tail -6)"; fi
tui_keys m 4
tui_wait m "ONNX +✅ +[0-9.]+ MB" 5
tui_keys m :; tui_type m "benchmark data=$S/data/coco8.yaml runs=1 warmup=0"; tui_keys m Enter
if tui_wait m "ONNX +✅ +[0-9.]+ MB +[0-9.]+ +[0-9.]+ +0\.[0-9]{4}" 400; then pass tui_compare_benchmark_figures
else fail tui_compare_benchmark_figures "$(tui_cap m | head -6)"; fi
check tui_compare_benchmark_done tui_wait m "benchmark of 1 artifact done" 5
# p: the last image predicted again with the selected artifact
tui_keys m p
if tui_wait m "^Predict: bus.jpg with yolov8n-imgsz320.onnx in " 120; then pass tui_compare_predict_artifact; else fail tui_compare_predict_artifact "$(tui_cap m | head -3)"; fi
tui_quit m

# ---- colour modes: 16 colours (grey levels), and NO_COLOR (characters) ---------------------------
tui_start g 80 24 "$D" TERM=xterm -- yolov8n.pt
tui_wait g "YOLOv8n summary" 20
tui_keys g :; tui_type g "predict $BUS"; tui_keys g Enter
check tui_predict_grey tui_wait g "drawn in grey levels" 90
tui_quit g
tui_start n 80 24 "$D" NO_COLOR=1 -- yolov8n.pt
tui_wait n "YOLOv8n summary" 20
tui_keys n :; tui_type n "predict $BUS"; tui_keys n Enter
if tui_wait n "drawn in characters" 90 && tui_cap n | grep -q "# person "; then pass tui_predict_no_color; else fail tui_predict_no_color "$(tui_cap n | head -4)"; fi
tui_quit n
exit 0
