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
# soft-locks now and then (LAB.md), and a hang costs what that lab host had not run yet plus
# LAB_IDLE (default here 120 s: every healthy step prints within a minute).
# After each lab host boot, the scenarios that still owe a result run again in a new one: those
# a hang cut short (up to LAB_RETRIES hangs per batch, default 3) and those with a failed test
# (once; both outcomes are reported). A lab host that hangs past the budget is reported loudly
# and the tests it never ran count as not run (LAB_HANG_FATAL=1: failed).
# A test whose scenario reports SKIP counts as neither passed nor failed (shown as SKIP).
set -euo pipefail
# shellcheck source=tests/lab/common.sh
. "$(dirname "$0")/common.sh"

make -s -C "$LAB_DIR" images
# The lab host traces L1 KVM's exits and snapshots them at a guest's triple fault (l1/init).
export LAB_TF_TRACE=${LAB_TF_TRACE:-1}

# scenario spec -> the tests it reports (a missing result counts as a failure).
declare -A tests=(
	[boot:qemu]="boot-qemu smp-qemu mem-qemu poweroff-qemu tick-qemu"
	[boot:skiff]="boot-skiff smp-skiff mem-skiff poweroff-skiff tick-skiff cpuflags-skiff kaslr-skiff"
	[bigcpu:skiff]="bigboot-skiff cpumodel-skiff bigsmp-skiff bigmem-skiff cpuflags-ivybridge-skiff"
	[reboot:skiff]="noreboot-skiff reboot-skiff triplefault-skiff quitreport-skiff"
	[cli:skiff]="cli-badopt-skiff cli-badsize-skiff cli-nokernel-skiff"
	[net:skiff:e1000]="net-driver-skiff-e1000 net-dhcp-skiff-e1000 net-hostfwd-skiff-e1000"
	[net:qemu:virtio-net-pci]="net-driver-qemu-virtio net-dhcp-qemu-virtio"
	[net:skiff:virtio-net-pci]="net-driver-skiff-virtio net-dhcp-skiff-virtio"
	[net:skiff:virtio-net-pci,vectors=0]="net-driver-skiff-virtio-intx net-dhcp-skiff-virtio-intx net-irq-skiff-virtio-intx"
)
for v in skiff qemu; do
	tests[netuser:$v]=""
	for x in dhcp ethtool irq hostfwd tcp-out dns udp-fwd restrict-blocks restrict-hostfwd twonic legacy default; do
		tests[netuser:$v]+=" user-$x-$v"
	done
	tests[nete1000:$v]=""
	for x in selftest-offline selftest-online eeprom regdump stats tso vlan; do
		tests[nete1000:$v]+=" e1000-$x-$v"
	done
done
# netbridge runs part by part (its PART arguments), so a lab host that dies costs one part.
tests[netbridge:bridge]="bridge-vm-host-qemu bridge-vm-host-skiff bridge-vm-vm-skiff bridge-host-vms-skiff"
tests[netbridge:script]="tap-script-qemu tap-downscript-qemu tap-script-skiff tap-downscript-skiff"
tests[netbridge:socket]="socket-ping-skiff"
tests[netbridge:stream]="stream-ping-skiff"
tests[netbridge:reset]="stream-reset-skiff stream-reset-qemu"
tests[netbridge:link]="stream-link-skiff stream-link-qemu"
tests[netbridge:xvmm]="xvmm-stream-ping xvmm-stream-iperf3 xvmm-socket-ping xvmm-socket-iperf3"
tests[netbridge:passt]="passt-dhcp-skiff passt-dhcp-qemu"
netbridge="netbridge:bridge netbridge:script netbridge:socket netbridge:stream netbridge:reset netbridge:link netbridge:xvmm netbridge:passt"

# Batches: one lab host boot each. The QEMU runs first in each: they tell a broken lab from a
# broken skiff.
batches=()
core_net=""
for suite in ${LAB_SUITES:-core net netdev}; do
	case "$suite" in
	core) core_net+=" cli:skiff boot:skiff bigcpu:skiff reboot:skiff" ;;
	net) core_net+=" netuser:qemu netuser:skiff net:qemu:virtio-net-pci net:skiff:virtio-net-pci net:skiff:virtio-net-pci,vectors=0" ;;
	netdev) batches+=("nete1000:qemu nete1000:skiff" "$netbridge") ;;
	e1000) batches+=("nete1000:qemu nete1000:skiff") ;;
	bridge) batches+=("$netbridge") ;;
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
boots=0
b=0
for batch in "${batches[@]}"; do
	b=$((b + 1))
	read -r -a plan <<<"$batch"
	results=$LAB_OUT/test-results-$b.txt
	log=$LAB_OUT/lab-check-$stamp-$b.log
	logs+=("${log#"$REPO_DIR"/}")
	retries=${LAB_RETRIES:-3}
	attempt=0 hangs=0 hung_note="" hung=""
	# Per test: its final result line, and its first failure (a failed test runs once more).
	declare -A final=() first_fail=()
	todo=("${plan[@]}")
	while :; do
		attempt=$((attempt + 1))
		boots=$((boots + 1))
		rc=0
		"$LAB_DIR/run-lab.sh" --timeout "${LAB_TIMEOUT:-900}" --idle "${LAB_IDLE:-120}" --log "$log" --results "$results" "${todo[@]}" || rc=$?
		[ "$rc" = 0 ] || [ "$rc" = 3 ] || lab_die "run-lab.sh failed (status $rc)"
		if [ "$rc" = 3 ]; then
			hung=$(sed -n 's/^LAB-RESULT lab-host FAIL //p' "$results")
			hung_note="$hung_note attempt $attempt: $hung;"
			hangs=$((hangs + 1))
		fi
		# What this attempt settled; the scenarios still owing a result run again, alone: a
		# lab host that dies costs what it had not run yet, a failure costs one scenario.
		next=()
		for spec in "${todo[@]}"; do
			again=0
			for t in ${tests[$spec]}; do
				[ -z "${final[$t]:-}" ] || continue
				line=$(grep -m1 "^LAB-RESULT $t " "$results" || true)
				if [ -z "$line" ] && [ "$rc" = 3 ]; then
					again=1   # cut short by the hang
				elif [[ -z $line || $line == "LAB-RESULT $t FAIL"* ]] && [ -z "${first_fail[$t]:-}" ]; then
					first_fail[$t]=${line:-LAB-RESULT $t FAIL no result (scenario ${spec%%:*} did not report)}
					again=1
				else
					final[$t]=${line:-LAB-RESULT $t FAIL no result (scenario ${spec%%:*} did not report; see ${log#"$REPO_DIR"/})}
				fi
			done
			[ "$again" = 0 ] || next+=("$spec")
		done
		[ ${#next[@]} -gt 0 ] || break
		# Hangs have a budget (the nested TCG lab is not deterministic: LAB.md); so does the
		# one rerun of a failure, which ends when its scenario reported once more.
		[ "$hangs" -le "$retries" ] || break
		mv "$log" "${log%.log}-attempt$attempt.log"
		todo=("${next[@]}")
		lab_log "batch $b: ${hung:+lab host hung ($hung); }running again (attempt $((attempt + 1))): ${todo[*]}"
		hung=""
	done
	{
		if [ "$rc" = 3 ] && [ ${#next[@]} -gt 0 ]; then
			# Infrastructure, not skiff: shown loudly, counted as not run unless
			# LAB_HANG_FATAL=1 (the nested TCG lab soft-locks now and then: LAB.md).
			if [ "${LAB_HANG_FATAL:-0}" = 1 ]; then
				echo "FAIL lab-host-$b hung on $hangs attempt(s), tests left unrun:$hung_note"
			else
				echo "SKIP lab-host-$b LAB HOST HUNG on $hangs attempt(s), tests left unrun:$hung_note"
			fi
		elif [ -n "$hung_note" ]; then
			echo "PASS lab-host-$b finished on attempt $attempt after hang(s):$hung_note"
		fi
		for spec in "${plan[@]}"; do
			for t in ${tests[$spec]}; do
				line=${final[$t]:-}
				if [ -z "$line" ] && [ -n "${first_fail[$t]:-}" ]; then
					echo "FAIL $t ${first_fail[$t]#LAB-RESULT $t FAIL } (its rerun: the lab host hung)"
				elif [ -z "$line" ]; then
					echo "SKIP $t not run: the lab host hung (batch $b)"
				else
					read -r _ _ status detail <<<"$line"
					if [ -n "${first_fail[$t]:-}" ]; then
						detail="$detail (rerun; first run: ${first_fail[$t]#LAB-RESULT $t })"
					fi
					echo "$status $t $detail"
				fi
			done
		done
	} >"$results.report"
	unset final first_fail
	while read -r status t detail; do lines+=("$status"$'\t'"$t"$'\t'"$detail"); done <"$results.report"
	rm -f "$results.report"
done
for l in "${lines[@]}"; do
	IFS=$'\t' read -r status t detail <<<"$l"
	report "$status" "$t" "$detail"
done
echo "lab: console logs ${logs[*]}"
# A guest that triple-faults is rebooted (as QEMU does) and its test may still pass on the rerun:
# say so loudly. It is the lab's (bench/README.md "Triple faults"): QEMU's guests take the same
# fault, caught by the trace when two guests run at once. skiff says so on its console; a QEMU
# guest resets silently, so its count comes from the trace snapshots (the last per scenario).
tf=0 tfq=0
for l in "${logs[@]}"; do
	[[ $l == /* ]] || l=$REPO_DIR/$l
	for f in "$l" "${l%.log}"-attempt*.log; do
		[ -f "$f" ] || continue
		# (the reboot scenario's triplefault test makes one on purpose: not counted)
		n=$(tr -d '\r' <"$f" | grep -v '^\[triplefault-' | grep -c 'skiff: warning: vCPU [0-9]*: triple fault' || true)
		nq=$(tr -d '\r' <"$f" | grep -v '^LAB-TF reboot ' | grep -cE '^LAB-TF [^ ]+ +qemu-system-[^ ]+ .*reason shutdown' || true)
		tf=$((tf + n)) tfq=$((tfq + nq))
		# What L1 KVM saw before each (the lab host's trace snapshot, l1/init): the last
		# events of the faulting guest's vCPU threads, here where CI shows them.
		[ "$((n + nq))" = 0 ] || tr -d '\r' <"$f" | grep -E '^LAB-TF ' | grep -v '^LAB-TF reboot ' |
			grep -E 'snapshot|CPU [0-9]+/KVM|qemu-system' | tail -n 60 || true
	done
done
[ "$((tf + tfq))" = 0 ] || echo "lab: WARNING: guest triple faults in these runs: $tf skiff, at least $tfq QEMU (the lab's nested SVM, bench/README.md; grep 'triple fault' in the console logs, LAB-TF lines: the L1 KVM trace before each)"
echo "lab: wall time $(($(date +%s) - t_start)) s for $boots lab host boot(s) in ${#batches[@]} batch(es)"
echo "lab: $passed passed, $failed failed$([ "$skipped" = 0 ] || echo ", $skipped skipped")"
[ "$failed" = 0 ]
