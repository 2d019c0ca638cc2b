#!/bin/bash
# pairstress N [VMM[@VAR=VALUE]...]: the bench's stream pair (two -smp 1 guests joined by
# -netdev stream over a unix socket, 4 s of iperf3) N times per spec, interleaved. The lab host
# kernel has died in exactly this step of the bench (stack guard page hit in a "CPU 0/KVM"
# thread, twice with skiff pairs); this repeats it to see how often, and under which of skiff's
# comparison switches. One line per pair: LAB-PAIRSTRESS <spec> <i> mbit=... rc=A/B shutdown=...
# (LAB_TF_TRACE=1: a guest's shutdown exit in that pair, either VMM, with LAB-TF lines), then
# the median per spec: LAB-PAIRSTRESS-MEDIAN <spec> mbit=... (n=...). A lab host
# that dies ends the run (run-lab.sh reports it hung; the last line says which pair).
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
n=${1:-5}
shift || true
[ $# -gt 0 ] || set -- skiff
snap=/sys/kernel/tracing/snapshot
declare -A mb=()
base=(-enable-kvm -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic -m 256M -smp 1)
# LAB_X_PAIR_STAGGER=1: B starts once A's NIC is up, as the bench does (for A/B of the stream
# itself without the lab's triple faults of two guests booting at once).
stagger=${LAB_X_PAIR_STAGGER:-0}
for ((i = 1; i <= n; i++)); do
	j=0
	for spec in "$@"; do
		j=$((j + 1))
		spec_env "$spec"
		ta=ps-a-$vmm$j-$i tb=ps-b-$vmm$j-$i sock=/tmp/ps-$vmm$j-$i.sock
		rm -f "$sock"
		echo "LAB-PAIRSTRESS-START $spec $i"
		a_timeout=$LAB_L2_TIMEOUT
		[ "$stagger" = 1 ] && a_timeout=$((LAB_L2_TIMEOUT * 5 / 2))
		L2_TIMEOUT=$a_timeout l2_bg "$ta" "$vmm" "${base[@]}" \
			-append "$L2_APPEND lab.action=static,iperf3-server lab.ip=10.9.0.1/24 lab.iperf3_wait=120" \
			-netdev "stream,id=n0,server=on,addr.type=unix,addr.path=$sock" -device e1000,netdev=n0,mac=52:54:00:aa:00:01
		wait_file "$sock" 30
		[ "$stagger" = 1 ] && l2_wait "$ta" 'L2-STATIC-UP|L2-STATIC FAIL' $((LAB_L2_TIMEOUT * 2))
		l2_run "$tb" "$vmm" "${base[@]}" \
			-append "$L2_APPEND lab.action=static,peer,iperf3-client lab.ip=10.9.0.2/24 lab.peer=10.9.0.1 lab.iperf3_server=10.9.0.1 lab.iperf3_secs=4" \
			-netdev "stream,id=n0,server=off,addr.type=unix,addr.path=$sock" -device e1000,netdev=n0,mac=52:54:00:aa:00:02
		rcb=$L2_RC
		# B's transfer did not finish: is A's VMM still running its guest? Per thread of A's
		# VMM: state, CPU ticks now and 1 s later, wait channel, and the last L1 KVM events of
		# its vCPU threads (the lab's trace, when on).
		if ! grep -q '^L2-IPERF3 mbit=' "/tmp/l2-$tb.log" && tp=$(cat "/tmp/l2-$ta.pid" 2>/dev/null) &&
			read -r pa _ <"/proc/$tp/task/$tp/children"; then   # (the pid file is timeout's)
			for tdir in /proc/"$pa"/task/*; do
				read -r -a st1 <"$tdir/stat" 2>/dev/null || continue
				echo "${tdir##*/} ${st1[13]} ${st1[14]}"
			done >/tmp/ps-t1
			sleep 1
			while read -r tid u1 s1; do
				read -r -a st2 <"/proc/$pa/task/$tid/stat" 2>/dev/null || continue
				echo "LAB-PAIRSTRESS-STALL $spec $i A tid=$tid comm=$(cat "/proc/$pa/task/$tid/comm") state=${st2[2]} ticks/s=$((st2[13] + st2[14] - u1 - s1)) wchan=$(cat "/proc/$pa/task/$tid/wchan" 2>/dev/null)"
				[ "${LAB_TF_TRACE:-0}" = 1 ] && grep -a -- "-$tid *\[" /sys/kernel/tracing/trace 2>/dev/null | tail -n 4 | sed "s/^/LAB-PAIRSTRESS-STALL $spec $i A trace /"
			done </tmp/ps-t1
		fi
		l2_stop "$ta"
		l2_join "$ta"
		m=$(sed -n 's/^L2-IPERF3 mbit=\([0-9.]*\).*/\1/p' "/tmp/l2-$tb.log" | head -n1)
		# A guest shutdown (triple fault) under either VMM, from the lab's trace (l1/init).
		tf=none
		if [ "${LAB_TF_TRACE:-0}" = 1 ] && ev=$(grep -vc '^#' "$snap" 2>/dev/null) && [ "$ev" -gt 0 ]; then
			tf=$(grep 'reason shutdown' "$snap" | tail -n 1 | sed 's/.*kvm_exit: //; s/ info1 .* intr_info / intr_info /')
			grep -v '^#' "$snap" | tail -n 40 | sed "s/^/LAB-TF pairstress-$vmm$j-$i /"
			echo 2 >"$snap"
		fi
		echo "LAB-PAIRSTRESS $spec $i mbit=${m:-FAIL} rc=$L2_RC/$rcb shutdown=${tf// /_}"
		[ -z "$m" ] || mb[$j]+="$m "
		spec_env_clear
	done
done
j=0
for spec in "$@"; do
	j=$((j + 1))
	echo "LAB-PAIRSTRESS-MEDIAN $spec mbit=$(median_of '%.1f' <<<"${mb[$j]:-}") (n=$(wc -w <<<"${mb[$j]:-}"))"
done
