#!/bin/bash
# net VMM [DEVICE]: user networking with DEVICE (e1000 default, virtio-net-pci, or
# virtio-net-pci,vectors=0 for its INTx interrupt instead of MSI-X): the guest
# driver binds (ethtool -i), DHCP gets a lease from the user network, and a hostfwd
# (tcp::8080-:80) reaches the guest's httpd from the lab host's loopback.
# Tests: net-driver-VMM-DEV, net-dhcp-VMM-DEV, net-hostfwd-VMM-DEV; with vectors=0 under
# skiff also net-irq-skiff-virtio-intx (an edge-triggered IO-APIC line, hw/pci.h).
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
vmm=${1:-skiff}
devname=${2:-e1000}
case "$devname" in
e1000) driver=e1000 short=e1000 ;;
virtio-net-pci) driver=virtio_net short=virtio ;;
virtio-net-pci,vectors=0) driver=virtio_net short=virtio-intx ;; # INTx (edges under skiff)
*) driver=$devname short=$devname ;;
esac
t=$vmm-$short
dev=$devname,netdev=n0
[ "$vmm" = qemu ] && dev=$dev,romfile=
log=/tmp/l2-net-$t.log
rm -f "$log.rc"
(
	l2_run "net-$t" "$vmm" -enable-kvm -m 256M -smp 1 -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" \
		-append "$L2_APPEND lab.action=net,httpd lab.httpd_secs=10" -nographic \
		-netdev "user,id=n0,hostfwd=tcp::8080-:80" -device "$dev"
	echo "$L2_RC" >"$log.rc"
) &
bg=$!
for ((i = 0; i < LAB_L2_TIMEOUT * 2; i++)); do
	grep -q -e L2-HTTPD-UP -e 'L2-NET FAIL' "$log" 2>/dev/null && break
	kill -0 "$bg" 2>/dev/null || break
	sleep 0.5
done
body=""
if grep -q L2-HTTPD-UP "$log" 2>/dev/null; then
	body=$(curl -sS --max-time 15 http://127.0.0.1:8080/ 2>&1)
	echo "[net-$t] curl http://127.0.0.1:8080/ -> $body"
fi
wait "$bg"
L2_LOG=$log
L2_RC=$(cat "$log.rc" 2>/dev/null || echo '?')
if ! seen L2-INIT-OK; then
	reason=$(why)
	for x in driver dhcp hostfwd; do result "net-$x-$t" FAIL "no L2 init: $reason"; done
	exit 0
fi
got=$(sed -n 's/^L2-ETHTOOL driver: //p' "$log" | head -n1)
if [ "$got" = "$driver" ]; then
	result "net-driver-$t" PASS "ethtool -i eth0: driver $got"
else
	result "net-driver-$t" FAIL "driver '${got:-none}', want $driver ($(grep -m1 'L2-NET' "$log" || echo no L2-NET line))"
fi
if [ "$short" = virtio-intx ] && [ "$vmm" = skiff ]; then
	irq_result "net-irq-$t" "$(sed -n 's/^L2-IRQ eth0 //p' "$log" | head -n1)" 'IO-APIC *-edge virtio*'
fi
lease=$(grep -m1 '^L2-DHCP ' "$log")
if seen 'L2-NET OK'; then
	result "net-dhcp-$t" PASS "${lease#L2-DHCP }"
else
	result "net-dhcp-$t" FAIL "$(grep -m1 'L2-NET' "$log" || echo "no lease: $(why)")"
fi
if [[ $body == hello* ]]; then
	result "net-hostfwd-$t" PASS "curl 127.0.0.1:8080 -> guest :80: $body"
else
	result "net-hostfwd-$t" FAIL "curl 127.0.0.1:8080 got '${body:0:100}'"
fi
