#!/bin/sh
# -netdev user checks (after net): TCP to the lab host's loopback through 10.0.2.2:lab.tcp_port
# (default 7777; the lab host answers "lab-host-tcp-ok"), DNS lookup of lab.dns_name (default
# labhost.skiff.test) through 10.0.2.3, an httpd on :80 and a UDP receiver on :5555 (hostfwd
# targets). Prints L2-TCP, L2-DNS, then L2-USER-READY, "L2-UDP-RX <datagram>" for each datagram
# and returns when a datagram "bye" arrives or after lab.user_secs (default 40).
port=7777 name=labhost.skiff.test secs=40
# shellcheck disable=SC2013
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	lab.tcp_port=*) port=${arg#lab.tcp_port=} ;;
	lab.dns_name=*) name=${arg#lab.dns_name=} ;;
	lab.user_secs=*) secs=${arg#lab.user_secs=} ;;
	esac
done
r=$(timeout 15 socat -u "TCP:10.0.2.2:$port,connect-timeout=6" STDOUT 2>&1 | head -n1)
if [ "$r" = lab-host-tcp-ok ]; then echo "L2-TCP OK $r"; else echo "L2-TCP FAIL ${r:-no reply}"; fi
out=$(timeout 15 nslookup "$name" 10.0.2.3 2>&1)
echo "$out" | sed 's/^/L2-DNS-OUT /'
addr=$(echo "$out" | awk -v n="$name" '$1 == "Name:" && $2 == n { f = 1; next } f && $1 == "Address:" { print $2; exit }')
echo "L2-DNS name=$name addr=${addr:-none}"
mkdir -p /www
echo "hello from the skiff L2 guest ($(uname -r), $(nproc) CPUs)" >/www/index.html
httpd -p 80 -h /www
: >/tmp/udp.txt
socat -u UDP-RECV:5555 OPEN:/tmp/udp.txt,append &
sleep 0.3
echo "L2-USER-READY"
n=0 end=$(($(date +%s) + secs))
while [ "$(date +%s)" -lt "$end" ]; do
	lines=$(wc -l </tmp/udp.txt)
	while [ "$n" -lt "$lines" ]; do
		n=$((n + 1))
		echo "L2-UDP-RX $(sed -n "${n}p" /tmp/udp.txt)"
	done
	grep -q '^bye' /tmp/udp.txt && break
	sleep 0.3
done
