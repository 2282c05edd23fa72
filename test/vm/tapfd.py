#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
"""Attach to a TAP interface and run a program that inherits the TAP file.

    tapfd.py [--vnet-hdr] IFNAME -- PROGRAM ARGS...

Opens /dev/net/tun, attaches it to the TAP interface IFNAME (TUNSETIFF with
IFF_TAP | IFF_NO_PI, and IFF_VNET_HDR with --vnet-hdr; a TAP that does not
exist yet is created, and goes with the file), then executes PROGRAM with the
file inherited: each "@TAPFD@" in its arguments becomes the file descriptor's
number, as in QEMU's `-netdev tap,id=n0,fd=@TAPFD@`. Run it in the network
namespace of the interface. Exit 1 with a message when the attach fails.
"""
import fcntl
import os
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_VNET_HDR = 0x4000
IFNAMSIZ = 16


def main(argv):
    vnet = False
    if argv and argv[0] == "--vnet-hdr":
        vnet = True
        argv = argv[1:]
    if len(argv) < 3 or argv[1] != "--":
        sys.stderr.write("usage: tapfd.py [--vnet-hdr] IFNAME -- PROGRAM ARGS...\n")
        return 2
    name, prog = argv[0], argv[2:]
    if not 0 < len(name.encode()) < IFNAMSIZ:
        sys.stderr.write("tapfd.py: bad interface name %r\n" % name)
        return 2
    flags = IFF_TAP | IFF_NO_PI | (IFF_VNET_HDR if vnet else 0)
    try:
        fd = os.open("/dev/net/tun", os.O_RDWR)
        # struct ifreq: the name, then the flags (a short) in the union.
        ifr = struct.pack("%dsH22x" % IFNAMSIZ, name.encode(), flags)
        fcntl.ioctl(fd, TUNSETIFF, ifr)
    except OSError as e:
        sys.stderr.write("tapfd.py: cannot attach to TAP %s: %s\n" % (name, e))
        return 1
    os.set_inheritable(fd, True)
    args = [a.replace("@TAPFD@", str(fd)) for a in prog]
    try:
        os.execvp(args[0], args)
    except OSError as e:
        sys.stderr.write("tapfd.py: cannot run %s: %s\n" % (args[0], e))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
