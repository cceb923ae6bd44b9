#!/bin/sh
# SPDX-License-Identifier: MIT
# The level check of the source tree (host tool; rules in scripts/layers.txt,
# explained in docs/layers.md). Brings the hypervisor's objects up to date
# (make BUILD_DIR/hintvisor.elf), then scripts/layers.py checks the #include
# lines of the sources (resolved with the -I flags of the Makefile's KCFLAGS)
# and the symbols each object uses (nm) against the levels, and compares what
# it finds with the baseline scripts/layers-known.txt.
# Usage: scripts/check-layers.sh [--raw] [BUILD_DIR]
#   BUILD_DIR  relative to the top of the tree, default build
#   --raw      every violation, no baseline, exit 0 (a new baseline:
#              scripts/check-layers.sh --raw >scripts/layers-known.txt)
# Prints one violation a line, "known: " before those of the baseline, a
# summary last; exits 1 on a new violation or a baseline line that no longer
# occurs, 2 if the build fails or the table is wrong, 0 otherwise.
set -u
raw=
if [ "${1:-}" = --raw ]; then
	raw=--raw
	shift
fi
cd "$(dirname "$0")/.." || exit 2
build=${1:-build}
# Under make check the objects are up to date already: no job server needed.
unset MAKEFLAGS MFLAGS MAKELEVEL

if ! make -s --no-print-directory -j2 BUILD="$build" "$build/hintvisor.elf" >&2; then
	echo "check-layers: building $build/hintvisor.elf failed" >&2
	exit 2
fi
# shellcheck disable=SC2016
iflags=$(printf 'layers-iflags:\n\t@echo $(filter -I%%,$(KCFLAGS))\n' |
	make -s --no-print-directory BUILD="$build" -f Makefile -f - layers-iflags) || exit 2
# shellcheck disable=SC2086
exec python3 scripts/layers.py . "$build/k" scripts/layers.txt scripts/layers-known.txt \
	$raw -- $iflags
