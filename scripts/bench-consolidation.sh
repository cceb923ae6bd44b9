#!/bin/sh
# SPDX-License-Identifier: MIT
# The consolidation benchmark: how many Linux guests fit on one host. A fixed
# host pool P and paging device S; N Linux 6.1 guests of RAM M, started
# DELAY ms apart, each with its own copy of the disk, each running
# linux-guest-patch/test-consolidate.sh with one workload, then idle:
#   mixed (default)  memtouch most of its RAM and free it, sha256sum -c of
#                    the first FILES files of disk.img
#   anon             memtouch only (the free page hinting/reporting test)
#   cache            sha256sum -c of every file of disk-src.img (33 MiB, over
#                    half of RAM): page cache, no memtouch
# N = 1, 2, ... per mode, the sweeps of two modes side by side (one Bochs
# each; CONS_PAR=1: one after the other). A sweep stops at the first N where not every guest completed
# (CONS_ALL=1: runs every N up to NMAX). Modes (CONS_MODES, default
# "hinting blind"):
#   hinting   the hinting kernel: unused free pages, volatile page cache
#   unused    the hinting kernel with hintvisor=notable: free pages in batch
#             hypercalls, no table, hence no volatile page cache
#   blind     the hinting kernel with hintvisor=off
#   stock     the stock kernel (bzImage-stock), no balloon (balloon=off)
#   report    the stock kernel, free page reporting from order 0 up
#   report9   the stock kernel, free page reporting with its default order 9
# Writes, in BUILD/bench/consolidation (mixed) or consolidation-WORK (or
# CONS_OUT): per run
# MODE-N.log (console), MODE-N.stats (its STATS lines, time in s), MODE-N.row
# (its totals), results.txt (the tables) and the plots (gnuplot): sweep.png,
# pageio.png, states-MODE-N.png. CONS_REPORT=1 only makes the tables and
# plots again from the files of an earlier run. CONS_RUN="MODE N" does that
# one run only (e.g. "hinting 5") and prints its row. CONS_RESUME=1 keeps the
# runs of an earlier, interrupted sweep (their .row files) and goes on.
# Usage: scripts/bench-consolidation.sh BUILD_DIR
set -eu

build=$1
work=${CONS_WORK:-mixed}
modes=${CONS_MODES:-hinting blind}
out=$build/bench/consolidation
[ "$work" = mixed ] || out=$out-$work
out=${CONS_OUT:-$out}
img=$out/images
pool=${CONS_POOL:-32M} swap=${CONS_SWAP:-68M} mem=${CONS_MEM:-48M} files=${CONS_FILES:-96}
delay=${CONS_DELAY_MS:-4000} idle=${CONS_IDLE:-1} nmax=${CONS_NMAX:-6}
interval=${CONS_INTERVAL_MS:-1000} all=${CONS_ALL:-0} timeout=${CONS_TIMEOUT:-1500}
report=${CONS_REPORT:-0} resume=${CONS_RESUME:-0} par=${CONS_PAR:-2}
base="console=ttyS0 tsc=reliable panic=-1 hv.test=/test-consolidate.sh"
case $work in
mixed) disk=disk.img base="$base hv.files=$files" what="memtouch of MemAvailable - 4 MiB, then free; sha256sum -c of the first $files files of its disk" ;;
anon) disk=disk.img base="$base hv.files=0" what="memtouch of MemAvailable - 4 MiB, then free" ;;
cache) disk=disk-src.img base="$base hv.anon=0" what="sha256sum -c of every file of disk-src.img (33 MiB of files)" ;;
*) echo "bench: unknown workload $work (mixed, anon, cache)" >&2; exit 2 ;;
esac
mkdir -p "$img"
if [ "$report" != 1 ]; then
	[ "$resume" = 1 ] || rm -f "$out"/*.log "$out"/*.stats "$out"/*.row "$out"/*.png "$out"/*.dat
	cp "$build/guest/bzImage" "$build/guest/bzImage-stock" "$build/guest/initramfs.cpio.gz" "$img/"
	for i in $(seq 1 "$nmax"); do
		cp "$build/guest/$disk" "$img/disk-$i.img"
	done
fi

# The guest kernel and what goes on the command line and VM line per mode.
mode_image() { case $1 in stock | report | report9) echo bzImage-stock ;; *) echo bzImage ;; esac; }
mode_cmdline() {
	case $1 in
	blind) echo " hintvisor=off" ;;
	unused) echo " hintvisor=notable" ;;
	report) echo " hv.reporting_order=0" ;;
	*) echo "" ;;
	esac
}
mode_vm() { [ "$1" = stock ] && echo " balloon=off" || true; }
mode_title() {
	case $1 in
	hinting) echo "hinting (table: unused and volatile)" ;;
	unused) echo "hinting unused only (hintvisor=notable)" ;;
	blind) echo "blind (hintvisor=off)" ;;
	stock) echo "stock kernel, no balloon" ;;
	report) echo "stock kernel, free page reporting, order 0" ;;
	report9) echo "stock kernel, free page reporting, order 9" ;;
	*) echo "$1" ;;
	esac
}
for mode in $modes; do
	case $mode in
	hinting | unused | blind | stock | report | report9) ;;
	*) echo "bench: unknown mode $mode" >&2; exit 2 ;;
	esac
done

# run MODE N: one Hintvisor run of N guests; writes MODE-N.{log,stats,row}.
# The row: N completed stopped-for-memory other page-outs page-ins drops
# discards exits, then guest TSC per guest (g1 g2 ...).
run() {
	mode=$1 n=$2 name=$1-$2
	if [ "$resume" = 1 ] && [ -f "$out/$name.row" ]; then
		return 0
	fi
	cfg=$out/$name.cfg
	extra=$(mode_cmdline "$mode")
	{
		echo "stats_interval_ms = $interval"
		echo "pool = $pool"
		echo "swap = $swap"
		for i in $(seq 1 "$n"); do
			# The first guests idle longer: all hold their memory until the last is done.
			hold=$((idle + (n - i) * delay / 1000))
			echo "vm name=g$i image=$(mode_image "$mode") initrd=initramfs.cpio.gz" \
				"disk=disk-$i.img mem=$mem$(mode_vm "$mode") delay_ms=$(((i - 1) * delay))" \
				"cmdline=\"$base hv.idle=$hold$extra\""
		done
	} >"$cfg"
	scripts/mkiso.sh "$cfg" "$out/$name.iso" "$img" "$build/hintvisor.elf"
	if ! scripts/bochs-run.sh -t "$timeout" "$out/$name.iso" "$out/$name.raw"; then
		echo "bench: run $name did not end, see $out/$name.raw" >&2
		tr -d '\r' <"$out/$name.raw" >"$out/$name.log"
		rm -f "$out/$name.iso"
		return 1
	fi
	rm -f "$out/$name.iso"
	tr -d '\r' <"$out/$name.raw" >"$out/$name.log"
	rm -f "$out/$name.raw"
	log=$out/$name.log
	khz=$(sed -n 's/.*TSC \([0-9]*\) kHz.*/\1/p' "$log" | head -n 1)
	# STATS lines with the time in seconds since the first one.
	awk -F, -v khz="$khz" '$1 == "STATS" && $2 != "tsc" {
		if (t0 == "") t0 = $2
		$2 = sprintf("%.3f", ($2 - t0) / (khz * 1000)); print }' OFS=, "$log" >"$out/$name.stats"
	ok=$(grep -c '^\[g[0-9]*\] Test result: SUCCESS' "$log" || true)
	oom=$(grep -c '^hintvisor: VM g[0-9]* stopped: out of host memory' "$log" || true)
	# Totals from each guest's last STATS line (the one printed as it stopped),
	# pages its free page reporting handed over, and host-resident memory
	# integrated over time: the resident pages of a guest's line held until
	# its next line, in MiB x s, summed over the guests (HyperAlloc's metric).
	awk -F, -v n="$n" -v ok="$ok" -v oom="$oom" '$1 == "STATS" {
			r = ($5 + $8 + $11 + $14) / 256
			if ($3 in t) mibs += rlast[$3] * ($2 - t[$3])
			t[$3] = $2; rlast[$3] = r; last[$3] = $0
		}
		END {
			for (i = 1; i <= n; i++) {
				if (!(("g" i) in last)) continue
				split(last["g" i], f, ",")
				po += f[17]; pi += f[18]; dr += f[19] + f[20] + f[21]; di += f[22]; ex += f[25]
				rep += f[28]
				tsc = tsc " " f[27]
			}
			printf "%d %d %d %d %d %d %d %d %d %d %d%s\n", n, ok, oom, n - ok - oom, po, pi, dr, di,
				ex, rep, mibs, tsc
		}' "$out/$name.stats" >"$out/$name.row"
}

sweep() {
	for k in $(seq 1 "$nmax"); do
		run "$1" "$k" || return 1
		[ "$(cut -d' ' -f2 "$out/$1-$k.row")" -eq "$k" ] || [ "$all" = 1 ] || break
	done
}

# rows MODE: the row files of a mode's sweep, in order of N.
rows() {
	for k in $(seq 1 "$nmax"); do
		[ -f "$out/$1-$k.row" ] && echo "$out/$1-$k.row"
	done
	return 0
}

if [ -n "${CONS_RUN:-}" ]; then
	# shellcheck disable=SC2086
	run $CONS_RUN
	cat "$out/$(echo "$CONS_RUN" | tr ' ' -).row"
	exit 0
fi

# CONS_PAR (1 or 2, default 2) sweeps at a time, in the order of CONS_MODES.
if [ "$report" != 1 ]; then
	st=0
	set -- $modes
	while [ $# -gt 0 ]; do
		sweep "$1" >"$out/$1.out" 2>&1 &
		p1=$! p2='' m2=
		if [ $# -gt 1 ] && [ "$par" -gt 1 ]; then
			m2=$2
			sweep "$2" >"$out/$2.out" 2>&1 &
			p2=$!
		fi
		wait "$p1" || st=1
		[ -z "$p2" ] || wait "$p2" || st=1
		cat "$out/$1.out" >&2
		[ -z "$m2" ] || cat "$out/$m2.out" >&2
		shift
		[ -z "$m2" ] || shift
	done
	[ "$st" -eq 0 ] || { echo "bench: a consolidation run failed" >&2; exit 1; }
fi

# ---- tables ----
fit() { # largest N such that every run up to it completed
	cat $(rows "$1") | awk '{ if ($2 == $1 && $1 == best + 1) best = $1 } END { print best + 0 }'
}
{
	echo "Consolidation: host pool $pool, paging device $swap; Linux 6.1 guests of $mem started"
	echo "$delay ms apart, each: $what;"
	echo "idle until the last guest is done. Modes:"
	for mode in $modes; do
		printf '  %-8s %s\n' "$mode" "$(mode_title "$mode")"
	done
	echo
	printf '%-8s %3s %9s %8s %6s %10s %10s %9s %9s %9s %9s %11s  %s\n' mode N completed oom-stop \
		other page-outs page-ins drops discards exits reported "res-MiB*s" \
		"guest TSC per guest (g1 g2 ...)"
	for mode in $modes; do
		for r in $(rows "$mode"); do
			set -- $(cat "$r")
			n=$1 ok=$2 oom=$3 other=$4 po=$5 pi=$6 dr=$7 di=$8 ex=$9 rep=${10} mibs=${11}
			shift 11
			printf '%-8s %3s %9s %8s %6s %10s %10s %9s %9s %9s %9s %11s  %s\n' "$mode" "$n" \
				"$ok/$n" "$oom" "$other" "$po" "$pi" "$dr" "$di" "$ex" "$rep" "$mibs" "$*"
		done
	done
	echo
	printf 'Largest N with every guest completed:'
	for mode in $modes; do
		printf ' %s %s' "$mode" "$(fit "$mode")"
	done
	echo
	lastmode=$(echo "$modes" | awk '{ print $NF }')
	lfit=$(fit "$lastmode")
	for mode in $modes; do
		[ "$mode" != "$lastmode" ] && [ "$lfit" -gt 0 ] || continue
		awk -v m="$mode" -v l="$lastmode" -v a="$(fit "$mode")" -v b="$lfit" \
			'BEGIN { printf "Guests per host, %s / %s: %.2fx\n", m, l, a / b }'
	done
	echo
	echo "Where it stopped (first N that did not complete, per mode):"
	for mode in $modes; do
		last=$(rows "$mode" | tail -n 1)
		[ -n "$last" ] || continue
		n=$(cut -d' ' -f1 "$last")
		if [ "$(cut -d' ' -f2 "$last")" -eq "$n" ]; then
			echo "  $mode: N=$n completed (largest N run)"
		else
			grep -E '^hintvisor: (host out of memory|VM g[0-9]+ stopped)|^\[g[0-9]+\] (Test result: FAILURE|.*segfault|Killed)' \
				"$out/$mode-$n.log" | sed "s/^/  $mode N=$n: /"
		fi
	done
} >"$out/results.txt"
cat "$out/results.txt"

# ---- plots ----
# The states plots at the first N the last mode did not complete.
lastmode=$(echo "$modes" | awk '{ print $NF }')
CONS_MODES="$modes" scripts/plot-consolidation.sh "$out" "$nmax" "$(fit "$lastmode")"
echo "plots: $(cd "$out" && ls *.png | tr '\n' ' ')(in $out)"
