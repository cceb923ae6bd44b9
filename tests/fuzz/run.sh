#!/bin/sh
# SPDX-License-Identifier: MIT
# Run the libFuzzer harnesses built under $BUILD/fuzz.
#   tests/fuzz/run.sh runs N NAME...   N inputs each (make check), seed 1
#   tests/fuzz/run.sh time S NAME...   S seconds each (make fuzz)
# Each fuzzer starts from its committed corpus tests/fuzz/corpus/NAME (seeds
# and regression inputs, read only) plus a work corpus in $BUILD/fuzz/work.
# Prints "PASS fuzz/NAME: ..." or "FAIL fuzz/NAME (...)" per fuzzer with the
# executions and libFuzzer's cov:/ft: numbers; exits non-zero on a failure.
# A crashing input is kept as $BUILD/fuzz/crash-NAME-*.
set -u

BUILD=${BUILD:-build}
mode=$1 amount=$2
shift 2
fail=0
for name in "$@"; do
	bin=$BUILD/fuzz/fuzz_$name
	work=$BUILD/fuzz/work/$name
	log=$BUILD/fuzz/$name.log
	if [ ! -x "$bin" ]; then
		echo "FAIL fuzz/$name (not built)"
		fail=1
		continue
	fi
	if [ "$mode" = runs ]; then
		rm -rf "$work" # the same inputs every time: seeds plus N mutations
	fi
	mkdir -p "$work"
	if [ "$mode" = runs ]; then
		limit="-runs=$amount -seed=1"
	else
		limit="-max_total_time=$amount"
	fi
	# A hang (an input that keeps one call busy) fails in 30 s, not in libFuzzer's 20 minutes.
	# shellcheck disable=SC2086
	"$bin" $limit -timeout=30 -print_final_stats=1 -artifact_prefix="$BUILD/fuzz/crash-$name-" \
		"$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/cov \1 ft \2/p')
	if [ "$rc" -eq 0 ] && grep -q '^stat::number_of_executed_units' "$log"; then
		echo "PASS fuzz/$name: ${execs:-?} executions, ${cov:-no coverage line}"
	else
		echo "FAIL fuzz/$name (exit $rc, $(grep -m1 -E 'ERROR|panic|SUMMARY' "$log"); see $log)"
		fail=1
	fi
done
exit "$fail"
