#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# net_macvtap in a secondary process: dpdk-proc-info reads the counters of the
# macvtap ports of a running dpdk-testpmd primary. The driver supports
# secondaries for counters only (their datapath is idle), so proc-info must
# list both macvtap ports, not the driver-owned lower, with the primary's
# numbers.
#
# Memory: a secondary cannot attach to a --no-huge primary in DPDK 22.11.
# --no-huge puts the primary's memory in a private memfd (anonymous memory
# without memfd) and writes no hugepage_data, and --no-huge implies legacy
# memory, so --legacy-mem changes nothing. The secondary fails with "Could not
# open .../hugepage_data" (secondary with --no-huge) or "Cannot get hugepage
# information" (without). So this test reserves a few hugepages
# (/proc/sys/vm/nr_hugepages, restored at exit), mounts a private hugetlbfs in
# its temporary directory (unmounted at exit) and runs the primary on it with
# --huge-dir. It skips when hugepages cannot be had.
#
# Primary:  testpmd -i, rxonly forwarding; lower net_pcap0 (infinite capture),
#           net_macvtap0 and net_macvtap1 on it.
# Secondary: /usr/bin/dpdk-proc-info --file-prefix=<same> -d <plugin> --no-pci
#           -- --stats (also --show-port) and -- --xstats, first while the
#           primary forwards (counters between the primary's samples taken
#           before and after), then with forwarding stopped (counters equal).
# Then the primary must be unaffected (counters unchanged by the secondaries,
# forwarding resumes) and both must exit.
#
# Output: one 'PASS: name', 'FAIL: name: reason' or 'SKIP: name: reason' per
# check; exit 0 when nothing failed, 1 otherwise.
#
# Environment:
#   MACVTAP_BUILD_DIR  build tree (default: <repo>/build)
#   MACVTAP_PLUGIN     plugin .so (default: $MACVTAP_BUILD_DIR/drivers/net/macvtap/librte_net_macvtap.so)
#   TESTPMD            testpmd binary (default: /usr/bin/dpdk-testpmd)
#   PROC_INFO          proc-info binary (default: /usr/bin/dpdk-proc-info)
#   HUGE_MB            hugepage memory to make available (default: 192)
#   KEEP_TMP=1         keep the temporary directory (its path is printed)
#   VERBOSE=1          print the testpmd log and the proc-info outputs

# shellcheck disable=SC2317  # functions run from traps
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$here/lib/common.sh"
test_env
proc_info=${PROC_INFO:-/usr/bin/dpdk-proc-info}
pcapgen=$here/lib/pcapgen.py
huge_mb=${HUGE_MB:-192}

MAC1=02:00:00:00:00:01
MAC2=02:00:00:00:00:02

PROMPT_WAIT=25
CMD_WAIT=15
SECONDARY_WAIT=20
GAP=0.5
RUN_TIMEOUT=55

huge=""
huge_mounted=0
nr_file=/proc/sys/vm/nr_hugepages
nr_old=""
nr_changed=0
restore_msg=""

# Stop the primary, unmount our hugetlbfs, give the hugepages back.
# Idempotent; the reason of anything that went wrong is left in restore_msg.
teardown() {
	tp_stop
	exec 3>&-
	if [ "$huge_mounted" = 1 ]; then
		rm -f -- "$huge"/* 2>/dev/null
		if ! umount "$huge" 2>/dev/null; then
			umount -l "$huge" 2>/dev/null
			restore_msg+="hugetlbfs $huge was busy, lazily unmounted; "
		fi
		huge_mounted=0
	fi
	if [ "$nr_changed" = 1 ]; then
		if ! echo "$nr_old" >"$nr_file" 2>/dev/null || [ "$(cat "$nr_file")" != "$nr_old" ]; then
			restore_msg+="nr_hugepages is $(cat "$nr_file"), could not restore $nr_old; "
		fi
		nr_changed=0
	fi
	eal_runtime_clean "$prefix"
}
cleanup() {
	teardown
	[ -n "${pcap_link:-}" ] && rm -f -- "$pcap_link"
	if [ -n "$tmp" ] && [ "${KEEP_TMP:-0}" != 1 ] && [ -n "$huge" ] && mountpoint -q "$huge" 2>/dev/null; then
		note "$huge is still mounted: $tmp left in place"
	else
		tmp_remove "$tmp"
	fi
}
test_start cleanup
trap '' PIPE

# --- prerequisites -----------------------------------------------------------

require plugin-present "no plugin at $plugin (build with: bash $repo/devtools/setup.sh)" test -f "$plugin"
binaries_present() { [ -x "$testpmd" ] && [ -x "$proc_info" ]; }
require binaries-present "need executables $testpmd and $proc_info (apt-get install dpdk)" binaries_present
require_python3
make_test_tmp proc_info mvtp_pi

# --- hugepages ------------------------------------------------------------------

hp_kb=$(awk '/^Hugepagesize:/ {print $2}' /proc/meminfo)
hp_free() { awk '/^HugePages_Free:/ {print $2}' /proc/meminfo; }
if [ -z "$hp_kb" ] || [ ! -r "$nr_file" ]; then
	skip "hugepages" "the kernel offers no hugepages (no Hugepagesize in /proc/meminfo or no $nr_file); a secondary cannot attach to a --no-huge primary"
	finish
fi
need=$(((huge_mb * 1024 + hp_kb - 1) / hp_kb))
nr_old=$(cat "$nr_file")
free_before=$(hp_free)
if [ "$free_before" -lt "$need" ]; then
	if echo $((nr_old + need - free_before)) >"$nr_file" 2>/dev/null; then
		nr_changed=1
	fi
	# Memory too fragmented for 2 MB pages (after a memory-hungry run):
	# compact it and ask again.
	if [ "$(hp_free)" -lt "$need" ] && echo 1 >/proc/sys/vm/compact_memory 2>/dev/null; then
		echo $((nr_old + need - free_before)) >"$nr_file" 2>/dev/null
	fi
fi
if [ "$(hp_free)" -lt "$need" ]; then
	got=$(hp_free)
	teardown
	skip "hugepages" "need $need free ${hp_kb} kB hugepages, the kernel gave $got (nr_hugepages was $nr_old; writing $nr_file failed or memory is short); a secondary cannot attach to a --no-huge primary"
	finish
fi
huge=$tmp/huge
mkdir -p "$huge"
if ! mount -t hugetlbfs -o "pagesize=${hp_kb}k" nodev "$huge" 2>"$tmp/mount.err"; then
	why=$(tr '\n' ' ' <"$tmp/mount.err")
	teardown
	skip "hugepages" "cannot mount hugetlbfs on $huge: $why"
	finish
fi
huge_mounted=1
# Getting hugepages is a prerequisite, not a check: no PASS for it.
note "hugepages: nr_hugepages $nr_old -> $(cat "$nr_file"), $(hp_free) free of ${hp_kb} kB, hugetlbfs on $huge"

# --- capture and primary ----------------------------------------------------------

if python3 "$pcapgen" scenario "$tmp/in.pcap" --quiet --seed 5 --mac "$MAC1" --mac "$MAC2" \
	--unicast 5 --broadcast 4 --unknown 3 2>"$tmp/pcapgen.err"; then
	:
else
	fail "capture-generated" "pcapgen: $(tr '\n' ' ' <"$tmp/pcapgen.err")"
	finish
fi

# DPDK 22.11's net_pcap keeps its devargs for secondary processes in 64 bytes:
# a capture deep in a clone's build tree would be cut off there, and the
# secondary's net_pcap0 would fail. Reach it through a short link in /tmp.
pcap_link=$(mktemp -u /tmp/mvtpi.XXXXXX)
if ! ln -s "$tmp/in.pcap" "$pcap_link"; then
	fail "capture-generated" "cannot link the capture into /tmp"
	finish
fi
pcap_args="rx_pcap=$pcap_link,infinite_rx=1"
if [ ${#pcap_args} -gt 63 ]; then
	fail "capture-generated" "net_pcap devargs too long for a secondary (${#pcap_args} > 63)"
	finish
fi

cmd=("$testpmd" -d "$plugin" -l 0-1 --no-pci --huge-dir "$huge" --file-prefix="$prefix"
	--log-level=pmd.net.macvtap:info
	--vdev "net_pcap0,$pcap_args"
	--vdev "net_macvtap0,iface=net_pcap0,mac=$MAC1"
	--vdev "net_macvtap1,iface=net_pcap0,mac=$MAC2"
	-- -i --total-num-mbufs=8192 --forward-mode=rxonly --port-topology=loop --no-flush-rx)
printf '%q ' "${cmd[@]}" >"$tmp/cmdline"
[ "${VERBOSE:-0}" = 1 ] && note "primary: $(cat "$tmp/cmdline")"

log=$tmp/testpmd.log
tp_spawn "$tmp/cmd" "$log" 5 "$RUN_TIMEOUT" "${cmd[@]}"

# tp_cmd CMD (test/lib/common.sh): send one command, wait for the prompt after
# its output ($last).
tp_cmd_init "$tmp" "$PROMPT_WAIT"

# --- parsers (besides those in common.sh) ---------------------------------------------

# "port driver device link" of proc-info --show-port.
showport_parse() {
	awk '/^===== Port [0-9]+ =====/ {p = $3; next}
	     /-- driver .* device / && p != "" {drv = $3; dev = $5; next}
	     /^[ \t]*Link (up|down)/ && p != "" {print p, drv, dev, $2; p = ""}' "$1"
}
field() { awk -v p="$2" -v c="$3" '$1 == p {print $c; exit}' "$1"; }

# secondary NAME ARGS...: run proc-info; output in $tmp/sec.NAME, status in sec_rc.
secondary() {
	local name=$1
	shift
	local c=("$proc_info" --file-prefix="$prefix" -d "$plugin" --no-pci -- "$@")
	printf '%q ' "${c[@]}" >"$tmp/sec.$name.cmd"
	timeout -k 5 "$SECONDARY_WAIT" "${c[@]}" >"$tmp/sec.$name" 2>&1 </dev/null
	sec_rc=$?
	# A secondary must map the primary's memory at the same addresses; with
	# ASLR that can fail at EAL init. Try once more, and say so.
	if [ "$sec_rc" != 0 ] && grep -q 'Cannot init EAL' "$tmp/sec.$name"; then
		note "secondary '$name' failed EAL init (exit $sec_rc), retrying once: $(grep -E '^EAL: ' "$tmp/sec.$name" | grep -vE 'Detected|Multi-process|Selected|Physical' | head -n 3 | tr '\n' '|')"
		cp "$tmp/sec.$name" "$tmp/sec.$name.first"
		timeout -k 5 "$SECONDARY_WAIT" "${c[@]}" >"$tmp/sec.$name" 2>&1 </dev/null
		sec_rc=$?
	fi
	if [ "${VERBOSE:-0}" = 1 ]; then
		note "secondary: $(cat "$tmp/sec.$name.cmd")"
		sed 's/^/# | /' "$tmp/sec.$name" >&2
	fi
}
sec_fail_reason() {
	local name=$1
	if [ "$sec_rc" = 124 ] || [ "$sec_rc" = 137 ]; then
		echo "proc-info did not exit within ${SECONDARY_WAIT}s; output: $(tail -n 5 "$tmp/sec.$name" | tr '\n' '|')"
	else
		echo "proc-info exited $sec_rc: $(grep -vE '^ *$|^[0-9]+: /|^EAL: (Detected|Multi-process|Selected|Physical)' "$tmp/sec.$name" | tail -n 8 | tr '\n' '|')"
	fi
}

# --- the primary forwards -------------------------------------------------------------

tp_cmd "show port summary all"
summary_ports "$last" | cut -d' ' -f1,2 >"$tmp/ports"
P0=$(awk '$2 == "net_macvtap0" {print $1}' "$tmp/ports")
P1=$(awk '$2 == "net_macvtap1" {print $1}' "$tmp/ports")
if [ "$alive" != 1 ]; then
	fail "primary-start" "$(tp_dead_reason "the primary")"
	note "command: $(cat "$tmp/cmdline")"
	finish
elif [ -z "$P0" ] || [ -z "$P1" ]; then
	fail "primary-start" "the primary lists no net_macvtap0/net_macvtap1: $(tr '\n' ';' <"$tmp/ports")"
	finish
fi
pass "primary-start"
PORTS="$P0 $P1"

tp_cmd "start"
sleep "$GAP"
snap a
sleep "$GAP"
snap b0
ok=1
for p in $PORTS; do
	a=$(field "$tmp/snap.a" "$p" 2)
	b=$(field "$tmp/snap.b0" "$p" 2)
	if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -eq 0 ] || [ "$b" -le "$a" ]; then ok=0; fi
done
if [ "$alive" != 1 ]; then
	fail "primary-forwarding" "$(tp_dead_reason "the primary")"
	finish
elif [ "$ok" != 1 ]; then
	fail "primary-forwarding" "the primary's RX counters do not grow: $(tr '\n' ';' <"$tmp/snap.a") then $(tr '\n' ';' <"$tmp/snap.b0")"
	finish
fi
pass "primary-forwarding"

# --- secondaries while the primary forwards ---------------------------------------------

secondary stats --stats --show-port
stats_parse "$tmp/sec.stats" >"$tmp/sec.stats.p"
showport_parse "$tmp/sec.stats" >"$tmp/sec.show.p"
snap b
if [ "$sec_rc" != 0 ]; then
	fail "secondary-stats" "$(sec_fail_reason stats)"
elif [ ! -s "$tmp/sec.stats.p" ]; then
	fail "secondary-stats" "proc-info printed no NIC statistics: $(head -n 5 "$tmp/sec.stats" | tr '\n' '|')"
else
	pass "secondary-stats"
fi

listed=$(awk '{print $1}' "$tmp/sec.stats.p" | sort -n | tr '\n' ' ')
want=$(tr ' ' '\n' <<<"$PORTS" | sort -n | tr '\n' ' ')
why=""
[ "$listed" = "$want" ] || why+="--stats lists ports [${listed% }], the primary's macvtap ports are [${want% }]; "
for p in $PORTS; do
	drv=$(field "$tmp/sec.show.p" "$p" 2)
	dev=$(field "$tmp/sec.show.p" "$p" 3)
	exp_dev=net_macvtap0
	[ "$p" = "$P1" ] && exp_dev=net_macvtap1
	[ "$drv" = net_macvtap ] && [ "$dev" = "$exp_dev" ] ||
		why+="--show-port port $p: driver '$drv' device '$dev', expected net_macvtap $exp_dev; "
done
if [ "$(wc -l <"$tmp/sec.show.p")" != 2 ]; then
	why+="--show-port lists $(awk '{print $3}' "$tmp/sec.show.p" | tr '\n' ' ')(the lower must stay hidden); "
fi
if [ "$sec_rc" != 0 ]; then
	fail "secondary-lists-ports" "proc-info failed"
elif [ -n "$why" ]; then
	fail "secondary-lists-ports" "${why%; }"
else
	pass "secondary-lists-ports"
fi

# Live: the secondary's reading lies between the primary's before and after.
why=""
for p in $PORTS; do
	lo=$(field "$tmp/snap.b0" "$p" 2)
	hi=$(field "$tmp/snap.b" "$p" 2)
	v=$(field "$tmp/sec.stats.p" "$p" 2)
	if [ -z "$v" ] || [ -z "$lo" ] || [ -z "$hi" ]; then
		why+="port $p: missing counter (secondary '$v', primary '$lo'..'$hi'); "
	elif [ "$v" -eq 0 ] || [ "$v" -lt "$lo" ] || [ "$v" -gt "$hi" ]; then
		why+="port $p: secondary RX-packets $v, primary read $lo before and $hi after; "
	fi
done
if [ "$sec_rc" != 0 ]; then
	fail "secondary-stats-live" "proc-info failed"
elif [ -n "$why" ]; then
	fail "secondary-stats-live" "${why%; }"
else
	pass "secondary-stats-live"
fi

secondary xstats --xstats
xstats_parse "$tmp/sec.xstats" >"$tmp/sec.xstats.p"
snap c
why=""
for p in $PORTS; do
	lo=$(field "$tmp/snap.b" "$p" 2)
	hi=$(field "$tmp/snap.c" "$p" 2)
	g=$(awk -v p="$p" '$1 == p && $2 == "rx_good_packets" {print $3}' "$tmp/sec.xstats.p")
	for k in rx_unicast_packets rx_broadcast_packets lower_rx_packets; do
		v=$(awk -v p="$p" -v k="$k" '$1 == p && $2 == k {print $3}' "$tmp/sec.xstats.p")
		[ -n "$v" ] && [ "$v" -gt 0 ] || why+="port $p: driver xstat $k is '${v:-missing}'; "
	done
	if [ -z "$g" ]; then
		why+="port $p: no rx_good_packets; "
	elif [ "$g" -lt "$lo" ] || [ "$g" -gt "$hi" ]; then
		why+="port $p: secondary rx_good_packets $g, primary read $lo before and $hi after; "
	fi
done
extra=$(awk '{print $1}' "$tmp/sec.xstats.p" | sort -un | tr '\n' ' ')
[ "$extra" = "$want" ] || why+="--xstats lists ports [${extra% }], expected [${want% }]; "
if [ "$sec_rc" != 0 ]; then
	fail "secondary-xstats-live" "$(sec_fail_reason xstats)"
elif [ -n "$why" ]; then
	fail "secondary-xstats-live" "${why%; }"
else
	pass "secondary-xstats-live"
fi

# --- secondaries with forwarding stopped: the same numbers -----------------------------

tp_cmd "stop"
tp_cmd "show port stats all"
stats_parse "$last" >"$tmp/frozen.p"
tp_cmd "show port xstats all"
xstats_parse "$last" >"$tmp/frozen.xp"
secondary stats2 --stats
stats_parse "$tmp/sec.stats2" >"$tmp/sec.stats2.p"
secondary xstats2 --xstats
rc2=$sec_rc
xstats_parse "$tmp/sec.xstats2" >"$tmp/sec.xstats2.p"
tp_cmd "show port stats all"
stats_parse "$last" >"$tmp/frozen2.p"

if [ "$alive" != 1 ]; then
	fail "secondary-stats-exact" "$(tp_dead_reason "the primary")"
elif [ ! -s "$tmp/sec.stats2.p" ]; then
	fail "secondary-stats-exact" "proc-info --stats: $(tail -n 4 "$tmp/sec.stats2" | tr '\n' '|')"
elif ! diff -q "$tmp/frozen.p" "$tmp/sec.stats2.p" >/dev/null; then
	fail "secondary-stats-exact" "port RX-packets RX-bytes: primary $(tr '\n' ';' <"$tmp/frozen.p") secondary $(tr '\n' ';' <"$tmp/sec.stats2.p")"
else
	pass "secondary-stats-exact"
fi
if [ "$alive" != 1 ]; then
	fail "secondary-xstats-exact" "$(tp_dead_reason "the primary")"
elif [ "$rc2" != 0 ] || [ ! -s "$tmp/sec.xstats2.p" ]; then
	fail "secondary-xstats-exact" "proc-info --xstats exited $rc2: $(tail -n 4 "$tmp/sec.xstats2" | tr '\n' '|')"
elif ! diff -q "$tmp/frozen.xp" "$tmp/sec.xstats2.p" >/dev/null; then
	fail "secondary-xstats-exact" "differences (primary < > secondary): $(diff "$tmp/frozen.xp" "$tmp/sec.xstats2.p" | grep '^[<>]' | head -n 8 | tr '\n' ';')"
else
	pass "secondary-xstats-exact"
fi

# --- the primary after the secondaries ---------------------------------------------------

tp_cmd "start"
sleep "$GAP"
snap after
tp_cmd "stop"
why=""
if ! diff -q "$tmp/frozen.p" "$tmp/frozen2.p" >/dev/null; then
	why+="the stopped primary's counters changed while secondaries ran: $(tr '\n' ';' <"$tmp/frozen.p") -> $(tr '\n' ';' <"$tmp/frozen2.p"); "
fi
for p in $PORTS; do
	f=$(field "$tmp/frozen2.p" "$p" 2)
	v=$(field "$tmp/snap.after" "$p" 2)
	if [ -z "$v" ] || [ -z "$f" ] || [ "$v" -le "$f" ]; then
		why+="port $p does not receive after the secondaries exited ($f -> ${v:-none}); "
	fi
done
if grep -qE 'Port [0-9]+: device removal event' "$log"; then
	why+="the primary got removal events: $(grep -E 'Port [0-9]+: device removal event' "$log" | head -n 3 | tr '\n' '|'); "
fi
if [ "$alive" != 1 ]; then
	fail "primary-unaffected" "$(tp_dead_reason "the primary")"
elif [ -n "$why" ]; then
	fail "primary-unaffected" "${why%; }"
else
	pass "primary-unaffected"
fi

# --- links after the secondaries ------------------------------------------------------------

# A secondary's rte_eal_cleanup() removes its vdevs; net_pcap's remove runs
# eth_dev_close() -> eth_dev_stop() even in a secondary, which writes
# link_status DOWN into the lower's shared port data. net_macvtap polls the
# lower's link (net_pcap has no LSC interrupt) and must mirror it on its ports
# with LSC events. Whatever the lower's link is, the ports must show the same.
tp_cmd "show port info $P0"
l0=$(link_of "$last")
tp_cmd "show port info $P1"
l1=$(link_of "$last")
secondary lower -p ffff --show-port
showport_parse "$tmp/sec.lower" >"$tmp/sec.lower.p"
lower_id=$(awk '$3 == "net_pcap0" {print $1}' "$tmp/sec.lower.p")
lower_link=$(awk '$3 == "net_pcap0" {print $4}' "$tmp/sec.lower.p")
lsc=$(grep -cE "^Port ($P0|$P1): link state change event" "$log")
why=""
if [ "$alive" != 1 ]; then
	why="$(tp_dead_reason "the primary")"
elif [ -z "$lower_link" ]; then
	why="proc-info -p ffff --show-port did not show the lower net_pcap0: $(tr '\n' ';' <"$tmp/sec.lower.p")"
elif [ "$l0" != "$lower_link" ] || [ "$l1" != "$lower_link" ]; then
	why="the lower (port $lower_id) link is $lower_link, the primary shows port $P0 $l0 and port $P1 $l1"
elif [ "$lower_link" = down ]; then
	for p in $PORTS; do
		grep -qE "^Port $p: link state change event" "$log" ||
			why+="port $p went down with its lower but the primary got no LSC event for it; "
	done
	why=${why%; }
	[ -n "$why" ] || note "primary-link-follows-lower: the lower net_pcap0 is down after proc-info exited (net_pcap stops the shared port in a secondary's cleanup, a net_pcap issue); both macvtap ports followed it, with $lsc LSC events"
elif [ "$lsc" != 0 ]; then
	why="links are up but the primary got $lsc LSC events"
fi
if [ -n "$why" ]; then
	fail "primary-link-follows-lower" "$why"
else
	pass "primary-link-follows-lower"
fi

# --- both exit -------------------------------------------------------------------------------

if [ "$alive" = 1 ]; then
	tp_send quit
fi
pid=$tp_pid
tp_wait_exit
why=$(tp_exit_reason "$tp_rc" "$RUN_TIMEOUT")
if [ -n "$why" ]; then
	fail "primary-exit" "$why"
else
	pass "primary-exit"
fi

# No process of this run is left: the primary, and every proc-info (each ran
# to completion under timeout, so only a detached child could linger).
left=$(pgrep -f -- "--file-prefix=$prefix" 2>/dev/null | tr '\n' ' ')
if kill -0 "$pid" 2>/dev/null; then left+="$pid "; fi
if [ -n "$left" ]; then
	fail "processes-exited" "still running: $left"
else
	pass "processes-exited"
fi

teardown
if [ -n "$restore_msg" ]; then
	fail "hugepages-restored" "${restore_msg%; }"
elif [ "$(cat "$nr_file")" != "$nr_old" ]; then
	fail "hugepages-restored" "nr_hugepages is $(cat "$nr_file"), was $nr_old"
else
	pass "hugepages-restored"
fi

if [ "$failed" = 1 ]; then
	note "primary: $(cat "$tmp/cmdline")"
	for f in "$tmp"/sec.*.cmd; do [ -f "$f" ] && note "secondary: $(cat "$f")"; done
	grep -E '^net_macvtap: |EAL:|Fail|fail|ERR|[Ee]rror[^s]|Cannot|[Ii]nvalid' "$log" |
		grep -vE '^ *(RX|TX)-|_errors: |_failed: |^EAL: (Detected|Multi-process|Physical|Selected)' |
		head -n 20 | sed 's/^/# log: /' >&2
fi
finish
