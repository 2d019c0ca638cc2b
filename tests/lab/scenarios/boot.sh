#!/bin/bash
# boot VMM: -m 512M -smp 2 boot to the L2 init; the guest sees 2 CPUs and ~512M; poweroff
# ends the VMM with status 0. Tests: boot-VMM, smp-VMM, mem-VMM, poweroff-VMM, and for skiff
# cpuflags-skiff: the guest's /proc/cpuinfo flags under the default CPU model (qemu64) are QEMU's;
# tick-VMM: the guest's LAPIC timer runs one-shot under high-resolution timers (tickless idle), as
# under QEMU (skiff's machine has no HPET: this needs ARAT, src/vm/cpuid.c);
# kaslr-skiff: the kernel skiff enters without its decompressor is still randomised (virtual
# _text and physical "Kernel code" both at their link addresses: 1 chance in ~40000).
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
vmm=${1:-qemu}
args=(-enable-kvm -m 512M -smp 2 -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD"
	-append "$L2_APPEND lab.action=poweroff" -nographic)
l2_run "boot-$vmm" "$vmm" "${args[@]}"

if ! seen L2-INIT-OK; then
	reason=$(why)
	for t in boot smp mem poweroff tick; do result "$t-$vmm" FAIL "no L2 init: $reason"; done
	[ "$vmm" = qemu ] || result "cpuflags-$vmm" FAIL "no L2 init: $reason"
	[ "$vmm" = qemu ] || result "kaslr-$vmm" FAIL "no L2 init: $reason"
	exit 0
fi
result "boot-$vmm" PASS "init after ${L2_INIT_SECS}s"

n=$(fact nproc)
if [ "$n" = 2 ]; then result "smp-$vmm" PASS "nproc=2"; else result "smp-$vmm" FAIL "nproc=${n:-?}, want 2"; fi

kb=$(fact memtotal_kb)
# MemTotal excludes the kernel image, reserved and firmware areas: accept 80%..100% of -m.
if [ -n "$kb" ] && [ "$kb" -ge $((512 * 1024 * 80 / 100)) ] && [ "$kb" -le $((512 * 1024)) ]; then
	result "mem-$vmm" PASS "MemTotal=${kb}kB for -m 512M"
else
	result "mem-$vmm" FAIL "MemTotal=${kb:-?}kB, want 80..100% of 524288kB"
fi

if seen L2-POWEROFF && [ "$L2_RC" = 0 ]; then
	result "poweroff-$vmm" PASS "exit status 0 after ${L2_SECS}s"
else
	result "poweroff-$vmm" FAIL "$(why)"
fi

hres=$(fact hres_active | tr -d '\r') handler=$(fact lapic_handler | tr -d '\r')
if [ "$hres" = 1 ] && [ "$handler" = hrtimer_interrupt ]; then
	result "tick-$vmm" PASS "high-resolution timers on a one-shot LAPIC timer"
else
	result "tick-$vmm" FAIL "hres_active=${hres:-?}, LAPIC timer handler ${handler:-?} (a periodic tick)"
fi

text=$(fact kernel_text | tr -d '\r') code=$(fact kernel_code | tr -d '\r')
echo "[boot] $vmm kernel: _text=$text code=$code"
if [ "$vmm" != qemu ]; then
	if [ -z "$text" ] || [ -z "$code" ]; then
		result "kaslr-$vmm" FAIL "no _text/Kernel code facts ('$text', '$code')"
	elif [ "$text" = ffffffff81000000 ] && [ "${code%%-*}" = 01000000 ]; then
		result "kaslr-$vmm" FAIL "kernel at its link addresses: _text=$text, code at $code"
	else
		result "kaslr-$vmm" PASS "_text=$text, Kernel code at ${code%%-*}"
	fi
fi

# Same command line, same lab host: boot:qemu leaves its flags for boot:skiff.
cpuflags_vs_qemu "$vmm" "cpuflags-$vmm" /tmp/lab-cpu-flags-qemu64 "${args[@]}"
