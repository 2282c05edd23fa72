# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# What the shell tests (test/*.sh) and devtools/demo.sh share: result lines,
# cleanup of temporary directories and EAL runtime directories, and driving a
# stock dpdk-testpmd through a FIFO. Sourced; it only defines functions.
#
# State the functions share with the script that sources them:
#   failed          1 once a check failed (fail sets it, finish reads it)
#   tmp, prefix     the run's temporary directory and EAL --file-prefix
#   tp_pid, tp_log  the running testpmd (its timeout(1) wrapper) and its log
#   tp_rc           testpmd's exit status, after tp_wait_exit
#   alive, last     for tp_cmd: 0 once testpmd is gone or stuck; the file with
#                   the output of the latest command
# testpmd's commands go to file descriptor 3, the write end of its FIFO.

# --- results --------------------------------------------------------------------

# pass NAME: a passed check, in the line format test/run-all.sh counts.
pass() { echo "PASS: $1"; }
# fail NAME REASON: a failed check; remembered so that finish exits 1.
fail() {
	echo "FAIL: $1: $2"
	failed=1
}
# skip NAME REASON: a check this machine cannot run, for a cause outside what
# the test set-up can change (not root, no kernel macvtap, no hugepages...),
# which is not a failure.
skip() { echo "SKIP: $1: $2"; }
# skip_missing NAME REASON: a check that cannot run because a program or file
# that devtools/setup.sh --tests installs or builds is missing. On its own, a
# script SKIPs it; under test/run-all.sh, which exports
# MACVTAP_SETUP_INSTALLED=1 once that set-up succeeded, it is a FAIL: the
# set-up was to provide it, and a suite must not go missing unnoticed.
skip_missing() {
	if [ "${MACVTAP_SETUP_INSTALLED:-0}" = 1 ]; then
		fail "$1" "$2 (devtools/setup.sh --tests was to provide it)"
	else
		skip "$1" "$2"
	fi
}
# note TEXT...: a comment for a person, on stderr so that it never counts as a result.
note() { echo "# $*" >&2; }
# finish: exit 0 when no check failed, else 1: the test's status for its runner.
finish() {
	if [ "${failed:-0}" = 0 ]; then exit 0; fi
	exit 1
}

# fail_each REASON NAME...: FAIL each named check with the same REASON, for
# checks that something they all need (a counter sample, a process) stopped.
fail_each() {
	local why=$1 n
	shift
	for n in "$@"; do fail "$n" "$why"; done
}

# run_checker NAME "EXPECTED..." COMMAND...: run a checker (a Python script, a
# function around one) that prints 'PASS: name' and 'FAIL: name: reason' lines
# and '# ' notes, and pass its results on. So that no check can vanish
# unnoticed when the checker crashes (an exception, a non-zero exit, a
# signal): FAIL NAME when it exits non-zero, with its last line that is not a
# result (a traceback's last line), and FAIL each check named in EXPECTED
# (space-separated) that it did not report. Its other lines become notes.
run_checker() {
	local name=$1 expected=$2 out rc line last="" seen=" " e why
	shift 2
	out=$("$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"PASS: "*)
			pass "${line#PASS: }"
			seen+="${line#PASS: } "
			;;
		"FAIL: "*)
			line=${line#FAIL: }
			e=${line%%: *}
			[ "$e" != "$line" ] || line="$e: (no reason given)"
			fail "$e" "${line#*: }"
			seen+="$e "
			;;
		"# "*) note "${line#\# }" ;;
		"") ;;
		*)
			note "$name: $line"
			last=$line
			;;
		esac
	done <<<"$out"
	if [ "$rc" != 0 ]; then
		why="the checker failed (exit $rc$( [ "$rc" -gt 128 ] && echo ", signal $((rc - 128))"))"
		fail "$name" "$why${last:+: $last}"
	fi
	for e in $expected; do
		case $seen in
		*" $e "*) ;;
		*) fail "$e" "not checked: ${why:-the checker $name reported nothing for it}" ;;
		esac
	done
}

# --- paths and prerequisites ------------------------------------------------------

# test_env: set repo, build, plugin and testpmd the same way in every test, so
# that MACVTAP_BUILD_DIR, MACVTAP_PLUGIN and TESTPMD mean one thing everywhere,
# and keep python3 from writing __pycache__ into the source tree.
# shellcheck disable=SC2034  # set for the script that sources this file
test_env() {
	repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	build=${MACVTAP_BUILD_DIR:-$repo/build}
	plugin=${MACVTAP_PLUGIN:-$build/drivers/net/macvtap/librte_net_macvtap.so}
	testpmd=${TESTPMD:-/usr/bin/dpdk-testpmd}
	export PYTHONDONTWRITEBYTECODE=1
	debian_python_first
}

# debian_python_first: python3 means Debian's, the one the set-up installs and
# apt's python3-* packages serve, even where another manager (pyenv) put its
# own first in PATH: a pyenv shim took 1.5-2 s to start on a machine whose
# cores the tests' DPDK processes keep busy (0.1 s for /usr/bin/python3), and
# the tests start python for every telemetry question.
debian_python_first() {
	[ -x /usr/bin/python3 ] || return 0
	[ "$(command -v python3)" = /usr/bin/python3 ] && return 0
	PATH=/usr/bin:$PATH
	hash -r
}

# require NAME REASON COMMAND...: nothing when COMMAND succeeds, else FAIL NAME
# and finish, for a prerequisite that the remaining checks cannot do without.
# No PASS: a prerequisite is not a test of ours, and must not pad the count.
require() {
	local name=$1 reason=$2
	shift 2
	"$@" && return 0
	fail "$name" "$reason"
	finish
}

# require_python3: FAIL python3-present and finish without python3, which runs
# the capture generator and the checkers (no PASS: it tests nothing of ours).
require_python3() {
	if ! command -v python3 >/dev/null; then
		fail "python3-present" "python3 not found"
		finish
	fi
}

# make_test_tmp NAME [TAG]: create the run's temporary directory $tmp in the
# build tree (FAIL tmpdir and finish if that fails) and, with TAG, set $prefix
# to an EAL --file-prefix made from it, so that parallel runs never share one.
make_test_tmp() {
	tmp=$(mktemp -d "$build/$1.XXXXXX") || {
		fail "tmpdir" "mktemp -d in $build failed"
		finish
	}
	if [ -n "${2:-}" ]; then
		prefix="${2}_$(basename "$tmp" | tr -c 'A-Za-z0-9_\n' _)"
	fi
}

# --- cleanup ----------------------------------------------------------------------

# test_start CLEANUP: the state a test starts from (nothing failed, nothing to
# undo) and its traps, so that the function CLEANUP (usually test_cleanup) runs
# on any exit.
test_start() {
	failed=0
	tmp=""
	prefix=""
	tp_pid=""
	# shellcheck disable=SC2064  # the handler's name, fixed now
	trap "$1" EXIT
	trap 'exit 1' INT TERM
}

# test_cleanup: the usual EXIT trap: stop testpmd, remove the EAL runtime
# directory of $prefix and the temporary directory, each only if there is one.
test_cleanup() {
	tp_stop
	exec 3>&-
	eal_runtime_clean "${prefix:-}"
	tmp_remove "${tmp:-}"
}

# eal_runtime_clean PREFIX...: remove EAL's runtime directories of these
# --file-prefix values only, so that a run leaves none behind and never touches
# another run's.
eal_runtime_clean() {
	local p rt
	for p in "$@"; do
		[ -n "$p" ] || continue
		for rt in "/var/run/dpdk/$p" "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk/$p" "/tmp/dpdk/$p"; do
			[ -d "$rt" ] && rm -rf -- "$rt"
		done
	done
	return 0
}

# tmp_remove DIR: delete a temporary directory, or keep it (and say where) with
# KEEP_TMP=1, to look at a failed run's files.
tmp_remove() {
	[ -n "$1" ] && [ -d "$1" ] || return 0
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		note "kept $1"
	else
		rm -rf -- "$1"
	fi
}

# pid_alive PID: whether process PID still runs; unlike kill -0 it is false for
# an unreaped zombie, so that a wait for testpmd ends as soon as testpmd has.
pid_alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# tp_stop: end a testpmd that still runs (TERM, then after 3 s KILL, with its
# children: tp_pid is its timeout wrapper) and reap it, so that an aborted run
# leaves no process holding the hugepages, the netns or the capture files.
tp_stop() {
	[ -n "${tp_pid:-}" ] || return 0
	if pid_alive "$tp_pid"; then
		local kids n=0
		kids=$(pgrep -P "$tp_pid" 2>/dev/null)
		kill -TERM "$tp_pid" 2>/dev/null
		while pid_alive "$tp_pid" && [ "$n" -lt 30 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		if pid_alive "$tp_pid"; then
			# shellcheck disable=SC2086  # one word per pid
			kill -KILL $kids "$tp_pid" 2>/dev/null
		fi
	fi
	wait "$tp_pid" 2>/dev/null
	tp_pid=""
}

# --- testpmd through a FIFO ---------------------------------------------------------

# tp_spawn [--netns NS] [--rw] FIFO LOG GRACE LIMIT COMMAND...: start testpmd
# (COMMAND) in the background, in network namespace NS if given, under
# timeout(1) (TERM after LIMIT s, KILL GRACE s later), line-buffered so that each
# prompt shows at once, reading its commands from the new FIFO and appending its
# output to LOG. Sets tp_pid and tp_log and opens fd 3 on the FIFO (read-write
# with --rw, so that the open does not wait for testpmd): commands are then sent
# one at a time once a prompt shows, and a slow EAL init cannot merge them.
tp_spawn() {
	local netns=() rw=0 fifo log grace limit stdbuf=()
	while :; do
		case $1 in
		--netns)
			netns=(ip netns exec "$2")
			shift 2
			;;
		--rw)
			rw=1
			shift
			;;
		*) break ;;
		esac
	done
	fifo=$1 log=$2 grace=$3 limit=$4
	shift 4
	command -v stdbuf >/dev/null && stdbuf=(stdbuf -oL -eL)
	mkfifo "$fifo" || return 1
	"${netns[@]}" timeout -k "$grace" "$limit" "${stdbuf[@]}" "$@" <"$fifo" >>"$log" 2>&1 &
	tp_pid=$!
	tp_log=$log
	if [ "$rw" = 1 ]; then
		exec 3<>"$fifo"
	else
		exec 3>"$fifo"
	fi
}

# tp_send COMMAND: write one command line to testpmd; fails (without killing the
# caller, which ignores SIGPIPE) once testpmd no longer reads.
tp_send() { printf '%s\n' "$1" >&3 2>/dev/null; }

# tp_prompts: how many 'testpmd> ' prompts the log shows: each ends a command.
tp_prompts() { grep -o 'testpmd> ' "$tp_log" 2>/dev/null | wc -l; }

# tp_wait_prompts N SECONDS: wait until the log shows N prompts; 1 when testpmd
# is gone or SECONDS pass first, so that no caller waits on a dead testpmd.
tp_wait_prompts() {
	local want=$1 limit=$(($2 * 20)) n=0
	while [ "$n" -lt "$limit" ]; do
		[ "$(tp_prompts)" -ge "$want" ] && return 0
		pid_alive "$tp_pid" || return 1
		sleep 0.05
		n=$((n + 1))
	done
	[ "$(tp_prompts)" -ge "$want" ]
}

# tp_send_wait COMMAND SECONDS: send one command and wait for the prompt after
# its output; 1 when testpmd is gone or stuck.
tp_send_wait() {
	local before
	before=$(tp_prompts)
	tp_send "$1" || return 1
	tp_wait_prompts $((before + 1)) "$2"
}

# tp_cmd_init DIR SECONDS: start tp_cmd's bookkeeping (command outputs in
# DIR/out.N, snapshots in DIR/snap.NAME, $last an empty file) once testpmd shows
# its first prompt; alive=0 when it does not within SECONDS.
tp_cmd_init() {
	alive=1
	tp_seq=0
	tp_dir=$1
	last=$tp_dir/out.0
	: >"$last"
	tp_wait_prompts 1 "$2" || alive=0
}

# tp_cmd COMMAND: send one command and wait (CMD_WAIT s) for the prompt after
# it; its output (with the echoed command) is left in the file $last. Returns 1,
# and sets alive=0 so that no command is sent any more, once testpmd is gone or
# stuck: a dead testpmd must fail the checks quickly, not hang each one.
tp_cmd() {
	local before off
	tp_seq=$((tp_seq + 1))
	last=$tp_dir/out.$tp_seq
	: >"$last"
	[ "$alive" = 1 ] || return 1
	if ! pid_alive "$tp_pid"; then
		alive=0
		note "testpmd is gone before '$1'"
		return 1
	fi
	before=$(tp_prompts)
	off=$(stat -c %s "$tp_log")
	if ! tp_send "$1"; then
		alive=0
		return 1
	fi
	if ! tp_wait_prompts $((before + 1)) "$CMD_WAIT"; then
		alive=0
		if pid_alive "$tp_pid"; then
			note "no prompt ${CMD_WAIT}s after '$1'"
		else
			note "testpmd died during '$1'"
		fi
	fi
	tail -c +"$((off + 1))" "$tp_log" >"$last"
	[ "$alive" = 1 ]
}

# tp_wait_exit: close testpmd's FIFO (after the caller's 'quit'), wait for it
# and put its status in tp_rc; clears tp_pid so that cleanup leaves it be, and
# with VERBOSE=1 prints the whole log.
# shellcheck disable=SC2034  # tp_rc is for the script that sources this file
tp_wait_exit() {
	exec 3>&-
	wait "$tp_pid"
	tp_rc=$?
	tp_pid=""
	if [ "${VERBOSE:-0}" = 1 ]; then
		sed 's/^/# | /' "$tp_log" >&2
	fi
	return 0
}

# tp_log_tail N: the last N lines of testpmd's log on one line, for a reason.
tp_log_tail() { tail -n "$1" "$tp_log" | tr '\n' '|'; }

# tp_dead_reason WHO: the reason for a check that testpmd (called WHO) can no
# longer answer, with the end of its log.
tp_dead_reason() { echo "$1 stopped responding; log tail: $(tp_log_tail 6)"; }

# tp_exit_reason RC LIMIT [TAIL]: why testpmd, which exited with status RC under
# a LIMIT-second timeout, did not quit cleanly, with TAIL lines of its log (8; 0
# for none) for a timeout or an error status; empty when it did quit cleanly.
tp_exit_reason() {
	local rc=$1 limit=$2 tail_lines=${3:-8} why
	if [ "$rc" = 0 ]; then
		grep -q '^Bye' "$tp_log" || echo "testpmd did not quit cleanly"
		return 0
	fi
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		why="timed out after ${limit}s"
	else
		why="exit status $rc"
	fi
	if [ "$tail_lines" -gt 0 ]; then
		why+="; log tail: $(tp_log_tail "$tail_lines")"
	fi
	echo "$why"
}

# --- parsers of testpmd's (and proc-info's) output, each reading one file ------------

# summary_ports FILE: "id name status" for each port of 'show port summary all'.
summary_ports() {
	awk '/^Port +MAC Address/ {on = 1; next}
	     on && /^[0-9]+ / {print $1, $3, $5; next}
	     on {on = 0}' "$1"
}
# port_named FILE NAME: the port id of device NAME in a summary, or nothing.
port_named() { summary_ports "$1" | awk -v n="$2" '$2 == n {print $1; exit}'; }
# stats_parse FILE: "port rx_packets rx_bytes" of each 'NIC statistics' block.
stats_parse() {
	awk '/NIC statistics for port/ {p = $6; next}
	     /RX-packets:/ && p != "" {
		b = ""
		for (i = 1; i < NF; i++) if ($i == "RX-bytes:") b = $(i + 1)
		print p, $2, b; p = ""
	     }' "$1"
}
# xstats_parse FILE: "port name value" of each 'NIC extended statistics' block.
xstats_parse() {
	awk '/NIC extended statistics for port/ {p = $7; next}
	     p != "" && /^[A-Za-z0-9_.\[\]-]+: [0-9]+$/ {sub(/:$/, "", $1); print p, $1, $2}' "$1"
}
# link_of FILE: the 'Link status:' (up or down) of 'show port info'.
link_of() { awk '/^Link status:/ {print $3; exit}' "$1"; }

# snap NAME: sample every port's RX counters ('show port stats all') into
# $tp_dir/snap.NAME as stats_parse lines, to compare samples over time.
snap() {
	tp_cmd "show port stats all"
	stats_parse "$last" >"$tp_dir/snap.$1"
}

# --- a bounded run with background processes (the OVS and kernel benchmarks) ---------
#
# State: WATCHDOG (the watchdog's pid), NAP_PID (the sleep of a nap under way).

# usable_cpus: the CPUs this process may run on, one per line, in ascending order.
usable_cpus() {
	python3 -c 'import os; print("\n".join(map(str, sorted(os.sched_getaffinity(0)))))'
}

# nap SECONDS: a sleep that a signal (the watchdog's, a ^C) interrupts at once.
nap() {
	sleep "$1" &
	NAP_PID=$!
	wait "$NAP_PID"
	NAP_PID=
}

# watchdog_start SECONDS FLAG: bound the run: past SECONDS seconds a background
# watchdog creates the file FLAG (so that the signal handler can tell a timeout
# from a ^C) and sends this shell TERM; the EXIT trap then cleans up.
watchdog_start() {
	(
		for ((i = 0; i < $1; i++)); do
			sleep 1
			kill -0 $$ 2>/dev/null || exit 0
		done
		: >"$2"
		kill -TERM $$ 2>/dev/null
	) &
	WATCHDOG=$!
}

# guard_traps CLEANUP ON_SIGNAL: run the function CLEANUP on exit and
# "ON_SIGNAL SIG" on SIGINT, SIGTERM and SIGHUP.
guard_traps() {
	# shellcheck disable=SC2064  # the handlers' names, fixed now
	trap "$1" EXIT
	# shellcheck disable=SC2064
	trap "$2 INT" INT
	# shellcheck disable=SC2064
	trap "$2 TERM" TERM
	# shellcheck disable=SC2064
	trap "$2 HUP" HUP
}

# guard_release: the start of such a CLEANUP: ignore further signals (timeout(1)
# and ^C may send one twice: a cleanup cut short would leave processes running),
# drop the EXIT trap, end a nap under way and the watchdog (the watchdog before
# its sleep, so that it cannot report the sleep's death as "Terminated").
guard_release() {
	trap '' INT TERM HUP
	trap - EXIT
	[ -z "${NAP_PID:-}" ] || kill "$NAP_PID" 2>/dev/null
	if [ -n "${WATCHDOG:-}" ]; then
		# shellcheck disable=SC2046  # one word per pid
		kill "$WATCHDOG" $(ps -o pid= --ppid "$WATCHDOG" 2>/dev/null) 2>/dev/null
	fi
	return 0
}

# stop_owned PID MARK [TRIES]: stop a process that this script started, by pid,
# and only while its command line still contains MARK (the run's work
# directory): TERM, KILL after TRIES (50) tenths of a second, a warning note if
# it still runs 2 s later. No `wait` here: this runs from the EXIT trap,
# possibly inside a signal handler, where bash's wait can hang on a child that
# it already reaped.
stop_owned() {
	local pid=$1 mark=$2 tries=${3:-50} i
	[ -n "$pid" ] || return 0
	pid_alive "$pid" || return 0
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$mark" || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < tries; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	note "warning: process $pid did not stop"
}
