#!/bin/sh
# The socket protocol through a raw socket: every command, pipelining,
# errors that leave the connection usable, graphs of the requested size,
# TCP with a token.
. "${top_srcdir:-.}/tests/integration/lib.sh"

write_config "$T/t.conf" <<EOT
[plugin demo main]
interval = 1s
jitter = 0
retention = test
EOT
sed -i "s|^\[storage\]|listen = 127.0.0.1:@PORT@\ntoken = s3cret\n\n[storage]|" "$T/t.conf"
check "started on a free TCP port" start_tallyd_port "$T/t.conf"
check "socket up" wait_until 10 test -S "$SOCK"
check "demo data flowing" wait_until 10 test -f "$T/rrd/demo/main/sawtooth.rrd"

g=$(printf '' | "$NC" -U "$SOCK" -w 2000 | head -1)
echo "$g" | grep -qE '^OK 0 tallyd [0-9.]+ protocol 1 auth=none$'
ok $? "greeting on the unix socket: $g"

out=$(ask PING)
ok $([ "$out" = "OK 0 PONG" ]; echo $?) "PING"
out=$(ask "LIST demo.*")
echo "$out" | head -1 | grep -q '^OK 3 series$'; ok $? "LIST glob counts 3"
echo "$out" | sed -n 2p | grep -q '^demo.main.sawtooth gauge$'; ok $? "LIST sorted with kinds"
ask "help" | head -1 | grep -qE '^OK [0-9]+ commands$'; ok $? "commands are case-insensitive"

# PUT then FLUSH then FETCH: the values come back exactly.
# A new series gets the default preset (step 60): minute-aligned times.
now=$(date +%s)
t0=$((now - now % 60 - 600))
out=$(ask "PUT put.test.temp $t0:1.5 $((t0 + 60)):2.25 $((t0 + 60)):9 abc $((t0 + 120)):U")
echo "$out" | sed 's/^/# /'
echo "$out" | head -1 | grep -q "^OK 2 accepted=3 refused=2$"; ok $? "PUT accepts 3 (U is a value), refuses 2"
echo "$out" | grep -q "^$((t0 + 60)):9 stale$"; ok $? "PUT says why: stale"
echo "$out" | grep -q '^abc bad-value'; ok $? "PUT says why: bad-value"
out=$(ask "FLUSH put.test.temp" "FETCH put.test.temp $((t0 - 60)) $((t0 + 120)) AVERAGE 60")
echo "$out" | sed 's/^/# /'
echo "$out" | head -1 | grep -q '^OK 0 flushed$'; ok $? "FLUSH answers after the write"
echo "$out" | grep -q "^$t0 1.5$"; ok $? "FETCH returns the first PUT value"
echo "$out" | grep -q "^$((t0 + 60)) 2.25$"; ok $? "FETCH returns the second"
"$RRDTOOL" info "$T/rrd/put/test/temp.rrd" | grep -q 'ds\[value\].type = "GAUGE"'
ok $? "PUT made a plain RRD gauge file"

# Pipelining: async and sync requests in one write, answers in order.
out=$(ask "PING" "FETCH demo.main.sawtooth -3s now LAST" "LAST demo.main.sawtooth" "INFO demo.main.wave" "PING")
first=$(echo "$out" | head -1)
last=$(echo "$out" | tail -1)
n_ok=$(echo "$out" | grep -c '^OK ')
ok $([ "$first" = "OK 0 PONG" ] && [ "$last" = "OK 0 PONG" ] && [ "$n_ok" -eq 5 ]; echo $?) \
    "pipelined answers come in request order ($n_ok status lines)"
echo "$out" | grep -q '^OK [0-9]* step=1 cf=LAST$'; ok $? "FETCH status line says step and cf"
echo "$out" | grep -q '^name demo.main.wave$'; ok $? "INFO names the series"
echo "$out" | grep -q '^file demo/main/wave.rrd$'; ok $? "INFO gives the file"

# Errors have stable codes and leave the connection usable.
out=$(ask "NOPE" "FETCH ../../etc/passwd now now" "FETCH demo.main.wave yesterday now" "LAST" 'GRAPH title="x' "INFO no.such.metric" "PING")
echo "$out" | sed 's/^/# /'
echo "$out" | sed -n 1p | grep -q '^ERR unknown-command'; ok $? "unknown command"
echo "$out" | sed -n 2p | grep -q '^ERR bad-name'; ok $? "path in a name refused"
echo "$out" | sed -n 3p | grep -q '^ERR bad-time'; ok $? "bad time"
echo "$out" | sed -n 4p | grep -q '^ERR bad-args'; ok $? "missing argument"
echo "$out" | sed -n 5p | grep -q '^ERR syntax'; ok $? "unbalanced quote"
echo "$out" | sed -n 6p | grep -q '^ERR not-found'; ok $? "unknown series"
echo "$out" | sed -n 7p | grep -q '^OK 0 PONG'; ok $? "connection still usable"
# Every command HELP lists has its row in docs/PROTOCOL.md.
out=$(ask "HELP")
missing=
for c in $(echo "$out" | sed 1d | awk '{print $1}' | sort -u); do
	grep -q "^| \`$c[ \`]" "$top_srcdir/docs/PROTOCOL.md" ||
	    missing="$missing $c"
done
ok $([ -n "$(echo "$out" | sed 1d)" ] && [ -z "$missing" ]; echo $?) \
    "every command of HELP is in PROTOCOL.md:$missing"
# INFO and LAST check the name before any query, and answer in order.
out=$(ask "INFO ../x.y.z" "LAST Demo.main.wave" "LAST no.such.metric" "LAST demo.main.wave")
echo "$out" | sed 's/^/# /'
echo "$out" | sed -n 1p | grep -q '^ERR bad-name metric names are plugin.instance.metric'
ok $? "INFO refuses a bad name"
echo "$out" | sed -n 2p | grep -q '^ERR bad-name'; ok $? "LAST refuses a bad name"
echo "$out" | sed -n 3p | grep -q '^ERR not-found'; ok $? "LAST of an unknown series"
echo "$out" | sed -n 4p | grep -q '^OK 1'; ok $? "LAST of a series"

# GRAPH: PNG and SVG of the requested size, Vietnamese title.
printf '%s\n' 'GRAPH metric=demo.main.wave metric=demo.main.sawtooth start=-2m width=640 height=240 title="Số người trực tuyến" style=area' |
    "$NC" -U "$SOCK" -w 20000 >"$T/g.out"
head -1 "$T/g.out" | sed -n 2p >/dev/null
hdr=$(sed -n 2p "$T/g.out" | head -c 40)
len=$(sed -n 2p "$T/g.out" | awk '{ print $2 }')
ok $(sed -n 2p "$T/g.out" | grep -q '^DATA [0-9]* image/png'; echo $?) "GRAPH answers DATA image/png"
tail -c "$len" "$T/g.out" >"$T/g.png"
ok $([ "$(head -c 4 "$T/g.png" | od -An -c | tr -d ' ')" = '211PNG' ]; echo $?) "the bytes are a PNG"
sz=$(png_size "$T/g.png")
ok $([ "$sz" = "640x240" ]; echo $?) "PNG is the requested 640x240 ($sz)"
printf '%s\n' 'GRAPH metric=demo.main.wave format=svg width=300 height=120 compare=1m' |
    "$NC" -U "$SOCK" -w 20000 | tail -n +3 >"$T/g.svg"
grep -q '<svg' "$T/g.svg"; ok $? "SVG rendered"
grep -qE 'width="300(pt|px)?"' "$T/g.svg"; ok $? "SVG has the requested width"
out=$(ask "GRAPH metric=demo.main.wave width=99999" "GRAPH metric=demo.main.wave title=--daemon=x:9 format=gif")
echo "$out" | head -1 | grep -q '^ERR bad-args'; ok $? "oversized graph refused"
echo "$out" | sed -n 2p | grep -q '^ERR bad-args'; ok $? "unknown format refused"
ask STATS >"$T/stats.out"
grep -q '^graph.renders [1-9]' "$T/stats.out"; ok $? "STATS counts renders"
grep -q '^render.spawned [1-9]' "$T/stats.out" &&
    grep -q '^render.done [1-9]' "$T/stats.out"
ok $? "STATS shows the render helpers"
ask PLUGINS | grep -q '^demo.main file=.*demo.so interval=1000 runs=[1-9]'
ok $? "PLUGINS lists the instance"

# TCP with a token: only PING, HELP, AUTH and QUIT before AUTH.
out=$(printf 'PING\nLIST\nAUTH wrong\nAUTH s3cret\nLIST\nQUIT\nPING\n' |
    "$NC" -T "127.0.0.1:$PORT" -w 5000)
echo "$out" | sed 's/^/# /' | head -12
echo "$out" | head -1 | grep -q 'auth=required$'; ok $? "TCP greeting says auth=required"
echo "$out" | sed -n 3p | grep -q '^ERR auth'; ok $? "LIST refused before AUTH"
echo "$out" | sed -n 4p | grep -q '^ERR auth'; ok $? "wrong token refused"
echo "$out" | sed -n 5p | grep -q '^OK 0 authenticated'; ok $? "right token accepted"
echo "$out" | sed -n 6p | grep -q '^OK [0-9]* series'; ok $? "LIST after AUTH"
ok $([ "$(echo "$out" | tail -1)" = "OK 0 bye" ]; echo $?) "QUIT closes: nothing after bye"

stop_tallyd TERM
ok $daemon_rc "clean exit"
check "unix socket removed on exit" test ! -e "$SOCK"
done_testing
