#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# The driver's telemetry commands (/macvtap/ports, /macvtap/lowers,
# /macvtap/port,<id>, /macvtap/lower,<id>) read from a running dpdk-testpmd,
# with DPDK's own dpdk-telemetry.py and with test/lib/mvh_tel.py.
#
# testpmd: lower net_pcap0 reading a capture once (no infinite_rx, so that the
# counters stop and can be compared for equality), net_macvtap0 (bridge),
# net_macvtap1 (vepa) and net_macvtap2 (source mode, with a source list) on it;
# rxonly forwarding for a second, then stop.
# Checks: the port list is the ports testpmd shows, the lower list is the one
# lower, each port's mode/MAC/lower is what its devargs said, the source list,
# the counters equal testpmd's 'show port stats' and 'show port xstats' for the
# same port, the lower's counters equal the lower_* xstats, and a missing,
# non-numeric, out-of-range or non-macvtap id answers null.
#
# Output: one 'PASS: name', 'FAIL: name: reason' or 'SKIP: name: reason' per
# check; exit 0 when nothing failed, 1 otherwise.
#
# Environment:
#   MACVTAP_BUILD_DIR, MACVTAP_PLUGIN, TESTPMD  as in test/lib/common.sh
#   TELEMETRY_PY       dpdk-telemetry.py (default: /usr/bin/dpdk-telemetry.py)
#   KEEP_TMP=1         keep the temporary directory (its path is printed)
#   VERBOSE=1          print the testpmd log

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$here/lib/common.sh"
test_env
pcapgen=$here/lib/pcapgen.py
mvh_tel=$here/lib/mvh_tel.py
telemetry_py=${TELEMETRY_PY:-/usr/bin/dpdk-telemetry.py}

MAC0=02:00:00:00:00:01
MAC1=02:00:00:00:00:02
MAC2=02:00:00:00:00:03
SRC=02:00:00:00:00:fe          # pcapgen's source MAC: net_macvtap2's source list
SRC_OTHER=02:00:00:00:00:fd

PROMPT_WAIT=25
CMD_WAIT=15
FORWARD_WAIT=1
RUN_TIMEOUT=60

test_start test_cleanup
trap '' PIPE

require plugin-present "no plugin at $plugin (build with: bash $repo/devtools/setup.sh)" test -f "$plugin"
require testpmd-present "no executable $testpmd (apt-get install dpdk)" test -x "$testpmd"
require_python3
make_test_tmp telemetry mvtp_tel

if ! python3 "$pcapgen" scenario "$tmp/in.pcap" --quiet --seed 5 --unicast 6 --broadcast 4 \
	--unknown 3 --mac "$MAC0" --mac "$MAC1" --mac "$MAC2" --src "$SRC" 2>"$tmp/pcapgen.err"; then
	fail "capture-generated" "pcapgen: $(tr '\n' ' ' <"$tmp/pcapgen.err")"
	finish
fi

cmd=("$testpmd" -d "$plugin" -l 0-1 --no-huge -m 512 --no-pci --file-prefix="$prefix"
	--vdev "net_pcap0,rx_pcap=$tmp/in.pcap"
	--vdev "net_macvtap0,iface=net_pcap0,mac=$MAC0,mode=bridge"
	--vdev "net_macvtap1,iface=net_pcap0,mac=$MAC1,mode=vepa"
	--vdev "net_macvtap2,iface=net_pcap0,mac=$MAC2,mode=source,source=[$SRC,$SRC_OTHER]"
	-- -i --total-num-mbufs=8192 --forward-mode=rxonly --port-topology=loop --no-flush-rx)
printf '%q ' "${cmd[@]}" >"$tmp/cmdline"
tp_spawn "$tmp/cmd" "$tmp/testpmd.log" 5 "$RUN_TIMEOUT" "${cmd[@]}"
tp_cmd_init "$tmp" "$PROMPT_WAIT"
if [ "$alive" != 1 ]; then
	fail "testpmd-prompt" "no testpmd prompt; log tail: $(tp_log_tail 8)"
	finish
fi

# tel COMMAND [KEY.PATH]: the answer of mvh_tel.py (JSON, or the one value).
tel() { python3 "$mvh_tel" "$prefix" "$@" 2>>"$tmp/tel.err"; }

tp_cmd "show port summary all"
P0=$(port_named "$last" net_macvtap0)
P1=$(port_named "$last" net_macvtap1)
P2=$(port_named "$last" net_macvtap2)
if [ -z "$P0" ] || [ -z "$P1" ] || [ -z "$P2" ]; then
	fail "ports-probed" "testpmd does not list the three net_macvtap ports"
	finish
fi

# --- lists -----------------------------------------------------------------------

got=$(tel /macvtap/ports)
want="[$(printf '%s\n' "$P0" "$P1" "$P2" | sort -n | paste -sd, | sed 's/,/, /g')]"
if [ "$got" = "$want" ]; then
	pass "ports-list"
else
	fail "ports-list" "/macvtap/ports is '$got', want '$want'"
fi

# The lower is owned by the driver (testpmd does not list it): its id comes from
# the port's own answer, and must be the one entry of /macvtap/lowers.
LOW=$(tel "/macvtap/port,$P0" lower_port_id)
got=$(tel /macvtap/lowers)
if [ -n "$LOW" ] && [ "$got" = "[$LOW]" ] &&
	[ "$(tel "/macvtap/lower,$LOW" name)" = net_pcap0 ]; then
	pass "lowers-list"
else
	fail "lowers-list" "/macvtap/lowers is '$got', port $P0's lower is '$LOW', named '$(tel "/macvtap/lower,$LOW" name)'"
fi

# --- each port as its devargs made it -----------------------------------------------

why=""
for spec in "$P0 bridge $MAC0" "$P1 vepa $MAC1" "$P2 source $MAC2"; do
	read -r p mode mac <<<"$spec"
	m=$(tel "/macvtap/port,$p" mode)
	a=$(tel "/macvtap/port,$p" mac | tr 'A-F' 'a-f')
	l=$(tel "/macvtap/port,$p" lower_port_id)
	n=$(tel "/macvtap/port,$p" lower_name)
	[ "$m" = "$mode" ] || why+="port $p mode '$m' not $mode; "
	[ "$a" = "$mac" ] || why+="port $p mac '$a' not $mac; "
	[ "$l" = "$LOW" ] || why+="port $p lower_port_id '$l' not $LOW; "
	[ "$n" = net_pcap0 ] || why+="port $p lower_name '$n' not net_pcap0; "
	[ "$(tel "/macvtap/port,$p" nb_rx_queues)" = 1 ] || why+="port $p nb_rx_queues not 1; "
done
if [ -z "$why" ]; then pass "port-identity"; else fail "port-identity" "${why%; }"; fi

got=$(tel "/macvtap/port,$P2" sources | tr 'A-F' 'a-f')
if [ "$got" = "[\"$SRC\", \"$SRC_OTHER\"]" ] && ! tel "/macvtap/port,$P0" sources >/dev/null; then
	pass "source-list"
else
	fail "source-list" "port $P2 sources '$got', want [$SRC, $SRC_OTHER] (and none on $P0)"
fi

# --- counters against testpmd's own --------------------------------------------------

tp_cmd "start"
sleep "$FORWARD_WAIT"
tp_cmd "stop"
tp_cmd "show port stats all"
stats_parse "$last" >"$tmp/stats"
tp_cmd "show port xstats all"
xstats_parse "$last" >"$tmp/xstats"
[ "$alive" = 1 ] || { fail "testpmd-alive" "$(tp_dead_reason testpmd)"; finish; }

why=""
for p in "$P0" "$P1" "$P2"; do
	want=$(awk -v p="$p" '$1 == p {print $2}' "$tmp/stats")
	got=$(tel "/macvtap/port,$p" counters.ipackets)
	[ -n "$want" ] && [ "$got" = "$want" ] || why+="port $p ipackets '$got', testpmd RX-packets '$want'; "
	for x in rx_unicast_packets rx_broadcast_packets rx_ring_full_dropped lower_rx_packets \
		lower_rx_no_port_dropped; do
		want=$(awk -v p="$p" -v n="$x" '$1 == p && $2 == n {print $3}' "$tmp/xstats")
		got=$(tel "/macvtap/port,$p" "counters.$x")
		[ -n "$want" ] && [ "$got" = "$want" ] || why+="port $p $x '$got', xstats '$want'; "
	done
	q=$(tel "/macvtap/port,$p" rx_queues)
	qp=$(python3 -c 'import json,sys; q=json.loads(sys.argv[1]); print(sum(e["packets"] for e in q.values()), len(q) == 1 and all(e["ring_capacity"] > 0 and e["ring_count"] <= e["ring_capacity"] for e in q.values()))' "$q" 2>/dev/null)
	[ "$qp" = "$(tel "/macvtap/port,$p" counters.ipackets) True" ] || why+="port $p rx_queues '$q' do not add up; "
done
# The capture: 6 unicast to each port, 4 broadcast, 3 to unknown MACs.
u0=$(tel "/macvtap/port,$P0" counters.rx_unicast_packets)
b0=$(tel "/macvtap/port,$P0" counters.rx_broadcast_packets)
[ "$u0" = 6 ] && [ "$b0" = 4 ] || why+="port $P0 got $u0 unicast / $b0 broadcast, want 6 / 4; "
if [ -z "$why" ]; then pass "port-counters"; else fail "port-counters" "${why%; }"; fi

why=""
for x in rx_packets rx_no_port_dropped rx_no_listener_dropped rx_runt_dropped rx_nodst_dropped; do
	want=$(awk -v p="$P0" -v n="lower_${x}" '$1 == p && $2 == n {print $3}' "$tmp/xstats")
	got=$(tel "/macvtap/lower,$LOW" "counters.$x")
	[ -n "$want" ] && [ "$got" = "$want" ] || why+="lower $x '$got', port $P0 xstat lower_$x '$want'; "
done
# At least the 3 frames to unknown MACs. (This run counts 9: the 6 to
# net_macvtap2's own MAC count too, as no port takes them by destination; the
# source-mode port takes them, and every other frame from $SRC, by source.)
got=$(tel "/macvtap/lower,$LOW" counters.rx_no_port_dropped)
[ -n "$got" ] && [ "$got" -ge 3 ] || why+="lower rx_no_port_dropped '$got', want at least 3 (the frames to unknown MACs); "
got=$(tel "/macvtap/lower,$LOW" counters.rx_packets)
[ "$got" = $((3 * 6 + 4 + 3)) ] || why+="lower rx_packets '$got', want $((3 * 6 + 4 + 3)); "
# Polls: some found frames, and once the capture ran out, some found none.
polls=$(tel "/macvtap/lower,$LOW" counters.polls)
empty=$(tel "/macvtap/lower,$LOW" counters.empty_polls)
[ -n "$polls" ] && [ -n "$empty" ] && [ "$empty" -gt 0 ] && [ "$polls" -gt "$empty" ] ||
	why+="lower polls '$polls', empty_polls '$empty' (want 0 < empty < polls); "
if [ -z "$why" ]; then pass "lower-counters"; else fail "lower-counters" "${why%; }"; fi

got=$(tel "/macvtap/lower,$LOW" ports)
want="[$(printf '%s\n' "$P0" "$P1" "$P2" | sort -n | paste -sd, | sed 's/,/, /g')]"
own=$(tel "/macvtap/lower,$LOW" owner)
filt=$(tel "/macvtap/lower,$LOW" mac_filters)
if [ "$got" = "$want" ] && [ -n "$own" ] &&
	python3 -c 'import json,sys; f=json.loads(sys.argv[1]); m={e["mac"].lower() for e in f.values()}; sys.exit(not {sys.argv[2], sys.argv[3], sys.argv[4]} <= m)' \
		"$filt" "$MAC0" "$MAC1" "$MAC2" 2>/dev/null &&
	[ -n "$(tel "/macvtap/lower,$LOW" promiscuous_refs)" ]; then
	pass "lower-state"
else
	fail "lower-state" "ports '$got' (want '$want'), owner '$own', mac_filters '$filt'"
fi

# --- bad parameters answer null -------------------------------------------------------

why=""
for c in /macvtap/port /macvtap/port,abc "/macvtap/port,${P0}x" /macvtap/port,-1 \
	/macvtap/port,65535 /macvtap/port,99999999999 "/macvtap/port,$LOW" \
	/macvtap/lower /macvtap/lower,abc "/macvtap/lower,$P0" /macvtap/lower,1000; do
	got=$(tel "$c")
	[ "$got" = null ] || why+="'$c' answers '$got'; "
done
if [ -z "$why" ]; then pass "bad-params-null"; else fail "bad-params-null" "${why%; }"; fi

# --- with DPDK's own client ---------------------------------------------------------------

if [ ! -x "$telemetry_py" ] && [ ! -f "$telemetry_py" ]; then
	skip "dpdk-telemetry-py" "no $telemetry_py"
else
	printf '%s\n' /macvtap/ports "/macvtap/port,$P2" "/macvtap/port,abc" |
		timeout 30 python3 "$telemetry_py" -f "$prefix" >"$tmp/dt.out" 2>&1
	# It prints each answer as a JSON object (indented); take them in order.
	res=$(python3 - "$tmp/dt.out" "$P0" "$P1" "$P2" "$MAC2" "$SRC" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
dec = json.JSONDecoder()
objs, i = [], 0
while True:
    i = text.find("{", i)
    if i < 0:
        break
    try:
        o, j = dec.raw_decode(text, i)
    except ValueError:
        i += 1
        continue
    objs.append(o)
    i = j
ans = [o for o in objs if any(k.startswith("/macvtap/") for k in o)]
want_ports = sorted(int(p) for p in sys.argv[2:5])
ok = (len(ans) == 3 and ans[0].get("/macvtap/ports") == want_ports
      and ans[1]["/macvtap/port"]["mode"] == "source"
      and ans[1]["/macvtap/port"]["mac"].lower() == sys.argv[5]
      and sys.argv[6] in [s.lower() for s in ans[1]["/macvtap/port"]["sources"]]
      and ans[2].get("/macvtap/port", 0) is None)
print("ok" if ok else "answers: %s" % json.dumps(ans)[:400])
PY
)
	if [ "$res" = ok ]; then
		pass "dpdk-telemetry-py"
	else
		fail "dpdk-telemetry-py" "$res; output: $(head -c 300 "$tmp/dt.out" | tr '\n' ' ')"
	fi
fi

# --- still alive, quits -----------------------------------------------------------------------

tp_send "quit"
tp_wait_exit
why=$(tp_exit_reason "$tp_rc" "$RUN_TIMEOUT")
if [ -z "$why" ]; then pass "testpmd-quit"; else fail "testpmd-quit" "$why"; fi

finish
