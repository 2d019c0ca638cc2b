#!/bin/bash
# bench [ROUNDS] [VMM_A] [VMM_B] [NET]: side-by-side measurements, alternating A B B A per round
# (LAB.md: consecutive lab runs vary a lot). Prints one line per measurement:
#   LAB-BENCH <metric> <vmm> <value>|FAIL <unit>
# metrics: boot_s (VMM start to the guest's L2-INIT-OK), own_mib (the VMM's RSS minus its
# guest-RAM mapping, sampled at L2-INIT-OK), rss_mib (total RSS then), and with NET=1 (auto:
# when VMM_B lists e1000) iperf3_mbit (guest -> lab host over e1000 + -netdev user, same boot).
# New metrics (ping, tap) are more measure_* steps; bench/run.sh tabulates any metric.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
rounds=${1:-${LAB_X_BENCH_ROUNDS:-2}}
a=${2:-qemu} b=${3:-skiff}
net=${4:-${LAB_X_BENCH_NET:-auto}}
if [ "$net" = auto ]; then
	net=0
	if have_vmm "$b" && timeout 10 "${VMM_PREFIX[@]}" -device help 2>&1 | grep -q '"e1000"'; then net=1; fi
fi
echo "[bench] rounds=$rounds A=$a B=$b net=$net"

bench() { echo "LAB-BENCH $*"; }

measure_boot() { # measure_boot VMM RUN
	local vmm=$1 run=$2 rss guest own gsize steps=sleep:2 dev srv mbit
	local netargs=()
	if [ "$net" = 1 ]; then
		dev=e1000,netdev=n0
		[ "$vmm" = qemu ] && dev=$dev,romfile=
		netargs=(-netdev "user,id=n0" -device "$dev")
		steps=net,iperf3-client
		iperf3 -s -1 -p 5201 >"/tmp/iperf3-server-$run.log" 2>&1 &
		srv=$!
	fi
	L2_SAMPLE_MEM=1 l2_run "bench-$vmm-$run" "$vmm" -enable-kvm -m 512M -smp 2 \
		-kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -append "$L2_APPEND lab.action=$steps,poweroff" \
		-nographic "${netargs[@]}"
	if [ "$net" = 1 ]; then
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
		mbit=$(sed -n 's/^L2-IPERF3 mbit=//p' "$L2_LOG")
		bench iperf3_mbit "$vmm" "${mbit:-FAIL}" Mbit/s
	fi
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
	# bench/run.sh only counts complete rounds (a hung lab host must not unbalance A and B).
	echo "LAB-BENCH-ROUND-DONE $r"
done
