#!/bin/sh
# dmesg: print the kernel log with its timestamps (L2-DMESG lines), for a boot that ran with
# "quiet": where the guest's own boot time went, without slowing the boot down by printing.
dmesg | sed 's/^/L2-DMESG /'
