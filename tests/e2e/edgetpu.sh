#!/bin/sh
# End to end: format=edgetpu with a stand-in edgetpu_compiler first on PATH (Coral's compiler
# exists for x86-64 Linux only and is not installed where the tests run).  The stand-in records
# its arguments, prints lines over time with timestamps, writes <input>_edgetpu.tflite (a copy
# of the full-integer file it is given) or hangs.  Proved: the peer's command on our
# full-integer TF Lite file, the lines streamed into the log as they come, the output's name
# and place, cancel (no process of the group left, nothing written); without the compiler the
# refusal naming it, and nothing written; without data= the calibration refusal.  The
# built-in yolov8n at imgsz 64, calibrated on two generated images.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/bin" "$T/w" "$T/imgs"
STANDIN_LOG="$T/calls.log"
export STANDIN_LOG
BASE_PATH="$PATH"
cd "$T/w" || exit 1

cat >"$T/bin/edgetpu_compiler" <<'EOF'
#!/bin/sh
# stand-in for Coral's edgetpu_compiler (see tests/e2e/edgetpu.sh)
[ "$1" = "--version" ] && { echo "Edge TPU Compiler version 16.0.384591198"; exit 0; }
{ printf 'edgetpu_compiler'; for a in "$@"; do printf ' %s' "$a"; done; printf '\n'; } >>"$STANDIN_LOG"
echo "$$" >"$STANDIN_LOG.pgid"
out=.; in=
while [ $# -gt 0 ]; do
    case "$1" in --out_dir) out=$2; shift ;; -k) shift ;; -*) ;; *) in=$1 ;; esac
    shift
done
echo "Edge TPU Compiler version 16.0.384591198"
for i in 1 2 3; do echo "compiling step $i at $(date +%s.%N)"; sleep 0.4; done
[ "${STANDIN_MODE:-}" = hang ] && { (trap '' INT; sleep 300) & sleep 300; }
base=$(basename "$in" .tflite)
cp "$in" "$out/${base}_edgetpu.tflite"
echo "Output model: $out/${base}_edgetpu.tflite"
exit 0
EOF
chmod +x "$T/bin/edgetpu_compiler"
# two small images to calibrate on (PNG written here: no ../shared needed)
/usr/bin/python3 - "$T/imgs" <<'PY'
import struct, sys, zlib
def png(path, w, h, seed):
    rows = b"".join(b"\0" + bytes(((x * 7 + y * 13 + seed * 31) % 256) for x in range(w * 3)) for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    open(path, "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                           chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
for k in range(2): png("%s/img%d.png" % (sys.argv[1], k), 80, 60, k)
PY
no_temps() { ! find "$T/w" -name '*.tmp*' | grep -q .; }
show() { sed 's/^/    | /' "$T/$1.out" | tail -n 25; }

# 1. without the compiler: the refusal naming it, nothing written
PATH="$BASE_PATH" "$BIN" export model=yolov8n.yaml format=edgetpu imgsz=64 data="$T/imgs" >"$T/none.out" 2>&1; rc=$?
check "edgetpu: without edgetpu_compiler refused, naming it, nothing written" sh -c "[ $rc -ne 0 ] && grep -qF 'needs edgetpu_compiler (Linux x86-64)' '$T/none.out' && [ ! -e yolov8n_saved_model ]"

PATH="$T/bin:$BASE_PATH"
export PATH
# the matrix's "here" column: the compiler found on PATH
"$BIN" matrix --here --only edgetpu --format csv >"$T/matrix.out" 2>&1
check "edgetpu: the matrix's here column names the compiler found" sh -c "tail -n 1 '$T/matrix.out' | grep -q ',tool: edgetpu_compiler'"

# 2. without data=: the calibration refusal (yoloport never downloads coco8)
"$BIN" export model=yolov8n.yaml format=edgetpu imgsz=64 >"$T/nodata.out" 2>&1; rc=$?
check "edgetpu: without data= refused, saying what to pass" sh -c "[ $rc -ne 0 ] && grep -qF 'int8=True needs calibration data: give data=<dataset.yaml>' '$T/nodata.out' && [ ! -e yolov8n_saved_model ]"

# 3. the compiler on our full-integer file; its lines arrive as it prints them
: >"$STANDIN_LOG"
"$BIN" export model=yolov8n.yaml format=edgetpu imgsz=64 data="$T/imgs" 2>&1 |
    while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done >"$T/ok.out"
OUT=yolov8n_saved_model/yolov8n_full_integer_quant_edgetpu.tflite
check "edgetpu: the peer's command on the full-integer file" sh -c "[ \"\$(cat '$STANDIN_LOG')\" = 'edgetpu_compiler -s -d -k 10 --out_dir . yolov8n_full_integer_quant.tflite' ] && grep -qF '\$ edgetpu_compiler -s -d -k 10 --out_dir . yolov8n_full_integer_quant.tflite' '$T/ok.out'"
check "edgetpu: the compiled file in the saved_model directory, returned" sh -c "[ -s $OUT ] && [ -s yolov8n_saved_model/yolov8n_full_integer_quant.tflite ] && grep -qF \"saved as '$OUT'\" '$T/ok.out'"
check "edgetpu: read back with its int8 interface" grep -qE 'interface check ✅ passed: read back yolov8n_full_integer_quant_edgetpu\.tflite: input .* int8, 1 int8 output' "$T/ok.out"
check "edgetpu: the size report names it int8 (Edge TPU)" grep -qE "^[0-9.]+ +yolov8n_saved_model/yolov8n_full_integer_quant_edgetpu\.tflite +TensorFlow Edge TPU +int8 \(Edge TPU\)" "$T/ok.out"
if awk '/compiling step/ { for (i = 1; i <= NF; i++) if ($i == "at") t = $(i + 1); d = $1 - t; if (d > 0.3 || d < -0.05) bad = 1;
        if (!n++) first = $1; last = $1 } END { exit !(n == 3 && !bad && last - first > 0.6) }' "$T/ok.out"; then
    pass "edgetpu: the compiler's lines streamed into the log as printed"
else fail "edgetpu: the compiler's lines streamed into the log as printed" "arrival vs print times:"; grep 'compiling step' "$T/ok.out" | sed 's/^/    | /'; fi
check "edgetpu: no temporary left" no_temps

# 4. cancel while the compiler runs: no process of its group left, no compiled file
rm -rf yolov8n_saved_model "$STANDIN_LOG.pgid"
STANDIN_MODE=hang "$BIN" export model=yolov8n.yaml format=edgetpu imgsz=64 data="$T/imgs" >"$T/cancel.out" 2>&1 &
ypid=$!
i=0
while [ ! -s "$STANDIN_LOG.pgid" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
pg=$(cat "$STANDIN_LOG.pgid" 2>/dev/null)
sleep 0.8
kill -INT "$ypid"
wait "$ypid"
rc=$?
if [ -n "$pg" ] && [ "$rc" -eq 130 ] && group_gone "$pg" && grep -qF "cancelled" "$T/cancel.out" && [ ! -e $OUT ] && no_temps; then
    pass "edgetpu: cancel stops the compiler's group and leaves no compiled file"
else fail "edgetpu: cancel stops the compiler's group and leaves no compiled file" "exit $rc, group '$pg' still has processes or was not seen"; show cancel; fi
