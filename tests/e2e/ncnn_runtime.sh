#!/bin/sh
# End-to-end: the ncnn runtime adapter.  Always: a file named libncnn.so.1 that is not a
# library, and a real library that is not ncnn (this machine's libm), each refused with one
# message and a non-zero exit, nothing run; runtime=ncnn on a file of another format refused;
# a missing library names where it was looked for.  When the host has ncnn (libncnn.so.1 on
# $YOLOPORT_RUNTIME_PATH or in the usual library directories; ncnn is not packaged by Debian,
# so it is there only where someone built or installed it): `checks` finds it with its
# version, an ncnn export of the built-in yolov8n at imgsz 160 is checked in ncnn itself, and
# predict runtime=ncnn on that export gives the same detections as the executor.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t" || exit 1
mkdir fake libm
# an image to predict on (a PNG written here: no ../shared needed)
/usr/bin/python3 - <<'PY'
import struct, zlib
w, h = 48, 32
rows = b"".join(b"\0" + bytes(((x * 5 + y * 11) % 256) for x in range(w * 3)) for y in range(h))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open("img.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) +
                           chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
PY

bad() { # NAME EXPECTED-TEXT VERB ARGS...
    n=$1 want=$2; shift 2
    "$BIN" "$@" >"$n.out" 2>"$n.err"; rc=$?
    if [ "$rc" -ne 0 ] && [ "$(wc -l <"$n.err")" -eq 1 ] && grep -qF -- "$want" "$n.err"; then pass "ncnn runtime: $n"
    else fail "ncnn runtime: $n" "exit $rc, stderr: $(head -c 300 "$n.err")"; fi
}

# a small ncnn model to point the runtimes at (written and checked by our executor alone)
env -u YOLOPORT_RUNTIME_PATH YOLOPORT_RUNTIME_PATH="$t/nowhere" "$BIN" export model=yolov8n.yaml format=ncnn imgsz=64 \
    >exp.out 2>&1 || true
M=yolov8n_ncnn_model
check "ncnn runtime: without ncnn the export says the check did not run in it, and where it looked" \
    grep -q "not checked in the format's own runtime: ncnn: no libncnn.so.1 in $t/nowhere" exp.out
printf 'not a library\n' >fake/libncnn.so.1
bad fake-library "refused $t/fake/libncnn.so.1: not a shared library (no ELF header" \
    predict model=$M source=img.png runtime=ncnn:"$t/fake/libncnn.so.1"
for l in /lib/x86_64-linux-gnu/libm.so.6 /usr/lib/x86_64-linux-gnu/libm.so.6 /lib/aarch64-linux-gnu/libm.so.6 /lib64/libm.so.6; do
    [ -r "$l" ] || continue
    cp "$l" libm/libncnn.so.1
    break
done
if [ -f libm/libncnn.so.1 ]; then
    bad not-ncnn "not ncnn's C API (it exports no ncnn_version)" predict model=$M source=img.png runtime=ncnn:"$t/libm"
    "$BIN" checks runtime=ncnn:"$t/libm/libncnn.so.1" >c_libm.out 2>&1
    check "ncnn runtime: checks names the refused library" grep -Eq "^ncnn +❌ refused $t/libm/libncnn\.so\.1: a shared library, but not ncnn's C API" c_libm.out
else
    skip "ncnn runtime: not-ncnn" "no libm.so.6 found to stand for a library that is not ncnn"
fi
bad missing "ncnn: no libncnn.so.1 in $t/none" predict model=$M source=img.png runtime=ncnn:"$t/none"
bad other-format "ncnn runs ncnn (.param + .bin) files; yolov8n.yaml is Model config" \
    predict model=yolov8n.yaml source=img.png runtime=ncnn:"$t/none"

# with ncnn on this host
"$BIN" checks >c.out 2>&1
if ! grep -Eq '^ncnn +✅ ' c.out; then
    skip "ncnn runtime: runs in ncnn" "no libncnn.so.1 on this host ($(grep -E '^ncnn ' c.out | head -c 200))"
    exit 0
fi
check "ncnn runtime: checks finds ncnn with its version and path" grep -Eq '^ncnn +✅ [0-9][0-9.]*, /.*libncnn\.so\.1$' c.out
mkdir n && (cd n && "$BIN" export model=yolov8n.yaml format=ncnn imgsz=160 >x.out 2>&1)
check "ncnn runtime: the export is checked in ncnn itself" \
    grep -Eq "^NCNN: check against the source ✅ passed: the ncnn model as read back: checked in ncnn [0-9.]+: output0 max \|Δ\|" n/x.out
# the peer's image when ../shared is here, else one of ours
IMG=""
if need_shared; then IMG="$YOLOPORT_SHARED/data/images/bus.jpg"; fi
if [ -n "$IMG" ]; then
    cp "$YOLOPORT_SHARED/models/yolov8n.pt" .
    "$BIN" export model=yolov8n.pt format=ncnn >v8.out 2>&1
    check "ncnn runtime: yolov8n.pt's export checked in ncnn at 640" grep -Eq "checked in ncnn [0-9.]+: output0 max \|Δ\|.*passed|✅ passed: the ncnn model as read back: checked in ncnn" v8.out
    "$BIN" predict model=yolov8n_ncnn_model source="$IMG" runtime=ncnn >pn.out 2>&1; rn=$?
    "$BIN" predict model=yolov8n_ncnn_model source="$IMG" runtime=builtin >pb.out 2>&1
    check "ncnn runtime: predict runtime=ncnn says so and finds what the executor finds (4 persons, 1 bus)" sh -c \
        "[ $rn -eq 0 ] && grep -q '^Loading yolov8n_ncnn_model for ncnn ' pn.out && grep -Eq 'bus.jpg: 640x640 4 persons, 1 bus, ' pn.out && grep -Eq 'bus.jpg: 640x640 4 persons, 1 bus, ' pb.out"
else
    skip "ncnn runtime: predict in ncnn" "../shared is absent"
fi
