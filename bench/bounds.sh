#!/bin/sh
# Benchmark: what the bounds on hostile files cost `info` on real checkpoints -- the memory
# budget's checks, keyed hashing, the archive and YAML pre-scans.  Before and after are
# measured in the same run: "before" is the binary built from the commit just before those
# bounds (BASE_REF, default: the parent of the commit that added engine/core/membudget.c),
# built once into build/bench-base/<commit>/ from `git archive` (the work tree is not
# touched); "after" is build/yoloport.  Runs alternate between the two, so a busy machine
# slows both alike; what is compared is the median CPU time (user + system, from wait4) of
# each, which other processes on the machine disturb far less than wall time (shown too).
# Target: after <= 1.05 x before.
# Usage: sh bench/bounds.sh [RUNS]   (default 15; models from ../shared/models)
cd "$(dirname "$0")/.." || exit 2
RUNS="${1:-15}"
AFTER="${YOLOPORT_REL_BIN:-build/yoloport}"
[ -x "$AFTER" ] || { echo "bench/bounds: $AFTER not built (make)"; exit 1; }
MODELS=""
for m in yolov8n yolov8s yolo11n-seg; do [ -f "../shared/models/$m.pt" ] && MODELS="$MODELS ../shared/models/$m.pt"; done
[ -n "$MODELS" ] || { echo "bench/bounds: no checkpoints in ../shared/models: skipped"; exit 0; }
if [ -n "${BASE_REF:-}" ]; then
    base=$(git rev-parse --verify -q "$BASE_REF^{commit}")
else
    added=$(git log --diff-filter=A --format=%H -- engine/core/membudget.c | tail -n 1)
    base=$([ -n "$added" ] && git rev-parse --verify -q "$added^")
fi
[ -n "$base" ] || { echo "bench/bounds: no baseline commit (set BASE_REF): skipped"; exit 0; }
dir="build/bench-base/$(git rev-parse --short "$base")"
if [ ! -x "$dir/build/yoloport" ]; then
    echo "bench/bounds: building the baseline $(git log -1 --format='%h %s' "$base" | cut -c1-70) ..."
    rm -rf "$dir" && mkdir -p "$dir" && git archive "$base" | tar -x -C "$dir" &&
        make -C "$dir" -j2 all >"$dir.log" 2>&1 || { echo "bench/bounds: baseline build failed (see $dir.log)"; exit 1; }
fi
exec /usr/bin/python3 - "$dir/build/yoloport" "$AFTER" "$RUNS" $MODELS <<'PY'
import os, statistics, subprocess, sys, time
before, after, runs, models = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]

def once(binary, model):
    """(CPU seconds, wall seconds) of one `binary info model`."""
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "info", model], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("bench/bounds: %s info %s failed (exit %d)" % (binary, model, p.returncode))
    return ru.ru_utime + ru.ru_stime, wall

print("bench/bounds: `info` before and after the bounds, %d alternating runs each (medians)" % runs)
worst = 0
for model in models:
    once(before, model), once(after, model)  # warm the page cache
    rb, ra = [], []
    for _ in range(runs):
        rb.append(once(before, model))
        ra.append(once(after, model))
    cb, ca = statistics.median(r[0] for r in rb), statistics.median(r[0] for r in ra)
    wb, wa = statistics.median(r[1] for r in rb), statistics.median(r[1] for r in ra)
    ratio = ca / cb
    worst = max(worst, ratio)
    print("  %-16s CPU before %6.1f ms  after %6.1f ms  ratio %.3f   (wall %6.1f -> %6.1f ms)" %
          (os.path.basename(model), cb * 1e3, ca * 1e3, ratio, wb * 1e3, wa * 1e3))
print("  worst CPU ratio vs target 1.05:  %.3f %s" % (worst, "ok" if worst <= 1.05 else "OVER"))
PY
