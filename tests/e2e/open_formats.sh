# The front door opens every model kind by content: OpenVINO IR folders and .xml files, TF Lite
# files; a kind it recognises but does not read (a TF.js web model, a TensorFlow GraphDef or
# SavedModel) is named, with what to open instead.
. tests/e2e/lib.sh
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
web=$(mktemp -d)
(cd "$web" && "$BIN" export model=yolov8n.yaml format=tfjs imgsz=64 verify=False >/dev/null 2>&1)
out=$("$BIN" info "$web/yolov8n_web_model" 2>&1); rc=$?
check "open: a TF.js web model is read: its input, its shapes inferred, the task from metadata.yaml" sh -c '[ "$1" -eq 0 ] && echo "$2" | grep -q "^source: *tfjs" && echo "$2" | grep -q "^input: *images \[1, 64, 64, 3\] float32" && echo "$2" | grep -q "^output: *Identity \[1, 84, 84\] float32" && echo "$2" | grep -q "^task: *detect"' _ "$rc" "$out"
rm -rf "$web"
# TF Lite is read: tensors, types, quantisation parameters, operator counts, the peer's metadata;
# a GraphDef and a SavedModel are read too (their graphs, the SavedModel's metadata.yaml)
tf=$(mktemp -d)
(cd "$tf" && "$BIN" export model=yolov8n.yaml format=tflite imgsz=64 half=True verify=False >/dev/null 2>&1 &&
    "$BIN" export model=yolov8n.yaml format=pb imgsz=64 verify=False >/dev/null 2>&1)
out=$("$BIN" info "$tf/yolov8n_saved_model/yolov8n_float16.tflite" 2>&1); rc=$?
check "open: a TF Lite file: source, interface and task" sh -c '[ "$1" -eq 0 ] && echo "$2" | grep -q "^source: *tflite, schema 3" && echo "$2" | grep -q "^input: *serving_default_images:0 \[1, 64, 64, 3\] float32" && echo "$2" | grep -q "^task: *detect"' _ "$rc" "$out"
check "open: a TF Lite file: operator counts, float16 tensors, stored weights" sh -c 'echo "$1" | grep -q "tflite.operators: .*CONV_2D 64" && echo "$1" | grep -q "tflite.tensor_types: .*FLOAT16" && echo "$1" | grep -q "^weights: *3,151,905 values"' _ "$out"
out=$("$BIN" info tests/fuzz/corpus/fuzz_tflite/int8_per_axis.tflite 2>&1); rc=$?
check "open: a TF Lite file: quantisation parameters" sh -c '[ "$1" -eq 0 ] && echo "$2" | grep -q "tflite.quantization: q: scale 0.5 zero_point 1 (+3 more along axis 0)"' _ "$rc" "$out"
out=$("$BIN" info "$tf/yolov8n_saved_model" 2>&1); rc=$?
check "open: a SavedModel is read: its input, its shapes inferred, the task from metadata.yaml" sh -c '[ "$1" -eq 0 ] && echo "$2" | grep -q "^source: *saved_model" && echo "$2" | grep -q "^input: *images \[1, 64, 64, 3\] float32" && echo "$2" | grep -q "^output: *Identity \[1, 84, 84\] float32" && echo "$2" | grep -q "^task: *detect"' _ "$rc" "$out"
out=$("$BIN" info "$tf/yolov8n.pb" 2>&1); rc=$?
check "open: a GraphDef is read: its input, its shapes inferred, its convolutions" sh -c '[ "$1" -eq 0 ] && echo "$2" | grep -q "^source: *pb" && echo "$2" | grep -q "^input: *images \[1, 64, 64, 3\] float32" && echo "$2" | grep -q "^output: *Identity \[1, 84, 84\] float32" && echo "$2" | grep -q "^ops: .*Conv 64"' _ "$rc" "$out"
head -c 5000 "$tf/yolov8n_saved_model/yolov8n_float16.tflite" >"$tf/cut.tflite"
out=$("$BIN" info "$tf/cut.tflite" 2>&1); rc=$?
check "open: a truncated TF Lite file is refused, naming it" sh -c '[ "$1" -ne 0 ] && echo "$2" | grep -q "cut.tflite: malformed TF Lite flatbuffer"' _ "$rc" "$out"
rm -rf "$tf"
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
# the peer's int8 IR runs end to end in the executor (its box decoding slices with bounds
# computed by ScatterUpdate under begin/end masks): the peer's fp32 detections on bus.jpg, and
# val on coco8 near the fp32 model's 0.609
out=$("$BIN" predict model="$ir" source="$YOLOPORT_SHARED/data/images/bus.jpg" --json 2>&1); rc=$?
check "open: the peer's int8 IR predicts bus.jpg: a bus and four persons" sh -c '[ "$1" -eq 0 ] && echo "$2" | /usr/bin/python3 -c "
import json, sys
d = json.loads([l for l in sys.stdin.read().splitlines() if l.startswith(\"{\")][-1])[\"detections\"]
strong = sorted(x[\"name\"] for x in d if x[\"conf\"] >= 0.5)
assert strong == [\"bus\", \"person\", \"person\", \"person\"], strong
assert sum(1 for x in d if x[\"name\"] == \"person\") >= 4, d
"' _ "$rc" "$out"
tmp=$(mktemp -d)
out=$(cd "$tmp" && "$BIN" val model="$ir" data="$YOLOPORT_SHARED/data/coco8.yaml" 2>&1); rc=$?
check "open: the peer's int8 IR validates on coco8 (mAP50-95 within 0.05 of fp32's 0.609)" sh -c '[ "$1" -eq 0 ] && echo "$2" | awk "\$1 == \"all\" { found = 1; if (\$7 < 0.559 || \$7 > 0.659) exit 1 } END { exit !found }"' _ "$rc" "$out"
rm -rf "$tmp"
