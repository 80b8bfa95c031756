#!/bin/sh
# bench/export_ncnn_mnn.sh: the whole `yoloport export model=M format=ncnn|mnn` process
# (start-up, load, fuse, write, read back, verify against the source), median of RUNS runs,
# with its peak memory, for yolov8n and yolov8s in float32, half and (MNN) int8.  Each
# figure is set against the process start-up measured in the same run (`yoloport
# --version`) and against the peer's floor: its NCNN export traces TorchScript before pnnx
# converts it, and its MNN export writes ONNX before MNNConvert reads it, so each takes at
# least its `format=torchscript` (5.8 s) or `format=onnx` (3.9 s) time on a 2-core machine
# (../shared/reference/README.md); pnnx and MNNConvert come on top.
cd "$(dirname "$0")/.." || exit 2
BIN="${YOLOPORT_REL_BIN:-$PWD/build/yoloport}"
RUNS="${RUNS:-5}"
SHARED="${YOLOPORT_SHARED:-../shared}"
[ -x "$BIN" ] || { echo "bench/export_ncnn_mnn: build $BIN first (make)"; exit 1; }
[ -d "$SHARED/models" ] || { echo "bench/export_ncnn_mnn: skipped: no $SHARED/models"; exit 0; }
[ -x /usr/bin/time ] || { echo "bench/export_ncnn_mnn: needs GNU time (/usr/bin/time)"; exit 1; }
SHARED=$(cd "$SHARED" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$SHARED/models/yolov8n.pt" "$SHARED/models/yolov8s.pt" "$T/"

# measure CMD...: "WALL CPU RSS" — medians over RUNS runs (one untimed warm-up first) of the
# wall time and the CPU time (user + sys) in ms, and the largest peak resident set in MB.
measure() {
    "$@" >/dev/null 2>&1 || { echo "FAILED"; return; }
    i=0
    while [ $i -lt "$RUNS" ]; do
        t0=$(date +%s%N)
        /usr/bin/time -f "%U %S %M" -o "$T/time.txt" "$@" >/dev/null 2>&1
        t1=$(date +%s%N)
        echo "$(( (t1 - t0) / 1000 )) $(cat "$T/time.txt")"
        i=$((i + 1))
    done | awk '{ w[NR] = $1 / 1000; c[NR] = ($2 + $3) * 1000; if ($4 > m) m = $4 }
        function med(a, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        END { printf "%.0f %.0f %.0f\n", med(w, NR), med(c, NR), m / 1024 }'
}

base=$(measure "$BIN" --version)
echo "bench/export_ncnn_mnn: median of $RUNS runs, whole process, $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
echo "  baseline \`yoloport --version\`: ${base%% *} ms wall, $(echo "$base" | cut -d' ' -f3) MB peak (process start-up)"
printf '  %-8s %-6s %-10s %9s %9s %9s %22s\n' model format args "wall ms" "CPU ms" "peak MB" "vs the peer's floor"
cd "$T" || exit 1
for m in yolov8n yolov8s; do
    for spec in "ncnn -" "ncnn half=True" "mnn -" "mnn half=True" "mnn int8=True"; do
        fmt=${spec% *}
        args=${spec#* }
        extra=""
        [ "$args" != "-" ] && extra=$args
        r=$(measure "$BIN" export model=$m.pt format=$fmt $extra)
        if [ "$r" = FAILED ]; then
            printf '  %-8s %-6s %-10s %9s\n' "$m" "$fmt" "$args" FAILED
            continue
        fi
        floor=3900
        [ "$fmt" = ncnn ] && floor=5800
        echo "$r" | awk -v m="$m" -v f="$fmt" -v a="$args" -v fl="$floor" '{
            r = fl / $1
            printf "  %-8s %-6s %-10s %9d %9d %9d %14.1fx %s\n", m, f, a, $1, $2, $3, r >= 1 ? r : 1 / r, r >= 1 ? "faster" : "slower" }'
    done
done
