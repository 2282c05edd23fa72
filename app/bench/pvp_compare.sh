#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# pvp_compare.sh: dpdk-macvtap-vhost (app/vhost/) against the two ways of
# doing its job with stock software, in one run, with the same wire frames,
# the same VMs and the same pinning (issue 10, part 3):
#
#   ours        dpdk-macvtap-vhost, one worker lcore, each VM a bridge-mode
#               net_macvtap port served over vhost-user
#   testpmd-io  (a) stock dpdk-testpmd, io forwarding, one forwarding lcore,
#               net_macvtap port i (bridge mode, spoofchk=1, as the backend
#               makes them) paired with net_vhost port i (client=1)
#   ovs-normal  (b) OVS-DPDK (Debian's openvswitch-switch-dpdk, a private
#               instance), one PMD thread, a netdev bridge with the single
#               flow actions=NORMAL, the lower as a dpdk port and each VM a
#               dpdkvhostuserclient port; every MAC a static MAC-table entry
#
# The VMs are virtio_user frontends: stock dpdk-testpmd processes, each with
# one net_virtio_user port in server mode (the switch connects to it), no VM
# boot needed. Each configuration has its own switch process and its own
# frontends, identical command lines.
#
# Phases:
#   pvp, N VMs (N = 1 and 8 by default): the wire is a net_pcap lower that
#     replays bench_pcap.py's 64-byte frames (round-robin over the N VM MACs,
#     from 02:00:00:00:00:fe) for ever (infinite_rx) and counts what is sent
#     to it. Each frontend runs 'mac' forwarding: every frame goes back from
#     the VM's MAC to 02:00:00:00:00:fe, through the switch, to the wire.
#     Measured: Mpps back on the wire (the lower's TX counter), Mpps into the
#     guests (their ports' RX), per forwarding lcore (there is one) and per VM.
#   v2v: two VMs in bridge mode, A and B, the two ports of ONE frontend
#     (testpmd 'mac' forwarding, paired ports, --tx-first): A sends to B's
#     MAC and B to A's, and whatever a VM receives it sends again, to the
#     other VM's MAC, so two loops of V2V_BURST frames each go VM to VM
#     through the switch and back; the lower is a quiet net_null (no-rx=1).
#     Measured: Mpps into the guests (both directions). ours against
#     ovs-normal (testpmd io forwarding does not switch by MAC). A sender and
#     a receiver in two processes would share CPU 0 in scheduler slices, and
#     the receiver could take only one ring of frames per slice of the
#     sender's: that measures the scheduler, not the switch.
#
# Pinning, the same in every configuration: the switch's forwarding thread
# (our worker lcore, testpmd's forwarding lcore, OVS's PMD thread) alone on
# the highest usable CPU; everything else (the switch's main lcore and control
# threads, ovsdb-server, all frontends, this script) on the lowest. On a
# 2-core machine the frontends share one core, as VMs would share what is left
# of a host.
#
# Rounds alternate as app/bench/lib.sh's comparisons do: every configuration
# of a phase runs side by side, paused (SIGSTOP, all its processes) except the
# one measured; round r measures them in an order rotated by r, each after a
# warm-up, over the same window (pvp_rounds.py). Ratios ours/(a) and ours/(b)
# are taken per round and quoted as median and spread (min-max), against the
# issue's targets: 1.3x (a) and 2x (b) with 1 and 8 VMs, 2x (b) VM to VM.
#
# Usage: app/bench/pvp_compare.sh [--vms LIST] [--rounds R] [--window S]
#            [--warmup S] [--quick] [--no-v2v] [--no-ovs] [--json FILE]
#            [--perf DIR] [--perf-seconds S] [--timeout S] [--keep]
#
#   --vms 1,8        the pvp phases' VM counts (1 to 14)
#   --quick          2 rounds of 1 s windows (--rounds 2 --window 1)
#   --perf DIR       after each phase's rounds, perf record -g each
#                    configuration's forwarding thread (DIR/<phase>-<name>.txt)
#
# Prints "pvp-compare: ..." lines: per phase and configuration its figures
# with their spread over rounds, then each ratio with its spread and whether
# its target is met. With --json, everything (every round) goes to FILE.
# Exit status: 0 with figures (targets met or not), also when OVS-DPDK is
# missing (a "SKIP: pvp-compare: ovs-normal: <reason>" line, the rest still
# measured); 1 when a run went wrong ("FAIL: pvp-compare: <reason>"); 2 on
# bad usage. Needs root (DPDK), python3, 2 CPUs, the build (build/ or
# MACVTAP_BUILD_DIR). All processes, sockets, EAL runtime directories and the
# OVS work directory are removed on exit, failure or signal.

# shellcheck disable=SC2317  # functions run from traps
set -u -o pipefail

NAME=pvp-compare
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../../test/lib/common.sh
. "$ROOT/test/lib/common.sh"
debian_python_first
# shellcheck source-path=SCRIPTDIR source=../../test/lib/ovs.sh
. "$ROOT/test/lib/ovs.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

BUILD=${MACVTAP_BUILD_DIR:-$ROOT/build}
TESTPMD=${TESTPMD:-/usr/bin/dpdk-testpmd}
APP=$BUILD/app/vhost/dpdk-macvtap-vhost
PLUGIN=$BUILD/drivers/net/macvtap/librte_net_macvtap.so
# The system's python3 when there is one: a version manager's shim costs
# seconds per call on a loaded machine.
PY=${PYTHON:-python3}
[ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ] && PY=/usr/bin/python3

VMS=1,8
ROUNDS=5
WINDOW=3
WARMUP=1
V2V=1
OVS=1
JSON=
PERF_DIR=
PERF_SECS=3
TIMEOUT=900
KEEP=0

usage() {
	sed -n '/^# Usage:/,/^#   --perf DIR/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--vms) VMS=${2:-}; shift 2 || usage ;;
	--rounds) ROUNDS=${2:-}; shift 2 || usage ;;
	--window) WINDOW=${2:-}; shift 2 || usage ;;
	--warmup) WARMUP=${2:-}; shift 2 || usage ;;
	--quick) ROUNDS=2; WINDOW=1; shift ;;
	--no-v2v) V2V=0; shift ;;
	--no-ovs) OVS=0; shift ;;
	--json) JSON=${2:-}; shift 2 || usage ;;
	--perf) PERF_DIR=${2:-}; shift 2 || usage ;;
	--perf-seconds) PERF_SECS=${2:-}; shift 2 || usage ;;
	--timeout) TIMEOUT=${2:-}; shift 2 || usage ;;
	--keep) KEEP=1; shift ;;
	-h|--help) usage ;;
	*) echo "$NAME: unknown argument: $1" >&2; usage ;;
	esac
done
for v in ROUNDS WINDOW WARMUP PERF_SECS TIMEOUT; do
	need_int "--${v,,}" "${!v}"
done
IFS=, read -r -a VM_COUNTS <<<"$VMS"
for n in "${VM_COUNTS[@]}"; do
	if ! isint "$n" || [ "$n" -lt 1 ] || [ "$n" -gt 14 ]; then
		echo "$NAME: --vms takes counts from 1 to 14 (Debian's DPDK has 32 ports)" >&2
		exit 2
	fi
done
if [ "$ROUNDS" -lt 1 ] || [ "$WINDOW" -lt 1 ]; then
	echo "$NAME: --rounds and --window at least 1" >&2
	exit 2
fi
json_absolute
if [ -n "$PERF_DIR" ]; then
	if ! mkdir -p "$PERF_DIR"; then
		echo "$NAME: cannot create $PERF_DIR" >&2
		exit 2
	fi
	PERF_DIR=$(cd "$PERF_DIR" && pwd)
fi

WORK=
WATCHDOG=
NAP_PID=
PIDS=()          # every process this script started, but OVS's
PREFIXES=()      # every EAL --file-prefix it used
PHASE_RESULTS=()
MEASURE_PID=

# owned PID: the process runs, from this run's work directory.
owned() {
	pid_alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$WORK"
}

# stop_pids PID...: stop these processes of ours. All are resumed first, and
# OVS with them: a paused process cannot act on TERM, and a frontend that
# closes its port waits for its switch's answers. Then TERM, and after 5 s
# KILL for what still runs.
stop_pids() {
	local p i live
	for p in "$@" ${VS_PID:-}; do
		owned "$p" && kill -CONT "$p" 2>/dev/null
	done
	for p in "$@"; do
		owned "$p" && kill -TERM "$p" 2>/dev/null
	done
	for ((i = 0; i < 50; i++)); do
		live=0
		for p in "$@"; do pid_alive "$p" && live=1; done
		[ "$live" = 0 ] && return 0
		sleep 0.1
	done
	for p in "$@"; do
		owned "$p" && kill -KILL "$p" 2>/dev/null
	done
	return 0
}

# ovs_down: the OVS of the current phase, resumed and stopped.
ovs_down() {
	[ -n "${VS_PID:-}" ] && pid_alive "$VS_PID" && kill -CONT "$VS_PID" 2>/dev/null
	ovs_stop
	VS_PID=
	DB_PID=
}

cleanup() {
	local rc=$?
	guard_release
	[ -n "${MEASURE_PID:-}" ] && kill "$MEASURE_PID" 2>/dev/null
	[ -n "$WORK" ] && stop_pids "${PIDS[@]}"
	ovs_down
	eal_runtime_clean "${PREFIXES[@]}"
	KEEP_TMP=$KEEP tmp_remove "$WORK"
	exit "$rc"
}

guard_traps cleanup on_signal

bench_fail_details() {
	[ -n "${LAST_LOG:-}" ] && [ -f "$LAST_LOG" ] || return 0
	echo "--- last lines of $(basename "$LAST_LOG"):" >&2
	tail -n 8 "$LAST_LOG" >&2
}

# ---------------------------------------------------------------- checks
[ "$(id -u)" = 0 ] || skip "needs root (DPDK's runtime directories)"
command -v "$PY" >/dev/null || skip "python3 not found"
[ -x "$APP" ] || skip "$APP is not built (meson setup build && ninja -C build)"
[ -f "$PLUGIN" ] || skip "$PLUGIN is not built"
[ -x "$TESTPMD" ] || skip "$TESTPMD not found (package dpdk)"
command -v taskset >/dev/null || skip "taskset not found (util-linux)"
command -v unshare >/dev/null || skip "unshare not found (util-linux)"
if [ -n "$PERF_DIR" ]; then command -v perf >/dev/null || skip "--perf: perf not found"; fi
mapfile -t CPUS < <(usable_cpus)
[ "${#CPUS[@]}" -ge 2 ] || skip "needs 2 usable CPUs, has ${#CPUS[@]}"
FE_CPU=${CPUS[0]}
SW_CPU=${CPUS[-1]}
# OVS: its PMD on the switch CPU, ovsdb-server and ovs-vswitchd's other threads
# with the frontends (test/lib/ovs.sh's variables).
PMD_CORE=$SW_CPU
# This script, pvp_rounds.py and whatever they start: on the frontends' CPU
# unless told otherwise (the switches' forwarding threads are).
taskset -cp "$FE_CPU" $$ >/dev/null || skip "taskset -cp $FE_CPU failed"
PMD_MASK=$(printf '0x%x' $((1 << SW_CPU)))
OVS_WHY=
if [ "$OVS" = 0 ]; then
	OVS_WHY="--no-ovs given"
elif [ ! -x "$OVS_DPDK_BIN" ]; then
	OVS_WHY="OVS-DPDK is missing: $OVS_DPDK_BIN (package openvswitch-switch-dpdk; devtools/setup.sh --tests installs it)"
elif why=$(ovs_tools_problem); then
	OVS_WHY=$why
fi
[ -z "$OVS_WHY" ] || echo "SKIP: $NAME: ovs-normal: $OVS_WHY"

mkdir -p "$BUILD" || fail "cannot create $BUILD"
WORK=$(mktemp -d "$BUILD/pvp-compare.XXXXXX") || fail "mktemp -d under $BUILD failed"
case "$WORK" in *[[:space:],\"\'=:]*) fail "work directory $WORK has characters devargs cannot carry" ;; esac
# sockaddr_un holds 107 bytes: the longest socket is $WORK/pvp14/ovs-normal-vm13.sock.
[ "${#WORK}" -le 70 ] || fail "work directory path $WORK is too long for vhost-user sockets"
TAG="pvpc$$"
watchdog_start "$TIMEOUT" "$WORK/timed-out"

GEN_MAC=02:00:00:00:00:fe
# VM to VM: frames each VM port sends at the start, and the frontend's burst.
V2V_BURST=128
vm_mac() { printf '02:4d:56:%02x:%02x:%02x' $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)); }

{
	echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc --all) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# switch thread on CPU $SW_CPU, frontends and the rest on CPU $FE_CPU;" \
		"rounds $ROUNDS, warm-up ${WARMUP} s, window ${WINDOW} s"
} >&2

# json_list ITEM...: a JSON list of strings.
json_list() {
	local s="" x
	for x in "$@"; do s="$s${s:+, }\"$x\""; done
	echo "[$s]"
}
# json_ints ITEM...: a JSON list of numbers.
json_ints() {
	local IFS=,
	echo "[$*]"
}

# ---------------------------------------------------------------- frontends
# fe_start DIR GROUP I MAC ROLE: one frontend: testpmd with a
# net_virtio_user port in server mode, all of it on FE_CPU. ROLE mac: one VM
# (MAC) that returns every frame to GEN_MAC. ROLE v2v: VMs A and B as two
# ports of one process (MAC unused), see the v2v phase. Sets FE_PID, FE_PFX.
fe_start() {
	local dir=$1 g=$2 i=$3 mac=$4 role=$5 vports fwd
	FE_PFX="${TAG}_${PHASE}_${g}_fe$i"
	PREFIXES+=("$FE_PFX")
	if [ "$role" = mac ]; then
		rm -f "$dir/$g-vm$i.sock"
		vports=(--vdev "net_virtio_user0,path=$dir/$g-vm$i.sock,mac=$mac,server=1")
		fwd=(--forward-mode=mac --eth-peer="0,$GEN_MAC")
	else
		rm -f "$dir/$g-vm0.sock" "$dir/$g-vm1.sock"
		vports=(--vdev "net_virtio_user0,path=$dir/$g-vm0.sock,mac=$(vm_mac 0),server=1"
		       --vdev "net_virtio_user1,path=$dir/$g-vm1.sock,mac=$(vm_mac 1),server=1")
		fwd=(--forward-mode=mac --eth-peer="0,$(vm_mac 1)" --eth-peer="1,$(vm_mac 0)"
		     --tx-first --burst="$V2V_BURST")
	fi
	taskset -c "$FE_CPU" "$TESTPMD" --no-huge -m 256 --no-pci --lcores "0@$FE_CPU,1@$FE_CPU" \
		--file-prefix "$FE_PFX" --log-level=lib.eal:warning "${vports[@]}" \
		-- --total-num-mbufs=4096 "${fwd[@]}" --auto-start --stats-period=100 \
		>"$dir/$g-fe$i.log" 2>&1 </dev/null &
	FE_PID=$!
	PIDS+=("$FE_PID")
}

# frontends DIR GROUP N: the group's N frontends; sets FE_PIDS, FE_PFXS
# (the VMs' ports for pvp_rounds.py). VM to VM, both VMs are the two ports of
# one frontend (see the v2v phase).
frontends() {
	local dir=$1 g=$2 n=$3 i want=$3 k all
	FE_PIDS=()
	FE_PFXS=()
	if [ "$KIND" = v2v ]; then
		fe_start "$dir" "$g" 0 "" v2v
		FE_PIDS=("$FE_PID")
		FE_PFXS=("$FE_PFX/0" "$FE_PFX/1")
		# Its ports are probed in turn, each waiting for its switch: the
		# second socket appears once the first is connected.
		want=1
	else
		for ((i = 0; i < n; i++)); do
			fe_start "$dir" "$g" "$i" "$(vm_mac "$i")" mac
			FE_PIDS+=("$FE_PID")
			FE_PFXS+=("$FE_PFX")
		done
	fi
	# Each listens before its switch connects.
	for ((i = 0; i < 50; i++)); do
		all=1
		for ((k = 0; k < want; k++)); do [ -S "$dir/$g-vm$k.sock" ] || all=0; done
		[ "$all" = 1 ] && return 0
		sleep 0.1
	done
	LAST_LOG=$dir/$g-fe0.log
	fail "$PHASE: $g: the frontends did not create their sockets"
}

# group_file DIR GROUP SWITCH_PID WIRE_JSON COMM [PORTS_JSON]: the group's
# description for pvp_rounds.py.
group_file() {
	local dir=$1 g=$2 sw=$3 wire=$4 comm=$5 ports=${6:-"{}"}
	cat >"$dir/$g.json" <<EOF
{"name": "$g", "pids": $(json_ints "$sw" "${FE_PIDS[@]}"), "fe_pids": $(json_ints "${FE_PIDS[@]}"),
 "wire": $wire, "guests": $(json_list "${FE_PFXS[@]}"),
 "worker": {"pid": $sw, "comm": "$comm"}, "ports": $ports}
EOF
}

# ready DIR GROUP LOG: wait until the group forwards, then it is paused.
ready() {
	local out
	LAST_LOG=$3
	out=$("$PY" "$HERE/pvp_rounds.py" ready "$1/$2.json" "$KIND" 60) ||
		fail "$PHASE: $out"
	echo "# $PHASE: $2 forwards; paused" >&2
}

# ---------------------------------------------------------------- switches
# ours DIR N LOWER
start_ours() {
	local dir=$1 n=$2 lower=$3 i vms=() pfx="${TAG}_${PHASE}_ours" pid
	frontends "$dir" ours "$n"
	for ((i = 0; i < n; i++)); do
		vms+=(--vm "name=vm$i,mac=$(vm_mac "$i"),socket=$dir/ours-vm$i.sock,mode=bridge")
	done
	PREFIXES+=("$pfx")
	taskset -c "$FE_CPU,$SW_CPU" "$APP" --no-huge -m 512 --no-pci \
		--lcores "0@$FE_CPU,1@$SW_CPU" --file-prefix "$pfx" \
		--log-level=lib.vhost.config:warning -- --lower "$lower" "${vms[@]}" \
		>"$dir/ours.log" 2>&1 </dev/null &
	pid=$!
	PIDS+=("$pid")
	group_file "$dir" ours "$pid" "{\"tel\": \"$pfx\", \"port\": 0}" rte-worker
	ready "$dir" ours "$dir/ours.log"
}

# (a): net_macvtap ports as the backend makes them, paired by testpmd's
# default topology with the vhost ports: port 0 is the lower (owned by the
# macvtap ports, so testpmd does not forward it), 2i+1 macvtap i, 2i+2 vhost i.
start_testpmd_io() {
	local dir=$1 n=$2 lower=$3 i pfx="${TAG}_${PHASE}_tpio" pid ports="" vdevs
	vdevs=(--vdev "$lower")
	frontends "$dir" testpmd-io "$n"
	for ((i = 0; i < n; i++)); do
		vdevs+=(--vdev "net_macvtap$i,iface=${lower%%,*},mac=$(vm_mac "$i"),mode=bridge,spoofchk=1"
			--vdev "net_vhost$i,iface=$dir/testpmd-io-vm$i.sock,client=1,queues=1")
		ports="$ports${ports:+, }\"$((2 * i + 1))\": \"net_macvtap$i\", \"$((2 * i + 2))\": \"net_vhost$i\""
	done
	PREFIXES+=("$pfx")
	taskset -c "$FE_CPU,$SW_CPU" "$TESTPMD" --no-huge -m 512 --no-pci \
		--lcores "0@$FE_CPU,1@$SW_CPU" --file-prefix "$pfx" -d "$PLUGIN" \
		--log-level=lib.eal:warning --log-level=pmd.net.macvtap:warning "${vdevs[@]}" \
		-- --forward-mode=io --nb-cores=1 --total-num-mbufs=8192 --auto-start \
		--stats-period=100 >"$dir/testpmd-io.log" 2>&1 </dev/null &
	pid=$!
	PIDS+=("$pid")
	group_file "$dir" testpmd-io "$pid" "{\"tel\": \"$pfx\", \"port\": 0}" rte-worker "{$ports}"
	ready "$dir" testpmd-io "$dir/testpmd-io.log"
}

# ovs_port_up NAME: the interface has an ofport and no error, else FAIL.
ovs_port_up() {
	local of err
	of=$("${VSCTL[@]}" get Interface "$1" ofport 2>/dev/null)
	err=$("${VSCTL[@]}" get Interface "$1" error 2>/dev/null)
	if [ "${err:-[]}" != "[]" ] || ! isint "${of:-}" || [ "$of" -lt 1 ]; then
		fail "$PHASE: ovs-normal: port $1 did not come up: ofport ${of:-?}, error ${err:-?}; $(ovs_log_errors 3)"
	fi
}

# (b): a private OVS-DPDK for this phase.
start_ovs() {
	local dir=$1 n=$2 lower=$3 i pfx="${TAG}_${PHASE}_ovs" br=br0 mgmt appctl
	frontends "$dir" ovs-normal "$n"
	mkdir -p "$dir/ovs"
	ovs_env "$dir/ovs"
	# A port's first configuration creates OVS's shared mempool (262144 mbufs
	# by default), which takes long on a loaded machine: more time than
	# ovs.sh's 20 s for every ovs-vsctl.
	VSCTL=(ovs-vsctl --db="unix:$DB_SOCK" --timeout=150)
	LAST_LOG=$VSLOG
	ovs_db_start "$FE_CPU" || fail "$PHASE: ovs-normal: $REASON"
	PREFIXES+=("$pfx")
	ovs_dpdk_config "$PMD_MASK" \
		"--no-huge --legacy-mem -m 2048 --file-prefix=$pfx --no-pci --vdev $lower" ||
		fail "$PHASE: ovs-normal: could not configure DPDK in the database"
	# In a network namespace of its own: the netdev datapath creates kernel
	# tap devices (ovs-netdev, br0) that another OVS on the machine may hold.
	unshare --net -- taskset -c "$FE_CPU" "$OVS_DPDK_BIN" "unix:$DB_SOCK" \
		--pidfile="$OVS_WORK/ovs-vswitchd.pid" --unixctl="$VS_CTL" \
		--log-file="$VSLOG" --no-chdir >"$OVS_WORK/ovs-vswitchd.out" 2>&1 &
	VS_PID=$!
	ovs_vswitchd_wait || fail "$PHASE: ovs-normal: ovs-vswitchd-dpdk did not start: $(ovs_log_errors 3)"
	"${VSCTL[@]}" add-br "$br" -- set bridge "$br" datapath_type=netdev ||
		fail "$PHASE: ovs-normal: could not create a netdev bridge"
	mgmt="unix:$dir/ovs/$br.mgmt"
	if ! ovs-ofctl del-flows "$mgmt" || ! ovs-ofctl add-flow "$mgmt" "priority=0,actions=NORMAL"; then
		fail "$PHASE: ovs-normal: could not set the NORMAL flow"
	fi
	for ((i = 0; i < n; i++)); do
		"${VSCTL[@]}" add-port "$br" "vhu$i" -- set Interface "vhu$i" type=dpdkvhostuserclient \
			options:vhost-server-path="$dir/ovs-normal-vm$i.sock" >/dev/null 2>&1
		ovs_port_up "vhu$i"
		"${APPCTL[@]}" fdb/add "$br" "vhu$i" 0 "$(vm_mac "$i")" >/dev/null ||
			fail "$PHASE: ovs-normal: fdb/add vhu$i failed"
	done
	"${VSCTL[@]}" add-port "$br" in0 -- set Interface in0 type=dpdk \
		options:dpdk-devargs="${lower%%,*}" >/dev/null 2>&1
	ovs_port_up in0
	"${APPCTL[@]}" fdb/add "$br" in0 0 "$GEN_MAC" >/dev/null || fail "$PHASE: ovs-normal: fdb/add in0 failed"
	appctl=$(json_list "${APPCTL[@]}")
	group_file "$dir" ovs-normal "$VS_PID" "{\"appctl\": $appctl, \"port\": \"in0\"}" pmd
	ready "$dir" ovs-normal "$VSLOG"
}

# ---------------------------------------------------------------- phases
# phase KIND N: start every configuration, each paused once it forwards,
# measure them in alternating rounds, stop them all.
phase() {
	local dir groups=() files=() g targets lower out
	KIND=$1
	if [ "$KIND" = pvp ]; then PHASE="pvp$2"; else PHASE=v2v; fi
	dir=$WORK/$PHASE
	mkdir -p "$dir"
	if [ "$KIND" = pvp ]; then
		"$PY" "$HERE/bench_pcap.py" "$dir/in.pcap" --dests "$2" >/dev/null ||
			fail "$PHASE: could not write the capture"
		lower="net_pcap0,rx_pcap=$dir/in.pcap,infinite_rx=1"
		groups=(ours testpmd-io)
		targets='"testpmd-io": 1.3, "ovs-normal": 2.0'
	else
		lower="net_null0,no-rx=1"
		groups=(ours)
		targets='"ovs-normal": 2.0'
	fi
	[ -z "$OVS_WHY" ] && groups+=(ovs-normal)
	local before=${#PIDS[@]}
	for g in "${groups[@]}"; do
		case "$g" in
		ours) start_ours "$dir" "$2" "$lower" ;;
		testpmd-io) start_testpmd_io "$dir" "$2" "$lower" ;;
		ovs-normal) start_ovs "$dir" "$2" "$lower" ;;
		esac
		files+=("$dir/$g.json")
	done
	cat >"$dir/spec.json" <<EOF
{"phase": "$PHASE", "kind": "$KIND", "vms": $2, "rounds": $ROUNDS, "warmup": $WARMUP,
 "window": $WINDOW, "targets": {$targets}, "group_files": $(json_list "${files[@]}"),
 "perf_dir": "$PERF_DIR", "perf_seconds": $PERF_SECS}
EOF
	echo "# $PHASE: measuring ${groups[*]}" >&2
	LAST_LOG=
	out=$dir/result.json
	# In the background, so that a signal (the watchdog's, a ^C) is handled
	# at once rather than after the rounds.
	"$PY" "$HERE/pvp_rounds.py" measure "$dir/spec.json" "$out" &
	MEASURE_PID=$!
	wait "$MEASURE_PID" || fail "$PHASE: measuring failed"
	MEASURE_PID=
	PHASE_RESULTS+=("$out")
	stop_pids "${PIDS[@]:$before}"
	ovs_down
}

for n in "${VM_COUNTS[@]}"; do
	phase pvp "$n"
done
[ "$V2V" = 1 ] && phase v2v 2

LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
echo "# done; load $LOAD" >&2
if [ -n "$JSON" ]; then
	"$PY" - "$JSON" "$LOAD" "$SW_CPU" "$FE_CPU" "$OVS_WHY" "${PHASE_RESULTS[@]}" <<'PY' ||
import json, sys, time
out, load, sw, fe, ovs_why = sys.argv[1:6]
doc = {"bench": "pvp-compare", "status": "ok", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
       "switch_cpu": int(sw), "frontend_cpu": int(fe), "loadavg_at_end": load,
       "ovs_skipped": ovs_why or None, "phases": [json.load(open(p)) for p in sys.argv[6:]]}
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
PY
		fail "could not write $JSON"
fi
exit 0
