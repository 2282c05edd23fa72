# shellcheck shell=bash disable=SC2034,SC2154
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Driving dpdk-macvtap-vhost (the backend) and its frontends from a test:
# test/vhost_backend.sh uses virtio_user frontends (stock dpdk-testpmd,
# one process each); a test with real VMs (test/lib/vm.sh) can use the same
# backend functions and point QEMU's vhost-user netdevs at the sockets.
# Sourced after test/lib/common.sh; it only defines functions.
#
# State shared with the sourcing script:
#   vb_app           the program (set by the script)
#   vb_prefix        the backend's EAL --file-prefix (set by the script)
#   vb_pid, vb_log   the running backend and its log; vb_rc its exit status
#   fe_pid[NAME], fe_fd[NAME], fe_log[NAME], fe_prefix[NAME]
#                    each frontend (testpmd) by name: fe_fd is the write end
#                    of its command FIFO
#   fe_last          the output of the latest fe_cmd
declare -A fe_pid=() fe_fd=() fe_log=() fe_prefix=()
vb_pid=""
vb_rc=""
fe_last=""

# --- the backend ------------------------------------------------------------------

# vb_start LOG ARGS...: start the backend in the background (EAL and program
# options in ARGS), its output appended to LOG.
vb_start() {
	vb_log=$1
	shift
	"$vb_app" "$@" >>"$vb_log" 2>&1 &
	vb_pid=$!
}

# vb_wait_log PATTERN SECONDS: wait until the backend's log matches PATTERN
# (grep -E); 1 if the backend exits or SECONDS pass first.
vb_wait_log() {
	local n=0 limit=$(($2 * 10))
	while [ "$n" -lt "$limit" ]; do
		grep -qE "$1" "$vb_log" 2>/dev/null && return 0
		pid_alive "$vb_pid" || return 1
		sleep 0.1
		n=$((n + 1))
	done
	grep -qE "$1" "$vb_log" 2>/dev/null
}

# vb_stop [SIGNAL]: end the backend (TERM by default) and put its exit status
# in vb_rc; KILL after 15 s (vb_rc is then 137).
vb_stop() {
	local n=0
	[ -n "$vb_pid" ] || return 0
	kill -"${1:-TERM}" "$vb_pid" 2>/dev/null
	while pid_alive "$vb_pid" && [ "$n" -lt 150 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	pid_alive "$vb_pid" && kill -KILL "$vb_pid" 2>/dev/null
	wait "$vb_pid" 2>/dev/null
	vb_rc=$?
	vb_pid=""
}

# vb_tel COMMAND [KEY.PATH]: a telemetry command's answer (JSON), or one value of it.
vb_tel() { python3 "$repo/test/lib/mvh_tel.py" "$vb_prefix" "$@"; }

# vb_wait_state VM STATE SECONDS: wait until the VM's state is STATE.
vb_wait_state() {
	local n=0 limit=$(($3 * 5))
	while [ "$n" -lt "$limit" ]; do
		[ "$(vb_tel "/macvtap_vhost/vm,$1" state 2>/dev/null)" = "$2" ] && return 0
		pid_alive "$vb_pid" || return 1
		sleep 0.2
		n=$((n + 1))
	done
	return 1
}

# vb_leak_report: the backend's exit report in one line, and 0 when every
# mempool had all its mbufs back at exit.
vb_leak_report() {
	grep -E '^mvh: exit: ' "$vb_log" | tail -n 4 | tr '\n' '|'
	grep -qE '^mvh: exit: 0 mbufs not returned' "$vb_log" &&
		! grep -E '^mvh: exit: mempool ' "$vb_log" | grep -vq 'in use 0$'
}

# --- frontends: dpdk-testpmd with a virtio_user port ----------------------------

# fe_start NAME LIMIT COMMAND...: start a testpmd (COMMAND, interactive) under
# timeout(1) LIMIT, commands through a FIFO, output in $tmp/fe-NAME.log.
fe_start() {
	local name=$1 limit=$2 fifo=$tmp/fe-$1.in fd stdbuf=()
	shift 2
	command -v stdbuf >/dev/null && stdbuf=(stdbuf -oL -eL)
	mkfifo "$fifo" || return 1
	exec {fd}<>"$fifo"
	fe_fd[$name]=$fd
	fe_log[$name]=$tmp/fe-$name.log
	timeout -k 5 "$limit" "${stdbuf[@]}" "$@" <"$fifo" >>"${fe_log[$name]}" 2>&1 &
	fe_pid[$name]=$!
}

fe_prompts() { grep -o 'testpmd> ' "${fe_log[$1]}" 2>/dev/null | wc -l; }

# fe_wait_prompts NAME N SECONDS
fe_wait_prompts() {
	local n=0 limit=$(($3 * 20))
	while [ "$n" -lt "$limit" ]; do
		[ "$(fe_prompts "$1")" -ge "$2" ] && return 0
		pid_alive "${fe_pid[$1]}" || return 1
		sleep 0.05
		n=$((n + 1))
	done
	return 1
}

# fe_cmd NAME COMMAND [SECONDS]: send one command, wait for the prompt after
# it (10 s by default); its output goes to the file $fe_last.
fe_cmd() {
	local name=$1 before off
	before=$(fe_prompts "$name")
	off=$(stat -c %s "${fe_log[$name]}")
	local fd=${fe_fd[$name]}
	printf '%s\n' "$2" 1>&"$fd" || return 1
	fe_last=$tmp/fe-$name.last
	fe_wait_prompts "$name" $((before + 1)) "${3:-10}"
	local rc=$?
	tail -c +"$((off + 1))" "${fe_log[$name]}" >"$fe_last"
	return $rc
}

# fe_cmds NAME SECONDS COMMAND...: send the commands at once and wait for
# their prompts; their output goes to $fe_last. testpmd runs them in order,
# one after the other, as if typed; one wait instead of one per command saves
# most of the time on a machine whose cores the frontends' polling fills.
fe_cmds() {
	local name=$1 secs=$2 before off
	shift 2
	before=$(fe_prompts "$name")
	off=$(stat -c %s "${fe_log[$name]}")
	printf '%s\n' "$@" 1>&"${fe_fd[$name]}" || return 1
	fe_last=$tmp/fe-$name.last
	fe_wait_prompts "$name" $((before + $#)) "$secs"
	local rc=$?
	tail -c +"$((off + 1))" "${fe_log[$name]}" >"$fe_last"
	return $rc
}

# fe_stat NAME FIELD: RX-packets, TX-packets... of port 0 ('show port stats 0').
fe_stat() {
	fe_cmd "$1" "show port stats 0" >/dev/null || return 1
	sed -n "s/.*$2: *\([0-9]*\).*/\1/p" "$fe_last" | head -n 1
}

# fe_stop NAME: quit testpmd; after 5 s (a testpmd still in its EAL set-up,
# waiting for the backend, reads no command) KILL it and its timeout(1)
# wrapper, which would otherwise leave it behind.
fe_stop() {
	local name=$1 n=0 pid=${fe_pid[$1]:-} fd=${fe_fd[$1]:-} kids
	[ -n "$pid" ] || return 0
	kids=$(pgrep -P "$pid" 2>/dev/null)
	[ -n "$fd" ] && printf 'quit\n' 1>&"$fd" 2>/dev/null
	while pid_alive "$pid" && [ "$n" -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	# shellcheck disable=SC2086  # one word per pid
	pid_alive "$pid" && kill -KILL $kids "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ -n "$fd" ] && exec {fd}>&-
	fe_pid[$name]=""
}

fe_stop_all() {
	local n
	for n in "${!fe_pid[@]}"; do fe_stop "$n"; done
}

# --- hooks for QEMU VMs (test/lib/vm.sh) --------------------------------------------

# vb_qemu_args SOCKET MAC [QUEUES] [server|client]: set the array vb_qemu to
# the QEMU arguments of a virtio-net NIC on a dpdk-macvtap-vhost VM, for
# vm_start's QEMU_ARGS: the guest's RAM shared (memfd, VM_MEM as vm.sh uses
# it), the socket (QEMU listens unless the backend's VM has server=1: then
# 'client', and QEMU reconnects), the NIC with the VM's MAC, mq=on for more
# than one queue pair. vectors=0: QEMU 7.2 under TCG cannot set up vhost-user
# guest notifiers otherwise (with mq=on and 2N+2 vectors it crashed here);
# with KVM, give 2N+2.
vb_qemu_args() {
	local sock=$1 mac=$2 queues=${3:-1} role=${4:-server} chardev dev
	if [ "$role" = server ]; then
		chardev="socket,id=mvhc0,path=$sock,server=on,wait=off"
	else
		chardev="socket,id=mvhc0,path=$sock,reconnect=1"
	fi
	dev="virtio-net-pci,netdev=mvhn0,mac=$mac,romfile="
	[ "$queues" -gt 1 ] && dev+=",mq=on"
	dev+=",vectors=${VB_VECTORS:-0}"
	vb_qemu=(-object "memory-backend-memfd,id=mvhmem,size=${VM_MEM:-256M},share=on"
		-numa "node,memdev=mvhmem"
		-chardev "$chardev"
		-netdev "vhost-user,id=mvhn0,chardev=mvhc0,queues=$queues"
		-device "$dev")
}
