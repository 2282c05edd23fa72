#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
"""Helpers of test/kernel_oracle.sh (Python 3 standard library only).

Subcommands:
  plan SCEN                      lines for the shell script: the lower's MAC,
                                 whether the wire reflects, the time budget,
                                 the endpoints
  plans --dir DIR SCEN...        plan of each SCEN into DIR/SCEN/plan; prints
                                 the lower's MAC
  kernel SCEN --wire IF --ep ROLE=IF ... --tmp DIR --frames-out F --out K
                                 (run inside the kernel namespace) open the
                                 endpoints' /dev/tapN, probe the group slots,
                                 fix the frame list, send each frame (from IF,
                                 or written into its sender's tap) and record
                                 which endpoint read which frame and which
                                 frames arrived on IF; also writes DIR/in<N>.pcap,
                                 the frames endpoint N sends, for the other side
  wire --frames F --wire IF --out W --ready R --go G
                                 (net_macvtap namespace) watch IF for frames
                                 arriving; once file G exists send the frames
                                 that come from the wire, then watch a while
  dpdk SCEN --frames F --log L --dir D --wire-out W --out O
                                 read testpmd's sink captures D/out<N>.pcap and
                                 check its log (ports, pairing, rx modes)
  compare SCEN --frames F --kernel K --dpdk O
                                 print PASS/FAIL/SKIP lines, one per frame
  check SCEN ...                 dpdk and compare in one go (one PASS/FAIL line
                                 for the port checks first)

Frames are pcapgen frames (EtherType 0x88b5, tag "MVTP", 32-bit id): anything
else read from an endpoint is a stray frame and is only counted.
"""

import argparse
import errno
import fcntl
import json
import os
import re
import select
import socket
import stat
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import pcapgen  # noqa: E402
import scenarios  # noqa: E402

# if_tun.h
TUNSETIFF = 0x400454CA
TUNGETIFF = 0x800454D2
TUNGETVNETHDRSZ = 0x800454D7
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
IFREQ = struct.Struct("16sH22x")   # struct ifreq: name, ifr_flags, padding to 40 bytes

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
PROBE_FIRST_ID = 9000
SEND_GAP = 0.002        # seconds between injected frames
QUIET = 0.5             # a capture ends after this long without a frame...
CAPTURE_MAX = 4.0       # ...or after this long in all
PROBE_QUIET = 0.3       # the same for the group probe
WIRE = scenarios.WIRE


def out(kind, name, why=None):
    print("%s: %s%s" % (kind, name, "" if why is None else ": " + why), flush=True)


def note(msg):
    print("# " + msg, file=sys.stderr, flush=True)


def scenario(name):
    try:
        return scenarios.SCENARIOS[name]
    except KeyError:
        raise SystemExit("oracle: unknown scenario %r (known: %s)"
                         % (name, ", ".join(scenarios.ORDER)))


def roles_of(scen):
    return [e["role"] for e in scen["endpoints"]]


def resolve(scen, addr, chosen):
    """A frame address: "@role" -> that endpoint's MAC, "%slot" -> its chosen group."""
    if addr.startswith("@"):
        for e in scen["endpoints"]:
            if e["role"] == addr[1:]:
                return e["mac"]
        raise ValueError("no endpoint with role %s" % addr[1:])
    if addr.startswith("%"):
        return chosen[addr[1:]]
    return addr


def load_json(path):
    with open(path) as f:
        return json.load(f)


def save_json(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------
# plan

def cmd_plans(args):
    """plan for each scenario into DIR/SCEN/plan; prints the lower's MAC."""
    for name in args.scenarios:
        scenario(name)
    for name in args.scenarios:
        d = os.path.join(args.dir, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "plan"), "w") as f:
            saved, sys.stdout = sys.stdout, f
            try:
                cmd_plan(argparse.Namespace(scenario=name))
            finally:
                sys.stdout = saved
    print(scenarios.LOWER_MAC)
    return 0


def cmd_plan(args):
    """Lines for the shell script:
        lower MAC
        reflect 0|1
        budget SECONDS
        ep INDEX ROLE MODE MAC PROMISC(0|1) SOURCES(a,b|-) JOINS(g,h|-) FLAGS(f,g|-) UP(0|1)
    """
    scen = scenario(args.scenario)
    print("lower %s" % scenarios.LOWER_MAC)
    print("reflect %d" % (1 if scen.get("reflect") else 0))
    print("budget %d" % scen.get("budget", scenarios.BUDGET))
    for i, e in enumerate(scen["endpoints"]):
        joins = scenarios.joined_groups(scen, e)
        print("ep %d %s %s %s %d %s %s %s %d" % (i, e["role"], e["mode"], e["mac"],
                                                1 if e["promisc"] else 0,
                                                ",".join(e["sources"]) or "-",
                                                ",".join(joins) or "-",
                                                ",".join(e["flags"]) or "-",
                                                1 if e["up"] else 0))
    return 0


# ---------------------------------------------------------------------------
# the kernel side

class Tap:
    """One queue of a macvtap endpoint, read non-blocking, without vnet header."""

    def __init__(self, role, ifname, tmpdir):
        self.role = role
        self.ifname = ifname
        self.fd = -1
        self.vnet = 0
        self.how = ""
        base = "/sys/class/net/%s" % ifname
        with open(base + "/ifindex") as f:
            ifindex = int(f.read())
        # The char device node is named after the ifindex, which is per network
        # namespace, while /dev is not: open a private node made from the
        # device number that this namespace's sysfs gives for the endpoint.
        with open("%s/macvtap/tap%d/dev" % (base, ifindex)) as f:
            major, minor = (int(x) for x in f.read().strip().split(":"))
        rdev = os.makedev(major, minor)
        node = os.path.join(tmpdir, "tap-%s-%d" % (ifname, os.getpid()))
        try:
            os.mknod(node, 0o600 | stat.S_IFCHR, rdev)
            try:
                self.fd = os.open(node, os.O_RDWR | os.O_NONBLOCK)
            finally:
                os.unlink(node)
            self.how = "private node %d:%d" % (major, minor)
        except OSError as e:
            dev = "/dev/tap%d" % ifindex
            st = os.stat(dev)
            if not stat.S_ISCHR(st.st_mode) or st.st_rdev != rdev:
                raise OSError(e.errno, "mknod failed (%s) and %s is not %d:%d"
                              % (e.strerror, dev, major, minor))
            self.fd = os.open(dev, os.O_RDWR | os.O_NONBLOCK)
            self.how = dev
        # Ask for plain frames: TAP|NO_PI without VNET_HDR.
        req = IFREQ.pack(b"", IFF_TAP | IFF_NO_PI)
        try:
            fcntl.ioctl(self.fd, TUNSETIFF, req)
        except OSError as e:
            note("%s: TUNSETIFF(TAP|NO_PI) failed: %s" % (ifname, e))
        flags = IFREQ.unpack(fcntl.ioctl(self.fd, TUNGETIFF, bytes(IFREQ.size)))[1]
        if flags & IFF_VNET_HDR:
            # Still there: strip the header the kernel puts before each frame.
            self.vnet = struct.unpack("i", fcntl.ioctl(self.fd, TUNGETVNETHDRSZ,
                                                       bytes(4)))[0]
        self.how += ", flags %#x, vnet header %d" % (flags, self.vnet)

    def read_all(self):
        """Every frame queued now (frame bytes, vnet header stripped)."""
        frames = []
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            except OSError as e:
                if e.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    break
                raise
            if not data:
                break
            frames.append(data[self.vnet:])
        return frames

    def write(self, data):
        """Transmit one frame through the endpoint; whether it went whole."""
        buf = bytes(self.vnet) + data
        try:
            return os.write(self.fd, buf) == len(buf)
        except OSError as e:
            note("%s: write failed: %s" % (self.ifname, e))
            return False

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def wire_socket(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0))
    s.bind((ifname, 0))
    return s


class WireWatch:
    """Frames arriving at the wire's far end (IF): the pseudo-endpoint WIRE.
    What IF itself sends (our injections, a bridge's reflections) is ignored."""

    def __init__(self, ifname):
        self.role = WIRE
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                                  socket.htons(ETH_P_ALL))
        self.sock.bind((ifname, ETH_P_ALL))
        self.sock.setblocking(False)
        self.fd = self.sock.fileno()

    def read_all(self):
        frames = []
        while True:
            try:
                data, addr = self.sock.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                break
            if addr[2] != PACKET_OUTGOING:
                frames.append(data)
        return frames

    def close(self):
        self.sock.close()


def send_frames(sock, frames):
    """Send bytes objects; returns how many were sent whole."""
    sent = 0
    for data in frames:
        if sock.send(data) == len(data):
            sent += 1
        time.sleep(SEND_GAP)
    return sent


def capture(taps, ids, quiet=QUIET, until=None, got=None, stray=None):
    """Read all taps (and WireWatch objects) until quiet seconds pass without
    a frame (or CAPTURE_MAX), or, with until (a callable), until it is true.

    Returns ({role: [(id, bytes)]} for frames whose id is in ids, {role: stray count}).
    """
    if got is None:
        got = {t.role: [] for t in taps}
        stray = {t.role: 0 for t in taps}
    start = last = time.monotonic()
    fds = {t.fd: t for t in taps}
    while True:
        now = time.monotonic()
        if until is not None:
            if until() or now - start >= CAPTURE_MAX:
                break
        elif now - last >= quiet or now - start >= CAPTURE_MAX:
            break
        r, _, _ = select.select(list(fds), [], [], 0.05)
        for fd in r:
            t = fds[fd]
            for data in t.read_all():
                last = time.monotonic()
                fid = pcapgen.parse_frame(data)[2]
                if fid in ids:
                    got[t.role].append((fid, data))
                else:
                    stray[t.role] += 1
    return got, stray


def explained(scen, role, group):
    """Whether an endpoint's multicast filter admits group by configuration."""
    for e in scen["endpoints"]:
        if e["role"] == role:
            return e["promisc"] or group in scenarios.joined_groups(scen, e)
    return False


def cmd_kernel(args):
    scen = scenario(args.scenario)
    result = {"ok": False, "taps": {}, "deliveries": {}, "stray": {}, "notes": [],
              "sent": 0, "total": 0}
    eps = dict(x.split("=", 1) for x in args.ep)
    missing = [r for r in roles_of(scen) if r not in eps]
    if missing:
        raise SystemExit("oracle: no --ep for role(s) %s" % ", ".join(missing))
    taps = []
    watch = None
    try:
        for role in roles_of(scen):
            t = Tap(role, eps[role], args.tmp)
            taps.append(t)
            result["taps"][role] = "%s: %s" % (eps[role], t.how)
            if os.environ.get("VERBOSE") == "1":
                note("tap %s: %s" % (role, result["taps"][role]))
        sock = wire_socket(args.wire)
        watch = WireWatch(args.wire)
        time.sleep(0.1)
        for t in taps + [watch]:       # anything queued before we start
            t.read_all()

        # Probe: one frame per candidate group, from the external station.
        slots = scenarios.slots_of(scen)
        probe = []
        fid = PROBE_FIRST_ID
        for slot, cands in slots.items():
            for g in cands:
                probe.append((fid, slot, g))
                fid += 1
        send_frames(sock, [pcapgen.make_frame(g, scenarios.EXT, i) for i, _s, g in probe])
        got, _ = capture(taps, {i for i, _s, _g in probe}, quiet=PROBE_QUIET)
        recv = {i: set() for i, _s, _g in probe}
        for role, lst in got.items():
            for i, _d in lst:
                recv[i].add(role)
        chosen = {}
        for i, slot, g in probe:
            if slot in chosen:
                continue
            fp = sorted(r for r in recv[i] if not explained(scen, r, g))
            if fp:
                result["notes"].append(
                    "slot %s: candidate %s skipped: kernel endpoint(s) %s passed it "
                    "through their hash filter without joining it" % (slot, g, ",".join(fp)))
            else:
                chosen[slot] = g
        for slot in slots:
            if slot not in chosen:
                result["notes"].append("slot %s: every candidate was a kernel hash "
                                       "false positive; using the first" % slot)
                chosen[slot] = slots[slot][0]

        # The frame list both sides get.
        frames = []
        for n, f in enumerate(scen["frames"]):
            i = scen["first_id"] + n
            dst = resolve(scen, f["dst"], chosen)
            src = resolve(scen, f["src"], chosen)
            frames.append({"id": i, "name": f["name"], "sender": f["sender"],
                           "dst": dst, "src": src, "expect": f["expect"],
                           "hex": pcapgen.make_frame(dst, src, i).hex()})
        save_json(args.frames_out, {"scenario": args.scenario, "chosen": chosen,
                                    "frames": frames})
        # What each endpoint sends, for net_macvtap's net_pcap ports.
        for n, e in enumerate(scen["endpoints"]):
            mine = [bytes.fromhex(f["hex"]) for f in frames if f["sender"] == e["role"]]
            if mine:
                pcapgen.write_pcap(os.path.join(args.tmp, "in%d.pcap" % n), mine)

        tap_of = {t.role: t for t in taps}
        result["total"] = len(frames)
        for f in frames:
            data = bytes.fromhex(f["hex"])
            if f["sender"] == WIRE:
                ok = sock.send(data) == len(data)
            else:
                ok = tap_of[f["sender"]].write(data)
            result["sent"] += 1 if ok else 0
            time.sleep(SEND_GAP)
        got, stray = capture(taps + [watch], {f["id"] for f in frames})
        result["deliveries"] = {r: [[i, d.hex()] for i, d in lst] for r, lst in got.items()}
        result["stray"] = stray
        result["ok"] = True
        sock.close()
    except OSError as e:
        result["error"] = str(e)
    finally:
        for t in taps:
            t.close()
        if watch is not None:
            watch.close()
    save_json(args.out, result)
    if not result["ok"]:
        print("oracle kernel: %s" % result.get("error"), file=sys.stderr)
        return 1
    if result["sent"] != result["total"]:
        print("oracle kernel: sent only %d of %d frames" % (result["sent"], result["total"]),
              file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------------------
# the net_macvtap side

def cmd_wire(args):
    fl = load_json(args.frames)
    ids = {f["id"] for f in fl["frames"]}
    data = [bytes.fromhex(f["hex"]) for f in fl["frames"] if f["sender"] == WIRE]
    res = {"deliveries": {WIRE: []}, "stray": {WIRE: 0}, "sent": 0, "total": len(data)}
    sock = wire_socket(args.wire)
    watch = WireWatch(args.wire)
    watch.read_all()
    got = {WIRE: []}
    stray = {WIRE: 0}
    with open(args.ready, "w"):
        pass
    # Watch until the go file shows (testpmd forwards from then on)...
    deadline = time.monotonic() + args.max
    while not os.path.exists(args.go) and time.monotonic() < deadline:
        capture([watch], ids, until=lambda: os.path.exists(args.go) or
                time.monotonic() >= deadline, got=got, stray=stray)
    # ...send the frames from the wire, and watch a while longer.
    if os.path.exists(args.go):
        time.sleep(args.settle)
        res["sent"] = send_frames(sock, data)
        end = time.monotonic() + args.linger
        capture([watch], ids, until=lambda: time.monotonic() >= end, got=got, stray=stray)
    sock.close()
    watch.close()
    res["deliveries"][WIRE] = [[i, d.hex()] for i, d in got[WIRE]]
    res["stray"] = stray
    save_json(args.out, res)
    if not os.path.exists(args.go):
        print("oracle wire: no go file after %gs" % args.max, file=sys.stderr)
        return 1
    if res["sent"] != res["total"]:
        print("oracle wire: sent %d of %d frames" % (res["sent"], res["total"]), file=sys.stderr)
        return 1
    return 0


def parse_testpmd_log(text):
    """Port names by id, forwarding streams and rx modes from a testpmd log."""
    names = {}
    m = re.search(r"Number of available ports: (\d+)\n.*?\n((?:\d+ +\S+ +\S+ .*\n)+)", text)
    if m:
        for line in m.group(2).splitlines():
            f = line.split()
            names[f[2]] = int(f[0])
    streams = {int(a): int(b) for a, b in
               re.findall(r"RX P=(\d+)/Q=\d+ \(socket \d+\) -> TX P=(\d+)/Q=\d+", text)}
    modes = {}
    for blk in re.finditer(r"Infos for port (\d+) +\*+\n(.*?)(?=\*{5,}|\Z)", text, re.S):
        body = blk.group(2)
        pm = re.search(r"Promiscuous mode: (\w+)", body)
        am = re.search(r"Allmulticast mode: (\w+)", body)
        ls = re.search(r"Link status: (\w+)", body)
        modes[int(blk.group(1))] = (pm.group(1) if pm else None, am.group(1) if am else None,
                                    ls.group(1) if ls else None)
    return names, streams, modes


def dpdk_result(args):
    scen = scenario(args.scenario)
    fl = load_json(args.frames)
    ids = {f["id"] for f in fl["frames"]}
    res = {"ok": True, "problems": [], "deliveries": {}, "stray": {}}
    try:
        text = open(args.log, errors="replace").read()
    except OSError as e:
        text = ""
        res["problems"].append("no testpmd log: %s" % e)
    names, streams, modes = parse_testpmd_log(text)
    for i, e in enumerate(scen["endpoints"]):
        role = e["role"]
        want_promisc = "enabled" if e["promisc"] else "disabled"
        mv, sink = "net_macvtap%d" % i, "net_pcap_o%d" % i
        if mv not in names or sink not in names:
            res["problems"].append("testpmd lists no %s/%s" % (mv, sink))
            continue
        if streams.get(names[mv]) != names[sink]:
            res["problems"].append("%s (port %d) forwards to %s, not to %s (port %d)"
                                   % (mv, names[mv], streams.get(names[mv]), sink, names[sink]))
        pm, am, link = modes.get(names[mv], (None, None, None))
        if pm != want_promisc:
            res["problems"].append("%s promiscuous mode %s, want %s" % (mv, pm, want_promisc))
        if am != "disabled":
            res["problems"].append("%s allmulticast mode %s, want disabled" % (mv, am))
        want_link = "up" if e["up"] else "down"
        if link != want_link:
            res["problems"].append("%s link status %s, want %s" % (mv, link, want_link))
        path = os.path.join(args.dir, "out%d.pcap" % i)
        got = []
        stray = 0
        try:
            for data in pcapgen.read_pcap(path):
                fid = pcapgen.parse_frame(data)[2]
                if fid in ids:
                    got.append([fid, data.hex()])
                else:
                    stray += 1
        except (OSError, ValueError) as e:
            res["problems"].append("%s capture: %s" % (role, e))
        res["deliveries"][role] = got
        res["stray"][role] = stray
        sender = [f for f in fl["frames"] if f["sender"] == role]
        if sender and streams.get(names[sink]) != names[mv]:
            res["problems"].append("%s (port %d) forwards to %s, not to %s (port %d): "
                                   "%s's frames are not sent"
                                   % (sink, names[sink], streams.get(names[sink]), mv,
                                      names[mv], role))
    for name in names:
        if name.startswith("net_af_packet"):
            res["problems"].append("the lower %s is a testpmd port (not owned by the driver)"
                                   % name)
    # What the wire helper saw arrive at the far end of the veth.
    try:
        w = load_json(args.wire_out)
        res["deliveries"][WIRE] = w["deliveries"][WIRE]
        res["stray"][WIRE] = w["stray"][WIRE]
    except (OSError, ValueError, KeyError) as e:
        res["problems"].append("no wire capture: %s" % e)
    res["ok"] = not res["problems"]
    save_json(args.out, res)
    return res


def cmd_dpdk(args):
    dpdk_result(args)
    return 0


def cmd_check(args):
    res = dpdk_result(args)
    name = args.scenario + "/dpdk-ports"
    if res["problems"]:
        # The frames are compared even so: the per-frame lines show the effect.
        out("FAIL", name, "; ".join(res["problems"]))
    else:
        out("PASS", name)
    args.dpdk = args.out
    return 1 if cmd_compare(args) or res["problems"] else 0


# ---------------------------------------------------------------------------
# compare

def fmt(counts):
    if not counts:
        return "{}"
    return "{" + ",".join(r if c == 1 else "%s x%d" % (r, c)
                          for r, c in sorted(counts.items())) + "}"


def cmd_compare(args):
    scen = scenario(args.scenario)
    fl = load_json(args.frames)
    k = load_json(args.kernel)
    d = load_json(args.dpdk)
    pre = args.scenario + "/"
    bad = 0

    for n in k.get("notes", []):
        note("%s%s" % (pre, n))
    for side, res in (("kernel", k), ("net_macvtap", d)):
        for role, c in sorted(res.get("stray", {}).items()):
            if c:
                note("%s%s: %d stray (non-test) frame(s) at %s, ignored" % (pre, side, c, role))

    def per_frame(res):
        table = {}
        for role, lst in res.get("deliveries", {}).items():
            for fid, hx in lst:
                table.setdefault(fid, []).append((role, hx))
        return table

    kt, dt = per_frame(k), per_frame(d)
    # A harness that saw nothing on either side would agree on every frame.
    empty = [side for side, t in (("kernel", kt), ("net_macvtap", dt)) if not t]
    if empty:
        out("FAIL", pre + "deliveries-seen", "no test frame reached any endpoint on the %s side"
            % " and ".join(empty))
        bad += 1
    else:
        out("PASS", pre + "deliveries-seen")
    for f in fl["frames"]:
        name = pre + f["name"]
        sent = f["hex"]
        kc, dc = {}, {}
        altered = []
        for side, table, counts in (("kernel", kt, kc), ("net_macvtap", dt, dc)):
            for role, hx in table.get(f["id"], []):
                counts[role] = counts.get(role, 0) + 1
                if hx != sent:
                    altered.append("%s %s" % (side, role))
        what = "id %d %s -> %s" % (f["id"], f["src"], f["dst"])
        reasons = []
        if kc != dc:
            reasons.append("kernel delivered to %s, net_macvtap to %s" % (fmt(kc), fmt(dc)))
        elif any(c > 1 for c in kc.values()):
            reasons.append("duplicated on both sides %s" % fmt(kc))
        if altered:
            reasons.append("bytes differ from the sent frame at %s" % ", ".join(altered))
        if reasons:
            out("FAIL", name, "%s: %s" % (what, "; ".join(reasons)))
            bad += 1
        else:
            out("PASS", name)
        if sorted(kc) != f["expect"]:
            note("%s: the kernel delivered to %s, the semantics doc predicts {%s}"
                 % (name, fmt(kc), ",".join(f["expect"])))
    return 1 if bad else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("plan")
    s.add_argument("scenario")
    s.set_defaults(func=cmd_plan)

    s = sub.add_parser("plans")
    s.add_argument("--dir", required=True)
    s.add_argument("scenarios", nargs="+")
    s.set_defaults(func=cmd_plans)

    s = sub.add_parser("kernel")
    s.add_argument("scenario")
    s.add_argument("--wire", required=True)
    s.add_argument("--ep", action="append", default=[], help="ROLE=IFNAME")
    s.add_argument("--tmp", required=True)
    s.add_argument("--frames-out", required=True)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_kernel)

    s = sub.add_parser("wire")
    s.add_argument("--frames", required=True)
    s.add_argument("--wire", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--ready", required=True, help="file created once watching")
    s.add_argument("--go", required=True, help="file whose creation starts the sending")
    s.add_argument("--max", type=float, default=20.0, help="seconds to wait for --go")
    s.add_argument("--settle", type=float, default=0.3, help="seconds from --go to sending")
    s.add_argument("--linger", type=float, default=1.0, help="seconds to watch after sending")
    s.set_defaults(func=cmd_wire)

    for cmd, func in (("dpdk", cmd_dpdk), ("check", cmd_check)):
        s = sub.add_parser(cmd)
        s.add_argument("scenario")
        s.add_argument("--frames", required=True)
        s.add_argument("--log", required=True)
        s.add_argument("--dir", required=True)
        s.add_argument("--wire-out", required=True)
        s.add_argument("--out", required=True)
        if cmd == "check":
            s.add_argument("--kernel", required=True)
        s.set_defaults(func=func)

    s = sub.add_parser("compare")
    s.add_argument("scenario")
    s.add_argument("--frames", required=True)
    s.add_argument("--kernel", required=True)
    s.add_argument("--dpdk", required=True)
    s.set_defaults(func=cmd_compare)

    args = p.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
