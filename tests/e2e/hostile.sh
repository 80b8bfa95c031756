#!/bin/sh
# End to end: hostile files and scenarios, each refused with one clear message and a
# non-zero exit (or handled), in bounded memory and time, never read through a link, never
# losing what the user had.  The inputs are written here by tests/hostile_files.py (no torch,
# no shared models needed); links and FIFOs are planted by this script.
#
# Every run goes through `limited`: the ASan/UBSan binary under a time limit (timeout) and a
# memory limit (ASan's hard_rss_limit_mb: RLIMIT_AS cannot hold an ASan process, whose shadow
# memory is terabytes of address space), its peak RSS measured by /usr/bin/time.  The bound
# each case states is BASE + K x the file's size, where BASE (80 MB) covers the ASan build's
# own start-up (about 30 MB).  A few runs of the release binary go under prlimit --as, where
# the memory budget's default follows the limit: the refusal is then the budget's own.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
case "$REL" in /*) ;; *) REL="$ROOT/$REL" ;; esac
PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! [ -x /usr/bin/time ]; then
    skip hostile "needs python3 and /usr/bin/time"
    exit 0
fi
T=$(mktemp -d)
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
"$PY" "$ROOT/tests/hostile_files.py" "$T" || { fail hostile_files "the generator failed"; exit 0; }
cd "$T" || exit 1
BASE_MB=80
LIMIT_MB=1024 # the memory limit around every ASan run (its refusals stay far below)

# limited NAME SECONDS CMD ARGS...: run under the time and memory limits; $rc, $T/NAME.out
# (stdout), $T/NAME.err (stderr), $peak_mb, $secs
limited() {
    n=$1 s=$2; shift 2
    ASAN_OPTIONS="${ASAN_OPTIONS:-}:hard_rss_limit_mb=$LIMIT_MB" \
        timeout -k 2 "$s" /usr/bin/time -o "$T/$n.time" -f "%M %e" "$@" >"$T/$n.out" 2>"$T/$n.err"
    rc=$?
    peak_mb=$(($(tail -n 1 "$T/$n.time" | cut -d' ' -f1) / 1024))
    secs=$(tail -n 1 "$T/$n.time" | cut -d' ' -f2)
}
size_mb() { echo $(( ($(stat -c %s "$1") + 1048575) / 1048576 )); }
show() { tail -n 5 "$T/$1.err" | sed 's/^/    | /'; }
# refused NAME MSG K FILE SECONDS ARGS...: yoloport ARGS exits non-zero with one error line,
# MSG in it (or, for an export whose check is what failed, in the log that line points to),
# peak RSS under BASE_MB + K x FILE's size, within SECONDS
refused() {
    n=$1 msg=$2 k=$3 f=$4 s=$5; shift 5
    limited "$n" "$s" "$BIN" "$@"
    bound=$((BASE_MB + k * $(size_mb "$f")))
    lines=$(grep -c '^yoloport: ' "$T/$n.err")
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && [ "$lines" -eq 1 ] && cat "$T/$n.err" "$T/$n.out" | grep -qF -- "$msg" &&
        [ "$peak_mb" -le "$bound" ] && ! grep -q 'Sanitizer\|runtime error' "$T/$n.err"; then
        pass "$n (${peak_mb} MB <= ${bound} MB, ${secs}s)"
    else
        fail "$n" "exit $rc, $lines error lines, peak ${peak_mb} MB (bound ${bound} MB), ${secs}s; wanted '$msg'"
        show "$n"
    fi
}
no_temps() { ! ls -A "${1:-.}" | grep -q '\.tmp\.\|\.old\.'; }

# ---- 1. memory: every allocation a file sizes is bounded ---------------------------------
refused stride0_info "tensor model.stride: a strided view of storage '0' holds 1.07 GB, more than the archive's storages justify" \
    2 stride0_stride.pt 10 info stride0_stride.pt
refused stride0_export "tensor model.0.conv.weight: a strided view of storage '0' holds 1.07 GB" \
    2 stride0_weight.pt 10 export model=stride0_weight.pt format=onnx
refused shared_module "more than 131072 modules" 120 shared_module.pt 20 export model=shared_module.pt format=onnx
refused zip64_2TB "entry 'archive/data/0' claims 2.20 TB in a 1.14 KB archive" 2 zip64_huge.pt 10 info zip64_huge.pt
refused deflate_bomb "'archive/data/0' would inflate 130 KB into 134 MB, more than this archive can justify" \
    2 deflate_bomb.pt 10 export model=deflate_bomb.pt format=onnx
refused cfg_depth_1e7 "layer 1: 3 repeats x depth_multiple 1e+07 = 3e+07, more than 256" 2 cfg_depth_1e7.yaml 10 \
    info cfg_depth_1e7.yaml
# the executor's total: a 300-byte graph that asks for 4 GB, and Resize/Tile asking 1.26 GB,
# in the export check's side-by-side run (half=True: not the source's graph, so both run)
for g in const_reduce:ConstantOfShape:4.29 resize16:Resize:1.26 tile:Tile:1.26; do
    name=${g%%:*} rest=${g#*:}
    op=${rest%%:*} gb=${rest#*:}
    refused "exec_total_$name" "($op): its output needs $gb GB, more than the memory budget allows (268 MB" \
        2 "$name.model" 20 export "model=$name.model" format=onnx half=True --max-memory 256M
done
# the release binary under an address-space limit: the budget's default follows it
if command -v prlimit >/dev/null 2>&1; then
    prlimit --as=$((3 << 30)) timeout 20 "$REL" export model=const_reduce.model format=onnx half=True \
        >"$T/rlimit.out" 2>"$T/rlimit.err"
    rc=$?
    check rlimit_budget_refuses sh -c "[ $rc -eq 1 ] && grep -qF 'more than the memory budget allows (1.61 GB' '$T/rlimit.out'"
    [ $rc -eq 1 ] || show rlimit
fi

# ---- 2. no crash ----------------------------------------------------------------------------
refused no_inputs "no_inputs.model: the model has no graph input: there is nothing to export" 2 no_inputs.model 10 \
    export model=no_inputs.model format=onnx
check no_inputs_no_temporary no_temps .
for c in depth_1e300:"3 repeats x depth_multiple 1e+300" width_1e6:"16 channels x width_multiple 1e+06 = 1.6e+07, more than 65536" \
    width_1e300:"16 channels x width_multiple 1e+300" scales_1e9:"16 channels x width_multiple 1e+09"; do
    name=${c%%:*}
    refused "cfg_$name" "${c#*:}" 2 "cfg_$name.yaml" 10 info "cfg_$name.yaml"
done

# ---- 3. bounded time --------------------------------------------------------------------------
limited dict_flood 10 "$BIN" info dict_flood.pt # 100k keys the old index put in one slot
check dict_flood_fast sh -c "[ $rc -eq 1 ] && grep -q 'no layer list' '$T/dict_flood.err' && [ $peak_mb -le $((BASE_MB + 40 * $(size_mb dict_flood.pt))) ]"
limited name_flood 20 "$BIN" info name_flood.onnx # 131k names colliding under FNV-1a
check name_flood_fast sh -c "[ $rc -eq 0 ] && grep -q 'Identity 131073' '$T/name_flood.out' && [ $peak_mb -le $((BASE_MB + 40 * $(size_mb name_flood.onnx))) ]"
refused yaml_nesting "nested.yaml: not a model: nested deeper than 64 levels at line 1" 2 nested.yaml 10 info nested.yaml
refused metadata_nesting "nested_openvino_model/metadata.yaml: nested deeper than 64 levels at line 1" 2 \
    nested_openvino_model/metadata.yaml 10 info nested_openvino_model

# ---- 4. files are opened as files ---------------------------------------------------------------
secret=$(head -c 16 /etc/passwd)
ln -sf /etc/passwd ext/w.bin
refused ext_symlink "ext/w.bin: is a symbolic link" 2 ext/model.onnx 10 export model=ext/model.onnx format=openvino
check ext_symlink_nothing_written sh -c "! ls ext | grep -q openvino"
mv ext/sub ext/sub.real && ln -s /etc ext/sub
refused ext_linked_dir "ext/sub/w.bin: sub is a symbolic link" 2 ext/nested.onnx 10 export model=ext/nested.onnx format=openvino
rm ext/w.bin && mkfifo ext/w.bin
refused ext_fifo "ext/w.bin: is a FIFO, not a file" 2 ext/model.onnx 10 export model=ext/model.onnx format=openvino
d=tiny_openvino_model
cp $d/tiny.bin "$T/tiny.bin.real"
ln -sf /dev/zero $d/tiny.bin
refused ov_bin_symlink "$d/tiny.bin: is a symbolic link" 2 $d/tiny.xml 10 info $d
rm $d/tiny.bin && mkfifo $d/tiny.bin
refused ov_bin_fifo "$d/tiny.bin: is a FIFO, not a file" 2 $d/tiny.xml 10 info $d
rm $d/tiny.bin && cp "$T/tiny.bin.real" $d/tiny.bin
mkfifo $d/other.xml
ln -s /etc/passwd $d/linked.xml
limited ov_fifo_xml 10 "$BIN" info $d # neither the FIFO nor the link is opened: the IR is read
check ov_fifo_xml_ignored sh -c "[ $rc -eq 0 ] && grep -q 'network tiny' '$T/ov_fifo_xml.out'"
ln -s /etc/passwd $d/metadata.yaml
refused ov_metadata_symlink "$d/metadata.yaml: is a symbolic link" 2 $d/tiny.xml 10 info $d
rm -f $d/metadata.yaml $d/linked.xml $d/other.xml
# the same for an ncnn folder: its .bin and metadata.yaml, and the .param found in it
d=tiny_ncnn_model
mv $d/model.ncnn.bin "$T/ncnn.bin.real"
ln -s /dev/zero $d/model.ncnn.bin
refused ncnn_bin_symlink "$d/model.ncnn.bin: is a symbolic link" 2 $d/model.ncnn.param 10 info $d
refused ncnn_named_param_bin_symlink "$d/model.ncnn.bin: is a symbolic link" 2 $d/model.ncnn.param 10 \
    info $d/model.ncnn.param
rm $d/model.ncnn.bin && mkfifo $d/model.ncnn.bin
refused ncnn_bin_fifo "$d/model.ncnn.bin: is a FIFO, not a file" 2 $d/model.ncnn.param 10 info $d
rm $d/model.ncnn.bin && cp "$T/ncnn.bin.real" $d/model.ncnn.bin
ln -s /etc/passwd $d/metadata.yaml
refused ncnn_metadata_symlink "$d/metadata.yaml: is a symbolic link" 2 $d/model.ncnn.param 10 info $d
rm $d/metadata.yaml
mv $d/model.ncnn.param $d/tiny.param && mv $d/model.ncnn.bin $d/tiny.bin
mkfifo $d/other.param
ln -s "$T/$d/tiny.param" $d/linked.param
limited ncnn_fifo_param 10 "$BIN" info $d # neither the FIFO nor the link is opened: the one .param is read
check ncnn_fifo_param_ignored sh -c "[ $rc -eq 0 ] && grep -q 'output:   out0 \[1, 3, 4, 4\]' '$T/ncnn_fifo_param.out'"
mkdir fifo_ncnn_model && mkfifo fifo_ncnn_model/model.ncnn.param
refused ncnn_only_fifo_param "fifo_ncnn_model: is a directory, not a model" 2 $d/tiny.param 10 info fifo_ncnn_model
mkfifo fifo.mnn
refused mnn_fifo "fifo.mnn: not a regular file" 2 $d/tiny.param 10 info fifo.mnn
check nothing_read_through_links sh -c "! grep -qF '$secret' '$T'/*.out '$T'/*.err"

# ---- 5. nothing the user had is lost; nothing half-written stays --------------------------
# a failed check keeps the previous file byte for byte; the new one goes beside it
limited good_first 30 "$BIN" export model=const_reduce.model format=onnx half=True verify=False
before=$(md5sum <const_reduce.onnx)
limited check_fails 30 "$BIN" export model=const_reduce.model format=onnx half=True --max-memory 256M
check failed_check_keeps_previous sh -c "[ $rc -eq 1 ] && [ \"\$(md5sum <const_reduce.onnx)\" = '$before' ] &&
    [ -s const_reduce-check-failed.onnx ] && grep -qF 'the previous const_reduce.onnx is kept as it was' '$T/check_fails.out'"
check failed_check_no_temporaries no_temps .
# an OpenVINO folder with a user's file in it is not replaced
limited ov_first 60 "$BIN" export model=cfg_small.yaml format=openvino imgsz=32 verify=False
echo "my notes" >cfg_small_openvino_model/notes.txt
limited ov_user_file 60 "$BIN" export model=cfg_small.yaml format=openvino imgsz=32 verify=False
check ov_user_folder_kept sh -c "[ $rc -eq 1 ] && grep -qF 'holds notes.txt, which an export does not write' '$T/ov_user_file.err' &&
    [ \"\$(cat cfg_small_openvino_model/notes.txt)\" = 'my notes' ] && [ \$(ls cfg_small_openvino_model | wc -l) -eq 4 ]"
check ov_user_folder_no_temporaries no_temps .
# SIGTERM and SIGHUP mid-export cancel as Ctrl-C does: no temporaries
for sig in TERM HUP; do
    "$BIN" export model=yolov8n.yaml format=onnx half=True >"$T/sig$sig.out" 2>&1 & # seconds of checking
    pid=$!
    i=0
    while [ $i -lt 300 ] && kill -0 $pid 2>/dev/null && ! ls -A | grep -q '\.tmp\.'; do sleep 0.05; i=$((i + 1)); done
    kill -$sig $pid 2>/dev/null
    wait $pid
    rc=$?
    check "sig${sig}_cancels_cleanly" sh -c "[ $rc -ne 0 ] && ! ls -A | grep -q '\.tmp\.'"
done
# kill -9 leaves its temporary; the next export in that folder removes it (ours: name, owner, dead pid)
"$BIN" export model=yolov8n.yaml format=onnx half=True >"$T/kill9.out" 2>&1 &
pid=$!
i=0
while [ $i -lt 300 ] && ! ls -A | grep -q '\.tmp\.'; do sleep 0.05; i=$((i + 1)); done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
check kill9_leaves_a_temporary sh -c "ls -A | grep -q '\.tmp\.'"
echo keep >.notes.tmp.1.abcdef # looks like ours, but process 1 is alive: never touched
limited after_kill9 60 "$BIN" export model=cfg_small.yaml format=onnx imgsz=32 verify=False
check next_export_removes_stale sh -c "[ $rc -eq 0 ] && ! ls -A | grep -q '^\.yolov8n\.onnx\.tmp\.' &&
    grep -q 'removed 1 temporary an interrupted export left' '$T/after_kill9.out' && [ -f .notes.tmp.1.abcdef ]"
# a replaced folder a killed run had moved aside (".NAME.old.PID.XXXXXX") goes the same way
sh -c 'exit 0' &
dead=$!
wait $dead
old=".cfg_small_openvino_model.old.$dead.Qx7Tz2"
mkdir "$old" && echo x >"$old/cfg_small.bin"
mkdir .mine.old.1.Qx7Tz2 # process 1 is alive: never touched
limited after_kill9_old 60 "$BIN" export model=cfg_small.yaml format=onnx imgsz=32 verify=False
check next_export_removes_stale_old sh -c "[ $rc -eq 0 ] && ! [ -e '$old' ] && [ -d .mine.old.1.Qx7Tz2 ] &&
    grep -q 'removed 1 temporary an interrupted export left' '$T/after_kill9_old.out'"
rm -rf .mine.old.1.Qx7Tz2
# names of 244+ characters: the temporary's name is cut to fit
long=$("$PY" -c "print('x' * 246)")
cp cfg_small.yaml "$long.yaml"
limited long_name 60 "$BIN" export model="$long.yaml" format=onnx imgsz=32 verify=False
check long_name_exports sh -c "[ $rc -eq 0 ] && [ -s '$long.onnx' ]"

# ---- 6. terminal output is text ------------------------------------------------------------------
esc=$(printf '\033')
limited term_onnx 10 "$BIN" info terminal.onnx
check terminal_onnx_escaped sh -c "[ $rc -eq 0 ] && ! grep -q '$esc' '$T/term_onnx.out' && ! grep -q \"\$(printf '\\r')\" '$T/term_onnx.out' &&
    grep -qF 'classes:  2 (\\e]52;c;ZWNobyBwd25lZA==\\a, a\\rb\\u009b2J)' '$T/term_onnx.out' &&
    grep -qF 'producer prod\\e]0;pwned\\a' '$T/term_onnx.out' && grep -qF 'meta:     description\\e]0;pwned\\a: x\\r\\e[2J\\e[H' '$T/term_onnx.out'"
limited term_pt 10 "$BIN" info terminal.pt
check terminal_pt_error_escaped sh -c "[ $rc -eq 1 ] && ! grep -q '$esc' '$T/term_pt.err' && grep -qF 'model.0\\e]0;pwned\\a\\e[2J\\e[H.conv' '$T/term_pt.err'"
limited term_export 10 "$BIN" export model=terminal.onnx format=openvino
check terminal_export_log_escaped sh -c "! grep -q '$esc' '$T/term_export.out' '$T/term_export.err'"

# ---- 7. minor -------------------------------------------------------------------------------------
refused xml_doctype "doctype.xml: a DOCTYPE is not allowed in an OpenVINO IR" 2 doctype.xml 10 info doctype.xml
refused xml_not_ir "page.xml: not a model: XML that is not an OpenVINO IR" 2 page.xml 10 info page.xml
refused zip_duplicates "two entries are named 'archive/data.pkl'" 2 duplicate_entry.pt 10 info duplicate_entry.pt
limited stray_equals 10 "$BIN" export model=cfg_small.yaml format=onnx =5
check stray_equals_refused sh -c "[ $rc -eq 2 ] && grep -qF \"'=5': a stray '=' after 'format=onnx'\" '$T/stray_equals.err'"

# ---- the workbench: `:open` reads off the UI thread; a file it refuses leaves the model as it was
if command -v tmux >/dev/null 2>&1; then
    . "$ROOT/tests/e2e/tui_lib.sh"
    tui_start h 100 30 "$T" -- cfg_small.yaml
    check tui_starts tui_wait h "summary: .* layers" 20
    tui_keys h :; tui_type h "open stride0_weight.pt"; tui_keys h Enter
    check tui_open_refused_says_why tui_wait h "a strided view of storage '0' holds 1.07 GB" 15
    tui_keys h :; tui_type h "open terminal.pt"; tui_keys h Enter
    check tui_open_refused_escaped tui_wait h "model\.0\?\]0;pwned" 15
    tui_keys h :; tui_type h "open nested_openvino_model"; tui_keys h Enter
    check tui_open_metadata_nesting tui_wait h "metadata.yaml: nested deeper than 64 levels" 15
    tui_keys h 2
    # still the model it had: the refused files replaced nothing
    if tui_alive h && tui_wait h "yolo export model=cfg_small.yaml" 5; then pass tui_alive_after_refusals
    else fail tui_alive_after_refusals "$(tui_cap h | tail -3)"; fi
    tui_keys h 1 :; tui_type h "open tiny_openvino_model"; tui_keys h Enter
    if tui_wait h "opened tiny_openvino_model" 15; then pass tui_open_after_refusals; else fail tui_open_after_refusals "$(tui_cap h | tail -3)"; fi
    tui_quit h
    if tui_cap h | grep -q 'EXITED=0' && ! grep -q 'Sanitizer' "$TUI_TMP/h.stderr"; then pass tui_exits_cleanly
    else fail tui_exits_cleanly "$(tui_cap h | tail -3)"; fi
else
    skip tui_open_hostile "tmux not installed"
fi
exit 0
