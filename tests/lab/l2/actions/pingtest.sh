#!/bin/sh
# RTT samples: after one warm-up ping (ARP, first-packet delays), lab.ping_count (default 20)
# pings to lab.ping_target, 0.2 s apart. Prints "L2-PINGTEST target=T rtts=ms,ms,..." .
target=10.0.2.2 count=20
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.ping_target=*) target=${arg#lab.ping_target=} ;;
	lab.ping_count=*) count=${arg#lab.ping_count=} ;;
	esac
done
ping -c 1 -W 5 "$target" >/dev/null 2>&1
out=$(ping -c "$count" -i 0.2 -W 3 "$target" 2>&1)
echo "$out" | grep -q 'time=' || out=$(ping -c 10 -W 3 "$target" 2>&1)
echo "L2-PINGTEST target=$target rtts=$(echo "$out" | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | tr '\n' ',' | sed 's/,$//')"
