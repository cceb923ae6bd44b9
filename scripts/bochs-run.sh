#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot an image under Bochs (the VT-x test machine) headless and collect the
# serial console. The run ends when Hintvisor ends it (Bochs iodebug port) or
# after the timeout. Exit status: 0 if the serial log holds Hintvisor's
# end-of-run marker, 1 otherwise.
#
# Usage: scripts/bochs-run.sh [-m MODEL] [-c CPUS] [-u] [-t SECONDS] [-f] IMAGE SERIAL_LOG
#   -m MODEL   Bochs CPU model (default corei7_skylake_x)
#   -c CPUS    emulated CPUs (default 1; all run in one host thread)
#   -u         boot through UEFI (OVMF); IMAGE is a FAT ESP image
#   -t SECONDS kill Bochs after this long (default 600)
#   -f         follow: copy the serial console to stdout as it comes
set -eu

model=corei7_skylake_x cpus=1 uefi=0 timeout=600 follow=0
while getopts m:c:ut:f opt; do
	case $opt in
	m) model=$OPTARG ;;
	c) cpus=$OPTARG ;;
	u) uefi=1 ;;
	t) timeout=$OPTARG ;;
	f) follow=1 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
image=$(realpath "$1") log=$2
: >"$log"
log=$(realpath "$log")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

if [ "$uefi" = 1 ]; then
	# A private copy: Bochs locks and writes its disk images.
	cp --sparse=always "$image" "$dir/disk.img"
	rom="/usr/share/OVMF/OVMF_CODE.fd"
	disk="ata0-master: type=disk, path=$dir/disk.img, mode=flat"
	bootdev="disk"
else
	rom="/usr/share/bochs/BIOS-bochs-latest, options=fastboot"
	disk="ata0-master: type=cdrom, path=$image, status=inserted"
	bootdev="cdrom"
fi

cat >"$dir/bochsrc" <<CFG
megs: 512
cpu: model=$model, count=$cpus, ips=100000000, reset_on_triple_fault=0, ignore_bad_msrs=1
romimage: file=$rom
vgaromimage: file=/usr/share/vgabios/vgabios.bin
$disk
boot: $bootdev
display_library: term
com1: enabled=1, mode=file, dev=$log
port_e9_hack: enabled=1
clock: sync=none, time0=946684800
log: $dir/bochs.log
panic: action=fatal
error: action=report
CFG
printf 'continue\nquit\n' >"$dir/rc"

if [ "$follow" = 1 ]; then
	tail -n +1 -f "$log" &
	tailpid=$!
fi
# The term display draws the guest's screen into a pseudo-terminal that it
# opens itself (/dev/ptmx). Nobody reads that terminal, so once its buffer is
# full (a few minutes into a run) Bochs blocks for good. Read it away.
drain_screen() {
	n=0
	while [ $n -lt 600 ]; do
		pid=$(pgrep -P "$1" -x bochs-bin || true)
		for fd in /proc/${pid:-none}/fd/*; do
			[ "$(readlink "$fd" 2>/dev/null)" = /dev/ptmx ] || continue
			idx=$(sed -n 's/^tty-index:[[:space:]]*//p' "/proc/$pid/fdinfo/${fd##*/}")
			[ -n "$idx" ] && exec cat "/dev/pts/$idx" >/dev/null 2>&1
		done
		sleep 0.1
		n=$((n + 1))
	done
}
rc=0
(cd "$dir" && exec timeout -s KILL "$timeout" bochs -q -f bochsrc -rc rc </dev/null >"$dir/stdout" 2>&1) &
runner=$!
drain_screen "$runner" &
drainer=$!
wait "$runner" || rc=$?
kill "$drainer" 2>/dev/null || true
if [ "$follow" = 1 ]; then
	sleep 1
	kill "$tailpid" 2>/dev/null || true
fi
if [ "$rc" = 137 ]; then
	echo "bochs-run: killed after ${timeout}s" >&2
fi
if ! grep -q 'hintvisor: end of run' "$log"; then
	grep -iE 'panic|error' "$dir/bochs.log" | tail -n 5 >&2 || true
	exit 1
fi
