#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot the Hintvisor guest kernel directly under QEMU (TCG, no hypervisor
# underneath): the same bzImage, initramfs and disk as under Hintvisor, with
# the disk as virtio-blk-pci. The hinting code must stay dormant and the
# default test (test-fs.sh) pass. The initramfs ends QEMU through the
# isa-debug-exit port, as it ends a Hintvisor VM.
# Usage: scripts/qemu-linux.sh [-t SECONDS] BZIMAGE INITRAMFS DISK SERIAL_LOG
set -eu

timeout=300
while getopts t: opt; do
	case $opt in
	t) timeout=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 4 ] || { echo "usage: $0 [-t SECONDS] BZIMAGE INITRAMFS DISK SERIAL_LOG" >&2; exit 2; }
kernel=$1 initrd=$2 disk=$3 log=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# A private copy: the test writes to the disk.
cp --sparse=always "$disk" "$dir/disk.img"
: >"$log"
rc=0
timeout -s KILL "$timeout" qemu-system-x86_64 -machine pc -m 128M -accel tcg -cpu max \
	-display none -monitor none -no-reboot -net none \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1" \
	-drive if=virtio,format=raw,file="$dir/disk.img" \
	-serial file:"$log" -device isa-debug-exit,iobase=0xf4,iosize=0x04 || rc=$?
# isa-debug-exit: a write of v ends QEMU with status 2v+1; the initramfs
# writes 0 when its test passed.
[ "$rc" -eq 1 ]
