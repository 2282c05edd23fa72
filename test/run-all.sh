#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Set up, build and run every test. Each test prints PASS:/FAIL:/SKIP: lines;
# this counts them and ends with one line: "N passed, N failed[, N skipped]".
#
# Three builds (devtools/setup.sh --tests), warnings as errors in each:
#   build        gcc: every suite, then the static analysers (test/lint.sh)
#   build-asan   gcc with AddressSanitizer + UndefinedBehaviorSanitizer: every
#                suite again ("asan-" in front of its name) but install (which
#                links a program of its own to the installed plugin); the stock DPDK
#                programs that load the plugin (testpmd, proc-info, OVS) get the
#                ASan runtime preloaded. Any report fails the run.
#   build-fuzz   clang: the libFuzzer targets, a bounded run each (test/fuzz/run.sh)
#
# SKIP or FAIL: a script SKIPs a check (and says why) only for a cause that the
# set-up cannot remove: not root, no kernel macvtap, no network namespaces, no
# hugepages to be had, fewer than 2 CPUs, a real install of the plugin in the
# system's PMD directory, or a check that an earlier FAIL left without input.
# What devtools/setup.sh --tests installs or builds (OVS-DPDK, clang, libFuzzer,
# the analysers, DPDK's programs, python3, the three build trees) being
# missing is a FAIL here: once the set-up succeeded this script exports
# MACVTAP_SETUP_INSTALLED=1, which turns the scripts' skip_missing
# (test/lib/common.sh) from SKIP into FAIL. Run on their own, without it, the
# scripts SKIP such checks. So a run is green only when every suite that the
# set-up makes possible ran.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$PWD

if ! ./devtools/setup.sh --tests; then
	echo "FAIL: setup: installing or building failed"
	echo "0 passed, 1 failed"
	exit 1
fi
# What the set-up installs is there: its absence is a FAIL, not a SKIP.
export MACVTAP_SETUP_INSTALLED=1

log_dir=$top/build/test-logs
rm -rf "$log_dir"
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

# run_c_suite NAME PROGRAM [EAL ARGS...]: a test program of ours, on its own
# EAL file prefix, whose runtime directory is removed afterwards.
run_c_suite() {
	local name=$1 prog=$2 prefix=mvt_${1//-/_}_$$
	shift 2
	run_suite "$name" "$prog" --no-huge -m 512 --no-pci -l 0-1 -d "$plugin" \
		--file-prefix="$prefix" "$@"
	rm -rf "/var/run/dpdk/$prefix"
}

# run_pass PREFIX: every suite, on the build in $build (exported for the scripts).
run_pass() {
	local p=$1
	plugin=$build/drivers/net/macvtap/librte_net_macvtap.so
	export MACVTAP_BUILD_DIR=$build
	run_suite "${p}hash" "$build/test/test_hash"
	run_c_suite "${p}functional" "$build/test/test_macvtap" \
		--vdev net_macvtap_early,iface=net_ring_late --vdev net_ring_late
	# The same suite on net_nicsim, a lower that filters, frees what it sends
	# and raises its events from a thread of its own, as a NIC does.
	MACVTAP_TEST_LOWER=nic run_c_suite "${p}functional-nic" "$build/test/test_macvtap"
	run_c_suite "${p}tapfile" "$build/test/test_tapfile"
	MACVTAP_TEST_LOWER=nic run_c_suite "${p}tapfile-nic" "$build/test/test_tapfile"
	run_c_suite "${p}chardev" "$build/test/test_chardev"
	MACVTAP_TEST_LOWER=nic run_c_suite "${p}chardev-nic" "$build/test/test_chardev"
	run_c_suite "${p}nicsim" "$build/test/nicsim/test_nicsim"
	run_c_suite "${p}concurrency" "$build/test/stress/test_concurrency"
	run_c_suite "${p}tapfile-stress" "$build/test/stress/test_tapfile_stress"
	run_c_suite "${p}isolation" "$build/test/stress/test_isolation"
	run_c_suite "${p}faults" "$build/test/faults/test_faults"
	run_c_suite "${p}vhost-offload" "$build/test/test_vhost_offload"
	run_suite "${p}testpmd" "$top/test/testpmd_forward.sh"
	run_suite "${p}kernel_oracle" "$top/test/kernel_oracle.sh"
	run_suite "${p}tapfile_kernel" "$top/test/tapfile_kernel.sh"
	run_suite "${p}runtime" "$top/test/testpmd_runtime.sh"
	run_suite "${p}proc_info" "$top/test/proc_info.sh"
	run_suite "${p}telemetry" "$top/test/telemetry.sh"
	run_suite "${p}ovs_dpdk" "$top/test/ovs_dpdk.sh"
	run_suite "${p}bench_quick" "$top/test/bench_quick.sh"
	run_suite "${p}vm_endpoints" "$top/test/vm_endpoints.sh"
	run_suite "${p}vm_vhost" "$top/test/vm_vhost.sh"
	run_suite "${p}vhost_backend" "$top/test/vhost_backend.sh"
}

build=$top/build
run_pass ""
run_suite install "$top/test/install.sh"
run_suite symbols "$top/test/symbols.sh"
run_suite lint "$top/test/lint.sh"

# The same again under the sanitizers. Reports go to files (a program's stderr
# may be a log nobody reads) and abort the program that made them.
build=$top/build-asan
san_dir=$build/sanitizer-reports
rm -rf "$san_dir"
mkdir -p "$san_dir" "$build/preload"
export ASAN_OPTIONS="log_path=$san_dir/asan:abort_on_error=1:detect_leaks=1"
export UBSAN_OPTIONS="log_path=$san_dir/ubsan:print_stacktrace=1:halt_on_error=1"
# Stock programs are not linked with the ASan runtime: preload it into them alone,
# first, before what is preloaded already (stdbuf's line buffering, for one).
# Their own exit-time allocations are not ours to judge: no leak check there.
asan_rt=$(gcc -print-file-name=libasan.so)
for prog in TESTPMD=/usr/bin/dpdk-testpmd PROC_INFO=/usr/bin/dpdk-proc-info \
	    OVS_DPDK_BIN=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk; do
	var=${prog%%=*} real=${prog#*=} wrapper=$build/preload/$(basename "${prog#*=}")
	printf '#!/bin/sh\nASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" LD_PRELOAD="%s${LD_PRELOAD:+ $LD_PRELOAD}" exec %s "$@"\n' \
		"$asan_rt" "$real" > "$wrapper"
	chmod +x "$wrapper"
	[ -x "$real" ] && export "$var=$wrapper"
done
run_pass "asan-"
unset TESTPMD PROC_INFO OVS_DPDK_BIN ASAN_OPTIONS UBSAN_OPTIONS
reports=$(find "$san_dir" -type f | wc -l)
if [ "$reports" -eq 0 ]; then
	echo "PASS: sanitizers: no report" | tee -a "$results"
else
	echo "FAIL: sanitizers: $reports reports in $san_dir: $(head -qn 3 "$san_dir"/* | tr '\n' '|' | cut -c1-400)" |
		tee -a "$results"
fi

run_suite fuzz "$top/test/fuzz/run.sh" "$top/build-fuzz"

passed=$(grep -c '^PASS: ' "$results")
failed=$(grep -c '^FAIL: ' "$results")
skipped=$(grep -c '^SKIP: ' "$results")
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
