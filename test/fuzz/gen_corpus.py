#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
"""Write the seed corpora of the fuzz targets and the known-bug regressions.

    test/fuzz/gen_corpus.py [TOP]    (TOP defaults to this script's directory)

corpus/devargs/: one file per devarg and per kind of mistake, in the input
format of fuzz_devargs.c (a flags byte, then the devargs string).
corpus/rx/: one file per kind of frame and port state, in the input format of
fuzz_rx.c (a state byte, then 7-byte record headers, each followed by its data).
corpus/tapwrite/: one file per kind of write, header and file state, in the input
format of fuzz_tapwrite.c (8-byte record headers, a write's data after its own).
regressions/<target>/: inputs that found driver bugs, replayed on every run.
The corpus directories are rewritten from scratch each time (the script is their
source of truth); in regressions/ only the files named here are rewritten.
"""

import os
import sys

TOP = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))

# ---- fuzz_devargs -------------------------------------------------------------

FL_IFACE, FL_TWICE, FL_SIBLING, FL_TWO_QUEUES, FL_LINK_DOWN = 1, 2, 4, 8, 16
LOWER = "net_ring_fuzz"
SIBLING = "net_macvtap_fzsib"


def src_list(n, dup=False):
    macs = ["02:aa:00:00:%02x:%02x" % (i // 256, i % 256) for i in range(1, n + 1)]
    if dup:
        macs.append(macs[0])
    return "[" + ",".join(macs) + "]"


DEVARGS = {
    # name: (flags, string)
    "iface_only": (0, "iface=" + LOWER),
    "iface_prefix_only": (FL_IFACE, ""),
    "no_iface": (0, "mode=vepa"),
    "empty": (0, ""),
    "iface_empty": (0, "iface="),
    "iface_unknown": (0, "iface=net_ring_none"),
    "iface_too_long": (0, "iface=" + "n" * 80),
    "iface_key_only": (0, "iface"),
    "iface_is_macvtap": (FL_SIBLING, "iface=" + SIBLING),
    "mac_valid": (FL_IFACE, "mac=02:00:00:00:00:01"),
    "mac_short_form": (FL_IFACE, "mac=0200:0000:0001"),
    "mac_multicast": (FL_IFACE, "mac=01:00:5e:00:00:01"),
    "mac_zero": (FL_IFACE, "mac=00:00:00:00:00:00"),
    "mac_broadcast": (FL_IFACE, "mac=ff:ff:ff:ff:ff:ff"),
    "mac_malformed": (FL_IFACE, "mac=02:00:00:00:00"),
    "mac_garbage": (FL_IFACE, "mac=zz:00:00:00:00:01"),
    "mac_of_sibling": (FL_IFACE | FL_SIBLING, "mac=02:00:00:00:00:aa"),
    "mac_twice_same_port": (FL_IFACE | FL_TWICE, "mac=02:00:00:00:00:07"),
    "mode_private": (FL_IFACE, "mode=private"),
    "mode_vepa": (FL_IFACE, "mode=vepa"),
    "mode_bridge": (FL_IFACE | FL_TWO_QUEUES, "mode=bridge,mac=02:00:00:00:00:02"),
    "mode_passthru": (FL_IFACE, "mode=passthru"),
    "mode_passthru_twice": (FL_IFACE | FL_TWICE, "mode=passthru"),
    "mode_passthru_beside": (FL_IFACE | FL_SIBLING, "mode=passthru"),
    "mode_passthru_mac": (FL_IFACE, "mode=passthru,mac=02:00:00:00:0e:0e"),
    "mode_passthru_nopromisc": (FL_IFACE, "mode=passthru,nopromisc=1"),
    "mode_source": (FL_IFACE, "mode=source,source=02:aa:00:00:00:01"),
    "mode_bogus": (FL_IFACE, "mode=bogus"),
    "mode_uppercase": (FL_IFACE, "mode=VEPA"),
    "mode_twice": (FL_IFACE, "mode=vepa,mode=bridge"),
    "source_list": (FL_IFACE, "mode=source,source=[02:aa:00:00:00:01,02:aa:00:00:00:02]"),
    "source_32": (FL_IFACE, "mode=source,source=" + src_list(32)),
    "source_33": (FL_IFACE, "mode=source,source=" + src_list(33)),
    "source_unclosed": (FL_IFACE, "mode=source,source=[02:aa:00:00:00:01"),
    "source_empty_list": (FL_IFACE, "mode=source,source=[]"),
    "source_empty_items": (FL_IFACE, "mode=source,source=[,02:aa:00:00:00:01,,]"),
    "source_nonsense": (FL_IFACE, "mode=source,source=[nonsense]"),
    "source_multicast": (FL_IFACE, "mode=source,source=[01:aa:00:00:00:01]"),
    "source_not_source_mode": (FL_IFACE, "source=02:aa:00:00:00:01"),
    "source_nodst": (FL_IFACE | FL_TWICE, "mode=source,nodst=1,source=[02:aa:00:00:00:01]"),
    "source_down": (FL_IFACE | FL_LINK_DOWN, "mode=source,source=[02:aa:00:00:00:03]"),
    "nodst_0": (FL_IFACE, "nodst=0"),
    "nodst_2": (FL_IFACE, "nodst=2"),
    "nopromisc_yes": (FL_IFACE, "nopromisc=yes"),
    "nopromisc_1": (FL_IFACE, "nopromisc=1"),
    "spoofchk_1": (FL_IFACE, "spoofchk=1,mode=bridge"),
    "spoofchk_empty": (FL_IFACE, "spoofchk="),
    "spoofchk_key_only": (FL_IFACE, "spoofchk"),
    "unknown_key": (FL_IFACE, "bogus=1"),
    "equals_in_value": (FL_IFACE, "mode=vepa=bridge"),
    "space_in_key": (FL_IFACE, " mode=vepa"),
    "empty_pairs": (0, ",,iface=" + LOWER + ",,mode=private,,"),
    "too_many_pairs": (FL_IFACE, ",".join(["nodst=0"] * 40)),
    "all_keys": (FL_IFACE | FL_LINK_DOWN | FL_TWO_QUEUES,
                 "mac=02:00:00:00:00:05,mode=vepa,nodst=0,nopromisc=0,spoofchk=1"),
    "all_keys_source": (FL_IFACE | FL_TWICE,
                        "mode=source,mac=02:00:00:00:00:06,source=[02:aa:00:00:00:01],"
                        "nodst=1,nopromisc=1,spoofchk=0"),
    "link_down_bridge": (FL_IFACE | FL_LINK_DOWN, "mode=bridge"),
    "link_down_passthru": (FL_IFACE | FL_LINK_DOWN, "mode=passthru"),
}

# The driver keeps a source MAC listed twice twice: the port gets two copies.
DEVARGS_REGRESSIONS = {
    "source_duplicate": (FL_IFACE, "mode=source,source=[02:aa:00:00:00:01,02:aa:00:00:00:01]"),
}

# ---- fuzz_rx -------------------------------------------------------------------

# Record kinds, segmentation, rewrites (fuzz_rx.c); C0 is kind 2 with h[4] odd.
A0, A1, B0, TX, C0 = 0, 1, 2, 3, 6
SEG_ONE, SEG_SPLIT, SEG_MANY, SEG_EMPTY_ENDS = 0, 1, 2, 3
RW_RAW, RW_DST, RW_SRC, RW_BOTH, RW_VLAN, RW_QINQ, RW_PAUSE, RW_BCAST = range(8)
# Ports (index into the target's table and into macs[]).
PR0, PR1, VE0, VE1, VE2, BR0, BR1, BR2, SO0, SO1, SO2, BR3, BR4, PT0, PC0, PC1, PC2 = range(17)
NB_PORTS = 17
NB_MACS = NB_PORTS + 13
# Other entries of macs[].
(LOWER_A, X1, X2, X3, G1, G2, PAUSE, BCAST, UNKNOWN, ZERO, BR2_MAC2, PR0_MAC2,
 BR0_NEW_MAC) = range(NB_PORTS, NB_PORTS + 13)
# State bits (byte 0).
PR1_DOWN, VE1_NOT_PROMISC, ALLMULTI, SO1_DOWN = 1, 2, 4, 8
BR3_UP, PT0_DOWN, SO0_DOWN, VE0_STOPPED = 16, 32, 64, 128
# State bits (byte 1).
S2_BR2_MAC2, S2_PR0_MAC2, S2_VE1_GROUP, S2_BR0_NEW_MAC, S2_BR1_PROMISC = 1, 2, 4, 8, 16
S2_PC1_DOWN, S2_PC0_PROMISC = 32, 64


def st(state=0, state2=0):
    """The two state bytes an input starts with."""
    return bytes([state, state2])


def payload(n, seed=0):
    return bytes((seed * 31 + i * 7 + 1) & 0xff for i in range(n))


def rec(kind, data=b"", seg=SEG_ONE, rw=RW_BOTH, dst=UNKNOWN, src=UNKNOWN, h4=0,
        seg_param=0, pad_units=0, rss=0):
    """One record: the frame's data must hold room for the rewritten header."""
    if kind == C0:
        kind, h4 = B0, h4 | 1
    h0 = kind | seg << 2 | rw << 4 | (0x80 if pad_units else 0)
    h5 = (pad_units << 4) | (seg_param & 15)
    return bytes([h0, len(data), dst, src, h4, h5, rss]) + data


def tx(port, data, txq=0, **kw):
    return rec(TX, data, h4=port + NB_PORTS * txq, **kw)


F = payload(60)     # a minimum-size frame's bytes (the header is rewritten)

RX = {
    # One frame from the wire per kind of destination (Matrix A).
    "unicast_each_port": st() + b"".join(
        rec(A0 if p % 2 == 0 else A1, F, dst=p, src=UNKNOWN) for p in range(NB_PORTS)),
    "unicast_unknown": st() + rec(A0, F, dst=UNKNOWN, src=UNKNOWN),
    "unicast_lower_mac": st() + rec(A0, F, dst=LOWER_A, src=UNKNOWN),
    "unicast_to_down_port": st(PR1_DOWN) + rec(A0, F, dst=PR1, src=UNKNOWN),
    "unicast_to_stopped_port": st(VE0_STOPPED) + rec(A0, F, dst=VE0, src=UNKNOWN),
    "unicast_to_source_port": st() + rec(A0, F, dst=SO0, src=UNKNOWN),
    "unicast_to_rxq_less_port": st() + rec(A0, F, dst=BR4, src=UNKNOWN),
    "broadcast": st() + rec(A0, F, rw=RW_BCAST, src=UNKNOWN),
    "multicast_joined": st() + rec(A1, F, dst=G1, src=UNKNOWN) + rec(A0, F, dst=G2),
    "multicast_unjoined_allmulti": st(ALLMULTI) + rec(A0, F, dst=PAUSE, src=UNKNOWN),
    "multicast_nobody": st(VE1_NOT_PROMISC) + rec(A0, F, dst=PAUSE, src=UNKNOWN, rw=RW_BOTH),
    "pause": st() + rec(A0, F, rw=RW_PAUSE, dst=PAUSE, src=UNKNOWN),
    # Reflections (Matrix B): a group frame whose source is a local port.
    "reflected_broadcast_each_mode": st() + b"".join(
        rec(A0, F, rw=RW_BCAST, src=p) for p in (PR0, VE0, BR0, SO0, BR4)),
    "reflected_multicast_bridge": st() + rec(A0, F, dst=G1, src=BR1),
    # Source mode: copies, nodst swallowing, even while down.
    "source_x1": st() + rec(A0, F, dst=PR0, src=X1) + rec(A0, F, rw=RW_BCAST, src=X1),
    "source_x2_nodst": st() + rec(A0, F, dst=BR0, src=X2),
    "source_x3_nodst_down": st(SO1_DOWN) + rec(A1, F, dst=VE0, src=X3),
    "source_down_copy": st(SO0_DOWN) + rec(A0, F, dst=UNKNOWN, src=X1),
    "source_lists_local_port": st() + rec(A0, F, dst=BR1, src=PR0),
    # Passthru on lower B.
    "passthru_unicast": st() + rec(B0, F, dst=UNKNOWN, src=X1) + rec(B0, F, dst=PR0),
    "passthru_down": st(PT0_DOWN) + rec(B0, F, dst=UNKNOWN),
    "passthru_broadcast_multicast": st(ALLMULTI) + rec(B0, F, rw=RW_BCAST) +
    rec(B0, F, dst=G1) + rec(B0, F, dst=G2, src=PT0),
    # Frame shapes: runts, tags, segments, jumbo, RSS.
    "runts": st() + b"".join(rec(A0, payload(n), dst=PR0, rw=RW_DST) for n in range(0, 15)),
    "runt_chained": st() + rec(A0, payload(13), seg=SEG_MANY, dst=BCAST, rw=RW_DST),
    "vlan": st() + rec(A0, F, rw=RW_VLAN, dst=VE1, h4=0x12, seg_param=0x34),
    "qinq": st() + rec(A1, F, rw=RW_QINQ, dst=BR1, h4=0x01),
    "vlan_broadcast": st() + rec(A0, F, rw=RW_VLAN, dst=BCAST),
    "header_split": st() + b"".join(
        rec(A0, F, seg=SEG_SPLIT, dst=BR0, seg_param=n) for n in range(0, 16, 3)),
    "many_segments": st() + rec(A0, payload(200), seg=SEG_MANY, dst=BCAST, seg_param=0),
    "empty_segments": st() + rec(A1, payload(100), seg=SEG_EMPTY_ENDS, dst=SO0, src=X1,
                                  seg_param=1),
    "jumbo": st() + rec(A0, F, dst=PR0, pad_units=15) + rec(A0, F, rw=RW_BCAST, pad_units=3),
    "jumbo_chained": st() + rec(A1, F, seg=SEG_MANY, rw=RW_BCAST, pad_units=15, seg_param=15),
    "jumbo_to_priv_pool": st() + rec(A0, F, dst=BR2, pad_units=8),
    "rss_multiqueue": st() + b"".join(
        rec(A0, F, dst=p, rss=r) for p in (VE1, BR1, SO1) for r in (1, 3, 5, 7)),
    "lossy_ring": st() + b"".join(rec(A0, payload(60, i), dst=VE2) for i in range(40)),
    # Transmit (Matrix C).
    "tx_each_port_to_wire": st() + b"".join(
        tx(p, F, dst=UNKNOWN, src=p) for p in range(NB_PORTS)),
    "tx_bridge_unicast_local": st() + tx(BR0, F, dst=BR1, src=BR0) +
    tx(BR0, F, dst=BR0, src=BR0) + tx(BR1, F, dst=BR4, src=BR1, txq=2),
    "tx_bridge_to_vepa": st() + tx(BR0, F, dst=VE0, src=BR0),
    "tx_bridge_broadcast": st(BR3_UP) + tx(BR0, F, rw=RW_BCAST, src=BR0),
    "tx_bridge_multicast": st() + tx(BR3, F, dst=G2, src=BR3) + tx(BR0, F, dst=G1, src=BR0),
    "tx_spoofchk": st() + tx(BR2, F, dst=UNKNOWN, src=X1) + tx(VE2, F, dst=UNKNOWN, src=VE2) +
    tx(VE2, F, dst=UNKNOWN, src=PR0),
    "tx_runt": st() + tx(BR0, payload(10), rw=RW_RAW) + tx(VE0, payload(5), rw=RW_RAW),
    "tx_down_and_stopped": st(PR1_DOWN | VE0_STOPPED) + tx(PR1, F) + tx(VE0, F),
    "tx_burst_long": st() + b"".join(
        tx(BR0, payload(60, i), dst=BR1 if i % 3 else UNKNOWN, src=BR0) for i in range(70)),
    "tx_local_chained": st() + tx(BR0, F, seg=SEG_MANY, dst=BR1, src=BR0, pad_units=4,
                                   rss=1),
    "tx_passthru": st() + tx(PT0, F, dst=UNKNOWN, src=PT0),
    "many_queues_one_burst": st() + b"".join(
        rec(A0, payload(20, i), rw=RW_BCAST, src=UNKNOWN, rss=2 * i + 1) for i in range(48)),
    "wire_full": st() + b"".join(tx(VE1, payload(20, i), txq=1) for i in range(60)) +
    b"".join(tx(BR1, payload(20, i), txq=1, dst=UNKNOWN, src=BR1) for i in range(10)),
    "wire_full_passthru": st() + b"".join(tx(PT0, payload(20, i)) for i in range(70)),
    # Lower C: no source or passthru port, the lean receive loop.
    "lean_unicast": st() + b"".join(rec(C0, payload(60, i), dst=PC0 + i % 3, src=UNKNOWN)
                                    for i in range(40)),
    "lean_mixed": st(0, S2_PC0_PROMISC) + rec(C0, F, dst=PC1, rss=3) + rec(C0, F, dst=G1) +
    rec(C0, F, rw=RW_BCAST, src=PC2) + rec(C0, payload(10), dst=PC0, rw=RW_DST) +
    rec(C0, F, seg=SEG_SPLIT, dst=PC0, seg_param=5) + rec(C0, F, dst=ZERO) +
    tx(PC1, F, dst=PC1, src=PC1) + tx(PC0, F, dst=PC1, src=PC0),
    "lean_one_queue_full_burst": st() + b"".join(rec(C0, payload(20, i), dst=PC0)
                                                 for i in range(70)),
    "priv_pool_frames": st() + rec(A0, F, dst=BR2, rss=2) + rec(A0, F, rw=RW_BCAST, rss=2) +
    rec(A0, payload(200), seg=SEG_MANY, dst=BR2, rss=2) + tx(BR0, F, dst=BR2, src=BR0, rss=2),
    "lean_down": st(0, S2_PC1_DOWN) + rec(C0, F, dst=PC1) + tx(PC0, F, rw=RW_BCAST, src=PC0),
    # MACs and filters changed by the second state byte.
    "second_macs": st(0, S2_BR2_MAC2 | S2_PR0_MAC2) + rec(A0, F, dst=PR0_MAC2) +
    rec(A0, F, dst=BR2_MAC2) + tx(BR2, F, dst=UNKNOWN, src=BR2_MAC2) +
    tx(BR0, F, dst=BR2_MAC2, src=BR0) + rec(A0, F, rw=RW_BCAST, src=PR0_MAC2),
    "new_mac": st(0, S2_BR0_NEW_MAC) + rec(A0, F, dst=BR0) + rec(A0, F, dst=BR0_NEW_MAC) +
    tx(BR1, F, dst=BR0_NEW_MAC, src=BR1) + tx(BR1, F, dst=BR0, src=BR1),
    "group_and_promisc": st(VE1_NOT_PROMISC, S2_VE1_GROUP | S2_BR1_PROMISC) +
    rec(A0, F, dst=G1) + rec(A1, F, dst=PAUSE) + tx(BR0, F, dst=PAUSE, src=BR0),
    # Everything at once, in every state.
    "mixed_all_states": st(0xff, 0xff) + b"".join(
        rec(i % 3, payload(40 + i, i), seg=i % 4, rw=i % 8, dst=(i * 5) % NB_MACS,
            src=(i * 7) % NB_MACS, h4=i, seg_param=i, rss=i) for i in range(48)) +
    b"".join(tx(i % NB_PORTS, payload(30 + i, i), dst=(i * 3) % NB_MACS, src=i % NB_MACS)
             for i in range(20)),
}

# Found by fuzz_rx before commit 7deb971: a bridge port's PAUSE frame to a group
# was fanned out to the other bridge ports (the spec, 1.3 and 1.4, and the guide
# say PAUSE is never fanned out); a bridge port's broadcast overtook its own
# earlier unicast to a sibling in the same burst.
RX_REGRESSIONS = {
    "bridge_tx_pause_fanout": st() + tx(BR0, F, rw=RW_PAUSE, dst=BCAST, src=BR0),
    "bridge_tx_order": st() + tx(BR0, F, dst=BR1, src=BR0) +
    tx(BR0, payload(60, 1), rw=RW_BCAST, src=BR0),
}


# ---- fuzz_tapwrite -------------------------------------------------------------

# Records: an 8-byte header, then a write's data (fuzz_tapwrite.c).
OP_WRITE, OP_WRITEV, OP_READ, OP_PORT, OP_QUEUE, OP_FILE = 0, 3, 4, 5, 6, 7
HDR_RAW, HDR_PLAIN, HDR_CSUM, HDR_GSO = range(4)
(RW_NONE, RW_DST, RW_OWN_SRC, RW_DST_OWN_SRC, RW_DST_SRC, RW_PAUSE, RW_BCAST,
 RW_DST_OWN_SRC2) = range(8)
TW_BR0, TW_BR1, TW_VE0 = range(3)
# Files: F0 on BR0 (header 12), F1 and F2 on BR1 (12, none), F3 on VE0 (10).
TF0, TF1, TF2, TF3 = range(4)
TW_HDR = {TF0: 12, TF1: 12, TF2: 0, TF3: 10}
M_BR0, M_BR1, M_VE0, M_BCAST, M_G1, M_G2, M_PAUSE, M_UNKNOWN = range(8)
Q_ATTACH, Q_DETACH, Q_BOTH, Q_NONE = range(4)


def tw_data(f, frame_len, seed=0, hdr=None):
    """Room for the file's header (rewritten by the header modes), then the frame."""
    return bytes(TW_HDR[f] if hdr is None else hdr) + payload(frame_len, seed)


def tw_write(f, data, hdr=HDR_PLAIN, rw=RW_DST_OWN_SRC, dst=M_UNKNOWN, src=M_UNKNOWN,
             a=0, b=0, c=0, pad=0, splits=None):
    op = OP_WRITE if splits is None else OP_WRITEV | (len(splits) << 3)
    return (bytes([op, f, hdr | rw << 2 | pad << 5, a, b, c, dst | src << 4, len(data)]) +
            bytes(splits or []) + data)


def tw_read(f, length=2599, split=0):
    return bytes([OP_READ | (8 if split else 0), f, length & 0xff, length >> 8,
                  max(split - 1, 0), 0, 0, 0])


def tw_port(p, on, allmulti=False):
    return bytes([OP_PORT, p, (1 if on else 0) | (2 if allmulti else 0), 0, 0, 0, 0, 0])


def tw_queue(f, how):
    return bytes([OP_QUEUE, f, how, 0, 0, 0, 0, 0])


def tw_hdr_sz(f, v):
    return bytes([OP_FILE, f, 0, v + 8, 0, 0, 0, 0])


def tw_iff(f, idx, raw=0):
    return bytes([OP_FILE, f, 1, idx, raw >> 8, raw & 0xff, 0, 0])


def tw_drain():
    return bytes([OP_FILE, 0, 2, 0, 0, 0, 0, 0])


def tw_gso(f, gso_type, size_sel, n=80, c=0):
    """HDR_GSO: h[3] the type, h[4] & 3 the size (0, 0xffff, 1448, h[4])."""
    return tw_write(f, tw_data(f, n), hdr=HDR_GSO, a=gso_type, b=size_sel | 80, c=c)


def tw_csum(f, start, off, n=80, hdr_len=0, seed=0, dst=M_UNKNOWN):
    """HDR_CSUM: h[3] csum_start, h[4] csum_offset (< 0x80), h[5] >> 3 hdr_len."""
    return tw_write(f, tw_data(f, n, seed), hdr=HDR_CSUM, a=start, b=off, c=hdr_len << 3,
                    dst=dst)


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum((data[i] << 8) | data[i + 1] for i in range(0, len(data), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def tw_l4(v6, proto, n, tcp_flags=0x18, seed=True):
    """An IPv4 or IPv6 TCP or UDP frame (MACs rewritten by the record), n bytes of payload;
    the L4 checksum field the pseudo-header sum with the length when seed."""
    l4 = 20 if proto == 6 else 8
    if proto == 6:
        th = bytes([0, 0x39, 0, 0x90, 1, 2, 3, 4, 0, 0, 0, 9, 0x50, tcp_flags, 0xff, 0,
                    0, 0, 0, 0])
    else:
        th = bytes([0, 0x39, 0, 0x90, (l4 + n) >> 8, (l4 + n) & 0xff, 0, 0])
    if v6:
        ip = (bytes([0x60, 0, 0, 0, (l4 + n) >> 8, (l4 + n) & 0xff, proto, 64]) +
              bytes([0xfd] + [0] * 14 + [1]) + bytes([0xfd] + [0] * 14 + [2]))
        addrs, eth = ip[8:40], b"\x86\xdd"
    else:
        tot = 20 + l4 + n
        ip = bytes([0x45, 0, tot >> 8, tot & 0xff, 0x12, 0x34, 0, 0, 64, proto, 0, 0,
                    10, 1, 2, 3, 10, 9, 8, 7])
        c = ~csum16(ip) & 0xffff
        ip = ip[:10] + bytes([c >> 8, c & 0xff]) + ip[12:]
        addrs, eth = ip[12:20], b"\x08\x00"
    seed_v = csum16(addrs + bytes([0, proto, (l4 + n) >> 8, (l4 + n) & 0xff])) if seed else 0
    at = 16 if proto == 6 else 6
    th = th[:at] + bytes([seed_v >> 8, seed_v & 0xff]) + th[at + 2:]
    return bytes(12) + eth + ip + th + payload(n, 5)


def tw_vh(f, flags, gso, size, start, off, hdr_len=0):
    """A whole virtio-net header, little-endian, padded to the file's header size."""
    h = bytes([flags, gso, hdr_len & 0xff, hdr_len >> 8, size & 0xff, size >> 8,
               start & 0xff, start >> 8, off & 0xff, off >> 8])
    return h + bytes(max(TW_HDR[f] - 10, 0))


def tw_ol(f, vh, frame, dst=M_UNKNOWN, pad=0):
    """A write with a raw header (vh) and a real frame; dst rewrites its destination MAC."""
    return tw_write(f, vh + frame, hdr=HDR_RAW, rw=RW_DST_OWN_SRC if dst != M_UNKNOWN else RW_OWN_SRC,
                    dst=dst, pad=pad)


TAPWRITE = {
    "bridge_unicast_sibling": tw_write(TF0, tw_data(TF0, 60), dst=M_BR1) + tw_read(TF1),
    "bridge_unicast_self": tw_write(TF0, tw_data(TF0, 60), dst=M_BR0) + tw_read(TF0, 30),
    "bridge_unicast_to_vepa": tw_write(TF0, tw_data(TF0, 60), dst=M_VE0),
    "bridge_broadcast": tw_write(TF0, tw_data(TF0, 64), rw=RW_BCAST) +
    tw_write(TF1, tw_data(TF1, 64, 1), rw=RW_BCAST),
    "bridge_multicast": tw_write(TF1, tw_data(TF1, 64), dst=M_G1) +
    tw_write(TF0, tw_data(TF0, 64), dst=M_G1) + tw_port(TW_BR1, True, True) +
    tw_write(TF0, tw_data(TF0, 64, 2), dst=M_G2),
    "bridge_pause": tw_write(TF0, tw_data(TF0, 60), rw=RW_PAUSE),
    "spoofchk": tw_write(TF1, tw_data(TF1, 60), rw=RW_DST_SRC, dst=M_BR0, src=M_UNKNOWN) +
    tw_write(TF2, tw_data(TF2, 60), dst=M_BR0) + tw_write(TF2, tw_data(TF2, 60), rw=RW_NONE),
    "vepa_wire_full": b"".join(tw_write(TF3, tw_data(TF3, 20, i)) for i in range(70)),
    "bridge_wire_full_drain": b"".join(tw_write(TF0, tw_data(TF0, 20, i)) for i in range(70)) +
    tw_drain() + tw_write(TF0, tw_data(TF0, 20)),
    "csum_valid": tw_csum(TF0, 34, 16) + tw_csum(TF3, 20, 6, n=61) +
    tw_csum(TF0, 34, 16, dst=M_BR1) + tw_csum(TF1, 40, 0, n=42, seed=3, dst=M_BR0),
    "csum_invalid": tw_csum(TF0, 19, 16) + tw_csum(TF0, 34, 45) + tw_csum(TF3, 70, 9) +
    tw_csum(TF3, 20, 6, hdr_len=31),
    "hdr_len": tw_write(TF3, tw_data(TF3, 40), a=40) + tw_write(TF3, tw_data(TF3, 40), a=41),
    "gso_types": b"".join(tw_gso(TF3, t, 2) for t in (0, 1, 2, 3, 4, 5, 6, 0x81, 0x85, 0xff)),
    "gso_sizes": b"".join(tw_gso(TF0, 1, s) for s in range(4)),
    "short_writes": tw_write(TF0, bytes(11), hdr=HDR_RAW) +
    tw_write(TF0, tw_data(TF0, 13), rw=RW_NONE) + tw_write(TF0, tw_data(TF0, 14)) +
    tw_write(TF2, payload(13), rw=RW_NONE) + tw_write(TF2, b"") + tw_write(TF3, b""),
    "long_frames": tw_write(TF0, tw_data(TF0, 100), pad=7) +
    tw_write(TF0, tw_data(TF0, 100), dst=M_BR1, pad=5) +
    tw_write(TF3, tw_data(TF3, 245), pad=6) + tw_write(TF2, payload(249), pad=6),
    "writev_splits": tw_write(TF0, tw_data(TF0, 60), splits=[3, 0, 5, 4], dst=M_BR1) +
    tw_write(TF1, tw_data(TF1, 60), splits=[12], dst=M_BR0) +
    tw_write(TF3, tw_data(TF3, 60), splits=[0, 0, 1, 1, 1, 1, 100]) +
    tw_write(TF3, tw_data(TF3, 60), splits=[9], hdr=HDR_CSUM, a=20, b=6),
    "reads": tw_write(TF0, tw_data(TF0, 60), dst=M_BR1) * 4 + tw_read(TF1, 0) +
    tw_read(TF1, 11) + tw_read(TF1, 30) + tw_read(TF1, 100, split=13) + tw_read(TF1) +
    tw_read(TF1) + tw_read(TF3),
    "detach": tw_queue(TF1, Q_DETACH) + tw_write(TF0, tw_data(TF0, 60), dst=M_BR1) +
    tw_queue(TF2, Q_DETACH) + tw_write(TF0, tw_data(TF0, 60, 1), dst=M_BR1) +
    tw_write(TF0, tw_data(TF0, 60, 2), rw=RW_BCAST) + tw_queue(TF2, Q_DETACH) +
    tw_queue(TF1, Q_BOTH) + tw_queue(TF1, Q_NONE) + tw_write(TF0, tw_data(TF0, 60), dst=M_BR1),
    "link_down": tw_port(TW_BR1, False) + tw_write(TF0, tw_data(TF0, 60), dst=M_BR1) +
    tw_write(TF1, tw_data(TF1, 60), dst=M_BR0) + tw_write(TF0, tw_data(TF0, 60), rw=RW_BCAST) +
    tw_port(TW_VE0, False) + tw_write(TF3, tw_data(TF3, 60)) + tw_port(TW_BR1, True) +
    tw_write(TF0, tw_data(TF0, 60), dst=M_BR1),
    # Offloads: partial checksums and GSO frames to the wire and to bridge readers.
    "ol_csum_wire": tw_ol(TF3, tw_vh(TF3, 1, 0, 0, 34, 16), tw_l4(False, 6, 150)) +
    tw_ol(TF3, tw_vh(TF3, 1, 0, 0, 54, 6), tw_l4(True, 17, 120)),
    "ol_csum_local": tw_ol(TF0, tw_vh(TF0, 1, 0, 0, 34, 6), tw_l4(False, 17, 150), M_BR1) +
    tw_read(TF1) + tw_iff(TF1, 0) +
    tw_ol(TF0, tw_vh(TF0, 1, 0, 0, 34, 16), tw_l4(False, 6, 150), M_BR1) + tw_read(TF1),
    "ol_gso_tcp4_wire": tw_ol(TF3, tw_vh(TF3, 1, 1, 200, 34, 16), tw_l4(False, 6, 180, 0x99),
                              pad=2),
    "ol_gso_tcp4_nocsum": tw_ol(TF3, tw_vh(TF3, 0, 1, 150, 0, 0), tw_l4(False, 6, 180, seed=False),
                                pad=1),
    "ol_gso_tcp6_wire": tw_ol(TF0, tw_vh(TF0, 1, 4, 300, 54, 16), tw_l4(True, 6, 150), pad=3),
    "ol_gso_local": tw_ol(TF0, tw_vh(TF0, 1, 0x81, 500, 34, 16), tw_l4(False, 6, 180, 0x98),
                          M_BR1, pad=4) + tw_read(TF1) +
    tw_ol(TF1, tw_vh(TF1, 1, 5, 250, 34, 6), tw_l4(False, 17, 150), M_BR0, pad=3) +
    tw_read(TF0) + tw_read(TF0) + tw_queue(TF1, Q_DETACH) +
    tw_ol(TF0, tw_vh(TF0, 1, 1, 400, 34, 16), tw_l4(False, 6, 150), M_BR1, pad=4) +
    tw_read(TF2),
    "ol_gso_lost": tw_ol(TF3, tw_vh(TF3, 1, 1, 200, 54, 16), tw_l4(True, 6, 150), pad=2) +
    tw_ol(TF3, tw_vh(TF3, 1, 1, 20, 34, 16), tw_l4(False, 6, 150), pad=7),
    "ol_ufo": tw_ol(TF3, tw_vh(TF3, 1, 3, 200, 34, 6), tw_l4(False, 17, 150), pad=2) +
    tw_ol(TF3, tw_vh(TF3, 0, 3, 1448, 0, 0), tw_l4(False, 17, 150)),
    "ioctls": tw_hdr_sz(TF0, 9) + tw_hdr_sz(TF0, 20) + tw_write(TF0, tw_data(TF0, 60, hdr=20)) +
    tw_iff(TF0, 0) + tw_write(TF0, payload(60)) + tw_iff(TF2, 1) +
    tw_write(TF2, tw_data(TF2, 60, hdr=10)) + tw_iff(TF3, 4) + tw_iff(TF3, 5) +
    tw_iff(TF3, 7, 0x9102),
}

# The driver once checked a GSO header's type and size before the other rules:
# a valid GSO header whose hdr_len (or checksum) lies past the frame, or whose
# frame is longer than an mbuf holds, got -EOPNOTSUPP where the documented
# rules (and the kernel's order) say -EINVAL (or, past an mbuf, accept it).
TAPWRITE_REGRESSIONS = {
    "gso_hdr_len_past_frame": tw_gso(TF3, 1, 2, n=40, c=60 << 2),
    "gso_csum_start_14": tw_write(TF3, tw_data(TF3, 80), hdr=HDR_GSO, a=1, b=2, c=1),
    "gso_frame_beyond_mbuf": tw_write(TF3, tw_data(TF3, 245), hdr=HDR_GSO, a=1, b=0x52,
                                      pad=7),
    # A partial checksum from an odd csum_start over a chain of two mbufs: DPDK
    # 22.11's rte_raw_cksum_mbuf lost the second segment's carries (wrong sum).
    "csum_chain_odd_start": tw_write(TF3, tw_data(TF3, 80), hdr=HDR_CSUM, a=253, b=2, pad=7),
}

def write_dir(path, files, clean):
    """Write files into path; with clean, remove what else is there first."""
    os.makedirs(path, exist_ok=True)
    for old in os.listdir(path) if clean else []:
        os.remove(os.path.join(path, old))
    for name, data in sorted(files.items()):
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)


def devargs_bytes(table):
    return {n: bytes([fl]) + s.encode() for n, (fl, s) in table.items()}


# Crash inputs saved by hand next to ours in regressions/ stay.
write_dir(os.path.join(TOP, "corpus", "devargs"), devargs_bytes(DEVARGS), True)
write_dir(os.path.join(TOP, "corpus", "rx"), RX, True)
write_dir(os.path.join(TOP, "regressions", "fuzz_devargs"), devargs_bytes(DEVARGS_REGRESSIONS),
          False)
write_dir(os.path.join(TOP, "regressions", "fuzz_rx"), RX_REGRESSIONS, False)
write_dir(os.path.join(TOP, "corpus", "tapwrite"), TAPWRITE, True)
write_dir(os.path.join(TOP, "regressions", "fuzz_tapwrite"), TAPWRITE_REGRESSIONS, False)
