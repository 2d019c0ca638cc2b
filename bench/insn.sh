#!/bin/bash
# bench/insn.sh [--smoke] PKTCOST: instructions per packet in skiff's e1000 data path, counted
# by callgrind over bench/pktcost's scenarios (the device model driven like Linux's e1000.ko on
# fake guest RAM; no KVM, no lab). Unlike the lab's timings these are repeatable: the same
# build gives the same counts, so a change to the data path shows its cost here at once.
# Prints a table and writes bench/results/insn-<time>.csv (and insn-latest.csv).
#   --smoke   run each scenario natively once (make unit: the data path delivers what it measures)
#   INSN_PACKETS=N   packets per scenario under callgrind (default 2000; TSO: N/10)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi
pktcost=${1:?usage: insn.sh [--smoke] PATH/TO/pktcost}
mapfile -t scenarios < <("$pktcost" | awk '{ print $1 }')

if [ "$smoke" = 1 ]; then
	for sc in "${scenarios[@]}"; do
		"$pktcost" "$sc" 500 >/dev/null || { echo "pktcost: scenario $sc FAILED" >&2; exit 1; }
	done
	echo "pktcost: ${#scenarios[@]} scenarios deliver their frames"
	exit 0
fi

"$BENCH_DIR/../scripts/install-deps.sh" bench
n=${INSN_PACKETS:-2000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
stamp=$(date +%Y%m%d-%H%M%S)
rev=$(git -C "$BENCH_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
csv=$BENCH_DIR/results/insn-$stamp.csv
mkdir -p "$BENCH_DIR/results"
echo "scenario,packets,instructions_per_packet,instructions_per_frame,frames_per_packet,commit" >"$csv"
echo "skiff e1000 data path, instructions per packet (callgrind, bench/pktcost.c; commit $rev)"
printf '%-18s %8s %14s %14s  %s\n' scenario packets insn/packet insn/frame what
while read -r sc what; do
	k=$n
	case "$sc" in *tso*) k=$((n / 10)); [ "$k" -gt 0 ] || k=1 ;; esac
	out=$tmp/$sc.out
	if ! valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=pktcost_measured \
		"$pktcost" "$sc" "$k" >"$tmp/$sc.log" 2>&1; then
		tail -n 5 "$tmp/$sc.log" >&2
		echo "insn: $sc failed under callgrind" >&2
		exit 1
	fi
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$out")
	fpp=$(sed -n 's/.* frames_per_packet=\([0-9]*\) .*/\1/p' "$tmp/$sc.log")
	read -r per perf <<<"$(awk -v ir="$ir" -v k="$k" -v f="$fpp" 'BEGIN { printf "%.0f %.0f\n", ir / k, ir / k / f }')"
	printf '%-18s %8s %14s %14s  %s\n' "$sc" "$k" "$per" "$perf" "$what"
	echo "$sc,$k,$per,$perf,$fpp,$rev" >>"$csv"
done < <("$pktcost")
cp "$csv" "$BENCH_DIR/results/insn-latest.csv"
echo "CSV: bench/results/${csv##*/}"
