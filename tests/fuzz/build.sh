#!/bin/sh
# build.sh [SECONDS] - build the libFuzzer targets (fuzz_proto, fuzz_graph,
# fuzz_graphite, fuzz_promql, fuzz_rrdread) with clang straight from the sources, then run
# each for SECONDS (default 30) on a scratch copy of its seeds in
# tests/fuzz/corpus/<target>/.
# Prints the executions of each run and any crash (the input is kept as
# $OUT/crash-*); exits 1 if a target crashed or failed to build.
#
#	apt-get install -y clang	# clang 14 has libFuzzer
#	sh tests/fuzz/build.sh 60
#
# OUT (default /tmp/tally-fuzz) holds the binaries, corpora and logs.
set -u
secs=${1:-30}
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-/tmp/tally-fuzz}
cc=${CC:-clang}
rc=0

case $secs in
''|*[!0-9]*) echo "usage: $0 [seconds]" >&2; exit 2 ;;
esac
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "build.sh: $cc not found (apt-get install -y clang)" >&2
	exit 1
fi
mkdir -p "$out" || exit 1

# Each target links its parser and the leaves it uses, nothing else of
# the core (tests/integration/layering.sh keeps them leaves).
core_proto="proto.c names.c xmalloc.c log.c"
core_graph="graph.c $core_proto"
core_graphite="plaintext.c names.c xmalloc.c log.c"
core_promql="promql.c promql_eval.c xmalloc.c log.c"
core_rrdread="rrdread.c hmap.c xmalloc.c log.c"
# shellcheck disable=SC2046
libs=$(pkg-config --cflags --libs librrd libevent libevent_pthreads inih) ||
    exit 1

for t in proto graph graphite promql rrdread; do
	echo "== fuzz_$t: build"
	srcs=
	eval "core=\$core_$t"
	for f in $core; do srcs="$srcs $top/daemon/$f"; done
	# shellcheck disable=SC2086
	if ! $cc -g -O1 -fno-omit-frame-pointer -D_GNU_SOURCE \
	    -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined \
	    -I"$top/include" -iquote "$top/daemon" -w \
	    -o "$out/fuzz_$t" "$top/tests/fuzz/fuzz_$t.c" $srcs $libs \
	    -pthread -lm; then
		echo "== fuzz_$t: BUILD FAILED"
		rc=1
		continue
	fi
	mkdir -p "$out/corpus-$t"
	echo "== fuzz_$t: run ${secs}s"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    "$out/fuzz_$t" -max_total_time="$secs" -print_final_stats=1 \
	    -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$out/" "$out/corpus-$t" \
	    "$top/tests/fuzz/corpus/$t" >"$out/fuzz_$t.log" 2>&1
	st=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
	    "$out/fuzz_$t.log")
	echo "== fuzz_$t: ${execs:-?} execs, exit $st"
	if [ $st -ne 0 ]; then
		rc=1
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' \
		    "$out/fuzz_$t.log" | head -20
		echo "== fuzz_$t: CRASH (log: $out/fuzz_$t.log)"
	fi
done
exit $rc
