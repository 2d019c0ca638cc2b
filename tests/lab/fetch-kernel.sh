#!/bin/bash
# Download the current Debian 6.1 kernel package (via linux-image-amd64's dependency) into
# the cache and extract it. Idempotent: does nothing once extracted.
set -euo pipefail
# shellcheck source=tests/lab/common.sh
. "$(dirname "$0")/common.sh"

dest=$LAB_CACHE/kernel
if [ -s "$dest/version" ] && [ -s "$dest/bzImage" ]; then
	exit 0
fi
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
if [ -z "$pkg" ]; then
	apt-get update -qq >&2 || true
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
fi
[ -n "$pkg" ] || lab_die "cannot resolve linux-image-amd64's kernel package"
kver=${pkg#linux-image-}
lab_log "fetching $pkg"
mkdir -p "$LAB_CACHE/debs"
deb=$(find "$LAB_CACHE/debs" -name "${pkg}_*.deb" | head -n1)
if [ -z "$deb" ]; then
	(cd "$LAB_CACHE/debs" && apt-get download -q "$pkg" >&2)
	deb=$(find "$LAB_CACHE/debs" -name "${pkg}_*.deb" | head -n1)
fi
rm -rf "$dest.tmp"
mkdir -p "$dest.tmp"
dpkg-deb -x "$deb" "$dest.tmp/root"
cp "$dest.tmp/root/boot/vmlinuz-$kver" "$dest.tmp/bzImage"
echo "$kver" >"$dest.tmp/version"
depmod -b "$dest.tmp/root" "$kver"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
lab_log "kernel $kver ready in $dest"
