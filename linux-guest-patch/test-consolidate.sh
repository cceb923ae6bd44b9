#!/bin/sh
# SPDX-License-Identifier: MIT
# The consolidation workload (hv.test=/test-consolidate.sh; run N times side
# by side by scripts/bench-consolidation.sh): memtouch most of the guest's
# RAM once and free it again (the free page hinting v8 test), then check
# every file of the disk against SHA256SUMS, then idle for a while with that
# state before the VM ends. Kernel command line:
#   hv.anon=MIB    anonymous memory to touch and free (default: MemAvailable
#                  at the start less 4 MiB; 0: none)
#   hv.files=K     check only the first K files of SHA256SUMS (default all;
#                  0: none, the disk is not even mounted)
#   hv.idle=S      seconds to idle at the end (default 0)
#   hv.reporting_order=N  a stock kernel's free page reporting from order N
#                  on (the module parameter, set once the balloon driver has
#                  registered; see test-reporting.sh)
# Prints "CONSOLIDATE key=value ..." and "Test result: ...".

dev=/dev/vda
mnt=/mnt
anon_mb=
idle=0
files_max=
order=
set -f
for arg in $(cat /proc/cmdline); do
	case $arg in
	hv.anon=*) anon_mb=${arg#hv.anon=} ;;
	hv.idle=*) idle=${arg#hv.idle=} ;;
	hv.files=*) files_max=${arg#hv.files=} ;;
	hv.reporting_order=*) order=${arg#hv.reporting_order=} ;;
	esac
done
set +f
[ -n "$anon_mb" ] || anon_mb=$(awk '$1 == "MemAvailable:" { print int($2 / 1024) - 4 }' /proc/meminfo)

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

now() { awk '{ printf "%d\n", $1 * 100 }' /proc/uptime; }

if [ -n "$order" ]; then
	echo "$order" >/sys/module/page_reporting/parameters/page_reporting_order ||
		fail "cannot set the page reporting order to $order"
fi

start=$(now)
if [ "$anon_mb" -gt 0 ]; then
	memtouch "$anon_mb" 1 || fail "memtouch $anon_mb"
fi
files=0
if [ "$files_max" != 0 ]; then
	mount -t ext2 -o ro "$dev" "$mnt" 2>/dev/null || fail "cannot mount $dev"
	if [ -n "$files_max" ]; then
		head -n "$files_max" "$mnt/SHA256SUMS" >/tmp/want
	else
		cp "$mnt/SHA256SUMS" /tmp/want
	fi
	(cd "$mnt" && sha256sum -c /tmp/want >/tmp/sums 2>&1) || fail "sha256sum -c: $(grep -cv ': OK$' /tmp/sums) files differ"
	files=$(grep -c ': OK$' /tmp/sums)
fi
end=$(now)
echo "consolidate: $anon_mb MiB touched and freed, $files files checked; idle ${idle}s"
sleep "$idle"
[ "$files_max" = 0 ] || umount "$mnt"

mode=off
[ -r /proc/hintvisor ] && mode=$(hv guest_mode)
echo "CONSOLIDATE mode=$mode workload_cs=$((end - start)) files=$files" \
	"made_unused=$(hv guest_made_unused) made_volatile=$(hv guest_made_volatile)" \
	"discarded_found=$(hv guest_discarded_found)"
echo "Test result: SUCCESS"
exit 0
