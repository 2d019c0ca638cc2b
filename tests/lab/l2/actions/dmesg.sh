#!/bin/sh
# dmesg: print the kernel log with its timestamps (L2-DMESG lines), for a boot that ran with
# "quiet": where the guest's own boot time went, without slowing the boot down by printing.
# Under initcall_debug only the initcalls that took 5 ms or more are printed (a few hundred
# lines instead of thousands on the serial console).
dmesg | awk '/ calling  / { next }
/initcall .* returned .* after [0-9]+ usecs/ {
	n = $0; sub(/.* after /, "", n); sub(/ usecs.*/, "", n); if (n + 0 < 5000) next
}
{ print "L2-DMESG " $0 }'
