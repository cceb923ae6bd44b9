#!/bin/sh
# SPDX-License-Identifier: MIT
# Plots of the consolidation benchmark (gnuplot, PNG), from the files that
# scripts/bench-consolidation.sh wrote into DIR:
#   sweep.png            guests completed vs N, hinting and blind
#   pageio.png           page-outs and page-ins vs N, hinting and blind
#   states-MODE-N.png    per guest, host frames over time: resident S/U/V/P
#                        stacked, and paged out on top (from the STATS lines)
# The states plots are drawn for N = FIT + 1 (the first N that blind did not
# complete; at most NMAX) in both modes, where the runs exist.
# Usage: scripts/plot-consolidation.sh DIR NMAX FIT
set -eu

dir=$1 nmax=$2 fit=$3
command -v gnuplot >/dev/null || { echo "plot: gnuplot missing (scripts/deps.sh)" >&2; exit 1; }

# Per N: completed, page-outs, page-ins of each mode ("NaN" where not run).
for k in $(seq 1 "$nmax"); do
	line=$k
	for mode in hinting blind; do
		if [ -f "$dir/$mode-$k.row" ]; then
			line="$line $(cut -d' ' -f2,5,6 "$dir/$mode-$k.row")"
		else
			line="$line NaN NaN NaN"
		fi
	done
	echo "$line"
done >"$dir/sweep.dat"

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
plot x w lines lc rgb "#999999" dt 2 title "all N", \
     "$dir/sweep.dat" u 1:2 w linespoints lw 3 pt 7 ps 1.5 lc rgb "#1f77b4" title "hinting", \
     "$dir/sweep.dat" u 1:5 w linespoints lw 2 dt 4 pt 5 lc rgb "#d62728" title "blind (hintvisor=off)"
set output "$dir/pageio.png"
set ylabel "pages (sum over the guests of a run)"
set yrange [0:*]
set title "Paging device traffic per run"
plot "$dir/sweep.dat" u 1:3 w linespoints lw 2 pt 7 lc rgb "#1f77b4" title "page-outs, hinting", \
     "$dir/sweep.dat" u 1:4 w linespoints lw 2 dt 2 pt 6 lc rgb "#1f77b4" title "page-ins, hinting", \
     "$dir/sweep.dat" u 1:6 w linespoints lw 2 pt 5 lc rgb "#d62728" title "page-outs, blind", \
     "$dir/sweep.dat" u 1:7 w linespoints lw 2 dt 2 pt 4 lc rgb "#d62728" title "page-ins, blind"
EOF

n=$((fit + 1))
[ "$n" -le "$nmax" ] || n=$nmax
for mode in hinting blind; do
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
