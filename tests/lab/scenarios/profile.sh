#!/bin/bash
# profile [VMM[@VAR=VALUE]...]: where a VMM's time goes on the e1000 data path, side by side
# (default: qemu skiff; "skiff@SKIFF_HALT_POLL_NS=1000000" runs skiff with that variable set). Per VMM, one e1000 guest on tap1 (br1) runs an iperf3 server; the lab host sends to it
# (h2g) and receives from it (g2h, -R) for 4 s each, then the guest pings the lab host. For each
# workload one line with the L1 KVM's exit counters (debugfs, summed over all vCPUs: only this
# guest runs) and the VMM's CPU split into user and system time:
#   LAB-PROFILE <vmm> <workload> mbit=.. MB=.. exits=.. mmio=.. io=.. irq_inj=.. halt=..
#               halt_wakeup=.. signal=.. poll=.. poll_ok=.. poll_ok_s=.. poll_fail_s=..
#               halt_wait_s=.. user_s=.. sys_s=.. ctxsw=..
# (poll*: KVM's halt polling, the attempts, the ones a wake-up ended, the seconds spun in each
# case; halt_wait_s: the seconds the vCPUs slept halted).
# LAB_X_PROFILE_STREAM=1 adds a guest on -netdev stream to bench/streamtap (the bench's stream
# row: the relay to tap0, the guest at 192.168.11.3): workloads stream-h2g and stream-g2h.
# (the per-MB figures are derived by the reader). Then a guest on -netdev user pings 10.0.2.2:
#   LAB-PROFILE <vmm> ping-user med=.. p99=.. (ms, 20 samples) A secondary measure for issue 6: exits and
# VMM CPU per byte are repeatable where lab throughput is not.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
[ $# -gt 0 ] || set -- qemu skiff
export SKIFF_EXIT_STATS=1  # skiff prints the exits it handled, per address, when it stops
mount -t debugfs none /sys/kernel/debug 2>/dev/null || true
kd=/sys/kernel/debug/kvm
stats="exits mmio_exits io_exits irq_injections halt_exits halt_wakeup signal_exits"
# KVM's halt polling (a halted vCPU spins up to halt_poll_ns before it sleeps): attempts, the
# ones a wake-up ended, and the time spun in each case, and the time slept (ns; summed over vCPUs)
pstats="halt_attempted_poll halt_successful_poll halt_poll_success_ns halt_poll_fail_ns halt_wait_ns"

kvm_snap() { local s; for s in $stats $pstats; do printf '%s ' "$(cat "$kd/$s" 2>/dev/null || echo 0)"; done; }
# cpu_snap PID: "utime stime ctxsw" (ticks, ticks, voluntary+involuntary switches of all threads)
cpu_snap() {
	local stat f cs=0 t v
	read -r stat <"/proc/$1/stat" 2>/dev/null || { echo "0 0 0"; return; }
	read -r -a f <<<"${stat##*) }"
	for t in /proc/"$1"/task/*/status; do
		while read -r k v; do
			case $k in voluntary_ctxt_switches: | nonvoluntary_ctxt_switches:) cs=$((cs + v)) ;; esac
		done <"$t"
	done
	echo "${f[11]} ${f[12]} $cs"
}
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
# thr_snap PID: one "tid comm utime stime guest_time" line per thread (ticks; guest_time is the
# part of utime a vCPU thread spent running the guest)
thr_snap() {
	local t stat f
	for t in /proc/"$1"/task/*; do
		read -r stat <"$t/stat" 2>/dev/null || continue
		read -r -a f <<<"${stat##*) }"
		local c=${stat#*(}
		c=${c%%)*}
		echo "${t##*/} ${c// /_} ${f[11]} ${f[12]} ${f[40]}"
	done
}
# thr_report VMM WORKLOAD SECS "SNAP0" "SNAP1": per thread busy share of the interval
#   LAB-PROFILE-THREADS <vmm> <workload> <comm>=user/sys/guest(s) ...
thr_report() {
	printf '%s\n--\n%s\n' "$4" "$5" | awk -v vmm="$1" -v w="$2" -v hz="$hz" '
		$1 == "--" { second = 1; next }
		!second { u[$1] = $3; s[$1] = $4; g[$1] = $5; next }
		{ printf "%s %s=%.2f/%.2f/%.2f", (n++ ? "" : "LAB-PROFILE-THREADS " vmm " " w), $2,
			($3 - u[$1]) / hz, ($4 - s[$1]) / hz, ($5 - g[$1]) / hz }
		END { if (n) printf "\n" }'
}

# ns_s A B: seconds from nanosecond counter A to B
ns_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# report VMM WORKLOAD MBIT BYTES "KVM0" "KVM1" "CPU0" "CPU1"
report() {
	local -a k0 k1 c0 c1
	read -r -a k0 <<<"$5"
	read -r -a k1 <<<"$6"
	read -r -a c0 <<<"$7"
	read -r -a c1 <<<"$8"
	printf 'LAB-PROFILE %s %s mbit=%s MB=%s exits=%d mmio=%d io=%d irq_inj=%d halt=%d halt_wakeup=%d signal=%d poll=%d poll_ok=%d poll_ok_s=%s poll_fail_s=%s halt_wait_s=%s user_s=%s sys_s=%s ctxsw=%d\n' \
		"$1" "$2" "${3:-0}" "$(awk -v b="${4:-0}" 'BEGIN { printf "%.1f", b / 1048576 }')" \
		$((k1[0] - k0[0])) $((k1[1] - k0[1])) $((k1[2] - k0[2])) $((k1[3] - k0[3])) \
		$((k1[4] - k0[4])) $((k1[5] - k0[5])) $((k1[6] - k0[6])) \
		$((k1[7] - k0[7])) $((k1[8] - k0[8])) \
		"$(ns_s "${k0[9]}" "${k1[9]}")" "$(ns_s "${k0[10]}" "${k1[10]}")" "$(ns_s "${k0[11]}" "${k1[11]}")" \
		"$(awk -v a="${c0[0]}" -v b="${c1[0]}" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')" \
		"$(awk -v a="${c0[1]}" -v b="${c1[1]}" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')" \
		$((c1[2] - c0[2]))
}

# Exit reasons (SVM exit codes: 0x60 INTR, 0x64 VINTR, 0x78 HLT, 0x7b IOIO, 0x7c MSR, 0x400 NPF)
# and MSR numbers, from L1 KVM's tracepoints through histogram triggers, when the kernel has them.
tr=/sys/kernel/debug/tracing
declare -A hist_keys=([kvm_exit]=exit_reason [kvm_msr]=ecx,write [kvm_mmio]=gpa)
hist_on() {
	local ev
	for ev in "${!hist_keys[@]}"; do
		echo "hist:keys=${hist_keys[$ev]}:sort=hitcount.descending" >"$tr/events/kvm/$ev/trigger" 2>/dev/null
	done
	true
}
# hist_off VMM WORKLOAD: print the top entries as LAB-PROFILE-EXITS lines and remove the triggers
hist_off() {
	local ev
	for ev in "${!hist_keys[@]}"; do
		[ -r "$tr/events/kvm/$ev/hist" ] || continue
		echo "LAB-PROFILE-EXITS $1 $2 $ev: $(grep -E '^\{' "$tr/events/kvm/$ev/hist" | head -n 12 | tr -s ' ' | tr '\n' ';')"
		echo "!hist:keys=${hist_keys[$ev]}:sort=hitcount.descending" >"$tr/events/kvm/$ev/trigger" 2>/dev/null
	done
	true
}

# With LAB_X_PERF=1 (run-lab.sh then brings perf): where the VMM's threads spend their CPU
# during the transfer, sampled at 499 Hz per thread (cpu-clock: the lab's CPU has no PMU), as
#   LAB-PERF <vmm> <workload> <share %> <thread> <object> <function>
# (functions of at least 1% of the samples; [k] kernel, [.] user). The sampling itself costs
# the lab's CPU: compare a run's other figures only with runs that had perf too.
perf_pid=
perf_start() {
	perf_pid=
	[ "${LAB_X_PERF:-0}" = 1 ] && command -v perf >/dev/null || return 0
	perf record -q -e cpu-clock -F 499 -p "$1" -o /tmp/perf.data -- sleep 4 >/dev/null 2>&1 &
	perf_pid=$!
}
perf_report() {
	[ -n "$perf_pid" ] || return 0
	wait "$perf_pid" 2>/dev/null
	perf report -i /tmp/perf.data --stdio --no-children --sort comm,dso,sym --percent-limit 1 2>/dev/null |
		awk -v v="$1" -v w="$2" '/^ *[0-9.]+%/ { $1 = $1; print "LAB-PERF", v, w, $0 }'
	rm -f /tmp/perf.data
}

# iperf_profile VMM PID WORKLOAD ARGS...
iperf_profile() {
	local vmm=$1 pid=$2 w=$3 k0 k1 c0 c1 out mbit bytes
	shift 3
	local t0 t1 s0 s1
	s0=$(grep '^cpu ' /proc/stat)
	hist_on
	k0=$(kvm_snap) c0=$(cpu_snap "$pid") t0=$(thr_snap "$pid")
	perf_start "$pid"
	out=$(timeout 30 iperf3 -c "${IPERF_TARGET:-192.168.11.2}" -t 4 -f m "$@" 2>&1)
	k1=$(kvm_snap) c1=$(cpu_snap "$pid") t1=$(thr_snap "$pid") s1=$(grep '^cpu ' /proc/stat)
	hist_off "$vmm" "$w"
	perf_report "$vmm" "$w"   # after every snapshot: perf report takes seconds under TCG
	thr_report "$vmm" "$w" 4 "$t0" "$t1"
	echo "LAB-PROFILE-HOST $vmm $w idle_cpus=$(printf '%s\n%s\n' "$s0" "$s1" | awk -v hz="$hz" '
		NR == 1 { i0 = $5 + $6; next } { printf "%.2f", ($5 + $6 - i0) / hz / 4 }') (of $(nproc))"
	read -r mbit bytes <<<"$(echo "$out" | awk '/receiver/ { for (i = 1; i < NF; i++) {
		if ($(i + 1) == "Mbits/sec") v = $i
		if ($(i + 1) == "MBytes") b = $i * 1048576
		if ($(i + 1) == "GBytes") b = $i * 1073741824 } } END { printf "%s %d\n", v, b }')"
	report "$vmm" "$w" "$mbit" "$bytes" "$k0" "$k1" "$c0" "$c1"
	# How much of the guest's RAM the lab host backs with 2 MiB pages (KVM maps those with
	# 2 MiB nested entries; a guest on 4 KiB pages runs slower per MB in this lab).
	echo "LAB-PROFILE-THP $vmm $w $(awk '
		/^[0-9a-f]+-[0-9a-f]+ / { anon = (NF < 6 || $6 ~ /^\[anon/); next }
		/^Size:/ { size = $2; next }
		/^Rss:/ { rss = $2; next }
		/^AnonHugePages:/ { if (anon && size > gsize) { gsize = size; grss = rss; thp = $2 } }
		END { printf "guest_rss_kb=%d thp_kb=%d\n", grss, thp }' "/proc/$pid/smaps" 2>/dev/null)"
}

# profile_stream SPEC VMM: the stream workloads (LAB_X_PROFILE_STREAM=1)
profile_stream() {
	local t=profile-stream-$2 sock=/tmp/profile-stream.sock pid
	streamtap_start "$sock" "/tmp/$t.streamtap.log" ||
		{ echo "LAB-PROFILE $1 stream FAIL (no streamtap: make lab)"; return; }
	l2_bg "$t" "$2" -enable-kvm -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic -m 256M -smp 1 \
		-append "$L2_APPEND lab.action=static,iperf3-server lab.ip=192.168.11.3/24 lab.iperf3_sessions=0 lab.iperf3_wait=90" \
		-netdev "stream,id=n0,server=off,addr.type=unix,addr.path=$sock" -device e1000,netdev=n0,mac=52:55:00:d1:55:03
	if l2_wait "$t" 'L2-IPERF3-UP|L2-STATIC FAIL' "$LAB_L2_TIMEOUT" && [ -n "$(logline "$t" L2-IPERF3-UP)" ] && pid=$(l2_vmm_pid "$t"); then
		sleep 1
		IPERF_TARGET=192.168.11.3 iperf_profile "$1" "$pid" stream-h2g
		IPERF_TARGET=192.168.11.3 iperf_profile "$1" "$pid" stream-g2h -R
	else
		echo "LAB-PROFILE $1 stream FAIL (no iperf3 server in the guest)"
	fi
	l2_stop "$t"
	l2_join "$t"
	streamtap_stop
}

lab_bridge
[ -d "$kd" ] || echo "[profile] no $kd: exit counters will read 0"
for spec in "$@"; do
	spec_env "$spec"
	t=profile-$vmm
	l2_bg "$t" "$vmm" -enable-kvm -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic -m 256M -smp 1 \
		-append "$L2_APPEND lab.action=static,iperf3-server lab.ip=192.168.11.2/24 lab.iperf3_sessions=0 lab.iperf3_wait=90" \
		-netdev tap,id=n0,ifname=tap1,script=no,downscript=no -device e1000,netdev=n0,mac=52:55:00:d1:55:02
	if l2_wait "$t" 'L2-IPERF3-UP|L2-STATIC FAIL' "$LAB_L2_TIMEOUT" && [ -n "$(logline "$t" L2-IPERF3-UP)" ] && pid=$(l2_vmm_pid "$t"); then
		sleep 1
		k0=$(kvm_snap) c0=$(cpu_snap "$pid")
		sleep 3
		report "$spec" idle 0 0 "$k0" "$(kvm_snap)" "$c0" "$(cpu_snap "$pid")"
		iperf_profile "$spec" "$pid" h2g
		iperf_profile "$spec" "$pid" g2h -R
		hist_on
		k0=$(kvm_snap) c0=$(cpu_snap "$pid")
		ping -c 20 -i 0.2 -q 192.168.11.2 | tail -n1 | sed "s/^/[profile] $spec ping: /"
		hist_off "$spec" ping
		report "$spec" ping 0 0 "$k0" "$(kvm_snap)" "$c0" "$(cpu_snap "$pid")"
	else
		echo "LAB-PROFILE $spec FAIL (no iperf3 server in the guest)"
	fi
	l2_stop "$t"
	l2_join "$t"
	[ "${LAB_X_PROFILE_STREAM:-0}" != 1 ] || profile_stream "$spec" "$vmm"
	t=profile-user-$vmm
	l2_bg "$t" "$vmm" -enable-kvm -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic -m 256M -smp 1 \
		-append "$L2_APPEND lab.action=net,pingtest,iperf3-server lab.ping_target=10.0.2.2 lab.iperf3_sessions=0 lab.iperf3_wait=90" \
		-netdev user,id=n0,hostfwd=tcp::5201-:5201 -device e1000,netdev=n0
	if l2_wait "$t" 'L2-IPERF3-UP|L2-NET FAIL' "$LAB_L2_TIMEOUT" && [ -n "$(logline "$t" L2-IPERF3-UP)" ] && pid=$(l2_vmm_pid "$t"); then
		sleep 1
		IPERF_TARGET=127.0.0.1 iperf_profile "$spec" "$pid" user-h2g
		IPERF_TARGET=127.0.0.1 iperf_profile "$spec" "$pid" user-g2h -R
	fi
	l2_stop "$t"
	l2_join "$t"
	rtts=$(sed -n 's/^L2-PINGTEST .*rtts=//p' "/tmp/l2-$t.log" | head -n1)
	echo "LAB-PROFILE $spec ping-user $(echo "$rtts" | tr ',' '\n' | sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print "FAIL"; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		i = int(0.99 * NR + 0.999); if (i > NR) i = NR
		printf "med=%.3f p99=%.3f n=%d\n", m, v[i], NR }')"
	spec_env_clear
done
