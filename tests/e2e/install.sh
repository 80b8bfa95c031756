# `make install PREFIX=...` installs the binary, share/, the themes and the man page, and the
# installed binary finds its data from where it was installed (no build tree needed).
. tests/e2e/lib.sh
tmp=$(mktemp -d)
if make -s install PREFIX="$tmp/prefix" >"$tmp/log" 2>&1; then pass "install: make install"; else fail "install: make install" "$(tail -3 "$tmp/log")"; fi
check "install: binary" test -x "$tmp/prefix/bin/yoloport"
check "install: man page" test -f "$tmp/prefix/share/man/man1/yoloport.1"
check "install: model configs and matrix" test -f "$tmp/prefix/share/yoloport/models/yolov8.yaml" -a -f "$tmp/prefix/share/yoloport/matrix/zh.json"
check "install: themes" test -f "$tmp/prefix/share/yoloport/themes/dark.theme"
out=$(cd "$tmp" && env -u YOLOPORT_SHARE "$tmp/prefix/bin/yoloport" info yolov8n.yaml 2>&1)
check "install: installed binary opens a built-in config" sh -c 'echo "$1" | grep -q "129 layers, 3,157,200 parameters"' _ "$out"
out=$(cd "$tmp" && env -u YOLOPORT_SHARE "$tmp/prefix/bin/yoloport" matrix --format json 2>&1)
check "install: installed binary reads the matrix" sh -c 'echo "$1" | grep -q "\"lang\""' _ "$out"
rm -rf "$tmp"
