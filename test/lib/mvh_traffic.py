#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
"""Frames to and from VMs behind dpdk-macvtap-vhost, through a raw socket on the
far end of the lower's wire (test/vhost_backend.sh).

  exchange IF --to MAC/TAG/N ... [--udp-flows K] [--seconds S] [--pace US]
           [--stop-file F]
      Send N frames to each MAC, each carrying TAG and a sequence number, and
      listen until S seconds after the last one. Prints one JSON object: what
      was sent, and each (src, dst, tag) seen coming back with its count.
      --udp-flows K: IPv4/UDP frames over K source ports (spread over the
      lower's queues) instead of a private EtherType.
  sniff IF --seconds S [--stop-file F] [--ready-file R]
      Only listen (until F exists, at most S seconds; R is created once the
      socket listens); the same JSON.
  offload IF --to MAC [--count N]
      Send TCP/IPv4, TCP/IPv6 (1200-byte payloads) and UDP/IPv4 frames with
      wrong checksums to a frontend that sends them back with checksum and TSO
      offloads; check what comes back: PASS/FAIL lines for offload-csum-udp,
      offload-tso4, offload-tso6.
"""

import argparse
import json
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 3
MAGIC = b"MVH1"
ETYPE = 0x88B5


def mac_bytes(s):
    return bytes.fromhex(s.replace(":", ""))


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def open_sock(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    return s, s.getsockname()[4]


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def ipv4(src, dst, proto, payload, ident=1):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                      src, dst)
    c = 0xFFFF - csum16(hdr)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def ipv6(src, dst, proto, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), proto, 64, src, dst) + payload


def udp(sport, dport, data, cksum=0):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), cksum) + data


def tcp(sport, dport, seq, data, flags=0x18, cksum=0x1234):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, cksum, 0) + data


def parse(frame):
    """(dst, src, tag, seq) of a frame ("-" for the tag of one not ours), or None."""
    if len(frame) < 14:
        return None
    dst, src = frame[0:6], frame[6:12]
    et = struct.unpack("!H", frame[12:14])[0]
    body = None
    if et == ETYPE:
        body = frame[14:]
    elif et == 0x0800 and len(frame) >= 14 + 28 and frame[23] == 17:
        ihl = (frame[14] & 0xF) * 4
        body = frame[14 + ihl + 8:]
    if body is None or body[:4] != MAGIC or len(body) < 12:
        return dst, src, "-", 0     # not one of ours: counted by addresses alone
    tag = body[4:8].rstrip(b"\0").decode(errors="replace")
    seq = struct.unpack("!I", body[8:12])[0]
    return dst, src, tag, seq


def listen(s, until, seen):
    while True:
        left = until - time.time()
        if left <= 0:
            return
        r, _, _ = select.select([s], [], [], min(left, 0.1))
        if not r:
            continue
        try:
            f, addr = s.recvfrom(65536)
        except BlockingIOError:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        p = parse(f)
        if p is None:
            continue
        key = (mac_str(p[1]), mac_str(p[0]), p[2])
        seen[key] = seen.get(key, 0) + 1


def report(sent, seen):
    print(json.dumps({
        "sent": sent,
        "recv": [{"src": k[0], "dst": k[1], "tag": k[2], "n": v} for k, v in sorted(seen.items())],
    }))


def cmd_exchange(a):
    s, me = open_sock(a.ifname)
    s.setblocking(False)
    targets = []
    for t in a.to:
        mac, tag, n = t.split("/")
        targets.append((mac_bytes(mac), tag.encode()[:4].ljust(4, b"\0"), int(n), tag))
    seen, sent = {}, {}
    total = max(n for _m, _t, n, _tg in targets) if targets else 0
    pace = a.pace / 1e6
    next_t = time.time()
    for i in range(total):
        for mac, tagb, n, tag in targets:
            if i >= n:
                continue
            body = MAGIC + tagb + struct.pack("!I", i) + bytes(40)
            if a.udp_flows:
                ip = ipv4(b"\x0a\x00\x00\x02", b"\x0a\x00\x00\x01", 17,
                          udp(10000 + i % a.udp_flows, 9, body))
                frame = mac + me + b"\x08\x00" + ip
            else:
                frame = mac + me + struct.pack("!H", ETYPE) + body
            while True:
                try:
                    s.send(frame)
                    break
                except BlockingIOError:
                    select.select([], [s], [], 0.01)
            sent[tag] = sent.get(tag, 0) + 1
        next_t += pace
        while True:
            now = time.time()
            if now >= next_t:
                break
            listen(s, min(next_t, now + 0.01), seen)
        if a.stop_file and os.path.exists(a.stop_file):
            break
    listen(s, time.time() + a.seconds, seen)
    report(sent, seen)


def cmd_sniff(a):
    s, _me = open_sock(a.ifname)
    seen = {}
    if a.ready_file:
        open(a.ready_file, "w").close()
    end = time.time() + a.seconds
    while time.time() < end:
        listen(s, min(end, time.time() + 0.1), seen)
        if a.stop_file and os.path.exists(a.stop_file):
            # What is already on its way is still read.
            listen(s, time.time() + 0.3, seen)
            break
    report({}, seen)


def check_ip_l4(frame, v6):
    """Whether the IPv4 header checksum and the L4 checksum of a frame are right."""
    if v6:
        ip = frame[14:54]
        plen = struct.unpack("!H", ip[4:6])[0]
        proto = ip[6]
        l4 = frame[54:54 + plen]
        ph = ip[8:40] + struct.pack("!IxxxB", len(l4), proto)
    else:
        ihl = (frame[14] & 0xF) * 4
        ip = frame[14:14 + ihl]
        if csum16(ip) != 0xFFFF:
            return False, "bad IPv4 header checksum"
        total = struct.unpack("!H", ip[2:4])[0]
        proto = ip[9]
        l4 = frame[14 + ihl:14 + total]
        ph = ip[12:20] + struct.pack("!BBH", 0, proto, len(l4))
    if proto == 17 and struct.unpack("!H", l4[6:8])[0] == 0:
        return False, "UDP checksum left 0"
    if csum16(ph + l4) != 0xFFFF:
        return False, "bad %s checksum" % ("TCP" if proto == 6 else "UDP")
    return True, ""


def cmd_offload(a):
    s, me = open_sock(a.ifname)
    s.setblocking(False)
    dst = mac_bytes(a.to)
    src4, dst4 = b"\x0a\x00\x00\x02", b"\x0a\x00\x00\x01"
    src6 = bytes.fromhex("fd00000000000000000000000000000" + "2")
    dst6 = bytes.fromhex("fd00000000000000000000000000000" + "1")
    want = {"udp": {}, "tso4": {}, "tso6": {}}
    for i in range(a.count):
        body = MAGIC + b"OFFL" + struct.pack("!I", i) + bytes(range(256)) * 1
        data = (body + bytes((i + k) % 251 for k in range(1200)))[:1200]
        want["udp"][20000 + i] = data[:300]
        want["tso4"][30000 + i] = data
        want["tso6"][40000 + i] = data
        frames = [
            dst + me + b"\x08\x00" + ipv4(src4, dst4, 17, udp(20000 + i, 9, data[:300], 0x4321)),
            dst + me + b"\x08\x00" + ipv4(src4, dst4, 6, tcp(30000 + i, 9, 1000 * i, data), i),
            dst + me + b"\x86\xdd" + ipv6(src6, dst6, 6, tcp(40000 + i, 9, 1000 * i, data)),
        ]
        for f in frames:
            s.send(f)
        time.sleep(0.002)
    got = {"udp": {}, "tso4": {}, "tso6": {}}
    bad = {"udp": [], "tso4": [], "tso6": []}
    segs = {"tso4": 0, "tso6": 0}
    end = time.time() + a.seconds
    while time.time() < end:
        r, _, _ = select.select([s], [], [], 0.1)
        if not r:
            continue
        try:
            f, addr = s.recvfrom(65536)
        except BlockingIOError:
            continue
        if addr[2] == socket.PACKET_OUTGOING or f[0:6] != me:
            continue
        et = struct.unpack("!H", f[12:14])[0]
        if et == 0x0800:
            ihl = (f[14] & 0xF) * 4
            proto, l4o = f[23], 14 + ihl
            v6 = False
        elif et == 0x86DD:
            proto, l4o = f[20], 54
            v6 = True
        else:
            continue
        sport = struct.unpack("!H", f[l4o:l4o + 2])[0]
        kind = "udp" if proto == 17 else ("tso6" if v6 else "tso4")
        if proto not in (6, 17):
            continue
        ok, why = check_ip_l4(f, v6)
        if not ok:
            bad[kind].append("port %d: %s" % (sport, why))
            continue
        if proto == 17:
            got["udp"][sport] = f[l4o + 8:l4o + 8 + 300]
        else:
            seq = struct.unpack("!I", f[l4o + 4:l4o + 8])[0]
            doff = (f[l4o + 12] >> 4) * 4
            if v6:
                end_l4 = 54 + struct.unpack("!H", f[18:20])[0]
            else:
                end_l4 = 14 + struct.unpack("!H", f[16:18])[0]
            payload = f[l4o + doff:end_l4]
            if len(f) > 1514:
                bad[kind].append("port %d: a %d-byte frame on the wire" % (sport, len(f)))
            got[kind].setdefault(sport, {})[seq] = payload
            segs[kind] += 1
    for kind, name in (("udp", "offload-csum-udp"), ("tso4", "offload-tso4"),
                       ("tso6", "offload-tso6")):
        problems = list(bad[kind][:3])
        missing = 0
        for port, data in want[kind].items():
            g = got[kind].get(port)
            if g is None:
                missing += 1
                continue
            if kind == "udp":
                if g != data:
                    problems.append("port %d: payload differs" % port)
                continue
            base = 1000 * (port % 10000)
            joined = b"".join(g[k] for k in sorted(g))
            if joined != data or min(g) != base:
                problems.append("port %d: segments do not rebuild the payload" % port)
            elif len(g) < 2:
                problems.append("port %d: %d segment(s), expected the frame cut" % (port, len(g)))
        if missing:
            problems.append("%d of %d frames never came back" % (missing, len(want[kind])))
        if problems:
            print("FAIL: %s: %s" % (name, "; ".join(problems[:4])))
        else:
            extra = " (%d segments)" % segs[kind] if kind != "udp" else ""
            print("PASS: %s" % name)
            print("# %s: %d frames checked%s" % (name, len(want[kind]), extra))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("exchange")
    e.add_argument("ifname")
    e.add_argument("--to", nargs="+", default=[], help="MAC/TAG/N")
    e.add_argument("--udp-flows", type=int, default=0)
    e.add_argument("--seconds", type=float, default=1.0)
    e.add_argument("--pace", type=float, default=500.0, help="microseconds between rounds")
    e.add_argument("--stop-file", default="", help="stop sending once this file exists")
    n = sub.add_parser("sniff")
    n.add_argument("ifname")
    n.add_argument("--seconds", type=float, default=1.0, help="at most")
    n.add_argument("--stop-file", default="", help="stop once this file exists")
    n.add_argument("--ready-file", default="", help="created once the socket listens")
    o = sub.add_parser("offload")
    o.add_argument("ifname")
    o.add_argument("--to", required=True)
    o.add_argument("--count", type=int, default=20)
    o.add_argument("--seconds", type=float, default=2.0)
    a = p.parse_args()
    {"exchange": cmd_exchange, "sniff": cmd_sniff, "offload": cmd_offload}[a.cmd](a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
