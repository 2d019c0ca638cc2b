#!/bin/sh
# Take eth0 down and up lab.flaps=N times (default 100; run after "static"), each time waiting
# for the carrier: every "up" is the e1000 driver's open (reset, rings, RCTL.EN, first RDT
# write), the step where skiff guests have triple-faulted now and then. "L2-FLAP i" every 10,
# then "L2-FLAP-DONE N".
n=100
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.flaps=*) n=${arg#lab.flaps=} ;;
	esac
done
i=0
while [ "$i" -lt "$n" ]; do
	/bin/ip link set eth0 down
	/bin/ip link set eth0 up
	k=0
	while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $k -lt 50 ]; do sleep 0.05; k=$((k + 1)); done
	i=$((i + 1))
	[ $((i % 10)) != 0 ] || echo "L2-FLAP $i"
done
echo "L2-FLAP-DONE $i"
