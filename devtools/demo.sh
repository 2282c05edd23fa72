#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# The net_macvtap demo, on any Linux machine without a spare NIC:
#
#   sudo bash devtools/demo.sh
#
# It builds the driver (devtools/setup.sh), then a lab:
#
#   namespace <ns>                      root namespace
#   +-------------------+  veth pair   +--------------------------------------+
#   | <veth-ns>         |<------------>| <veth-root>  promisc, no IP          |
#   | 192.0.2.1/24      |              |   = net_af_packet0, the DPDK lower   |
#   | static neighbours:|              |     owned by net_macvtap:            |
#   |  .11 02:..:00:01  |              |   net_macvtap0  mac 02:00:00:00:00:01 |
#   |  .12 02:..:00:02  |              |   net_macvtap1  mac 02:00:00:00:00:02 |
#   |  .13 02:..:00:03  |              |   net_macvtap2  mac 02:00:00:00:00:03 |
#   |  .99 02:..:00:99  | (nobody)     |   stock dpdk-testpmd, icmpecho mode  |
#   +-------------------+              +--------------------------------------+
#
# The namespace pings each port's address: the lower receives the frames and
# the driver delivers each one to the port that owns its destination MAC,
# where testpmd's icmpecho engine answers it on that same port
# (--port-topology=loop). A ping to a MAC that no port owns is not answered and
# is counted by the driver as lower_rx_no_port_dropped.
#
# Exit status: 0 when every macvtap port answered all of its pings (and its
# counters show it), 1 when not, 2 when the lab could not be set up.
#
# Environment:
#   TESTPMD   testpmd binary (default: /usr/bin/dpdk-testpmd)
#   SKIP_SETUP=1  do not run devtools/setup.sh (the plugin must be built)

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../test/lib/common.sh
. "$repo/test/lib/common.sh"
build=$repo/build
plugin=$build/drivers/net/macvtap/librte_net_macvtap.so
testpmd=${TESTPMD:-/usr/bin/dpdk-testpmd}
keep_log=$build/demo-testpmd.log

MACS=(02:00:00:00:00:01 02:00:00:00:00:02 02:00:00:00:00:03)
IPS=(192.0.2.11 192.0.2.12 192.0.2.13)
NS_ADDR=192.0.2.1/24
UNKNOWN_MAC=02:00:00:00:00:99
UNKNOWN_IP=192.0.2.99
PINGS=3

# Seconds: testpmd's EAL init up to its first prompt, one command, the whole
# life of testpmd (a hard bound: it is killed after that).
PROMPT_WAIT=20
CMD_WAIT=5
TESTPMD_LIFETIME=50

say() { printf '%s\n' "$*"; }
die() {
	printf 'demo: %s\n' "$*" >&2
	exit 2
}

# --- cleanup, on any exit ---------------------------------------------------

tmp=""
ns=""
veth_root=""
prefix=""
tp_pid=""
fifo_open=0

# shellcheck disable=SC2317  # runs from the EXIT trap
cleanup() {
	trap '' INT TERM
	if [ -n "$tp_pid" ] && pid_alive "$tp_pid"; then
		# Politely first (testpmd closes its ports), then by force.
		[ "$fifo_open" = 1 ] && tp_send quit
		local i
		for i in 1 2 3 4 5 6 7 8 9 10; do
			pid_alive "$tp_pid" || break
			sleep 0.2
		done
	fi
	tp_stop
	[ "$fifo_open" = 1 ] && exec 3>&-
	if [ -n "$ns" ]; then
		ip netns del "$ns" 2>/dev/null
	fi
	# Deleting the namespace takes its veth end and so the pair; just in case:
	if [ -n "$veth_root" ] && ip link show "$veth_root" >/dev/null 2>&1; then
		ip link del "$veth_root" 2>/dev/null
	fi
	eal_runtime_clean "$prefix"
	if [ -n "$tmp" ] && [ -d "$tmp" ]; then
		[ -f "$tmp/testpmd.log" ] && cp -f -- "$tmp/testpmd.log" "$keep_log" 2>/dev/null
		rm -rf -- "$tmp"
	fi
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, cleaning up" >&2; exit 130' INT
trap 'exit 143' TERM
# testpmd may die before reading its commands: a write must not kill us.
trap '' PIPE

# --- 1. setup -----------------------------------------------------------------

[ "$(id -u)" = 0 ] || die "needs root (network namespaces, AF_PACKET): sudo bash $0"

say "== net_macvtap demo =="
if [ "${SKIP_SETUP:-0}" != 1 ]; then
	say "[1/5] setup: devtools/setup.sh (apt packages, build)"
	bash "$repo/devtools/setup.sh" || die "devtools/setup.sh failed"
fi
if ! command -v ping >/dev/null; then
	say "      installing iputils-ping"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends iputils-ping >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
			apt-get install -y -q --no-install-recommends iputils-ping >/dev/null 2>&1; } ||
		die "cannot install iputils-ping"
fi
for t in ip python3 mkfifo timeout; do
	command -v "$t" >/dev/null || die "$t not found"
done
[ -f "$plugin" ] || die "no plugin at $plugin"
[ -x "$testpmd" ] || die "no $testpmd (apt-get install dpdk)"

start=$SECONDS
tmp=$(mktemp -d "$build/demo.XXXXXX") || die "mktemp -d in $build failed"
id=$(basename "$tmp" | tr -dc 'A-Za-z0-9' | tail -c 6)
ns=macvtap-demo-$id
veth_root=mvd${id}r
veth_ns=mvd${id}n
prefix=macvtap_demo_$id
log=$tmp/testpmd.log
rm -f -- "$keep_log"

# --- 2. the lab ---------------------------------------------------------------

say "[2/5] lab: namespace $ns ($veth_ns $NS_ADDR) <-veth-> $veth_root (root namespace, the DPDK lower)"
lab() {
	ip netns add "$ns" &&
		ip link add "$veth_root" type veth peer name "$veth_ns" netns "$ns" || return 1
	# No IPv6 on the pair: no router solicitations or MLD reports, so the
	# counters show only the demo's own frames.
	echo 1 >"/proc/sys/net/ipv6/conf/$veth_root/disable_ipv6" 2>/dev/null
	ip netns exec "$ns" sh -c "echo 1 >/proc/sys/net/ipv6/conf/$veth_ns/disable_ipv6" 2>/dev/null
	ip netns exec "$ns" ip link set lo up &&
		ip netns exec "$ns" ip addr add "$NS_ADDR" dev "$veth_ns" &&
		ip netns exec "$ns" ip link set "$veth_ns" up &&
		ip link set "$veth_root" promisc on up || return 1
	local i
	for i in "${!MACS[@]}"; do
		ip netns exec "$ns" ip neigh replace "${IPS[$i]}" lladdr "${MACS[$i]}" \
			dev "$veth_ns" nud permanent || return 1
	done
	ip netns exec "$ns" ip neigh replace "$UNKNOWN_IP" lladdr "$UNKNOWN_MAC" \
		dev "$veth_ns" nud permanent
}
lab || die "could not build the lab"

# --- 3. testpmd ---------------------------------------------------------------

vdevs=(--vdev "net_af_packet0,iface=$veth_root")
for i in "${!MACS[@]}"; do
	vdevs+=(--vdev "net_macvtap$i,iface=net_af_packet0,mac=${MACS[$i]}")
done
eal=(-d "$plugin" --no-huge -m 512 --no-pci --file-prefix="$prefix")
# testpmd needs a forwarding lcore besides its main one.
[ "$(nproc)" -lt 2 ] && eal+=(--lcores '(0-1)@0')
cmd=("$testpmd" "${eal[@]}" "${vdevs[@]}"
	-- -i --total-num-mbufs=8192 --forward-mode=icmpecho --port-topology=loop)
printf '%q ' "${cmd[@]}" >"$tmp/cmdline"

say "[3/5] testpmd: 3 net_macvtap ports on net_af_packet0,iface=$veth_root, icmpecho"
say "      log: $keep_log (written on exit)"

{
	echo "# $(cat "$tmp/cmdline")"
	echo
} >"$log"
# Read-write (--rw): opening does not wait for testpmd to open its end.
tp_spawn --rw "$tmp/cmd" "$log" 3 "$TESTPMD_LIFETIME" "${cmd[@]}" || die "mkfifo failed"
fifo_open=1

log_tail() { tail -n 12 "$log" | sed 's/^/      | /' >&2; }

if ! tp_wait_prompts 1 "$PROMPT_WAIT"; then
	log_tail
	pid_alive "$tp_pid" && die "testpmd showed no prompt within ${PROMPT_WAIT}s"
	die "testpmd exited before its prompt"
fi
if ! tp_send_wait "start" "$CMD_WAIT" || ! grep -q 'icmpecho packet forwarding' "$log"; then
	log_tail
	die "testpmd did not start forwarding"
fi

# --- 4. pings -----------------------------------------------------------------

say "[4/5] ping from the namespace ($PINGS each, static neighbours, no ARP)"
: >"$tmp/pings"
ping_one() { # ip mac
	local out sent recv rtt
	out=$(ip netns exec "$ns" ping -n -q -c "$PINGS" -i 0.2 -W 1 "$1" 2>&1)
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
	recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
	rtt=$(sed -n 's|^rtt [^=]*= [0-9.]*/\([0-9.]*\)/.*|\1|p' <<<"$out")
	echo "$1 $2 ${sent:-0} ${recv:-0} ${rtt:--}" >>"$tmp/pings"
	if [ "${recv:-0}" -gt 0 ]; then
		printf '      %-11s -> %s  %s/%s answered (avg %s ms)\n' "$1" "$2" "${recv:-0}" "${sent:-0}" "$rtt"
	else
		printf '      %-11s -> %s  %s/%s answered\n' "$1" "$2" "${recv:-0}" "${sent:-0}"
	fi
}
for i in "${!MACS[@]}"; do
	ping_one "${IPS[$i]}" "${MACS[$i]}"
done
ping_one "$UNKNOWN_IP" "$UNKNOWN_MAC"

# --- 5. counters ------------------------------------------------------------------

for c in "stop" "show port summary all" "show port stats all" "show port xstats all"; do
	tp_send_wait "$c" "$CMD_WAIT" || break
done
tp_send "quit"
for _ in $(seq 1 50); do
	pid_alive "$tp_pid" || break
	sleep 0.1
done
if pid_alive "$tp_pid"; then
	say "      (testpmd did not quit; stopping it)"
else
	wait "$tp_pid"
	tp_rc=$?
	tp_pid=""
	[ "$tp_rc" = 0 ] || say "      (testpmd exited with status $tp_rc)"
fi

say "[5/5] counters (testpmd: show port stats/xstats all)"
python3 - "$log" "$tmp/pings" "$UNKNOWN_MAC" "$PINGS" <<'PYEOF'
import re
import sys

log_path, pings_path, unknown_mac, npings = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
log = open(log_path, errors="replace").read()

pings = {}
for line in open(pings_path):
    ip, mac, sent, recv, rtt = line.split()
    pings[mac.lower()] = (ip, int(sent), int(recv))

# 'show port summary all': port id, MAC, name (the lower is not listed).
ports = []
m = re.search(r"Number of available ports: (\d+)\n[^\n]*\n((?:\d+ +\S+ +\S+ .*\n?)*)", log)
if m:
    for line in m.group(2).splitlines():
        f = line.split()
        ports.append((int(f[0]), f[1].lower(), f[2]))

stats = {}
for m in re.finditer(r"NIC statistics for port (\d+) +#+\n(.*?)#{20,}", log, re.S):
    d = {}
    for key in ("RX-packets", "RX-missed", "TX-packets", "TX-errors"):
        k = re.search(re.escape(key) + r":\s*(\d+)", m.group(2))
        if k:
            d[key] = int(k.group(1))
    stats[int(m.group(1))] = d

xstats = {}
for m in re.finditer(r"NIC extended statistics for port (\d+) *\n((?:[A-Za-z0-9_\[\].-]+: \d+\n)*)", log):
    xstats[int(m.group(1))] = {k: int(v) for k, v in re.findall(r"^(\S+): (\d+)$", m.group(2), re.M)}

if not ports:
    print("      no port summary in the testpmd log")
    sys.exit(1)

hdr = "      %-4s %-13s %-17s %-11s %9s %9s  %s" % (
    "port", "name", "MAC", "IP", "frames rx", "frames tx", "pings answered")
print(hdr)
ok = 0
for pid, mac, name in ports:
    ip, sent, recv = pings.get(mac, ("-", 0, 0))
    s = stats.get(pid, {})
    rx, tx = s.get("RX-packets"), s.get("TX-packets")
    good = (name.startswith("net_macvtap") and sent == npings and recv == sent
            and rx is not None and tx is not None and rx >= recv and tx >= recv)
    ok += good
    print("      %-4d %-13s %-17s %-11s %9s %9s  %d/%d %s" % (
        pid, name, mac, ip, "-" if rx is None else rx, "-" if tx is None else tx,
        recv, sent, "yes" if good else "NO"))

# The lower's counters, as every macvtap port shows them.
lower = next((xstats[p] for p, _m, n in ports if n.startswith("net_macvtap") and p in xstats), {})
ip, sent, recv = pings.get(unknown_mac.lower(), ("-", 0, 0))
nop = lower.get("lower_rx_no_port_dropped")
print("      lower net_af_packet0 (owned by the driver, not a testpmd port): "
      "lower_rx_packets %s, lower_rx_no_port_dropped %s" % (
          lower.get("lower_rx_packets", "-"), "-" if nop is None else nop))
unknown_ok = recv == 0 and nop is not None and nop == sent
print("      unknown unicast to %s (%s): %d/%d answered, %s counted as "
      "lower_rx_no_port_dropped: %s" % (
          unknown_mac, ip, recv, sent, "-" if nop is None else nop,
          "as expected" if unknown_ok else "NOT as expected"))

if ok >= 3:
    print("RESULT: PASS: %d macvtap ports each answered all their pings on one shared lower" % ok)
    sys.exit(0)
print("RESULT: FAIL: only %d macvtap port(s) answered all their pings (need 3)" % ok)
sys.exit(1)
PYEOF
rc=$?
say "      (demo took $((SECONDS - start)) s after setup; testpmd log: $keep_log)"
exit "$rc"
