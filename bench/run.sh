#!/bin/bash
# make bench: skiff vs QEMU (-enable-kvm -kernel, same kernel and initrd) side by side in ONE
# lab run, alternating A B B A (tests/lab/scenarios/bench.sh). Prints a table with the ratio
# skiff/QEMU against the goals and writes it as CSV to bench/results/.
#   BENCH_ROUNDS=N   rounds of A B B A (default 2)
#   BENCH_LOG=FILE   only tabulate the console log of an earlier bench run
#   BENCH_NET=auto|1|0  also measure iperf3 over e1000 + -netdev user in the same boots
#                    (auto: when skiff lists e1000 in -device help)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lab/common.sh
. "$BENCH_DIR/../tests/lab/common.sh"

rounds=${BENCH_ROUNDS:-2}
mkdir -p "$BENCH_DIR/results" "$LAB_OUT"
stamp=$(date +%Y%m%d-%H%M%S)
rc=0
# The LAB-BENCH lines of complete A B B A rounds only (a hung lab host cuts a round short).
complete_rounds() {
	tr -d '\r' <"$1" | awk '
		/^LAB-BENCH / { pending = pending $0 "\n"; next }
		/^LAB-BENCH-ROUND-DONE / { printf "%s", pending; pending = "" }'
}
lines=$LAB_OUT/bench-$stamp.lines
: >"$lines"
if [ -n "${BENCH_LOG:-}" ]; then
	log=$BENCH_LOG # tabulate an earlier run's console log again
	complete_rounds "$log" >"$lines"
else
	make -s -C "$LAB_DIR" images
	# One lab run for all rounds; if the lab host hangs (LAB.md), one more run for the rest.
	left=$rounds logs=()
	for attempt in 1 2; do
		log=$LAB_OUT/bench-$stamp-$attempt.log
		logs+=("${log#"$REPO_DIR"/}")
		rc=0
		LAB_X_BENCH_ROUNDS=$left LAB_X_BENCH_NET=${BENCH_NET:-auto} "$LAB_DIR/run-lab.sh" \
			--log "$log" --results "$LAB_OUT/bench-results.txt" bench || rc=$?
		complete_rounds "$log" >>"$lines"
		done_rounds=$(tr -d '\r' <"$log" | grep -c '^LAB-BENCH-ROUND-DONE' || true)
		left=$((left - done_rounds))
		if [ "$rc" != 3 ] || [ "$left" -le 0 ]; then break; fi
		echo "bench: the lab host hung after $done_rounds complete round(s): running the other $left in a new lab run" >&2
	done
	log="${logs[*]}"
fi

# Goals: metric -> "max ratio skiff/QEMU" (lower is better) or "min ..." (higher is better).
# Later rows (iperf3 throughput, ping RTT) only need a line here and a measure_* in bench.sh.
declare -A goal=([boot_s]="max 0.5" [own_mib]="max 0.25" [rss_mib]="" [iperf3_mbit]="min 1.0" [ping_ms]="max 1.0")
declare -A label=([boot_s]="boot to init (s)" [own_mib]="own memory (MiB)" [rss_mib]="total RSS (MiB)"
	[iperf3_mbit]="iperf3 (Mbit/s)" [ping_ms]="ping RTT (ms)")

csv=$BENCH_DIR/results/bench-$stamp.csv
awk '
	BEGIN { split("boot_s own_mib rss_mib iperf3_mbit ping_ms", pref, " ")
		for (i = 1; i in pref; i++) rank[pref[i]] = i }
	{ m = $2; v = $3; x = $4
	  if (!(m in seen)) { seen[m] = 1; order[++n] = m }
	  if (x == "FAIL") { fail[m, v]++ } else { sum[m, v] += x; cnt[m, v]++ } }
	END {
		# known metrics first, in their usual order, then any new ones as they came
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
			ri = (order[i] in rank) ? rank[order[i]] : 100 + i
			rj = (order[j] in rank) ? rank[order[j]] : 100 + j
			if (rj < ri) { t = order[i]; order[i] = order[j]; order[j] = t }
		}
		for (i = 1; i <= n; i++) {
			m = order[i]
			q = cnt[m, "qemu"] ? sum[m, "qemu"] / cnt[m, "qemu"] : ""
			s = cnt[m, "skiff"] ? sum[m, "skiff"] / cnt[m, "skiff"] : ""
			r = (q != "" && s != "" && q > 0) ? sprintf("%.3f", s / q) : ""
			printf "%s,%s,%d,%d,%s,%d,%d,%s\n", m, (q == "" ? "" : sprintf("%.2f", q)), \
				cnt[m, "qemu"], fail[m, "qemu"], (s == "" ? "" : sprintf("%.2f", s)), \
				cnt[m, "skiff"], fail[m, "skiff"], r
		}
	}' "$lines" >"$csv.rows"
rm -f "$lines"

{
	echo "metric,qemu_mean,qemu_n,qemu_failed,skiff_mean,skiff_n,skiff_failed,ratio_skiff_qemu,goal,meets_goal"
	while IFS=, read -r m q qn qf s sn sf r; do
		g=${goal[$m]:-} ok=""
		if [ -n "$g" ] && [ -n "$r" ]; then
			read -r dir lim <<<"$g"
			if awk -v r="$r" -v l="$lim" -v d="$dir" 'BEGIN { exit !(d == "max" ? r <= l : r >= l) }'; then
				ok=yes
			else
				ok=no
			fi
		fi
		echo "$m,$q,$qn,$qf,$s,$sn,$sf,$r,${g/ /<=},${ok}"
	done <"$csv.rows"
} | sed 's/,min<=/,min>=/' >"$csv"
rm -f "$csv.rows"
cp "$csv" "$BENCH_DIR/results/latest.csv"

echo
how="$rounds round(s) of A B B A"
[ -z "${BENCH_LOG:-}" ] || how="re-tabulated from $BENCH_LOG"
echo "skiff vs QEMU 7.2 (-enable-kvm), nested lab, $how; ratios are skiff/QEMU"
printf '%-20s %12s %12s %10s %10s  %s\n' metric QEMU skiff ratio goal verdict
tail -n +2 "$csv" | while IFS=, read -r m q qn qf s sn sf r g ok; do
	qs="${q:-n/a} ($qn)" ss="${s:-n/a} ($sn)"
	[ "$qf" = 0 ] || qs="$qs ${qf}F"
	[ "$sf" = 0 ] || ss="$ss ${sf}F"
	g=${g/max<=/<=}
	g=${g/min>=/>=}
	case "$ok" in yes) v=met ;; no) v="NOT met" ;; *) v="" ;; esac
	printf '%-20s %12s %12s %10s %10s  %s\n' "${label[$m]:-$m}" "$qs" "$ss" "${r:-n/a}" "${g:--}" "$v"
done
echo "(n) = samples from complete rounds, nF = failed runs; CSV: ${csv#"$REPO_DIR"/}; lab log: $log"
[ "$rc" = 0 ] || { echo "bench: the lab run failed (status $rc): see above" >&2; exit 1; }
