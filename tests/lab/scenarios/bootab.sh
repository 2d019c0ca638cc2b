#!/bin/bash
# bootab ROUNDS [VMM[@VAR=VALUE]...]: the bench's boot (quiet, -m 512M -smp 2, e1000 + user
# networking, to L2-INIT-OK and on to the DHCP lease) ROUNDS times per VMM, interleaved (A B C A B C ...), so one lab run
# compares VMMs or skiff's comparison switches (e.g. "skiff@SKIFF_THP_MADVISE=off") with the
# lab host's memory in the same state. Per boot: wall seconds to init, the guest's uptime
# there, and their difference (the time before the guest kernel's clock starts), the wall time
# to the lease and the guest's uptime at each step of bringing the NIC up. Ends with the medians
# per spec. A spec's LAB_CPU=MODEL boots it with -cpu MODEL ("qemu@LAB_CPU=IvyBridge");
# LAB_X_BOOTAB_APPEND adds to every boot's kernel command line (e.g. "initcall_debug") and
# LAB_X_BOOTAB_DMESG=1 has each guest print its dmesg after the lease; a spec's LAB_SETTLE=N
# drops the lab host's caches, compacts its memory and waits N
# seconds before each boot, its LAB_SCRUB=MIB scrubs that much of the lab host's free memory
# (lib.sh lab_scrub); LAB_X_BOOTAB_GREP=PATTERN prints the VMM's log lines that match
# (e.g. "debug: .*prefault" with a SKIFF_DEBUG report of a scratch switch). Each line also gives the lab host's free 2 MiB blocks before the
# boot (free2m, /proc/buddyinfo: what huge pages the guest's memory can get without
# compaction), the lab host's and the VMM threads' CPU seconds to init and the huge-page share
# of guest RAM (lib.sh L2_CPU). A diagnosis aid, no verdict.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
rounds=${1:-3}
shift || true
[ $# -gt 0 ] || set -- qemu skiff
action=net${LAB_X_BOOTAB_DMESG:+,dmesg},poweroff
# free2m: free blocks of 2 MiB and more, in 2 MiB units (order 9 and 10 of 4 KiB pages)
free2m() { awk '{ n += $(5 + 9) + 2 * $(5 + 10) } END { print n + 0 }' /proc/buddyinfo; }
declare -A all_init all_up all_dhcp
for ((r = 1; r <= rounds; r++)); do
	for spec in "$@"; do
		spec_env "$spec"
		if [ -n "${LAB_SETTLE:-}" ]; then
			sync
			echo 3 >/proc/sys/vm/drop_caches
			echo 1 >/proc/sys/vm/compact_memory
			sleep "$LAB_SETTLE"
		fi
		lab_scrub
		f2m=$(free2m)
		SKIFF_DEBUG=1 L2_SAMPLE_MEM=1 l2_run "bootab-$r-$vmm" "$vmm" -enable-kvm -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" \
			-nographic -m 512M -smp 2 -append "$L2_APPEND ${LAB_X_BOOTAB_APPEND:+$LAB_X_BOOTAB_APPEND }lab.action=$action" \
			-netdev user,id=n0 -device e1000,netdev=n0 "${spec_cpu[@]}"
		up=$(fact uptime_s)
		d=$(l2_time "bootab-$r-$vmm" L2-NET_OK)
		echo "LAB-BOOTAB $spec round=$r init_s=${L2_INIT_SECS:-never} guest_uptime_s=${up:-?} before_kernel_s=$(
			awk -v a="${L2_INIT_SECS:-0}" -v b="${up:-0}" 'BEGIN { printf "%.2f", a - b }') dhcp_s=${d:-never} rc=$L2_RC free2m=$f2m"
		echo "LAB-BOOTAB $spec round=$r cpu to init: ${L2_CPU:-?}"
		echo "LAB-BOOTAB $spec round=$r guest $(sed -n 's/^L2-NET-TIMES //p' "$L2_LOG" | head -n1)"
		[ "$vmm" = skiff ] && echo "LAB-BOOTAB $spec round=$r loader $(sed -n \
			-e "s/^skiff: debug: \[\([0-9.]*\) s\] init stage 'network' done.*/network=\1/p" \
			-e 's/^skiff: debug: \[\([0-9.]*\) s\] kernel: vmlinux copied.*/vmlinux=\1/p' \
			-e 's/^skiff: debug: \[\([0-9.]*\) s\] initrd: copied.*/initrd=\1/p' "$L2_LOG" | tr '\n' ' ')"
		[ -n "${LAB_X_BOOTAB_GREP:-}" ] && grep -- "$LAB_X_BOOTAB_GREP" "$L2_LOG" | sed "s/^/LAB-BOOTAB $spec round=$r log: /"
		all_init[$spec]+="${L2_INIT_SECS:-999} " all_up[$spec]+="${up:-999} " all_dhcp[$spec]+="${d:-999} "
		spec_env_clear
	done
done
med() { local m; m=$(median_of %.2f); echo "${m:-?}"; }
for spec in "$@"; do
	echo "LAB-BOOTAB $spec median init_s=$(med <<<"${all_init[$spec]}") guest_uptime_s=$(med <<<"${all_up[$spec]}") dhcp_s=$(med <<<"${all_dhcp[$spec]}") (all init_s: ${all_init[$spec]})"
done
