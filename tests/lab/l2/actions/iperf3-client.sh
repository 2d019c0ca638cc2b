#!/bin/sh
# iperf3 client (needs the net or static action first): lab.iperf3_server (default 10.0.2.2, the
# user network's host, i.e. the lab host's loopback) for lab.iperf3_secs seconds (default 5);
# lab.iperf3_mode=tcp (default), rev (-R: server sends), udp64 (-u -l 64 -b 0). Retries while
# the server is not listening yet (up to 5 times). Prints "L2-IPERF3 mbit=N bytes=B" (receiver
# side; udp64 also pps=) or "L2-IPERF3 FAIL".
server=10.0.2.2 secs=5 mode=tcp
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.iperf3_server=*) server=${arg#lab.iperf3_server=} ;;
	lab.iperf3_secs=*) secs=${arg#lab.iperf3_secs=} ;;
	lab.iperf3_mode=*) mode=${arg#lab.iperf3_mode=} ;;
	esac
done
# Callers inside the guest may override (IPERF3_SERVER, IPERF3_SECS, IPERF3_MODE) and name the
# result line (IPERF3_TAG, default L2-IPERF3).
server=${IPERF3_SERVER:-$server} secs=${IPERF3_SECS:-$secs} mode=${IPERF3_MODE:-$mode}
tag=${IPERF3_TAG:-L2-IPERF3}
case "$mode" in
rev) opts="-R" ;;
udp64) opts="-u -l 64 -b 0" ;;
*) opts="" ;;
esac
for try in 1 2 3 4 5; do
	# shellcheck disable=SC2086
	out=$(iperf3 -c "$server" -t "$secs" -f m $opts 2>&1)
	echo "$out" | grep -q 'unable to connect\|Connection refused\|No route' || break
	echo "$tag-RETRY $try: $(echo "$out" | tail -n1)"
	sleep 2
done
echo "$out" | sed "s/^/$tag-OUT /"
set -- $(echo "$out" | awk '/receiver/ {
	for (i = 1; i < NF; i++) {
		if ($(i + 1) == "Mbits/sec") v = $i
		if ($(i + 1) == "MBytes") b = $i * 1048576
		if ($(i + 1) == "GBytes") b = $i * 1073741824
		if ($(i + 1) == "KBytes") b = $i * 1024
		if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, lt, "/"); pk = lt[2] - lt[1] }
		if ($i ~ /^[0-9.]+-[0-9.]+$/) { split($i, tt, "-"); d = tt[2] - tt[1] }
	}
} END { if (v != "") printf "%s %d %s\n", v, b, (pk != "" && d > 0) ? sprintf("%.0f", pk / d) : "" }')
if [ -n "${1:-}" ]; then
	echo "$tag mbit=$1 bytes=$2${3:+ pps=$3}"
else
	echo "$tag FAIL"
	exit 1
fi
