#!/bin/sh
# Alert notices survive kill -9.  Receivers are down (the webhook answers
# 500, the program exits 1) while rules fire; tallyd is killed with
# SIGKILL at random moments after values that fire an alert, and after
# deliveries failed; it restarts each time.  Then the receivers come up.
# Every notice decided is delivered at least once through each notifier,
# a repeat carries the same notice_id, no alert is decided twice, and a
# notice delivered before a kill -9 is not delivered again.
. "${top_srcdir:-.}/tests/integration/lib.sh"
SINK="$top_builddir/tests/tools/webhook-sink"
ROUNDS=${ALERT_CRASH_ROUNDS:-6}

# The webhook receiver of the down time: refuses everything.
"$SINK" -f 1000000 -p "$T/port1" -o "$T/hook1.log" 2>"$T/sink1.err" &
sink1=$!
extra_pids=$sink1
check "first receiver listening" wait_until 10 test -s "$T/port1"

cat >"$T/prog.sh" <<EOT
#!/bin/sh
[ -e "$T/down" ] && exit 1
echo "\$TALLY_ALERT_METRIC \$TALLY_ALERT_EVENT \$TALLY_ALERT_NOTICE_ID" >>"$T/prog.log"
EOT
chmod +x "$T/prog.sh"
touch "$T/down"

conf() {	# conf PORT
	write_config "$T/t.conf" <<EOT
[notify hook]
type = webhook
url = http://127.0.0.1:$1/tally/hook
timeout = 2s
retries = 20
backoff = 500ms

[notify prog]
type = exec
command = $T/prog.sh
timeout = 5s
retries = 20
backoff = 500ms

[alert high]
metric = test.crash.*
critical = 100
every = 1s
notify = hook, prog
EOT
	sed -i "s|^datadir = .*|&\nretention = test|" "$T/t.conf"
}
conf "$(cat "$T/port1")"
J=$T/state/notify.journal

up() {	# wait until tallyd answers on its socket
	wait_until 30 sh -c "printf 'PING\n' | '$NC' -U '$SOCK' -w 2000 | grep -q '^OK'"
}
kill9() {
	kill -KILL "$daemon_pid" 2>/dev/null
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
}
fired() {	# distinct series whose fire was decided (history)
	grep -h ' ok critical ' "$T/state/alert.history" 2>/dev/null |
	    awk '{ print $3 }' | sort -u
}

start_tallyd "$T/t.conf" -v
check "tallyd up" up

# Round 0, the case of the issue: fire, let both deliveries fail, kill -9.
t=$(date +%s)
ask "PUT test.crash.s0 $t:150" >/dev/null
check "round 0: the alert fires" wait_until 20 log_has \
    "alert: high test.crash.s0: fire critical"
check "round 0: both deliveries failed and wait to retry" wait_until 20 sh -c \
    "grep -q 'hook: high test.crash.s0 fire: HTTP status 500; retry' '$T/tallyd.log' &&
     grep -q 'prog: high test.crash.s0 fire: .*exit status 1; retry' '$T/tallyd.log'"
ok $([ "$(grep -c ' N [0-9]* \(hook\|prog\)	high	test.crash.s0	' "$J")" -eq 2 ]; echo $?) \
    "round 0: both deliveries are in the journal"
kill9

# Rounds 1..: a new series fires; kill -9 somewhere in the next 1.5 s.
r=1
while [ $r -le "$ROUNDS" ]; do
	start_tallyd "$T/t.conf" -v
	up || echo "# round $r: tallyd did not come up"
	t=$(date +%s)
	ask "PUT test.crash.s$r $t:150" >/dev/null
	ms=$(awk -v s="$$$r" 'BEGIN { srand(s); printf "%d", rand() * 1500 }')
	sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	kill9
	echo "# round $r: kill -9 after $ms ms"
	r=$((r + 1))
done

# Receivers up: a new webhook receiver, the program succeeds.
kill "$sink1"
"$SINK" -p "$T/port2" -o "$T/hook2.log" 2>"$T/sink2.err" &
extra_pids="$extra_pids $!"
check "second receiver listening" wait_until 10 test -s "$T/port2"
conf "$(cat "$T/port2")"
rm -f "$T/down"
start_tallyd "$T/t.conf" -v
check "tallyd up with the receivers up" up
# Every series fired (the last rounds' too, decided after the restart).
check "every series has fired" wait_until 30 sh -c \
    "[ \$(grep -h ' ok critical ' '$T/state/alert.history' | awk '{ print \$3 }' | sort -u | wc -l) -eq $((ROUNDS + 1)) ]"
hooked() {	# distinct series with a fire delivered to the webhook
	grep '^200 POST /tally/hook ' "$T/hook2.log" 2>/dev/null |
	    grep -o '"metric":"[^"]*","kind":"[^"]*","event":"fire"' |
	    sort -u | wc -l
}
progged() {
	awk '$2 == "fire" { print $1 }' "$T/prog.log" 2>/dev/null | sort -u |
	    wc -l
}
check "every fire delivered to the webhook" wait_until 60 sh -c \
    "[ \$(grep '^200 POST' '$T/hook2.log' | grep -o '\"metric\":\"[^\"]*\",\"kind\":\"[^\"]*\",\"event\":\"fire\"' | sort -u | wc -l) -eq $((ROUNDS + 1)) ]"
check "every fire delivered to the program" wait_until 60 sh -c \
    "[ \$(awk '\$2 == \"fire\" { print \$1 }' '$T/prog.log' | sort -u | wc -l) -eq $((ROUNDS + 1)) ]"
echo "# webhook: $(hooked) series, $(grep -c '^200 POST' "$T/hook2.log") deliveries; program: $(progged) series, $(wc -l <"$T/prog.log") deliveries"

# One notice per series: every delivery of a series' fire has one id,
# and the refused attempts before the crash had that id too.
ids_per_series() {	# FILE...: "metric n_ids" for fire notices
	cat "$@" | grep -o '"notice_id":"[^"]*","name":"high","metric":"[^"]*","kind":"[^"]*","event":"fire"' |
	    sed 's/"notice_id":"\([^"]*\)".*"metric":"\([^"]*\)".*/\2 \1/' |
	    sort -u | awk '{ n[$1]++ } END { for (m in n) print m, n[m] }'
}
bad=$(ids_per_series "$T/hook1.log" "$T/hook2.log" | awk '$2 != 1')
ok $([ -z "$bad" ]; echo $?) "webhook: one notice_id per fire, across the kills ($bad)"
bad=$(awk '$2 == "fire" { print $1, $3 }' "$T/prog.log" | sort -u |
    awk '{ n[$1]++ } END { for (m in n) if (n[m] != 1) print m, n[m] }')
ok $([ -z "$bad" ]; echo $?) "program: one notice_id per fire ($bad)"
hid=$(grep -o '"notice_id":"[^"]*","name":"high","metric":"test.crash.s0"' "$T/hook2.log" | head -1 | cut -d'"' -f4)
pid=$(awk '$1 == "test.crash.s0" { print $3; exit }' "$T/prog.log")
ok $([ -n "$hid" ] && [ "$hid" = "$pid" ]; echo $?) \
    "round 0's notice has one id for both notifiers ($hid, $pid)"
n=$(grep -c 'alert: high test.crash.s0: fire critical' "$T/tallyd.log")
ok $([ "$n" -eq 1 ]; echo $?) "round 0's alert was decided once ($n)"

# Delivered, then kill -9: the journal says so; nothing is sent again.
check "the journal has every delivery done" wait_until 20 sh -c \
    "[ \$(grep -c ' N ' '$J') -le \$(grep -c ' D ' '$J') ] || [ \$(grep -vc '^#' '$J') -eq 0 ]"
h=$(grep -c '^200 POST' "$T/hook2.log")
p=$(wc -l <"$T/prog.log")
kill9
mark=$(wc -l <"$T/tallyd.log")
start_tallyd "$T/t.conf" -v
check "restarted after the last kill -9" up
check "three evaluations after it" wait_until 20 sh -c \
    "[ \$(tail -n +$mark '$T/tallyd.log' | grep -c 'alert: high test.crash.s0: critical') -ge 3 ]"
ok $([ "$(grep -c '^200 POST' "$T/hook2.log")" -eq "$h" ] &&
    [ "$(wc -l <"$T/prog.log")" -eq "$p" ]; echo $?) \
    "nothing delivered again ($h webhook, $p program)"
tail -n +"$mark" "$T/tallyd.log" | grep -q 'delivering (notice'
ok $([ $? -ne 0 ]; echo $?) "the start found nothing to deliver"

# A damaged journal: a torn last record and a bad checksum are logged
# with their offsets; the records before them still count.
stop_tallyd
ok $daemon_rc "clean exit"
printf '%s\n' "00000000 N 99 hook	bad" >>"$J"
printf '%s' "1234abcd N 100 hook	tor" >>"$J"
mark=$(wc -l <"$T/tallyd.log")
start_tallyd "$T/t.conf" -v
check "restarted with a damaged journal" up
tail -n +"$mark" "$T/tallyd.log" | grep -q "notify.journal: offset [0-9]*: checksum mismatch; record skipped"
ok $? "the bad checksum is logged with its offset"
tail -n +"$mark" "$T/tallyd.log" | grep -q "notify.journal: torn last record at offset [0-9]* (23 bytes) ignored"
ok $? "the torn tail is logged with its offset"
stop_tallyd
ok $daemon_rc "clean exit"
done_testing
