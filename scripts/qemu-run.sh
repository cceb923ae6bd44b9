#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot the ESP image under QEMU with OVMF. With /dev/kvm and nested VMX the
# guests run as under Bochs (-enable-kvm -cpu host); under TCG there is no
# VMX and Hintvisor must stop, naming the missing feature.
# Usage: scripts/qemu-run.sh [-t SECONDS] [-f] ESP_IMAGE SERIAL_LOG
set -eu

timeout=300 follow=0
while getopts t:f opt; do
	case $opt in
	t) timeout=$OPTARG ;;
	f) follow=1 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
image=$1 log=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp /usr/share/OVMF/OVMF_VARS.fd "$dir/vars.fd"
cp --sparse=always "$image" "$dir/esp.img"

accel="-accel tcg -cpu max"
if [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
	grep -qsE '^(Y|1)$' /sys/module/kvm_intel/parameters/nested; then
	accel="-enable-kvm -cpu host"
fi
echo "qemu-run: $accel"
: >"$log"
if [ "$follow" = 1 ]; then
	tail -n +1 -f "$log" &
	tailpid=$!
fi
rc=0
# shellcheck disable=SC2086
timeout -s KILL "$timeout" qemu-system-x86_64 -machine q35 -m 512M $accel \
	-display none -monitor none -no-reboot -net none \
	-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd \
	-drive if=pflash,format=raw,file="$dir/vars.fd" \
	-drive format=raw,file="$dir/esp.img" \
	-serial file:"$log" -device isa-debug-exit,iobase=0xf4,iosize=0x04 || rc=$?
if [ "$follow" = 1 ]; then
	sleep 1
	kill "$tailpid" 2>/dev/null || true
fi
grep -q 'hintvisor: end of run' "$log"
