#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# seqpacket_rate.sh: how many frames per second ONE reader in another process
# gets from a net_macvtap port's chardev=seqpacket endpoint.
#
#   net_pcap (infinite_rx, 64-byte frames to the port's MAC)
#     -> net_macvtap0,chardev=seqpacket:<sock>   (in stock dpdk-testpmd, which
#        only hosts the port: the endpoint's thread polls the lower itself)
#     -> macvtap-seqpacket-reader (app/bench/seqpacket_reader.c, pinned to CPU 1)
#
# Two passes: one frame per message, as a tap file reads (batch 1), and the
# client library's batches (macvtap_client_set_batch 32: frames packed into
# messages, still read one by one). Same frames as the kernel anchor
# (kernel_tap_rate.sh) and the in-process read (dpdk-macvtap-bench file-read).
#
# Usage: app/bench/seqpacket_rate.sh [--json FILE] [--window S] [--warmup S]
#
# Prints "seqpacket: fps_batch1=X fps_batch32=Y". Exit status 0 with a result
# or a SKIP line, 1 on failure.
set -u -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
build=${MACVTAP_BUILD_DIR:-$ROOT/build}
testpmd=${TESTPMD:-/usr/bin/dpdk-testpmd}
JSON='' WINDOW=3 WARMUP=1
while [ $# -gt 0 ]; do
	case "$1" in
	--json) JSON=$2; shift 2 ;;
	--window) WINDOW=$2; shift 2 ;;
	--warmup) WARMUP=$2; shift 2 ;;
	*) sed -n '/^# Usage:/,/^# or a SKIP/p' "$0" >&2; exit 2 ;;
	esac
done
reader=$build/app/macvtap-seqpacket-reader
plugin=$build/drivers/net/macvtap/librte_net_macvtap.so
for f in "$reader" "$plugin" "$testpmd"; do
	[ -x "$f" ] || [ -f "$f" ] || { echo "SKIP: seqpacket: $f is missing (build first)"; exit 0; }
done
work=$(mktemp -d "$build/seqpacket-rate.XXXXXX")
prefix=mvt_seqrate_$$
tp_pid=
cleanup() {
	[ -n "$tp_pid" ] && kill "$tp_pid" 2>/dev/null && wait "$tp_pid" 2>/dev/null
	rm -rf "$work" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT
python3 "$HERE/bench_pcap.py" "$work/in.pcap" --dests 1 >/dev/null || exit 1
mkfifo "$work/stdin"
"$testpmd" --no-huge -m 512 --no-pci -l 0-1 --file-prefix="$prefix" -d "$plugin" \
	--log-level=pmd.net.macvtap:warning \
	--vdev "net_pcap0,rx_pcap=$work/in.pcap,infinite_rx=1" \
	--vdev "net_macvtap0,iface=net_pcap0,mac=02:4d:56:00:00:00,chardev=seqpacket:$work/sock" \
	-- -i --total-num-mbufs=16384 < "$work/stdin" > "$work/testpmd.log" 2>&1 &
tp_pid=$!
exec 3> "$work/stdin"
for _ in $(seq 100); do
	[ -S "$work/sock" ] && grep -q 'testpmd> ' "$work/testpmd.log" && break
	sleep 0.1
done
if ! [ -S "$work/sock" ]; then
	echo "FAIL: seqpacket: the endpoint did not appear: $(tail -3 "$work/testpmd.log" | tr '\n' '|')"
	exit 1
fi
declare -A fps
for b in 1 32; do
	out=$("$reader" "$work/sock" "$WARMUP" "$WINDOW" 1 "$b") || {
		echo "FAIL: seqpacket: reader (batch $b) failed: $out"; exit 1; }
	fps[$b]=${out##*fps=}
done
echo "quit" >&3
exec 3>&-
echo "seqpacket: fps_batch1=${fps[1]} fps_batch32=${fps[32]}"
if [ -n "$JSON" ]; then
	printf '{"fps_batch1": %s, "fps_batch32": %s, "window_s": %s, "frame_bytes": 64}\n' \
		"${fps[1]}" "${fps[32]}" "$WINDOW" > "$JSON"
fi
