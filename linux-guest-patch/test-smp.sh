#!/bin/sh
# SPDX-License-Identifier: MIT
# Linux with several vCPUs as a hinting guest under host memory overcommit
# (run by /init as hv.test=/test-smp.sh; the host pool is 1/3 of guest
# RAM). The page hinting races only SMP guests have, run on all vCPUs at
# once, one reader per CPU:
#  - the readers check every file of the disk against SHA256SUMS at the same
#    time, three rounds, the page cache dropped between them: lookups on one
#    CPU meet pages another CPU makes volatile (and the host drops);
#  - the readers grep -r through src/mm at the same time, twice, with the
#    same counts each time, while anonymous memory is allocated, written,
#    checked and freed beside them (pages going unused and back to stable
#    on every CPU);
#  - a tmpfs file of random content larger than the host pool, read back
#    intact at the end (with memtouch and the self-test's 1 MiB it leaves
#    room in the 34 MiB the guest has free after boot);
#  - the kernel's discard fault self-test, its pages read back on whichever
#    CPU runs the check, each CPU with its own #VE area.
# Prints "Test result: SUCCESS" or "Test result: FAILURE (why)".

dev=/dev/vda
mnt=/mnt
big_dir=/big
big=$big_dir/big.bin
big_mb=20
selftest_pages=128

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

# One sha256sum -c per CPU at once; each must find every file intact.
check_sums_all() {
	r=0
	while [ $r -lt "$cpus" ]; do
		(cd "$mnt" && sha256sum -c SHA256SUMS >/tmp/sums.$r 2>&1; echo $? >/tmp/sums.$r.rc) &
		r=$((r + 1))
	done
	wait
	r=0
	while [ $r -lt "$cpus" ]; do
		if [ "$(cat /tmp/sums.$r.rc)" != 0 ]; then
			fail "sha256sum -c, round $1, reader $r: $(grep -cv ': OK$' /tmp/sums.$r) files do not match, first: $(grep -v ': OK$' /tmp/sums.$r | head -n 1)"
		fi
		r=$((r + 1))
	done
	echo "sha256sum -c round $1: $(grep -c ': OK$' /tmp/sums.0) files OK for each of $cpus readers"
}

cpus=$(grep -c '^processor' /proc/cpuinfo)
[ "$cpus" -ge 2 ] || fail "$cpus CPU online, the test needs two or more"
[ -r /proc/hintvisor ] || fail "no /proc/hintvisor: the kernel does not hint"
grep -q '^guest_mode table$' /proc/hintvisor || fail "hinting is not in table mode"
dmesg | grep -q 'hintvisor: volatile page cache on' || fail "no volatile page cache"
dmesg | grep -q 'REGISTER_VE_AREA failed' && fail "$(dmesg | grep -m1 'REGISTER_VE_AREA failed')"
echo "$cpus CPUs online"
echo "selftest arm $selftest_pages" >/proc/hintvisor || fail "cannot arm the discard fault self-test"

mkdir -p "$big_dir"
mount -t tmpfs -o size=$((big_mb + 1))m tmpfs "$big_dir" || fail "cannot mount a tmpfs on $big_dir"
head -c $((big_mb * 1048576)) /dev/urandom >"$big" || fail "cannot write $big"
want=$(sha256sum <"$big")
echo "wrote $big_mb MiB of random data to a tmpfs"

mount -t ext2 -o ro "$dev" "$mnt" 2>/dev/null || fail "cannot mount $dev"
[ -f "$mnt/SHA256SUMS" ] || fail "no SHA256SUMS on $dev"
[ -d "$mnt/src" ] || fail "no src/ on $dev"

for round in 1 2 3; do
	check_sums_all $round
	echo 3 >/proc/sys/vm/drop_caches || fail "cannot drop caches"
done

found_before=$(hv guest_discarded_found)
for pass in 1 2; do
	r=0
	while [ $r -lt "$cpus" ]; do
		grep -r -c -F spin_lock "$mnt/src/mm" >/tmp/grep.$pass.$r &
		r=$((r + 1))
	done
	memtouch 2 4 2>/tmp/memtouch.err >/dev/null &
	mt=$!
	wait $mt || {
		rc=$?
		oom=$(dmesg | grep -m1 -i 'out of memory')
		fail "memtouch beside grep pass $pass exited with status $rc${oom:+ ($oom)}: $(head -n 1 /tmp/memtouch.err); $(tail -n 1 /tmp/memtouch.err)"
	}
	wait
	r=1
	while [ $r -lt "$cpus" ]; do
		cmp -s /tmp/grep.$pass.0 /tmp/grep.$pass.$r || fail "greps 0 and $r of pass $pass differ"
		r=$((r + 1))
	done
	[ $pass = 1 ] || cmp -s /tmp/grep.1.0 /tmp/grep.2.0 || fail "grep passes 1 and 2 differ"
	# Between the passes the tmpfs file is read: the host drops the tree.
	got=$(sha256sum <"$big")
	[ "$got" = "$want" ] || fail "tmpfs file $big reads back wrong after grep pass $pass"
done
found=$(($(hv guest_discarded_found) - found_before))
echo "grep -r on $cpus CPUs: $(wc -l </tmp/grep.1.0) files, the same counts $((2 * cpus)) times; $found dropped pages found and read again"

got=$(sha256sum <"$big")
[ "$got" = "$want" ] || fail "tmpfs file $big reads back wrong at the end"
echo "tmpfs file of $big_mb MiB reads back intact at the end"
rm -f "$big" /tmp/grep.* /tmp/sums.*
umount "$big_dir"

echo "selftest check" >/proc/hintvisor || fail "discard fault self-test check failed"
cd /
umount "$mnt"

echo "== /proc/hintvisor"
cat /proc/hintvisor
[ "$(hv selftest_mismatches)" -eq 0 ] || fail "self-test: $(hv selftest_mismatches) pages read back wrong"
[ "$(hv selftest_faults)" -gt 0 ] || fail "self-test: no discard fault (dropped: $(hv selftest_dropped))"
[ "$(hv guest_discard_fixups)" -ge "$(hv selftest_faults)" ] || fail "discard faults not recovered"
[ "$(hv host_drops_unused)" -gt 0 ] || fail "the host dropped no unused page"
[ "$(hv host_drops_volatile)" -gt 0 ] || fail "the host dropped no volatile page"
[ "$(hv host_page_outs)" -gt 0 ] || fail "no page-outs: no host memory pressure"
echo "Test result: SUCCESS"
exit 0
