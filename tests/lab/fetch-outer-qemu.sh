#!/bin/bash
# The lab host's emulator (the "outer" QEMU that runs the lab host under TCG): Debian
# bookworm-backports' qemu-system-x86 (10.0), unpacked into cache/outer-qemu/ beside the system's
# QEMU 7.2, which stays the reference VMM inside the lab (the bench's ratios are against 7.2).
# Why: QEMU 7.2's nested SVM under TCG takes interrupts with GIF=0 right after VMRUN now and then,
# which kills the lab host (tests/lab/README.md, "Pitfalls"). Its dependencies are 7.2's, so
# nothing else changes on the machine.
# Writes cache/outer-qemu/qemu: a wrapper that runs it with its own modules and firmware.
set -euo pipefail
# shellcheck source=tests/lab/common.sh
. "$(dirname "$0")/common.sh"

dir=$LAB_CACHE/outer-qemu
[ -x "$dir/qemu" ] && exit 0
tmp=$LAB_CACHE/outer-qemu.tmp
rm -rf "$tmp"
mkdir -p "$tmp/apt/lists/partial" "$tmp/apt/cache/archives/partial" "$tmp/debs" "$tmp/root"
echo "deb http://deb.debian.org/debian bookworm-backports main" >"$tmp/apt/sources.list"
apt=(-o "Dir::Etc::SourceList=$tmp/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$tmp/apt/lists" -o "Dir::Cache=$tmp/apt/cache" -o APT::Sandbox::User=root)
lab_log "outer QEMU: fetching bookworm-backports' qemu-system-x86 into $dir"
apt-get "${apt[@]}" -qq update >&2
(cd "$tmp/debs" && apt-get "${apt[@]}" -qq download qemu-system-x86 qemu-system-common qemu-system-data >&2)
for d in "$tmp"/debs/*.deb; do dpkg-deb -x "$d" "$tmp/root"; done
bin=$tmp/root/usr/bin/qemu-system-x86_64
if ldd "$bin" | grep -q 'not found'; then
	lab_die "outer QEMU: missing libraries: $(ldd "$bin" | grep 'not found' | tr -s ' \t\n' ' ')"
fi
rm -rf "$tmp/apt" "$tmp/debs"
# Its own modules (QEMU refuses another build's and aborts), its own option ROMs, the system's
# SeaBIOS; no audio (the default probes audio modules).
cat >"$tmp/qemu" <<WRAP
#!/bin/sh
QEMU_MODULE_DIR=$dir/root/usr/lib/x86_64-linux-gnu/qemu exec $dir/root/usr/bin/qemu-system-x86_64 \\
	-L $dir/root/usr/share/qemu -L /usr/share/seabios -audio none "\$@"
WRAP
chmod +x "$tmp/qemu"
rm -rf "$dir"
mv "$tmp" "$dir"
"$dir/qemu" --version | head -1 >"$dir/version"
lab_log "outer QEMU: $(cat "$dir/version")"
