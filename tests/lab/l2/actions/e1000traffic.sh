#!/bin/sh
# e1000 under traffic (after static on a tap bridged to the lab host lab.iperf3_server):
# TSO + tx checksum offload on, iperf3 guest->host then host->guest (lab.iperf3_secs each),
# ethtool -S (L2-STATS lines, then L2-STATS-DONE; the lab host reads its tap counters then),
# then a VLAN sub-interface eth0.5 (192.168.5.2/24) pings 192.168.5.33 (L2-VLAN OK|FAIL).
ethtool -K eth0 tso on tx on 2>&1 | sed 's/^/L2-ETHK /'
ethtool -k eth0 | grep -E '^(tcp-segmentation-offload|tx-checksumming|rx-vlan-offload|tx-vlan-offload|rx-vlan-filter):' | sed 's/^/L2-FEATURES /'
echo "L2-TSO-START"
IPERF3_TAG=L2-IPERF3-TX IPERF3_MODE=tcp sh /lab/actions/iperf3-client.sh
IPERF3_TAG=L2-IPERF3-RX IPERF3_MODE=rev sh /lab/actions/iperf3-client.sh
ethtool -S eth0 | sed 's/^/L2-STATS /'
echo "L2-STATS-DONE"
sleep 2
modprobe 8021q 2>&1 | sed "s/^/L2-VLAN-OUT /"
/bin/ip link add link eth0 name eth0.5 type vlan id 5 2>&1 | sed 's/^/L2-VLAN-OUT /'
/bin/ip addr add 192.168.5.2/24 dev eth0.5
/bin/ip link set eth0.5 up
ok=0 i=0
while [ $i -lt 15 ]; do
	if ping -c 1 -W 1 192.168.5.33 >/dev/null 2>&1; then ok=1; break; fi
	i=$((i + 1))
done
if [ $ok = 1 ]; then
	echo "L2-VLAN OK $(ping -c 3 -W 3 192.168.5.33 2>&1 | grep -E 'transmitted' | tr '\n' ' ')"
else
	echo "L2-VLAN FAIL no reply from 192.168.5.33 over eth0.5 in 15 tries"
fi
