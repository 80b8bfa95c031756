# The front door opens every model kind by content: OpenVINO IR folders and .xml files.
. tests/e2e/lib.sh
if ! need_shared; then
    skip "open: OpenVINO IR folder" "../shared is absent"
    skip "open: OpenVINO IR xml" "../shared is absent"
    exit 0
fi
ir="$YOLOPORT_SHARED/reference/openvino/yolov8n_int8_openvino_model"
out=$("$BIN" info "$ir" 2>&1); rc=$?
check "open: OpenVINO IR folder exits 0" [ "$rc" -eq 0 ]
check "open: OpenVINO IR folder: task and output" sh -c 'echo "$1" | grep -q "^task: *detect" && echo "$1" | grep -q "output0 \[1, 84, 8400\]"' _ "$out"
check "open: OpenVINO IR folder: source and FakeQuantize" sh -c 'echo "$1" | grep -q "^source: *openvino" && echo "$1" | grep -q "FakeQuantize 66"' _ "$out"
out=$("$BIN" info "$ir/yolov8n.xml" --json 2>&1); rc=$?
check "open: OpenVINO IR xml --json" sh -c '[ "$1" -eq 0 ] && echo "$2" | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"task\"]==\"detect\" and len(d[\"names\"])==80 and d[\"source\"][\"format\"]==\"openvino\""' _ "$rc" "$out"
tmp=$(mktemp -d)
cp "$ir/yolov8n.xml" "$tmp/"
out=$("$BIN" info "$tmp/yolov8n.xml" 2>&1); rc=$?
check "open: OpenVINO xml without its .bin fails with a message" sh -c '[ "$1" -ne 0 ] && echo "$2" | grep -q "yolov8n"' _ "$rc" "$out"
rm -rf "$tmp"
