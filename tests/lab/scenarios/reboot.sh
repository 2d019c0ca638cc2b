#!/bin/bash
# reboot VMM: with -no-reboot, a guest reboot makes the VMM exit; without it the guest boots
# again (its init reboots every time, so the run ends at its time limit after two boots).
# Then a guest that reboots by triple fault (Linux's reboot=t): the VMM reports it and, with the
# lab's trace on (LAB_TF_TRACE=1, make lab-check), L1 KVM's snapshot holds its shutdown exit,
# which shows that the catcher for the open triple-fault problem works (l1/init).
# Tests: noreboot-VMM, reboot-VMM, triplefault-VMM (and quitreport-skiff, below).
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
vmm=${1:-qemu}
l2_run "reboot-$vmm" "$vmm" -enable-kvm -m 256M -smp 1 -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" \
	-append "$L2_APPEND lab.action=reboot" -nographic -no-reboot

if ! seen L2-REBOOT; then
	result "noreboot-$vmm" FAIL "guest never rebooted: $(why)"
elif [ "$L2_RC" = 124 ] || [ "$L2_RC" = 137 ]; then
	result "noreboot-$vmm" FAIL "VMM still running ${LAB_L2_TIMEOUT}s after the guest rebooted"
else
	result "noreboot-$vmm" PASS "exited with status $L2_RC after ${L2_SECS}s"
fi

LAB_L2_TIMEOUT=${LAB_REBOOT_TIMEOUT:-45} l2_run "restart-$vmm" "$vmm" -enable-kvm -m 256M -smp 1 \
	-kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -append "$L2_APPEND lab.action=reboot" -nographic
boots=$(grep -c L2-INIT-OK "$L2_LOG" 2>/dev/null || true)
if [ "${boots:-0}" -ge 2 ]; then
	result "reboot-$vmm" PASS "guest booted $boots times (reboot restarts it)"
else
	result "reboot-$vmm" FAIL "guest booted ${boots:-0} time(s) in ${LAB_REBOOT_TIMEOUT:-45}s: $(why)"
fi

l2_run "triplefault-$vmm" "$vmm" -enable-kvm -m 256M -smp 1 -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" \
	-append "$L2_APPEND reboot=t lab.action=reboot" -nographic -no-reboot
snap=/sys/kernel/tracing/snapshot
if ! seen L2-REBOOT; then
	result "triplefault-$vmm" FAIL "guest never rebooted: $(why)"
elif [ "$vmm" = skiff ] && ! grep -q 'triple fault' "$L2_LOG"; then
	result "triplefault-$vmm" FAIL "no triple fault reported: $(why)"
elif [ "${LAB_TF_TRACE:-0}" != 1 ]; then
	result "triplefault-$vmm" PASS "reported (the lab's trace is off: LAB_TF_TRACE=0)"
elif n=$(grep -vc '^#' "$snap" 2>/dev/null) && [ "$n" -gt 0 ]; then
	# (counted, not "grep | grep -q": under pipefail the early exit is a SIGPIPE failure)
	result "triplefault-$vmm" PASS "reported; L1 KVM's trace snapshot: $n events, last: $(grep 'kvm_exit' "$snap" | tail -n 1 | sed 's/.*kvm_exit: //')"
else
	result "triplefault-$vmm" FAIL "the lab's trace took no snapshot at the shutdown exit"
fi
# This snapshot is checked: clear it so that only unexpected shutdowns are printed (l1/init).
[ -w "$snap" ] && echo 2 >"$snap"

# SIGQUIT (what the lab sends a skiff whose run it gives up on): skiff stops as on SIGTERM,
# after reporting its guest's state (vCPUs, IOAPIC, UART, NICs). Test: quitreport-skiff.
if [ "$vmm" = skiff ]; then
	t=quitreport-$vmm
	l2_bg "$t" "$vmm" -enable-kvm -m 256M -smp 2 -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" \
		-append "$L2_APPEND lab.action=net,sleep:600" -nographic -netdev user,id=n0 -device e1000,netdev=n0
	l2_wait "$t" 'L2-NET (OK|FAIL)' "$LAB_L2_TIMEOUT" || true
	l2_stop "$t" quit
	l2_join "$t"
	miss=""
	for re in "state at the stop" "vCPU 1: (halted|runnable)" "vCPU 0: APIC: highest in service" \
		"ioapic: unmasked pins" "serial 0x3f8: IER" "net: .* \(e1000\): peer n0.*ICR .* RDH/RDT" \
		"net: n0 \(user\): peer"; do
		grep -qE -- "$re" "$L2_LOG" || miss+=" '$re'"
	done
	if ! seen 'L2-NET OK'; then
		result "quitreport-$vmm" FAIL "guest network never came up: $(why)"
	elif [ -n "$miss" ]; then
		result "quitreport-$vmm" FAIL "report lacks$miss (exit status $L2_RC)"
	elif [ "$L2_RC" != 0 ]; then
		result "quitreport-$vmm" FAIL "exit status $L2_RC after SIGQUIT"
	else
		result "quitreport-$vmm" PASS "state reported, exit status 0: $(grep -cE 'skiff: (vCPU|ioapic|serial|net|  -)' "$L2_LOG") lines"
	fi
fi
