#!/bin/sh
# tallyctl against the real daemon, every command: on the unix socket and
# on TCP with a token; values put through tallyctl come back through fetch
# (table, CSV, JSON) exactly as rrdtool reads them from the file; graphs
# are real PNG/SVG; ERR answers exit 1, usage errors 2, no server 3.
. "${top_srcdir:-.}/tests/integration/lib.sh"

TALLYCTL="$top_builddir/tallyctl"
[ -x "$TALLYCTL" ] || bail_out "no tallyctl at $TALLYCTL"
unset TALLY_SOCKET TALLY_TOKEN
SOCK=$T/tallyd.sock
TOKEN='s3cret token'

# ctl_run COMMAND...: output in $T/out and $T/err, exit status in $rc.
ctl_run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}
ctl() { ctl_run "$TALLYCTL" -s "$SOCK" "$@"; }	# on the unix socket
ctlh() { ctl_run "$TALLYCTL" -H "127.0.0.1:$PORT" "$@"; }	# on TCP
out_has() { grep -q -- "$1" "$T/out"; }
err_has() { grep -q -- "$1" "$T/err"; }
iso() {	# iso EPOCH: the UTC ISO-8601 form tallyctl prints
	date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null ||
	    date -u -r "$1" +%Y-%m-%dT%H:%M:%SZ
}

cat >"$T/t.conf" <<EOT
[daemon]
pidfile = $T/tallyd.pid
render_helper = $top_builddir/tally-render
plugin_dir = $PLUGINS
statedir = $T/state
read_threads = 2
shutdown_timeout = 2s
socket = $SOCK
listen = 127.0.0.1:@PORT@
token = $TOKEN

[storage]
datadir = $T/rrd
retention = test

[retention test]
step = 1
heartbeat = 10
rra = AVERAGE:1s:1h
rra = LAST:1s:1h

[plugin demo main]
interval = 1s
jitter = 0
retention = test
modulus = 1000
rate = 2
EOT

check "started on a free TCP port" start_tallyd_port "$T/t.conf"
check "socket created" wait_until 10 test -S "$SOCK"

# ---- ping, help, list, info, last
ctl ping
ok $([ $rc -eq 0 ] && [ "$(cat "$T/out")" = PONG ]; echo $?) "ping: PONG"
ctl help
ok $([ $rc -eq 0 ] && out_has FETCH && out_has GRAPH; echo $?) \
    "help: the server's command list"
check "list shows demo.main.sawtooth" wait_until 10 sh -c \
    "\"$TALLYCTL\" -s \"$SOCK\" list | grep -q '^demo\.main\.sawtooth '"
ctl list 'demo.*.saw*'
ok $([ $rc -eq 0 ] && [ "$(wc -l <"$T/out")" -eq 1 ] &&
    grep -qi '^demo\.main\.sawtooth gauge$' "$T/out"; echo $?) \
    "list glob: just the sawtooth, a gauge"
ctl list 'nothing.*'
ok $([ $rc -eq 0 ] && [ ! -s "$T/out" ]; echo $?) "list: no match, no lines"
# INFO reads the file, which exists after the first write.
check "info answers once the file is written" wait_until 10 \
    "$TALLYCTL" -s "$SOCK" info demo.main.sawtooth
ctl info demo.main.sawtooth
ok $([ $rc -eq 0 ] && out_has '^step 1s*$' && out_has '^kind '; echo $?) \
    "info: key value lines, step 1"
ctl info nosuch.metric.here
ok $([ $rc -eq 1 ] && err_has '^tallyctl: ERR not-found'; echo $?) \
    "info unknown metric: exit 1, ERR not-found"
ctl info 'Bad Name'
ok $([ $rc -eq 1 ] && err_has '^tallyctl: ERR bad-name'; echo $?) \
    "info bad name (sent quoted): ERR bad-name"
check "sawtooth has a last value" wait_until 10 sh -c \
    "\"$TALLYCTL\" -s \"$SOCK\" last demo.main.sawtooth | grep -qv ' U$'"
ctl last demo.main.sawtooth
ok $([ $rc -eq 0 ] && awk 'NR == 1 && NF == 2 { bad = ($2 + 0 != $1 % 1000) }
    END { exit (NR != 1 || bad) }' "$T/out"; echo $?) \
    "last: one 'time value' line, value = time mod 1000"

# ---- put, flush, fetch: values round-trip through the file
t0=$(date +%s)
ctl put test.ctl.gauge $((t0 - 5)):1.5 $((t0 - 4)):2.5 $((t0 - 3)):3.5 \
    $((t0 - 2)):-4.25 $((t0 - 1)):U
ok $([ $rc -eq 0 ] && out_has '^accepted=5 refused=0$'; echo $?) \
    "put: 5 accepted"
ctl put test.ctl.gauge $((t0 - 3)):9 $((t0 + 1)):x
ok $([ $rc -eq 0 ] && out_has 'accepted=0 refused=2' &&
    out_has "^$((t0 - 3)):9 stale" && out_has "^$((t0 + 1)):x bad-value"; \
    echo $?) "put: stale and bad values refused, listed, exit 0"
ctl flush test.ctl.gauge
ok $([ $rc -eq 0 ] && [ "$(cat "$T/out")" = flushed ]; echo $?) \
    "flush metric: flushed"
F=$T/rrd/test/ctl/gauge.rrd
check "flush: the file exists" test -f "$F"
ok $(rrd_rows "$F" LAST $((t0 - 10)) | grep -q "^$((t0 - 3)) 3.500000$"; \
    echo $?) "flush: rrdtool reads 3.5 at t0-3"

ctl fetch test.ctl.gauge $((t0 - 4)) $((t0 - 1)) LAST --csv
ok $([ $rc -eq 0 ] && [ "$(head -n 1 "$T/out")" = time,value ] &&
    out_has "^$((t0 - 3)),3.5$" && out_has "^$((t0 - 2)),-4.25$" &&
    out_has "^$((t0 - 1)),$"; echo $?) "fetch --csv: header, values, U empty"
# Every CSV row equals what rrdtool itself reads from the file.
rrd_rows "$F" LAST $((t0 - 10)) | awk '{ print $1 " " $2 + 0 }' >"$T/rrd.txt"
awk -F, 'NR > 1 && $2 != "" { print $1 " " $2 + 0 }' "$T/out" >"$T/ctl.txt"
ok $([ -s "$T/ctl.txt" ] && ! grep -vxFf "$T/rrd.txt" "$T/ctl.txt" \
    >/dev/null; echo $?) "fetch --csv: every row matches rrdtool fetch"
ctl fetch test.ctl.gauge $((t0 - 4)) $((t0 - 1)) LAST --json
ok $([ $rc -eq 0 ] && out_has '^{"metric":"test.ctl.gauge","step":1,"cf":"LAST","points":\[' &&
    out_has "\[$((t0 - 3)),3.5\]" && out_has "\[$((t0 - 1)),null\]" &&
    out_has ']}$'; echo $?) "fetch --json: object, numbers and null"
ctl --utc fetch test.ctl.gauge $((t0 - 4)) $((t0 - 1)) LAST 1
ok $([ $rc -eq 0 ] && out_has '^time  *value$' &&
    out_has "^$(iso $((t0 - 3)))  *3.5$" &&
    out_has "^$(iso $((t0 - 1)))  *U$"; echo $?) \
    "fetch --utc table: ISO-8601 UTC times, aligned, U"
TZ=Asia/Ho_Chi_Minh ctl fetch test.ctl.gauge $((t0 - 4)) $((t0 - 1)) LAST 1
ok $([ $rc -eq 0 ] && out_has "^$(TZ=Asia/Ho_Chi_Minh date -d @$((t0 - 3)) \
    '+%Y-%m-%d %H:%M:%S')  *3.5$"; echo $?) \
    "fetch table: local times (TZ=Asia/Ho_Chi_Minh)"
ctl fetch test.ctl.gauge yesterday-ish now
ok $([ $rc -eq 1 ] && err_has '^tallyctl: ERR bad-time'; echo $?) \
    "fetch bad time: ERR bad-time"
ctl fetch test.ctl.gauge -1h
ok $([ $rc -eq 2 ]; echo $?) "fetch with 2 arguments: usage, exit 2"
ctl flush
ok $([ $rc -eq 0 ] && [ "$(cat "$T/out")" = flushed ]; echo $?) \
    "flush all: flushed"

# ---- graph
ctl graph -o "$T/g.png" metric=demo.main.sawtooth label='răng cưa' \
    metric=demo.main.visits title='Doanh thu tháng 12 – "Hà Nội" \ 2026' \
    start=-2m width=400 height=150
ok $([ $rc -eq 0 ] &&
    [ "$(head -c 4 "$T/g.png" | od -An -tx1 | tr -d ' \n')" = 89504e47 ]; \
    echo $?) "graph -o: a PNG, Vietnamese title with quotes and backslash"
ctl graph metric=demo.main.sawtooth format=svg start=-1m
ok $([ $rc -eq 0 ] && out_has '<svg'; echo $?) \
    "graph format=svg to a pipe"
ctl graph -o "$T/bad.png" metric=demo.main.sawtooth colour=red
ok $([ $rc -eq 1 ] && err_has '^tallyctl: ERR bad-args' &&
    [ ! -e "$T/bad.png" ]; echo $?) "graph unknown key: ERR bad-args, no file"
ctl graph -o "$T/bad.png" metric=demo.main.sawtooth \
    title="$(printf '%0201d' 0)"
ok $([ $rc -eq 1 ] && [ ! -e "$T/bad.png" ]; echo $?) \
    "graph 201-byte title: ERR"
ctl graph -o "$T/bad.png" metric=nosuch.metric.here
ok $([ $rc -eq 1 ] && err_has '^tallyctl: ERR '; echo $?) \
    "graph unknown metric: ERR"

# ---- plugins, stats, alerts
ctl plugins
ok $([ $rc -eq 0 ] && out_has demo; echo $?) "plugins: lists demo"
ctl stats
ok $([ $rc -eq 0 ] && [ -s "$T/out" ]; echo $?) "stats: figures"
ctl alerts
ok $rc "alerts: exit 0"
ctl alert history
ok $rc "alert history: exit 0"
ctl alert test no-such-rule --from -1d
ok $([ $rc -eq 1 ] && err_has '^tallyctl: ERR '; echo $?) \
    "alert test unknown rule: ERR, exit 1"
ctl alert test no-such-rule
ok $([ $rc -eq 2 ]; echo $?) "alert test without --from: usage, exit 2"

# ---- raw
ctl raw PING
ok $([ $rc -eq 0 ] && [ "$(cat "$T/out")" = 'OK 0 PONG' ]; echo $?) \
    "raw PING: the status line"
ctl raw 'last demo.main.sawtooth'
ok $([ $rc -eq 0 ] && out_has '^OK 1' && [ "$(wc -l <"$T/out")" -eq 2 ]; \
    echo $?) "raw: lowercase command, status and its line"
ctl raw 'INFO "unbalanced'
ok $([ $rc -eq 1 ] && err_has '^tallyctl: ERR syntax'; echo $?) \
    "raw unbalanced quote: ERR syntax"
ctl raw FROBNICATE
ok $([ $rc -eq 1 ] && err_has '^tallyctl: ERR unknown-command'; echo $?) \
    "raw unknown command: ERR unknown-command"
ctl info "$(printf '%070000d' 0)"
ok $([ $rc -eq 2 ] && err_has 'longer than 65536'; echo $?) \
    "a 70000-byte request: refused before sending, exit 2"
ctl ping
ok $rc "the daemon still answers"

# ---- TCP and AUTH
ctlh ping
ok $([ $rc -eq 0 ] && [ "$(cat "$T/out")" = PONG ]; echo $?) \
    "TCP: ping without a token"
ctlh list
ok $([ $rc -eq 1 ] && err_has '^tallyctl: ERR auth' &&
    err_has 'TALLY_TOKEN'; echo $?) "TCP: list without a token: ERR auth"
ctlh -t "$TOKEN" list 'demo.*'
ok $([ $rc -eq 0 ] && out_has '^demo\.main\.sawtooth '; echo $?) \
    "TCP: -t token (with a space) then list"
ctl_run env TALLY_TOKEN="$TOKEN" "$TALLYCTL" -H "127.0.0.1:$PORT" \
    fetch test.ctl.gauge $((t0 - 4)) $((t0 - 1)) LAST --csv
ok $([ $rc -eq 0 ] && out_has "^$((t0 - 3)),3.5$"; echo $?) \
    "TCP: TALLY_TOKEN then fetch"
ctlh -t wrong stats
ok $([ $rc -eq 1 ] && err_has '^tallyctl: ERR auth'; echo $?) \
    "TCP: wrong token: ERR auth, exit 1"

# ---- where to connect
ctl_run env TALLY_SOCKET="$SOCK" "$TALLYCTL" ping
ok $([ $rc -eq 0 ] && [ "$(cat "$T/out")" = PONG ]; echo $?) \
    "TALLY_SOCKET names the socket"
ctl_run "$TALLYCTL" -s "$T/none.sock" ping
ok $([ $rc -eq 3 ] && err_has 'cannot connect'; echo $?) \
    "no server there: exit 3"
ctl frobnicate
ok $([ $rc -eq 2 ]; echo $?) "unknown command: exit 2"

stop_tallyd TERM
ok $daemon_rc "SIGTERM: exit status 0"
ctl -T 2 ping
ok $([ $rc -eq 3 ]; echo $?) "daemon gone: exit 3"
done_testing
