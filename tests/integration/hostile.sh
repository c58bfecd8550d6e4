#!/bin/sh
# Hostile and careless clients: oversized lines, binary garbage, slow
# senders, clients that vanish mid-GRAPH or never read, too many clients,
# idle ones.  None of them crashes the daemon or disturbs another client.
. "${top_srcdir:-.}/tests/integration/lib.sh"

write_config "$T/t.conf" <<EOT
[plugin demo main]
interval = 1s
jitter = 0
retention = test
EOT
sed -i "s|^\[storage\]|max_local_clients = 8\nclient_timeout = 2s\nmax_output = 1000000\n\n[storage]|" "$T/t.conf"
start_tallyd "$T/t.conf"
check "socket up" wait_until 10 test -S "$SOCK"
check "demo data flowing" wait_until 10 test -f "$T/rrd/demo/main/wave.rrd"

# A line longer than the limit: an error, then the server closes.
{ head -c 70000 /dev/zero | tr '\0' 'A'; printf '\nPING\n'; } |
    "$NC" -U "$SOCK" -w 5000 >"$T/long.out"
sed -n 2p "$T/long.out" | grep -q '^ERR limit line longer than 65536'
ok $? "overlong line: ERR limit"
ok $([ "$(wc -l <"$T/long.out")" -eq 2 ]; echo $?) "and the connection is closed"

# Binary garbage gets error lines, never a crash.
head -c 4000 /dev/urandom | "$NC" -U "$SOCK" -w 3000 >"$T/bin.out"
n=$(grep -c '^ERR ' "$T/bin.out")
ok $([ "$n" -ge 1 ]; echo $?) "binary garbage answered with errors ($n)"
ok $(alive; echo $?) "alive after garbage"

# A slow sender (one byte every 20 ms) is served.
out=$(printf 'PING\n' | "$NC" -U "$SOCK" -d 20 -w 3000 | tail -1)
ok $([ "$out" = "OK 0 PONG" ]; echo $?) "slow sender served"

# Three seconds of random bytes from four clients at once while a fifth
# keeps asking PING: every PING is answered.
end=$(($(date +%s) + 3))
for i in 1 2 3 4; do
	( while [ "$(date +%s)" -lt "$end" ]; do
		head -c 20000 /dev/urandom | "$NC" -U "$SOCK" -w 200 >/dev/null 2>&1
	done ) &
	extra_pids="$extra_pids $!"
done
pings=0
good=0
while [ "$(date +%s)" -lt "$end" ]; do
	pings=$((pings + 1))
	[ "$(ask PING)" = "OK 0 PONG" ] && good=$((good + 1))
done
wait $extra_pids 2>/dev/null
extra_pids=
ok $([ "$pings" -gt 3 ] && [ "$good" -eq "$pings" ]; echo $?) \
    "PING answered through the noise ($good of $pings)"
ok $(alive; echo $?) "alive after the noise"

# Clients that vanish mid-GRAPH: the render is dropped, nobody crashes.
# Each keeps its connection until its render is done (a client that only
# shut its sending side still reads), so fewer than max_local_clients (8)
# vanish, or the next GRAPH would be refused a connection while renders
# are slow (ASan on a loaded machine).
nvanish=6
i=0
while [ $i -lt $nvanish ]; do
	printf 'GRAPH metric=demo.main.wave start=-1h width=%d\n' $((400 + i)) |
	    "$NC" -U "$SOCK" -c
	i=$((i + 1))
done
# It waits behind their renders.
printf 'GRAPH metric=demo.main.wave start=-1h width=500\n' |
    "$NC" -U "$SOCK" -w 120000 | sed -n 2p | grep -q '^DATA [0-9]* image/png'
ok $? "GRAPH works after $nvanish clients vanished mid-GRAPH"
ok $(alive; echo $?) "alive after vanishing clients"

# A client that never reads its answers is cut off: past max_output when
# it asks for more, or after client_timeout (2 s) of nothing read, which
# comes first when serving its FETCHes one after the other is slow (ASan
# on a loaded machine).  It stays (-w 60000) until then.
i=0
while [ $i -lt 200 ]; do echo "FETCH demo.main.wave -1h now AVERAGE"; i=$((i + 1)); done |
    "$NC" -U "$SOCK" -n -w 60000 &
slow=$!
extra_pids="$extra_pids $slow"
check "slow reader cut off" wait_until 60 \
    log_has 'bytes of answers unread; cut off|bytes of answers unread for [0-9]+ ms; closing'
kill "$slow" 2>/dev/null
wait $slow 2>/dev/null
ok $([ "$(ask PING)" = "OK 0 PONG" ]; echo $?) "others still served"

# An answer larger than max_output (1000000 bytes) is refused when it is
# made, not queued: 40 h of 1 s rows is about 2 MB.
printf 'FETCH demo.main.wave -40h now AVERAGE 1\n' |
    "$NC" -U "$SOCK" -w 20000 >"$T/big.out"
sed -n 2p "$T/big.out" | grep -q '^ERR limit answer of [0-9]* [a-z]* is over max_output (1000000'
ok $? "an answer larger than max_output is refused: $(sed -n 2p "$T/big.out" | cut -c1-60)"
ok $([ "$(wc -c <"$T/big.out")" -lt 10000 ]; echo $?) "and nothing of it is sent"

# A client that trickles bytes (so it is never idle) but reads none of a
# big answer is closed after client_timeout of no progress, long before
# its input ends (20 s).
{ printf 'FETCH demo.main.wave -10h now AVERAGE 1\n'; head -c 200 /dev/zero |
    tr '\0' 'P'; } | "$NC" -U "$SOCK" -n -d 100 -w 100 >/dev/null 2>&1 &
trickle=$!
extra_pids="$extra_pids $trickle"
check "a non-reader that keeps sending is closed" wait_until 14 \
    sh -c "! kill -0 $trickle 2>/dev/null"
ok $([ "$(ask PING)" = "OK 0 PONG" ]; echo $?) "others still served"

# Idle clients are closed after client_timeout (2 s).
t0=$(date +%s)
sleep 30 | "$NC" -U "$SOCK" -w 100 >/dev/null &
idle=$!
extra_pids=$idle
check "idle client closed by the server" wait_until 8 sh -c "! kill -0 $idle"
t1=$(date +%s)
ok $([ $((t1 - t0)) -le 6 ]; echo $?) "closed within the timeout ($((t1 - t0)) s)"

# max_local_clients = 8: the ninth is refused with a clear error.  The eight
# holders keep busy (PING every 300 ms) so the idle timeout spares them, and
# the ninth knocks only once all eight have been greeted: a ninth that raced
# ahead of a holder would take its place instead.
for i in 1 2 3 4 5 6 7 8; do
	"$NC" -U "$SOCK" -k 300 >"$T/hold.$i" &
	extra_pids="$extra_pids $!"
done
check "eight clients connected and greeted" wait_until 20 sh -c \
    "[ \$(grep -l '^OK 0 tallyd' \"$T\"/hold.? | wc -l) -eq 8 ]"
"$NC" -U "$SOCK" -w 5000 </dev/null >"$T/ninth.out"
grep -q '^ERR limit too many connections' "$T/ninth.out"
ok $? "the ninth connection is refused: too many"
ok $(alive; echo $?) "alive with a full house"
for p in $extra_pids; do kill "$p" 2>/dev/null; done
check "a place is free once a holder leaves" wait_until 10 sh -c \
    "\"$NC\" -U \"$SOCK\" -w 2000 </dev/null | grep -q '^OK 0 tallyd'"

stop_tallyd TERM
ok $daemon_rc "clean exit"
done_testing
