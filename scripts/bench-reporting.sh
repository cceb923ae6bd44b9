#!/bin/sh
# SPDX-License-Identifier: MIT
# Guest page hinting against free page reporting, same hypervisor, same
# guests, same workloads: the consolidation sweep (scripts/bench-consolidation.sh)
# for the workloads anon, cache and mixed (REP_WORKS), each with the modes
# hinting, unused, report and stock (REP_MODES; see bench-consolidation.sh).
# Each workload's runs, tables and plots go to BUILD/bench/reporting/WORK
# (not the directory of make bench-consolidation). Then one summary table,
# BUILD/bench/reporting/results.txt, and a bar chart, fit.png: per workload
# and mode the largest N with every guest completed, and the totals of the
# run at N = REP_N (default 2): page-outs, page-ins, drops, pages reported,
# host-resident MiB x s, exits, guest TSC; and from the run with N = 1 how
# long after its peak the host got half of the guest's resident memory back
# (s, host time; "never": not before the guest ended). CONS_* settings pass through
# (pool, paging device, guest RAM, NMAX, ...). REP_REPORT=1 only makes the
# tables and plots again.
# Usage: scripts/bench-reporting.sh BUILD_DIR
set -eu

build=$1
works=${REP_WORKS:-anon cache mixed}
modes=${REP_MODES:-hinting unused report stock}
sumn=${REP_N:-2}
report=${REP_REPORT:-0}
res=$build/bench/reporting
mkdir -p "$res"
st=0
dir_of() { echo "$res/$1"; }

for work in $works; do
	echo "== workload $work: modes $modes"
	CONS_OUT=$(dir_of "$work") CONS_WORK=$work CONS_MODES=$modes CONS_REPORT=$report \
		scripts/bench-consolidation.sh "$build" || st=1
done

# back DIR MODE: seconds from g1's resident peak (N = 1) to its first STATS
# line with half of that resident, or "never".
back() {
	[ -f "$1/$2-1.stats" ] || { echo -; return; }
	awk -F, '$3 == "g1" { t[n] = $2; r[n] = $5 + $8 + $11 + $14; n++ }
		END {
			p = 0
			for (i = 0; i < n; i++) if (r[i] > r[p]) p = i
			for (i = p; i < n; i++) if (r[i] <= r[p] / 2) { printf "%.1f\n", t[i] - t[p]; exit }
			print "never"
		}' "$1/$2-1.stats"
}
fit() { # largest N such that every run up to it completed
	for k in $(seq 1 32); do
		[ -f "$1/$2-$k.row" ] && cat "$1/$2-$k.row"
	done | awk '{ if ($2 == $1 && $1 == best + 1) best = $1 } END { print best + 0 }'
}

{
	echo "Hinting against free page reporting: largest N with every guest completed, and the"
	echo "totals of the runs with N = $sumn (guest TSC summed over the guests; res-MiB*s: host-"
	echo "resident memory integrated over the run). Pool ${CONS_POOL:-32M}, paging device" \
		"${CONS_SWAP:-68M}, guests of ${CONS_MEM:-48M}."
	echo
	printf '%-6s %-8s %4s %10s %10s %9s %9s %11s %9s %12s %7s\n' work mode fit page-outs page-ins \
		drops reported "res-MiB*s" exits "guest-TSC" "back-s"
	for work in $works; do
		d=$(dir_of "$work")
		for mode in $modes; do
			row=$d/$mode-$sumn.row
			if [ -f "$row" ]; then
				# shellcheck disable=SC2046
				set -- $(cat "$row")
				tsc=$(echo "$*" | awk '{ s = 0; for (i = 12; i <= NF; i++) s += $i; printf "%.3g", s }')
				printf '%-6s %-8s %4s %10s %10s %9s %9s %11s %9s %12s %7s\n' "$work" "$mode" \
					"$(fit "$d" "$mode")" "$5" "$6" "$7" "${10}" "${11}" "$9" "$tsc" \
					"$(back "$d" "$mode")"
			else
				printf '%-6s %-8s %4s %10s\n' "$work" "$mode" "$(fit "$d" "$mode")" "(no run with N = $sumn)"
			fi
		done
	done
} >"$res/results.txt"
cat "$res/results.txt"

# One bar chart of the largest N per workload and mode (reporting-fit.png).
if command -v gnuplot >/dev/null; then
	{
		echo "work $modes"
		for work in $works; do
			printf '%s' "$work"
			for mode in $modes; do
				printf ' %s' "$(fit "$(dir_of "$work")" "$mode")"
			done
			echo
		done
	} >"$res/fit.dat"
	ncol=$(($(echo "$modes" | wc -w) + 1))
	gnuplot <<EOF
set terminal pngcairo size 800,450 font ",11"
set output "$res/fit.png"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 noborder
set key top right
set grid ytics
set ylabel "largest N with every guest completed"
set yrange [0:${CONS_NMAX:-6} + 0.5]
set ytics 1
set title "Guests that fit on one host pool and paging device, per workload"
plot for [c=2:$ncol] "$res/fit.dat" u c:xtic(1) title columnheader(c)
EOF
	echo "plot: $res/fit.png"
fi
exit "$st"
