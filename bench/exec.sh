#!/bin/sh
# Executor benchmark: yoloport's executor against onnxruntime (the npm package), in one run
# and with one thread count, on ONNX files yoloport exports from ../shared/models
# (yolov8n, yolov8s, yolo11n-seg at 640): median ms/image of each, their ratio (target for
# yolov8n: <= 1.0), the executor's peak memory, the sgemm floor (one cblas_sgemm with
# yolov8n's multiply-adds on the same threads), the whole-process time of a half=True
# export of yolov8n (target: under 250 ms on 2 cores) with the time of its check, and the
# path, time and GFLOP/s of every yolov8n convolution (with EXEC_PATHS=1 also each one alone
# on its chosen path and on the blocked NCHWc path, side by side: exec_bench --paths); and
# yolov8n's TF Lite, GraphDef and TF.js files in our executor against its ONNX.  The two runtimes alternate for
# ROUNDS rounds of RUNS timed runs; each prints the median of its round medians (a shared
# machine's noise lands on both).
#   sh bench/exec.sh [runs] [threads] [rounds]
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-10}
THREADS=${2:-$(nproc)}
ROUNDS=${3:-3}
SHARED=${YOLOPORT_SHARED:-../shared}
BIN="$PWD/build/yoloport"
make --no-print-directory build/yoloport >/dev/null
if [ ! -d "$SHARED/models" ]; then
    echo "exec: $SHARED/models is absent; nothing to time"
    exit 0
fi
SHARED=$(cd "$SHARED" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PKG_LIBS="$(pkg-config --libs ncursesw json-c libprotobuf-c libzip yaml-0.1 openblas libpng libxml-2.0) -lreadline -ljpeg -lz -lpthread -lm"
cc -O2 -I. -Ibuild/gen $(pkg-config --cflags openblas) bench/exec_bench.c build/rel/libyoloport.a $PKG_LIBS -o "$tmp/exec_bench"
HAVE_ORT=""
if command -v node >/dev/null 2>&1 && [ -f tests/node/node_modules/onnxruntime-node/package.json ]; then HAVE_ORT=1; fi

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
field() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p" | head -1; }

echo "exec benchmark: $THREADS threads, $RUNS runs x $ROUNDS rounds, onnxruntime-node $(node -e "console.log(require('./tests/node/node_modules/onnxruntime-node/package.json').version)" 2>/dev/null || echo absent)"
printf "%-12s %12s %16s %8s %10s  %s\n" model "ours ms" "onnxruntime ms" ratio "peak MB" "kernels"
for m in yolov8n yolov8s yolo11n-seg; do
    [ -f "$SHARED/models/$m.pt" ] || { echo "$m: $SHARED/models/$m.pt absent"; continue; }
    mkdir -p "$tmp/$m"
    cp "$SHARED/models/$m.pt" "$tmp/$m/"
    (cd "$tmp/$m" && "$BIN" export model="$m.pt" format=onnx imgsz=640 >"$tmp/$m/export.log" 2>&1) ||
        { echo "$m: export failed"; tail -3 "$tmp/$m/export.log"; continue; }
    onnx="$tmp/$m/$m.onnx"
    : >"$tmp/ours"
    : >"$tmp/ort"
    r=0
    while [ $r -lt "$ROUNDS" ]; do
        "$tmp/exec_bench" "$onnx" "$RUNS" "$THREADS" >"$tmp/line"
        field median <"$tmp/line" >>"$tmp/ours"
        [ -n "$HAVE_ORT" ] && node bench/ort_bench.js "$onnx" "$RUNS" "$THREADS" | field median >>"$tmp/ort"
        r=$((r + 1))
    done
    ours=$(median <"$tmp/ours")
    ort=$( [ -n "$HAVE_ORT" ] && median <"$tmp/ort" || echo nan)
    peak=$(field peak <"$tmp/line")
    kern=$(sed -n 's/.* threads, \([a-z0-9]*\) kernels.*/\1/p' "$tmp/line")
    ratio=$(awk -v a="$ours" -v b="$ort" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    printf "%-12s %12s %16s %8s %10s  %s\n" "$m" "$ours" "$ort" "$ratio" "$peak" "$kern"
    [ "$m" = yolov8n ] && macs=$(sed -n 's/.*, \([0-9.]*\) GMACs.*/\1/p' "$tmp/line") && n_ours=$ours
done

if [ -n "${macs:-}" ]; then
    floor=$("$tmp/exec_bench" --sgemm "$(awk -v g="$macs" 'BEGIN { printf "%.0f", g * 1e9 }')" "$THREADS" | field median)
    echo "sgemm floor: yolov8n's $macs GMACs in one cblas_sgemm on $THREADS threads: $floor ms; ours / floor = $(awk -v a="$n_ours" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')"
fi

# yolov8n's TensorFlow files (NHWC graphs read back: Transposes sunk, Pads folded) in our
# executor against its ONNX, alternating rounds
if [ -f "$tmp/yolov8n/yolov8n.onnx" ]; then
    (cd "$tmp/yolov8n" && "$BIN" export model=yolov8n.pt format=tflite verify=False >/dev/null 2>&1 &&
        "$BIN" export model=yolov8n.pt format=pb verify=False >/dev/null 2>&1 &&
        "$BIN" export model=yolov8n.pt format=tfjs verify=False >/dev/null 2>&1) || echo "yolov8n: a TensorFlow export failed"
    for f in yolov8n_saved_model/yolov8n_float32.tflite yolov8n.pb yolov8n_web_model; do
        [ -e "$tmp/yolov8n/$f" ] || continue
        : >"$tmp/tf"
        : >"$tmp/onnx"
        r=0
        while [ $r -lt "$ROUNDS" ]; do
            "$tmp/exec_bench" "$tmp/yolov8n/$f" "$RUNS" "$THREADS" | field median >>"$tmp/tf"
            "$tmp/exec_bench" "$tmp/yolov8n/yolov8n.onnx" "$RUNS" "$THREADS" | field median >>"$tmp/onnx"
            r=$((r + 1))
        done
        a=$(median <"$tmp/tf")
        b=$(median <"$tmp/onnx")
        echo "yolov8n $f in our executor: $a ms/image; its ONNX $b ms; ratio $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
    done
fi

# the half=True export of yolov8n, whole process: median of 5 (one warm-up), and its check
if [ -f "$SHARED/models/yolov8n.pt" ]; then
    mkdir -p "$tmp/half"
    cp "$SHARED/models/yolov8n.pt" "$tmp/half/"
    (cd "$tmp/half" && "$BIN" export model=yolov8n.pt format=onnx half=True >/dev/null 2>&1) || true
    : >"$tmp/half/times"
    i=0
    while [ $i -lt 5 ]; do
        t0=$(date +%s%N)
        (cd "$tmp/half" && "$BIN" export model=yolov8n.pt format=onnx half=True >"$tmp/half/log" 2>&1) || true
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000000 )) >>"$tmp/half/times"
        i=$((i + 1))
    done
    check=$(grep -o 'source [0-9.]*s and written [0-9.]*s side by side' "$tmp/half/log" | head -1)
    status=$(grep -o 'check against the source [^:]*' "$tmp/half/log" | head -1)
    echo "half=True export of yolov8n (whole process): median $(median <"$tmp/half/times") ms of 5 (target 250 ms); $status; ${check:-no check time in the log}"
fi

# every yolov8n convolution: its path, time and GFLOP/s (the fastest of the runs)
if [ -f "$tmp/yolov8n/yolov8n.onnx" ]; then
    echo "yolov8n layers ($THREADS threads):"
    "$tmp/exec_bench" "$tmp/yolov8n/yolov8n.onnx" "$RUNS" "$THREADS" --layers | sed 1d
fi

# with EXEC_PATHS=1: each yolov8n convolution alone, its chosen path against the blocked one
if [ -n "${EXEC_PATHS:-}" ] && [ -f "$SHARED/models/yolov8n.pt" ]; then
    echo "yolov8n convolutions alone, chosen path against blocked ($THREADS threads):"
    "$tmp/exec_bench" "$SHARED/models/yolov8n.pt" "$RUNS" "$THREADS" --paths | sed 1d
fi
