#!/bin/sh
# SPDX-License-Identifier: MIT
# Linux without the hinting series, with the virtio balloon's free page
# reporting, under host memory overcommit (run by /init as
# hv.test=/test-reporting.sh; tests/linux-reporting.cfg):
#  - the balloon driver is bound to a virtio device that offered, and took,
#    free page reporting and the stats queue;
#  - a tmpfs file of random content larger than the host pool, written
#    first and verified after every round;
#  - ROUNDS times: memtouch most of the free memory and free it, wait for
#    free page reporting (it waits 2 s after the frees, then hands the free
#    blocks to the host), then check the tmpfs file and every file of the
#    disk against SHA256SUMS, with the page cache dropped in between.
# What the host did with the reports (ranges reported, frames dropped, every
# report served) is checked on the host's side, in the expect file.
# Kernel command line: hv.rounds=N (default 3), hv.wait=S (default 5),
# hv.reporting_order=N: report free blocks from order N on instead of
# pageblock_order (9). Written to the module parameter once the driver has
# registered: in this 6.1 the registration overwrites the boot-time
# page_reporting.page_reporting_order=. With order 9, reporting waits until
# a zone has 32 free 2 MiB blocks above its low watermark (64 MiB): a guest
# as small as this one never reports anything.
# Prints "Test result: SUCCESS" or "Test result: FAILURE (why)".

dev=/dev/vda
mnt=/mnt
big_dir=/big
big=$big_dir/big.bin
big_mb=20
rounds=3
wait_s=5
order=
set -f
for arg in $(cat /proc/cmdline); do
	case $arg in
	hv.rounds=*) rounds=${arg#hv.rounds=} ;;
	hv.wait=*) wait_s=${arg#hv.wait=} ;;
	hv.reporting_order=*) order=${arg#hv.reporting_order=} ;;
	esac
done
set +f

fail() {
	echo "Test result: FAILURE ($*)"
	cd /
	umount "$mnt" 2>/dev/null
	exit 1
}

# The virtio device the balloon driver is bound to.
balloon=
for d in /sys/bus/virtio/devices/*; do
	[ "$(cat "$d/device" 2>/dev/null)" = 0x0005 ] && balloon=$d
done
[ -n "$balloon" ] || fail "no virtio balloon device"
[ "$(basename "$(readlink "$balloon/driver")")" = virtio_balloon ] ||
	fail "$(basename "$balloon") is not bound to virtio_balloon"
# features: one character per bit, bit 0 first.
features=$(cat "$balloon/features")
[ "$(echo "$features" | cut -c2)" = 1 ] || fail "stats queue not negotiated: $features"
[ "$(echo "$features" | cut -c6)" = 1 ] || fail "free page reporting not negotiated: $features"
param=/sys/module/page_reporting/parameters/page_reporting_order
if [ -n "$order" ]; then
	echo "$order" >"$param" || fail "cannot set the page reporting order to $order"
fi
echo "balloon: $(basename "$balloon") bound to virtio_balloon, features $(echo "$features" | cut -c1-8)," \
	"reporting order $(cat "$param")"

check_sums() {
	if ! out=$(cd "$mnt" && sha256sum -c SHA256SUMS 2>&1); then
		bad=$(echo "$out" | grep -cv ': OK$')
		first=$(echo "$out" | grep -v ': OK$' | head -n 1)
		fail "sha256sum -c, $1: $bad files do not match, first: $first"
	fi
	echo "sha256sum -c $1: $(echo "$out" | grep -c ': OK$') files OK"
}

mkdir -p "$big_dir"
mount -t tmpfs -o size=$((big_mb + 1))m tmpfs "$big_dir" || fail "cannot mount a tmpfs on $big_dir"
head -c $((big_mb * 1048576)) /dev/urandom >"$big" || fail "cannot write $big"
want=$(sha256sum <"$big")
echo "wrote $big_mb MiB of random data to a tmpfs"
mount -t ext2 -o ro "$dev" "$mnt" 2>/dev/null || fail "cannot mount $dev"
[ -f "$mnt/SHA256SUMS" ] || fail "no SHA256SUMS on $dev"
check_sums "before"

r=1
while [ "$r" -le "$rounds" ]; do
	anon=$(awk '$1 == "MemAvailable:" { print int($2 / 1024) - 4 }' /proc/meminfo)
	[ "$anon" -gt 0 ] || fail "no memory available to touch (round $r)"
	memtouch "$anon" 1 || fail "memtouch $anon, round $r"
	echo "round $r: $anon MiB touched, checked and freed; waiting ${wait_s}s for free page reporting"
	sleep "$wait_s"
	got=$(sha256sum <"$big")
	[ "$got" = "$want" ] || fail "tmpfs file $big reads back wrong after round $r"
	echo 3 >/proc/sys/vm/drop_caches || fail "cannot drop caches"
	check_sums "round $r"
	r=$((r + 1))
done
echo "tmpfs file of $big_mb MiB reads back intact after $rounds rounds"
cd /
umount "$mnt"
rm -f "$big"
umount "$big_dir"
grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo | tr -s ' ' | sed 's/^/meminfo: /'
echo "Test result: SUCCESS"
exit 0
