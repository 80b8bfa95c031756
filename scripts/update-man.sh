#!/bin/sh
# Put the generated lists into man/yoloport.1 between their markers: the format list
# (`yoloport --dump-formats`, from the registry's table) between the FORMATS markers, and the
# workbench's key and command list (`yoloport --dump-commands`, from tui/commands.h) between
# the KEYS markers.
# Usage: sh scripts/update-man.sh [BINARY]   (tests/e2e/man.sh checks they are in step)
set -eu
cd "$(dirname "$0")/.."
bin="${1:-build/yoloport}"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# fill NAME FLAG: what is between the lines .\" NAME BEGIN and .\" NAME END becomes `$bin FLAG`
fill() {
    "$bin" "$2" > "$tmp"
    awk -v inc="$tmp" -v name="$1" '
    index($0, ".\\\" " name " BEGIN") == 1 { print; while ((getline line < inc) > 0) print line; skip = 1; next }
    index($0, ".\\\" " name " END") == 1 { skip = 0 }
    !skip { print }
    ' man/yoloport.1 > man/yoloport.1.new
    mv man/yoloport.1.new man/yoloport.1
}
fill FORMATS --dump-formats
fill KEYS --dump-commands
