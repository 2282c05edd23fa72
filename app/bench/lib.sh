# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# What the comparison scripts (ovs_normal.sh, kernel_tap_rate.sh) share: their
# own result lines (not those of test/lib/common.sh, which are for tests), a
# JSON file for a run that ends without a figure, and the signal handler.
# Sourced after test/lib/common.sh; it only defines functions.
#
# The script sets:
#   NAME           its name in result lines, and the JSON file's "bench"
#   JSON           where --json asked for the result ('' for none)
#   JSON_FIELDS    further key=value pairs for that file (whole numbers stay numbers)
#   WORK, TIMEOUT  its work directory and time limit (for the signal handler)
# and may define bench_fail_details, which fail calls to print what explains
# the failure (on stderr).

isint() { [[ "$1" =~ ^[0-9]+$ ]]; }

# need_int OPTION VALUE: exit 2 unless VALUE is a whole number.
need_int() {
	isint "$2" || { echo "$NAME: $1 needs a whole number" >&2; exit 2; }
}

# json_absolute: make $JSON absolute, so that a change of directory keeps it.
json_absolute() {
	if [ -n "$JSON" ]; then
		case "$JSON" in /*) ;; *) JSON="$PWD/$JSON" ;; esac
	fi
}

# json_status STATUS REASON: the JSON file of a run without a figure.
json_status() {
	[ -n "$JSON" ] || return 0
	# shellcheck disable=SC2086  # JSON_FIELDS is a list of key=value words
	python3 - "$JSON" "$NAME" "$1" "$2" ${JSON_FIELDS:-} <<'PY' || true
import json, sys
out, bench, status, reason = sys.argv[1:5]
doc = {"bench": bench, "status": status, "reason": reason}
for kv in sys.argv[5:]:
    k, v = kv.split("=", 1)
    doc[k] = int(v) if v.isdigit() else v
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
PY
}

# skip and fail end the run with its result line (and its JSON file).
skip() {
	echo "SKIP: $NAME: $*"
	json_status skip "$*"
	exit 0
}

fail() {
	echo "FAIL: $NAME: $*"
	json_status fail "$*"
	if declare -F bench_fail_details >/dev/null; then
		bench_fail_details
	fi
	exit 1
}

# on_signal SIGNAME: the handler guard_traps installs (test/lib/common.sh).
on_signal() {
	if [ -n "$WORK" ] && [ -f "$WORK/timed-out" ]; then
		fail "timed out after ${TIMEOUT} s"
	fi
	echo "FAIL: $NAME: interrupted by SIG$1"
	json_status fail "interrupted by SIG$1"
	exit 1
}
