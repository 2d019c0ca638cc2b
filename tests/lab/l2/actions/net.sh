#!/bin/sh
# Bring up the NICs lab.net_ifs (comma list, default eth0) with DHCP: load the NIC drivers,
# udhcpc on each, show the driver (eth0: "L2-ETHTOOL ...", others "L2-ETHTOOL-ethN ...") and
# the lease ("L2-DHCP ethN ip=... router=... dns=..."), its interrupt ("L2-IRQ ethN IO-APIC
# 19-edge eth0": /proc/interrupts' chip, pin-type, name). "L2-NET OK ADDRS" when all got one,
# after "L2-NET-TIMES" (the guest's uptime when the drivers were loaded, each NIC up, each lease).
ifs=eth0
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case "$arg" in lab.net_ifs=*) ifs=$(echo "${arg#lab.net_ifs=}" | tr ',' ' ') ;; esac
done
up() { cut -d' ' -f1 /proc/uptime; }
times="start=$(up)"
for m in e1000 virtio_pci virtio_net; do modprobe "$m" 2>/dev/null; done
times="$times modprobe=$(up)"
ifconfig lo 127.0.0.1 up
addrs=""
for ifc in $ifs; do
	i=0
	while [ ! -e "/sys/class/net/$ifc" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	if [ ! -e "/sys/class/net/$ifc" ]; then
		echo "L2-NET FAIL no $ifc ($(ls /sys/class/net | tr '\n' ' '))"
		exit 1
	fi
	times="$times $ifc-seen=$(up)"
	ifconfig "$ifc" up
	times="$times $ifc-up=$(up)"
	if [ "$ifc" = eth0 ]; then p="L2-ETHTOOL "; else p="L2-ETHTOOL-$ifc "; fi
	ethtool -i "$ifc" | sed "s/^/$p/"
	if ! udhcpc -i "$ifc" -n -q -t 5 -T 2; then
		echo "L2-NET FAIL dhcp $ifc"
		exit 1
	fi
	times="$times $ifc-lease=$(up)"
	# its interrupt's line: named after the interface (e1000) or the virtio device (virtio0
	# with INTx, virtio0-input.0 ... with MSI-X)
	d=$(basename "$(readlink "/sys/class/net/$ifc/device")")
	echo "L2-IRQ $ifc $(awk -v i="$ifc" -v d="$d" '$NF == i || $NF == d || index($NF, d "-") == 1 {
		print $(NF - 2), $(NF - 1), $NF; exit }' /proc/interrupts)"
	addrs="$addrs $ifc=$(ip -4 addr show "$ifc" | awk '/inet /{print $2}')"
done
echo "L2-NET-TIMES $times"
echo "L2-NET OK${addrs}"
