#!/bin/sh
# bench/graph-parallel.sh - GRAPH renders per second with 1, 2 (and more)
# render helpers ([daemon] render_procs), every render uncached:
# GRAPH_CLIENTS connections at once, each GRAPH_COUNT requests one after
# the other (bench/queryload.c graph -v: one pixel wider each time, and
# each client its own height, so no two requests are alike).  One file of
# GRAPH_VALUES values at 1 s, PUT and FLUSHed first.  Prints, per
# render_procs: renders/s, the speed-up over one helper, latency p50/p99,
# tallyd's CPU per render (the helpers' is not tallyd's), peak RSS of
# tallyd and of each helper.
#
# Env (defaults finish in about half a minute on 2 cores):
#   GRAPH_PROCS="1 2"  GRAPH_CLIENTS=4  GRAPH_COUNT=100  GRAPH_VALUES=3600
#   GRAPH_WIDTH=600  GRAPH_HEIGHT=200  TALLYD, TMPDIR, BENCH_KEEP
#   (see common.sh); the helper is $top_builddir/tally-render.

. "$(cd "$(dirname "$0")" && pwd)/common.sh"

: "${GRAPH_PROCS:=1 2}"
: "${GRAPH_CLIENTS:=4}"
: "${GRAPH_COUNT:=100}"
: "${GRAPH_VALUES:=3600}"
: "${GRAPH_WIDTH:=600}"
: "${GRAPH_HEIGHT:=200}"
HELPER=$top_builddir/tally-render
[ -x "$HELPER" ] || die "no $HELPER (build it)"
V=$GRAPH_VALUES

for p in putload queryload; do
	bench_build $p
done
Q=$W/bin/queryload

echo "# bench/graph-parallel.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(machine)"
echo "# tallyd $("$TALLYD" -V 2>/dev/null | head -1) ($TALLYD)"
echo "# ${GRAPH_WIDTH}x$GRAPH_HEIGHT PNG of $V s, $GRAPH_CLIENTS clients x $GRAPH_COUNT uncached renders; load average $(cut -d' ' -f1-3 /proc/loadavg)"

t0=$(($(date +%s) - V - 10))
tend=$((t0 + V - 1))

# config PROCS: the common config with the helper and PROCS of them.
config() {
	tallyd_config "$W/t"
	sed -i "s|^\[daemon\]|[daemon]\nrender_helper = $HELPER\nrender_procs = $1|" \
	    "$W/t/tallyd.conf"
}

config 1
tallyd_start "$W/t"
"$W/bin/putload" -U "$W/t/tallyd.sock" -s 1 -u "$V" -t "$t0" -c 1 \
    -l 32000 -f >"$W/fill.out" || die "cannot fill the file"
[ "$(kv "$W/fill.out" accepted)" = "$V" ] || die "fill: $(cat "$W/fill.out")"
tallyd_stop

# helpers_cpu: CPU seconds of tallyd's children (its render helpers).
helpers_cpu() {
	for h in $(pgrep -P "$tallyd_pid"); do cpu_s "$h"; echo; done |
	    awk '{ s += $1 } END { printf "%.2f", s }'
}

# run PROCS: all clients at once; one result line.
run() {
	config "$1"
	tallyd_start "$W/t"
	# Warm up: the helpers start (fontconfig) outside the measurement.
	"$Q" graph -U "$W/t/tallyd.sock" -m bench.s0.v -a "$t0" -b "$tend" \
	    -w 100 -H 50 -N "$1" -v >/dev/null || die "warm-up failed"
	c0=$(cpu_s "$tallyd_pid")
	h0=$(helpers_cpu)
	s=$(date +%s.%N)
	i=0
	pids=
	while [ $i -lt "$GRAPH_CLIENTS" ]; do
		"$Q" graph -U "$W/t/tallyd.sock" -m bench.s0.v -a "$t0" \
		    -b "$tend" -w "$GRAPH_WIDTH" -H $((GRAPH_HEIGHT + i)) \
		    -N "$GRAPH_COUNT" -v >"$W/c$i" &
		pids="$pids $!"
		i=$((i + 1))
	done
	for p in $pids; do
		wait "$p" || die "queryload graph failed"
	done
	e=$(date +%s.%N)
	cpu=$(calc "$(cpu_s "$tallyd_pid") - $c0")
	hcpu=$(calc "$(helpers_cpu) - $h0")
	n=$((GRAPH_CLIENTS * GRAPH_COUNT))
	errs=$(cat "$W"/c* | awk '{ e += $14 } END { print e + 0 }')
	p50=$(cat "$W"/c* | awk '{ s += $4 } END { printf "%.1f", s / NR }')
	p99=$(cat "$W"/c* | awk '$6 > m { m = $6 } END { printf "%.1f", m }')
	rate=$(calc "$n / ($e - $s)" %.1f)
	echo "$1 $rate" >>"$W/rates"
	hrss=$(for h in $(pgrep -P "$tallyd_pid"); do hwm_mib "$h"; echo; done |
	    awk 'NF { printf "%s%s", sep, $1; sep = "/" }')
	printf 'render_procs %2d: %6.1f renders/s  p50 %5.1f ms  p99 %5.1f ms  CPU/render tallyd %.2f ms, helpers %.2f ms  peak RSS tallyd %s, helpers %s MiB  errors %s\n' \
	    "$1" "$rate" "$p50" "$p99" "$(calc "$cpu * 1e3 / $n")" \
	    "$(calc "$hcpu * 1e3 / $n")" "$(hwm_mib "$tallyd_pid")" \
	    "${hrss:-?}" "$errs"
	tallyd_stop
}

echo
echo "== uncached GRAPH, $GRAPH_CLIENTS clients at once"
for p in $GRAPH_PROCS; do
	run "$p"
done
awk 'NR == 1 { base = $2 } NR > 1 { printf "speed-up %d helpers over 1: %.2fx\n", $1, $2 / base }' "$W/rates"
exit 0
