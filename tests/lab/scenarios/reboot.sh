#!/bin/bash
# reboot VMM: with -no-reboot, a guest reboot makes the VMM exit. Test: noreboot-VMM.
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
