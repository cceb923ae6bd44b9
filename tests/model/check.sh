#!/bin/sh
# SPDX-License-Identifier: MIT
# Exhaustive SPIN check of a model in tests/model (table.pml unless named)
# with the given -D flags.
#   tests/model/check.sh OUTDIR NAME [MODEL.pml] [-DNCPU=2] [-DMUTANT_...]
# Prints one line: states stored, depth reached, seconds. Exit status:
# 0 the search completed without a counterexample, 1 it found one (the
# trail is kept in OUTDIR/NAME), 2 the check could not run or did not
# complete (tool missing, depth bound hit).
set -u

out=$1 name=$2
shift 2
pml=table.pml
case ${1:-} in
*.pml) pml=$1; shift ;;
esac
model=$(cd "$(dirname "$0")" && pwd)/$pml
dir=$out/$name
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir" || exit 2
command -v spin >/dev/null || { echo "$name: spin not installed"; exit 2; }
cp "$model" "$pml" || { echo "$name: no model $pml"; exit 2; }
spin "$@" -a "$pml" >spin.log 2>&1 || { echo "$name: spin -a failed"; exit 2; }
# -w: pan.c casts freely; warnings there are not ours. COLLAPSE: half the
# memory for linux.pml's 18 million states.
gcc -O2 -w -DSAFETY -DCOLLAPSE -o pan pan.c >cc.log 2>&1 || { echo "$name: pan does not compile"; exit 2; }
./pan -m4000000 >pan.log 2>&1
states=$(sed -n 's/^ *\([0-9]*\) states, stored.*/\1/p' pan.log)
depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' pan.log)
secs=$(sed -n 's/^pan: elapsed time \([0-9.]*\).*/\1/p' pan.log)
echo "$name: ${states:-?} states, depth ${depth:-?}, ${secs:-?} s"
if grep -q '^pan:[0-9]*:' pan.log; then
	grep -m1 '^pan:[0-9]*:' pan.log
	exit 1
fi
if grep -q 'error: max search depth too small' pan.log || ! grep -q 'errors: 0$' pan.log; then
	echo "$name: search incomplete, see $dir/pan.log"
	exit 2
fi
exit 0
