#!/bin/sh
# SPDX-License-Identifier: MIT
# Build a FAT EFI system partition image: EFI/BOOT/BOOTX64.EFI (Hintvisor),
# and hintvisor/ holding the config and every guest image it names, which
# the EFI loader reads before ExitBootServices.
# Usage: scripts/mkesp.sh CONFIG OUT.img IMAGE_DIR HINTVISOR_EFI
set -eu

cfg=$1 out=$2 imgdir=$3 efi=$4
# FAT32 wants at least 65525 clusters: 64 MiB (sparse) is the smallest round size.
size_kb=$(( $(du -kc "$efi" "$cfg" $(for i in $(scripts/cfg-images.sh "$cfg"); do echo "$imgdir/$i"; done) | tail -n1 | cut -f1) + 4096 ))
[ "$size_kb" -lt 65536 ] && size_kb=65536
rm -f "$out"
truncate -s "${size_kb}K" "$out"
mformat -i "$out" -F ::
mmd -i "$out" ::/EFI ::/EFI/BOOT ::/hintvisor
mcopy -i "$out" "$efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$out" "$cfg" ::/hintvisor/hintvisor.cfg
for img in $(scripts/cfg-images.sh "$cfg"); do
	mcopy -i "$out" "$imgdir/$img" "::/hintvisor/$img"
done
