#!/bin/bash
# cli VMM: bad command lines fail with QEMU's messages and exit status 1.
# Tests: cli-badopt-VMM, cli-badsize-VMM, cli-nokernel-VMM.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
vmm=${1:-qemu}
name=$(vmm_name "$vmm")
vmm_prefix "$vmm"
if ! have_vmm "$vmm"; then
	for t in badopt badsize nokernel; do result "cli-$t-$vmm" FAIL "no VMM binary ${VMM_PREFIX[0]}"; done
	exit 0
fi

# check TEST WANT-REGEX ARGS...: the VMM fails with status 1 and a line matching WANT-REGEX.
check() {
	local t=$1 want=$2 out rc
	shift 2
	out=$(timeout -k 2 20 "${VMM_PREFIX[@]}" "$@" </dev/null 2>&1)
	rc=$?
	if [[ $out == *$'\r'* ]]; then
		echo "[cli-$t-$vmm] note: the output has CR characters (QEMU prints plain LF)"
		out=${out//$'\r'/}
	fi
	printf '[cli-%s-%s] rc=%s: %s\n' "$t" "$vmm" "$rc" "$out" | head -n 5
	if [ "$rc" = 1 ] && grep -Eq -- "$want" <<<"$out"; then
		result "cli-$t-$vmm" PASS "$(head -n1 <<<"$out")"
	else
		result "cli-$t-$vmm" FAIL "status $rc, output '$(head -n1 <<<"$out" | cut -c1-120)', want status 1 and /$want/"
	fi
}

check badopt "^$name: -foo: invalid option\$" -foo
check badsize "^$name: -m 1Z: Parameter 'size' expects" -m 1Z
check nokernel "/nonexistent/bzImage.*No such file or directory" \
	-enable-kvm -m 256M -kernel /nonexistent/bzImage -nographic
