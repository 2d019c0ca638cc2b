#!/bin/sh
# Static address: lab.ip=A.B.C.D/N on lab.static_if (default eth0); loads the NIC drivers.
# Prints "L2-STATIC-UP IF ADDR" (or L2-STATIC FAIL) and the driver as L2-ETHTOOL lines.
ifc=eth0 addr=""
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.ip=*) addr=${arg#lab.ip=} ;;
	lab.static_if=*) ifc=${arg#lab.static_if=} ;;
	esac
done
for m in e1000 virtio_pci virtio_net; do modprobe "$m" 2>/dev/null; done
/bin/ip link set lo up
i=0
while [ ! -e "/sys/class/net/$ifc" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -e "/sys/class/net/$ifc" ] || [ -z "$addr" ]; then
	echo "L2-STATIC FAIL no $ifc or no lab.ip"
	exit 1
fi
ethtool -i "$ifc" | sed 's/^/L2-ETHTOOL /'
/bin/ip addr add "$addr" dev "$ifc"
/bin/ip link set "$ifc" up
i=0
while [ "$(cat "/sys/class/net/$ifc/carrier" 2>/dev/null)" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
echo "L2-STATIC-UP $ifc $addr mac=$(cat "/sys/class/net/$ifc/address") carrier=$(cat "/sys/class/net/$ifc/carrier" 2>/dev/null)"
