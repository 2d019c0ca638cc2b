#!/bin/bash
# bench [ROUNDS] [VMM_A] [VMM_B]: side-by-side measurements, alternating A B B A per round
# (LAB.md: consecutive lab runs vary a lot). Prints one line per measurement:
#   LAB-BENCH <metric> <vmm> <value>|FAIL <unit>
# metrics: boot_s (VMM start to the guest's L2-INIT-OK), own_mib (the VMM's RSS minus its
# guest-RAM mapping, sampled at L2-INIT-OK), rss_mib (total RSS then). New metrics (iperf3,
# ping) are new measure_* functions called from the loop below; bench/run.sh tabulates any metric.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
rounds=${1:-${LAB_X_BENCH_ROUNDS:-2}}
a=${2:-qemu} b=${3:-skiff}

bench() { echo "LAB-BENCH $*"; }

measure_boot() { # measure_boot VMM RUN
	local vmm=$1 run=$2 rss guest own gsize
	L2_SAMPLE_MEM=1 l2_run "bench-$vmm-$run" "$vmm" -enable-kvm -m 512M -smp 2 \
		-kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -append "$L2_APPEND lab.action=sleep:2,poweroff" \
		-nographic
	if [ -z "$L2_INIT_SECS" ]; then
		bench boot_s "$vmm" FAIL s
		bench own_mib "$vmm" FAIL MiB
		bench rss_mib "$vmm" FAIL MiB
		echo "[bench-$vmm-$run] no init marker: $(why)"
		return
	fi
	bench boot_s "$vmm" "$L2_INIT_SECS" s
	if [ -z "$L2_MEM" ]; then
		bench own_mib "$vmm" FAIL MiB
		bench rss_mib "$vmm" FAIL MiB
		return
	fi
	read -r rss guest own gsize <<<"$L2_MEM"
	echo "[bench-$vmm-$run] smaps: rss ${rss}kB, guest-RAM mapping ${gsize}kB (rss ${guest}kB), own ${own}kB"
	if [ "$gsize" -lt $((512 * 1024 * 9 / 10)) ]; then
		echo "[bench-$vmm-$run] warning: largest anonymous mapping is ${gsize}kB, not ~512M of guest RAM"
	fi
	bench own_mib "$vmm" "$(awk -v k="$own" 'BEGIN { printf "%.1f", k / 1024 }')" MiB
	bench rss_mib "$vmm" "$(awk -v k="$rss" 'BEGIN { printf "%.1f", k / 1024 }')" MiB
}

for ((r = 1; r <= rounds; r++)); do
	i=0
	for vmm in "$a" "$b" "$b" "$a"; do
		i=$((i + 1))
		measure_boot "$vmm" "$r$i"
	done
done
