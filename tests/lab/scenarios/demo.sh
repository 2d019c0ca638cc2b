#!/bin/bash
# demo [VMM] [NET]: the README's demo guest. NET is 1 (e1000 + user networking with
# hostfwd tcp::8080-:80, guest httpd, curl from the lab host), 0, or auto (default: on when
# "VMM -device help" lists e1000). Run with a terminal (run-lab.sh tty:demo...) it gives the
# user the guest's shell; without one it runs the scripted demo and reports demo-* results.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
vmm=${1:-skiff}
net=${2:-auto}
vmm_prefix "$vmm"
if ! have_vmm "$vmm"; then
	result demo-boot FAIL "no VMM binary ${VMM_PREFIX[0]}"
	exit 0
fi
if [ "$net" = auto ]; then
	if timeout 10 "${VMM_PREFIX[@]}" -device help 2>&1 | grep -q '"e1000"'; then net=1; else net=0; fi
fi
args=(-enable-kvm -m 512M -smp 2 -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic)
if [ "$net" = 1 ]; then
	dev=e1000,netdev=n0
	[ "$vmm" = qemu ] && dev=$dev,romfile=
	args+=(-netdev "user,id=n0,hostfwd=tcp::8080-:80" -device "$dev")
fi
echo "LAB-DEMO vmm=$vmm net=$net"

if [ -t 0 ]; then
	steps=shell
	[ "$net" = 1 ] && steps=net,httpd,shell
	echo "LAB-DEMO interactive: you get the guest's shell; 'exit' powers the guest off, then the lab."
	[ "$net" = 1 ] && echo "LAB-DEMO the guest serves http on port 80 (forwarded to the lab host's 127.0.0.1:8080)"
	"${VMM_PREFIX[@]}" "${args[@]}" -append "$L2_APPEND lab.action=$steps lab.httpd_secs=0"
	echo "LAB-DEMO $vmm exited with status $?"
	exit 0
fi

if [ "$net" != 1 ]; then
	l2_run demo "$vmm" "${args[@]}" -append "$L2_APPEND lab.action=poweroff"
	if seen L2-INIT-OK && [ "$L2_RC" = 0 ]; then
		result demo-boot PASS "guest up in ${L2_INIT_SECS}s: $(fact nproc) CPUs, $(fact memtotal_kb) kB; networking off"
	else
		result demo-boot FAIL "$(why)"
	fi
	exit 0
fi

rm -f /tmp/l2-demo.rc
(
	l2_run demo "$vmm" "${args[@]}" -append "$L2_APPEND lab.action=net,httpd lab.httpd_secs=10"
	echo "$L2_RC" >/tmp/l2-demo.rc
) &
bg=$!
for ((i = 0; i < LAB_L2_TIMEOUT * 2; i++)); do
	grep -q -e L2-HTTPD-UP -e L2-NET.FAIL /tmp/l2-demo.log 2>/dev/null && break
	kill -0 "$bg" 2>/dev/null || break
	sleep 0.5
done
body=""
if grep -q L2-HTTPD-UP /tmp/l2-demo.log 2>/dev/null; then
	echo "LAB-DEMO \$ curl http://127.0.0.1:8080/"
	body=$(curl -sS --max-time 15 http://127.0.0.1:8080/ 2>&1)
	echo "LAB-DEMO $body"
fi
wait "$bg"
L2_LOG=/tmp/l2-demo.log
L2_RC=$(cat /tmp/l2-demo.rc 2>/dev/null || echo '?')
if seen L2-INIT-OK; then result demo-boot PASS "guest booted"; else result demo-boot FAIL "no L2 init: $(why)"; fi
if [[ $body == hello* ]]; then
	result demo-http PASS "curl 127.0.0.1:8080 -> guest httpd: $body"
else
	result demo-http FAIL "curl 127.0.0.1:8080 got '${body:0:100}' ($(grep -m1 L2-NET "$L2_LOG" || echo no L2-NET line))"
fi
