#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Run the libFuzzer targets (fuzz_devargs, fuzz_rx, fuzz_tapwrite) for a bounded
# time each.
#
#   test/fuzz/run.sh [--long] [BUILD_DIR]
#
# BUILD_DIR (default build-fuzz, relative to the repository's top) is a clang
# build with -Dfuzz=true; when it does not exist it is set up as
#   CC=clang meson setup BUILD_DIR -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
# and the targets are built in it. Each target replays its seed corpus
# (test/fuzz/corpus/<devargs|rx|tapwrite>/) and its regressions
# (test/fuzz/regressions/<target>/, inputs that once crashed it), then fuzzes
# until FUZZ_SECONDS have passed. One line per target: "PASS: fuzz_rx", or
# "FAIL: fuzz_rx: why" with the crashing input, or "SKIP: fuzz_rx: why" when
# clang or libFuzzer is missing. Everything written goes into BUILD_DIR:
# crash inputs in fuzz-artifacts/<target>/, logs in fuzz-logs/, new corpus
# entries in a work directory (removed after a short run); nothing goes into
# the source tree. The EAL runtime directories of the targets are removed.
#
# Knobs (environment):
#   FUZZ_SECONDS=N   fuzzing time per target, default 45 (fuzz_tapwrite: 30);
#                    0 only replays the corpus and the regressions
#   FUZZ_LONG=1      the same as --long: hours-long runs (FUZZ_SECONDS defaults
#                    to 14400) with a persistent corpus per target in
#                    BUILD_DIR/fuzz-corpus/<target>/, which grows from run to
#                    run; e.g. FUZZ_LONG=1 FUZZ_SECONDS=28800 test/fuzz/run.sh
#   FUZZ_TARGETS     the targets to run, default
#                    "fuzz_devargs fuzz_rx fuzz_tapwrite"
#   FUZZ_VERBOSE=1   the targets trace each input on stderr (into the log)
#
# A crash found becomes a regression: minimise it
#   BUILD_DIR/test/fuzz/<target> -minimize_crash=1 -runs=20000 -detect_leaks=0 CRASH
# and copy the result to test/fuzz/regressions/<target>/<what-it-shows>.
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/common.sh
. "$repo/test/lib/common.sh"

long=${FUZZ_LONG:-0}
if [ "${1:-}" = --long ]; then
	long=1
	shift
fi
build=${1:-build-fuzz}
case $build in
/*) ;;
*) build=$repo/$build ;;
esac
# default_seconds TARGET: its fuzzing time when FUZZ_SECONDS is not given.
default_seconds() {
	if [ "$long" = 1 ]; then
		echo 14400
	elif [ "$1" = fuzz_tapwrite ]; then
		echo 30
	else
		echo 45
	fi
}
targets=${FUZZ_TARGETS:-fuzz_devargs fuzz_rx fuzz_tapwrite}
work_dirs=()
prefixes=()

# On any exit: the targets' EAL runtime directories (their names end in the
# target's pid, unknown here) and the short runs' work directories.
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
	local p rt d
	for p in "${prefixes[@]}"; do
		for rt in /var/run/dpdk "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk" /tmp/dpdk; do
			for d in "$rt/${p}"_*; do
				[ -d "$d" ] && rm -rf -- "$d"
			done
		done
	done
	for d in "${work_dirs[@]}"; do
		tmp_remove "$d"
	done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# skip_all REASON: each target SKIPs (a FAIL under test/run-all.sh, whose
# set-up installs clang and libFuzzer and configures build-fuzz: skip_missing).
skip_all() {
	local t
	for t in $targets; do
		skip_missing "$t" "$1"
	done
	finish
}

command -v clang >/dev/null || skip_all "clang not found (apt-get install clang)"
fuzzer_lib=$(clang -print-file-name="libclang_rt.fuzzer-$(uname -m).a")
[ -f "$fuzzer_lib" ] || skip_all "libFuzzer not found (apt-get install libclang-rt-dev)"

if [ ! -f "$build/build.ninja" ]; then
	note "setting up $build"
	setup_log=$(mktemp)
	if ! CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false > "$setup_log" 2>&1; then
		for t in $targets; do
			fail "$t" "meson setup $build failed: $(tail -n 3 "$setup_log" | tr '\n' ' ')"
		done
		rm -f "$setup_log"
		finish
	fi
	rm -f "$setup_log"
fi
if ! grep -q 'fuzz_rx' "$build/build.ninja"; then
	skip_all "$build is not configured with -Dfuzz=true"
fi
mkdir -p "$build/fuzz-logs"
ninja_targets=()
for t in $targets; do
	ninja_targets+=("test/fuzz/$t")
done
if ! ninja -C "$build" "${ninja_targets[@]}" > "$build/fuzz-logs/build.log" 2>&1; then
	for t in $targets; do
		fail "$t" "build failed (see $build/fuzz-logs/build.log)"
	done
	finish
fi

# run_target TARGET CORPUS_NAME MAX_LEN [OPTIONS...]: replay, fuzz, one result line.
run_target() {
	local t=$1 seeds=$repo/test/fuzz/corpus/$2 max_len=$3
	shift 3
	local bin=$build/test/fuzz/$t log=$build/fuzz-logs/$t.log
	local art=$build/fuzz-artifacts/$t regress=$repo/test/fuzz/regressions/$t
	local prefix=fz_${t#fuzz_}_$$ work rc why input
	local seconds=${FUZZ_SECONDS:-$(default_seconds "$t")}
	local opts=(-detect_leaks=0 -timeout=30 -rss_limit_mb=4096 -max_len="$max_len"
		-print_final_stats=1 -artifact_prefix="$art/" "$@")

	mkdir -p "$art"
	if [ "$long" = 1 ]; then
		work=$build/fuzz-corpus/$t
		mkdir -p "$work"
	else
		work=$(mktemp -d "$build/fuzz-work-$t.XXXXXX")
		work_dirs+=("$work")
	fi
	if [ "$seconds" = 0 ]; then
		opts+=(-runs=0)
	else
		opts+=(-max_total_time="$seconds")
	fi
	prefixes+=("$prefix")
	note "$t: replaying $seeds and $regress, then fuzzing ${seconds} s; log $log"
	(cd "$build" &&
		FUZZ_EAL_PREFIX=$prefix ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$bin" "${opts[@]}" "$work" "$seeds" "$regress") > "$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q 'INITED' "$log"; then
		pass "$t"
		note "$t: $(grep -m1 '^stat::number_of_executed_units' "$log" | tr -dc '0-9') inputs"
		return
	fi
	why=$(grep -m1 '^FUZZ FAIL: ' "$log" | sed 's/^FUZZ FAIL: //')
	[ -n "$why" ] ||
		why=$(grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer)|runtime error:' "$log")
	[ -n "$why" ] || why="exited $rc"
	input=$(grep -o 'Test unit written to .*' "$log" | tail -1 | sed 's/Test unit written to //')
	# A known regression that still fails: say which.
	for f in "$regress"/*; do
		if [ -f "$f" ] && [ -n "$input" ] && cmp -s "$f" "$input"; then
			input="regression $f"
			break
		fi
	done
	fail "$t" "$why (input: ${input:-none}; log: $log)"
}

for t in $targets; do
	case $t in
	fuzz_devargs) run_target "$t" devargs 2048 -dict="$repo/test/fuzz/devargs.dict" ;;
	fuzz_rx) run_target "$t" rx 16384 ;;
	fuzz_tapwrite) run_target "$t" tapwrite 16384 ;;
	*) fail "$t" "no such fuzz target" ;;
	esac
done
finish
