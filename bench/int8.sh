#!/bin/sh
# bench/int8.sh: INT8 calibration and export speed, and what each calibration method keeps.
#   1. For yolov8n and yolov8s at 640: calibration images per second (the executor running the
#      model over coco8's images with the statistics observer), then the whole process of
#      `export format=onnx int8=True data=coco8.yaml` and `format=openvino int8=True` (load,
#      calibrate, quantise, write, read back, check, val of the int8 model and the fp32 one),
#      median of RUNS runs, printed beside the fp32 `format=onnx` export of the same run and
#      their ratio (no target: the int8 export also validates both models on the val split).
#   2. The calibration methods (min/max, percentile, entropy) on the same statistics, calibrated
#      on coco8's val split and on its train split: mAP50-95 (mAP50) of the QDQ and the
#      FakeQuantize model against fp32 (bench/int8_bench.c).  The default is marked.
#   3. The int8 convolution micro-kernels alone on one thread (bench/gemm8_bench.c): every one
#      this CPU runs (portable, AVX2, AVX-512 VNNI) on the same tiles, GMAC/s and the ratio to
#      the portable one.
#   4. Printed first: the peer's OpenVINO int8 IR of yolov8n (up to its box decoding) in the executor
#      with its FakeQuantize convolutions in integers (fusion on) and in float (fusion off),
#      run alternately in one process: median ms of each, their ratio, and the Conv nodes' ms.
#   sh bench/int8.sh            RUNS=3 by default
cd "$(dirname "$0")/.." || exit 2
BIN="${YOLOPORT_REL_BIN:-$PWD/build/yoloport}"
RUNS="${RUNS:-3}"
SHARED="${YOLOPORT_SHARED:-../shared}"
[ -x "$BIN" ] || { echo "bench/int8: build $BIN first (make)"; exit 1; }
[ -d "$SHARED/models" ] || { echo "bench/int8: skipped: no $SHARED/models"; exit 0; }
SHARED=$(cd "$SHARED" && pwd)
DATA="$SHARED/data/coco8.yaml"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cp "$SHARED/models/yolov8n.pt" "$SHARED/models/yolov8s.pt" "$T/"
PKG_LIBS="$(pkg-config --libs ncursesw json-c libprotobuf-c libzip yaml-0.1 openblas libpng libxml-2.0 zlib) -lreadline -ljpeg -lpthread -lm"
make --no-print-directory build/rel/libyoloport.a >/dev/null || exit 1
cc -O2 -I. -Ibuild/gen bench/int8_bench.c build/rel/libyoloport.a $PKG_LIBS -o "$T/int8_bench" || exit 1
cc -O2 -I. -Ibuild/gen bench/gemm8_bench.c build/rel/libyoloport.a -lm -o "$T/gemm8_bench" || exit 1
OV_IR="$SHARED/reference/openvino/yolov8n_int8_openvino_model"
if [ -d "$OV_IR" ]; then
    echo "OpenVINO int8 IR (the peer's yolov8n), FakeQuantize convolutions in integers vs float, median of $((RUNS * 3)) runs"
    "$T/int8_bench" fq-convs "$OV_IR" "$SHARED/reference/peer/yolov8n.input.npy" $((RUNS * 3)) || echo "int8_bench fq-convs failed"
    echo
fi
# a folder of coco8's 8 images: more images per calibration than the val split's 4
mkdir -p "$T/imgs"
cp "$SHARED"/data/coco8/images/train/*.jpg "$SHARED"/data/coco8/images/val/*.jpg "$T/imgs/"

# median_s CMD...: median wall time in seconds of RUNS runs (after one untimed run)
median_s() {
    "$@" >/dev/null 2>&1 || { echo "FAILED"; return; }
    i=0
    : >"$T/times"
    while [ $i -lt "$RUNS" ]; do
        t0=$(date +%s%N)
        "$@" >/dev/null 2>&1
        t1=$(date +%s%N)
        echo $(((t1 - t0) / 1000000)) >>"$T/times"
        i=$((i + 1))
    done
    sort -n "$T/times" | awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] / 1000 }'
}

echo "INT8 export on $(nproc) CPUs, median of $RUNS runs (whole process)"
printf "%-8s %12s %12s %12s %14s %10s %10s\n" model "calib img/s" "fp32 onnx s" "int8 onnx s" "int8 openvino s" "onnx x" "ov x"
for m in yolov8n yolov8s; do
    cd "$T" || exit 1
    rate=$("$BIN" export model=$m.pt format=onnx int8=True data="$T/imgs" 2>&1 | sed -n 's/.*calibrated on [0-9]* images in [0-9.]*s (\([0-9.]*\) images\/s).*/\1/p')
    f32=$(median_s "$BIN" export model=$m.pt format=onnx)
    i8=$(median_s "$BIN" export model=$m.pt format=onnx int8=True data="$DATA")
    ov=$(median_s "$BIN" export model=$m.pt format=openvino int8=True data="$DATA")
    cd - >/dev/null || exit 1
    r1=$(awk -v a="$i8" -v b="$f32" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }')
    r2=$(awk -v a="$ov" -v b="$f32" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "n/a" }')
    printf "%-8s %12s %12s %12s %14s %10s %10s\n" "$m" "${rate:-?}" "$f32" "$i8" "$ov" "$r1" "$r2"
done
echo "(calibration rate: 8 images of coco8 in a folder; the int8 exports calibrate on coco8.yaml's val split and"
echo " validate the int8 and the fp32 model on it)"

echo
echo "Calibration methods: mAP50-95 (mAP50) on coco8 val at 640, the same statistics for every method"
for m in yolov8n yolov8s; do
    for split in val train; do
        echo "== $m, calibrated on coco8 $split"
        "$T/int8_bench" "$T/$m.pt" "$DATA" 640 "$split" || echo "int8_bench failed"
    done
done

echo
"$T/gemm8_bench"
