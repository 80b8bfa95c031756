# The front door opens every model kind by content: OpenVINO IR folders and .xml files; a kind
# it recognises but does not read (a TF.js web model) is named, with what to open instead.
. tests/e2e/lib.sh
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
web=$(mktemp -d)
(cd "$web" && "$BIN" export model=yolov8n.yaml format=tfjs imgsz=64 verify=False >/dev/null 2>&1)
out=$("$BIN" info "$web/yolov8n_web_model" 2>&1); rc=$?
check "open: a TF.js web model is recognised, not read" sh -c '[ "$1" -eq 1 ] && echo "$2" | grep -q "yolov8n_web_model: a TensorFlow.js graph model; yoloport writes TF.js but does not read it back"' _ "$rc" "$out"
rm -rf "$web"
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
# its source is OpenVINO's own: the IR version and network name, nothing said as ONNX
check "open: OpenVINO IR folder: source says OpenVINO, not ONNX" sh -c 'echo "$1" | grep -q "^source: *openvino, IR version 11, network main_graph, Ultralytics 8.1.22" && ! echo "$1" | grep -qi "opset\|ir_version\|producer\|onnx"' _ "$out"
out=$("$BIN" info "$ir/yolov8n.xml" --json 2>&1); rc=$?
check "open: OpenVINO IR xml --json" sh -c '[ "$1" -eq 0 ] && echo "$2" | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"task\"]==\"detect\" and len(d[\"names\"])==80 and d[\"source\"][\"format\"]==\"openvino\""' _ "$rc" "$out"
check "open: OpenVINO IR xml --json: OpenVINO's source keys" sh -c 'echo "$1" | /usr/bin/python3 -c "import json,sys; s=json.load(sys.stdin)[\"source\"]; assert (s[\"ir_version\"], s[\"network\"]) == (11, \"main_graph\") and \"opset\" not in s and \"producer\" not in s"' _ "$out"
out=$("$BIN" info "$ir" imgsz=320 2>&1 >/dev/null); rc=$?
check "open: OpenVINO IR: imgsz is ignored, naming OpenVINO" sh -c '[ "$1" -eq 0 ] && echo "$2" | grep -q "imgsz is ignored for OpenVINO files"' _ "$rc" "$out"
tmp=$(mktemp -d)
cp "$ir/yolov8n.xml" "$tmp/"
out=$("$BIN" info "$tmp/yolov8n.xml" 2>&1); rc=$?
check "open: OpenVINO xml without its .bin fails with a message" sh -c '[ "$1" -ne 0 ] && echo "$2" | grep -q "yolov8n"' _ "$rc" "$out"
rm -rf "$tmp"
