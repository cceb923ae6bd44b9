#!/bin/sh
# SPDX-License-Identifier: MIT
# Default test of the Hintvisor Linux guest, run by the initramfs /init (as
# /test.sh): check every file of the ext2 disk from build-disk.sh on /dev/vda
# against its SHA256SUMS, then write 1 MiB, drop the caches, read it back.
# Prints "Test result: SUCCESS" (after the /proc/interrupts lines of the disk
# and the serial port) or "Test result: FAILURE (why)"; exits 0 or 1
# accordingly. Removes the file it wrote.

dev=/dev/vda
mnt=/mnt
file=$mnt/hv-write-test.bin
size=1048576

fail() {
	echo "Test result: FAILURE ($*)"
	cd /
	umount "$mnt" 2>/dev/null
	exit 1
}

# 1 MiB of known text (the same every run: no /dev/urandom).
pattern() {
	yes 'Hintvisor guest write test 0123456789 abcdefghijklmnopqrstuvwxyz' | head -c "$size"
}

[ -b "$dev" ] || fail "no block device $dev"
mount -t ext2 "$dev" "$mnt" 2>/dev/null || fail "cannot mount $dev as ext2"

# -- read: every file of the image against the sums made at build time.
cd "$mnt" || fail "cannot cd to $mnt"
[ -f SHA256SUMS ] || fail "no SHA256SUMS on $dev"
files=$(wc -l <SHA256SUMS)
[ "$files" -gt 0 ] || fail "SHA256SUMS is empty"
if ! check=$(sha256sum -c SHA256SUMS 2>&1); then
	ok=$(echo "$check" | grep -c ': OK$')
	first=$(echo "$check" | grep -v ': OK$' | head -n 1)
	fail "$((files - ok)) of $files files do not match SHA256SUMS, first: $first"
fi

# -- write, flush, forget, read back.
want=$(pattern | sha256sum)
want=${want%% *}
pattern >"$file" || fail "cannot write $file"
sync || fail "sync failed"
cd / || fail "cannot cd to /"
# Unmount (which writes the inode and bitmaps back) and drop every cache, so
# that the read below comes from the device.
umount "$mnt" || fail "cannot unmount $dev after writing"
echo 3 >/proc/sys/vm/drop_caches || fail "cannot write /proc/sys/vm/drop_caches"
mount -t ext2 "$dev" "$mnt" 2>/dev/null || fail "cannot mount $dev again"
[ -f "$file" ] || fail "$file is gone after remounting"
got_size=$(wc -c <"$file")
[ "$got_size" -eq "$size" ] || fail "$file has $got_size bytes after remounting, not $size"
got=$(sha256sum <"$file")
got=${got%% *}
[ "$got" = "$want" ] || fail "$file reads back with sha256 $got, not $want"

# -- take away what was written.
rm -f "$file" || fail "cannot remove $file"
umount "$mnt" || fail "cannot unmount $dev at the end"
# How the disk's interrupts arrived (controller, pin, trigger), for the
# platform test's expect file.
grep -E 'virtio|ttyS' /proc/interrupts | sed 's/^/interrupts: /'
echo "Test result: SUCCESS"
exit 0
