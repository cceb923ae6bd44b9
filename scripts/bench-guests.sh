#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest-level benchmark under Bochs: the workload guest (tests/bench/workload)
# with hinting off, free-page hints only, and full hinting (by batch, single
# hypercalls and the shared table), each alone in one Hintvisor run with the
# same guest size and host pool. Prints one table of counts; with Bochs'
# clock: sync=none, TSC ticks are instruction counts. Then the cost of the
# exit path: the nullcall guest's null hypercall and CPUID round trips, with
# the barriers between VMs as chosen for the CPU (mitigations = auto) and
# without them (off); docs/exit-path.md explains the figures.
# Usage: scripts/bench-guests.sh BUILD_DIR
set -eu

build=$1
out=$build/bench
mkdir -p "$out"
pool=${BENCH_POOL:-6M} mem=${BENCH_MEM:-24M} rounds=${BENCH_ROUNDS:-3}

runs="none:batch unused:batch full:batch full:single full:table"
for r in $runs; do
	hint=${r%%:*} api=${r##*:}
	cfg=$out/$hint-$api.cfg
	printf 'pool = %s\nvm name=w image=workload.elf mem=%s cmdline="hint=%s api=%s rounds=%s"\n' \
		"$pool" "$mem" "$hint" "$api" "$rounds" >"$cfg"
	scripts/mkiso.sh "$cfg" "$out/$hint-$api.iso" "$build/guest" "$build/hintvisor.elf"
	if ! scripts/bochs-run.sh -t 900 "$out/$hint-$api.iso" "$out/$hint-$api.log" ||
		! grep -q '^\[w\] Test result: SUCCESS' "$out/$hint-$api.log"; then
		echo "bench: run $hint/$api failed, see $out/$hint-$api.log" >&2
		exit 1
	fi
done

echo
echo "Workload guest: $mem RAM, host pool $pool, $rounds rounds of cache scan + anonymous set + heap churn"
printf '%-7s %-6s %10s %9s %9s %8s %8s %9s %9s %8s %10s %12s %11s %9s\n' hint api page-outs \
	page-ins drops-U drops-V discards re-reads exits hinted exits/hint guest-tsc \
	tsc/exit gfns/exit
for r in $runs; do
	hint=${r%%:*} api=${r##*:}
	line=$(tr -d '\r' <"$out/$hint-$api.log" | sed -n 's/^\[w\] BENCH hint=//p')
	get() { echo "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
	# The host's largest work for one exit of the guest (end-of-run stats).
	work() {
		tr -d '\r' <"$out/$hint-$api.log" |
			awk -v c="$1" '/^host work per exit/ { h = 1; next } h && $1 == "w" { print $c; exit }'
	}
	hinted=$(get hinted) calls=$(get hint_calls)
	eph=$(awk -v c="$calls" -v h="$hinted" 'BEGIN { if (h > 0) printf "%.4f", c / h; else print "-" }')
	printf '%-7s %-6s %10s %9s %9s %8s %8s %9s %9s %8s %10s %12s %11s %9s\n' "$hint" "$api" \
		"$(get page_outs)" "$(get page_ins)" "$(get drops_u)" "$(get drops_v)" \
		"$(get discards)" "$(get rereads)" "$(get exits)" "$hinted" "$eph" "$(get tsc)" \
		"$(work 2)" "$(work 3)"
done
echo "(tsc/exit, gfns/exit: the host's largest work for one exit of the guest, TSC ticks from"
echo " the exit to the next entry, and frame-table entries or table bytes it walked)"
echo
echo "Null hypercall round trip (GET_VERSION, mean of 1000): $(tr -d '\r' <"$out/full-batch.log" | sed -n 's/^\[w\] BENCH null_hypercall_tsc=//p') TSC ticks"

# The exit path alone: a 2 MiB guest doing nothing else (tests/guest/nullcall).
for m in auto off; do
	cfg=$out/nullcall-$m.cfg
	printf 'mitigations = %s\nvm name=n image=nullcall.elf mem=2M\n' "$m" >"$cfg"
	scripts/mkiso.sh "$cfg" "$out/nullcall-$m.iso" "$build/guest" "$build/hintvisor.elf"
	if ! scripts/bochs-run.sh -t 300 "$out/nullcall-$m.iso" "$out/nullcall-$m.log" ||
		! grep -q '^\[n\] Test result: SUCCESS' "$out/nullcall-$m.log"; then
		echo "bench: nullcall with mitigations = $m failed, see $out/nullcall-$m.log" >&2
		exit 1
	fi
done
nc() { tr -d '\r' <"$out/nullcall-$1.log" | sed -n "s/^\[n\] BENCH $2=//p"; }
echo "Exit path (nullcall, mean of 1000 round trips, TSC ticks): null hypercall $(nc auto null_hypercall_tsc)," \
	"CPUID $(nc auto cpuid_tsc) with mitigations = auto; $(nc off null_hypercall_tsc), $(nc off cpuid_tsc) with off"

# Two host CPUs (tests/smp.cfg: four guests under memory pressure, vCPUs on
# both CPUs): translation shootdowns against what reclaim took back.
smp_line() { # EMULATOR LOG
	tr -d '\r' <"$2" | awk -F, -v emu="$1" '
		/^STATS,[0-9]/ { reclaimed += $17 + $19 + $20 + $21 }
		/^host CPUs:/ { cpus = $0; sub(/^host CPUs: /, "", cpus) }
		/^shootdowns:/ {
			n = split($0, w, /[ ;()]+/)
			for (i = 2; i <= n; i++) {
				if (w[i] ~ /^[0-9]+$/ && w[i + 1] == "IPIs") ipis += w[i]
				else if (w[i] ~ /^[0-9]+$/) waits += w[i]
			}
		}
		END {
			printf "SMP (%s, 2 host CPUs): %s shootdowns (CPUs waited for) %d, IPIs %d, " \
			       "pages reclaimed %d: one IPI per %s reclaimed pages\n", emu, cpus, waits, ipis,
			       reclaimed, ipis ? sprintf("%d", reclaimed / ipis) : "-"
		}'
}
if scripts/bochs-run.sh -c 2 -t 900 "$build/smp.iso" "$out/smp-bochs.log" &&
	scripts/qemu-run.sh -i -s 2 -t 600 "$build/smp.iso" "$out/smp-qemu.log" >/dev/null; then
	smp_line "Bochs, VT-x" "$out/smp-bochs.log"
	smp_line "QEMU/TCG, SVM" "$out/smp-qemu.log"
else
	echo "bench: the two-CPU run failed, see $out/smp-*.log" >&2
	exit 1
fi
