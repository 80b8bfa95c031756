# Shared helpers for end-to-end scripts: results print as PASS/FAIL/SKIP lines that
# tests/run.sh counts.  $YOLOPORT_BIN is the ASan build; $YOLOPORT_SHARED is ../shared or unset.
BIN="${YOLOPORT_BIN:-build/asan/yoloport}"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
# check NAME CONDITION-COMMAND... : PASS when the command succeeds
check() { n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "$*"; fi; }
need_shared() { [ -n "${YOLOPORT_SHARED:-}" ] && [ -d "$YOLOPORT_SHARED/models" ]; }
