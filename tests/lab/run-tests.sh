#!/bin/bash
# The lab's test suite (make lab-check): one lab run with QEMU as a self-check of the lab and
# skiff as the VMM under test; one line per test, then "lab: N passed, M failed".
# LAB_RETRIES (default 1): how often to rerun the lab when the lab host hangs (reported).
# LAB_SUITES (default "core"): test sets to run in that one lab run: core (VMM core: boot, CPUs,
# memory, CPU model, poweroff/reboot, command-line errors), net (e1000 + user networking).
set -euo pipefail
# shellcheck source=tests/lab/common.sh
. "$(dirname "$0")/common.sh"

make -s -C "$LAB_DIR" images

# scenario spec -> the tests it reports (a missing result counts as a failure).
declare -A tests=(
	[boot:qemu]="boot-qemu smp-qemu mem-qemu poweroff-qemu"
	[boot:skiff]="boot-skiff smp-skiff mem-skiff poweroff-skiff"
	[bigcpu:skiff]="bigboot-skiff cpumodel-skiff bigsmp-skiff bigmem-skiff"
	[reboot:skiff]="noreboot-skiff"
	[cli:skiff]="cli-badopt-skiff cli-badsize-skiff cli-nokernel-skiff"
	[net:skiff:e1000]="net-driver-skiff-e1000 net-dhcp-skiff-e1000 net-hostfwd-skiff-e1000"
)
# The QEMU boot first: it tells a broken lab from a broken skiff.
plan=(boot:qemu)
for suite in ${LAB_SUITES:-core}; do
	case "$suite" in
	core) plan+=(cli:skiff boot:skiff bigcpu:skiff reboot:skiff) ;;
	net) plan+=(net:skiff:e1000) ;;
	*) lab_die "unknown LAB_SUITES entry '$suite' (core, net)" ;;
	esac
done

results=$LAB_OUT/test-results.txt
log=$LAB_OUT/lab-check-$(date +%Y%m%d-%H%M%S).log
retries=${LAB_RETRIES:-1}
attempt=0 hung_note=""
while :; do
	attempt=$((attempt + 1))
	rc=0
	"$LAB_DIR/run-lab.sh" --log "$log" --results "$results" "${plan[@]}" || rc=$?
	[ "$rc" = 3 ] || break
	hung=$(sed -n 's/^LAB-RESULT lab-host FAIL //p' "$results")
	hung_note="$hung_note attempt $attempt: $hung;"
	[ "$attempt" -le "$retries" ] || break
	mv "$log" "${log%.log}-attempt$attempt.log"
	lab_log "lab host hung ($hung): running the lab again ($((attempt + 1)) of $((retries + 1)))"
done
[ "$rc" = 0 ] || [ "$rc" = 3 ] || lab_die "run-lab.sh failed (status $rc)"

passed=0 failed=0
report() { # report PASS|FAIL TEST DETAIL
	printf '%s %s: %s\n' "$1" "$2" "$3"
	if [ "$1" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
if [ "$rc" = 3 ]; then
	report FAIL lab-host "hung on every attempt:$hung_note"
elif [ -n "$hung_note" ]; then
	report PASS lab-host "ran on attempt $attempt after a hang:$hung_note"
fi
for spec in "${plan[@]}"; do
	for t in ${tests[$spec]}; do
		line=$(grep -m1 "^LAB-RESULT $t " "$results" || true)
		if [ -z "$line" ]; then
			report FAIL "$t" "no result (scenario ${spec%%:*} did not report; see ${log#"$REPO_DIR"/})"
		else
			read -r _ _ status detail <<<"$line"
			report "$status" "$t" "$detail"
		fi
	done
done
echo "lab: console log ${log#"$REPO_DIR"/}"
echo "lab: $passed passed, $failed failed"
[ "$failed" = 0 ]
