#!/bin/sh
# The TensorFlow exports checked in real runtimes and independent readers:
#   - TF Lite in LiteRT.js (Google's TF Lite with XNNPACK, WebAssembly; tests/node/run_tflite.mjs):
#     yolov8n.pt and yolo11n-seg.pt at 640 (float32) against the peer's PyTorch outputs (input
#     transposed to NHWC; the TF Lite boxes are fractions of the input size, as the peer's, so
#     they are scaled back: boxes within 0.05 px, scores within 1e-3, protos within 1e-3), the
#     float16 file within 1e-2 of the largest value; the built-in pose, obb and cls configs at
#     320 against our executor;
#   - TF Lite in Arm NN (its own TF Lite parser, CpuRef backend; slow): the yolov8n config at 160
#     against our executor;
#   - the GraphDef of yolov8n.pt (160), decoded with Google's protobuf library and run in TF.js
#     as tfjs-converter's graph model (modelTopology = the GraphDef as protobuf JSON, weights in
#     the manifest), against our executor; the SavedModel's saved_model.pb decoded: serving
#     signature, and its graph equal to the GraphDef's.
# Exports use the release binary ($YOLOPORT_REL_BIN); references come from our executor through
# build/asan/tests/test_tflite --ref.  One export per model serves every check on it.
. "$(dirname "$0")/lib.sh"
ROOT="$(pwd)"
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
DRIVER="$ROOT/build/asan/tests/test_tflite"
LITE="node $ROOT/tests/node/run_tflite.mjs"
TFJS="node $ROOT/tests/node/run_tfjs.js"
PY=/usr/bin/python3
CHK="$ROOT/tests/tf_check.py"
if [ ! -x "$DRIVER" ] || [ ! -x "$REL" ]; then skip tflite "build/yoloport or build/asan/tests/test_tflite missing (make unit-tests)"; exit 0; fi
if ! $PY -c 'import numpy' 2>/dev/null; then skip tflite "python3-numpy missing"; exit 0; fi
have_lite=1
if ! command -v node >/dev/null 2>&1 || [ ! -d tests/node/node_modules/@litertjs/core ]; then have_lite=0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

# cmp NAME GOT WANT ARGS...: tf_check.py's PASS/FAIL lines (cmprel: limits relative to the reference)
cmp() { $PY "$CHK" cmp "$@"; }
cmprel() { $PY "$CHK" cmprel "$@"; }
export_fmt() { # LOG MODEL FORMAT [ARGS...]: the export, its log kept
    _log=$1 _model=$2 _format=$3
    shift 3
    "$REL" export "model=$_model" "format=$_format" "$@" >"$_log" 2>&1
}
t0=$(date +%s)

# 1. LiteRT.js: the real checkpoints against the peer
if [ $have_lite = 0 ]; then
    skip tflite_litert "node or @litertjs/core missing (make deps)"
elif ! need_shared; then
    skip tflite_litert_peer "../shared not present"
else
    P="$YOLOPORT_SHARED/reference/peer"
    ln -s "$YOLOPORT_SHARED/models/yolov8n.pt" yolov8n.pt
    ln -s "$YOLOPORT_SHARED/models/yolo11n-seg.pt" yolo11n-seg.pt
    export_fmt v8.log yolov8n.pt tflite
    check tflite_v8_export grep -q "saved as 'yolov8n_saved_model/yolov8n_float32.tflite'" v8.log
    check tflite_v8_files test -f yolov8n_saved_model/yolov8n_float16.tflite -a -f yolov8n_saved_model/saved_model.pb \
        -a -d yolov8n_saved_model/variables -a -f yolov8n_saved_model/metadata.yaml
    check tflite_v8_builtin_check grep -q "check numeric: passed" v8.log
    # the peer's metadata embedded as the peer embeds it: a zip entry metadata.json after the flatbuffer
    check tflite_v8_metadata $PY -c "
import json, zipfile, sys
m = json.loads(zipfile.ZipFile('yolov8n_saved_model/yolov8n_float32.tflite').read('metadata.json'))
sys.exit(not (m['task'] == 'detect' and m['imgsz'] == [640, 640] and m['names']['0'] == 'person' and m['stride'] == 32))"
    $LITE yolov8n_saved_model/yolov8n_float32.tflite "$P/yolov8n.input.npy" --nchw --out v8 >v8run.json 2>/dev/null
    check tflite_v8_interface grep -q '"inputs":\[{"name":"images","dtype":"float32","dims":\[1,640,640,3\]}\],"outputs":\[{"name":"output_0","dtype":"float32","dims":\[1,84,8400\]' v8run.json
    echo "# yolov8n 640 in LiteRT.js: $(grep -o '"run_ms":[0-9]*' v8run.json)"
    cmp tflite_v8_matches_peer v8/output_0.npy "$P/yolov8n.output.npy" --scale 0:4:640 0:4 0.05 4: 1e-3
    $LITE yolov8n_saved_model/yolov8n_float16.tflite "$P/yolov8n.input.npy" --nchw --out v8h >/dev/null 2>&1
    cmprel tflite_v8_float16_matches_peer v8h/output_0.npy "$P/yolov8n.output.npy" --scale 0:4:640 0:4 1e-2 4: 1e-2
    check tflite_v8_float16_size $PY -c "
import os, sys
a, b = (os.path.getsize('yolov8n_saved_model/yolov8n_float%d.tflite' % k) for k in (32, 16))
sys.exit(not (0.45 < b / a < 0.55))"

    export_fmt seg.log yolo11n-seg.pt tflite
    check tflite_seg_export grep -q "saved as 'yolo11n-seg_saved_model/yolo11n-seg_float32.tflite'" seg.log
    $LITE yolo11n-seg_saved_model/yolo11n-seg_float32.tflite "$P/yolo11n-seg.input.npy" --nchw --to-nchw --out seg >segrun.json 2>/dev/null
    check tflite_seg_interface grep -q '"dims":\[1,116,8400\].*"dims":\[1,32,160,160\]' segrun.json
    cmp tflite_seg_matches_peer seg/output_0.npy "$P/yolo11n-seg.output.npy" --scale 0:4:640 0:4 0.05 4: 1e-3
    cmp tflite_seg_protos_match_peer seg/output_1.npy "$P/yolo11n-seg.protos.npy" : 1e-3
fi

# 2. LiteRT.js: the built-in pose, obb and cls configs at 320 against our executor
$PY -c "
import numpy as np
rng = np.random.default_rng(7)
np.save('in320.npy', rng.random((1, 3, 320, 320), dtype=np.float32))
np.save('in160.npy', rng.random((1, 3, 160, 160), dtype=np.float32))"
if [ $have_lite = 1 ]; then
    for m in yolo11n-pose yolo11n-obb yolo11n-cls; do
        export_fmt "$m.log" "$m.yaml" tflite imgsz=320
        "$DRIVER" --ref "$m.yaml" in320.npy "ref_$m" imgsz=320 unit >/dev/null 2>&1
        $LITE "${m}_saved_model/${m}_float32.tflite" in320.npy --nchw --out "lite_$m" >/dev/null 2>&1
        cmp "tflite_${m#yolo11n-}_matches_exec" "lite_$m/output_0.npy" "ref_$m/output0.npy" : 1e-4
    done
fi

# 3. Arm NN (CpuRef): the yolov8n config at 160 against our executor
export_fmt arm.log yolov8n.yaml tflite imgsz=160
"$DRIVER" --ref yolov8n.yaml in160.npy ref160 imgsz=160 unit >/dev/null 2>&1
$PY "$CHK" armnn yolov8n_saved_model/yolov8n_float32.tflite in160.npy arm160.npy >arm.txt 2>&1
case $? in
0) cmp tflite_armnn_matches_exec arm160.npy ref160/output0.npy : 1e-4 ;;
3) skip tflite_armnn "$(grep -v '^Your' arm.txt | tail -1) (python3-pyarmnn, libarmnn-cpuref-backend22: make deps)" ;;
*) fail tflite_armnn "$(tail -3 arm.txt)" ;;
esac

# 4. GraphDef in TF.js through tfjs-converter's graph model; the SavedModel decoded
if ! $PY -c 'import google.protobuf' 2>/dev/null || ! command -v protoc-c >/dev/null 2>&1; then
    skip tflite_graphdef "python3-protobuf or protoc-c missing (make deps)"
elif ! need_shared; then
    skip tflite_graphdef "../shared not present"
else
    [ -e yolov8n.pt ] || ln -s "$YOLOPORT_SHARED/models/yolov8n.pt" yolov8n.pt
    protoc-c --proto_path="$ROOT/formats/proto" --include_imports --descriptor_set_out=tf.desc \
        "$ROOT/formats/proto/tensorflow/saved_model.proto"
    rm -rf yolov8n_saved_model
    export_fmt pb.log yolov8n.pt pb imgsz=160
    check tflite_pb_export grep -q "saved as 'yolov8n.pb'" pb.log
    export_fmt sm.log yolov8n.pt saved_model imgsz=160
    check tflite_saved_model_export grep -q "saved as 'yolov8n_saved_model'" sm.log
    check tflite_saved_model_pb_runs_against_source grep -Eq "^TensorFlow SavedModel: check against the source ✅ passed: saved_model\.pb read back in our executor: output0 max \|Δ\| 0 " sm.log
    "$DRIVER" --ref yolov8n.pt in160.npy ref_pb imgsz=160 >/dev/null 2>&1
    if $PY "$CHK" pb2tfjs tf.desc yolov8n.pb pb_web_model >pb2tfjs.txt 2>&1; then
        pass tflite_pb_decodes
        if [ -d "$ROOT/tests/node/node_modules/@tensorflow/tfjs" ]; then
            $TFJS pb_web_model images=in160.npy --nchw --out pb_out >pbrun.json 2>&1
            check tflite_pb_runs_in_tfjs grep -q '"dims":\[1,84,525\]' pbrun.json
            cmp tflite_pb_matches_exec pb_out/Identity.npy ref_pb/output0.npy 0:4 0.01 4: 1e-4
        else
            skip tflite_pb_tfjs "@tensorflow/tfjs missing (make deps)"
        fi
    else
        fail tflite_pb_decodes "$(tail -3 pb2tfjs.txt)"
    fi
    if $PY "$CHK" savedmodel tf.desc yolov8n_saved_model yolov8n.pb >sm.txt 2>&1; then
        pass "tflite_saved_model_signature_and_graph ($(cat sm.txt))"
    else
        fail tflite_saved_model_signature_and_graph "$(tail -3 sm.txt)"
    fi
    # format=tflite leaves a SavedModel whose boxes are fractions, as its TF Lite files: predict
    # on that folder still gives pixels (its normalize node is found), as on a format=saved_model one
    mkdir tl && ln -s "$YOLOPORT_SHARED/models/yolov8n.pt" tl/yolov8n.pt
    (cd tl && export_fmt tl.log yolov8n.pt tflite imgsz=160)
    "$REL" predict model=tl/yolov8n_saved_model source="$YOLOPORT_SHARED/data/images/bus.jpg" --json >tlsm.json 2>/dev/null
    "$REL" predict model=yolov8n_saved_model source="$YOLOPORT_SHARED/data/images/bus.jpg" --json >sm.json 2>/dev/null
    check tflite_saved_model_of_tflite_boxes_in_pixels $PY -c "
import json, sys
a = json.load(open('tlsm.json'))['detections']; b = json.load(open('sm.json'))['detections']
bus = lambda d: [x['box'] for x in d if x['name'] == 'bus']
sys.exit(not (bus(a) and bus(b) and max(bus(a)[0]) > 500 and
              all(abs(p - q) < 1.0 for p, q in zip(bus(a)[0], bus(b)[0]))))"
fi
echo "# tflite.sh: $(($(date +%s) - t0)) s"
