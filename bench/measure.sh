#!/bin/sh
# bench/measure.sh: the measuring verbs as a user runs them, whole process (start-up, reading
# the model and the dataset, every image decoded, letterboxed, run and scored):
#   val        `yoloport val model=yolov8n.pt data=coco8.yaml` (4 images at 640), median of RUNS
#              runs, against the peer's `yolo val` (3.8 s on a 2-core machine with its Python
#              start-up, ../shared/reference/README.md) and against a floor measured in the same
#              run: start-up plus four inferences alone (the inference time `yoloport predict`
#              reports on one 640x640-class image);
#   benchmark  `yoloport benchmark model=yolov8n.pt data=coco8.yaml` over every format (fresh:
#              every export made), then again (every artifact reused), with the time of each row;
#              the peer's benchmark takes minutes.
# Wall time is what a user waits; CPU time (user + sys, all threads) what the work costs on a
# shared machine.  ONNX runs in onnxruntime when $YOLOPORT_RUNTIME_PATH (or the npm test
# package) provides it.
cd "$(dirname "$0")/.." || exit 2
BIN="${YOLOPORT_REL_BIN:-$PWD/build/yoloport}"
RUNS="${RUNS:-3}"
SHARED="${YOLOPORT_SHARED:-../shared}"
[ -x "$BIN" ] || { echo "bench/measure: build $BIN first (make)"; exit 1; }
[ -d "$SHARED/models" ] || { echo "bench/measure: skipped: no $SHARED/models"; exit 0; }
[ -x /usr/bin/time ] || { echo "bench/measure: needs GNU time (/usr/bin/time)"; exit 1; }
SHARED=$(cd "$SHARED" && pwd)
ORT="$PWD/tests/node/node_modules/onnxruntime-node/bin/napi-v6/linux/x64"
[ -z "${YOLOPORT_RUNTIME_PATH:-}" ] && [ -f "$ORT/libonnxruntime.so.1" ] && export YOLOPORT_RUNTIME_PATH="$ORT"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$SHARED/models/yolov8n.pt" "$T/"
cd "$T" || exit 1

# one CMD...: "WALL_MS CPU_MS"
one() {
    t0=$(date +%s%N)
    /usr/bin/time -f "%U %S" -o "$T/time.txt" "$@" >"$T/out.txt" 2>&1 || { echo "FAILED"; cat "$T/out.txt" >&2; return; }
    t1=$(date +%s%N)
    awk -v w="$(( (t1 - t0) / 1000000 ))" '{ printf "%d %.0f\n", w, ($1 + $2) * 1000 }' "$T/time.txt"
}
# median CMD...: "WALL_MS CPU_MS", medians over RUNS runs after one untimed warm-up
median() {
    "$@" >/dev/null 2>&1
    i=0
    while [ $i -lt "$RUNS" ]; do one "$@"; i=$((i + 1)); done | awk '{ w[NR] = $1; c[NR] = $2 }
        function med(a, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        END { printf "%.0f %.0f\n", med(w, NR), med(c, NR) }'
}

set -- $(median "$BIN" --version); start=$1
"$BIN" predict model=yolov8n.pt source="$SHARED/data/images/bus.jpg" >/dev/null 2>&1
inf=$("$BIN" predict model=yolov8n.pt source="$SHARED/data/images/bus.jpg" 2>/dev/null | sed -n 's/^Speed: [0-9.]*ms preprocess, \([0-9.]*\)ms inference.*/\1/p')
set -- $(median "$BIN" val model=yolov8n.pt data="$SHARED/data/coco8.yaml"); val_wall=$1 val_cpu=$2
floor=$(awk -v i="${inf:-0}" -v s="$start" 'BEGIN { printf "%d", 4 * i + s }')
"$BIN" val model=yolov8n.pt data="$SHARED/data/coco8.yaml" >"$T/val.txt" 2>&1
echo "val yolov8n.pt on coco8 (4 images, 640): ${val_wall} ms wall, ${val_cpu} ms CPU (median of $RUNS)"
echo "  $(grep -E '^ +all ' "$T/val.txt" | sed 's/^ *//')"
echo "  $(grep '^Speed:' "$T/val.txt")"
awk -v v="$val_wall" -v f="$floor" -v s="$start" 'BEGIN {
    printf "  vs the peer (yolo val, 3.8 s): %.2fx the time (%.1fx faster)\n", v / 3800, 3800 / v
    printf "  vs start-up and four inferences alone measured now (%d ms, start-up %d ms): %.2fx\n", f, s, v / f }'

"$BIN" checks | grep -E '^(CPU|CPU count|RAM|onnxruntime) '
set -- $(one "$BIN" benchmark model=yolov8n.pt data="$SHARED/data/coco8.yaml"); b1=$1 c1=$2
cp "$T/out.txt" "$T/bench1.txt"
set -- $(one "$BIN" benchmark model=yolov8n.pt data="$SHARED/data/coco8.yaml"); b2=$1 c2=$2
echo "benchmark yolov8n.pt on coco8, every format: ${b1} ms wall, ${c1} ms CPU (every export made)"
echo "benchmark again: ${b2} ms wall, ${c2} ms CPU (every artifact reused)"
awk -v a="$b1" -v b="$b2" 'BEGIN { printf "  reuse saves %.0f%% of the run\n", 100 * (a - b) / a }'
sed -n '/^Benchmarks complete/,/^Notes:/p' "$T/bench1.txt" | grep -vE '^Notes:|^ *[0-9]+ .*❌' | sed 's/^/  /'
