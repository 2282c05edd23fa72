#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Put DPDK's five driver-SDK headers into DEST. Debian's libdpdk-dev does not ship
# them, so they come from the Debian source package of exactly the installed
# libdpdk-dev version, fetched with apt. When the machine's apt sources carry no
# source indexes, a deb-src entry is derived from the existing deb entries.
# Nothing fetched here is ever committed.
set -euo pipefail

dest=${1:?usage: fetch-sdk-headers.sh DEST}
headers="ethdev_driver.h ethdev_vdev.h bus_vdev_driver.h bus_driver.h dev_driver.h"
mkdir -p "$dest"

have_all() {
	local h
	for h in $headers; do [ -f "$1/$h" ] || return 1; done
}
have_all "$dest" && exit 0

incdir=$(pkg-config --variable=includedir libdpdk 2>/dev/null || true)
for d in "$incdir" "$incdir/dpdk" /usr/include/dpdk; do
	[ -n "$d" ] || continue
	if have_all "$d"; then
		echo "fetch-sdk-headers: the installed DPDK ships them in $d"
		exit 0
	fi
done

version=$(dpkg-query -W -f='${Version}' libdpdk-dev)
srcpkg=$(dpkg-query -W -f='${source:Package}' libdpdk-dev)
[ -n "$srcpkg" ] || srcpkg=dpdk

# A deb-src entry for every deb entry, unless one exists already.
has_src() {
	grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null
}
if ! has_src; then
	echo "fetch-sdk-headers: deriving deb-src entries from the apt sources"
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		grep -q '^Types:.*\bdeb\b' "$f" || continue
		sed -E 's/^Types:.*/Types: deb-src/' "$f" > "/etc/apt/sources.list.d/zz-src-$(basename "$f")"
	done
	if [ -f /etc/apt/sources.list ]; then
		sed -nE 's/^deb (.*)/deb-src \1/p' /etc/apt/sources.list > /etc/apt/sources.list.d/zz-src-list.list
	fi
	apt-get update -q >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source --download-only -q "$srcpkg=$version" >/dev/null 2>&1) || {
	echo "fetch-sdk-headers: apt-get source $srcpkg=$version failed" >&2
	exit 1
}
orig=$(ls "$work"/*.orig.tar.* | head -n 1)
tar -xf "$orig" -C "$work" --wildcards \
	'*/lib/ethdev/ethdev_driver.h' '*/lib/ethdev/ethdev_vdev.h' \
	'*/drivers/bus/vdev/bus_vdev_driver.h' '*/lib/eal/include/bus_driver.h' \
	'*/lib/eal/include/dev_driver.h'
# Debian's own patches, where any touches these headers.
if ls "$work"/*.debian.tar.* >/dev/null 2>&1; then
	tar -xf "$work"/*.debian.tar.* -C "$work"
	top=$(find "$work" -maxdepth 1 -type d -name "*-*" ! -name debian | head -n 1)
	if [ -f "$work/debian/patches/series" ] && [ -n "$top" ]; then
		while read -r p _; do
			case "$p" in ''|'#'*) continue ;; esac
			for h in $headers; do
				if grep -q "^+++ .*/$h" "$work/debian/patches/$p"; then
					patch -s -d "$top" -p1 < "$work/debian/patches/$p" || true
					break
				fi
			done
		done < "$work/debian/patches/series"
	fi
fi
for h in $headers; do
	find "$work" -name "$h" -path '*/lib/*' -o -name "$h" -path '*/drivers/*' | head -n 1 |
		xargs -I{} cp {} "$dest/$h"
done
have_all "$dest" || { echo "fetch-sdk-headers: headers missing after extraction" >&2; exit 1; }
echo "fetch-sdk-headers: $headers from $srcpkg $version into $dest"
