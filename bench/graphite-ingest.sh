#!/bin/sh
# bench/graphite-ingest.sh - Graphite plaintext ingest: S series x U
# values as "path value timestamp" lines, sent by 4 TCP connections at
# once (bench/linesend.c, each a quarter of the series, every value of a
# second before the next second), into
#   tallyd          [graphite] listen; done when STATS counts every line
#                   and a FLUSH of all files is answered (in RRD files of
#                   one archive, 3600 rows of 1 s, as carbon's 1s:1h);
#   carbon-cache    graphite-carbon's daemon, whisper files of 1s:1h,
#                   MAX_UPDATES_PER_SECOND, MAX_CREATES_PER_MINUTE and
#                   MAX_CACHE_SIZE unlimited; done when every whisper file
#                   holds all its values (read by whisper.fetch);
#   victoriametrics -graphiteListenAddr; done when /api/v1/export returns
#                   every value (after /internal/force_flush).
# The same line files for all three; the clock starts when the senders
# start and stops when the check first succeeds (polled every 0.2 s, so
# carbon-cache and VictoriaMetrics' times include up to one poll and its
# check; tallyd's FLUSH answer is exact).
#
# Env: BENCH_SERIES=1000  BENCH_VALUES=60  BENCH_SENDERS=4  BENCH_RUNS=3
#   BENCH_CARBON=1 BENCH_VM=1 (0: skip)  TALLYD TMPDIR BENCH_KEEP (common.sh)
#   BENCH_REORDER=0 ([graphite] reorder: lines held this long before they
#   are stored; the default config's 2s would add 2 s to tallyd's time)
# Prints one line per run and the medians.

. "$(cd "$(dirname "$0")" && pwd)/common.sh"

: "${BENCH_SERIES:=1000}"
: "${BENCH_VALUES:=60}"
: "${BENCH_SENDERS:=4}"
: "${BENCH_RUNS:=3}"
: "${BENCH_CARBON:=1}"
: "${BENCH_VM:=1}"
: "${BENCH_REORDER:=0}"
S=$BENCH_SERIES
U=$BENCH_VALUES
N=$BENCH_SENDERS
TOTAL=$((S * U))
PY=/usr/bin/python3
TALLYCTL=$top_builddir/tallyctl

command -v carbon-cache >/dev/null 2>&1 && $PY -c 'import whisper' \
    2>/dev/null || { echo "# carbon-cache not found (graphite-carbon)"; BENCH_CARBON=0; }
command -v victoria-metrics >/dev/null 2>&1 ||
    { echo "# victoria-metrics not found"; BENCH_VM=0; }
command -v curl >/dev/null 2>&1 || BENCH_VM=0
bench_build linesend

now_s() { date +%s.%N; }
free_port() {	# a TCP port nobody uses (listening or connected), random
	while :; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
		ss -Htan "sport = :$p" | grep -q . || break
	done
	echo $p
}

# poll_until SECONDS COMMAND...: every 0.2 s; 1 if it never succeeds.
poll_until() {
	end=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# The lines: sender k gets series k, k+N, ...; values end 5 min ago.
TEND=$(($(date +%s) - 300))
T0=$((TEND - U + 1))
mkdir -p "$W/lines"
awk -v S="$S" -v U="$U" -v N="$N" -v t0="$T0" -v dir="$W/lines" 'BEGIN {
	for (u = 0; u < U; u++)
		for (s = 0; s < S; s++)
			printf "bench.s%d %d.%d %d\n", s, s, u, t0 + u \
			    > (dir "/" (s % N))
}'
lines=$(cat "$W/lines"/* | wc -l)
[ "$lines" -eq "$TOTAL" ] || die "made $lines lines, not $TOTAL"

send_all() {	# send_all PORT: the N senders at once; waits for them
	sp=
	k=0
	while [ $k -lt "$N" ]; do
		"$W/bin/linesend" 127.0.0.1 "$1" "$W/lines/$k" &
		sp="$sp $!"
		k=$((k + 1))
	done
	for p in $sp; do wait "$p" || die "a sender failed"; done
}

# ---- tallyd
tallyd_run() {	# prints "seconds cpu mib"
	D=$W/tallyd.$1
	tallyd_config "$D"
	port=$(free_port)
	# One archive of 3600 one-second rows: carbon's 1s:1h.
	printf '\n[retention graphite]\nstep = 1\nheartbeat = 10\n%s\n%s\n' \
	    'rra = AVERAGE:1s:1h' '[graphite]' >>"$D/tallyd.conf"
	printf 'listen = 127.0.0.1:%s\nmax_series = 1M\nretention = graphite\nreorder = %s\n' \
	    "$port" "$BENCH_REORDER" >>"$D/tallyd.conf"
	tallyd_start "$D"
	wait_for 10 sh -c "ss -Htln 'sport = :$port' | grep -q ." ||
	    die "tallyd not listening"
	t0=$(now_s)
	send_all "$port"
	wait_for 600 sh -c "'$TALLYCTL' -s '$D/tallyd.sock' stats |
	    awk '\$1 == \"graphite.accepted\" || \$1 == \"graphite.refused\" \
	    { n += \$2 } END { exit n != $TOTAL }'" || die "tallyd: lines lost"
	"$TALLYCTL" -s "$D/tallyd.sock" -T 0 flush >/dev/null ||
	    die "tallyd: flush failed"
	t1=$(now_s)
	acc=$("$TALLYCTL" -s "$D/tallyd.sock" stats |
	    awk '$1 == "graphite.accepted" { print $2 }')
	[ "$acc" -eq "$TOTAL" ] || die "tallyd accepted $acc of $TOTAL"
	echo "$(calc "$t1 - $t0") $(cpu_s "$tallyd_pid") $(hwm_mib "$tallyd_pid")"
	tallyd_stop
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$D"
}

# ---- carbon-cache
carbon_check() {	# carbon_check DIR: every file holds every value
	$PY - "$1" "$S" "$U" "$T0" "$TEND" <<'PYEOF'
import os, sys, whisper
d, S, U, t0, t1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
base = os.path.join(d, "whisper", "bench")
try:
    names = os.listdir(base)
except OSError:
    sys.exit(1)
if len(names) != S:
    sys.exit(1)
for n in names:
    (_, _, _), vals = whisper.fetch(os.path.join(base, n), t0 - 1, t1)
    if sum(v is not None for v in vals) != U:
        sys.exit(1)
sys.exit(0)
PYEOF
}

carbon_run() {
	D=$W/carbon.$1
	mkdir -p "$D/whisper" "$D/log" "$D/conf"
	port=0 pport=0 qport=0
	cat >"$D/conf/carbon.conf" <<EOT
[cache]
STORAGE_DIR = $D
LOCAL_DATA_DIR = $D/whisper
WHITELISTS_DIR = $D/conf
CONF_DIR = $D/conf
LOG_DIR = $D/log
PID_DIR = $D
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = $port
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = $pport
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = $qport
LOG_UPDATES = False
LOG_CREATES = False
LOG_LISTENER_CONNECTIONS = False
WHISPER_AUTOFLUSH = False
CARBON_METRIC_INTERVAL = 0
EOT
	printf '[bench]\npattern = ^bench\\.\nretentions = 1s:1h\n' \
	    >"$D/conf/storage-schemas.conf"
	: >"$D/conf/storage-aggregation.conf"
	try=0
	while :; do
		try=$((try + 1))
		[ $try -le 5 ] || die "carbon-cache did not start"
		port=$(free_port)
		pport=$(free_port)
		qport=$(free_port)
		sed -i -e "s/^LINE_RECEIVER_PORT = .*/LINE_RECEIVER_PORT = $port/" \
		    -e "s/^PICKLE_RECEIVER_PORT = .*/PICKLE_RECEIVER_PORT = $pport/" \
		    -e "s/^CACHE_QUERY_PORT = .*/CACHE_QUERY_PORT = $qport/" \
		    "$D/conf/carbon.conf"
		carbon-cache --config="$D/conf/carbon.conf" --nodaemon \
		    --pidfile="$D/carbon.pid" --logdir="$D/log" start \
		    >"$D/carbon.out" 2>&1 &
		cpid=$!
		bench_pids="$bench_pids $cpid"
		# Up when all three listen; a port taken meanwhile: again.
		wait_for 30 sh -c "for p in $port $pport $qport; do
		    ss -Htln \"sport = :\$p\" | grep -q . || exit 1; done" &&
		    kill -0 "$cpid" 2>/dev/null && break
		kill -TERM "$cpid" 2>/dev/null
		wait "$cpid" 2>/dev/null
		rm -f "$D/carbon.pid"
	done
	t0=$(now_s)
	send_all "$port"
	poll_until 300 carbon_check "$D" || die "carbon-cache: values missing"
	t1=$(now_s)
	echo "$(calc "$t1 - $t0") $(cpu_s "$cpid") $(hwm_mib "$cpid")"
	kill -TERM "$cpid"
	wait "$cpid" 2>/dev/null
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$D"
}

# ---- VictoriaMetrics
vm_count() {	# vm_count HTTPPORT: values of bench.* it exports
	curl -s "http://127.0.0.1:$1/internal/force_flush" >/dev/null
	curl -s "http://127.0.0.1:$1/api/v1/export" \
	    --data-urlencode 'match[]={__name__=~"bench[.].*"}' \
	    --data-urlencode "start=$((T0 - 1))" \
	    --data-urlencode "end=$((TEND + 1))" |
	    $PY -c 'import sys, json
print(sum(len(json.loads(l)["values"]) for l in sys.stdin if l.strip()))'
}

vm_done() { [ "$(vm_count "$hport")" = "$TOTAL" ]; }

vm_run() {
	D=$W/vm.$1
	mkdir -p "$D"
	port=$(free_port)
	hport=$(free_port)
	victoria-metrics -storageDataPath="$D/data" \
	    -httpListenAddr="127.0.0.1:$hport" \
	    -graphiteListenAddr="127.0.0.1:$port" \
	    -retentionPeriod=100y >"$D/vm.log" 2>&1 &
	vpid=$!
	bench_pids="$bench_pids $vpid"
	wait_for 30 sh -c "ss -Htln 'sport = :$port' | grep -q ." ||
	    die "victoria-metrics not listening: $(tail -3 "$D/vm.log")"
	t0=$(now_s)
	send_all "$port"
	poll_until 300 vm_done ||
	    die "victoria-metrics: values missing"
	t1=$(now_s)
	echo "$(calc "$t1 - $t0") $(cpu_s "$vpid") $(hwm_mib "$vpid")"
	kill -TERM "$vpid"
	wait "$vpid" 2>/dev/null
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$D"
}

echo "# $(machine)"
echo "# $S series x $U values = $TOTAL lines, $N senders, $BENCH_RUNS runs; files in ${TMPDIR:-/tmp}"
echo "# engine run seconds values/s cpu_s peak_mib"
for eng in tallyd carbon vm; do
	case $eng in
	carbon) [ "$BENCH_CARBON" = 1 ] || continue ;;
	vm) [ "$BENCH_VM" = 1 ] || continue ;;
	esac
	r=1
	: >"$W/$eng.res"
	while [ $r -le "$BENCH_RUNS" ]; do
		set -- $(${eng}_run "$r")
		[ $# -eq 3 ] || die "$eng run $r failed"
		echo "$eng $r $1 $(calc "$TOTAL / $1" %.0f) $2 $3"
		echo "$1 $2 $3" >>"$W/$eng.res"
		r=$((r + 1))
	done
	sort -n "$W/$eng.res" | awk -v e="$eng" -v t="$TOTAL" '
	    { s[NR] = $1; c[NR] = $2; m[NR] = $3 }
	    END { i = int((NR + 1) / 2); printf "median %s %.3f s %.0f values/s cpu %s s peak %s MiB\n", e, s[i], t / s[i], c[i], m[i] }'
done
