#!/bin/sh
# bench/rrdcached-ingest.sh - what the rrdcached header copies cost: S
# series x U values PUT over C connections into tallyd writing through a
# local rrdcached, until a FLUSH of everything is answered (every value in
# its file); then the next U values the same way, timed: each file exists
# and its last FLUSH landed, so each has its header copied first.  Two
# builds in turn: TALLYD (this tree) and TALLYD_BASE (a build without the
# copies, e.g. main before them).  Prints the timed phase's wall seconds,
# tallyd's and rrdcached's CPU seconds and the size of
# STATEDIR/store.bases.
#
# Env: BENCH_SERIES=10000 BENCH_VALUES=60 BENCH_CLIENTS=4 BENCH_ROUNDS=3
#   TALLYD_BASE (required) RRDCACHED=rrdcached, TALLYD, TMPDIR, BENCH_KEEP

. "$(cd "$(dirname "$0")" && pwd)/common.sh"

: "${BENCH_SERIES:=10000}"
: "${BENCH_VALUES:=60}"
: "${BENCH_CLIENTS:=4}"
: "${BENCH_ROUNDS:=3}"
: "${RRDCACHED:=rrdcached}"
[ -n "${TALLYD_BASE:-}" ] || die "set TALLYD_BASE to the build to compare with"
command -v "$RRDCACHED" >/dev/null 2>&1 || die "no rrdcached"
bench_build putload

echo "# bench/rrdcached-ingest.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(machine)"
echo "# series=$BENCH_SERIES values=$BENCH_VALUES clients=$BENCH_CLIENTS load average $(cut -d' ' -f1-3 /proc/loadavg)"

# run BUILD LABEL: one ingest through a fresh rrdcached.
run() {
	rm -rf "$W/t"
	tallyd_config "$W/t"
	sed -i "s|^\[storage\]|[storage]\nrrdcached = unix:$W/t/rc.sock|" \
	    "$W/t/tallyd.conf"
	"$RRDCACHED" -g -l "unix:$W/t/rc.sock" -p "$W/t/rc.pid" -w 300 -z 1 \
	    >"$W/t/rc.log" 2>&1 &
	rc_pid=$!
	bench_pids="$bench_pids $rc_pid"
	wait_for 10 test -S "$W/t/rc.sock" || die "rrdcached did not start"
	TALLYD=$1 tallyd_start "$W/t"
	t0=$(($(date +%s) - 2 * BENCH_VALUES - 10))
	"$W/bin/putload" -U "$W/t/tallyd.sock" -s "$BENCH_SERIES" \
	    -u "$BENCH_VALUES" -t "$t0" -c "$BENCH_CLIENTS" -f >"$W/t.out" ||
	    die "putload failed"
	t0=$((t0 + BENCH_VALUES))
	c0=$(cpu_s "$tallyd_pid")
	r0=$(cpu_s "$rc_pid")
	"$W/bin/putload" -U "$W/t/tallyd.sock" -s "$BENCH_SERIES" \
	    -u "$BENCH_VALUES" -t "$t0" -c "$BENCH_CLIENTS" -f >"$W/t.out" ||
	    die "putload failed"
	printf '%-6s %8.2f s  tallyd CPU %6.2f s  rrdcached CPU %6.2f s  store.bases %6s kB  accepted %s\n' \
	    "$2" "$(calc "$(kv "$W/t.out" flushed) - $(kv "$W/t.out" start)")" \
	    "$(calc "$(cpu_s "$tallyd_pid") - $c0" %.2f)" \
	    "$(calc "$(cpu_s "$rc_pid") - $r0" %.2f)" \
	    "$(($(stat -c %s "$W/t/state/store.bases" 2>/dev/null || echo 0) / 1024))" \
	    "$(kv "$W/t.out" accepted)"
	tallyd_stop
	kill -TERM "$rc_pid" 2>/dev/null
	wait "$rc_pid" 2>/dev/null
}

r=0
while [ $r -lt "$BENCH_ROUNDS" ]; do
	run "$TALLYD_BASE" base
	run "$TALLYD" this
	r=$((r + 1))
done
