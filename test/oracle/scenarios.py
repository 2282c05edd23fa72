# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
"""Scenarios of the kernel-oracle test: endpoints, group slots and frames.

Each scenario puts a few endpoints on one lower and sends a list of frames.
Addresses in a frame are either literal MACs or references:
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

Who sends. A frame made with fr() comes from the wire (sent at the far end
of the veth); one made with tx() is transmitted by an endpoint (kernel: written
into its tap; net_macvtap: read by its paired net_pcap port from a capture
file and sent by io forwarding through the endpoint's TX). Every scenario also
watches the wire: the pseudo-role WIRE receives a frame when it arrives at the
far end of the veth. A scenario with "reflect" puts that far end into a Linux
bridge with hairpin mode on, on both sides, so that everything sent to the
wire comes back to the lower (a VEPA reflective relay).

"expect" is what the semantics doc's matrices A/B/C and 1.6 predict. It is not
what the test asserts (the test asserts kernel == net_macvtap); it is only
used to print a note when the kernel itself does not do what the doc says.
"""

# The pseudo-role of the wire: a frame seen arriving at the far end of the
# veth (vk1/vd1) is "delivered" to it. No endpoint may have this role.
WIRE = "wire"

LOWER_MAC = "02:4d:56:00:00:fe"
EXT = "02:4d:56:ee:00:01"          # an external station on the wire
UNKNOWN = "02:4d:56:dd:00:01"      # unicast nobody owns
SRC_X = "02:4d:56:5a:00:01"        # listed by both source endpoints
SRC_Z = "02:4d:56:5a:00:02"        # listed by source endpoint 2 only
SRC_Y = "02:4d:56:5b:00:01"        # listed by nobody
BCAST = "ff:ff:ff:ff:ff:ff"


def _cands(prefix_byte, tag, count=6):
    # 01:00:ff:ff:ff:<tag><n>, n = 1..count (see the module docstring)
    return ["%02x:00:ff:ff:ff:%x%x" % (prefix_byte, tag, n) for n in range(1, count + 1)]


SLOTS_DEFAULT = {
    "U1": _cands(0x01, 0xa),   # nobody joins these
    "U2": _cands(0x03, 0xc),   # nobody joins these (a locally administered group)
    # Joined by some endpoints, with all candidates: 3 of them, as every join
    # is a testpmd command (about 0.2 s each).
    "J": _cands(0x01, 0xb, 3),
}


# Seconds of wall time a scenario may take (its "budget" overrides this), from
# the kernel side's setup to the comparison; test/kernel_oracle.sh cuts every
# wait to what is left of it.
BUDGET = 10


def ep(role, mode, mac, promisc=False, sources=(), joins=(), flags=(), up=True):
    """flags: "nodst", "nopromisc" (MACVLAN_FLAG_*); up=False: never brought up."""
    return {"role": role, "mode": mode, "mac": mac, "promisc": promisc,
            "sources": list(sources), "joins": list(joins), "flags": list(flags), "up": up}


def fr(name, dst, src, expect):
    """A frame from the wire (an external station, or a reflection)."""
    return {"name": name, "sender": WIRE, "dst": dst, "src": src, "expect": sorted(expect)}


def tx(name, sender, dst, expect, src=None):
    """A frame that the endpoint with role sender transmits (source MAC: its own
    unless src is given). WIRE in expect: the frame leaves on the wire."""
    return {"name": name, "sender": sender, "dst": dst,
            "src": "@" + sender if src is None else src, "expect": sorted(expect)}


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

# --- frames sent by endpoints (Matrix C; with a hairpin switch, Matrix B) -------

P1, P2, V1, V2, B1, B2 = "private1", "private2", "vepa1", "vepa2", "bridge1", "bridge2"
SRC = "source"
W = WIRE


def _tx_endpoints(n):
    # Two of each mode; vepa2 and bridge2 join slot J; a source endpoint
    # listing X.
    mac = "02:4d:56:00:%02x:%02x"
    return [
        ep(P1, "private", mac % (n, 1)),
        ep(P2, "private", mac % (n, 2)),
        ep(V1, "vepa", mac % (n, 3)),
        ep(V2, "vepa", mac % (n, 4), joins=["J"]),
        ep(B1, "bridge", mac % (n, 5)),
        ep(B2, "bridge", mac % (n, 6), joins=["J"]),
        ep(SRC, "source", mac % (n, 7), sources=[SRC_X]),
    ]


def _tx_frames(reflect):
    """The same frames with and without a switch that reflects everything: r(x)
    adds what the reflection delivers (Matrix B) to what Matrix C predicts."""
    def r(*roles):
        return set(roles) if reflect else set()
    return [
        tx("p1-uc-to-private2", P1, "@" + P2, {W} | r(P2)),
        tx("p1-uc-to-bridge1", P1, "@" + B1, {W} | r(B1)),
        tx("p1-uc-unknown", P1, UNKNOWN, {W}),
        tx("p1-broadcast", P1, BCAST, {W} | r(P1)),
        tx("p1-mc-joined", P1, "%J", {W} | r(P1)),
        tx("v1-uc-to-vepa2", V1, "@" + V2, {W} | r(V2)),
        tx("v1-uc-to-bridge1", V1, "@" + B1, {W} | r(B1)),
        tx("v1-uc-to-private1", V1, "@" + P1, {W} | r(P1)),
        tx("v1-uc-to-self", V1, "@" + V1, {W} | r(V1)),
        tx("v1-broadcast", V1, BCAST, {W} | r(V2, B1, B2)),
        tx("v1-mc-joined", V1, "%J", {W} | r(V2, B2)),
        tx("v1-mc-unjoined", V1, "%U1", {W}),
        tx("b1-uc-to-bridge2", B1, "@" + B2, {B2}),
        tx("b1-uc-to-self", B1, "@" + B1, {B1}),
        tx("b1-uc-to-vepa1", B1, "@" + V1, {W} | r(V1)),
        tx("b1-uc-to-private1", B1, "@" + P1, {W} | r(P1)),
        tx("b1-uc-unknown", B1, UNKNOWN, {W}),
        tx("b1-uc-to-lower-mac", B1, LOWER_MAC, {W}),
        tx("b1-broadcast", B1, BCAST, {B2, W} | r(V1, V2)),
        tx("b1-mc-joined", B1, "%J", {B2, W} | r(V2)),
        tx("b1-mc-unjoined", B1, "%U1", {W}),
        tx("b2-broadcast", B2, BCAST, {B1, W} | r(V1, V2)),
        tx("b1-uc-to-bridge2-src-private1", B1, "@" + B2, {B2}, src="@" + P1),
        tx("v2-bc-src-unknown", V2, BCAST, {W} | r(P1, P2, V1, V2, B1, B2), src=UNKNOWN),
        tx("source-broadcast", SRC, BCAST, {W} | r(SRC)),
        tx("source-uc-to-bridge1", SRC, "@" + B1, {W} | r(B1)),
        tx("source-uc-to-self", SRC, "@" + SRC, {W}),
        # X is listed by the source endpoint: a reflection gets a source-mode copy.
        tx("v1-bc-src-X", V1, BCAST, {W} | r(SRC, P1, P2, V1, V2, B1, B2), src=SRC_X),
        tx("v1-uc-to-bridge1-src-X", V1, "@" + B1, {W} | r(SRC, B1), src=SRC_X),
        tx("b1-uc-to-bridge2-src-X", B1, "@" + B2, {SRC, B2}, src=SRC_X),
        tx("b1-uc-to-source", B1, "@" + SRC, {W}),
    ]


# Frames sent by private, vepa and bridge endpoints on one lower whose wire
# ends at a plain veth: what stays local, what goes to the wire.
SCENARIOS["tx"] = {
    "first_id": 4000,
    "budget": 12,
    "endpoints": _tx_endpoints(4),
    "frames": _tx_frames(False),
}

# The same, but the far end of the veth is a port of a Linux bridge with
# hairpin mode on (a reflective relay): everything sent to the wire comes back.
SCENARIOS["hairpin"] = {
    "first_id": 5000,
    "budget": 12,
    "reflect": True,
    "endpoints": _tx_endpoints(5),
    "frames": _tx_frames(True),
}

# --- passthru ------------------------------------------------------------------

PT = "passthru"
EXT2 = "02:4d:56:ee:00:02"

# One passthru endpoint (not promiscuous, joins J). In the kernel it takes the
# lower's MAC; net_macvtap gets mac=<the lower's MAC>.
SCENARIOS["passthru"] = {
    "first_id": 6000,
    "budget": 9,
    "endpoints": [ep(PT, "passthru", LOWER_MAC, joins=["J"])],
    "frames": [
        fr("uc-to-passthru", "@" + PT, EXT, {PT}),
        fr("uc-unknown", UNKNOWN, EXT, {PT}),
        fr("uc-to-other-station", EXT2, EXT, {PT}),
        fr("broadcast", BCAST, EXT, {PT}),
        fr("mc-unjoined", "%U1", EXT, set()),
        fr("mc-unjoined-2", "%U2", EXT, set()),
        fr("mc-joined", "%J", EXT, {PT}),
        fr("bc-from-passthru", BCAST, "@" + PT, {PT}),
        fr("mc-unjoined-from-passthru", "%U1", "@" + PT, {PT}),
        fr("uc-from-passthru-to-unknown", UNKNOWN, "@" + PT, {PT}),
        tx("pt-uc-unknown", PT, UNKNOWN, {W}),
        tx("pt-uc-to-self", PT, "@" + PT, {W}),
        tx("pt-broadcast", PT, BCAST, {W}),
        tx("pt-mc-joined", PT, "%J", {W}),
    ],
}

# The same endpoint, promiscuous (the lower is promiscuous through passthru).
# Not in the default list: the counterpart of passthru-nopromisc.
SCENARIOS["passthru-promisc"] = {
    "first_id": 6300,
    "budget": 9,
    "endpoints": [ep(PT, "passthru", LOWER_MAC, promisc=True, joins=["J"])],
    "frames": [
        fr("uc-unknown", UNKNOWN, EXT, {PT}),
        fr("broadcast", BCAST, EXT, {PT}),
        fr("mc-unjoined", "%U1", EXT, {PT}),
        fr("mc-unjoined-2", "%U2", EXT, {PT}),
        fr("mc-joined", "%J", EXT, {PT}),
        fr("mc-unjoined-from-passthru", "%U1", "@" + PT, {PT}),
    ],
}

# The same endpoint, promiscuous, with nopromisc: the lower is not made
# promiscuous, so (semantics doc 2.1) the port filter holds only the lower's
# groups; the endpoint's own filter is all ones.
SCENARIOS["passthru-nopromisc"] = {
    "first_id": 6500,
    "budget": 9,
    "endpoints": [ep(PT, "passthru", LOWER_MAC, promisc=True, joins=["J"],
                     flags=["nopromisc"])],
    "frames": [
        fr("uc-to-passthru", "@" + PT, EXT, {PT}),
        fr("uc-unknown", UNKNOWN, EXT, {PT}),
        fr("broadcast", BCAST, EXT, {PT}),
        fr("mc-unjoined", "%U1", EXT, set()),
        fr("mc-unjoined-2", "%U2", EXT, set()),
        fr("mc-joined", "%J", EXT, {PT}),
        fr("mc-unjoined-from-passthru", "%U1", "@" + PT, {PT}),
        tx("pt-broadcast", PT, BCAST, {W}),
    ],
}

# --- source mode with nodst ----------------------------------------------------

SN, S2, SD, V = "source-nodst", "source2", "source-nodst-down", "vepa"
SRC_W = "02:4d:56:5a:00:03"        # listed by the DOWN nodst endpoint only

# source-nodst lists X (nodst); source2 lists X and Z; source-nodst-down lists
# W (nodst) and is DOWN (kernel: never set up; testpmd: 'set link-down port');
# beside them two bridge endpoints and a vepa one; none promiscuous.
SCENARIOS["nodst"] = {
    "first_id": 7000,
    "budget": 12,
    "endpoints": [
        ep(SN, "source", "02:4d:56:00:07:01", sources=[SRC_X], flags=["nodst"]),
        ep(S2, "source", "02:4d:56:00:07:02", sources=[SRC_X, SRC_Z]),
        ep(SD, "source", "02:4d:56:00:07:03", sources=[SRC_W], flags=["nodst"],
           up=False),
        ep(B1, "bridge", "02:4d:56:00:07:04"),
        ep(B2, "bridge", "02:4d:56:00:07:05"),
        ep(V, "vepa", "02:4d:56:00:07:06"),
    ],
    "frames": [
        fr("X-uc-to-bridge1", "@" + B1, SRC_X, {SN, S2}),
        fr("X-uc-to-vepa", "@" + V, SRC_X, {SN, S2}),
        fr("X-uc-unknown", UNKNOWN, SRC_X, {SN, S2}),
        fr("X-uc-to-source-nodst", "@" + SN, SRC_X, {SN, S2}),
        fr("X-broadcast", BCAST, SRC_X, {SN, S2}),
        fr("X-mc-unjoined", "%U1", SRC_X, {SN, S2}),
        fr("Z-uc-to-bridge1", "@" + B1, SRC_Z, {S2, B1}),
        fr("Z-broadcast", BCAST, SRC_Z, {S2, B1, B2, V}),
        fr("Y-uc-to-bridge1", "@" + B1, SRC_Y, {B1}),
        fr("Y-uc-to-source-nodst", "@" + SN, SRC_Y, set()),
        fr("Y-broadcast", BCAST, SRC_Y, {B1, B2, V}),
        fr("W-uc-to-bridge1", "@" + B1, SRC_W, set()),
        fr("W-broadcast", BCAST, SRC_W, set()),
        fr("bc-from-source-nodst", BCAST, "@" + SN, {SN}),
        tx("b1-uc-to-bridge2-src-X", B1, "@" + B2, {SN, S2}, src=SRC_X),
        tx("b1-uc-to-bridge2-src-Z", B1, "@" + B2, {S2, B2}, src=SRC_Z),
        tx("b1-uc-to-bridge2-src-W", B1, "@" + B2, set(), src=SRC_W),
        tx("b1-uc-to-bridge2", B1, "@" + B2, {B2}),
        tx("b1-bc-src-X", B1, BCAST, {B2, W}, src=SRC_X),
        tx("b1-uc-to-down-endpoint", B1, "@" + SD, {W}),
        tx("vepa-uc-to-bridge1-src-X", V, "@" + B1, {W}, src=SRC_X),
        tx("source-nodst-broadcast", SN, BCAST, {W}),
        tx("source2-uc-to-bridge1", S2, "@" + B1, {W}),
    ],
}

ORDER = ["mixed", "source", "promisc", "tx", "hairpin", "passthru", "nodst",
         "passthru-promisc", "passthru-nopromisc"]


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
