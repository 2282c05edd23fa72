#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Runtime control of net_macvtap ports in one interactive dpdk-testpmd:
# hot attach and detach, bad devargs, administrative link down/up, all while
# the other ports keep receiving.
#
# Topology (port ids as probed; the lower is owned by the driver, so testpmd
# neither lists nor polls it):
#   net_pcap0     lower: rx_pcap=in.pcap,infinite_rx=1 (the capture replays
#                 forever, so the ports receive for as long as they poll)
#   net_macvtap0  iface=net_pcap0, mac=MAC1     (from the command line)
#   net_macvtap1  iface=net_pcap0, mac=MAC2     (from the command line)
#   net_macvtap2  iface=net_pcap0, mac=MAC3     (attached at run time)
# in.pcap holds unicast frames to MAC1..MAC3, broadcasts and unicast to MACs
# that nobody owns. testpmd runs rxonly forwarding; progress is read from
# 'show port stats' (RX-packets counts frames the driver put on a port's RX
# queue) and 'show port xstats'.
#
# Checks:
#   (a) 'port attach net_macvtap2,...' while forwarding: the port appears, the
#       driver logs its probe, the other ports' RX counters keep growing across
#       the attach and across 'port start'; once forwarding includes it, the
#       port receives exactly its share of the capture (its unicast and the
#       broadcasts) and frames to its MAC stop counting as "no port".
#   (b) 'port stop', 'port close', 'port detach' of that port while the other
#       ports forward; they keep growing. In testpmd 22.11 'port close'
#       releases the port id (rte_eth_dev_close does, for every PMD: net_null
#       behaves the same), so 'port detach N' then answers "Invalid port_id=N"
#       and the device is removed by name with 'device detach net_macvtap2'.
#       The name and MAC are free again: the same devargs attach anew, and
#       'port stop' + 'port detach' (no close: the bus removes the device and
#       the driver closes the port) removes it.
#   (c) attaches with bad devargs fail, each with a driver log line naming the
#       offending key; testpmd keeps running and the ports keep forwarding;
#       the failed name can then be attached with good devargs.
#   (d) 'set link-down port N' / 'set link-up port N': 'show port info N'
#       follows, the application gets an LSC event, port N receives nothing
#       while down, the other port is unaffected.
#   and testpmd quits cleanly; the driver logged (log type pmd.net.macvtap,
#   enabled at info) what was expected and nothing else.
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

MAC1=02:00:00:00:00:01
MAC2=02:00:00:00:00:02
MAC3=02:00:00:00:00:03
MAC_SPARE=02:00:00:00:00:05   # for the good attach after the bad ones
UNKNOWN_MACS=(02:00:00:00:00:04 0a:bb:cc:dd:ee:ff)
UNICAST=5      # frames to each of MAC1..MAC3 per capture pass
BROADCAST=4
UNKNOWN=3
PASS_LEN=$((3 * UNICAST + BROADCAST + UNKNOWN))

# Seconds.
PROMPT_WAIT=25   # EAL init up to the first prompt
CMD_WAIT=15      # one command up to its next prompt
GAP=0.5          # between two counter samples
FORWARD_WAIT=1   # forwarding time for the delivery accounting
RUN_TIMEOUT=55   # the whole testpmd run

test_start test_cleanup
trap '' PIPE

# --- prerequisites -----------------------------------------------------------

require plugin-present "no plugin at $plugin (build with: bash $repo/devtools/setup.sh)" test -f "$plugin"
require testpmd-present "no executable $testpmd (apt-get install dpdk)" test -x "$testpmd"
require_python3
make_test_tmp testpmd_runtime mvtp_rt

gen_args=(scenario "$tmp/in.pcap" --quiet --seed 11
	--unicast "$UNICAST" --broadcast "$BROADCAST" --unknown "$UNKNOWN"
	--mac "$MAC1" --mac "$MAC2" --mac "$MAC3")
for m in "${UNKNOWN_MACS[@]}"; do gen_args+=(--unknown-mac "$m"); done
# The input is a prerequisite, not a check: FAIL and stop without it, no PASS.
if ! python3 "$pcapgen" "${gen_args[@]}" 2>"$tmp/pcapgen.err"; then
	fail "capture-generated" "pcapgen: $(tr '\n' ' ' <"$tmp/pcapgen.err")"
	finish
fi

# --- testpmd and how to talk to it ----------------------------------------------

# --burst=64: each rx burst of a port polls one lower burst (32 frames) for
# every port, so with three ports a 32-frame burst could let rings fill up.
cmd=("$testpmd" -d "$plugin" -l 0-1 --no-huge -m 512 --no-pci --file-prefix="$prefix"
	--log-level=pmd.net.macvtap:info
	--vdev "net_pcap0,rx_pcap=$tmp/in.pcap,infinite_rx=1"
	--vdev "net_macvtap0,iface=net_pcap0,mac=$MAC1"
	--vdev "net_macvtap1,iface=net_pcap0,mac=$MAC2"
	-- -i --total-num-mbufs=8192 --forward-mode=rxonly --port-topology=loop
	--no-flush-rx --burst=64)
printf '%q ' "${cmd[@]}" >"$tmp/cmdline"
[ "${VERBOSE:-0}" = 1 ] && note "running: $(cat "$tmp/cmdline")"

log=$tmp/testpmd.log
tp_spawn "$tmp/cmd" "$log" 5 "$RUN_TIMEOUT" "${cmd[@]}"

# tp_cmd CMD (test/lib/common.sh) sends one command and leaves its output in
# $last; once testpmd is gone or stuck, alive=0 and no command is sent.
tp_cmd_init "$tmp" "$PROMPT_WAIT"
if [ "$alive" != 1 ]; then
	fail "testpmd-prompt" "no testpmd prompt; log tail: $(tp_log_tail 8)"
	note "command: $(cat "$tmp/cmdline")"
	finish
fi
pass "testpmd-prompt"

# --- parsers (all read one command's output file; the others are in common.sh) ----

# The output file of a command, one line, for reasons.
brief() { tail -n +2 "$1" | grep -v -e '^testpmd> ' -e '^ *$' | head -n "${2:-4}" | tr '\n' '|' | cut -c1-400; }

# rx_of SNAP PORT: the RX-packets of PORT in the sample 'snap SNAP' took.
rx_of() { awk -v p="$2" '$1 == p {print $2}' "$tmp/snap.$1"; }

# growing "SNAP..." "PORT...": empty if each port's counter strictly grows along
# the samples, else the reason.
growing() {
	local snaps=$1 ports=$2 p s v prev why=""
	for p in $ports; do
		prev=""
		for s in $snaps; do
			v=$(rx_of "$s" "$p")
			if [ -z "$v" ]; then
				why+="port $p has no counter in sample '$s'; "
				break
			fi
			if [ -n "$prev" ] && [ "$v" -le "$prev" ]; then
				why+="port $p RX-packets stalled at sample '$s' ($prev -> $v); "
				break
			fi
			prev=$v
		done
	done
	echo "${why%; }"
}
# samples "SNAP..." "PORT...": the counters, for notes.
samples() {
	local p s out=""
	for p in $2; do
		out+="port $p:"
		for s in $1; do out+=" $(rx_of "$s" "$p")"; done
		out+="; "
	done
	echo "${out%; }"
}

# --- start: the two command-line ports -------------------------------------------

tp_cmd "show port summary all"
P0=$(port_named "$last" net_macvtap0)
P1=$(port_named "$last" net_macvtap1)
if [ -z "$P0" ] || [ -z "$P1" ]; then
	fail "ports-probed" "testpmd does not list net_macvtap0 and net_macvtap1: $(brief "$last" 6)"
	finish
elif [ -n "$(port_named "$last" net_pcap0)" ]; then
	fail "ports-probed" "the lower net_pcap0 is listed as a testpmd port (it should be owned by the driver)"
else
	pass "ports-probed"
fi
OTHERS="$P0 $P1"

tp_cmd "start"
snap s0
sleep "$GAP"
snap s1
why=$(growing "s0 s1" "$OTHERS")
if [ "$alive" != 1 ]; then
	fail "forwarding" "$(tp_dead_reason testpmd)"
	finish
elif [ -n "$why" ]; then
	fail "forwarding" "before any runtime change: $why"
	finish
else
	pass "forwarding"
fi

# --- (a) attach at run time ------------------------------------------------------

tp_cmd "port attach net_macvtap2,iface=net_pcap0,mac=$MAC3"
attach_out=$last
PN=$(sed -n 's/^Port \([0-9]\+\) is attached.*/\1/p' "$attach_out" | head -n 1)
snap s2
sleep "$GAP"
snap s3
if [ -z "$PN" ]; then
	fail "attach-runtime" "testpmd did not attach net_macvtap2: $(brief "$attach_out" 6)"
elif ! grep -qE "^net_macvtap: net_macvtap2: port $PN, mac $MAC3, mode vepa, iface=net_pcap0" "$attach_out"; then
	fail "attach-runtime" "port $PN attached but the driver's probe log line is missing: $(brief "$attach_out" 6)"
else
	pass "attach-runtime"
fi
why=$(growing "s1 s2 s3" "$OTHERS")
if [ "$alive" != 1 ]; then
	fail "attach-others-forwarding" "$(tp_dead_reason testpmd)"
elif [ -n "$why" ]; then
	fail "attach-others-forwarding" "$why"
else
	pass "attach-others-forwarding"
fi

if [ -n "$PN" ]; then
	tp_cmd "port start $PN"
	start_out=$last
	snap s4
	tp_cmd "show port info $PN"
	info_out=$last
	sleep "$GAP"
	snap s5
	why=$(growing "s3 s4 s5" "$OTHERS")
	if [ "$alive" != 1 ]; then
		fail "attach-start" "$(tp_dead_reason testpmd)"
	elif grep -qiE 'fail|error|cannot' "$start_out"; then
		fail "attach-start" "port start $PN: $(brief "$start_out" 6)"
	elif [ "$(link_of "$info_out")" != up ]; then
		fail "attach-start" "port $PN started but 'show port info' says link '$(link_of "$info_out")'"
	elif [ -n "$why" ]; then
		fail "attach-start" "the other ports stopped receiving across 'port start $PN': $why"
	else
		pass "attach-start"
	fi

	# Forwarding again, now with the new port, from zeroed counters.
	tp_cmd "stop"
	tp_cmd "clear port xstats all"
	tp_cmd "start"
	fwd_out=$last
	sleep "$FORWARD_WAIT"
	tp_cmd "stop"
	tp_cmd "show port xstats all"
	xstats_parse "$last" >"$tmp/xs.a"
	if [ "$alive" != 1 ]; then
		fail "attach-receives" "$(tp_dead_reason testpmd)"
	elif ! grep -qE "RX P=$PN/Q=0" "$fwd_out"; then
		fail "attach-receives" "'start' did not include port $PN in forwarding: $(brief "$fwd_out" 4)"
	else
		# The capture repeats, so over L lower frames a port owning one MAC
		# gets L*UNICAST/PASS_LEN unicast frames give or take one pass, and
		# L*BROADCAST/PASS_LEN broadcasts; ring-full drops only lower these.
		# A crash of this checker must not read as "no problem found".
		why=$(python3 - "$tmp/xs.a" "$PN" "$P0" "$PASS_LEN" "$UNICAST" "$BROADCAST" "$UNKNOWN" \
			2>"$tmp/xs.err" <<'PYEOF'
import sys
path, pn, p0 = sys.argv[1], sys.argv[2], sys.argv[3]
n, u, b, x = (int(a) for a in sys.argv[4:8])
xs = {}
for line in open(path):
    p, k, v = line.split()
    xs.setdefault(p, {})[k] = int(v)
why = []
for port, role in ((pn, "attached"), (p0, "net_macvtap0")):
    s = xs.get(port)
    if s is None:
        why.append("no xstats for port %s" % port)
        continue
    keys = ("lower_rx_packets", "rx_unicast_packets", "rx_broadcast_packets",
            "rx_multicast_packets", "rx_ring_full_dropped", "lower_rx_no_port_dropped")
    miss = [k for k in keys if k not in s]
    if miss:
        why.append("port %s lacks xstats %s" % (port, ",".join(miss)))
        continue
    L, d = s["lower_rx_packets"], s["rx_ring_full_dropped"]
    if L < 20 * n:
        why.append("port %s: only %d frames came from the lower" % (port, L))
        continue
    for key, per in (("rx_unicast_packets", u), ("rx_broadcast_packets", b)):
        exp = L * per / n
        if not exp - per - d <= s[key] <= exp + per:
            why.append("port %s (%s) %s=%d, expected %.0f +-%d (lower_rx_packets=%d, "
                       "ring drops %d)" % (port, role, key, s[key], exp, per, L, d))
    if s["rx_multicast_packets"] != 0:
        why.append("port %s rx_multicast_packets=%d" % (port, s["rx_multicast_packets"]))
    nop = s["lower_rx_no_port_dropped"]
    if abs(nop - L * x / n) > x:
        why.append("port %s: lower_rx_no_port_dropped=%d, expected %.0f +-%d (only the "
                   "unknown MACs; frames to the attached MAC must reach it)"
                   % (port, nop, L * x / n, x))
print("; ".join(why))
PYEOF
) || why="the checker failed (exit $?): $(tail -n 1 "$tmp/xs.err")${why:+; $why}"
		if [ -n "$why" ]; then
			fail "attach-receives" "$why"
		else
			pass "attach-receives"
			note "attach-receives: port $PN: $(awk -v p="$PN" '$1 == p && ($2 ~ /^rx_(unicast|broadcast)_packets$|^lower_rx_packets$|ring_full/) {printf "%s=%s ", $2, $3}' "$tmp/xs.a")"
		fi
	fi
else
	skip "attach-start" "nothing was attached"
	skip "attach-receives" "nothing was attached"
fi

# --- (b) stop, close, detach while the others forward -------------------------------

if [ -n "$PN" ] && [ "$alive" = 1 ]; then
	# testpmd refuses to stop a port of its forwarding configuration while
	# forwarding: forward on the two others only.
	tp_cmd "set portlist $P0,$P1"
	tp_cmd "start"
	snap b0
	tp_cmd "port stop $PN"
	stop_out=$last
	tp_cmd "show port info $PN"
	stop_info=$last
	snap b1
	if [ "$alive" != 1 ]; then
		fail "detach-stop" "$(tp_dead_reason testpmd)"
	elif grep -qE 'Please|fail|Fail|error' "$stop_out" || ! grep -q '^Done' "$stop_out"; then
		fail "detach-stop" "port stop $PN: $(brief "$stop_out" 5)"
	elif [ "$(link_of "$stop_info")" != down ]; then
		fail "detach-stop" "port $PN stopped but its link is '$(link_of "$stop_info")'"
	else
		pass "detach-stop"
	fi

	tp_cmd "port close $PN"
	close_out=$last
	tp_cmd "show port summary all"
	close_sum=$last
	snap b2
	if [ "$alive" != 1 ]; then
		fail "detach-close" "$(tp_dead_reason testpmd)"
	elif ! grep -q "^Port $PN is closed" "$close_out"; then
		fail "detach-close" "port close $PN: $(brief "$close_out" 5)"
	elif [ -n "$(port_named "$close_sum" net_macvtap2)" ]; then
		fail "detach-close" "port $PN is still listed after 'port close'"
	else
		pass "detach-close"
	fi

	tp_cmd "port detach $PN"
	detach_out=$last
	how=""
	if grep -q '^Device is detached' "$detach_out"; then
		how="port detach"
	elif grep -qE "Invalid port(_id=| )$PN" "$detach_out"; then
		# testpmd 22.11: rte_eth_dev_close() releases the port, so after
		# 'port close' its id is gone and 'port detach' refuses it (net_null
		# does the same); the device is then removed by name.
		note "'port detach $PN' after 'port close $PN': $(brief "$detach_out" 1) (testpmd 22.11: close releases the port id); removing the device by name"
		tp_cmd "device detach net_macvtap2"
		detach_out=$last
		grep -q '^Device net_macvtap2 is detached' "$detach_out" && how="device detach"
	fi
	snap b3
	sleep "$GAP"
	snap b4
	if [ "$alive" != 1 ]; then
		fail "detach-device" "$(tp_dead_reason testpmd)"
	elif [ -z "$how" ]; then
		fail "detach-device" "the device was not detached: $(brief "$detach_out" 5)"
	elif grep -qE '^net_macvtap: ' "$detach_out"; then
		fail "detach-device" "detached ($how), but the driver logged: $(grep -E '^net_macvtap: ' "$detach_out" | head -n 3 | tr '\n' '|')"
	else
		pass "detach-device"
	fi
	why=$(growing "b0 b1 b2 b3 b4" "$OTHERS")
	if [ "$alive" != 1 ]; then
		fail "detach-others-forwarding" "$(tp_dead_reason testpmd)"
	elif [ -n "$why" ]; then
		fail "detach-others-forwarding" "$why (samples: $(samples "b0 b1 b2 b3 b4" "$OTHERS"))"
	else
		pass "detach-others-forwarding"
	fi

	# The name and the MAC are free again; detach without close this time
	# (the bus removes the device, the driver closes the port itself).
	tp_cmd "port attach net_macvtap2,iface=net_pcap0,mac=$MAC3"
	re_out=$last
	PR=$(sed -n 's/^Port \([0-9]\+\) is attached.*/\1/p' "$re_out" | head -n 1)
	if [ -z "$PR" ]; then
		fail "reattach-detach" "attaching net_macvtap2 with mac=$MAC3 again failed: $(brief "$re_out" 5)"
	else
		tp_cmd "stop"
		tp_cmd "port start $PR"
		tp_cmd "show port info $PR"
		re_link=$(link_of "$last")
		tp_cmd "port stop $PR"
		tp_cmd "port detach $PR"
		re_det=$last
		tp_cmd "show port summary all"
		re_sum=$last
		tp_cmd "start"
		if [ "$alive" != 1 ]; then
			fail "reattach-detach" "$(tp_dead_reason testpmd)"
		elif [ "$re_link" != up ]; then
			fail "reattach-detach" "re-attached port $PR started with link '$re_link'"
		elif ! grep -q '^Device is detached' "$re_det"; then
			fail "reattach-detach" "port stop + port detach $PR: $(brief "$re_det" 6)"
		elif [ "$(summary_ports "$re_sum" | awk '{print $2}' | sort | tr '\n' ' ')" != "net_macvtap0 net_macvtap1 " ]; then
			fail "reattach-detach" "after the detach testpmd lists: $(summary_ports "$re_sum" | tr '\n' ';')"
		else
			pass "reattach-detach"
		fi
	fi
else
	for c in detach-stop detach-close detach-device detach-others-forwarding reattach-detach; do
		skip "$c" "no attached port (or testpmd gone)"
	done
fi

# --- (c) bad devargs ------------------------------------------------------------

# "check name|devargs|the key the driver's log line must name"
BAD=(
	"bad-devargs-mac-syntax|net_macvtap3,iface=net_pcap0,mac=zz|mac"
	"bad-devargs-unknown-key|net_macvtap3,iface=net_pcap0,mac=$MAC_SPARE,bogus=1|bogus"
	"bad-devargs-mode|net_macvtap3,iface=net_pcap0,mac=$MAC_SPARE,mode=sideways|mode"
	"bad-devargs-no-such-lower|net_macvtap3,iface=net_nope,mac=$MAC_SPARE|iface"
	"bad-devargs-no-iface|net_macvtap3,mac=$MAC_SPARE|iface"
	"bad-devargs-mac-in-use|net_macvtap3,iface=net_pcap0,mac=$MAC1|mac"
)
expected_errors=()
snap c0
for entry in "${BAD[@]}"; do
	IFS='|' read -r name devargs key <<<"$entry"
	tp_cmd "port attach $devargs"
	out=$last
	drv=$(grep -E '^net_macvtap: ' "$out" | head -n 1)
	[ -n "$drv" ] && expected_errors+=("$drv")
	if [ "$alive" != 1 ]; then
		fail "$name" "$(tp_dead_reason testpmd)"
		break
	elif grep -q 'is attached' "$out"; then
		fail "$name" "the attach succeeded: $(brief "$out" 5)"
	elif ! grep -q 'Failed to attach port' "$out"; then
		fail "$name" "testpmd did not report a failed attach: $(brief "$out" 5)"
	elif [ -z "$drv" ]; then
		fail "$name" "no driver log line: $(brief "$out" 5)"
	elif ! echo "$drv" | grep -qE "^net_macvtap: net_macvtap3: .*\\b$key\\b"; then
		fail "$name" "the driver's line names neither the device nor the key '$key': $drv"
	else
		pass "$name"
	fi
done
tp_cmd "show port summary all"
c_sum=$last
snap c1
sleep "$GAP"
snap c2
why=$(growing "c0 c1 c2" "$OTHERS")
if [ "$alive" != 1 ]; then
	fail "bad-devargs-testpmd-alive" "$(tp_dead_reason testpmd)"
elif [ "$(summary_ports "$c_sum" | awk '{print $2}' | sort | tr '\n' ' ')" != "net_macvtap0 net_macvtap1 " ]; then
	fail "bad-devargs-testpmd-alive" "after the failed attaches testpmd lists: $(summary_ports "$c_sum" | tr '\n' ';')"
elif [ -n "$why" ]; then
	fail "bad-devargs-testpmd-alive" "$why"
else
	pass "bad-devargs-testpmd-alive"
fi

tp_cmd "port attach net_macvtap3,iface=net_pcap0,mac=$MAC_SPARE"
good_out=$last
PG=$(sed -n 's/^Port \([0-9]\+\) is attached.*/\1/p' "$good_out" | head -n 1)
if [ "$alive" != 1 ]; then
	fail "bad-devargs-name-reusable" "$(tp_dead_reason testpmd)"
elif [ -z "$PG" ]; then
	fail "bad-devargs-name-reusable" "net_macvtap3 with good devargs did not attach after the failed attempts: $(brief "$good_out" 5)"
else
	# Never started: testpmd has it stopped, so it may go at once.
	tp_cmd "port detach $PG"
	if grep -q '^Device is detached' "$last"; then
		pass "bad-devargs-name-reusable"
	else
		fail "bad-devargs-name-reusable" "attached as port $PG, but 'port detach $PG': $(brief "$last" 5)"
	fi
fi

# --- (d) administrative link down/up ---------------------------------------------------

tp_cmd "set link-down port $P0"
down_out=$last
tp_cmd "show port info $P0"
down_info=$last
tp_cmd "show port info $P1"
other_info=$last
snap d0
sleep "$GAP"
snap d1
if [ "$alive" != 1 ]; then
	fail "link-down" "$(tp_dead_reason testpmd)"
elif grep -qiE 'fail|error' "$down_out"; then
	fail "link-down" "set link-down port $P0: $(brief "$down_out" 4)"
elif [ "$(link_of "$down_info")" != down ]; then
	fail "link-down" "'show port info $P0' says link '$(link_of "$down_info")' after set link-down"
elif ! grep -q "Port $P0: link state change event" "$down_out"; then
	fail "link-down" "no LSC event for port $P0: $(brief "$down_out" 4)"
elif [ "$(rx_of d0 "$P0")" != "$(rx_of d1 "$P0")" ]; then
	fail "link-down" "port $P0 still receives while down: RX-packets $(rx_of d0 "$P0") -> $(rx_of d1 "$P0")"
elif [ "$(link_of "$other_info")" != up ]; then
	fail "link-down" "port $P1's link went '$(link_of "$other_info")' too"
elif [ -n "$(growing "d0 d1" "$P1")" ]; then
	fail "link-down" "the other port stopped: $(growing "d0 d1" "$P1")"
else
	pass "link-down"
fi

tp_cmd "set link-up port $P0"
up_out=$last
tp_cmd "show port info $P0"
up_info=$last
snap d2
sleep "$GAP"
snap d3
if [ "$alive" != 1 ]; then
	fail "link-up" "$(tp_dead_reason testpmd)"
elif grep -qiE 'fail|error' "$up_out"; then
	fail "link-up" "set link-up port $P0: $(brief "$up_out" 4)"
elif [ "$(link_of "$up_info")" != up ]; then
	fail "link-up" "'show port info $P0' says link '$(link_of "$up_info")' after set link-up"
elif ! grep -q "Port $P0: link state change event" "$up_out"; then
	fail "link-up" "no LSC event for port $P0: $(brief "$up_out" 4)"
elif [ -n "$(growing "d1 d2 d3" "$OTHERS")" ]; then
	fail "link-up" "$(growing "d1 d2 d3" "$OTHERS")"
else
	pass "link-up"
fi

# --- quit and the log -----------------------------------------------------------

tp_cmd "stop"
if [ "$alive" = 1 ]; then
	tp_send quit
fi
tp_wait_exit

why=$(tp_exit_reason "$tp_rc" "$RUN_TIMEOUT")
if [ -n "$why" ]; then
	fail "testpmd-quit" "$why"
else
	pass "testpmd-quit"
fi

# Every driver line (pmd.net.macvtap prefixes them with "net_macvtap: ") must be
# one we caused. The INFO lines show the log type was enabled at info.
drv_lines=$(grep -E '^net_macvtap: ' "$log")
missing=()
for want in "net_macvtap: net_macvtap0: port $P0, mac $MAC1, mode vepa, iface=net_pcap0" \
	    "net_macvtap: net_macvtap1: port $P1, mac $MAC2, mode vepa, iface=net_pcap0" \
	    "net_macvtap: iface=net_pcap0: lower port " \
	    "net_macvtap: net_macvtap2: port "; do
	grep -qF -- "$want" <<<"$drv_lines" || missing+=("$want")
done
unexpected=$(grep -vE -e '^net_macvtap: net_macvtap[0-3]: port [0-9]+, mac ' \
	-e '^net_macvtap: iface=net_pcap0: lower port [0-9]+ started with ' \
	-e '^net_macvtap: iface=net_pcap0: [0-9]+ mbufs of mvt_lower_[0-9]+ still held by the lower; freed once they are back$' <<<"$drv_lines" |
	grep -vxF -f <(printf '%s\n' "${expected_errors[@]}") | grep -v '^$')
if [ "${#missing[@]}" -ne 0 ]; then
	fail "driver-log" "missing driver lines: $(printf '%s|' "${missing[@]}")"
elif [ -n "$unexpected" ]; then
	fail "driver-log" "unexpected driver lines: $(head -n 5 <<<"$unexpected" | tr '\n' '|')"
else
	pass "driver-log"
fi

# When the last port closes the driver stops the lower and frees its pool, or
# keeps it if mbufs are still out. net_pcap with infinite_rx holds a copy of
# each capture frame until the lower is closed, which the driver does not do:
# exactly that many may be out; more would be the driver's leak.
out_line=$(grep -E '^net_macvtap: iface=net_pcap0: [0-9]+ mbufs of mvt_lower_[0-9]+ still held by the lower' "$log" | head -n 1)
if [ -z "$out_line" ]; then
	pass "lower-pool-at-exit"
else
	n_out=$(sed -E 's/.*: ([0-9]+) mbufs of mvt_lower_.*/\1/' <<<"$out_line")
	if [ "$n_out" = "$PASS_LEN" ]; then
		pass "lower-pool-at-exit"
		note "lower-pool-at-exit: '$out_line': the $PASS_LEN capture frames net_pcap's infinite_rx keeps until the lower is closed"
	else
		fail "lower-pool-at-exit" "'$out_line': net_pcap holds $PASS_LEN (the capture); the other $((n_out - PASS_LEN)) leaked"
	fi
fi

if [ "$failed" = 1 ]; then
	note "command: $(cat "$tmp/cmdline")"
	grep -E '^net_macvtap: |EAL:|Fail|fail|ERR|[Ee]rror[^s]|Cannot|[Ii]nvalid|Please' "$log" |
		grep -vE '^ *(RX|TX)-|_errors: |_failed: |^EAL: (Detected|Multi-process|Physical|Selected)' |
		head -n 30 | sed 's/^/# log: /' >&2
fi
finish
