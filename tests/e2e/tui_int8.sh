#!/bin/sh
# The workbench's INT8 export: `:export format=onnx int8=True data=coco8.yaml` on the real
# yolov8n.pt calibrates inside the job -- the Jobs screen shows its calibration stage with a
# progress bar -- and the export's row in Compare names the precision as it computes and its
# accuracy against fp32 ("0.6xx (−0.0xx vs fp32)").  (ASan binary at imgsz 320.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/tui_lib.sh"
if ! command -v tmux >/dev/null 2>&1; then skip tui_int8 "tmux missing"; exit 0; fi
if ! need_shared; then skip tui_int8 "no ../shared models"; exit 0; fi
D="$TUI_TMP/int8"; mkdir -p "$D"
cp "$YOLOPORT_SHARED/models/yolov8n.pt" "$D/"
tui_start q 160 40 "$D" -- yolov8n.pt
tui_wait q "YOLOv8n summary" 30
tui_keys q :
tui_type q "export format=onnx int8=True imgsz=320 data=$YOLOPORT_SHARED/data/coco8.yaml"
tui_keys q Enter
tui_keys q 3
# the job's stage while it calibrates, with its bar (the fraction as the widget draws it)
if tui_wait q "ONNX: calibrate" 60; then pass tui_int8_calibration_stage_shown
else fail tui_int8_calibration_stage_shown "$(tui_cap q | sed -n 1,8p)"; fi
check tui_int8_calibration_logged tui_wait q "ONNX: calibration data: 4 images of split 'val'" 60
# at 320 INT8 costs yolov8n about 0.05 of COCO8's mAP50-95: the export is written, checked or ❎
if tui_wait q "export (success ✅|written ❎)" 300; then pass tui_int8_export_written; else fail tui_int8_export_written "$(tui_cap q | tail -12)"; fi
check tui_int8_file_exists test -s "$D/yolov8n-imgsz320_int8.onnx"  # named by its arguments (the suffix says int8)
tui_keys q 4
if tui_wait q "ONNX +(✅|❎) .*0\.[0-9]{3} \([−+]0\.[0-9]{3} vs fp32\).*int8 \(QDQ, per-channel\)" 5; then pass tui_int8_compare_precision_and_accuracy
else fail tui_int8_compare_precision_and_accuracy "$(tui_cap q | sed -n 1,8p)"; fi
tui_quit q
exit 0
