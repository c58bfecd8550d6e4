#!/bin/sh
# bench/crashloss.sh - acknowledged values lost by a kill -9, for
#   tallyd-fsync  tallyd, [storage] durability = fsync (the default);
#   tallyd-os     tallyd, durability = os;
#   rrdcached     /usr/bin/rrdcached -j DIR -F (journal), UPDATE lines;
#   collectd      collectd-core, unixsock + rrdtool (CacheTimeout), PUTVAL.
# Each round: a fresh daemon and files; C connections send N requests of
# V values (S series, pipelined, W unanswered at most per connection;
# bench/ackload.c), recording every value whose request was answered as a
# success; once a random 20-80% of the requests are answered the daemon
# gets SIGKILL.  Then it is restarted on the same files (tallyd and
# rrdcached replay their journals; collectd has none), made to write
# everything and stopped cleanly (tallyd: FLUSH then SIGTERM; rrdcached:
# SIGTERM, -F writes all; collectd: FLUSH then SIGTERM), and every
# acknowledged value is looked for in its file (rrd_fetch_r).
#
# Env: BENCH_ROUNDS=4 BENCH_SYSTEMS="tallyd-fsync tallyd-os rrdcached
#   collectd" BENCH_SERIES=200 BENCH_REQUESTS=20000 (per round)
#   BENCH_VALUES=10 (per request) BENCH_CLIENTS=4 BENCH_WINDOW=32
#   BENCH_SEED (default: the pid) COLLECTD=collectd
#   COLLECTD_CACHE_TIMEOUT=60 RRDCACHED=/usr/bin/rrdcached
#   RRDCACHED_WRITE=60 (-w)  TALLYD, TMPDIR, BENCH_KEEP (common.sh)
# Prints a table system/round/killed-at/acknowledged/lost and the totals.

. "$(cd "$(dirname "$0")" && pwd)/common.sh"

: "${BENCH_ROUNDS:=4}"
: "${BENCH_SYSTEMS:=tallyd-fsync tallyd-os rrdcached collectd}"
: "${BENCH_SERIES:=200}"
: "${BENCH_REQUESTS:=20000}"
: "${BENCH_VALUES:=10}"
: "${BENCH_CLIENTS:=4}"
: "${BENCH_WINDOW:=32}"
: "${BENCH_SEED:=$$}"
: "${COLLECTD:=collectd}"
: "${COLLECTD_CACHE_TIMEOUT:=60}"
: "${RRDCACHED:=/usr/bin/rrdcached}"
: "${RRDCACHED_WRITE:=60}"
S=$BENCH_SERIES
N=$BENCH_REQUESTS
V=$BENCH_VALUES
PER=$(((N + S - 1) / S * V))	# values per series and round
[ "$PER" -le 3500 ] || die "N / S * V = $PER: at most 3500 (files of 3600 rows)"
TALLYCTL=$top_builddir/tallyctl

bench_build ackload

# start_daemon SYSTEM DIR: runs it, sets pid, sock, pattern.
start_daemon() {
	case $1 in
	tallyd-*)
		rm -f "$2/tallyd.sock"	# the killed one's
		tallyd_start "$2"
		pid=$tallyd_pid
		sock=$2/tallyd.sock
		pattern=$2/rrd/bench/s%ld/v.rrd
		;;
	rrdcached)
		rm -f "$2/rrdcached.sock"
		"$RRDCACHED" -g -l "unix:$2/rrdcached.sock" -p "$2/rrdcached.pid" \
		    -j "$2/journal" -F -w "$RRDCACHED_WRITE" \
		    -o "$2/rrdcached.log" >>"$2/rrdcached.out" 2>&1 &
		pid=$!
		bench_pids="$bench_pids $pid"
		sock=$2/rrdcached.sock
		pattern=$2/rrd/s%ld.rrd
		wait_for 20 test -S "$sock" ||
		    die "rrdcached did not start: $(tail -3 "$2/rrdcached.out")"
		;;
	collectd)
		rm -f "$2/collectd.sock"
		"$COLLECTD" -f -C "$2/collectd.conf" >>"$2/collectd.out" 2>&1 &
		pid=$!
		bench_pids="$bench_pids $pid"
		sock=$2/collectd.sock
		pattern=$2/rrd/bench/b-s%ld/gauge-v.rrd
		wait_for 20 test -S "$sock" ||
		    die "collectd did not start: $(tail -3 "$2/collectd.log")"
		;;
	esac
}

# stop_clean SYSTEM DIR: everything to the files, then a clean stop.
stop_clean() {
	case $1 in
	tallyd-*)
		"$TALLYCTL" -s "$2/tallyd.sock" -T 120 flush >"$2/flush.out" 2>&1 ||
		    echo "# $1: FLUSH after the restart: $(cat "$2/flush.out")"
		;;
	collectd)
		python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"FLUSH plugin=rrdtool\n"); print(s.makefile().readline().strip())' \
		    "$2/collectd.sock" >"$2/flush.out" 2>&1
		;;
	esac
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
}

# round SYSTEM R M: one kill -9 round; appends to $W/results.
round() {
	d=$W/$1.$2
	rm -rf "$d"
	mkdir -p "$d"
	t0=$(($(date +%s) - PER - 60))
	case $1 in
	tallyd-*)
		TALLY_DURABILITY=${1#tallyd-} tallyd_config "$d" ;;
	rrdcached)
		mkdir -p "$d/rrd" "$d/journal"
		"$W/bin/ackload" create -P "$d/rrd/s%ld.rrd" -s "$S" -t "$t0" ||
		    die "cannot create the rrdcached files" ;;
	collectd)
		collectd_config "$d" "$COLLECTD_CACHE_TIMEOUT" \
		    $((COLLECTD_CACHE_TIMEOUT * 8)) 1 ;;
	esac
	pct=$(awk -v s="$BENCH_SEED" -v r="$2" -v m="$3" 'BEGIN {
	    srand(s * 7 + r * 131 + m * 17); printf "%.1f\n", 20 + 60 * rand() }')
	start_daemon "$1" "$d"
	"$W/bin/ackload" send -p "${1%%-*}" -U "$sock" -P "$pattern" -s "$S" \
	    -n "$N" -v "$V" -t "$t0" -c "$BENCH_CLIENTS" -w "$BENCH_WINDOW" \
	    -k "$pid" -K "$(calc "$N * $pct / 100" %.0f)" >"$d/acked" 2>"$d/send.err" ||
	    die "$1 round $2: ackload: $(tail -3 "$d/send.err")"
	wait "$pid" 2>/dev/null
	[ "$(kv "$d/send.err" killed_after)" -ge 0 ] ||
	    echo "# $1 round $2: finished before the kill (more BENCH_REQUESTS)"
	start_daemon "$1" "$d"		# replays its journal, if any
	stop_clean "$1" "$d"
	"$W/bin/ackload" check -P "$pattern" -s "$S" -n "$N" -v "$V" \
	    -t "$t0" <"$d/acked" >"$d/check" 2>"$d/check.err" ||
	    die "$1 round $2: check failed: $(cat "$d/check.err")"
	acked=$(kv "$d/check" acked)
	lost=$(kv "$d/check" lost)
	wrong=$(kv "$d/check" wrong)
	printf '%-13s %5d %11s %9d %9d %8s %7d %9d\n' "$1" "$2" \
	    "$(kv "$d/send.err" killed_after)/$N" "$acked" "$((lost + wrong))" \
	    "$(calc "100 * ($lost + $wrong) / ($acked > 0 ? $acked : 1)" %.1f)%" \
	    "$wrong" "$(kv "$d/check" unacked_stored)"
	echo "$1 $acked $lost $wrong" >>"$W/results"
	[ -s "$d/check.err" ] && sed 's/^ackload:/#  /' "$d/check.err"
	errs=$(kv "$d/send.err" errors)
	[ "$errs" = 0 ] || echo "# $1 round $2: $errs error answers:" \
	    "$(grep '^ackload:' "$d/send.err" | head -2 | tr '\n' ' ')"
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$d"
}

for sys in $BENCH_SYSTEMS; do
	case $sys in
	tallyd-fsync|tallyd-os) ;;
	rrdcached)
		[ -x "$RRDCACHED" ] || die "no $RRDCACHED (apt-get install rrdcached)" ;;
	collectd)
		command -v "$COLLECTD" >/dev/null 2>&1 ||
		    die "no $COLLECTD (apt-get install collectd-core)" ;;
	*)
		die "unknown system $sys" ;;
	esac
done

echo "# bench/crashloss.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(machine)"
echo "# kernel $(uname -r); files in $W on $(df -T "$W" | awk 'NR == 2 { print $2 " (" $1 ")" }'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# tallyd $("$TALLYD" -V 2>/dev/null | head -1); $("$RRDCACHED" -h 2>&1 | head -1); $("$COLLECTD" -h 2>/dev/null | grep -m1 '^collectd')"
echo "# command: BENCH_ROUNDS=$BENCH_ROUNDS BENCH_SYSTEMS=\"$BENCH_SYSTEMS\" BENCH_SERIES=$S BENCH_REQUESTS=$N BENCH_VALUES=$V BENCH_CLIENTS=$BENCH_CLIENTS BENCH_WINDOW=$BENCH_WINDOW BENCH_SEED=$BENCH_SEED COLLECTD_CACHE_TIMEOUT=$COLLECTD_CACHE_TIMEOUT RRDCACHED_WRITE=$RRDCACHED_WRITE sh bench/crashloss.sh"
echo "# per round: $N requests x $V values over $S series, $BENCH_CLIENTS connections, kill -9 once a random 20-80% are answered"
echo
printf '%-13s %5s %11s %9s %9s %8s %7s %9s\n' system round killed acked lost \
    lost% wrong unacked
: >"$W/results"
m=0
for sys in $BENCH_SYSTEMS; do
	m=$((m + 1))
	r=1
	while [ "$r" -le "$BENCH_ROUNDS" ]; do
		round "$sys" "$r" "$m"
		r=$((r + 1))
	done
done
echo
echo "-- totals over $BENCH_ROUNDS rounds (lost includes wrong; load average now $(cut -d' ' -f1-3 /proc/loadavg))"
awk '{ a[$1] += $2; l[$1] += $3 + $4; if (!($1 in o)) o[$1] = ++n; s[o[$1]] = $1 }
    END { for (i = 1; i <= n; i++) { k = s[i]
	printf "%-13s acknowledged %9d  lost %9d (%.1f%%)\n", k, a[k], l[k],
	    a[k] ? 100 * l[k] / a[k] : 0 } }' "$W/results"
echo "# killed: requests answered when SIGKILL was sent / requests; unacked: values stored whose answer never came (sent, not acknowledged: not a loss)"
exit 0
