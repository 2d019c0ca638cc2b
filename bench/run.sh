#!/bin/bash
# make bench: skiff vs QEMU (-enable-kvm -kernel, same kernel and initrd) side by side in ONE
# lab run, alternating A B B A (tests/lab/scenarios/bench.sh). Prints a table with the ratio
# skiff/QEMU against the goals and writes it as CSV to bench/results/.
#   BENCH_ROUNDS=N   rounds of A B B A (default 1; each round boots 4 x (user + tap + 2 stream)
#                    guests with networking, ~8 min in the lab)
#   BENCH_LOG=FILE   only tabulate the console log of an earlier bench run
#   BENCH_NET=auto|1|0  the network rows (e1000 over user, tap and stream; auto: when skiff
#                    lists e1000 in -device help); 0: boot and memory only
#   BENCH_PLOT=0     no PNG (default: bench/results/bench-<time>.png when matplotlib is there;
#                    bench/deps.sh installs Debian's python3-matplotlib)
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lab/common.sh
. "$BENCH_DIR/../tests/lab/common.sh"

rounds=${BENCH_ROUNDS:-1}
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
			--timeout "${LAB_TIMEOUT:-$((600 + left * 700))}" --log "$log" --results "$LAB_OUT/bench-results.txt" bench || rc=$?
		complete_rounds "$log" >>"$lines"
		done_rounds=$(tr -d '\r' <"$log" | grep -c '^LAB-BENCH-ROUND-DONE' || true)
		left=$((left - done_rounds))
		if [ "$rc" != 3 ] || [ "$left" -le 0 ]; then break; fi
		echo "bench: the lab host hung after $done_rounds complete round(s): running the other $left in a new lab run" >&2
	done
	log="${logs[*]}"
fi

# Goals: metric -> "max ratio skiff/QEMU" (lower is better) or "min ..." (higher is better):
# the targets of the performance issue (boot/ping/CPU <= 0.5, memory <= 0.25, TCP >= 2 tap / 1.5 user).
# Later rows (iperf3 throughput, ping RTT) only need a line here and a measure_* in bench.sh.
declare -A goal=([boot_s]="max 0.5" [dhcp_s]="max 0.5" [own_mib]="max 0.25" [own_net_mib]="max 0.25"
	[rss_mib]="" [iperf3_mbit]="min 1.0"
	[iperf3_user_g2h_mbit]="min 1.5" [iperf3_user_h2g_mbit]="min 1.5" [iperf3_tap_g2h_mbit]="min 2.0"
	[iperf3_tap_h2g_mbit]="min 2.0" [iperf3_stream_mbit]="min 1.0" [udp64_tap_kpps]="min 1.0"
	[udp64_tap_mbit]="" [ping_user_med_ms]="max 0.5" [ping_user_p99_ms]="max 1.0"
	[ping_tap_med_ms]="max 0.5" [ping_tap_p99_ms]="max 1.0" [cpu_s_per_gb_user]="max 0.5"
	[cpu_s_per_gb_tap]="max 0.5" [tso_on_g2h_mbit]="min 2.0" [tso_off_g2h_mbit]="")
declare -A label=([boot_s]="boot to init (s)" [dhcp_s]="boot to DHCP lease (s)" [own_mib]="own mem at init (MiB)"
	[own_net_mib]="own mem after net (MiB)" [rss_mib]="total RSS (MiB)" [iperf3_mbit]="iperf3 (Mbit/s)"
	[iperf3_user_g2h_mbit]="user g->h (Mbit/s)" [iperf3_user_h2g_mbit]="user h->g (Mbit/s)"
	[iperf3_tap_g2h_mbit]="tap g->h (Mbit/s)" [iperf3_tap_h2g_mbit]="tap h->g (Mbit/s)"
	[iperf3_stream_mbit]="stream VM->VM (Mbit/s)" [udp64_tap_kpps]="UDP 64B tap (kpps)"
	[udp64_tap_mbit]="UDP 64B tap (Mbit/s)" [ping_user_med_ms]="ping user med (ms)"
	[ping_user_p99_ms]="ping user p99 (ms)" [ping_tap_med_ms]="ping tap med (ms)" [ping_tap_p99_ms]="ping tap p99 (ms)"
	[cpu_s_per_gb_user]="CPU s/GB user g->h" [cpu_s_per_gb_tap]="CPU s/GB tap g->h"
	[tso_on_g2h_mbit]="tap g->h, TSO on (Mbit/s)" [tso_off_g2h_mbit]="tap g->h, TSO off (Mbit/s)")

csv=$BENCH_DIR/results/bench-$stamp.csv
awk '
	BEGIN { split("boot_s dhcp_s own_mib own_net_mib rss_mib iperf3_mbit iperf3_user_g2h_mbit " \
		"iperf3_user_h2g_mbit iperf3_tap_g2h_mbit iperf3_tap_h2g_mbit iperf3_stream_mbit " \
		"udp64_tap_kpps udp64_tap_mbit ping_user_med_ms ping_user_p99_ms ping_tap_med_ms " \
		"ping_tap_p99_ms cpu_s_per_gb_user cpu_s_per_gb_tap tso_on_g2h_mbit tso_off_g2h_mbit", pref, " ")
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
echo "skiff vs QEMU 7.2 (-enable-kvm), nested lab, $how after one warm-up boot of each VMM"
echo "(skiff boots its cached vmlinux from the 2nd boot on); ratios are skiff/QEMU"
printf '%-26s %14s %14s %8s %7s  %s\n' metric QEMU skiff ratio goal verdict
tail -n +2 "$csv" | while IFS=, read -r m q qn qf s sn sf r g ok; do
	qs="${q:-n/a} ($qn)" ss="${s:-n/a} ($sn)"
	[ "$qf" = 0 ] || qs="$qs ${qf}F"
	[ "$sf" = 0 ] || ss="$ss ${sf}F"
	g=${g/max<=/<=}
	g=${g/min>=/>=}
	case "$ok" in yes) v=met ;; no) v="NOT met" ;; *) v="" ;; esac
	printf '%-26s %14s %14s %8s %7s  %s\n' "${label[$m]:-$m}" "$qs" "$ss" "${r:-n/a}" "${g:--}" "$v"
done
echo "(n) = samples from complete rounds, nF = failed runs; CSV: ${csv#"$REPO_DIR"/}; lab log: $log"
if [ "${BENCH_PLOT:-1}" = 1 ]; then
	"$BENCH_DIR/deps.sh" || true
	png=${csv%.csv}.png
	if /usr/bin/python3 "$BENCH_DIR/plot.py" "$csv" "$png" 2>"$png.err"; then
		cp "$png" "$BENCH_DIR/results/latest.png"
		echo "plot: ${png#"$REPO_DIR"/}"
	else
		echo "bench: no plot ($(tail -n1 "$png.err"))" >&2
	fi
	rm -f "$png.err"
fi
[ "$rc" = 0 ] || { echo "bench: the lab run failed (status $rc): see above" >&2; exit 1; }
