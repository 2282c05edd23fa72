#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# net_macvtap ports in the stock Debian OVS-DPDK (openvswitch-switch-dpdk's
# ovs-vswitchd-dpdk, OVS 3.1 on DPDK 22.11), loaded as a plugin with -d.
#
# A private ovsdb-server and ovs-vswitchd run from a fresh directory under
# build/ (database, sockets, pid files, logs); nothing of a system Open
# vSwitch is used or touched. EAL gets, through other_config:dpdk-extra:
#   --no-huge --legacy-mem -m 1024 --file-prefix=<unique> --no-pci
#   -d <plugin> --log-level=pmd.net.macvtap:info
#   --vdev net_pcap0,rx_pcap=in.pcap,infinite_rx=1   the lower, replaying forever
#   --vdev net_null0,no-rx=1 --vdev net_null1,no-rx=1  the sinks
# and one PMD core. The bridge br0 (datapath_type=netdev, fail_mode=secure)
# has four type=dpdk ports:
#   mv0 (ofport 1)  net_macvtap0,iface=net_pcap0,mac=02:00:00:00:00:01
#   mv1 (ofport 2)  net_macvtap1,iface=net_pcap0,mac=02:00:00:00:00:02
#   s0  (ofport 3)  net_null0     s1 (ofport 4)  net_null1
# and the flows in_port=1,actions=output:3 and in_port=2,actions=output:4
# (everything else is dropped), so sink N transmits what port mvN received.
#
# in.pcap: per cycle of 90 frames, 12 to MAC1, 24 to MAC2, 6 broadcasts and
# 48 to MACs nobody owns (shuffled). The counts are 1, 2, 4 and 8 times 6, so
# a counter's share of the lower's frames tells which classes it is made of.
# Counters are read live through EAL telemetry (the dpdk_telemetry.v2 socket
# of ovs-vswitchd-dpdk) twice, 2 s apart: the lower's own ipackets (net_pcap
# counts them; the driver owns the lower, OVS does not see it), each macvtap
# port's xstats, each sink's opackets. Only the deltas count, so start-up and
# the order in which ports came up do not matter.
#
# Checks (one 'PASS: name' or 'FAIL: name: reason' each):
#   ovs-start         ovs-vswitchd-dpdk starts and initialises DPDK with -d
#                     <plugin> and the lower in dpdk-extra
#   port-up-mvN       the port gets its ofport and an empty error column:
#                     OVS probed net_macvtapN and then found it again by its
#                     devargs (mac= included); ovs-vswitchd-dpdk survives it
#   plugin-loaded     the driver's probe line for each port added is in the
#                     ovs-vswitchd log
#   status-mvN        status:driver_name=net_macvtap, mac_in_use is the MAC
#                     asked for, status:port_no is the port the driver probed
#                     (and differs between the two)
#   link-mvN          link_state up
#   rx-grows          both ports' rx packets grow (dpctl/show -s)
#   delivery-mvN      port N gets exactly its unicast and the broadcasts
#                     (rx, rx_unicast_packets, rx_broadcast_packets), and its
#                     sink transmits what it received
#   delivery-unknown  unknown unicast reaches nobody: lower_rx_no_port_dropped
#                     is their share; the driver's lower_rx_packets matches
#                     net_pcap0's ipackets
#   zero-copy-mvN     OVS's pools have a private area (its dp_packet): the
#                     driver made the lower's pool with the same one (its log
#                     line says so) and hands frames over without a copy: the
#                     port's rx_pool_copied_packets is 0
#   lower-pool        the mbufs OVS receives come back to the lower's pool
#                     mvt_lower_<id>: by the end of the delivery window the
#                     lower has received more than twice as many frames as the
#                     pool has mbufs (/mempool/info), still receives (20000 or
#                     more in the window), and its rx_nombuf does not grow
#   del-port          'ovs-vsctl del-port br0 mv1' works: the port is gone
#                     from the database and the datapath, OVS logs "Device
#                     '...' has been removed and detached", no error
#   after-del-rx      mv0 keeps receiving
#   after-del-share   mv0 still gets exactly MAC1 + broadcast
#   after-del-noport  frames to MAC2 are now "no port" drops too
#   after-del-sink1   sink s1 transmits nothing more
#   vswitchd-alive    ovs-vswitchd-dpdk is still running at the end
#   vswitchd-exit     'ovs-appctl exit --cleanup' ends it with status 0 and no
#                     error or emergency in its log
# When ovs-vswitchd-dpdk dies, the check at hand fails with how it ended
# (signal), its last words on stderr and its last log line, and the run
# stops there. A run is bounded (240 s; it took 103 s on 2026-12-02 with both
# CPUs busy with other work, load average 12) and cleans up (processes, its
# directory, /var/run/dpdk/<prefix>) however it ends.
#
# SKIP (exit 0): not root, fewer than 2 CPUs; also ovs-vswitchd-dpdk
# (openvswitch-switch-dpdk), the OVS tools or python3 not installed (this test
# never installs them), except under test/run-all.sh, whose set-up installs
# them (MACVTAP_SETUP_INSTALLED=1): there their absence is a FAIL.
# The counter shares are checked by a Python checker; its crash is a FAIL
# (before-checker, after-checker) and so is each check it did not report.
# Exit status: 0 when no check failed, 1 otherwise.
#
# Environment:
#   MACVTAP_BUILD_DIR  build tree (default: <repo>/build)
#   MACVTAP_PLUGIN     plugin .so (default: $MACVTAP_BUILD_DIR/drivers/net/macvtap/librte_net_macvtap.so)
#   OVS_DPDK_BIN       default /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
#   OVS_DPDK_TIMEOUT   seconds the whole run may take (default 240)
#   KEEP_TMP=1         keep the work directory (its path is printed)
#   VERBOSE=1          print the ovs-vswitchd log at the end

# shellcheck disable=SC2317  # functions run from traps
set -u

NAME=ovs-dpdk
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$here/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/ovs.sh
. "$here/lib/ovs.sh"
test_env
pcaplib=$here/lib

MAC1=02:00:00:00:00:01
MAC2=02:00:00:00:00:02
SRC_MAC=02:00:00:00:00:fe
# Unowned destinations: one bit off MAC1 in the last byte, in a middle byte,
# in the first byte.
UNKNOWN_MACS="02:00:00:00:00:03 02:00:00:00:01:01 0a:00:00:00:00:01"
BR=br0
MEM=1024
TIMEOUT=${OVS_DPDK_TIMEOUT:-240}
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || TIMEOUT=240

# ---------------------------------------------------------------- results
# pass, fail and note: test/lib/common.sh.
failed=0
# skip_run REASON: the whole test cannot run here (not a failure).
skip_run() {
	skip "$NAME" "$*"
	exit 0
}
# missing_run REASON: the whole test cannot run for want of something that the
# test set-up installs: SKIP, or FAIL under test/run-all.sh (skip_missing).
missing_run() {
	skip_missing "$NAME" "$*"
	finish
}

WORK=
WATCHDOG=
NAP_PID=
PREFIX=

# A failure after which nothing else can be checked.
fatal() {
	fail "$1" "$2"
	if [ -n "$WORK" ] && [ -f "$WORK/ovs-vswitchd.log" ]; then
		note "last lines of ovs-vswitchd.log:"
		tail -n 25 "$WORK/ovs-vswitchd.log" | sed 's/^/# | /' >&2
	fi
	exit 1
}

# ---------------------------------------------------------------- processes
# Why ovs-vswitchd-dpdk is gone, into REASON: how it ended, what it wrote
# to stderr that is not a log line (glibc's and DPDK's last words), the last
# line of its log. Only in the main shell (it reaps the process).
VS_END=
vs_death() {
	local st said
	if [ -n "$VS_PID" ] && ! pid_alive "$VS_PID"; then
		wait "$VS_PID" 2>/dev/null
		st=$?
		VS_PID=
		if [ "$st" -gt 128 ]; then
			VS_END="killed by signal $((st - 128)) (SIG$(kill -l $((st - 128)) 2>/dev/null))"
		else
			VS_END="exit status $st"
		fi
	fi
	REASON="ovs-vswitchd-dpdk died: ${VS_END:-gone}"
	said=$(grep -avE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$WORK/ovs-vswitchd.out" 2>/dev/null |
		tail -n 3 | tr '\n' ' ')
	[ -z "$said" ] || REASON="$REASON; stderr: ${said% }"
	REASON="$REASON; last log line: $(grep -v '|coverage|' "$VSLOG" 2>/dev/null | tail -n 1 |
		sed 's/^[^|]*|[^|]*|//')"
	if grep -q 'free(): invalid pointer' <<< "$said"; then
		note "hint: OVS gives a packet back with glibc free() when the dp_packet 'source' that" \
			"follows the rte_mbuf in OVS's mempool is not DPBUF_DPDK, i.e. when a port's rx" \
			"burst returns mbufs that are not from the mempool OVS passed to rx_queue_setup"
	fi
}

cleanup() {
	local rc=$?
	guard_release
	ovs_stop
	if [ "${VERBOSE:-0}" = 1 ] && [ -n "$WORK" ] && [ -f "$WORK/ovs-vswitchd.log" ]; then
		sed 's/^/# | /' "$WORK/ovs-vswitchd.log" >&2
	fi
	eal_runtime_clean "$PREFIX"
	tmp_remove "$WORK"
	exit "$rc"
}

on_signal() {
	if [ -n "$WORK" ] && [ -f "$WORK/timed-out" ]; then
		fatal "$NAME" "timed out after ${TIMEOUT} s"
	fi
	fatal "$NAME" "interrupted by SIG$1"
}

guard_traps cleanup on_signal

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || skip_run "needs root (DPDK)"
[ -x "$OVS_DPDK_BIN" ] ||
	missing_run "$OVS_DPDK_BIN not found: openvswitch-switch-dpdk is not installed"
if why=$(ovs_tools_problem); then missing_run "$why"; fi
command -v python3 >/dev/null || missing_run "python3 not found"
[ -f "$pcaplib/pcapgen.py" ] || { fail "$NAME" "$pcaplib/pcapgen.py not found"; exit 1; }
[ -f "$plugin" ] || { fail "$NAME" "no plugin at $plugin (build with: bash devtools/setup.sh)"; exit 1; }
plugin=$(cd "$(dirname "$plugin")" && pwd)/$(basename "$plugin")

# CPUs: the PMD thread on the highest allowed one, the rest for ovsdb-server,
# ovs-vswitchd's other threads and this script.
mapfile -t CPUS < <(usable_cpus)
[ "${#CPUS[@]}" -ge 2 ] || skip_run "needs at least 2 usable CPUs (one for the PMD), have ${#CPUS[@]}"
PMD_CORE=
ovs_pick_cpus

mkdir -p "$build" || { fail "$NAME" "cannot create $build"; exit 1; }
WORK=$(mktemp -d "$build/ovs_dpdk.XXXXXX") || { WORK=; fail "$NAME" "mktemp -d under $build failed"; exit 1; }
case "$WORK$plugin" in
*[[:space:],\"\'=]*) fatal "$NAME" "path '$WORK' or '$plugin' has characters that DPDK arguments cannot carry" ;;
esac
PREFIX="mvt_ovs_$$_${WORK##*.}"
[ ! -e "/var/run/dpdk/$PREFIX" ] || { p=$PREFIX; PREFIX=; fatal "$NAME" "/var/run/dpdk/$p already exists"; }

# Past TIMEOUT seconds the watchdog marks the run timed out and stops it;
# the EXIT trap cleans up.
watchdog_start "$TIMEOUT" "$WORK/timed-out"

# Everything OVS looks up by default goes to the private directory.
ovs_env "$WORK"
OFCTL_TARGET="unix:$WORK/$BR.mgmt"

# ---------------------------------------------------------------- input
PCAP="$WORK/in.pcap"
# shellcheck disable=SC2086  # UNKNOWN_MACS: one word per MAC
python3 - "$pcaplib" "$PCAP" "$MAC1" "$MAC2" "$SRC_MAC" $UNKNOWN_MACS <<'EOF' ||
import random, sys
sys.path.insert(0, sys.argv[1])
import pcapgen
path, mac1, mac2, src = sys.argv[2:6]
unknown = sys.argv[6:]
# Per cycle: 12 to MAC1, 24 to MAC2, 6 broadcasts, 48 unknown (1, 2, 4, 8 x 6).
cycle = [mac1] * 12 + [mac2] * 24 + [pcapgen.BROADCAST] * 6 + \
    [unknown[i % len(unknown)] for i in range(48)]
rng = random.Random(5)
dsts = []
for _ in range(4):
    c = list(cycle)
    rng.shuffle(c)
    dsts += c
pcapgen.write_pcap(path, [pcapgen.make_frame(d, src, n + 1) for n, d in enumerate(dsts)])
EOF
	fatal "$NAME" "could not write the input capture"

# ---------------------------------------------------------------- ovsdb
ovs_db_start "$OTHER_CPUS" || fatal "$NAME" "$REASON"

EAL_EXTRA="--no-huge --legacy-mem -m $MEM --file-prefix=$PREFIX --no-pci -d $plugin"
EAL_EXTRA="$EAL_EXTRA --log-level=pmd.net.macvtap:info"
EAL_EXTRA="$EAL_EXTRA --vdev net_pcap0,rx_pcap=$PCAP,infinite_rx=1"
EAL_EXTRA="$EAL_EXTRA --vdev net_null0,no-rx=1 --vdev net_null1,no-rx=1"
ovs_dpdk_config "$PMD_MASK" "$EAL_EXTRA" || fatal "$NAME" "could not configure DPDK in the database"

# ---------------------------------------------------------------- vswitchd
ovs_vswitchd_start "$OTHER_CPUS"
ovs_vswitchd_wait
case $? in
0) ;;
1)
	vs_death
	fatal ovs-start "at start-up: $REASON; errors logged: $(ovs_log_errors 2)"
	;;
*) fatal ovs-start "ovs-vswitchd-dpdk did not initialise DPDK within 30 s: $(ovs_log_errors 2)" ;;
esac
pass ovs-start
note "$("$OVS_DPDK_BIN" --version 2>/dev/null | head -n 1);" "$(ovs_dpdk_version)"

# ---------------------------------------------------------------- bridge
# fail_mode=secure: no implicit NORMAL flow; our flows name fixed ofports,
# so they are in place before any port receives.
"${VSCTL[@]}" add-br "$BR" -- set bridge "$BR" datapath_type=netdev fail_mode=secure ||
	fatal "$NAME" "could not create the netdev bridge $BR"
ovs-ofctl del-flows "$OFCTL_TARGET" || fatal "$NAME" "ovs-ofctl del-flows failed"
printf '%s\n' "priority=0,actions=drop" \
	"priority=100,in_port=1,actions=output:3" \
	"priority=100,in_port=2,actions=output:4" > "$WORK/flows.txt"
ovs-ofctl add-flows "$OFCTL_TARGET" "$WORK/flows.txt" || fatal "$NAME" "ovs-ofctl add-flows failed"

# vsctl_watch ARGS...: ovs-vsctl ARGS, given up at once if ovs-vswitchd-dpdk
# dies meanwhile (ovs-vsctl would wait for it until its own timeout). Its
# output goes to $WORK/vsctl.out; the reason of a failure to REASON.
vsctl_watch() {
	local pid rc
	"${VSCTL[@]}" "$@" > "$WORK/vsctl.out" 2>&1 &
	pid=$!
	while pid_alive "$pid"; do
		if ! ovs_vs_alive; then
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			vs_death
			return 1
		fi
		sleep 0.1
	done
	wait "$pid"
	rc=$?
	REASON="ovs-vsctl $* failed (exit $rc): $(tail -n 2 "$WORK/vsctl.out" | tr '\n' ' ')"
	return "$rc"
}

# add_port NAME OFPORT DEVARGS: ovs-vsctl succeeds even when the interface
# does not come up; its ofport and error columns tell. The reason of a
# failure goes to REASON.
add_port() {
	local p=$1 ofp_req=$2 dev=$3
	vsctl_watch add-port "$BR" "$p" -- set Interface "$p" type=dpdk \
		ofport_request="$ofp_req" options:dpdk-devargs="$dev" || return 1
	sleep 0.2
	ovs_vs_alive || { vs_death; return 1; }
	if ! ovs_iface_check "$p" "$ofp_req"; then
		REASON="ofport ${OFPORT:-?}, error column ${IFERR:-?}; log: $(ovs_log_errors 3)"
		return 1
	fi
}

for s in 0 1; do
	add_port "s$s" $((3 + s)) "net_null$s" || fatal "$NAME" "sink s$s (net_null$s) did not come up: $REASON"
done
DEVARGS=("net_macvtap0,iface=net_pcap0,mac=$MAC1" "net_macvtap1,iface=net_pcap0,mac=$MAC2")
up=0
tried=0
for n in 0 1; do
	tried=$((tried + 1))
	if add_port "mv$n" $((1 + n)) "${DEVARGS[$n]}"; then
		pass "port-up-mv$n"
		up=$((up + 1))
	else
		fail "port-up-mv$n" "${DEVARGS[$n]}: $REASON"
		ovs_vs_alive || break
	fi
done

# The driver's probe line (pmd.net.macvtap at info) for each port that was
# added, in the ovs-vswitchd log (OVS passes DPDK's log on to its own).
probes=
for ((n = 0; n < tried; n++)); do
	mac=MAC$((n + 1))
	c=$(grep -cE "net_macvtap$n: port [0-9]+, mac ${!mac}, mode vepa, iface=net_pcap0" "$VSLOG")
	[ "$c" = 1 ] || probes="$probes net_macvtap$n: $c probe lines (want 1);"
done
if [ -z "$probes" ]; then
	pass plugin-loaded
else
	fail plugin-loaded "in the ovs-vswitchd log:${probes% ;}"
fi
[ "$up" = 2 ] || fatal "$NAME" "a net_macvtap port did not come up; nothing more to check"

# need_vs STEP: stop here when ovs-vswitchd-dpdk is gone.
need_vs() {
	ovs_vs_alive && return 0
	vs_death
	fatal "$1" "$REASON"
}

# ---------------------------------------------------------------- status
# get_map_value MAP KEY: the value of KEY in an ovs-vsctl map {k=v, k="v"}.
get_map_value() {
	python3 -c '
import sys
m, key = sys.argv[1].strip(), sys.argv[2]
for item in m.strip("{}").split(", "):
    k, _, v = item.partition("=")
    if k.strip("\"") == key:
        print(v.strip("\""))
        break' "$1" "$2"
}
declare -A PORTNO
for n in 0 1; do
	mac=MAC$((n + 1))
	st=$("${VSCTL[@]}" get Interface "mv$n" status 2>&1)
	miu=$("${VSCTL[@]}" get Interface "mv$n" mac_in_use 2>&1 | tr -d '"')
	drv=$(get_map_value "$st" driver_name)
	PORTNO[$n]=$(get_map_value "$st" port_no)
	note "mv$n: status $st; mac_in_use $miu"
	problems=
	[ "$drv" = net_macvtap ] || problems="$problems driver_name '$drv', want net_macvtap;"
	[ "$miu" = "${!mac}" ] || problems="$problems mac_in_use '$miu', want ${!mac};"
	probed=$(sed -n "s/.*net_macvtap$n: port \([0-9]*\), mac .*/\1/p" "$VSLOG" | tail -n 1)
	if [ -z "${PORTNO[$n]}" ]; then
		problems="$problems no port_no in status;"
	elif [ "${PORTNO[$n]}" != "$probed" ]; then
		problems="$problems status:port_no ${PORTNO[$n]}, but the driver probed net_macvtap$n as port ${probed:-?};"
	fi
	if [ -z "$problems" ]; then
		pass "status-mv$n"
	else
		fail "status-mv$n" "${problems% ;}"
	fi
done
if [ -n "${PORTNO[0]}" ] && [ "${PORTNO[0]}" = "${PORTNO[1]}" ]; then
	fail status-port-no "mv0 and mv1 are both DPDK port ${PORTNO[0]}: OVS found the same port for both devargs"
fi

# Link state: the driver mirrors the lower's link (polled); OVS reads it with
# rte_eth_link_get_nowait.
for n in 0 1; do
	ls=
	for i in $(seq 50); do
		ls=$("${VSCTL[@]}" get Interface "mv$n" link_state 2>/dev/null)
		[ "$ls" = up ] && break
		sleep 0.2
	done
	if [ "$ls" = up ]; then
		pass "link-mv$n"
	else
		fail "link-mv$n" "link_state is '${ls:-?}' after 10 s, want up"
	fi
done

# ---------------------------------------------------------------- live counters

# grows PORT...: each port's live rx count grows over a second (trying for
# up to 10 s, for the first frames). The reason of a failure goes to REASON.
grows() {
	local s0 s1 p r0 r1 ok i
	for i in $(seq 10); do
		ovs_vs_alive || { vs_death; return 1; }
		s0=$(ovs_port_stats) || { REASON="ovs-appctl dpctl/show -s failed"; return 1; }
		nap 1
		s1=$(ovs_port_stats) || { REASON="ovs-appctl dpctl/show -s failed"; return 1; }
		ok=1
		for p in "$@"; do
			r0=$(ovs_get_rx "$p" "$s0")
			r1=$(ovs_get_rx "$p" "$s1")
			[ -n "$r0" ] && [ -n "$r1" ] && [ "$r1" -gt "$r0" ] || ok=0
		done
		[ "$ok" = 1 ] && return 0
	done
	REASON="over the last second of 10:"
	for p in "$@"; do
		REASON="$REASON $p rx_packets $(ovs_get_rx "$p" "$s0") -> $(ovs_get_rx "$p" "$s1");"
	done
	REASON=${REASON%;}
	return 1
}
need_vs rx-grows
if grows mv0 mv1; then
	pass rx-grows
else
	fail rx-grows "$REASON"
fi

# ---------------------------------------------------------------- shares
# Counters are read live through EAL's telemetry socket in ovs-vswitchd-dpdk:
# the Interface statistics column is refreshed only every 5 s and OVS puts
# only the *_errors and *_dropped xstats there. The lower, net_pcap0, is no
# OVS port: its own ipackets (net_pcap counts them) is the number of frames
# the driver read, against which every share is measured.
TELEMETRY_SOCK="/var/run/dpdk/$PREFIX/dpdk_telemetry.v2"

# telemetry CMD...: one JSON object {CMD: reply}; a reply is null when the
# command failed (e.g. for a port that no longer exists).
telemetry() {
	python3 - "$TELEMETRY_SOCK" "$@" <<'EOF'
import json, socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
sock.settimeout(5)
sock.connect(sys.argv[1])
hello = json.loads(sock.recv(65536).decode())
size = max(int(hello.get("max_output_len", 16384)), 16384)
out = {}
for cmd in sys.argv[2:]:
    sock.send(cmd.encode())
    reply = json.loads(sock.recv(size).decode())
    out[cmd] = reply.get(cmd.split(",")[0]) if isinstance(reply, dict) else None
print(json.dumps(out))
EOF
}

# lower_port_id: the DPDK port id of net_pcap0, found by name. The driver
# owns it, so /ethdev/list (RTE_ETH_FOREACH_DEV) leaves it out: ask every id.
lower_port_id() {
	local cmds=() id
	for ((id = 0; id < 64; id++)); do cmds+=("/ethdev/info,$id"); done
	telemetry "${cmds[@]}" | python3 -c '
import json, sys
for cmd, info in json.load(sys.stdin).items():
    if info and info.get("name") == "net_pcap0":
        print(cmd.split(",")[1])
        break'
}

# The checks of each phase's shares, which run_checker FAILs when the checker
# does not report them.
declare -A SHARE_CHECKS=([before]="delivery-mv0 delivery-mv1 delivery-unknown"
	[after]="after-del-share after-del-noport after-del-sink1")

# shares PHASE: compare SAMPLE_A and SAMPLE_B (telemetry JSON) with what the
# capture says each counter must get. Prints "PASS: name", "FAIL: name: reason"
# and "# note" lines; when a counter is missing, FAIL each check not yet made.
shares() {
	SAMPLE_A=$SAMPLE_A SAMPLE_B=$SAMPLE_B CHECKS=${SHARE_CHECKS[$1]} python3 - "$1" "$LOWER_ID" "${PORTNO[0]}" \
		"${PORTNO[1]}" "${SINKNO[0]}" "${SINKNO[1]}" <<'EOF'
import json, os, sys

phase = sys.argv[1]
lower_id, mv_id, sink_id = sys.argv[2], sys.argv[3:5], sys.argv[5:7]
UNIT = 6
W = {"broadcast": 1, "MAC1": 2, "MAC2": 4, "unknown": 8}  # x UNIT frames per cycle
CYCLE = 15 * UNIT
TOL = 0.02      # absolute, on a share of the lower's frames (classes are 0.067 apart)
MIN_FRAMES = 20000

a, b = json.loads(os.environ["SAMPLE_A"]), json.loads(os.environ["SAMPLE_B"])


class Missing(Exception):
    pass


def delta(what, port_id, key, label):
    cmd = "/ethdev/%s,%s" % (what, port_id)
    va, vb = (a.get(cmd) or {}).get(key), (b.get(cmd) or {}).get(key)
    if va is None or vb is None:
        have = " ".join(sorted((b.get(cmd) or {}).keys())) or "no reply"
        raise Missing("%s (DPDK port %s): no %s counter %s (it has: %s)"
                      % (label, port_id, what, key, have))
    return vb - va


def classes(share):
    """The classes whose frames make up `share` of the lower's, or None."""
    k = round(share * CYCLE / UNIT)
    if not 0 <= k <= 15 or abs(share - k * UNIT / CYCLE) > TOL:
        return None
    return [c for c, w in W.items() if k & w] or ["nothing"]


def describe(n, lower):
    c = classes(n / lower)
    return "%d = %.3f of the lower's frames (%s)" % (
        n, n / lower, "= " + " + ".join(c) if c else "no combination of the classes")


def expect(names):
    return sum(W[n] for n in names) * UNIT / CYCLE


CHECKS = os.environ["CHECKS"].split()
done = set()


def check(name, ok, why):
    done.add(name)
    print("PASS: %s" % name if ok else "FAIL: %s: %s" % (name, why), flush=True)


try:
    lower = delta("stats", lower_id, "ipackets", "lower net_pcap0")
    print("# %s: over the window the lower (net_pcap0) received %d frames" % (phase, lower))
    if lower < MIN_FRAMES:
        raise Missing("only %d frames on the lower over the window (want %d or more)"
                      % (lower, MIN_FRAMES))
    if phase == "before":
        want = {0: ["MAC1", "broadcast"], 1: ["MAC2", "broadcast"]}
        want_noport = ["unknown"]
    else:
        want = {0: ["MAC1", "broadcast"]}
        want_noport = ["MAC2", "unknown"]
    for n, names in want.items():
        p, sink, pid, sid = "mv%d" % n, "s%d" % n, mv_id[n], sink_id[n]
        rx = delta("xstats", pid, "rx_good_packets", p)
        full = delta("xstats", pid, "rx_ring_full_dropped", p)
        uni = delta("xstats", pid, "rx_unicast_packets", p)
        bc = delta("xstats", pid, "rx_broadcast_packets", p)
        tx = delta("stats", sid, "opackets", "sink " + sink)
        print("# %s: %s rx %d (unicast %d, broadcast %d), ring-full drops %d; "
              "sink %s tx %d" % (phase, p, rx, uni, bc, full, sink, tx))
        own = [c for c in names if c != "broadcast"]
        why = []
        if abs((rx + full) / lower - expect(names)) > TOL:
            why.append("got (rx + rx_ring_full_dropped) %s, want %.3f (%s)"
                       % (describe(rx + full, lower), expect(names), " + ".join(names)))
        if abs(uni / lower - expect(own)) > TOL:
            why.append("rx_unicast_packets %s, want %.3f (%s)"
                       % (describe(uni, lower), expect(own), " + ".join(own)))
        if abs(bc / lower - expect(["broadcast"])) > TOL:
            why.append("rx_broadcast_packets %s, want %.3f (broadcast)"
                       % (describe(bc, lower), expect(["broadcast"])))
        if abs(tx / lower - expect(names)) > TOL:
            why.append("its sink %s transmitted %s, want %.3f (%s)"
                       % (sink, describe(tx, lower), expect(names), " + ".join(names)))
        if rx and abs(tx - rx) > 0.01 * rx:
            why.append("its sink %s transmitted %d frames, the port received %d"
                       % (sink, tx, rx))
        if full > 0.05 * (rx + full):
            print("# %s: %s dropped %.1f%% of its frames on a full ring"
                  % (phase, p, 100.0 * full / (rx + full)))
        check("delivery-%s" % p if phase == "before" else "after-del-share", not why,
              "; ".join(why))
    seen = delta("xstats", mv_id[0], "lower_rx_packets", "mv0")
    noport = delta("xstats", mv_id[0], "lower_rx_no_port_dropped", "mv0")
    why = []
    if abs(noport / lower - expect(want_noport)) > TOL:
        why.append("lower_rx_no_port_dropped %s, want %.3f (%s)"
                   % (describe(noport, lower), expect(want_noport), " + ".join(want_noport)))
    if abs(seen - lower) > 0.01 * lower:
        why.append("the driver's lower_rx_packets grew by %d, net_pcap0's ipackets by %d"
                   % (seen, lower))
    check("delivery-unknown" if phase == "before" else "after-del-noport", not why,
          "; ".join(why))
    if phase == "after":
        s1 = delta("stats", sink_id[1], "opackets", "sink s1")
        check("after-del-sink1", s1 == 0,
              "sink s1 transmitted %d frames after mv1 was deleted" % s1)
except (Missing, ZeroDivisionError) as e:
    for name in CHECKS:
        if name not in done:
            print("FAIL: %s: %s counters: %s" % (name, phase, e))
EOF
}

# measure PHASE PORT_ID...: telemetry samples of the lower and of the given
# ports WINDOW seconds apart, then shares PHASE.
WINDOW=2
measure() {
	local phase=$1 cmds=("/ethdev/stats,$LOWER_ID") id checks
	shift
	checks=${SHARE_CHECKS[$phase]}
	for id in "$@"; do cmds+=("/ethdev/xstats,$id" "/ethdev/stats,$id"); done
	# shellcheck disable=SC2086  # one word per check
	if ! SAMPLE_A=$(telemetry "${cmds[@]}"); then
		fail_each "telemetry query failed (first sample)" $checks
		return 1
	fi
	nap "$WINDOW"
	# shellcheck disable=SC2086
	if ! SAMPLE_B=$(telemetry "${cmds[@]}"); then
		fail_each "telemetry query failed (second sample)" $checks
		return 1
	fi
	run_checker "$phase-checker" "$checks" shares "$phase"
}

declare -A SINKNO
for s in 0 1; do
	st=$("${VSCTL[@]}" get Interface "s$s" status 2>/dev/null)
	SINKNO[$s]=$(get_map_value "$st" port_no)
done
need_vs delivery
LOWER_ID=$(lower_port_id)
if [ -z "$LOWER_ID" ]; then
	# shellcheck disable=SC2086  # one word per check
	fail_each "no ethdev named net_pcap0 found through telemetry ($TELEMETRY_SOCK)" ${SHARE_CHECKS[before]}
else
	measure before "${PORTNO[0]}" "${PORTNO[1]}" "${SINKNO[0]}" "${SINKNO[1]}"
fi

# ---------------------------------------------------------------- zero copy
# Issue 11: frames reach OVS in the lower's own pool, made with OVS's private
# area, with no copy; and OVS gives every mbuf back to that pool.
need_vs zero-copy
made=$(grep -aE "net_macvtap: iface=net_pcap0: lower pool mvt_lower_[0-9]+ made as " "$VSLOG" | head -n 1)
note "driver: ${made#*|dpdk|INFO|}"
ZC=$(telemetry "/ethdev/xstats,${PORTNO[0]}" "/ethdev/xstats,${PORTNO[1]}" | python3 -c '
import json, sys
for k, v in json.load(sys.stdin).items():
    print((v or {}).get("rx_pool_copied_packets", "none"))')
mapfile -t ZC <<< "$ZC"
for n in 0 1; do
	if [ -z "$made" ]; then
		fail "zero-copy-mv$n" "no 'lower pool ... made as' line from the driver in the log"
	elif [ "${ZC[$n]:-none}" = 0 ]; then
		pass "zero-copy-mv$n"
	else
		fail "zero-copy-mv$n" "rx_pool_copied_packets is ${ZC[$n]:-none}, want 0"
	fi
done
# The lower's counters come from the two samples of the delivery window
# (SAMPLE_A, SAMPLE_B); its pool's size from /mempool/info (DPDK 22.11's has
# no count of free mbufs).
POOL=$(SAMPLE_A=${SAMPLE_A:-} SAMPLE_B=${SAMPLE_B:-} python3 -c '
import json, os, sys
cmd = "/ethdev/stats," + sys.argv[1]
a, b = (json.loads(os.environ[k] or "{}").get(cmd) or {} for k in ("SAMPLE_A", "SAMPLE_B"))
info = list(json.loads(sys.stdin.read()).values())[0] or {}
print(info["size"], a["ipackets"], b["ipackets"], a["rx_nombuf"], b["rx_nombuf"])' "$LOWER_ID" \
	< <(telemetry "/mempool/info,mvt_lower_$LOWER_ID") 2>/dev/null)
if ! read -r size rx0 rx1 nombuf0 nombuf1 <<< "$POOL" || [ -z "${nombuf1:-}" ]; then
	fail lower-pool "no /mempool/info for mvt_lower_$LOWER_ID, or no counters of the lower"
else
	note "lower pool mvt_lower_$LOWER_ID: $size mbufs; the lower received $rx0 then $rx1 frames, rx_nombuf $nombuf0 then $nombuf1"
	if [ "$rx1" -le $((2 * size)) ] || [ $((rx1 - rx0)) -lt 20000 ] || [ "$nombuf1" != "$nombuf0" ]; then
		fail lower-pool "mvt_lower_$LOWER_ID ($size mbufs): the lower received $rx0 then $rx1 frames over the window, rx_nombuf $nombuf0 then $nombuf1: mbufs do not come back"
	else
		pass lower-pool
	fi
fi

# ---------------------------------------------------------------- del-port
need_vs del-port
mark=$(wc -l < "$VSLOG")
if vsctl_watch del-port "$BR" mv1; then
	sleep 1
	problems=
	ovs_vs_alive || { vs_death; fatal del-port "$REASON"; }
	if "${VSCTL[@]}" --if-exists get Interface mv1 name 2>/dev/null | grep -q .; then
		problems="$problems mv1 is still in the database;"
	fi
	if "${APPCTL[@]}" dpctl/show netdev@ovs-netdev 2>/dev/null | grep -qE '^  port [0-9]+: mv1 '; then
		problems="$problems mv1 is still a datapath port;"
	fi
	newlog=$(tail -n +"$((mark + 1))" "$VSLOG")
	grep -qE "Device '${DEVARGS[1]}' has been (removed and )?detached" <<< "$newlog" ||
		problems="$problems no \"Device '${DEVARGS[1]}' has been removed and detached\" in the log;"
	errs=$(grep -E '\|(EMER|ERR)\|' <<< "$newlog" | sed 's/^[^|]*|[^|]*|//' | tr '\n' ' ')
	[ -z "$errs" ] || problems="$problems logged: ${errs% };"
	if [ -z "$problems" ]; then
		pass del-port
	else
		fail del-port "${problems% ;}"
	fi
else
	ovs_vs_alive || fatal del-port "$REASON"
	fail del-port "$REASON"
fi

need_vs after-del-rx
if grows mv0; then
	pass after-del-rx
else
	fail after-del-rx "mv0 after mv1 was deleted: $REASON"
fi
need_vs after-del-share
measure after "${PORTNO[0]}" "${SINKNO[0]}" "${SINKNO[1]}"

# ---------------------------------------------------------------- the end
need_vs vswitchd-alive
pass vswitchd-alive
mark=$(wc -l < "$VSLOG")
"${APPCTL[@]}" exit --cleanup > "$WORK/exit.out" 2>&1 &
exit_cmd=$!
for i in $(seq 150); do
	pid_alive "$VS_PID" || break
	sleep 0.1
done
if pid_alive "$VS_PID"; then
	fail vswitchd-exit "still running 15 s after 'ovs-appctl exit --cleanup'; last log line: $(tail -n 1 "$VSLOG")"
else
	vs_death
	newlog=$(tail -n +"$((mark + 1))" "$VSLOG")
	bad=$(grep -aE '\|EMER\||terminating with signal' <<< "$newlog" | sed 's/^[^|]*|[^|]*|//' | tr '\n' ' ')
	errs=$(grep -aE '\|ERR\|' <<< "$newlog" | sed 's/^[^|]*|[^|]*|//' | tr '\n' ' ')
	if [ "$VS_END" != "exit status 0" ]; then
		fail vswitchd-exit "${REASON#ovs-vswitchd-dpdk died: }${errs:+; errors logged: $errs}"
	elif [ -n "$bad$errs" ]; then
		fail vswitchd-exit "exited 0 but logged: ${bad}${errs% }"
	else
		pass vswitchd-exit
	fi
fi
wait "$exit_cmd" 2>/dev/null

[ "$failed" = 0 ]
