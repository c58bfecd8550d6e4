#!/bin/sh
# bench/writedelay.sh - CPU per value of steady updates held to be written
# in batches: S series, one value a series a second of wall clock, for D
# seconds (bench/ackload.c steady, C connections), into
#   tallyd    [storage] write_delay (60s) with durability = fsync: every
#             PUT answered once its values are in the journal on disk,
#             each file written once per write_delay;
#   collectd  collectd-core, unixsock (PUTVAL) + rrdtool with CacheTimeout
#             (60) and CacheFlush, WriteThreads 1;
#   limit     bench/rrdlimit.c, no daemon: each file created, then written
#             once with all its D values (librrd's floor for these files).
# Same files (layout, values) for all.  CPU is the daemon's utime+stime
# (/proc/PID/stat) over the D seconds ("all"), from the end of a warm-up
# to the end ("late": every file made and written at least once, so the
# steady cost), and up to the moment every value is in its file after a
# final FLUSH ("files"); each divided by the values sent in that time,
# and by thread for "late".  Afterwards every point is read back
# (bench/rrdcheck.c count).
#
# Env: BENCH_SERIES=10000 BENCH_DURATION=180 BENCH_CLIENTS=4
#   BENCH_WRITE_DELAY=60 (tallyd write_delay and collectd CacheTimeout, s)
#   BENCH_WARMUP=70 (write delay + 10 s: the "late" CPU is from then on)
#   BENCH_SYSTEMS="tallyd collectd limit" COLLECTD=collectd
#   TALLYD, TMPDIR, BENCH_KEEP (common.sh)

. "$(cd "$(dirname "$0")" && pwd)/common.sh"

: "${BENCH_SERIES:=10000}"
: "${BENCH_DURATION:=180}"
: "${BENCH_CLIENTS:=4}"
: "${BENCH_WRITE_DELAY:=60}"
: "${BENCH_SYSTEMS:=tallyd collectd limit}"
: "${BENCH_WARMUP:=$((BENCH_WRITE_DELAY + 10))}"
: "${COLLECTD:=collectd}"
S=$BENCH_SERIES
D=$BENCH_DURATION
WARM=$BENCH_WARMUP
[ "$WARM" -lt "$D" ] || die "BENCH_WARMUP ($WARM) must be under BENCH_DURATION ($D)"
[ "$D" -le 3500 ] || die "BENCH_DURATION at most 3500 (files of 3600 rows)"
TALLYCTL=$top_builddir/tallyctl

for p in ackload rrdcheck rrdlimit; do
	bench_build $p
done

# row NAME STEADY_CPU LATE_CPU FILES_CPU HWM POINTS NOTE
row() {
	us=- ul=-
	[ "$2" = - ] || us=$(calc "$2 * 1e6 / ($S * $D)" %.2f)
	[ "$3" = - ] || ul=$(calc "$3 * 1e6 / ($S * ($D - $WARM))" %.2f)
	printf '%-9s %9s %8s %9s %8s %9s %8s %15s %8s  %s\n' "$1" "$2" "$us" \
	    "$3" "$ul" "$4" "$(calc "$4 * 1e6 / ($S * $D)" %.2f)" \
	    "$6/$((S * D))" "$5" "$7"
	echo "$1 $ul $(calc "$4 * 1e6 / ($S * $D)" %.3f)" >>"$W/results"
}

# count PATTERN: points stored as sent.
count() {
	"$W/bin/rrdcheck" count -P "$1" -s "$S" -u "$D" -t "$t0" >"$W/count"
	ok=$(kv "$W/count" points)
	wrong=$(kv "$W/count" points_wrong)
}

# threads_cpu PID: "tid name cpu_s" of each of its threads.
threads_cpu() {
	for f in /proc/"$1"/task/*/stat; do
		awk -v hz="$HZ" '{ c = $0; n = c; sub(/^[^(]*\(/, "", n)
		    sub(/\) [^)]*$/, "", n); gsub(/ /, "_", n)
		    sub(/.*\) /, "", c); split(c, a, " ")
		    printf "%s %s %.2f\n", $1, n, (a[12] + a[13]) / hz }' "$f"
	done 2>/dev/null
}

# threads_delta BEFORE AFTER PID TOTAL: where the CPU went, by thread
# (main: the one whose id is the pid; threads that ended: what is left).
threads_delta() {
	awk -v pid="$3" -v total="$4" 'NR == FNR { c0[$1] = $3; next }
	    { d = $3 - c0[$1]; if (d < 0.005) next
	      sum += d; printf "%s%s %.2f", sep, $1 == pid ? "main" : $2 "[" $1 "]", d
	      sep = ", " }
	    END { if (total - sum >= 0.005) printf "%sthreads that ended " \
		"%.2f", sep, total - sum; printf "\n" }' "$1" "$2"
}

# steady PROTO SOCK PID: the load; sets cpu_steady (all D seconds),
# cpu_late (after the warm-up: files made, one write_delay passed) and
# threads (the late CPU by thread).
steady() {
	t0=$(($(date +%s) + 2))
	c0=$(cpu_s "$3")
	"$W/bin/ackload" steady -p "$1" -U "$2" -P x -s "$S" -d "$D" \
	    -t "$t0" -c "$BENCH_CLIENTS" >"$W/steady.out" &
	a_pid=$!
	bench_pids="$bench_pids $a_pid"
	while [ "$(date +%s)" -lt $((t0 + WARM)) ]; do
		sleep 0.2
	done
	threads_cpu "$3" >"$W/threads0"
	c1=$(cpu_s "$3")
	wait "$a_pid" || die "ackload steady ($1) failed"
	now=$(cpu_s "$3")
	cpu_steady=$(calc "$now - $c0" %.2f)
	cpu_late=$(calc "$now - $c1" %.2f)
	threads_cpu "$3" >"$W/threads1"
	threads="CPU s by thread after the warm-up: $(threads_delta \
	    "$W/threads0" "$W/threads1" "$3" "$cpu_late")"
	late=$(kv "$W/steady.out" late_max)
	[ "$(kv "$W/steady.out" errors)" = 0 ] ||
	    failed="$failed $1: $(kv "$W/steady.out" errors) error answers;"
	answers="answered $(kv "$W/steady.out" answered), acked $(kv "$W/steady.out" acked), errors $(kv "$W/steady.out" errors), sender late at most ${late}s"
}

run_tallyd() {
	sync
	rm -rf "$W/t"
	tallyd_config "$W/t"
	sed -i -e "/^\[storage\]/a write_delay = ${BENCH_WRITE_DELAY}s" \
	    "$W/t/tallyd.conf"
	tallyd_start "$W/t"
	steady tallyd "$W/t/tallyd.sock" "$tallyd_pid"
	"$TALLYCTL" -s "$W/t/tallyd.sock" -T 600 flush >"$W/t/flush.out" 2>&1 ||
	    echo "# tallyd FLUSH: $(cat "$W/t/flush.out")"
	cpu_files=$(calc "$(cpu_s "$tallyd_pid") - $c0" %.2f)
	hwm=$(hwm_mib "$tallyd_pid")
	tallyd_stop
	count "$W/t/rrd/bench/s%ld/v.rrd"
	row tallyd "$cpu_steady" "$cpu_late" "$cpu_files" "$hwm" "$ok" \
	    "$answers; wrong points $wrong"
	echo "#   tallyd $threads"
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$W/t"
}

run_collectd() {
	sync
	rm -rf "$W/c"
	collectd_config "$W/c" "$BENCH_WRITE_DELAY" $((BENCH_WRITE_DELAY * 10)) 1
	"$COLLECTD" -f -C "$W/c/collectd.conf" >"$W/c/stdout" 2>&1 &
	c_pid=$!
	bench_pids="$bench_pids $c_pid"
	wait_for 20 test -S "$W/c/collectd.sock" ||
	    die "collectd did not start: $(tail -5 "$W/c/collectd.log")"
	steady collectd "$W/c/collectd.sock" "$c_pid"
	"$W/bin/rrdcheck" wait -P "$W/c/rrd/bench/b-s%ld/gauge-v.rrd" \
	    -s "$S" -u "$D" -t "$t0" -F "$W/c/collectd.sock" -q 10 \
	    >"$W/c.wait"
	cpu_files=$(calc "$(cpu_s "$c_pid") - $c0" %.2f)
	hwm=$(hwm_mib "$c_pid")
	kill -TERM "$c_pid"
	wait "$c_pid" 2>/dev/null
	count "$W/c/rrd/bench/b-s%ld/gauge-v.rrd"
	row collectd "$cpu_steady" "$cpu_late" "$cpu_files" "$hwm" "$ok" \
	    "$answers; wrong points $wrong; timed out waiting: $(kv "$W/c.wait" timed_out)"
	echo "#   collectd $threads"
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$W/c"
}

run_limit() {
	sync
	rm -rf "$W/l"
	mkdir -p "$W/l/rrd"
	t0=$(($(date +%s) - D - 10))
	"$W/bin/rrdlimit" -d "$W/l/rrd" -s "$S" -u "$D" -t "$t0" \
	    >"$W/limit.out" || die "rrdlimit failed"
	count "$W/l/rrd/bench/s%ld/v.rrd"
	row limit - - "$(kv "$W/limit.out" cpu)" \
	    "$(calc "$(kv "$W/limit.out" hwm_kb) / 1024" %.1f)" "$ok" \
	    "create $(kv "$W/limit.out" create)s + update $(kv "$W/limit.out" update)s (wall)"
	rm -rf "$W/l"
}

echo "# bench/writedelay.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(machine)"
echo "# kernel $(uname -r); files in $W on $(df -T "$W" | awk 'NR == 2 { print $2 " (" $1 ")" }'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# tallyd $("$TALLYD" -V 2>/dev/null | head -1); $("$COLLECTD" -h 2>/dev/null | grep -m1 '^collectd')"
echo "# command: BENCH_SERIES=$S BENCH_DURATION=$D BENCH_CLIENTS=$BENCH_CLIENTS BENCH_WRITE_DELAY=$BENCH_WRITE_DELAY BENCH_WARMUP=$WARM BENCH_SYSTEMS=\"$BENCH_SYSTEMS\" sh bench/writedelay.sh"
echo "# $S series x 1 value/s x ${D}s = $((S * D)) values (warm-up ${WARM}s); tallyd write_delay=${BENCH_WRITE_DELAY}s durability=fsync; collectd CacheTimeout ${BENCH_WRITE_DELAY} CacheFlush $((BENCH_WRITE_DELAY * 10))"
echo
printf '%-9s %9s %8s %9s %8s %9s %8s %15s %8s\n' "" all_cpu us/val \
    late_cpu us/val files_cpu us/val points_ok peak_MiB
: >"$W/results"
failed=
for sys in $BENCH_SYSTEMS; do
	case $sys in
	tallyd) run_tallyd ;;
	collectd)
		if command -v "$COLLECTD" >/dev/null 2>&1; then
			run_collectd
		else
			echo "# no $COLLECTD (apt-get install collectd-core): skipped"
		fi ;;
	limit) run_limit ;;
	*) die "unknown system $sys" ;;
	esac
	echo "#   (load average $(cut -d' ' -f1-3 /proc/loadavg))"
done
echo
awk '{ l[$1] = $2; c[$1] = $3 } END {
	if (c["tallyd"] > 0 && c["collectd"] > 0)
		printf "ratio tallyd/collectd CPU per value: after the " \
		    "warm-up %.2f, all until in the files %.2f (goal < 1)\n",
		    l["tallyd"] / l["collectd"], c["tallyd"] / c["collectd"]
	if (c["tallyd"] > 0 && c["limit"] > 0)
		printf "ratio tallyd/limit CPU per value (all, in the files): " \
		    "%.2f\n", c["tallyd"] / c["limit"] }' "$W/results"
echo "# all: the daemon's CPU over the ${D}s of sending; late: from ${WARM}s on (files made, one write delay passed); files: all, until every value is in its file (after FLUSH); us/val: CPU microseconds per value sent in that time"
[ -z "$failed" ] && exit 0
echo "FAILED:$failed the figures above are not comparable"
exit 1
