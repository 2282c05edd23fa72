#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# kernel_tap_rate.sh: the kernel anchor for net_macvtap's figures: how many
# frames per second ONE reader of a kernel macvtap's character device gets.
#
# In a fresh network namespace (deleted at exit):
#
#   sender --AF_PACKET--> vA ==veth== vB <-- mvt0 (macvtap, mode vepa,
#                                              MAC 02:4d:56:00:10:01)
#                                              |
#                          reader <-- read() -- private node of mvt0's tap device
#
# The reader (kernel_tap_rate.c, compiled here with gcc) opens a device node
# made in the work directory from mvt0's sysfs dev numbers (not /dev/tapN,
# whose name is a per-namespace ifindex), turns the virtio-net header off
# and read()s one frame per call, pinned to one CPU. The sender, pinned to
# the other CPU, sends 64-byte frames (no FCS) to mvt0's MAC into vA with
# sendmmsg() on an AF_PACKET socket with PACKET_QDISC_BYPASS (no pktgen:
# the kernel module is often not built, and a sender on its own CPU is what
# the reader is compared with). Both count over the same window after a
# warm-up.
#
# On two CPUs the sender's CPU, which also runs the kernel's receive path
# (veth -> macvlan -> macvtap queue), tends to be the limit: the JSON then
# says "bound": "sender" and the reader's busy share. A second pass (skip it
# with --no-drain) measures the reader alone: the sender fills a large
# macvtap queue (--drain-frames frames) and stops, then the reader empties
# it; that is "reader_drain_fps" in the JSON and a note on stderr.
#
# Usage: app/bench/kernel_tap_rate.sh [--json FILE] [--window S] [--warmup S]
#            [--reader-cpu C] [--sender-cpu C] [--batch N] [--size B]
#            [--qlen N] [--no-drain] [--drain-frames N] [--timeout S] [--keep]
#
# Prints "kernel-tap: reader_fps=X sender_pps=Y" (frames per second) and,
# with --json, writes the result and its details to FILE. Exit status: 0 on
# a result or a SKIP ("SKIP: kernel-tap: <reason>": no root, no network
# namespaces, veth or macvtap, no gcc), 1 when a run went wrong
# ("FAIL: kernel-tap: <reason>"), 2 on bad usage.
#
# Traffic stays inside the namespace that this script creates.

# shellcheck disable=SC2317  # functions run from traps
set -u -o pipefail

NAME=kernel-tap
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SRC="$HERE/kernel_tap_rate.c"
# shellcheck source-path=SCRIPTDIR source=../../test/lib/common.sh
. "$ROOT/test/lib/common.sh"
debian_python_first
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

TAP_MAC=02:4d:56:00:10:01
SENDER_MAC=02:4d:56:00:10:02

JSON=
WINDOW=5
WARMUP=2
READER_CPU=
SENDER_CPU=
BATCH=256
SIZE=64
QLEN=
DRAIN=1
DRAIN_FRAMES=200000
TIMEOUT=60
KEEP=0

usage() {
	sed -n '/^# Usage:/,/^# Traffic stays/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--json) JSON=${2:-}; shift 2 || usage ;;
	--json=*) JSON=${1#*=}; shift ;;
	--window) WINDOW=${2:-}; shift 2 || usage ;;
	--window=*) WINDOW=${1#*=}; shift ;;
	--warmup) WARMUP=${2:-}; shift 2 || usage ;;
	--warmup=*) WARMUP=${1#*=}; shift ;;
	--reader-cpu) READER_CPU=${2:-}; shift 2 || usage ;;
	--reader-cpu=*) READER_CPU=${1#*=}; shift ;;
	--sender-cpu) SENDER_CPU=${2:-}; shift 2 || usage ;;
	--sender-cpu=*) SENDER_CPU=${1#*=}; shift ;;
	--batch) BATCH=${2:-}; shift 2 || usage ;;
	--batch=*) BATCH=${1#*=}; shift ;;
	--size) SIZE=${2:-}; shift 2 || usage ;;
	--size=*) SIZE=${1#*=}; shift ;;
	--qlen) QLEN=${2:-}; shift 2 || usage ;;
	--qlen=*) QLEN=${1#*=}; shift ;;
	--no-drain) DRAIN=0; shift ;;
	--drain-frames) DRAIN_FRAMES=${2:-}; shift 2 || usage ;;
	--drain-frames=*) DRAIN_FRAMES=${1#*=}; shift ;;
	--timeout) TIMEOUT=${2:-}; shift 2 || usage ;;
	--timeout=*) TIMEOUT=${1#*=}; shift ;;
	--keep) KEEP=1; shift ;;
	-h|--help) usage ;;
	*) echo "$NAME: unknown argument: $1" >&2; usage ;;
	esac
done

for v in WINDOW WARMUP BATCH SIZE TIMEOUT DRAIN_FRAMES; do
	opt=${v,,}
	need_int "--${opt//_/-}" "${!v}"
done
[ -z "$QLEN" ] || need_int --qlen "$QLEN"
[ "$WINDOW" -ge 1 ] || { echo "$NAME: --window must be at least 1" >&2; exit 2; }
[ "$SIZE" -ge 60 ] && [ "$SIZE" -le 1514 ] || { echo "$NAME: --size must be 60..1514" >&2; exit 2; }
[ "$BATCH" -ge 1 ] && [ "$BATCH" -le 1024 ] || { echo "$NAME: --batch must be 1..1024" >&2; exit 2; }
[ "$DRAIN_FRAMES" -ge 1000 ] && [ "$DRAIN_FRAMES" -le 400000 ] ||
	{ echo "$NAME: --drain-frames must be 1000..400000" >&2; exit 2; }
json_absolute

WORK=
NS=
WATCHDOG=
NAP_PID=
READER_PID=
SENDER_PID=

bench_fail_details() {
	local f
	for f in reader.err sender.err; do
		if [ -n "$WORK" ] && [ -s "$WORK/$f" ]; then
			echo "--- $f:" >&2
			tail -n 5 "$WORK/$f" >&2
		fi
	done
}

# Runs from the EXIT trap, possibly inside a signal handler: no `wait` on
# children here (bash can hang in it on a child that it already reaped), and
# further signals are ignored so that the clean-up is not cut short. The
# reader and the sender are stopped only while their command lines still name
# our work directory.
cleanup() {
	local rc=$?
	guard_release
	stop_owned "$SENDER_PID" "$WORK" 30
	stop_owned "$READER_PID" "$WORK" 30
	if [ -n "$NS" ] && ip netns list 2>/dev/null | grep -qw -- "^$NS"; then
		ip netns del "$NS" 2>/dev/null || echo "$NAME: warning: could not delete netns $NS" >&2
	fi
	KEEP_TMP=$KEEP tmp_remove "$WORK"
	exit "$rc"
}

guard_traps cleanup on_signal

# ---------------------------------------------------------------- checks
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, mknod)"
command -v ip >/dev/null || skip "ip (iproute2) not found"
command -v python3 >/dev/null || skip "python3 not found"
CC=$(command -v gcc || command -v cc) || skip "no C compiler (apt-get install gcc)"
[ -f "$SRC" ] || skip "$SRC not found"

mapfile -t CPUS < <(usable_cpus)
[ "${#CPUS[@]}" -ge 2 ] || skip "needs 2 usable CPUs (reader and sender on their own), have ${#CPUS[@]}"
[ -n "$READER_CPU" ] || READER_CPU=${CPUS[0]}
[ -n "$SENDER_CPU" ] || SENDER_CPU=${CPUS[-1]}
isint "$READER_CPU" && isint "$SENDER_CPU" || { echo "$NAME: CPU numbers must be whole numbers" >&2; exit 2; }
[ "$READER_CPU" != "$SENDER_CPU" ] || echo "$NAME: warning: reader and sender share CPU $READER_CPU" >&2
for c in "$READER_CPU" "$SENDER_CPU"; do
	[[ " ${CPUS[*]} " == *" $c "* ]] || skip "CPU $c is not usable here (${CPUS[*]})"
done

mkdir -p "$ROOT/build" || skip "cannot create $ROOT/build"
WORK=$(mktemp -d "$ROOT/build/kernel-tap.XXXXXX") || skip "mktemp -d under $ROOT/build failed"

# Past TIMEOUT seconds the watchdog marks the run timed out and stops it;
# the EXIT trap cleans up.
watchdog_start "$TIMEOUT" "$WORK/timed-out"

BIN="$WORK/kernel_tap_rate"
"$CC" -O2 -Wall -o "$BIN" "$SRC" 2> "$WORK/cc.err" || fail "compiling $SRC failed: $(head -n 3 "$WORK/cc.err")"

# ---------------------------------------------------------------- namespace
NS="ktaprate_$$_${WORK##*.}"
ip netns add "$NS" 2>/dev/null || { NS=; skip "cannot create a network namespace"; }
NSX=(ip netns exec "$NS")
# No IPv6 (router solicitations, DAD) in the namespace: only our frames.
"${NSX[@]}" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
	>/dev/null 2>&1 || true
ip -n "$NS" link add vA type veth peer name vB 2>/dev/null || skip "cannot create a veth pair"
ip -n "$NS" link set vA address "$SENDER_MAC" || fail "cannot set vA's MAC"
if ! ip -n "$NS" link add link vB name mvt0 type macvtap mode vepa 2>/dev/null; then
	modprobe macvtap 2>/dev/null
	ip -n "$NS" link add link vB name mvt0 type macvtap mode vepa 2>/dev/null ||
		skip "kernel macvtap not available (CONFIG_MACVTAP)"
fi
ip -n "$NS" link set mvt0 address "$TAP_MAC" || fail "cannot set mvt0's MAC"
[ -z "$QLEN" ] || ip -n "$NS" link set mvt0 txqueuelen "$QLEN" || fail "cannot set mvt0's txqueuelen"
for l in lo vA vB mvt0; do
	ip -n "$NS" link set "$l" up || fail "cannot bring $l up"
done
TAP_QLEN=$("${NSX[@]}" cat /sys/class/net/mvt0/tx_queue_len)

# The tap device's numbers from the namespace's own sysfs, and a private node.
DEVNUM=$("${NSX[@]}" sh -c 'cat /sys/class/net/mvt0/macvtap/tap*/dev' 2>/dev/null)
[[ "$DEVNUM" =~ ^[0-9]+:[0-9]+$ ]] || skip "no macvtap character device for mvt0 (got '$DEVNUM')"
TAPDEV="$WORK/tap-mvt0"
mknod "$TAPDEV" c "${DEVNUM%%:*}" "${DEVNUM##*:}" 2>/dev/null ||
	skip "cannot create a device node (mknod $DEVNUM) in $WORK"

# ---------------------------------------------------------------- run
# CPU time (clock ticks) of every other user-space process, as "pid:ticks"
# words: what other processes used during the run (a busy machine makes the
# figure low, and the result says so).
cpu_others() {
	python3 - "$@" <<'EOF'
import os, sys
mine = set(sys.argv[1:])
out = []
for pid in os.listdir("/proc"):
    if not pid.isdigit() or pid in mine:
        continue
    try:
        with open("/proc/%s/stat" % pid) as f:
            rest = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        continue
    if rest[1] in ("0", "2") or pid == "2":  # kernel threads
        continue
    out.append("%s:%d" % (pid, int(rest[11]) + int(rest[12])))
print(" ".join(out))
EOF
}

"${NSX[@]}" "$BIN" read "$TAPDEV" --cpu "$READER_CPU" --warmup "$WARMUP" \
	--window "$WINDOW" --wait 10 > "$WORK/reader.json" 2> "$WORK/reader.err" &
READER_PID=$!
for i in $(seq 50); do
	grep -q 'reader ready' "$WORK/reader.err" 2>/dev/null && break
	pid_alive "$READER_PID" || fail "the reader exited: $(tail -n 1 "$WORK/reader.err")"
	sleep 0.1
done
grep -q 'reader ready' "$WORK/reader.err" || fail "the reader did not open $TAPDEV"

O0=$(cpu_others $$ "$READER_PID")
T0=$(date +%s.%N)
"${NSX[@]}" "$BIN" send vA "$TAP_MAC" --src "$SENDER_MAC" --cpu "$SENDER_CPU" \
	--size "$SIZE" --batch "$BATCH" --warmup "$WARMUP" --window "$WINDOW" --tail 1 \
	> "$WORK/sender.json" 2> "$WORK/sender.err" &
SENDER_PID=$!
nap $((WARMUP + WINDOW + 1))
for i in $(seq 100); do
	pid_alive "$SENDER_PID" || pid_alive "$READER_PID" || break
	sleep 0.1
done
O1=$(cpu_others $$ "$READER_PID" "$SENDER_PID")
T1=$(date +%s.%N)
pid_alive "$SENDER_PID" && fail "the sender did not finish"
pid_alive "$READER_PID" && fail "the reader did not finish"
wait "$SENDER_PID"; SENDER_RC=$?
wait "$READER_PID"; READER_RC=$?
SENDER_PID=
READER_PID=
[ "$SENDER_RC" = 0 ] && [ -s "$WORK/sender.json" ] || fail "the sender failed: $(tail -n 1 "$WORK/sender.err")"
[ "$READER_RC" = 0 ] && [ -s "$WORK/reader.json" ] || fail "the reader failed: $(tail -n 1 "$WORK/reader.err")"

LINKS=$(ip -n "$NS" -s -j link show 2>/dev/null)

# ---------------------------------------------------------------- drain
# The reader alone: fill a queue large enough for DRAIN_FRAMES frames (the
# sender's socket may hold that many in flight), stop the sender, then let
# a new reader empty it.
echo '{}' > "$WORK/drain.json"
if [ "$DRAIN" = 1 ]; then
	ip -n "$NS" link set mvt0 txqueuelen $((DRAIN_FRAMES + 1024)) || fail "cannot grow mvt0's queue"
	"${NSX[@]}" "$BIN" drain "$TAPDEV" --cpu "$READER_CPU" --fill 20 \
		> "$WORK/drain.json" 2> "$WORK/drain.err" &
	READER_PID=$!
	for i in $(seq 50); do
		grep -q 'reader ready' "$WORK/drain.err" 2>/dev/null && break
		pid_alive "$READER_PID" || fail "the draining reader exited: $(tail -n 1 "$WORK/drain.err")"
		sleep 0.1
	done
	grep -q 'reader ready' "$WORK/drain.err" || fail "the draining reader did not open $TAPDEV"
	"${NSX[@]}" "$BIN" send vA "$TAP_MAC" --src "$SENDER_MAC" --cpu "$SENDER_CPU" \
		--size "$SIZE" --batch "$BATCH" --count "$DRAIN_FRAMES" --sndbuf 1000000000 \
		> "$WORK/fill.json" 2> "$WORK/fill.err" &
	SENDER_PID=$!
	wait "$SENDER_PID" || fail "the filling sender failed: $(tail -n 1 "$WORK/fill.err")"
	SENDER_PID=
	pid_alive "$READER_PID" || fail "the draining reader exited early: $(tail -n 1 "$WORK/drain.err")"
	kill -USR1 "$READER_PID"
	wait "$READER_PID" || fail "the draining reader failed: $(tail -n 1 "$WORK/drain.err")"
	READER_PID=
	ip -n "$NS" link set mvt0 txqueuelen "$TAP_QLEN" 2>/dev/null
fi

RESULT=$(READER="$(cat "$WORK/reader.json")" SENDER="$(cat "$WORK/sender.json")" \
	DRAIN_RES="$(cat "$WORK/drain.json")" DRAIN_FRAMES="$DRAIN_FRAMES" \
	LINKS="$LINKS" O0="$O0" O1="$O1" T0="$T0" T1="$T1" CLK_TCK="$(getconf CLK_TCK)" \
	READER_CPU="$READER_CPU" SENDER_CPU="$SENDER_CPU" TAP_MAC="$TAP_MAC" \
	SENDER_MAC="$SENDER_MAC" TAP_QLEN="$TAP_QLEN" WARMUP="$WARMUP" \
	python3 - "$JSON" <<'EOF'
import json, os, sys, time

env = os.environ
reader = json.loads(env["READER"])
sender = json.loads(env["SENDER"])
links = {}
try:
    for l in json.loads(env["LINKS"] or "[]"):
        st = l.get("stats64", {})
        links[l["ifname"]] = {"rx_packets": st.get("rx", {}).get("packets"),
                              "rx_dropped": st.get("rx", {}).get("dropped"),
                              "tx_packets": st.get("tx", {}).get("packets"),
                              "tx_dropped": st.get("tx", {}).get("dropped")}
except ValueError:
    pass

run_s = float(env["T1"]) - float(env["T0"])
def ticks(words):
    return dict(w.split(":") for w in words.split())
o0, o1 = ticks(env["O0"]), ticks(env["O1"])
# Processes seen at both ends count their difference, those that started
# during the run all of theirs; those that ended are not seen.
others = sum(int(t) - int(o0.get(p, 0)) for p, t in o1.items()) / float(env["CLK_TCK"])
fps = reader["fps"]
pps = sender["pps"]
notes = []
problems = []
if reader["frames"] <= 0:
    problems.append("the reader counted no frame in its window")
if reader.get("other_frames"):
    notes.append("%d frames other than the benchmark's reached the reader" % reader["other_frames"])
# Which side set the figure: a reader that read about everything that was
# sent while it still waited part of the time was not the bottleneck.
if pps > 0 and fps >= pps * 0.97 and reader["cpu_busy"] < 0.9:
    bound = "sender"
    notes.append("sender-bound: the reader kept up with the sender and was busy only "
                 "%.0f%% of the window, so one reader can take more than this" %
                 (reader["cpu_busy"] * 100))
else:
    bound = "reader"
drain = json.loads(env["DRAIN_RES"] or "{}")
drain_fps = None
if drain:
    want = int(env["DRAIN_FRAMES"])
    if drain.get("frames") != want:
        notes.append("drain pass: the reader emptied %s frames of %d sent: no drain figure"
                     % (drain.get("frames"), want))
    else:
        drain_fps = round(drain["fps"])
        notes.append("the reader alone, emptying a queue of %d frames: %d frames/s (busy %.0f%%)"
                     % (want, drain_fps, drain.get("cpu_busy", 0) * 100))
if sender.get("cpu_busy", 1) < 0.9:
    notes.append("the sender ran only %.0f%% of the window on CPU %s: something else "
                 "used that CPU, the figure is low" % (sender["cpu_busy"] * 100, env["SENDER_CPU"]))
if others > 0.1 * run_s:
    notes.append("other processes used %.1f CPU-seconds during the %.1f s run: "
                 "the machine was busy, the figure is low" % (others, run_s))

res = {
    "bench": "kernel-tap",
    "status": "fail" if problems else "ok",
    "problems": problems,
    "notes": notes,
    "reader_fps": round(fps),
    "sender_pps": round(pps),
    "bound": bound,
    "reader_drain_fps": drain_fps,
    "window_s": round(reader["seconds"], 3),
    "warmup_s": int(env["WARMUP"]),
    "frame_size": sender["size"],
    "reader": reader,
    "sender": sender,
    "drain": drain or None,
    "reader_cpu": int(env["READER_CPU"]),
    "sender_cpu": int(env["SENDER_CPU"]),
    "setup": {"lower": "veth vB (peer vA)", "macvtap": "mvt0 mode vepa",
              "tap_mac": env["TAP_MAC"], "sender_mac": env["SENDER_MAC"],
              "tap_queue_len": int(env["TAP_QLEN"]),
              "sender": "AF_PACKET sendmmsg, PACKET_QDISC_BYPASS",
              "reader": "one blocking read() per frame, no vnet header"},
    "links_at_end": links,
    "other_processes_cpu_s": round(others, 2),
    "kernel": os.uname().release,
    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
}
if sys.argv[1]:
    with open(sys.argv[1], "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
for n in notes:
    print("kernel-tap: note: " + n, file=sys.stderr)
print("%s %d %d %s" % (res["status"], res["reader_fps"], res["sender_pps"], " | ".join(problems)))
EOF
) || fail "could not compute the result"

read -r status fps pps problems <<< "$RESULT"
if [ "$status" != ok ]; then
	echo "FAIL: $NAME: reader_fps=$fps sender_pps=$pps: $problems"
	exit 1
fi
echo "$NAME: reader_fps=$fps sender_pps=$pps"
exit 0
