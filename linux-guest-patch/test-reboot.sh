#!/bin/sh
# SPDX-License-Identifier: MIT
# Reboot (hv.test=/test-reboot.sh, with a blank disk of its own on
# /dev/vda): the first boot writes a marker to the disk and runs
# `reboot -f`, which resets the machine through the ACPI reset register
# (port 0xcf9); Hintvisor restarts the VM from its images
# (on_reset=restart), and the second boot finds the marker, sees that it
# booted afresh (uptime, no state of the first boot in /tmp), and passes.
# Prints "Test result: ...".

dev=/dev/vda
mark=hintvisor-reboot-1

fail() {
	echo "Test result: FAILURE ($*)"
	exit 1
}

[ -b "$dev" ] || fail "no block device $dev"
got=$(dd if="$dev" bs=512 count=1 2>/dev/null | tr -d '\000')
case $got in
"")
	[ -e /tmp/booted ] && fail "/tmp/booted exists before the first reboot"
	touch /tmp/booted
	printf '%s' "$mark" | dd of="$dev" bs=512 count=1 conv=sync,fsync 2>/dev/null ||
		fail "cannot write the marker to $dev"
	sync
	echo "first boot: marker written, rebooting"
	reboot -f
	sleep 10
	fail "still running after reboot -f"
	;;
"$mark")
	[ -e /tmp/booted ] && fail "/tmp/booted of the first boot is still there"
	echo "second boot: the first boot's marker is on $dev, uptime $(cut -d' ' -f1 /proc/uptime) s"
	echo "Test result: SUCCESS"
	exit 0
	;;
*)
	fail "unexpected content at the start of $dev: $got"
	;;
esac
