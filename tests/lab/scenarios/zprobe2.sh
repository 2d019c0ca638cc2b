#!/bin/bash
. "$(dirname "$0")/lib.sh"
for vmm in skiff qemu; do
l2_run "zp-$vmm" "$vmm" -enable-kvm -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic -m 256M -smp 1 -append "$L2_APPEND lab.action=dmesg,poweroff"
grep -iE "clocksource|clockevent|hrtimer|nohz|NO_HZ|apic|tsc|timer|HPET|hpet|acpi_pm|PIT|periodic|oneshot|highres" "$L2_LOG" | grep L2-DMESG | head -60
done
