#!/bin/sh
# iperf3 server on port 5201 (needs the net or static action first): one session, N with
# lab.iperf3_sessions=N, or with lab.iperf3_sessions=0 any number; in every case until
# lab.iperf3_wait seconds (default 60) pass at the latest.
n=1 wait=60
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.iperf3_sessions=*) n=${arg#lab.iperf3_sessions=} ;;
	lab.iperf3_wait=*) wait=${arg#lab.iperf3_wait=} ;;
	esac
done
echo "L2-IPERF3-UP"
if [ "$n" = 0 ]; then
	timeout "$wait" iperf3 -s
else
	end=$(($(cut -d. -f1 /proc/uptime) + wait))
	while [ "$n" -gt 0 ]; do
		left=$((end - $(cut -d. -f1 /proc/uptime)))
		[ "$left" -gt 0 ] || break
		timeout "$left" iperf3 -s -1
		n=$((n - 1))
	done
fi
