#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# callgrind_rx.sh: instructions per frame of the receive path, counted by
# callgrind, in the two modes the perf page measures:
#
#   testpmd  stock dpdk-testpmd, io forwarding, default burst: the lower
#            (net_pcap, infinite_rx, bench_pcap.py's 64-byte frames over N
#            destinations) through N net_macvtap bridge ports to net_null
#            sinks; and the same lower straight to a sink (the base)
#   own      dpdk-macvtap-bench --only rx:N:0:1: the project's own loop
#            reading every port (its process also runs the lower alone, in
#            alternate windows: only the driver's share is given per frame)
#
# Each count is the run's instructions by object (callgrind_annotate,
# exclusive), divided by the frames forwarded (testpmd's forward statistics
# at exit) or read (the bench's JSON: Mpps times the window). Callgrind runs
# everything some 50 times slower; instruction counts do not depend on that,
# or on the load of the machine.
#
# Usage: app/bench/callgrind_rx.sh [--ports N[,N...]] [--seconds S] [--json FILE] [--keep DIR]
# (--keep DIR: the callgrind files stay in DIR, for callgrind_annotate by function)
#
# Prints one line per mode and port count:
#   callgrind-rx: mode=testpmd ports=N frames=F macvtap=X lower=Y sink=Z total=T
#                 base_lower=Y0 base_sink=Z0 base_total=T0
#   callgrind-rx: mode=own ports=N frames=F macvtap=X
# (instructions per frame; total is the datapath's objects: the PMDs, testpmd,
# mbuf, mempool, ring and ethdev; base_* are the lower alone with its sink).
set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
build=${MACVTAP_BUILD_DIR:-$ROOT/build}
testpmd=${TESTPMD:-/usr/bin/dpdk-testpmd}
PORTS=1,8 SECONDS_RUN=4 JSON='' KEEP=''
while [ $# -gt 0 ]; do
	case "$1" in
	--ports) PORTS=$2; shift 2 ;;
	--seconds) SECONDS_RUN=$2; shift 2 ;;
	--json) JSON=$2; shift 2 ;;
	--keep) KEEP=$2; shift 2 ;;
	*) sed -n "/^# Usage:/,/^# (instructions/p" "$0" >&2; exit 2 ;;
	esac
done
plugin=$build/drivers/net/macvtap/librte_net_macvtap.so
bench=$build/app/dpdk-macvtap-bench
command -v valgrind >/dev/null || { echo "SKIP: callgrind-rx: valgrind is not installed"; exit 0; }
{ [ -f "$plugin" ] && [ -x "$bench" ]; } || { echo "SKIP: callgrind-rx: build first ($build)"; exit 0; }
work=$(mktemp -d "$build/callgrind-rx.XXXXXX")
keep_files() {
	[ -n "$KEEP" ] && mkdir -p "$KEEP" && cp "$work"/*.cg "$KEEP"/ 2>/dev/null
	rm -rf "$work" /var/run/dpdk/mvt_cgrx_$$_*
}
trap keep_files EXIT

# per_object FILE: "object instructions" lines, exclusive costs summed by object.
per_object() {
	callgrind_annotate --inclusive=no --threshold=100 "$1" 2>/dev/null |
		awk '/^ *[0-9,]+ .*\[.*\]$/ {
			n = $1; gsub(",", "", n)
			obj = $NF; gsub(/[][]/, "", obj); sub(/.*\//, "", obj)
			sum[obj] += n }
		     END { for (o in sum) printf "%s %.0f\n", o, sum[o] }'
}
# share OBJECTS_FILE PATTERN: the instructions of the objects whose name matches.
# The datapath's objects: the PMDs, testpmd's loop, the mbuf, mempool, ring and
# ethdev libraries; not the dynamic loader, libc and EAL, whose counts are
# start-up (loading some hundred plugins) and would not scale with the frames.
datapath='librte_net_|dpdk-testpmd|librte_mbuf|librte_mempool|librte_ethdev|librte_ring'

share() { awk -v p="$2" '$1 ~ p { s += $2 } END { printf "%.0f\n", s }' "$1"; }

# run_testpmd NAME VDEV...: testpmd under callgrind for SECONDS_RUN of forwarding;
# prints the frames the sinks took.
run_testpmd() {
	local name=$1 pid
	shift
	valgrind --tool=callgrind --callgrind-out-file="$work/$name.cg" \
		"$testpmd" --no-huge -m 1024 --no-pci -l 0-1 --file-prefix="mvt_cgrx_$$_$name" \
		-d "$plugin" --log-level=pmd.net.macvtap:warning "$@" \
		-- --forward-mode=io --nb-cores=1 --total-num-mbufs=32768 --auto-start \
		--stats-period=1 > "$work/$name.log" 2>&1 < /dev/null &
	pid=$!
	# Forwarding starts after EAL and the ports are up, under valgrind tens of seconds.
	for ((n = 0; n < 1200; n++)); do
		grep -q 'Port statistics' "$work/$name.log" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	sleep "$SECONDS_RUN"
	kill -INT "$pid" 2>/dev/null
	# Closing many ports takes minutes under callgrind: once forwarding has
	# stopped and its statistics are out, dump the counts and end it.
	for ((n = 0; n < 1200; n++)); do
		grep -q 'Accumulated forward statistics' "$work/$name.log" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		callgrind_control --dump "$pid" > /dev/null 2>&1
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	# The dump is the output file's name and a sequence number.
	[ -f "$work/$name.cg.1" ] && mv "$work/$name.cg.1" "$work/$name.cg"
	awk '/Accumulated forward statistics for all ports/ {acc = 1}
	     acc && /TX-packets:/ {print $2; exit}' "$work/$name.log"
}

results=()
IFS=, read -r -a port_counts <<< "$PORTS"
for n in "${port_counts[@]}"; do
	python3 "$HERE/bench_pcap.py" "$work/in_$n.pcap" --dests "$n" >/dev/null || exit 1
	lower="net_pcap0,rx_pcap=$work/in_$n.pcap,infinite_rx=1"
	base_frames=$(run_testpmd "base_$n" --vdev "$lower" --vdev "net_null0,no-rx=1")
	args=(--vdev "$lower")
	for ((i = 0; i < n; i++)); do
		mac=$(printf '02:4d:56:%02x:%02x:%02x' $((i >> 16 & 255)) $((i >> 8 & 255)) $((i & 255)))
		args+=(--vdev "net_macvtap$i,iface=net_pcap0,mac=$mac,mode=bridge"
		       --vdev "net_null$i,no-rx=1")
	done
	mvt_frames=$(run_testpmd "mvt_$n" "${args[@]}")
	if [ -z "$base_frames" ] || [ -z "$mvt_frames" ] || [ "$mvt_frames" = 0 ]; then
		echo "FAIL: callgrind-rx: testpmd with $n ports forwarded nothing: $(tail -3 "$work/mvt_$n.log" | tr '\n' '|')"
		exit 1
	fi
	per_object "$work/base_$n.cg" > "$work/base_$n.obj"
	per_object "$work/mvt_$n.cg" > "$work/mvt_$n.obj"
	line=$(python3 - "$n" "$base_frames" "$mvt_frames" \
		"$(share "$work/base_$n.obj" "$datapath")" "$(share "$work/base_$n.obj" net_pcap)" \
		"$(share "$work/base_$n.obj" net_null)" \
		"$(share "$work/mvt_$n.obj" net_macvtap)" "$(share "$work/mvt_$n.obj" net_pcap)" \
		"$(share "$work/mvt_$n.obj" net_null)" "$(share "$work/mvt_$n.obj" "$datapath")" <<'PY'
import sys
n, bf, mf = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
base_all, base_pcap, base_null, mvt, pcap, null, mvt_all = (int(x) for x in sys.argv[4:11])
# The datapath objects' start-up is in their totals too: small against millions of frames.
print("callgrind-rx: mode=testpmd ports=%d frames=%d macvtap=%.1f lower=%.1f sink=%.1f "
      "total=%.1f base_lower=%.1f base_sink=%.1f base_total=%.1f" % (
          n, mf, mvt / mf, pcap / mf, null / mf, mvt_all / mf, base_pcap / bf,
          base_null / bf, base_all / bf))
PY
)
	echo "$line"
	results+=("$line")

	valgrind --tool=callgrind --callgrind-out-file="$work/own_$n.cg" "$bench" \
		--no-huge -m 1024 --no-pci -l 0 --file-prefix="mvt_cgrx_$$_own$n" -d "$plugin" \
		--log-level=pmd.net.macvtap:warning -- --only "rx:$n:0:1" --rounds 1 \
		--seconds "$SECONDS_RUN" --json "$work/own_$n.json" > "$work/own_$n.log" 2>&1
	per_object "$work/own_$n.cg" > "$work/own_$n.obj"
	line=$(python3 - "$n" "$work/own_$n.json" "$SECONDS_RUN" \
		"$(share "$work/own_$n.obj" net_macvtap)" <<'PY'
import json, sys
n, path, secs, mvt = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
r = [x for x in json.load(open(path))["results"] if x["kind"] == "rx"][0]
frames = r["macvtap_mpps"] * 1e6 * secs
print("callgrind-rx: mode=own ports=%d frames=%d macvtap=%.1f" % (n, frames, mvt / frames))
PY
) || { echo "FAIL: callgrind-rx: the bench under callgrind: $(tail -3 "$work/own_$n.log" | tr '\n' '|')"; exit 1; }
	echo "$line"
	results+=("$line")
done
if [ -n "$JSON" ]; then
	printf '%s\n' "${results[@]}" | python3 -c '
import json, sys
out = []
for l in sys.stdin:
    d = {}
    for kv in l.split()[1:]:
        k, v = kv.split("=")
        d[k] = v if k == "mode" else float(v)
    out.append(d)
json.dump(out, open(sys.argv[1], "w"), indent=1)' "$JSON"
fi
