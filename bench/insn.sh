#!/bin/bash
# bench/insn.sh [--smoke] PKTCOST: instructions per packet in skiff's e1000 data path, counted
# by callgrind over bench/pktcost's scenarios (the device model driven like Linux's e1000.ko on
# fake guest RAM; no KVM, no lab). Unlike the lab's timings these are repeatable: the same
# build gives the same counts, so a change to the data path shows its cost here at once.
# Prints a table and writes bench/results/insn-<time>.csv (and insn-latest.csv).
#   --smoke   run each scenario natively once (make unit: the data path delivers what it measures)
#   INSN_PACKETS=N   packets per scenario under callgrind (default 2000; TSO: N/10)
# Under callgrind the FCS and checksum are ISA-L's and the add-with-carry chain (SKIFF_FCS=isal
# SKIFF_CSUM=adc, what a hardware host picks; net/checksum.c), so counts stay comparable,
# unless SKIFF_FCS / SKIFF_CSUM are set by the caller.
# The last column times each scenario under qemu-x86_64 -cpu max (QEMU's TCG, the CPU the
# nested lab's host has; net/checksum.c picks its routines for it as skiff does there):
# microseconds per frame (pktcost's own clock around the measured loop), best of 3, INSN_TCG_PACKETS=N (default 20000; TSO: N/10), INSN_TCG=0
# leaves it out. A wall-clock figure, so it varies with the machine's load; read it beside the
# counts: an instruction that is cheap on hardware can be a helper call under TCG.
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
echo "scenario,packets,instructions_per_packet,instructions_per_frame,frames_per_packet,tcg_us_per_frame,commit" >"$csv"
echo "skiff e1000 data path, instructions per packet (callgrind, bench/pktcost.c; commit $rev)"
tcg=${INSN_TCG:-1}
if [ "$tcg" != 0 ] && ! command -v qemu-x86_64 >/dev/null; then
	echo "insn: no qemu-x86_64 (Debian's qemu-user): the TCG column is left out" >&2
	tcg=0
fi
printf '%-18s %8s %14s %14s %12s  %s\n' scenario packets insn/packet insn/frame tcg_us/frame what
while read -r sc what; do
	k=$n
	case "$sc" in *tso*) k=$((n / 10)); [ "$k" -gt 0 ] || k=1 ;; esac
	out=$tmp/$sc.out
	if ! SKIFF_FCS=${SKIFF_FCS:-isal} SKIFF_CSUM=${SKIFF_CSUM:-adc} valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=pktcost_measured \
		"$pktcost" "$sc" "$k" >"$tmp/$sc.log" 2>&1; then
		tail -n 5 "$tmp/$sc.log" >&2
		echo "insn: $sc failed under callgrind" >&2
		exit 1
	fi
	ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$out")
	fpp=$(sed -n 's/.* frames_per_packet=\([0-9]*\) .*/\1/p' "$tmp/$sc.log")
	read -r per perf <<<"$(awk -v ir="$ir" -v k="$k" -v f="$fpp" 'BEGIN { printf "%.0f %.0f\n", ir / k, ir / k / f }')"
	tus=-
	if [ "$tcg" != 0 ]; then
		kt=${INSN_TCG_PACKETS:-20000}
		case "$sc" in *tso*) kt=$((kt / 10)); [ "$kt" -gt 0 ] || kt=1 ;; esac
		best=
		for _ in 1 2 3; do
			t=$(env -u SKIFF_FCS -u SKIFF_CSUM qemu-x86_64 -cpu max "$pktcost" "$sc" "$kt" |
				sed -n 's/.* ns_per_packet=\([0-9]*\).*/\1/p') || t=
			[ -n "$t" ] || { echo "insn: $sc failed under qemu-x86_64" >&2; exit 1; }
			if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
		done
		tus=$(awk -v t="$best" -v f="$fpp" 'BEGIN { printf "%.2f", t / 1000 / f }')
	fi
	printf '%-18s %8s %14s %14s %12s  %s\n' "$sc" "$k" "$per" "$perf" "$tus" "$what"
	echo "$sc,$k,$per,$perf,$fpp,$tus,$rev" >>"$csv"
done < <("$pktcost")
cp "$csv" "$BENCH_DIR/results/insn-latest.csv"
echo "CSV: bench/results/${csv##*/}"
