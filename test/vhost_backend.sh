#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The net_macvtap authors
#
# dpdk-macvtap-vhost with DPDK's virtio_user as stand-in VMs: each VM's
# frontend is a stock dpdk-testpmd in a process of its own. The lower is
# net_af_packet on a veth whose peer, in a network namespace of the test's
# own, is the wire: a raw socket there sends frames to the VMs and sees what
# they send (test/lib/mvh_traffic.py).
#
#   a  bridge, frontend forwards back (mac mode: its own MAC as source)
#   b  bridge, frontend counts (rxonly)
#   c  private, counts; sends to a
#   d  vepa, the frontend's MAC is not the VM's: a spoofing guest
#   e  bridge, 2 queue pairs, forwards back
#   f  vepa, frontend in csum mode with checksum and TSO offloads
#   r  bridge, the backend listens (server=1, perm, owner); its frontend
#      reconnects 100 times under traffic
# a-f connect to their frontends (the default: QEMU is the server), which
# makes the backend's restart a test of reconnection too.
#
# Root, a netns, dpdk-testpmd and python3 are needed; without them, SKIP.
set -u
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=test/lib/common.sh
. test/lib/common.sh
# shellcheck source=test/lib/vhost_backend.sh
. test/lib/vhost_backend.sh
test_env

CYCLES=${MVH_CYCLES:-100}
ns=mvh-ns$$
lo=mvh-l$$
peer_if=mvh-p$$
fe_names="a b c d e f r"

cleanup() {
	[ -n "${stop_file:-}" ] && touch "$stop_file"
	[ -n "${bg_pid:-}" ] && { kill "$bg_pid" 2>/dev/null; wait "$bg_pid" 2>/dev/null; }
	fe_stop_all
	vb_stop KILL
	ip link del "$lo" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	local n
	for n in $fe_names; do eal_runtime_clean "${prefix:-x}_fe_$n"; done
	eal_runtime_clean "${prefix:-}"
	tmp_remove "${tmp:-}"
}
test_start cleanup

vb_app=$build/app/vhost/dpdk-macvtap-vhost
if [ "$(id -u)" != 0 ]; then
	skip vhost-backend "needs root (network namespaces, af_packet)"
	finish
fi
if [ ! -x "$vb_app" ]; then
	skip_missing vhost-backend "$vb_app is not built"
	finish
fi
if [ ! -x "$testpmd" ] || ! command -v python3 >/dev/null; then
	skip_missing vhost-backend "dpdk-testpmd or python3 missing"
	finish
fi
make_test_tmp vhost_backend mvh
vb_prefix=$prefix
stop_file=""
bg_pid=""

# --- the wire ---------------------------------------------------------------------
if ! ip netns add "$ns" 2>/dev/null; then
	skip vhost-backend "cannot create a network namespace"
	finish
fi
ip link add "$lo" type veth peer name "$peer_if" &&
	ip link set "$peer_if" netns "$ns" &&
	sysctl -qw "net.ipv6.conf.$lo.disable_ipv6=1" &&
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$peer_if.disable_ipv6=1" &&
	ip link set "$lo" up && ip -n "$ns" link set "$peer_if" up ||
	require veth "cannot set up the veth pair" false
peer_mac=$(ip -n "$ns" -o link show "$peer_if" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
traffic() { ip netns exec "$ns" python3 "$repo/test/lib/mvh_traffic.py" "$@"; }

declare -A mac=(
	[a]=52:54:00:6d:76:0a [b]=52:54:00:6d:76:0b [c]=52:54:00:6d:76:0c
	[d]=52:54:00:6d:76:0d [e]=52:54:00:6d:76:0e [f]=52:54:00:6d:76:0f
	[r]=52:54:00:6d:76:01 [g]=52:54:00:6d:76:02
)
spoof_mac=52:54:00:6d:76:99
vm_args=(
	--vm "name=a,mac=${mac[a]},socket=$tmp/a.sock,mode=bridge"
	--vm "name=b,mac=${mac[b]},socket=$tmp/b.sock,mode=bridge"
	--vm "name=c,mac=${mac[c]},socket=$tmp/c.sock,mode=private"
	--vm "name=d,mac=${mac[d]},socket=$tmp/d.sock,mode=vepa"
	--vm "name=e,mac=${mac[e]},socket=$tmp/e.sock,mode=bridge,queues=2"
	--vm "name=f,mac=${mac[f]},socket=$tmp/f.sock,mode=vepa"
	--vm "name=r,mac=${mac[r]},socket=$tmp/r.sock,mode=bridge,server=1,perm=0660,owner=65534:65534"
)
backend_args=(--no-huge -m 512 --no-pci -l 0-1 --file-prefix "$prefix"
	--log-level=lib.vhost.config:warning --log-level=user1:info
	-- --lower "net_af_packet0,iface=$lo,qpairs=2" "${vm_args[@]}")

# frontend NAME LIMIT VDEV-EXTRA TESTPMD-ARGS...: a testpmd with one virtio_user port.
frontend() {
	local name=$1 limit=$2 extra=$3
	shift 3
	fe_prefix[$name]=${prefix}_fe_$name
	fe_start "$name" "$limit" "$testpmd" --no-huge -m 256 --no-pci -l 0-1 --main-lcore 1 \
		--file-prefix "${fe_prefix[$name]}" --log-level=lib.eal:warning \
		--vdev "net_virtio_user0,path=$tmp/$name.sock,mac=${mac[$name]}$extra" \
		-- -i --total-num-mbufs=4096 "$@"
}

# tel_q VM KEY: a counter of the VM (0 when missing), e.g. q0.rx_frames.
tel_q() { vb_tel "/macvtap_vhost/vm,$1" "$2" 2>/dev/null || echo 0; }

# recv_count JSON SRC DST [TAG]: frames seen on the wire from SRC to DST.
recv_count() {
	python3 -c 'import json,sys
d=json.loads(sys.argv[1]); t=sys.argv[4] if len(sys.argv)>4 else None
print(sum(r["n"] for r in d["recv"] if (sys.argv[2]=="*" or r["src"]==sys.argv[2]) and
          (sys.argv[3]=="*" or r["dst"]==sys.argv[3]) and (t is None or r["tag"]==t)))' "$@"
}
# misdelivered JSON TAG=MAC...: frames that came back from a VM other than the one they were for.
misdelivered() {
	python3 -c 'import json,sys
d=json.loads(sys.argv[1]); own=dict(a.split("=") for a in sys.argv[2:])
print(sum(r["n"] for r in d["recv"] if r["tag"] in own and r["src"]!=own[r["tag"]]))' "$@"
}

# --- start: the frontends that listen, then the backend -----------------------------
# The frontends' time limit: a bound for a run that hangs, well above the
# suite's 3-5 minutes.
LIMIT=900
frontend a $LIMIT ",server=1" --forward-mode=mac --eth-peer="0,$peer_mac"
frontend b $LIMIT ",server=1" --forward-mode=rxonly --eth-peer="0,${mac[c]}"
frontend c $LIMIT ",server=1" --forward-mode=rxonly --eth-peer="0,${mac[a]}"
fe_prefix[d]=${prefix}_fe_d
fe_start d $LIMIT "$testpmd" --no-huge -m 256 --no-pci -l 0-1 --main-lcore 1 \
	--file-prefix "${fe_prefix[d]}" --log-level=lib.eal:warning \
	--vdev "net_virtio_user0,path=$tmp/d.sock,mac=$spoof_mac,server=1" \
	-- -i --total-num-mbufs=4096 --forward-mode=rxonly --eth-peer="0,$peer_mac"
frontend e $LIMIT ",server=1,queues=2" --forward-mode=mac --eth-peer="0,$peer_mac" \
	--rxq=2 --txq=2
frontend f $LIMIT ",server=1" --forward-mode=csum --eth-peer="0,$peer_mac" --tx-offloads=0x2c

start_s=$(date +%s)
vb_start "$tmp/backend.log" "${backend_args[@]}"
if ! vb_wait_log 'mvh: ready' 30; then
	why="not ready in 30 s"
	if ! pid_alive "$vb_pid"; then
		wait "$vb_pid"
		why="exited with status $? before it was ready"
		vb_pid=""
	fi
	fail backend-start "$why: $(tail -n 5 "$tmp/backend.log" | tr '\n' '|')"
	# Where every thread is, for whoever reads the log.
	if command -v gdb >/dev/null && pid_alive "$vb_pid"; then
		gdb -p "$vb_pid" -batch -ex "thread apply all bt 8" 2>/dev/null |
			grep -E '^(Thread|#)' | sed 's/^/# backend stack: /' >&2
	fi
	for n in $fe_names; do
		[ -n "${fe_log[$n]:-}" ] && note "frontend $n: $(tail -n 2 "${fe_log[$n]}" | tr '\n' '|')"
	done
	finish
fi
frontend r $LIMIT "" --forward-mode=mac --eth-peer="0,$peer_mac"

# Every frontend has its prompt (the listening ones only once the backend came) and forwards.
for n in $fe_names; do
	if ! fe_wait_prompts "$n" 1 30 || ! fe_cmd "$n" start; then
		fail "frontend-$n" "testpmd has no prompt: $(tail -n 4 "${fe_log[$n]}" | tr '\n' '|')"
	fi
done
all_running=1
for n in $fe_names; do
	vb_wait_state "$n" running 20 || { all_running=0; note "VM $n: $(tel_q "$n" state)"; }
done
vms=$(vb_tel /macvtap_vhost/vms)
if [ "$all_running" = 1 ] && [ "$vms" = '["a", "b", "c", "d", "e", "f", "r"]' ]; then
	pass backend-start
else
	fail backend-start "VMs $vms, not all running"
fi
if grep -q 'mvh: e: queue 1 -> lcore 1' "$tmp/backend.log" &&
	[ "$(vb_tel /macvtap_vhost/lcores e/q1)" = 1 ]; then
	pass lcore-map
else
	fail lcore-map "the queue-to-lcore map is neither printed nor in /macvtap_vhost/lcores"
fi
perm=$(stat -c '%a %u:%g' "$tmp/r.sock" 2>/dev/null)
if [ "$perm" = "660 65534:65534" ]; then
	pass socket-perm
else
	fail socket-perm "r.sock is '$perm', expected '660 65534:65534'"
fi

# --- frames both ways ----------------------------------------------------------------
others="b c d e f r"
declare -A rx0=()
for n in $others; do rx0[$n]=$(tel_q "$n" rx_frames); done
a_rx0=$(tel_q a rx_frames)
a_tx0=$(tel_q a tx_frames)
out=$(traffic exchange "$peer_if" --to "${mac[a]}/A/300" --seconds 1.5)
back=$(recv_count "$out" "${mac[a]}" "$peer_mac" A)
if [ "$back" = 300 ]; then
	pass both-ways
else
	fail both-ways "300 frames sent to a, $back came back from it"
fi
wrong=0
for n in $others; do
	[ "$(tel_q "$n" rx_frames)" = "${rx0[$n]}" ] || wrong=$((wrong + 1))
done
if [ "$wrong" = 0 ] && [ "$(misdelivered "$out" "A=${mac[a]}")" = 0 ]; then
	pass unicast-to-its-vm-only
else
	fail unicast-to-its-vm-only "$wrong other VMs received frames meant for a"
fi
a_rx=$(($(tel_q a rx_frames) - a_rx0))
a_tx=$(($(tel_q a tx_frames) - a_tx0))
port_rx=$(tel_q a port_xstats.rx_good_packets)
sum=$(($(tel_q a rx_frames) + $(tel_q a q0.rx_guest_full) + $(tel_q a q0.rx_no_guest)))
# rte_vhost's own count of each virtqueue (vring0 is the guest's receive queue).
vr_rx=$(tel_q a vring0.tx_q0_good_packets)
vr_tx=$(tel_q a vring1.rx_q0_good_packets)
if [ "$a_rx" = 300 ] && [ "$a_tx" = 300 ] && [ "$port_rx" = "$sum" ] &&
	[ "$vr_rx" = "$(tel_q a q0.rx_frames)" ] && [ "$vr_tx" = "$(tel_q a q0.tx_guest_frames)" ]; then
	pass counters-consistent
else
	fail counters-consistent "a: to guest +$a_rx, from guest +$a_tx (300 each); port rx $port_rx, delivered+dropped $sum; vrings $vr_rx/$vr_tx vs $(tel_q a q0.rx_frames)/$(tel_q a q0.tx_guest_frames)"
fi

# sniff_start: listen on the wire in the background until sniff_stop, which
# leaves what was seen (JSON) in $sn.
sniff_start() {
	rm -f "$tmp/sniff.stop" "$tmp/sniff.ready"
	traffic sniff "$peer_if" --seconds 60 --stop-file "$tmp/sniff.stop" \
		--ready-file "$tmp/sniff.ready" >"$tmp/sniff.json" &
	sniff_pid=$!
	local n=0
	while [ ! -e "$tmp/sniff.ready" ] && [ "$n" -lt 100 ]; do
		sleep 0.05
		n=$((n + 1))
	done
}
sniff_stop() {
	touch "$tmp/sniff.stop"
	wait "$sniff_pid"
	sn=$(cat "$tmp/sniff.json")
}
# wait_counter VM KEY AT-LEAST: wait (up to 15 s) until a VM's counter reaches a value.
wait_counter() {
	local n=0
	while [ "$(tel_q "$1" "$2")" -lt "$3" ] && [ "$n" -lt 75 ]; do
		sleep 0.2
		n=$((n + 1))
	done
}

# --- bridge: a to b stays off the wire ---------------------------------------------------
b_rx0=$(tel_q b rx_frames)
a_tx0=$(tel_q a q0.tx_frames)
sniff_start
fe_cmd a stop && fe_cmd a "set eth-peer 0 ${mac[b]}" && fe_cmd a "start tx_first 2"
wait_counter a q0.tx_frames $((a_tx0 + 64))
wait_counter b rx_frames $((b_rx0 + 64))
fe_cmd a stop && fe_cmd a "set eth-peer 0 $peer_mac" && fe_cmd a start
sniff_stop
wire=$(recv_count "$sn" "${mac[a]}" "${mac[b]}")
b_got=$(($(tel_q b rx_frames) - b_rx0))
if [ "$b_got" = 64 ] && [ "$wire" = 0 ]; then
	pass bridge-local
else
	fail bridge-local "b received $b_got of a's 64 frames; the wire saw $wire of them"
fi

# --- private: c reaches no one locally, and no one reaches c -----------------------------
a_rx0=$(tel_q a rx_frames)
c_rx0=$(tel_q c rx_frames)
b_tx0=$(tel_q b q0.tx_frames)
c_tx0=$(tel_q c q0.tx_frames)
sniff_start
fe_cmd c stop && fe_cmd c "start tx_first 2"
fe_cmd b stop && fe_cmd b "start tx_first 2"
wait_counter c q0.tx_frames $((c_tx0 + 64))
wait_counter b q0.tx_frames $((b_tx0 + 64))
sniff_stop
c_to_a=$(recv_count "$sn" "${mac[c]}" "${mac[a]}")
b_to_c=$(recv_count "$sn" "${mac[b]}" "${mac[c]}")
a_got=$(($(tel_q a rx_frames) - a_rx0))
c_got=$(($(tel_q c rx_frames) - c_rx0))
if [ "$a_got" = 0 ] && [ "$c_got" = 0 ] && [ "$c_to_a" = 64 ] && [ "$b_to_c" = 64 ]; then
	pass private-isolation
else
	fail private-isolation "a got $a_got from c, c got $c_got from b (0 each); on the wire c->a $c_to_a, b->c $b_to_c (64 each); sent c $(($(tel_q c q0.tx_frames) - c_tx0)) b $(($(tel_q b q0.tx_frames) - b_tx0))"
fi

# --- spoofing: d's frontend sends as another MAC ---------------------------------------
d_tx0=$(tel_q d q0.tx_guest_frames)
sp0=$(tel_q d port_xstats.tx_spoof_dropped)
sniff_start
fe_cmd d stop && fe_cmd d "start tx_first 2"
wait_counter d q0.tx_guest_frames $((d_tx0 + 64))
wait_counter d port_xstats.tx_spoof_dropped $((sp0 + 64))
sniff_stop
spoofed=$(recv_count "$sn" "$spoof_mac" "*")
d_tx=$(($(tel_q d q0.tx_guest_frames) - d_tx0))
sp=$(($(tel_q d port_xstats.tx_spoof_dropped) - sp0))
if [ "$spoofed" = 0 ] && [ "$d_tx" = 64 ] && [ "$sp" = 64 ]; then
	pass spoof-dropped-counted
else
	fail spoof-dropped-counted "wire saw $spoofed spoofed frames (0); d sent $d_tx (64), tx_spoof_dropped +$sp (64)"
fi

# --- a flooding guest takes its budget, no more: a's frames still all come back ----------
fe_cmd b stop && fe_cmd b "set eth-peer 0 ${mac[b]}" && fe_cmd b "set fwd txonly" &&
	fe_cmd b start
sleep 0.5
b_tx0=$(tel_q b q0.tx_guest_frames)
out=$(traffic exchange "$peer_if" --to "${mac[a]}/A/300" --seconds 1.5)
b_flood=$(($(tel_q b q0.tx_guest_frames) - b_tx0))
fe_cmd b stop && fe_cmd b "set fwd rxonly" && fe_cmd b "set eth-peer 0 ${mac[c]}" && fe_cmd b start
back=$(recv_count "$out" "${mac[a]}" "$peer_mac" A)
if [ "$back" -ge 297 ] && [ "$b_flood" -gt 10000 ]; then
	pass flood-isolation
	note "b flooded $b_flood frames while a returned $back/300"
else
	fail flood-isolation "while b sent $b_flood frames (> 10000), a returned $back of 300 (>= 297)"
fi

# --- multiqueue: e's two queue pairs both carry traffic ---------------------------------
out=$(traffic exchange "$peer_if" --to "${mac[e]}/E/400" --udp-flows 64 --seconds 1.5)
back=$(recv_count "$out" "${mac[e]}" "$peer_mac" E)
q0r=$(tel_q e q0.rx_frames) q1r=$(tel_q e q1.rx_frames)
q0t=$(tel_q e q0.tx_frames) q1t=$(tel_q e q1.tx_frames)
if [ "$back" = 400 ] && [ "$q0r" -gt 0 ] && [ "$q1r" -gt 0 ] && [ "$q0t" -gt 0 ] && [ "$q1t" -gt 0 ]; then
	pass multiqueue
	note "e: rx q0 $q0r q1 $q1r, tx q0 $q0t q1 $q1t"
else
	fail multiqueue "400 sent, $back back; rx q0 $q0r q1 $q1r, tx q0 $q0t q1 $q1t (each > 0)"
fi

# --- offloads: partial checksums and TSO from the guest, finished on the way out ----------
feat=$(tel_q f features)
fe_cmd f stop
for c in "port stop 0" "csum set ip sw 0" "csum set tcp hw 0" "csum set udp hw 0" \
	"tso set 500 0" "csum parse-tunnel off 0" "port start 0" "start"; do
	fe_cmd f "$c" || note "f: '$c' failed"
done
vb_wait_state f running 10
run_checker offload "offload-csum-udp offload-tso4 offload-tso6" \
	traffic offload "$peer_if" --to "${mac[f]}" --count 20 --seconds 2
note "f: features $feat, csum done $(tel_q f q0.tx_csum_done), tso frames $(tel_q f q0.tx_tso_frames) segments $(tel_q f q0.tx_tso_segments)"

# --- reconnect cycles under traffic ------------------------------------------------------
stop_file=$tmp/stop
r_conn0=$(tel_q r connections)
traffic exchange "$peer_if" --to "${mac[a]}/A/1000000" "${mac[r]}/R/1000000" --pace 2000 \
	--stop-file "$stop_file" --seconds 1.5 >"$tmp/cycles.json" &
bg_pid=$!
t0=$(date +%s)
cyc_fail=0
for ((i = 0; i < CYCLES; i++)); do
	fe_cmds r 20 stop "port stop all" "port close 0" "device detach net_virtio_user0" \
		"port attach net_virtio_user0,path=$tmp/r.sock,mac=${mac[r]}" "port start all" start &&
		grep -q 'Port 0 is attached' "$fe_last" && ! grep -q 'Fail' "$fe_last" ||
		{ cyc_fail=1; note "cycle $i: $(grep -iE "attached|fail" "$fe_last" | tr "\n" " ")"; break; }
	pid_alive "$vb_pid" || { cyc_fail=2; break; }
done
touch "$stop_file"
wait "$bg_pid"
bg_pid=""
note "$i reconnect cycles in $(($(date +%s) - t0)) s"
cyc=$(cat "$tmp/cycles.json")
mis=$(misdelivered "$cyc" "A=${mac[a]}" "R=${mac[r]}")
a_sent=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["sent"].get("A",0))' "$cyc")
a_back=$(recv_count "$cyc" "${mac[a]}" "$peer_mac" A)
r_back=$(recv_count "$cyc" "${mac[r]}" "$peer_mac" R)
vb_wait_state r running 10
conn=$(($(tel_q r connections) - r_conn0))
nd=$(tel_q r new_devices) de=$(tel_q r destroys)
if [ "$cyc_fail" = 0 ] && [ "$conn" = "$CYCLES" ] && [ "$nd" = $((de + 1)) ] && [ "$mis" = 0 ] &&
	[ "$r_back" -gt 0 ] && [ "$a_back" -ge $((a_sent * 99 / 100)) ]; then
	pass reconnect-cycles
	note "a: $a_back of $a_sent back during the cycles, r: $r_back"
else
	fail reconnect-cycles "cycles $i (stop $cyc_fail), connections +$conn (expected $CYCLES), new_devices $nd destroys $de, misdelivered $mis, a $a_back/$a_sent back, r $r_back"
fi
# Once the traffic has stopped, every mbuf is back in its pool.
sleep 0.5
inuse=$(vb_tel /macvtap_vhost/pools)
if python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if d and all(v==0 for v in d.values()) else 1)' "$inuse"; then
	pass no-leak-after-cycles
else
	fail no-leak-after-cycles "mbufs in use: $inuse"
fi
port_rx=$(tel_q r port_xstats.rx_good_packets)
sum=$(($(tel_q r rx_frames) + $(tel_q r q0.rx_guest_full) + $(tel_q r q0.rx_no_guest)))
if [ "$port_rx" = "$sum" ] && [ "$(tel_q r rx_frames)" -ge "$r_back" ]; then
	pass counters-consistent-after-cycles
else
	fail counters-consistent-after-cycles "r: port rx $port_rx, delivered+dropped $sum, came back $r_back"
fi

# --- VMs added and removed at run time, while a's frames flow ----------------------------
rm -f "$stop_file"
traffic exchange "$peer_if" --to "${mac[a]}/A/1000000" --pace 1000 --stop-file "$stop_file" \
	--seconds 1.5 >"$tmp/addrm.json" &
bg_pid=$!
# The cycles from one client process: a python start per command would make
# them take a minute on a machine the frontends keep busy.
i=${MVH_ADDRM:-20}
addrm=$(python3 - "$repo/test/lib" "$prefix" "$i" "${mac[g]}" "$tmp/g.sock" 2>&1 <<'PY'
import os, stat, sys
sys.path.insert(0, sys.argv[1])
from mvh_tel import ask
prefix, n, mac, sock = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
def result(cmd):
    return ask(prefix, cmd).get(cmd.split(",", 1)[0], {}).get("result")
for i in range(n):
    r = result("/macvtap_vhost/add,name=g,mac=%s,socket=%s,mode=bridge,server=1" % (mac, sock))
    if r != 0 or not os.path.exists(sock) or not stat.S_ISSOCK(os.stat(sock).st_mode):
        sys.exit("cycle %d: add g: %s, socket %s" % (i, r, os.path.exists(sock)))
    r = result("/macvtap_vhost/remove,g")
    if r != 0 or os.path.exists(sock):
        sys.exit("cycle %d: remove g: %s, socket left %s" % (i, r, os.path.exists(sock)))
PY
)
ok=$?
ok=$((ok == 0))
[ -n "$addrm" ] && note "$addrm"
dup=$(vb_tel "/macvtap_vhost/add,name=h,mac=${mac[a]},socket=$tmp/h.sock" result)
bad=$(vb_tel "/macvtap_vhost/add,mac=nonsense,socket=$tmp/h.sock" result)
touch "$stop_file"
wait "$bg_pid"
bg_pid=""
out=$(cat "$tmp/addrm.json")
sent=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["sent"].get("A",0))' "$out")
back=$(recv_count "$out" "${mac[a]}" "$peer_mac" A)
if [ "$ok" = 1 ] && [ "$dup" != 0 ] && [ "$bad" != 0 ] && [ "$back" -ge $((sent * 99 / 100)) ] &&
	[ "$sent" -gt 0 ] && [ "$(vb_tel /macvtap_vhost/vms)" = '["a", "b", "c", "d", "e", "f", "r"]' ]; then
	pass add-remove-runtime
	note "a: $back of $sent back during ${MVH_ADDRM:-20} add/remove cycles"
else
	fail add-remove-runtime "add/remove ok=$ok ($i cycles), duplicate MAC result $dup, bad spec result $bad (both errors), a: $back/$sent back, backend $(pid_alive "$vb_pid" && echo alive || echo dead)"
fi
res=$(vb_tel "/macvtap_vhost/set_mac,a,52:54:00:6d:76:77" result)
if [ "$res" != 0 ] && [ "$(tel_q a filter_refused)" = 1 ] && [ "$(tel_q a mac)" = "52:54:00:6D:76:0A" ]; then
	pass untrusted-mac-change-refused
else
	fail untrusted-mac-change-refused "set_mac on untrusted a: result $res, mac $(tel_q a mac)"
fi

# A trusted VM may change its MAC; receive filters within what the mode allows.
res=$(vb_tel "/macvtap_vhost/add,name=t,mac=${mac[g]},socket=$tmp/t.sock,server=1,trusted=1" result)
mres=$(vb_tel "/macvtap_vhost/set_mac,t,52:54:00:6d:76:03" result)
tmac=$(tel_q t mac)
vb_tel /macvtap_vhost/remove,t >/dev/null
fres=$(vb_tel "/macvtap_vhost/rx_filter,a,mc=01:00:5e:00:00:fb+33:33:00:00:00:01,allmulti=0" result)
pres=$(vb_tel "/macvtap_vhost/rx_filter,a,promisc=1" result)
if [ "$res" = 0 ] && [ "$mres" = 0 ] && [ "$tmac" = "52:54:00:6D:76:03" ] && [ "$fres" = 0 ] &&
	[ "$pres" != 0 ] && [ "$(tel_q a filter_refused)" = 2 ]; then
	pass trusted-mac-and-rx-filters
else
	fail trusted-mac-and-rx-filters "trusted t: add $res set_mac $mres mac $tmac; a: multicast list $fres (0), promisc $pres (refused), filter_refused $(tel_q a filter_refused) (2)"
fi

# A telemetry client that leaves before its answer (SIGPIPE) ends nothing.
python3 - "/var/run/dpdk/$prefix/dpdk_telemetry.v2" <<'PY'
import socket, sys
for _ in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:    # over telemetry's client limit the server closes at once
        s.connect(sys.argv[1])
        s.recv(4096)
        s.send(b"/macvtap_vhost/vm,a")
    except OSError:
        pass
    s.close()
PY
sleep 0.5
if pid_alive "$vb_pid" && [ "$(tel_q a state)" = running ]; then
	pass telemetry-client-gone
else
	fail telemetry-client-gone "the backend did not survive telemetry clients that left early"
fi

# --- the backend restarts (from a config file); the frontends that listen reconnect -----------------------------
vb_stop TERM
rc1=$vb_rc
report=$(vb_leak_report)
leak_ok=$?
if [ "$rc1" = 0 ] && [ "$leak_ok" = 0 ]; then
	pass sigterm-clean-exit
else
	fail sigterm-clean-exit "exit status $rc1 (0), report: $report"
fi
[ ! -e "$tmp/r.sock" ] || fail sigterm-clean-exit "the listening socket r.sock was left behind"
# The same VMs from a config file, to start with.
{
	echo "# written by test/vhost_backend.sh"
	echo "lower net_af_packet0,iface=$lo,qpairs=2"
	for ((i = 1; i < ${#vm_args[@]}; i += 2)); do echo "vm ${vm_args[i]}"; done
} >"$tmp/mvh.conf"
vb_start "$tmp/backend2.log" --no-huge -m 512 --no-pci -l 0-1 --file-prefix "$prefix" \
	--log-level=lib.vhost.config:warning --log-level=user1:info -- --config "$tmp/mvh.conf"
if vb_wait_log 'mvh: ready' 30 && vb_wait_state a running 15 && vb_wait_state e running 15; then
	out=$(traffic exchange "$peer_if" --to "${mac[a]}/A/200" "${mac[e]}/E/200" --udp-flows 16 --seconds 1.5)
	back_a=$(recv_count "$out" "${mac[a]}" "$peer_mac" A)
	back_e=$(recv_count "$out" "${mac[e]}" "$peer_mac" E)
	if [ "$back_a" = 200 ] && [ "$back_e" = 200 ]; then
		pass backend-restart-resume
	else
		fail backend-restart-resume "after the restart a returned $back_a/200, e $back_e/200"
	fi
else
	fail backend-restart-resume "the frontends did not reconnect: a $(tel_q a state), e $(tel_q e state)"
fi
vb_stop TERM
report=$(vb_leak_report)
leak_ok=$?
if [ "$vb_rc" = 0 ] && [ "$leak_ok" = 0 ]; then
	pass shutdown-clean
else
	fail shutdown-clean "exit status $vb_rc, report: $report"
fi
fe_stop_all
note "suite time $(($(date +%s) - start_s)) s"
if [ "$failed" = 1 ]; then
	grep -E 'mvh:|ERR|rror' "$tmp/backend.log" | tail -n 20 | sed 's/^/# backend: /' >&2
fi
finish
