#!/bin/sh
# bench/export_tf.sh: the whole `yoloport export model=M format=F` process for the TensorFlow
# formats (tflite, tflite half=True, saved_model, pb), yolov8n and yolov8s: median wall and
# CPU time of RUNS runs and the largest peak memory (max RSS), with the default check
# (verify=True: format=tflite and saved_model read the TF Lite file back and run it against
# the source; pb has no runtime to run in) and without it.  Ratios are to the ONNX export of
# the same model measured in the same run, and the process start-up (`yoloport --version`) is
# printed as the baseline.  format=tflite and format=saved_model both write the whole
# <stem>_saved_model/ directory (saved_model.pb and both TF Lite files), as the peer does.
cd "$(dirname "$0")/.." || exit 2
BIN="${YOLOPORT_REL_BIN:-$PWD/build/yoloport}"
RUNS="${RUNS:-3}"
SHARED="${YOLOPORT_SHARED:-../shared}"
[ -x "$BIN" ] || { echo "bench/export_tf: build $BIN first (make)"; exit 1; }
[ -d "$SHARED/models" ] || { echo "bench/export_tf: skipped: no $SHARED/models"; exit 0; }
[ -x /usr/bin/time ] || { echo "bench/export_tf: needs GNU time (/usr/bin/time)"; exit 1; }
SHARED=$(cd "$SHARED" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$SHARED/models/yolov8n.pt" "$SHARED/models/yolov8s.pt" "$T/"

# measure CMD...: "WALL CPU RSS" — median wall and CPU (user + sys) ms over RUNS runs (one
# untimed warm-up first) and the largest max RSS in MiB.
measure() {
    "$@" >/dev/null 2>&1 || { echo "FAILED"; return; }
    i=0
    while [ $i -lt "$RUNS" ]; do
        t0=$(date +%s%N)
        /usr/bin/time -f "%U %S %M" -o "$T/time.txt" "$@" >/dev/null 2>&1
        t1=$(date +%s%N)
        echo "$(( (t1 - t0) / 1000 )) $(cat "$T/time.txt")"
        i=$((i + 1))
    done | awk '{ w[NR] = $1 / 1000; c[NR] = ($2 + $3) * 1000; if ($4 > rss) rss = $4 }
        function med(a, n,   i, j, t) {
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        END { printf "%.0f %.0f %.0f\n", med(w, NR), med(c, NR), rss / 1024 }'
}

base=$(measure "$BIN" --version)
echo "bench/export_tf: median of $RUNS runs, whole process, $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg)"
echo "  baseline \`yoloport --version\`: ${base%% *} ms wall, $(echo "$base" | cut -d' ' -f3) MiB peak"
printf '  %-8s %-18s %-8s %9s %9s %9s %12s\n' model format verify "wall ms" "CPU ms" "peak MiB" "vs onnx wall"
cd "$T" || exit 1
for m in yolov8n yolov8s; do
    onnx=$(measure "$BIN" export model=$m.pt format=onnx)
    ow=${onnx%% *}
    printf '  %-8s %-18s %-8s %9s %9s %9s %12s\n' "$m" onnx True "$ow" "$(echo "$onnx" | cut -d' ' -f2)" \
        "$(echo "$onnx" | cut -d' ' -f3)" "1.00x"
    for f in "tflite" "tflite half=True" "saved_model" "pb"; do
        for v in True False; do
            r=$(measure "$BIN" export model=$m.pt format=$f verify=$v)
            if [ "$r" = FAILED ]; then
                printf '  %-8s %-18s %-8s %9s\n' "$m" "$f" "$v" FAILED
                continue
            fi
            echo "$r" | awk -v m="$m" -v f="$f" -v v="$v" -v ow="$ow" '{
                printf "  %-8s %-18s %-8s %9d %9d %9d %11.2fx\n", m, f, v, $1, $2, $3, (ow > 0 ? $1 / ow : 0) }'
        done
    done
done
