#!/bin/bash
# make demo: boot the demo guest with skiff. Directly on this machine when /dev/kvm can run a
# Linux guest (hardware KVM), else inside the nested lab (tests/lab/README.md); says which.
# With a terminal you get the guest's shell; without one (CI, scripts) the scripted demo runs
# and the exit status says whether it worked.
#   DEMO_NET=auto|1|0    guest networking (e1000 + -netdev user,hostfwd=tcp::8080-:80, guest
#                        httpd, curl http://127.0.0.1:8080/); auto: when skiff lists e1000
#   DEMO_MODE=auto|direct|lab     force where it runs
#   DEMO_VMM=skiff|qemu  the VMM (qemu shows what the demo should look like)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
LAB=$REPO/tests/lab
net=${DEMO_NET:-auto}
mode=${DEMO_MODE:-auto}
vmm=${DEMO_VMM:-skiff}
say() { printf 'demo: %s\n' "$*" >&2; }

# Can /dev/kvm here run a Linux guest? Needs hardware virtualisation: not kvm_pvm (LAB.md).
kvm_problem() {
	if [ ! -c /dev/kvm ]; then
		echo "no /dev/kvm$([ -d /sys/module/kvm_pvm ] && echo ' (and the kvm module here is kvm_pvm, no hardware virtualisation)')"
	elif [ -d /sys/module/kvm_pvm ]; then
		echo "/dev/kvm is kvm_pvm (paravirtual, no hardware virtualisation: Linux guests never finish booting)"
	elif ! grep -qw -e svm -e vmx /proc/cpuinfo; then
		echo "the CPU shows no svm/vmx"
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "/dev/kvm is not accessible to $(id -un)"
	fi
}

why_direct="DEMO_MODE=direct"
if [ "$mode" = auto ]; then
	problem=$(kvm_problem)
	if [ -z "$problem" ]; then mode=direct; else mode=lab; fi
	why_direct="/dev/kvm has hardware virtualisation"
fi
interactive=0
[ -t 0 ] && [ -t 1 ] && interactive=1

if [ "$vmm" = skiff ] && [ ! -x "$REPO/build/skiff" ]; then
	say "no build/skiff: run 'make' first"
	exit 1
fi

if [ "$mode" = lab ]; then
	say "${problem:-DEMO_MODE=lab}: running the demo inside the nested lab (QEMU TCG lab host with KVM, tests/lab/README.md)"
	make -s -C "$LAB" images
	if [ "$interactive" = 1 ]; then
		say "interactive: the lab boots (~5 s), then $vmm boots the guest (~10-20 s) and you get its shell"
		say "'exit' in the guest powers it off and ends the lab"
		exec "$LAB/run-lab.sh" --timeout 0 "tty:demo:$vmm:$net"
	fi
	say "no terminal: running the scripted demo"
	results=$(mktemp)
	trap 'rm -f "$results"' EXIT
	rc=0
	LAB_VERBOSE=1 "$LAB/run-lab.sh" --timeout 300 --results "$results" "demo:$vmm:$net" || rc=$?
	if [ "$rc" != 0 ] || ! grep -q ' PASS ' "$results" || grep -q ' FAIL ' "$results"; then
		say "FAILED"
		exit 1
	fi
	say "OK"
	exit 0
fi

# Direct: hardware KVM on this machine, the lab's L2 kernel and initramfs.
say "$why_direct: running $vmm directly on this machine"
make -s -C "$LAB" kernel out/l2-initrd.cpio
cmd=("$REPO/build/skiff")
[ "$vmm" = qemu ] && cmd=(qemu-system-x86_64 -vga none -nic none)
if [ "$net" = auto ]; then
	if "${cmd[@]}" -device help 2>&1 | grep -q '"e1000"'; then net=1; else net=0; fi
fi
args=(-enable-kvm -m 512M -smp 2 -kernel "$LAB/cache/kernel/bzImage" -initrd "$LAB/out/l2-initrd.cpio" -nographic)
if [ "$net" = 1 ]; then
	dev=e1000,netdev=n0
	[ "$vmm" = qemu ] && dev=$dev,romfile=
	args+=(-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:8080-:80" -device "$dev")
fi
append="console=ttyS0 quiet panic=-1"
if [ "$interactive" = 1 ]; then
	steps=shell
	[ "$net" = 1 ] && steps=net,httpd,shell && say "guest httpd: curl http://127.0.0.1:8080/ from another terminal"
	say "you get the guest's shell; 'exit' powers it off (Ctrl-A x also quits)"
	exec "${cmd[@]}" "${args[@]}" -append "$append lab.action=$steps lab.httpd_secs=0"
fi
if [ "$net" != 1 ]; then
	timeout 120 "${cmd[@]}" "${args[@]}" -append "$append lab.action=poweroff" </dev/null
	say "OK (networking off)"
	exit 0
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
timeout 120 "${cmd[@]}" "${args[@]}" -append "$append lab.action=net,httpd lab.httpd_secs=15" \
	</dev/null >"$log" 2>&1 &
pid=$!
for _ in $(seq 120); do
	grep -q -e L2-HTTPD-UP -e L2-NET.FAIL "$log" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.5
done
body=$(curl -sS --max-time 10 http://127.0.0.1:8080/ 2>&1 || true)
wait "$pid" || true
tr -d '\r' <"$log"
say "curl http://127.0.0.1:8080/ -> $body"
[[ $body == hello* ]] || { say "FAILED"; exit 1; }
say "OK"
