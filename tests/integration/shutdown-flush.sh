#!/bin/sh
# SIGTERM while FETCH, INFO and GRAPH (and HTTP series and graph
# requests) wait for their flush: the writer is
# stuck on a stopped rrdcached, so each query waits for the flush of its
# file; the stop must run those flush completions before it takes the
# query pool away.  tallyd exits 0, without a crash, once rrdcached goes on.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v "$RRDCACHED" >/dev/null 2>&1 || [ -x "$RRDCACHED" ] ||
    skip_all "rrdcached not installed"

mkdir -p "$T/journal"
"$RRDCACHED" -g -l "unix:$T/rrdcached.sock" -p "$T/rrdcached.pid" \
    -j "$T/journal" -w 3600 -z 1 -F >"$T/rrdcached.log" 2>&1 &
rrdc=$!
extra_pids=$rrdc
check "rrdcached listening" wait_until 10 test -S "$T/rrdcached.sock"

write_config "$T/t.conf" <<EOT
[plugin demo main]
interval = 1s
jitter = 0
retention = test

[http]
listen = 127.0.0.1:@PORT@
EOT
sed -i "s|^\[storage\]|[storage]\nrrdcached = unix:$T/rrdcached.sock|" \
    "$T/t.conf"
check "tallyd started on a free port" start_tallyd_port "$T/t.conf" -v
U="http://127.0.0.1:$PORT"
F=$T/rrd/demo/main/wave.rrd
check "file created through rrdcached" wait_until 20 test -f "$F"
check "a FETCH answers while rrdcached runs" wait_until 20 sh -c \
    "printf 'FETCH demo.main.wave -60 now LAST\n' | '$NC' -U '$SOCK' -w 10000 | grep -q '^OK'"

# rrdcached stops answering: the next flush of the writer hangs.
kill -STOP "$rrdc"
# New values reach the writer, which sends them and waits for an answer.
sleep 2
i=0
while [ $i -lt 6 ]; do
	printf 'FETCH demo.main.wave -60 now LAST\nINFO demo.main.wave\nGRAPH metric=demo.main.wave start=-1h width=%d\n' \
	    $((400 + i)) | "$NC" -U "$SOCK" -w 60000 >"$T/q$i.out" 2>&1 &
	extra_pids="$extra_pids $!"
	if command -v curl >/dev/null 2>&1; then
		curl -s -m 60 -o "$T/h$i.out" \
		    "$U/api/v1/series?metric=demo.main.wave&start=-60s&cf=LAST" &
		extra_pids="$extra_pids $!"
		curl -s -m 60 -o "$T/g$i.png" \
		    "$U/graph?metric=demo.main.wave&start=-1h&width=$((300 + i))" &
		extra_pids="$extra_pids $!"
	fi
	i=$((i + 1))
done
check "the queries wait for their flush" wait_until 20 sh -c \
    "[ \$(cat $T/q*.out 2>/dev/null | grep -c '^OK 0 tallyd') -eq 6 ]"
sleep 1
ok $([ "$(cat "$T"/q*.out | wc -l)" -eq 6 ]; echo $?) \
    "no query answered but the greetings ($(cat "$T"/q*.out | wc -l) lines)"
if command -v curl >/dev/null 2>&1; then
	ok $([ "$(cat "$T"/h*.out "$T"/g*.png 2>/dev/null | wc -c)" -eq 0 ]; echo $?) \
	    "no HTTP series or graph answered either"
fi
sleep 1		# the writer is inside its rrdcached exchange
kill -TERM "$daemon_pid"
check "tallyd is stopping (its listeners are closed)" wait_until 20 \
    log_has 'shutting down'
sleep 1
kill -CONT "$rrdc"
pid=$daemon_pid
wait_until 90 sh -c "! kill -0 $pid" ||
    { kill -KILL "$pid"; echo "# tallyd did not exit"; }
wait "$pid"
rc=$?
daemon_pid=
ok $([ "$rc" -eq 0 ]; echo $?) "tallyd exit 0 (got $rc)"
log_has 'stopped: [0-9]+ values received'
ok $? "the stop finished"
grep -qE 'AddressSanitizer|runtime error|Segmentation|Assertion|fatal' \
    "$T/tallyd.log"
ok $([ $? -ne 0 ]; echo $?) "no crash or sanitizer report in the log"
done_testing
