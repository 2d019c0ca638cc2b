#!/bin/sh
# Bring up eth0 with DHCP: load the NIC drivers, udhcpc, show the driver and address.
for m in e1000 virtio_pci virtio_net; do modprobe "$m" 2>/dev/null; done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -e /sys/class/net/eth0 ]; then
	echo "L2-NET FAIL no eth0"
	exit 1
fi
ifconfig lo 127.0.0.1 up
ifconfig eth0 up
ethtool -i eth0 | sed 's/^/L2-ETHTOOL /'
if udhcpc -i eth0 -n -q -t 5 -T 2; then
	echo "L2-NET OK $(ip -4 addr show eth0 | awk '/inet /{print $2}')"
else
	echo "L2-NET FAIL dhcp"
	exit 1
fi
