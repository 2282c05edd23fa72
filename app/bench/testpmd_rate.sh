#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# testpmd_rate.sh: net_macvtap as users run it, through stock dpdk-testpmd
# (io forwarding, default burst, one forwarding lcore), against the same
# lower forwarded straight to a sink by the same testpmd.
#
#   base: net_pcap0 (infinite_rx, bench_pcap.py's 64-byte frames over N
#         destination MACs) -> net_null0 (no-rx=1, a sink)
#   mvt:  net_pcap0 (the same frames) -> N net_macvtap ports (bridge mode, the
#         N MACs) -> N net_null sinks, port i paired with sink i
#
# Two testpmd processes live side by side; rounds alternate between them
# (start, a window, stop; the other waits at its prompt), so both see the same
# machine. A window's figure is the frames forwarded to the sinks (testpmd's
# accumulated forward statistics at stop) divided by the window. Debian's DPDK
# has 32 ports: at most 15 macvtap ports with their sinks and the lower.
#
# Usage: app/bench/testpmd_rate.sh [--ports N] [--rounds R] [--window S]
#            [--json FILE] [--base-plugin FILE]
#
# --base-plugin: the base process runs the same ports as the other, with that
# plugin (an earlier build of the driver): the ratio is then the current
# build's rate over that one's, a datapath change's before and after.
#
# Prints "testpmd-rate: ports=N base_mpps=X mvt_mpps=Y ratio=Z spread=..."
set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../../test/lib/common.sh
. "$ROOT/test/lib/common.sh"
debian_python_first
build=${MACVTAP_BUILD_DIR:-$ROOT/build}
testpmd=${TESTPMD:-/usr/bin/dpdk-testpmd}
PORTS=1 ROUNDS=5 WINDOW=2 JSON='' BASE_PLUGIN=''
while [ $# -gt 0 ]; do
	case "$1" in
	--ports) PORTS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--window) WINDOW=$2; shift 2 ;;
	--json) JSON=$2; shift 2 ;;
	--base-plugin) BASE_PLUGIN=$(realpath "$2"); shift 2 ;;
	*) sed -n '/^# Usage:/,/^# Prints/p' "$0" >&2; exit 2 ;;
	esac
done
if [ "$PORTS" -lt 1 ] || [ "$PORTS" -gt 15 ]; then
	echo "testpmd_rate.sh: --ports 1 to 15 (32 ethdev ports in all)" >&2
	exit 2
fi
plugin=$build/drivers/net/macvtap/librte_net_macvtap.so
[ -f "$plugin" ] || { echo "SKIP: testpmd-rate: $plugin is missing (build first)"; exit 0; }
work=$(mktemp -d "$build/testpmd-rate.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$work" /var/run/dpdk/mvt_tprate_"$$"_*
}
trap cleanup EXIT
python3 "$HERE/bench_pcap.py" "$work/in.pcap" --dests "$PORTS" >/dev/null || exit 1

# spawn NAME VDEV...: a testpmd reading commands from $work/NAME.fifo (fd 3 or 4).
spawn() {
	local name=$1 fd plug=$plugin
	shift
	[ "$name" = base ] && [ -n "$BASE_PLUGIN" ] && plug=$BASE_PLUGIN
	mkfifo "$work/$name.fifo"
	stdbuf -oL -eL "$testpmd" --no-huge -m 1024 --no-pci -l 0-1 --file-prefix="mvt_tprate_$$_$name" \
		-d "$plug" --log-level=pmd.net.macvtap:warning "$@" \
		-- -i --forward-mode=io --nb-cores=1 --total-num-mbufs=32768 \
		< "$work/$name.fifo" > "$work/$name.log" 2>&1 &
	pids+=($!)
	if [ "$name" = base ]; then fd=3; else fd=4; fi
	eval "exec $fd> \"$work/$name.fifo\""
}
base_args=(--vdev "net_pcap0,rx_pcap=$work/in.pcap,infinite_rx=1" --vdev "net_null0,no-rx=1")
mvt_args=(--vdev "net_pcap0,rx_pcap=$work/in.pcap,infinite_rx=1")
for ((i = 0; i < PORTS; i++)); do
	# bench_pcap.py's destination i: 02:4d:56 and i as 24 bits.
	mac=$(printf '02:4d:56:%02x:%02x:%02x' $((i >> 16 & 255)) $((i >> 8 & 255)) $((i & 255)))
	mvt_args+=(--vdev "net_macvtap$i,iface=net_pcap0,mac=$mac,mode=bridge"
		   --vdev "net_null$i,no-rx=1")
done
# The sink names in the mvt process differ from the base's only by number: keep them apart.
if [ -n "$BASE_PLUGIN" ]; then
	[ -f "$BASE_PLUGIN" ] || { echo "testpmd_rate.sh: no $BASE_PLUGIN" >&2; exit 2; }
	spawn base "${mvt_args[@]}"
else
	spawn base "${base_args[@]}"
fi
spawn mvt "${mvt_args[@]}"

prompts() { grep -o 'testpmd> ' "$work/$1.log" 2>/dev/null | wc -l; }
# cmd NAME COMMAND: one command, then wait for the next prompt (30 s at most).
cmd() {
	local name=$1 fd before n=0
	if [ "$name" = base ]; then fd=3; else fd=4; fi
	before=$(prompts "$name")
	printf '%s\n' "$2" >&"$fd" || return 1
	while [ "$(prompts "$name")" -le "$before" ] && [ $n -lt 600 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	[ "$(prompts "$name")" -gt "$before" ]
}
for name in base mvt; do
	n=0
	while [ "$(prompts $name)" -lt 1 ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n + 1)); done
	if [ "$(prompts $name)" -lt 1 ]; then
		echo "FAIL: testpmd-rate: $name testpmd did not start: $(tail -3 "$work/$name.log" | tr '\n' '|')"
		exit 1
	fi
done
# window NAME: frames the sinks took during one forwarding window.
window() {
	local name=$1 off
	cmd "$name" start || return 1
	sleep 1   # warm-up
	cmd "$name" stop || return 1
	cmd "$name" start || return 1
	off=$(stat -c %s "$work/$name.log")
	sleep "$WINDOW"
	cmd "$name" stop || return 1
	tail -c +"$((off + 1))" "$work/$name.log" |
		awk '/Accumulated forward statistics for all ports/ {acc = 1}
		     acc && /TX-packets:/ {print $2; exit}'
}
base_f=() mvt_f=()
for ((r = 0; r < ROUNDS; r++)); do
	b=$(window base) && m=$(window mvt) || {
		echo "FAIL: testpmd-rate: a window failed: $(tail -3 "$work/mvt.log" | tr '\n' '|')"
		exit 1; }
	base_f+=("$b")
	mvt_f+=("$m")
done
cmd base quit
cmd mvt quit
python3 - "$PORTS" "$WINDOW" "${JSON:-}" "${base_f[*]}" "${mvt_f[*]}" <<'PY'
import json, statistics, sys
ports, window, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
base = [int(x) / window / 1e6 for x in sys.argv[4].split()]
mvt = [int(x) / window / 1e6 for x in sys.argv[5].split()]
ratios = [m / b for m, b in zip(mvt, base)]
res = {"ports": ports, "window_s": window, "base_mpps": statistics.median(base),
       "mvt_mpps": statistics.median(mvt), "ratio": statistics.median(ratios),
       "ratio_min": min(ratios), "ratio_max": max(ratios),
       "rounds": [[b, m] for b, m in zip(base, mvt)]}
print("testpmd-rate: ports=%d base_mpps=%.2f mvt_mpps=%.2f ratio=%.3f spread=%.3f-%.3f" % (
    ports, res["base_mpps"], res["mvt_mpps"], res["ratio"], res["ratio_min"], res["ratio_max"]))
if out:
    json.dump(res, open(out, "w"), indent=1)
PY
