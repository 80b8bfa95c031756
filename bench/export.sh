#!/bin/sh
# bench/export.sh: the whole `yoloport export model=M format=onnx` process (start-up, load,
# fuse, transforms, serialise, write, read back, verify), median of RUNS runs, with
# verify on and off, for yolov8n and yolov8s.  Prints each figure with its ratio to the
# target (150 ms yolov8n, 400 ms yolov8s) and to the peer (`yolo export format=onnx`,
# 3.9 s on a 2-core machine, see ../shared/reference/README.md), and the process start-up
# measured in the same run (`yoloport --version`) as the baseline.
cd "$(dirname "$0")/.." || exit 2
BIN="${YOLOPORT_REL_BIN:-$PWD/build/yoloport}"
RUNS="${RUNS:-7}"
SHARED="${YOLOPORT_SHARED:-../shared}"
[ -x "$BIN" ] || { echo "bench/export: build $BIN first (make)"; exit 1; }
[ -d "$SHARED/models" ] || { echo "bench/export: skipped: no $SHARED/models"; exit 0; }
SHARED=$(cd "$SHARED" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$SHARED/models/yolov8n.pt" "$SHARED/models/yolov8s.pt" "$T/"

ms_now() { date +%s%N; }
# median_ms CMD...: median wall time of RUNS runs in ms (one untimed warm-up run first)
median_ms() {
    "$@" >/dev/null 2>&1 || { echo "FAILED"; return; }
    i=0
    while [ $i -lt "$RUNS" ]; do
        t0=$(ms_now)
        "$@" >/dev/null 2>&1
        t1=$(ms_now)
        echo $(( (t1 - t0) / 1000 ))
        i=$((i + 1))
    done | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1000 }'
}

base=$(median_ms "$BIN" --version)
echo "bench/export: median of $RUNS runs, whole process, $(nproc) CPUs; baseline \`yoloport --version\` $base ms"
printf '  %-8s %-12s %10s %10s %12s %14s\n' model verify "ms" target "vs target" "vs peer 3.9 s"
cd "$T" || exit 1
for spec in "yolov8n 150" "yolov8s 400"; do
    m=${spec% *}
    target=${spec#* }
    for v in True False; do
        t=$(median_ms "$BIN" export model=$m.pt format=onnx verify=$v)
        if [ "$t" = FAILED ]; then
            printf '  %-8s %-12s %10s\n' "$m" "verify=$v" "FAILED"
            continue
        fi
        awk -v m="$m" -v v="verify=$v" -v t="$t" -v tg="$target" 'BEGIN {
            printf "  %-8s %-12s %10.1f %10d %11.2fx %13.1fx faster\n", m, v, t, tg, t / tg, 3900 / t }'
    done
done
