#!/bin/sh
# Install the Debian 12 packages skiff needs. Usage: install-deps.sh build|lab|bench|all
# Cheap when everything is there already (one dpkg-query), so make calls it every time.
set -eu

build_pkgs="gcc make libc6-dev libcmocka-dev libslirp-dev liblzma-dev zlib1g-dev libisal-dev acpica-tools clang libclang-rt-14-dev"
bench_pkgs="valgrind qemu-user"
lab_pkgs="qemu-system-x86 qemu-utils seabios busybox-static cpio kmod iperf3 ethtool iproute2 tcpdump socat curl xz-utils bridge-utils"

case "${1:-build}" in
build) want=$build_pkgs ;;
lab) want=$lab_pkgs ;;
bench) want=$bench_pkgs ;;
all) want="$build_pkgs $lab_pkgs $bench_pkgs" ;;
*) echo "usage: $0 build|lab|bench|all" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "skiff: missing Debian packages:$missing" >&2
	echo "skiff: run as root: apt-get install$missing" >&2
	exit 1
fi
echo "skiff: installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
