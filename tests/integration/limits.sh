#!/bin/sh
# Limits that keep one crowd from hurting everyone (issue 11): 300 TCP
# clients that never AUTH next to tallyctl on the unix socket; 1,500 HTTP
# connections trickling headers next to /metrics and PING, with tallyd's
# CPU time measured (no accept busy loop); running out of descriptors;
# and what clients may write: max_future, max_series, plugin namespaces,
# over the socket and HTTP.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/http-lib.sh"

CROWD="$top_builddir/tests/tools/crowd"
TALLYCTL="$top_builddir/tallyctl"
# Both are made by this build: missing is a failure, not a skip.
for p in "$CROWD" "$TALLYCTL"; do
	[ -x "$p" ] || bail_out "$p not built"
done
# The crowds need descriptors: tallyd gets 4096 (what the unit's
# LimitNOFILE gives it is more), the crowd raises its own.
ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)"
nofile=$(ulimit -n)

# cpu_ticks PID: user + system clock ticks so far.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# Two ports: HTTP (http_start) and the protocol on TCP, token required.
http_start <<EOT
max_connections = 512
header_timeout = 3s
token = s3cret
EOT
ok $? "gateway up on $U"
TPORT=$((PORT + 1))
stop_tallyd TERM
sed -i "s|^\[daemon\]|[daemon]\nlisten = 127.0.0.1:$TPORT\ntoken = tok\nauth_timeout = 2s\nmax_clients = 256\nmax_local_clients = 64\nmax_output = 2M\nmax_output_total = 3M\nmax_series = 3\nmax_future = 5m\nclient_timeout = 300s|" "$T/t.conf"
: >"$T/tallyd.log"
start_tallyd "$T/t.conf"
check "up with TCP on $TPORT" wait_until 20 sh -c \
    "grep -q ' running: ' '$T/tallyd.log' && curl -s -o /dev/null '$U/api/v1/metrics'"
check "demo data flowing" wait_until 10 test -f "$T/rrd/demo/main/wave.rrd"

# ---- 300 TCP clients that never AUTH and PING every second.
"$CROWD" -T "127.0.0.1:$TPORT" -n 300 -m proto -d 1000 -t 8 -r 300 \
    >"$T/tcp.crowd" &
crowd=$!
extra_pids="$extra_pids $crowd"
check "TCP crowd refused past max_clients" wait_until 20 \
    log_has 'listen: 256 TCP connections: refusing more'
ctl_ok=0
i=0
while [ $i -lt 5 ]; do
	"$TALLYCTL" -s "$SOCK" ping >/dev/null 2>&1 && ctl_ok=$((ctl_ok + 1))
	i=$((i + 1))
done
ok $([ $ctl_ok -eq 5 ]; echo $?) "tallyctl on the unix socket during the TCP crowd ($ctl_ok of 5)"
wait "$crowd"
read -r _ opened _ closed _ _ _ _ <"$T/tcp.crowd"
# auth_timeout = 2s over 8 s: every holder is closed at least once
ok $([ "$closed" -ge 300 ]; echo $?) "TCP clients without AUTH are closed ($(cat "$T/tcp.crowd"))"
out=$(printf 'PING\nPING\n' | "$NC" -T "127.0.0.1:$TPORT" -w 5000 | tail -n +2)
ok $([ "$(echo "$out" | grep -c '^OK 0 PONG')" -eq 2 ]; echo $?) \
    "TCP served again after the crowd"
# And the auth deadline: a client that PINGs but never AUTHs is closed.
"$NC" -T "127.0.0.1:$TPORT" -k 300 >"$T/noauth.out" &
noauth=$!
extra_pids="$extra_pids $noauth"
check "an unauthenticated TCP client is closed after auth_timeout" \
    wait_until 15 grep -q '^ERR auth no AUTH within 2 s' "$T/noauth.out"

# ---- 1,500 HTTP connections trickling a header byte every 2 s.
t0=$(date +%s)
c0=$(cpu_ticks "$daemon_pid")
"$CROWD" -T "127.0.0.1:$PORT" -n 1500 -m http -d 2000 -t 15 -r 300 \
    >"$T/http.crowd" &
crowd=$!
extra_pids="$extra_pids $crowd"
check "HTTP crowd at max_connections" wait_until 20 \
    sh -c "[ \$(ls /proc/$daemon_pid/fd | wc -l) -ge 500 ]"
good=0
pings=0
maxfd=0
i=0
while [ $i -lt 20 ]; do
	s=$(curl -s -o /dev/null --max-time 20 -w '%{http_code}' "$U/api/v1/metrics")
	[ "$s" = 200 ] && good=$((good + 1))
	[ "$(ask PING)" = "OK 0 PONG" ] && pings=$((pings + 1))
	n=$(ls "/proc/$daemon_pid/fd" | wc -l)
	[ "$n" -gt "$maxfd" ] && maxfd=$n
	i=$((i + 1))
done
ok $([ $good -eq 20 ]; echo $?) "/api/v1/metrics served through the crowd ($good of 20)"
ok $([ $pings -eq 20 ]; echo $?) "PING served through the crowd ($pings of 20)"
# 512 + 256 evicted but not yet closed + tallyd's own (< 100)
ok $([ "$maxfd" -le 870 ]; echo $?) "descriptors bounded by max_connections ($maxfd)"
wait "$crowd"
t1=$(date +%s)
c1=$(cpu_ticks "$daemon_pid")
hz=$(getconf CLK_TCK)
cpu=$(((c1 - c0) * 100 / hz))
wall=$((t1 - t0))
# A busy loop would take a whole core (100 per second); 1,500 slow
# clients cost far less, even under ASan.
ok $([ "$cpu" -lt $((wall * 60)) ]; echo $?) \
    "tallyd's CPU during the crowd: $cpu cs in $wall s"
read -r _ opened _ closed _ _ _ _ <"$T/http.crowd"
ok $([ "$closed" -ge 1000 ] && log_has 'the longest idle gives way'; echo $?) \
    "past max_connections the longest idle connection gives way ($(cat "$T/http.crowd"))"

# header_timeout: 20 connections trickling (no eviction) are closed.
"$CROWD" -T "127.0.0.1:$PORT" -n 20 -m http -d 500 -t 8 >"$T/slow.crowd"
read -r _ opened _ closed _ _ _ _ <"$T/slow.crowd"
ok $([ "$closed" -ge 20 ] && log_has 'sent no whole request in 3000 ms'; echo $?) \
    "header_timeout closes connections that trickle ($(cat "$T/slow.crowd"))"

# ---- 40 clients that never read a ~470 kB FETCH each: the answers held
# for them stay under max_output_total (3M), the rest are refused.
rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$daemon_pid/status")
nonreaders 40 "FETCH demo.main.wave -10h now AVERAGE 1" 15000
check "answers past max_output_total refused" wait_until 30 \
    log_has 'bytes of answers wait for clients; refusing a'
ok $([ "$(ask PING)" = "OK 0 PONG" ]; echo $?) "PING served beside the non-readers"
rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$daemon_pid/status")
echo "# RSS $rss0 kB before the non-readers, $rss1 kB with them"
for p in $readers; do kill "$p" 2>/dev/null; done
wait $readers 2>/dev/null
check "FETCH answered again once they are gone" wait_until 20 sh -c \
    "printf 'FETCH demo.main.wave -1m now\n' | '$NC' -U '$SOCK' -w 5000 | sed -n 2p | grep -q '^OK '"

# ---- What clients may write.
now=$(date +%s)
later=$((now + 3600))
out=$(ask "PUT web.app.x $later:1 N:2")
ok $(echo "$out" | grep -q "^OK 1 accepted=1 refused=1" &&
    echo "$out" | grep -q "^$later:1 future"; echo $?) \
    "PUT: a time past max_future is refused, the other kept"
out=$(ask "PUT demo.main.mine N:1")
ok $(echo "$out" | grep -q '^ERR bad-name demo.main.mine belongs to plugin instance demo.main'; echo $?) \
    "PUT: a name under a plugin instance is refused ($out)"
out=$(ask "PUT demo.main.wave N:1")
ok $(echo "$out" | grep -q '^ERR bad-name'; echo $?) \
    "PUT: a plugin's own series is refused"
ask "PUT web.app.y N:1" "PUT web.app.z N:1" >"$T/put.out"
ok $([ "$(grep -c '^OK 0 accepted=1' "$T/put.out")" -eq 2 ]; echo $?) \
    "PUT: series up to max_series (3)"
out=$(ask "PUT web.app.w N:1")
ok $(echo "$out" | grep -q '^ERR limit clients have made 3 series'; echo $?) \
    "PUT: the fourth series is refused ($out)"
out=$(ask "PUT web.app.x $((now + 60)):3")
ok $(echo "$out" | grep -q '^OK 0 accepted=1'; echo $?) \
    "PUT: an existing client series still takes values"
auth='Authorization: Bearer s3cret'
s=$(get "$U/api/v1/put?metric=web.app.y&value=$later:5&value=$((now + 60)):6" -X POST -H "$auth")
ok $([ "$s" = 200 ] && grep -q '"accepted":1' "$T/b" &&
    grep -q "\"value\":\"$later:5\",\"reason\":\"future" "$T/b"; echo $?) \
    "HTTP put: a time past max_future is refused ($s)"
s=$(get "$U/api/v1/put?metric=demo.main.mine&value=N:1" -X POST -H "$auth")
ok $([ "$s" = 400 ] && grep -q 'belongs to plugin instance demo.main' "$T/b"; echo $?) \
    "HTTP put: a name under a plugin instance is refused ($s)"
s=$(get "$U/api/v1/put?metric=web.app.v&value=N:1" -X POST -H "$auth")
ok $([ "$s" = 403 ] && json_error limit; echo $?) \
    "HTTP put: past max_series is refused ($s)"
ok $([ ! -e "$T/rrd/web/app/w.rrd" ] && [ ! -e "$T/rrd/web/app/v.rrd" ] &&
    [ ! -e "$T/rrd/demo/main/mine.rrd" ]; echo $?) "no file made for a refused series"
stop_tallyd TERM
ok $daemon_rc "clean exit"

# ---- Out of descriptors: accept pauses instead of spinning, and the
# unix socket's spare lets an operator in.
sed -i "s|^max_connections = 512|max_connections = 4000|" "$T/t.conf"
: >"$T/tallyd.log"
(ulimit -n 200; exec "$TALLYD" -f -c "$T/t.conf" >>"$T/tallyd.log" 2>&1) &
daemon_pid=$!
check "up with 200 descriptors" wait_until 20 sh -c \
    "grep -q ' running: ' '$T/tallyd.log' && curl -s -o /dev/null '$U/api/v1/metrics'"
"$CROWD" -T "127.0.0.1:$PORT" -n 400 -m http -d 1000 -t 10 -r 400 \
    >"$T/emfile.crowd" &
crowd=$!
extra_pids="$extra_pids $crowd"
check "accept errors logged and paused" wait_until 20 \
    log_has 'http: accept: Too many open files; not accepting for 1000 ms'
c0=$(cpu_ticks "$daemon_pid")
t0=$(date +%s)
"$NC" -U "$SOCK" -w 10000 </dev/null >"$T/spare.out"
ok $(grep -q '^OK 0 tallyd' "$T/spare.out"; echo $?) \
    "a unix socket client gets in with no descriptors left"
wait "$crowd"
t1=$(date +%s)
c1=$(cpu_ticks "$daemon_pid")
cpu=$(((c1 - c0) * 100 / hz))
ok $([ "$cpu" -lt $(((t1 - t0) * 60 + 60)) ]; echo $?) \
    "no busy loop while out of descriptors: $cpu cs in $((t1 - t0)) s"
n=$(grep -c 'accept: Too many open files' "$T/tallyd.log")
ok $([ "$n" -le 2 ]; echo $?) "logged at a limited rate ($n lines)"
check "served again once the crowd is gone" wait_until 20 sh -c \
    "curl -s -o /dev/null --max-time 5 -w '%{http_code}' '$U/api/v1/metrics' | grep -q 200"
stop_tallyd TERM
ok $daemon_rc "clean exit"
echo "# descriptors in the first run: $nofile"
done_testing
