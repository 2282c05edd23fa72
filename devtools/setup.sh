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
#                       (clang, libFuzzer targets, ASan+UBSan, warnings as errors),
#                       the static analysers (cppcheck, clang-tidy, shellcheck)
#                       and OVS-DPDK (openvswitch-switch-dpdk) for test/ovs_dpdk.sh
#
# Open vSwitch is installed for the tests, which run a private instance of their
# own (test/lib/ovs.sh), not as a service: when this script installs it, the
# system's Open vSwitch service is not started (a policy-rc.d denies service
# starts during the install, where there is none already) and, should it run
# all the same, it is stopped, and under systemd disabled. An Open vSwitch that
# was installed before is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."

tests=0
[ "${1:-}" = --tests ] && tests=1

packages="dpdk dpdk-dev libdpdk-dev meson ninja-build pkg-config gcc libc6-dev
	binutils python3 iproute2 iputils-ping tcpdump dpkg-dev xz-utils patch"
if [ $tests = 1 ]; then
	packages="$packages clang clang-tidy libclang-rt-14-dev cppcheck shellcheck
		openvswitch-switch-dpdk"
fi
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=""
for p in $packages; do
	installed "$p" || missing="$missing $p"
done
# Whether this run brings the Open vSwitch service (openvswitch-switch, which
# openvswitch-switch-dpdk depends on) onto the machine.
new_ovs_service=0
if [[ " $missing " == *" openvswitch-switch-dpdk "* ]] && ! installed openvswitch-switch; then
	new_ovs_service=1
fi
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	if [ "$new_ovs_service" = 1 ] && [ ! -e "$policy" ]; then
		# invoke-rc.d and deb-systemd-invoke ask it: 101 means "no start".
		printf '#!/bin/sh\n# devtools/setup.sh, during its apt-get install only\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		own_policy=1
		trap 'rm -f "$policy"' EXIT
	fi
	apt-get update -q >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null
	if [ "$own_policy" = 1 ]; then
		rm -f "$policy"
		trap - EXIT
	fi
fi
# ovs_service_running: the system's Open vSwitch service runs.
ovs_service_running() {
	if [ -d /run/systemd/system ]; then
		systemctl is-active --quiet openvswitch-switch.service ovs-vswitchd.service \
			ovsdb-server.service 2>/dev/null
	else
		[ -x /etc/init.d/openvswitch-switch ] &&
			/etc/init.d/openvswitch-switch status >/dev/null 2>&1
	fi
}
if [ "$new_ovs_service" = 1 ]; then
	# Stopped (and not started at boot), in case a policy-rc.d that was there
	# already let it start.
	if [ -d /run/systemd/system ]; then
		systemctl disable --now --quiet openvswitch-switch.service ovs-vswitchd.service \
			ovsdb-server.service 2>/dev/null || true
	elif ovs_service_running; then
		/etc/init.d/openvswitch-switch stop >/dev/null 2>&1 || true
	fi
	if ovs_service_running; then
		echo "setup: warning: the system's Open vSwitch service runs; the tests do not need it" >&2
	else
		echo "setup: installed Open vSwitch for the tests; its system service is not running"
	fi
fi

# --- the VM tests (test/vm_endpoints.sh): QEMU, the guest's tools, its kernel -------
# A block of its own, apart from $packages above. test/vm/build-guest.sh builds
# the guest from a static busybox, kmod's modinfo and the kernel of Debian's
# linux-image-cloud-amd64: the versioned package it depends on is fetched with
# apt-get download (never installed) into $vm_cache, once per version, and
# guest-kernel.deb there links to it. ethtool: the suite turns a veth's
# checksum offload off.
if [ $tests = 1 ]; then
	vm_packages="qemu-system-x86 busybox-static kmod ethtool"
	vm_missing=""
	for p in $vm_packages; do
		installed "$p" || vm_missing="$vm_missing $p"
	done
	if [ -n "$vm_missing" ]; then
		echo "setup: installing$vm_missing (VM tests)"
		[ -n "$missing" ] || apt-get update -q >/dev/null
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			$vm_missing >/dev/null
	fi
	vm_cache=${MACVTAP_VM_CACHE:-/var/cache/net-macvtap}
	vm_kernel_pkg() {
		apt-cache depends linux-image-cloud-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[^ ]*-cloud-amd64\)$/\1/p' | head -n 1
	}
	vm_kpkg=$(vm_kernel_pkg)
	if [ -z "$vm_kpkg" ]; then
		apt-get update -q >/dev/null
		vm_kpkg=$(vm_kernel_pkg)
	fi
	if [ -z "$vm_kpkg" ]; then
		[ -f "$vm_cache/guest-kernel.deb" ] || {
			echo "setup: no linux-image-*-cloud-amd64 package in apt's lists" >&2
			exit 1
		}
	elif ! compgen -G "$vm_cache/${vm_kpkg}_*.deb" >/dev/null; then
		mkdir -p "$vm_cache"
		vm_part=$(mktemp -d "$vm_cache/partial.XXXXXX")
		if ! (cd "$vm_part" && apt-get download -q "$vm_kpkg" >/dev/null 2>&1); then
			rm -rf "$vm_part"
			echo "setup: apt-get download $vm_kpkg failed" >&2
			exit 1
		fi
		mv "$vm_part"/*.deb "$vm_cache/"
		rm -rf "$vm_part"
		echo "setup: fetched the VM tests' guest kernel $vm_kpkg into $vm_cache"
	fi
	if [ -n "$vm_kpkg" ]; then
		ln -sfn "$(basename "$(compgen -G "$vm_cache/${vm_kpkg}_*.deb" | sort -V | tail -n 1)")" \
			"$vm_cache/guest-kernel.deb"
	fi
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
