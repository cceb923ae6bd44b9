#!/bin/sh
# SPDX-License-Identifier: MIT
# Plots of the consolidation benchmark (gnuplot, PNG), from the files that
# scripts/bench-consolidation.sh wrote into DIR, for the modes of CONS_MODES
# (default "hinting blind"):
#   sweep.png            guests completed vs N, per mode
#   pageio.png           page-outs and page-ins vs N, per mode
#   states-MODE-N.png    per guest, host frames over time: resident S/U/V/P
#                        stacked, and paged out on top (from the STATS lines)
# The states plots are drawn for N = FIT + 1 (the first N that the last mode
# did not complete; at most NMAX) in every mode, where the runs exist.
# Usage: scripts/plot-consolidation.sh DIR NMAX FIT
set -eu

dir=$1 nmax=$2 fit=$3
command -v gnuplot >/dev/null || { echo "plot: gnuplot missing (scripts/deps.sh)" >&2; exit 1; }

modes=${CONS_MODES:-hinting blind}
# Per N: completed, page-outs, page-ins of each mode ("NaN" where not run).
for k in $(seq 1 "$nmax"); do
	line=$k
	for mode in $modes; do
		if [ -f "$dir/$mode-$k.row" ]; then
			line="$line $(cut -d' ' -f2,5,6 "$dir/$mode-$k.row")"
		else
			line="$line NaN NaN NaN"
		fi
	done
	echo "$line"
done >"$dir/sweep.dat"

# One colour and point type per mode, in the order of $modes.
colors="#1f77b4 #d62728 #2ca02c #ff7f0e #9467bd #8c564b"
sweep='' pageio='' c=2 i=1
for mode in $modes; do
	col=$(echo "$colors" | cut -d' ' -f"$i")
	sweep="$sweep, \"$dir/sweep.dat\" u 1:$c w linespoints lw 2 pt $((i + 4)) ps 1.3 lc rgb \"$col\" title \"$mode\""
	pageio="$pageio, \"$dir/sweep.dat\" u 1:$((c + 1)) w linespoints lw 2 pt $((i + 4)) lc rgb \"$col\" title \"page-outs, $mode\""
	pageio="$pageio, \"$dir/sweep.dat\" u 1:$((c + 2)) w linespoints lw 2 dt 2 pt $((i + 4)) lc rgb \"$col\" title \"page-ins, $mode\""
	c=$((c + 3)) i=$((i + 1))
done

gnuplot <<EOF
set terminal pngcairo size 800,500 font ",11"
set datafile missing "NaN"
set key top left
set grid
set xlabel "guests started (N)"
set xtics 1
set xrange [0.5:$nmax + 0.5]
set output "$dir/sweep.png"
set ylabel "guests completed"
set yrange [0:$nmax + 0.5]
set title "Consolidation: guests that completed, same host pool and paging device"
plot x w lines lc rgb "#999999" dt 2 title "all N"$sweep
set output "$dir/pageio.png"
set ylabel "pages (sum over the guests of a run)"
set yrange [0:*]
set title "Paging device traffic per run"
plot ${pageio#, }
EOF

n=$((fit + 1))
[ "$n" -le "$nmax" ] || n=$nmax
for mode in $modes; do
	stats=$dir/$mode-$n.stats
	[ -s "$stats" ] || continue
	# Per guest: t, then cumulative S_r, +U_r, +V_r, +P_r, +paged out (all states), in MiB.
	for i in $(seq 1 "$n"); do
		awk -F, -v vm="g$i" '$3 == vm {
			s = $5 / 256; u = s + $8 / 256; v = u + $11 / 256; p = v + $14 / 256
			o = p + ($6 + $9 + $12 + $15) / 256
			print $2, s, u, v, p, o }' "$stats" >"$dir/states-$mode-$n-g$i.dat"
	done
	rows=$(( (n + 1) / 2 ))
	{
		echo "set terminal pngcairo size 1000,$((260 * rows)) font \",10\""
		echo "set output \"$dir/states-$mode-$n.png\""
		echo "set multiplot layout $rows,2 title \"Host frames per guest over time, $mode, N = $n\""
		echo "set style fill solid 0.8 noborder"
		echo "set xlabel \"host time (s)\""
		echo "set ylabel \"MiB\""
		echo "set key top left font \",8\""
		for i in $(seq 1 "$n"); do
			f=$dir/states-$mode-$n-g$i.dat
			echo "set title \"g$i\""
			echo "plot \"$f\" u 1:6 w filledcurves x1 lc rgb \"#999999\" title \"paged out\", \\"
			echo "     \"$f\" u 1:5 w filledcurves x1 lc rgb \"#d62728\" title \"P resident\", \\"
			echo "     \"$f\" u 1:4 w filledcurves x1 lc rgb \"#2ca02c\" title \"V resident\", \\"
			echo "     \"$f\" u 1:3 w filledcurves x1 lc rgb \"#ff7f0e\" title \"U resident\", \\"
			echo "     \"$f\" u 1:2 w filledcurves x1 lc rgb \"#1f77b4\" title \"S resident\""
		done
		echo "unset multiplot"
	} | gnuplot
done
