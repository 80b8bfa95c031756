#!/bin/sh
# Put the workbench's key and command list (generated from tui/commands.h by
# `yoloport --dump-commands`) into man/yoloport.1 between its KEYS markers.
# Usage: sh scripts/update-man.sh [BINARY]   (tests/e2e/man.sh checks they are in step)
set -eu
cd "$(dirname "$0")/.."
bin="${1:-build/yoloport}"
tmp=$(mktemp)
"$bin" --dump-commands > "$tmp"
awk -v inc="$tmp" '
/^\.\\" KEYS BEGIN/ { print; while ((getline line < inc) > 0) print line; skip = 1; next }
/^\.\\" KEYS END/ { skip = 0 }
!skip { print }
' man/yoloport.1 > man/yoloport.1.new
mv man/yoloport.1.new man/yoloport.1
rm -f "$tmp"
