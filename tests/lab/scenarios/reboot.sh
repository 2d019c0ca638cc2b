#!/bin/bash
# reboot VMM: with -no-reboot, a guest reboot makes the VMM exit; without it the guest boots
# again (its init reboots every time, so the run ends at its time limit after two boots).
# Tests: noreboot-VMM, reboot-VMM.
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
