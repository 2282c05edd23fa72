#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# End-to-end delivery test of net_macvtap with the stock dpdk-testpmd.
#
# Topology (port ids as the vdev bus probes them, in --vdev order):
#   net_pcap0     lower: rx_pcap=in.pcap, tx_pcap=lower_out.pcap (owned by
#                 the driver, so testpmd does not forward on it)
#   net_macvtapN  iface=net_pcap0, mac=02:00:00:00:00:0<N+1>, vepa (default)
#   net_pcap_oN   sink: tx_pcap=outN.pcap (its RX is net_pcap's empty queue)
# With --port-topology=paired and io forwarding testpmd pairs macvtapN with
# sinkN, so outN.pcap is exactly what macvtap port N received.
#
# in.pcap holds unicast frames to each port's MAC, broadcasts and unicast to
# MACs nobody owns, each with a distinct id. Expected: port N gets its own
# unicast plus every broadcast, each once and in capture order; nobody gets
# the unknown unicast; the port counters say the same.
#
# Output: one 'PASS: name', 'FAIL: name: reason' or 'SKIP: name: reason' per
# check; exit 0 when nothing failed, 1 otherwise.
#
# Environment:
#   MACVTAP_BUILD_DIR  build tree (default: <repo>/build)
#   MACVTAP_PLUGIN     plugin .so (default: $MACVTAP_BUILD_DIR/drivers/net/macvtap/librte_net_macvtap.so)
#   TESTPMD            testpmd binary (default: /usr/bin/dpdk-testpmd)
#   KEEP_TMP=1         keep the temporary directory (its path is printed)
#   VERBOSE=1          print the testpmd log

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$here/lib/common.sh"
test_env
pcapgen=$here/lib/pcapgen.py

MACS=(02:00:00:00:00:01 02:00:00:00:00:02 02:00:00:00:00:03)
UNKNOWN_MACS=(02:00:00:00:00:04 02:00:00:00:01:01 0a:bb:cc:dd:ee:ff)
UNICAST_PER_PORT=5
BROADCASTS=4
UNKNOWNS=6

# Seconds: for EAL init up to the first prompt, for forwarding, for the whole run.
PROMPT_WAIT=25
FORWARD_WAIT=2
RUN_TIMEOUT=45

test_start test_cleanup
# testpmd may die before reading all of its commands: a write must not kill us.
trap '' PIPE

# --- prerequisites -----------------------------------------------------------

require plugin-present "no plugin at $plugin (build with: ninja -C $build)" test -f "$plugin"
require testpmd-present "no executable $testpmd (apt-get install dpdk)" test -x "$testpmd"
require_python3
make_test_tmp testpmd_forward mvtp_fwd

# --- the input capture -------------------------------------------------------

gen_args=(scenario "$tmp/in.pcap" --quiet --seed 7
	--unicast "$UNICAST_PER_PORT" --broadcast "$BROADCASTS" --unknown "$UNKNOWNS")
for m in "${MACS[@]}"; do gen_args+=(--mac "$m"); done
for m in "${UNKNOWN_MACS[@]}"; do gen_args+=(--unknown-mac "$m"); done
# The input is a prerequisite, not a check: FAIL and stop without it, no PASS.
if ! python3 "$pcapgen" "${gen_args[@]}" 2>"$tmp/pcapgen.err"; then
	fail "scenario-generated" "pcapgen: $(tr '\n' ' ' <"$tmp/pcapgen.err")"
	finish
fi

# --- run testpmd ---------------------------------------------------------------

vdevs=(--vdev "net_pcap0,rx_pcap=$tmp/in.pcap,tx_pcap=$tmp/lower_out.pcap")
for i in "${!MACS[@]}"; do
	vdevs+=(--vdev "net_macvtap$i,iface=net_pcap0,mac=${MACS[$i]}")
	vdevs+=(--vdev "net_pcap_o$i,tx_pcap=$tmp/out$i.pcap")
done

cmd=("$testpmd" -d "$plugin" --no-huge -m 512 --no-pci --file-prefix="$prefix"
	--log-level=pmd.net.macvtap:info "${vdevs[@]}"
	-- -i --total-num-mbufs=8192 --no-flush-rx --port-topology=paired --forward-mode=io)
printf '%q ' "${cmd[@]}" >"$tmp/cmdline"
[ "${VERBOSE:-0}" = 1 ] && note "running: $(cat "$tmp/cmdline")"

# Commands go through a FIFO so that 'start' is sent only once testpmd shows
# its prompt: a slow EAL init must not merge 'start' and 'stop'.
log=$tmp/testpmd.log
tp_spawn "$tmp/cmd" "$log" 5 "$RUN_TIMEOUT" "${cmd[@]}"

prompt=0
tp_wait_prompts 1 "$PROMPT_WAIT" && prompt=1

if [ "$prompt" = 1 ]; then
	tp_send "show port summary all"
	tp_send "start"
	sleep "$FORWARD_WAIT"
	tp_send "stop"
	tp_send "show port stats all"
	tp_send "show port xstats all"
	tp_send "quit"
fi
tp_wait_exit

why=$(tp_exit_reason "$tp_rc" "$RUN_TIMEOUT")
if [ "$prompt" != 1 ]; then
	fail "testpmd-run" "no testpmd prompt (exit $tp_rc); log tail: $(tp_log_tail 8)"
	finish
elif [ -n "$why" ]; then
	fail "testpmd-run" "$why"
else
	pass "testpmd-run"
fi
if grep -q 'Error during enabling promiscuous' "$log"; then
	note "testpmd could not enable promiscuous mode on some port"
fi

# --- check the captures and the counters ------------------------------------------

python3 - "$tmp" "$here/lib" "${#MACS[@]}" "${MACS[@]}" <<'PYEOF' >"$tmp/verify.out" 2>"$tmp/verify.err"
import os
import re
import sys

tmp, libdir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
macs = sys.argv[4:4 + n]
sys.path.insert(0, libdir)
import pcapgen  # noqa: E402

def out(kind, name, why=None):
    print("%s: %s%s" % (kind, name, "" if why is None else ": " + why), flush=True)

def short(ids, limit=20):
    ids = list(ids)
    s = ",".join("-" if i is None else str(i) for i in ids[:limit])
    return s + (",..." if len(ids) > limit else "")

log = open(os.path.join(tmp, "testpmd.log"), errors="replace").read()

raw_in = pcapgen.read_pcap(os.path.join(tmp, "in.pcap"))
frames_in = [pcapgen.parse_frame(b) for b in raw_in]
by_id = {fid: b for (_d, _s, fid), b in zip(frames_in, raw_in)}
macs = [pcapgen.normalize_mac(m) for m in macs]
owned = set(macs) | {pcapgen.BROADCAST}
unknown_ids = {fid for dst, _s, fid in frames_in if dst not in owned}
expected = [pcapgen.expected_for(frames_in, m) for m in macs]
expected_bytes = [sum(len(by_id[i]) for i in ids) for ids in expected]
n_broadcast = sum(1 for dst, _s, _i in frames_in if dst == pcapgen.BROADCAST)

# Port ids by name from 'show port summary all'.
names = {}
summary = re.search(r"Number of available ports: (\d+)\n.*?\n((?:\d+ +\S+ +\S+ .*\n)+)", log)
if summary:
    for line in summary.group(2).splitlines():
        f = line.split()
        names[f[2]] = int(f[0])
macvtap_ids = [names.get("net_macvtap%d" % i) for i in range(n)]
sink_ids = [names.get("net_pcap_o%d" % i) for i in range(n)]

if not summary:
    out("FAIL", "ports-probed", "no 'show port summary all' output in the testpmd log")
else:
    missing = [k for k in ["net_macvtap%d" % i for i in range(n)] +
               ["net_pcap_o%d" % i for i in range(n)] if k not in names]
    if missing:
        out("FAIL", "ports-probed", "testpmd lists no port %s (it lists %s)"
            % (", ".join(missing), ", ".join(sorted(names)) or "none"))
    else:
        out("PASS", "ports-probed")
    if "net_pcap0" in names:
        out("FAIL", "lower-owned", "the lower net_pcap0 is listed as testpmd port %d"
            % names["net_pcap0"])
    elif int(summary.group(1)) != 2 * n:
        out("FAIL", "lower-owned", "testpmd has %s ports, expected %d"
            % (summary.group(1), 2 * n))
    else:
        out("PASS", "lower-owned")

# The forwarding streams printed by 'start'.
streams = {int(a): int(b) for a, b in
           re.findall(r"RX P=(\d+)/Q=\d+ \(socket \d+\) -> TX P=(\d+)/Q=\d+", log)}
bad = []
for i in range(n):
    m, s = macvtap_ids[i], sink_ids[i]
    if m is None or s is None:
        bad.append("net_macvtap%d/net_pcap_o%d not both present" % (i, i))
    elif streams.get(m) != s:
        bad.append("port %d (net_macvtap%d) forwards to %s, not %d"
                   % (m, i, streams.get(m), s))
if not streams:
    out("FAIL", "pairing", "no forwarding streams in the testpmd log")
elif bad:
    out("FAIL", "pairing", "; ".join(bad))
else:
    out("PASS", "pairing")

# The captures.
got_ids_all = []
for i in range(n):
    name = "capture-macvtap%d" % i
    path = os.path.join(tmp, "out%d.pcap" % i)
    if not os.path.exists(path):
        out("FAIL", name, "out%d.pcap was not written" % i)
        continue
    try:
        raw = pcapgen.read_pcap(path)
    except ValueError as e:
        out("FAIL", name, str(e))
        continue
    got = [pcapgen.parse_frame(b) for b in raw]
    ids = [fid for _d, _s, fid in got]
    got_ids_all += ids
    problems = []
    if ids != expected[i]:
        dup = sorted({x for x in ids if ids.count(x) > 1} - {None})
        miss = [x for x in expected[i] if x not in ids]
        extra = [x for x in ids if x not in expected[i]]
        why = "got ids [%s], expected [%s]" % (short(ids), short(expected[i]))
        if miss:
            why += "; missing %s" % short(miss)
        if extra:
            why += "; unexpected %s" % short(extra)
        if dup:
            why += "; duplicated %s" % short(dup)
        if not (miss or extra or dup):
            why += "; order differs"
        problems.append(why)
    altered = [fid for (_d, _s, fid), b in zip(got, raw) if fid in by_id and by_id[fid] != b]
    if altered:
        problems.append("frames %s differ from the input bytes" % short(altered))
    if problems:
        out("FAIL", name, "; ".join(problems))
    else:
        out("PASS", name)

lower_path = os.path.join(tmp, "lower_out.pcap")
lower_ids = []
if os.path.exists(lower_path):
    try:
        lower_ids = [fid for _d, _s, fid in pcapgen.read_frames(lower_path)]
    except ValueError as e:
        out("FAIL", "lower-tx-empty", str(e))
        lower_ids = None
if lower_ids is not None:
    if lower_ids:
        out("FAIL", "lower-tx-empty", "the lower transmitted %d frames (ids %s); "
            "the sinks send nothing" % (len(lower_ids), short(lower_ids)))
    else:
        out("PASS", "lower-tx-empty")

leaked = sorted(set(x for x in got_ids_all + (lower_ids or []) if x in unknown_ids))
if not unknown_ids:
    # The scenario asks for unknown unicast: without any there is nothing checked.
    out("FAIL", "no-unknown-unicast", "the capture has no unknown unicast to check")
elif leaked:
    out("FAIL", "no-unknown-unicast", "unknown-unicast ids %s were delivered" % short(leaked))
else:
    out("PASS", "no-unknown-unicast")

# 'show port stats all': the last NIC statistics block of each port.
stats = {}
for m in re.finditer(r"NIC statistics for port (\d+) +#+\n(.*?)#{20,}", log, re.S):
    body = m.group(2)
    d = {}
    for key in ("RX-packets", "RX-missed", "RX-bytes", "TX-packets", "TX-errors", "TX-bytes"):
        k = re.search(re.escape(key) + r":\s*(\d+)", body)
        if k:
            d[key] = int(k.group(1))
    stats[int(m.group(1))] = d
for i in range(n):
    name = "stats-macvtap%d" % i
    m, s = macvtap_ids[i], sink_ids[i]
    if m is None or m not in stats:
        out("FAIL", name, "no NIC statistics for net_macvtap%d in the testpmd log" % i)
        continue
    problems = []
    if stats[m].get("RX-packets") != len(expected[i]):
        problems.append("RX-packets %s, expected %d" % (stats[m].get("RX-packets"), len(expected[i])))
    if stats[m].get("RX-bytes") != expected_bytes[i]:
        problems.append("RX-bytes %s, expected %d" % (stats[m].get("RX-bytes"), expected_bytes[i]))
    if s is not None and s in stats and stats[s].get("TX-packets") != len(expected[i]):
        problems.append("sink port %d TX-packets %s, expected %d"
                        % (s, stats[s].get("TX-packets"), len(expected[i])))
    if problems:
        out("FAIL", name, "port %d: " % m + "; ".join(problems))
    else:
        out("PASS", name)

# 'show port xstats all'.
xstats = {}
for m in re.finditer(r"NIC extended statistics for port (\d+) *\n((?:[A-Za-z0-9_\[\].-]+: \d+\n)*)", log):
    xstats[int(m.group(1))] = {k: int(v) for k, v in
                               re.findall(r"^(\S+): (\d+)$", m.group(2), re.M)}
for i in range(n):
    name = "xstats-macvtap%d" % i
    m = macvtap_ids[i]
    if m is None or m not in xstats:
        out("FAIL", name, "no extended statistics for net_macvtap%d in the testpmd log" % i)
        continue
    x = xstats[m]
    # rx_good_packets is ethdev's own; the rest are the driver's.
    want = {"rx_good_packets": len(expected[i]),
            "rx_good_bytes": expected_bytes[i],
            "rx_unicast_packets": len(expected[i]) - n_broadcast,
            "rx_broadcast_packets": n_broadcast,
            "rx_multicast_packets": 0,
            "lower_rx_packets": len(frames_in)}
    problems = []
    for k, v in want.items():
        if k not in x:
            problems.append("no %s xstat" % k)
        elif x[k] != v:
            problems.append("%s %d, expected %d" % (k, x[k], v))
    if problems:
        out("FAIL", name, "port %d: " % m + "; ".join(problems))
    else:
        out("PASS", name)

# The driver counts unknown unicast on the lower (rte_pmd_macvtap_lower_stats
# rx_no_port), shown on every port as lower_rx_no_port_dropped.
name = "xstats-unknown-counted"
found = {}
for i in range(n):
    m = macvtap_ids[i]
    if "lower_rx_no_port_dropped" in xstats.get(m, {}):
        found["port %d lower_rx_no_port_dropped" % m] = xstats[m]["lower_rx_no_port_dropped"]
if len(found) != n:
    out("FAIL", name, "lower_rx_no_port_dropped missing on some macvtap port")
else:
    wrong = ["%s=%d" % (k, v) for k, v in sorted(found.items()) if v != len(unknown_ids)]
    if wrong:
        out("FAIL", name, "expected %d unknown-unicast frames: %s"
            % (len(unknown_ids), ", ".join(wrong)))
    else:
        out("PASS", name)
PYEOF
vrc=$?
cat "$tmp/verify.out"
if grep -q '^FAIL: ' "$tmp/verify.out"; then
	failed=1
fi
if [ "$vrc" != 0 ]; then
	fail "verify" "the checker failed (exit $vrc): $(tail -n 3 "$tmp/verify.err" | tr '\n' '|')"
fi

if [ "$failed" = 1 ]; then
	note "command: $(cat "$tmp/cmdline")"
	grep -E 'macvtap|EAL:|Fail|fail|ERR|[Ee]rror[^s]|Cannot|[Ii]nvalid' "$log" |
		grep -vE '^ *(RX|TX)-|_errors: ' | head -n 30 | sed 's/^/# log: /' >&2
fi
finish
