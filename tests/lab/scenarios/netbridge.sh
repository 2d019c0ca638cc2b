#!/bin/bash
# netbridge [PART...]: "Networking part 2": tap, bridge, socket, stream backends with e1000.
# PARTs (default all): bridge script socket stream reset link xvmm passt.
#   bridge  the seed notes: br1 192.168.11.33/24 with persistent tap0/tap1; skiff VM1 on tap1
#           (52:55:00:d1:55:02, 192.168.11.2) pings the lab host; skiff VM2 on tap0
#           (52:55:00:d1:55:01, 192.168.11.1) pings VM1; the lab host pings both. QEMU on tap1
#           pinging the lab host is the lab's self-check.
#           Tests: bridge-vm-host-skiff, bridge-vm-vm-skiff, bridge-host-vms-skiff, bridge-vm-host-qemu
#   script  script= gets the interface name and enslaves the tap to br1 (the guest pings the lab
#           host through it); downscript= runs when the VMM exits (its file appears only then).
#           Tests: tap-script-VMM, tap-downscript-VMM (skiff, qemu)
#   socket  two skiff VMs over -netdev socket,listen=:12345 / connect=127.0.0.1:12345 ping each
#           other. Test: socket-ping-skiff
#   stream  two skiff VMs over -netdev stream (unix socket, server=on / server=off) ping each
#           other. Test: stream-ping-skiff
#   reset   A guest on -netdev stream,server=on reboots at the end of every boot; its peer (a
#           client without reconnect-ms) stays up. A's second boot pings the peer: the
#           connection survived the reset, as QEMU keeps it (skiff re-executes itself and hands
#           it over, sock_util.h). Tests: stream-reset-{skiff,qemu}
#   link    a VM on -netdev stream,server=on: no peer = link down; the lab host connects (socat)
#           = up; it goes away = down again, each seen by the guest's e1000 driver (carrier and
#           `ip link` NO-CARRIER/LOWER_UP). Tests: stream-link-{skiff,qemu}
#   xvmm    skiff and QEMU connected by -netdev stream (skiff server, QEMU client) and by
#           -netdev socket (QEMU listens, skiff connects): ping both ways and iperf3 (skiff
#           client, QEMU server). Tests: xvmm-{stream,socket}-{ping,iperf3}
#   passt   skiff on passt's unix socket (-netdev stream,addr.type=unix,addr.path=...) gets a
#           DHCP lease from passt; QEMU the same as the reference. Tests: passt-dhcp-{skiff,qemu}
#           (SKIP with the reason when there is no passt or it cannot run in the lab host)
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
parts=${*:-bridge script socket stream reset link xvmm passt}
base=(-enable-kvm -m 256M -smp 1 -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic)
lab_bridge
has() { [[ " $parts " == *" $1 "* ]]; }

# e1000dev VMM MAC: the -device value for netdev n0.
e1000dev() { echo "e1000,netdev=n0,mac=$2"; }

# pinged TAG IP: "OK ..." when run TAG's guest pinged IP, else the reason.
pinged() {
	local l
	l=$(logline "$1" "^L2-PING $2 ")
	if [[ $l == "L2-PING $2 OK"* ]]; then echo "OK ${l#L2-PING $2 OK }"; else echo "${l:-no L2-PING $2 line ($(logline "$1" 'L2-STATIC|L2-INIT-OK' | head -c 80))}"; fi
}

# pair TAGA VMMA ARGSA TAGB VMMB ARGSB: used via arrays A_ARGS/B_ARGS; guests run ACTS_A/ACTS_B.
if has bridge; then
	a=bridge-vm1-skiff b=bridge-vm2-skiff
	L2_TIMEOUT=$((LAB_L2_TIMEOUT * 5 / 2)) l2_bg $a skiff "${base[@]}" -append "$L2_APPEND lab.action=static,peer,sleep:150 lab.peer_secs=100 lab.ip=192.168.11.2/24 lab.peer=192.168.11.33" \
		-netdev tap,id=tap1,ifname=tap1,script=no,downscript=no,vhost=off -device e1000,id=e0,netdev=tap1,mac=52:55:00:d1:55:02
	l2_wait $a 'L2-STATIC-UP|L2-STATIC FAIL' $((LAB_L2_TIMEOUT * 2))   # not both probing at once (vmpair)
	L2_TIMEOUT=$((LAB_L2_TIMEOUT * 5 / 2)) l2_bg $b skiff "${base[@]}" -append "$L2_APPEND lab.action=static,peer,sleep:150 lab.peer_secs=100 lab.ip=192.168.11.1/24 lab.peer=192.168.11.2,192.168.11.33" \
		-netdev tap,id=tap0,ifname=tap0,script=no,downscript=no,vhost=off -device e1000,id=e0,netdev=tap0,mac=52:55:00:d1:55:01
	hostping=""
	if l2_wait $a 'L2-STATIC-UP|L2-STATIC FAIL' $((LAB_L2_TIMEOUT * 2)) && l2_wait $b 'L2-STATIC-UP|L2-STATIC FAIL' $((LAB_L2_TIMEOUT * 2)); then
		for ip in 192.168.11.2 192.168.11.1; do
			out=$(ping -c 3 -W 10 "$ip" 2>&1 | grep -E 'transmitted')
			echo "[bridge] lab host ping $ip: $out"
			hostping="$hostping $ip: $out;"
		done
	fi
	l2_wait $a '^L2-PING ' 110
	l2_wait $b '^L2-PING 192.168.11.33' 110
	l2_stop $a
	l2_stop $b
	l2_join $a
	l2_join $b
	r=$(pinged $a 192.168.11.33)
	if [[ $r == OK* ]]; then result bridge-vm-host-skiff PASS "tap1 VM 192.168.11.2 -> 192.168.11.33: ${r#OK }"; else result bridge-vm-host-skiff FAIL "$r"; fi
	r=$(pinged $b 192.168.11.2)
	if [[ $r == OK* ]]; then result bridge-vm-vm-skiff PASS "tap0 VM 192.168.11.1 -> tap1 VM 192.168.11.2: ${r#OK }"; else result bridge-vm-vm-skiff FAIL "$r"; fi
	n=$(grep -o ' 0% packet loss' <<<"$hostping" | wc -l)
	if [ "$n" = 2 ]; then result bridge-host-vms-skiff PASS "lab host ->$hostping"; else result bridge-host-vms-skiff FAIL "lab host ->${hostping:- (VMs never came up)}"; fi

	a=bridge-vm1-qemu
	l2_run $a qemu "${base[@]}" -append "$L2_APPEND lab.action=static,peer lab.ip=192.168.11.2/24 lab.peer=192.168.11.33" \
		-netdev tap,id=tap1,ifname=tap1,script=no,downscript=no,vhost=off -device e1000,id=e0,netdev=tap1,mac=52:55:00:d1:55:02
	r=$(pinged $a 192.168.11.33)
	if [[ $r == OK* ]]; then result bridge-vm-host-qemu PASS "QEMU on tap1 -> 192.168.11.33: ${r#OK }"; else result bridge-vm-host-qemu FAIL "$r"; fi
fi

if has script; then
	for vmm in skiff qemu; do
		d=/tmp/script-$vmm
		rm -rf "$d"
		mkdir -p "$d"
		printf '#!/bin/sh\necho "$1" >%s/ifup.out\n/bin/ip link set "$1" master br1 up\n' "$d" >"$d/ifup.sh"
		printf '#!/bin/sh\necho "$1" >%s/ifdown.out\n' "$d" >"$d/ifdown.sh"
		chmod +x "$d/ifup.sh" "$d/ifdown.sh"
		t=tap-script-$vmm
		l2_bg $t $vmm "${base[@]}" -append "$L2_APPEND lab.action=static,peer lab.ip=192.168.11.5/24 lab.peer=192.168.11.33" \
			-netdev "tap,id=n0,ifname=tapscr$vmm,script=$d/ifup.sh,downscript=$d/ifdown.sh" -device e1000,netdev=n0,mac=52:55:00:d1:55:05
		early=""
		l2_wait $t 'L2-STATIC-UP|L2-STATIC FAIL' "$LAB_L2_TIMEOUT" && [ -e "$d/ifdown.out" ] && early="downscript ran while the VM was running"
		l2_join $t
		up=$(cat "$d/ifup.out" 2>/dev/null)
		r=$(pinged $t 192.168.11.33)
		if [ "$up" = "tapscr$vmm" ] && [[ $r == OK* ]]; then
			result "tap-script-$vmm" PASS "script got \$1=$up, enslaved it to br1; guest -> 192.168.11.33: ${r#OK }"
		else
			result "tap-script-$vmm" FAIL "script \$1='${up}' (want tapscr$vmm); guest ping: $r; $(logline $t 'script|tap' | head -c 120)"
		fi
		down=$(cat "$d/ifdown.out" 2>/dev/null)
		if [ "$down" = "tapscr$vmm" ] && [ -z "$early" ]; then
			result "tap-downscript-$vmm" PASS "downscript got \$1=$down after exit (status $L2_RC)"
		else
			result "tap-downscript-$vmm" FAIL "downscript file '${down}' after exit (status $L2_RC)${early:+; $early}"
		fi
	done
fi

# vmpair NAME TEST VMMA NETA VMMB NETB [IPERF]: VM A (10.9.0.1) and VM B (10.9.0.2) ping each
# other; with IPERF=1 B also runs iperf3 against A. B starts when READY_A (a command) succeeds.
vmpair() {
	local name=$1 test=$2 va=$3 na=$4 vb=$5 nb=$6 iperf=${7:-0} ra rb acts_a acts_b ta tb l sfx=""
	[ "$va" = "$vb" ] && sfx=-$va
	ta=$name-a-$va tb=$name-b-$vb
	acts_a="static,peer,sleep:150" acts_b="static,peer,sleep:150"
	[ "$iperf" = 1 ] && acts_a="static,peer,iperf3-server,sleep:60" acts_b="static,peer,iperf3-client"
	# Two guests at once boot slower (QEMU's reached its init after 56 s once): longer bounds.
	L2_TIMEOUT=$((LAB_L2_TIMEOUT * 5 / 2)) l2_bg "$ta" "$va" "${base[@]}" -append "$L2_APPEND lab.action=$acts_a lab.ip=10.9.0.1/24 lab.peer=10.9.0.2 lab.peer_secs=100" \
		-netdev "$na" -device e1000,netdev=n0,mac=52:54:00:aa:00:01
	if ! eval "$READY_A"; then
		echo "[$name] A's socket never appeared ($READY_A)"
	fi
	# B starts once A's NIC is up: two guests booting at the same moment, with either VMM, is
	# when this lab's nested SVM triple-faults them (bench/README.md, session 8); this part
	# tests the backend. pairstress still starts both at once.
	l2_wait "$ta" 'L2-STATIC-UP|L2-STATIC FAIL' $((LAB_L2_TIMEOUT * 2))
	L2_TIMEOUT=$((LAB_L2_TIMEOUT * 5 / 2)) l2_bg "$tb" "$vb" "${base[@]}" -append "$L2_APPEND lab.action=$acts_b lab.ip=10.9.0.2/24 lab.peer=10.9.0.1 lab.peer_secs=100 lab.iperf3_server=10.9.0.1 lab.iperf3_secs=3" \
		-netdev "$nb" -device e1000,netdev=n0,mac=52:54:00:aa:00:02
	l2_wait "$ta" 'L2-STATIC-UP|L2-STATIC FAIL' $((LAB_L2_TIMEOUT * 2))
	l2_wait "$tb" 'L2-STATIC-UP|L2-STATIC FAIL' $((LAB_L2_TIMEOUT * 2))
	echo "[$name] carrier: A $(logline "$ta" L2-STATIC-UP | grep -o 'carrier=.*'), B $(logline "$tb" L2-STATIC-UP | grep -o 'carrier=.*')"
	l2_wait "$ta" '^L2-PING ' 110
	if [ "$iperf" = 1 ]; then l2_wait "$tb" '^L2-IPERF3 |^L2-PING .* FAIL' 110; else l2_wait "$tb" '^L2-PING ' 110; fi
	# A transfer that never finished: stop both with the VMM's dump signal (skiff reports its
	# guest's vCPUs, rings and backend queues), to tell the lab's livelocked vCPU (a CR3
	# outside guest RAM) from a stuck backend (bench/README.md session 19).
	local how=""
	if [ "$iperf" = 1 ] && [ -z "$(logline "$tb" '^L2-IPERF3 ')" ]; then how=quit; fi
	l2_stop "$ta" ${how:+"$how"}
	l2_stop "$tb" ${how:+"$how"}
	l2_join "$ta"
	l2_join "$tb"
	ra=$(pinged "$ta" 10.9.0.2)
	rb=$(pinged "$tb" 10.9.0.1)
	# A guest that booted twice was reset mid-test: a triple fault (the lab's, bench/README.md
	# session 8), which skiff reports and QEMU resets without a word; its peer's transfer then
	# waits for a server that is gone (session 20's "transfer that stops dead").
	local n reset=""
	n=$(l2_boots "$ta")
	[ "${n:-0}" -le 1 ] || reset+="; guest A ($va) reset mid-test: booted $n times"
	n=$(l2_boots "$tb")
	[ "${n:-0}" -le 1 ] || reset+="; guest B ($vb) reset mid-test: booted $n times"
	if [[ $ra == OK* ]] && [[ $rb == OK* ]]; then
		result "$test-ping$sfx" PASS "$va($na) <-> $vb($nb): A->B ${ra#OK }"
	else
		result "$test-ping$sfx" FAIL "$va($na) <-> $vb($nb): A->B: $ra; B->A: $rb$reset"
	fi
	if [ "$iperf" = 1 ]; then
		l=$(logline "$tb" '^L2-IPERF3 ')
		if [[ $l == "L2-IPERF3 mbit="* ]]; then
			result "$test-iperf3" PASS "$vb client -> $va server: ${l#L2-IPERF3 }"
		else
			result "$test-iperf3" FAIL "$vb client -> $va server: ${l:-no L2-IPERF3 line} $(logline "$tb" 'L2-IPERF3-OUT .*error' | head -c 100)$reset"
		fi
	fi
}

if has socket; then
	READY_A="wait_tcp_listen 12345 30"
	vmpair socket socket skiff "socket,id=n0,listen=:12345" skiff "socket,id=n0,connect=127.0.0.1:12345"
fi
if has stream; then
	rm -f /tmp/st-ss.sock
	READY_A="wait_file /tmp/st-ss.sock 30"
	vmpair stream stream skiff "stream,id=n0,server=on,addr.type=unix,addr.path=/tmp/st-ss.sock" \
		skiff "stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/st-ss.sock"
fi
if has reset; then
	for vmm in skiff qemu; do
		ta=reset-a-$vmm tb=reset-b-$vmm
		rm -f /tmp/st-rs.sock
		L2_TIMEOUT=$((LAB_L2_TIMEOUT * 4)) l2_bg "$ta" "$vmm" "${base[@]}" -append "$L2_APPEND lab.action=static,peer,reboot lab.ip=10.9.0.1/24 lab.peer=10.9.0.2 lab.peer_secs=100" \
			-netdev "stream,id=n0,server=on,addr.type=unix,addr.path=/tmp/st-rs.sock" -device e1000,netdev=n0,mac=52:54:00:aa:00:01
		wait_file /tmp/st-rs.sock 30 || echo "[reset] A's socket never appeared"
		l2_wait "$ta" 'L2-STATIC-UP|L2-STATIC FAIL' $((LAB_L2_TIMEOUT * 2))
		L2_TIMEOUT=$((LAB_L2_TIMEOUT * 4)) l2_bg "$tb" "$vmm" "${base[@]}" -append "$L2_APPEND lab.action=static,sleep:900 lab.ip=10.9.0.2/24" \
			-netdev "stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/st-rs.sock" -device e1000,netdev=n0,mac=52:54:00:aa:00:02
		# Until A's guest has pinged on two boots (each ping waits up to 100 s for a reply).
		for ((i = 0; i < LAB_L2_TIMEOUT * 3 * 4; i++)); do
			[ "$(grep -c '^L2-PING 10.9.0.2 ' "/tmp/l2-$ta.log" 2>/dev/null)" -ge 2 ] && break
			[ -e "/tmp/l2-$ta.rc" ] && break
			sleep 0.25
		done
		l2_stop "$ta"
		l2_stop "$tb"
		l2_join "$ta"
		l2_join "$tb"
		pings=$(grep '^L2-PING 10.9.0.2 ' "/tmp/l2-$ta.log" | head -2 | cut -d' ' -f3 | tr '\n' ' ')
		boots=$(l2_boots "$ta")
		if [ "$pings" = "OK OK " ]; then
			result "stream-reset-$vmm" PASS "server guest pinged its peer on boot 1 and, after its reset, on boot 2: $(grep '^L2-PING 10.9.0.2 ' "/tmp/l2-$ta.log" | sed -n 2p | grep -o 'round-trip.*')"
		else
			result "stream-reset-$vmm" FAIL "server guest booted $boots time(s); its pings of the peer per boot: ${pings:-none}; peer: $(logline "$tb" 'L2-STATIC' | head -c 80)"
		fi
	done
fi
if has xvmm; then
	# QEMU is A (iperf3 server), skiff is B (client)
	rm -f /tmp/st-x.sock
	READY_A="wait_file /tmp/st-x.sock 30"
	vmpair xstream xvmm-stream qemu "stream,id=n0,server=on,addr.type=unix,addr.path=/tmp/st-x.sock" \
		skiff "stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/st-x.sock" 1
	READY_A="wait_tcp_listen 12346 30"
	vmpair xsocket xvmm-socket qemu "socket,id=n0,listen=:12346" skiff "socket,id=n0,connect=127.0.0.1:12346" 1
fi

# carrier_seen TAG N VALUE SECS: until run TAG's guest printed its Nth L2-CARRIER line with VALUE.
carrier_seen() {
	local i
	for ((i = 0; i < $4 * 4; i++)); do
		[ "$(grep '^L2-CARRIER ' "/tmp/l2-$1.log" 2>/dev/null | sed -n "$2p" | cut -d' ' -f2)" = "$3" ] && return 0
		sleep 0.25
	done
	return 1
}
if has link; then
	for vmm in skiff qemu; do
		t=link-$vmm sock=/tmp/lk-$vmm.sock
		rm -f "$sock"
		l2_bg "$t" "$vmm" "${base[@]}" -append "$L2_APPEND lab.action=carrier lab.carrier_secs=120" \
			-netdev "stream,id=n0,server=on,addr.type=unix,addr.path=$sock" -device e1000,netdev=n0
		steps="" ok=0
		if carrier_seen "$t" 1 0 "$LAB_L2_TIMEOUT"; then
			steps="no peer: carrier 0"
			socat -u "UNIX-CONNECT:$sock" - >/dev/null 2>&1 &
			sp=$!
			if carrier_seen "$t" 2 1 20; then
				steps+=", peer connected: carrier 1"
				kill "$sp" 2>/dev/null
				wait "$sp" 2>/dev/null
				if carrier_seen "$t" 3 0 20; then
					steps+=", peer gone: carrier 0"
					ok=1
				fi
			fi
			kill "$sp" 2>/dev/null
			wait "$sp" 2>/dev/null
		fi
		l2_stop "$t"
		l2_join "$t"
		seen=$(grep '^L2-CARRIER ' "/tmp/l2-$t.log" | cut -d' ' -f2- | sed 's/<//; s/>.*//' | tr '\n' ';' | head -c 200)
		if [ "$ok" = 1 ]; then
			result "stream-link-$vmm" PASS "$steps (ip link flags: $seen)"
		elif [ "$vmm" = qemu ] && [ -n "$seen" ]; then
			# The reference, not the VMM under test: record what QEMU does instead.
			result "stream-link-$vmm" SKIP "QEMU (reference) does not show it: ${steps:-carrier up with no peer}; guest saw: $seen"
		else
			result "stream-link-$vmm" FAIL "${steps:-never saw the first L2-CARRIER line}; guest saw: ${seen:-nothing}; $(why | head -c 100)"
		fi
	done
fi

if has passt; then
	for vmm in skiff qemu; do
		if ! passt_start /tmp/passt.sock /tmp/passt.log; then
			passt_stop
			result "passt-dhcp-$vmm" SKIP "$PASST_WHY"
			continue
		fi
		t=passt-$vmm
		l2_run $t $vmm "${base[@]}" -append "$L2_APPEND lab.action=net" \
			-netdev stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/passt.sock -device e1000,netdev=n0
		passt_stop
		l=$(logline $t '^L2-DHCP eth0')
		plog=$(grep -v syslog /tmp/passt.log | tail -n 3 | tr '\n' ' ' | head -c 200)
		if [ -n "$l" ] && [[ $(logline $t '^L2-NET ') == "L2-NET OK"* ]]; then
			result "passt-dhcp-$vmm" PASS "lease from passt over -netdev stream: ${l#L2-DHCP }"
		elif grep -q 'Failed to sandbox' /tmp/passt.log; then
			result "passt-dhcp-$vmm" SKIP "passt cannot run in the lab host (it failed to sandbox itself: $plog)"
		else
			result "passt-dhcp-$vmm" FAIL "$(logline $t '^L2-NET ' || why); passt: $plog"
		fi
	done
fi
