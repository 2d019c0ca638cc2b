#!/bin/bash
# bigcpu VMM: -m 8G -smp 4 -cpu IvyBridge boots; the guest sees 4 CPUs, ~8G, family 6 model 58.
# Tests: bigboot-VMM, cpumodel-VMM, bigsmp-VMM, bigmem-VMM, and for skiff cpuflags-ivybridge-skiff:
# the guest's CPU flags are what QEMU's IvyBridge guest lists (the seed notes' -cpu).
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
vmm=${1:-qemu}
args=(-enable-kvm -m 8G -smp 4 -cpu IvyBridge -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD"
	-append "$L2_APPEND lab.action=poweroff" -nographic)
l2_run "bigcpu-$vmm" "$vmm" "${args[@]}"

if ! seen L2-INIT-OK; then
	reason=$(why)
	for t in bigboot cpumodel bigsmp bigmem; do result "$t-$vmm" FAIL "no L2 init: $reason"; done
	[ "$vmm" = qemu ] || result "cpuflags-ivybridge-$vmm" FAIL "no L2 init: $reason"
	exit 0
fi
result "bigboot-$vmm" PASS "init after ${L2_INIT_SECS}s"

fam=$(fact cpu_family) model=$(fact cpu_model) name=$(fact model_name)
if [ "$fam" = 6 ] && [ "$model" = 58 ]; then
	result "cpumodel-$vmm" PASS "family 6 model 58 ($name)"
else
	result "cpumodel-$vmm" FAIL "family ${fam:-?} model ${model:-?} ($name), want 6/58"
fi

n=$(fact nproc)
if [ "$n" = 4 ]; then result "bigsmp-$vmm" PASS "nproc=4"; else result "bigsmp-$vmm" FAIL "nproc=${n:-?}, want 4"; fi

kb=$(fact memtotal_kb) want=$((8 * 1024 * 1024))
if [ -n "$kb" ] && [ "$kb" -ge $((want * 85 / 100)) ] && [ "$kb" -le "$want" ]; then
	result "bigmem-$vmm" PASS "MemTotal=${kb}kB for -m 8G"
else
	result "bigmem-$vmm" FAIL "MemTotal=${kb:-?}kB, want 85..100% of ${want}kB"
fi

cpuflags_vs_qemu "$vmm" "cpuflags-ivybridge-$vmm" /tmp/lab-cpu-flags-ivybridge "${args[@]}"
