#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
"""The measuring half of app/bench/pvp_compare.sh: rounds that alternate
between switch configurations which all run side by side, each paused
(SIGSTOP, every process of it) while another is measured.

    pvp_rounds.py ready GROUP.json KIND TIMEOUT
    pvp_rounds.py measure SPEC.json OUT.json

ready: wait (TIMEOUT seconds at most) until a group that was just started
forwards (pvp: every frontend receives and sends and the wire gets frames
back; v2v: the second VM receives), then pause it (SIGSTOP). Exit 1 with the
reason on stdout when it does not.

measure: SPEC (written by pvp_compare.sh) is one phase: a kind ("pvp": wire
-> VMs -> wire, or "v2v": one VM sends to another), its number of VMs,
rounds, warm-up and window in seconds, targets ({"testpmd-io": 1.3, ...}),
an optional perf directory and seconds, and its groups (files), each:

    name      "ours", "testpmd-io" or "ovs-normal"
    pids      every process to pause and resume (the switch, its frontends)
    wire      where frames back on the wire are counted: {"tel": PREFIX,
              "port": N} (ethdev opackets through DPDK telemetry) or
              {"appctl": [ovs-appctl ...], "port": NAME} (dpctl/show -s)
    guests    the VMs' ports, in VM order: "PREFIX" (the frontend's port 0) or
              "PREFIX/N" (its port N; VM to VM, both VMs are ports of one
              frontend process)
    fe_pids   the frontends' processes (their CPU time is sampled)
    worker    {"pid": P, "comm": PREFIX}: the switch's forwarding thread
              (its CPU time is sampled; perf records it)
    ports     optional {"port id": "ethdev name"} that the wire's process
              must have (testpmd-io's pairing of macvtap and vhost ports)

All groups start paused. Round r resumes the groups one at a time, in an order
rotated by r (so that no configuration always follows the same one), lets
each warm up, samples its counters, waits the window, samples again and pauses
it. Each counter's rate is its own difference over its own sampling times.
Per group and round: Mpps back on the wire (the lower's TX), read from the
wire (the lower's RX: what the switch took in, dropped frames included), into
the guests (their ports' RX), out of them (their TX); the share of the window that the
forwarding thread ran and that the frontends ran (1.0: a whole core each),
and the load average. The ratios ours/other are taken round by round (both
figures from adjacent windows) and quoted as median and spread (min-max);
the same per lcore-second (each figure divided by the share of its window
that its forwarding thread ran), which tells the switches apart when other
load takes part of the switch's core (the targets are judged on the first).

Prints one line per group and per ratio (prefix "pvp-compare:"), writes OUT
with every round. Exit 0 with figures, 1 when a process died or a counter
could not be read (the message says which).
"""

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


class Fail(Exception):
    pass


class Telemetry:
    """One DPDK process's telemetry socket (v2), kept open across samples."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.sock = None

    def _connect(self):
        path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % self.prefix
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.settimeout(10)
        s.connect(path)
        info = json.loads(s.recv(16384).decode())
        self.maxlen = info.get("max_output_len", 16384) + 1024
        self.sock = s

    def query(self, cmd):
        for attempt in (0, 1):
            try:
                if self.sock is None:
                    self._connect()
                self.sock.send(cmd.encode())
                reply = json.loads(self.sock.recv(self.maxlen).decode())
                return reply.get(cmd.split(",", 1)[0])
            except (OSError, ValueError) as e:
                if self.sock is not None:
                    self.sock.close()
                    self.sock = None
                if attempt == 1:
                    raise Fail("telemetry of %s: %s: %s" % (self.prefix, cmd, e))
        return None


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read().rsplit(")", 1)[1].split()[0]
        return st != "Z"
    except OSError:
        return False


def proc_ticks(pid):
    """utime + stime of every thread of pid, in clock ticks."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def thread_ticks(pid, tid):
    with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def find_thread(pid, prefix):
    for tid in sorted(os.listdir("/proc/%d/task" % pid), key=int):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip().startswith(prefix):
                    return int(tid)
        except OSError:
            continue
    return None


def steal_ticks():
    """Per CPU, the time the hypervisor gave to others (steal), in ticks."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            x = line.split()
            if x[0].startswith("cpu") and x[0] != "cpu":
                out[x[0]] = int(x[8])
    return out


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def ovs_rx_tx(cmd, port):
    """RX and TX packets of an OVS port (dpctl/show -s)."""
    out = subprocess.run(cmd + ["dpctl/show", "-s", "netdev@ovs-netdev"], capture_output=True,
                         text=True, timeout=20)
    if out.returncode != 0:
        raise Fail("%s dpctl/show failed: %s" % (" ".join(cmd[:1]), out.stderr.strip()))
    name, rx = None, None
    for line in out.stdout.splitlines():
        m = re.match(r"^  port \d+: (\S+)", line)
        if m:
            name = m.group(1)
            continue
        m = re.match(r"^    RX packets:(\d+)", line)
        if m and name == port:
            rx = int(m.group(1))
        m = re.match(r"^    TX packets:(\d+)", line)
        if m and name == port and rx is not None:
            return rx, int(m.group(1))
    raise Fail("ovs port %s has no RX and TX counters in dpctl/show" % port)


class Group:
    def __init__(self, spec):
        self.name = spec["name"]
        self.pids = spec["pids"]
        self.wire = spec["wire"]
        tel = {}
        self.guests = []
        for x in spec["guests"]:
            prefix, _, port = x.partition("/")
            if prefix not in tel:
                tel[prefix] = Telemetry(prefix)
            self.guests.append((tel[prefix], int(port or 0)))
        self.fe_pids = spec.get("fe_pids", [])
        self.worker = spec.get("worker")
        self.ports = spec.get("ports", {})
        self.wire_tel = Telemetry(self.wire["tel"]) if "tel" in self.wire else None
        self.tid = None
        self.rounds = []

    def check(self):
        for p in self.pids:
            if not alive(p):
                raise Fail("%s: process %d is gone" % (self.name, p))

    def signal(self, sig):
        for p in self.pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                raise Fail("%s: process %d is gone" % (self.name, p))

    def pause(self):
        self.signal(signal.SIGSTOP)

    def resume(self):
        self.signal(signal.SIGCONT)

    def worker_tid(self):
        if self.tid is None and self.worker:
            self.tid = find_thread(self.worker["pid"], self.worker["comm"])
            if self.tid is None:
                raise Fail("%s: no thread %s* in process %d" % (self.name, self.worker["comm"],
                                                                 self.worker["pid"]))
        return self.tid

    def sample(self):
        """Every counter with the time it was read (the middle of its read)."""
        s = {}
        t0 = time.monotonic()
        if self.wire_tel:
            v = self.wire_tel.query("/ethdev/stats,%d" % self.wire["port"])
            if not isinstance(v, dict):
                raise Fail("%s: no stats for port %d" % (self.name, self.wire["port"]))
            rx, tx = v["ipackets"], v["opackets"]
        else:
            rx, tx = ovs_rx_tx(self.wire["appctl"], self.wire["port"])
        t1 = time.monotonic()
        s["wire"] = (tx, (t0 + t1) / 2)
        s["wire_rx"] = (rx, (t0 + t1) / 2)
        for i, (g, port) in enumerate(self.guests):
            t0 = time.monotonic()
            v = g.query("/ethdev/stats,%d" % port)
            t1 = time.monotonic()
            if not isinstance(v, dict):
                raise Fail("%s: VM %d (%s) has no port %d" % (self.name, i, g.prefix, port))
            s["rx%d" % i] = (v["ipackets"], (t0 + t1) / 2)
            s["tx%d" % i] = (v["opackets"], (t0 + t1) / 2)
        t = time.monotonic()
        tid = self.worker_tid()
        s["worker_cpu"] = (thread_ticks(self.worker["pid"], tid) if tid else 0, t)
        s["fe_cpu"] = (sum(proc_ticks(p) for p in self.fe_pids), t)
        for cpu, v in steal_ticks().items():
            s["steal_" + cpu] = (v, t)
        return s


def rate(s0, s1, key):
    (v0, t0), (v1, t1) = s0[key], s1[key]
    return (v1 - v0) / (t1 - t0)


def measure(g, warmup, window):
    g.check()
    g.resume()
    try:
        time.sleep(warmup)
        g.check()
        s0 = g.sample()
        time.sleep(window)
        s1 = g.sample()
        g.check()
    finally:
        g.pause()
    n = len(g.guests)
    r = {
        "wire_mpps": rate(s0, s1, "wire") / 1e6,
        "wire_rx_mpps": rate(s0, s1, "wire_rx") / 1e6,
        "guests_rx_mpps": sum(rate(s0, s1, "rx%d" % i) for i in range(n)) / 1e6,
        "guests_tx_mpps": sum(rate(s0, s1, "tx%d" % i) for i in range(n)) / 1e6,
        "per_vm_rx_mpps": [rate(s0, s1, "rx%d" % i) / 1e6 for i in range(n)],
        "worker_cpu": rate(s0, s1, "worker_cpu") / HZ,
        "frontends_cpu": rate(s0, s1, "fe_cpu") / HZ,
        "steal": {k[6:]: round(rate(s0, s1, k) / HZ, 3) for k in s0 if k.startswith("steal_")},
        "loadavg": loadavg(),
    }
    return r


def headline(kind, r):
    """The figure that is compared: back on the wire (pvp), into the guests (v2v)."""
    return r["wire_mpps"] if kind == "pvp" else r["guests_rx_mpps"]


def per_cpu(kind, r):
    return headline(kind, r) / r["worker_cpu"] if r["worker_cpu"] > 0.02 else 0.0


def spread(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}


def profile(g, spec, outdir):
    tid = g.worker_tid()
    if tid is None:
        return None
    base = os.path.join(outdir, "%s-%s" % (spec["phase"], g.name))
    g.resume()
    try:
        time.sleep(spec["warmup"])
        rec = subprocess.run(["perf", "record", "-q", "-g", "-t", str(tid), "-o", base + ".data",
                              "--", "sleep", str(spec["perf_seconds"])],
                             capture_output=True, text=True, timeout=spec["perf_seconds"] + 60)
    finally:
        g.pause()
    if rec.returncode != 0:
        return "perf record failed: %s" % rec.stderr.strip()[-200:]
    with open(base + ".txt", "w") as f:
        for sort in ("dso", "dso,symbol"):
            f.flush()
            subprocess.run(["perf", "report", "-i", base + ".data", "--stdio", "--no-children",
                            "--percent-limit", "0.5", "--sort", sort, "-g", "none"],
                           stdout=f, stderr=subprocess.DEVNULL, timeout=300)
    return base + ".txt"


def ready(path, kind, timeout):
    with open(path) as f:
        g = Group(json.load(f))
    deadline = time.monotonic() + timeout
    why = "nothing checked yet"
    while time.monotonic() < deadline:
        try:
            g.check()
        except Fail as e:
            print(e)
            return 1
        try:
            for port, name in g.ports.items():
                info = g.wire_tel.query("/ethdev/info,%s" % port)
                if not isinstance(info, dict) or info.get("name") != name:
                    print("%s: port %s is %s, not %s" % (g.name, port,
                          info.get("name") if isinstance(info, dict) else None, name))
                    return 1
            s = g.sample()
            n = len(g.guests)
            if kind == "pvp":
                idle = [i for i in range(n) if s["rx%d" % i][0] == 0 or s["tx%d" % i][0] == 0]
                if idle:
                    why = "frontend(s) %s neither receive nor send" % idle
                elif s["wire"][0] == 0:
                    why = "nothing came back to the wire"
                else:
                    g.pause()
                    return 0
            else:
                idle = [i for i in range(n) if s["rx%d" % i][0] == 0]
                if idle:
                    why = "VM(s) %s received nothing" % idle
                else:
                    g.pause()
                    return 0
        except Fail as e:
            why = str(e)
        time.sleep(0.3)
    print("%s: not forwarding after %d s: %s" % (g.name, timeout, why))
    return 1


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "ready":
        return ready(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    if len(sys.argv) != 4 or sys.argv[1] != "measure":
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[2]) as f:
        spec = json.load(f)
    spec["groups"] = []
    for path in spec["group_files"]:
        with open(path) as f:
            spec["groups"].append(json.load(f))
    kind, vms = spec["kind"], spec["vms"]
    groups = [Group(g) for g in spec["groups"]]
    tag = "vms=%d" % vms if kind == "pvp" else "v2v"
    res = {"phase": spec["phase"], "kind": kind, "vms": vms, "rounds": spec["rounds"],
           "warmup_s": spec["warmup"], "window_s": spec["window"], "groups": {}, "ratios": {},
           "profiles": {}, "order": []}
    try:
        for g in groups:
            g.pause()
        for r in range(spec["rounds"]):
            k = r % len(groups)
            order = groups[k:] + groups[:k]
            res["order"].append([g.name for g in order])
            for g in order:
                g.rounds.append(measure(g, spec["warmup"], spec["window"]))
        if spec.get("perf_dir"):
            for g in groups:
                res["profiles"][g.name] = profile(g, spec, spec["perf_dir"])
    except Fail as e:
        print("FAIL: pvp-compare: %s: %s" % (spec["phase"], e))
        return 1
    except subprocess.TimeoutExpired as e:
        print("FAIL: pvp-compare: %s: %s timed out" % (spec["phase"], e.cmd[0]))
        return 1

    for g in groups:
        rs = g.rounds
        hl = [headline(kind, x) for x in rs]
        d = {
            "mpps": spread(hl),
            "wire_mpps": spread([x["wire_mpps"] for x in rs]),
            "wire_rx_mpps": spread([x["wire_rx_mpps"] for x in rs]),
            "guests_rx_mpps": spread([x["guests_rx_mpps"] for x in rs]),
            "guests_tx_mpps": spread([x["guests_tx_mpps"] for x in rs]),
            # One forwarding lcore (PMD thread): per lcore is the figure itself;
            # per lcore-second divides by the share of the window that the
            # thread ran, the same figure on a machine where others took
            # part of its core.
            "per_lcore_mpps": statistics.median(hl),
            "per_lcore_second_mpps": spread([per_cpu(kind, x) for x in rs]),
            "per_vm_mpps": statistics.median(hl) / vms if kind == "pvp" else None,
            "worker_cpu": spread([x["worker_cpu"] for x in rs]),
            "frontends_cpu": spread([x["frontends_cpu"] for x in rs]),
            "rounds": rs,
        }
        res["groups"][g.name] = d
        if kind == "pvp":
            print("pvp-compare: %s %-10s back on the wire %6.3f Mpps (%.3f-%.3f), into guests "
                  "%6.3f, per lcore %.3f (per lcore-second %.3f), per VM %.3f; read from the "
                  "wire %.3f; worker cpu %.2f, frontends cpu %.2f"
                  % (tag, g.name, d["wire_mpps"]["median"], d["wire_mpps"]["min"],
                     d["wire_mpps"]["max"], d["guests_rx_mpps"]["median"], d["per_lcore_mpps"],
                     d["per_lcore_second_mpps"]["median"], d["per_vm_mpps"],
                     d["wire_rx_mpps"]["median"], d["worker_cpu"]["median"],
                     d["frontends_cpu"]["median"]))
        else:
            print("pvp-compare: %s %-10s VM to VM %6.3f Mpps into the guests (%.3f-%.3f), "
                  "per lcore-second %.3f, out of them %6.3f; worker cpu %.2f, frontends cpu %.2f"
                  % (tag, g.name, d["guests_rx_mpps"]["median"], d["guests_rx_mpps"]["min"],
                     d["guests_rx_mpps"]["max"], d["per_lcore_second_mpps"]["median"],
                     d["guests_tx_mpps"]["median"], d["worker_cpu"]["median"],
                     d["frontends_cpu"]["median"]))
    short = [(g.name, i) for g in groups for i, x in enumerate(g.rounds)
             if x["worker_cpu"] < 0.9 or x["frontends_cpu"] < 0.9]
    if short:
        print("pvp-compare: %s warning: in %d of %d windows the forwarding thread or the "
              "frontends had less than 90%% of their CPU (other load on the machine): %s"
              % (tag, len(short), sum(len(g.rounds) for g in groups),
                 ", ".join("%s round %d" % x for x in short)))
    ours = res["groups"].get("ours")
    for other, target in spec.get("targets", {}).items():
        if ours is None or other not in res["groups"]:
            continue
        o = res["groups"][other]
        per_round = [headline(kind, a) / headline(kind, b) if headline(kind, b) > 0 else 0.0
                     for a, b in zip(ours["rounds"], o["rounds"])]
        sp = spread(per_round)
        met = sp["median"] >= target
        norm = spread([per_cpu(kind, a) / per_cpu(kind, b) if per_cpu(kind, b) > 0 else 0.0
                       for a, b in zip(ours["rounds"], o["rounds"])])
        res["ratios"]["ours/" + other] = dict(sp, target=target, met=met, rounds=per_round,
                                              per_lcore_second=norm)
        print("pvp-compare: %s ours/%s = %.2f (rounds %.2f-%.2f), target %.1fx: %s; "
              "per lcore-second %.2f (%.2f-%.2f)"
              % (tag, other, sp["median"], sp["min"], sp["max"], target,
                 "met" if met else "NOT met (%.0f%% short)" % (100 * (1 - sp["median"] / target)),
                 norm["median"], norm["min"], norm["max"]))
    for name, path in res["profiles"].items():
        if path:
            print("pvp-compare: %s profile of %s's forwarding thread: %s" % (tag, name, path))
    with open(sys.argv[3], "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
