# Shared helpers for end-to-end scripts: results print as PASS/FAIL/SKIP lines that
# tests/run.sh counts.  $YOLOPORT_BIN is the ASan build; $YOLOPORT_SHARED is ../shared or unset.
BIN="${YOLOPORT_BIN:-build/asan/yoloport}"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
# check NAME CONDITION-COMMAND... : PASS when the command succeeds
check() { n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "$*"; fi; }
need_shared() { [ -n "${YOLOPORT_SHARED:-}" ] && [ -d "$YOLOPORT_SHARED/models" ]; }
# group_gone PGID: no live (non-zombie) process left in that process group within 5 s
group_gone() {
    i=0
    while [ $i -lt 50 ]; do
        ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/' | grep -q . || return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
