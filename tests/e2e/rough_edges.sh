#!/bin/sh
# The command line's rough edges a new user hit, each checked: the peer's other modes run
# where this build has them and otherwise say in one line that yoloport does not do that
# (never "no such file" or the workbench); Ctrl-C exits 130; a 240-character model name
# exports (temporary names fit wherever the final one does); --theme nope is refused;
# Predict:/Validate: lines quote paths with spaces; under LANG=C the log is ASCII; a check
# that did not run is never shown as passed.  The built-in config keeps it quick.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

# ---- the peer's modes -----------------------------------------------------------------------
one_line() { # NAME TEXT ARGS...: exit 2, one line on stderr holding TEXT, nothing on stdout
    n=$1; text=$2; shift 2
    "$BIN" "$@" </dev/null >"$T/$n.out" 2>"$T/$n.err"
    rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$T/$n.err")" -eq 1 ] && grep -qF "$text" "$T/$n.err" && [ ! -s "$T/$n.out" ] &&
        ! grep -qi "no such file\|workbench" "$T/$n.err"; then pass "$n"
    else fail "$n" "exit $rc: $(cat "$T/$n.err" "$T/$n.out" | head -3)"; fi
}
one_line mode_train "training is not done here" train model=yolov8n.yaml data=coco8.yaml
one_line mode_track "tracking is not done here" track model=yolov8n.yaml source=video.mp4
one_line mode_settings "no Ultralytics settings file here" settings
one_line mode_equals_train "training is not done here" mode=train model=yolov8n.yaml
one_line mode_task_then_train "training is not done here" detect train model=yolov8n.yaml
one_line mode_unknown "mode 'bogus' is not one of yoloport's" mode=bogus model=yolov8n.yaml
"$BIN" version >"$T/version.out" 2>&1
check mode_version grep -qx "yoloport [0-9.]*" "$T/version.out"
"$BIN" mode=info model=yolov8n.yaml >"$T/mode_info.out" 2>&1
check mode_equals_info_runs sh -c "[ $? -eq 0 ] && grep -q 'YOLOv8n summary' '$T/mode_info.out'"
"$BIN" detect export model=yolov8n.yaml format=onnx imgsz=32 verify=False >"$T/task_export.out" 2>&1
check mode_task_then_export_runs sh -c "[ $? -eq 0 ] && [ -s yolov8n.onnx ]"

# ---- Ctrl-C: 130 -------------------------------------------------------------------------------
"$BIN" export model=yolov8n.yaml format=onnx half=True name=sigint >"$T/sigint.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 600 ] && kill -0 "$pid" 2>/dev/null && ! grep -q 'starting export' "$T/sigint.out"; do sleep 0.1; i=$((i + 1)); done
kill -INT "$pid" 2>/dev/null
wait "$pid"
rc=$?
check ctrl_c_exits_130 sh -c "[ $rc -eq 130 ] && grep -q 'cancelled' '$T/sigint.out' && [ ! -e sigint.onnx ]"

# ---- a 240-character name, to a folder format (the longest suffix that fits) -------------------
long=$(printf '%0240d' 0 | tr 0 m)
cp "$ROOT/share/models/yolov8.yaml" "$long.yaml"
"$BIN" export model="$long.yaml" format=openvino imgsz=32 verify=False >"$T/long.out" 2>&1
rc=$?
check long_name_240_openvino sh -c "[ $rc -eq 0 ] && [ -s '${long}_openvino_model/$long.xml' ] && ! grep -q 'File name too long' '$T/long.out'"

# ---- --theme nope: refused, nothing starts -------------------------------------------------------
"$BIN" --theme nope </dev/null >"$T/theme.out" 2>&1
rc=$?
check theme_nope_refused sh -c "[ $rc -eq 2 ] && grep -q 'theme nope: no such theme (dark, high-contrast, light, mono)' '$T/theme.out'"

# ---- Predict:/Validate: lines a shell reads back ---------------------------------------------------
mkdir "my dir"
"$BIN" export model=yolov8n.yaml format=onnx imgsz=32 verify=False project="my dir" >"$T/space.out" 2>&1
check predict_line_quotes_spaces grep -q "^Predict: *yolo predict task=detect model='my dir/yolov8n.onnx' imgsz=32" "$T/space.out"
check validate_line_quotes_spaces grep -q "^Validate: *yolo val task=detect model='my dir/yolov8n.onnx' imgsz=32" "$T/space.out"

# ---- LANG=C: ASCII; an unchecked export is never ✅ -----------------------------------------------
LANG=C LC_ALL=C "$BIN" export model=yolov8n.yaml format=onnx imgsz=32 verify=False name=ascii >"$T/ascii.out" 2>&1
check lang_c_log_is_ascii sh -c "! LC_ALL=C grep -q '[^[:print:][:space:]]' '$T/ascii.out' && grep -q '^ONNX: export success -- .*written, not checked' '$T/ascii.out' && grep -q '^yoloport [0-9.]* C11' '$T/ascii.out'"
"$BIN" export model=yolov8n.yaml format=onnx imgsz=32 verify=False name=unchecked >"$T/unchecked.out" 2>&1
check unchecked_never_passed sh -c "grep -q '^ONNX: export success – .*written, not checked against the source' '$T/unchecked.out' && ! grep -q '✅ passed\|success ✅' '$T/unchecked.out'"
exit 0
