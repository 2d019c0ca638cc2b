#!/bin/bash
# pingab ROUNDS [VMM[@VAR=VALUE]...]: the bench's tap ping (the guest on tap1 in br1 pings the
# lab host 192.168.11.33, 20 samples 0.2 s apart after a warm-up) ROUNDS times per spec,
# interleaved; one line per guest and the median of all samples per spec:
#   LAB-PINGAB <spec> <round> med=<ms> rtts=...      LAB-PINGAB-MEDIAN <spec> med=<ms> n=<samples>
# A/B of latency changes with the lab in the same state (default: qemu skiff).
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
rounds=${1:-3}
shift || true
[ $# -gt 0 ] || set -- qemu skiff
lab_bridge
median() { # "MS n=COUNT" of the comma-separated samples on stdin
	local in m
	in=$(cat)
	m=$(median_of %.3f <<<"$in")
	echo "${m:-none} n=$(tr ',' '\n' <<<"$in" | grep -c .)"
}
declare -A all=()
for ((i = 1; i <= rounds; i++)); do
	k=0
	for spec in "$@"; do
		k=$((k + 1))   # two specs of one VMM must not share a log
		spec_env "$spec"
		tag=pingab-$vmm-$i-$k
		l2_run "$tag" "$vmm" -enable-kvm -m 256M -smp 1 -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic \
			-append "$L2_APPEND lab.action=static,pingtest lab.ip=192.168.11.2/24 lab.ping_target=192.168.11.33" \
			-netdev tap,id=n0,ifname=tap1,script=no,downscript=no -device e1000,netdev=n0,mac=52:55:00:d1:55:02
		rtts=$(sed -n 's/^L2-PINGTEST target=[^ ]* rtts=//p' "/tmp/l2-$tag.log" | head -n1)
		echo "LAB-PINGAB $spec $i med=$(echo "$rtts" | median) rtts=$rtts"
		all[$spec]+="$rtts,"
		spec_env_clear
	done
done
for spec in "$@"; do
	echo "LAB-PINGAB-MEDIAN $spec med=$(echo "${all[$spec]}" | median)"
done
