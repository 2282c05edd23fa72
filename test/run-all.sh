#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Set up, build and run every test. Each test prints PASS:/FAIL:/SKIP: lines;
# this counts them and ends with one line: "N passed, N failed[, N skipped]".
set -u
cd "$(dirname "$0")/.."
top=$PWD

if ! ./devtools/setup.sh; then
	echo "FAIL: setup: installing or building failed"
	echo "0 passed, 1 failed"
	exit 1
fi

plugin=$top/build/drivers/net/macvtap/librte_net_macvtap.so
log_dir=$top/build/test-logs
mkdir -p "$log_dir"
results=$log_dir/results.txt
: > "$results"

# One suite: a name and a command. Output goes to its log; result lines to the summary.
run_suite() {
	local name=$1
	shift
	local log=$log_dir/$name.log rc start
	start=$(date +%s)
	"$@" > "$log" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|SKIP): ' "$log" | sed "s/^\([A-Z]*\): /\1: $name: /" | tee -a "$results"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL: ' "$log"; then
		echo "FAIL: $name: exited $rc with no failure reported (see $log)" | tee -a "$results"
	fi
	if ! grep -qE '^(PASS|FAIL|SKIP): ' "$log" && [ $rc -eq 0 ]; then
		echo "FAIL: $name: ran no test (see $log)" | tee -a "$results"
	fi
	echo "# $name: $(( $(date +%s) - start )) s, log $log"
}

run_suite hash "$top/build/test/test_hash"
eal="--no-huge -m 512 --no-pci -l 0-1 -d $plugin"
run_suite functional "$top/build/test/test_macvtap" $eal --file-prefix=mvt_func_$$ \
	--vdev net_macvtap_early,iface=net_ring_late --vdev net_ring_late
# EAL leaves its runtime directory behind; the suites' own are theirs to remove.
rm -rf "/var/run/dpdk/mvt_func_$$"
run_suite testpmd "$top/test/testpmd_forward.sh"
run_suite kernel_oracle "$top/test/kernel_oracle.sh"
run_suite runtime "$top/test/testpmd_runtime.sh"
run_suite proc_info "$top/test/proc_info.sh"
run_suite install "$top/test/install.sh"
run_suite ovs_dpdk "$top/test/ovs_dpdk.sh"
run_suite bench_quick "$top/test/bench_quick.sh"

passed=$(grep -c '^PASS: ' "$results")
failed=$(grep -c '^FAIL: ' "$results")
skipped=$(grep -c '^SKIP: ' "$results")
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
