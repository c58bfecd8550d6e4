#!/bin/sh
# Issue 13: a replay equals live evaluation.  On the demo registry
# (tools/gen-demo-data, read by the coop plugin) the demo's rule on
# average agricultural revenue (every 10s here, not 1m) fires critical at -12% on 2023-01-01, live;
# ALERT TEST from 1985, 2000 and 2012 answers the same events with the same
# values, and ends at the live alert's level, however far back it starts (it
# used to read a coarser archive over a long span: -11.61% on 2023-01-23).
. "${top_srcdir:-.}/tests/integration/lib.sh"
CTL="$top_builddir/tallyctl"
M=coop.registry.revenue.avg.agriculture

demo_data

write_config "$T/t.conf" <<EOT
$(coop_plugin registry "$D/registry.csv" "interval = 1m")
[alert coop-revenue-falling]
metric = coop.*.revenue.avg.agriculture
kind = change
window = 1y
compare = 1y
anchor = calendar
warning = -5%
critical = -10%
hysteresis = 2
min_base = 100000000
every = 10s
EOT
start_tallyd "$T/t.conf"
check "socket up" wait_until 10 test -S "$SOCK"

live() {	# the rule's ALERTS line once it judged the newest year
	ask ALERTS | grep "^coop-revenue-falling [a-z]* [0-9]* [-0-9.]* $M: "
}
check "the live rule evaluated the demo data" wait_until 150 live
echo "# live: $(live)"
live_level=$(live | awk '{ print $2 }')

# Events as "level value message", one per line, without their times.
replay() {
	ask "ALERT TEST coop-revenue-falling $1" >"$T/replay.$1"
	sed 1d "$T/replay.$1" | cut -d' ' -f1 >"$T/times.$1"
	sed 1d "$T/replay.$1" | cut -d' ' -f2- >"$T/events.$1"
	head -1 "$T/replay.$1"
}
for from in 1985-01-01 2000-01-01 2012-01-01; do
	echo "# from $from: $(replay $from)"
	sed 's/^/#   /' "$T/replay.$from"
done
grep -q "$M ok critical -12 thay đổi -12 %: 1,364 tỷ năm 2022 so với 1,55 tỷ năm 2021$" "$T/events.2012-01-01"
ok $? "from 2012: critical at -12% for 2022 against 2021"
for from in 1985-01-01 2000-01-01; do
	cmp -s "$T/events.2012-01-01" "$T/events.$from"
	ok $? "from $from: the same events and values as from 2012"
	cmp -s "$T/times.2012-01-01" "$T/times.$from"
	ok $? "from $from: at the same times as from 2012"
done
t=$(awk '/ ok critical -12 / { print $1 }' "$T/replay.1985-01-01" | head -1)
ok $([ -n "$t" ] && [ "$t" -ge 1672531200 ] && [ "$t" -lt $((1672531200 + 3600)) ]
    echo $?) "from 1985 it fires within the hour after 2023-01-01 ($t)"
last=$(tail -1 "$T/events.1985-01-01")
echo "$last" | awk -v l="$live_level" '{ exit !($4 == l) }'
ok $? "the replay ends at the live rule's level ($live_level)"

# A bare year is a year, and tallyctl prints dates and plain numbers.
out=$("$CTL" -s "$SOCK" alert test coop-revenue-falling --from 2021)
echo "$out" | sed 's/^/# /'
echo "$out" | grep -q "^2023-01-01 [0-9:]* coop-revenue-falling $M ok critical -12 "
ok $? "tallyctl alert test --from 2021: a local date, -12"
echo "$out" | grep -Eq '[0-9]e[+-][0-9]|\.[0-9]{6}'
ok $([ $? -ne 0 ]; echo $?) "no exponents nor float noise"

stop_tallyd
ok $daemon_rc "clean exit"
done_testing
