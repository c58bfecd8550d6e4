#!/bin/sh
# Issue 5, test 1: "tell us when cooperative revenue is falling".  Yearly
# average agricultural revenue, flat to 2021 and 12% lower each year from
# 2022, PUT at each year's end into a slow-preset series: the change rule
# (this calendar year against the one before) fires exactly one critical
# notice once 2022 is in, none more for 2023 and 2024, and one resolved
# notice when 2025 recovers.  ALERT TEST replays the same from 2012 and
# finds the same two changes; a disabled rule can be tested.
. "${top_srcdir:-.}/tests/integration/lib.sh"
SINK="$top_builddir/tests/tools/webhook-sink"
CTL="$top_builddir/tallyctl"
M=coop.registry.revenue.avg.agriculture

jan1() {	# jan1 YEAR: epoch of 1 January YEAR 00:00 UTC
	y=$(($1 - 1))
	echo $((((y - 1969) * 365 + y / 4 - 492 - y / 100 + 19 + y / 400 - 4) * 86400))
}

"$SINK" -p "$T/port" -o "$T/hook.log" 2>"$T/sink.err" &
extra_pids=$!
wait_until 10 test -s "$T/port" || bail_out "webhook-sink did not start"
PORT=$(cat "$T/port")

cat >"$T/record.sh" <<EOT
#!/bin/sh
echo "\$TALLY_ALERT_EVENT \$TALLY_ALERT_LEVEL \$TALLY_ALERT_VALUE \$TALLY_ALERT_NAME \$TALLY_ALERT_METRIC" >>"$T/exec.log"
EOT
chmod +x "$T/record.sh"

write_config "$T/t.conf" <<EOT
[notify hook]
type = webhook
url = http://127.0.0.1:$PORT/alerts
timeout = 2s
backoff = 200ms

[notify script]
type = exec
command = $T/record.sh
timeout = 5s

[alert coop-falling]
metric = $M
kind = change
window = 1y
compare = 1y
anchor = calendar
every = 1s
warning = -5%
critical = -10%
hysteresis = 2
for = 2
notify = hook, script

[alert coop-high]
metric = $M
critical = 1000000000
every = 1s

[alert coop-off]
metric = coop.*.revenue.avg.agriculture
kind = change
window = 1y
anchor = calendar
critical = -10
enabled = no
EOT
sed -i "s|^datadir = .*|&\nretention = slow|" "$T/t.conf"
start_tallyd "$T/t.conf"
check "socket up" wait_until 10 test -S "$SOCK"

hooks() {	# number of notices the receiver accepted
	grep -c '^200 POST /alerts ' "$T/hook.log" 2>/dev/null || echo 0
}
state() {	# the rule's ALERTS line
	ask ALERTS | grep "^coop-falling "
}
events() {	# number of events in the rule's history
	ask "ALERT HISTORY coop-falling" | head -1 | awk '{ print $2 }'
}
state_has() {	# state_has REGEX: the rule's ALERTS line matches
	state | grep -q "$1"
}
hooks_ge() {
	[ "$(hooks)" -ge "$1" ]
}
execs_ge() {
	[ "$(wc -l <"$T/exec.log" 2>/dev/null || echo 0)" -ge "$1" ]
}

# 2012-2021: flat at 1.55 billion.  Each year's figure at its end.
v=1550000000
puts=""
for y in 2012 2013 2014 2015 2016 2017 2018 2019 2020 2021; do
	puts="$puts $(jan1 $((y + 1))):$v"
done
out=$(ask "PUT $M$puts")
echo "$out" | head -1 | grep -q '^OK 0 accepted=10 refused=0$'
ok $? "PUT ten yearly points 2012-2021"
wait_until 10 state_has '^coop-falling ok [0-9]* 0 .*năm 2021 so với .* năm 2020'
ok $? "evaluated: 2021 against 2020 is 0%, ok ($(state))"
ok $([ "$(hooks)" -eq 0 ]; echo $?) "nothing notified while flat"
high() {
	ask ALERTS | grep -q '^coop-high critical [0-9]* 1550000000 '
}
check "a threshold on yearly figures judges the newest, years old" \
    wait_until 10 high

# 2022: 12% less.
out=$(ask "PUT $M $(jan1 2023):1364000000")
wait_until 10 hooks_ge 1
ok $? "the 2022 fall is notified"
line=$(grep '^200 POST /alerts ' "$T/hook.log" | head -1)
echo "# $line"
for f in '"name":"coop-falling"' "\"metric\":\"$M\"" '"kind":"change"' \
    '"event":"fire"' '"level":"critical"' '"previous":"ok"' \
    '"value":-12,' '"threshold":-10,'; do
	echo "$line" | grep -qF "$f"
	ok $? "webhook JSON has $f"
done
echo "$line" | grep -q ' application/json {'
ok $? "POSTed as application/json"
echo "$line" | grep -q '"message":"thay đổi -12 %: 1,364 tỷ năm 2022 so với 1,55 tỷ năm 2021"'
ok $? "the notice, in Vietnamese, names the years compared, vi-VN numbers"
wait_until 10 grep -q '^fire critical -12 coop-falling ' "$T/exec.log"
ok $? "exec notifier ran with TALLY_ALERT_* ($(cat "$T/exec.log" 2>/dev/null))"
state | grep -q '^coop-falling critical '
ok $? "ALERTS: critical ($(state))"

# 2023 and 2024: still falling, nothing new to say.
ask "PUT $M $(jan1 2024):1200320000 $(jan1 2025):1056281600" >/dev/null
wait_until 10 state_has '^coop-falling critical .*năm 2024 so với'
ok $? "2024 evaluated, still critical ($(state))"
ok $([ "$(events)" = 1 ]; echo $?) "one event in the history ($(events))"

# 2025 recovers: resolved.
ask "PUT $M $(jan1 2026):1109095680" >/dev/null
wait_until 10 hooks_ge 2
ok $? "the recovery is notified"
line=$(grep '^200 POST /alerts ' "$T/hook.log" | sed -n 2p)
echo "$line" | grep -q '"event":"resolve","level":"ok","previous":"critical"'
ok $? "second notice is the resolved one"
wait_until 10 execs_ge 2
ok $([ "$(hooks)" -eq 2 ] && [ "$(wc -l <"$T/exec.log")" -eq 2 ]; echo $?) \
    "exactly two notices in all, on each notifier"
ask "ALERT HISTORY coop-falling" | sed 's/^/# /'
out=$(ask "ALERT HISTORY coop-falling")
echo "$out" | sed -n 2p | grep -q "^[0-9]* coop-falling $M ok critical -12 "
ok $? "history: ok to critical at -12"
echo "$out" | sed -n 3p | grep -q "^[0-9]* coop-falling $M critical ok 5 "
ok $? "history: critical to ok at +5"

# The same from stored history, replayed: when would it have fired?
out=$("$CTL" -s "$SOCK" alert test coop-falling --from 2012-06-01)
echo "$out" | sed 's/^/# /'
ok $([ "$(echo "$out" | grep -c " coop-falling $M ")" -eq 2 ]; echo $?) \
    "tallyctl alert test prints two events"
echo "$out" | sed -n 1p | grep -q "^2023-01-01 [0-9:]* coop-falling $M ok critical -12 "
ok $? "tallyctl prints a date and a plain number"
raw=$(ask "ALERT TEST coop-falling 2012-06-01")
hdr=$(echo "$raw" | head -1)
step=$(echo "$hdr" | sed -n 's/.*step=\([0-9]*\).*/\1/p')
echo "$hdr" | grep -q '^OK 2 events step=[0-9]* series=1$'
ok $? "ALERT TEST: $hdr"
t1=$(echo "$raw" | sed -n 2p | awk '{ print $1 }')
t2=$(echo "$raw" | sed -n 3p | awk '{ print $1 }')
ok $([ "$t1" -ge "$(jan1 2023)" ] && [ "$t1" -le $(($(jan1 2023) + 2 * step)) ]
    echo $?) "replay fires on the 2nd evaluation from 1 Jan 2023 ($t1)"
ok $([ "$t2" -ge "$(jan1 2026)" ] && [ "$t2" -le $(($(jan1 2026) + step)) ]
    echo $?) "replay resolves at the first evaluation from 1 Jan 2026 ($t2)"
ok $([ "$(hooks)" -eq 2 ]; echo $?) "the replay notified nobody"
out=$(ask "ALERT TEST coop-off 2020-01-01")
echo "$out" | head -1 | grep -q '^OK 2 events step=[0-9]* series=1$'
ok $? "a disabled glob rule can be tested ($(echo "$out" | head -1))"
ask ALERTS | grep -q '^coop-off disabled '
ok $? "ALERTS lists the disabled rule"
out=$(ask "ALERT TEST nope 2020-01-01" "ALERT TEST coop-off +1d" "ALERT HISTORY nope")
echo "$out" | sed -n 1p | grep -q '^ERR not-found'; ok $? "unknown rule: not-found"
echo "$out" | sed -n 2p | grep -q '^ERR bad-time'; ok $? "bad from: bad-time"
echo "$out" | sed -n 3p | grep -q '^ERR not-found'; ok $? "history of no rule: not-found"

stop_tallyd
ok $daemon_rc "clean exit"
grep -q "^coop-falling $M ok " "$T/state/alert.state"
ok $? "state file holds the alert"
done_testing
