#!/bin/bash
# pktcost [ROUNDS] [VAR=VALUE,...]...: skiff's e1000 data path without a guest (bench/pktcost.c,
# what make bench-insn counts) timed on the lab host's CPU, where skiff's own threads run in
# the lab: microseconds per frame per scenario, best of ROUNDS (default 3), once per setting
# (default: the routines skiff picks itself, then ISA-L's FCS and the add-with-carry checksum
# forced: "SKIFF_FCS=isal,SKIFF_CSUM=adc"). Prints
#   LAB-PKTCOST <scenario> <setting> us_per_frame=..
# and the routines skiff picks on this CPU (net/checksum.c: SKIFF_DEBUG's checksum line) as
#   LAB-PKTCOST-CHECKSUM checksum: FCS by .., Internet checksum by .. (CPU: ..)
# A tight loop over one buffer flatters ISA-L's FCS under TCG (bench/README.md, session 13):
# read these beside the profile scenario's, not instead of them.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
rounds=${1:-3}
shift || true
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "LAB-RESULT pktcost FAIL ROUNDS must be a number, not '$rounds'"; exit 0; }
[ $# -gt 0 ] || set -- auto SKIFF_FCS=isal,SKIFF_CSUM=adc
command -v pktcost >/dev/null || { echo "LAB-RESULT pktcost FAIL no pktcost binary (make unit builds it)"; exit 0; }
echo "LAB-PKTCOST-CHECKSUM $(SKIFF_DEBUG=1 pktcost rx-1514-csum 10 2>&1 | grep -m1 -o 'checksum:.*')"
fail=0
for sc in $(pktcost | awk '{ print $1 }'); do
	case "$sc" in *tso*) n=200 ;; *) n=4000 ;; esac
	for setting in "$@"; do
		envs=()
		[ "$setting" = auto ] || IFS=, read -r -a envs <<<"$setting"
		best=
		for _ in $(seq "$rounds"); do
			out=$(env "${envs[@]}" pktcost "$sc" "$n") || { fail=1; continue; }
			ns=$(sed -n 's/.* ns_per_packet=\([0-9]*\).*/\1/p' <<<"$out")
			fpp=$(sed -n 's/.* frames_per_packet=\([0-9]*\).*/\1/p' <<<"$out")
			if [ -z "$ns" ] || [ -z "$fpp" ]; then fail=1; continue; fi
			us=$(awk -v t="$ns" -v f="$fpp" 'BEGIN { printf "%.2f", t / 1000 / f }')
			if [ -z "$best" ] || awk -v a="$us" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$us; fi
		done
		[ -n "$best" ] || fail=1
		echo "LAB-PKTCOST $sc $setting us_per_frame=${best:-FAIL}"
	done
done
if [ "$fail" = 0 ]; then echo "LAB-RESULT pktcost PASS"; else echo "LAB-RESULT pktcost FAIL a scenario failed"; fi
