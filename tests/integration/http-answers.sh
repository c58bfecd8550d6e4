#!/bin/sh
# Hostile HTTP servers: one sends header lines without end, one a body
# without end, one trickles a byte a second.  A webhook delivery to each
# fails within its timeout with a logged reason, and so does the coop
# plugin's http source; tallyd keeps answering meanwhile.
. "${top_srcdir:-.}/tests/integration/lib.sh"
HOSTILE="$top_builddir/tests/tools/hostile-http"
M=test.hostile.value

for m in headers body trickle; do
	"$HOSTILE" -m $m -p "$T/port.$m" -c "$T/conns.$m" 2>"$T/$m.err" &
	extra_pids="$extra_pids $!"
done
for m in headers body trickle; do
	wait_until 10 test -s "$T/port.$m" || { echo "not ok - hostile-http $m did not start"; exit 1; }
done
P_H=$(cat "$T/port.headers")
P_B=$(cat "$T/port.body")
P_T=$(cat "$T/port.trickle")

write_config "$T/t.conf" <<EOT
[notify heads]
type = webhook
url = http://127.0.0.1:$P_H/hook
timeout = 4s
retries = 0

[notify bodies]
type = webhook
url = http://127.0.0.1:$P_B/hook
timeout = 4s
retries = 0

[notify trickle]
type = webhook
url = http://127.0.0.1:$P_T/hook
timeout = 4s
retries = 0

[alert high]
metric = $M
critical = 100
every = 1s
notify = heads, bodies, trickle

[plugin coop heads]
interval = 1s
jitter = 0
http_timeout = 4
source = http://127.0.0.1:$P_H/registry.csv

[plugin coop trickle]
interval = 1s
jitter = 0
http_timeout = 4
source = http://127.0.0.1:$P_T/registry.csv
EOT
sed -i "s|^datadir = .*|&\nretention = test|" "$T/t.conf"
start_tallyd "$T/t.conf" -v
check "socket up" wait_until 20 test -S "$SOCK"

t0=$(date +%s)
ask "PUT $M $t0:150" >/dev/null
check "the alert fires" wait_until 20 log_has "alert: high $M: fire critical"
check "the trickling receiver got its connection" wait_until 10 \
    test -s "$T/conns.trickle"
# While the trickle goes on, tallyd answers at once.
i=0
pings=0
while [ $i -lt 5 ]; do
	ask PING | grep -q '^OK' && pings=$((pings + 1))
	sleep 0.3
	i=$((i + 1))
done
ok $([ $pings -eq 5 ]; echo $?) "PING answered during the trickle ($pings of 5)"

check "endless head: given up with its reason" wait_until 30 log_has \
    "notify: heads: high $M fire: the answer's head is invalid or longer than 16384 bytes; given up"
check "endless body: given up with its reason" wait_until 30 log_has \
    "notify: bodies: high $M fire: the answer's body is longer than 65536 bytes; given up"
check "trickle: given up at the timeout" wait_until 30 log_has \
    "notify: trickle: high $M fire: no complete answer within the 4000 ms timeout .*; given up"
# Within the deadline: the trickle's failure is logged at most a few
# seconds past the 4 s timeout after the fire (the old code read on as
# long as a byte came every few seconds).
tfire=$(date -d "$(grep "alert: high $M: fire critical" "$T/tallyd.log" | head -1 | cut -c1-23)" +%s)
tfail=$(date -d "$(grep "notify: trickle: high $M fire" "$T/tallyd.log" | head -1 | cut -c1-23)" +%s)
ok $([ $((tfail - tfire)) -le 8 ]; echo $?) \
    "trickle given up $((tfail - tfire)) s after the fire (timeout 4 s)"
stat() {	# stat NAME: its figure in STATS
	ask STATS | awk -v n="$1" '$1 == n { print $2 }'
}
ok $([ "$(stat notify.failed)" = 3 ] && [ "$(stat notify.pending)" = 0 ]; echo $?) \
    "STATS: three failed, none pending"

check "coop: endless head refused with its reason" wait_until 30 log_has \
    "coop\\.heads.*registry.csv: the answer's head is invalid or longer than 16384 bytes"
check "coop: trickle cut at its timeout" wait_until 30 log_has \
    "coop\\.trickle.*registry.csv: no complete answer within the 4 s timeout"
ask PING | grep -q '^OK'
ok $? "still answering"
stop_tallyd
ok $daemon_rc "clean exit"
done_testing
