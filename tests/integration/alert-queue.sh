#!/bin/sh
# A notice that could not be delivered before a stop stays in
# statedir/notify.journal and is delivered by the next start, once, through
# the notifier's settings of then; the alert does not fire again.  The
# stop-time queue of earlier versions (notify.queue) is taken in at start.
. "${top_srcdir:-.}/tests/integration/lib.sh"
SINK="$top_builddir/tests/tools/webhook-sink"
M=test.queue.value

# First a receiver that refuses everything (500).
"$SINK" -f 1000000 -p "$T/port1" -o "$T/hook1.log" 2>"$T/sink1.err" &
sink1=$!
extra_pids=$sink1
wait_until 10 test -s "$T/port1" || bail_out "webhook-sink did not start"

write_config "$T/t.conf" <<EOT
[notify hook]
type = webhook
url = http://127.0.0.1:$(cat "$T/port1")/tally/hook
timeout = 2s
retries = 5
backoff = 1h

[alert high]
metric = $M
critical = 100
every = 1s
notify = hook
EOT
sed -i "s|^datadir = .*|&\nretention = test|" "$T/t.conf"
start_tallyd "$T/t.conf" -v
check "socket up" wait_until 10 test -S "$SOCK"

t=$(date +%s)
ask "PUT $M $t:150" >/dev/null
check "the notice was refused (500)" wait_until 10 \
    grep -q '^500 POST /tally/hook ' "$T/hook1.log"
check "and waits an hour to retry" wait_until 5 \
    log_has "hook: high $M fire: .*retry in 3600000 ms"
stat() {	# stat NAME: its figure in STATS
	ask STATS | awk -v n="$1" '$1 == n { print $2 }'
}
ok $([ "$(stat alert.critical)" = 1 ]; echo $?) "STATS: one alert critical"
ok $([ "$(stat alert.notices)" = 1 ]; echo $?) "STATS: one notice decided"
ok $([ "$(stat notify.retried)" = 1 ] && [ "$(stat notify.pending)" = 1 ] &&
    [ "$(stat notify.delivered)" = 0 ]; echo $?) \
    "STATS: one delivery retried and pending, none delivered"
ok $([ "$(stat alert.evaluations)" -ge 1 ]; echo $?) \
    "STATS: evaluations counted ($(stat alert.evaluations))"
stop_tallyd
ok $daemon_rc "stopped while the notice waits"
Q="$T/state/notify.queue"
J="$T/state/notify.journal"
ok $([ "$(grep -c "^[0-9a-f]\{8\} N 1 hook	high	$M	threshold	fire	critical	ok	150	100	" \
    "$J" 2>/dev/null)" = 1 ]; echo $?) "the notice is in notify.journal"
log_has "1 delivery\\(ies\\) not finished; kept in $J"
ok $? "the stop said so"
id1=$(grep '^500 ' "$T/hook1.log" | head -1 | grep -o '"id":"[^"]*"')

# The receiver moved; the restart sends the notice there, once.
kill "$sink1"
"$SINK" -p "$T/port2" -o "$T/hook2.log" 2>"$T/sink2.err" &
extra_pids="$extra_pids $!"
wait_until 10 test -s "$T/port2" || bail_out "webhook-sink did not restart"
sed -i "s|^url = .*|url = http://127.0.0.1:$(cat "$T/port2")/tally/hook|" \
    "$T/t.conf"
mark=$(wc -l <"$T/tallyd.log")
start_tallyd "$T/t.conf" -v
check "restarted" wait_until 10 test -S "$SOCK"
delivered() {
	grep -c '^200 POST /tally/hook ' "$T/hook2.log" 2>/dev/null || echo 0
}
check "the kept notice reaches the new receiver" wait_until 10 \
    sh -c "grep -q '^200 POST /tally/hook ' '$T/hook2.log'"
ok $([ ! -e "$Q" ]; echo $?) "no notify.queue"
id2=$(grep '^200 ' "$T/hook2.log" | head -1 | grep -o '"id":"[^"]*"')
ok $([ -n "$id1" ] && [ "$id1" = "$id2" ]; echo $?) \
    "the same notice ($id2)"
grep '^200 ' "$T/hook2.log" | head -1 | grep -q '"event":"fire"'
ok $? "a fire notice"
tail -n +"$mark" "$T/tallyd.log" | grep -q "not delivered before the last stop; delivering (notice 1)"
ok $? "the start said it delivers a kept notice"
check "three evaluations after the restart" wait_until 10 \
    sh -c "[ \$(tail -n +$mark '$T/tallyd.log' | grep -c 'alert: high $M: critical: giá trị 150') -ge 3 ]"
ok $([ "$(delivered)" -eq 1 ]; echo $?) "delivered once: $(delivered)"
ok $([ "$(stat notify.delivered)" = 1 ] && [ "$(stat notify.pending)" = 0 ] &&
    [ "$(stat alert.notices)" = 0 ]; echo $?) \
    "STATS: delivered 1, pending 0, no new notice"
tail -n +"$mark" "$T/tallyd.log" | grep -q "alert: high $M: fire"
ok $([ $? -ne 0 ]; echo $?) "the alert did not fire again"

# The queue of an earlier version, damaged: the bad line is named and
# skipped, the good one sent.
stop_tallyd
ok $daemon_rc "clean exit, nothing to keep"
ok $([ ! -e "$Q" ] && [ "$(grep -vc '^#' "$J")" -eq 0 ]; echo $?) \
    "nothing left in the journal, no queue written"
printf '# tallyd notify queue 1\nhook\tbroken\nhook\thigh\t%s\tthreshold\trepeat\tcritical\tcritical\t150\t100\t%s\t%s\tby hand\n' \
    "$M" "$t" "$t" >"$Q"
mark=$(wc -l <"$T/tallyd.log")
start_tallyd "$T/t.conf" -v
check "restarted with a damaged queue" wait_until 10 test -S "$SOCK"
check "the good line is delivered" wait_until 10 \
    sh -c "grep -c '^200 POST /tally/hook ' '$T/hook2.log' | grep -qx 2"
grep '^200 ' "$T/hook2.log" | sed -n 2p | grep -q '"event":"repeat".*"message":"by hand"'
ok $? "as written"
tail -n +"$mark" "$T/tallyd.log" | grep -q "notify.queue:2: not a queued notice; skipped"
ok $? "the bad line is named by its line number"
ok $([ ! -e "$Q" ]; echo $?) "the old queue is removed once journaled"
stop_tallyd
ok $daemon_rc "clean exit"
done_testing
