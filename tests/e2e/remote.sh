#!/bin/sh
# End to end: host= over a real OpenSSH server (Debian's openssh-server) started here on
# 127.0.0.1 on a free port, with a throwaway host key, user key, known_hosts and ssh config,
# running the stand-in trtexec "remotely" (on its own PATH there, which this side's PATH
# does not have): the engine comes back with the peer's header, the log streams (timestamps),
# a cancel leaves no remote process, a dropped connection is reported and leaves no partial
# file, an unreachable host says so; `benchmark format=engine host=` builds and times the
# engine there; `checks host=` reports the host, its GPU and tools, and yoloport there.  sshd needs its privilege-separation directory (/run/sshd): made when running
# as root (as CI does); every case skips by name, with the reason, when sshd cannot start here.
. "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
case "$BIN" in /*) ;; *) BIN="$ROOT/$BIN" ;; esac
CASES="remote_engine_comes_back remote_header_read_back remote_log_streams remote_work_dir_removed remote_two_hosts_at_once remote_benchmark_engine remote_checks_host remote_checks_host_json remote_checks_unreachable remote_cancel_leaves_no_remote_process remote_dropped_connection_reported remote_unreachable_host_says_so"
skip_all() { for c in $CASES; do skip "$c" "$1"; done; exit 0; }
SSHD="${YOLOPORT_TEST_SSHD:-/usr/sbin/sshd}" # Debian's path; overridable for other systems
[ -x "$SSHD" ] || skip_all "sshd is not installed (Debian's openssh-server, in TEST_PKGS of scripts/deps.sh)"
command -v ssh >/dev/null 2>&1 && command -v scp >/dev/null 2>&1 || skip_all "OpenSSH's ssh and scp are not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 (to find a free port) is not installed"
T=$(mktemp -d)
SSHD_PID=
cleanup() {
    [ -n "$SSHD_PID" ] && kill "$SSHD_PID" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
if [ ! -d /run/sshd ]; then
    if [ "$(id -u)" -eq 0 ]; then mkdir -p /run/sshd && chmod 755 /run/sshd; fi
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ME=$(id -un)
mkdir -p "$T/rbin" "$T/rwork" "$T/rcache" "$T/w" "$T/config/yoloport"
ssh-keygen -q -t ed25519 -N '' -f "$T/host_key" && ssh-keygen -q -t ed25519 -N '' -f "$T/user_key" || skip_all "ssh-keygen failed"
cp "$T/user_key.pub" "$T/authorized_keys"
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$T/host_key.pub")" >"$T/known_hosts"
cat >"$T/sshd_config" <<EOF
Port $PORT
ListenAddress 127.0.0.1
HostKey $T/host_key
PidFile $T/sshd.pid
AuthorizedKeysFile $T/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
AllowUsers $ME
SetEnv XDG_CACHE_HOME=$T/rcache
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
cat >"$T/ssh_config" <<EOF
Host box
    HostName 127.0.0.1
    Port $PORT
    User $ME
    IdentityFile $T/user_key
    IdentitiesOnly yes
    UserKnownHostsFile $T/known_hosts
    StrictHostKeyChecking yes
    LogLevel ERROR
EOF
if ! "$SSHD" -t -f "$T/sshd_config" >"$T/sshd_t.log" 2>&1; then skip_all "sshd cannot start here: $(head -n 1 "$T/sshd_t.log")"; fi
"$SSHD" -f "$T/sshd_config" -E "$T/sshd.log" || skip_all "sshd did not start: $(head -n 1 "$T/sshd.log")"
i=0
while [ ! -s "$T/sshd.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
SSHD_PID=$(cat "$T/sshd.pid" 2>/dev/null)
i=0
until ssh -F "$T/ssh_config" -o BatchMode=yes box true 2>"$T/ssh_try.log"; do
    i=$((i + 1))
    [ $i -ge 30 ] && skip_all "cannot log in to the test sshd: $(tail -n 1 "$T/ssh_try.log")"
    sleep 0.2
done

# the stand-ins live on the remote side's PATH only (host.box.path); they read their mode
# from a file, since ssh does not carry this side's environment
cat >"$T/rbin/trtexec" <<EOF
#!/bin/sh
echo "&&&& RUNNING TensorRT.trtexec [TensorRT v100300] # trtexec \$*"
[ "\$1" = "--help" ] && exit 0
echo "\$*" >>"$T/remote.calls"
out=; load=
for a in "\$@"; do case "\$a" in --saveEngine=*) out=\${a#--saveEngine=} ;; --loadEngine=*) load=\${a#--loadEngine=} ;; esac; done
if [ -n "\$out" ]; then
    echo "\$\$" >"$T/remote.pgid"
    for i in 1 2 3; do echo "[I] [TRT] building step \$i at \$(date +%s.%N)"; sleep 0.5; done
    [ "\$(cat "$T/remote.mode" 2>/dev/null)" = hang ] && { (trap '' INT; sleep 300) & sleep 300; }
    printf 'REMOTE PLAN %s' "\$*" >"\$out"
fi
[ -n "\$load" ] && { [ -s "\$load" ] || exit 1; echo "[I] GPU Compute Time: min = 0.5 ms, max = 1.5 ms, mean = 0.75 ms, median = 0.7 ms"; }
exit 0
EOF
cat >"$T/rbin/nvidia-smi" <<'EOF'
#!/bin/sh
case "$1" in
--query-gpu=*) echo "NVIDIA Remote A100, 8.0, 550.54.15" ;;
*) echo "| NVIDIA-SMI 550.54.15   Driver Version: 550.54.15   CUDA Version: 12.4     |" ;;
esac
EOF
chmod +x "$T/rbin/"*
cat >"$T/config/yoloport/config" <<EOF
# build hosts for the test
host.box = box
host.box.ssh_config = $T/ssh_config
host.box.path = $T/rbin
host.box.workdir = $T/rwork
host.box2 = box
host.box2.ssh_config = $T/ssh_config
host.box2.path = $T/rbin
host.box2.workdir = $T/rwork
host.dead = box
host.dead.ssh_config = $T/ssh_config
host.dead.port = 1
EOF
export XDG_CONFIG_HOME="$T/config" XDG_CACHE_HOME="$T/lcache"
export YOLOPORT_NVIDIA_PROC="$T/rwork" YOLOPORT_TEGRA_RELEASE=/nonexistent
cd "$T/w" || exit 1
show() { sed 's/^/    | /' "$T/$1.out" | tail -n 25; }
no_temps() { ! find "$T/w" -name '*.tmp.*' -o -name '*.part' | grep -q .; }

# =========================================================================== the engine comes back
"$BIN" export model=yolov8n.yaml format=engine imgsz=64 half=True host=box 2>&1 |
    while IFS= read -r l; do printf '%s %s\n' "$(date +%s.%N)" "$l"; done >"$T/remote.out"
if [ -s yolov8n.engine ] && grep -qF "export success ✅" "$T/remote.out" &&
    grep -qF "box: connected in" "$T/remote.out" &&
    grep -qF "\$ ssh -F $T/ssh_config box 'cd $T/rwork/yoloport." "$T/remote.out" &&
    grep -qF "trtexec --onnx=yolov8n.onnx --saveEngine=yolov8n.engine --fp16 --timingCacheFile=$T/rcache/yoloport/tensorrt/nvidia-remote-a100-sm8.0-trt10.3.0.timing'" "$T/remote.out" &&
    grep -qF "built on box" "$T/remote.out" && no_temps; then pass remote_engine_comes_back
else fail remote_engine_comes_back "no engine, or the log lacks the remote run"; show remote; fi
"$BIN" info yolov8n.engine >"$T/rinfo.out" 2>&1
if grep -qF "NVIDIA Remote A100 (compute 8.0), driver 550.54.15, CUDA 12.4, TensorRT 10.3.0" "$T/rinfo.out" &&
    python3 -c "
import json,sys
f=open('yolov8n.engine','rb'); n=int.from_bytes(f.read(4),'little'); m=json.loads(f.read(n)); p=f.read()
assert m['gpu']=='NVIDIA Remote A100' and m['imgsz']==[64,64] and p.startswith(b'REMOTE PLAN --onnx=yolov8n.onnx'), (m, p[:40])
"; then pass remote_header_read_back
else fail remote_header_read_back "info does not show the remote build"; sed 's/^/    | /' "$T/rinfo.out"; fi
if awk '/building step [0-9] at/ { n++; d = $1 - $NF; if (d < -0.05 || d > 0.8) bad = 1; if (n == 1) first = $1; last = $1 }
        END { exit !(n == 3 && !bad && last - first > 0.7) }' "$T/remote.out"; then pass remote_log_streams
else fail remote_log_streams "arrival vs print times:"; grep 'building step' "$T/remote.out" | sed 's/^/    | /'; fi
check remote_work_dir_removed sh -c "[ -z \"\$(ls -A '$T/rwork')\" ]"

# =========================================================================== two hosts, two jobs at once
mkdir -p "$T/w1" "$T/w2"
(cd "$T/w1" && "$BIN" export model=yolov8n.yaml format=engine imgsz=64 host=box >"$T/two1.out" 2>&1) &
j1=$!
(cd "$T/w2" && "$BIN" export model=yolov8n.yaml format=engine imgsz=64 dynamic=True batch=2 host=box2 >"$T/two2.out" 2>&1) &
j2=$!
wait $j1; r1=$?
wait $j2; r2=$?
if [ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ -s "$T/w1/yolov8n.engine" ] && [ -s "$T/w2/yolov8n.engine" ] &&
    grep -qF "box: connected" "$T/two1.out" && grep -qF "box2: connected" "$T/two2.out" &&
    grep -q -- "--optShapes=images:2x3x64x64" "$T/two2.out" && [ -z "$(ls -A "$T/rwork")" ]; then pass remote_two_hosts_at_once
else fail remote_two_hosts_at_once "exits $r1 $r2"; show two1; show two2; fi

# =========================================================================== benchmark there
# host= with format=engine: the engine built there, then timed there with trtexec --loadEngine
rm -f yolov8n.engine
: >"$T/remote.calls"
"$BIN" benchmark model=yolov8n.yaml format=engine imgsz=64 runs=3 host=box >"$T/rbench.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -Eq '^0 +TensorRT +✅ .* 0\.70 +1426\.53 +TensorRT 10\.3\.0 \(trtexec on box\) ' "$T/rbench.out" &&
    grep -q -- '^--onnx=yolov8n.onnx --saveEngine=yolov8n.engine' "$T/remote.calls" &&
    grep -qx -- '--loadEngine=yolov8n.engine.plan --shapes=images:1x3x64x64 --iterations=3' "$T/remote.calls" &&
    grep -qF 'timed with trtexec --loadEngine on box' "$T/rbench.out" && [ -z "$(ls -A "$T/rwork")" ] && no_temps; then pass remote_benchmark_engine
else fail remote_benchmark_engine "exit $rc"; show rbench; cat "$T/remote.calls" | sed 's/^/    | calls: /'; fi

# =========================================================================== checks there
# the host's facts, its GPU (the stand-in nvidia-smi), TensorRT (the stand-in trtexec), a tool
# whose version line carries terminal escapes (shown escaped), and yoloport (this build, linked
# onto the remote PATH)
ln -s "$BIN" "$T/rbin/yoloport"
printf '#!/bin/sh\nprintf "\\033]0;owned\\007OpenVINO 2024.4.0\\n"\n' >"$T/rbin/ovc"
chmod +x "$T/rbin/ovc"
"$BIN" checks host=box >"$T/rchecks.out" 2>"$T/rchecks.err"
rc=$?
esc=$(printf '\033')
if [ "$rc" -eq 0 ] && grep -q "^yoloport checks on box ($(uname -n)) (over ssh" "$T/rchecks.out" &&
    grep -Eq '^GPU +NVIDIA Remote A100 \(compute 8\.0\), driver 550\.54\.15, CUDA 12\.4$' "$T/rchecks.out" &&
    grep -Eq '^TensorRT +10\.3\.0 \(trtexec\)$' "$T/rchecks.out" &&
    grep -Eq "^CPU count +$(nproc)\$" "$T/rchecks.out" && grep -Eq '^RAM +[0-9]+\.[0-9]+ GB$' "$T/rchecks.out" &&
    grep -Eq "^OS +$(uname -s) " "$T/rchecks.out" &&
    grep -qF "trtexec             ✅ $T/rbin/trtexec 10.3.0" "$T/rchecks.out" &&
    grep -qF "ovc                 ✅ $T/rbin/ovc 2024.4.0" "$T/rchecks.out" &&
    grep -q '^pnnx  *– not on PATH there' "$T/rchecks.out" &&
    grep -qF "yoloport            ✅ $T/rbin/yoloport (0.1.0)" "$T/rchecks.out" &&
    ! grep -q "$esc" "$T/rchecks.out" && grep -qF "box: connected in" "$T/rchecks.err" &&
    [ -z "$(ls -A "$T/rwork")" ]; then pass remote_checks_host
else fail remote_checks_host "exit $rc"; show rchecks; sed 's/^/    | err: /' "$T/rchecks.err" | tail -n 5; fi
"$BIN" checks host=box --json >"$T/rchecksj.out" 2>/dev/null
rc=$?
if [ "$rc" -eq 0 ] && python3 -c "
import json, sys
o = json.load(open(sys.argv[1]))
assert o['host'] == 'box' and o['gpu']['present'] and o['gpu']['name'] == 'NVIDIA Remote A100', o['gpu']
assert o['gpu']['compute_capability'] == '8.0' and o['gpu']['cuda'] == '12.4'
assert o['tools']['trtexec']['version'] == '10.3.0' and not o['tools']['pnnx']['found']
assert o['cpu_count'] >= 1 and o['ram_bytes'] > 0 and o['yoloport']['version'] == '0.1.0'
" "$T/rchecksj.out"; then pass remote_checks_host_json
else fail remote_checks_host_json "exit $rc"; show rchecksj; fi
rm -f "$T/rbin/yoloport" "$T/rbin/ovc"
"$BIN" checks host=dead >"$T/rcdead.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -qF "yoloport checks: dead: cannot run commands there: ssh: connect to host 127.0.0.1 port 1" "$T/rcdead.out" &&
    ! grep -q '^GPU' "$T/rcdead.out"; then pass remote_checks_unreachable
else fail remote_checks_unreachable "exit $rc"; show rcdead; fi

# =========================================================================== cancel
rm -f yolov8n.engine "$T/remote.pgid"
echo hang >"$T/remote.mode"
"$BIN" export model=yolov8n.yaml format=engine imgsz=64 host=box >"$T/rcancel.out" 2>&1 &
ypid=$!
i=0
while [ ! -s "$T/remote.pgid" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
pg=$(cat "$T/remote.pgid" 2>/dev/null)
sleep 1.8
kill -INT "$ypid"
wait "$ypid"
rc=$?
if [ -n "$pg" ] && [ "$rc" -eq 130 ] && group_gone "$pg" && grep -qF "cancelled" "$T/rcancel.out" && [ ! -e yolov8n.engine ] &&
    no_temps && [ -z "$(ls -A "$T/rwork")" ]; then pass remote_cancel_leaves_no_remote_process
else fail remote_cancel_leaves_no_remote_process "exit $rc, remote group '$pg'"; show rcancel; ps -eo pid,pgid,stat,args | awk -v g="$pg" '$2 == g' | sed 's/^/    | /'; fi

# =========================================================================== a dropped connection
rm -f yolov8n.engine "$T/remote.pgid"
"$BIN" export model=yolov8n.yaml format=engine imgsz=64 host=box >"$T/rdrop.out" 2>&1 &
ypid=$!
i=0
while [ ! -s "$T/remote.pgid" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
pg=$(cat "$T/remote.pgid" 2>/dev/null)
sleep 1.8
# the server side of this connection goes away: sshd's per-connection processes (children of
# the listener this test started), by id
for c in $(ps -eo pid=,ppid= | awk -v p="$SSHD_PID" '$2 == p { print $1 }'); do kill -9 "$c" 2>/dev/null; done
wait "$ypid"
rc=$?
if [ "$rc" -eq 1 ] && grep -qF "the connection to box was lost before trtexec finished" "$T/rdrop.out" &&
    [ ! -e yolov8n.engine ] && no_temps && [ -n "$pg" ] && group_gone "$pg" && [ -z "$(ls -A "$T/rwork")" ]; then pass remote_dropped_connection_reported
else fail remote_dropped_connection_reported "exit $rc"; show rdrop; fi
rm -f "$T/remote.mode"

# =========================================================================== unreachable
"$BIN" export model=yolov8n.yaml format=engine imgsz=64 host=dead >"$T/rdead.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] && grep -qF "dead: cannot run commands there: ssh: connect to host 127.0.0.1 port 1: Connection refused" "$T/rdead.out" &&
    [ ! -e yolov8n.engine ] && no_temps; then pass remote_unreachable_host_says_so
else fail remote_unreachable_host_says_so "exit $rc"; show rdead; fi
