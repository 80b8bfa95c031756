#!/bin/sh
# Workbench benchmark (figures, not a test): start -> first full frame with yolov8s.pt,
# key -> next frame latency while a job streams 10,000 log lines a second, and bytes written
# to the terminal per idle second.  The workbench writes its own frame timings when
# YOLOPORT_BENCH_LOG is set; tmux drives it at 120x40, TERM=screen-256color.
# Targets: first frame < 100 ms, key -> frame p99 < 16 ms, idle output ~ 0 bytes/s.
cd "$(dirname "$0")/.." || exit 2
BIN="${YOLOPORT_REL_BIN:-$PWD/build/yoloport}"
SHARED="${YOLOPORT_SHARED:-../shared}"
[ -x "$BIN" ] || { echo "bench/tui: build $BIN first (make)"; exit 1; }
command -v tmux >/dev/null || { echo "bench/tui: tmux not installed"; exit 0; }
T="tmux -L ypbench$$ -f /dev/null"
W=$(mktemp -d)
trap '$T kill-server 2>/dev/null; rm -rf "$W"' EXIT
export XDG_CONFIG_HOME="$W/config" XDG_STATE_HOME="$W/state"
$T new-session -d -s keeper "sleep 3600" # the server stays up between runs

run() { # NAME LOG ARGS...: start the workbench with frame logging
    n=$1 log=$2; shift 2
    $T new-session -d -s "$n" -x 120 -y 40 \
        "cd '$W' && env TERM=screen-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 YOLOPORT_BENCH_LOG='$log' script -qfc \"'$BIN' $*\" '$W/$n.raw' >/dev/null; sleep 600"
}
wait_frames() { # LOG N SECONDS
    i=0; while [ $i -lt $(( $3 * 20 )) ]; do
        [ -f "$1" ] && [ "$(grep -c '^frame' "$1")" -ge "$2" ] && return 0
        sleep 0.05; i=$((i + 1))
    done; return 1
}
first_frame_ms() { awk '/^frame 1 /{printf "%.1f", $3 * 1000; exit}' "$1"; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }

model=yolov8s.pt
if [ -f "$SHARED/models/yolov8s.pt" ]; then cp "$SHARED/models/yolov8s.pt" "$W/"; else model=yolov8n.yaml; echo "bench/tui: no yolov8s.pt, using the built-in yolov8n.yaml"; fi

# 1. start -> first full frame: the built-in config (baseline) and the checkpoint, 5 runs each
for m in yolov8n.yaml "$model"; do
    : > "$W/ff.$m"
    for k in 1 2 3 4 5; do
        run ff$k "$W/ff$k.log" "$m"
        wait_frames "$W/ff$k.log" 1 10 && first_frame_ms "$W/ff$k.log" >> "$W/ff.$m" && echo >> "$W/ff.$m"
        $T kill-session -t ff$k 2>/dev/null
        rm -f "$W/ff$k.log"
    done
done
base=$(grep . "$W/ff.yolov8n.yaml" | median)
ff=$(grep . "$W/ff.$model" | median)
echo "first frame, built-in yolov8n.yaml:  ${base} ms (median of 5)"
echo "first frame, $model:                ${ff} ms (median of 5; target < 100 ms; $(awk -v a="$ff" -v b="$base" 'BEGIN{if (b > 0) printf "%.1fx the built-in model", a / b}'))"

# 2. key -> frame while a job floods its log
run k "$W/k.log" "$model"
wait_frames "$W/k.log" 1 10
$T send-keys -t k : ; $T send-keys -t k -l "stress-log 10000 12"; $T send-keys -t k Enter
sleep 1
$T send-keys -t k 1
sleep 0.3
i=0
while [ $i -lt 150 ]; do
    if [ $((i % 2)) = 0 ]; then $T send-keys -t k j; else $T send-keys -t k k; fi
    sleep 0.03; i=$((i + 1))
done
sleep 0.5
# frames that followed a key: third field is key -> frame seconds
awk '/^frame/ && $4 >= 0 {print $4 * 1000}' "$W/k.log" | sort -n > "$W/lat"
n=$(wc -l < "$W/lat")
p50=$(awk -v n="$n" 'NR == int(n * 0.50 + 0.5) {printf "%.2f", $1}' "$W/lat")
p99=$(awk -v n="$n" 'NR == int(n * 0.99 + 0.5) {printf "%.2f", $1}' "$W/lat")
max=$(tail -1 "$W/lat")
echo "key -> frame during a 10,000 lines/s log: p50 ${p50} ms, p99 ${p99} ms, max ${max} ms over $n keys (target p99 < 16 ms)"
frames=$(grep -c '^frame' "$W/k.log")
echo "frames drawn in that run: $frames (job-driven redraws capped at the refresh rate)"
$T kill-session -t k 2>/dev/null

# 3. bytes per idle second
run i "$W/i.log" "$model"
wait_frames "$W/i.log" 1 10
sleep 1
b0=$(wc -c < "$W/i.raw")
sleep 5
b1=$(wc -c < "$W/i.raw")
echo "idle output: $(( (b1 - b0) / 5 )) bytes/s over 5 s (target ~ 0; first frame was $b0 bytes)"
$T kill-session -t i 2>/dev/null
