#!/bin/sh
# [forward NAME] type = graphite against a real carbon-cache
# (graphite-carbon): values PUT into tallyd arrive in carbon's whisper
# files (read back with whisper-fetch) with their times and values, under
# the prefix; a match glob keeps other series out; carbon stopped for a
# while, values go on being acknowledged, the backlog shows in STATS and
# is sent once carbon is back; a kill -9 of tallyd mid-forward loses
# nothing.  Needs graphite-carbon (carbon-cache, whisper-fetch), python3.
. "${top_srcdir:-.}/tests/integration/lib.sh"

CARBON=${CARBON_CACHE:-/usr/bin/carbon-cache}
WFETCH=${WHISPER_FETCH:-/usr/bin/whisper-fetch}
[ -x "$CARBON" ] && [ -x "$WFETCH" ] ||
    skip_all "carbon-cache or whisper-fetch not installed (graphite-carbon)"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v ss >/dev/null 2>&1 || skip_all "ss is not installed (iproute2)"

C=$T/carbon
mkdir -p "$C/whisper" "$C/log" "$C/conf"
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
carbon_conf() {
	cat >"$C/conf/carbon.conf" <<EOT
[cache]
STORAGE_DIR = $C
LOCAL_DATA_DIR = $C/whisper
WHITELISTS_DIR = $C/conf
CONF_DIR = $C/conf
LOG_DIR = $C/log
PID_DIR = $C
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = $CPORT
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = $PPORT
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = $QPORT
LOG_UPDATES = False
LOG_CREATES = False
LOG_LISTENER_CONNECTIONS = False
WHISPER_AUTOFLUSH = False
CARBON_METRIC_INTERVAL = 0
EOT
	printf '[tally]\npattern = ^tally\\.\nretentions = 1s:2d\n' \
	    >"$C/conf/storage-schemas.conf"
	: >"$C/conf/storage-aggregation.conf"
}
carbon_listening() {
	for p in $CPORT $PPORT $QPORT; do
		ss -Htln "sport = :$p" | grep -q . || return 1
	done
	kill -0 "$cpid" 2>/dev/null
}
carbon_start() {
	rm -f "$C/carbon.pid"
	"$CARBON" --config="$C/conf/carbon.conf" --nodaemon \
	    --pidfile="$C/carbon.pid" --logdir="$C/log" start \
	    >>"$C/carbon.out" 2>&1 &
	cpid=$!
	extra_pids="$extra_pids $cpid"
}
carbon_stop() {
	kill -TERM "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null
}
try=0
cpid=
while [ $try -lt 5 ]; do
	CPORT=$(free_port) PPORT=$(free_port) QPORT=$(free_port)
	carbon_conf
	carbon_start
	wait_until 60 carbon_listening && break
	carbon_stop
	cpid=
	try=$((try + 1))
done
ok $([ -n "$cpid" ]; echo $?) "carbon-cache up on port $CPORT"

# A receiver that is never there: a port nothing listens on.
DEADPORT=$(free_port)
write_config "$T/t.conf" <<EOT
[forward carbon]
type = graphite
address = 127.0.0.1:$CPORT
prefix = tally.site1
match = fwd.*.temp
batch = 500
timeout = 5s

[forward dead]
type = graphite
address = 127.0.0.1:$DEADPORT
max_backlog = 1M
timeout = 1s
EOT
sed -i 's/^\[storage\]$/[storage]\njournal_max = 4M/' "$T/t.conf"
start_tallyd "$T/t.conf" -v
check "tallyd up" wait_until 30 test -S "$SOCK"

stat() {	# stat NAME: its figure in STATS
	ask STATS | awk -v n="$1" '$1 == n { print $2 }'
}
stat_ge() {	# stat_ge NAME N
	v=$(stat "$1")
	[ -n "$v" ] && [ "${v%.*}" -ge "$2" ]
}
BASE=$(($(date +%s) - 3000))
# putfile SERIES FIRST COUNT: values a second apart, 50 a PUT; prints how
# many were accepted.  Values are exact in binary (quarters).
putfile() {
	python3 - "$@" <<'EOF' >"$T/put.cmds"
import sys
s, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(0, n, 50):
    pts = ["%d:%s" % (first + k, ((first + k) % 997) / 4.0)
           for k in range(i, min(n, i + 50))]
    print("PUT %s %s" % (s, " ".join(pts)))
EOF
	"$NC" -U "$SOCK" -w 30000 <"$T/put.cmds" >"$T/put.out"
	awk '/^OK/ { split($3, a, "="); n += a[2] } END { print n + 0 }' \
	    "$T/put.out"
}
# whisper_has SERIES FIRST COUNT: whisper-fetch shows every value.
whisper_has() {
	f=$C/whisper/tally/site1/$(echo "$1" | tr . /).wsp
	[ -f "$f" ] || return 1
	"$WFETCH" --from=$(($2 - 1)) --until=$(($2 + $3)) "$f" \
	    >"$T/fetch.out" 2>/dev/null || return 1
	python3 - "$2" "$3" "$T/fetch.out" <<'EOF'
import sys
first, n = int(sys.argv[1]), int(sys.argv[2])
have = {}
for line in open(sys.argv[3]):
    t, v = line.split()
    if v != "None":
        have[int(t)] = float(v)
bad = [t for t in range(first, first + n)
       if have.get(t) != (t % 997) / 4.0]
sys.exit(1 if bad else 0)
EOF
}

total=0
for s in a b c; do
	n=$(putfile "fwd.$s.temp" "$BASE" 600)
	total=$((total + n))
done
n=$(putfile other.x.temp "$BASE" 100)
ok $([ "$total" -eq 1800 ] && [ "$n" -eq 100 ]; echo $?) \
    "1900 values acknowledged"
for s in a b c; do
	check "fwd.$s.temp: 600 values in carbon's whisper file" \
	    wait_until 120 whisper_has "fwd.$s.temp" "$BASE" 600
done
ok $([ ! -e "$C/whisper/tally/site1/other" ]; echo $?) \
    "a series the glob does not match is not forwarded"
check "STATS: forward.carbon.sent is 1800" \
    wait_until 30 stat_ge forward.carbon.sent 1800

# ---- carbon stopped: values are acknowledged, the backlog waits
carbon_stop
n=$(putfile fwd.d.temp "$BASE" 900)
ok $([ "$n" -eq 900 ]; echo $?) "with carbon down, PUT is acknowledged ($n)"
check "STATS: backlog_bytes > 0" wait_until 30 stat_ge \
    forward.carbon.backlog_bytes 1
check "STATS: errors counted" wait_until 30 stat_ge forward.carbon.errors 1
check "the failure is logged" \
    log_has "forward carbon: [0-9]+ values not sent, retried in"
carbon_start
check "carbon-cache back on the same port" wait_until 60 carbon_listening
check "after the outage the backlog arrives" \
    wait_until 180 whisper_has fwd.d.temp "$BASE" 900

# ---- kill -9 of tallyd while it forwards, then a restart
carbon_stop
n=$(putfile fwd.e.temp "$BASE" 1500)
carbon_start
check "carbon-cache back" wait_until 60 carbon_listening
sent0=$(stat forward.carbon.sent)
wait_until 60 sh -c "[ \"\$(printf 'STATS\n' | '$NC' -U '$SOCK' -w 5000 |
    awk '\$1 == \"forward.carbon.sent\" { print \$2 }')\" != '$sent0' ]"
stop_tallyd KILL
start_tallyd "$T/t.conf" -v
check "tallyd restarted after kill -9" wait_until 30 test -S "$SOCK"
check "after kill -9 and a restart every value is in whisper" \
    wait_until 180 whisper_has fwd.e.temp "$BASE" 1500
for s in a b c; do
	check "fwd.$s.temp still whole" whisper_has "fwd.$s.temp" "$BASE" 600
done

# ---- a receiver gone for good: its backlog is bounded, ingest goes on
n=$(putfile fwd.big.temp $((BASE - 100000)) 100000)
ok $([ "$n" -eq 100000 ]; echo $?) "100000 more values acknowledged with a dead receiver ($n)"
check "past max_backlog the dead forwarder gives up old segments" \
    wait_until 60 stat_ge forward.dead.dropped 1
check "and says so loudly, with how many values" \
    log_has "forward dead: backlog of [0-9]+ bytes is past max_backlog .* [0-9]+ values NOT forwarded"
jbytes=$(du -sb "$T/state/journal" | cut -f1)
ok $([ "$jbytes" -lt $((4000000 + 1000000 + 600000)) ]; echo $?) \
    "the journal stays within journal_max + max_backlog + a segment ($jbytes bytes)"
v=$(stat forward.dead.backlog_bytes)
ok $([ -n "$v" ] && [ "${v%.*}" -le 1600000 ]; echo $?) \
    "STATS: its backlog_bytes is bounded ($v)"
check "the live forwarder still sends everything" \
    wait_until 180 whisper_has fwd.big.temp $((BASE - 100000)) 100000

stop_tallyd TERM
ok "$daemon_rc" "tallyd stops cleanly"
carbon_stop
done_testing
