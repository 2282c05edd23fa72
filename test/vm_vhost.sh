#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Real QEMU VMs on dpdk-macvtap-vhost (app/vhost/) over vhost-user.
#
# Topology:
#   W  a network namespace, the far end of the wire: veth end mvv-wN,
#      10.213.10.1/24, its transmit checksum offload off (the af_packet lower
#      would pass partial checksums on to the guests, which are offered none);
#      tcpdump counts frames there, TCP and UDP peers run there
#   the root namespace: the other end mvv-lN (no address, no IPv6), the
#      backend's lower net_af_packet0,iface=mvv-lN,qpairs=2
#   three QEMU 7.2 guests under TCG (test/vm/init, test/lib/vm.sh), their RAM
#   shared with the backend, each a vhost-user server the backend connects to
#   (its default, and so the way it reconnects):
#      a  bridge, 1 queue pair,              10.213.10.10
#      b  bridge, 2 queue pairs, 2 vCPUs,    10.213.10.11
#      p  private, 2 queue pairs, 1 vCPU,    10.213.10.12: its guest uses
#         one (Linux takes as many as it has CPUs)
#   Each guest serves the suite's shell commands on a second serial port
#   (vm_start --agent), so that one boot serves every check.
#
# Checks (PASS:/FAIL:; SKIP: without root or network namespaces; a missing
# QEMU, guest kernel, busybox, kmod, tcpdump or ethtool, or an unbuilt
# backend, is skip_missing: devtools/setup.sh --tests provides them):
#   vms-connected          the backend connected to the three QEMUs and runs
#                          their guests (telemetry), which came up
#   vm-pings-ns            each VM pings W, every echo answered            (1)
#   ns-pings-vm            W pings each VM, every echo answered            (1)
#   bridge-vm-to-vm        a and b ping each other, every echo answered, and
#                          no frame between them is on the wire, where a's
#                          echoes with W are (the capture works)           (2)
#   private-isolated       p and b, each told the other's MAC by hand, ping
#                          each other: nothing answered, neither guest gets
#                          an echo request, and every one went to the wire
#                          instead (a private port reaches no neighbour
#                          through the lower)                              (2)
#   spoof-dropped-counted  p's guest changes its MAC and pings W: nothing
#                          answered, no frame with that MAC on the wire, the
#                          port's tx_spoof_dropped grew by exactly the frames
#                          the guest sent meanwhile; its own MAC back, W
#                          answers again                                   (2)
#   offloads-negotiated    CSUM, HOST_TSO4 and HOST_TSO6 in the features
#                          the backend negotiated with a and in those a's
#                          guest sees (/sys/class/net/eth0/device/features) (3)
#   tcp-vm-to-ns           a sends 4 MiB of random bytes over TCP to W: W got
#                          them all with the guest's SHA-256; the backend
#                          completed checksums and cut TSO frames meanwhile
#                          (its counters), none malformed; W's kernel counted
#                          no TCP checksum error                           (3)
#   tcp-ns-to-vm           W sends 4 MiB to a: the guest got them all with
#                          W's SHA-256 (its kernel checks every checksum:
#                          none is offloaded toward guests)                (3)
#   multiqueue             b negotiated MQ, enabled all 4 vrings and runs 2
#                          queue pairs; it pings W from each vCPU (each
#                          vCPU's transmit queue), every echo answered; W
#                          sends it UDP datagrams over 32 flows, all reach
#                          the guest; both queue pairs' counters grew both
#                          ways (q0 and q1, rx_frames and tx_frames)       (4)
#   multiqueue-guest-uses-one  p's guest enabled one of the two queue pairs
#                          it was offered: W's UDP datagrams over 32 flows
#                          all reach it, none goes to the queue pair it
#                          does not use (delivered, dropped for a full ring
#                          or for no guest: its counters stay put)         (4)
#   vm-restart-resume      a's QEMU is killed (SIGKILL) and started again on
#                          the same socket: the backend reconnects (its
#                          connection, destroy and new-device counts grow by
#                          one), and W's pings, sent every 0.1 s, are
#                          answered again within 2 s of the guest's eth0
#                          being up                                        (5)
#   backend-exit-clean     SIGTERM to the backend with three guests running:
#                          exit 0, every mbuf back in its pool
#   backend-restart-resume the backend started again connects to the three
#                          QEMUs, which were waiting: each guest answers W's
#                          pings again (within BACKEND_RESUME s of the
#                          backend being ready), a and b reach each other
#                          again, b has both queue pairs back              (5)
#   backend-quit-clean     the restarted backend quits cleanly too
# (1)-(5): the items of issue 10's "Tests with real VMs".
#
# Wall time on two cores: about 50-70 s idle, 2-3.5 min when other work
# keeps them busy (the guests' boots dominate: 15-30 s for the three at once,
# 7-20 s for a's second boot, which overlaps the multiqueue checks).
#
# Environment: MACVTAP_BUILD_DIR (test/lib/common.sh); VM_LIMIT, VM_MEM,
# VM_QEMU (test/lib/vm.sh); MACVTAP_VM_CACHE (test/vm/build-guest.sh);
# KEEP_TMP=1 keeps the consoles and logs; VERBOSE=1 prints timings.

# shellcheck disable=SC2317  # functions run from traps
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$here/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/vm.sh
. "$here/lib/vm.sh"
# shellcheck source-path=SCRIPTDIR source=lib/vhost_backend.sh
. "$here/lib/vhost_backend.sh"
test_env

CHECKS=(vms-connected vm-pings-ns ns-pings-vm bridge-vm-to-vm private-isolated
	spoof-dropped-counted offloads-negotiated tcp-vm-to-ns tcp-ns-to-vm multiqueue
	multiqueue-guest-uses-one vm-restart-resume backend-exit-clean backend-restart-resume
	backend-quit-clean)

NET=10.213.10
declare -A MAC=([a]=52:54:00:7e:00:0a [b]=52:54:00:7e:00:0b [p]=52:54:00:7e:00:0c)
declare -A IP=([a]=$NET.10 [b]=$NET.11 [p]=$NET.12)
SPOOF_MAC=52:54:00:7e:00:99
PINGS=3
TCP_BYTES=4194304
UDP_FLOWS=32
UDP_ROUNDS=10
# Seconds: the guests' boot up to their agent (in parallel, on a busy host),
# one agent command, the backend's start, the VMs' reconnection; resumption
# after the VM's restart (the brief's 2 s) and after the backend's.
BOOT_WAIT=150
CMD_WAIT=30
READY_WAIT=30
RUN_WAIT=30
VM_RESUME=2
BACKEND_RESUME=10
# Every QEMU is stopped by the suite; this only bounds one that is forgotten.
export VM_LIMIT=${VM_LIMIT:-400}

ns_w="" if_l="" dump_pid=""
declare -A bg_pid=()
cleanup() {
	local p
	vm_stop_all
	for p in "${bg_pid[@]}"; do
		kill "$p" 2>/dev/null
	done
	[ -n "$dump_pid" ] && stop_owned "$dump_pid" "$tmp" 20
	vb_stop KILL
	[ -n "$if_l" ] && ip link del "$if_l" 2>/dev/null
	[ -n "$ns_w" ] && ip netns del "$ns_w" 2>/dev/null
	eal_runtime_clean "${prefix:-}"
	tmp_remove "${tmp:-}"
}
test_start cleanup

skip_all() {
	local c
	for c in "${CHECKS[@]}"; do skip "$c" "$1"; done
	finish
}
missing_all() {
	local c
	for c in "${CHECKS[@]}"; do skip_missing "$c" "$1"; done
	finish
}
start_rt=$EPOCHREALTIME
# elapsed: seconds since the start, to 0.1 s.
elapsed() { awk -v t="$EPOCHREALTIME" -v s="$start_rt" 'BEGIN {printf "%.1f", t - s}'; }
phase() {
	[ "${VERBOSE:-0}" = 1 ] || return 0
	note "$1 at $(elapsed)s"
}

# --- prerequisites -----------------------------------------------------------

[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, af_packet, the backend)"
for c in ip timeout python3; do
	command -v "$c" >/dev/null || missing_all "$c not found"
done
command -v tcpdump >/dev/null || missing_all "tcpdump not found (apt-get install tcpdump)"
command -v ethtool >/dev/null || missing_all "ethtool not found (apt-get install ethtool)"
# python3 behind a version manager's shim (pyenv's) takes ~0.4 s to start,
# and this suite starts it hundreds of times (telemetry, the agents): the
# interpreter itself, found once, here and for the libraries' functions.
py3=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
if [ -x "$py3" ]; then
	python3() { "$py3" "$@"; }
else
	py3=python3
fi
vb_app=$build/app/vhost/dpdk-macvtap-vhost
[ -x "$vb_app" ] || missing_all "$vb_app is not built (ninja -C $build)"
make_test_tmp vm_vhost mvv
vb_prefix=$prefix
vm_dir=$tmp
rc=0
vm_prepare || rc=$?
if [ "$rc" = 2 ]; then
	missing_all "$vm_why"
elif [ "$rc" != 0 ]; then
	fail vm-guest "cannot build the guest: $vm_why"
	finish
fi
phase "guest ready"

id=$$
if ! err=$(ip netns add "mvv-w-$id" 2>&1); then
	skip_all "cannot create a network namespace: $err"
fi
ns_w=mvv-w-$id
if_w=mvv-w$id
nsx() { ip netns exec "$ns_w" "$@"; }
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
ip -n "$ns_w" link set lo up
if ! err=$( { ip link add "mvv-l$id" type veth peer name "$if_w" netns "$ns_w" &&
	sysctl -qw "net.ipv6.conf.mvv-l$id.disable_ipv6=1" &&
	ip link set "mvv-l$id" up &&
	ip -n "$ns_w" addr add "$NET.1/24" dev "$if_w" &&
	ip -n "$ns_w" link set "$if_w" up &&
	nsx ethtool -K "$if_w" tx off >/dev/null; } 2>&1); then
	ip link del "mvv-l$id" 2>/dev/null
	fail wire "cannot set up the veth mvv-l$id/$if_w: $err"
	finish
fi
if_l=mvv-l$id

# --- helpers -----------------------------------------------------------------------

# received OUTPUT: the replies a ping (iputils or busybox) counted.
received() {
	local n
	n=$(sed -n 's/.*transmitted, \([0-9][0-9]*\) \(packets \)\{0,1\}received.*/\1/p' <<<"$1" |
		tail -n 1)
	echo "${n:-0}"
}
# ping_from_ns ADDR: $PINGS echo requests from W; "got/sent".
ping_from_ns() {
	local out
	out=$(nsx ping -n -c "$PINGS" -i 0.2 -W 2 "$1" 2>&1)
	echo "$(received "$out")/$PINGS"
}
# ag VM COMMAND: the command's output in the guest into ag_out, its status in ag_rc.
ag() {
	ag_out=$(vm_agent "$1" "$CMD_WAIT" "$2" 2>&1)
	ag_rc=$?
}
# oneline TEXT: TEXT on one line, for a reason.
oneline() { tr '\n' '|' <<<"$1" | cut -c1-300; }
# guest_ping COUNT ADDR: the guest command that pings ADDR COUNT times.
guest_ping() { echo "ping -c $1 -i 0.3 -W 2 $2"; }
# snmp PROTO FIELD: the guest (or W) command that prints one /proc/net/snmp counter.
snmp() {
	echo "awk '/^$1:/ {if (!h) {for (i = 1; i <= NF; i++) if (\$i == \"$2\") c = i; h = 1} else {print \$c; exit}}' /proc/net/snmp"
}
# tel_get VM KEY...: the VM's telemetry values (dots between keys), one per
# line; "-" for a missing one (or all, when the backend cannot be reached),
# but 0 for a port xstat that is not listed (the backend lists those that are
# not 0). One process: test/lib/mvh_tel.py's request, then the keys.
tel_get() {
	python3 -c '
import json, socket, sys
d = {}
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(20)
    s.connect("/var/run/dpdk/%s/dpdk_telemetry.v2" % sys.argv[1])
    info = json.loads(s.recv(16384).decode())
    s.send(("/macvtap_vhost/vm," + sys.argv[2]).encode())
    d = json.loads(s.recv(info.get("max_output_len", 16384) + 1024).decode())
    d = d.get("/macvtap_vhost/vm") or {}
except (OSError, ValueError):
    pass
for k in sys.argv[3:]:
    v = d
    for p in k.split("."):
        v = v.get(p) if isinstance(v, dict) else None
    if v is None and k.startswith("port_xstats.") and isinstance(d.get("port_xstats"), dict):
        v = 0
    print("-" if v is None else v)' "$vb_prefix" "$@"
}
# delta A B: B - A when both are numbers, else "?".
delta() {
	if [[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]]; then echo $(($2 - $1)); else echo "?"; fi
}
# pos X: X is a number above 0.
pos() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -gt 0 ]; }
# bit N VALUE: bit N of the number VALUE is set.
bit() { [[ $2 =~ ^[0-9]+$ ]] && [ $((($2 >> $1) & 1)) = 1 ]; }

# The wire's capture, in W.
cap_start() {
	local n=0
	# Not through nsx: $! must be tcpdump itself, for stop_owned.
	ip netns exec "$ns_w" tcpdump -i "$if_w" -nn -U --immediate-mode -s 128 -Z root \
		-w "$tmp/wire.pcap" 2>"$tmp/tcpdump.err" &
	dump_pid=$!
	while ! grep -q 'listening on' "$tmp/tcpdump.err" && pid_alive "$dump_pid" &&
		[ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
}
cap_stop() {
	sleep 0.3
	stop_owned "$dump_pid" "$tmp" 20
	wait "$dump_pid" 2>/dev/null
	dump_pid=""
}
# wire_count FILTER: frames of the capture that match FILTER.
wire_count() { tcpdump -nn -r "$tmp/wire.pcap" "$1" 2>/dev/null | wc -l; }

# pinger_start NAME ADDR: W pings ADDR every 0.1 s, with time stamps, until pinger_stop NAME.
pinger_start() {
	ip netns exec "$ns_w" ping -D -n -i 0.1 -W 1 "$2" >"$tmp/pinger-$1.out" 2>&1 &
	bg_pid[pinger-$1]=$!
}
pinger_stop() {
	kill "${bg_pid[pinger-$1]}" 2>/dev/null
	wait "${bg_pid[pinger-$1]}" 2>/dev/null
	unset "bg_pid[pinger-$1]"
}
# first_reply NAME SINCE: the time stamp of the first reply of pinger NAME after SINCE.
first_reply() {
	awk -v s="$2" '/ bytes from / {t = substr($1, 2, length($1) - 2); if (t + 0 > s + 0) {print t; exit}}' \
		"$tmp/pinger-$1.out" 2>/dev/null
}

# boot NAME: start VM NAME's QEMU (a vhost-user server) with its agent.
boot() {
	local q=1 smp=1
	[ "$1" = b ] && q=2 smp=2
	[ "$1" = p ] && q=2
	vb_qemu_args "$tmp/$1.sock" "${MAC[$1]}" "$q"
	VM_SMP=$smp vm_start "$1" --agent "mvm_ip=${IP[$1]}/24" "${vb_qemu[@]}"
}

backend_args=(--no-huge -m 512 --no-pci -l 0-1 --file-prefix "$prefix"
	--log-level=lib.vhost.config:warning --log-level=user1:info
	-- --lower "net_af_packet0,iface=$if_l,qpairs=2"
	--vm "name=a,mac=${MAC[a]},socket=$tmp/a.sock,mode=bridge"
	--vm "name=b,mac=${MAC[b]},socket=$tmp/b.sock,mode=bridge,queues=2"
	--vm "name=p,mac=${MAC[p]},socket=$tmp/p.sock,mode=private,queues=2")
# backend_start LOG: start the backend; 0 once it is ready (at $t_ready, to
# 0.1 s), else 1 with why in $why.
backend_start() {
	vb_start "$1" "${backend_args[@]}"
	if ! vb_wait_log 'mvh: ready' "$READY_WAIT"; then
		why="the backend was not ready in ${READY_WAIT}s: $(tail -n 5 "$1" | tr '\n' '|')"
		return 1
	fi
	t_ready=$EPOCHREALTIME
	return 0
}

# --- the backend and three guests, booting in parallel ---------------------------------

backend_start "$tmp/backend.log" || {
	fail_each "$why" "${CHECKS[@]}"
	finish
}
boot a
boot b
boot p
phase "VMs started"
up=1
for v in a b p; do
	if ! vm_wait_line "$v" MVM-AGENT "$BOOT_WAIT" || [ "$(vm_line "$v" MVM-AGENT)" != ready ]; then
		up=0
		why="VM $v has no agent after ${BOOT_WAIT}s; console: $(tr -d '\r' <"$tmp/$v.serial" |
			grep -v '^$' | tail -n 4 | tr '\n' '|'); qemu: $(tail -n 3 "$tmp/$v.qemu" | tr '\n' '|')"
	fi
done
phase "VMs up"
if [ "$up" = 0 ]; then
	fail_each "$why" "${CHECKS[@]}"
	finish
fi
why=""
for v in a b p; do
	vb_wait_state "$v" running "$RUN_WAIT" ||
		why+=" $v: $(tel_get "$v" state connections | tr '\n' ' ')"
done
if [ -z "$why" ]; then
	pass vms-connected
else
	fail vms-connected "not running (state, connections):$why"
fi

# --- (1) the VMs and the namespace, both ways; the capture runs through (2) ----------------

cap_start
declare -A out=()
for v in a b p; do
	vm_agent "$v" "$CMD_WAIT" "$(guest_ping "$PINGS" "$NET.1")" >"$tmp/ping-$v.out" 2>&1 &
	bg_pid[ping-$v]=$!
done
for v in a b p; do
	wait "${bg_pid[ping-$v]}"
	unset "bg_pid[ping-$v]"
	out[$v]=$(cat "$tmp/ping-$v.out")
done
why=""
for v in a b p; do
	[ "$(received "${out[$v]}")" = "$PINGS" ] ||
		why+=" $v: $(received "${out[$v]}")/$PINGS answered ($(oneline "${out[$v]}"));"
done
if [ -z "$why" ]; then
	pass vm-pings-ns
else
	fail vm-pings-ns "$why"
fi
why=""
for v in a b p; do
	got=$(ping_from_ns "${IP[$v]}")
	[ "${got%/*}" = "$PINGS" ] || why+=" $v: $got answered;"
done
if [ -z "$why" ]; then
	pass ns-pings-vm
else
	fail ns-pings-vm "$why"
fi
phase "pings done"

# --- (2) bridge: a and b, locally --------------------------------------------------------

ag a "$(guest_ping "$PINGS" "${IP[b]}")"
ab=$ag_out
ag b "$(guest_ping "$PINGS" "${IP[a]}")"
ba=$ag_out

# --- (2) private: p and b, each with the other's MAC in its ARP table -----------------------

echos="$(snmp Icmp InEchos)"
ag b "arp -s ${IP[p]} ${MAC[p]} && $echos"
b_echo0=$ag_out
ag p "arp -s ${IP[b]} ${MAC[b]} && $echos"
p_echo0=$ag_out
vm_agent p "$CMD_WAIT" "$(guest_ping "$PINGS" "${IP[b]}")" >"$tmp/ping-pb.out" 2>&1 &
bg_pid[ping-pb]=$!
ag b "$(guest_ping "$PINGS" "${IP[p]}")"
bp=$ag_out
wait "${bg_pid[ping-pb]}"
unset "bg_pid[ping-pb]"
pb=$(cat "$tmp/ping-pb.out")
ag b "$echos"
b_echo1=$ag_out
ag p "$echos"
p_echo1=$ag_out

# --- (2) spoofing: p's guest takes another MAC -----------------------------------------------

sp0=$(tel_get p port_xstats.tx_spoof_dropped)
txp=/sys/class/net/eth0/statistics/tx_packets
ag p "t0=\$(cat $txp); ip link set eth0 address $SPOOF_MAC && $(guest_ping "$PINGS" "$NET.1") | grep transmitted; t1=\$(cat $txp); ip link set eth0 address ${MAC[p]}; echo MVV-SPOOF-TX \$((t1 - t0)); $(guest_ping "$PINGS" "$NET.1") | grep transmitted"
spoof_out=$ag_out
spoof_rc=$ag_rc
sp1=$(tel_get p port_xstats.tx_spoof_dropped)
cap_stop
phase "bridge, private and spoofing done"

if [ "$(received "$ab")" != "$PINGS" ] || [ "$(received "$ba")" != "$PINGS" ]; then
	fail bridge-vm-to-vm "a to b: $(received "$ab")/$PINGS answered, b to a: $(received "$ba")/$PINGS ($(oneline "$ab") / $(oneline "$ba"))"
else
	n_ab=$(wire_count "ether host ${MAC[a]} and ether host ${MAC[b]}")
	n_aw=$(wire_count "icmp and ether host ${MAC[a]} and host $NET.1")
	if [ "$n_ab" != 0 ]; then
		fail bridge-vm-to-vm "$n_ab frames between a and b on the wire: $(tcpdump -nn -e -r "$tmp/wire.pcap" "ether host ${MAC[a]} and ether host ${MAC[b]}" 2>/dev/null | head -n 3 | tr '\n' '|')"
	elif [ "$n_aw" -lt $((2 * PINGS)) ]; then
		fail bridge-vm-to-vm "the capture is not to be trusted: $n_aw ICMP frames between a and W in it (a pinged W, W pinged a: at least $((2 * PINGS)))"
	else
		pass bridge-vm-to-vm
	fi
fi

n_pb=$(wire_count "icmp[icmptype] = icmp-echo and ether src ${MAC[p]} and ether dst ${MAC[b]}")
n_bp=$(wire_count "icmp[icmptype] = icmp-echo and ether src ${MAC[b]} and ether dst ${MAC[p]}")
d_b=$(delta "$b_echo0" "$b_echo1")
d_p=$(delta "$p_echo0" "$p_echo1")
if [ "$(received "$pb")" = 0 ] && [ "$(received "$bp")" = 0 ] && [ "$d_b" = 0 ] && [ "$d_p" = 0 ] &&
	[ "$n_pb" = "$PINGS" ] && [ "$n_bp" = "$PINGS" ] && grep -q "$PINGS packets transmitted" <<<"$pb$bp"; then
	pass private-isolated
else
	fail private-isolated "answered p to b $(received "$pb"), b to p $(received "$bp") (0 each); echo requests the guests got: b +$d_b, p +$d_p (0 each); on the wire p to b $n_pb, b to p $n_bp ($PINGS each); p: $(oneline "$pb"); b: $(oneline "$bp")"
fi

spoof_tx=$(sed -n 's/^MVV-SPOOF-TX //p' <<<"$spoof_out")
spoof_got=$(received "$(grep transmitted <<<"$spoof_out" | head -n 1)")
after_got=$(received "$(grep transmitted <<<"$spoof_out" | sed -n 2p)")
d_sp=$(delta "$sp0" "$sp1")
n_sp=$(wire_count "ether src $SPOOF_MAC")
if [ "$spoof_rc" = 0 ] && [ "$spoof_got" = 0 ] && [ "$n_sp" = 0 ] && pos "$spoof_tx" &&
	[ "$spoof_tx" -ge "$PINGS" ] && [ "$d_sp" = "$spoof_tx" ] && [ "$after_got" = "$PINGS" ]; then
	pass spoof-dropped-counted
else
	fail spoof-dropped-counted "with MAC $SPOOF_MAC: $spoof_got answered (0), the guest sent ${spoof_tx:-?} frames (>= $PINGS), tx_spoof_dropped +$d_sp (as many), $n_sp on the wire (0); its own MAC back: $after_got/$PINGS answered; guest: $(oneline "$spoof_out")"
fi

# --- (3) TCP both ways between a and W, with checksum and TSO offloads ------------------------

feat=$(tel_get a features)
ag a "cat /sys/class/net/eth0/device/features"
gfeat=$ag_out
# VIRTIO_NET_F_CSUM 0, HOST_TSO4 11, HOST_TSO6 12; the guest's file has one character per bit.
if bit 0 "$feat" && bit 11 "$feat" && bit 12 "$feat" && [ "${gfeat:0:1}" = 1 ] &&
	[ "${gfeat:11:1}" = 1 ] && [ "${gfeat:12:1}" = 1 ]; then
	pass offloads-negotiated
else
	fail offloads-negotiated "backend's features for a: ${feat:-?}, the guest's: $(oneline "$gfeat") (bits 0, 11 and 12 set in each)"
fi

keys=(q0.tx_tso_frames q0.tx_tso_segments q0.tx_csum_done q0.tx_malformed q0.tx_oversize)
mapfile -t t0 < <(tel_get a "${keys[@]}")
csum_err="$(snmp Tcp InCsumErrors)"
w_err0=$(nsx sh -c "$csum_err")
ip netns exec "$ns_w" timeout -k 2 90 "$py3" "$here/vm/tcpsink.py" --sha256 "$NET.1" 5001 \
	"$TCP_BYTES" 60 "$tmp/sink.out" &
bg_pid[sink]=$!
n=0
while ! grep -q listening "$tmp/sink.out" 2>/dev/null && pid_alive "${bg_pid[sink]}" && [ "$n" -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
ag a "dd if=/dev/urandom of=/tmp/blob bs=65536 count=$((TCP_BYTES / 65536)) 2>/dev/null && sha256sum /tmp/blob && nc -w 5 $NET.1 5001 </tmp/blob"
tx_out=$ag_out
wait "${bg_pid[sink]}"
unset "bg_pid[sink]"
sink=$(tail -n 1 "$tmp/sink.out")
mapfile -t t1 < <(tel_get a "${keys[@]}")
w_err1=$(nsx sh -c "$csum_err")
g_sum=$(awk '/\/tmp\/blob/ {print $1}' <<<"$tx_out")
d_tso=$(delta "${t0[0]:-}" "${t1[0]:-}")
d_seg=$(delta "${t0[1]:-}" "${t1[1]:-}")
d_csum=$(delta "${t0[2]:-}" "${t1[2]:-}")
d_bad=$(delta "${t0[3]:-}" "${t1[3]:-}")$(delta "${t0[4]:-}" "${t1[4]:-}")
d_err=$(delta "$w_err0" "$w_err1")
if [ -n "$g_sum" ] && [ "$sink" = "got $TCP_BYTES $g_sum" ] && pos "$d_tso" && pos "$d_csum" &&
	[ "$d_bad" = 00 ] && [ "$d_err" = 0 ]; then
	pass tcp-vm-to-ns
	note "a to W: $TCP_BYTES bytes, backend: $d_tso TSO frames cut into $d_seg segments, $d_csum checksums completed"
else
	fail tcp-vm-to-ns "W's server: ${sink:-nothing}; the guest's SHA-256 ${g_sum:-none} ($(oneline "$tx_out")); backend: TSO frames +$d_tso, checksums completed +$d_csum (> 0 each), malformed and oversize +${d_bad:0:1} +${d_bad:1} (0); W's TCP checksum errors +$d_err (0)"
fi

vm_agent a "$CMD_WAIT" "nc -l -p 5002 | sha256sum" >"$tmp/rx.out" 2>&1 &
bg_pid[rx]=$!
w_sum=$(nsx timeout -k 2 60 "$py3" -c '
import hashlib, os, socket, sys, time
data = os.urandom(int(sys.argv[2]))
end = time.monotonic() + 20
while True:    # until the guest listens
    try:
        s = socket.create_connection((sys.argv[1], 5002), timeout=5)
        break
    except OSError:
        if time.monotonic() > end:
            raise
        time.sleep(0.2)
s.settimeout(30)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()
print(hashlib.sha256(data).hexdigest())' "${IP[a]}" "$TCP_BYTES" 2>&1)
wait "${bg_pid[rx]}"
rx_rc=$?
unset "bg_pid[rx]"
rx_out=$(cat "$tmp/rx.out")
if [[ $w_sum =~ ^[0-9a-f]{64}$ ]] && [ "$rx_rc" = 0 ] && [ "$rx_out" = "$w_sum  -" ]; then
	pass tcp-ns-to-vm
else
	fail tcp-ns-to-vm "W sent $TCP_BYTES bytes, SHA-256 $(oneline "$w_sum"); the guest's: $(oneline "$rx_out") (agent status $rx_rc)"
fi
phase "TCP done"

# --- (5) a's QEMU killed and started again; meanwhile (4) on b ----------------------------------

mapfile -t r0 < <(tel_get a connections destroys new_devices)
pinger_start a "${IP[a]}"
sleep 0.5
vm_crash a
t_kill=$EPOCHREALTIME
boot a
# When the new guest's eth0 is up with its address.
(
	n=0
	while ! grep -q '^MVM-UP: ' "$tmp/a.serial" 2>/dev/null && [ "$n" -lt $((BOOT_WAIT * 20)) ]; do
		sleep 0.05
		n=$((n + 1))
	done
	echo "$EPOCHREALTIME" >"$tmp/a.up"
) &
bg_pid[a-up]=$!
phase "VM a killed and started again"

# (4) while a boots: b's two queue pairs, both ways; p's guest, which uses
# one of its two.
mkeys=(features vrings_enabled q1.active q0.rx_frames q1.rx_frames q0.tx_frames q1.tx_frames
	q0.rx_guest_full q1.rx_guest_full q1.rx_no_guest)
mapfile -t m0 < <(tel_get b "${mkeys[@]}")
mapfile -t o0 < <(tel_get p "${mkeys[@]}")
noports="$(snmp Udp NoPorts)"
ag b "ls /sys/class/net/eth0/queues | tr '\n' ' '; echo; $noports"
queues=$(head -n 1 <<<"$ag_out")
u0=$(sed -n 2p <<<"$ag_out")
ag p "ls /sys/class/net/eth0/queues | tr '\n' ' '; echo; $noports"
p_queues=$(head -n 1 <<<"$ag_out")
pu0=$(sed -n 2p <<<"$ag_out")
ag b "taskset 1 $(guest_ping 5 "$NET.1") >/tmp/cpu0 2>&1 & taskset 2 $(guest_ping 5 "$NET.1") >/tmp/cpu1 2>&1; wait; grep -h transmitted /tmp/cpu0; grep -h transmitted /tmp/cpu1"
cpu0=$(received "$(sed -n 1p <<<"$ag_out")")
cpu1=$(received "$(sed -n 2p <<<"$ag_out")")
mq_ping=$ag_out
# udp_spray VM: W sends UDP_ROUNDS datagrams on each of UDP_FLOWS flows (source
# ports) to VM's port 9, where nobody listens: its kernel counts each (Udp NoPorts).
udp_spray() {
	nsx "$py3" -c '
import socket, sys, time
flows, rounds, dst = int(sys.argv[2]), int(sys.argv[3]), sys.argv[1]
socks = []
for i in range(flows):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 40000 + i))
    socks.append(s)
for r in range(rounds):
    for s in socks:
        s.sendto(b"multiqueue" * 10, (dst, 9))
    time.sleep(0.02)' "${IP[$1]}" "$UDP_FLOWS" "$UDP_ROUNDS"
}
# noports_reach VM FROM: the guest's Udp NoPorts once it is FROM + UDP_FLOWS *
# UDP_ROUNDS, or after 3 s.
noports_reach() {
	local end
	end=$(awk -v t="$EPOCHREALTIME" 'BEGIN {printf "%d", t + 3}')
	while :; do
		ag "$1" "$noports"
		[ "$(delta "$2" "$ag_out")" = "$want" ] || [ "${EPOCHREALTIME%.*}" -ge "$end" ] && break
		sleep 0.3
	done
	echo "$ag_out"
}
want=$((UDP_FLOWS * UDP_ROUNDS))
udp_spray b
udp_spray p
u1=$(noports_reach b "$u0")
pu1=$(noports_reach p "$pu0")
mapfile -t m1 < <(tel_get b "${mkeys[@]}")
mapfile -t o1 < <(tel_get p "${mkeys[@]}")
d_udp=$(delta "$u0" "$u1")
d_rx0=$(delta "${m0[3]:-}" "${m1[3]:-}")
d_rx1=$(delta "${m0[4]:-}" "${m1[4]:-}")
d_tx0=$(delta "${m0[5]:-}" "${m1[5]:-}")
d_tx1=$(delta "${m0[6]:-}" "${m1[6]:-}")
# VIRTIO_NET_F_MQ is bit 22; vrings 0-3 enabled: 15.
if bit 22 "${m1[0]:-}" && [ "${m1[1]:-}" = 15 ] && [ "${m1[2]:-}" = 1 ] &&
	[ "$queues" = "rx-0 rx-1 tx-0 tx-1 " ] && [ "$cpu0" = 5 ] && [ "$cpu1" = 5 ] &&
	[ "$d_udp" = "$want" ] && pos "$d_rx0" && pos "$d_rx1" && pos "$d_tx0" && pos "$d_tx1"; then
	pass multiqueue
	note "b: to the guest q0 +$d_rx0 q1 +$d_rx1, from it q0 +$d_tx0 q1 +$d_tx1"
else
	fail multiqueue "features ${m1[0]:-?} (MQ), vrings_enabled ${m1[1]:-?} (15), q1 active ${m1[2]:-?}; the guest's queues: $queues; pings from vCPU 0: $cpu0/5, vCPU 1: $cpu1/5; UDP datagrams the guest got: $d_udp/$want (guest ring full: q0 ${m1[7]:-?} q1 ${m1[8]:-?}); to the guest q0 +$d_rx0 q1 +$d_rx1, from it q0 +$d_tx0 q1 +$d_tx1 (each > 0); $(oneline "$mq_ping")"
fi
# p's second queue pair: nothing may go there (not delivered, not dropped).
d_pudp=$(delta "$pu0" "$pu1")
d_p1=$(delta "${o0[4]:-}" "${o1[4]:-}")
d_p1full=$(delta "${o0[8]:-}" "${o1[8]:-}")
d_p1none=$(delta "${o0[9]:-}" "${o1[9]:-}")
if bit 22 "${o1[0]:-}" && [ "${o1[1]:-}" = 3 ] && [ "$p_queues" = "rx-0 tx-0 " ] &&
	[ "$d_pudp" = "$want" ] && [ "$d_p1$d_p1full$d_p1none" = 000 ]; then
	pass multiqueue-guest-uses-one
else
	fail multiqueue-guest-uses-one "p: features ${o1[0]:-?} (MQ), vrings_enabled ${o1[1]:-?} (3), the guest's queues: $p_queues (one pair); UDP datagrams the guest got: $d_pudp/$want; its unused queue pair q1: to the guest +$d_p1, dropped for a full ring +$d_p1full, for no guest +$d_p1none (0 each)"
fi
phase "multiqueue done"

# (5) back to a.
vm_wait_line a MVM-AGENT "$BOOT_WAIT"
wait "${bg_pid[a-up]}"
unset "bg_pid[a-up]"
t_up=$(cat "$tmp/a.up" 2>/dev/null)
n=0
while [ -z "$(first_reply a "$t_kill")" ] && [ "$n" -lt $((VM_RESUME * 10 + 30)) ]; do
	sleep 0.1
	n=$((n + 1))
done
pinger_stop a
t_first=$(first_reply a "$t_kill")
mapfile -t r1 < <(tel_get a connections destroys new_devices state)
phase "VM a up again"
resume=""
[ -n "$t_first" ] && [ -n "$t_up" ] && resume=$(awk -v f="$t_first" -v u="$t_up" 'BEGIN {printf "%.2f", f - u}')
boot_s=$(awk -v u="${t_up:-0}" -v k="$t_kill" 'BEGIN {printf "%.1f", u - k}')
if [ -n "$resume" ] && awk -v r="$resume" -v m="$VM_RESUME" 'BEGIN {exit !(r <= m)}' &&
	[ "$(delta "${r0[0]:-}" "${r1[0]:-}")" = 1 ] && [ "$(delta "${r0[1]:-}" "${r1[1]:-}")" = 1 ] &&
	[ "$(delta "${r0[2]:-}" "${r1[2]:-}")" = 1 ] && [ "${r1[3]:-}" = running ]; then
	pass vm-restart-resume
	note "a: booted again in ${boot_s}s, W's pings answered ${resume}s after its eth0 was up"
else
	fail vm-restart-resume "W's first answer after the kill: ${t_first:-none}, the guest up at ${t_up:-never} (${resume:-?}s, at most ${VM_RESUME}s; booted in ${boot_s}s); connections +$(delta "${r0[0]:-}" "${r1[0]:-}"), destroys +$(delta "${r0[1]:-}" "${r1[1]:-}"), new devices +$(delta "${r0[2]:-}" "${r1[2]:-}") (1 each), state ${r1[3]:-?}"
fi

# --- (5) the backend restarts; the QEMUs wait for it -----------------------------------------

for v in a b p; do pinger_start "$v" "${IP[$v]}"; done
sleep 0.5
vb_stop TERM
report=$(vb_leak_report)
leak_ok=$?
if [ "$vb_rc" = 0 ] && [ "$leak_ok" = 0 ]; then
	pass backend-exit-clean
else
	fail backend-exit-clean "exit status $vb_rc (0), report: $report"
fi
t_stop=$EPOCHREALTIME
if ! backend_start "$tmp/backend2.log"; then
	for v in a b p; do pinger_stop "$v"; done
	fail_each "$why" backend-restart-resume backend-quit-clean
	finish
fi
why=""
for v in a b p; do
	vb_wait_state "$v" running "$RUN_WAIT" || why+=" $v is $(tel_get "$v" state);"
done
n=0
while [ "$n" -lt $((BACKEND_RESUME * 10)) ]; do
	[ -n "$(first_reply a "$t_stop")" ] && [ -n "$(first_reply b "$t_stop")" ] &&
		[ -n "$(first_reply p "$t_stop")" ] && break
	sleep 0.1
	n=$((n + 1))
done
times=""
for v in a b p; do
	pinger_stop "$v"
	f=$(first_reply "$v" "$t_stop")
	if [ -z "$f" ]; then
		why+=" W's pings to $v not answered;"
		continue
	fi
	s=$(awk -v f="$f" -v r="$t_ready" 'BEGIN {printf "%.2f", f - r}')
	times+=" $v ${s}s"
	awk -v s="$s" -v m="$BACKEND_RESUME" 'BEGIN {exit !(s <= m)}' ||
		why+=" $v answered W ${s}s after the backend was ready (at most ${BACKEND_RESUME}s);"
done
ag a "$(guest_ping "$PINGS" "${IP[b]}")"
[ "$(received "$ag_out")" = "$PINGS" ] ||
	why+=" a to b after the restart: $(received "$ag_out")/$PINGS answered;"
mapfile -t m2 < <(tel_get b vrings_enabled q1.active)
[ "${m2[0]:-}" = 15 ] && [ "${m2[1]:-}" = 1 ] ||
	why+=" b: vrings_enabled ${m2[0]:-?} (15), q1 active ${m2[1]:-?} (1);"
if [ -z "$why" ]; then
	pass backend-restart-resume
	note "W's pings answered again, after the backend's ready line (seen within 0.1 s):$times"
else
	fail backend-restart-resume "$why"
fi
phase "backend restart done"

vb_stop TERM
report=$(vb_leak_report)
leak_ok=$?
if [ "$vb_rc" = 0 ] && [ "$leak_ok" = 0 ]; then
	pass backend-quit-clean
else
	fail backend-quit-clean "exit status $vb_rc (0), report: $report"
fi
note "suite time $(elapsed)s"
if [ "$failed" = 1 ]; then
	for f in "$tmp"/backend*.log; do
		grep -E 'mvh:|ERR|rror' "$f" | tail -n 15 | sed "s|^|# $(basename "$f"): |" >&2
	done
fi
finish
