#!/bin/sh
# SIGTERM loses nothing pending: with a long write delay the values sit in
# the store's memory; after SIGTERM every one of them is in its file.
. "${top_srcdir:-.}/tests/integration/lib.sh"

write_config "$T/t.conf" <<EOT
[plugin demo main]
interval = 1s
jitter = 0
retention = test
EOT
sed -i 's/^\[storage\]/[storage]\nwrite_delay = 1h/' "$T/t.conf"
start_tallyd "$T/t.conf" -v
check "values are being read" wait_until 10 log_has 'demo.main: started'
# Let five seconds of values pile up in memory (time must pass: no file
# or counter can show them, that is the point).
t0=$(date +%s)
sleep 5
check "nothing written yet (held by write_delay)" test ! -e "$T/rrd/demo/main/sawtooth.rrd"
tkill=$(date +%s)
stop_tallyd TERM
ok $daemon_rc "exit 0"
F=$T/rrd/demo/main/sawtooth.rrd
check "file written at shutdown" test -f "$F"
last=$("$RRDTOOL" last "$F" 2>/dev/null || echo 0)
ok $([ "$last" -ge $((tkill - 1)) ]; echo $?) "last value is from the last second before SIGTERM ($last vs $tkill)"
n=$(rrd_rows "$F" LAST -120 | awk -v a="$t0" -v b="$tkill" '$1 + 0 > a + 1 && $1 + 0 < b' | wc -l)
want=$((tkill - t0 - 2))
ok $([ "$n" -ge "$want" ]; echo $?) "every second stored ($n of >= $want)"
bad=$(rrd_rows "$F" LAST -120 | awk '{ if ($2 != ($1 % 1000)) print }' | wc -l)
ok $([ "$bad" -eq 0 ]; echo $?) "stored values are exact"
log_has 'stopped: [0-9]+ values received, [0-9]+ written, 0 dropped'
ok $? "nothing dropped"
done_testing
