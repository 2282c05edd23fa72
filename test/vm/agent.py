#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
"""Run one shell command in a test guest whose /init serves as an agent
(test/vm/init, mvm_agent=1) on its second serial port, which QEMU connects
to a Unix socket (test/lib/vm.sh, vm_start --agent).

    agent.py SOCKET SECONDS COMMAND

Sends "TAG COMMAND" (TAG unique to this call), prints what the command
printed, and exits with its exit status once the guest's "MVM-DONE: TAG N"
line comes. Lines of earlier calls that gave up (another TAG) are skipped.
Exit 124 when SECONDS pass first (what came is printed), 125 when the socket
cannot be reached. COMMAND must fit on one line.
"""
import os
import socket
import sys
import time


def main(argv):
    if len(argv) != 3 or "\n" in argv[2]:
        print(__doc__, file=sys.stderr)
        return 2
    path, limit, cmd = argv[0], float(argv[1]), argv[2]
    end = time.monotonic() + limit
    tag = "t%d_%d" % (os.getpid(), time.monotonic_ns() % 1000000)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    while True:
        try:
            s.connect(path)
            break
        except OSError as e:
            # QEMU is still starting, or serves another client: retry a moment.
            if time.monotonic() >= end:
                print("agent: %s: %s" % (path, e), file=sys.stderr)
                return 125
            time.sleep(0.1)
    s.sendall(("%s %s\n" % (tag, cmd)).encode())
    buf = b""
    out = []
    done = "MVM-DONE: %s " % tag
    rc = 124
    while rc == 124:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            text = line.decode(errors="replace").rstrip("\r")
            if text.startswith(done):
                rc = int(text[len(done):] or 1)
                break
            if text.startswith("MVM-DONE: "):
                out = []        # an earlier call's: what came so far was its output
                continue
            out.append(text)
    s.close()
    if out:
        print("\n".join(out))
    if rc == 124:
        print("agent: no answer to '%s' in %gs" % (cmd, limit), file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
