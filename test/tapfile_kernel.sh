#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Conformance of the tap file API (rte_pmd_macvtap_file_*) with the kernel's
# macvtap char device: the same table of calls (test/tapfile/tapfile_conform.c:
# the ioctls with the same arguments, reads of the same frames from the wire,
# plain and VLAN-tagged, header included, writes of the same buffers and what
# reaches the wire) on both, compared call by call: one PASS/FAIL line each.
#
# Kernel side, in a network namespace of its own: veth vk0/vk1, macvtaps mvt0
# (the file's) and mvt1 (a sibling, for EADDRINUSE) on vk0 in bridge mode with
# the same MACs as our side; the char device node made with mknod from sysfs.
# Frames from the wire are sent on vk1; the wire is read there. vk0's checksum
# offloads are turned off, as net_ring (our side's lower) has none.
# Our side: the same program on a net_macvtap port over a net_ring lower.
#
# Last, the device goes (the kernel's macvtap deleted, our port closed) and
# the file is used again.
#
# Then the same table through the port's chardev=seqpacket endpoint, from a
# libmacvtap_client connection (keys "seqpacket:<key>"): the same results,
# but for what a socket cannot carry, each checked as documented: a write the
# tap file refuses is sent all the same (the send returns its length) and the
# refusal is counted (tx_file_dropped), with nothing on the wire; a read into
# a buffer shorter than the message gives the message cut; writes while the
# port is stopped are counted by the endpoint (chardev_from_peer_dropped);
# once the port is gone the connection is (any error).
#
# Offloads: NEEDS_CSUM and GSO writes (TCPv4 with and without NEEDS_CSUM,
# TCPv6, UDP_L4 over both, 64 KiB) compared by what reaches the wire, each
# frame's length and a hash of its bytes (the kernel segments and checksums in
# software too: vk0 has no checksum offload, so no TSO either; vk1's GRO is
# off so each segment is seen alone), UFO over IPv4 (IP fragments); and frames
# the sibling's file writes to ours, read with TUNSETOFFLOAD 0xf, TUN_F_CSUM
# and 0 (header fields, length and hash of each frame read), UFO and USO ones
# included (segmented for every reader). The kernel cannot be made to give a
# reader a frame with DATA_VALID here (veth verifies no checksum): that is in
# test_tapfile only.
#
# Where rte_pmd_macvtap.h or the guide documents a difference from the kernel
# (UDP fragmentation (UFO) over IPv6 is -EOPNOTSUPP; a GSO frame read says the length of
# its headers in hdr_len, the kernel its skb's linear part; a file whose port
# was closed reads and writes -ENXIO), our side must give the documented
# value; the kernel's is noted.
#
# Without root, network namespaces or kernel macvtap: SKIP with the reason.
#
# Environment: MACVTAP_BUILD_DIR, MACVTAP_PLUGIN (test/lib/common.sh),
# KEEP_TMP=1 keeps the directory with both outputs.

# shellcheck disable=SC2317  # functions run from traps
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$here/lib/common.sh"
test_env
conform=$build/test/tapfile_conform

MAC=02:00:00:00:0e:01
OTHER=02:00:00:00:0e:02
NEW=02:00:00:00:0e:03

ns=""
cleanup() {
	# Deleting the namespace destroys its veths and the macvtaps on them.
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	eal_runtime_clean "${prefix:-}"
	tmp_remove "${tmp:-}"
}
test_start cleanup

if [ "$(id -u)" != 0 ]; then
	skip "tapfile-kernel" "needs root (network namespaces, macvtap, AF_PACKET)"
	finish
fi
for c in ip timeout mknod; do
	if ! command -v "$c" >/dev/null; then
		skip_missing "tapfile-kernel" "$c not found"
		finish
	fi
done
if [ ! -x "$conform" ] || [ ! -f "$plugin" ]; then
	fail "tapfile-kernel" "no $conform or no plugin $plugin (build with: bash devtools/setup.sh)"
	finish
fi

make_test_tmp tapfile_kernel tfk
ns_name="tfk_$(basename "$tmp" | sed 's/^tapfile_kernel\.//' | tr -c 'A-Za-z0-9\n' _)_$$"
if ! err=$(ip netns add "$ns_name" 2>&1); then
	skip "tapfile-kernel" "cannot create a network namespace: $err"
	finish
fi
ns=$ns_name
nsx() { ip netns exec "$ns" "$@"; }
# No IPv6 (no stray NDP/MLD frames on the wire), before the links exist.
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
	>/dev/null 2>&1
if ! err=$(ip -n "$ns" link add vk0 type veth peer name vk1 2>&1); then
	skip "tapfile-kernel" "cannot create a veth pair: $err"
	finish
fi
if ! err=$(ip -n "$ns" link add link vk0 name mvt0 address "$MAC" type macvtap mode bridge 2>&1); then
	skip "tapfile-kernel" "the kernel has no macvtap ('ip link add ... type macvtap': $err)"
	finish
fi
if ! err=$(ip -n "$ns" link add link vk0 name mvt1 address "$OTHER" type macvtap mode bridge 2>&1); then
	fail "tapfile-kernel" "a second macvtap: $err"
	finish
fi
for l in vk0 vk1 mvt0 mvt1; do
	ip -n "$ns" link set "$l" up
done
ifindex=$(nsx cat /sys/class/net/mvt0/ifindex)
devnum=$(nsx cat "/sys/class/net/mvt0/macvtap/tap$ifindex/dev" 2>/dev/null)
if [ -z "$devnum" ]; then
	skip "tapfile-kernel" "macvtap link has no tap character device in sysfs"
	finish
fi
node=$tmp/tap$ifindex
if ! mknod "$node" c "${devnum%%:*}" "${devnum#*:}" 2>/dev/null; then
	node=/dev/tap$ifindex
	if [ ! -c "$node" ]; then
		skip "tapfile-kernel" "cannot make the char device node $devnum (mknod failed, no $node)"
		finish
	fi
fi
# The sibling's node too: it writes frames to mvt0's reader (the offload reads).
sib_ifindex=$(nsx cat /sys/class/net/mvt1/ifindex)
sib_devnum=$(nsx cat "/sys/class/net/mvt1/macvtap/tap$sib_ifindex/dev" 2>/dev/null)
sib_node=$tmp/tap$sib_ifindex
if ! mknod "$sib_node" c "${sib_devnum%%:*}" "${sib_devnum#*:}" 2>/dev/null; then
	sib_node=/dev/tap$sib_ifindex
fi

# Both sides: the table, one line per call.
nsx timeout -k 5 90 "$conform" kernel "$node" mvt0 vk0 vk1 "$MAC" "$OTHER" "$NEW" "$sib_node" \
	>"$tmp/kernel.out" 2>"$tmp/kernel.err"
krc=$?
timeout -k 5 90 "$conform" --no-huge -m 512 --no-pci -l 0-1 -d "$plugin" \
	--file-prefix="$prefix" -- dpdk "$MAC" "$OTHER" "$NEW" >"$tmp/ours.out" 2>"$tmp/ours.err"
orc=$?
sprefix=${prefix}_seq
timeout -k 5 90 "$conform" --no-huge -m 512 --no-pci -l 0-1 -d "$plugin" \
	--file-prefix="$sprefix" -- seqpacket "$MAC" "$OTHER" "$NEW" "$tmp/seq.sock" \
	>"$tmp/seq.out" 2>"$tmp/seq.err"
src=$?
eal_runtime_clean "$sprefix"
if [ "$krc" != 0 ] || [ ! -s "$tmp/kernel.out" ]; then
	fail "tapfile-kernel" "the kernel side's run failed (exit $krc): $(tail -n 3 "$tmp/kernel.err" | tr '\n' '|')"
	finish
fi
if [ "$orc" != 0 ]; then
	fail "tapfile-ours" "our side's run exited $orc: $(grep -v '^EAL' "$tmp/ours.err" | tail -n 3 | tr '\n' '|')"
fi
grep '^# ' "$tmp/kernel.err" "$tmp/ours.err" >&2

# Documented differences: the key and what rte_pmd_macvtap.h says our side returns.
declare -A documented=(
	[write-ol-gso-ufo6]="-EOPNOTSUPP frames=0"
	[read-ol-default-tso4-hdrlen]="0 54"
	[gone-read]="-ENXIO"
	[gone-write]="-ENXIO"
)
declare -A ours=()
while read -r key rest; do
	[ -n "$key" ] && ours[$key]=$rest
done <"$tmp/ours.out"
while read -r key rest; do
	[ -n "$key" ] || continue
	if [ -z "${ours[$key]+set}" ]; then
		fail "$key" "kernel '$rest', ours: no result (our run stopped before it)"
		continue
	fi
	got=${ours[$key]}
	if [ -n "${documented[$key]+set}" ]; then
		if [ "$got" = "${documented[$key]}" ]; then
			pass "$key"
			note "$key: kernel '$rest', ours '$got' (as the header documents)"
		else
			fail "$key" "ours '$got', the header documents '${documented[$key]}' (kernel '$rest')"
		fi
	elif [ "$got" = "$rest" ]; then
		pass "$key"
	else
		fail "$key" "kernel '$rest', ours '$got'"
	fi
done <"$tmp/kernel.out"

# The seqpacket endpoint against the kernel, with the documented differences.
if [ "$src" != 0 ]; then
	fail "seqpacket" "the seqpacket side's run exited $src: $(grep -v '^EAL' "$tmp/seq.err" | tail -n 3 | tr '\n' '|')"
fi
declare -A seq=()
while read -r key rest; do
	[ -n "$key" ] && seq[$key]=$rest
done <"$tmp/seq.out"
# The in-process side's documented differences, as a socket carries them.
declare -A seq_documented=(
	[write-ol-gso-ufo6]="3072 frames=0"
	[read-ol-default-tso4-hdrlen]="0 54"
)
while read -r key rest; do
	[ -n "$key" ] || continue
	k="seqpacket:$key"
	if [ -z "${seq[$key]+set}" ]; then
		fail "$k" "kernel '$rest', seqpacket: no result"
		continue
	fi
	got=${seq[$key]}
	kfirst=${rest%% *} gfirst=${got%% *}
	ktail=${rest#"$kfirst"} gtail=${got#"$gfirst"}
	if [ "$got" = "$rest" ]; then
		pass "$k"
	elif [ -n "${seq_documented[$key]+set}" ] && [ "$got" = "${seq_documented[$key]}" ]; then
		pass "$k"
		note "$k: kernel '$rest', seqpacket '$got' (as documented)"
	elif [[ $key == gone-* ]] && [[ $gfirst == -* ]]; then
		pass "$k"   # the connection ended with the port: an error, as documented
	elif [[ $key == write-* || $key == tx-dropped-down* ]] && [[ $kfirst == -E* ]] &&
	     [[ $gfirst =~ ^[0-9]+$ ]] && [ "$gtail" = "$ktail" ]; then
		pass "$k"   # sent all the same, refused and counted by the endpoint's file
	elif [[ $key == read-* ]] && [ "$kfirst" = -EINVAL ] && [[ $gfirst =~ ^[0-9]+$ ]]; then
		pass "$k"   # a short buffer cuts the message
	elif [ "$key" = tx-dropped-down ] && [ "$got" = "0 0" ]; then
		pass "$k"   # writes while stopped: chardev_from_peer_dropped
	else
		fail "$k" "kernel '$rest', seqpacket '$got'"
	fi
done <"$tmp/kernel.out"
finish
