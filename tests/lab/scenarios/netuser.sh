#!/bin/bash
# netuser VMM: -netdev user with e1000 ("Networking part 1"). L2 runs:
#   main    -netdev user,hostfwd=tcp::8080-:80,hostfwd=udp::5555-:5555 -device e1000: lease
#           10.0.2.15 / router 10.0.2.2 / DNS 10.0.2.3, ethtool -i (driver e1000, bus-info
#           0000:00:03.0), curl to the guest's httpd through hostfwd, the guest reaches a TCP
#           server on the lab host's 127.0.0.1 via 10.0.2.2, DNS via 10.0.2.3 resolves a name
#           from the lab host's /etc/hosts (dnsmasq on the lab host's 127.0.0.1 answers: the lab
#           host has no other resolver), a UDP datagram through hostfwd=udp::5555-:5555
#   restrict  the same with restrict=on: the TCP server is out of reach, hostfwd still works
#   twonic  -nic user,model=e1000 twice: eth0 and eth1 both get leases
#   legacy  -net nic -net user
#   default no network option at all (QEMU's default NIC and user network)
#           and the e1000's interrupt as the guest set it up from the VMM's ACPI tables
#           (skiff: edge-triggered, hw/pci.h; QEMU's PIIX: level, "fasteoi")
# Tests: user-{dhcp,ethtool,irq,hostfwd,tcp-out,dns,udp-fwd,restrict-blocks,restrict-hostfwd,
# twonic,legacy,default}-VMM.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
vmm=${1:-skiff}
base=(-enable-kvm -m 256M -smp 1 -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic)

# The lab host's side: a TCP server on 127.0.0.1:7777, a name in /etc/hosts and a resolver.
grep -q labhost.skiff.test /etc/hosts 2>/dev/null || echo "192.0.2.77 labhost.skiff.test" >>/etc/hosts
dns_note="dnsmasq on 127.0.0.1"
if ! { [ -s /tmp/dnsmasq.pid ] && kill -0 "$(cat /tmp/dnsmasq.pid)" 2>/dev/null; }; then
	if command -v dnsmasq >/dev/null; then
		echo "nameserver 127.0.0.1" >/etc/resolv.conf
		dnsmasq --conf-file=/dev/null --user=root --group=root --no-resolv --no-poll \
			--listen-address=127.0.0.1 --bind-interfaces --pid-file=/tmp/dnsmasq.pid \
			--log-facility=/tmp/dnsmasq.log || dns_note="dnsmasq failed to start"
	else
		dns_note="no dnsmasq in the lab (tests/lab/deps.sh installs dnsmasq-base)"
	fi
fi
socat TCP-LISTEN:7777,bind=127.0.0.1,reuseaddr,fork SYSTEM:'echo lab-host-tcp-ok' &
tcpsrv=$!
trap 'kill $tcpsrv 2>/dev/null' EXIT

# userrun TAG NETARGS...: boot with net,usercheck; once the guest is ready, curl :8080 and send
# UDP datagrams to :5555 until the guest shows one, then "bye". Sets BODY.
userrun() {
	local tag=$1 i
	shift
	BODY=""
	l2_bg "$tag" "$vmm" "${base[@]}" -append "$L2_APPEND lab.action=net,usercheck lab.user_secs=40" "$@"
	if l2_wait "$tag" 'L2-USER-READY|L2-NET FAIL' "$LAB_L2_TIMEOUT" && [ -n "$(logline "$tag" L2-USER-READY)" ]; then
		BODY=$(curl -sS --max-time 15 http://127.0.0.1:8080/ 2>&1)
		echo "[$tag] curl http://127.0.0.1:8080/ -> $BODY"
		for ((i = 0; i < 10; i++)); do
			echo "udp-hello-$i" | socat -u - UDP-SENDTO:127.0.0.1:5555 2>/dev/null
			l2_wait "$tag" 'L2-UDP-RX udp-hello' 1 && break
		done
		echo bye | socat -u - UDP-SENDTO:127.0.0.1:5555 2>/dev/null
	fi
	l2_wait "$tag" 'L2-POWEROFF' 20 || l2_stop "$tag"
	l2_join "$tag"
}

# --- main ---
t=user-main-$vmm
userrun "$t" -netdev "user,id=n0,hostfwd=tcp::8080-:80,hostfwd=udp::5555-:5555" -device e1000,netdev=n0
if [ -z "$(logline "$t" L2-INIT-OK)" ]; then
	r=$(why)
	for x in dhcp ethtool irq hostfwd tcp-out dns udp-fwd; do result "user-$x-$vmm" FAIL "no L2 init: $r"; done
else
	lease=$(logline "$t" '^L2-DHCP eth0 ')
	if [[ $lease == *" ip=10.0.2.15 "*" router=10.0.2.2 "*"dns=10.0.2.3"* ]]; then
		result "user-dhcp-$vmm" PASS "${lease#L2-DHCP }"
	else
		result "user-dhcp-$vmm" FAIL "want ip=10.0.2.15 router=10.0.2.2 dns=10.0.2.3: ${lease:-$(logline "$t" 'L2-NET')}"
	fi
	# QEMU in the lab runs with -vga none, so its first NIC takes slot 2 (3 behind the VGA).
	want_bus=0000:00:03.0
	[ "$vmm" = qemu ] && want_bus=0000:00:02.0
	drv=$(logline "$t" '^L2-ETHTOOL driver:')
	bus=$(logline "$t" '^L2-ETHTOOL bus-info:')
	if [ "${drv#L2-ETHTOOL }" = "driver: e1000" ] && [ "${bus#L2-ETHTOOL }" = "bus-info: $want_bus" ]; then
		result "user-ethtool-$vmm" PASS "${drv#L2-ETHTOOL }, ${bus#L2-ETHTOOL }"
	else
		result "user-ethtool-$vmm" FAIL "want e1000 at $want_bus: '${drv#L2-ETHTOOL }' '${bus#L2-ETHTOOL }'"
	fi
	irq=$(logline "$t" '^L2-IRQ eth0 ')
	if [ "$vmm" = qemu ]; then want=fasteoi; else want=edge; fi
	irq_result "user-irq-$vmm" "${irq#L2-IRQ eth0 }" "IO-APIC *-$want eth0"
	if [[ $BODY == hello* ]]; then
		result "user-hostfwd-$vmm" PASS "curl 127.0.0.1:8080 -> guest :80: ${BODY:0:60}"
	else
		result "user-hostfwd-$vmm" FAIL "curl 127.0.0.1:8080 got '${BODY:0:100}'"
	fi
	l=$(logline "$t" '^L2-TCP ')
	if [[ $l == "L2-TCP OK"* ]]; then
		result "user-tcp-out-$vmm" PASS "guest -> 10.0.2.2:7777 (lab host 127.0.0.1): ${l#L2-TCP OK }"
	else
		result "user-tcp-out-$vmm" FAIL "guest -> 10.0.2.2:7777: ${l:-no L2-TCP line}"
	fi
	l=$(logline "$t" '^L2-DNS name=')
	if [[ $l == *"addr=192.0.2.77"* ]]; then
		result "user-dns-$vmm" PASS "nslookup via 10.0.2.3 ($dns_note): ${l#L2-DNS }"
	else
		result "user-dns-$vmm" FAIL "want 192.0.2.77 ($dns_note): ${l:-no L2-DNS line}; $(grep -m2 'L2-DNS-OUT .*\(can.t\|timed\|fail\)' "/tmp/l2-$t.log" | tr '\n' ' ')"
	fi
	l=$(logline "$t" '^L2-UDP-RX udp-hello')
	if [ -n "$l" ]; then
		result "user-udp-fwd-$vmm" PASS "127.0.0.1:5555/udp -> guest :5555: ${l#L2-UDP-RX }"
	else
		result "user-udp-fwd-$vmm" FAIL "no datagram reached the guest ($(logline "$t" 'L2-USER-READY|L2-NET FAIL' || echo "guest not ready: $(why)"))"
	fi
fi

# --- restrict=on ---
t=user-restrict-$vmm
userrun "$t" -netdev "user,id=n0,restrict=on,hostfwd=tcp::8080-:80,hostfwd=udp::5555-:5555" -device e1000,netdev=n0
l=$(logline "$t" '^L2-TCP ')
if [[ $l == "L2-TCP FAIL"* ]]; then
	result "user-restrict-blocks-$vmm" PASS "guest -> 10.0.2.2:7777 blocked: ${l#L2-TCP FAIL }"
else
	result "user-restrict-blocks-$vmm" FAIL "want the connection blocked: ${l:-no L2-TCP line ($(why))}"
fi
if [[ $BODY == hello* ]]; then
	result "user-restrict-hostfwd-$vmm" PASS "curl 127.0.0.1:8080 with restrict=on: ${BODY:0:40}"
else
	result "user-restrict-hostfwd-$vmm" FAIL "curl 127.0.0.1:8080 got '${BODY:0:100}' ($(logline "$t" 'L2-NET'))"
fi

# dhcprun TAG TEST IFS NETARGS...: a boot with DHCP on IFS; TEST passes when all got a lease.
dhcprun() {
	local tag=$1 test=$2 ifs=$3 l
	shift 3
	l2_run "$tag" "$vmm" "${base[@]}" -append "$L2_APPEND lab.action=net lab.net_ifs=$ifs" "$@"
	l=$(logline "$tag" '^L2-NET ')
	if [[ $l == "L2-NET OK"* ]]; then
		result "$test" PASS "${*:-no network option}: ${l#L2-NET OK }"
	else
		result "$test" FAIL "${*:-no network option}: ${l:-no L2-NET line: $(why)}"
	fi
}
dhcprun "user-twonic-$vmm" "user-twonic-$vmm" eth0,eth1 -nic user,model=e1000 -nic user,model=e1000
dhcprun "user-legacy-$vmm" "user-legacy-$vmm" eth0 -net nic -net user
L2_DEFAULT_NIC=1 dhcprun "user-default-$vmm" "user-default-$vmm" eth0 # (no network option)
