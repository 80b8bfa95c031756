#!/bin/sh
# End-to-end: `yoloport val` -- the peer's scanning line, table and speed line on coco8, --json
# with the peer's results_dict keys, and bad inputs (a dataset yaml whose paths do not exist, a
# label file with malformed rows, no data=, a non-square imgsz), each one clear line on stderr
# and a non-zero exit.  The figures themselves are checked in tests/unit/test_val.c; the run on
# coco8 here uses the release binary ($YOLOPORT_REL_BIN).
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t" || exit 1

bad() { # NAME EXPECTED-TEXT ARGS...
    n=$1 want=$2; shift 2
    "$BIN" val "$@" >"$t/$n.out" 2>"$t/$n.err"; rc=$?
    if [ "$rc" -ne 0 ] && [ "$(wc -l <"$t/$n.err")" -eq 1 ] && grep -qF -- "$want" "$t/$n.err"; then pass "val: $n"
    else fail "val: $n" "exit $rc, stderr: $(head -c 300 "$t/$n.err")"; fi
}
mkdir -p ds/images/val ds/labels/val
printf 'path: .\nval: images/nowhere\nnames: [a, b]\n' >ds/missing.yaml
bad missing-paths "images/nowhere does not exist" model=yolov8n.yaml data=ds/missing.yaml
bad no-data "no dataset given" model=yolov8n.yaml
bad non-square "imgsz must be an integer" model=yolov8n.yaml data=ds/missing.yaml imgsz=640,480
bad missing-yaml "ds/none.yaml" model=yolov8n.yaml data=ds/none.yaml

if ! need_shared; then
    skip "val: coco8" "../shared is absent"
    exit 0
fi
S=$YOLOPORT_SHARED
# a one-image dataset whose label file has a malformed row
cp "$S/data/images/bus.jpg" ds/images/val/bus.jpg
printf 'path: .\nval: images/val\nnames: [a, b]\n' >ds/ok.yaml
printf '0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2\n' >ds/labels/val/bus.txt
bad malformed-labels "bus.txt:2: labels require 5 columns" model=yolov8n.yaml data=ds/ok.yaml imgsz=64

"$REL" val model="$S/models/yolov8n.pt" data="$S/data/coco8.yaml" >"$t/coco8.out" 2>"$t/coco8.err"; rc=$?
check "val: coco8 exits 0" [ "$rc" -eq 0 ]
check "val: the peer's summary and scanning lines" sh -c "grep -q '^YOLOv8n summary (fused): 72 layers, 3,151,904 parameters, 0 gradients, 8.7 GFLOPs$' '$t/coco8.out' && grep -Eq '^val: Scanning .*/coco8/labels/val\.\.\. 4 images, 0 backgrounds, 0 corrupt$' '$t/coco8.out'"
check "val: the peer's header" grep -qx "                 Class     Images  Instances      Box(P          R      mAP50  mAP50-95)" "$t/coco8.out"
check "val: the peer's figures on the all line" grep -qx "                   all          4         17      0.865      0.893      0.921      0.638" "$t/coco8.out"
check "val: one line per class" sh -c "[ \$(grep -cE '^ +(person|dog|horse|elephant|umbrella|potted plant) +[0-9]+ +[0-9]+ ' '$t/coco8.out') -eq 6 ]"
check "val: the peer's speed line" grep -Eq '^Speed: [0-9.]+ms preprocess, [0-9.]+ms inference, 0\.0ms loss, [0-9.]+ms postprocess per image$' "$t/coco8.out"

"$REL" val model="$S/models/yolov8n.pt" data="$S/data/coco8.yaml" --json batch=16 >"$t/js.out" 2>"$t/js.err"; rc=$?
check "val --json batch=16: the peer's keys, coco8 grouped into one 672 shape" [ "$(/usr/bin/python3 -c "import json; d=json.load(open('$t/js.out')); print(sorted(k for k in d if k.startswith('metrics/')), round(d['metrics/mAP50-95(B)'], 2), d['images'], len(d['classes']))")" = "['metrics/mAP50(B)', 'metrics/mAP50-95(B)', 'metrics/precision(B)', 'metrics/recall(B)'] 0.63 4 6" ]
