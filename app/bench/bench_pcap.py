#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
"""Write the benchmark input capture: 64-byte frames to N destination MACs.

The capture is the input that the switching benchmarks replay (net_pcap with
infinite_rx=1). By default it is byte for byte the capture that
app/macvtap_bench.c writes for its RX rounds (no broadcast), so that
net_macvtap and the comparison switches see the same frames. Only the
standard library and test/lib/pcapgen.py (write_pcap) are used.

Frames (no FCS; `size` bytes each, 64 by default):
  * count: max(4 * N, 1024) unless --frames is given;
  * destination: dest_mac(i) = 02:4d:56:ii:ii:ii for i = 0..N-1
    (02:4d:56:00:00:00, 02:4d:56:00:00:01, ...), taken round-robin, so
    destinations are uniform over the N MACs (--shuffle: a seeded shuffle
    of the same multiset instead);
  * source: 02:00:00:00:00:fe for every frame;
  * dst-only (default): EtherType 0x88B5, payload the frame's index (32-bit
    little-endian) then zeros: frames to one MAC differ only in bytes no
    switch looks at, so the flows differ only by destination MAC;
  * --distinct-flows: IPv4/UDP frames (same MACs, same order) in which every
    frame has its own (source IP, destination IP, source port, destination
    port), addresses from the RFC 2544 benchmarking range 198.18.0.0/15.

    bench_pcap.py OUT.pcap [--dests N] [--frames K] [--distinct-flows]
                  [--shuffle] [--size B] [--seed S] [--json]

prints one line describing what it wrote (or a JSON object with --json),
including the destination MACs in port order.
"""

import argparse
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "lib"))
import pcapgen  # noqa: E402  (test/lib/pcapgen.py)

SRC_MAC = "02:00:00:00:00:fe"
DEST_PREFIX = (0x02, 0x4D, 0x56)
ETHERTYPE_BENCH = 0x88B5
ETHERTYPE_IPV4 = 0x0800
IPPROTO_UDP = 17


def dest_mac(i):
    """MAC of destination i (0-based): 02:4d:56:00:00:00 for i=0."""
    if not 0 <= i < 1 << 24:
        raise ValueError("destination index %d out of range" % i)
    b = DEST_PREFIX + ((i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF)
    return ":".join("%02x" % x for x in b)


def default_frames(dests):
    return max(4 * dests, 1024)


def l2_frame(dst, src, index, size):
    """EtherType 0x88B5, payload: index as 32-bit little-endian, then zeros."""
    if size < 18 or size > 1514:
        raise ValueError("frame size %d outside 18..1514" % size)
    head = pcapgen.mac_to_bytes(dst) + pcapgen.mac_to_bytes(src) + \
        struct.pack(">H", ETHERTYPE_BENCH)
    body = struct.pack("<I", index & 0xFFFFFFFF)
    return head + body + bytes(size - len(head) - len(body))


def ip_checksum(hdr):
    total = 0
    for (word,) in struct.iter_unpack(">H", hdr):
        total += word
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def udp_frame(dst, src, flow, size):
    """An Ethernet/IPv4/UDP frame of `size` bytes whose 4-tuple encodes flow."""
    if size < 14 + 20 + 8 or size > 1514:
        raise ValueError("frame size %d outside 42..1514" % size)
    ip_len = size - 14
    udp_len = ip_len - 20
    # 198.18.0.0/16 sources, 198.19.0.0/16 destinations; ports 1024.. .
    sip = bytes((198, 18, (flow >> 8) & 0xFF, flow & 0xFF))
    dip = bytes((198, 19, (flow >> 16) & 0xFF, (flow * 7 + 1) & 0xFF))
    sport = 1024 + (flow % 60000)
    dport = 1024 + ((flow * 13 + 5) % 60000)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, ip_len, flow & 0xFFFF, 0, 64,
                     IPPROTO_UDP, 0, sip, dip)
    ip = ip[:10] + struct.pack(">H", ip_checksum(ip)) + ip[12:]
    udp = struct.pack(">HHHH", sport, dport, udp_len, 0)  # checksum 0: none
    payload = bytes((flow + i) & 0xFF for i in range(udp_len - 8))
    eth = pcapgen.mac_to_bytes(dst) + pcapgen.mac_to_bytes(src) + \
        struct.pack(">H", ETHERTYPE_IPV4)
    return eth + ip + udp + payload


def build(dests, frames, distinct_flows, size, shuffle=False, seed=1):
    if dests < 1:
        raise ValueError("need at least one destination")
    if frames is None:
        frames = default_frames(dests)
    if frames < dests:
        raise ValueError("frames (%d) fewer than dests (%d)" % (frames, dests))
    macs = [dest_mac(i) for i in range(dests)]
    order = [i % dests for i in range(frames)]
    if shuffle:
        random.Random(seed).shuffle(order)
    out = []
    for n, d in enumerate(order):
        if distinct_flows:
            out.append(udp_frame(macs[d], SRC_MAC, n, size))
        else:
            out.append(l2_frame(macs[d], SRC_MAC, n, size))
    return macs, out


def main(argv=None):
    p = argparse.ArgumentParser(description="Write the switching benchmark's input capture.")
    p.add_argument("output", help="pcap file to write")
    p.add_argument("--dests", type=int, default=8, help="destination MACs (default 8)")
    p.add_argument("--frames", type=int, default=None,
                   help="frames in the capture (default max(4 * dests, 1024))")
    p.add_argument("--distinct-flows", action="store_true",
                   help="IPv4/UDP frames that also differ in IP addresses and ports")
    p.add_argument("--size", type=int, default=64, help="frame size without FCS (default 64)")
    p.add_argument("--shuffle", action="store_true",
                   help="shuffle the destinations (seeded) instead of round-robin")
    p.add_argument("--seed", type=int, default=1, help="shuffle seed (default 1)")
    p.add_argument("--json", action="store_true", help="describe the capture as JSON")
    args = p.parse_args(argv)
    try:
        macs, frames = build(args.dests, args.frames, args.distinct_flows, args.size,
                             shuffle=args.shuffle, seed=args.seed)
        pcapgen.write_pcap(args.output, frames)
    except (OSError, ValueError) as e:
        print("bench_pcap: %s" % e, file=sys.stderr)
        return 2
    info = {
        "pcap": args.output,
        "frames": len(frames),
        "frame_size": args.size,
        "dests": args.dests,
        "flows": "distinct" if args.distinct_flows else "dst-only",
        "src_mac": SRC_MAC,
        "dest_macs": macs,
        "order": "shuffle(seed=%d)" % args.seed if args.shuffle else "round-robin",
    }
    if args.json:
        json.dump(info, sys.stdout)
        sys.stdout.write("\n")
    else:
        print("wrote %d frames of %d bytes to %d MACs (%s) to %s"
              % (len(frames), args.size, args.dests, info["flows"], args.output))
    return 0


if __name__ == "__main__":
    sys.exit(main())
