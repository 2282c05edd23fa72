#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# The installed layout of net_macvtap: 'meson install' of the existing build
# tree into a DESTDIR, then:
#   plugin-in-pmd-dir      the plugin is in the PMD directory the system DPDK
#                          reports (the path compiled into librte_eal), where
#                          every DPDK application loads plugins from
#   plugin-needs-bus-vdev  the plugin names librte_bus_vdev in DT_NEEDED
#   plugin-no-build-rpath  the installed plugin has no RUNPATH into the build tree
#   header-installed       rte_pmd_macvtap.h is installed, same as the source
#   pc-installed           libdpdk-net-macvtap.pc is installed, in a directory
#                          pkg-config searches by default
#   pc-cflags-dir          its Cflags -I name the directory of the header
#   pc-libs-dir            its Libs -L name the directory of the library
#                          (DESTDIR stripped from what was installed)
#   compile-link           a C program using the header's API compiles and
#                          links against the DESTDIR copy (pkg-config with the
#                          DESTDIR copy's .pc; -I/-L paths that exist under
#                          DESTDIR are looked up there first)
#   link-run               that program finds librte_net_macvtap.so at run time
#                          the way it would once installed: the dynamic
#                          loader's default directories and the program's
#                          RUNPATH, each looked up under DESTDIR
#   installed-plugin-loads dpdk-testpmd -d <installed plugin> probes a port
# Nothing outside DESTDIR is written, except meson's own logs in the build tree.
#
# Output: one 'PASS: name', 'FAIL: name: reason' or 'SKIP: name: reason' per
# check; exit 0 when nothing failed, 1 otherwise.
#
# Environment:
#   MACVTAP_BUILD_DIR  build tree (default: <repo>/build)
#   EAL_LIB            librte_eal to ask for the PMD directory
#                      (default: /usr/lib/x86_64-linux-gnu/librte_eal.so.23, else
#                      pkg-config's libdir)
#   TESTPMD            testpmd binary (default: /usr/bin/dpdk-testpmd)
#   CC                 C compiler (default: cc)
#   KEEP_TMP=1         keep the temporary directory (its path is printed)

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$here/lib/common.sh"
test_env
cc=${CC:-cc}
LIBNAME=librte_net_macvtap.so
HEADER=rte_pmd_macvtap.h
PCNAME=libdpdk-net-macvtap

test_start test_cleanup

# --- prerequisites and the install ----------------------------------------------

if [ ! -f "$build/build.ninja" ]; then
	fail "meson-install" "no build tree at $build (run: bash $repo/devtools/setup.sh)"
	finish
fi
for t in meson readelf strings pkg-config python3 "$cc"; do
	if ! command -v "$t" >/dev/null; then
		fail "meson-install" "$t not found"
		finish
	fi
done

make_test_tmp install mvtp_inst
dest=$tmp/destdir

if DESTDIR=$dest meson install -C "$build" >"$tmp/install.log" 2>&1; then
	pass "meson-install"
else
	fail "meson-install" "DESTDIR=$dest meson install -C $build: $(tail -n 5 "$tmp/install.log" | tr '\n' '|')"
	finish
fi
note "installed: $(cd "$dest" && find . \( -type f -o -type l \) | sed 's/^\.//' | sort | tr '\n' ' ')"

# The PMD directory as DPDK itself knows it.
eal=${EAL_LIB:-/usr/lib/x86_64-linux-gnu/librte_eal.so.23}
if [ ! -f "$eal" ]; then
	eal=$(find "$(pkg-config --variable=libdir libdpdk 2>/dev/null)" -maxdepth 1 -name 'librte_eal.so.*' 2>/dev/null | sort | head -n 1)
fi
pmddir=""
[ -n "$eal" ] && [ -f "$eal" ] && pmddir=$(strings "$eal" | grep -m1 -E '^/.*/pmds-[0-9.]+$')
if [ -z "$pmddir" ]; then
	fail "plugin-in-pmd-dir" "cannot read the PMD directory from librte_eal (${eal:-not found})"
	finish
fi

# --- the plugin -------------------------------------------------------------------

plugin=$dest$pmddir/$LIBNAME
found=$(cd "$dest" && find . -name "$LIBNAME*" | sed 's/^\.//' | tr '\n' ' ')
if [ -f "$plugin" ] && readelf -h "$plugin" 2>/dev/null | grep -q 'DYN (Shared object file)'; then
	pass "plugin-in-pmd-dir"
elif [ -e "$plugin" ]; then
	fail "plugin-in-pmd-dir" "$pmddir/$LIBNAME is installed but is not a shared object"
else
	fail "plugin-in-pmd-dir" "nothing at $pmddir/$LIBNAME (the PMD directory of $eal); installed: ${found:-no $LIBNAME at all}"
fi

if [ -f "$plugin" ]; then
	needed=$(readelf -d "$plugin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
	if grep -qE '(^| )librte_bus_vdev\.so[.0-9]*( |$)' <<<"$needed"; then
		pass "plugin-needs-bus-vdev"
	else
		fail "plugin-needs-bus-vdev" "DT_NEEDED of the installed plugin has no librte_bus_vdev: $needed"
	fi
	rpath=$(readelf -d "$plugin" | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]/\2/p' | tr '\n' ':')
	bad=$(tr ':' '\n' <<<"$rpath" | grep -E "^($build|$repo)(/|$)" | tr '\n' ' ')
	if [ -n "$bad" ]; then
		fail "plugin-no-build-rpath" "the installed plugin's RUNPATH points into the build tree: $bad"
	else
		pass "plugin-no-build-rpath"
	fi
else
	skip "plugin-needs-bus-vdev" "no installed plugin"
	skip "plugin-no-build-rpath" "no installed plugin"
fi

# --- header and pkg-config file ----------------------------------------------------------

mapfile -t headers < <(cd "$dest" && find . -name "$HEADER" | sed 's/^\.//')
if [ "${#headers[@]}" -eq 1 ]; then
	if cmp -s "$dest${headers[0]}" "$repo/drivers/net/macvtap/$HEADER"; then
		pass "header-installed"
	else
		fail "header-installed" "${headers[0]} differs from drivers/net/macvtap/$HEADER"
	fi
else
	fail "header-installed" "expected one $HEADER under DESTDIR, found ${#headers[@]}: ${headers[*]:-}"
fi

mapfile -t pcs < <(cd "$dest" && find . -name "$PCNAME.pc" | sed 's/^\.//')
pc=""
if [ "${#pcs[@]}" -ne 1 ]; then
	fail "pc-installed" "expected one $PCNAME.pc under DESTDIR, found ${#pcs[@]}: ${pcs[*]:-}"
else
	pc=${pcs[0]}
	pcdir=$(dirname "$pc")
	search=$(pkg-config --variable pc_path pkg-config 2>/dev/null)
	if tr ':' '\n' <<<"$search" | grep -qxF "$pcdir"; then
		pass "pc-installed"
	else
		fail "pc-installed" "$pc is installed, but pkg-config does not search $pcdir (its path: $search)"
	fi
fi

# Resolve the .pc file's variables; print its own Cflags and Libs (not those of
# what it Requires), one flag a line, as "cflags FLAG" / "libs FLAG".
pc_flags() {
	python3 - "$1" <<'PYEOF'
import re
import shlex
import sys

variables, fields = {}, {}
for raw in open(sys.argv[1]):
    line = raw.split("#", 1)[0].strip()
    m = re.match(r"^([A-Za-z0-9_.]+)\s*([:=])\s*(.*)$", line)
    if not m:
        continue
    (variables if m.group(2) == "=" else fields)[m.group(1)] = m.group(3)

def expand(s, depth=0):
    if depth > 20:
        raise SystemExit("variable loop")
    return re.sub(r"\$\{([^}]+)\}", lambda v: expand(variables.get(v.group(1), ""), depth + 1), s)

for key, tag in (("Cflags", "cflags"), ("Libs", "libs")):
    for flag in shlex.split(expand(fields.get(key, ""))):
        print(tag, flag)
PYEOF
}

if [ -n "$pc" ]; then
	pc_flags "$dest$pc" >"$tmp/pcflags" 2>"$tmp/pcflags.err"
	idirs=$(awk '$1 == "cflags" && $2 ~ /^-I/ {print substr($2, 3)}' "$tmp/pcflags")
	ldirs=$(awk '$1 == "libs" && $2 ~ /^-L/ {print substr($2, 3)}' "$tmp/pcflags")
	lnames=$(awk '$1 == "libs" && $2 ~ /^-l/ {print substr($2, 3)}' "$tmp/pcflags")
	cflags_line=$(grep -m1 '^Cflags:' "$dest$pc")
	libs_line=$(grep -m1 '^Libs:' "$dest$pc")

	hits=""
	for d in $idirs; do [ -f "$dest$d/$HEADER" ] && hits+="$d "; done
	if [ -n "$hits" ]; then
		pass "pc-cflags-dir"
	else
		fail "pc-cflags-dir" "'$cflags_line' names ${idirs:-no -I directory}, but $HEADER is installed as ${headers[*]:-nothing}"
	fi

	hits=""
	for d in $ldirs; do [ -f "$dest$d/$LIBNAME" ] && hits+="$d "; done
	if ! grep -qx 'rte_net_macvtap' <<<"$lnames"; then
		fail "pc-libs-dir" "'$libs_line' has no -lrte_net_macvtap"
	elif [ -z "$hits" ]; then
		fail "pc-libs-dir" "'$libs_line' names ${ldirs:-no -L directory}, but $LIBNAME is installed as ${found:-nothing}"
	else
		pass "pc-libs-dir"
	fi
else
	skip "pc-cflags-dir" "no .pc file"
	skip "pc-libs-dir" "no .pc file"
fi

# --- a program against the installed header and .pc --------------------------------------

cat >"$tmp/use_macvtap.c" <<'EOF'
#include <errno.h>
#include <stdio.h>

#include <rte_pmd_macvtap.h>

int
main(void)
{
	struct rte_pmd_macvtap_lower_stats st;
	uint16_t lower;
	int mode = rte_pmd_macvtap_get_mode(0);
	int ret = rte_pmd_macvtap_get_lower(0, &lower);
	int sret = rte_pmd_macvtap_get_lower_stats(0, &st);

	/* No EAL, so no port: every call must say -ENODEV. */
	printf("%s: mode %d lower %d stats %d\n", RTE_PMD_MACVTAP_DRIVER_NAME, mode, ret, sret);
	return mode == -ENODEV && ret == -ENODEV && sret == -ENODEV ? 0 : 1;
}
EOF

if [ -n "$pc" ]; then
	pcpath=$dest$(dirname "$pc")
	if ! PKG_CONFIG_PATH=$pcpath${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH} \
		pkg-config --cflags --libs "$PCNAME" >"$tmp/flags" 2>"$tmp/flags.err"; then
		fail "compile-link" "pkg-config --cflags --libs $PCNAME: $(tr '\n' ' ' <"$tmp/flags.err")"
	else
		# Sysroot handling for a DESTDIR: each absolute -I/-L that exists
		# under DESTDIR is searched there first, then where it says (for
		# libdpdk's own flags, which are not in DESTDIR).
		flags=()
		read -ra raw <"$tmp/flags"
		for f in "${raw[@]}"; do
			case $f in
			-I/* | -L/*)
				[ -d "$dest${f:2}" ] && flags+=("${f:0:2}$dest${f:2}")
				flags+=("$f")
				;;
			*) flags+=("$f") ;;
			esac
		done
		printf '%q ' "$cc" -Wall -o "$tmp/use_macvtap" "$tmp/use_macvtap.c" "${flags[@]}" >"$tmp/cc.cmd"
		if "$cc" -Wall -o "$tmp/use_macvtap" "$tmp/use_macvtap.c" "${flags[@]}" >"$tmp/cc.log" 2>&1; then
			pass "compile-link"
		elif "$cc" -Wall -c -o "$tmp/use_macvtap.o" "$tmp/use_macvtap.c" "${flags[@]}" >/dev/null 2>&1; then
			fail "compile-link" "it compiles but does not link: $(grep -E 'error|cannot|undefined' "$tmp/cc.log" | head -n 3 | tr '\n' '|')"
		else
			fail "compile-link" "it does not compile: $(grep -E 'error' "$tmp/cc.log" | head -n 3 | tr '\n' '|')"
		fi
	fi
else
	skip "compile-link" "no .pc file"
fi

# The loader's default directories: /etc/ld.so.conf (and its includes) and the
# system search path ld.so reports.
loader_dirs() {
	python3 - <<'PYEOF'
import glob
import os
import subprocess

seen, out = set(), []

def add(d):
    d = os.path.normpath(d)
    if d not in seen:
        seen.add(d)
        out.append(d)

def conf(path, depth=0):
    if depth > 8 or not os.path.isfile(path):
        return
    for line in open(path, errors="replace"):
        line = line.split("#", 1)[0].strip()
        if line.startswith("include "):
            for inc in sorted(glob.glob(line.split(None, 1)[1].strip())):
                conf(inc, depth + 1)
        elif line.startswith("/"):
            add(line)

conf("/etc/ld.so.conf")
for ldso in glob.glob("/lib64/ld-linux*.so.*") + glob.glob("/lib/ld-linux*.so.*"):
    try:
        text = subprocess.run([ldso, "--help"], capture_output=True, text=True).stdout
    except OSError:
        continue
    for line in text.splitlines():
        if "(system search path)" in line:
            add(line.split()[0])
    break
for d in ("/lib", "/usr/lib"):
    add(d)
print("\n".join(out))
PYEOF
}

if [ -x "$tmp/use_macvtap" ]; then
	ldp=""
	runpath=$(readelf -d "$tmp/use_macvtap" | sed -n 's/.*(\(RUNPATH\|RPATH\)).*\[\(.*\)\]/\2/p' | tr ':' ' ')
	for d in $runpath $(loader_dirs); do
		[ -d "$dest$d" ] && ldp+="$dest$d:"
	done
	if LD_LIBRARY_PATH=${ldp%:} "$tmp/use_macvtap" >"$tmp/run.log" 2>&1; then
		pass "link-run"
	elif grep -q "$LIBNAME" "$tmp/run.log"; then
		fail "link-run" "a program linked per $PCNAME.pc cannot load $LIBNAME once installed: it is only in $pmddir, which is not a directory the dynamic loader searches ($(loader_dirs | tr '\n' ' '| sed 's/ $//')), and the .pc adds no rpath (RUNPATH: ${runpath:-none}); loader says: $(head -n 1 "$tmp/run.log")"
	else
		fail "link-run" "the program failed: $(head -n 3 "$tmp/run.log" | tr '\n' '|')"
	fi
else
	skip "link-run" "no program was linked"
fi

# --- the installed plugin in an application -------------------------------------------------

if [ ! -f "$plugin" ]; then
	skip "installed-plugin-loads" "no installed plugin"
elif [ ! -x "$testpmd" ]; then
	skip_missing "installed-plugin-loads" "no $testpmd (apt-get install dpdk)"
elif [ -e "$pmddir/$LIBNAME" ]; then
	skip "installed-plugin-loads" "$pmddir/$LIBNAME exists on this system already (a real install): DPDK would load both"
else
	printf 'show port summary all\nquit\n' |
		timeout -k 5 30 "$testpmd" -d "$plugin" --no-huge -m 512 --no-pci --file-prefix="$prefix" \
			--vdev net_null0 --vdev net_macvtap0,iface=net_null0,mac=02:00:00:00:00:01 \
			-- -i --total-num-mbufs=8192 >"$tmp/testpmd.log" 2>&1
	rc=$?
	if grep -qE '^[0-9]+ +02:00:00:00:00:01 +net_macvtap0 +net_macvtap ' "$tmp/testpmd.log" &&
		[ "$rc" = 0 ]; then
		pass "installed-plugin-loads"
	else
		fail "installed-plugin-loads" "testpmd -d $pmddir/$LIBNAME (under DESTDIR) exit $rc: $(grep -vE '^ *$' "$tmp/testpmd.log" | tail -n 6 | tr '\n' '|')"
	fi
fi

finish
