#!/bin/sh
# SPDX-License-Identifier: MIT
# The consolidation benchmark: how many Linux guests fit on one host. A fixed
# host pool P and paging device S; N Linux 6.1 guests of RAM M, started
# DELAY ms apart, each with its own copy of the disk, each running
# linux-guest-patch/test-consolidate.sh (memtouch most of its RAM and free
# it, sha256sum -c of every file of the disk, then idle). N = 1, 2, ... with
# hinting on, and with every guest booted hintvisor=off ("blind"); the two
# sweeps run side by side (one Bochs each). A sweep stops at the first N
# where not every guest completed (CONS_ALL=1: runs every N up to NMAX).
# Writes, in BUILD/bench/consolidation: per run MODE-N.log (console),
# MODE-N.stats (its STATS lines, time in s), results.txt (the tables) and the
# plots (gnuplot): sweep.png, pageio.png, states-MODE-N.png. CONS_REPORT=1
# only makes the tables and plots again from the files of an earlier run.
# CONS_RUN="MODE N" does that one run only (e.g. "hinting 5") and prints its row.
# Usage: scripts/bench-consolidation.sh BUILD_DIR
set -eu

build=$1
out=$build/bench/consolidation
img=$out/images
pool=${CONS_POOL:-32M} swap=${CONS_SWAP:-68M} mem=${CONS_MEM:-48M} files=${CONS_FILES:-96}
delay=${CONS_DELAY_MS:-4000} idle=${CONS_IDLE:-1} nmax=${CONS_NMAX:-6}
interval=${CONS_INTERVAL_MS:-1000} all=${CONS_ALL:-0} timeout=${CONS_TIMEOUT:-1500}
report=${CONS_REPORT:-0}
mkdir -p "$img"
if [ "$report" != 1 ]; then
	rm -f "$out"/*.log "$out"/*.stats "$out"/*.row "$out"/*.png "$out"/*.dat
	cp "$build/guest/bzImage" "$build/guest/initramfs.cpio.gz" "$img/"
	for i in $(seq 1 "$nmax"); do
		cp "$build/guest/disk.img" "$img/disk-$i.img"
	done
fi
base="console=ttyS0 tsc=reliable panic=-1 hv.test=/test-consolidate.sh hv.files=$files"

# run MODE N: one Hintvisor run of N guests; writes MODE-N.{log,stats,row}.
# The row: N completed stopped-for-memory other page-outs page-ins drops
# discards exits, then guest TSC per guest (g1 g2 ...).
run() {
	mode=$1 n=$2 name=$1-$2
	cfg=$out/$name.cfg
	extra=
	[ "$mode" = blind ] && extra=" hintvisor=off"
	{
		echo "stats_interval_ms = $interval"
		echo "pool = $pool"
		echo "swap = $swap"
		for i in $(seq 1 "$n"); do
			# The first guests idle longer: all hold their memory until the last is done.
			hold=$((idle + (n - i) * delay / 1000))
			echo "vm name=g$i image=bzImage initrd=initramfs.cpio.gz disk=disk-$i.img mem=$mem" \
				"delay_ms=$(((i - 1) * delay)) cmdline=\"$base hv.idle=$hold$extra\""
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
	# Totals from each guest's last STATS line (the one printed as it stopped).
	awk -F, -v n="$n" -v ok="$ok" -v oom="$oom" '$1 == "STATS" { last[$3] = $0 }
		END {
			for (i = 1; i <= n; i++) {
				if (!(("g" i) in last)) continue
				split(last["g" i], f, ",")
				po += f[17]; pi += f[18]; dr += f[19] + f[20] + f[21]; di += f[22]; ex += f[25]
				tsc = tsc " " f[27]
			}
			printf "%d %d %d %d %d %d %d %d %d%s\n", n, ok, oom, n - ok - oom, po, pi, dr, di, ex, tsc
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

if [ "$report" != 1 ]; then
	sweep hinting >"$out/hinting.out" 2>&1 &
	hpid=$!
	sweep blind >"$out/blind.out" 2>&1 &
	bpid=$!
	st=0
	wait "$hpid" || st=1
	wait "$bpid" || st=1
	cat "$out/hinting.out" "$out/blind.out" >&2
	[ "$st" -eq 0 ] || { echo "bench: a consolidation run failed" >&2; exit 1; }
fi

# ---- tables ----
fit() { # largest N such that every run up to it completed
	cat $(rows "$1") | awk '{ if ($2 == $1 && $1 == best + 1) best = $1 } END { print best + 0 }'
}
hfit=$(fit hinting) bfit=$(fit blind)
{
	echo "Consolidation: host pool $pool, paging device $swap; Linux 6.1 guests of $mem started"
	echo "$delay ms apart, each: memtouch of MemAvailable - 4 MiB, then free; sha256sum -c of the"
	echo "first $files files of its disk; idle until the last guest is done (hinting: table mode;"
	echo "blind: hintvisor=off)"
	echo
	printf '%-8s %3s %9s %8s %6s %10s %10s %9s %9s %9s  %s\n' mode N completed oom-stop other \
		page-outs page-ins drops discards exits "guest TSC per guest (g1 g2 ...)"
	for mode in hinting blind; do
		for r in $(rows "$mode"); do
			set -- $(cat "$r")
			n=$1 ok=$2 oom=$3 other=$4 po=$5 pi=$6 dr=$7 di=$8 ex=$9
			shift 9
			printf '%-8s %3s %9s %8s %6s %10s %10s %9s %9s %9s  %s\n' "$mode" "$n" "$ok/$n" \
				"$oom" "$other" "$po" "$pi" "$dr" "$di" "$ex" "$*"
		done
	done
	echo
	echo "Largest N with every guest completed: hinting $hfit, blind $bfit" |
		awk -v h="$hfit" -v b="$bfit" '{ print; if (b > 0) printf "Guests per host, hinting / blind: %.2fx\n", h / b }'
	echo
	echo "Where it stopped (first N that did not complete, per mode):"
	for mode in hinting blind; do
		last=$(rows "$mode" | tail -n 1)
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
scripts/plot-consolidation.sh "$out" "$nmax" "$bfit"
echo "plots: $(cd "$out" && ls *.png | tr '\n' ' ')(in $out)"
