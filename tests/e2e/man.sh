# The man page lists every workbench command (generated from tui/commands.h), every verb, and
# every format (generated from the registry's table, as the usage texts are).
. tests/e2e/lib.sh
tmp=$(mktemp -d)
"$BIN" --dump-commands > "$tmp/cmds" 2>&1
awk '/^\.\\" KEYS BEGIN/{on=1; next} /^\.\\" KEYS END/{on=0} on' man/yoloport.1 > "$tmp/inman"
check "man: key and command list in step with the command table (sh scripts/update-man.sh)" cmp -s "$tmp/cmds" "$tmp/inman"
check "man: key list is not empty" [ "$(grep -c '^\.TP' "$tmp/cmds")" -gt 20 ]
# The format list is generated from the registry's table (yoloport --dump-formats).
"$BIN" --dump-formats > "$tmp/fmts" 2>&1
awk '/^\.\\" FORMATS BEGIN/{on=1; next} /^\.\\" FORMATS END/{on=0} on' man/yoloport.1 > "$tmp/fmtman"
check "man: format list in step with the format table (sh scripts/update-man.sh)" cmp -s "$tmp/fmts" "$tmp/fmtman"
check "man: format list names every export format" sh -c 'for f in torchscript onnx openvino engine coreml saved_model pb tflite edgetpu tfjs paddle mnn ncnn imx rknn; do grep -qx ".B $f" "$1" || exit 1; done' _ "$tmp/fmts"
# The usage texts print the same lists: every format this build writes and every model kind it opens.
"$BIN" --help > "$tmp/help" 2>&1
"$BIN" export --help > "$tmp/xhelp" 2>&1
check "usage: export --help and --help name every format the table says this build writes" sh -c '
    n=0
    for f in $(awk "/^\.B /{f=\$2} /^Written by this build/{print f}" "$1"); do
        n=$((n + 1)); grep -q "$f" "$2" && tr "\n" " " < "$3" | grep -q "$f" || exit 1
    done
    [ "$n" -ge 4 ]' _ "$tmp/fmts" "$tmp/xhelp" "$tmp/help"
check "usage: --help names every model kind the table opens" sh -c '
    grep "^Opened: " "$1" | sed "s/^Opened: //; s/; info shows.*//" | while read -r kind; do
        tr "\n" " " < "$2" | tr -s " " | grep -qF "$kind" || exit 1
    done' _ "$tmp/fmts" "$tmp/help"
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
