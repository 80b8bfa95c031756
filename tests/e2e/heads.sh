#!/bin/sh
# predict and val on the end-to-end heads (YOLOv10's rows, RT-DETR's queries) of the peer's
# family checkpoints, at imgsz=320 on generated images whose network inputs need no resize
# (tests/heads_check.py writes them, and the inputs the peer's preprocessing makes of them):
#   - predict --json gives what the peer's decode (RTDETRPredictor; non_max_suppression's
#     end-to-end branch and scale_boxes) gives on the output tensor our executor computes for
#     that input (test_families output), with conf, max_det and classes= in play; the
#     checkpoint is built again for the letterboxed size (256x320), as PyTorch runs any size;
#   - val on a one-image dataset whose labels are the peer's validator decode of that tensor
#     (RTDETRValidator; DetectionValidator's end-to-end rows with clipped boxes): every
#     prediction is a label, so P = R = 1 and mAP50 = mAP50-95 = 0.995 (the peer's AP of a
#     perfect ranking) -- any difference in the decode, the stretch, the rect shape or the
#     scaling breaks it;
#   - an RT-DETR ONNX export (320) predicts what its checkpoint predicts: the query layout is
#     recognised from the output's shape when no checkpoint metadata says so.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
case "$REL" in /*) ;; *) REL="$ROOT/$REL" ;; esac
RUN="$ROOT/build/asan/tests/test_families"
PY=/usr/bin/python3
CHK="$PY $ROOT/tests/heads_check.py"
if ! need_shared || [ ! -d "$YOLOPORT_SHARED/reference/families" ]; then
    skip heads "../shared/reference/families not present"
    exit 0
fi
if ! $PY -c 'import numpy' 2>/dev/null; then
    skip heads "python3-numpy missing"
    exit 0
fi
F="$YOLOPORT_SHARED/reference/families"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1
t0=$(date +%s)
$CHK inputs "$T"
mkdir -p ds/images/val ds/labels/val
{
    printf 'path: .\nval: images/val\nnames:\n'
    i=0
    while [ $i -lt 80 ]; do printf '  %d: "%d"\n' $i $i; i=$((i + 1)); done
} >ds/data.yaml
# val_one NAME MODEL IMAGE LABELS CONF: val on a one-image dataset; P, R, mAP50, mAP50-95
val_one() {
    rm -f ds/images/val/* ds/labels/val/*
    cp "$3" ds/images/val/
    cp "$4" "ds/labels/val/$(basename "$3" .png).txt"
    "$REL" val model="$2" data=ds/data.yaml imgsz=320 conf="$5" --json >"$1.json" 2>"$1.err"
    $PY -c "
import json, sys
d = json.load(open('$1.json'))
print(*(round(d['metrics/%s(B)' % k], 4) for k in ('precision', 'recall', 'mAP50', 'mAP50-95')))" 2>&1
}

# ---- RT-DETR: stretch to 320x320 (a.png is that size), query rows ----------------------
if "$RUN" output "$F/rtdetr-mini-random.pt" a.npy rt.npy 320,320 2>rt.err; then
    conf=$($CHK pickconf rt.npy 40)
    cls=$($PY -c "
import numpy as np
s = np.load('rt.npy')[0, :, 4:]
top = np.argsort(-s.max(1), kind='stable')[:40]
print(','.join(str(c) for c in sorted(set(s[top].argmax(1).tolist()))[:2]))")
    "$REL" predict model="$F/rtdetr-mini-random.pt" source=a.png imgsz=320 conf="$conf" --json >rt_pred.json 2>rt_pred.err
    check "heads: RT-DETR predict stretches to 320x320" grep -q "a.png: 320x320 " rt_pred.err
    $CHK predict queries rt.npy rt_pred.json "$conf" 300 - 320 320
    "$REL" predict model="$F/rtdetr-mini-random.pt" source=a.png imgsz=320 conf="$conf" max_det=7 classes="$cls" \
        --json >rt_cls.json 2>/dev/null
    $CHK predict queries rt.npy rt_cls.json "$conf" 7 "$cls" 320 320 | sed 's/^\(PASS\|FAIL\) heads: RT-DETR predict/\1 heads: RT-DETR predict max_det=7 classes=/'
    if n=$($CHK labels queries rt.npy rt.txt 0.001 320 320 320); then
        check "heads: RT-DETR val on the peer's decoded labels ($n): P R mAP50 mAP50-95 = 1 1 0.995 0.995" \
            [ "$(val_one rtval "$F/rtdetr-mini-random.pt" a.png rt.txt 0.001)" = "1.0 1.0 0.995 0.995" ]
    else
        fail "heads: RT-DETR labels" "$n"
    fi
    # the same model as ONNX: no metadata says "query rows", the output's shape does
    mkdir -p onnx && cp "$F/rtdetr-mini-random.pt" onnx/
    if "$REL" export model=onnx/rtdetr-mini-random.pt format=onnx imgsz=320 >onnx.log 2>&1; then
        "$REL" predict model=onnx/rtdetr-mini-random.onnx source=a.png runtime=builtin conf="$conf" --json \
            >rt_onnx.json 2>/dev/null
        $CHK predict queries rt.npy rt_onnx.json "$conf" 300 - 320 320 | sed 's/RT-DETR predict/RT-DETR ONNX predict/'
    else
        fail "heads: RT-DETR ONNX export" "$(tail -n 2 onnx.log)"
    fi
else
    fail "heads: RT-DETR output" "$(tail -n 2 rt.err)"
fi

# ---- YOLOv10: rect letterbox 256x320 for predict, 256x352 for val; end-to-end rows ----------
if "$RUN" output "$F/yolov10n-random.pt" b_pred.npy v10.npy 256,320 2>v10.err &&
    "$RUN" output "$F/yolov10n-random.pt" b_val.npy v10val.npy 256,352 2>>v10.err; then
    "$REL" predict model="$F/yolov10n-random.pt" source=b.png imgsz=320 conf=0.0001 max_det=40 --json \
        >v10_pred.json 2>v10_pred.err
    check "heads: YOLOv10 predict letterboxes to 256x320" grep -q "b.png: 256x320 " v10_pred.err
    $CHK predict rows v10.npy v10_pred.json 0.0001 40 - 256 320 240 320
    "$REL" predict model="$F/yolov10n-random.pt" source=b.png imgsz=320 conf=0.0001 max_det=40 classes=3,7,11,50 \
        --json >v10_cls.json 2>/dev/null
    $CHK predict rows v10.npy v10_cls.json 0.0001 40 3,7,11,50 256 320 240 320 |
        sed 's/^\(PASS\|FAIL\) heads: YOLOv10 predict/\1 heads: YOLOv10 predict classes= after max_det,/'
    if n=$($CHK labels rows v10val.npy v10.txt 0.0001 300 256 352 240 320 16 8); then
        check "heads: YOLOv10 val on the peer's decoded labels ($n): P R mAP50 mAP50-95 = 1 1 0.995 0.995" \
            [ "$(val_one v10val "$F/yolov10n-random.pt" b.png v10.txt 0.0001)" = "1.0 1.0 0.995 0.995" ]
    else
        fail "heads: YOLOv10 labels" "$n"
    fi
else
    fail "heads: YOLOv10 output" "$(tail -n 2 v10.err)"
fi
echo "# heads.sh: $(($(date +%s) - t0)) s"
