#!/bin/sh
# threads= for predict, val, benchmark and export: an invalid value is refused with one line on stderr
# and exit status 2 before anything runs; threads=1 and threads=2 give the same detections and
# the same val figures (the executor's results do not depend on how its work is split);
# benchmark's timing line says how many threads ran.  Runs use the release binary.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
case "$REL" in /*) ;; *) REL="$ROOT/$REL" ;; esac
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

for verb in predict val benchmark export; do
    case $verb in predict) more=source=x.jpg ;; val) more=data=x.yaml ;; export) more=format=onnx ;; *) more=imgsz=64 ;; esac
    for v in 0 abc 300 1.5; do
        "$BIN" $verb model=yolov8n.yaml $more threads=$v >out 2>err
        rc=$?
        if [ $rc -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && [ ! -s out ] &&
            grep -qF "'threads=$v' is an invalid value: 'threads' takes a whole number of threads from 1 to 256" err; then
            pass "threads: $verb threads=$v refused with one message"
        else
            fail "threads: $verb threads=$v refused with one message" "exit $rc: $(head -c 300 err)"
        fi
    done
done

"$REL" benchmark model=yolov8n.yaml imgsz=64 format=onnx runs=2 warmup=0 threads=1 project="$T/b" >bench.out 2>&1
check "threads: benchmark threads=1 times on 1 thread" grep -q "^Benchmark: ONNX in .* on 1 thread: [0-9.]* ms/im" bench.out

if ! need_shared; then
    skip "threads: predict and val" "../shared is absent"
    exit 0
fi
S=$YOLOPORT_SHARED
for t in 1 2; do
    "$REL" predict model="$S/models/yolov8n.pt" source="$S/data/images/bus.jpg" threads=$t --json >p$t.json 2>/dev/null
    "$REL" val model="$S/models/yolov8n.pt" data="$S/data/coco8.yaml" imgsz=320 threads=$t --json 2>/dev/null |
        /usr/bin/python3 -c "import json, sys; d = json.load(sys.stdin); d.pop('speed'); print(json.dumps(d, sort_keys=True))" >v$t.json
done
check "threads: predict threads=1 and threads=2 give the same detections" sh -c 'grep -q "\"name\":\"bus\"" p1.json && cmp -s p1.json p2.json'
check "threads: val threads=1 and threads=2 give the same figures" sh -c 'grep -q "mAP50-95(B)" v1.json && cmp -s v1.json v2.json'
# export: the check's two sides, INT8 calibration and its val run on the threads given, and
# the int8 file computes the same figures whatever the count
for t in 1 2; do
    "$REL" export model="$S/models/yolov8n.pt" format=onnx int8=True data="$S/data/coco8.yaml" imgsz=320 threads=$t \
        name=t$t 2>&1 | grep "check accuracy" | sed 's/ ([0-9.]*s)$//' >e$t.txt
done
check "threads: export int8 threads=1 and threads=2 give the same accuracy figures" sh -c 'grep -q "mAP50-95 0\." e1.txt && cmp -s e1.txt e2.txt'
