#!/bin/bash
# Build the lab host's (L1) base initramfs: busybox, bash, KVM and network modules, iproute2,
# curl, iperf3, ethtool, tcpdump, socat, QEMU with its firmware, the L2 kernel and /init.
# skiff, the scenarios and the L2 initramfs go into a small overlay archive that run-lab.sh
# builds on every run and concatenates to this one. Usage: mk-l1-base.sh OUT.cpio
set -euo pipefail
# shellcheck source=tests/lab/common.sh
. "$(dirname "$0")/common.sh"

out=${1:-$LAB_OUT/l1-base.cpio}
root=$(mktemp -d "$LAB_OUT/l1root.XXXXXX")
trap 'rm -rf "$root"' EXIT

make_skeleton "$root"
copy_modules "$root" kvm_amd tun bridge veth 8021q
# Users the network daemons drop privileges to (passt refuses to stay root).
echo "nobody:x:65534:65534:nobody:/nonexistent:/bin/false" >>"$root/etc/passwd"
echo "nogroup:x:65534:" >>"$root/etc/group"
copy_bin "$root" /bin/bash /bin/bash
copy_bin "$root" "$(command -v timeout)" /usr/bin/timeout
copy_bin "$root" "$(command -v ip)" /bin/ip
for b in curl iperf3 ethtool tcpdump socat; do
	copy_bin "$root" "$(command -v "$b")" "/usr/bin/$b"
done
# Optional network peers (tests/lab/deps.sh installs them): dnsmasq answers DNS for the user
# network's 10.0.2.3 proxy, passt is a -netdev stream peer. Scenarios skip what is missing.
for b in dnsmasq passt; do
	p=$(command -v "$b" || true)
	[ -z "$p" ] || copy_bin "$root" "$p" "/usr/sbin/$b"
done
copy_bin "$root" /usr/bin/qemu-system-x86_64
mkdir -p "$root/usr/share/qemu-lab"
for f in bios-256k.bin linuxboot_dma.bin kvmvapic.bin; do
	src=/usr/share/qemu/$f
	[ -e "$src" ] || src=/usr/share/seabios/$f
	cp -L "$src" "$root/usr/share/qemu-lab/$f"
done
mkdir -p "$root/lab/l2"
cp "$LAB_CACHE/kernel/bzImage" "$root/lab/l2/bzImage"
echo 'export PS1="lab-host:\w# "' >"$root/root/.bashrc"
cp "$root/root/.bashrc" "$root/root/.profile"
install -m 755 "$LAB_DIR/l1/init" "$root/init"
pack_cpio "$root" "$out"
lab_log "L1 base initramfs: $out ($(du -h "$out" | cut -f1))"
