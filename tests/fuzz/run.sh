#!/bin/sh
# run.sh [SECONDS] [TARGET...] - run the libFuzzer targets "make fuzz"
# built (./configure --enable-fuzz CC=clang && make fuzz), each for
# SECONDS (default 10) on a scratch copy of its seeds in
# tests/fuzz/corpus/<target>/ with tests/fuzz/dict/<target>.dict.
# Prints each target's executions and coverage; a crash, leak, UBSan
# report or missing target fails the run (exit 1) and the input is kept
# as $OUT/crash-* (or leak-*, timeout-*).
#
#	sh tests/fuzz/run.sh 10			# CI: about 2 minutes
#	OUT=/tmp/campaign sh tests/fuzz/run.sh 3600 fuzz_proto
#
# BUILDDIR (default: the top of the tree) holds the built targets; OUT
# (default /tmp/tally-fuzz) the corpora and logs, kept between runs; RUNS,
# if set, ends a target after that many executions (SECONDS still caps);
# MAX_LEN (default 8192) is the longest input tried.
set -u
secs=${1:-10}
[ $# -gt 0 ] && shift
src=$(cd "$(dirname "$0")" && pwd)
build=${BUILDDIR:-$src/../..}
out=${OUT:-/tmp/tally-fuzz}
targets=${*:-"proto graph put config alert httpquery registry funds
    logline logformat exec graphite promql journal notifylog coop traffic
    rrdread forward xlsx"}
rc=0
# Scratch files (fuzz_journal, fuzz_rrdread) on a tmpfs: a journal's
# fsync on a disk would bound the rate.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	export TMPDIR=/dev/shm
fi

case $secs in
''|*[!0-9]*) echo "usage: $0 [seconds] [target...]" >&2; exit 2 ;;
esac
mkdir -p "$out" || exit 1
total=0
for t in $targets; do
	t=${t#fuzz_}
	bin=$build/tests/fuzz/fuzz_$t
	if [ ! -x "$bin" ]; then
		echo "== fuzz_$t: MISSING $bin (make fuzz)"
		rc=1
		continue
	fi
	mkdir -p "$out/corpus-$t"
	dict=
	[ -f "$src/dict/$t.dict" ] && dict=-dict=$src/dict/$t.dict
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    "$bin" -max_total_time="$secs" ${RUNS:+-runs=$RUNS} \
	    -print_final_stats=1 \
	    -max_len="${MAX_LEN:-8192}" -timeout=10 -rss_limit_mb=2048 $dict \
	    -artifact_prefix="$out/" "$out/corpus-$t" "$src/corpus/$t" \
	    >"$out/fuzz_$t.log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$out/fuzz_$t.log")
	cov=$(grep -o 'cov: [0-9]*' "$out/fuzz_$t.log" | tail -1)
	echo "== fuzz_$t: ${execs:-?} execs in ${secs}s, ${cov:-cov: ?}," \
	    "exit $st"
	total=$((total + ${execs:-0}))
	if [ $st -ne 0 ] || grep -q 'runtime error\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer' "$out/fuzz_$t.log"; then
		rc=1
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written|#[0-9]+ 0x' \
		    "$out/fuzz_$t.log" | head -20
		echo "== fuzz_$t: CRASH (log: $out/fuzz_$t.log)"
	fi
done
echo "== fuzz: $total execs in all, $([ $rc -eq 0 ] && echo ok || echo FAILED)"
exit $rc
