#!/bin/bash
# Build the L2 (guest) initramfs: busybox, NIC and 8021q modules, iperf3, ethtool, socat, iproute2, the udhcpc hook,
# /init (l2/init) and the actions (l2/actions/*.sh). Usage: mk-l2-initrd.sh OUT.cpio
set -euo pipefail
# shellcheck source=tests/lab/common.sh
. "$(dirname "$0")/common.sh"

out=${1:-$LAB_OUT/l2-initrd.cpio}
root=$(mktemp -d "$LAB_OUT/l2root.XXXXXX")
trap 'rm -rf "$root"' EXIT

make_skeleton "$root"
copy_modules "$root" e1000 virtio_net virtio_pci 8021q
copy_bin "$root" "$(command -v iperf3)" /usr/bin/iperf3
copy_bin "$root" "$(command -v socat)" /usr/bin/socat
# iproute2 for VLAN links (busybox's ip applet stays the bare name's meaning: call /bin/ip)
copy_bin "$root" "$(command -v ip)" /bin/ip
copy_bin "$root" "$(command -v ethtool)" /usr/sbin/ethtool
install -D -m 755 "$LAB_DIR/l2/default.script" "$root/etc/udhcpc/default.script"
install -m 755 "$LAB_DIR/l2/init" "$root/init"
mkdir -p "$root/lab/actions"
install -m 755 "$LAB_DIR"/l2/actions/*.sh "$root/lab/actions/"
pack_cpio "$root" "$out"
lab_log "L2 initramfs: $out ($(du -h "$out" | cut -f1))"
