#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
"""The server side of the guest's mvm_tcp job (test/vm/init).

    tcpsink.py [--sha256] ADDR PORT BYTES SECONDS REPORT

Listens on ADDR:PORT, takes one connection, reads until BYTES bytes came (or
the peer closed, or SECONDS passed since the start), answers "got N" with
the count and closes. Writes to the file REPORT "listening" once it listens,
then one line: "got N" or "none: <why>". With --sha256 the answer and that
line are "got N <SHA-256 of the bytes, hex>". Exit 0 when all BYTES came; it
never runs for much longer than SECONDS.
"""
import hashlib
import socket
import sys
import time


def main(argv):
    digest = None
    if argv and argv[0] == "--sha256":
        digest = hashlib.sha256()
        argv = argv[1:]
    addr, port, want, limit = argv[0], int(argv[1]), int(argv[2]), float(argv[3])
    report = open(argv[4], "w")

    def say(line):
        report.write(line + "\n")
        report.flush()

    end = time.monotonic() + limit
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(1)
    say("listening")
    srv.settimeout(max(0.1, end - time.monotonic()))
    try:
        conn, _peer = srv.accept()
    except socket.timeout:
        say("none: no connection in %gs" % limit)
        return 1
    got = 0
    try:
        while got < want:
            left = end - time.monotonic()
            if left <= 0:
                break
            conn.settimeout(left)
            data = conn.recv(65536)
            if not data:
                break
            got += len(data)
            if digest is not None:
                digest.update(data)
        result = "got %d" % got
        if digest is not None:
            result += " " + digest.hexdigest()
        conn.sendall(result.encode() + b"\n")
    except OSError as e:
        say("none: %s after %d bytes" % (e, got))
        return 1
    finally:
        conn.close()
    say(result)
    return 0 if got >= want else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
