#!/bin/sh
# End-to-end: `yoloport predict` -- the peer's console lines, --json (boxes, and polygons for a
# segment model), save=True into runs/<task>/predict, predict2, ... and project=/name=, and bad
# inputs (an image that is not one, a truncated JPEG, a folder without images, a missing
# source, bad arguments), each one clear line on stderr and a non-zero exit.  The peer's
# detections themselves are checked in tests/unit/test_predict.c.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t" || exit 1
json() { /usr/bin/python3 -c "import json,sys; d=[json.loads(l) for l in open('$t/$1.out')]; print($2)"; }

# bad inputs (a built-in config: no ../shared needed)
bad() { # NAME EXPECTED-TEXT ARGS...
    n=$1 want=$2; shift 2
    "$BIN" predict "$@" >"$t/$n.out" 2>"$t/$n.err"; rc=$?
    if [ "$rc" -ne 0 ] && [ "$(wc -l <"$t/$n.err")" -eq 1 ] && grep -qF -- "$want" "$t/$n.err"; then pass "predict: $n"
    else fail "predict: $n" "exit $rc, stderr: $(head -c 300 "$t/$n.err")"; fi
}
printf 'not an image at all\n' >"$t/notes.jpg"
mkdir -p "$t/empty" "$t/texts" && printf 'x' >"$t/texts/readme.txt"
bad not-an-image "notes.jpg" model=yolov8n.yaml source="$t/notes.jpg" imgsz=64
bad empty-folder "no images" model=yolov8n.yaml source="$t/empty"
bad folder-without-images "no images" model=yolov8n.yaml source="$t/texts"
bad missing-source "no such file" model=yolov8n.yaml source="$t/nothing.jpg"
bad no-match-pattern "matches no images" model=yolov8n.yaml source="$t/texts/*.jpg"
bad no-source "no source given" model=yolov8n.yaml
bad bad-conf "Valid 'conf' values are between 0.0 and 1.0" model=yolov8n.yaml source="$t/notes.jpg" conf=1.5
bad bad-bool "'save' must be a bool" model=yolov8n.yaml source="$t/notes.jpg" save=maybe
bad unknown-key "'colour' is not a valid YOLO argument" model=yolov8n.yaml source="$t/notes.jpg" colour=red
bad bad-runtime "unknown runtime 'tensorflow'" model=yolov8n.yaml source="$t/notes.jpg" runtime=tensorflow

if ! need_shared; then
    skip "predict: the peer's images and models" "../shared is absent"
    exit 0
fi
S=$YOLOPORT_SHARED
head -c 20000 "$S/data/images/bus.jpg" >"$t/cut.jpg"
bad truncated-jpeg "truncated JPEG" model="$S/models/yolov8n.pt" source="$t/cut.jpg"

"$BIN" predict model="$S/models/yolov8n.pt" source="$S/data/images/bus.jpg" >"$t/bus.out" 2>"$t/bus.err"; rc=$?
check "predict: bus.jpg exits 0" [ "$rc" -eq 0 ]
check "predict: the peer's line for bus.jpg" grep -Eq "^image 1/1 $S/data/images/bus.jpg: 640x480 4 persons, 1 bus, 1 stop sign, [0-9]+\.[0-9]ms$" "$t/bus.out"
check "predict: the peer's speed line" grep -Eq '^Speed: [0-9.]+ms preprocess, [0-9.]+ms inference, [0-9.]+ms postprocess per image at shape \(1, 3, 640, 480\)$' "$t/bus.out"
check "predict: nothing saved unless save=True" [ ! -d "$t/runs" ]

# a folder, --json, save=True twice (predict, then predict2), then project= and name=
"$BIN" predict model="$S/models/yolov8n.pt" source="$S/data/images/" --json save=True >"$t/dir.out" 2>"$t/dir.err"; rc=$?
check "predict --json: exits 0, one object per image" sh -c "[ $rc -eq 0 ] && [ \$(wc -l <'$t/dir.out') -eq 2 ]"
check "predict --json: bus.jpg's detections" [ "$(json dir "[(o['class'], o['name']) for o in d[0]['detections']][:2], d[0]['shape'], len(d[0]['detections']), [round(x) for x in d[0]['detections'][0]['box']]")" = "[(5, 'bus'), (0, 'person')] [1080, 810] 6 [23, 231, 805, 757]" ]
check "predict --json: console lines on stderr" grep -q "^image 2/2 .*zidane.jpg: 384x640 2 persons, 1 tie" "$t/dir.err"
check "predict save=True: annotated JPEGs in runs/detect/predict" sh -c "[ -s runs/detect/predict/bus.jpg ] && [ -s runs/detect/predict/zidane.jpg ] && head -c 3 runs/detect/predict/bus.jpg | od -An -tx1 | grep -q 'ff d8 ff'"
check "predict save=True: 'Results saved to' line" grep -q "^Results saved to runs/detect/predict$" "$t/dir.err"
"$BIN" predict model="$S/models/yolov8n.pt" source="$S/data/images/bus.jpg" save=True >"$t/again.out" 2>&1
check "predict save=True again: predict2" sh -c "[ -s runs/detect/predict2/bus.jpg ] && grep -q 'Results saved to runs/detect/predict2' '$t/again.out'"
"$BIN" predict model="$S/models/yolov8n.pt" source="$S/data/images/bus.jpg" save=True project=out name=mine classes=0 >"$t/proj.out" 2>&1
check "predict project=/name=, classes=0: persons only" sh -c "[ -s out/mine/bus.jpg ] && grep -q ': 640x480 4 persons, [0-9.]*ms$' '$t/proj.out'"

"$BIN" predict model="$S/models/yolo11n-seg.pt" source="$S/data/images/bus.jpg" --json >"$t/seg.out" 2>"$t/seg.err"; rc=$?
check "predict segment --json: polygons in image pixels" [ "$(json seg "(len(d[0]['detections']), all(len(o['polygon']) >= 3 for o in d[0]['detections']), max(p[0] for p in d[0]['detections'][0]['polygon']) <= 810)")" = "(6, True, True)" ]
