#!/bin/sh
# SPDX-License-Identifier: MIT
# Free pages reported in batches (hv.test=/test-batch.sh, with
# hintvisor=notable on the command line, or under a host without the shared
# table): anonymous memory is allocated, touched, checked and freed, and the
# hypercalls the host counted must show batches of up to 512 pages, never
# one call per page. Prints "Test result: ...".

fail() {
	echo "Test result: FAILURE ($*)"
	exit 1
}

hv() {
	awk -v k="$1" '$1 == k { print $2; found = 1 } END { if (!found) print -1 }' /proc/hintvisor
}

[ -r /proc/hintvisor ] || fail "no /proc/hintvisor"
[ "$(hv guest_mode)" = batch ] || fail "mode is $(hv guest_mode), not batch"
calls0=$(hv host_hypercalls) unused0=$(hv guest_made_unused)
memtouch 16 4 || fail "memtouch: anonymous memory read back wrong"
calls=$(($(hv host_hypercalls) - calls0)) unused=$(($(hv guest_made_unused) - unused0))
echo "batch mode: $unused pages made unused with $calls hypercalls"
[ "$unused" -ge 16384 ] || fail "only $unused pages made unused, want the 16384 freed"
# Each call reports at most 512 pages; a few calls go to reading the counters.
[ "$calls" -ge $((unused / 512)) ] || fail "$calls calls cannot have reported $unused pages"
[ "$calls" -le $((unused / 512 + 8)) ] || fail "$calls calls for $unused pages: not batched"
echo "Test result: SUCCESS"
exit 0
