# The man page lists every workbench command (generated from tui/commands.h) and every verb.
. tests/e2e/lib.sh
tmp=$(mktemp -d)
"$BIN" --dump-commands > "$tmp/cmds" 2>&1
awk '/^\.\\" KEYS BEGIN/{on=1; next} /^\.\\" KEYS END/{on=0} on' man/yoloport.1 > "$tmp/inman"
check "man: key and command list in step with the command table (sh scripts/update-man.sh)" cmp -s "$tmp/cmds" "$tmp/inman"
check "man: key list is not empty" [ "$(grep -c '^\.TP' "$tmp/cmds")" -gt 20 ]
for verb in info export matrix; do
    check "man: documents '$verb'" grep -q "^\.B $verb\$" man/yoloport.1
done
if command -v man >/dev/null 2>&1; then
    LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l man/yoloport.1 > "$tmp/out" 2> "$tmp/warn"
    check "man: renders without warnings" sh -c '[ ! -s "$1" ] && grep -q "KEYS AND COMMANDS" "$2"' _ "$tmp/warn" "$tmp/out"
else
    skip "man: renders without warnings" "man is not installed"
fi
rm -rf "$tmp"
