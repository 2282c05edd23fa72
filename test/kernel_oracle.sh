#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Differential test: the Linux kernel's macvtap is the oracle for net_macvtap.
# The same frames go through both, and for every frame the set of endpoints
# (by role) that received it must be the same.
#
# Kernel side, namespace $nsk:
#   veth vk0/vk1; macvtap endpoints mvtN on vk0 with fixed MACs, IPv6 off.
#   test/oracle/oracle.py opens each endpoint's tap char device (plain frames,
#   IFF_VNET_HDR cleared), sends the frames from vk1 with AF_PACKET and reads
#   the taps non-blocking.
# net_macvtap side, namespace $nsd:
#   veth vd0/vd1; stock dpdk-testpmd with the plugin and
#     net_af_packet0,iface=vd0                       the lower (owned by the driver)
#     net_macvtapN,iface=net_af_packet0,mac=,mode=   endpoint N
#     net_pcap_oN,tx_pcap=outN.pcap                  sink N
#   --port-topology=paired --forward-mode=io pairs endpoint N with sink N, so
#   outN.pcap holds what endpoint N received. The frames are sent from vd1.
#
# Promiscuity, kept equal on both sides: in the 'mixed' and 'source' scenarios
# the endpoints are NOT promiscuous (kernel default; testpmd gets 'set promisc
# <port> off' for each macvtap port); in the 'promisc' scenario they all are
# (kernel 'ip link set mvtN promisc on'; testpmd 'set promisc <port> on', its
# default anyway). Allmulticast is off everywhere (checked in testpmd's 'show
# port info'). Groups that an endpoint joins are joined on both sides
# (kernel 'ip maddr add', testpmd 'mcast_addr add').
#
# Scenarios and frames: test/oracle/scenarios.py.
#
# Output: one 'PASS: name', 'FAIL: name: reason' or 'SKIP: name: reason' per
# check; exit 0 when nothing failed. Without root, network namespaces or
# kernel macvtap support it prints a SKIP line and exits 0.
#
# Environment:
#   MACVTAP_BUILD_DIR  build tree (default: <repo>/build)
#   MACVTAP_PLUGIN     plugin .so (default: $MACVTAP_BUILD_DIR/drivers/net/macvtap/librte_net_macvtap.so)
#   TESTPMD            testpmd binary (default: /usr/bin/dpdk-testpmd)
#   ORACLE_SCENARIOS   scenarios to run (default: "mixed source promisc")
#   KEEP_TMP=1         keep the temporary directory (its path is printed)
#   VERBOSE=1          print the testpmd logs

# shellcheck disable=SC2317  # functions run from traps
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$here/lib/common.sh"
test_env
oracle=$here/oracle/oracle.py
read -r -a scen_list <<<"${ORACLE_SCENARIOS:-mixed source promisc}"

# Seconds. The whole run must stay under 60 s: every wait and timeout below
# is cut to what is left of BUDGET (see within()), which leaves room for the
# timeouts' kill grace and the cleanup.
BUDGET=50
SCEN_MIN=12        # what a scenario needs at least to be started
PROMPT_WAIT=12     # EAL init up to the first prompt
CMD_WAIT=5         # one testpmd command
FORWARD_WAIT=1     # after the frames were sent
KERNEL_TIMEOUT=12  # the kernel-side capture helper
INJECT_TIMEOUT=8
TESTPMD_TIMEOUT=25 # one testpmd run

# within N: N, or the seconds left of BUDGET if fewer (at least 1).
within() {
	local n=$1 left=$((BUDGET - SECONDS))
	[ "$left" -lt 1 ] && left=1
	[ "$n" -gt "$left" ] && n=$left
	echo "$n"
}

nsk=""
nsd=""
prefixes=()
cleanup() {
	tp_stop
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
		skip "kernel-oracle" "$c not found"
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

# The lower's MAC, the same on vk0 and vd0.
lower_mac=$(python3 "$oracle" plan "${scen_list[0]:-mixed}" 2>&1 | awk '$1=="lower"{print $2}')
if [ -z "$lower_mac" ]; then
	fail "oracle-helper" "$oracle plan does not work: $(python3 "$oracle" plan "${scen_list[0]:-mixed}" 2>&1 | tail -n 2 | tr '\n' ' ')"
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

# kernel_side SCEN DIR: creates the endpoints from the plan, runs the capture
# helper, deletes the veth (and so the endpoints). Writes DIR/frames.json and
# DIR/kernel.json.
kernel_side() {
	local scen=$1 dir=$2 kind idx role mode mac promisc sources joins
	local eps=() err="" m
	ip -n "$nsk" link add vk0 type veth peer name vk1 2>"$dir/k.err" || err="veth"
	if [ -z "$err" ]; then
		ip -n "$nsk" link set vk0 address "$lower_mac" 2>>"$dir/k.err" || err="vk0 address"
	fi
	while [ -z "$err" ] && read -r kind idx role mode mac promisc sources joins; do
		[ "$kind" = ep ] || continue
		local ifn="mvt$idx"
		local add=(ip -n "$nsk" link add link vk0 name "$ifn" type macvtap mode "$mode")
		local rest=()
		if [ "$sources" != - ]; then
			IFS=, read -r -a srcs <<<"$sources"
			add+=(macaddr add "${srcs[0]}")
			rest=("${srcs[@]:1}")
		fi
		"${add[@]}" 2>>"$dir/k.err" || { err="create $ifn ($mode)"; break; }
		for m in "${rest[@]}"; do
			ip -n "$nsk" link set dev "$ifn" type macvtap macaddr add "$m" \
				2>>"$dir/k.err" || { err="$ifn macaddr add $m"; break 2; }
		done
		ip -n "$nsk" link set dev "$ifn" address "$mac" 2>>"$dir/k.err" ||
			{ err="$ifn address"; break; }
		nsexec "$nsk" sysctl -qw "net.ipv6.conf.$ifn.disable_ipv6=1" >/dev/null 2>&1
		if [ "$promisc" = 1 ]; then
			ip -n "$nsk" link set dev "$ifn" promisc on 2>>"$dir/k.err" ||
				{ err="$ifn promisc"; break; }
		fi
		ip -n "$nsk" link set dev "$ifn" up 2>>"$dir/k.err" || { err="$ifn up"; break; }
		if [ "$joins" != - ]; then
			IFS=, read -r -a grps <<<"$joins"
			for m in "${grps[@]}"; do
				ip -n "$nsk" maddr add "$m" dev "$ifn" 2>>"$dir/k.err" ||
					{ err="$ifn maddr add $m"; break 2; }
			done
		fi
		eps+=(--ep "$role=$ifn")
	done <"$dir/plan"
	if [ -z "$err" ]; then
		{ ip -n "$nsk" link set vk0 up && ip -n "$nsk" link set vk1 up; } \
			2>>"$dir/k.err" || err="veth up"
	fi
	if [ -n "$err" ]; then
		fail "$scen/kernel-setup" "$err: $(tr '\n' ' ' <"$dir/k.err")"
		ip -n "$nsk" link del vk0 2>/dev/null
		return 1
	fi
	pass "$scen/kernel-setup"
	timeout -k 1 "$(within "$KERNEL_TIMEOUT")" ip netns exec "$nsk" python3 "$oracle" kernel "$scen" \
		--wire vk1 "${eps[@]}" --tmp "$dir" --frames-out "$dir/frames.json" \
		--out "$dir/kernel.json" 2>"$dir/k.err"
	local rc=$?
	ip -n "$nsk" link del vk0 2>/dev/null
	if [ $rc != 0 ] || [ ! -f "$dir/frames.json" ] || [ ! -f "$dir/kernel.json" ]; then
		fail "$scen/kernel-capture" "helper exit $rc: $(tail -n 3 "$dir/k.err" | tr '\n' ' ')"
		return 1
	fi
	local sent
	sent=$(python3 -c 'import json,sys; k=json.load(open(sys.argv[1])); print(k["sent"], k["total"])' \
		"$dir/kernel.json")
	if [ "${sent% *}" != "${sent#* }" ]; then
		fail "$scen/kernel-capture" "sent only ${sent% *} of ${sent#* } frames"
		return 1
	fi
	[ "${VERBOSE:-0}" = 1 ] && python3 -c 'import json,sys; [print("# tap", k, v) for k, v in json.load(open(sys.argv[1]))["taps"].items()]' "$dir/kernel.json" >&2
	pass "$scen/kernel-capture"
	return 0
}

# --- one scenario: the net_macvtap side -----------------------------------------

# Send a command and wait for the prompt after it.
cmd() { tp_send_wait "$1" "$(within "$CMD_WAIT")"; }

# dpdk_side SCEN DIR RUN_TIMEOUT: writes DIR/out<N>.pcap, DIR/testpmd.log and DIR/dpdk.json.
dpdk_side() {
	local scen=$1 dir=$2 run_timeout=$3 kind idx role mode mac promisc sources joins
	local vdevs=(--vdev "net_af_packet0,iface=vd0") joins_of=() promisc_of=() dev
	while read -r kind idx role mode mac promisc sources joins; do
		[ "$kind" = ep ] || continue
		dev="net_macvtap$idx,iface=net_af_packet0,mac=$mac,mode=$mode"
		[ "$sources" != - ] && dev+=",source=[$sources]"
		vdevs+=(--vdev "$dev" --vdev "net_pcap_o$idx,tx_pcap=$dir/out$idx.pcap")
		joins_of[idx]=$joins
		promisc_of[idx]=$promisc
	done <"$dir/plan"

	local prefix="mvto_${tag}_$$_$scen"
	prefixes+=("$prefix")
	local tpcmd=("$testpmd" -d "$plugin" --no-huge -m 512 --no-pci --file-prefix="$prefix"
		"${vdevs[@]}"
		-- -i --total-num-mbufs=8192 --no-flush-rx --port-topology=paired --forward-mode=io)
	printf '%q ' "${tpcmd[@]}" >"$dir/cmdline"
	[ "${VERBOSE:-0}" = 1 ] && note "running: $(cat "$dir/cmdline")"

	log=$dir/testpmd.log
	tp_spawn --netns "$nsd" "$dir/cmd" "$log" 2 "$run_timeout" "${tpcmd[@]}"

	local ok=1 why="" id g
	# What testpmd prints when 'mcast_addr add' does not reach the port.
	local mc_errors='set_mc_addr_list\(.*failed|Invalid multicast addr|multicast addresses failed|already filtered'
	if ! tp_wait_prompts 1 "$(within "$PROMPT_WAIT")"; then
		ok=0
		why="no testpmd prompt"
	fi
	if [ $ok = 1 ]; then
		cmd "show port summary all" || { ok=0; why="'show port summary' got no prompt"; }
	fi
	# Each endpoint's promiscuity as in the kernel (testpmd enables it on every
	# port by default), then its joined groups.
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
		else
			cmd "set promisc $id off" || { ok=0; why="'set promisc' got no prompt"; }
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
		cmd "start" || { ok=0; why="'start' got no prompt"; }
	fi
	if [ $ok = 1 ]; then
		sleep 0.3
		if ! timeout -k 1 "$(within "$INJECT_TIMEOUT")" ip netns exec "$nsd" python3 "$oracle" inject \
			--frames "$dir/frames.json" --wire vd1 2>"$dir/inject.err"; then
			ok=0
			why="inject failed: $(tr '\n' ' ' <"$dir/inject.err")"
		fi
		sleep "$FORWARD_WAIT"
		cmd "stop" || { ok=0; why="'stop' got no prompt"; }
		cmd "show port xstats all" >/dev/null
	fi
	tp_send quit
	tp_wait_exit

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

	python3 "$oracle" dpdk "$scen" --frames "$dir/frames.json" --log "$log" --dir "$dir" \
		--out "$dir/dpdk.json" 2>"$dir/dpdk.err" || {
		fail "$scen/dpdk-ports" "checker failed: $(tail -n 3 "$dir/dpdk.err" | tr '\n' ' ')"
		return 1
	}
	local probs
	probs=$(python3 -c 'import json,sys; print("; ".join(json.load(open(sys.argv[1]))["problems"]))' \
		"$dir/dpdk.json")
	# The frames are compared even so: the per-frame lines show the effect.
	if [ -n "$probs" ]; then
		fail "$scen/dpdk-ports" "$probs"
	else
		pass "$scen/dpdk-ports"
	fi
	return 0
}

# --- run ---------------------------------------------------------------------------

for scen in "${scen_list[@]}"; do
	left=$((BUDGET - SECONDS))
	if [ "$left" -lt "$SCEN_MIN" ]; then
		fail "$scen" "not run: ${SECONDS}s used, less than ${SCEN_MIN}s of the ${BUDGET}s budget left"
		continue
	fi
	dir=$tmp/$scen
	mkdir -p "$dir"
	if ! python3 "$oracle" plan "$scen" >"$dir/plan" 2>"$dir/plan.err"; then
		fail "$scen" "no plan: $(tr '\n' ' ' <"$dir/plan.err")"
		continue
	fi
	kernel_side "$scen" "$dir" || continue
	run_timeout=$(within "$TESTPMD_TIMEOUT")
	if [ "$run_timeout" -lt 6 ]; then
		fail "$scen/dpdk-run" "not run: ${SECONDS}s used, ${run_timeout}s of the ${BUDGET}s budget left"
		continue
	fi
	dpdk_side "$scen" "$dir" "$run_timeout" || continue
	python3 "$oracle" compare "$scen" --frames "$dir/frames.json" --kernel "$dir/kernel.json" \
		--dpdk "$dir/dpdk.json" >"$dir/compare.out" 2>"$dir/compare.err"
	crc=$?
	cat "$dir/compare.out"
	grep '^# ' "$dir/compare.err" >&2
	if grep -q '^FAIL: ' "$dir/compare.out"; then
		failed=1
		note "$scen: testpmd command: $(cat "$dir/cmdline")"
	elif [ $crc != 0 ]; then
		fail "$scen/compare" "checker failed (exit $crc): $(grep -v '^# ' "$dir/compare.err" | tail -n 3 | tr '\n' ' ')"
	fi
done
note "took ${SECONDS}s"
finish
