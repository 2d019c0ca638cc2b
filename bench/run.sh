#!/bin/bash
# make bench: skiff vs QEMU (-enable-kvm -kernel, same kernel and initrd) side by side in ONE
# lab run, alternating A B B A (tests/lab/scenarios/bench.sh). Prints a table with the ratio
# skiff/QEMU against the goals and writes it as CSV to bench/results/.
#   BENCH_ROUNDS=N   rounds of A B B A (default 1; each round boots 4 x (user + tap + stream)
#                    guests with networking plus 4 x BENCH_BOOTS boots, ~15 min in the lab)
#   BENCH_BOOTS=N    boots per VMM and round for the boot rows (default 5)
#   BENCH_BOOTS_IVB=0 without the BENCH_BOOTS -cpu IvyBridge boots after them (boot_ivb_s, dhcp_ivb_s)
#   BENCH_SCRUB=MIB  the lab host's free memory scrubbed before each boot, outside its time
#                    (default 256; 0: not): in this lab the pages the last guest freed clear
#                    4-5x slower the first time, when the next VMM's guest RAM gets them
#                    (README session 19)
#   BENCH_USER_SMP=N vCPUs of the user-network guests (default 1; 2 adds their boots to the rows)
#   BENCH_REPS=N     iperf3 runs per direction and guest (default 3)
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
# The LAB-BENCH lines of complete items (ROUND:PHASE, each A B B A in itself) only: a hung lab
# host cuts an item short.
complete_items() {
	tr -d '\r' <"$1" | awk '
		/^LAB-BENCH-TODO / { pending = ""; next }
		/^LAB-BENCH-DONE / { printf "%s", pending; pending = ""; next }
		/^LAB-BENCH / { pending = pending $0 "\n" }'
}
lines=$LAB_OUT/bench-$stamp.lines
: >"$lines"
logs=() # every lab run's console log, read for the table's header
if [ -n "${BENCH_LOG:-}" ]; then
	log=$BENCH_LOG # tabulate an earlier run's console log again
	logs=("$log")
	complete_items "$log" >"$lines"
else
	make -s -C "$LAB_DIR" images
	# One lab run for everything; when the lab host hangs (LAB.md: now and then, with either
	# VMM), up to two more for the items not done yet.
	todo=""
	for attempt in 1 2 3; do
		log=$LAB_OUT/bench-$stamp-$attempt.log
		logs+=("$log")
		rc=0
		n_items=$((rounds * 4))
		[ -z "$todo" ] || n_items=$(wc -w <<<"$todo")
		LAB_X_BENCH_ROUNDS=$rounds LAB_X_BENCH_NET=${BENCH_NET:-auto} LAB_X_BENCH_BOOTS=${BENCH_BOOTS:-5} \
			LAB_X_BENCH_BOOTS_IVB=${BENCH_BOOTS_IVB:-1} LAB_X_BENCH_SCRUB=${BENCH_SCRUB:-256} \
			LAB_X_BENCH_USER_SMP=${BENCH_USER_SMP:-1} LAB_X_BENCH_REPS=${BENCH_REPS:-3} LAB_X_BENCH_TODO="$todo" "$LAB_DIR/run-lab.sh" \
			--timeout "${LAB_TIMEOUT:-$((600 + n_items * 420))}" --log "$log" --results "$LAB_OUT/bench-results.txt" bench || rc=$?
		complete_items "$log" >>"$lines"
		all=$(tr -d '\r' <"$log" | sed -n 's/^LAB-BENCH-TODO //p' | head -n1)
		done_items=" $(tr -d '\r' <"$log" | sed -n 's/^LAB-BENCH-DONE //p' | tr '\n' ' ')"
		# Items run in order: the first one not done is the one the lab host hung in. It goes
		# last, so the items after it have their turn before it is tried again (the lab host has
		# died in the same phase several times in one day: bench/README.md, session 14).
		todo="" hung_in=""
		for item in $all; do
			[[ $done_items != *" $item "* ]] || continue
			if [ -z "$hung_in" ]; then hung_in=$item; else todo+="$item "; fi
		done
		[ -z "$hung_in" ] || todo+="$hung_in "
		if [ "$rc" != 3 ] || [ -z "$todo" ] || [ -z "$all" ]; then break; fi
		echo "bench: the lab host hung in $hung_in; running what is left ($todo) in a new lab run" >&2
	done
	log="${logs[*]#"$REPO_DIR"/}"
fi

# Goals: metric -> "max ratio skiff/QEMU" (lower is better) or "min ..." (higher is better):
# the targets of the performance issue (boot/ping/CPU <= 0.5, memory <= 0.25, TCP >= 2 tap / 1.5 user).
# Later rows (iperf3 throughput, ping RTT) only need a line here and a measure_* in bench.sh.
declare -A goal=([boot_s]="max 0.5" [dhcp_s]="max 0.5" [boot_ivb_s]="max 0.5" [dhcp_ivb_s]="max 0.5" [own_mib]="max 0.25" [own_net_mib]="max 0.25"
	[rss_mib]="" [iperf3_mbit]="min 1.0"
	[iperf3_user_g2h_mbit]="min 1.5" [iperf3_user_h2g_mbit]="min 1.5" [iperf3_tap_g2h_mbit]="min 2.0"
	[iperf3_tap_h2g_mbit]="min 2.0" [iperf3_stream_mbit]="min 1.0" [iperf3_stream_g2h_mbit]="min 1.0"
	[iperf3_stream_h2g_mbit]="min 1.0" [cpu_s_per_gb_stream]="max 0.5" [udp64_tap_kpps]="min 1.0"
	[udp64_tap_mbit]="" [ping_user_med_ms]="max 0.5" [ping_user_p99_ms]="max 1.0"
	[ping_tap_med_ms]="max 0.5" [ping_tap_p99_ms]="max 1.0" [cpu_s_per_gb_user]="max 0.5"
	[cpu_s_per_gb_tap]="max 0.5" [tso_on_g2h_mbit]="min 2.0" [tso_off_g2h_mbit]="")
declare -A label=([boot_s]="boot to init (s)" [dhcp_s]="boot to DHCP lease (s)"
	[boot_ivb_s]="boot to init, -cpu IvyBridge (s)" [dhcp_ivb_s]="boot to lease, -cpu IvyBridge (s)" [own_mib]="own mem at init (MiB)"
	[own_net_mib]="own mem after net (MiB)" [rss_mib]="total RSS (MiB)" [iperf3_mbit]="iperf3 (Mbit/s)"
	[iperf3_user_g2h_mbit]="user g->h (Mbit/s)" [iperf3_user_h2g_mbit]="user h->g (Mbit/s)"
	[iperf3_tap_g2h_mbit]="tap g->h (Mbit/s)" [iperf3_tap_h2g_mbit]="tap h->g (Mbit/s)"
	[iperf3_stream_mbit]="stream VM->VM (Mbit/s)" [iperf3_stream_g2h_mbit]="stream g->h (Mbit/s)"
	[iperf3_stream_h2g_mbit]="stream h->g (Mbit/s)" [cpu_s_per_gb_stream]="CPU s/GB stream g->h" [udp64_tap_kpps]="UDP 64B tap (kpps)"
	[udp64_tap_mbit]="UDP 64B tap (Mbit/s)" [ping_user_med_ms]="ping user med (ms)"
	[ping_user_p99_ms]="ping user p99 (ms)" [ping_tap_med_ms]="ping tap med (ms)" [ping_tap_p99_ms]="ping tap p99 (ms)"
	[cpu_s_per_gb_user]="CPU s/GB user g->h" [cpu_s_per_gb_tap]="CPU s/GB tap g->h"
	[tso_on_g2h_mbit]="tap g->h, TSO on (Mbit/s)" [tso_off_g2h_mbit]="tap g->h, TSO off (Mbit/s)")

csv=$BENCH_DIR/results/bench-$stamp.csv
# Per metric and VMM: the median of the samples (robust to the lab's outliers: a boot that waited
# seconds for the lab host's memory compaction, an iperf3 run with a TCP stall), min and max.
# Samples go in sorted (sort -g: numbers by value, FAIL apart), so the awk needs no sort.
awk '{ print $2, $3, $4, NR }' "$lines" | sort -k1,1 -k2,2 -k3,3g | awk '
	BEGIN { split("boot_s dhcp_s boot_ivb_s dhcp_ivb_s own_mib own_net_mib rss_mib iperf3_mbit iperf3_user_g2h_mbit " \
		"iperf3_user_h2g_mbit iperf3_tap_g2h_mbit iperf3_tap_h2g_mbit iperf3_stream_g2h_mbit " \
		"iperf3_stream_h2g_mbit iperf3_stream_mbit " \
		"udp64_tap_kpps udp64_tap_mbit ping_user_med_ms ping_user_p99_ms ping_tap_med_ms " \
		"ping_tap_p99_ms cpu_s_per_gb_user cpu_s_per_gb_tap cpu_s_per_gb_stream tso_on_g2h_mbit tso_off_g2h_mbit", pref, " ")
		for (i = 1; i in pref; i++) rank[pref[i]] = i }
	{ m = $1; v = $2; x = $3
	  if (!(m in seen)) { seen[m] = 1; first[m] = $4 }
	  else if ($4 < first[m]) first[m] = $4
	  if (x == "FAIL") { fail[m, v]++ } else { val[m, v, ++cnt[m, v]] = x } }
	function med(m, v,   c) {
		c = cnt[m, v]
		if (!c) return ""
		return (c % 2) ? val[m, v, (c + 1) / 2] : (val[m, v, c / 2] + val[m, v, c / 2 + 1]) / 2
	}
	function fmt(x) { return x == "" ? "" : sprintf("%.2f", x) }
	END {
		for (m in seen) order[++n] = m
		# known metrics first, in their usual order, then any new ones as they came
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) {
			ri = (order[i] in rank) ? rank[order[i]] : 100 + first[order[i]]
			rj = (order[j] in rank) ? rank[order[j]] : 100 + first[order[j]]
			if (rj < ri) { t = order[i]; order[i] = order[j]; order[j] = t }
		}
		for (i = 1; i <= n; i++) {
			m = order[i]
			q = med(m, "qemu"); s = med(m, "skiff")
			r = (q != "" && s != "" && q > 0) ? sprintf("%.3f", s / q) : ""
			printf "%s,%s,%s,%s,%d,%d,%s,%s,%s,%d,%d,%s\n", m, \
				fmt(q), fmt(val[m, "qemu", 1]), fmt(val[m, "qemu", cnt[m, "qemu"]]), \
				cnt[m, "qemu"], fail[m, "qemu"], \
				fmt(s), fmt(val[m, "skiff", 1]), fmt(val[m, "skiff", cnt[m, "skiff"]]), \
				cnt[m, "skiff"], fail[m, "skiff"], r
		}
	}' >"$csv.rows"
rm -f "$lines"

{
	echo "metric,qemu_median,qemu_min,qemu_max,qemu_n,qemu_failed,skiff_median,skiff_min,skiff_max,skiff_n,skiff_failed,ratio_skiff_qemu,goal,meets_goal"
	while IFS=, read -r m q qlo qhi qn qf s slo shi sn sf r; do
		g=${goal[$m]:-} ok=""
		if [ -n "$g" ] && [ -n "$r" ]; then
			read -r dir lim <<<"$g"
			if awk -v r="$r" -v l="$lim" -v d="$dir" 'BEGIN { exit !(d == "max" ? r <= l : r >= l) }'; then
				ok=yes
			else
				ok=no
			fi
		fi
		echo "$m,$q,$qlo,$qhi,$qn,$qf,$s,$slo,$shi,$sn,$sf,$r,${g/ /<=},${ok}"
	done <"$csv.rows"
} | sed 's/,min<=/,min>=/' >"$csv"
rm -f "$csv.rows"
cp "$csv" "$BENCH_DIR/results/latest.csv"

echo
how="$rounds round(s) of A B B A"
[ -z "${BENCH_LOG:-}" ] || how="re-tabulated from $BENCH_LOG"
scrub=$(cat "${logs[@]}" | tr -d '\r' | sed -n 's/^\[bench\] rounds=.* scrub=\([0-9]*\).*/\1/p' | head -n1)
echo "skiff vs QEMU 7.2 (-enable-kvm), nested lab, $how after one warm-up boot of each VMM"
echo "(skiff boots its cached vmlinux from the 2nd boot on); ratios are skiff/QEMU;"
if [ "${scrub:-0}" != 0 ]; then
	echo "each boot after a scrub of $scrub MiB of the lab host's free memory (BENCH_SCRUB, session 19)"
else
	echo "boots without a scrub of the lab host's free memory (BENCH_SCRUB=0, or a log before session 19)"
fi
echo "medians over all samples (n), each with its range min-max"
printf '%-26s %24s %24s %7s %6s  %s\n' metric QEMU skiff ratio goal verdict
tail -n +2 "$csv" | while IFS=, read -r m q qlo qhi qn qf s slo shi sn sf r g ok; do
	qs="${q:-n/a} ($qn) ${qlo:+$qlo-$qhi}" ss="${s:-n/a} ($sn) ${slo:+$slo-$shi}"
	[ "$qf" = 0 ] || qs="$qs ${qf}F"
	[ "$sf" = 0 ] || ss="$ss ${sf}F"
	g=${g/max<=/<=}
	g=${g/min>=/>=}
	case "$ok" in yes) v=met ;; no) v="NOT met" ;; *) v="" ;; esac
	printf '%-26s %24s %24s %7s %6s  %s\n' "${label[$m]:-$m}" "$qs" "$ss" "${r:-n/a}" "${g:--}" "$v"
done
echo "(n) = samples from complete items (round:phase), nF = failed runs; CSV: ${csv#"$REPO_DIR"/}; lab log: $log"
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
