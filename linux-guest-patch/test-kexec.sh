#!/bin/sh
# SPDX-License-Identifier: MIT
# The hand-over to the next kernel with kexec, under host memory overcommit
# (run by /init as hv.test=/test-kexec.sh; the host pool is 1/3 of guest RAM;
# the disk holds generated files, this kernel and its initramfs).
# Stage 1, the first kernel: hinting in table mode; pressure that makes the
# host drop unused and volatile pages and page out stable ones (random data
# through a tmpfs larger than the pool, anonymous memory touched and freed,
# the disk's files read twice); then the same kernel and initramfs are
# loaded with kexec_file_load() and started, with hv.kexec=2 added to the
# command line. The first kernel resets its hinting (HV_HC_RESET) as it
# goes down.
# Stage 2, the kernel started by kexec: it must find the VM as a new one:
# no page left hinted by the first kernel ("reset N pages a previous kernel
# had hinted" in its log means that the first one did not reset), its own
# table registered (not -EBUSY) and the volatile page cache on; then the
# discard fault self-test under pressure (its faults need the #VE area it
# registered) and the disk's files checked again.
# Prints "Test result: SUCCESS" or "Test result: FAILURE (why)" in stage 2
# (stage 1 prints a result only if it fails).

dev=/dev/vda
mnt=/mnt
big_dir=/big
big_mb=20

fail() {
	echo "Test result: FAILURE (stage $stage: $*)"
	exit 1
}

# hv NAME: a counter of /proc/hintvisor.
hv() {
	awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print -1 }' /proc/hintvisor
}

# memtouch ended with status $1: what it said, and whether the guest's
# out-of-memory killer ended it (status 137), which is not a wrong read.
memtouch_failed() {
	oom=$(dmesg | grep -m1 -i 'out of memory')
	if [ "$1" -eq 1 ] && [ -s /tmp/memtouch.err ]; then
		fail "memtouch: anonymous memory read back wrong: $(head -n 1 /tmp/memtouch.err); $(tail -n 1 /tmp/memtouch.err)"
	fi
	fail "memtouch exited with status $1${oom:+ ($oom)}: $(head -n 1 /tmp/memtouch.err)"
}

# Random data through a tmpfs larger than the host pool, read back intact.
# Guest memory: about 34 MiB are free after boot; the tmpfs file (20 MiB),
# memtouch (4 MiB), the self-test's pages (1 MiB in stage 2) and the
# rootfs must fit beside the kernel's own, or its OOM killer ends memtouch.
tmpfs_pressure() {
	mkdir -p "$big_dir"
	mount -t tmpfs -o size=$((big_mb + 1))m tmpfs "$big_dir" || fail "cannot mount a tmpfs"
	head -c $((big_mb * 1048576)) /dev/urandom >"$big_dir/big.bin" || fail "cannot write the tmpfs file"
	want=$(sha256sum <"$big_dir/big.bin")
	memtouch 4 2 2>/tmp/memtouch.err || memtouch_failed $?
	got=$(sha256sum <"$big_dir/big.bin")
	[ "$got" = "$want" ] || fail "the tmpfs file reads back wrong"
	rm -f "$big_dir/big.bin"
	umount "$big_dir"
}

check_sums() {
	(cd "$mnt" && sha256sum -c SHA256SUMS >/tmp/sums 2>&1) ||
		fail "sha256sum -c, pass $1: $(grep -cv ': OK$' /tmp/sums) files do not match"
	echo "sha256sum -c pass $1: $(grep -c ': OK$' /tmp/sums) files OK"
}

stage=1
grep -q 'hv\.kexec=2' /proc/cmdline && stage=2

[ -r /proc/hintvisor ] || fail "no /proc/hintvisor: the kernel does not hint"
grep -q '^guest_mode table$' /proc/hintvisor || fail "hinting is not in table mode: $(dmesg | grep -m1 'REGISTER_TABLE')"
mount -t ext2 -o ro "$dev" "$mnt" 2>/dev/null || fail "cannot mount $dev"
[ -f "$mnt/boot/bzImage" ] && [ -f "$mnt/boot/initramfs.cpio.gz" ] || fail "no kernel and initramfs on $dev"

if [ "$stage" -eq 1 ]; then
	check_sums 1
	tmpfs_pressure
	echo 3 >/proc/sys/vm/drop_caches || fail "cannot drop caches"
	check_sums 2
	[ "$(hv host_drops_unused)" -gt 0 ] || fail "the host dropped no unused page"
	[ "$(hv host_drops_volatile)" -gt 0 ] || fail "the host dropped no volatile page"
	echo "stage 1: $(hv host_drops_unused) unused and $(hv host_drops_volatile) volatile pages dropped by the host, $(hv host_page_outs) page-outs; kexec into stage 2"
	kexec "$mnt/boot/bzImage" "$mnt/boot/initramfs.cpio.gz" "$(cat /proc/cmdline) hv.kexec=2"
	fail "kexec returned"
fi

if dmesg | grep -q 'pages a previous kernel had hinted'; then
	fail "the first kernel left hints behind: $(dmesg | grep -m1 'pages a previous kernel had hinted')"
fi
dmesg | grep -q 'hintvisor: volatile page cache on' || fail "no volatile page cache: $(dmesg | grep -m1 'REGISTER_VE_AREA')"
echo "selftest arm 128" >/proc/hintvisor || fail "cannot arm the discard fault self-test"
check_sums 3
tmpfs_pressure
echo "selftest check" >/proc/hintvisor || fail "discard fault self-test check failed"
check_sums 4
cd /
umount "$mnt"
echo "== /proc/hintvisor"
cat /proc/hintvisor
[ "$(hv selftest_mismatches)" -eq 0 ] || fail "self-test: $(hv selftest_mismatches) pages read back wrong"
[ "$(hv selftest_faults)" -gt 0 ] || fail "self-test: no discard fault (dropped: $(hv selftest_dropped))"
[ "$(hv guest_discard_fixups)" -ge "$(hv selftest_faults)" ] || fail "discard faults not recovered"
echo "Test result: SUCCESS"
exit 0
