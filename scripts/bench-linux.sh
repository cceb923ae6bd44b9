#!/bin/sh
# SPDX-License-Identifier: MIT
# Linux benchmark under Bochs: two Linux 6.1 guests with the hinting series
# side by side in one Hintvisor run, on one host pool, with the same disk
# and workload (linux-guest-patch/test-bench.sh: grep -r twice, an
# allocate-touch-free cycle of anonymous memory, sha256sum -c). "hinting"
# hints, "blind" boots with hintvisor=off. Prints one table of counts
# measured in that run; TSC ticks are instruction counts (clock: sync=none).
# BENCH_LINUX_VCPUS=N gives each guest N vCPUs, on N host CPUs at most 2
# (Bochs cpu: count); the tables of such a run carry "-smp" in their title.
# Usage: scripts/bench-linux.sh BUILD_DIR
set -eu

build=$1
out=$build/bench
mkdir -p "$out/linux-images"
pool=${BENCH_LINUX_POOL:-24M} mem=${BENCH_LINUX_MEM:-48M} vcpus=${BENCH_LINUX_VCPUS:-1}
cpus=$((vcpus > 1 ? 2 : 1))
name=linux
[ "$vcpus" -le 1 ] || name=linux-smp$vcpus
img=$out/linux-images

# Each VM gets its own copy of the disk.
for f in bzImage initramfs.cpio.gz; do
	cp "$build/guest/$f" "$img/$f"
done
cp "$build/guest/disk-src.img" "$img/disk-a.img"
cp "$build/guest/disk-src.img" "$img/disk-b.img"
cmdline="console=ttyS0 tsc=reliable panic=-1 hv.test=/test-bench.sh"
cat >"$out/$name.cfg" <<CFG
stats_interval_ms = 0
pool = $pool
vm name=hinting image=bzImage initrd=initramfs.cpio.gz disk=disk-a.img mem=$mem vcpus=$vcpus cmdline="$cmdline"
vm name=blind image=bzImage initrd=initramfs.cpio.gz disk=disk-b.img mem=$mem vcpus=$vcpus cmdline="$cmdline hintvisor=off"
CFG
scripts/mkiso.sh "$out/$name.cfg" "$out/$name.iso" "$img" "$build/hintvisor.elf"
log=$out/$name.log
if ! scripts/bochs-run.sh -c "$cpus" -t 4800 "$out/$name.iso" "$log" ||
	! grep -q '^\[hinting\] Test result: SUCCESS' "$log" ||
	! grep -q '^\[blind\] Test result: SUCCESS' "$log"; then
	echo "bench: the Linux run failed, see $log" >&2
	exit 1
fi
tr -d '\r' <"$log" >"$out/$name.clean.log"
log=$out/$name.clean.log

# memory VM: a column of the end-of-run "memory" table (2 = page-outs ...).
memory() {
	awk -v vm="$1" -v col="$2" '/^==== hintvisor stats \(end of run\)/ { end = 1 }
		end && /^memory / { m = 1; next } m && $1 == vm { print $col; exit }' "$log"
}
# exits VM REASON: exits of that reason in the end-of-run table (0 if none).
exits() {
	awk -v vm="$1" -v r="$2" '/^==== hintvisor stats \(end of run\)/ { end = 1 }
		end && /^exits by reason:/ { e = 1; next }
		e && /^  reason/ { n = NF - 1; for (i = 2; i <= NF; i++) if ($i == vm) k = i - 1; next }
		e && /^[a-z]/ { e = 0 }
		e && $1 == r { print $(NF - n + k); found = 1 } END { if (!found) print 0 }' "$log"
}
# state_calls VM: hypercalls that change page states (numbers 3, 4 and 5).
state_calls() {
	awk -v vm="$1" '/^==== hintvisor stats \(end of run\)/ { end = 1 }
		end && /^  reason/ { n = NF - 1; for (i = 2; i <= NF; i++) if ($i == vm) k = i - 1; next }
		end && /^hypercalls by number:/ { h = 1; next }
		h && /^[a-z=]/ { h = 0 }
		h && ($1 == 3 || $1 == 4 || $1 == 5) { sum += $(NF - n + k) }
		END { print sum + 0 }' "$log"
}
total_exits() {
	awk -v vm="$1" '/^==== hintvisor stats \(end of run\)/ { end = 1 }
		end && $1 == vm && $2 == "stopped" { print $4; exit }' "$log"
}
bench() { sed -n "s/^\[$1\] BENCH //p" "$log" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

echo
echo "Linux 6.1, two guests of $mem and $vcpus vCPU(s) each side by side on a host pool of $pool,"
echo "$cpus host CPU(s); workload:"
echo "grep -r through the kernel/ and mm/ sources twice, 2 x 24 MiB anonymous"
echo "allocate-touch-free, sha256sum -c of every file of the disk"
printf '%-8s %-6s %9s %9s %8s %8s %8s %9s %8s %8s %8s %9s %11s %9s %11s\n' vm mode page-outs page-ins \
	drops-U drops-V discards exits vmcall ept io hinted state-calls exits/hint workload-tsc
for vm in hinting blind; do
	hinted=$(($(bench "$vm" made_unused) + $(bench "$vm" made_volatile)))
	calls=$(exits "$vm" 18)
	eph=$(awk -v c="$calls" -v h="$hinted" 'BEGIN { if (h > 0) printf "%.5f", c / h; else print "-" }')
	printf '%-8s %-6s %9s %9s %8s %8s %8s %9s %8s %8s %8s %9s %11s %9s %11s\n' "$vm" "$(bench "$vm" mode)" \
		"$(memory "$vm" 2)" "$(memory "$vm" 3)" "$(memory "$vm" 4)" "$(memory "$vm" 5)" \
		"$(memory "$vm" 7)" "$(total_exits "$vm")" "$calls" "$(exits "$vm" 48)" "$(exits "$vm" 30)" \
		"$hinted" "$(state_calls "$vm")" "$eph" "$(($(bench "$vm" workload_cs) * 1000000))"
done
h=$(memory hinting 2) b=$(memory blind 2)
awk -v h="$h" -v b="$b" 'BEGIN { if (h > 0) printf "page-outs blind/hinting: %.1fx\n", b / h; else print "page-outs blind/hinting: hinting had none" }'
echo "(vmcall: VMCALL exits, all hypercalls of the guest; hinted: pages the guest made unused or"
echo " volatile; state-calls: hypercalls that change page states; exits/hint: VMCALL exits per"
echo " hinted page; workload-tsc: guest time of the workload)"
