#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# ovs_normal.sh: OVS-DPDK's NORMAL-action L2 switching rate on the benchmark
# input, with one PMD core, for comparison with net_macvtap.
#
# A private ovsdb-server and ovs-vswitchd (Debian's openvswitch-switch-dpdk)
# run from a fresh directory under build/; nothing of a system Open vSwitch
# (its sockets, database, pid files or logs) is used or touched. The bridge
# (datapath_type=netdev) has:
#   in0      type=dpdk, net_pcap0 replaying the benchmark capture forever
#            (infinite_rx=1): bench_pcap.py's frames, the same capture as
#            app/macvtap_bench.c replays (64 bytes, destinations round-robin
#            over N MACs; --distinct-flows: IPv4/UDP, every frame its own
#            addresses and ports)
#   d0..dN-1 type=dpdk, net_null vdevs with no-rx=1 (pure sinks)
# and the single flow actions=NORMAL. With --macvtap PLUGIN, in0 is instead
# a net_macvtap port (mode=passthru: every frame of the lower) on net_pcap0,
# the driver loaded with -d PLUGIN: OVS-DPDK switching from a macvtap port,
# for comparing builds of the driver (run each the same way, alternately). Destination MAC i is put in the MAC
# table on port d<i> as a static entry (ovs-appctl fdb/add), so frames are
# switched, never flooded; the per-port tx counters are checked for that.
# After a warm-up, the input port's rx counter is sampled over a fixed window.
#
# Usage: app/bench/ovs_normal.sh [--dests N] [--distinct-flows] [--json FILE]
#            [--window S] [--warmup S] [--frames K] [--pmd-core C]
#            [--mem MB] [--timeout S] [--no-install] [--keep]
#            [--macvtap PLUGIN.so]
#
# Prints "ovs-normal: dests=N flows=<distinct|dst-only> mpps=X.XX" and, with
# --json, writes the result and its details to FILE. Exit status: 0 on a
# result or a SKIP (OVS-DPDK cannot be installed or cannot start: the line
# "SKIP: ovs-normal: <reason>" is printed), 1 when a run went wrong
# ("FAIL: ovs-normal: <reason>"), 2 on bad usage.
#
# Needs root (apt-get, DPDK), python3, and two CPUs (one for the PMD thread,
# the rest for everything else). Runs in well under 90 s per configuration.

# shellcheck disable=SC2317  # functions run from traps
set -u -o pipefail

NAME=ovs-normal
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../../test/lib/common.sh
. "$ROOT/test/lib/common.sh"
debian_python_first
# shellcheck source-path=SCRIPTDIR source=../../test/lib/ovs.sh
. "$ROOT/test/lib/ovs.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

DESTS=8
DISTINCT=0
JSON=
WINDOW=5
WARMUP=3
FRAMES=
PMD_CORE=
MEM=1024
TIMEOUT=85
INSTALL=1
KEEP=0
MACVTAP=

usage() {
	sed -n '/^# Usage:/,/^# Needs root/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--dests) DESTS=${2:-}; shift 2 || usage ;;
	--dests=*) DESTS=${1#*=}; shift ;;
	--distinct-flows) DISTINCT=1; shift ;;
	--json) JSON=${2:-}; shift 2 || usage ;;
	--json=*) JSON=${1#*=}; shift ;;
	--window) WINDOW=${2:-}; shift 2 || usage ;;
	--window=*) WINDOW=${1#*=}; shift ;;
	--warmup) WARMUP=${2:-}; shift 2 || usage ;;
	--warmup=*) WARMUP=${1#*=}; shift ;;
	--frames) FRAMES=${2:-}; shift 2 || usage ;;
	--frames=*) FRAMES=${1#*=}; shift ;;
	--pmd-core) PMD_CORE=${2:-}; shift 2 || usage ;;
	--pmd-core=*) PMD_CORE=${1#*=}; shift ;;
	--mem) MEM=${2:-}; shift 2 || usage ;;
	--mem=*) MEM=${1#*=}; shift ;;
	--timeout) TIMEOUT=${2:-}; shift 2 || usage ;;
	--timeout=*) TIMEOUT=${1#*=}; shift ;;
	--no-install) INSTALL=0; shift ;;
	--keep) KEEP=1; shift ;;
	--macvtap) MACVTAP=${2:-}; shift 2 || usage ;;
	--macvtap=*) MACVTAP=${1#*=}; shift ;;
	-h|--help) usage ;;
	*) echo "$NAME: unknown argument: $1" >&2; usage ;;
	esac
done

for v in DESTS WINDOW WARMUP MEM TIMEOUT; do
	need_int "--${v,,}" "${!v}"
done
[ "$DESTS" -ge 1 ] && [ "$DESTS" -le 64 ] || { echo "$NAME: --dests must be 1..64" >&2; exit 2; }
[ "$WINDOW" -ge 1 ] || { echo "$NAME: --window must be at least 1" >&2; exit 2; }
[ -z "$FRAMES" ] || need_int --frames "$FRAMES"
FLOWS=dst-only
[ "$DISTINCT" = 1 ] && FLOWS=distinct
json_absolute
JSON_FIELDS="dests=$DESTS flows=$FLOWS"
INPUT_DEV=net_pcap0
if [ -n "$MACVTAP" ]; then
	[ -f "$MACVTAP" ] || { echo "$NAME: --macvtap: no such file: $MACVTAP" >&2; exit 2; }
	MACVTAP=$(cd "$(dirname "$MACVTAP")" && pwd)/$(basename "$MACVTAP")
	INPUT_DEV=net_macvtap0,iface=net_pcap0,mode=passthru
	JSON_FIELDS="$JSON_FIELDS input=macvtap"
fi

WORK=
WATCHDOG=
NAP_PID=
PREFIX=

bench_fail_details() {
	if [ -n "$WORK" ] && [ -f "$WORK/ovs-vswitchd.log" ]; then
		echo "--- last lines of ovs-vswitchd.log:" >&2
		tail -n 15 "$WORK/ovs-vswitchd.log" >&2
	fi
}

cleanup() {
	local rc=$?
	guard_release
	ovs_stop
	eal_runtime_clean "$PREFIX"
	KEEP_TMP=$KEEP tmp_remove "$WORK"
	exit "$rc"
}

guard_traps cleanup on_signal

# ---------------------------------------------------------------- checks
[ "$(id -u)" = 0 ] || skip "needs root (DPDK and apt-get)"
command -v python3 >/dev/null || skip "python3 not found"
[ -f "$ROOT/test/lib/pcapgen.py" ] || skip "test/lib/pcapgen.py not found under $ROOT"

if [ ! -x "$OVS_DPDK_BIN" ]; then
	[ "$INSTALL" = 1 ] || skip "openvswitch-switch-dpdk is not installed (--no-install given)"
	command -v apt-get >/dev/null || skip "openvswitch-switch-dpdk is not installed and there is no apt-get"
	echo "$NAME: installing openvswitch-switch-dpdk with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q openvswitch-switch-dpdk >&2; then
		apt-get update -q >&2
		apt-get install -y -q openvswitch-switch-dpdk >&2 ||
			skip "apt-get install openvswitch-switch-dpdk failed"
	fi
	[ -x "$OVS_DPDK_BIN" ] || skip "$OVS_DPDK_BIN missing after installing openvswitch-switch-dpdk"
fi
if why=$(ovs_tools_problem); then skip "$why"; fi

# CPUs: the PMD thread on one core (by default the highest allowed one),
# ovsdb-server, ovs-vswitchd's other threads and this script on the others.
mapfile -t CPUS < <(usable_cpus)
[ "${#CPUS[@]}" -ge 2 ] || skip "needs at least 2 usable CPUs (one for the PMD), have ${#CPUS[@]}"
[ -z "$PMD_CORE" ] || isint "$PMD_CORE" || { echo "$NAME: --pmd-core needs a CPU number" >&2; exit 2; }
ovs_pick_cpus || skip "--pmd-core $PMD_CORE is not a usable CPU (${CPUS[*]})"

mkdir -p "$ROOT/build" || skip "cannot create $ROOT/build"
WORK=$(mktemp -d "$ROOT/build/ovs-normal.XXXXXX") || skip "mktemp -d under $ROOT/build failed"
case "$WORK" in *[[:space:],\"\'=]*) skip "work directory path '$WORK' has characters DPDK devargs cannot carry" ;; esac
PREFIX="ovsnormal_$$_${WORK##*.}"
[ ! -e "/var/run/dpdk/$PREFIX" ] || skip "/var/run/dpdk/$PREFIX already exists"

# The whole run (after installing) is bounded: past TIMEOUT seconds the
# watchdog marks the run timed out and stops it; the EXIT trap cleans up.
watchdog_start "$TIMEOUT" "$WORK/timed-out"

# Everything OVS looks up by default goes to the private directory.
ovs_env "$WORK"
BR=br0

# ---------------------------------------------------------------- input
PCAP="$WORK/in.pcap"
PCAP_ARGS=("$PCAP" --dests "$DESTS" --size 64 --json)
[ -z "$FRAMES" ] || PCAP_ARGS+=(--frames "$FRAMES")
[ "$DISTINCT" = 1 ] && PCAP_ARGS+=(--distinct-flows)
INPUT_INFO=$(python3 "$HERE/bench_pcap.py" "${PCAP_ARGS[@]}") || fail "could not write the input capture"
mapfile -t DEST_MACS < <(printf '%s' "$INPUT_INFO" | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["dest_macs"]))')
[ "${#DEST_MACS[@]}" = "$DESTS" ] || fail "input capture has ${#DEST_MACS[@]} destination MACs, wanted $DESTS"

# ---------------------------------------------------------------- ovsdb
ovs_db_start "$OTHER_CPUS" || skip "$REASON"

VDEVS="--vdev net_pcap0,rx_pcap=$PCAP,infinite_rx=1"
for ((i = 0; i < DESTS; i++)); do
	VDEVS="$VDEVS --vdev net_null$i,no-rx=1"
done
EAL_EXTRA="--no-huge --legacy-mem -m $MEM --file-prefix=$PREFIX --no-pci $VDEVS"
[ -z "$MACVTAP" ] || EAL_EXTRA="$EAL_EXTRA -d $MACVTAP --log-level=pmd.net.macvtap:info"
ovs_dpdk_config "$PMD_MASK" "$EAL_EXTRA" || fail "could not configure DPDK in the database"

# ---------------------------------------------------------------- vswitchd
OVS_VERSION=$("$OVS_DPDK_BIN" --version 2>/dev/null | head -n 1)
ovs_vswitchd_start "$OTHER_CPUS"
ovs_vswitchd_wait
case $? in
0) ;;
1)
	why=$(grep -E '\|(EMER|ERR)\|' "$VSLOG" 2>/dev/null | tail -n 1 | sed 's/.*|\(EMER\|ERR\)|//')
	skip "ovs-vswitchd-dpdk exited at start-up${why:+: $why}"
	;;
*) skip "ovs-vswitchd-dpdk did not initialise DPDK within 30 s" ;;
esac
DPDK_VERSION=$(ovs_dpdk_version)

# ---------------------------------------------------------------- bridge
"${VSCTL[@]}" add-br "$BR" -- set bridge "$BR" datapath_type=netdev ||
	skip "could not create a netdev bridge"
# add_port NAME DEVARGS [OPTION...]: a dpdk port that must come up (ovs-vsctl
# succeeds even when the interface fails; its error column tells).
add_port() {
	local p=$1 dev=$2
	shift 2
	"${VSCTL[@]}" add-port "$BR" "$p" -- set Interface "$p" type=dpdk \
		options:dpdk-devargs="$dev" "$@" 2>/dev/null
	if ! ovs_iface_check "$p"; then
		why=$(grep -E '\|ERR\|' "$VSLOG" 2>/dev/null | grep -v 'Failed to set interface' |
			tail -n 1 | sed 's/.*|ERR|//')
		skip "port $p ($dev) did not come up: ${IFERR:-no ofport}${why:+ ($why)}"
	fi
}
for ((i = 0; i < DESTS; i++)); do
	add_port "d$i" "net_null$i"
done
ovs-ofctl del-flows "unix:$WORK/$BR.mgmt" || fail "ovs-ofctl del-flows failed"
ovs-ofctl add-flow "unix:$WORK/$BR.mgmt" "priority=0,actions=NORMAL" || fail "ovs-ofctl add-flow failed"
for ((i = 0; i < DESTS; i++)); do
	"${APPCTL[@]}" fdb/add "$BR" "d$i" 0 "${DEST_MACS[$i]}" >/dev/null ||
		fail "fdb/add $BR d$i 0 ${DEST_MACS[$i]} failed"
done
nstatic=$("${APPCTL[@]}" fdb/show "$BR" | grep -c 'static$')
[ "$nstatic" = "$DESTS" ] || fail "MAC table has $nstatic static entries, wanted $DESTS"
# The input port last, so that its first frame already finds the MAC table.
add_port in0 "$INPUT_DEV" options:n_rxq=1


# CPU time (clock ticks) that the PMD thread got, and the PMD core's steal
# time: a PMD that got much less than the whole window shared its core.
pmd_tid() {
	local t
	for t in /proc/"$VS_PID"/task/*; do
		case "$(cat "$t/comm" 2>/dev/null)" in pmd*) echo "${t##*/}"; return 0 ;; esac
	done
	return 1
}
cpu_sample() { # tid -> "thread_ticks steal_ticks"
	local th st
	th=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$VS_PID/task/$1/stat" 2>/dev/null)
	st=$(awk -v c="cpu$PMD_CORE" '$1 == c { print $9 }' /proc/stat)
	echo "${th:-0} ${st:-0}"
}

# ---------------------------------------------------------------- warm-up
seen=0
for i in $(seq 100); do
	s=$(ovs_port_stats) || fail "dpctl/show failed"
	r=$(ovs_get_rx in0 "$s")
	if [ "${r:-0}" -gt 0 ]; then seen=1; break; fi
	sleep 0.1
done
[ "$seen" = 1 ] || fail "no frames arrived on in0 within 10 s"
nap "$WARMUP"

# ---------------------------------------------------------------- measure
PMD_TID=$(pmd_tid) || fail "no PMD thread in ovs-vswitchd-dpdk"
"${APPCTL[@]}" dpif-netdev/pmd-stats-clear >/dev/null
S0=$(ovs_port_stats) || fail "dpctl/show failed"
T0=$(date +%s.%N)
C0=$(cpu_sample "$PMD_TID")
nap "$WINDOW"
S1=$(ovs_port_stats) || fail "dpctl/show failed"
T1=$(date +%s.%N)
C1=$(cpu_sample "$PMD_TID")
PMD_STATS=$("${APPCTL[@]}" dpif-netdev/pmd-stats-show -pmd "$PMD_CORE" 2>/dev/null)
RXQ_SHOW=$("${APPCTL[@]}" dpif-netdev/pmd-rxq-show 2>/dev/null)
ovs_vs_alive || fail "ovs-vswitchd-dpdk died during the run"
grep -q "core_id $PMD_CORE:" <<< "$PMD_STATS" ||
	fail "no PMD thread on core $PMD_CORE"
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)

RESULT=$(S0="$S0" S1="$S1" T0="$T0" T1="$T1" DESTS="$DESTS" FLOWS="$FLOWS" \
	PMD_STATS="$PMD_STATS" RXQ_SHOW="$RXQ_SHOW" INPUT_INFO="$INPUT_INFO" \
	OVS_VERSION="$OVS_VERSION" DPDK_VERSION="$DPDK_VERSION" PMD_CORE="$PMD_CORE" \
	WINDOW="$WINDOW" WARMUP="$WARMUP" LOADAVG="$LOADAVG" EAL_EXTRA="$EAL_EXTRA" \
	C0="$C0" C1="$C1" CLK_TCK="$(getconf CLK_TCK)" INPUT_DEV="$INPUT_DEV" \
	MACVTAP="$MACVTAP" MACVTAP_LOG="$(grep -aE 'net_macvtap: .*(lower pool|copied into)' "$VSLOG" 2>/dev/null | sed 's/^.*net_macvtap: //')" \
	python3 - "$JSON" <<'EOF'
import json, os, re, sys, time

env = os.environ
def parse(text):
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 3:
            out[f[0]] = (int(f[1]), int(f[2]))
    return out

s0, s1 = parse(env["S0"]), parse(env["S1"])
dt = float(env["T1"]) - float(env["T0"])
dests = int(env["DESTS"])
names = ["d%d" % i for i in range(dests)]
rx = s1["in0"][0] - s0["in0"][0]
tx = {n: s1[n][1] - s0[n][1] for n in names}
tx_sum = sum(tx.values())
# Ports other than the destinations (in0, the bridge's internal port) must
# send nothing: anything there is flooding.
others_tx = {n: s1[n][1] - s0[n][1] for n in s1 if n not in names and n in s0}

problems = []
if rx <= 0:
    problems.append("no frames received on in0 during the window")
else:
    if tx_sum > rx * 1.02 or any(v > 0 for v in others_tx.values()):
        problems.append("flooding: destinations sent %d frames for %d received, other ports %s"
                        % (tx_sum, rx, others_tx))
    elif tx_sum < rx * 0.98:
        problems.append("destinations sent only %d of %d received frames" % (tx_sum, rx))
    share = 1.0 / dests
    for n in names:
        if abs(tx[n] / rx - share) > share * 0.1:
            problems.append("port %s got %.3f of the frames, expected %.3f" % (n, tx[n] / rx, share))

pmd = {}
for key, pat in (("packets_received", r"packets received: (\d+)"),
                 ("emc_hits", r"emc hits: (\d+)"),
                 ("smc_hits", r"smc hits: (\d+)"),
                 ("megaflow_hits", r"megaflow hits: (\d+)"),
                 ("upcalls_ok", r"miss with success upcall: (\d+)"),
                 ("upcalls_failed", r"miss with failed upcall: (\d+)"),
                 ("avg_pkts_per_output_batch", r"avg\. packets per output batch: ([\d.]+)"),
                 ("avg_cycles_per_packet", r"avg cycles per packet: ([\d.]+)"),
                 ("avg_processing_cycles_per_packet", r"avg processing cycles per packet: ([\d.]+)")):
    m = re.search(pat, env["PMD_STATS"])
    if m:
        pmd[key] = float(m.group(1)) if "." in m.group(1) else int(m.group(1))

# Share of the window that the PMD thread ran, and steal on its core: the
# figure is only good when the PMD had its core to itself.
hz = float(env["CLK_TCK"])
c0, c1 = [list(map(int, env[k].split())) for k in ("C0", "C1")]
pmd_cpu_share = round((c1[0] - c0[0]) / hz / dt, 3)
pmd_core_steal = round((c1[1] - c0[1]) / hz / dt, 3)

info = json.loads(env["INPUT_INFO"])
res = {
    "bench": "ovs-normal",
    "status": "fail" if problems else "ok",
    "problems": problems,
    "dests": dests,
    "flows": env["FLOWS"],
    "mpps": round(rx / dt / 1e6, 3),
    "tx_mpps": round(tx_sum / dt / 1e6, 3),
    "window_s": round(dt, 3),
    "warmup_s": int(env["WARMUP"]),
    "rx_packets": rx,
    "tx_packets": tx,
    "tx_packets_other_ports": others_tx,
    "frame_size": info["frame_size"],
    "input": {k: info[k] for k in ("frames", "src_mac", "dest_macs", "order")},
    "pmd_cores": 1,
    "pmd_core": int(env["PMD_CORE"]),
    "pmd_stats": pmd,
    "pmd_cpu_share": pmd_cpu_share,
    "pmd_core_steal": pmd_core_steal,
    "ovs": env["OVS_VERSION"],
    "dpdk": env["DPDK_VERSION"],
    "eal_extra": env["EAL_EXTRA"],
    "flow_table": "priority=0,actions=NORMAL; static fdb entry per destination MAC",
    "input_port": env["INPUT_DEV"],
    "macvtap_plugin": env["MACVTAP"] or None,
    "macvtap_pool_log": env["MACVTAP_LOG"].splitlines(),
    "loadavg_at_end": env["LOADAVG"],
    "kernel": os.uname().release,
    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
}
if sys.argv[1]:
    with open(sys.argv[1], "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
if pmd_cpu_share < 0.95 or pmd_core_steal > 0.05:
    print("ovs-normal: warning: the PMD thread ran %.0f%% of the window (steal %.0f%%): "
          "something else used core %s; the figure is low" %
          (pmd_cpu_share * 100, pmd_core_steal * 100, env["PMD_CORE"]), file=sys.stderr)
print("%s %.2f %s" % (res["status"], res["mpps"], " | ".join(problems)))
EOF
) || fail "could not compute the result"

read -r status mpps problems <<< "$RESULT"
if [ "$status" != ok ]; then
	echo "FAIL: $NAME: dests=$DESTS flows=$FLOWS mpps=$mpps: $problems"
	exit 1
fi
echo "$NAME: dests=$DESTS flows=$FLOWS mpps=$mpps"
exit 0
