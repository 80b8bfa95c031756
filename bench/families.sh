#!/bin/sh
# bench/families.sh: whole-process `yoloport info M.yaml` and `yoloport export model=M.yaml
# format=onnx` for the newer families built from their configs (yolov10n: the end-to-end head
# with its top-k in the graph; yolo12n: area attention; rtdetr-l: the transformer decoder, a
# 125 MB export), median wall and CPU time of RUNS runs (one untimed warm-up first) and the
# peak RSS, against `yoloport --version` measured in the same run (process start-up).  The
# export's check proves the written graph the source's node for node, so nothing runs at 640.
#   RUNS=5 sh bench/families.sh
cd "$(dirname "$0")/.." || exit 2
BIN="${YOLOPORT_REL_BIN:-$PWD/build/yoloport}"
RUNS="${RUNS:-5}"
[ -x "$BIN" ] || { echo "bench/families: build $BIN first (make)"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/families: needs GNU time (/usr/bin/time)"; exit 1; }
export YOLOPORT_SHARE="$PWD/share"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T" || exit 1

# measure CMD...: "WALL_MS CPU_MS RSS_MIB" — medians of wall and CPU (user + sys) time over
# RUNS runs, the largest peak RSS; FAILED when the command fails.
measure() {
    "$@" >"$T/warm.out" 2>&1 || { echo FAILED; return; }
    i=0
    while [ $i -lt "$RUNS" ]; do
        t0=$(date +%s%N)
        /usr/bin/time -f "%U %S %M" -o "$T/time.txt" "$@" >/dev/null 2>&1
        t1=$(date +%s%N)
        echo "$(( (t1 - t0) / 1000 )) $(cat "$T/time.txt")"
        i=$((i + 1))
    done | awk '{ w[NR] = $1 / 1000; c[NR] = ($2 + $3) * 1000; if ($4 > r) r = $4 }
        function med(a, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        END { printf "%.0f %.0f %.1f\n", med(w, NR), med(c, NR), r / 1024 }'
}

row() { # model what "WALL CPU RSS"
    set -- "$1" "$2" $3
    if [ "$3" = FAILED ]; then printf '  %-10s %-8s %10s\n' "$1" "$2" FAILED; return; fi
    printf '  %-10s %-8s %9d %9d %9.1f %9.1fx\n' "$1" "$2" "$3" "$4" "$5" "$(awk -v a="$3" -v b="$BASE" 'BEGIN { print a / b }')"
}

base=$(measure "$BIN" --version)
BASE=${base%% *}
[ "$BASE" -gt 0 ] 2>/dev/null || BASE=1
echo "bench/families: median of $RUNS runs, whole process, $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
echo "  baseline \`yoloport --version\`: $BASE ms wall (process start-up)"
printf '  %-10s %-8s %9s %9s %9s %10s\n' model command "wall ms" "CPU ms" "RSS MiB" "vs start"
for m in yolov10n yolo12n rtdetr-l; do
    row "$m" info "$(measure "$BIN" info "$m.yaml")"
    r=$(measure "$BIN" export model="$m.yaml" format=onnx)
    row "$m" export "$r"
    if [ "$r" != FAILED ] && ! grep -q "node for node" "$T/warm.out"; then
        echo "    (the check ran both models: $(grep -o 'check against the source.*' "$T/warm.out" | cut -c1-120))"
    fi
    rm -f "$T/$m.onnx"
done
