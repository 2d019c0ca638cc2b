#!/bin/sh
# iperf3 server on port 5201 (needs the net or static action first): one session, or with
# lab.iperf3_sessions=0 any number until lab.iperf3_wait seconds (default 60) pass.
n=1 wait=60
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.iperf3_sessions=*) n=${arg#lab.iperf3_sessions=} ;;
	lab.iperf3_wait=*) wait=${arg#lab.iperf3_wait=} ;;
	esac
done
echo "L2-IPERF3-UP"
if [ "$n" = 1 ]; then
	timeout "$wait" iperf3 -s -1
else
	timeout "$wait" iperf3 -s
fi
