#!/bin/bash
# bench [ROUNDS] [VMM_A] [VMM_B] [NET]: side-by-side measurements, alternating A B B A per round
# (LAB.md: consecutive lab runs vary a lot), after one warm-up boot of each VMM (skiff caches
# the decompressed kernel in $HOME/.cache/skiff from its first boot on). One line each:
#   LAB-BENCH <metric> <vmm> <value>|FAIL <unit>
# Per VMM and round (NET=1, auto: when VMM_B lists e1000):
#   user   -m 512M -smp USER_SMP (LAB_X_BENCH_USER_SMP, default 1), e1000 + -netdev user (hostfwd
#          tcp/udp 5201): iperf3_user_{g2h,h2g}_mbit (lab host iperf3 client against the
#          guest's server through hostfwd, 4 s, -R for guest->host), cpu_s_per_gb_user (VMM
#          utime+stime per GB during the g2h run), own_net_mib (after). With USER_SMP=2 (the
#          boots' -smp) also boot_s, dhcp_s, own_mib/rss_mib and ping_user_{med,p99}_ms. One
#          vCPU because the lab host died under two-vCPU guests moving data (bench/README.md
#          session 15), as it does under two busy guests at once (the stream pairs).
#   tap    -m 256M, e1000 on tap1 (br1): ping_tap_{med,p99}_ms, iperf3_tap_{g2h,h2g}_mbit,
#          udp64_tap_kpps (iperf3 -u -l 64 -b 300K, guest->host), cpu_s_per_gb_tap; then the
#          guest runs the client against the lab host's server, with TSO on and off
#          (ethtool -K): tso_on_g2h_mbit, tso_off_g2h_mbit
#   streamtap  -m 256M, e1000 on -netdev stream (unix socket) to bench/streamtap, which relays
#          to tap0 on br1: iperf3_stream_{g2h,h2g}_mbit, cpu_s_per_gb_stream (the lab host's
#          iperf3 client against the guest at 192.168.11.3, as the tap row)
#   stream two VMs of the same VMM over -netdev stream (unix socket): iperf3_stream_mbit. Only
#          when asked for (LAB_X_BENCH_TODO=1:stream): a pair of guests at once took the lab
#          host down in most benches since session 14 (bench/README.md).
#   boots  BOOTS boots per VMM per round (LAB_X_BENCH_BOOTS, default 5), interleaved A B B A
#          A B ..., -m 512M -smp 2, e1000 + user, lab.action=net,pingtest,poweroff: boot_s (to
#          L2-INIT-OK), dhcp_s (to the lease), own_mib/rss_mib (smaps at init) and
#          ping_user_{med,p99}_ms (guest -> 10.0.2.2, 20 pings) samples (boot time in the lab
#          swings with the lab host's memory state: one sample per session is too few). Then
#          as many of the same boot under -cpu IvyBridge (the seed's model; LAB_X_BENCH_BOOTS_IVB=0:
#          not): boot_ivb_s, dhcp_ivb_s. Before each boot, outside its time, SCRUB MiB of the
#          lab host's free memory are faulted in and given back (LAB_X_BENCH_SCRUB, bench/run.sh
#          default 256; 0: not; lib.sh lab_scrub): the pages the last guest freed clear 4-5x
#          slower the first time in this lab, and the next VMM's guest RAM would get them
#          (session 19). Without bench/memscrub in the lab, no scrub (and the table says so).
# Each iperf3 throughput (TCP g2h, h2g) runs REPS times per session (LAB_X_BENCH_REPS, default
# 3), alternating direction; bench/run.sh reports medians over all samples.
# With NET=0 only the boot row (no NIC) is measured. VMM_A and VMM_B may be specs,
# "skiff@VAR=VALUE" (lib.sh spec_env): that VMM with the variable set, its lines named by the
# spec (an A/B of one setting in one lab run: bench:1:skiff:skiff@SKIFF_PCI_EDGE=off).
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
rounds=${1:-${LAB_X_BENCH_ROUNDS:-1}}
a=${2:-qemu} b=${3:-skiff}
net=${4:-${LAB_X_BENCH_NET:-auto}}
boots=${LAB_X_BENCH_BOOTS:-5}
boots_ivb=${LAB_X_BENCH_BOOTS_IVB:-1}
reps=${LAB_X_BENCH_REPS:-3}
usmp=${LAB_X_BENCH_USER_SMP:-1}
scrub=${LAB_X_BENCH_SCRUB:-0}
command -v memscrub >/dev/null || scrub=0  # lab_scrub would only say so before each boot
boot_smp=2  # the boot rows' guests (measure_boot, measure_boot_only)
# A tap guest runs 2 x reps + 1 iperf3 sessions, then its own TSO client runs: room for all of
# them with the slower VMM too (else its TSO rows fail for want of time, not of TSO).
LAB_L2_TIMEOUT=$((LAB_L2_TIMEOUT + 40 * reps))
if [ "$net" = auto ]; then
	net=0
	if have_vmm "${b%%@*}" && timeout 10 "${VMM_PREFIX[@]}" -device help 2>&1 | grep -q '"e1000"'; then net=1; fi
fi
echo "[bench] rounds=$rounds A=$a B=$b net=$net boots=$boots reps=$reps user_smp=$usmp scrub=$scrub"
base=(-enable-kvm -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic)

# bench METRIC VMM VALUE UNIT: one result line; BENCH_FAILS counts the FAILs (a run with one
# is given up on with l2_stop TAG quit: skiff then reports its guest's state).
BENCH_FAILS=0
bench() {
	echo "LAB-BENCH $1 ${BENCH_WHO:-$2} ${*:3}"
	[ "$3" != FAIL ] || BENCH_FAILS=$((BENCH_FAILS + 1))
}

# run_spec SPEC FN ARGS...: "FN VMM ARGS..." with the spec's variables set, its lines named by
# the spec (BENCH_WHO).
run_spec() {
	local spec=$1 fn=$2
	shift 2
	spec_env "$spec"
	BENCH_WHO=$spec "$fn" "$vmm" "$@"
	spec_env_clear
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# host_iperf SERVER SECS ARGS...: run the lab host's iperf3 client; prints "mbit bytes pps",
# nothing for a transfer that broke off (no receiver line, nothing received, or one that ran
# more than twice its time: a stall the timeout ended, not a rate; the caller's FAIL then has
# skiff dump its guest's state).
host_iperf() {
	local srv=$1 secs=$2 out
	shift 2
	out=$(timeout $((secs + 20)) iperf3 -c "$srv" -t "$secs" -f m "$@" 2>&1)
	echo "$out" | sed 's/^/[iperf3] /' >&2
	echo "$out" | awk -v secs="$secs" '/receiver/ {
		for (i = 1; i < NF; i++) {
			if ($(i + 1) == "Mbits/sec") v = $i
			if ($(i + 1) == "MBytes") b = $i * 1048576
			if ($(i + 1) == "GBytes") b = $i * 1073741824
			if ($(i + 1) == "KBytes") b = $i * 1024
			if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, lt, "/"); pk = lt[2] - lt[1] }
			if ($i ~ /^[0-9.]+-[0-9.]+$/) { split($i, tt, "-"); d = tt[2] - tt[1] }
		}
	} END { if (v != "" && b > 0 && d <= 2 * secs) printf "%s %d %s\n", v, b, (pk != "" && d > 0) ? sprintf("%.0f", pk / d) : "0" }'
}

# iperf_row VMM PID METRIC CPUMETRIC SERVER ARGS...: one host iperf3 run, with the VMM's CPU time.
iperf_row() {
	local vmm=$1 pid=$2 metric=$3 cpum=$4 srv=$5 c0 c1 mbit bytes pps
	shift 5
	c0=$(vmm_stat_cpu "$pid")
	read -r mbit bytes pps <<<"$(host_iperf "$srv" 4 "$@")"
	c1=$(vmm_stat_cpu "$pid")
	bench "$metric" "$vmm" "${mbit:-FAIL}" Mbit/s
	if [ -n "$cpum" ]; then
		if [ -n "${mbit:-}" ] && [ -n "$c0" ] && [ -n "$c1" ] && [ "${bytes:-0}" -gt 0 ]; then
			bench "$cpum" "$vmm" "$(awk -v a="$c0" -v b="$c1" -v n="$bytes" 'BEGIN { printf "%.1f", (b - a) / (n / 1e9) }')" s/GB
		else
			bench "$cpum" "$vmm" FAIL s/GB
		fi
	fi
	PPS=${pps:-}
}

# iperf_rows VMM TAG KIND ADDR: once guest TAG's iperf3 server is up (L2-IPERF3-UP), reps runs
# of the lab host's client against ADDR each way, alternating: iperf3_KIND_{g2h,h2g}_mbit and
# cpu_s_per_gb_KIND (g2h). FAIL rows and 1 when the server never came up; IPERF_PID: the VMM's pid.
iperf_rows() {
	local vmm=$1 t=$2 kind=$3 addr=$4 k
	IPERF_PID=""
	if l2_wait "$t" 'L2-IPERF3-UP|L2-NET FAIL|L2-STATIC FAIL' "$LAB_L2_TIMEOUT" &&
		[ -n "$(logline "$t" L2-IPERF3-UP)" ] && IPERF_PID=$(l2_vmm_pid "$t"); then
		sleep 0.5
		for ((k = 1; k <= reps; k++)); do
			iperf_row "$vmm" "$IPERF_PID" "iperf3_${kind}_g2h_mbit" "cpu_s_per_gb_$kind" "$addr" -R
			iperf_row "$vmm" "$IPERF_PID" "iperf3_${kind}_h2g_mbit" "" "$addr"
		done
		return 0
	fi
	iperf_fail_rows "$vmm" "$kind"
	return 1
}

# iperf_fail_rows VMM KIND: iperf_rows' rows as FAIL (no server, no peer).
iperf_fail_rows() {
	local x
	for x in "iperf3_$2_g2h_mbit:Mbit/s" "cpu_s_per_gb_$2:s/GB" "iperf3_$2_h2g_mbit:Mbit/s"; do
		bench "${x%%:*}" "$1" FAIL "${x#*:}"
	done
}

# ping_rows VMM TAG KIND: median and p99 of the guest's L2-PINGTEST samples.
ping_rows() {
	local rtts med p99
	rtts=$(sed -n 's/^L2-PINGTEST .*rtts=//p' "/tmp/l2-$2.log" | head -n1)
	if [ -z "$rtts" ]; then
		bench "ping_$3_med_ms" "$1" FAIL ms
		bench "ping_$3_p99_ms" "$1" FAIL ms
		return
	fi
	read -r med p99 <<<"$(echo "$rtts" | tr ',' '\n' | sort -g | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		i = int(0.99 * NR + 0.999); if (i < 1) i = 1; if (i > NR) i = NR
		printf "%.3f %.3f\n", m, v[i] }')"
	bench "ping_$3_med_ms" "$1" "$med" ms
	bench "ping_$3_p99_ms" "$1" "$p99" ms
}

measure_boot_only() { # measure_boot_only VMM RUN: no NIC (skiff without e1000)
	local vmm=$1 t=bench-$1-$2 rss guest own gsize
	lab_scrub "$scrub"
	L2_SAMPLE_MEM=1 l2_run "$t" "$vmm" "${base[@]}" -m 512M -smp "$boot_smp" -append "$L2_APPEND lab.action=sleep:2,poweroff"
	if [ -z "$L2_INIT_SECS" ]; then
		bench boot_s "$vmm" FAIL s
		return
	fi
	bench boot_s "$vmm" "$L2_INIT_SECS" s
	if [ -n "$L2_MEM" ]; then
		read -r rss guest own gsize <<<"$L2_MEM"
		bench own_mib "$vmm" "$(mib "$own")" MiB
		bench rss_mib "$vmm" "$(mib "$rss")" MiB
	fi
}

measure_boot() { # measure_boot VMM RUN: the user guest's boot, to the lease, its pings, power off
	local vmm=$1 t=bench-boot-$1-$2 rss guest own gsize x
	lab_scrub "$scrub"
	L2_SAMPLE_MEM=1 l2_run "$t" "$vmm" "${base[@]}" -m 512M -smp "$boot_smp" \
		-append "$L2_APPEND lab.action=net,pingtest,poweroff lab.ping_target=10.0.2.2" \
		-netdev "user,id=n0,hostfwd=tcp::5201-:5201,hostfwd=udp::5201-:5201" -device e1000,netdev=n0
	bench boot_s "$vmm" "${L2_INIT_SECS:-FAIL}" s
	x=$(l2_time "$t" L2-NET_OK)
	bench dhcp_s "$vmm" "${x:-FAIL}" s
	if [ -n "$L2_MEM" ]; then
		read -r rss guest own gsize <<<"$L2_MEM"
		bench own_mib "$vmm" "$(mib "$own")" MiB
		bench rss_mib "$vmm" "$(mib "$rss")" MiB
	fi
	ping_rows "$vmm" "$t" user
}

# measure_boot_ivb VMM RUN: the same boot under the seed's -cpu IvyBridge (the user's command
# line); only its times (boot_ivb_s, dhcp_ivb_s). qemu64, the other boots' CPU, is an AMD family
# 0Fh model, for which Linux scans PCI for an AGP aperture twice (~2-3 s of either VMM's boot,
# bench/README.md session 17); an Intel model has no such scan.
measure_boot_ivb() {
	local vmm=$1 t=bench-bootivb-$1-$2 x
	lab_scrub "$scrub"
	l2_run "$t" "$vmm" "${base[@]}" -m 512M -smp "$boot_smp" -cpu IvyBridge \
		-append "$L2_APPEND lab.action=net,poweroff" -netdev user,id=n0 -device e1000,netdev=n0
	bench boot_ivb_s "$vmm" "${L2_INIT_SECS:-FAIL}" s
	x=$(l2_time "$t" L2-NET_OK)
	bench dhcp_ivb_s "$vmm" "${x:-FAIL}" s
}

measure_user() { # measure_user VMM RUN
	local vmm=$1 t=bench-user-$1-$2 rss guest own gsize x f0=$BENCH_FAILS
	L2_SAMPLE_MEM=1 l2_bg "$t" "$vmm" "${base[@]}" -m 512M -smp "$usmp" \
		-append "$L2_APPEND lab.action=net,pingtest,iperf3-server lab.iperf3_sessions=0 lab.iperf3_wait=$((60 + 20 * reps)) lab.ping_target=10.0.2.2" \
		-netdev "user,id=n0,hostfwd=tcp::5201-:5201,hostfwd=udp::5201-:5201" -device e1000,netdev=n0
	if iperf_rows "$vmm" "$t" user 127.0.0.1 && x=$(smaps_own "$IPERF_PID" 2>/dev/null); then
		read -r rss guest own gsize <<<"$x"
		bench own_net_mib "$vmm" "$(mib "$own")" MiB
	else
		bench own_net_mib "$vmm" FAIL MiB
	fi
	if [ "$BENCH_FAILS" = "$f0" ]; then l2_stop "$t"; else l2_stop "$t" quit; fi
	l2_join "$t"
	# the boot rows are the boots' (measure_boot); a guest with other vCPUs is not a sample
	[ "$usmp" = "$boot_smp" ] || return 0
	x=$(l2_time "$t" L2-INIT-OK)
	bench boot_s "$vmm" "${x:-FAIL}" s
	x=$(l2_time "$t" L2-NET_OK)
	bench dhcp_s "$vmm" "${x:-FAIL}" s
	if [ -s "/tmp/l2-$t.mem" ]; then
		read -r rss guest own gsize <"/tmp/l2-$t.mem"
		echo "[$t] smaps at init: rss ${rss}kB, guest-RAM mapping ${gsize}kB (rss ${guest}kB), own ${own}kB"
		bench own_mib "$vmm" "$(mib "$own")" MiB
		bench rss_mib "$vmm" "$(mib "$rss")" MiB
	else
		bench own_mib "$vmm" FAIL MiB
		bench rss_mib "$vmm" FAIL MiB
	fi
	ping_rows "$vmm" "$t" user
}

measure_tap() { # measure_tap VMM RUN
	local vmm=$1 t=bench-tap-$1-$2 pid x srv f0=$BENCH_FAILS
	lab_bridge
	# the lab host's server for the guest's TSO on/off runs (after the three below)
	timeout $((150 + 40 * reps)) iperf3 -s -B 192.168.11.33 >/dev/null 2>&1 &
	srv=$!
	l2_bg "$t" "$vmm" "${base[@]}" -m 256M -smp 1 \
		-append "$L2_APPEND lab.action=static,pingtest,iperf3-server,tso lab.ip=192.168.11.2/24 lab.iperf3_sessions=$((2 * reps + 1)) lab.iperf3_wait=$((60 + 20 * reps)) lab.ping_target=192.168.11.33 lab.iperf3_server=192.168.11.33 lab.iperf3_secs=4" \
		-netdev tap,id=n0,ifname=tap1,script=no,downscript=no -device e1000,netdev=n0,mac=52:55:00:d1:55:02
	if l2_wait "$t" 'L2-IPERF3-UP|L2-STATIC FAIL' "$LAB_L2_TIMEOUT" && [ -n "$(logline "$t" L2-IPERF3-UP)" ] && pid=$(l2_vmm_pid "$t"); then
		sleep 0.5
		for ((k = 1; k <= reps; k++)); do
			iperf_row "$vmm" "$pid" iperf3_tap_g2h_mbit cpu_s_per_gb_tap 192.168.11.2 -R
			iperf_row "$vmm" "$pid" iperf3_tap_h2g_mbit "" 192.168.11.2
		done
		# Offered load capped at 300 kbit/s (~590 datagrams/s, about what QEMU delivered under
		# -b 0 in the lab): that unbounded flood from the guest hung the lab host once.
		iperf_row "$vmm" "$pid" udp64_tap_mbit "" 192.168.11.2 -R -u -l 64 -b 300K
		if [ -n "${PPS:-}" ] && [ "$PPS" != 0 ]; then
			bench udp64_tap_kpps "$vmm" "$(awk -v p="$PPS" 'BEGIN { printf "%.2f", p / 1000 }')" kpps
		else
			bench udp64_tap_kpps "$vmm" FAIL kpps
		fi
	else
		for x in iperf3_tap_g2h_mbit:Mbit/s cpu_s_per_gb_tap:s/GB iperf3_tap_h2g_mbit:Mbit/s udp64_tap_kpps:kpps; do
			bench "${x%%:*}" "$vmm" FAIL "${x#*:}"
		done
	fi
	if l2_wait "$t" '^L2-IPERF3-TSO-OFF ' 60 && [ "$BENCH_FAILS" = "$f0" ]; then
		l2_stop "$t"
	else
		l2_stop "$t" quit
	fi
	l2_join "$t"
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	ping_rows "$vmm" "$t" tap
	for x in on off; do
		l=$(sed -n "s/^L2-IPERF3-TSO-${x^^} mbit=\([0-9.]*\).*/\1/p" "/tmp/l2-$t.log" | head -n1)
		bench "tso_${x}_g2h_mbit" "$vmm" "${l:-FAIL}" Mbit/s
	done
}

# measure_streamtap VMM RUN: the guest's e1000 on -netdev stream (unix socket, the VMM the
# client) to bench/streamtap, which relays the frames to tap0 on br1: the lab host's iperf3
# client against the guest's server at 192.168.11.3 (iperf3_stream_{g2h,h2g}_mbit,
# cpu_s_per_gb_stream). The same peer for either VMM; one guest (the stream pair below took
# the lab host down in most benches since session 14; passt, the stream peer QEMU users run,
# reset every TCP connection it forwarded in this lab, session 18).
measure_streamtap() {
	local vmm=$1 t=bench-stap-$1-$2 sock=/tmp/bench-stap-$1-$2.sock f0=$BENCH_FAILS
	lab_bridge
	if ! streamtap_start "$sock" "/tmp/$t.streamtap.log"; then
		echo "[$t] no streamtap in the lab ('make lab' builds build/bench/streamtap)"
		iperf_fail_rows "$vmm" stream
		return
	fi
	l2_bg "$t" "$vmm" "${base[@]}" -m 256M -smp 1 \
		-append "$L2_APPEND lab.action=static,iperf3-server lab.ip=192.168.11.3/24 lab.iperf3_sessions=0 lab.iperf3_wait=$((60 + 20 * reps))" \
		-netdev "stream,id=n0,server=off,addr.type=unix,addr.path=$sock" -device e1000,netdev=n0,mac=52:55:00:d1:55:03
	iperf_rows "$vmm" "$t" stream 192.168.11.3 || true
	if [ "$BENCH_FAILS" = "$f0" ]; then l2_stop "$t"; else l2_stop "$t" quit; fi
	l2_join "$t"
	streamtap_stop
	sed "s/^/[$t] /" "/tmp/$t.streamtap.log"
}

measure_stream() { # measure_stream VMM RUN: VM A (iperf3 server) <-stream-> VM B (client)
	local vmm=$1 ta=bench-sa-$1-$2 tb=bench-sb-$1-$2 sock=/tmp/bench-st-$1-$2.sock l
	rm -f "$sock"
	# B starts once A's NIC is up (as netbridge's pairs): two guests booting at once, either
	# VMM, is when this lab's nested SVM triple-faults them (bench/README.md "Triple faults");
	# the row measures the stream, not that. A outlives B's boot: a longer bound for A.
	L2_TIMEOUT=$((LAB_L2_TIMEOUT * 5 / 2)) l2_bg "$ta" "$vmm" "${base[@]}" -m 256M -smp 1 \
		-append "$L2_APPEND lab.action=static,iperf3-server lab.ip=10.9.0.1/24 lab.iperf3_wait=120" \
		-netdev "stream,id=n0,server=on,addr.type=unix,addr.path=$sock" -device e1000,netdev=n0,mac=52:54:00:aa:00:01
	wait_file "$sock" 30
	l2_wait "$ta" 'L2-STATIC-UP|L2-STATIC FAIL' $((LAB_L2_TIMEOUT * 2))
	l2_run "$tb" "$vmm" "${base[@]}" -m 256M -smp 1 \
		-append "$L2_APPEND lab.action=static,peer,iperf3-client lab.ip=10.9.0.2/24 lab.peer=10.9.0.1 lab.iperf3_server=10.9.0.1 lab.iperf3_secs=4" \
		-netdev "stream,id=n0,server=off,addr.type=unix,addr.path=$sock" -device e1000,netdev=n0,mac=52:54:00:aa:00:02
	l=$(sed -n 's/^L2-IPERF3 mbit=\([0-9.]*\).*/\1/p' "/tmp/l2-$tb.log" | head -n1)
	# a transfer that broke off (iperf3: error ..., receiver 0) is a failed sample, not 0 Mbit/s
	grep -q '^L2-IPERF3-OUT iperf3: error' "/tmp/l2-$tb.log" && l=""
	if [ -n "$l" ]; then l2_stop "$ta"; else l2_stop "$ta" quit; fi
	l2_join "$ta"
	bench iperf3_stream_mbit "$vmm" "${l:-FAIL}" Mbit/s
}

# Warm-up: one boot of each VMM (skiff's kernel cache, the lab host's page cache).
for vmm in $(printf '%s\n' "${a%%@*}" "${b%%@*}" | sort -u); do
	l2_run "bench-warmup-$vmm" "$vmm" "${base[@]}" -m 256M -append "$L2_APPEND lab.action=poweroff"
done
# The work as ROUND:PHASE items, each complete in itself (A B B A, or the interleaved boots):
# LAB_X_BENCH_TODO from bench/run.sh, which after a lab host hang runs only the items not
# done yet in a new lab run; default every phase of every round.
todo=${LAB_X_BENCH_TODO:-}
if [ -z "$todo" ]; then
	for ((r = 1; r <= rounds; r++)); do
		if [ "$net" = 1 ]; then todo+="$r:user $r:tap $r:streamtap $r:boots "; else todo+="$r:bootonly "; fi
	done
fi
echo "LAB-BENCH-TODO $todo"
for item in $todo; do
	r=${item%%:*} phase=${item#*:} i=0
	case "$phase" in
	user | tap | streamtap | stream | bootonly)
		for spec in "$a" "$b" "$b" "$a"; do
			i=$((i + 1))
			if [ "$phase" = bootonly ]; then run_spec "$spec" measure_boot_only "$r$i"; else run_spec "$spec" "measure_$phase" "$r$i"; fi
		done
		;;
	boots)
		# A B, B A, A B, ...: each VMM boots after the other as often as after itself, as the
		# other phases' A B B A. A boot gets the memory the previous guest just freed, which
		# changes its time in this lab (bench/README.md sessions 17-18); with A B A B ... B
		# always came after A. Then the -cpu IvyBridge boots the same way.
		for fn in measure_boot measure_boot_ivb; do
			[ "$fn" = measure_boot ] || [ "$boots_ivb" != 0 ] || continue
			for ((k = 1; k <= boots; k++)); do
				if ((k % 2)); then
					run_spec "$a" "$fn" "$r-${k}a"
					run_spec "$b" "$fn" "$r-${k}b"
				else
					run_spec "$b" "$fn" "$r-${k}b"
					run_spec "$a" "$fn" "$r-${k}a"
				fi
			done
		done
		;;
	*) echo "[bench] unknown item $item" ;;
	esac
	# bench/run.sh counts only the lines of items that got here (a hung lab host must not
	# leave A and B unbalanced).
	echo "LAB-BENCH-DONE $item"
done
