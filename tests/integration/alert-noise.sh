#!/bin/sh
# Issue 5, test 2: a noisy series around a threshold does not flap, and
# "for" and hysteresis behave as documented, live and in ALERT TEST.
# - stored noise (99/101 around > 100, then 120 for ten seconds, then
#   97/104): replayed with for = 3 and hysteresis 5 it fires once and
#   never clears; the same rule without them flaps on every point;
# - live, for = 3: two evaluations see 120 at ok, the third fires; 97
#   stays within the hysteresis; 94 resolves.
. "${top_srcdir:-.}/tests/integration/lib.sh"

write_config "$T/t.conf" <<EOT
[alert steady]
metric = test.noise.hist
critical = 100
for = 3
hysteresis = 5
every = 1s
enabled = no

[alert flappy]
metric = test.noise.hist
critical = 100
every = 1s
enabled = no

[alert live]
metric = test.noise.live
warning = 100
for = 3
hysteresis = 5%
every = 1s
EOT
sed -i "s|^datadir = .*|&\nretention = test|" "$T/t.conf"
start_tallyd "$T/t.conf" -v
check "socket up" wait_until 10 test -S "$SOCK"

# 120 seconds of history ending 40 seconds ago.
now=$(date +%s)
t0=$((now - 160))
puts=""
i=0
while [ $i -lt 120 ]; do
	if [ $i -lt 60 ]; then v=$((i % 2 ? 99 : 101))
	elif [ $i -lt 70 ]; then v=120
	else v=$((i % 2 ? 97 : 104)); fi
	puts="$puts $((t0 + i)):$v"
	i=$((i + 1))
done
out=$(ask "PUT test.noise.hist$puts")
echo "$out" | head -1 | grep -q '^OK 0 accepted=120 refused=0$'
ok $? "PUT 120 noisy points"

out=$(ask "ALERT TEST steady $((t0 - 5))")
echo "$out" | sed 's/^/# /'
echo "$out" | head -1 | grep -q '^OK 1 events step=1 series=1$'
ok $? "for = 3, hysteresis 5: one event in the replay"
ft=$(echo "$out" | sed -n 2p | awk '{ print $1 }')
ok $([ "$ft" = $((t0 + 62)) ]; echo $?) \
    "fired on the third second of 120 ($ft = t0 + $((ft - t0)))"
echo "$out" | sed -n 2p | grep -q ' test.noise.hist ok critical 120 '
ok $? "ok to critical at 120; 97..104 never clears it"
out=$(ask "ALERT TEST flappy $((t0 - 5))")
n=$(echo "$out" | head -1 | awk '{ print $2 }')
ok $([ "$n" -ge 100 ]; echo $?) "without for and hysteresis it flaps ($n events)"

# Live: 120, seen twice at ok, fires on the third evaluation.
evals() {	# evals LEVEL VALUE: evaluations logged at that level and value
	grep -c "alert: live test.noise.live: $1: giá trị $2 lúc" "$T/tallyd.log"
}
fired() {
	grep -q "alert: live test.noise.live: fire warning" "$T/tallyd.log"
}
ge() {	# ge N LEVEL VALUE
	[ "$(evals "$2" "$3")" -ge "$1" ]
}
t=$(date +%s)
ask "PUT test.noise.live $t:120" >/dev/null
check "live rule fires" wait_until 10 fired
ok $([ "$(evals ok 120)" -eq 2 ]; echo $?) \
    "two evaluations saw 120 and waited (for = 3): $(evals ok 120)"
ask "PUT test.noise.live $((t + 1)):97" >/dev/null
check "97 evaluated" wait_until 10 ge 2 warning 97
ask ALERTS | grep -q '^live warning '
ok $? "97 is within 5% of 100: still warning"
ask "PUT test.noise.live $((t + 2)):94" >/dev/null
check "94 evaluated" wait_until 10 ge 1 ok 94
out=$(ask "ALERT HISTORY live")
echo "$out" | sed 's/^/# /'
echo "$out" | head -1 | grep -q '^OK 2 events$'
ok $? "live history: fired once, resolved once"
echo "$out" | sed -n 3p | grep -q ' warning ok 94 '
ok $? "resolved at 94, below 100 - 5%"

stop_tallyd
ok $daemon_rc "clean exit"
done_testing
