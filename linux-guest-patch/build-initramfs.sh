#!/bin/sh
# SPDX-License-Identifier: MIT
# Make the initramfs of the Hintvisor Linux guest: Debian's static busybox,
# an sh /init that runs a test script and then ends the VM, as a gzip'ed
# newc cpio. The same inputs give the same bytes (sorted, fixed times/owners).
# Usage: linux-guest-patch/build-initramfs.sh OUTDIR SCRIPT [MORE...]
#   writes OUTDIR/initramfs.cpio.gz; SCRIPT becomes /test.sh, the default
#   test; each MORE script goes in as /NAME, chosen with hv.test=/NAME
set -eu

die() { echo "initramfs: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 OUTDIR SCRIPT [MORE...]"
out=$1 script=$2
shift 2
busybox=/bin/busybox

for s in "$script" "$@"; do
	[ -f "$s" ] || die "no test script $s"
done
[ -x "$busybox" ] || die "$busybox missing: install busybox-static (scripts/deps.sh)"
# Debian's dynamic "busybox" package installs the same path; it would need a
# loader and a libc that the initramfs does not have.
file -L "$busybox" | grep -q 'statically linked' ||
	die "$busybox is not statically linked: install busybox-static"

export LC_ALL=C
umask 022
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM
root=$tmp/root
mkdir "$root"

# /dev/console is not needed here: the kernel's built-in initramfs
# (usr/default_cpio_list) already has /dev and /dev/console, and this archive
# is unpacked over it.
mkdir "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/mnt" "$root/tmp"
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
# memtouch: the allocate-touch-free cycle of anonymous memory (benchmarks).
gcc -static -O2 -o "$root/bin/memtouch" "$(dirname "$0")/memtouch.c" ||
	die "cannot build memtouch (needs gcc and libc6-dev)"
strip "$root/bin/memtouch"
# kexec: kexec_file_load() and the jump into the loaded kernel (test-kexec.sh).
gcc -static -O2 -o "$root/bin/kexec" "$(dirname "$0")/kexec.c" ||
	die "cannot build kexec (needs gcc and libc6-dev)"
strip "$root/bin/kexec"
cp "$script" "$root/test.sh"
chmod 0755 "$root/test.sh"
for s in "$@"; do
	cp "$s" "$root/$(basename "$s")"
	chmod 0755 "$root/$(basename "$s")"
done
chmod 1777 "$root/tmp"

cat >"$root/init" <<'EOF'
#!/bin/sh
# /init of the Hintvisor test initramfs (written by build-initramfs.sh).
# Mounts /proc, /sys and /dev, prints one banner line, runs /test.sh (or the
# script named by hv.test=PATH on the kernel command line), then ends the VM.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# CONFIG_DEVTMPFS_MOUNT does not act on an initramfs: mount it here.
mount -t devtmpfs devtmpfs /dev

test=/test.sh
set -f
for arg in $(cat /proc/cmdline); do
	case $arg in
	hv.test=*) test=${arg#hv.test=} ;;
	esac
done
set +f

echo "hintvisor-initramfs: Linux $(uname -r), init at $(cut -d' ' -f1 /proc/uptime) s, running $test"
if [ -f "$test" ]; then
	sh "$test"
	status=$?
else
	echo "Test result: FAILURE (no test script $test)"
	status=1
fi

# End the VM, printing nothing more:
# 1. the debug-exit port 0xf4 (Hintvisor, QEMU's isa-debug-exit), through
#    /dev/port: 0 when the test passed, 1 when not (VM exit code 2*v+1);
# 2. poweroff -f (works where there is ACPI; elsewhere the kernel halts);
# 3. the magic SysRq power-off, if the kernel has it; 4. wait forever (an
#    init that exits is a kernel panic).
if [ -c /dev/port ]; then
	if [ "$status" -eq 0 ]; then
		dd if=/dev/zero of=/dev/port bs=1 seek=244 count=1 conv=notrunc 2>/dev/null
	else
		printf '\001' | dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc 2>/dev/null
	fi
fi
poweroff -f
if [ -w /proc/sysrq-trigger ]; then
	echo o >/proc/sysrq-trigger
fi
while :; do
	sleep 3600
done
EOF
chmod 0755 "$root/init"

# Fixed times and owners, sorted names: a reproducible archive.
find "$root" -exec touch -h -d @0 {} +
mkdir -p "$out"
(
	cd "$root"
	find . -mindepth 1 | sed 's|^\./||' | sort |
		cpio --quiet -o -H newc -R 0:0 --reproducible
) | gzip -9 -n >"$tmp/initramfs.cpio.gz"
# Replace the output only when it changed (an unchanged time stamp for make).
if ! cmp -s "$tmp/initramfs.cpio.gz" "$out/initramfs.cpio.gz"; then
	cp "$tmp/initramfs.cpio.gz" "$out/initramfs.cpio.gz.tmp.$$"
	mv -f "$out/initramfs.cpio.gz.tmp.$$" "$out/initramfs.cpio.gz"
fi
