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
# shellcheck disable=SC2119 # (no extra kernel arguments)
tap_ping_guest
one() { # ROUND K SPEC
	local tag=pingab-$vmm-$1-$2 rtts
	l2_run "$tag" "$vmm" "${TAP_PING_GUEST[@]}"
	rtts=$(ping_rtts "$tag")
	echo "LAB-PINGAB $3 $1 med=$(echo "$rtts" | median) rtts=$rtts"
	all[$3]+="$rtts,"
}
for_rounds "$rounds" one "$@"
for spec in "$@"; do
	echo "LAB-PINGAB-MEDIAN $spec med=$(echo "${all[$spec]}" | median)"
done
