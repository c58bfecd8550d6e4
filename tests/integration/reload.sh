#!/bin/sh
# SIGHUP: added, removed and changed instances take effect; an unchanged
# one keeps running without a gap; a bad config keeps the old one running.
. "${top_srcdir:-.}/tests/integration/lib.sh"

write_config "$T/t.conf" <<EOT
[plugin demo keep]
interval = 1s
jitter = 0
retention = test

[plugin demo gone]
interval = 1s
jitter = 0
retention = test

[plugin demo change]
interval = 1s
jitter = 0
retention = test
offset = 100
EOT
start_tallyd "$T/t.conf"
R=$T/rrd/demo
check "three instances write" wait_until 10 test -f "$R/keep/wave.rrd" -a \
    -f "$R/gone/wave.rrd" -a -f "$R/change/wave.rrd"

check "kept instance has a few seconds of history" wait_until 10 sh -c \
    "[ \$(\"$RRDTOOL\" fetch $R/keep/wave.rrd LAST -r 1 -s -60 | grep -c ': [0-9]') -ge 4 ]"
treload=$(date +%s)
write_config "$T/t.conf" <<EOT
[plugin demo keep]
interval = 1s
jitter = 0
retention = test

[plugin demo change]
interval = 1s
jitter = 0
retention = test
offset = 5000
amplitude = 0

[plugin demo added]
interval = 1s
jitter = 0
retention = test
EOT
kill -HUP "$daemon_pid"
check "reload logged kept/stopped/started" \
    wait_until 10 log_has 'reload: 1 instance\(s\) kept, 2 stopped, 2 started'
check "added instance writes" wait_until 10 test -f "$R/added/wave.rrd"
check "changed instance uses its new offset" wait_until 10 sh -c \
    "\"$RRDTOOL\" lastupdate $R/change/wave.rrd | grep -q ': 5000'"
last_gone=$("$RRDTOOL" last "$R/gone/wave.rrd")
t0=$(date +%s)
check "kept instance still writes" wait_until 10 sh -c \
    "[ \$(\"$RRDTOOL\" last $R/keep/wave.rrd) -gt $((t0 + 1)) ]"
ok $([ "$("$RRDTOOL" last "$R/gone/wave.rrd")" -le $((last_gone + 1)) ]; echo $?) \
    "removed instance stopped writing"
# The kept instance was never restarted: one "started" line for it.
n=$(grep -c 'demo.keep: started' "$T/tallyd.log")
ok $([ "$n" -eq 1 ]; echo $?) "kept instance started once ($n)"
# Its series has no gap across the reload: every second is known.
rows=$("$RRDTOOL" fetch "$R/keep/wave.rrd" LAST -r 1 -s $((treload - 3)) -e -2)
gaps=$(echo "$rows" | grep -c nan)
echo "$rows" | sed 's/^/# /'
"$RRDTOOL" last "$R/keep/wave.rrd" | sed 's/^/# last /'; date +%s | sed 's/^/# now /' 
ok $([ "$gaps" -eq 0 ]; echo $?) "kept instance has no gap ($gaps NaN)"

# A bad config: logged, the running one stays.
printf '[daemon]\nread_threads = many\n' >"$T/t.conf"
kill -HUP "$daemon_pid"
check "bad reload logged with file:line" wait_until 10 \
    log_has 't.conf:2:.*read_threads'
check "bad reload keeps the old config" wait_until 10 \
    log_has 'keeping the running configuration'
t1=$(date +%s)
check "still writing after a bad reload" wait_until 10 sh -c \
    "[ \$(\"$RRDTOOL\" last $R/added/wave.rrd) -gt $((t1 + 1)) ]"
ok $(alive; echo $?) "daemon alive"
stop_tallyd TERM
ok $daemon_rc "clean exit"
done_testing
