#!/bin/sh
# bench/ingest.sh - ingest throughput: S series x U values PUT over C
# unix-socket connections until every value is in its RRD file, for
#   limit    bench/rrdlimit.c: librrd alone, one rrd_create_r2 and one
#            rrd_update_r per file, one thread (the ceiling);
#   tallyd   PUT lines, then FLUSH; done when FLUSH is answered;
#   collectd collectd-core with unixsock + rrdtool, PUTVAL lines; done
#            when the newest file write lands (FLUSH repeated, files
#            polled by bench/rrdcheck.c wait).
# Same files (layout, paths, values) for all three; each then has every
# point read back and checked (bench/rrdcheck.c count).
# Then the acknowledgement rate of tallyd's durability modes: rows
# MODE/CLIENTS (fsync, os, memory x 1, 4, 32 connections), the time until
# every PUT is answered (each answer waits for the journal in fsync and
# os), and the ratio fsync/memory per client count (goal >= 0.8 with 4+).
#
# Env (defaults finish in a few minutes on 2 cores):
#   BENCH_SERIES="1000 10000"  BENCH_VALUES=60  BENCH_CLIENTS=4
#   BENCH_RUNS=3 (runs of each size; the summary gives medians)  BENCH_COLLECTD=1 (0: skip it)
#   BENCH_DURABILITY="fsync os memory" (empty: skip)  BENCH_DCLIENTS="1 4 32"
#   COLLECTD=collectd  COLLECTD_WRITE_THREADS=4  COLLECTD_CACHE_TIMEOUT=120
#   TALLYD, TMPDIR, BENCH_KEEP (see common.sh)
# Prints a table per size and the ratios; exit 1 if a run failed outright.

. "$(cd "$(dirname "$0")" && pwd)/common.sh"

: "${BENCH_SERIES:=1000 10000}"
: "${BENCH_VALUES:=60}"
: "${BENCH_CLIENTS:=4}"
: "${BENCH_RUNS:=3}"
: "${BENCH_COLLECTD:=1}"
: "${BENCH_DURABILITY=fsync os memory}"
: "${BENCH_DCLIENTS:=1 4 32}"
: "${COLLECTD:=collectd}"
: "${COLLECTD_WRITE_THREADS:=4}"
: "${COLLECTD_CACHE_TIMEOUT:=120}"
U=$BENCH_VALUES
C=$BENCH_CLIENTS

if [ "$BENCH_COLLECTD" = 1 ] && ! command -v "$COLLECTD" >/dev/null 2>&1; then
	echo "# collectd not found (apt-get install collectd-core); skipping it"
	BENCH_COLLECTD=0
fi
for p in putload rrdlimit rrdcheck; do
	bench_build $p
done

# row NAME SECONDS CPU HWM OK: one line of the table, also kept in
# $W/results for the summary.
row() {
	printf '%-9s %9.3f %11.0f %8s %10s %12s\n' "$1" "$2" \
	    "$(calc "$S * $U / $2" %.0f)" "$3" "$4" "$5/$((S * U))"
	echo "$S $1 $2 $3 $4 $5" >>"$W/results"
}

# summary S: per system, the best and the median time of the runs, the
# median CPU seconds, and the ratios of the medians.
summary() {
	awk -v s="$1" -v u="$U" '
	$1 == s { k = $2; i = ++n[k]; t[k, i] = $3; c[k, i] = $4
	    hwm[k] = $5 > hwm[k] ? $5 : hwm[k]; lost[k] += s * u - $6 }
	function med(a, k,	i, j, x, m) {
		m = n[k]
		for (i = 1; i <= m; i++)
			for (j = i + 1; j <= m; j++)
				if (a[k, j] < a[k, i]) {
					x = a[k, i]; a[k, i] = a[k, j]; a[k, j] = x
				}
		lo = a[k, 1]
		return (m % 2 ? a[k, (m + 1) / 2] : (a[k, m / 2] + a[k, m / 2 + 1]) / 2)
	}
	END {
		printf "-- S=%d summary of %d run(s): seconds best / median " \
		    "(values/s), median CPU s, max peak MiB, points lost in all runs\n",
		    s, n["tallyd"]
		split("limit tallyd collectd", sys, " ")
		for (i = 1; i <= 3; i++) {
			k = sys[i]
			if (n[k] == 0)
				continue
			m[k] = med(t, k)
			best = lo
			mc[k] = med(c, k)
			printf "%-9s %7.3f / %7.3f (%7.0f/s)  cpu %6.2f  peak %6.1f  lost %d\n",
			    k, best, m[k], s * u / m[k], mc[k], hwm[k], lost[k]
		}
		printf "ratio tallyd/limit (medians): time %.2f (goal <= 1.5), " \
		    "CPU %.2f\n", m["tallyd"] / m["limit"], mc["tallyd"] / mc["limit"]
		if (n["collectd"] > 0) {
			printf "ratio tallyd/collectd rate (medians): %.1fx\n",
			    m["collectd"] / m["tallyd"]
			printf "ratio tallyd/collectd peak RSS: %.2f (goal < 0.5 " \
			    "at 10000 series)\n", hwm["tallyd"] / hwm["collectd"]
		}
	}' "$W/results"
}

# count DIR PATTERN: stored points of every series, checked.
count() {
	"$W/bin/rrdcheck" count -P "$1" -s "$S" -u "$U" -t "$t0" >"$W/count"
	ok=$(kv "$W/count" points)
	wrong=$(kv "$W/count" points_wrong)
	missing=$(kv "$W/count" files_missing)
	incomplete=$((S - $(kv "$W/count" files_complete)))
}

run_limit() {
	sync	# no writeback of an earlier phase during this one
	rm -rf "$W/limit"
	mkdir -p "$W/limit/rrd"
	"$W/bin/rrdlimit" -d "$W/limit/rrd" -s "$S" -u "$U" -t "$t0" \
	    >"$W/limit.out" || die "rrdlimit failed"
	l_all=$(kv "$W/limit.out" all)
	l_upd=$(kv "$W/limit.out" update)
	count "$W/limit/rrd/bench/s%ld/v.rrd"
	row limit "$l_all" "$(kv "$W/limit.out" cpu)" \
	    "$(calc "$(kv "$W/limit.out" hwm_kb) / 1024" %.1f)" "$ok"
	l_ok=$ok
	rm -rf "$W/limit"
}

run_tallyd() {
	sync	# no writeback of an earlier phase during this one
	rm -rf "$W/t"
	tallyd_config "$W/t"
	tallyd_start "$W/t"
	c0=$(cpu_s "$tallyd_pid")
	"$W/bin/putload" -U "$W/t/tallyd.sock" -s "$S" -u "$U" -t "$t0" \
	    -c "$C" -f >"$W/t.out" || die "putload (tallyd) failed"
	t_cpu=$(calc "$(cpu_s "$tallyd_pid") - $c0" %.2f)
	t_hwm=$(hwm_mib "$tallyd_pid")
	t_sec=$(calc "$(kv "$W/t.out" flushed) - $(kv "$W/t.out" start)" %.6f)
	t_ans=$(calc "$(kv "$W/t.out" answered) - $(kv "$W/t.out" start)")
	tallyd_stop
	count "$W/t/rrd/bench/s%ld/v.rrd"
	t_ok=$ok
	row tallyd "$t_sec" "$t_cpu" "$t_hwm" "$ok"
	t_note="tallyd: all PUT answered after ${t_ans}s; accepted $(kv "$W/t.out" accepted), refused $(kv "$W/t.out" refused), errors $(kv "$W/t.out" errors); wrong points $wrong, files missing $missing, incomplete $incomplete"
	rm -rf "$W/t"
}

run_collectd() {
	sync	# no writeback of an earlier phase during this one
	rm -rf "$W/c"
	collectd_config "$W/c" "$COLLECTD_CACHE_TIMEOUT" \
	    $((COLLECTD_CACHE_TIMEOUT * 8)) "$COLLECTD_WRITE_THREADS"
	"$COLLECTD" -f -C "$W/c/collectd.conf" >"$W/c/stdout" 2>&1 &
	c_pid=$!
	bench_pids="$bench_pids $c_pid"
	wait_for 10 test -S "$W/c/collectd.sock" ||
	    die "collectd did not start: $(tail -5 "$W/c/collectd.log")"
	c0=$(cpu_s "$c_pid")
	"$W/bin/putload" -p collectd -U "$W/c/collectd.sock" -s "$S" -u "$U" \
	    -t "$t0" -c "$C" >"$W/c.out" || die "putload (collectd) failed"
	"$W/bin/rrdcheck" wait -P "$W/c/rrd/bench/b-s%ld/gauge-v.rrd" \
	    -s "$S" -u "$U" -t "$t0" -F "$W/c/collectd.sock" -q 5 \
	    >"$W/c.wait"
	c_cpu=$(calc "$(cpu_s "$c_pid") - $c0" %.2f)
	c_hwm=$(hwm_mib "$c_pid")
	c_sec=$(calc "$(kv "$W/c.wait" "done") - $(kv "$W/c.out" start)" %.6f)
	c_ans=$(calc "$(kv "$W/c.out" answered) - $(kv "$W/c.out" start)")
	kill -TERM "$c_pid"
	wait "$c_pid" 2>/dev/null
	count "$W/c/rrd/bench/b-s%ld/gauge-v.rrd"
	c_ok=$ok
	row collectd "$c_sec" "$c_cpu" "$c_hwm" "$ok"
	c_note="collectd: all PUTVAL answered after ${c_ans}s; dispatched $(kv "$W/c.out" accepted), errors $(kv "$W/c.out" errors); timed out waiting: $(kv "$W/c.wait" timed_out); wrong points $wrong, files missing $missing, incomplete $incomplete; log: $(grep -c . "$W/c/collectd.log") lines, $(grep -ci 'too old\|>=' "$W/c/collectd.log") 'too old'"
	cp "$W/c/collectd.log" "$W/collectd-$S-$r.log"
	rm -rf "$W/c"
}

# run_durability MODE CLIENTS: PUT everything, time until all answered.
run_durability() {
	sync	# no writeback of an earlier phase during this one
	rm -rf "$W/d"
	TALLY_DURABILITY=$1 tallyd_config "$W/d"
	tallyd_start "$W/d"
	c0=$(cpu_s "$tallyd_pid")
	"$W/bin/putload" -U "$W/d/tallyd.sock" -s "$S" -u "$U" -t "$t0" \
	    -c "$2" >"$W/d.out" || die "putload (tallyd $1) failed"
	d_cpu=$(calc "$(cpu_s "$tallyd_pid") - $c0" %.2f)
	d_hwm=$(hwm_mib "$tallyd_pid")
	d_sec=$(calc "$(kv "$W/d.out" answered) - $(kv "$W/d.out" start)" %.6f)
	tallyd_stop
	row "$1/$2" "$d_sec" "$d_cpu" "$d_hwm" "$(kv "$W/d.out" accepted)"
	echo "$1 $2 $d_sec" >>"$W/durability"
	rm -rf "$W/d"
}

echo "# bench/ingest.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(machine)"
echo "# tallyd $("$TALLYD" -V 2>/dev/null | head -1) ($TALLYD); $("$COLLECTD" -h 2>/dev/null | grep -m1 '^collectd')"
echo "# values=$U clients=$C runs=$BENCH_RUNS files in $W collectd_write_threads=$COLLECTD_WRITE_THREADS collectd_cache_timeout=$COLLECTD_CACHE_TIMEOUT"
for S in $BENCH_SERIES; do
	r=1
	while [ "$r" -le "$BENCH_RUNS" ]; do
		t0=$(($(date +%s) - U - 10))
		echo
		echo "== S=$S series x U=$U values = $((S * U)) values, $C clients, run $r (load average $(cut -d' ' -f1-3 /proc/loadavg))"
		printf '%-9s %9s %11s %8s %10s %12s\n' "" seconds values/s \
		    cpu_s peak_MiB points_ok
		run_limit
		run_tallyd
		c_sec=
		[ "$BENCH_COLLECTD" = 1 ] && run_collectd
		echo "# limit: create $(kv "$W/limit.out" create)s + update ${l_upd}s (update only: $(calc "$S * $U / $l_upd" %.0f) values/s)"
		echo "# $t_note"
		[ -n "$c_sec" ] && echo "# $c_note"
		echo "ratio tallyd/limit: time $(calc "$t_sec / $l_all" %.2f) (goal <= 1.5), CPU $(calc "$t_cpu / $(kv "$W/limit.out" cpu)" %.2f)"
		if [ -n "$c_sec" ]; then
			echo "ratio tallyd/collectd rate: $(calc "$c_sec / $t_sec" %.1f)x"
			echo "ratio tallyd/collectd peak RSS: $(calc "$t_hwm / $c_hwm" %.2f) (goal < 0.5 at 10000 series)"
			echo "points lost: tallyd $((S * U - t_ok)), collectd $((S * U - c_ok)), limit $((S * U - l_ok)); collectd stored $(calc "$c_ok / $c_sec" %.0f) values/s"
		fi
		if [ -n "$BENCH_DURABILITY" ]; then
			: >"$W/durability"
			echo "-- acknowledged (all PUT answered), by durability/clients"
			for m in $BENCH_DURABILITY; do
				for dc in $BENCH_DCLIENTS; do
					run_durability "$m" "$dc"
				done
			done
			awk '{ t[$1 "/" $2] = $3; c[$2] = 1 }
			    END { for (k in c) if (t["memory/" k] > 0 &&
				t["fsync/" k] > 0)
				printf "ratio fsync/memory rate, %d clients: " \
				    "%.2f (goal >= 0.8 with 4+)\n", k,
				    t["memory/" k] / t["fsync/" k] }' \
			    "$W/durability" | sort -t, -k1,1 -n
		fi
		r=$((r + 1))
	done
	[ "$BENCH_RUNS" -gt 1 ] && summary "$S"
done
exit 0
