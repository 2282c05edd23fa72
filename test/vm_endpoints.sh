#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Real QEMU VMs on the driver's chardev= endpoints, served by the driver's
# own thread in a stock dpdk-testpmd that does no forwarding of its own.
#
# Topology (all in network namespaces of this run; nothing in the root one):
#   K  a kernel TAP mvm-kN (10.213.8.1/24) with a VM on it (-netdev tap,fd=):
#      the harness's own check, with no driver involved
#   W  the wire: veth end mvm-wN, 10.213.7.1/24 (its transmit checksum
#      offload off: the af_packet lower would pass partial checksums on to
#      the VMs), tcpdump on it, and a TCP server for each VM's TCP job
#   D  the other veth end mvm-lN, the lower (net_af_packet0) of three
#      bridge-mode net_macvtap ports of testpmd, which runs in D:
#        net_macvtap0 mac ..:10 chardev=stream:<tmp>/vm.sock  VMs A, then R
#                     (10.213.7.10), -netdev stream
#        net_macvtap1 mac ..:11 chardev=tap:mvm-tN            VMs T, then V
#                     (10.213.7.11) hold the TAP's file (-netdev tap,fd=):
#                     T a plain one, V one with IFF_VNET_HDR (as libvirt
#                     and QEMU's own tap code open it)
#        net_macvtap2 mac ..:12 chardev=host:mvm-hN           the TAP, made
#                     in D, is moved into H: H's stack is the host, 10.213.7.12
#        net_macvtap3 mac ..:13 chardev=dgram:<tmp>/dg.sock   VM G
#                     (10.213.7.13), -netdev dgram
# R and T run at the same time, and so do V and G.
#
# Checks (PASS:/FAIL:, SKIP: only without root, network namespaces or
# /dev/net/tun; missing QEMU, busybox, kmod, tcpdump, ethtool or the guest
# kernel (devtools/setup.sh --tests provides them) is skip_missing):
#   kernel-tap-vm           the guest pings K over a kernel TAP (the harness works)
#   endpoints-made          testpmd has the 4 ports; the sockets and both TAPs exist
#   stream-socket-mode      the socket has chardev_mode and chardev_group's mode
#   stream-vm-pings-wire    VM A (stream) pings W                        (a)
#   wire-pings-stream-vm    W pings VM A                                 (a)
#   stream-vm-tcp-to-wire   VM A sends 256 KiB over TCP to W
#   host-pings-stream-vm    H's stack (the host port) pings VM A         (c)
#   host-vm-off-the-wire    no frame between the host port and VM A shows on
#                           the wire, where the host's frames to W do    (c)
#   stream-reconnect-vm     VM R, a new QEMU on the same socket once A is
#                           gone, pings W                                (d)
#   tap-vm-pings-wire       VM T (tap, fd=) pings W                      (b)
#   wire-pings-tap-vm       W pings VM T                                 (b)
#   tap-vm-tcp-to-wire      VM T sends 256 KiB over TCP to W
#   tap-vnet-vm-pings-wire  VM V (tap, fd= with IFF_VNET_HDR) pings W    (b)
#   wire-pings-tap-vnet-vm  W pings VM V                                 (b)
#   dgram-vm-pings-wire     VM G (dgram) pings W
#   wire-pings-dgram-vm     W pings VM G
#   dgram-vm-tcp-to-wire    VM G sends 256 KiB over TCP to W
#   tap-vnet-vm-tcp-to-wire VM V sends 256 KiB over TCP to W: the guest's
#                           partial checksums (its TAP file has IFF_VNET_HDR)
#                           are finished before the wire
#   testpmd-alive           testpmd still runs after all that
#   testpmd-quit            it quits cleanly
#   endpoints-removed       the sockets and both TAPs went with it
#
# Environment: MACVTAP_BUILD_DIR, MACVTAP_PLUGIN, TESTPMD (test/lib/common.sh);
# VM_LIMIT, VM_MEM, VM_QEMU (test/lib/vm.sh); MACVTAP_VM_CACHE (where the
# guest kernel is, test/vm/build-guest.sh);
# KEEP_TMP=1 keeps the directory with the consoles and logs; VERBOSE=1
# prints testpmd's log and timings.

# shellcheck disable=SC2317  # functions run from traps
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$here/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/vm.sh
. "$here/lib/vm.sh"
test_env

CHECKS=(kernel-tap-vm endpoints-made stream-socket-mode stream-vm-pings-wire
	wire-pings-stream-vm stream-vm-tcp-to-wire host-pings-stream-vm host-vm-off-the-wire
	stream-reconnect-vm tap-vm-pings-wire wire-pings-tap-vm tap-vm-tcp-to-wire
	tap-vnet-vm-pings-wire wire-pings-tap-vnet-vm tap-vnet-vm-tcp-to-wire dgram-vm-pings-wire
	wire-pings-dgram-vm dgram-vm-tcp-to-wire testpmd-alive testpmd-quit endpoints-removed)

NET=10.213.7
KNET=10.213.8
MAC_STREAM=52:54:00:7d:00:10
MAC_TAP=52:54:00:7d:00:11
MAC_HOST=52:54:00:7d:00:12
MAC_DGRAM=52:54:00:7d:00:13
MAC_KVM=52:54:00:7d:08:10
SOCK_MODE=660
PINGS=3
TCP_BYTES=262144
# Seconds: testpmd's first prompt, a VM's job up to its pings' result, its
# power-off after that, the whole testpmd run.
PROMPT_WAIT=40
VM_UP_WAIT=60
VM_EXIT_WAIT=30
RUN_TIMEOUT=240
CMD_WAIT=10
export VM_LIMIT=${VM_LIMIT:-90}

ns_k="" ns_w="" ns_d="" ns_h="" dump_pid=""
declare -A sink_pid=()
cleanup() {
	local ns s
	vm_stop_all
	[ -n "$dump_pid" ] && stop_owned "$dump_pid" "$tmp" 20
	for s in "${sink_pid[@]}"; do
		stop_owned "$s" "$tmp" 20
	done
	tp_stop
	exec 3>&-
	# A namespace goes with its veths and TAPs (the driver's too).
	for ns in "$ns_k" "$ns_w" "$ns_d" "$ns_h"; do
		[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	eal_runtime_clean "${prefix:-}"
	tmp_remove "${tmp:-}"
}
test_start cleanup
# testpmd may die before reading all of its commands: a write must not kill us.
trap '' PIPE

# skip_all REASON / missing_all REASON: every check, for a cause outside the set-up.
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
phase() {
	[ "${VERBOSE:-0}" = 1 ] || return 0
	note "$1 at $(awk -v t="$EPOCHREALTIME" -v s="$start_rt" 'BEGIN {printf "%.1f", t - s}')s"
}
start_rt=$EPOCHREALTIME

# --- prerequisites -----------------------------------------------------------

[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces, TAP interfaces)"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
for c in ip timeout python3; do
	command -v "$c" >/dev/null || missing_all "$c not found"
done
command -v tcpdump >/dev/null || missing_all "tcpdump not found (apt-get install tcpdump)"
command -v ethtool >/dev/null || missing_all "ethtool not found (apt-get install ethtool)"
require plugin-present "no plugin at $plugin (build with: ninja -C $build)" test -f "$plugin"
require testpmd-present "no executable $testpmd (apt-get install dpdk)" test -x "$testpmd"
make_test_tmp vm_endpoints mvm
vm_dir=$tmp
rc=0
vm_prepare || rc=$?
if [ "$rc" = 2 ]; then
	missing_all "$vm_why"
elif [ "$rc" != 0 ]; then
	fail "vm-guest" "cannot build the guest: $vm_why"
	finish
fi
phase "guest ready"

id=$$
if ! err=$(ip netns add "mvm-k-$id" 2>&1); then
	skip_all "cannot create a network namespace: $err"
fi
ns_k=mvm-k-$id
ip netns add "mvm-w-$id" && ns_w=mvm-w-$id
ip netns add "mvm-d-$id" && ns_d=mvm-d-$id
ip netns add "mvm-h-$id" && ns_h=mvm-h-$id
if [ -z "$ns_w" ] || [ -z "$ns_d" ] || [ -z "$ns_h" ]; then
	fail "namespaces" "cannot create mvm-w-$id, mvm-d-$id or mvm-h-$id"
	finish
fi
if_k=mvm-k$id if_w=mvm-w$id if_l=mvm-l$id if_t=mvm-t$id if_h=mvm-h$id
sock=$tmp/vm.sock
dsock=$tmp/dg.sock
nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}
# No IPv6 (no stray neighbour discovery or MLD frames), before the links exist.
# In D no ARP answer on the lower's veth for the host port's address.
for ns in "$ns_k" "$ns_w" "$ns_d" "$ns_h"; do
	nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	ip -n "$ns" link set lo up
done
nsx "$ns_d" sysctl -qw net.ipv4.conf.all.arp_ignore=1 >/dev/null

# ping_from NS ADDR: $PINGS echo requests from NS; prints "got/sent" and
# returns 0 when each was answered.
ping_from() {
	local got
	got=$(nsx "$1" ping -n -c "$PINGS" -i 0.2 -W 2 "$2" 2>&1 |
		sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p')
	echo "${got:-0}/$PINGS"
	[ "${got:-0}" = "$PINGS" ]
}
# nic MAC NETDEV: the VM's network arguments into nic_args.
nic() {
	nic_args=(-netdev "$2" -device "virtio-net-pci,netdev=n0,mac=$1,romfile=")
}
# sink_start NAME PORT: W's TCP server for VM NAME's TCP job (test/vm/tcpsink.py,
# its report in $tmp/NAME.sink), listening when this returns.
sink_start() {
	local n=0
	ip netns exec "$ns_w" timeout -k 2 90 python3 "$here/vm/tcpsink.py" "$NET.1" "$2" \
		"$TCP_BYTES" 80 "$tmp/$1.sink" &
	sink_pid[$1]=$!
	while ! grep -q listening "$tmp/$1.sink" 2>/dev/null && pid_alive "${sink_pid[$1]}" &&
		[ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
}
# sink_end NAME: the server's last line, once it has one (5 s at most); it ends.
sink_end() {
	local n=0
	while [ "$(grep -c . "$tmp/$1.sink" 2>/dev/null)" -lt 2 ] && [ "$n" -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	stop_owned "${sink_pid[$1]}" "$tmp" 20
	wait "${sink_pid[$1]}" 2>/dev/null
	unset "sink_pid[$1]"
	tail -n 1 "$tmp/$1.sink" 2>/dev/null
}
# job NAME: VM NAME's verdict, for a reason: "" when it passed.
job() {
	local v
	v=$(vm_verdict "$1")
	echo "${v:+; $v}"
}
# check_vm_ping CHECK NAME: VM NAME's own pings (its MVM-PING line) all answered.
check_vm_ping() {
	local got
	got=$(vm_line "$2" MVM-PING)
	if [ -n "$got" ] && [ "${got%%/*}" = "$PINGS" ]; then
		pass "$1"
	else
		fail "$1" "the VM's pings: ${got:-none} answered$(job "$2")"
	fi
}
# check_peer_ping CHECK NAME RESULT WHO: WHO's pings to VM NAME (RESULT, from
# ping_from) all answered.
check_peer_ping() {
	if [ "${3%/*}" = "$PINGS" ]; then
		pass "$1"
	else
		fail "$1" "$4's pings to the VM: ${3:-none sent (the VM did not get that far)} answered; guest: $(vm_line "$2" MVM-ANSWERED)$(job "$2")"
	fi
}
# check_tcp CHECK NAME SINK_LINE: VM NAME's TCP job: the server had all the
# bytes and the guest its answer.
check_tcp() {
	local g
	g=$(vm_line "$2" MVM-TCP)
	if [ "$3" = "got $TCP_BYTES" ] && [ "${g%% "$NET".*}" = "got $TCP_BYTES" ]; then
		pass "$1"
	else
		fail "$1" "W's server: ${3:-nothing}; guest: ${g:-no TCP result}$(job "$2")"
	fi
}

# --- testpmd with the three endpoints, in D ------------------------------------

if ! err=$( { ip -n "$ns_d" link add "$if_l" type veth peer name "$if_w" netns "$ns_w" &&
	ip -n "$ns_d" link set "$if_l" up &&
	ip -n "$ns_w" addr add "$NET.1/24" dev "$if_w" &&
	ip -n "$ns_w" link set "$if_w" up &&
	nsx "$ns_w" ethtool -K "$if_w" tx off >/dev/null; } 2>&1); then
	fail "wire" "cannot set up the veth $if_l/$if_w: $err"
	finish
fi
group=$(getent group nogroup | cut -d: -f3)
group=${group:-65534}
tp_cmdline=("$testpmd" -d "$plugin" --no-huge -m 512 --no-pci -l 0-1 --file-prefix="$prefix"
	--log-level=pmd.net.macvtap:info
	--vdev "net_af_packet0,iface=$if_l"
	--vdev "net_macvtap0,iface=net_af_packet0,mac=$MAC_STREAM,mode=bridge,chardev=stream:$sock,chardev_mode=0$SOCK_MODE,chardev_group=$group"
	--vdev "net_macvtap1,iface=net_af_packet0,mac=$MAC_TAP,mode=bridge,chardev=tap:$if_t"
	--vdev "net_macvtap2,iface=net_af_packet0,mac=$MAC_HOST,mode=bridge,chardev=host:$if_h"
	--vdev "net_macvtap3,iface=net_af_packet0,mac=$MAC_DGRAM,mode=bridge,chardev=dgram:$dsock"
	-- -i --total-num-mbufs=8192)
printf '%q ' "${tp_cmdline[@]}" >"$tmp/testpmd.cmdline"
tp_spawn --netns "$ns_d" "$tmp/cmd" "$tmp/testpmd.log" 5 "$RUN_TIMEOUT" "${tp_cmdline[@]}"
mkdir -p "$tmp/tp"

# --- kernel-tap-vm: the guest on a kernel TAP, while testpmd starts ----------------

ip -n "$ns_k" tuntap add dev "$if_k" mode tap &&
	ip -n "$ns_k" addr add "$KNET.1/24" dev "$if_k" &&
	ip -n "$ns_k" link set "$if_k" up
nic "$MAC_KVM" tap,id=n0,fd=@TAPFD@
vm_start kvm --netns "$ns_k" --tap "$if_k" --vnet-hdr \
	"mvm_ip=$KNET.10/24 mvm_ping=$KNET.1 mvm_count=$PINGS mvm_answer=$PINGS mvm_linger=20" \
	"${nic_args[@]}"
k_ping=""
vm_wait_line kvm MVM-PING "$VM_UP_WAIT" && k_ping=$(ping_from "$ns_k" "$KNET.10")
vm_wait_exit kvm "$VM_EXIT_WAIT"
phase "kernel VM done"
why=$(vm_verdict kvm)
if [ -n "$why" ]; then
	fail kernel-tap-vm "$why"
elif [ "${k_ping%/*}" != "$PINGS" ]; then
	fail kernel-tap-vm "K pinged the VM: ${k_ping:-not done} answered"
else
	pass kernel-tap-vm
fi

tp_cmd_init "$tmp/tp" "$PROMPT_WAIT"
if [ "$alive" != 1 ]; then
	# All but kernel-tap-vm, which did not need testpmd.
	fail_each "testpmd gave no prompt; log tail: $(tp_log_tail 8)" "${CHECKS[@]:1}"
	finish
fi
phase "testpmd up"

# --- endpoints-made ----------------------------------------------------------------

tp_cmd "show port summary all"
missing=""
for n in net_macvtap0 net_macvtap1 net_macvtap2 net_macvtap3; do
	[ -n "$(port_named "$last" "$n")" ] || missing+=" $n"
done
if [ -n "$missing" ]; then
	fail_each "testpmd has no port$missing; log: $(grep -E 'macvtap|chardev' "$tmp/testpmd.log" |
		head -n 4 | tr '\n' '|')" "${CHECKS[@]:1}"
	finish
fi
missing=""
[ -S "$sock" ] || missing+=" socket $sock"
[ -S "$dsock" ] || missing+=" socket $dsock"
nsx "$ns_d" test -e "/sys/class/net/$if_t/tun_flags" || missing+=" TAP $if_t"
nsx "$ns_d" test -e "/sys/class/net/$if_h/tun_flags" || missing+=" TAP $if_h"
if [ -z "$missing" ]; then
	pass endpoints-made
else
	fail endpoints-made "testpmd has the ports, but no$missing"
fi

# --- stream-socket-mode ----------------------------------------------------------

st=$(stat -c '%F %a %g' "$sock" 2>&1)
if [ "$st" = "socket $SOCK_MODE $group" ]; then
	pass stream-socket-mode
else
	fail stream-socket-mode "$sock: '$st', expected 'socket $SOCK_MODE $group'"
fi

# The host port's interface, moved into H (the driver holds its file, and
# keeps it across the move): H's stack is the host on the lower. Should the
# move fail, D's stack is, and the checks say so.
host_ns=$ns_h
if ! err=$(ip -n "$ns_d" link set "$if_h" netns "$ns_h" 2>&1); then
	note "cannot move the host: port's $if_h into $ns_h: $err; it stays in $ns_d"
	host_ns=$ns_d
fi
if ! err=$( { ip -n "$host_ns" addr add "$NET.12/24" dev "$if_h" &&
	ip -n "$host_ns" link set "$if_h" up; } 2>&1); then
	note "cannot give the host: port's $if_h an address: $err"
fi

# wire_count FILTER: how many frames of the wire's capture match FILTER.
wire_count() {
	tcpdump -nn -r "$tmp/wire.pcap" "$1" 2>/dev/null | wc -l
}
# The wire, from before VM A starts.
# (Not through nsx: $! must be tcpdump itself, for stop_owned.)
ip netns exec "$ns_w" tcpdump -i "$if_w" -nn -U --immediate-mode -Z root -w "$tmp/wire.pcap" 2>"$tmp/tcpdump.err" &
dump_pid=$!
n=0
while ! grep -q 'listening on' "$tmp/tcpdump.err" && pid_alive "$dump_pid" && [ "$n" -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done

# --- VM A on the stream socket: (a), (c) and TCP -----------------------------------

# It pings W, sends W its TCP bytes and answers W's and the host's pings; then
# the host pings W, over the wire: the capture's control.
sink_start a 5001
nic "$MAC_STREAM" "stream,id=n0,server=off,addr.type=unix,addr.path=$sock"
vm_start a "mvm_ip=$NET.10/24 mvm_ping=$NET.1 mvm_count=$PINGS mvm_tcp=$NET.1:5001:$TCP_BYTES \
mvm_answer=$((2 * PINGS)) mvm_linger=20" "${nic_args[@]}"
w_ping="" h_ping="" hw_ping=""
if vm_wait_line a MVM-TCP "$VM_UP_WAIT"; then
	w_ping=$(ping_from "$ns_w" "$NET.10")
	h_ping=$(ping_from "$host_ns" "$NET.10")
	hw_ping=$(ping_from "$host_ns" "$NET.1")
fi
vm_wait_exit a "$VM_EXIT_WAIT"
a_sink=$(sink_end a)
phase "VM A done"
# Until the host's frames to W are in the file (3 s at most), then stop it.
n=0
while [ "$(wire_count "icmp and ether host $MAC_HOST")" -lt $((2 * PINGS)) ] && [ "$n" -lt 30 ]; do
	sleep 0.1
	n=$((n + 1))
done
stop_owned "$dump_pid" "$tmp" 20
wait "$dump_pid" 2>/dev/null
dump_pid=""

check_vm_ping stream-vm-pings-wire a
check_peer_ping wire-pings-stream-vm a "$w_ping" W
check_tcp stream-vm-tcp-to-wire a "$a_sink"
check_peer_ping host-pings-stream-vm a "$h_ping" "the host port (in $host_ns)"
# Unicast frames between the host port and the VM, either way, on the wire;
# and the host port's ICMP with W, which must be there (the capture works).
hv=$(wire_count "ether host $MAC_HOST and ether host $MAC_STREAM")
hw=$(wire_count "icmp and ether host $MAC_HOST")
if [ "${h_ping%/*}" != "$PINGS" ]; then
	fail host-vm-off-the-wire "no exchange to look for: the host's pings to the VM failed"
elif [ "$hv" != 0 ]; then
	fail host-vm-off-the-wire "$hv frames between the host port and the VM on the wire: $(tcpdump -nn -e -r "$tmp/wire.pcap" "ether host $MAC_HOST and ether host $MAC_STREAM" 2>/dev/null | head -n 3 | tr '\n' '|')"
elif [ "${hw_ping%/*}" != "$PINGS" ] || [ "$hw" -lt $((2 * PINGS)) ]; then
	fail host-vm-off-the-wire "the capture is not to be trusted: the host's pings to W ${hw_ping:-not done} answered, $hw ICMP frames of the host port on the wire (expected $((2 * PINGS)))"
else
	pass host-vm-off-the-wire
fi

# --- VM R, a second QEMU on the same socket (d), with VM T on the tap: port (b) ------

sink_start t 5002
nic "$MAC_STREAM" "stream,id=n0,server=off,addr.type=unix,addr.path=$sock"
vm_start r "mvm_ip=$NET.10/24 mvm_ping=$NET.1 mvm_count=$PINGS" "${nic_args[@]}"
nic "$MAC_TAP" tap,id=n0,fd=@TAPFD@
vm_start t --netns "$ns_d" --tap "$if_t" \
	"mvm_ip=$NET.11/24 mvm_ping=$NET.1 mvm_count=$PINGS mvm_tcp=$NET.1:5002:$TCP_BYTES \
mvm_answer=$PINGS mvm_linger=20" "${nic_args[@]}"
t_ping=""
vm_wait_line t MVM-TCP "$VM_UP_WAIT" && t_ping=$(ping_from "$ns_w" "$NET.11")
vm_wait_exit t "$VM_EXIT_WAIT"
t_sink=$(sink_end t)
vm_wait_exit r "$VM_EXIT_WAIT"
phase "VMs R and T done"
why=$(vm_verdict r)
if [ -z "$why" ]; then
	pass stream-reconnect-vm
else
	tp_cmd "show port xstats all" &&
		why+="; xstats: $(grep -E '^chardev_peer_(connects|refused): [1-9]' "$last" | tr '\n' ' ')"
	fail stream-reconnect-vm "$why"
fi
check_vm_ping tap-vm-pings-wire t
check_peer_ping wire-pings-tap-vm t "$t_ping" W
check_tcp tap-vm-tcp-to-wire t "$t_sink"

# --- VM V on the tap: port, its file with IFF_VNET_HDR (b), with VM G on dgram: -------

sink_start g 5004
nic "$MAC_DGRAM" "dgram,id=n0,local.type=unix,local.path=$tmp/g.dgram,remote.type=unix,remote.path=$dsock"
vm_start g "mvm_ip=$NET.13/24 mvm_ping=$NET.1 mvm_count=$PINGS mvm_tcp=$NET.1:5004:$TCP_BYTES \
mvm_answer=$PINGS mvm_linger=20" "${nic_args[@]}"

sink_start v 5003
v_tcp="mvm_tcp=$NET.1:5003:$TCP_BYTES" v_wait=MVM-TCP
nic "$MAC_TAP" tap,id=n0,fd=@TAPFD@
vm_start v --netns "$ns_d" --tap "$if_t" --vnet-hdr \
	"mvm_ip=$NET.11/24 mvm_ping=$NET.1 mvm_count=$PINGS $v_tcp mvm_answer=$PINGS \
mvm_linger=20" "${nic_args[@]}"
g_ping="" v_ping=""
vm_wait_line g MVM-TCP "$VM_UP_WAIT" && g_ping=$(ping_from "$ns_w" "$NET.13")
vm_wait_line v "$v_wait" "$VM_UP_WAIT" && v_ping=$(ping_from "$ns_w" "$NET.11")
vm_wait_exit g "$VM_EXIT_WAIT"
g_sink=$(sink_end g)
vm_wait_exit v "$VM_EXIT_WAIT"
phase "VMs V and G done"
check_vm_ping tap-vnet-vm-pings-wire v
check_peer_ping wire-pings-tap-vnet-vm v "$v_ping" W
if [ -n "$v_tcp" ]; then
	check_tcp tap-vnet-vm-tcp-to-wire v "$(sink_end v)"
fi
check_vm_ping dgram-vm-pings-wire g
check_peer_ping wire-pings-dgram-vm g "$g_ping" W
check_tcp dgram-vm-tcp-to-wire g "$g_sink"

# --- testpmd after all that ---------------------------------------------------------------

if tp_cmd "show port xstats all"; then
	pass testpmd-alive
	grep -E '^(chardev_[a-z_]+|NIC extended statistics for port [0-9]+.*)' "$last" |
		grep -v ': 0$' | sed 's/^/# /' >&2
else
	fail testpmd-alive "$(tp_dead_reason testpmd)"
fi
tp_send quit
n=0
while pid_alive "$tp_pid" && [ "$n" -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
tp_wait_exit
why=$(tp_exit_reason "$tp_rc" "$RUN_TIMEOUT")
if [ -z "$why" ]; then
	pass testpmd-quit
else
	fail testpmd-quit "$why"
fi
left=""
[ -e "$sock" ] && left+=" $sock"
[ -e "$dsock" ] && left+=" $dsock"
ip -n "$ns_d" link show "$if_t" >/dev/null 2>&1 && left+=" $if_t"
ip -n "$host_ns" link show "$if_h" >/dev/null 2>&1 && left+=" $if_h"
if [ -z "$left" ]; then
	pass endpoints-removed
else
	fail endpoints-removed "still there after testpmd quit:$left"
fi
phase "done"
if [ "$failed" = 1 ] || [ "${VERBOSE:-0}" = 1 ]; then
	note "testpmd: $(cat "$tmp/testpmd.cmdline")"
	grep -E 'macvtap|chardev|EAL: Error|Fail|fail|[Ee]rror[^s]|Cannot|[Ii]nvalid' "$tmp/testpmd.log" |
		grep -vE '^ *(RX|TX)-|_errors: |^chardev_' | head -n 30 | sed 's/^/# log: /' >&2
fi
finish
