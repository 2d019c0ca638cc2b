#!/bin/bash
# pingtrace [ROUNDS] [VMM[@VAR=VALUE]...]: where a tap ping's time goes, side by side (default:
# 2 rounds of qemu skiff). Per spec and round, one e1000 guest on tap1 (br1) pings the lab host
# 30 times, 0.2 s apart, while L1 KVM's tracepoints record its vCPU thread (kvm_entry/exit,
# kvm_userspace_exit, kvm_mmio, kvm_inj_virq). Each ping cycle (from the vCPU's wake-up after
# the idle between two pings) is cut in three at the e1000's TDT write (the echo request leaves)
# and at the injection of the NIC's interrupt (the reply is in the ring):
#   A  wake-up and send: the guest's timer interrupt, ping's sendmsg, its stack, the driver
#   B  TDT -> interrupt: the VMM's transmit, the lab host's answer, the VMM's receive
#   C  interrupt -> IMS write: the driver's handler, NAPI receive, up to its re-enable
# and each part's time is split by where the vCPU thread was: G in the guest, K in L1 KVM
# handling an exit, U in the VMM's userspace (exits to it), H halted. One line per run:
#   LAB-PINGTRACE <spec> <round> rtt_med=MS n=CYCLES A=MS [G K U H exits] B=... C=...
# (medians over the cycles). G is what no VMM can change; B's U holds the lab host's own
# network stack (it answers inside the VMM's tap write). bench/README.md, session 11.
# shellcheck source=tests/lab/scenarios/lib.sh
. "$(dirname "$0")/lib.sh"
rounds=${1:-2}
shift || true
[ $# -gt 0 ] || set -- qemu skiff
lab_bridge
tf=/sys/kernel/tracing
mount -t tracefs nodev "$tf" 2>/dev/null
if [ ! -w "$tf/events/kvm/kvm_entry/enable" ]; then
	result pingtrace FAIL "no KVM tracepoints in the lab host"
	exit 0
fi
echo 16384 >"$tf/buffer_size_kb"
evs="kvm_exit kvm_entry kvm_userspace_exit kvm_mmio kvm_inj_virq"
trace_events() { local e; for e in $evs; do echo "$1" >"$tf/events/kvm/$e/enable" 2>/dev/null; done; }

# The trace's vCPU thread (the first with a kvm_entry) through a state machine; a halt longer
# than 20 ms ends a cycle. TDT is BAR0 + 0x3818, IMS + 0xd0; vector 0xec is the guest's timer.
# shellcheck disable=SC2016
pt_awk='
function tm(l,  a) { if (!match(l, /\] [^ ]+ +[0-9]+\.[0-9]+: /)) return -1
	a = substr(l, RSTART, RLENGTH); sub(/^\] [^ ]+ +/, "", a); sub(/: $/, "", a); return a + 0 }
function tidof(l,  a) { if (!match(l, /-[0-9]+ +\[[0-9]+\]/)) return ""
	a = substr(l, RSTART + 1, RLENGTH); sub(/ .*/, "", a); return a }
function acct(t) { if (st != "") acc[seg, st] += t - ts; ts = t }
function cycle_end(  x, y) {
	if (cstart > 0 && tIMS > 0) {
		nc++; span[0, nc] = tTDT - cstart; span[1, nc] = tINJ - tTDT; span[2, nc] = tIMS - tINJ
		for (x = 0; x < 3; x++) { for (y in stn) v[x, stn[y], nc] = acc[x, stn[y]]; v[x, "ex", nc] = ex[x] }
	}
	delete acc; delete ex; seg = 0; tTDT = tINJ = tIMS = 0
}
function med(a, n,  i, j, t, b) { for (i = 1; i <= n; i++) b[i] = a[i]
	for (i = 2; i <= n; i++) { t = b[i]; for (j = i - 1; j >= 1 && b[j] > t; j--) b[j + 1] = b[j]; b[j + 1] = t }
	return n ? ((n % 2) ? b[(n + 1) / 2] : (b[n / 2] + b[n / 2 + 1]) / 2) : 0 }
function mv(x, k,  i, a) { for (i = 1; i <= nc; i++) a[i] = v[x, k, i]; return med(a, nc) }
function ms(x,  i, a) { for (i = 1; i <= nc; i++) a[i] = span[x, i]; return med(a, nc) * 1000 }
function part(x, name) { return sprintf(" %s=%.3f [G %.3f K %.3f U %.3f H %.3f exits %d]", name, ms(x),
	mv(x, "G") * 1000, mv(x, "K") * 1000, mv(x, "U") * 1000, mv(x, "H") * 1000, mv(x, "ex")) }
BEGIN { stn[1] = "G"; stn[2] = "K"; stn[3] = "U"; stn[4] = "H" }
/ kvm_entry: / { if (vt == "") vt = tidof($0) }
{
	t = tm($0)
	if (t < 0 || vt == "" || tidof($0) != vt) next
	if ($0 ~ / kvm_entry: /) {
		if (st == "H" && t - ts > 0.02) { cycle_end(); cstart = t; st = "G"; ts = t; next }
		acct(t); st = "G"
	} else if ($0 ~ / kvm_exit: /) {
		acct(t); ex[seg]++; st = ($0 ~ / reason (hlt|HLT) /) ? "H" : "K"
	} else if ($0 ~ / kvm_userspace_exit: /) {
		acct(t); st = "U"
	} else if (seg == 0 && cstart > 0 && $0 ~ / kvm_mmio: mmio write .*gpa 0x[0-9a-f]*3818 /) {
		acct(t); tTDT = t; seg = 1
	} else if (seg == 1 && $0 ~ / kvm_inj_virq: / && $0 !~ /0xec/) {
		acct(t); tINJ = t; seg = 2
	} else if (seg == 2 && $0 ~ / kvm_mmio: mmio write .*gpa 0x[0-9a-f]*00d0 /) {
		acct(t); tIMS = t; seg = 3
	}
}
END { printf "n=%d%s%s%s\n", nc, part(0, "A"), part(1, "B"), part(2, "C") }'

tap_ping_guest lab.ping_count=30
one() { # ROUND K SPEC
	local tag=pingtrace-$vmm-$1-$2
	echo 0 >"$tf/tracing_on"
	trace_events 0
	echo >"$tf/trace"
	l2_bg "$tag" "$vmm" "${TAP_PING_GUEST[@]}"
	if l2_wait "$tag" 'L2-STATIC-UP|L2-STATIC FAIL' "$LAB_L2_TIMEOUT"; then
		trace_events 1
		echo 1 >"$tf/tracing_on"
	fi
	l2_wait "$tag" 'L2-PINGTEST' 120
	echo 0 >"$tf/tracing_on"
	l2_stop "$tag"
	l2_join "$tag"
	echo "LAB-PINGTRACE $3 $1 rtt_med=$(ping_rtts "$tag" | median_of %.3f) $(awk "$pt_awk" "$tf/trace")"
}
for_rounds "$rounds" one "$@"
trace_events 0
