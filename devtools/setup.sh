#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Install what net_macvtap needs from Debian's archive and build it in ./build.
# Idempotent: packages already installed are not fetched again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages="dpdk dpdk-dev libdpdk-dev meson ninja-build pkg-config gcc libc6-dev
	binutils python3 iproute2 iputils-ping tcpdump dpkg-dev xz-utils patch"
missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

if [ ! -f build/build.ninja ]; then
	meson setup build ${MESON_ARGS:-} >/dev/null
fi
ninja -C build >/dev/null
echo "setup: built build/drivers/net/macvtap/librte_net_macvtap.so"
