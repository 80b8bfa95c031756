# Helpers for the workbench's end-to-end scripts: a private tmux server, fixed TERM and
# locale, screen captures and waits.  Sourced after tests/e2e/lib.sh (tests/run.sh runs every
# tests/e2e/*.sh: run on its own, this file does nothing).
case "$0" in *tui_lib.sh) exit 0 ;; esac
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac # sessions cd elsewhere
case "${TERM:-dumb}" in dumb) export TERM=xterm-256color ;; esac # tmux itself, in CI
TUI_SOCK="ypt$$"
TMUX_CMD="tmux -L $TUI_SOCK -f /dev/null"
TUI_TMP=$(mktemp -d)
export XDG_CONFIG_HOME="$TUI_TMP/config" XDG_STATE_HOME="$TUI_TMP/state"
tui_cleanup() { $TMUX_CMD kill-server 2>/dev/null; rm -rf "$TUI_TMP"; }
trap tui_cleanup EXIT
$TMUX_CMD new-session -d -s keeper "sleep 3600" # the server stays up between sessions

# tui_start NAME COLS ROWS DIR ENV... -- ARGS...: run the workbench in DIR
tui_start() {
    _n=$1 _w=$2 _h=$3 _d=$4; shift 4
    _env=""
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do _env="$_env $1"; shift; done
    [ "${1:-}" = "--" ] && shift
    $TMUX_CMD new-session -d -s "$_n" -x "$_w" -y "$_h" \
        "cd '$_d' && env TERM=screen-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 ASAN_OPTIONS=detect_leaks=1 $_env '$BIN' $* 2>'$TUI_TMP/$_n.stderr'; echo EXITED=\$?; sleep 600"
}
tui_cap() { $TMUX_CMD capture-pane -p -t "$1"; }
tui_keys() { _n=$1; shift; $TMUX_CMD send-keys -t "$_n" "$@"; }
tui_type() { $TMUX_CMD send-keys -t "$1" -l "$2"; }
# tui_wait NAME REGEX [SECONDS]: true once the screen matches
tui_wait() {
    _i=0 _max=$(( ${3:-10} * 10 ))
    while [ $_i -lt $_max ]; do
        tui_cap "$1" | grep -qE -- "$2" && return 0
        sleep 0.1; _i=$((_i + 1))
    done
    return 1
}
# tui_gone NAME REGEX [SECONDS]: true once the screen no longer matches
tui_gone() {
    _i=0 _max=$(( ${3:-5} * 10 ))
    while [ $_i -lt $_max ]; do
        tui_cap "$1" | grep -qE -- "$2" || return 0
        sleep 0.1; _i=$((_i + 1))
    done
    return 1
}
tui_alive() { ! tui_cap "$1" | grep -q "EXITED="; }
tui_resize() { $TMUX_CMD resize-window -t "$1" -x "$2" -y "$3"; }
# Every line of the screen fits the window (no wrapped or garbage rows).
tui_fits() {
    _cols=$(tui_cap "$1" | LC_ALL=C.UTF-8 wc -L)
    [ "$_cols" -le "$2" ]
}
tui_quit() { tui_keys "$1" q; sleep 0.3; tui_keys "$1" y; tui_wait "$1" "EXITED=" 10; }
