#!/bin/bash
# boot VMM: -m 512M -smp 2 boot to the L2 init; the guest sees 2 CPUs and ~512M; poweroff
# ends the VMM with status 0. Tests: boot-VMM, smp-VMM, mem-VMM, poweroff-VMM, and for skiff
# cpuflags-skiff: the guest's /proc/cpuinfo flags under the default CPU model (qemu64) are QEMU's.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
vmm=${1:-qemu}
l2_run "boot-$vmm" "$vmm" -enable-kvm -m 512M -smp 2 -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" \
	-append "$L2_APPEND lab.action=poweroff" -nographic

if ! seen L2-INIT-OK; then
	reason=$(why)
	for t in boot smp mem poweroff; do result "$t-$vmm" FAIL "no L2 init: $reason"; done
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

# Same command line, same lab host: boot:qemu leaves its flags for boot:skiff (a rerun in a new
# lab host boots QEMU for them).
flags=$(fact cpu_flags)
ref=/tmp/lab-cpu-flags-qemu
if [ "$vmm" = qemu ]; then
	[ -z "$flags" ] || echo "$flags" >"$ref"
	exit 0
fi
if [ ! -s "$ref" ]; then
	l2_run "boot-ref-qemu" qemu -enable-kvm -m 512M -smp 2 -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" \
		-append "$L2_APPEND lab.action=poweroff" -nographic
	fact cpu_flags >"$ref"
fi
want=$(cat "$ref")
if [ -z "$flags" ] || [ -z "$want" ]; then
	result "cpuflags-$vmm" FAIL "no flags line (skiff: '${flags:0:40}', QEMU: '${want:0:40}')"
elif [ "$flags" = "$want" ]; then
	result "cpuflags-$vmm" PASS "qemu64 flags as under QEMU ($(wc -w <<<"$flags") flags)"
else
	only_skiff=$(comm -23 <(tr ' ' '\n' <<<"$flags" | sort) <(tr ' ' '\n' <<<"$want" | sort) | xargs)
	only_qemu=$(comm -13 <(tr ' ' '\n' <<<"$flags" | sort) <(tr ' ' '\n' <<<"$want" | sort) | xargs)
	result "cpuflags-$vmm" FAIL "only under skiff: ${only_skiff:-none}; only under QEMU: ${only_qemu:-none}"
fi
