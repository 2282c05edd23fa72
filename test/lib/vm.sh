# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# Real QEMU VMs for the shell tests: boot the guest of test/vm/build-guest.sh
# (its /init does one job read from the kernel command line and prints its
# verdict on the serial console, then powers off) with the -netdev/-device
# arguments a test gives, wait for its lines, and stop every QEMU started.
# Sourced after test/lib/common.sh (pid_alive, stop_owned); it only defines
# functions and the tables below.
#
# A VM is known by a NAME of the test's choosing; its files are in $vm_dir:
#   NAME.serial   the guest's console (QEMU -serial file:)
#   NAME.qemu     QEMU's own output
#   NAME.cmdline  the command that started it
#   NAME.agent    with vm_start --agent: the socket of its second serial port
# State shared with the script that sources this file:
#   vm_dir              where the files go (the test's $tmp); set it first
#   vm_kernel vm_initrd the guest, after vm_prepare
#   vm_pid[NAME]        the running VM's process (its timeout(1) wrapper)
#   vm_rc[NAME]         QEMU's exit status, after vm_wait_exit
#   vm_why              why vm_prepare failed
#
# Environment:
#   VM_QEMU   the QEMU binary (default qemu-system-x86_64)
#   VM_MEM    guest RAM (default 256M)
#   VM_SMP    guest CPUs (default 1)
#   VM_LIMIT  seconds any one VM may run before it is killed (default 90)

declare -A vm_pid=() vm_rc=()
vm_dir=${vm_dir:-}
vm_kernel=""
vm_initrd=""
vm_why=""

# vm_prepare: build the guest, or find it built (build-guest.sh keeps it in
# $build/vm-guest); sets vm_kernel and vm_initrd. Returns 2 with vm_why when
# what devtools/setup.sh --tests installs is missing (QEMU, busybox-static,
# kmod, the kernel package), 1 when the build fails.
vm_prepare() {
	local here out rc=0
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../vm" && pwd)
	# shellcheck disable=SC2154  # build: set by test_env (common.sh)
	out=$build/vm-guest
	if ! command -v "${VM_QEMU:-qemu-system-x86_64}" >/dev/null; then
		vm_why="no ${VM_QEMU:-qemu-system-x86_64} (apt-get install qemu-system-x86)"
		return 2
	fi
	vm_why=$(MACVTAP_BUILD_DIR=$build "$here/build-guest.sh" "$out" 2>&1) || rc=$?
	if [ "$rc" != 0 ]; then
		vm_why=${vm_why:-build-guest.sh exited $rc}
		return "$rc"
	fi
	vm_kernel=$out/vmlinuz
	vm_initrd=$out/initrd.img
}

# vm_start NAME [--netns NS] [--tap IFNAME [--vnet-hdr]] [--agent] "JOB" QEMU_ARGS...:
# boot a VM in the background. JOB is the guest's job, kernel command line
# words (mvm_ip=10.1.2.3/24 mvm_ping=10.1.2.1 ...: see test/vm/init).
# QEMU_ARGS are its network arguments (-netdev ... -device virtio-net-pci,...).
# With --netns QEMU runs in that network namespace; with --tap it inherits a
# file attached to the TAP interface IFNAME (test/vm/tapfd.py), whose number
# replaces each "@TAPFD@" in QEMU_ARGS. With --agent the guest serves
# commands after its job (mvm_agent=1) on a second serial port, the socket
# $vm_dir/NAME.agent: see vm_agent. The testpmd FIFO (fd 3) is not
# inherited. Returns 1 when QEMU cannot be started.
vm_start() {
	local name=$1 pre=() tap=() agent=() job limit=${VM_LIMIT:-90}
	shift
	while :; do
		case $1 in
		--agent)
			rm -f "$vm_dir/$name.agent"
			agent=(-chardev "socket,id=mvmagent,path=$vm_dir/$name.agent,server=on,wait=off"
				-device "isa-serial,chardev=mvmagent")
			shift
			;;
		--netns)
			pre=(ip netns exec "$2")
			shift 2
			;;
		--tap)
			tap=(python3 "$(cd "$(dirname "${BASH_SOURCE[0]}")/../vm" && pwd)/tapfd.py")
			if [ "${3:-}" = --vnet-hdr ]; then
				tap+=(--vnet-hdr "$2" --)
				shift 3
			else
				tap+=("$2" --)
				shift 2
			fi
			;;
		*) break ;;
		esac
	done
	job=$1
	shift
	[ ${#agent[@]} = 0 ] || job+=" mvm_agent=1"
	local cmd=("${pre[@]}" timeout -k 3 "$limit" "${tap[@]}"
		"${VM_QEMU:-qemu-system-x86_64}" -name "mvm-$name"
		-nodefaults -no-user-config -display none -no-reboot
		-accel tcg -cpu max -smp "${VM_SMP:-1}" -m "${VM_MEM:-256M}"
		-kernel "$vm_kernel" -initrd "$vm_initrd"
		-append "console=ttyS0 quiet panic=-1 $job"
		-serial "file:$vm_dir/$name.serial" "${agent[@]}" "$@")
	printf '%q ' "${cmd[@]}" >"$vm_dir/$name.cmdline"
	: >"$vm_dir/$name.serial"
	"${cmd[@]}" </dev/null >"$vm_dir/$name.qemu" 2>&1 3>&- &
	vm_pid[$name]=$!
	unset "vm_rc[$name]"
}

# vm_agent NAME SECONDS COMMAND: run the shell line COMMAND in VM NAME (started
# with --agent, its MVM-AGENT line seen) and print its output; the status is
# the command's, 124 when it did not end within SECONDS, 125 when the agent's
# socket cannot be reached (test/vm/agent.py).
vm_agent() {
	python3 "$(cd "$(dirname "${BASH_SOURCE[0]}")/../vm" && pwd)/agent.py" \
		"$vm_dir/$1.agent" "$2" "$3"
}

# vm_line NAME TAG: the rest of the guest's last "TAG: ..." line, or nothing.
vm_line() {
	tr -d '\r' <"$vm_dir/$1.serial" 2>/dev/null | sed -n "s/^$2: //p" | tail -n 1
}

# vm_wait_line NAME TAG SECONDS: wait until the guest printed a "TAG: " line
# (or its verdict, which is last); 1 when QEMU ended or SECONDS passed first.
vm_wait_line() {
	local name=$1 tag=$2 n=0 limit=$(($3 * 10))
	while [ "$n" -lt "$limit" ]; do
		grep -q "^$tag: " "$vm_dir/$name.serial" 2>/dev/null && return 0
		grep -q "^MVM-VERDICT: " "$vm_dir/$name.serial" 2>/dev/null && break
		pid_alive "${vm_pid[$name]}" || break
		sleep 0.1
		n=$((n + 1))
	done
	grep -q "^$tag: " "$vm_dir/$name.serial" 2>/dev/null
}

# vm_wait_exit NAME SECONDS: wait until QEMU ends (the guest powers off after
# its verdict), killing it after SECONDS; its status goes to vm_rc[NAME].
vm_wait_exit() {
	local name=$1 n=0 limit=$(($2 * 10)) pid=${vm_pid[$1]:-}
	[ -n "$pid" ] || return 0
	while pid_alive "$pid" && [ "$n" -lt "$limit" ]; do
		sleep 0.1
		n=$((n + 1))
	done
	pid_alive "$pid" && stop_owned "$pid" "$vm_dir" 30
	wait "$pid" 2>/dev/null
	vm_rc[$name]=$?
	vm_pid[$name]=""
}

# vm_crash NAME: kill VM NAME's QEMU at once (SIGKILL, as a crash would; not
# through its timeout(1) wrapper, which then ends) and reap it.
vm_crash() {
	local pid=${vm_pid[$1]:-} kids
	[ -n "$pid" ] || return 0
	kids=$(pgrep -P "$pid" 2>/dev/null)
	# shellcheck disable=SC2086  # one word per pid
	[ -z "$kids" ] || kill -KILL $kids 2>/dev/null
	# Without bash's "Killed" notice: timeout(1) ends by its child's signal.
	vm_wait_exit "$1" 10 2>/dev/null
}

# vm_verdict NAME: nothing when the guest's verdict is PASS and QEMU ended
# well (after vm_wait_exit); else why not, with the end of its console and of
# QEMU's output, on one line.
vm_verdict() {
	local name=$1 v
	v=$(vm_line "$name" MVM-VERDICT)
	if [ "$v" = PASS ] && [ "${vm_rc[$name]:-0}" = 0 ]; then
		return 0
	fi
	if [ -z "$v" ]; then
		printf 'no verdict from the guest'
	elif [ "$v" != PASS ]; then
		printf 'guest: %s' "${v#FAIL }"
	else
		printf 'QEMU exited %s' "${vm_rc[$name]}"
	fi
	case ${vm_rc[$name]:-} in
	124 | 137) printf ' (QEMU killed after %ss)' "${VM_LIMIT:-90}" ;;
	esac
	printf '; console: %s; qemu: %s' \
		"$(tr -d '\r' <"$vm_dir/$name.serial" | grep -v '^$' | tail -n 4 | tr '\n' '|')" \
		"$(tail -n 3 "$vm_dir/$name.qemu" | tr '\n' '|')"
}

# vm_stop_all: stop every VM still running (by pid, and only while its command
# line names $vm_dir), for the EXIT trap.
vm_stop_all() {
	local name
	for name in "${!vm_pid[@]}"; do
		[ -n "${vm_pid[$name]}" ] || continue
		stop_owned "${vm_pid[$name]}" "$vm_dir" 30
		vm_pid[$name]=""
	done
}
