#!/bin/sh
# bench/query.sh - query speed of tallyd over its unix socket:
#   LAST and FETCH requests per second with 1 and 32 clients
#   (bench/queryload.c), beside librrd alone in one thread of one process
#   (rrd_lastupdate_r, rrd_fetch_r on the same files: the ceiling of one
#   query thread);
#   FETCH with 1 client again with tallyd, the client and librrd all on
#   CPU 0 (taskset): the path without the wake-up across CPUs;
#   FETCH from bench/nullserve.c, which answers every request with the
#   bytes tallyd gave to one, doing nothing else: the ceiling that the
#   socket, the scheduler and the client leave any server on this machine;
#   GRAPH latency p50 / p99, cached (the same request again) and uncached
#   (each request 1 px wider, so no render is reused), beside "rrdtool
#   graph" run as a process on the same file, same size and time span.
# The files: QUERY_SERIES series of QUERY_VALUES values at 1 s (the
# layout of bench/ingest.sh), PUT then FLUSHed before measuring.
#
# Env (defaults finish in about a minute on 2 cores):
#   QUERY_SERIES=100  QUERY_VALUES=3600  QUERY_SECONDS=5 (per rate figure)
#   QUERY_CLIENTS="1 32"  QUERY_DEPTH=1 (requests in flight per client)
#   FETCH_SPAN=300 (rows per FETCH)  GRAPH_COUNT=200  GRAPH_WIDTH=600
#   GRAPH_HEIGHT=200  TALLYD, TMPDIR, BENCH_KEEP (see common.sh)

. "$(cd "$(dirname "$0")" && pwd)/common.sh"

: "${QUERY_SERIES:=100}"
: "${QUERY_VALUES:=3600}"
: "${QUERY_SECONDS:=5}"
: "${QUERY_CLIENTS:=1 32}"
: "${QUERY_DEPTH:=1}"
: "${FETCH_SPAN:=300}"
: "${GRAPH_COUNT:=200}"
: "${GRAPH_WIDTH:=600}"
: "${GRAPH_HEIGHT:=200}"
N=$QUERY_SERIES
V=$QUERY_VALUES

for p in putload queryload nullserve; do
	bench_build $p
done
Q=$W/bin/queryload

echo "# bench/query.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(machine)"
echo "# tallyd $("$TALLYD" -V 2>/dev/null | head -1) ($TALLYD); $("$RRDTOOL" -v 2>/dev/null | head -1 | cut -d' ' -f1-2)"
echo "# series=$N values=$V seconds=$QUERY_SECONDS depth=$QUERY_DEPTH fetch_span=$FETCH_SPAN graph=${GRAPH_WIDTH}x$GRAPH_HEIGHT count=$GRAPH_COUNT load average $(cut -d' ' -f1-3 /proc/loadavg)"

tallyd_config "$W/t"
tallyd_start "$W/t"
t0=$(($(date +%s) - V - 10))
tend=$((t0 + V - 1))
fs=$((tend - FETCH_SPAN))
"$W/bin/putload" -U "$W/t/tallyd.sock" -s "$N" -u "$V" -t "$t0" -c 4 \
    -l 32000 -f >"$W/fill.out" || die "cannot fill the files"
[ "$(kv "$W/fill.out" accepted)" = $((N * V)) ] ||
    die "fill: $(cat "$W/fill.out")"
PAT=$W/t/rrd/bench/s%ld/v.rrd

# rate MODE CLIENTS [LABEL [SOCK PID]]: requests/s of tallyd (or the server
# at SOCK), its CPU per request.
rate() {
	rsock=${4:-$W/t/tallyd.sock}
	rpid=${5:-$tallyd_pid}
	c0=$(cpu_s "$rpid")
	"$Q" "$1" -U "$rsock" -n "$N" -c "$2" -d "$QUERY_DEPTH" \
	    -D "$QUERY_SECONDS" -a "$fs" -b "$tend" >"$W/rate" ||
	    die "queryload $1 failed"
	cpu=$(calc "$(cpu_s "$rpid") - $c0")
	r=$(awk '{ print $6 }' "$W/rate")
	printf '%-10s %3d clients %9.0f req/s  server CPU %6.1f us/req  client CPU %6.1f us/req  errors %s\n' \
	    "${3:-$1}" "$2" "$r" \
	    "$(calc "$cpu * 1e6 / $(awk '{ print $2 }' "$W/rate")" %.1f)" \
	    "$(awk '{ print $10 }' "$W/rate")" "$(awk '{ print $8 }' "$W/rate")"
	echo "${3:-$1} $2 $r" >>"$W/rates"
}

# ratios MODE LIMIT [WHO]: each rate of MODE over the librrd figure.
ratios() {
	awk -v m="$1" -v lim="$2" -v who="${3:-tallyd}" '$1 == m {
	    printf "ratio %s %s/librrd-1-thread at %d clients: %.2f\n", m, who, $2, $3 / lim }' "$W/rates"
}

# rrdrate MODE: librrd alone, one thread, on the same files.
rrdrate() {
	"$Q" "rrd$1" -f "$PAT" -n "$N" -D "$QUERY_SECONDS" -a "$fs" \
	    -b "$tend" >"$W/rrd" || die "queryload rrd$1 failed"
	lim=$(awk '{ print $6 }' "$W/rrd")
	printf '%-10s librrd alone, 1 thread %7.0f req/s\n' "$1" "$lim"
}

echo
echo "== LAST and FETCH ($FETCH_SPAN rows), requests per second"
echo "# last: a live series (PUT since start) is answered from memory;"
echo "# last-file: the same after a restart of tallyd, read from the file"
for c in $QUERY_CLIENTS; do
	rate fetch "$c"
done
rrdrate fetch
ratios fetch "$lim"
# One client is a ping-pong: on a VM most of its round trip can be the
# wake-up of the other process across CPUs (an interrupt between virtual
# CPUs), which no server avoids (fetch-null below).  The same with tallyd,
# the client and librrd alone all on CPU 0 measures the path itself.
if [ "$(nproc)" -ge 2 ] && taskset -a -p -c 0 "$tallyd_pid" >/dev/null 2>&1; then
	Q1="taskset -c 0 $Q"
	c0=$(cpu_s "$tallyd_pid")
	$Q1 fetch -U "$W/t/tallyd.sock" -n "$N" -c 1 -d 1 -D "$QUERY_SECONDS" \
	    -a "$fs" -b "$tend" >"$W/rate" || die "queryload fetch failed"
	r1=$(awk '{ print $6 }' "$W/rate")
	printf '%-10s %3d clients %9.0f req/s  server CPU %6.1f us/req  client CPU %6.1f us/req  errors %s  (one CPU)\n' \
	    fetch 1 "$r1" \
	    "$(calc "($(cpu_s "$tallyd_pid") - $c0) * 1e6 / $(awk '{ print $2 }' "$W/rate")" %.1f)" \
	    "$(awk '{ print $10 }' "$W/rate")" "$(awk '{ print $8 }' "$W/rate")"
	$Q1 rrdfetch -f "$PAT" -n "$N" -D "$QUERY_SECONDS" -a "$fs" \
	    -b "$tend" >"$W/rrd" || die "queryload rrdfetch failed"
	l1=$(awk '{ print $6 }' "$W/rrd")
	printf '%-10s librrd alone, 1 thread %7.0f req/s  (one CPU)\n' fetch "$l1"
	echo "ratio fetch tallyd/librrd-1-thread at 1 clients, all on one CPU: $(calc "$r1 / $l1" %.2f)"
	taskset -a -p -c "0-$(($(nproc) - 1))" "$tallyd_pid" >/dev/null
fi
# The ceiling: the same client, the same answer bytes, no work behind them.
"$W/bin/nullserve" -U "$W/null.sock" -t "$W/t/tallyd.sock" \
    -r "FETCH bench.s0.v $fs $tend AVERAGE 1" >"$W/null.out" 2>&1 &
null_pid=$!
bench_pids="$bench_pids $null_pid"
wait_for 10 grep -q answer "$W/null.out" || die "nullserve: $(cat "$W/null.out")"
for c in $QUERY_CLIENTS; do
	rate fetch "$c" fetch-null "$W/null.sock" "$null_pid"
done
ratios fetch-null "$lim" nullserve
kill -TERM "$null_pid"
wait "$null_pid" 2>/dev/null
for c in $QUERY_CLIENTS; do
	rate last "$c"
done
tallyd_stop
tallyd_start "$W/t"
for c in $QUERY_CLIENTS; do
	rate last "$c" last-file
done
rrdrate last
ratios last-file "$lim"

# lat NAME FILE: one latency line.
lat() {
	printf '%-24s p50 %8.2f ms  p99 %8.2f ms  mean %8.2f ms  errors %s\n' \
	    "$1" "$(awk '{ print $4 }' "$2")" "$(awk '{ print $6 }' "$2")" \
	    "$(awk '{ print $8 }' "$2")" "$(awk '{ print $14 }' "$2")"
}

echo
echo "== GRAPH latency: ${GRAPH_WIDTH}x$GRAPH_HEIGHT PNG of $V s, $GRAPH_COUNT requests each"
g="-m bench.s0.v -a $t0 -b $tend -w $GRAPH_WIDTH -H $GRAPH_HEIGHT -N $GRAPH_COUNT"
# shellcheck disable=SC2086
"$Q" graph -U "$W/t/tallyd.sock" $g >"$W/g.cached" || die "graph failed"
# shellcheck disable=SC2086
"$Q" graph -U "$W/t/tallyd.sock" $g -v >"$W/g.uncached" || die "graph failed"
# shellcheck disable=SC2086
"$Q" rrdgraph -f "$W/t/rrd/bench/s0/v.rrd" $g -v >"$W/g.rrdtool" ||
    die "rrdtool graph failed"
lat "tallyd GRAPH cached" "$W/g.cached"
lat "tallyd GRAPH uncached" "$W/g.uncached"
lat "rrdtool graph process" "$W/g.rrdtool"
p50() {
	awk '{ print $4 }' "$1"
}
echo "ratio rrdtool/tallyd p50: uncached $(calc "$(p50 "$W/g.rrdtool") / $(p50 "$W/g.uncached")" %.1f)x, cached $(calc "$(p50 "$W/g.rrdtool") / $(p50 "$W/g.cached")" %.0f)x"
echo "tallyd peak RSS $(hwm_mib "$tallyd_pid") MiB"
tallyd_stop
exit 0
