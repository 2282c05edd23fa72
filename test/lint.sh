#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Static analysis, each a check that fails on any finding:
#   cppcheck     drivers/ (warning, style, performance, portability; DPDK's
#                declarations-at-the-top style exempt: variableScope)
#   clang-tidy   drivers/ with the repo's .clang-tidy, on the compile commands
#                of the build (MACVTAP_BUILD_DIR, default build); a finding is
#                an error there (WarningsAsErrors), so besides printing
#                nothing clang-tidy must exit 0: a crash, a file it could not
#                compile or a finding it printed but we would not see fails
#   every shell script through shellcheck, severity warning and above
# SKIP (with the reason) for an analyser that is not installed, a FAIL under
# test/run-all.sh, whose set-up installs them all (skip_missing).
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=test/lib/common.sh
. test/lib/common.sh
test_env
test_start test_cleanup
make_test_tmp lint

# run_check NAME COMMAND...: PASS when COMMAND prints nothing and exits 0;
# else FAIL with its exit status and its first lines.
run_check() {
	local name=$1
	shift
	local rc=0
	"$@" > "$tmp/$name.out" 2>&1 || rc=$?
	if [ "$rc" = 0 ] && [ ! -s "$tmp/$name.out" ]; then
		pass "$name"
	else
		fail "$name" "exit $rc, $(grep -c . "$tmp/$name.out") lines of output, first: $(head -n 3 "$tmp/$name.out" | tr '\n' '|')"
		sed 's/^/# /' "$tmp/$name.out" >&2
	fi
}

if command -v cppcheck >/dev/null; then
	run_check cppcheck-drivers cppcheck -q --error-exitcode=1 --std=c11 --inline-suppr \
		--enable=warning,style,performance,portability --suppress=variableScope \
		-D__linux__ -I drivers/net/macvtap drivers/net/macvtap/
else
	skip_missing cppcheck-drivers "cppcheck is not installed (apt-get install cppcheck)"
fi

if ! command -v clang-tidy >/dev/null; then
	skip_missing clang-tidy-drivers "clang-tidy is not installed (apt-get install clang-tidy)"
elif [ ! -f "$build/compile_commands.json" ]; then
	fail clang-tidy-drivers "no $build/compile_commands.json (build first: devtools/setup.sh)"
else
	# Its findings, without its progress lines ("N warnings generated.": the
	# ones it suppressed in DPDK's and the C library's headers), and its exit
	# status: not 0 for a finding (.clang-tidy: WarningsAsErrors '*'), a file
	# that does not compile, or a crash.
	tidy() {
		local rc=0
		clang-tidy -p "$build" --quiet drivers/net/macvtap/*.c > "$tmp/tidy.raw" 2>&1 || rc=$?
		grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' "$tmp/tidy.raw"
		return "$rc"
	}
	run_check clang-tidy-drivers tidy
fi

if command -v shellcheck >/dev/null; then
	mapfile -t scripts < <(git ls-files '*.sh' .ci/run 2>/dev/null || find . -name '*.sh' -not -path './build*')
	run_check shellcheck-scripts shellcheck -x -S warning "${scripts[@]}"
else
	skip_missing shellcheck-scripts "shellcheck is not installed (apt-get install shellcheck)"
fi
finish
