#!/bin/sh
# dynamic=True for the TensorFlow formats (saved_model, pb, tfjs, tflite): yolov8n.pt exported
# with a [1, -1, -1, 3] input (TF Lite: shape_signature), read back and run at 640x640 and
# 480x640 (the anchors by Cumsum, the upsampling's size computed in the graph), predict on
# bus.jpg, val on coco8 at the peer's rect letterboxes (mAP50-95 0.638 as PyTorch), the web
# model in real TF.js at 480x640 and the TF Lite file in LiteRT.js (at its declared 640x640:
# LiteRT.js has no call to resize an input) against our executor's run of the source graph.
. "$(dirname "$0")/lib.sh"
DRIVER=build/asan/tests/test_tfjs
if [ ! -x "$DRIVER" ]; then skip tf_dynamic "build/asan/tests/test_tfjs missing (make unit-tests)"; exit 0; fi
if ! need_shared; then skip tf_dynamic "../shared not present"; exit 0; fi
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then skip tf_dynamic "python3-numpy missing"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$YOLOPORT_SHARED/models/yolov8n.pt" "$tmp/"
D="$YOLOPORT_SHARED/data"

# cmp_out NAME GOT WANT SHAPE TOL: the arrays have SHAPE and differ by at most TOL
cmp_out() {
    /usr/bin/python3 - "$@" <<'PY'
import sys, numpy as np
name, got, want, shape, tol = sys.argv[1:6]
a, b = np.load(got).astype(np.float64), np.load(want).astype(np.float64)
if str(list(a.shape)) != shape or a.shape != b.shape:
    print(f"{name}: shape {a.shape} vs {b.shape}, want {shape}"); sys.exit(1)
d = float(np.abs(a - b).max())
print(f"# {name}: {shape} max |diff| {d:.3g} (limit {tol})")
sys.exit(0 if d <= float(tol) else 1)
PY
}

/usr/bin/python3 -c "
import numpy as np
rng = np.random.default_rng(7)
np.save('$tmp/in640.npy', rng.random((1, 3, 640, 640), dtype=np.float32))
np.save('$tmp/in480.npy', rng.random((1, 3, 480, 640), dtype=np.float32))"
# the source graph (built as dynamic=True builds it for these formats) at both sizes
$DRIVER --export "$tmp/yolov8n.pt" "$tmp/ref_web_model" dynamic ref="$tmp/in640.npy" refout="$tmp/ref640" >/dev/null 2>&1
$DRIVER --export "$tmp/yolov8n.pt" "$tmp/ref_web_model" dynamic ref="$tmp/in480.npy" refout="$tmp/ref480" >"$tmp/ref.json" 2>&1
check tf_dynamic_reference test -f "$tmp/ref640/output0.npy" -a -f "$tmp/ref480/output0.npy"

for f in saved_model pb tfjs tflite; do
    case $f in
    saved_model) art="$tmp/yolov8n_saved_model" ;;
    pb) art="$tmp/yolov8n.pb" ;;
    tfjs) art="$tmp/yolov8n_web_model" ;;
    tflite) art="$tmp/yolov8n_saved_model/yolov8n_float32.tflite" ;;
    esac
    if $BIN export model="$tmp/yolov8n.pt" format=$f dynamic=True >"$tmp/$f.export" 2>&1; then
        pass "tf_dynamic_${f}_export"
    else
        fail "tf_dynamic_${f}_export" "$(tail -n 3 "$tmp/$f.export")"; continue
    fi
    if [ $f != tflite ]; then # TF Lite's files are checked at 480x640 by the runs below
        check "tf_dynamic_${f}_export_checks_another_size" grep -q "check at another size ✅ passed: the model as read back at 480x640" "$tmp/$f.export"
    fi
    if [ $f != pb ] && [ $f != tflite ]; then
        check "tf_dynamic_${f}_metadata_says_dynamic" grep -qx '  dynamic: true' "$art/metadata.yaml"
    fi
    $DRIVER --run "$art" "$tmp/in640.npy" "$tmp/${f}640" >"$tmp/$f.run" 2>&1
    check "tf_dynamic_${f}_input_hw_unknown" grep -q '"input":\[1,3,-1,-1\]' "$tmp/$f.run"
    check "tf_dynamic_${f}_640x640" cmp_out "$f 640x640" "$tmp/${f}640/output0.npy" "$tmp/ref640/output0.npy" "[1, 84, 8400]" 1e-3
    $DRIVER --run "$art" "$tmp/in480.npy" "$tmp/${f}480" >/dev/null 2>&1
    check "tf_dynamic_${f}_480x640" cmp_out "$f 480x640" "$tmp/${f}480/output0.npy" "$tmp/ref480/output0.npy" "[1, 84, 6300]" 1e-3
    # bus.jpg (1080x810) letterboxed to 640x480 (6300 anchors): 4 people and the bus (conf 0.25)
    $BIN predict model="$art" source="$D/images/bus.jpg" --json >"$tmp/$f.pred" 2>"$tmp/$f.pred.err"
    check "tf_dynamic_${f}_predict_bus" [ "$(/usr/bin/python3 -c "
import json; d = json.loads(open('$tmp/$f.pred').readline())['detections']
print(sum(x['class'] == 0 for x in d), sum(x['class'] == 5 for x in d))")" = "4 1" ]
    # val in the release build (ASan's build has run the same file above)
    "${YOLOPORT_REL_BIN:-build/yoloport}" val model="$art" data="$D/coco8.yaml" --json >"$tmp/$f.val" 2>"$tmp/$f.val.err"
    m=$(/usr/bin/python3 -c "import json; print(round(json.load(open('$tmp/$f.val'))['metrics/mAP50-95(B)'], 4))" 2>/dev/null)
    echo "# $f dynamic=True val coco8: mAP50-95 $m (PyTorch 0.638)"
    check "tf_dynamic_${f}_val_rect_map" /usr/bin/python3 -c "import sys; sys.exit(0 if abs(float('${m:-0}') - 0.638) <= 0.01 else 1)"
done

# 3. the web model in real TF.js at 480x640
RUNNER=tests/node/run_tfjs.js
if ! command -v node >/dev/null 2>&1 || [ ! -d tests/node/node_modules/@tensorflow/tfjs ]; then
    skip tf_dynamic_tfjs_real "node or @tensorflow/tfjs missing (make deps)"; exit 0
fi
node $RUNNER "$tmp/yolov8n_web_model" --info >"$tmp/info.json" 2>&1
check tf_dynamic_tfjs_real_input grep -q '"dims":\[1,-1,-1,3\]' "$tmp/info.json"
node $RUNNER "$tmp/yolov8n_web_model" images="$tmp/in480.npy" --nchw --out "$tmp/tfjs480" >"$tmp/tfjs480.json" 2>&1
check tf_dynamic_tfjs_real_480x640 cmp_out "TF.js 480x640" "$tmp/tfjs480/Identity.npy" "$tmp/ref480/output0.npy" "[1, 84, 6300]" 0.01

# 4. the TF Lite file in LiteRT.js: its declared shape, boxes as fractions of it
if [ ! -d tests/node/node_modules/@litertjs/core ]; then
    skip tf_dynamic_litert "@litertjs/core missing (make deps)"; exit 0
fi
node tests/node/run_tflite.mjs "$tmp/yolov8n_saved_model/yolov8n_float32.tflite" "$tmp/in640.npy" --nchw --out "$tmp/lite640" >"$tmp/lite640.json" 2>/dev/null
/usr/bin/python3 -c "
import numpy as np
a = np.load('$tmp/lite640/output_0.npy').copy()
a[:, 0:4] *= 640
np.save('$tmp/lite640/pixels.npy', a)" 2>/dev/null
check tf_dynamic_litert_640x640 cmp_out "LiteRT.js 640x640" "$tmp/lite640/pixels.npy" "$tmp/ref640/output0.npy" "[1, 84, 8400]" 0.01
