#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
"""Write and read classic libpcap captures of numbered Ethernet test frames.

Only the standard library is used. Every frame this module writes is an
Ethernet II frame of 64..128 bytes (no FCS) whose payload starts with a
4-byte tag and a 32-bit big-endian frame id, so a capture can be read back
as a list of (dst, src, frame id) and compared with what was sent.

As a module:
    import pcapgen
    frames = [pcapgen.make_frame("02:00:00:00:00:01", "02:00:00:00:00:aa", 1)]
    pcapgen.write_pcap("in.pcap", frames)
    pcapgen.read_frames("in.pcap")  # -> [("02:00:00:00:00:01", "02:00:00:00:00:aa", 1)]

From the command line:
    pcapgen.py scenario in.pcap --mac 02:00:00:00:00:01 --mac 02:00:00:00:00:02 \
        --unicast 4 --broadcast 3 --unknown 2
    pcapgen.py dump in.pcap [--json]
    pcapgen.py frames out.pcap DST[,SRC] ...     # one frame per argument
"""

import argparse
import json
import random
import struct
import sys

BROADCAST = "ff:ff:ff:ff:ff:ff"
DEFAULT_SRC = "02:00:00:00:00:fe"

# A local experimental EtherType (IEEE 802 Local Experimental 1).
ETHERTYPE = 0x88B5
TAG = b"MVTP"

MIN_FRAME = 64
MAX_FRAME = 128

LINKTYPE_ETHERNET = 1
PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
SNAPLEN = 65535

_GLOBAL_HDR = struct.Struct("<IHHiIII")
_RECORD_HDR_LE = struct.Struct("<IIII")
_RECORD_HDR_BE = struct.Struct(">IIII")
_ID = struct.Struct(">I")


def mac_to_bytes(mac):
    """'02:00:00:00:00:01' (or with '-') -> 6 bytes."""
    parts = mac.replace("-", ":").split(":")
    if len(parts) != 6:
        raise ValueError("bad MAC address: %r" % mac)
    try:
        raw = bytes(int(p, 16) for p in parts)
    except ValueError:
        raise ValueError("bad MAC address: %r" % mac) from None
    return raw


def bytes_to_mac(raw):
    """6 bytes -> lower-case 'xx:xx:xx:xx:xx:xx'."""
    return ":".join("%02x" % b for b in raw[:6])


def normalize_mac(mac):
    return bytes_to_mac(mac_to_bytes(mac))


def frame_size_for(frame_id):
    """A deterministic size in [MIN_FRAME, MAX_FRAME] that varies with the id."""
    return MIN_FRAME + (frame_id * 37) % (MAX_FRAME - MIN_FRAME + 1)


def make_frame(dst, src, frame_id, size=None):
    """An Ethernet frame to dst from src whose payload carries frame_id."""
    if size is None:
        size = frame_size_for(frame_id)
    if not MIN_FRAME <= size <= MAX_FRAME:
        raise ValueError("frame size %d outside %d..%d" % (size, MIN_FRAME, MAX_FRAME))
    if not 0 <= frame_id <= 0xFFFFFFFF:
        raise ValueError("frame id %d does not fit 32 bits" % frame_id)
    head = mac_to_bytes(dst) + mac_to_bytes(src) + struct.pack(">H", ETHERTYPE)
    body = TAG + _ID.pack(frame_id)
    # Fill the rest with a pattern derived from the id, so truncation shows.
    fill_len = size - len(head) - len(body)
    fill = bytes((frame_id + i) & 0xFF for i in range(fill_len))
    return head + body + fill


def parse_frame(data):
    """(dst, src, frame id or None) of one captured frame."""
    if len(data) < 14:
        return (bytes_to_mac(data[0:6]) if len(data) >= 6 else "",
                bytes_to_mac(data[6:12]) if len(data) >= 12 else "", None)
    dst = bytes_to_mac(data[0:6])
    src = bytes_to_mac(data[6:12])
    ethertype = struct.unpack(">H", data[12:14])[0]
    frame_id = None
    if ethertype == ETHERTYPE and len(data) >= 22 and data[14:18] == TAG:
        frame_id = _ID.unpack(data[18:22])[0]
    return (dst, src, frame_id)


def write_pcap(path, frames, start_sec=1700000000, step_us=10):
    """Write frames (a list of bytes) as a microsecond libpcap file."""
    with open(path, "wb") as f:
        f.write(_GLOBAL_HDR.pack(PCAP_MAGIC_US, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
        t_us = 0
        for data in frames:
            sec = start_sec + t_us // 1000000
            usec = t_us % 1000000
            f.write(_RECORD_HDR_LE.pack(sec, usec, len(data), len(data)))
            f.write(data)
            t_us += step_us


def read_pcap(path):
    """The raw frames (list of bytes) of a classic libpcap file.

    Both byte orders and both microsecond and nanosecond magics are accepted.
    An empty file (nothing written yet) reads as no frames.
    """
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) == 0:
        return []
    if len(blob) < _GLOBAL_HDR.size:
        raise ValueError("%s: truncated pcap header (%d bytes)" % (path, len(blob)))
    magic_le = struct.unpack("<I", blob[:4])[0]
    if magic_le in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
        order, rec = "<", _RECORD_HDR_LE
    elif struct.unpack(">I", blob[:4])[0] in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
        order, rec = ">", _RECORD_HDR_BE
    else:
        raise ValueError("%s: not a classic pcap file (magic %#x)" % (path, magic_le))
    linktype = struct.unpack(order + "I", blob[20:24])[0] & 0x0FFFFFFF
    if linktype != LINKTYPE_ETHERNET:
        raise ValueError("%s: link type %d, not Ethernet" % (path, linktype))
    frames = []
    off = _GLOBAL_HDR.size
    while off < len(blob):
        if off + rec.size > len(blob):
            raise ValueError("%s: truncated record header at offset %d" % (path, off))
        _sec, _frac, incl_len, _orig_len = rec.unpack_from(blob, off)
        off += rec.size
        if off + incl_len > len(blob):
            raise ValueError("%s: truncated record at offset %d" % (path, off))
        frames.append(blob[off:off + incl_len])
        off += incl_len
    return frames


def read_frames(path):
    """[(dst, src, frame id or None)] of a pcap file."""
    return [parse_frame(data) for data in read_pcap(path)]


def build_scenario(macs, unicast=4, broadcast=3, unknown=3, src=DEFAULT_SRC,
                   unknown_macs=None, seed=1, first_id=1):
    """Frames for a delivery test, in a shuffled but reproducible order.

    macs: the destination MACs that some port owns; each gets `unicast` frames.
    broadcast: how many frames go to ff:ff:ff:ff:ff:ff.
    unknown: how many unicast frames go to MACs that no port owns.
    Returns a list of (dst, src, frame id, frame bytes); ids are distinct and
    increase in capture order.
    """
    macs = [normalize_mac(m) for m in macs]
    owned = set(macs)
    if unknown_macs is None:
        unknown_macs = ["02:00:00:00:%02x:ee" % i for i in range(1, 4)]
    unknown_macs = [normalize_mac(m) for m in unknown_macs]
    clash = owned.intersection(unknown_macs)
    if clash:
        raise ValueError("unknown MAC(s) %s are owned ports" % ", ".join(sorted(clash)))
    if BROADCAST in owned:
        raise ValueError("the broadcast address cannot be a port MAC")
    dsts = []
    for mac in macs:
        dsts += [mac] * unicast
    dsts += [BROADCAST] * broadcast
    if unknown and not unknown_macs:
        raise ValueError("unknown frames requested but no unknown MACs given")
    dsts += [unknown_macs[i % len(unknown_macs)] for i in range(unknown)]
    random.Random(seed).shuffle(dsts)
    out = []
    for n, dst in enumerate(dsts):
        fid = first_id + n
        out.append((dst, normalize_mac(src), fid, make_frame(dst, src, fid)))
    return out


def expected_for(frames, mac):
    """Ids a port owning `mac` must receive from `frames` (read_frames output):
    the unicast frames to mac and every broadcast, in capture order."""
    mac = normalize_mac(mac)
    return [fid for dst, _src, fid in frames if dst in (mac, BROADCAST)]


def _cmd_scenario(args):
    frames = build_scenario(args.mac, unicast=args.unicast, broadcast=args.broadcast,
                            unknown=args.unknown, src=args.src,
                            unknown_macs=args.unknown_mac or None, seed=args.seed,
                            first_id=args.first_id)
    write_pcap(args.output, [f[3] for f in frames])
    if args.manifest:
        manifest = {
            "frames": [{"dst": d, "src": s, "id": i, "len": len(b)} for d, s, i, b in frames],
            "expected": {m: expected_for([(d, s, i) for d, s, i, _ in frames], m)
                         for m in (normalize_mac(x) for x in args.mac)},
        }
        with open(args.manifest, "w") as f:
            json.dump(manifest, f, indent=1)
    if not args.quiet:
        print("wrote %d frames to %s" % (len(frames), args.output))
    return 0


def _cmd_frames(args):
    frames = []
    for n, spec in enumerate(args.spec):
        dst, _, src = spec.partition(",")
        frames.append(make_frame(dst, src or args.src, args.first_id + n))
    write_pcap(args.output, frames)
    return 0


def _cmd_dump(args):
    rows = read_frames(args.pcap)
    if args.json:
        json.dump([{"dst": d, "src": s, "id": i} for d, s, i in rows], sys.stdout)
        sys.stdout.write("\n")
    else:
        for dst, src, fid in rows:
            print("%s %s %s" % (dst, src, "-" if fid is None else fid))
    return 0


def main(argv=None):
    p = argparse.ArgumentParser(description="Write and read pcap files of numbered test frames.")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("scenario", help="write a shuffled unicast/broadcast/unknown scenario")
    s.add_argument("output", help="pcap file to write")
    s.add_argument("--mac", action="append", required=True,
                   help="a port's MAC (repeat for each port)")
    s.add_argument("--unicast", type=int, default=4, help="frames to each --mac (default 4)")
    s.add_argument("--broadcast", type=int, default=3, help="broadcast frames (default 3)")
    s.add_argument("--unknown", type=int, default=3, help="frames to unowned MACs (default 3)")
    s.add_argument("--unknown-mac", action="append",
                   help="an unowned destination MAC (repeatable)")
    s.add_argument("--src", default=DEFAULT_SRC, help="source MAC (default %s)" % DEFAULT_SRC)
    s.add_argument("--seed", type=int, default=1, help="shuffle seed (default 1)")
    s.add_argument("--first-id", type=int, default=1, help="id of the first frame (default 1)")
    s.add_argument("--manifest", help="also write a JSON manifest of frames and expectations")
    s.add_argument("-q", "--quiet", action="store_true")
    s.set_defaults(func=_cmd_scenario)

    fr = sub.add_parser("frames", help="write one frame per DST[,SRC] argument, ids in order")
    fr.add_argument("output")
    fr.add_argument("spec", nargs="*", help="DST or DST,SRC")
    fr.add_argument("--src", default=DEFAULT_SRC)
    fr.add_argument("--first-id", type=int, default=1)
    fr.set_defaults(func=_cmd_frames)

    d = sub.add_parser("dump", help="print 'dst src id' per frame of a capture")
    d.add_argument("pcap")
    d.add_argument("--json", action="store_true", help="print a JSON list instead")
    d.set_defaults(func=_cmd_dump)

    args = p.parse_args(argv)
    try:
        return args.func(args)
    except (OSError, ValueError) as e:
        print("pcapgen: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
