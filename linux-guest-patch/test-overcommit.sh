#!/bin/sh
# SPDX-License-Identifier: MIT
# Linux as a hinting guest under host memory overcommit (run by /init as
# hv.test=/test-overcommit.sh; the host pool is at most 1/3 of guest RAM):
#  - a tmpfs file of random content larger than the host pool, written first
#    and verified last (stable pages that the host must page out and in);
#  - every file of the disk checked against SHA256SUMS twice, with the page
#    cache dropped in between;
#  - grep -r through src/mm of the disk twice, with equal results (the
#    second pass finds page cache the host dropped and reads it again);
#  - the kernel's discard fault self-test: pages made volatile at the start,
#    read back at the end (dropped ones must fault, the others be intact),
#    each also by a load_unaligned_zeropad() word read that runs into it
#    from the page before (a dropped page must give the zero-padded word:
#    the fault address has to be right, also on AMD SVM, which reports
#    no linear address).
# Passes only with no mismatch anywhere, and if the counters of
# /proc/hintvisor show drops of unused and of volatile pages, dropped page
# cache found and read again, and discard faults taken and recovered.
# Prints "Test result: SUCCESS" or "Test result: FAILURE (why)".

dev=/dev/vda
mnt=/mnt
big_dir=/big
big=$big_dir/big.bin
big_mb=20
selftest_pages=512

fail() {
	echo "Test result: FAILURE ($*)"
	cd /
	umount "$mnt" 2>/dev/null
	exit 1
}

# hv NAME: a counter of /proc/hintvisor.
hv() {
	awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print -1 }' /proc/hintvisor
}

check_sums() {
	if ! out=$(cd "$mnt" && sha256sum -c SHA256SUMS 2>&1); then
		bad=$(echo "$out" | grep -cv ': OK$')
		first=$(echo "$out" | grep -v ': OK$' | head -n 1)
		fail "sha256sum -c, pass $1: $bad files do not match, first: $first"
	fi
	echo "sha256sum -c pass $1: $(echo "$out" | grep -c ': OK$') files OK"
}

[ -r /proc/hintvisor ] || fail "no /proc/hintvisor: the kernel does not hint"
grep -q '^guest_mode table$' /proc/hintvisor || fail "hinting is not in table mode"
echo "selftest arm $selftest_pages" >/proc/hintvisor || fail "cannot arm the discard fault self-test"

mkdir -p "$big_dir"
mount -t tmpfs -o size=$((big_mb + 1))m tmpfs "$big_dir" || fail "cannot mount a tmpfs on $big_dir"
# Random content: every page different. Its sum is taken right after the
# write, before the host had a reason to page it out.
head -c $((big_mb * 1048576)) /dev/urandom >"$big" || fail "cannot write $big"
want=$(sha256sum <"$big")
echo "wrote $big_mb MiB of random data to a tmpfs"

mount -t ext2 -o ro "$dev" "$mnt" 2>/dev/null || fail "cannot mount $dev"
[ -f "$mnt/SHA256SUMS" ] || fail "no SHA256SUMS on $dev"
[ -d "$mnt/src" ] || fail "no src/ on $dev"

check_sums 1
echo 3 >/proc/sys/vm/drop_caches || fail "cannot drop caches"
check_sums 2

# The tree fits in the guest's page cache but not, beside the tmpfs file,
# in the host pool: reading the tmpfs file back between the passes makes
# the host drop the tree's (volatile) pages, which pass 2 finds dropped.
grep -r -c -F spin_lock "$mnt/src/mm" >/tmp/grep1 || fail "grep pass 1 failed"
got=$(sha256sum <"$big")
[ "$got" = "$want" ] || fail "tmpfs file $big reads back wrong after grep pass 1"
echo "tmpfs file of $big_mb MiB reads back intact"
found_before=$(hv guest_discarded_found)
grep -r -c -F spin_lock "$mnt/src/mm" >/tmp/grep2 || fail "grep pass 2 failed"
found_during=$(($(hv guest_discarded_found) - found_before))
cmp -s /tmp/grep1 /tmp/grep2 || fail "the two grep passes differ"
echo "grep -r: $(wc -l </tmp/grep1) files, same counts twice; $found_during dropped pages found and read again during pass 2"

got=$(sha256sum <"$big")
[ "$got" = "$want" ] || fail "tmpfs file $big reads back wrong at the end"
echo "tmpfs file of $big_mb MiB reads back intact at the end"
rm -f "$big" /tmp/grep1 /tmp/grep2
umount "$big_dir"

echo "selftest check" >/proc/hintvisor || fail "discard fault self-test check failed"
cd /
umount "$mnt"

echo "== /proc/hintvisor"
cat /proc/hintvisor
[ "$(hv selftest_mismatches)" -eq 0 ] || fail "self-test: $(hv selftest_mismatches) pages read back wrong"
[ "$(hv selftest_faults)" -gt 0 ] || fail "self-test: no discard fault (dropped: $(hv selftest_dropped))"
[ "$(hv selftest_zeropad_faults)" -gt 0 ] || fail "self-test: no discard fault recovered by load_unaligned_zeropad()"
[ "$(hv guest_discard_fixups)" -ge "$(hv selftest_faults)" ] || fail "discard faults not recovered"
[ "$(hv host_drops_unused)" -gt 0 ] || fail "the host dropped no unused page"
[ "$(hv host_drops_volatile)" -gt 0 ] || fail "the host dropped no volatile page"
[ "$(hv host_page_outs)" -gt 0 ] || fail "no page-outs: no host memory pressure"
[ "$found_during" -gt 0 ] || fail "grep pass 2 found no dropped page cache"
echo "Test result: SUCCESS"
exit 0
