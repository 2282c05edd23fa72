#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Static analysis, each a check that fails on any finding:
#   cppcheck     drivers/ (warning, style, performance, portability; DPDK's
#                declarations-at-the-top style exempt: variableScope)
#   clang-tidy   drivers/ with the repo's .clang-tidy, on the compile commands
#                of the build (MACVTAP_BUILD_DIR, default build)
#   every shell script through shellcheck, severity warning and above
# SKIP (with the reason) for an analyser that is not installed.
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=test/lib/common.sh
. test/lib/common.sh
test_env
test_start test_cleanup
make_test_tmp lint

# run_check NAME COMMAND...: PASS when COMMAND prints nothing and exits 0.
run_check() {
	local name=$1
	shift
	if "$@" > "$tmp/$name.out" 2>&1 && [ ! -s "$tmp/$name.out" ]; then
		pass "$name"
	else
		fail "$name" "$(grep -c . "$tmp/$name.out") lines of findings, first: $(head -n 3 "$tmp/$name.out" | tr '\n' '|')"
		sed 's/^/# /' "$tmp/$name.out" >&2
	fi
}

if command -v cppcheck >/dev/null; then
	run_check cppcheck-drivers cppcheck -q --error-exitcode=1 --std=c11 --inline-suppr \
		--enable=warning,style,performance,portability --suppress=variableScope \
		-D__linux__ -I drivers/net/macvtap drivers/net/macvtap/
else
	skip cppcheck-drivers "cppcheck is not installed (apt-get install cppcheck)"
fi

if ! command -v clang-tidy >/dev/null; then
	skip clang-tidy-drivers "clang-tidy is not installed (apt-get install clang-tidy)"
elif [ ! -f "$build/compile_commands.json" ]; then
	fail clang-tidy-drivers "no $build/compile_commands.json (build first: devtools/setup.sh)"
else
	# Only our own findings: clang-tidy also prints how many it suppressed in headers.
	tidy() {
		clang-tidy -p "$build" --quiet drivers/net/macvtap/*.c 2>&1 |
			grep -E '(warning|error):' | grep -vE '^/usr/'
		return 0
	}
	run_check clang-tidy-drivers tidy
fi

if command -v shellcheck >/dev/null; then
	mapfile -t scripts < <(git ls-files '*.sh' .ci/run 2>/dev/null || find . -name '*.sh' -not -path './build*')
	run_check shellcheck-scripts shellcheck -x -S warning "${scripts[@]}"
else
	skip shellcheck-scripts "shellcheck is not installed (apt-get install shellcheck)"
fi
finish
