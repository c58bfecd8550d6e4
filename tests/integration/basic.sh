#!/bin/sh
# The daemon end to end: demo values reach real RRD files that rrdtool reads
# back exactly; selfstat reports; SIGTERM exits 0 and removes the pidfile.
. "${top_srcdir:-.}/tests/integration/lib.sh"

write_config "$T/t.conf" <<EOT
[plugin demo main]
interval = 1s
jitter = 0
retention = test
modulus = 1000
rate = 2

[plugin selfstat self]
interval = 1s
jitter = 0
retention = test
EOT

start_tallyd "$T/t.conf"
check "pidfile written" wait_until 10 test -s "$T/tallyd.pid"
ok $([ "$(cat "$T/tallyd.pid" 2>/dev/null)" = "$daemon_pid" ]; echo $?) \
    "pidfile holds the daemon's pid"
F=$T/rrd/demo/main
check "sawtooth.rrd created" wait_until 10 test -f "$F/sawtooth.rrd"
check "at least 5 sawtooth points stored" \
    wait_until 15 sh -c "[ \$(\"$RRDTOOL\" fetch $F/sawtooth.rrd LAST -r 1 -s -300 | grep -c ': [0-9]') -ge 5 ]"

info=$("$RRDTOOL" info "$F/sawtooth.rrd")
echo "$info" | grep -q '^step = 1$'; ok $? "rrdtool info: step 1"
echo "$info" | grep -q '^ds\[value\].type = "GAUGE"$'; ok $? "rrdtool info: GAUGE"
"$RRDTOOL" info "$F/visits.rrd" | grep -q '^ds\[value\].type = "COUNTER"$'
ok $? "visits is a COUNTER"

# Every stored sawtooth point must equal t mod 1000 at its own time.  The
# first read runs at once, at any moment of its second; from the second
# read on, reads start just after the second, so skip the first point.
rows=$(rrd_rows "$F/sawtooth.rrd" LAST | tail -n +2)
n=$(echo "$rows" | grep -c .)
bad=$(echo "$rows" | awk '{ if ($2 != ($1 % 1000)) print }' | grep -c .)
ok $([ "$n" -ge 4 ] && [ "$bad" -eq 0 ]; echo $?) \
    "sawtooth points equal t mod 1000 ($n rows, $bad wrong)"

# The counter grows by 2 a second: its stored rate is 2 (bar the first).
rates=$(rrd_rows "$F/visits.rrd" AVERAGE | awk '{ print $2 }')
nr=$(echo "$rates" | grep -c .)
badr=$(echo "$rates" | awk '$1 != 2.000000' | grep -c .)
ok $([ "$nr" -ge 3 ] && [ "$badr" -eq 0 ]; echo $?) \
    "visits rate is 2/s ($nr rows, $badr wrong)"

check "selfstat stores values.received" \
    wait_until 10 test -f "$T/rrd/selfstat/self/values.received.rrd"
check "selfstat stores per-instance read times" \
    test -f "$T/rrd/selfstat/self/read.demo.main.msec.rrd"
check "selfstat stores RSS" test -f "$T/rrd/selfstat/self/process.rss.rrd"
rss=$("$RRDTOOL" lastupdate "$T/rrd/selfstat/self/process.rss.rrd" |
    awk -F': ' 'NF == 2 { print int($2) }')
ok $([ "${rss:-0}" -gt 1000000 ]; echo $?) "RSS is plausible ($rss bytes)"

# A second daemon on the same pidfile refuses to start.
"$TALLYD" -f -c "$T/t.conf" >"$T/second.log" 2>&1
rc=$?
ok $([ $rc -ne 0 ] && grep -q 'already running' "$T/second.log"; echo $?) \
    "second tallyd refused: already running"

stop_tallyd TERM
ok $daemon_rc "SIGTERM: exit status 0"
check "pidfile removed on exit" test ! -e "$T/tallyd.pid"
check "shutdown logged its totals" log_has 'stopped: [0-9]+ values received'
done_testing
