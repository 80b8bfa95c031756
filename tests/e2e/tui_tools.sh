#!/bin/sh
# The workbench with external tools (stand-in trtexec and nvidia-smi first on PATH, a build
# host in the config): the start-up discovery marks TensorRT as made by a tool; the Export
# screen shows the exact trtexec command and, with host=, the ssh command; the TensorRT
# profile fields are checked MIN <= OPT <= MAX inline; the host picker offers the configured
# hosts; a TensorRT export runs from the workbench, and Jobs and Compare say which host each
# export ran on.
cd "$(dirname "$0")/../.." || exit 2
. tests/e2e/lib.sh
. tests/e2e/tui_lib.sh
[ -x "$BIN" ] || { fail tui_tools_binary "no $BIN"; exit 1; }
command -v tmux >/dev/null || { skip tui_tools "tmux not installed"; exit 0; }

D="$TUI_TMP/tools"
mkdir -p "$D/bin" "$D/w" "$D/nogpu" "$XDG_CONFIG_HOME/yoloport"
cat >"$D/bin/trtexec" <<'EOF'
#!/bin/sh
echo "&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec $*"
for a in "$@"; do case "$a" in --saveEngine=*) printf PLAN >"${a#--saveEngine=}" ;; esac; done
exit 0
EOF
cat >"$D/bin/nvidia-smi" <<'EOF'
#!/bin/sh
case "$1" in --query-gpu=*) echo "NVIDIA Stand-In 9000, 8.6, 535.54.03" ;; *) echo "CUDA Version: 12.2" ;; esac
EOF
chmod +x "$D/bin/"*
printf 'host.lab = me@127.0.0.1\nhost.lab.port = 1\n' >"$XDG_CONFIG_HOME/yoloport/config"
ENVS="PATH=$D/bin:$PATH XDG_CACHE_HOME=$D/cache YOLOPORT_NVIDIA_PROC=$D/nogpu YOLOPORT_TEGRA_RELEASE=/nonexistent"

tui_start t 170 40 "$D/w" $ENVS -- yolov8n.yaml format=engine half=True imgsz=64
tui_wait t "YOLOv8n summary" 20
tui_keys t 2
if tui_wait t "trtexec --onnx=yolov8n-imgsz64-half.onnx --saveEngine=yolov8n-imgsz64-half.engine --fp16 --timingCacheFile=" 10 &&
    tui_wait t '\[ \]t TensorRT' 5; then pass tui_tools_trtexec_command
else fail tui_tools_trtexec_command "no trtexec line or TensorRT mark"; tui_cap t | sed 's/^/    | /'; fi
tui_type t ':set dynamic=True'; tui_keys t Enter
tui_type t ':set min_shape=1x3x640x640'; tui_keys t Enter
if tui_wait t "min_shape +1x3x640x640 +the dynamic profile needs MIN <= OPT <= MAX" 5; then pass tui_tools_profile_checked_inline
else fail tui_tools_profile_checked_inline "no inline MIN <= OPT <= MAX message"; tui_cap t | sed 's/^/    | /'; fi
tui_type t ':set min_shape=None'; tui_keys t Enter
tui_type t ':set host=lab'; tui_keys t Enter
if tui_wait t "^ssh -p 1 me@127.0.0.1 'trtexec --onnx=yolov8n-imgsz64-half-dynamic.onnx --saveEngine=yolov8n-imgsz64-half-dynamic.engine --minShapes=images:1x3x32x32" 5 &&
    tui_wait t "host +<lab>" 2; then pass tui_tools_host_picker_and_ssh_command
else fail tui_tools_host_picker_and_ssh_command "no ssh line"; tui_cap t | sed 's/^/    | /'; fi
# on the lab host (nothing listens there): it fails, saying so, and shows where it ran
tui_keys t r
tui_wait t "TensorRT@lab +failed" 20 && tui_wait t "Connection refused" 5
lab_ok=$?
tui_keys t 2
tui_type t ':set host=None'; tui_keys t Enter
tui_type t ':set dynamic=False'; tui_keys t Enter
tui_keys t r
if [ $lab_ok -eq 0 ] && tui_wait t "TensorRT +done" 30; then pass tui_tools_jobs_show_the_host
else fail tui_tools_jobs_show_the_host "the jobs did not end as expected"; tui_cap t | sed 's/^/    | /'; fi
check tui_tools_engine_written test -s "$D/w/yolov8n-imgsz64-half.engine"
tui_keys t 4
if tui_wait t "TensorRT +❌.* lab( |$)" 5 && tui_wait t "TensorRT +✅.* here( |$)" 5; then pass tui_tools_compare_shows_the_host
else fail tui_tools_compare_shows_the_host "no host column"; tui_cap t | sed 's/^/    | /'; fi
tui_quit t
