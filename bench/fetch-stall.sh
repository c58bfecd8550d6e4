#!/bin/sh
# bench/fetch-stall.sh - does a big FETCH stop the daemon for others?
#   One client PINGs every 2 ms, first with nothing else going on (the
#   baseline, same run), then while another asks FETCH_COUNT times for
#   FETCH_ROWS rows at 1 s (bench/queryload.c stall).  Prints both PING
#   latencies (p50, p99, max in ms), the FETCH rows per second and
#   tallyd's peak RSS.
# The file: one series at 1 s step keeping FETCH_ROWS rows, made with
# rrdtool and filled every 300 s (each row known, as on a live series).
#
# Env: FETCH_ROWS=1900000 (at most 2000000, tallyd's cap)
#   FETCH_COUNT=3  STALL_SECONDS=3  TALLYD, TMPDIR, BENCH_KEEP (common.sh)

. "$(cd "$(dirname "$0")" && pwd)/common.sh"

: "${FETCH_ROWS:=1900000}"
: "${FETCH_COUNT:=3}"
: "${STALL_SECONDS:=3}"

bench_build queryload
echo "# bench/fetch-stall.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(machine)"
echo "# tallyd $("$TALLYD" -V 2>/dev/null | head -1) ($TALLYD); rows=$FETCH_ROWS count=$FETCH_COUNT load average $(cut -d' ' -f1-3 /proc/loadavg)"

tallyd_config "$W/t"
# Room for a whole answer unread: builds before the commit "FETCH rows
# formatted in the query worker" cut such a client off; they can be
# measured too.
sed -i 's/^\[daemon\]$/&\nmax_output = 200M/' "$W/t/tallyd.conf"
now=$(date +%s)
start=$((now - FETCH_ROWS))
F=$W/t/rrd/big/one/value.rrd
mkdir -p "$(dirname "$F")"
"$RRDTOOL" create "$F" --start $((start - 10)) --step 1 \
    DS:value:GAUGE:600:U:U "RRA:AVERAGE:0.5:1:$((FETCH_ROWS + 100))" ||
    die "rrdtool create"
awk -v s="$start" -v e="$((now - 5))" 'BEGIN {
	srand(1); for (t = s; t < e; t += 300) printf "%d:%.4f\n", t, rand() * 1000 }' |
    xargs -n 2000 "$RRDTOOL" update "$F" || die "rrdtool update"

tallyd_start "$W/t"
"$W/bin/queryload" stall -U "$W/t/tallyd.sock" -m big.one.value \
    -a "$start" -b "$now" -N "$FETCH_COUNT" -D "$STALL_SECONDS" ||
    die "queryload stall failed"
echo "tallyd peak RSS $(hwm_mib "$tallyd_pid") MiB"
