#!/bin/sh
# SPDX-License-Identifier: MIT
# Free pages reported in batches (hv.test=/test-batch.sh, with
# hintvisor=notable on the command line, or under a host without the shared
# table): anonymous memory is allocated, touched, checked and freed, and the
# hypercalls the host counted must show batches of up to 512 pages, never
# one call per page. Before that, the memory that was free at boot must be
# unused in the host's view (batch mode starts after memblock freed it);
# after it, the last, partial batch must reach the host by itself (the
# guest sends it within a second; waited for up to a minute), and no entry
# may have been refused. Prints "Test result: ...".

fail() {
	echo "Test result: FAILURE ($*)"
	exit 1
}

hv() {
	awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print -1 }' /proc/hintvisor
}

[ -r /proc/hintvisor ] || fail "no /proc/hintvisor"
[ "$(hv guest_mode)" = batch ] || fail "mode is $(hv guest_mode), not batch"
# The U row of the host's page table, and the guest's free memory in pages.
host_unused=$(awk -F'|' '$1 ~ /^U / { print $2 + 0 }' /proc/hintvisor)
free_pages=$(($(awk '$1 == "MemFree:" { print $2 }' /proc/meminfo) / 4))
echo "batch mode at start: $host_unused pages unused in the host's view, $free_pages free"
[ "$host_unused" -ge $((free_pages / 2)) ] ||
	fail "only $host_unused of $free_pages free pages are unused at the host: the memory free at boot was not reported"
calls0=$(hv host_hypercalls) unused0=$(hv guest_made_unused)
# The last batch is partial: it must go out by itself (memtouch waits for
# that in its own process, up to 60 s: a process that exits frees pages).
memtouch 16 4 60
rc=$?
[ $rc -ne 1 ] || fail "memtouch: anonymous memory read back wrong"
[ $rc -eq 0 ] || fail "the last partial batch of freed pages was never sent"
calls=$(($(hv host_hypercalls) - calls0)) unused=$(($(hv guest_made_unused) - unused0))
echo "batch mode: $unused pages made unused with $calls hypercalls"
[ "$unused" -ge 16384 ] || fail "only $unused pages made unused, want the 16384 freed"
# Each call reports at most 512 pages; a few calls go to reading the counters.
[ "$calls" -ge $((unused / 512)) ] || fail "$calls calls cannot have reported $unused pages"
# Each read of /proc/hintvisor is a call too (memtouch's reads among them).
[ "$calls" -le $((unused / 512 + 70)) ] || fail "$calls calls for $unused pages: not batched"
[ "$(hv guest_batch_failed)" -eq 0 ] || fail "the host refused $(hv guest_batch_failed) batch entries"
echo "Test result: SUCCESS"
exit 0
