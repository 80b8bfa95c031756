#!/bin/sh
# End to end: the formats yoloport makes by driving external tools, with stand-ins written
# here and put first on PATH (no TensorRT, GPU, Ultralytics or converter exists where the
# tests run).  The stand-ins record their arguments, print lines over time with timestamps,
# exit with chosen codes, hang, or die by a signal:
#   trtexec      the exact command lines (half, workspace, dynamic, batch, DLA) for TensorRT
#                8.4 and 10 answers; the engine it writes gets the peer's header, which the
#                peer's reader (emulated in Python) and `yoloport info` read back; streaming
#                proved by timestamps; failures, SIGKILL, a cancel that leaves no process of the
#                group; a missing trtexec or GPU says what is missing and writes nothing
#                `benchmark` times the engine with trtexec --loadEngine
#   nvidia-smi   the GPU facts (and another GPU, for info's warnings)
#   yolo         the peer's exporter as the fallback (coreml) and as backend=ultralytics
#   MNNConvert, pnnx, ovc   the converters on our ONNX
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/nogpu" "$T/cache" "$T/w" "$T/ref"
export XDG_CACHE_HOME="$T/cache" XDG_CONFIG_HOME="$T/config"
export YOLOPORT_NVIDIA_PROC="$T/nogpu" YOLOPORT_TEGRA_RELEASE=/nonexistent
STANDIN_LOG="$T/calls.log"
export STANDIN_LOG
BASE_PATH="$PATH"
PATH="$T/bin:$BASE_PATH"
export PATH

cat >"$T/bin/trtexec" <<'EOF'
#!/bin/sh
# stand-in for NVIDIA's trtexec (see tests/e2e/tools.sh)
{ printf 'trtexec'; for a in "$@"; do printf ' %s' "$a"; done; printf '\n'; } >>"$STANDIN_LOG"
echo "&&&& RUNNING TensorRT.trtexec [TensorRT v${STANDIN_TRT:-100300}] # trtexec $*"
[ "$1" = "--help" ] && { echo "=== Model Options ==="; exit 0; }
out=; load=
for a in "$@"; do case "$a" in --saveEngine=*) out=${a#--saveEngine=} ;; --loadEngine=*) load=${a#--loadEngine=} ;;
    --calib=*) cp "${a#--calib=}" "$STANDIN_LOG.calib" || exit 1 ;; esac; done
if [ -n "$out" ]; then
    echo "$$" >"$STANDIN_LOG.pgid"
    for i in 1 2 3; do echo "[I] [TRT] building step $i at $(date +%s.%N)"; sleep "${STANDIN_SLEEP:-0.2}"; done
    case "${STANDIN_MODE:-}" in
    fail) echo "[E] Error[4]: [network.cpp::validate::3000] simulated builder failure" >&2; exit 1 ;;
    oom) kill -9 $$ ;;
    hang) (trap '' INT; sleep 300) & sleep 300 ;;
    esac
    printf 'PLAN %s' "$*" >"$out"
    echo "&&&& PASSED TensorRT.trtexec [TensorRT v${STANDIN_TRT:-100300}]"
fi
if [ -n "$load" ]; then
    [ -s "$load" ] || { echo "[E] cannot deserialize $load" >&2; exit 1; }
    echo "[I] GPU Compute Time: min = 0.5 ms, max = 1.5 ms, mean = 0.75 ms, median = 0.7 ms, percentile(99%) = 1.4 ms"
fi
exit 0
EOF
cat >"$T/bin/nvidia-smi" <<'EOF'
#!/bin/sh
case "$1" in
--query-gpu=*) echo "${STANDIN_GPU:-NVIDIA Stand-In 9000}, ${STANDIN_CC:-8.6}, 535.54.03" ;;
*) echo "| NVIDIA-SMI 535.54.03   Driver Version: 535.54.03   CUDA Version: 12.2     |" ;;
esac
EOF
cat >"$T/bin/yolo" <<'EOF'
#!/bin/sh
# stand-in for the Ultralytics command line
[ "$1" = version ] && { echo 8.3.185; exit 0; }
{ printf 'yolo'; for a in "$@"; do printf ' %s' "$a"; done; printf '\n'; } >>"$STANDIN_LOG"
fmt=; model=
for a in "$@"; do case "$a" in format=*) fmt=${a#format=} ;; model=*) model=${a#model=} ;; esac; done
stem=${model%.*}
echo "Ultralytics 8.3.185 🚀 Python-3.11 torch-2.3 CPU (stand-in)"
echo "$fmt: starting export at $(date +%s.%N)"; sleep 0.3
case "$fmt" in
coreml) mkdir -p "$stem.mlpackage/Data" && echo '{"fileFormatVersion": "1.0.0"}' >"$stem.mlpackage/Manifest.json" ;;
onnx) cp "$STANDIN_ONNX" "$stem.onnx" ;;
esac
echo "$fmt: export success at $(date +%s.%N)"
EOF
cat >"$T/bin/MNNConvert" <<'EOF'
#!/bin/sh
[ "$1" = --version ] && { echo 2.9.0; exit 0; }
{ printf 'MNNConvert'; for a in "$@"; do printf ' %s' "$a"; done; printf '\n'; } >>"$STANDIN_LOG"
out=; prev=
for a in "$@"; do [ "$prev" = --MNNModel ] && out=$a; prev=$a; done
echo "Start to Convert Other Model Format To MNN Model..."
cp "$STANDIN_MNN" "$out" # what the real converter makes: a model that reads back and computes the source
echo "Converted Success!"
EOF
cat >"$T/bin/pnnx" <<'EOF'
#!/bin/sh
{ printf 'pnnx'; for a in "$@"; do printf ' %s' "$a"; done; printf '\n'; } >>"$STANDIN_LOG"
for a in "$@"; do case "$a" in ncnnparam=*) cp "$STANDIN_NCNN/model.ncnn.param" "${a#ncnnparam=}" ;; ncnnbin=*) cp "$STANDIN_NCNN/model.ncnn.bin" "${a#ncnnbin=}" ;; esac; done
echo "pnnx build done"
EOF
cat >"$T/bin/ovc" <<'EOF'
#!/bin/sh
[ "$1" = --version ] && { echo "OpenVINO Model Converter (ovc) 2024.0.0-14509"; exit 0; }
{ printf 'ovc'; for a in "$@"; do printf ' %s' "$a"; done; printf '\n'; } >>"$STANDIN_LOG"
out=; prev=
for a in "$@"; do [ "$prev" = --output_model ] && out=${a%.xml}; prev=$a; done
cp "$STANDIN_IR.xml" "$out.xml" && cp "$STANDIN_IR.bin" "$out.bin"
echo "[ SUCCESS ] XML file: $out.xml"
EOF
chmod +x "$T/bin/"*

cd "$T/w" || exit 1
# exp NAME ARGS...: export in $T/w, output in $T/NAME.out, exit status in $rc
exp() { n=$1; shift; : >"$STANDIN_LOG"; "$BIN" export "$@" >"$T/$n.out" 2>"$T/$n.err"; rc=$?; cat "$T/$n.err" >>"$T/$n.out"; }
show() { sed 's/^/    | /' "$T/$1.out" | tail -n 25; }
built() { grep '^trtexec --onnx' "$STANDIN_LOG"; }
no_temps() { ! find "$T/w" -name '*.tmp.*' | grep -q .; }
CACHE="$T/cache/yoloport/tensorrt/nvidia-stand-in-9000-sm8.6-trt10.3.0.timing"
# line NAME WANT ARGS...: the export succeeds and trtexec was run with exactly WANT
line() {
    n=$1; want=$2; shift 2
    rm -f yolov8n.engine yolov8n.onnx
    exp "$n" model=yolov8n.yaml format=engine imgsz=64 "$@"
    got=$(built)
    if [ "$rc" -eq 0 ] && [ "$got" = "$want" ] && [ -s yolov8n.engine ] && no_temps; then pass "$n"
    else fail "$n" "exit $rc; trtexec ran as [$got], wanted [$want]"; show "$n"; fi
}

# =========================================================================== command lines
line trt10_fp32 "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --timingCacheFile=$CACHE"
line trt10_half "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --timingCacheFile=$CACHE" half=True
line trt10_workspace "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --memPoolSize=workspace:2048 --timingCacheFile=$CACHE" half=True workspace=2
line trt10_dynamic_batch "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --minShapes=images:1x3x32x32 --optShapes=images:4x3x64x64 --maxShapes=images:4x3x128x128 --timingCacheFile=$CACHE" dynamic=True batch=4
line trt10_dla "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --useDLACore=1 --allowGPUFallback --timingCacheFile=$CACHE" half=True device=dla:1
line trt10_profile_args "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --minShapes=images:1x3x64x64 --optShapes=images:2x3x64x64 --maxShapes=images:2x3x256x256 --fp16 --timingCacheFile=$CACHE" half=True dynamic=True batch=2 min_shape=1x3x64x64 max_shape=2x3x256x256
line trt10_static_batch "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --timingCacheFile=$CACHE" batch=2
check trt10_static_batch_onnx_input sh -c "'$BIN' info yolov8n.onnx | grep -q 'input:    images \[2, 3, 64, 64\]'"
check trt_load_check grep -q '^trtexec --loadEngine=yolov8n.engine --iterations=10 --warmUp=0 --duration=0$' "$STANDIN_LOG"
C84="$T/cache/yoloport/tensorrt/nvidia-stand-in-9000-sm8.6-trt8.4.1.timing"
export STANDIN_TRT=8401
line trt84_half "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --timingCacheFile=$C84" half=True
line trt84_workspace "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --workspace=2048 --timingCacheFile=$C84" half=True workspace=2
line trt84_dynamic_batch "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --minShapes=images:1x3x32x32 --optShapes=images:8x3x64x64 --maxShapes=images:8x3x128x128 --workspace=512 --timingCacheFile=$C84" dynamic=True batch=8 workspace=0.5
line trt84_dla "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --useDLACore=0 --allowGPUFallback --timingCacheFile=$C84" half=True device=dla:0
unset STANDIN_TRT
check trt_timing_cache_dir test -d "$T/cache/yoloport/tensorrt"
# INT8: refused without calibration data, and (for now) with it; nothing written
rm -f yolov8n.engine yolov8n.onnx
exp int8_no_data model=yolov8n.yaml format=engine imgsz=64 int8=True
if [ "$rc" -ne 0 ] && grep -qF "int8=True for TensorRT needs calibration data: give data=<dataset.yaml>" "$T/int8_no_data.err" &&
    [ ! -e yolov8n.engine ] && [ ! -e yolov8n.onnx ] && [ ! -s "$STANDIN_LOG" ]; then pass int8_no_data
else fail int8_no_data "exit $rc"; show int8_no_data; fi
# int8 with data: yoloport calibrates the ONNX it built and hands trtexec the cache (TensorRT's
# text: its version, then each tensor's symmetric scale as a float's bits)
if need_shared; then
    rm -f "$STANDIN_LOG.calib"
    exp int8_with_data model=yolov8n.yaml format=engine imgsz=64 int8=True data="$YOLOPORT_SHARED/data/coco8.yaml"
    if [ "$rc" -eq 0 ] && built | grep -qE -- "--int8 .*--calib=yolov8n.cache|--calib=yolov8n.cache.* --int8" &&
        [ "$(head -1 "$STANDIN_LOG.calib")" = "TRT-100300-EntropyCalibration2" ] && grep -q '^images: [0-9a-f]\{8\}$' "$STANDIN_LOG.calib" &&
        [ "$(grep -c ': [0-9a-f]\{8\}$' "$STANDIN_LOG.calib")" -gt 100 ] &&
        grep -qF "INT8 calibration cache:" "$T/int8_with_data.out" && grep -qF "collecting INT8 calibration images" "$T/int8_with_data.out" &&
        [ -s yolov8n.engine ] && no_temps; then pass int8_with_data
    else fail int8_with_data "exit $rc"; show int8_with_data; fi
    rm -f yolov8n.engine yolov8n.onnx
else
    skip int8_with_data "../shared is absent"
fi

# =========================================================================== the engine file
line engine_for_info "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --timingCacheFile=$CACHE" half=True
check engine_log_command grep -qF "\$ trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --timingCacheFile=$CACHE    (in " "$T/engine_for_info.out"
check engine_log_success grep -qE "^TensorRT: export success ✅ [0-9.]+s, saved as 'yolov8n.engine'" "$T/engine_for_info.out"
check engine_report_built_on grep -qF "built on this host ($(uname -n)): TensorRT 10.3.0, NVIDIA Stand-In 9000 (compute 8.6), driver 535.54.03, CUDA 12.2" "$T/engine_for_info.out"
check engine_report_onnx_too grep -qE "^  yolov8n.onnx +ONNX" "$T/engine_for_info.out"
# the header as the peer's AutoBackend reads it: 4-byte little-endian length, JSON, then the plan
if python3 - yolov8n.engine >"$T/peer_read.out" 2>&1 <<'EOF'
import json, sys
with open(sys.argv[1], "rb") as f:
    meta_len = int.from_bytes(f.read(4), byteorder="little")
    metadata = json.loads(f.read(meta_len).decode("utf-8"))
    plan = f.read()
assert metadata["task"] == "detect" and metadata["imgsz"] == [64, 64] and metadata["batch"] == 1, metadata
assert metadata["stride"] == 32 and metadata["names"]["79"] == "79" and len(metadata["names"]) == 80
assert metadata["args"]["half"] is True and metadata["version"] == "8.3.185"
assert metadata["tensorrt"] == "10.3.0" and metadata["gpu"] == "NVIDIA Stand-In 9000"
assert metadata["compute_capability"] == "8.6" and metadata["driver"] == "535.54.03" and metadata["cuda"] == "12.2"
assert plan.startswith(b"PLAN --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16"), plan[:80]
print("ok")
EOF
then pass engine_header_as_the_peer_reads_it; else fail engine_header_as_the_peer_reads_it "$(cat "$T/peer_read.out")"; fi
"$BIN" info yolov8n.engine >"$T/info.out" 2>"$T/info.err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q '^task:     detect$' "$T/info.out" && grep -q '^imgsz:    64,64$' "$T/info.out" &&
    grep -q '^precision: FP16$' "$T/info.out" &&
    grep -qF 'NVIDIA Stand-In 9000 (compute 8.6), driver 535.54.03, CUDA 12.2, TensorRT 10.3.0' "$T/info.out" &&
    [ ! -s "$T/info.err" ]; then pass info_reads_the_header
else fail info_reads_the_header "exit $rc"; cat "$T/info.out" "$T/info.err" | sed 's/^/    | /'; fi
check info_json sh -c "'$BIN' info yolov8n.engine --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[\"built_with\"][\"tensorrt\"]==\"10.3.0\" and d[\"nc\"]==80 and d[\"warnings\"]==[]'"
STANDIN_GPU="NVIDIA GeForce RTX 2080" STANDIN_CC=7.5 "$BIN" info yolov8n.engine >/dev/null 2>"$T/info_gpu.err"
check info_warns_other_gpu grep -qF "WARNING built for NVIDIA Stand-In 9000 (compute 8.6), TensorRT 10.3.0, but this host has NVIDIA GeForce RTX 2080 (compute 7.5)" "$T/info_gpu.err"
STANDIN_TRT=8601 "$BIN" info yolov8n.engine >/dev/null 2>"$T/info_trt.err"
check info_warns_other_tensorrt grep -qF "WARNING built with TensorRT 10.3.0, but this host has TensorRT 8.6.1" "$T/info_trt.err"
PATH="$BASE_PATH" "$BIN" info yolov8n.engine >/dev/null 2>"$T/info_none.err"
check info_warns_no_gpu grep -qF "WARNING this host has no NVIDIA GPU: the engine runs only on the GPU it was built for" "$T/info_none.err"

# =========================================================================== what is missing
mkdir -p "$T/only_trt" "$T/only_smi"
cp "$T/bin/trtexec" "$T/only_trt/"
cp "$T/bin/nvidia-smi" "$T/only_smi/"
rm -f yolov8n.engine yolov8n.onnx
PATH="$T/only_smi:$BASE_PATH" "$BIN" export model=yolov8n.yaml format=engine imgsz=64 >"$T/no_trtexec.out" 2>"$T/no_trtexec.err"
rc=$?
if [ "$rc" -ne 0 ] && grep -qF "TensorRT export is not available on this host: trtexec is not on PATH" "$T/no_trtexec.err" &&
    [ ! -e yolov8n.engine ] && [ ! -e yolov8n.onnx ] && no_temps; then pass missing_trtexec_says_so
else fail missing_trtexec_says_so "exit $rc"; cat "$T/no_trtexec.err" | sed 's/^/    | /'; fi
PATH="$T/only_trt:$BASE_PATH" "$BIN" export model=yolov8n.yaml format=engine imgsz=64 >"$T/no_gpu.out" 2>"$T/no_gpu.err"
rc=$?
if [ "$rc" -ne 0 ] && grep -qF "TensorRT export is not available on this host: no NVIDIA GPU (nvidia-smi is not on PATH and the driver lists no GPU)" "$T/no_gpu.err" &&
    [ ! -e yolov8n.engine ] && [ ! -e yolov8n.onnx ] && no_temps; then pass missing_gpu_says_so
else fail missing_gpu_says_so "exit $rc"; cat "$T/no_gpu.err" | sed 's/^/    | /'; fi

# =========================================================================== benchmark
# the TensorRT row: built by trtexec, timed with trtexec --loadEngine (its GPU compute time,
# the median: 0.7 ms); the second run reuses the engine (its precision from the header);
# without trtexec the row names what is missing
mkdir -p "$T/bench" && cp "$ROOT/share/models/yolov8.yaml" "$T/bench/yolov8n.yaml" # a file: provenance needs one
bench() { n=$1; shift; : >"$STANDIN_LOG"; (cd "$T/bench" && "$BIN" benchmark model=yolov8n.yaml imgsz=64 runs=5 "$@") >"$T/$n.out" 2>&1; rc=$?; }
ROW='^0 +TensorRT +✅ +[0-9.]+ +- +0\.70 +1426\.53 +TensorRT 10\.3\.0 \(trtexec\) +fp16 +- +'
bench bench_trt format=engine half=True
if [ "$rc" -eq 0 ] && grep -Eq "$ROW[0-9.]+\$" "$T/bench_trt.out" && grep -q '^trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine .*--fp16' "$STANDIN_LOG" &&
    grep -qx 'trtexec --loadEngine=yolov8n.engine.plan --shapes=images:1x3x64x64 --iterations=5' "$STANDIN_LOG" &&
    grep -qF 'timed with trtexec --loadEngine on this host (GPU compute time, median)' "$T/bench_trt.out"; then pass benchmark_engine_timed_by_trtexec
else fail benchmark_engine_timed_by_trtexec "exit $rc"; show bench_trt; fi
bench bench_trt_again format=engine half=True
if [ "$rc" -eq 0 ] && grep -Eq "${ROW}reused\$" "$T/bench_trt_again.out" && ! grep -q -- '--onnx=' "$STANDIN_LOG" &&
    grep -q -- '^trtexec --loadEngine=yolov8n.engine.plan' "$STANDIN_LOG"; then pass benchmark_engine_reused
else fail benchmark_engine_reused "exit $rc"; show bench_trt_again; fi
(cd "$T/bench" && PATH="$T/only_smi:$BASE_PATH" "$BIN" benchmark model=yolov8n.yaml imgsz=64 format=engine) >"$T/bench_no_trtexec.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -Eq '^0 +TensorRT +❌ +- ' "$T/bench_no_trtexec.out" &&
    grep -qF '0 ❌ TensorRT: not available on this host: trtexec is not on PATH' "$T/bench_no_trtexec.out"; then pass benchmark_engine_missing_trtexec_says_so
else fail benchmark_engine_missing_trtexec_says_so "exit $rc"; show bench_no_trtexec; fi
bench bench_host_others format=onnx host=gpu-box
check benchmark_host_needs_format_engine sh -c "[ $rc -eq 2 ] && grep -qF 'host=gpu-box: benchmarking on another machine is not available for the formats yoloport runs itself' '$T/bench_host_others.out'"

# =========================================================================== failures, signals
STANDIN_MODE=fail exp build_fails model=yolov8n.yaml format=engine imgsz=64
if [ "$rc" -eq 1 ] && grep -qF "TensorRT build: trtexec exited with status 1" "$T/build_fails.err" &&
    grep -qF "trtexec: [E] Error[4]: [network.cpp::validate::3000] simulated builder failure" "$T/build_fails.out" &&
    [ ! -e yolov8n.engine ] && no_temps; then pass build_failure_names_the_stage
else fail build_failure_names_the_stage "exit $rc"; show build_fails; fi
STANDIN_MODE=oom exp build_oom model=yolov8n.yaml format=engine imgsz=64
if [ "$rc" -eq 1 ] && grep -qF "TensorRT build: trtexec was killed by signal 9 (killed (out of memory?))" "$T/build_oom.err" &&
    [ ! -e yolov8n.engine ] && no_temps; then pass build_sigkill_out_of_memory
else fail build_sigkill_out_of_memory "exit $rc"; show build_oom; fi

# =========================================================================== streaming
# each line of the build reaches yoloport's stdout when trtexec prints it: stamp arrivals
rm -f yolov8n.engine
STANDIN_SLEEP=0.6 "$BIN" export model=yolov8n.yaml format=engine imgsz=64 2>&1 |
    while IFS= read -r l; do printf '%s %s\n' "$(date +%s.%N)" "$l"; done >"$T/stream.out"
if awk '/building step [0-9] at/ { n++; printed = $NF; arrived = $1; d = arrived - printed;
        if (d < -0.05 || d > 0.5) bad = 1; if (n == 1) first = arrived; last = arrived }
        END { exit !(n == 3 && !bad && last - first > 1.0) }' "$T/stream.out"; then pass build_log_streams
else fail build_log_streams "arrival vs print times:"; grep 'building step' "$T/stream.out" | sed 's/^/    | /'; fi

# =========================================================================== cancel
rm -f yolov8n.engine "$STANDIN_LOG.pgid"
STANDIN_MODE=hang "$BIN" export model=yolov8n.yaml format=engine imgsz=64 >"$T/cancel.out" 2>&1 &
ypid=$!
i=0
while [ ! -s "$STANDIN_LOG.pgid" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
pg=$(cat "$STANDIN_LOG.pgid" 2>/dev/null)
sleep 0.8
kill -INT "$ypid"
wait "$ypid"
rc=$?
if [ -n "$pg" ] && [ "$rc" -eq 130 ] && group_gone "$pg" && grep -qF "cancelled" "$T/cancel.out" && [ ! -e yolov8n.engine ] &&
    no_temps; then pass cancel_leaves_no_process_of_the_group
else fail cancel_leaves_no_process_of_the_group "exit $rc, group '$pg' still has processes or was not seen"; show cancel; fi

# =========================================================================== the peer's exporter
exp peer_coreml model=yolov8n.yaml format=coreml imgsz=64
if [ "$rc" -eq 0 ] && [ "$(grep '^yolo' "$STANDIN_LOG")" = "yolo export model=yolov8n.yaml format=coreml imgsz=64" ] &&
    [ -f yolov8n.mlpackage/Manifest.json ] && grep -qF '$ yolo export model=yolov8n.yaml format=coreml imgsz=64' "$T/peer_coreml.out" &&
    grep -qE "^  yolov8n.mlpackage +CoreML" "$T/peer_coreml.out" && grep -qF "built on this host: yolo export (Ultralytics 8.3.185)" "$T/peer_coreml.out" &&
    grep -qF "yolo: coreml: export success at" "$T/peer_coreml.out" && no_temps; then pass peer_fallback_coreml
else fail peer_fallback_coreml "exit $rc, yolo ran as [$(grep '^yolo' "$STANDIN_LOG")]"; show peer_coreml; fi
check peer_coreml_check_skipped grep -qF "check numeric: skipped, yoloport does not run CoreML models" "$T/peer_coreml.out"
PATH="$T/only_trt:$BASE_PATH" "$BIN" export model=yolov8n.yaml format=paddle imgsz=64 >"$T/no_yolo.out" 2>"$T/no_yolo.err"
rc=$?
if [ "$rc" -ne 0 ] && grep -qF "PaddlePaddle export is not available in this build: needs X2Paddle" "$T/no_yolo.err" &&
    grep -qF "yolo is not on PATH on this host" "$T/no_yolo.err" && [ ! -e yolov8n_paddle_model ] && no_temps; then pass peer_missing_says_so
else fail peer_missing_says_so "exit $rc"; sed 's/^/    | /' "$T/no_yolo.err"; fi
# backend=ultralytics for a format we read: the peer's file is checked against the source
mkdir -p "$T/ref" && (cd "$T/ref" && "$BIN" export model=yolov8n.yaml format=onnx imgsz=64 verify=False >/dev/null 2>&1 &&
    "$BIN" export model=yolov8n.yaml format=openvino imgsz=64 verify=False >/dev/null 2>&1 &&
    "$BIN" export model=yolov8n.yaml format=ncnn imgsz=64 verify=False >/dev/null 2>&1 &&
    "$BIN" export model=yolov8n.yaml format=mnn imgsz=64 half=True verify=False >/dev/null 2>&1)
rm -f yolov8n.onnx
STANDIN_ONNX="$T/ref/yolov8n.onnx" exp peer_onnx model=yolov8n.yaml format=onnx imgsz=64 backend=ultralytics
if [ "$rc" -eq 0 ] && [ "$(grep '^yolo' "$STANDIN_LOG")" = "yolo export model=yolov8n.yaml format=onnx imgsz=64" ] &&
    grep -qF "check against the source ✅ passed" "$T/peer_onnx.out" && grep -qE "^  yolov8n.onnx +ONNX +fp32" "$T/peer_onnx.out" &&
    no_temps; then pass peer_backend_ultralytics_checked
else fail peer_backend_ultralytics_checked "exit $rc"; show peer_onnx; fi

# =========================================================================== converters on our ONNX
rm -f yolov8n.onnx yolov8n.mnn
STANDIN_MNN="$T/ref/yolov8n.mnn" exp mnnconvert model=yolov8n.yaml format=mnn imgsz=64 half=True backend=mnnconvert
got=$(grep '^MNNConvert' "$STANDIN_LOG")
case "$got" in
"MNNConvert -f ONNX --modelFile yolov8n.onnx --MNNModel yolov8n.mnn --bizCode {\"description\": \"Ultralytics YOLOv8n model \", "*"\"imgsz\": [64, 64]"*" --fp16") ok=1 ;;
*) ok=0 ;;
esac
if [ "$rc" -eq 0 ] && [ $ok -eq 1 ] && cmp -s yolov8n.mnn "$T/ref/yolov8n.mnn" && grep -qE "^  yolov8n.mnn +MNN +(fp16|mixed \(fp32 0%, fp16 100%\)) " "$T/mnnconvert.out" && no_temps; then pass converter_mnnconvert
else fail converter_mnnconvert "exit $rc, ran [$got]"; show mnnconvert; fi
STANDIN_NCNN="$T/ref/yolov8n_ncnn_model" exp pnnx model=yolov8n.yaml format=ncnn imgsz=64 backend=pnnx
if [ "$rc" -eq 0 ] && [ "$(grep '^pnnx' "$STANDIN_LOG")" = "pnnx yolov8n.onnx inputshape=[1,3,64,64] fp16=0 ncnnparam=model.ncnn.param ncnnbin=model.ncnn.bin ncnnpy=model_ncnn.py pnnxparam=model.pnnx.param pnnxbin=model.pnnx.bin pnnxpy=model_pnnx.py pnnxonnx=model.pnnx.onnx" ] &&
    [ -f yolov8n_ncnn_model/model.ncnn.param ] && [ -f yolov8n_ncnn_model/model.ncnn.bin ] && grep -q '^task: detect' yolov8n_ncnn_model/metadata.yaml &&
    grep -qF "check metadata: passed" "$T/pnnx.out" && no_temps; then pass converter_pnnx
else fail converter_pnnx "exit $rc"; show pnnx; fi
STANDIN_IR="$T/ref/yolov8n_openvino_model/yolov8n" exp ovc model=yolov8n.yaml format=openvino imgsz=64 backend=ovc
if [ "$rc" -eq 0 ] && [ "$(grep '^ovc' "$STANDIN_LOG")" = "ovc yolov8n.onnx --output_model yolov8n.xml --compress_to_fp16=False" ] &&
    [ -f yolov8n_openvino_model/yolov8n.xml ] && [ -f yolov8n_openvino_model/metadata.yaml ] &&
    grep -qF "check against the source ✅ passed" "$T/ovc.out" && grep -qE "^  yolov8n_openvino_model +OpenVINO" "$T/ovc.out" &&
    no_temps; then pass converter_ovc_checked
else fail converter_ovc_checked "exit $rc"; show ovc; fi
PATH="$T/only_trt:$BASE_PATH" "$BIN" export model=yolov8n.yaml format=openvino imgsz=64 backend=ovc >"$T/no_ovc.out" 2>"$T/no_ovc.err"
rc=$?
check converter_missing_says_so sh -c "[ $rc -ne 0 ] && grep -qF 'backend=ovc needs ovc, which is not on PATH on this host' '$T/no_ovc.err'"
