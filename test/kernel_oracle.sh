#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Differential test: the Linux kernel's macvtap is the oracle for net_macvtap.
# The same frames go through both, and for every frame the set of endpoints
# (by role) that received it, and whether it left on the wire, must be the same.
#
# Kernel side, namespace $nsk:
#   veth vk0/vk1; macvtap endpoints mvtN on vk0 with fixed MACs, IPv6 off.
#   test/oracle/oracle.py opens each endpoint's tap char device (plain frames,
#   IFF_VNET_HDR cleared), sends each frame either from vk1 with AF_PACKET (a
#   frame from the wire) or by writing it into its sender's tap (a frame an
#   endpoint transmits), reads the taps non-blocking and watches what arrives
#   at vk1 (the pseudo-endpoint 'wire').
# net_macvtap side, namespace $nsd:
#   veth vd0/vd1; stock dpdk-testpmd with the plugin and
#     net_af_packet0,iface=vd0                       the lower (owned by the driver)
#     net_macvtapN,iface=net_af_packet0,mac=,mode=   endpoint N
#     net_pcap_oN,tx_pcap=outN.pcap[,rx_pcap=inN.pcap]
#                                                    sink (and source) N
#   --port-topology=paired --forward-mode=io pairs endpoint N with its net_pcap
#   port, so outN.pcap holds what endpoint N received, and the frames of inN.pcap
#   (those endpoint N sends, in the kernel's order) are transmitted by endpoint
#   N as soon as forwarding starts. oracle.py 'wire' watches vd1 throughout and
#   sends the frames from the wire on vd1.
# Reflection: in a scenario whose plan says 'reflect 1' the far end (vk1, vd1)
#   is the only port of a Linux bridge in its namespace with hairpin mode on,
#   STP and multicast snooping off, on both sides: everything an endpoint sends
#   to the wire comes back to the lower (a VEPA reflective relay).
#
# Promiscuity, kept equal on both sides: an endpoint is promiscuous when the
# plan says so (kernel 'ip link set mvtN promisc on'; testpmd 'set promisc
# <port> on'), otherwise not (kernel default; testpmd 'set promisc all off'
# first).
# Allmulticast is off everywhere (checked in testpmd's 'show port info').
# Groups that an endpoint joins are joined on both sides (kernel 'ip maddr
# add', testpmd 'mcast_addr add'). A passthru endpoint keeps the kernel's MAC
# (the lower's); net_macvtap gets mac=<the lower's MAC>. An endpoint that the
# plan has DOWN is never set up in the kernel and gets 'set link-down port' in
# testpmd. Flags F (nodst, nopromisc): kernel 'flag F', net_macvtap F=1.
#
# Scenarios and frames: test/oracle/scenarios.py. Each scenario has its own
# time budget (the plan's 'budget' line, see SETUP_BUDGET below).
#
# Output: one 'PASS: name', 'FAIL: name: reason' or 'SKIP: name: reason' per
# check; exit 0 when nothing failed. Without root, network namespaces or
# kernel macvtap support it prints a SKIP line and exits 0.
#
# Environment:
#   MACVTAP_BUILD_DIR  build tree (default: <repo>/build)
#   MACVTAP_PLUGIN     plugin .so (default: $MACVTAP_BUILD_DIR/drivers/net/macvtap/librte_net_macvtap.so)
#   TESTPMD            testpmd binary (default: /usr/bin/dpdk-testpmd)
#   ORACLE_SCENARIOS   scenarios to run (default: "mixed source promisc tx
#                      hairpin passthru nodst passthru-nopromisc"; also:
#                      passthru-promisc)
#   KEEP_TMP=1         keep the temporary directory (its path is printed)
#   VERBOSE=1          print the testpmd logs

# shellcheck disable=SC2317  # functions run from traps
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$here/lib/common.sh"
test_env
oracle=$here/oracle/oracle.py
# The helpers use only the standard library: -S skips site's start-up work
# (site-packages and their .pth files), which costs tenths of a second a start.
py=(python3 -S)
default_scens="mixed source promisc tx hairpin passthru nodst passthru-nopromisc"
read -r -a scen_list <<<"${ORACLE_SCENARIOS:-$default_scens}"

# Seconds. SETUP_BUDGET covers the setup before the first scenario; each
# scenario has its own budget (from its plan), plus what the setup and the
# earlier scenarios left unused: every wait and timeout in it is cut to what is
# left of that (see within()), which leaves room for the timeouts' kill grace
# and the cleanup. So the run takes about SETUP_BUDGET plus the sum of the
# scenarios' budgets at most (90 s for the default list).
SETUP_BUDGET=6
SCEN_MIN=6         # what the net_macvtap side needs at least to be started
PROMPT_WAIT=10     # EAL init up to the first prompt
CMD_WAIT=5         # one testpmd command
FORWARD_WAIT=1     # after the frames from the wire were sent
KERNEL_TIMEOUT=10  # the kernel-side capture helper
READY_WAIT=5       # the net_macvtap side's wire helper, until it watches
TESTPMD_TIMEOUT=20 # one testpmd run
deadline=$SETUP_BUDGET

# within N: N, or the seconds left until the current deadline if fewer (at least 1).
within() {
	local n=$1 left=$((deadline - SECONDS))
	[ "$left" -lt 1 ] && left=1
	[ "$n" -gt "$left" ] && n=$left
	echo "$n"
}

nsk=""
nsd=""
wire_pid=""
prefixes=()
# wire_stop: end the net_macvtap side's wire helper (its timeout wrapper,
# which passes the TERM on) if it still runs, and reap it.
wire_stop() {
	[ -n "$wire_pid" ] || return 0
	pid_alive "$wire_pid" && kill -TERM "$wire_pid" 2>/dev/null
	wait "$wire_pid" 2>/dev/null
	wire_pid=""
}
cleanup() {
	tp_stop
	wire_stop
	exec 3>&-
	# Deleting a namespace destroys its veths and the macvtaps on them.
	[ -n "$nsk" ] && ip netns del "$nsk" 2>/dev/null
	[ -n "$nsd" ] && ip netns del "$nsd" 2>/dev/null
	# EAL's runtime directories for our file prefixes only.
	eal_runtime_clean "${prefixes[@]}"
	tmp_remove "$tmp"
}
test_start cleanup
# testpmd may die before reading all of its commands: a write must not kill us.
trap '' PIPE

# --- prerequisites -----------------------------------------------------------

if [ "$(id -u)" != 0 ]; then
	skip "kernel-oracle" "needs root (network namespaces, macvtap, AF_PACKET)"
	finish
fi
for c in ip python3 timeout; do
	if ! command -v "$c" >/dev/null; then
		skip_missing "kernel-oracle" "$c not found"
		finish
	fi
done
if [ ! -f "$plugin" ]; then
	fail "plugin-present" "no plugin at $plugin (build with: bash devtools/setup.sh)"
	finish
fi
if [ ! -x "$testpmd" ]; then
	fail "testpmd-present" "no executable $testpmd (apt-get install dpdk)"
	finish
fi

make_test_tmp kernel_oracle
tag=$(basename "$tmp" | sed 's/^kernel_oracle\.//' | tr -c 'A-Za-z0-9\n' _)
nsk_name="mvto_k_${tag}_$$"
nsd_name="mvto_d_${tag}_$$"

if ! err=$(ip netns add "$nsk_name" 2>&1); then
	skip "kernel-oracle" "cannot create a network namespace: $err"
	finish
fi
nsk=$nsk_name
if ! err=$(ip netns add "$nsd_name" 2>&1); then
	skip "kernel-oracle" "cannot create a network namespace: $err"
	finish
fi
nsd=$nsd_name

nsexec() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# phase SCEN WHAT: with VERBOSE=1, when (seconds since the start) a phase ended.
phase() {
	[ "${VERBOSE:-0}" = 1 ] || return 0
	note "$1: $2 at $(awk -v t="$EPOCHREALTIME" -v s="$start_rt" 'BEGIN {printf "%.1f", t - s}')s"
}
start_rt=$EPOCHREALTIME

# No IPv6 on anything in our namespaces (no stray NDP/MLD frames).
for ns in "$nsk" "$nsd"; do
	nsexec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
	ip -n "$ns" link set lo up 2>/dev/null
done

# Does this kernel do macvtap?
if ! err=$(ip -n "$nsk" link add vkp0 type veth peer name vkp1 2>&1); then
	skip "kernel-oracle" "cannot create a veth pair: $err"
	finish
fi
if ! err=$(ip -n "$nsk" link add link vkp0 name mvtprobe type macvtap mode bridge 2>&1); then
	skip "kernel-oracle" "the kernel has no macvtap ('ip link add ... type macvtap': $err)"
	finish
fi
if ! nsexec "$nsk" test -e /sys/class/net/mvtprobe/macvtap; then
	skip "kernel-oracle" "macvtap link has no tap character device in sysfs"
	finish
fi
ip -n "$nsk" link del vkp0

# Every scenario's plan (in $tmp/SCEN/plan), and the lower's MAC, the same on
# vk0 and vd0.
lower_mac=$("${py[@]}" "$oracle" plans --dir "$tmp" "${scen_list[@]}" 2>"$tmp/plans.err")
if [ -z "$lower_mac" ]; then
	fail "oracle-helper" "$oracle plans does not work: $(tail -n 2 "$tmp/plans.err" | tr '\n' ' ')"
	finish
fi

# The net_macvtap side's wire, shared by all scenarios.
if ! err=$( { ip -n "$nsd" link add vd0 type veth peer name vd1 &&
	ip -n "$nsd" link set vd0 address "$lower_mac" &&
	ip -n "$nsd" link set vd0 up && ip -n "$nsd" link set vd1 up; } 2>&1); then
	fail "dpdk-wire" "cannot set up vd0/vd1: $err"
	finish
fi
pass "setup"

# --- one scenario: the kernel side --------------------------------------------

# reflector_add NS IF: make IF the only port of a new bridge 'mvrefl' in NS with
# hairpin mode on (no STP, no forwarding delay, no multicast snooping), so that
# every frame arriving on IF goes back out of IF. Errors on stderr.
reflector_add() {
	local ns=$1 ifn=$2
	# (IPv6 is off on it: the namespace's default says so.)
	ip -n "$ns" link add mvrefl type bridge stp_state 0 forward_delay 0 mcast_snooping 0 &&
		ip -n "$ns" link set "$ifn" master mvrefl &&
		ip -n "$ns" link set "$ifn" type bridge_slave hairpin on &&
		ip -n "$ns" link set mvrefl up
}
# reflector_wait NS IF: wait (up to 2 s) until the bridge port IF forwards.
reflector_wait() {
	local n=0
	while [ "$n" -lt 40 ]; do
		ip -n "$1" -d link show dev "$2" 2>/dev/null | grep -q 'state forwarding' && return 0
		sleep 0.05
		n=$((n + 1))
	done
	return 1
}
# reflector_del NS IF: take IF out of the bridge and delete the bridge.
reflector_del() {
	ip -n "$1" link set "$2" nomaster 2>/dev/null
	ip -n "$1" link del mvrefl 2>/dev/null
	return 0
}

# kernel_side SCEN DIR: creates the endpoints from the plan, runs the capture
# helper, deletes the veth (and so the endpoints). Writes DIR/frames.json,
# DIR/kernel.json and DIR/in<N>.pcap.
kernel_side() {
	local scen=$1 dir=$2 kind idx role mode mac promisc sources joins flags up
	local eps=() err="" m add batch=$dir/k.batch joins_cmds=()
	# One 'ip -batch' for the veth and the endpoints ('ip' says which line failed).
	{
		echo "link add vk0 type veth peer name vk1"
		echo "link set vk0 address $lower_mac"
		while read -r kind idx role mode mac promisc sources joins flags up; do
			[ "$kind" = ep ] || continue
			local ifn="mvt$idx"
			add="link add link vk0 name $ifn type macvtap mode $mode"
			[ "$flags" != - ] && add+=" flag ${flags//,/ flag }"
			if [ "$sources" != - ]; then
				IFS=, read -r -a srcs <<<"$sources"
				echo "$add macaddr add ${srcs[0]}"
				for m in "${srcs[@]:1}"; do
					echo "link set dev $ifn type macvtap macaddr add $m"
				done
			else
				echo "$add"
			fi
			# passthru: the endpoint has the lower's MAC (setting it would set the lower's).
			[ "$mode" != passthru ] && echo "link set dev $ifn address $mac"
			[ "$promisc" = 1 ] && echo "link set dev $ifn promisc on"
			[ "$up" = 1 ] && echo "link set dev $ifn up"
			if [ "$joins" != - ]; then
				IFS=, read -r -a grps <<<"$joins"
				for m in "${grps[@]}"; do
					joins_cmds+=("$m dev $ifn")
				done
			fi
			eps+=(--ep "$role=$ifn")
		done <"$dir/plan"
		echo "link set vk0 up"
		echo "link set vk1 up"
	} >"$batch"
	# (IPv6 is off on the new links: the namespace's default says so.)
	ip -n "$nsk" -batch "$batch" 2>"$dir/k.err" || err="ip -batch $batch"
	# 'ip maddr add' exits when done, so that it cannot be part of a batch.
	for m in "${joins_cmds[@]}"; do
		[ -z "$err" ] || break
		# shellcheck disable=SC2086  # "GROUP dev IF"
		ip -n "$nsk" maddr add $m 2>>"$dir/k.err" || err="maddr add $m"
	done
	if [ -z "$err" ] && [ "$reflect" = 1 ]; then
		{ reflector_add "$nsk" vk1 && reflector_wait "$nsk" vk1; } 2>>"$dir/k.err" ||
			err="reflecting bridge on vk1"
	fi
	if [ -n "$err" ]; then
		fail "$scen/kernel-setup" "$err: $(tr '\n' ' ' <"$dir/k.err")"
		ip -n "$nsk" link del vk0 2>/dev/null
		reflector_del "$nsk" vk1
		return 1
	fi
	pass "$scen/kernel-setup"
	phase "$scen" "kernel setup"
	timeout -k 1 "$(within "$KERNEL_TIMEOUT")" ip netns exec "$nsk" "${py[@]}" "$oracle" kernel "$scen" \
		--wire vk1 "${eps[@]}" --tmp "$dir" --frames-out "$dir/frames.json" \
		--out "$dir/kernel.json" 2>"$dir/k.err"
	local rc=$?
	ip -n "$nsk" link del vk0 2>/dev/null
	[ "$reflect" = 1 ] && reflector_del "$nsk" vk1
	[ "${VERBOSE:-0}" = 1 ] && sed 's/^/# kernel helper: /' "$dir/k.err" >&2
	if [ $rc != 0 ] || [ ! -f "$dir/frames.json" ] || [ ! -f "$dir/kernel.json" ]; then
		fail "$scen/kernel-capture" "helper exit $rc: $(grep -v '^# ' "$dir/k.err" | tail -n 3 | tr '\n' ' ')"
		return 1
	fi
	pass "$scen/kernel-capture"
	phase "$scen" "kernel capture"
	return 0
}

# --- one scenario: the net_macvtap side -----------------------------------------

# Send a command and wait for the prompt after it.
cmd() { tp_send_wait "$1" "$(within "$CMD_WAIT")"; }

# dpdk_side SCEN DIR RUN_TIMEOUT: writes DIR/out<N>.pcap, DIR/testpmd.log,
# DIR/wire.json, then compares (PASS/FAIL lines of oracle.py check).
dpdk_side() {
	local scen=$1 dir=$2 run_timeout=$3 kind idx role mode mac promisc sources joins flags up
	local vdevs=(--vdev "net_af_packet0,iface=vd0") joins_of=() promisc_of=() up_of=() dev sink fl f
	while read -r kind idx role mode mac promisc sources joins flags up; do
		[ "$kind" = ep ] || continue
		dev="net_macvtap$idx,iface=net_af_packet0,mac=$mac,mode=$mode"
		[ "$sources" != - ] && dev+=",source=[$sources]"
		if [ "$flags" != - ]; then
			IFS=, read -r -a fl <<<"$flags"
			for f in "${fl[@]}"; do
				dev+=",$f=1"
			done
		fi
		sink="net_pcap_o$idx,tx_pcap=$dir/out$idx.pcap"
		[ -f "$dir/in$idx.pcap" ] && sink+=",rx_pcap=$dir/in$idx.pcap"
		vdevs+=(--vdev "$dev" --vdev "$sink")
		joins_of[idx]=$joins
		promisc_of[idx]=$promisc
		up_of[idx]=$up
	done <"$dir/plan"

	local prefix="mvto_${tag}_$$_$scen"
	prefixes+=("$prefix")
	local tpcmd=("$testpmd" -d "$plugin" --no-huge -m 256 --no-pci --file-prefix="$prefix"
		"${vdevs[@]}"
		-- -i --total-num-mbufs=8192 --no-flush-rx --port-topology=paired --forward-mode=io)
	printf '%q ' "${tpcmd[@]}" >"$dir/cmdline"
	[ "${VERBOSE:-0}" = 1 ] && note "running: $(cat "$dir/cmdline")"

	local ok=1 why="" id g err
	if [ "$reflect" = 1 ]; then
		if ! err=$( { reflector_add "$nsd" vd1 && reflector_wait "$nsd" vd1; } 2>&1); then
			reflector_del "$nsd" vd1
			fail "$scen/dpdk-run" "reflecting bridge on vd1: $err"
			return 1
		fi
	fi
	# The wire helper: watches vd1 from now on; sends the frames from the
	# wire once DIR/go exists (after 'start'), then watches FORWARD_WAIT s more.
	rm -f "$dir/ready" "$dir/go"
	timeout -k 1 "$run_timeout" ip netns exec "$nsd" "${py[@]}" "$oracle" wire \
		--frames "$dir/frames.json" --wire vd1 --out "$dir/wire.json" \
		--ready "$dir/ready" --go "$dir/go" --max "$run_timeout" \
		--linger "$FORWARD_WAIT" 2>"$dir/wire.err" &
	wire_pid=$!

	log=$dir/testpmd.log
	tp_spawn --netns "$nsd" "$dir/cmd" "$log" 2 "$run_timeout" "${tpcmd[@]}"

	# What testpmd prints when 'mcast_addr add' does not reach the port.
	local mc_errors='set_mc_addr_list\(.*failed|Invalid multicast addr|multicast addresses failed|already filtered'
	if ! tp_wait_prompts 1 "$(within "$PROMPT_WAIT")"; then
		ok=0
		why="no testpmd prompt"
	fi
	phase "$scen" "testpmd prompt"
	if [ $ok = 1 ]; then
		cmd "show port summary all" || { ok=0; why="'show port summary' got no prompt"; }
	fi
	# Each endpoint's promiscuity as in the kernel (testpmd enables it on every
	# port by default: off for all, then on again where the plan says so; the
	# net_pcap ports answer 'Operation not supported', which does not matter),
	# its link state, then its joined groups.
	if [ $ok = 1 ]; then
		cmd "set promisc all off" || { ok=0; why="'set promisc' got no prompt"; }
	fi
	for idx in "${!joins_of[@]}"; do
		[ $ok = 1 ] || break
		id=$(awk -v n="net_macvtap$idx" '$3 == n && $1 ~ /^[0-9]+$/ {print $1; exit}' "$log")
		if [ -z "$id" ]; then
			ok=0
			why="no port id for net_macvtap$idx"
			break
		fi
		if [ "${promisc_of[idx]}" = 1 ]; then
			cmd "set promisc $id on" || { ok=0; why="'set promisc' got no prompt"; }
		fi
		if [ "${up_of[idx]}" = 0 ]; then
			cmd "set link-down port $id" || { ok=0; why="'set link-down' got no prompt"; }
		fi
		[ "${joins_of[idx]}" = - ] && continue
		IFS=, read -r -a grps <<<"${joins_of[idx]}"
		for g in "${grps[@]}"; do
			cmd "mcast_addr add $id $g" || { ok=0; why="'mcast_addr add' got no prompt"; }
		done
	done
	if [ $ok = 1 ]; then
		cmd "show port info all" || { ok=0; why="'show port info' got no prompt"; }
	fi
	if [ $ok = 1 ]; then
		local n=0 limit
		limit=$(($(within "$READY_WAIT") * 20))
		while [ ! -e "$dir/ready" ] && pid_alive "$wire_pid" && [ "$n" -lt "$limit" ]; do
			sleep 0.05
			n=$((n + 1))
		done
		[ -e "$dir/ready" ] || { ok=0; why="the wire helper does not watch vd1: $(tr '\n' ' ' <"$dir/wire.err")"; }
	fi
	phase "$scen" "testpmd configured"
	if [ $ok = 1 ]; then
		cmd "start" || { ok=0; why="'start' got no prompt"; }
	fi
	: >"$dir/go"
	if [ $ok = 1 ]; then
		wait "$wire_pid"
		local wrc=$?
		wire_pid=""
		if [ $wrc != 0 ]; then
			ok=0
			why="the wire helper failed (exit $wrc): $(tr '\n' ' ' <"$dir/wire.err")"
		fi
		phase "$scen" "forwarding done"
		cmd "stop" || { ok=0; why="'stop' got no prompt"; }
		[ "${VERBOSE:-0}" = 1 ] && cmd "show port xstats all"
	fi
	tp_send quit
	tp_wait_exit
	phase "$scen" "testpmd exited"
	wire_stop
	[ "$reflect" = 1 ] && reflector_del "$nsd" vd1

	if [ $ok = 1 ]; then
		why=$(tp_exit_reason "$tp_rc" "$run_timeout" 0)
		if [ -n "$why" ]; then
			ok=0
		elif grep -qE "$mc_errors" "$log"; then
			ok=0
			why="a multicast join failed: $(grep -E "$mc_errors" "$log" | head -n 1)"
		fi
	fi
	if [ $ok = 0 ]; then
		fail "$scen/dpdk-run" "$why; log tail: $(tail -n 6 "$log" | tr '\n' '|')"
		return 1
	fi
	pass "$scen/dpdk-run"
	return 0
}

# --- run ---------------------------------------------------------------------------

for scen in "${scen_list[@]}"; do
	dir=$tmp/$scen
	reflect=$(awk '$1 == "reflect" {print $2}' "$dir/plan")
	budget=$(awk '$1 == "budget" {print $2}' "$dir/plan")
	# Its budget plus what earlier scenarios (and the setup) left unused.
	bank=$((deadline - SECONDS))
	[ "$bank" -lt 0 ] && bank=0
	deadline=$((SECONDS + bank + budget))
	t0=$SECONDS
	phase "$scen" "plan"
	kernel_side "$scen" "$dir" || continue
	run_timeout=$(within "$TESTPMD_TIMEOUT")
	if [ "$run_timeout" -lt "$SCEN_MIN" ]; then
		fail "$scen/dpdk-run" "not run: ${run_timeout}s of the scenario's ${budget}s budget left"
		continue
	fi
	dpdk_side "$scen" "$dir" "$run_timeout" || continue
	"${py[@]}" "$oracle" check "$scen" --frames "$dir/frames.json" --kernel "$dir/kernel.json" \
		--log "$dir/testpmd.log" --dir "$dir" --wire-out "$dir/wire.json" \
		--out "$dir/dpdk.json" >"$dir/compare.out" 2>"$dir/compare.err"
	crc=$?
	phase "$scen" "compared"
	cat "$dir/compare.out"
	grep '^# ' "$dir/compare.err" >&2
	if grep -q '^FAIL: ' "$dir/compare.out"; then
		failed=1
		note "$scen: testpmd command: $(cat "$dir/cmdline")"
	elif [ $crc != 0 ]; then
		fail "$scen/compare" "checker failed (exit $crc): $(grep -v '^# ' "$dir/compare.err" | tail -n 3 | tr '\n' ' ')"
	fi
	note "$scen took $((SECONDS - t0))s of its ${budget}s (+${bank}s left over)"
done
note "took ${SECONDS}s"
finish
