# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
"""Scenarios of the kernel-oracle test: endpoints, group slots and frames.

Each scenario puts a few endpoints on one lower and sends a list of frames
from the wire. Addresses in a frame are either literal MACs or references:
    "@role"  the MAC of the endpoint with that role
    "%slot"  a multicast group picked from a slot's candidates (see below)

Group slots. The semantics doc (2.1) describes the kernel's per-endpoint
multicast filter as a 256-bucket hash whose mix is the endpoint object's
address, and a Linux endpoint always has ff:ff:ff:ff:ff:ff, 01:00:5e:00:00:01
and 33:33:00:00:00:01 in its list (IPv4/IPv6 all-nodes groups, joined even
with disable_ipv6). If so, a group that nobody joined would pass a kernel
endpoint's filter now and then (the doc's "false positives", which an exact
implementation does not reproduce). On this machine's 6.18 kernel no such
false positive showed up (0 of about 8800 random group/endpoint tries), but
as a guard a slot lists several candidate groups: before the compared run the
kernel side sends one probe frame per candidate and keeps the first candidate
that no endpoint received without having joined it (or being promiscuous);
skipped candidates are printed as notes. Joined slots are joined with all
their candidates on both sides. All candidates share bytes 2..4 (ff:ff:ff)
and differ only in byte 5, the top byte of the hashed 32-bit word: by the
doc's hash such groups never share a bucket with one another or with the
broadcast address, whatever the mix.

"expect" is what the semantics doc's matrices A/B and 1.6 predict. It is not
what the test asserts (the test asserts kernel == net_macvtap); it is only
used to print a note when the kernel itself does not do what the doc says.
"""

LOWER_MAC = "02:4d:56:00:00:fe"
EXT = "02:4d:56:ee:00:01"          # an external station on the wire
UNKNOWN = "02:4d:56:dd:00:01"      # unicast nobody owns
SRC_X = "02:4d:56:5a:00:01"        # listed by both source endpoints
SRC_Z = "02:4d:56:5a:00:02"        # listed by source endpoint 2 only
SRC_Y = "02:4d:56:5b:00:01"        # listed by nobody
BCAST = "ff:ff:ff:ff:ff:ff"


def _cands(prefix_byte, tag):
    # 01:00:ff:ff:ff:<tag><n>, n = 1..6 (see the module docstring)
    return ["%02x:00:ff:ff:ff:%x%x" % (prefix_byte, tag, n) for n in range(1, 7)]


SLOTS_DEFAULT = {
    "U1": _cands(0x01, 0xa),   # nobody joins these
    "U2": _cands(0x03, 0xc),   # nobody joins these (a locally administered group)
    "J": _cands(0x01, 0xb),    # joined by one endpoint
}


def ep(role, mode, mac, promisc=False, sources=(), joins=()):
    return {"role": role, "mode": mode, "mac": mac, "promisc": promisc,
            "sources": list(sources), "joins": list(joins)}


def fr(name, dst, src, expect):
    return {"name": name, "dst": dst, "src": src, "expect": sorted(expect)}


P, V, B = "private", "vepa", "bridge"

SCENARIOS = {}

# private, vepa and bridge endpoints on one lower; endpoints not promiscuous
# (testpmd: 'set promisc <port> off'); the vepa endpoint joins slot J.
SCENARIOS["mixed"] = {
    "first_id": 1000,
    "endpoints": [
        ep(P, "private", "02:4d:56:00:01:01"),
        ep(V, "vepa", "02:4d:56:00:01:02", joins=["J"]),
        ep(B, "bridge", "02:4d:56:00:01:03"),
    ],
    "frames": [
        # Matrix A: external source
        fr("uc-to-private", "@private", EXT, {P}),
        fr("uc-to-vepa", "@vepa", EXT, {V}),
        fr("uc-to-bridge", "@bridge", EXT, {B}),
        fr("uc-unknown", UNKNOWN, EXT, set()),
        fr("uc-to-lower-mac", LOWER_MAC, EXT, set()),
        fr("broadcast", BCAST, EXT, {P, V, B}),
        fr("mc-unjoined-1", "%U1", EXT, set()),
        fr("mc-unjoined-2", "%U2", EXT, set()),
        fr("mc-joined-by-vepa", "%J", EXT, {V}),
        # Matrix B: reflected from the wire with a local endpoint's source MAC
        fr("bc-from-private", BCAST, "@private", {P}),
        fr("bc-from-vepa", BCAST, "@vepa", {B}),
        fr("bc-from-bridge", BCAST, "@bridge", {V}),
        fr("mc-unjoined-from-private", "%U1", "@private", {P}),
        fr("mc-joined-from-bridge", "%J", "@bridge", {V}),
        fr("mc-joined-from-vepa", "%J", "@vepa", set()),
        fr("uc-private-to-private", "@private", "@private", {P}),
        fr("uc-vepa-to-private", "@private", "@vepa", {P}),
        fr("uc-bridge-to-bridge", "@bridge", "@bridge", {B}),
    ],
}

# The same endpoints, all promiscuous on both sides (testpmd's default; kernel
# 'ip link set mvtN promisc on'): widens multicast only, never unicast.
SCENARIOS["promisc"] = {
    "first_id": 2000,
    "endpoints": [
        ep(P, "private", "02:4d:56:00:03:01", promisc=True),
        ep(V, "vepa", "02:4d:56:00:03:02", promisc=True),
        ep(B, "bridge", "02:4d:56:00:03:03", promisc=True),
    ],
    "frames": [
        fr("uc-to-private", "@private", EXT, {P}),
        fr("uc-to-vepa", "@vepa", EXT, {V}),
        fr("uc-to-bridge", "@bridge", EXT, {B}),
        fr("uc-unknown", UNKNOWN, EXT, set()),
        fr("broadcast", BCAST, EXT, {P, V, B}),
        fr("mc-unjoined", "%U1", EXT, {P, V, B}),
        fr("mc-from-private", "%U1", "@private", {P}),
        fr("mc-from-vepa", "%U1", "@vepa", {B}),
        fr("mc-from-bridge", "%U1", "@bridge", {V}),
        fr("bc-from-bridge", BCAST, "@bridge", {V}),
    ],
}

S1, S2, BR = "source1", "source2", "bridge"

# Two source endpoints (X listed by both, Z by source2) beside a bridge
# endpoint; endpoints not promiscuous.
SCENARIOS["source"] = {
    "first_id": 3000,
    "endpoints": [
        ep(S1, "source", "02:4d:56:00:02:01", sources=[SRC_X]),
        ep(S2, "source", "02:4d:56:00:02:02", sources=[SRC_X, SRC_Z]),
        ep(BR, "bridge", "02:4d:56:00:02:03"),
    ],
    "frames": [
        fr("X-uc-to-bridge", "@bridge", SRC_X, {S1, S2, BR}),
        fr("X-uc-unknown", UNKNOWN, SRC_X, {S1, S2}),
        fr("X-broadcast", BCAST, SRC_X, {S1, S2, BR}),
        fr("X-mc-unjoined", "%U1", SRC_X, {S1, S2}),
        fr("X-uc-to-source1", "@source1", SRC_X, {S1, S2}),
        fr("Z-uc-to-bridge", "@bridge", SRC_Z, {S2, BR}),
        fr("Z-broadcast", BCAST, SRC_Z, {S2, BR}),
        fr("Y-uc-to-source1", "@source1", SRC_Y, set()),
        fr("Y-uc-to-bridge", "@bridge", SRC_Y, {BR}),
        fr("Y-uc-unknown", UNKNOWN, SRC_Y, set()),
        fr("Y-broadcast", BCAST, SRC_Y, {BR}),
        fr("Y-mc-unjoined", "%U1", SRC_Y, set()),
        fr("bc-from-source1", BCAST, "@source1", {S1}),
        fr("bc-from-bridge", BCAST, "@bridge", set()),
        fr("uc-source1-to-bridge", "@bridge", "@source1", {BR}),
    ],
}

ORDER = ["mixed", "source", "promisc"]


def slots_of(scen):
    """The slots a scenario uses (by frames or joins), with their candidates."""
    used = set()
    for f in scen["frames"]:
        for a in (f["dst"], f["src"]):
            if a.startswith("%"):
                used.add(a[1:])
    for e in scen["endpoints"]:
        used.update(e["joins"])
    return {s: SLOTS_DEFAULT[s] for s in sorted(used)}


def joined_groups(scen, endpoint):
    """Every group an endpoint joins: all candidates of its joined slots."""
    out = []
    for s in endpoint["joins"]:
        out += SLOTS_DEFAULT[s]
    return out
