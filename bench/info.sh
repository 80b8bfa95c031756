#!/bin/sh
# Benchmark: `yoloport info` on a checkpoint — whole-process wall time and peak RSS over
# several runs (median), against the targets (< 50 ms, peak RSS < 2x the file size) and
# against `yoloport --version` measured in the same run (process start-up baseline).
# Usage: sh bench/info.sh [MODEL] [RUNS]   (default ../shared/models/yolov8s.pt, 15 runs)
cd "$(dirname "$0")/.." || exit 2
BIN="${YOLOPORT_REL_BIN:-build/yoloport}"
MODEL="${1:-../shared/models/yolov8s.pt}"
RUNS="${2:-15}"
[ -x "$BIN" ] || { echo "bench/info: $BIN not built (make)"; exit 1; }
[ -f "$MODEL" ] || { echo "bench/info: $MODEL not found: skipped"; exit 0; }
export YOLOPORT_SHARE="$PWD/share"
exec /usr/bin/python3 - "$BIN" "$MODEL" "$RUNS" <<'PY'
import os, statistics, subprocess, sys, time
binary, model, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])

def measure(args):
    """Median wall seconds and peak RSS (KiB) of `binary args` over the runs.  Each run goes
    through /usr/bin/time -v, a small C parent, so the peak RSS is the program's own (a
    child forked from Python would report Python's)."""
    walls, rss = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-v", binary] + args, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        walls.append(time.perf_counter() - t0)
        if r.returncode != 0:
            sys.exit("bench/info: %s %s failed:\n%s" % (binary, " ".join(args), r.stderr[-500:]))
        for line in r.stderr.splitlines():
            if "Maximum resident set size" in line:
                rss.append(int(line.split(":")[-1]))
    return statistics.median(walls), max(rss)

base_t, base_rss = measure(["--version"])
t, rss = measure(["info", model])
size_kib = os.path.getsize(model) / 1024
print("bench/info: %s (%.1f MiB), %d runs" % (os.path.basename(model), size_kib / 1024, runs))
print("  info:      %6.1f ms median, peak RSS %6.1f MiB" % (t * 1e3, rss / 1024))
print("  --version: %6.1f ms median, peak RSS %6.1f MiB (start-up baseline)" % (base_t * 1e3, base_rss / 1024))
print("  time vs target 50 ms:            %.2fx %s" % (t / 0.050, "ok" if t < 0.050 else "OVER"))
print("  peak RSS vs 2x file size:        %.2fx %s" % (rss / (2 * size_kib), "ok" if rss < 2 * size_kib else "OVER"))
print("  info vs start-up baseline:       %.2fx time, %.2fx RSS" % (t / base_t, rss / base_rss))
PY
