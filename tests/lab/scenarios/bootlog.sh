#!/bin/bash
# bootlog [VMM...]: boot the L2 kernel without "quiet" (timestamped printk) under each VMM
# (default: qemu skiff) and power off: the console shows where boot time goes; skiff also
# prints the exits it handled per address (SKIFF_EXIT_STATS=1). A diagnosis aid, no verdict.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || set -- qemu skiff
export SKIFF_EXIT_STATS=1
for vmm in "$@"; do
	l2_run "bootlog-$vmm" "$vmm" -enable-kvm -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic \
		-m 256M -smp 1 -append "console=ttyS0 panic=-1 printk.time=1 lab.action=poweroff"
	echo "LAB-BOOTLOG $vmm init_s=${L2_INIT_SECS:-never} total_s=$L2_SECS rc=$L2_RC"
done
