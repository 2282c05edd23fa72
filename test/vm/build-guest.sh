#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Build the VM tests' guest: Debian's cloud kernel (the .deb that
# devtools/setup.sh --tests fetched with apt-get download, unpacked here, never
# installed) and an initramfs with a static busybox, the modules virtio-net
# needs and test/vm/init, which does the job given on the kernel command line.
#
#   build-guest.sh [OUTDIR]     default OUTDIR: $MACVTAP_BUILD_DIR/vm-guest
#
# Writes OUTDIR/vmlinuz and OUTDIR/initrd.img, and OUTDIR/stamp naming what
# they were built from (the kernel package, busybox, init, this script): when
# the stamp matches, nothing is done again. Prints nothing on success; on
# failure a reason on stderr and exit 1 (exit 2: the kernel .deb or a program
# that setup was to provide is missing).
#
# Environment:
#   MACVTAP_BUILD_DIR  build tree (default: <repo>/build)
#   MACVTAP_VM_CACHE   where setup put the kernel .deb (default:
#                      /var/cache/net-macvtap): guest-kernel.deb there, a link
#                      to the package file, or else the newest
#                      linux-image-*-cloud-amd64_*.deb

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${MACVTAP_BUILD_DIR:-$repo/build}
out=${1:-$build/vm-guest}
cache=${MACVTAP_VM_CACHE:-/var/cache/net-macvtap}
# What virtio-net-pci needs; their dependencies are found with modinfo.
WANT="virtio_pci virtio_net"

die() {
	echo "build-guest: $2" >&2
	exit "$1"
}

deb=$cache/guest-kernel.deb
if [ ! -f "$deb" ]; then
	deb=$(find "$cache" -maxdepth 1 -name 'linux-image-*-cloud-amd64_*.deb' 2>/dev/null |
		sort -V | tail -n 1 || true)
fi
if [ -z "$deb" ] || [ ! -f "$deb" ]; then
	die 2 "no guest kernel package in $cache (devtools/setup.sh --tests fetches it)"
fi
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die 2 "no busybox (apt-get install busybox-static)"
# The guest has no shared libraries: the static busybox only.
if LC_ALL=C ldd "$busybox" 2>&1 | grep -q '=>'; then
	die 2 "$busybox is not static (apt-get install busybox-static)"
fi
command -v modinfo >/dev/null || die 2 "no modinfo (apt-get install kmod)"
command -v dpkg-deb >/dev/null || die 2 "no dpkg-deb"

stamp_want="kernel $(basename "$(readlink -f "$deb")") $(stat -c %s "$deb")
busybox $(sha256sum <"$busybox" | cut -d' ' -f1)
init $(sha256sum <"$here/init" | cut -d' ' -f1)
builder $(sha256sum <"${BASH_SOURCE[0]}" | cut -d' ' -f1)"
if [ -f "$out/stamp" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ] &&
	[ "$(cat "$out/stamp")" = "$stamp_want" ]; then
	exit 0
fi

mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/vm-guest-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$deb" "$work/deb" || die 1 "cannot unpack $deb"
kernel=$(find "$work/deb/boot" -name 'vmlinuz-*' | head -n 1)
[ -n "$kernel" ] || die 1 "no vmlinuz in $deb"
moddir=$(find "$work/deb/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)
[ -n "$moddir" ] || die 1 "no lib/modules in $deb"

# modpath NAME: the module's file in the package (names may use - or _).
modpath() {
	local alt=${1//_/-}
	find "$moddir" \( -name "$1.ko*" -o -name "$alt.ko*" \) | head -n 1
}
# The load order: each module after its dependencies (the package has no
# modules.dep; modinfo reads each module's own list).
order=()
declare -A seen=()
visit() {
	local m=$1 f d
	[ -z "${seen[$m]:-}" ] || return 0
	seen[$m]=1
	f=$(modpath "$m")
	if [ -z "$f" ]; then
		# Built into this kernel: nothing to load.
		grep -q "/$m.ko" "$moddir/modules.builtin" 2>/dev/null && return 0
		die 1 "module $m not found in $deb"
	fi
	for d in $(modinfo -F depends "$f" | tr ',' ' '); do
		visit "$d"
	done
	order+=("$m")
}
for m in $WANT; do visit "$m"; done

root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,etc,tmp,lib/modules}
cp "$busybox" "$root/bin/busybox"
for applet in sh mount insmod ip ping sleep cat cut sed awk sysctl sync poweroff reboot \
	nc dd timeout head stty taskset sha256sum grep wc tail tr seq kill arp; do
	ln -s busybox "$root/bin/$applet"
done
cp "$here/init" "$root/init"
chmod 755 "$root/init"
: >"$root/etc/modules.load"
for m in "${order[@]}"; do
	f=$(modpath "$m")
	case $f in
	*.ko) cp "$f" "$root/lib/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
	*.ko.gz) gzip -dc "$f" >"$root/lib/modules/$m.ko" ;;
	*) die 1 "cannot read module file $f" ;;
	esac
	echo "$m" >>"$root/etc/modules.load"
done
# The console for the kernel to open as init's stdio before devtmpfs is up.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true

(cd "$root" && find . | LC_ALL=C sort | "$busybox" cpio -o -H newc 2>/dev/null | gzip -1) \
	>"$work/initrd.img" || die 1 "cannot build the initramfs"
cp "$kernel" "$work/vmlinuz"
mkdir -p "$out"
mv -f "$work/vmlinuz" "$out/vmlinuz"
mv -f "$work/initrd.img" "$out/initrd.img"
printf '%s\n' "$stamp_want" >"$out/stamp"
