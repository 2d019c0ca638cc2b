#!/bin/sh
# Watch eth0's link from the guest: bring it up (lab.ip=A.B.C.D/N optional), then for
# lab.carrier_secs seconds (default 90) print "L2-CARRIER <0|1> <ip link flags>" at start and at
# every change: what `ip link` shows when the backend's link goes down or up.
ifc=eth0 addr="" secs=90
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.ip=*) addr=${arg#lab.ip=} ;;
	lab.carrier_secs=*) secs=${arg#lab.carrier_secs=} ;;
	esac
done
for m in e1000 virtio_pci virtio_net; do modprobe "$m" 2>/dev/null; done
i=0
while [ ! -e "/sys/class/net/$ifc" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -n "$addr" ] && /bin/ip addr add "$addr" dev "$ifc"
/bin/ip link set "$ifc" up
last=x
end=$(($(cut -d. -f1 /proc/uptime) + secs))
while [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
	c=$(cat "/sys/class/net/$ifc/carrier" 2>/dev/null || echo "?")
	if [ "$c" != "$last" ]; then
		echo "L2-CARRIER $c $(/bin/ip link show "$ifc" | head -n1 | sed 's/^[0-9]*: //; s/ qlen.*//')"
		last=$c
	fi
	sleep 0.2
done
