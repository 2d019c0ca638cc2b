# shellcheck shell=bash
# Host-side settings shared by the lab's scripts (sourced, not run).
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LAB_DIR/../.." && pwd)
LAB_CACHE=${LAB_CACHE:-$LAB_DIR/cache}
LAB_OUT=${LAB_OUT:-$LAB_DIR/out}
export LAB_DIR REPO_DIR LAB_CACHE LAB_OUT

lab_log() { printf 'lab: %s\n' "$*" >&2; }
lab_die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# The kernel version extracted into the cache (set by fetch-kernel.sh).
lab_kver() {
	[ -s "$LAB_CACHE/kernel/version" ] || lab_die "no kernel in $LAB_CACHE: run 'make -C tests/lab images'"
	cat "$LAB_CACHE/kernel/version"
}

# Copy the shared libraries a dynamic binary needs (as ldd lists them) into ROOT.
copy_libs() {
	local root=$1 bin=$2 lib
	while read -r lib; do
		[ -n "$lib" ] || continue
		mkdir -p "$root$(dirname "$lib")"
		[ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
	done < <(ldd "$bin" 2>/dev/null | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}')
}

# Copy a host binary to ROOT/DEST with its libraries (rm first: DEST may be a busybox symlink).
copy_bin() {
	local root=$1 bin=$2 dest=${3:-$2}
	mkdir -p "$root$(dirname "$dest")"
	rm -f "$root$dest"
	cp -L "$bin" "$root$dest"
	copy_libs "$root" "$bin"
}

# Pack directory ROOT into a newc cpio archive OUT (uncompressed: unpacks fastest under TCG).
pack_cpio() {
	local root=$1 out=$2
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$out.tmp"
	mv "$out.tmp" "$out"
}

# Copy kernel modules MODS (and everything they depend on) from the extracted kernel into ROOT,
# then run depmod there so busybox modprobe works.
copy_modules() {
	local root=$1 kver ksrc m f
	shift
	kver=$(lab_kver)
	ksrc=$LAB_CACHE/kernel/root
	for m in "$@"; do
		modprobe -d "$ksrc" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
	done | sort -u | while read -r f; do
		mkdir -p "$root$(dirname "${f#"$ksrc"}")"
		cp "$f" "$root${f#"$ksrc"}"
	done
	cp "$ksrc/lib/modules/$kver/modules.order" "$ksrc/lib/modules/$kver/modules.builtin" \
		"$ksrc/lib/modules/$kver/modules.builtin.modinfo" "$root/lib/modules/$kver/"
	depmod -b "$root" "$kver"
}

# A busybox-static root skeleton in ROOT: applet links in /bin, basic dirs and device nodes.
make_skeleton() {
	local root=$1 a
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,lib/modules}
	cp /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
	done
	mknod -m 600 "$root/dev/console" c 5 1
	mknod -m 666 "$root/dev/null" c 1 3
	echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"
}
