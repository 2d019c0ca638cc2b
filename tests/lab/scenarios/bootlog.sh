#!/bin/bash
# bootlog [VMM...]: boot the L2 kernel without "quiet" (timestamped printk) under each VMM
# (default: qemu skiff) and power off: the console shows where boot time goes; skiff also
# prints the exits it handled per address (SKIFF_EXIT_STATS=1). Then the bench's boot (quiet,
# -m 512M -smp 2). Each line gives the wall time to init and the guest's own uptime
# there: the difference is spent before the kernel's clock starts (VMM set-up, firmware,
# decompression). VMM may be a spec, VMM@VAR=VALUE; LAB_CPU=MODEL boots it with -cpu MODEL. A
# diagnosis aid, no verdict.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || set -- qemu skiff
export SKIFF_EXIT_STATS=1
for spec in "$@"; do
	spec_env "$spec"
	l2_run "bootlog-$vmm" "$vmm" -enable-kvm -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic \
		-m 512M -smp 2 "${spec_cpu[@]}" -append "console=ttyS0 panic=-1 printk.time=1 lab.action=poweroff"
	echo "LAB-BOOTLOG $spec verbose init_s=${L2_INIT_SECS:-never} guest_uptime_s=$(fact uptime_s) total_s=$L2_SECS rc=$L2_RC"
	SKIFF_DEBUG=1 l2_run "bootlog-quiet-$vmm" "$vmm" -enable-kvm -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic \
		-m 512M -smp 2 "${spec_cpu[@]}" -append "$L2_APPEND lab.action=dmesg,poweroff"
	echo "LAB-BOOTLOG $spec quiet init_s=${L2_INIT_SECS:-never} guest_uptime_s=$(fact uptime_s) total_s=$L2_SECS rc=$L2_RC"
	spec_env_clear
done
