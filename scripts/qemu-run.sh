#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot Hintvisor under QEMU: an ESP image through OVMF (UEFI path), or with
# -i the hybrid GRUB ISO as a CD through SeaBIOS (multiboot2 path). The CPU:
# with /dev/kvm offering nested virtualization, -enable-kvm -cpu host;
# otherwise TCG with -cpu max, which emulates AMD SVM with nested paging, so
# the guests run for real. -c CPU forces TCG with that CPU model (e.g.
# qemu64,-svm: no SVM and no VMX, Hintvisor must stop naming the missing
# feature). The serial console goes to SERIAL_LOG; the guests end the run
# through isa-debug-exit. -n COUNT sends COUNT host NMIs through the QEMU
# monitor (its "nmi" command), 0.3 s apart, once the first VM is running:
# Hintvisor must take them in stride.
# -s N gives the machine N CPUs (default 1).
# Usage: scripts/qemu-run.sh [-c CPU] [-s N] [-i] [-n COUNT] [-t SECONDS] [-f] IMAGE SERIAL_LOG
set -eu

timeout=300 follow=0 cpu= iso=0 nmis=0 smp=1
while getopts c:s:in:t:f opt; do
	case $opt in
	c) cpu=$OPTARG ;;
	s) smp=$OPTARG ;;
	i) iso=1 ;;
	n) nmis=$OPTARG ;;
	t) timeout=$OPTARG ;;
	f) follow=1 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
image=$1 log=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

if [ -n "$cpu" ]; then
	accel="-accel tcg -cpu $cpu"
elif [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
	grep -qsE '^(Y|1)$' /sys/module/kvm_intel/parameters/nested /sys/module/kvm_amd/parameters/nested; then
	accel="-enable-kvm -cpu host"
else
	accel="-accel tcg -cpu max"
fi
if [ "$iso" = 1 ]; then
	boot="-cdrom $image"
else
	cp /usr/share/OVMF/OVMF_VARS.fd "$dir/vars.fd"
	cp --sparse=always "$image" "$dir/esp.img"
	boot="-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd
		-drive if=pflash,format=raw,file=$dir/vars.fd -drive format=raw,file=$dir/esp.img"
fi
echo "qemu-run: $accel"
: >"$log"
if [ "$follow" = 1 ]; then
	tail -n +1 -f "$log" &
	tailpid=$!
fi
# The monitor reads commands from a FIFO that a feeder keeps open.
mkfifo "$dir/monitor"
(
	if [ "$nmis" -gt 0 ]; then
		while ! grep -q '^hintvisor: VM .*entry' "$log"; do sleep 0.2; done
		sleep 1
		for _ in $(seq "$nmis"); do
			echo nmi
			sleep 0.3
		done
	fi
	exec sleep "$timeout"
) >"$dir/monitor" &
feeder=$!
rc=0
# shellcheck disable=SC2086
timeout -s KILL "$timeout" qemu-system-x86_64 -machine q35 -m 512M -smp "$smp" $accel \
	-display none -monitor stdio -no-reboot -net none $boot \
	-serial file:"$log" -device isa-debug-exit,iobase=0xf4,iosize=0x04 <"$dir/monitor" || rc=$?
kill "$feeder" 2>/dev/null || true
if [ "$follow" = 1 ]; then
	sleep 1
	kill "$tailpid" 2>/dev/null || true
fi
if [ "$rc" = 137 ]; then
	echo "qemu-run: killed after ${timeout}s" >&2
fi
grep -q 'hintvisor: end of run' "$log"
