# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# A private OVS-DPDK (Debian's openvswitch-switch-dpdk) for test/ovs_dpdk.sh
# and app/bench/ovs_normal.sh: ovsdb-server and ovs-vswitchd-dpdk run from a
# fresh work directory (database, sockets, pid files, logs), so that nothing
# of a system Open vSwitch is used or touched. Sourced after
# test/lib/common.sh (pid_alive, stop_owned); it sets the defaults below and
# otherwise only defines functions.
#
# State the functions share with the script that sources them:
#   OVS_WORK              the work directory (ovs_env)
#   DB_SOCK, VS_CTL       ovsdb-server's socket, ovs-vswitchd's control socket
#   VSLOG                 ovs-vswitchd's log
#   VSCTL, APPCTL         ovs-vsctl and ovs-appctl commands for them (arrays)
#   DB_PID, VS_PID        the two daemons, once started
#   CPUS                  usable CPUs (the caller's), for ovs_pick_cpus, which
#                         sets PMD_CORE, OTHER_CPUS and PMD_MASK
#   OFPORT, IFERR         an interface's ofport and error column (ovs_iface_check)
#   REASON                why a function failed
# shellcheck disable=SC2034  # set for the script that sources this file

OVS_DPDK_BIN=${OVS_DPDK_BIN:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}
OVS_SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
OVS_WORK=
DB_PID=
VS_PID=

# ovs_tools_problem: print why the OVS tools cannot be used (a command or the
# database schema missing) and succeed; fail when they are all there.
ovs_tools_problem() {
	local t
	for t in ovsdb-tool ovsdb-server ovs-vsctl ovs-appctl ovs-ofctl; do
		if ! command -v "$t" >/dev/null; then
			echo "$t not found (openvswitch-common/openvswitch-switch)"
			return 0
		fi
	done
	if [ ! -f "$OVS_SCHEMA" ]; then
		echo "$OVS_SCHEMA not found"
		return 0
	fi
	return 1
}

# ovs_pick_cpus: the PMD thread on PMD_CORE (if empty, the highest of CPUS),
# everything else (ovsdb-server, ovs-vswitchd's other threads, the script) on
# the other CPUS, joined with commas in OTHER_CPUS; PMD_MASK is the PMD core's
# pmd-cpu-mask. Fails when PMD_CORE is not one of CPUS.
ovs_pick_cpus() {
	local c ok=0
	[ -n "${PMD_CORE:-}" ] || PMD_CORE=${CPUS[-1]}
	OTHER_CPUS=
	for c in "${CPUS[@]}"; do
		if [ "$c" = "$PMD_CORE" ]; then
			ok=1
		else
			OTHER_CPUS="${OTHER_CPUS:+$OTHER_CPUS,}$c"
		fi
	done
	[ "$ok" = 1 ] || return 1
	PMD_MASK=$(printf '0x%x' $((1 << PMD_CORE)))
}

# ovs_env WORK: point everything that OVS looks up by default at the private
# directory WORK, and set the sockets, the log and the command arrays.
ovs_env() {
	OVS_WORK=$1
	export OVS_RUNDIR="$1" OVS_DBDIR="$1" OVS_LOGDIR="$1" \
		OVS_SYSCONFDIR="$1" OVS_PKGDATADIR=/usr/share/openvswitch
	DB_SOCK="$1/db.sock"
	VS_CTL="$1/ovs-vswitchd.ctl"
	VSLOG="$1/ovs-vswitchd.log"
	VSCTL=(ovs-vsctl --db="unix:$DB_SOCK" --timeout=20)
	APPCTL=(ovs-appctl --timeout=10 -t "$VS_CTL")
}

# ovs_db_start CPULIST: create the database and start ovsdb-server on
# CPULIST (taskset -c), wait (10 s) until it answers, initialise the database.
# Fails with REASON.
ovs_db_start() {
	local i
	if ! ovsdb-tool create "$OVS_WORK/conf.db" "$OVS_SCHEMA" >/dev/null; then
		REASON="ovsdb-tool create failed"
		return 1
	fi
	taskset -c "$1" ovsdb-server "$OVS_WORK/conf.db" \
		--remote="punix:$DB_SOCK" \
		--pidfile="$OVS_WORK/ovsdb-server.pid" --unixctl="$OVS_WORK/ovsdb-server.ctl" \
		--log-file="$OVS_WORK/ovsdb-server.log" --no-chdir \
		>"$OVS_WORK/ovsdb-server.out" 2>&1 &
	DB_PID=$!
	for i in $(seq 100); do
		[ -S "$DB_SOCK" ] && "${VSCTL[@]}" --no-wait show >/dev/null 2>&1 && break
		if ! pid_alive "$DB_PID"; then
			REASON="ovsdb-server exited: $(tail -n 1 "$OVS_WORK/ovsdb-server.out")"
			return 1
		fi
		sleep 0.1
	done
	if ! "${VSCTL[@]}" --no-wait init; then
		REASON="ovsdb-server does not answer on $DB_SOCK"
		return 1
	fi
}

# ovs_dpdk_config PMD_MASK EAL_EXTRA: have ovs-vswitchd initialise DPDK with
# EAL_EXTRA as extra EAL arguments and its PMD threads on PMD_MASK.
ovs_dpdk_config() {
	"${VSCTL[@]}" --no-wait set Open_vSwitch . \
		other_config:dpdk-init=true \
		other_config:pmd-cpu-mask="$1" \
		other_config:dpdk-extra="\"$2\""
}

# ovs_vswitchd_start CPULIST: start ovs-vswitchd-dpdk on CPULIST; its stderr
# and stdout go to ovs-vswitchd.out in the work directory.
ovs_vswitchd_start() {
	taskset -c "$1" "$OVS_DPDK_BIN" "unix:$DB_SOCK" \
		--pidfile="$OVS_WORK/ovs-vswitchd.pid" --unixctl="$VS_CTL" \
		--log-file="$VSLOG" --no-chdir \
		>"$OVS_WORK/ovs-vswitchd.out" 2>&1 &
	VS_PID=$!
}

# ovs_vs_alive: ovs-vswitchd-dpdk still runs.
ovs_vs_alive() { [ -n "${VS_PID:-}" ] && pid_alive "$VS_PID"; }

# ovs_vswitchd_wait: wait (30 s) until ovs-vswitchd-dpdk has initialised DPDK
# and answers ovs-appctl: 0 then, 1 when it is gone, 2 when 30 s passed.
ovs_vswitchd_wait() {
	local i
	for i in $(seq 300); do
		ovs_vs_alive || return 1
		if grep -q 'DPDK Enabled - initialized' "$VSLOG" 2>/dev/null &&
			"${APPCTL[@]}" version >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
	done
	return 2
}

# ovs_dpdk_version: the DPDK version line ("DPDK 22.11.x") of ovs-vswitchd's log.
ovs_dpdk_version() { sed -n 's/.*dpdk|INFO|Using \(DPDK .*\)$/\1/p' "$VSLOG" | head -n 1; }

# ovs_log_errors [N]: the last N (3) EMER/ERR lines of ovs-vswitchd's log, on
# one line, without their time stamps.
ovs_log_errors() {
	[ -n "$OVS_WORK" ] && [ -f "${VSLOG:-}" ] || return 0
	grep -E '\|(EMER|ERR)\|' "$VSLOG" 2>/dev/null | tail -n "${1:-3}" |
		sed 's/^[^|]*|[^|]*|//' | tr '\n' ' ' | sed 's/ *$//'
}

# ovs_iface_check NAME [OFPORT]: whether interface NAME came up (ovs-vsctl
# add-port succeeds even when it does not): an empty error column and the
# ofport OFPORT (without OFPORT: any valid one). Leaves the two columns in
# OFPORT and IFERR (empty when unreadable).
ovs_iface_check() {
	local want=${2:-}
	OFPORT=$("${VSCTL[@]}" get Interface "$1" ofport 2>/dev/null)
	IFERR=$("${VSCTL[@]}" get Interface "$1" error 2>/dev/null)
	[ "${IFERR:-[]}" = "[]" ] || return 1
	if [ -n "$want" ]; then
		[ "${OFPORT:--1}" = "$want" ]
	else
		[ "${OFPORT:--1}" -ge 1 ]
	fi
}

# ovs_port_stats: "name rx_packets tx_packets" per port, read live from the
# userspace datapath of the netdev bridges (ovs-appctl dpctl/show -s).
ovs_port_stats() {
	"${APPCTL[@]}" dpctl/show -s netdev@ovs-netdev | awk '
		/^  port [0-9]+: / { name = $3 }
		/^    RX packets:/ { split($2, a, ":"); rx[name] = a[2] }
		/^    TX packets:/ { split($2, a, ":"); tx[name] = a[2]; print name, rx[name], tx[name] }'
}
# ovs_get_rx PORT STATS: PORT's rx_packets in the output of ovs_port_stats.
ovs_get_rx() { awk -v p="$1" '$1 == p { print $2 }' <<<"$2"; }

# ovs_stop: stop ovs-vswitchd-dpdk and ovsdb-server (stop_owned: only while
# they still run from the work directory), for the EXIT trap.
ovs_stop() {
	stop_owned "$VS_PID" "$OVS_WORK" 50
	stop_owned "$DB_PID" "$OVS_WORK" 50
}
