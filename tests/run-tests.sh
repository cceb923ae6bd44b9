#!/bin/sh
# SPDX-License-Identifier: MIT
# Run every test of Hintvisor: the host unit tests, then the test guests
# booted under Bochs (VT-x; multiboot2 and UEFI, two CPU models) and QEMU/TCG
# (AMD SVM with nested paging; multiboot2 and UEFI), and the feature stops
# of CPUs without VT-x/SVM or without nested paging. Prints
# one "PASS name" / "FAIL name (reason)" line per test and a summary, and
# exits non-zero on any failure. Called by `make check` after the build.
#
# A guest passes when its VM prints "Test result: SUCCESS"; a guest with a
# tests/guest/<name>/expect file passes when the serial log matches every
# line of that file (extended regular expressions) instead.
set -u

BUILD=${BUILD:-build}
LOGS=$BUILD/test-logs
mkdir -p "$LOGS"
pass=0 fail=0

ok() { echo "PASS $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1 ($2)"; fail=$((fail + 1)); }

# run_unit NAME BINARY
run_unit() {
	if [ ! -x "$2" ]; then
		ko "$1" "not built"
	elif "$2" >"$LOGS/$1.log" 2>&1; then
		ok "$1"
	else
		ko "$1" "$(grep -E 'Checks:|:F:|:E:' "$LOGS/$1.log" | head -n 3 | tr '\n' ' ')"
	fi
}

# has_line NAME REGEX LOG: the hypervisor printed a line matching REGEX.
has_line() {
	if grep -qaE -- "^$2" "$3"; then ok "$1"; else ko "$1" "no line matching: $2"; fi
}

# smp_ran NAME LOG: with two host CPUs both ran vCPU slices, and reclaim
# on one CPU waited for the other to drop a VM's translations (the
# end-of-run lines "host CPUs: cpu0 N slices ..." and "shootdowns: ...").
smp_ran() {
	cpus=$(grep -a -m1 '^host CPUs:' "$2" | tr -d '\r')
	downs=$(grep -a -m1 '^shootdowns:' "$2" | tr -d '\r' |
		sed 's/([^)]*)//g' | tr ' ;' '\n\n' | grep -E '^[0-9]+$' | awk '{ s += $1 } END { print s + 0 }')
	s0=$(echo "$cpus" | sed -n 's/.*cpu0 \([0-9]*\) slices.*/\1/p')
	s1=$(echo "$cpus" | sed -n 's/.*cpu1 \([0-9]*\) slices.*/\1/p')
	if [ "${s0:-0}" -gt 0 ] && [ "${s1:-0}" -gt 0 ] && [ "${downs:-0}" -gt 0 ]; then
		ok "$1"
	else
		ko "$1" "slices cpu0 ${s0:-?} cpu1 ${s1:-?}, shootdowns ${downs:-?}"
	fi
}

vm_names() { sed -n 's/^vm .*name=\([^ ]*\).*/\1/p' "$1"; }

# check_guests PREFIX CONFIG LOG: one result per VM of the config.
check_guests() {
	prefix=$1 cfg=$2 log=$3
	for vm in $(vm_names "$cfg"); do
		expect=tests/guest/$vm/expect
		if [ -f "$expect" ]; then
			missing=$(while IFS= read -r re; do
				grep -qE -- "$re" "$log" || echo "$re"
			done <"$expect" | head -n 1)
			if [ -z "$missing" ]; then ok "$prefix$vm"; else ko "$prefix$vm" "no line matching: $missing"; fi
		elif grep -q "^\[$vm\] Test result: SUCCESS" "$log"; then
			ok "$prefix$vm"
		else
			res=$(sed -n "s/^\[$vm\] Test result: //p" "$log" | head -n 1 | tr -d '\r')
			why=$(grep -m1 -aE "^\[$vm\] (FAIL|unexpected exception)|^hintvisor: VM $vm stopped" "$log" | tr -d '\r')
			ko "$prefix$vm" "${res:-no result}${why:+: $why}"
		fi
	done
}

# no_raw_bytes PREFIX LOG: the lines of con-escape (tests/isolation.cfg) hold
# only printable ASCII and tabs: none of the control bytes, DEL or bytes above
# 0x7f it sent reached the host console raw (its expect file checks the
# escaped forms).
no_raw_bytes() {
	n=$(grep -a '^\[con-escape\]' "$2" | tr -d '\011\012\015\040-\176' | wc -c)
	if ! grep -qa '^\[con-escape\] Test result' "$2"; then
		ko "${1}con-escape/raw-bytes" "no result line"
	elif [ "$n" -eq 0 ]; then
		ok "${1}con-escape/raw-bytes"
	else
		ko "${1}con-escape/raw-bytes" "$n raw control or non-ASCII bytes in its lines"
	fi
}

# check_mitigations NAME LOG: a run with mitigations = force named every
# barrier at boot ("mitigations (forced): ...") but those the CPU cannot do
# ("mitigations: X skipped: ..."), and each one named ran at least once
# ("mitigations run: NAME COUNT ..." in the end-of-run stats).
check_mitigations() {
	name=$1 log=$2
	on=$(sed -n 's/^mitigations (forced): \([^[]*\) \[.*/\1/p' "$log" | head -n 1 | tr -d '\r' |
		sed 's/([a-zA-Z]*)//g')
	run=$(grep -m1 '^mitigations run:' "$log" | tr -d '\r')
	why=
	for m in x87-ptrs L1D-flush VERW IBPB RSB-fill; do
		case " $on " in
		*" $m "*)
			n=$(echo "$run" | sed -n "s/.* $m \([0-9]*\).*/\1/p")
			[ "${n:-0}" -gt 0 ] || why="${why:-$m did not run (${run:-no count line})}"
			;;
		*) grep -q "^mitigations: $m skipped: " "$log" || why="${why:-$m neither on nor skipped}" ;;
		esac
	done
	if [ -z "$on" ]; then
		ko "$name" "no 'mitigations (forced):' line"
	elif [ -z "$why" ]; then
		ok "$name"
	else
		ko "$name" "$why"
	fi
}

# The emulator runs take most of the time and each uses one core, so they
# are all queued first and run CHECK_JOBS at a time (default: the number of
# cores) in the background, longest first, while the tests below run; every
# result is still reported in the order of this script.
#   queue NAME RUNNER-ARGS...  run RUNNER-ARGS LOGS/NAME.log (exit status in
#                              LOGS/NAME.rc, its stdout/stderr in .out/.err,
#                              its wall time in .seconds, for the budget only)
#   await NAME                 wait until that run has ended
#   boot NAME                  await it and report boot/NAME
JOBS=${CHECK_JOBS:-$(nproc)}
QUEUE=$LOGS/queue
: >"$QUEUE"
queue() {
	rm -f "$LOGS/$1.rc"
	printf '%s\n' "$*" >>"$QUEUE"
}

run_queue() {
	pids=
	while read -r name cmd; do
		while :; do
			jobs >/dev/null # reaps the runs that ended
			alive= n=0
			for p in $pids; do
				if kill -0 "$p" 2>/dev/null; then alive="$alive $p" n=$((n + 1)); fi
			done
			pids=$alive
			[ "$n" -lt "$JOBS" ] && break
			sleep 1
		done
		(
			t0=$(date +%s)
			# shellcheck disable=SC2086
			eval $cmd '"$LOGS/$name.log"' >"$LOGS/$name.out" 2>"$LOGS/$name.err"
			rc=$?
			echo "$(($(date +%s) - t0))" >"$LOGS/$name.seconds"
			echo $rc >"$LOGS/$name.rc.tmp" && mv "$LOGS/$name.rc.tmp" "$LOGS/$name.rc"
		) &
		pids="$pids $!"
	done <"$QUEUE"
	wait
}

await() {
	while [ ! -f "$LOGS/$1.rc" ]; do sleep 1; done
}

boot() {
	await "$1"
	if [ "$(cat "$LOGS/$1.rc")" -eq 0 ]; then
		ok "boot/$1"
	else
		ko "boot/$1" "no end-of-run marker; see $LOGS/$1.log"
	fi
}

# Longest first. Bochs (VT-x): the Linux tests take minutes; QEMU/TCG (SVM)
# runs take seconds each.
queue linux-overcommit scripts/bochs-run.sh -t 1800 "$BUILD/linux-overcommit.iso"
queue linux-seed scripts/bochs-run.sh -t 1800 "$BUILD/linux-seed.iso"
queue linux-reporting scripts/bochs-run.sh -t 2400 "$BUILD/linux-reporting.iso"
queue linux-kexec scripts/bochs-run.sh -t 1800 "$BUILD/linux-kexec.iso"
queue linux-smp scripts/bochs-run.sh -c 2 -t 2400 "$BUILD/linux-smp.iso"
queue skylake scripts/bochs-run.sh -t 600 "$BUILD/test.iso"
queue sandybridge scripts/bochs-run.sh -m corei7_sandy_bridge_2600k -t 600 "$BUILD/test.iso"
queue platform scripts/bochs-run.sh -t 1200 "$BUILD/platform.iso"
queue isolation scripts/bochs-run.sh -m tigerlake -t 600 "$BUILD/isolation.iso"
queue oom scripts/bochs-run.sh -t 600 "$BUILD/oom.iso"
queue oom-tables scripts/bochs-run.sh -t 600 "$BUILD/oom-tables.iso"
queue uefi scripts/bochs-run.sh -u -t 600 "$BUILD/test-esp.img"
queue insn scripts/bochs-run.sh -t 600 "$BUILD/insn.iso"
queue cpu scripts/bochs-run.sh -t 600 "$BUILD/cpu.iso"
queue pc scripts/bochs-run.sh -t 600 "$BUILD/pc.iso"
queue apic scripts/bochs-run.sh -t 600 "$BUILD/apic.iso"
queue smp scripts/bochs-run.sh -c 2 -t 600 "$BUILD/smp.iso"
queue qemu-linux scripts/qemu-linux.sh -t 600 "$BUILD/guest/bzImage" "$BUILD/guest/initramfs.cpio.gz" \
	"$BUILD/guest/disk.img"
queue qemu-svm scripts/qemu-run.sh -i -n 5 -t 900 "$BUILD/test.iso"
queue qemu-svm-isolation scripts/qemu-run.sh -i -t 900 "$BUILD/isolation.iso"
queue qemu-svm-uefi scripts/qemu-run.sh -s 2 -t 900 "$BUILD/test-esp.img"
queue qemu-svm-smp scripts/qemu-run.sh -i -s 2 -t 600 "$BUILD/smp.iso"
queue qemu-svm-smp-guests scripts/qemu-run.sh -i -s 2 -t 1200 "$BUILD/test.iso"
queue qemu-svm-smp-isolation scripts/qemu-run.sh -i -s 2 -t 900 "$BUILD/isolation.iso"
queue qemu-svm-smp-one scripts/qemu-run.sh -i -s 2 -t 300 "$BUILD/smp-one.iso"
queue qemu-svm-linux-smp scripts/qemu-run.sh -i -s 2 -t 1200 "$BUILD/linux-smp.iso"
queue qemu-svm-linux-smp4 scripts/qemu-run.sh -i -s 2 -t 1200 "$BUILD/linux-smp4.iso"
queue qemu-svm-linux-seed4 scripts/qemu-run.sh -i -s 2 -t 1200 "$BUILD/linux-seed4.iso"
queue qemu-svm-insn scripts/qemu-run.sh -i -t 600 "$BUILD/insn.iso"
queue qemu-svm-cpu scripts/qemu-run.sh -i -t 900 "$BUILD/cpu.iso"
queue qemu-svm-pc scripts/qemu-run.sh -i -t 900 "$BUILD/pc.iso"
queue qemu-svm-apic scripts/qemu-run.sh -i -t 900 "$BUILD/apic.iso"
for t in platform linux-overcommit linux-seed linux-kexec oom-tables linux-reporting; do
	queue "qemu-svm-$t" scripts/qemu-run.sh -i -t 900 "$BUILD/$t.iso"
done
queue qemu-config-refused scripts/qemu-run.sh -i -t 300 "$BUILD/config-refused.iso"
queue qemu-nonpt scripts/qemu-run.sh -i -c max,-npt -t 300 "$BUILD/test.iso"
queue qemu scripts/qemu-run.sh -c qemu64,-svm -t 300 "$BUILD/test-esp.img"
run_queue &
queue_pid=$!
trap 'kill "$queue_pid" 2>/dev/null' EXIT

echo "== source layout: include directions (scripts/check-includes.sh)"
if scripts/check-includes.sh >"$LOGS/includes.log" 2>&1; then
	ok "layout/includes"
else
	ko "layout/includes" "$(head -n 2 "$LOGS/includes.log" | tr '\n' ' ')"
fi

echo "== source layout: levels (scripts/check-layers.sh, its self-test tests/layers/run.sh)"
if scripts/check-layers.sh "$BUILD" >"$LOGS/layers.log" 2>&1; then
	ok "layers/check"
else
	ko "layers/check" "$(grep -v -e '^known: ' -e '^  ' "$LOGS/layers.log" | head -n 2 | tr '\n' ' ')"
fi
if tests/layers/run.sh "$LOGS/layers" >"$LOGS/layers-self-test.log" 2>&1; then
	ok "layers/self-test"
else
	ko "layers/self-test" "$(grep -v '^PASS' "$LOGS/layers-self-test.log" | head -n 2 | tr '\n' ' ')"
fi

echo "== unit tests"
run_unit unit-core "$BUILD/tests/unit/test_core"
run_unit unit-mm "$BUILD/tests/unit/test_mm"

# run_model NAME WANT [MODEL.pml] [-D...]: the SPIN check of a model in
# tests/model (table.pml unless named); WANT 0 (no counterexample) or 1 (a
# mutant: a counterexample must be found).
run_model() {
	name=$1 want=$2
	shift 2
	line=$(tests/model/check.sh "$LOGS/model" "$name" "$@" 2>&1)
	rc=$?
	echo "$line" | sed 's/^/  /'
	if [ "$rc" -eq "$want" ]; then
		ok "model/$name"
	elif [ "$want" -eq 1 ] && [ "$rc" -eq 0 ]; then
		ko "model/$name" "mutant not caught"
	else
		ko "model/$name" "$(echo "$line" | tail -n 1)"
	fi
}

echo "== model check of the shared state table (SPIN)"
run_model table-1vcpu 0
run_model table-2vcpu 0 -DNCPU=2
run_model mutant-no-host-cas 1 -DMUTANT_NO_HOST_CAS
run_model mutant-no-first-sighting 1 -DMUTANT_NO_FIRST_SIGHTING
run_model mutant-no-flush 1 -DNCPU=2 -DMUTANT_NO_FLUSH
run_model mutant-map-refuses-present 1 -DNCPU=2 -DMUTANT_MAP_REFUSES_PRESENT

echo "== model check of the Linux series' volatile page cache on two vCPUs (SPIN)"
run_model linux-2vcpu 0 linux.pml
run_model linux-reach-discard 1 linux.pml -DREACH_DISCARD
run_model mutant-no-ref-freeze 1 linux.pml -DMUTANT_NO_REF_FREEZE
run_model mutant-stale-discard 1 linux.pml -DMUTANT_STALE_DISCARD
run_model mutant-stale-discard-data 1 linux.pml -DMUTANT_STALE_DISCARD -DNO_HANDLED_CHECK
run_model mutant-ack-before-lock 1 linux.pml -DMUTANT_ACK_BEFORE_LOCK
run_model mutant-no-folio-lock 1 linux.pml -DMUTANT_NO_FOLIO_LOCK

echo "== fuzzers (libFuzzer, ASan/UBSan; ${FUZZ_CHECK_RUNS:-30000} inputs each from the seed corpus)"
for f in ${FUZZERS:-hypercall mmio config elf multiboot bzimage virtio emulate task exit devices balloon}; do
	line=$(BUILD=$BUILD tests/fuzz/run.sh runs "${FUZZ_CHECK_RUNS:-30000}" "$f")
	case $line in
	"PASS "*) ok "${line#PASS }" ;;
	*) line=${line#FAIL }; ko "${line%% (*}" "${line#* (}" ;;
	esac
done

echo "== test guests under Bochs (corei7_skylake_x, multiboot2)"
boot skylake
check_guests "" tests/guests.cfg "$LOGS/skylake.log"

echo "== hostile guests beside a neighbour, barriers forced (Bochs tigerlake: IBPB, L1D flush MSR)"
boot isolation
check_guests "" tests/isolation.cfg "$LOGS/isolation.log"
no_raw_bytes "" "$LOGS/isolation.log"
check_mitigations isolation/mitigations "$LOGS/isolation.log"

echo "== the virtual CPU: instructions, MSRs, events (Bochs corei7_skylake_x, tests/insn.cfg)"
boot insn
check_guests "insn/" tests/insn.cfg "$LOGS/insn.log"

echo "== host out of memory (Bochs; pool and paging device of 4 MiB each, tests/oom.cfg)"
boot oom
check_guests "oom/" tests/oom.cfg "$LOGS/oom.log"

echo "== nested page tables charged and freed (Bochs; 80 MiB of host memory, tests/oom-tables.cfg)"
boot oom-tables
check_guests "oom-tables/" tests/oom-tables.cfg "$LOGS/oom-tables.log"

echo "== local APIC and MMIO instruction forms (Bochs corei7_skylake_x, tests/apic.cfg)"
boot apic
check_guests "apic/" tests/apic.cfg "$LOGS/apic.log"

echo "== platform: other boot protocols and Linux (Bochs, multiboot2)"
boot platform
check_guests "" tests/platform.cfg "$LOGS/platform.log"

echo "== the virtual CPU: mode switches, control registers (Bochs, tests/cpu.cfg)"
boot cpu
check_guests "" tests/cpu.cfg "$LOGS/cpu.log"

echo "== the PC platform: I/O APIC, ACPI, timers, reset, memory map (Bochs, tests/pc.cfg)"
boot pc
check_guests "" tests/pc.cfg "$LOGS/pc.log"

echo "== Linux hinting series: checkpatch --strict"
if linux-guest-patch/checkpatch.sh >"$LOGS/checkpatch.log" 2>&1; then
	ok "linux/checkpatch"
else
	ko "linux/checkpatch" "$(grep -v 'total: 0 errors, 0 warnings, 0 checks' "$LOGS/checkpatch.log" | head -n 2 | tr '\n' ' ')"
fi

echo "== Linux under overcommit (Bochs; host pool 1/3 of guest RAM)"
boot linux-overcommit
check_guests "" tests/linux-overcommit.cfg "$LOGS/linux-overcommit.log"

echo "== the s390 hinting experiment with Linux (Bochs)"
boot linux-seed
check_guests "" tests/linux-seed.cfg "$LOGS/linux-seed.log"

echo "== Linux without the series: free page reporting through the virtio-balloon under overcommit (Bochs)"
boot linux-reporting
check_guests "" tests/linux-reporting.cfg "$LOGS/linux-reporting.log"

echo "== Linux handing the VM to the next kernel with kexec (Bochs; overcommit)"
boot linux-kexec
check_guests "" tests/linux-kexec.cfg "$LOGS/linux-kexec.log"

echo "== Linux with two vCPUs on two CPUs (Bochs -c 2; overcommit)"
boot linux-smp
has_line linux-smp/cpus '\[linux-smp\] 2 CPUs online' "$LOGS/linux-smp.log"
check_guests "" tests/linux-smp.cfg "$LOGS/linux-smp.log"

echo "== the same Linux without a hypervisor (QEMU/TCG): hinting stays off"
await qemu-linux
if [ "$(cat "$LOGS/qemu-linux.rc")" -eq 0 ] && grep -q '^Test result: SUCCESS' "$LOGS/qemu-linux.log"; then
	if grep -q 'hintvisor: page state table\|Hypervisor detected: Hintvisor' "$LOGS/qemu-linux.log"; then
		ko "qemu-tcg/linux-native" "hinting came on without Hintvisor; see $LOGS/qemu-linux.log"
	else
		ok "qemu-tcg/linux-native"
	fi
else
	ko "qemu-tcg/linux-native" "$(grep -m1 'Test result' "$LOGS/qemu-linux.log" || echo "no result; see $LOGS/qemu-linux.log")"
fi

echo "== test guests under Bochs + OVMF (UEFI path)"
boot uefi
check_guests "uefi/" tests/uefi.cfg "$LOGS/uefi.log"

echo "== Bochs corei7_sandy_bridge_2600k (EPT without A/D bits)"
boot sandybridge
if grep -q '^vmx: EPT accessed/dirty flags absent' "$LOGS/sandybridge.log"; then
	ok "sandybridge/no-ad-detected"
else
	ko "sandybridge/no-ad-detected" "no degrade message"
fi
check_guests "sandybridge/" tests/guests.cfg "$LOGS/sandybridge.log"

# The QEMU machine prefix: TCG emulates SVM; with nested KVM it is the host CPU.
qemu_machine() { if grep -q -- '-enable-kvm' "$LOGS/$1.out"; then echo qemu-kvm; else echo qemu-svm; fi; }

echo "== test guests under QEMU/TCG with SVM and nested paging (-cpu max, multiboot2), 5 host NMIs"
boot qemu-svm
m=$(qemu_machine qemu-svm)
if grep -q '^svm: revision' "$LOGS/qemu-svm.log" || [ "$m" = qemu-kvm ]; then
	ok "$m/backend"
else
	ko "$m/backend" "no SVM back end line; see $LOGS/qemu-svm.log"
fi
# Five host NMIs (QEMU monitor) during that run: counted and ignored, the
# guests all pass.
if grep -q '^host NMIs ignored: 5' "$LOGS/qemu-svm.log"; then
	ok "$m/host-nmis"
else
	ko "$m/host-nmis" "$(grep -m1 -E 'host exception|host NMIs' "$LOGS/qemu-svm.log" || echo "no count")"
fi
check_guests "$m/" tests/guests.cfg "$LOGS/qemu-svm.log"

echo "== hostile guests beside a neighbour under QEMU/TCG with SVM"
boot qemu-svm-isolation
check_guests "$(qemu_machine qemu-svm-isolation)/" tests/isolation.cfg "$LOGS/qemu-svm-isolation.log"
no_raw_bytes "$(qemu_machine qemu-svm-isolation)/" "$LOGS/qemu-svm-isolation.log"
check_mitigations "$(qemu_machine qemu-svm-isolation)/isolation/mitigations" "$LOGS/qemu-svm-isolation.log"

echo "== the virtual CPU under QEMU/TCG with SVM (tests/insn.cfg)"
boot qemu-svm-insn
check_guests "$(qemu_machine qemu-svm-insn)/insn/" tests/insn.cfg "$LOGS/qemu-svm-insn.log"

echo "== local APIC and MMIO instruction forms under QEMU/TCG with SVM (tests/apic.cfg)"
boot qemu-svm-apic
check_guests "$(qemu_machine qemu-svm-apic)/apic/" tests/apic.cfg "$LOGS/qemu-svm-apic.log"

echo "== test guests under QEMU/TCG with SVM + OVMF (UEFI path)"
boot qemu-svm-uefi
check_guests "$(qemu_machine qemu-svm-uefi)/uefi/" tests/uefi.cfg "$LOGS/qemu-svm-uefi.log"

echo "== the host's CPUs, from the ACPI MADT (tests/smp.cfg: Bochs with 2 CPUs, QEMU -smp 2; the UEFI path)"
boot smp
has_line smp/cpus 'hintvisor: 2 of 2 CPUs online \(APIC IDs 0 1\)' "$LOGS/smp.log"
smp_ran smp/both-cpus "$LOGS/smp.log"
check_guests "smp/" tests/smp.cfg "$LOGS/smp.log"
boot qemu-svm-smp
has_line "$(qemu_machine qemu-svm-smp)/smp/cpus" 'hintvisor: 2 of 2 CPUs online \(APIC IDs 0 1\)' \
	"$LOGS/qemu-svm-smp.log"
smp_ran "$(qemu_machine qemu-svm-smp)/smp/both-cpus" "$LOGS/qemu-svm-smp.log"
check_guests "$(qemu_machine qemu-svm-smp)/smp/" tests/smp.cfg "$LOGS/qemu-svm-smp.log"
has_line "$(qemu_machine qemu-svm-uefi)/uefi/cpus" 'hintvisor: 2 of 2 CPUs online' "$LOGS/qemu-svm-uefi.log"
echo "   (the test guests of tests/guests.cfg on two host CPUs under QEMU: fuzz, abuse, race, integrity)"
boot qemu-svm-smp-guests
smp_ran "$(qemu_machine qemu-svm-smp-guests)/smp-guests/both-cpus" "$LOGS/qemu-svm-smp-guests.log"
check_guests "$(qemu_machine qemu-svm-smp-guests)/smp-guests/" tests/guests.cfg "$LOGS/qemu-svm-smp-guests.log"
echo "   (the hostile guests of tests/isolation.cfg beside their neighbours on two host CPUs under QEMU)"
boot qemu-svm-smp-isolation
has_line "$(qemu_machine qemu-svm-smp-isolation)/smp-isolation/cpus" 'hintvisor: 2 of 2 CPUs online' \
	"$LOGS/qemu-svm-smp-isolation.log"
check_guests "$(qemu_machine qemu-svm-smp-isolation)/smp-isolation/" tests/isolation.cfg \
	"$LOGS/qemu-svm-smp-isolation.log"
boot qemu-svm-smp-one
has_line "$(qemu_machine qemu-svm-smp-one)/smp-one/cpus" \
	'hintvisor: 1 of 2 CPUs online \(APIC IDs 0\), cpus= limits them' "$LOGS/qemu-svm-smp-one.log"
check_guests "$(qemu_machine qemu-svm-smp-one)/smp-one/" tests/smp-one.cfg "$LOGS/qemu-svm-smp-one.log"

echo "== Linux with two vCPUs on two CPUs (QEMU/TCG -smp 2 with SVM; overcommit)"
boot qemu-svm-linux-smp
has_line "$(qemu_machine qemu-svm-linux-smp)/linux-smp/cpus" '\[linux-smp\] 2 CPUs online' \
	"$LOGS/qemu-svm-linux-smp.log"
check_guests "$(qemu_machine qemu-svm-linux-smp)/" tests/linux-smp.cfg "$LOGS/qemu-svm-linux-smp.log"
echo "== Linux with four vCPUs on two CPUs (QEMU/TCG -smp 2 with SVM; overcommit)"
boot qemu-svm-linux-smp4
has_line "$(qemu_machine qemu-svm-linux-smp4)/linux-smp4/cpus" '\[linux-smp4\] 4 CPUs online' \
	"$LOGS/qemu-svm-linux-smp4.log"
check_guests "$(qemu_machine qemu-svm-linux-smp4)/" tests/linux-smp4.cfg "$LOGS/qemu-svm-linux-smp4.log"
echo "== the s390 hinting experiment with four vCPUs (QEMU/TCG -smp 2 with SVM)"
boot qemu-svm-linux-seed4
has_line "$(qemu_machine qemu-svm-linux-seed4)/linux-seed4/cpus" \
	'\[linux-seed4\] == grep -r through .* on 4 CPU\(s\) at once' "$LOGS/qemu-svm-linux-seed4.log"
check_guests "$(qemu_machine qemu-svm-linux-seed4)/" tests/linux-seed4.cfg "$LOGS/qemu-svm-linux-seed4.log"

echo "== the PC platform under QEMU/TCG with SVM (tests/pc.cfg)"
boot qemu-svm-pc
check_guests "$(qemu_machine qemu-svm-pc)/" tests/pc.cfg "$LOGS/qemu-svm-pc.log"

echo "== platform (multiboot, Linux), the Linux hinting tests, oom-tables and free page reporting under QEMU/TCG with SVM"
for t in platform linux-overcommit linux-seed linux-kexec oom-tables linux-reporting; do
	boot "qemu-svm-$t"
	check_guests "$(qemu_machine "qemu-svm-$t")/" "tests/$t.cfg" "$LOGS/qemu-svm-$t.log"
done

echo "== the virtual CPU under QEMU/TCG with SVM (tests/cpu.cfg)"
boot qemu-svm-cpu
check_guests "$(qemu_machine qemu-svm-cpu)/" tests/cpu.cfg "$LOGS/qemu-svm-cpu.log"

echo "== a config whose disk= is another VM's image= is refused (QEMU/TCG, tests/config-refused.cfg)"
await qemu-config-refused
if grep -q "^hintvisor: hintvisor.cfg: line 8: disk=hello.elf is VM hello's image= (a disk is written in place)" \
	"$LOGS/qemu-config-refused.log" &&
	grep -q 'hintvisor: end of run (status 1)' "$LOGS/qemu-config-refused.log" &&
	! grep -qa '^\[' "$LOGS/qemu-config-refused.log"; then
	ok "config/disk-is-image-refused"
else
	ko "config/disk-is-image-refused" "$(grep -m1 'hintvisor.cfg\|^\[' "$LOGS/qemu-config-refused.log" || echo "see $LOGS/qemu-config-refused.log")"
fi

echo "== QEMU/TCG with SVM but without nested paging (max,-npt)"
await qemu-nonpt
if grep -q '^svm: missing feature: nested paging' "$LOGS/qemu-nonpt.log" &&
	grep -q 'hintvisor: end of run (status 1)' "$LOGS/qemu-nonpt.log"; then
	ok "qemu-tcg/missing-npt-message"
else
	ko "qemu-tcg/missing-npt-message" "see $LOGS/qemu-nonpt.log"
fi

echo "== QEMU/TCG + OVMF without SVM (qemu64,-svm; TCG has no VMX either)"
await qemu
if grep -q '^vmx: missing feature: VMX (CPUID.1:ECX.VMX\[bit 5\] = 0)' "$LOGS/qemu.log" &&
	grep -q 'hintvisor: end of run (status 1)' "$LOGS/qemu.log"; then
	ok "qemu-tcg/missing-vmx-message"
else
	ko "qemu-tcg/missing-vmx-message" "see $LOGS/qemu.log"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
