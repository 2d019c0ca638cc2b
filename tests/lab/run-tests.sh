#!/bin/bash
# The lab's test suite (make lab-check): QEMU as a self-check of the lab and skiff as the VMM
# under test; one line per test, then "lab: N passed, M failed".
# LAB_SUITES (default "core net"): test sets, each run in its own lab host boot (a hang costs
# one batch, not the whole suite):
#   core     VMM core: boot, CPUs, memory, CPU model, poweroff/reboot, command-line errors
#   net      networking: -netdev user + e1000 (DHCP, ethtool, hostfwd tcp/udp, outbound TCP, DNS,
#            restrict=on, two NICs, -net nic -net user, the default network), virtio-net
#   netdev   tap/bridge/socket/stream/passt backends, skiff <-> QEMU wire compatibility, e1000
#            fidelity (ethtool -t/-e/-d/-S, TSO, VLAN)
#            (netdev = e1000 + bridge: one lab host boot each)
# The default runs core+net in one lab boot, then e1000 and bridge in one each: the lab host
# soft-locks now and then (LAB.md), and a hang costs its batch plus LAB_IDLE (default here
# 120 s: every healthy step prints within a minute).
# LAB_RETRIES (default 1): a batch whose lab host hangs runs again up to LAB_RETRIES + 1 times
# (reported); a batch with failed tests is run once more whatever hangs came before (both
# outcomes reported). A lab host that hangs on
# every attempt is reported loudly and its tests count as not run (LAB_HANG_FATAL=1: failed).
# A test whose scenario reports SKIP counts as neither passed nor failed (shown as SKIP).
set -euo pipefail
# shellcheck source=tests/lab/common.sh
. "$(dirname "$0")/common.sh"

make -s -C "$LAB_DIR" images

# scenario spec -> the tests it reports (a missing result counts as a failure).
declare -A tests=(
	[boot:qemu]="boot-qemu smp-qemu mem-qemu poweroff-qemu"
	[boot:skiff]="boot-skiff smp-skiff mem-skiff poweroff-skiff"
	[bigcpu:skiff]="bigboot-skiff cpumodel-skiff bigsmp-skiff bigmem-skiff"
	[reboot:skiff]="noreboot-skiff reboot-skiff"
	[cli:skiff]="cli-badopt-skiff cli-badsize-skiff cli-nokernel-skiff"
	[net:skiff:e1000]="net-driver-skiff-e1000 net-dhcp-skiff-e1000 net-hostfwd-skiff-e1000"
	[net:qemu:virtio-net-pci]="net-driver-qemu-virtio net-dhcp-qemu-virtio"
	[net:skiff:virtio-net-pci]="net-driver-skiff-virtio net-dhcp-skiff-virtio"
)
for v in skiff qemu; do
	tests[netuser:$v]=""
	for x in dhcp ethtool hostfwd tcp-out dns udp-fwd restrict-blocks restrict-hostfwd twonic legacy default; do
		tests[netuser:$v]+=" user-$x-$v"
	done
	tests[nete1000:$v]=""
	for x in selftest-offline selftest-online eeprom regdump stats tso vlan; do
		tests[nete1000:$v]+=" e1000-$x-$v"
	done
done
tests[netbridge]="bridge-vm-host-qemu bridge-vm-host-skiff bridge-vm-vm-skiff bridge-host-vms-skiff
	tap-script-qemu tap-downscript-qemu tap-script-skiff tap-downscript-skiff socket-ping-skiff
	stream-ping-skiff stream-link-skiff stream-link-qemu xvmm-stream-ping xvmm-stream-iperf3 xvmm-socket-ping xvmm-socket-iperf3
	passt-dhcp-skiff passt-dhcp-qemu"

# Batches: one lab host boot each. The QEMU runs first in each: they tell a broken lab from a
# broken skiff.
batches=()
core_net=""
for suite in ${LAB_SUITES:-core net netdev}; do
	case "$suite" in
	core) core_net+=" cli:skiff boot:skiff bigcpu:skiff reboot:skiff" ;;
	net) core_net+=" netuser:qemu netuser:skiff net:qemu:virtio-net-pci net:skiff:virtio-net-pci" ;;
	netdev) batches+=("nete1000:qemu nete1000:skiff" "netbridge") ;;
	e1000) batches+=("nete1000:qemu nete1000:skiff") ;;
	bridge) batches+=("netbridge") ;;
	*) lab_die "unknown LAB_SUITES entry '$suite' (core, net, netdev = e1000 + bridge)" ;;
	esac
done
[ -z "$core_net" ] || batches=("boot:qemu$core_net" "${batches[@]}")
[ ${#batches[@]} -gt 0 ] || lab_die "LAB_SUITES selects nothing"

passed=0 failed=0 skipped=0
report() { # report PASS|FAIL|SKIP TEST DETAIL
	printf '%s %s: %s\n' "$1" "$2" "$3"
	case "$1" in
	PASS) passed=$((passed + 1)) ;;
	SKIP) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)) ;;
	esac
}
stamp=$(date +%Y%m%d-%H%M%S)
t_start=$(date +%s)
logs=()
lines=()
b=0
for batch in "${batches[@]}"; do
	b=$((b + 1))
	read -r -a plan <<<"$batch"
	results=$LAB_OUT/test-results-$b.txt
	log=$LAB_OUT/lab-check-$stamp-$b.log
	logs+=("${log#"$REPO_DIR"/}")
	retries=${LAB_RETRIES:-1}
	attempt=0 hangs=0 hung_note="" rerun_note="" hung=""
	declare -A first_fail=()
	while :; do
		attempt=$((attempt + 1))
		rc=0
		"$LAB_DIR/run-lab.sh" --timeout "${LAB_TIMEOUT:-900}" --idle "${LAB_IDLE:-120}" --log "$log" --results "$results" "${plan[@]}" || rc=$?
		[ "$rc" = 0 ] || [ "$rc" = 3 ] || lab_die "run-lab.sh failed (status $rc)"
		if [ "$rc" = 3 ]; then
			hung=$(sed -n 's/^LAB-RESULT lab-host FAIL //p' "$results")
			hung_note="$hung_note attempt $attempt: $hung;"
			hangs=$((hangs + 1))
			[ "$hangs" -le "$((retries + 1))" ] || break
		elif [ -z "$rerun_note" ]; then
			# A failed test is run once more (the nested lab is not deterministic:
			# LAB.md); both outcomes are reported.
			for spec in "${plan[@]}"; do
				for t in ${tests[$spec]}; do
					line=$(grep -m1 "^LAB-RESULT $t " "$results" || true)
					case "$line" in
					"" | "LAB-RESULT $t FAIL"*) first_fail[$t]=${line:-no result} ;;
					esac
				done
			done
			[ ${#first_fail[@]} -gt 0 ] || break
			# The one rerun after failures does not depend on how many hangs came before.
			rerun_note="rerun after ${#first_fail[@]} failure(s)"
		else
			break
		fi
		mv "$log" "${log%.log}-attempt$attempt.log"
		lab_log "batch $b: ${hung:+lab host hung ($hung); }running it again (attempt $((attempt + 1)))"
		hung=""
	done
	{
		if [ "$rc" = 3 ]; then
			# Infrastructure, not skiff: shown loudly, counted as not run unless
			# LAB_HANG_FATAL=1 (the nested TCG lab soft-locks now and then: LAB.md).
			if [ "${LAB_HANG_FATAL:-0}" = 1 ]; then
				echo "FAIL lab-host-$b hung on every attempt:$hung_note"
			else
				echo "SKIP lab-host-$b LAB HOST HUNG on every attempt, its tests did not run:$hung_note"
			fi
		elif [ -n "$hung_note" ]; then
			echo "PASS lab-host-$b ran on attempt $attempt after a hang:$hung_note"
		fi
		for spec in "${plan[@]}"; do
			for t in ${tests[$spec]}; do
				line=$(grep -m1 "^LAB-RESULT $t " "$results" || true)
				if [ "$rc" = 3 ] && [ -z "$line" ] && [ -n "${first_fail[$t]:-}" ]; then
					echo "FAIL $t ${first_fail[$t]#LAB-RESULT } (its rerun: the lab host hung)"
				elif [ "$rc" = 3 ] && [ -z "$line" ]; then
					echo "SKIP $t not run: the lab host hung (batch $b)"
				elif [ -z "$line" ]; then
					echo "FAIL $t no result (scenario ${spec%%:*} did not report; see ${log#"$REPO_DIR"/})"
				else
					read -r _ _ status detail <<<"$line"
					if [ -n "${first_fail[$t]:-}" ] && [ "$status" = PASS ]; then
						detail="$detail (passed when rerun; first run: ${first_fail[$t]#LAB-RESULT })"
					fi
					echo "$status $t $detail"
				fi
			done
		done
	} >"$results.report"
	unset first_fail
	while read -r status t detail; do lines+=("$status"$'\t'"$t"$'\t'"$detail"); done <"$results.report"
	rm -f "$results.report"
done
for l in "${lines[@]}"; do
	IFS=$'\t' read -r status t detail <<<"$l"
	report "$status" "$t" "$detail"
done
echo "lab: console logs ${logs[*]}"
# A guest that triple-faults is rebooted (as QEMU does) and its test may still pass on the rerun:
# say so loudly, it is an open problem (skiff guests only, under network load, a few per
# hundred lab boots; bench/README.md).
tf=0
for l in "${logs[@]}"; do
	[[ $l == /* ]] || l=$REPO_DIR/$l
	for f in "$l" "${l%.log}"-attempt*.log; do
		[ -f "$f" ] || continue
		tf=$((tf + $(tr -d '\r' <"$f" | grep -c 'skiff: warning: vCPU [0-9]*: triple fault' || true)))
	done
done
[ "$tf" = 0 ] || echo "lab: WARNING: $tf skiff guest triple fault(s) in these runs (grep 'triple fault' in the console logs)"
echo "lab: wall time $(($(date +%s) - t_start)) s for ${#batches[@]} lab host boot(s)"
echo "lab: $passed passed, $failed failed$([ "$skipped" = 0 ] || echo ", $skipped skipped")"
[ "$failed" = 0 ]
