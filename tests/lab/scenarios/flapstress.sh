#!/bin/bash
# flapstress FLAPS [VMM[@VAR=VALUE]...]: per spec, two guests at once (as in the bench's pairs),
# each taking its e1000 down and up FLAPS times (l2/actions/linkflap.sh) with -no-reboot, so a
# triple fault ends the guest. One line per guest:
#   LAB-FLAPSTRESS <spec> <guest> flaps=<done> triple_faults=<n> rc=<status>
# skiff guests have triple-faulted now and then at the driver's open (bench/README.md);
# this repeats that step to see how often, and under which of skiff's comparison switches
# (SKIFF_RX_PAGE=off: no memory slot over the receive registers; SKIFF_COALESCED=off).
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
flaps=${1:-100}
shift || true
[ $# -gt 0 ] || set -- skiff
export LAB_L2_TIMEOUT=$((60 + flaps * 2))
for spec in "$@"; do
	spec_env "$spec"
	tags=()
	for g in 1 2; do
		t=flap-$vmm-$g-$RANDOM
		tags+=("$t")
		l2_bg "$t" "$vmm" -enable-kvm -kernel "$LAB_KERNEL" -initrd "$LAB_INITRD" -nographic \
			-m 256M -smp 1 -no-reboot \
			-append "$L2_APPEND lab.action=static,linkflap lab.ip=10.0.2.15/24 lab.flaps=$flaps" \
			-netdev user,id=n0 -device e1000,netdev=n0
	done
	for t in "${tags[@]}"; do
		l2_join "$t"
		done_n=$(sed -n 's/^L2-FLAP-DONE //p' "/tmp/l2-$t.log" | head -n1)
		last=$(sed -n 's/^L2-FLAP //p' "/tmp/l2-$t.log" | tail -n1)
		tf=$(grep -c 'triple fault' "/tmp/l2-$t.log" || true)
		echo "LAB-FLAPSTRESS $spec $t flaps=${done_n:-${last:-0}} done=$([ -n "$done_n" ] && echo yes || echo no) triple_faults=$tf rc=$L2_RC"
		[ "$tf" = 0 ] || grep -A18 'triple fault' "/tmp/l2-$t.log" | sed "s/^/LAB-FLAPSTRESS-TF $t /"
	done
	spec_env_clear
done
