#!/bin/sh
# iperf3 client (needs the net action first): lab.iperf3_server (default 10.0.2.2, the user
# network's host, i.e. the lab host's loopback) for lab.iperf3_secs seconds (default 5).
# Prints "L2-IPERF3 mbit=N" (receiver side) or "L2-IPERF3 FAIL".
server=10.0.2.2 secs=5
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.iperf3_server=*) server=${arg#lab.iperf3_server=} ;;
	lab.iperf3_secs=*) secs=${arg#lab.iperf3_secs=} ;;
	esac
done
out=$(iperf3 -c "$server" -t "$secs" -f m 2>&1)
echo "$out" | sed 's/^/L2-IPERF3-OUT /'
mbit=$(echo "$out" | awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") v = $i } END { print v }')
if [ -n "$mbit" ]; then
	echo "L2-IPERF3 mbit=$mbit"
else
	echo "L2-IPERF3 FAIL"
	exit 1
fi
