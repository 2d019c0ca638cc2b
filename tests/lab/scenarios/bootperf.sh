#!/bin/bash
# bootperf ROUNDS [VMM[@VAR=VALUE...]...]: the bench's boot (quiet, -m 512M -smp 2, no NIC,
# power off at init) ROUNDS times per spec, interleaved, each under the lab host's perf
# (run-lab.sh with LAB_X_PERF=1): the lab host's kernel and user functions with 0.7% or more of
# all its CPUs' cpu-clock samples from the VMM's start to its exit, by thread (LAB-BOOTPERF
# lines), with the run's L2_CPU line. LAB_CPU=MODEL in a spec boots it with -cpu MODEL. Where a
# boot's time goes in the lab host (bench/README.md session 17: the vCPU thread clearing huge
# pages). A diagnosis aid, no verdict.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
rounds=${1:-2}
shift || true
[ $# -gt 0 ] || set -- qemu skiff
if ! command -v perf >/dev/null; then
	echo "LAB-BOOTPERF no perf in the lab host: run-lab.sh with LAB_X_PERF=1"
	exit 0
fi
for ((r = 1; r <= rounds; r++)); do
	for spec in "$@"; do
		spec_env "$spec"
		perf record -q -a -e cpu-clock -F 499 -o /tmp/perf-bootperf.data -- sleep 100000 >/dev/null 2>&1 &
		ppid=$!
		sleep 1
		SKIFF_DEBUG=1 L2_SAMPLE_MEM=1 l2_run "bootperf-$r-$vmm" "$vmm" -enable-kvm -kernel "$LAB_KERNEL" \
			-initrd "$LAB_INITRD" -nographic -m 512M -smp 2 "${spec_cpu[@]}" -append "$L2_APPEND lab.action=poweroff"
		kill -INT "$ppid"
		wait "$ppid" 2>/dev/null
		echo "LAB-BOOTPERF $spec round=$r init_s=${L2_INIT_SECS:-never} guest_uptime_s=$(fact uptime_s) cpu: ${L2_CPU:-?}"
		perf report -i /tmp/perf-bootperf.data --stdio --no-children --sort comm,sym --percent-limit 0.7 2>/dev/null |
			grep -v '^#' | grep -v '^$' | head -n 45 | sed "s/^/LAB-BOOTPERF $spec round=$r /"
		spec_env_clear
	done
done
