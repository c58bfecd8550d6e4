#!/bin/sh
# [storage] rrdcached: files are created and updated through a real
# rrdcached; SIGTERM makes rrdcached flush them to disk.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v "$RRDCACHED" >/dev/null 2>&1 || [ -x "$RRDCACHED" ] ||
    skip_all "rrdcached not installed"

# -w 3600: rrdcached holds values an hour, so only a flush puts them on disk.
"$RRDCACHED" -g -l "unix:$T/rrdcached.sock" -p "$T/rrdcached.pid" \
    -j "$T/journal" -w 3600 -z 1 -F >"$T/rrdcached.log" 2>&1 &
extra_pids=$!
mkdir -p "$T/journal"
check "rrdcached listening" wait_until 10 test -S "$T/rrdcached.sock"

write_config "$T/t.conf" <<EOT
[plugin demo main]
interval = 1s
jitter = 0
retention = test
EOT
sed -i "s|^\[storage\]|[storage]\nrrdcached = unix:$T/rrdcached.sock|" "$T/t.conf"
start_tallyd "$T/t.conf"
F=$T/rrd/demo/main/sawtooth.rrd
check "file created through rrdcached" wait_until 10 test -f "$F"
# A fetch with --daemon makes rrdcached flush the file first: after one,
# the disk holds what rrdcached had; then new values must stay in its cache.
check "rrdcached has our updates (read with --daemon)" wait_until 10 sh -c \
    "[ \$(\"$RRDTOOL\" fetch --daemon unix:$T/rrdcached.sock $F LAST -r 1 -s -60 | grep -c ': [0-9]') -ge 3 ]"
last1=$("$RRDTOOL" last "$F")
# Three more seconds of values (time must pass; no query may flush them).
sleep 3
last2=$("$RRDTOOL" last "$F")
ok $([ "$last2" -le $((last1 + 1)) ]; echo $?) "new values held by rrdcached, not on disk ($last1 -> $last2)"
last3=$("$RRDTOOL" lastupdate --daemon "unix:$T/rrdcached.sock" "$F" | awk -F: 'NF == 2 { print $1 }')
ok $([ "$last3" -ge $((last1 + 2)) ]; echo $?) "rrdcached has them ($last3)"
tkill=$(date +%s)
stop_tallyd TERM
ok $daemon_rc "tallyd exit 0"
last=$("$RRDTOOL" last "$F")
ok $([ "$last" -ge $((tkill - 2)) ]; echo $?) "flushed to disk at shutdown ($last vs $tkill)"
bad=$(rrd_rows "$F" LAST -120 | awk '{ if ($2 != ($1 % 1000)) print }' | wc -l)
n=$(rrd_rows "$F" LAST -120 | wc -l)
ok $([ "$n" -ge 4 ] && [ "$bad" -eq 0 ]; echo $?) "values on disk exact ($n rows)"
done_testing
