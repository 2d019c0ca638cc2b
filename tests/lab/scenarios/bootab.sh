#!/bin/bash
# bootab ROUNDS [VMM[@VAR=VALUE]...]: the bench's boot (quiet, -m 512M -smp 2, e1000 + user
# networking, to L2-INIT-OK and on to the DHCP lease) ROUNDS times per VMM, interleaved (A B C A B C ...), so one lab run
# compares VMMs or skiff's comparison switches (e.g. "skiff@SKIFF_THP_MADVISE=off") with the
# lab host's memory in the same state. Per boot: wall seconds to init, the guest's uptime
# there, and their difference (the time before the guest kernel's clock starts), the wall time
# to the lease and the guest's uptime at each step of bringing the NIC up. Ends with the medians
# per spec. A diagnosis aid, no verdict.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
rounds=${1:-3}
shift || true
[ $# -gt 0 ] || set -- qemu skiff
declare -A all_init all_up all_dhcp
for ((r = 1; r <= rounds; r++)); do
	for spec in "$@"; do
		spec_env "$spec"
		SKIFF_DEBUG=1 l2_run "bootab-$r-$vmm" "$vmm" -enable-kvm -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" \
			-nographic -m 512M -smp 2 -append "$L2_APPEND lab.action=net,poweroff" \
			-netdev user,id=n0 -device e1000,netdev=n0
		up=$(fact uptime_s)
		d=$(l2_time "bootab-$r-$vmm" L2-NET_OK)
		echo "LAB-BOOTAB $spec round=$r init_s=${L2_INIT_SECS:-never} guest_uptime_s=${up:-?} before_kernel_s=$(
			awk -v a="${L2_INIT_SECS:-0}" -v b="${up:-0}" 'BEGIN { printf "%.2f", a - b }') dhcp_s=${d:-never} rc=$L2_RC"
		echo "LAB-BOOTAB $spec round=$r guest $(sed -n 's/^L2-NET-TIMES //p' "$L2_LOG" | head -n1)"
		[ "$vmm" = skiff ] && echo "LAB-BOOTAB $spec round=$r loader $(sed -n \
			-e "s/^skiff: debug: \[\([0-9.]*\) s\] init stage 'network' done.*/network=\1/p" \
			-e 's/^skiff: debug: \[\([0-9.]*\) s\] kernel: vmlinux copied.*/vmlinux=\1/p' \
			-e 's/^skiff: debug: \[\([0-9.]*\) s\] initrd: copied.*/initrd=\1/p' "$L2_LOG" | tr '\n' ' ')"
		all_init[$spec]+="${L2_INIT_SECS:-999} " all_up[$spec]+="${up:-999} " all_dhcp[$spec]+="${d:-999} "
		spec_env_clear
	done
done
med() { local m; m=$(median_of %.2f); echo "${m:-?}"; }
for spec in "$@"; do
	echo "LAB-BOOTAB $spec median init_s=$(med <<<"${all_init[$spec]}") guest_uptime_s=$(med <<<"${all_up[$spec]}") dhcp_s=$(med <<<"${all_dhcp[$spec]}") (all init_s: ${all_init[$spec]})"
done
