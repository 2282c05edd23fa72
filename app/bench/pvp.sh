#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# A sketch of a PVP (wire -> VM -> wire) measurement of dpdk-macvtap-vhost,
# with virtio_user frontends (stock dpdk-testpmd, 'mac' forwarding: each VM
# sends every frame back from its own MAC) as the VMs. The wire is a net_pcap
# lower that replays 64-byte frames to the VMs' MACs for ever (infinite_rx)
# and drops what is sent to it, counting it: the rate of frames back on the
# wire is the PVP rate.
#
#   app/bench/pvp.sh [-n FRONTENDS] [-s SECONDS] [-w WORKERS] [-b BUILD_DIR]
#
# Prints one line per run: frontends, workers, Mpps back on the wire, Mpps
# into the guests, and frames the guests' rings had no room for. Needs root
# only for /var/run/dpdk. On a 2-core machine the frontends and the backend
# share the cores: the figures are then the machine's, not the backend's.
# The comparison with testpmd io forwarding and OVS-DPDK, in alternating
# rounds with the same frames and pinning, is app/bench/pvp_compare.sh.
set -u
cd "$(dirname "$0")/../.." || exit 1
repo=$PWD
N=1
SECS=5
WORKERS=1
BUILD=$repo/build
while getopts "n:s:w:b:" o; do
	case $o in
	n) N=$OPTARG ;;
	s) SECS=$OPTARG ;;
	w) WORKERS=$OPTARG ;;
	b) BUILD=$OPTARG ;;
	*) exit 2 ;;
	esac
done
app=$BUILD/app/vhost/dpdk-macvtap-vhost
testpmd=${TESTPMD:-/usr/bin/dpdk-testpmd}
[ -x "$app" ] || { echo "pvp: $app is not built" >&2; exit 2; }
[ "$N" -ge 1 ] && [ "$N" -le 16 ] || { echo "pvp: 1 to 16 frontends" >&2; exit 2; }

work=$(mktemp -d /tmp/mvh-pvp.XXXXXX)
prefix=mvh_pvp_$$
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work" "/var/run/dpdk/$prefix"
	for ((i = 0; i < N; i++)); do rm -rf "/var/run/dpdk/${prefix}_fe$i"; done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

gen_mac=02:00:00:00:00:01
vm_mac() { printf '52:54:00:70:00:%02x' "$(($1 + 1))"; }

# The wire's frames: 32 per VM, in turn.
python3 - "$work/in.pcap" "$N" "$gen_mac" <<'PY'
import struct, sys
path, n, src = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3].replace(":", ""))
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for k in range(32):
        for i in range(n):
            dst = bytes([0x52, 0x54, 0, 0x70, 0, i + 1])
            frame = dst + src + b"\x88\xb5" + bytes(46)
            f.write(struct.pack("<IIII", 0, k, len(frame), len(frame)) + frame)
PY

# The frontends listen; the backend connects to them.
for ((i = 0; i < N; i++)); do
	timeout $((SECS + 60)) "$testpmd" --no-huge -m 256 --no-pci -l 0-1 --main-lcore 1 \
		--file-prefix "${prefix}_fe$i" --log-level=lib.eal:warning \
		--vdev "net_virtio_user0,path=$work/vm$i.sock,mac=$(vm_mac "$i"),server=1" \
		-- --total-num-mbufs=4096 --forward-mode=mac --eth-peer="0,$gen_mac" \
		--auto-start --stats-period=100 >"$work/fe$i.log" 2>&1 </dev/null &
	pids+=($!)
done
vms=()
for ((i = 0; i < N; i++)); do
	vms+=(--vm "name=vm$i,mac=$(vm_mac "$i"),socket=$work/vm$i.sock,mode=vepa")
done
"$app" --no-huge -m 512 --no-pci -l "0-$WORKERS" --file-prefix "$prefix" \
	--log-level=lib.vhost.config:warning -- \
	--lower "net_pcap0,rx_pcap=$work/in.pcap,infinite_rx=1" "${vms[@]}" >"$work/backend.log" 2>&1 &
pids+=($!)
tel() { python3 "$repo/test/lib/mvh_tel.py" "$prefix" "$@"; }
for ((t = 0; t < 100; t++)); do
	running=0
	for ((i = 0; i < N; i++)); do
		[ "$(tel "/macvtap_vhost/vm,vm$i" state 2>/dev/null)" = running ] && running=$((running + 1))
	done
	[ "$running" = "$N" ] && break
	sleep 0.2
done
[ "$running" = "$N" ] || { echo "pvp: only $running of $N guests running" >&2; tail -5 "$work/backend.log" >&2; exit 1; }
sleep 1
sample() {
	local tx to_guest=0 full=0 i
	tx=$(tel /ethdev/stats,0 opackets)
	for ((i = 0; i < N; i++)); do
		to_guest=$((to_guest + $(tel "/macvtap_vhost/vm,vm$i" rx_frames)))
		full=$((full + $(tel "/macvtap_vhost/vm,vm$i" q0.rx_guest_full)))
	done
	echo "$tx $to_guest $full"
}
read -r tx0 g0 f0 < <(sample)
t0=$(date +%s.%N)
sleep "$SECS"
read -r tx1 g1 f1 < <(sample)
t1=$(date +%s.%N)
python3 -c 'import sys
n, w, dt = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[4]) - float(sys.argv[3])
tx, g, f = (int(sys.argv[6]) - int(sys.argv[5])), (int(sys.argv[8]) - int(sys.argv[7])), (int(sys.argv[10]) - int(sys.argv[9]))
print("pvp: %d frontend(s), %d worker(s): %.3f Mpps back on the wire, %.3f Mpps into the guests, %.3f Mpps found the guest rings full"
      % (n, w, tx / dt / 1e6, g / dt / 1e6, f / dt / 1e6))' \
	"$N" "$WORKERS" "$t0" "$t1" "$tx0" "$tx1" "$g0" "$g1" "$f0" "$f1"
