#!/bin/sh
# Issue 5, test 3: a real HTTP receiver gets the webhook's JSON (fields
# asserted) and a failed POST is retried; an exec notifier that hangs does
# not delay the next evaluation or the other notifier, and is killed at
# its timeout; a restart while the rule fires keeps the alert's state and
# decides nothing twice: only the delivery the stop cut off (the hanging
# program) is made again, with the same notice id.
. "${top_srcdir:-.}/tests/integration/lib.sh"
SINK="$top_builddir/tests/tools/webhook-sink"
M=test.hook.value

"$SINK" -f 1 -p "$T/port" -o "$T/hook.log" 2>"$T/sink.err" &
extra_pids=$!
wait_until 10 test -s "$T/port" || bail_out "webhook-sink did not start"
PORT=$(cat "$T/port")

cat >"$T/hang.sh" <<EOT
#!/bin/sh
echo "\$TALLY_ALERT_EVENT \$TALLY_ALERT_NOTICE_ID" >>"$T/hang.log"
sleep 30
EOT
chmod +x "$T/hang.sh"

write_config "$T/t.conf" <<EOT
[notify hook]
type = webhook
url = http://127.0.0.1:$PORT/tally/hook
timeout = 2s
retries = 3
backoff = 300ms

[notify hang]
type = exec
command = $T/hang.sh
timeout = 6s
retries = 0

[alert high]
metric = $M
critical = 100
every = 1s
notify = hang, hook
EOT
sed -i "s|^datadir = .*|&\nretention = test|" "$T/t.conf"
start_tallyd "$T/t.conf" -v
check "socket up" wait_until 10 test -S "$SOCK"

delivered() {	# notices the receiver answered 200
	grep -c '^200 POST /tally/hook ' "$T/hook.log" 2>/dev/null || echo 0
}
delivered_ge() {
	[ "$(delivered)" -ge "$1" ]
}
hanging() {	# hang.sh children of the daemon still running
	ps -o args= --ppid "$daemon_pid" 2>/dev/null | grep -c "hang.sh"
}

t=$(date +%s)
ask "PUT $M $t:150" >/dev/null
check "the first notice gets through" wait_until 10 delivered_ge 1
grep -q '^500 POST /tally/hook ' "$T/hook.log"
ok $? "the first POST was refused (500) and retried"
b500=$(grep '^500 ' "$T/hook.log" | head -1 | cut -d' ' -f5-)
b200=$(grep '^200 ' "$T/hook.log" | head -1 | cut -d' ' -f5-)
ok $([ "$b500" = "$b200" ]; echo $?) "the retry sent the same document"
echo "# $b200"
for f in '"version":1' '"name":"high"' "\"metric\":\"$M\"" \
    '"kind":"threshold"' '"event":"fire"' '"level":"critical"' \
    '"previous":"ok"' '"value":150,' '"threshold":100,' \
    "\"id\":\"high/$M/critical/" '"message":"giá trị 150 lúc '; do
	echo "$b200" | grep -qF "$f"
	ok $? "JSON has $f"
done
echo "$b200" | grep -qE '"time":[0-9]+,"since":[0-9]+,"host":"[^"]+"}$'
ok $? "JSON has time, since and host"
echo "$b200" | grep -q '^{.*}$' && ! echo "$b200" | grep -q '[[:cntrl:]]'
ok $? "one JSON object on one line"

# The exec notifier hangs; the next change still goes out at once.
check "the exec notifier is hanging" wait_until 5 test "$(hanging)" -ge 1
ask "PUT $M $((t + 1)):50" >/dev/null
check "resolved while the program hangs" wait_until 4 delivered_ge 2
ok $([ "$(hanging)" -ge 1 ]; echo $?) "the program was still running then"
grep '^200 ' "$T/hook.log" | sed -n 2p | grep -q '"event":"resolve"'
ok $? "second notice: resolve"
check "the hanging program is killed at its timeout" \
    wait_until 15 log_has "hang: high $M fire: .*killed after the 6000 ms"

# Fire again, then restart while it fires: nothing is sent twice.
ask "PUT $M $((t + 2)):170" >/dev/null
check "fires again" wait_until 10 delivered_ge 3
# The exec notifier starts on a worker thread: let it begin before the
# stop, or the stop could end it before it writes its line.
check "the exec notifier started for it" wait_until 10 sh -c \
    "[ \$(wc -l <'$T/hang.log') -ge 3 ]"
since=$(ask ALERTS | awk '$1 == "high" { print $3 }')
ask ALERTS | grep -q '^high critical '
ok $? "ALERTS: high critical since $since"
stop_tallyd
ok $daemon_rc "stopped while firing"
grep -q "^high $M critical $since " "$T/state/alert.state"
ok $? "state file: critical since $since"
mark=$(wc -l <"$T/tallyd.log")
start_tallyd "$T/t.conf" -v
check "restarted" wait_until 10 test -S "$SOCK"
after() {	# evaluations at critical since the restart
	tail -n +"$mark" "$T/tallyd.log" | grep -c "alert: high $M: critical: giá trị 170"
}
after_ge() {
	[ "$(after)" -ge "$1" ]
}
check "three evaluations after the restart" wait_until 10 after_ge 3
ok $([ "$(delivered)" -eq 3 ]; echo $?) "receiver count unchanged: $(delivered)"
check "the delivery the stop cut off runs again" wait_until 10 sh -c \
    "[ \$(wc -l <'$T/hang.log') -eq 4 ]"
ok $([ "$(sed -n 3p "$T/hang.log")" = "$(sed -n 4p "$T/hang.log")" ] &&
    [ "$(cut -d' ' -f2 "$T/hang.log" | sort -u | wc -l)" -eq 3 ]; echo $?) \
    "with the same notice id; three notices in all ($(tr '\n' ' ' <"$T/hang.log"))"
ask ALERTS | grep -q "^high critical $since 170 "
ok $? "ALERTS after restart: still critical since $since"
out=$(ask "ALERT HISTORY high")
echo "$out" | head -1 | grep -q '^OK 3 events$'
ok $? "history kept across the restart (3 events)"
tail -n +"$mark" "$T/tallyd.log" | grep -q "1 of 1 saved alert states restored"
ok $? "the saved state was restored"

# A reload keeps the alerts of the rules it keeps.
cat >>"$T/t.conf" <<EOT

[alert other]
metric = $M
critical = 1000
enabled = no
EOT
mark=$(wc -l <"$T/tallyd.log")
kill -HUP "$daemon_pid"
reloaded() {
	ask ALERTS | grep -q '^other disabled '
}
check "reload adds a disabled rule" wait_until 10 reloaded
check "two evaluations after the reload" wait_until 10 after_ge 2
ask ALERTS | grep -q "^high critical $since 170 "
ok $? "after the reload: still critical since $since"
ok $([ "$(delivered)" -eq 3 ]; echo $?) "nothing sent again on reload"
stop_tallyd
ok $daemon_rc "clean exit"
done_testing
