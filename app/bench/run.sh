#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# The whole benchmark, as recorded in doc/guides/nics/macvtap_perf.rst:
#   sudo bash app/bench/run.sh [--quick] [--no-ovs] [--no-kernel] [--no-huge]
# Installs what it needs (apt), builds, reserves hugepages for the run (and
# gives them back), runs dpdk-macvtap-bench over the full sweep, then the
# OVS-DPDK and kernel-macvtap comparisons where this machine has them, and
# the VM backend's PVP comparison (pvp_compare.sh: dpdk-macvtap-vhost against
# testpmd io forwarding and OVS-DPDK NORMAL, virtio_user VMs).
# Results go to build/bench-results/<date>/: bench.csv, bench.json,
# bench.png, the comparisons' JSON, and the log of every command.
set -u
cd "$(dirname "$0")/../.." || exit 1
top=$PWD

quick=0 ovs=1 kernel=1 huge=1
for a in "$@"; do
	case "$a" in
	--quick) quick=1 ;;
	--no-ovs) ovs=0 ;;
	--no-kernel) kernel=0 ;;
	--no-huge) huge=0 ;;
	-h|--help) sed -n '3,13p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $a" >&2; exit 2 ;;
	esac
done

./devtools/setup.sh || exit 1
if ! command -v gnuplot >/dev/null; then
	echo "run.sh: installing gnuplot-nox for the plot"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox \
		>/dev/null 2>&1 || echo "run.sh: no gnuplot: no plot" >&2
fi

out=$top/build/bench-results/$(date -u +%Y-%m-%dT%H%M%SZ)
mkdir -p "$out"
log=$out/log.txt
plugin=$top/build/drivers/net/macvtap/librte_net_macvtap.so
nr_file=/proc/sys/vm/nr_hugepages
nr_old=$(cat "$nr_file")
hugedir=""

cleanup() {
	rm -rf "/var/run/dpdk/mvt_bench_$$"
	if [ -n "$hugedir" ]; then
		umount "$hugedir" 2>/dev/null
		rmdir "$hugedir" 2>/dev/null
		echo "$nr_old" > "$nr_file"
	fi
}
trap cleanup EXIT

mem=(--no-huge -m 1024)
if [ "$huge" = 1 ]; then
	# 2 MB pages for -m 1024 and some slack; a private mount, given back at exit.
	echo $((nr_old + 600)) > "$nr_file" 2>/dev/null
	hugedir=$(mktemp -d "$top/build/hugepages.XXXXXX")
	if [ "$(($(cat "$nr_file") - nr_old))" -ge 560 ] &&
	   mount -t hugetlbfs -o pagesize=2M nodev "$hugedir" 2>/dev/null; then
		mem=(-m 1024 --huge-dir "$hugedir")
	else
		echo "run.sh: no hugepages here: measuring with --no-huge" >&2
		rmdir "$hugedir"
		hugedir=""
		echo "$nr_old" > "$nr_file"
	fi
fi

{
	echo "# $(date -u) on $(uname -r), $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
	echo "# DPDK $(pkg-config --modversion libdpdk), net_macvtap $(git -C "$top" describe --always --dirty 2>/dev/null)"
} | tee "$log"

args=(--rounds 5 --seconds 1)
[ "$quick" = 1 ] && args=(--quick)
cmd=("$top/build/app/dpdk-macvtap-bench" "${mem[@]}" --no-pci -l 0-1
	--file-prefix="mvt_bench_$$" -d "$plugin" --log-level=pmd.net.macvtap:warning
	-- "${args[@]}" --dir "$out" --csv "$out/bench.csv" --json "$out/bench.json"
	--plot "$out/bench.png")
echo "\$ ${cmd[*]}" | tee -a "$log"
"${cmd[@]}" 2>&1 | grep -vE '^(EAL|TELEMETRY):|already stopped$' | tee -a "$log"
rc=${PIPESTATUS[0]}

if [ "$ovs" = 1 ] && [ -x app/bench/ovs_normal.sh ]; then
	for n in 1 8; do
		for f in "" --distinct-flows; do
			c=(bash app/bench/ovs_normal.sh --dests "$n" ${f:+"$f"}
			   --json "$out/ovs_${n}${f:+_distinct}.json")
			echo "\$ ${c[*]}" | tee -a "$log"
			"${c[@]}" 2>&1 | grep -E '^(ovs-normal|SKIP|FAIL)' | tee -a "$log"
		done
	done
fi
if [ "$kernel" = 1 ] && [ -x app/bench/kernel_tap_rate.sh ]; then
	c=(bash app/bench/kernel_tap_rate.sh --json "$out/kernel_tap.json")
	echo "\$ ${c[*]}" | tee -a "$log"
	"${c[@]}" 2>&1 | grep -E '^(kernel-tap|SKIP|FAIL)' | tee -a "$log"
fi
# The driver as users run it: stock dpdk-testpmd, io forwarding, default
# burst, one forwarding lcore, the lower alone against the lower through N
# ports, rounds alternating in one run (issue 11's targets: 1 port 0.85,
# 8 ports 0.75).
for n in 1 8 15; do
	c=(bash app/bench/testpmd_rate.sh --ports "$n" --rounds 5 --json "$out/testpmd_$n.json")
	[ "$quick" = 1 ] && c=(bash app/bench/testpmd_rate.sh --ports "$n" --rounds 2 --window 1
			      --json "$out/testpmd_$n.json")
	echo "\$ ${c[*]}" | tee -a "$log"
	"${c[@]}" 2>&1 | grep -E '^(testpmd-rate|SKIP|FAIL)' | tee -a "$log"
done
# One reader of one port, the same 64-byte frames: the tap file read in
# process (dpdk-macvtap-bench file-read) and the seqpacket endpoint from
# another process, each against the kernel's /dev/tapN reader alone (its
# drain figure), all from this run.
c=(bash app/bench/seqpacket_rate.sh --json "$out/seqpacket.json")
echo "\$ ${c[*]}" | tee -a "$log"
"${c[@]}" 2>&1 | grep -E '^(seqpacket|SKIP|FAIL)' | tee -a "$log"
# The VM backend (app/vhost/), wire -> VMs -> wire with 1 and 8 virtio_user
# VMs and VM to VM, against stock testpmd io forwarding and OVS-DPDK NORMAL,
# alternating rounds in one run (issue 10's targets: 1.3x and 2x).
c=(bash app/bench/pvp_compare.sh --json "$out/pvp.json")
[ "$quick" = 1 ] && c+=(--quick)
[ "$ovs" = 0 ] && c+=(--no-ovs)
echo "\$ ${c[*]}" | tee -a "$log"
"${c[@]}" 2>&1 | grep -E '^(pvp-compare|SKIP|FAIL)' | tee -a "$log"
python3 - "$out" <<'PY' 2>&1 | tee -a "$log"
import json, os, sys
out = sys.argv[1]
def load(name):
    try:
        return json.load(open(os.path.join(out, name)))
    except (OSError, ValueError):
        return None
bench, kern, seq = load("bench.json"), load("kernel_tap.json"), load("seqpacket.json")
k = kern.get("reader_drain_fps") if kern else None
if not k:
    print("tap-readers: no kernel reader figure in this run: no ratios")
    sys.exit(0)
fr = [r for r in (bench or {}).get("results", []) if r["kind"] == "file-read"]
line = "tap-readers: kernel /dev/tapN reader %.3f M/s" % (k / 1e6)
if fr:
    line += "; in-process read %.2f M/s = %.1fx" % (fr[0]["macvtap_mpps"], fr[0]["macvtap_mpps"] * 1e6 / k)
if seq:
    line += "; seqpacket %.3f M/s = %.1fx (batch 1), %.3f M/s = %.1fx (batch 32)" % (
        seq["fps_batch1"] / 1e6, seq["fps_batch1"] / k, seq["fps_batch32"] / 1e6, seq["fps_batch32"] / k)
print(line)
PY
echo "results: $out" | tee -a "$log"
exit "$rc"
