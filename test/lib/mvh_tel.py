#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
"""Ask a DPDK process's telemetry socket (v2), as dpdk-telemetry.py does, but
for scripts: mvh_tel.py PREFIX COMMAND [KEY.PATH]

Prints the command's answer as JSON on one line, or with KEY.PATH (dots
between the keys, e.g. q0.rx_frames) the one value there (nothing, exit 1,
when it is missing). Exit 2 when the process cannot be reached.
"""

import json
import os
import socket
import sys


def ask(prefix, cmd):
    """The reply (a dict) to one telemetry command; OSError or ValueError."""
    path = "/var/run/dpdk/%s/dpdk_telemetry.v2" % prefix
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(20)
    try:
        s.connect(path)
        info = json.loads(s.recv(16384).decode())
        s.send(cmd.encode())
        return json.loads(s.recv(info.get("max_output_len", 16384) + 1024).decode())
    finally:
        s.close()


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    prefix, cmd = sys.argv[1], sys.argv[2]
    try:
        reply = ask(prefix, cmd)
    except (OSError, ValueError) as e:
        print("mvh_tel: %s: %s" % (prefix, e), file=sys.stderr)
        return 2
    val = reply.get(cmd.split(",", 1)[0])
    if len(sys.argv) > 3:
        for k in sys.argv[3].split("."):
            if isinstance(val, dict) and k in val:
                val = val[k]
            else:
                return 1
        print(val if not isinstance(val, (dict, list)) else json.dumps(val))
        return 0
    print(json.dumps(val))
    return 0


if __name__ == "__main__":
    sys.exit(main())
