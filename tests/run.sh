#!/bin/sh
# Run every test program and end-to-end script; print each result line and the closing
# "N passed, N failed, N skipped".  Unit programs live in build/asan/tests (ASan+UBSan) and
# build/tsan/tests (ThreadSanitizer); scripts in tests/e2e/*.sh use tests/e2e/lib.sh.
cd "$(dirname "$0")/.." || exit 2
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
export YOLOPORT_BIN="$PWD/build/asan/yoloport"
export YOLOPORT_REL_BIN="$PWD/build/yoloport"
export YOLOPORT_SHARE="$PWD/share"
[ -d ../shared/models ] && export YOLOPORT_SHARED="$(cd ../shared && pwd)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0 fail=0 skip=0
only="${TESTS:-}"

run_one() { # name command...
    name=$1; shift
    log="$out/$name.log"
    timeout "${TEST_TIMEOUT:-600}" "$@" >"$log" 2>&1
    rc=$?
    p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
    grep -E '^(PASS|FAIL|SKIP|     also) ' "$log"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAIL $name: exited with status $rc"
        tail -n 40 "$log" | sed 's/^/    | /'
        f=$((f + 1))
    elif [ "$f" -ne 0 ]; then
        grep -vE '^(PASS|FAIL|SKIP|     also|#) ' "$log" | tail -n 20 | sed 's/^/    | /'
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
}

for t in build/asan/tests/test_*; do
    [ -x "$t" ] || continue
    n=$(basename "$t")
    [ -n "$only" ] && ! echo "$n" | grep -qE "$only" && continue
    run_one "$n" "$t"
done
for t in build/tsan/tests/test_*; do
    [ -x "$t" ] || continue
    n="tsan-$(basename "$t")"
    [ -n "$only" ] && ! echo "$n" | grep -qE "$only" && continue
    run_one "$n" "$t"
done
for t in tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    case "$t" in */lib.sh) continue ;; esac
    n=$(basename "$t" .sh)
    [ -n "$only" ] && ! echo "$n" | grep -qE "$only" && continue
    run_one "$n" sh "$t"
done
# the fuzzers, as many at once as there are cores (each is one process on one core)
fuzz_one() { # binary name corpus: a memory limit and a per-input time limit -- what the
             # readers must bound is a finding
    if timeout 120 "$1" -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=1024 -timeout=10 \
        -artifact_prefix=build/fuzz-artifacts/ "build/fuzz-corpus/$2" $3 >"$out/$2.log" 2>&1; then
        echo 0 >"$out/$2.rc"
    else
        echo 1 >"$out/$2.rc"
    fi
}
cores=$(nproc 2>/dev/null || echo 1)
fuzzers="" running=0
for f in build/fuzz/fuzz_*; do
    [ -x "$f" ] || continue
    n=$(basename "$f")
    [ -n "$only" ] && ! echo "fuzz" | grep -qE "$only" && continue
    mkdir -p "build/fuzz-corpus/$n" build/fuzz-artifacts
    corpus="tests/fuzz/corpus/$n"; [ -d "$corpus" ] || corpus=""
    fuzz_one "$f" "$n" "$corpus" &
    fuzzers="$fuzzers $n" running=$((running + 1))
    if [ "$running" -ge "$cores" ]; then wait; running=0; fi
done
wait
for n in $fuzzers; do
    if [ "$(cat "$out/$n.rc" 2>/dev/null)" = 0 ]; then
        echo "PASS fuzz:$n ($(grep -o 'Done [0-9]* runs' "$out/$n.log" | tail -1))"; pass=$((pass + 1))
    else
        echo "FAIL fuzz:$n"; tail -n 30 "$out/$n.log" | sed 's/^/    | /'; fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
