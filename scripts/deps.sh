#!/bin/sh
# SPDX-License-Identifier: MIT
# Install the Debian packages Hintvisor needs to build, run and test.
# Does nothing (and needs no network) when every package is already present.
set -eu

PKGS="gcc make binutils libc6-dev pkg-config
gnu-efi check libsubunit-dev
newlib-source
bochs bochsbios vgabios bochs-term
grub-common grub-pc-bin grub-efi-amd64-bin xorriso mtools dosfstools
qemu-system-x86 ovmf
file xz-utils
spin clang-14 libfuzzer-14-dev
linux-source-6.1 busybox-static e2fsprogs cpio bc flex bison libelf-dev libssl-dev
python3-ply
gnuplot-nox"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
