#!/bin/sh
# e1000 self-diagnostics on eth0 (no traffic on it): ethtool -t offline and online, -e, -d.
# Lines: L2-ETEST-OFF..., L2-ETEST-ON..., L2-EEPROM..., L2-REGS..., then L2-DIAG-END.
modprobe e1000 2>/dev/null
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
/bin/ip link set eth0 up
i=0
while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
echo "L2-DIAG mac=$(cat /sys/class/net/eth0/address)"
timeout 60 ethtool -t eth0 offline 2>&1 | sed 's/^/L2-ETEST-OFF /'
i=0
while [ "$(cat /sys/class/net/eth0/carrier 2>/dev/null)" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
timeout 30 ethtool -t eth0 online 2>&1 | sed 's/^/L2-ETEST-ON /'
ethtool -e eth0 2>&1 | sed 's/^/L2-EEPROM /'
ethtool -d eth0 2>&1 | sed 's/^/L2-REGS /'
echo "L2-DIAG-END"
