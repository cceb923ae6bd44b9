#!/bin/sh
# SPDX-License-Identifier: MIT
# The Linux benchmark workload (hv.test=/test-bench.sh; scripts/bench-linux.sh
# runs a hinting and a hintvisor=off guest side by side): grep -r through
# src/ of the disk twice, an allocate-touch-free cycle of anonymous memory,
# sha256sum -c over every file. Prints one "BENCH key=value ..." line with
# the guest's own time for the workload and its /proc/hintvisor counters
# (zeros when it does not hint), then "Test result: ...".

dev=/dev/vda
mnt=/mnt
anon_mb=${HV_ANON_MB:-24}

fail() {
	echo "Test result: FAILURE ($*)"
	exit 1
}

hv() {
	if [ -r /proc/hintvisor ]; then
		awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' /proc/hintvisor
	else
		echo 0
	fi
}

# Guest time in hundredths of a second.
now() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }

mount -t ext2 -o ro "$dev" "$mnt" 2>/dev/null || fail "cannot mount $dev"
start=$(now)
grep -r -c -F spin_lock "$mnt/src" >/tmp/grep1 || fail "grep pass 1"
grep -r -c -F spin_lock "$mnt/src" >/tmp/grep2 || fail "grep pass 2"
cmp -s /tmp/grep1 /tmp/grep2 || fail "the grep passes differ"
memtouch "$anon_mb" 2 >/dev/null || fail "memtouch"
(cd "$mnt" && sha256sum -c SHA256SUMS >/tmp/sums 2>&1) || fail "sha256sum -c"
end=$(now)
umount "$mnt"

mode=off
[ -r /proc/hintvisor ] && mode=$(hv guest_mode)
echo "BENCH mode=$mode workload_cs=$((end - start)) made_unused=$(hv guest_made_unused)" \
	"made_volatile=$(hv guest_made_volatile) made_stable=$(hv guest_made_stable)" \
	"discarded_found=$(hv guest_discarded_found) discard_faults=$(hv guest_discard_faults)"
echo "Test result: SUCCESS"
exit 0
