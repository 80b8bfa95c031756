#!/bin/sh
# The model families beyond YOLOv8/YOLO11 end to end: each of the peer's family checkpoints
# (../shared/reference/families) exports to ONNX, TorchScript and OpenVINO through the pipeline
# (its own check against the source passes) and to TF.js and TF Lite where TensorFlow has the ops (elsewhere the
# export is refused by op name before anything is written); the ONNX files run in onnxruntime
# and the archives in torch.jit.load and reproduce the peer's outputs (tests/families_check.py:
# end-to-end rows as sets where the top-k chose among equal scores; the candidates come from
# our executor); the YOLO12 and YOLO-World web models run in TF.js like our executor.  At 160 they
# export to NCNN, MNN, SavedModel and GraphDef (checked in our executor as read back; the
# GraphDefs run in TF.js like our executor), or are refused by op name with nothing written
# (TopK, Pad, ReduceMean, YOLO12's area attention folded into the batch axis for ncnn).  Built from configs at a
# small size: YOLOv3-tinyu (zero padding), YOLOv5u, YOLOv6 and YOLOv8-P2 export to every format
# and run in onnxruntime, torch and TF.js like our executor.  `info` for a family config.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
case "$REL" in /*) ;; *) REL="$ROOT/$REL" ;; esac
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
RUN="$ROOT/build/asan/tests/test_families"
PY=/usr/bin/python3
CHECK="$PY $ROOT/tests/families_check.py"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
yes_no() { if "$@" >/dev/null 2>&1; then echo yes; else echo no; fi; }
HAVE_ORT=no; HAVE_TFJS=no
if command -v node >/dev/null 2>&1; then
    [ -d "$ROOT/tests/node/node_modules/onnxruntime-node" ] && HAVE_ORT=yes
    [ -d "$ROOT/tests/node/node_modules/@tensorflow/tfjs" ] && HAVE_TFJS=yes
fi
HAVE_NUMPY=$(yes_no $PY -c 'import numpy')
HAVE_TORCH=$(yes_no $PY -c 'import torch, numpy')
have_ort() { [ $HAVE_ORT = yes ]; }
have_tfjs() { [ $HAVE_TFJS = yes ]; }
have_torch() { [ $HAVE_TORCH = yes ]; }
have_numpy() { [ $HAVE_NUMPY = yes ]; }
# later ARGS...: a families_check.py check (compare/torch ARGS), run with the others at the end
# in one process
later() { printf '%s\t' "$@" >>"$T/checks"; echo >>"$T/checks"; }
run_checks() { if [ -s "$T/checks" ]; then $CHECK batch "$T/checks"; fi; }
# export NAME ARGS...: PASS when the export and its check succeed (output in $T/NAME.out)
export_ok() {
    n=$1; shift
    "$REL" export "$@" >"$T/$n.out" 2>&1
    # a check that did not run is "export success – ...: written, not checked", never ✅
    if [ $? -eq 0 ] && { { grep -q "check against the source ✅ passed" "$T/$n.out" && grep -q "export success ✅" "$T/$n.out"; } ||
        { grep -q "check against the source – skipped" "$T/$n.out" && grep -q "export success – .*written, not checked" "$T/$n.out"; }; }; then
        pass "$n"
    else
        fail "$n" "$(grep -E 'ERROR|error|failure' "$T/$n.out" | head -n 2)"
    fi
}
# refused NAME TEXT ARGS...: the export fails naming TEXT, and nothing is written
refused() {
    n=$1; text=$2; shift 2
    before=$(ls -A "$T/m" | sort)
    "$REL" export "$@" >"$T/$n.out" 2>&1
    rc=$?
    after=$(ls -A "$T/m" | sort)
    if [ $rc -ne 0 ] && grep -qF -- "$text" "$T/$n.out" && [ "$before" = "$after" ]; then pass "$n"
    else fail "$n" "exit $rc, wanted a refusal naming '$text' with nothing written"; fi
}

# ---- info for a config (the peer's numbers: configs.json) ---------------------------------
"$BIN" info yolov10n.yaml >"$T/info.out" 2>&1
check info_yolov10n_yaml grep -qxF "YOLOv10n summary: 223 layers, 2,775,520 parameters, 2,775,504 gradients, 8.7 GFLOPs" "$T/info.out"
check info_yolov10n_yaml_fused grep -qE "^YOLOv10n summary \(fused\): 102 layers, 2,299,264 parameters" "$T/info.out"
check info_yolov10n_yaml_output grep -qE "^output: +output0 \[1, 300, 6\]" "$T/info.out"
"$BIN" info rtdetr-l.yaml >"$T/info_rt.out" 2>&1
check info_rtdetr_l_yaml grep -qE "^rtdetr-l summary: 457 layers, 32,970,476 parameters" "$T/info_rt.out"
# the peer's fused line has no "(fused)" label when 10 or more normalisation modules remain
check info_rtdetr_l_yaml_fused_unlabelled grep -qE "^rtdetr-l summary: 302 layers, 32,148,140 parameters" "$T/info_rt.out"

# ---- the peer's family checkpoints ----------------------------------------------------------
if ! need_shared || [ ! -d "$YOLOPORT_SHARED/reference/families" ]; then
    skip families_checkpoints "../shared/reference/families not present"
else
    F="$YOLOPORT_SHARED/reference/families"
    IN="$YOLOPORT_SHARED/reference/peer/yolov8n.input.npy"
    mkdir -p "$T/m"
    for m in yolov9t yolov10n yolo12n yolo12n-seg yolov8n-ghost yolov8n-worldv2 rtdetr-mini; do
        cp "$F/$m-random.pt" "$T/m/"
        for fmt in onnx torchscript openvino; do
            export_ok "families_${m}_$fmt" model="m/$m-random.pt" format=$fmt
        done
    done
    # TF.js: written where it has every op, refused by op name (nothing written) elsewhere
    for m in yolov9t yolo12n yolov8n-ghost yolov8n-worldv2; do
        export_ok "families_${m}_tfjs" model="m/$m-random.pt" format=tfjs
    done
    refused families_yolov10n_tfjs_refused "(TopK): TensorFlow has no equivalent" model=m/yolov10n-random.pt format=tfjs
    refused families_rtdetr_tfjs_refused "TensorFlow has no equivalent" model=m/rtdetr-mini-random.pt format=tfjs
    # TF Lite (through the same TensorFlow lowering): written and checked in our executor, or refused
    for m in yolov9t yolo12n yolov8n-ghost yolov8n-worldv2; do
        export_ok "families_${m}_tflite" model="m/$m-random.pt" format=tflite
    done
    refused families_yolov10n_tflite_refused "(TopK): TF Lite has no equivalent" model=m/yolov10n-random.pt format=tflite
    refused families_rtdetr_tflite_refused "TF Lite has no equivalent" model=m/rtdetr-mini-random.pt format=tflite
    # NCNN, MNN, SavedModel and GraphDef, at 160 (these writers' checks run the files as read back
    # in our executor -- the SavedModel's float32 TF Lite file; the GraphDef's check cannot run
    # here, so it runs in TF.js below), or refused by op name before anything is written
    for m in yolov9t yolov8n-ghost yolov8n-worldv2; do
        export_ok "families_${m}_ncnn" model="m/$m-random.pt" format=ncnn imgsz=160
    done
    for m in yolov9t yolo12n yolo12n-seg yolov8n-ghost yolov8n-worldv2; do
        for fmt in mnn saved_model pb; do
            export_ok "families_${m}_$fmt" model="m/$m-random.pt" format=$fmt imgsz=160
        done
    done
    refused families_yolov10n_ncnn_refused "(TopK): ncnn has no layer for op 'TopK'" model=m/yolov10n-random.pt format=ncnn imgsz=160
    refused families_rtdetr_ncnn_refused "(Pad): ncnn has no layer for op 'Pad'" model=m/rtdetr-mini-random.pt format=ncnn imgsz=160
    for m in yolo12n yolo12n-seg; do
        refused "families_${m}_ncnn_refused" "(Reshape): tensor '/model.6/m.0/m.0.0/attn/Reshape_1_output_0' [4, 25, 2, 96] moves parts of the image into the batch axis" \
            model="m/$m-random.pt" format=ncnn imgsz=160
    done
    refused families_yolov10n_mnn_refused "(TopK): MNN has no op for 'TopK'" model=m/yolov10n-random.pt format=mnn imgsz=160
    refused families_rtdetr_mnn_refused "(Pad): MNN has no op for 'Pad'" model=m/rtdetr-mini-random.pt format=mnn imgsz=160
    refused families_yolov10n_saved_model_refused "(TopK): TF Lite has no equivalent" model=m/yolov10n-random.pt format=saved_model imgsz=160
    refused families_rtdetr_saved_model_refused "(ReduceMean): TF Lite has no equivalent" model=m/rtdetr-mini-random.pt format=saved_model imgsz=160
    refused families_yolov10n_pb_refused "(TopK): TensorFlow has no equivalent" model=m/yolov10n-random.pt format=pb imgsz=160
    refused families_rtdetr_pb_refused "(ReduceMean): TensorFlow has no equivalent" model=m/rtdetr-mini-random.pt format=pb imgsz=160
    refused families_rtdetr_onnx_opset15_refused "op GridSample needs opset 16" model=m/rtdetr-mini-random.pt format=onnx opset=15
    "$REL" export model=m/yolov10n-random.pt format=onnx nms=True >"$T/nms.out" 2>&1
    check families_yolov10n_nms_forced_off grep -qF "'nms=True' is not available for end2end models. Forcing 'nms=False'." "$T/nms.out"

    # candidates for the end-to-end heads: our executor's
    "$RUN" run "$F/yolov10n-random.pt" "$IN" "$T/e_yolov10n" >/dev/null 2>&1
    "$RUN" run "$F/rtdetr-mini-random.pt" "$IN" "$T/e_rtdetr-mini" >/dev/null 2>&1
    kind() { case $1 in yolov10n) echo xyxy ;; rtdetr-mini) echo queries ;; *) echo grid ;; esac; }
    cand() { [ -f "$T/e_$1/candidates.npy" ] && echo "$T/e_$1/candidates.npy"; }
    if ! have_numpy; then
        skip families_runtimes "python3-numpy missing"
    else
        for m in yolov9t yolov10n yolo12n yolo12n-seg yolov8n-ghost yolov8n-worldv2 rtdetr-mini; do
            if have_ort; then
                node "$ROOT/tests/node/run_onnx.js" "m/$m-random.onnx" images="$IN" --out "$T/ort_$m" >/dev/null 2>&1
                later compare "families_ort_${m}_vs_peer" "$(kind $m)" "$T/ort_$m/output0.npy" "$F/$m-random.output.npy" $(cand $m)
            fi
            if have_torch; then
                later torch "families_torchscript_${m}_vs_peer" "$(kind $m)" "m/$m-random.torchscript" "$IN" \
                    "$F/$m-random.output.npy" $(cand $m)
            fi
        done
        have_ort || skip families_ort "onnxruntime-node not installed (make deps)"
        have_torch || skip families_torchscript "/usr/bin/python3 cannot import torch"
        if have_tfjs; then
            # pure-JS TF.js is slow at 640: the web models and the GraphDefs run at 160 against our
            # executor (which matches the peer at 640 above and in test_families)
            $PY -c "
import numpy as np
np.save('$T/in160.npy', np.random.default_rng(7).random((1, 3, 160, 160), dtype=np.float32))"
            for m in yolo12n yolov8n-worldv2; do
                mkdir -p "$T/w160"
                cp "m/$m-random.pt" "$T/w160/"
                "$REL" export model="w160/$m-random.pt" format=tfjs imgsz=160 >/dev/null 2>&1
                node "$ROOT/tests/node/run_tfjs.js" "w160/$m-random_web_model" images="$T/in160.npy" --nchw --out "$T/tfjs_$m" >/dev/null 2>&1
            done
            # the GraphDefs (160) decoded with Google's protobuf library into tfjs-converter's graph
            # model (as tests/e2e/tflite.sh does) and run in TF.js
            HAVE_PB=no
            if $PY -c 'import google.protobuf' 2>/dev/null && command -v protoc-c >/dev/null 2>&1 &&
                protoc-c --proto_path="$ROOT/formats/proto" --include_imports --descriptor_set_out="$T/tf.desc" \
                    "$ROOT/formats/proto/tensorflow/saved_model.proto" 2>/dev/null; then HAVE_PB=yes; fi
            [ $HAVE_PB = yes ] || skip families_pb_tfjs "python3-protobuf or protoc-c missing (make deps)"
            # (three of the five GraphDefs: ELAN and RepConv, area attention with a mask head, text
            # attention; the other two share their ops)
            for m in yolo12n yolov9t yolo12n-seg yolov8n-worldv2; do
                "$RUN" run "$F/$m-random.pt" "$T/in160.npy" "$T/e160_$m" 160 >/dev/null 2>&1
                case $m in yolo12n | yolov8n-worldv2)
                    later compare "families_tfjs_${m}_vs_executor" grid "$T/tfjs_$m/Identity.npy" "$T/e160_$m/output0.npy" ;;
                esac
                [ $HAVE_PB = yes ] && [ $m != yolo12n ] || continue
                if $PY "$ROOT/tests/tf_check.py" pb2tfjs "$T/tf.desc" "m/$m-random.pb" "$T/pb_$m" >"$T/pb_$m.txt" 2>&1; then
                    node "$ROOT/tests/node/run_tfjs.js" "$T/pb_$m" images="$T/in160.npy" --nchw --out "$T/pbrun_$m" >/dev/null 2>&1
                    later compare "families_pb_${m}_in_tfjs_vs_executor" grid "$T/pbrun_$m/Identity.npy" "$T/e160_$m/output0.npy"
                else
                    fail "families_pb_${m}_decodes" "$(tail -n 2 "$T/pb_$m.txt")"
                fi
            done
        else
            skip families_tfjs "@tensorflow/tfjs not installed (make deps)"
        fi
    fi
fi

# ---- configs at a small size: every format, every runtime, against our executor ------------
if ! have_numpy; then skip families_configs "python3-numpy missing"; run_checks; exit 0; fi
$PY -c "
import numpy as np
np.save('$T/in160.npy', np.random.default_rng(7).random((1, 3, 160, 160), dtype=np.float32))"
for m in yolov3-tinyu yolov5nu yolov6n yolov8n-p2; do
    "$RUN" run "$m.yaml" "$T/in160.npy" "$T/e_$m" 160 >/dev/null 2>&1
    check "configs_${m}_runs" test -f "$T/e_$m/output0.npy"
    for fmt in onnx torchscript openvino tfjs; do
        export_ok "configs_${m}_$fmt" model=$m.yaml format=$fmt imgsz=160
    done
    if have_ort; then
        # YOLOv3-tinyu's zero Pad before a MaxPool: onnxruntime's Pad fusion would change the model
        noopt=""; [ $m = yolov3-tinyu ] && noopt=--no-optimize
        node "$ROOT/tests/node/run_onnx.js" "$m.onnx" images="$T/in160.npy" --out "$T/ort_$m" $noopt >/dev/null 2>&1
        later compare "configs_ort_${m}_vs_executor" grid "$T/ort_$m/output0.npy" "$T/e_$m/output0.npy"
    fi
    if have_torch; then
        later torch "configs_torchscript_${m}_vs_executor" grid "$m.torchscript" "$T/in160.npy" "$T/e_$m/output0.npy"
    fi
    if have_tfjs; then
        node "$ROOT/tests/node/run_tfjs.js" "${m}_web_model" images="$T/in160.npy" --nchw --out "$T/tfjs_$m" >/dev/null 2>&1
        later compare "configs_tfjs_${m}_vs_executor" grid "$T/tfjs_$m/Identity.npy" "$T/e_$m/output0.npy"
    fi
done
run_checks
