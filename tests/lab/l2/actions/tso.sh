#!/bin/sh
# TCP guest -> lab.iperf3_server with TSO on, then off (ethtool -K eth0 tso on|off), for
# lab.iperf3_secs each: "L2-IPERF3-TSO-ON mbit=.." and "L2-IPERF3-TSO-OFF mbit=.." (or FAIL),
# and the offload state the driver reports for each ("L2-TSO-STATE on|off"). Leaves TSO on.
for state in on off; do
	ethtool -K eth0 tso "$state" 2>&1 | sed 's/^/L2-TSO-ETHTOOL /'
	echo "L2-TSO-STATE $(ethtool -k eth0 | sed -n 's/^tcp-segmentation-offload: //p')"
	tag=L2-IPERF3-TSO-$(echo "$state" | tr a-z A-Z)
	IPERF3_TAG=$tag sh /lab/actions/iperf3-client.sh
done
ethtool -K eth0 tso on >/dev/null 2>&1
