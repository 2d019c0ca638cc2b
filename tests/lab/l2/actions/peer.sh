#!/bin/sh
# Ping each of lab.peer=IP[,IP...]: retry one ping a second until the first reply (the peer may
# still be booting; up to lab.peer_secs, default 45), then "ping -c 3". Prints
# "L2-PING IP OK <rtt summary>" or "L2-PING IP FAIL ...".
peers="" secs=45
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.peer=*) peers=$(echo "${arg#lab.peer=}" | tr ',' ' ') ;;
	lab.peer_secs=*) secs=${arg#lab.peer_secs=} ;;
	esac
done
rc=0
for p in $peers; do
	end=$(($(date +%s) + secs)) ok=0
	while [ "$(date +%s)" -lt "$end" ]; do
		if ping -c 1 -W 1 "$p" >/dev/null 2>&1; then ok=1; break; fi
		sleep 0.5
	done
	if [ "$ok" = 1 ]; then
		out=$(ping -c 3 -W 3 "$p" 2>&1)
		echo "L2-PING $p OK $(echo "$out" | grep -E 'transmitted|round-trip' | tr '\n' ' ')"
	else
		echo "L2-PING $p FAIL no reply in ${secs}s"
		rc=1
	fi
done
exit $rc
