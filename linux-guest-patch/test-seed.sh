#!/bin/sh
# SPDX-License-Identifier: MIT
# The s390 guest page hinting experiment, repeated with Linux 6.1 under
# Hintvisor (run by /init as hv.test=/test-seed.sh): print /proc/hintvisor
# right after boot, grep through a slice of the Linux source tree (src/ of
# the disk, at least twice the guest's RAM), print it again. The s390 guest
# went from about 25% to about 75% volatile pages among its resident ones;
# this test wants at least $want% after the grep. Prints "Test result: ...".

dev=/dev/vda
mnt=/mnt
want=70

fail() {
	echo "Test result: FAILURE ($*)"
	exit 1
}

# volatile_percent: V resident * 100 / all resident, from /proc/hintvisor.
volatile_percent() {
	awk -F'|' '$1 ~ /^V / { v = $3 } $1 ~ /^tot->/ { t = $3 }
		END { if (t > 0) printf "%d\n", v * 100 / t; else print 0 }' /proc/hintvisor
}

[ -r /proc/hintvisor ] || fail "no /proc/hintvisor: the kernel does not hint"
grep -q '^guest_mode table$' /proc/hintvisor || fail "hinting is not in table mode"
mount -t ext2 -o ro "$dev" "$mnt" 2>/dev/null || fail "cannot mount $dev"
[ -d "$mnt/src" ] || fail "no src/ on $dev"

echo "== /proc/hintvisor after boot"
cat /proc/hintvisor
before=$(volatile_percent)

files=$(find "$mnt/src" -type f | wc -l)
kib=$(du -sk "$mnt/src" | cut -f1)
# One reader per CPU (the guest may have several vCPUs); -c: every file is
# read to its end, and the readers' counts must be the same.
cpus=$(grep -c '^processor' /proc/cpuinfo)
echo "== grep -r through $files files, $kib KiB, on $cpus CPU(s) at once"
r=0
while [ $r -lt "$cpus" ]; do
	grep -r -c -F define "$mnt/src" >/tmp/grep.$r &
	r=$((r + 1))
done
wait
r=1
while [ $r -lt "$cpus" ]; do
	cmp -s /tmp/grep.0 /tmp/grep.$r || fail "readers 0 and $r counted differently"
	r=$((r + 1))
done
matches=$(awk -F: '{ n += $NF } END { print n }' /tmp/grep.0)
echo "define: $matches lines"

echo "== /proc/hintvisor after grep"
cat /proc/hintvisor
after=$(volatile_percent)
echo "volatile among resident pages: $before% after boot, $after% after grep"
umount "$mnt"

[ "$matches" -gt 0 ] || fail "grep found nothing"
[ "$after" -ge "$want" ] || fail "only $after% of resident pages volatile after grep, want $want%"
echo "Test result: SUCCESS"
exit 0
