#!/bin/sh
# bench/export.sh: the whole `yoloport export model=M format=onnx` process (start-up, load,
# fuse, transforms, serialise, write, read back, verify), median of RUNS runs, with
# verify on and off, for yolov8n and yolov8s.  With verify on, an fp32 export is proven the
# source's graph node for node and nothing runs; the half=True row shows the other path,
# where the source and the written model both run on the fixed input (no target for it).  Prints each figure with its ratio to the
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

# median_ms CMD...: "WALL CPU" — medians over RUNS runs (one untimed warm-up first) of the
# wall time and of the CPU time (user + sys, all threads) in ms.  CPU time shows what the
# work costs when the machine is shared; wall time is what a user waits.
median_ms() {
    "$@" >/dev/null 2>&1 || { echo "FAILED"; return; }
    i=0
    while [ $i -lt "$RUNS" ]; do
        t0=$(date +%s%N)
        /usr/bin/time -f "%U %S" -o "$T/time.txt" "$@" >/dev/null 2>&1
        t1=$(date +%s%N)
        echo "$(( (t1 - t0) / 1000 )) $(cat "$T/time.txt")"
        i=$((i + 1))
    done | awk '{ w[NR] = $1 / 1000; c[NR] = ($2 + $3) * 1000 }
        function med(a, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        END { printf "%.0f %.0f\n", med(w, NR), med(c, NR) }'
}

[ -x /usr/bin/time ] || { echo "bench/export: needs GNU time (/usr/bin/time)"; exit 1; }
base=$(median_ms "$BIN" --version)
echo "bench/export: median of $RUNS runs, whole process, $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
echo "  (vs target is wall / target: below 1.00x meets it)"
echo "  baseline \`yoloport --version\`: ${base% *} ms wall (process start-up)"
printf '  %-8s %-12s %9s %9s %7s %10s %15s\n' model verify "wall ms" "CPU ms" target "vs target" "vs peer 3.9 s"
cd "$T" || exit 1
for spec in "yolov8n 150" "yolov8s 400"; do
    m=${spec% *}
    target=${spec#* }
    for v in True False "True half=True"; do
        t=$(median_ms "$BIN" export model=$m.pt format=onnx verify=$v)
        label="verify=$v"
        [ "$v" = "True half=True" ] && label="half=True"
        if [ "$t" = FAILED ]; then
            printf '  %-8s %-12s %10s\n' "$m" "$label" "FAILED"
            continue
        fi
        awk -v m="$m" -v v="$label" -v w="${t% *}" -v c="${t#* }" -v tg="$target" 'BEGIN {
            if (v == "half=True")
                printf "  %-8s %-12s %9d %9d %7s %10s %8.1fx faster\n", m, v, w, c, "-", "(both run)", 3900 / w
            else
                printf "  %-8s %-12s %9d %9d %7d %9.2fx %8.1fx faster\n", m, v, w, c, tg, w / tg, 3900 / w }'
    done
done
