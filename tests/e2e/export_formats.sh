#!/bin/sh
# End to end: `yoloport export ... format=torchscript|openvino|tfjs` through the pipeline —
# the peer's file names next to the .pt (or in the CWD for a config), metadata, the log
# lines, the check against the source, nothing temporary left; the artifacts run in their
# own runtimes where this host has them (torch.jit.load in /usr/bin/python3, TF.js in
# tfjs-node) against the peer's outputs; refusals (optimize, nms, int8) and disk full leave
# an existing output untouched.  Heavy exports use the release binary ($YOLOPORT_REL_BIN),
# the bad cases the ASan binary ($YOLOPORT_BIN).
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
REL="${YOLOPORT_REL_BIN:-$ROOT/build/yoloport}"
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
case "$REL" in /*) ;; *) REL="$ROOT/$REL" ;; esac
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir "$T/m" "$T/cwd"
cd "$T/cwd" || exit 1
S="${YOLOPORT_SHARED:-}"
P="$S/reference/peer"
have_torch() { $PY -c 'import torch, numpy' 2>/dev/null; }
have_ort() { [ -d "$ROOT/tests/node/node_modules/onnxruntime-node" ] && command -v node >/dev/null 2>&1; }
no_temps() { ! find "$T" -name '*.tmp.*' | grep -q .; }
# run NAME BINARY ARGS...: exit status in $rc, output in $T/NAME.out (stdout+stderr)
run() { n=$1; b=$2; shift 2; "$b" export "$@" >"$T/$n.out" 2>&1; rc=$?; }
out_has() { grep -qF -- "$2" "$T/$1.out"; }
show() { sed 's/^/    | /' "$T/$1.out" | tail -n 15; }
expect_ok() { # NAME PREFIX: exit 0, the check passed, success line, no temporaries
    if [ "$rc" -eq 0 ] && out_has "$1" "$2 check against the source ✅ passed" && out_has "$1" "$2 export success ✅" &&
        no_temps; then pass "$1"; else fail "$1" "exit $rc"; show "$1"; fi
}
# refused NAME TEXT OUTPUT ARGS...: non-zero exit, TEXT on stderr, OUTPUT (file or dir) as it was
refused() {
    n=$1; text=$2; out=$3; shift 3
    before=$(find "$out" -type f -exec md5sum {} + 2>/dev/null | sort)
    "$BIN" export "$@" >"$T/$n.stdout" 2>"$T/$n.err"
    rc=$?
    cat "$T/$n.stdout" "$T/$n.err" >"$T/$n.out"
    after=$(find "$out" -type f -exec md5sum {} + 2>/dev/null | sort)
    if [ "$rc" -ne 0 ] && grep -qF -- "$text" "$T/$n.err" && [ "$before" = "$after" ] && no_temps; then
        pass "$n"
    else
        fail "$n" "exit $rc, wanted a failure mentioning '$text' with $out untouched and no temporaries"
        show "$n"
    fi
}
plan() { echo '[' >"$T/plan.json"; first=1; }
entry() { [ $first -eq 1 ] || echo ',' >>"$T/plan.json"; first=0; echo "$1" >>"$T/plan.json"; }

# =========================================================================== TorchScript
if need_shared; then
    cp "$S/models/yolov8n.pt" "$T/m/"
    run ts "$REL" model=../m/yolov8n.pt format=torchscript
    expect_ok ts "TorchScript:"
    check ts_log_start grep -qE "^TorchScript: starting export with torch yoloport-[0-9.]+\.\.\.$" "$T/ts.out"
    check ts_log_success grep -qE "^TorchScript: export success ✅ [0-9]+\.[0-9]s, saved as '\.\./m/yolov8n\.torchscript' \(12\.[0-9] MB\)$" "$T/ts.out"
    check ts_next_to_the_pt test -f "$T/m/yolov8n.torchscript"
    check ts_size_report grep -qE "^  \.\./m/yolov8n\.torchscript +TorchScript +fp32 +12\.[0-9] MB" "$T/ts.out"
    cp "$T/m/yolov8n.torchscript" "$T/fp32.torchscript"
    run ts_half "$REL" model=../m/yolov8n.pt format=torchscript half=True
    expect_ok ts_half "TorchScript:"
    check ts_half_report_fp16 grep -qE "^  \.\./m/yolov8n\.torchscript +TorchScript +fp16 +6\.[0-9] MB" "$T/ts_half.out"
    if have_torch; then
        plan
        entry "{\"name\": \"export_yolov8n\", \"model\": \"$T/fp32.torchscript\", \"input\": \"$P/yolov8n.input.npy\",
 \"output\": \"$P/yolov8n.output.npy\", \"box_tol\": 0.05, \"score_tol\": 1e-3,
 \"peer_config\": \"$P/yolov8n.torchscript\", \"params\": 3151904}"
        entry "{\"name\": \"export_yolov8n_half\", \"model\": \"$T/m/yolov8n.torchscript\", \"input\": \"$P/yolov8n.input.npy\",
 \"output\": \"$P/yolov8n.output.npy\", \"half_of\": \"$T/fp32.torchscript\", \"box_tol\": 5.0, \"box_conf_tol\": 0.25,
 \"score_tol\": 0.01}"
        echo ']' >>"$T/plan.json"
        $PY "$ROOT/tests/torchscript_check.py" plan "$T/plan.json" 2>&1 || fail ts_torch_script "exited with an error"
    else
        skip ts_in_torch "/usr/bin/python3 cannot import torch and numpy"
    fi
    # refusals and disk full leave the existing archive alone
    refused ts_optimize_refused "optimize=True is not available in this build" "$T/m/yolov8n.torchscript" \
        model=../m/yolov8n.pt format=torchscript optimize=True
    refused ts_nms_refused "nms=True is not available for TorchScript" "$T/m/yolov8n.torchscript" \
        model=../m/yolov8n.pt format=torchscript nms=True
    before=$(md5sum <"$T/m/yolov8n.torchscript")
    env YOLOPORT_FAULT_WRITE_AFTER=4000000 "$BIN" export model=../m/yolov8n.pt format=torchscript >"$T/ts_disk_full.out" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ] && out_has ts_disk_full "No space left on device" && no_temps &&
        [ "$(md5sum <"$T/m/yolov8n.torchscript")" = "$before" ]; then
        pass ts_disk_full_previous_untouched
    else
        fail ts_disk_full_previous_untouched "exit $rc"; show ts_disk_full
    fi
else
    skip ts_yolov8n_pt "needs ../shared (models and peer references)"
fi

# a config, in the CWD, against the same config's ONNX export in onnxruntime
run ts_cfg "$REL" model=yolov8n.yaml format=torchscript imgsz=320
expect_ok ts_cfg "TorchScript:"
check ts_cfg_in_cwd test -f "$T/cwd/yolov8n.torchscript"
if have_torch && have_ort; then
    run ts_cfg_onnx "$REL" model=yolov8n.yaml format=onnx imgsz=320 verify=False
    $PY - "$T/cwd/yolov8n.torchscript" "$T/x320.npy" "$T/y320.npy" <<'PY' || fail ts_cfg_torch "torch run failed"
import sys, json, numpy as np, torch
m = torch.jit.load(sys.argv[1], _extra_files={"config.txt": ""})
x = (np.arange(3 * 320 * 320, dtype=np.float32).reshape(1, 3, 320, 320) * 0.37 % 1.0).astype(np.float32)
np.save(sys.argv[2], x)
with torch.no_grad():
    y = m(torch.from_numpy(x))
np.save(sys.argv[3], y.numpy())
print("PASS ts_cfg_torch_runs: output %s" % (tuple(y.shape),))
PY
    node "$ROOT/tests/node/check_export.js" parity ts_cfg_torch_vs_onnxruntime yolov8n.onnx "$T/x320.npy" "$T/y320.npy"
else
    skip ts_cfg_cross_runtime "needs torch in /usr/bin/python3 and onnxruntime-node"
fi

# ============================================================================== OpenVINO
OV_PY='
import sys, yaml, xml.etree.ElementTree as ET
d, peer = sys.argv[1], sys.argv[2]
ours, theirs = yaml.safe_load(open(d + "/metadata.yaml")), yaml.safe_load(open(peer + "/metadata.yaml"))
# the peer reference is 8.1.22 (no args/channels then): its keys, in its order, with its values
keys = [k for k in ours if k in theirs]
if keys != list(theirs): sys.exit("metadata keys %s, peer %s" % (list(ours), list(theirs)))
for k in theirs:
    if k not in ("date", "version") and ours[k] != theirs[k]: sys.exit("metadata %s: %r != peer %r" % (k, ours[k], theirs[k]))
if ours["args"] != {"batch": 1, "fraction": 1.0, "half": False, "int8": False, "dynamic": False, "nms": False}:
    sys.exit("args %r" % ours["args"])
net = ET.parse(d + "/yolov8n.xml").getroot()
pnet = ET.parse(peer + "/yolov8n.xml").getroot()
def iface(n):
    ls = n.find("layers")
    ins = [(l.get("name"), l.find("data").get("shape"), l.find("data").get("element_type")) for l in ls if l.get("type") == "Parameter"]
    outs = [l.get("name") for l in ls if l.get("type") == "Result"]
    return ins, outs
if iface(net) != iface(pnet): sys.exit("interface %s, peer %s" % (iface(net), iface(pnet)))
mi = {e.tag: e.get("value") for e in net.find("rt_info/model_info")}
pmi = {e.tag: e.get("value") for e in pnet.find("rt_info/model_info")}
for k in pmi:
    if k != "model_type" and mi.get(k) != pmi[k]: sys.exit("rt_info model_info/%s %r, peer %r" % (k, mi.get(k), pmi[k]))
print("PASS ov_metadata_interface_vs_peer: %d metadata keys, input %s, outputs %s, rt_info model_info %d keys"
      % (len(ours), iface(net)[0], iface(net)[1], len(mi)))
'
if need_shared; then
    run ov "$REL" model=../m/yolov8n.pt format=openvino
    expect_ok ov "OpenVINO:"
    check ov_log_start grep -qE "^OpenVINO: starting export with openvino yoloport-[0-9.]+\.\.\.$" "$T/ov.out"
    check ov_log_success grep -qE "^OpenVINO: export success ✅ [0-9]+\.[0-9]s, saved as '\.\./m/yolov8n_openvino_model' \(12\.[0-9] MB\)$" "$T/ov.out"
    check ov_files test -f "$T/m/yolov8n_openvino_model/yolov8n.xml" -a -f "$T/m/yolov8n_openvino_model/yolov8n.bin" \
        -a -f "$T/m/yolov8n_openvino_model/metadata.yaml"
    if $PY -c 'import yaml' 2>/dev/null; then
        $PY -c "$OV_PY" "$T/m/yolov8n_openvino_model" "$S/reference/openvino/yolov8n_int8_openvino_model" ||
            fail ov_metadata_interface_vs_peer "see above"
    else
        skip ov_metadata_interface_vs_peer "python3-yaml missing"
    fi
    run ov_half "$REL" model=../m/yolov8n.pt format=openvino half=True
    expect_ok ov_half "OpenVINO:"
    check ov_half_report_fp16 grep -qE "^  \.\./m/yolov8n_openvino_model +OpenVINO +fp16 +6\.[0-9] MB" "$T/ov_half.out"
    check ov_half_decompression grep -q 'decompression' "$T/m/yolov8n_openvino_model/yolov8n.xml"
    run ov_nms "$REL" model=../m/yolov8n.pt format=openvino nms=True
    expect_ok ov_nms "OpenVINO:"
    check ov_nms_rows_checked grep -qF "NMS rows vs the reference NMS max |Δ| 0 " "$T/ov_nms.out"
    check ov_nms_layer grep -q 'type="NonMaxSuppression"' "$T/m/yolov8n_openvino_model/yolov8n.xml"
    # INT8 is calibrated here (tests/e2e/int8.sh); without data= it is refused, saying what to pass
    refused ov_int8_needs_data "int8=True needs calibration data: give data=<dataset.yaml>" "$T/m/yolov8n_openvino_model" \
        model=../m/yolov8n.pt format=openvino int8=True
    check ov_int8_no_int8_dir test ! -e "$T/m/yolov8n_int8_openvino_model"
    before=$(find "$T/m/yolov8n_openvino_model" -type f -exec md5sum {} + | sort)
    env YOLOPORT_FAULT_WRITE_AFTER=4000000 "$BIN" export model=../m/yolov8n.pt format=openvino >"$T/ov_disk_full.out" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ] && out_has ov_disk_full "No space left on device" && no_temps &&
        [ "$(find "$T/m/yolov8n_openvino_model" -type f -exec md5sum {} + | sort)" = "$before" ]; then
        pass ov_disk_full_previous_untouched
    else
        fail ov_disk_full_previous_untouched "exit $rc"; show ov_disk_full
    fi
else
    skip ov_yolov8n_pt "needs ../shared (models and peer references)"
fi
run ov_cfg "$REL" model=yolov8n.yaml format=openvino imgsz=320
expect_ok ov_cfg "OpenVINO:"
check ov_cfg_in_cwd test -f "$T/cwd/yolov8n_openvino_model/yolov8n.xml"

# ========================================================================= TensorFlow.js
have_tfjs() { command -v node >/dev/null 2>&1 && [ -d "$ROOT/tests/node/node_modules/@tensorflow/tfjs" ]; }
expect_tfjs_ok() { # NAME [unchecked]: exit 0, the structure check passed, success line (✅ when the
    # model read back ran against the source; not with uint8 weights), no temporaries
    if [ "$rc" -eq 0 ] && out_has "$1" "TensorFlow.js: structure check ✅ passed" && out_has "$1" "TensorFlow.js: export success" &&
        { if [ "${2:-}" = unchecked ]; then ! out_has "$1" "TensorFlow.js: export success ✅"; else out_has "$1" "TensorFlow.js: export success ✅"; fi; } &&
        no_temps; then pass "$1"; else fail "$1" "exit $rc"; show "$1"; fi
}
TJ_PY='
import sys, yaml
ours, theirs = yaml.safe_load(open(sys.argv[1] + "/metadata.yaml")), yaml.safe_load(open(sys.argv[2] + "/metadata.yaml"))
keys = [k for k in ours if k in theirs]
if keys != list(theirs): sys.exit("metadata keys %s, peer %s" % (list(ours), list(theirs)))
for k in theirs:
    if k not in ("date", "version") and ours[k] != theirs[k]: sys.exit("metadata %s: %r != peer %r" % (k, ours[k], theirs[k]))
if ours["args"] != {"batch": 1, "half": False, "int8": False, "nms": False}: sys.exit("args %r" % ours["args"])
print("PASS tfjs_metadata_vs_peer: %d keys, the peer'"'"'s values" % len(ours))
'
if need_shared; then
    run tfjs "$REL" model=../m/yolov8n.pt format=tfjs
    expect_tfjs_ok tfjs
    check tfjs_log_start grep -qE "^TensorFlow.js: starting export with tensorflowjs yoloport-[0-9.]+\.\.\.$" "$T/tfjs.out"
    # its numeric check: the model read back (formats/tfjs_read.c) in our executor
    check tfjs_log_success grep -qE "^TensorFlow.js: export success ✅ [0-9]+\.[0-9]s, saved as '\.\./m/yolov8n_web_model' \(12\.[0-9] MB\)$" "$T/tfjs.out"
    check tfjs_numeric_ran grep -qF "TensorFlow.js: check against the source ✅ passed: the TF.js model read back in our executor: output0 max |Δ| 0 " "$T/tfjs.out"
    check tfjs_files test -f "$T/m/yolov8n_web_model/model.json" -a -f "$T/m/yolov8n_web_model/group1-shard4of4.bin" \
        -a ! -e "$T/m/yolov8n_web_model/group1-shard5of4.bin" -a -f "$T/m/yolov8n_web_model/metadata.yaml"
    if $PY -c 'import yaml' 2>/dev/null; then
        $PY -c "$TJ_PY" "$T/m/yolov8n_web_model" "$S/reference/openvino/yolov8n_int8_openvino_model" ||
            fail tfjs_metadata_vs_peer "see above"
    fi
    if have_tfjs; then
        node "$ROOT/tests/node/run_tfjs.js" "$T/m/yolov8n_web_model" --info >"$T/tfjs_info.json" 2>&1
        check tfjs_interface sh -c "grep -qF '\"inputs\":[{\"name\":\"images\",\"dtype\":\"float32\",\"dims\":[1,640,640,3]}]' '$T/tfjs_info.json' &&
            grep -qF '\"dims\":[1,84,8400]' '$T/tfjs_info.json'"
    fi
    run tfjs_half "$REL" model=../m/yolov8n.pt format=tfjs half=True
    expect_tfjs_ok tfjs_half
    check tfjs_half_report grep -qE "^  \.\./m/yolov8n_web_model +TensorFlow.js +mixed \(fp32 [0-9]+%, fp16 9[0-9]%\) +6\.[0-9] MB" "$T/tfjs_half.out"
    run tfjs_int8 "$REL" model=../m/yolov8n.pt format=tfjs int8=True
    expect_tfjs_ok tfjs_int8 unchecked
    check tfjs_int8_says_structure_only grep -qF "check against the source – skipped: uint8 weight storage is checked for structure only" "$T/tfjs_int8.out"
    # uint8 storage that TF.js dequantises at load: named as it computes
    check tfjs_int8_report grep -qE "^  \.\./m/yolov8n_web_model +TensorFlow.js +uint8 weights, float compute +3\.[0-9] MB" "$T/tfjs_int8.out"
    refused tfjs_nms_refused "nms=True is not available for TensorFlow.js in this build" "$T/m/yolov8n_web_model" \
        model=../m/yolov8n.pt format=tfjs nms=True
    before=$(find "$T/m/yolov8n_web_model" -type f -exec md5sum {} + | sort)
    env YOLOPORT_FAULT_WRITE_AFTER=6000000 "$BIN" export model=../m/yolov8n.pt format=tfjs >"$T/tfjs_disk_full.out" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ] && out_has tfjs_disk_full "No space left on device" && no_temps &&
        [ "$(find "$T/m/yolov8n_web_model" -type f -exec md5sum {} + | sort)" = "$before" ]; then
        pass tfjs_disk_full_previous_untouched
    else
        fail tfjs_disk_full_previous_untouched "exit $rc"; show tfjs_disk_full
    fi
else
    skip tfjs_yolov8n_pt "needs ../shared (models and peer references)"
fi
# a config at 320 in the CWD, run in TF.js and compared with the same config's ONNX export in
# onnxruntime (two runtimes, neither of them ours)
run tfjs_cfg "$REL" model=yolov8n.yaml format=tfjs imgsz=320
expect_tfjs_ok tfjs_cfg
check tfjs_cfg_in_cwd test -f "$T/cwd/yolov8n_web_model/model.json"
if have_tfjs && have_ort && $PY -c 'import numpy' 2>/dev/null; then
    [ -f yolov8n.onnx ] || run tfjs_cfg_onnx "$REL" model=yolov8n.yaml format=onnx imgsz=320 verify=False
    $PY -c "
import numpy as np
np.save('$T/t320.npy', (np.arange(3 * 320 * 320, dtype=np.float32).reshape(1, 3, 320, 320) * 0.61 % 1.0).astype(np.float32))"
    if node "$ROOT/tests/node/run_tfjs.js" "$T/cwd/yolov8n_web_model" images="$T/t320.npy" --nchw --out "$T/tfjs_out" \
        >"$T/tfjs_run.out" 2>&1 && [ -f "$T/tfjs_out/Identity.npy" ]; then
        pass "tfjs_cfg_runs ($(sed -n 's/.*"run_ms":\([0-9]*\).*/\1/p' "$T/tfjs_run.out") ms in TF.js)"
        node "$ROOT/tests/node/check_export.js" parity tfjs_cfg_vs_onnxruntime yolov8n.onnx "$T/t320.npy" "$T/tfjs_out/Identity.npy"
    else
        fail tfjs_cfg_runs "$(tail -c 300 "$T/tfjs_run.out")"
    fi
else
    skip tfjs_cfg_in_tfjs "needs node with @tensorflow/tfjs and onnxruntime-node, and numpy"
fi
