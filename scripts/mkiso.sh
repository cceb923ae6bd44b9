#!/bin/sh
# SPDX-License-Identifier: MIT
# Build a hybrid BIOS+UEFI GRUB ISO that boots hintvisor.elf by multiboot2,
# with a config file and every guest image it names as modules. Modules are
# loaded with --nounzip: GRUB would otherwise hand over a gzip file
# decompressed, and of a multi-member gzip (an initramfs with early microcode
# before it) only the first member; guests get their files byte for byte.
# Usage: scripts/mkiso.sh CONFIG OUT.iso IMAGE_DIR HINTVISOR_ELF
set -eu

cfg=$1 out=$2 imgdir=$3 elf=$4
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "$elf" "$stage/boot/hintvisor.elf"
cp "$cfg" "$stage/boot/hintvisor.cfg"

{
	echo 'set timeout=0'
	echo 'set default=0'
	echo 'menuentry "Hintvisor" {'
	echo '  multiboot2 /boot/hintvisor.elf'
	echo '  module2 --nounzip /boot/hintvisor.cfg hintvisor.cfg'
	for img in $(scripts/cfg-images.sh "$cfg"); do
		cp "$imgdir/$img" "$stage/boot/$img"
		echo "  module2 --nounzip /boot/$img $img"
	done
	echo '  boot'
	echo '}'
} >"$stage/boot/grub/grub.cfg"

grub-mkrescue -o "$out" "$stage" >"$out.log" 2>&1 || { cat "$out.log"; exit 1; }
