#!/bin/sh
# SPDX-License-Identifier: MIT
# Check every patch of the series with the kernel tree's own
# scripts/checkpatch.pl --strict. Needs the unpacked, patched source tree
# that build-kernel.sh keeps in the cache. Prints one line per patch and
# exits non-zero if any patch has an error, warning or check.
# Usage: linux-guest-patch/checkpatch.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=${HINTVISOR_CACHE:-$HOME/.cache/hintvisor}
tree=$(ls -d "$root"/linux-src-* 2>/dev/null | head -n 1)
[ -n "$tree" ] && [ -x "$tree/scripts/checkpatch.pl" ] ||
	{ echo "checkpatch: no kernel tree in $root (build the kernel first)" >&2; exit 2; }
patches=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e 's/^[[:space:]]*//' "$here/series" | grep -v '^$' || true)
[ -n "$patches" ] || { echo "checkpatch: the series is empty" >&2; exit 1; }

bad=0
for p in $patches; do
	# Debian's python3 (checkpatch runs scripts/spdxcheck.py, which needs
	# python3-ply), not one that a user's PATH may put first.
	out=$(cd "$tree" && PATH=/usr/bin:/bin:$PATH ./scripts/checkpatch.pl --strict \
		"$here/patches/$p" 2>&1) || true
	total=$(echo "$out" | grep '^total:' || echo "total: no result")
	echo "$p: $total"
	case $total in
	"total: 0 errors, 0 warnings, 0 checks,"*) ;;
	*)
		echo "$out" | grep -E '^(ERROR|WARNING|CHECK)' -A3 | head -n 20
		bad=1
		;;
	esac
	if echo "$out" | grep -q 'Traceback'; then
		echo "$out" | grep -A3 Traceback
		bad=1
	fi
done
exit $bad
