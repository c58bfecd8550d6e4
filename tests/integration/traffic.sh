#!/bin/sh
# The traffic plugin end to end on a generated log with malformed lines of
# every kind: the daemon reads it while it is rotated by rename, by
# copytruncate, and by rename while the daemon is stopped; the totals read
# back with rrdtool must equal the lines written, none lost, none doubled.
# The lines are dated over the last hour but written within a minute, so
# those appended after the plugin caught up with the clock are late: the
# checks count hits + late.
. "${top_srcdir:-.}/tests/integration/lib.sh"

GEN="$top_builddir/tools/gen-access-log"
[ -x "$GEN" ] || bail_out "tools/gen-access-log is not built (make check)"
mkdir -p "$T/logs"
L=$T/logs/access.log
F=$T/rrd/traffic/web

# 6000 lines over the last hour: about 3% malformed (all kinds, overlong
# too) and 0.5% dated 2099.  Their zone puts now near local noon, so no
# midnight falls in that hour: everyone online now was also seen today
# (at 00:02 "today" would hold two minutes of visitors, "online" five).
zone=$(printf '%+03d00' $((12 - $(date -u +%k))))
"$GEN" -n 6000 -s 7 -e now -S 3600 -z "$zone" -m 30 -K gbtudsho -F 5 -q \
    >"$T/all.log" 2>"$T/gen.txt"
read -r _ lines _ valid _ malformed _ future <"$T/gen.txt"
chunk() {	# chunk FIRST LAST: those lines of the generated log
	sed -n "$1,$2p" "$T/all.log"
}
last() {	# last METRIC: the raw value last stored (lastupdate)
	"$RRDTOOL" lastupdate "$F/$1.rrd" 2>/dev/null |
	    awk -F': ' 'NF == 2 { v = $2 } END { printf "%d\n", v }'
}
counted() {	# counted N: hits + late + malformed stored so far is N
	[ "$(($(last hits) + $(last late) + $(last malformed)))" -eq "$1" ]
}

write_config "$T/t.conf" <<EOT
[plugin traffic web]
interval = 1s
jitter = 0
preset = test
step = 1s
grace = 0
log = logs/access.log	; relative to this file
visits_start = 143652
EOT

chunk 1 1000 >"$L"
start_tallyd "$T/t.conf"
check "first 1000 lines counted" wait_until 15 counted 1000

# Rename rotation while running; the writer keeps writing to the old file
# for a while (as nginx does until it gets USR1).
chunk 1001 2000 >>"$L"
mv "$L" "$L.1"
chunk 2001 3000 >>"$L.1"
chunk 3001 4000 >"$L"
check "rename rotation: 4000 lines, none lost or doubled" \
    wait_until 15 counted 4000
check "rename was noticed" log_has 'access.log: renamed away'

# copytruncate while running (logrotate shifts .1 to .2 first): part of
# the lines are only in the copy.
chunk 4001 4500 >>"$L"
mv "$L.1" "$L.2" && cp "$L" "$L.1" && : >"$L"
chunk 4501 5000 >>"$L"
check "copytruncate: 5000 lines, none lost or doubled" \
    wait_until 15 counted 5000
check "truncation was noticed" log_has 'access.log: truncated'

# Rename rotation while the daemon is stopped.
stop_tallyd TERM
ok "$daemon_rc" "stopped cleanly"
chunk 5001 5500 >>"$L"
mv "$L" "$L.1"
chunk 5501 6000 >"$L"
start_tallyd "$T/t.conf"
check "restart after a rotation: all $lines lines counted once" \
    wait_until 15 counted 6000

hits=$(last hits)
late=$(last late)
bad=$(last malformed)
ok "$([ $((hits + late)) -eq "$valid" ]; echo $?)" \
    "hits + late stored = well-formed lines written ($hits + $late, $valid)"
ok "$([ "$bad" -eq $((malformed + future)) ]; echo $?)" \
    "malformed stored = malformed + future lines ($bad)"
s=0
for c in 1xx 2xx 3xx 4xx 5xx; do s=$((s + $(last status.$c))); done
ok "$([ "$s" -eq "$hits" ]; echo $?)" "status classes add up to hits ($s)"


visits=$(last visits)
ok "$([ "$(last visits.total)" -eq $((143652 + visits)) ]; echo $?)" \
    "visits.total = visits_start + visits ($visits visits)"
online=$(last online)
today=$(last visitors.day)
ok "$([ "$online" -le "$today" ] && [ "$today" -gt 0 ]; echo $?)" \
    "visitors online now: $online of $today today"
"$RRDTOOL" info "$F/hits.rrd" | grep -q '^ds\[value\].type = "DERIVE"$'
ok $? "hits is a DERIVE"
"$RRDTOOL" info "$F/online.rrd" | grep -q '^ds\[value\].type = "GAUGE"$'
ok $? "online is a GAUGE"
check "malformed lines logged with file and line" \
    log_has 'access\.log(\.1)?:[0-9]+: malformed line \((binary|address|short|time|status|overlong)\)'
check "future lines logged" log_has 'malformed line \(future\)'
# days.tsv is written after the read's figures are submitted: polled.
days_hits() {
	dh=$(awk '!/^#/ { s += $2 } END { print s + 0 }' \
	    "$T/state/traffic/web/days.tsv" 2>/dev/null)
	[ "$dh" -eq "$hits" ]
}
wait_until 10 days_hits
ok $? "days.tsv rows add up to hits ($dh)"
check "no line reported lost" sh -c "! grep -q 'be lost' '$T/tallyd.log'"

# A second restart with nothing new: the totals and the visitor sets stay.
vday=$(last visitors.day)
vyear=$(last visitors.year)
stop_tallyd TERM
start_tallyd "$T/t.conf"
updated_since() {	# updated_since T: online.rrd was updated after time T
	[ "$("$RRDTOOL" last "$F/online.rrd")" -gt "$1" ]
}
t0=$(date +%s)
check "restart with no new lines: reads go on" wait_until 10 updated_since "$t0"
ok "$([ "$(last hits)" -eq "$hits" ]; echo $?)" "... and the totals stay"
ok "$([ "$(last visitors.day)" -eq "$vday" ] &&
    [ "$(last visitors.year)" -eq "$vyear" ]; echo $?)" \
    "... and the unique visitors (sets reloaded: $vday today, $vyear in the year)"
chunk 1 1 | sed 's/^/1.2.3.4 /' >>"$L"
check "one more (malformed) line counted once" wait_until 10 counted 6001
stop_tallyd TERM
done_testing
