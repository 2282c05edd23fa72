#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Install what net_macvtap needs from Debian's archive and build it in ./build.
# Idempotent: packages already installed are not fetched again.
#
#   setup.sh            the build in ./build (what the demo and users need)
#   setup.sh --tests    also what the test command needs: ./build with warnings
#                       as errors, ./build-asan (gcc, AddressSanitizer and
#                       UndefinedBehaviorSanitizer, any report aborts), ./build-fuzz
#                       (clang, libFuzzer targets, ASan+UBSan, warnings as errors)
#                       and the static analysers (cppcheck, clang-tidy, shellcheck)
set -euo pipefail
cd "$(dirname "$0")/.."

tests=0
[ "${1:-}" = --tests ] && tests=1

packages="dpdk dpdk-dev libdpdk-dev meson ninja-build pkg-config gcc libc6-dev
	binutils python3 iproute2 iputils-ping tcpdump dpkg-dev xz-utils patch"
if [ $tests = 1 ]; then
	packages="$packages clang clang-tidy libclang-rt-14-dev cppcheck shellcheck"
fi
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

# setup_build DIR [MESON OPTIONS...]: configure DIR once (or reconfigure it with
# the options given), then build it.
setup_build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		# shellcheck disable=SC2086
		meson setup "$dir" ${MESON_ARGS:-} "$@" >/dev/null
	elif [ $# -gt 0 ]; then
		meson configure "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir" >/dev/null
	echo "setup: built $dir"
}

if [ $tests = 0 ]; then
	setup_build build
	exit 0
fi
setup_build build -Dwerror=true
# Sanitizer reports abort the process, so that none can pass unnoticed.
setup_build build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
	-Dc_args=-fno-sanitize-recover=all
CC=clang setup_build build-fuzz -Dwerror=true -Dfuzz=true -Db_sanitize=address,undefined \
	-Db_lundef=false -Dc_args=-fno-sanitize-recover=all
