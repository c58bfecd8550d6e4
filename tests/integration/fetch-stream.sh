#!/bin/sh
# A long FETCH is sent in parts as the client reads (issue 11): the rows
# are held (8 bytes each), never the whole text.  The parts must add up to
# exactly what rrdtool reads from the file, in request order with the
# answers before and after it (a held PUT's too); clients that never read
# a long answer hold no more than max_output_total, and others are served
# meanwhile.
. "${top_srcdir:-.}/tests/integration/lib.sh"

ROWS=30000
write_config "$T/t.conf" <<EOT
[retention long]
step = 1
heartbeat = 10
rra = AVERAGE:1s:12h
EOT
sed -i "s|^\[storage\]|max_local_clients = 300\nclient_timeout = 300s\nmax_output = 16M\nmax_output_total = 4M\n\n[storage]\nretention = long|" "$T/t.conf"
# Under AddressSanitizer freed memory waits in a quarantine (256 MB by
# default) and would count as held: keep it small so RSS shows our own.
ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=1"
export ASAN_OPTIONS
start_tallyd "$T/t.conf"
check "socket up" wait_until 10 test -S "$SOCK"

# ROWS values one a second, ending 10 s ago: a quarter-step sawtooth with
# negatives and an unknown every 997th.
t1=$(($(date +%s) - 10))
t0=$((t1 - ROWS + 1))
awk -v t0="$t0" -v n="$ROWS" 'BEGIN {
	for (i = 0; i < n; i++) {
		if (i % 1000 == 0)
			printf "%sPUT test.big.v", (i ? "\n" : "")
		v = (i % 997 == 500) ? "U" : sprintf("%.2f", (i % 977) * 0.25 - 100)
		printf " %d:%s", t0 + i, v
	}
	printf "\nFLUSH test.big.v\n"
}' >"$T/put.txt"
"$NC" -U "$SOCK" -w 60000 <"$T/put.txt" >"$T/put.out"
ok $([ "$(grep -c "^OK 0 accepted=1000 refused=0" "$T/put.out")" -eq 30 ] &&
    grep -q '^OK 0 flushed' "$T/put.out"; echo $?) \
    "$ROWS values accepted and flushed"

# The long answer: its header, its rows, each equal to rrdtool's.  As
# rrd_fetch, the span (t0 - 1, t1] gives the rows t0 .. t1 + 1: N = ROWS + 1.
N=$((ROWS + 1))
printf 'FETCH test.big.v %s %s AVERAGE 1\n' $((t0 - 1)) "$t1" |
    "$NC" -U "$SOCK" -w 30000 | tail -n +2 >"$T/fetch.out"
ok $([ "$(head -n 1 "$T/fetch.out")" = "OK $N step=1 cf=AVERAGE" ]; echo $?) \
    "header: OK $N step=1 cf=AVERAGE ($(head -n 1 "$T/fetch.out"))"
ok $([ "$(wc -l <"$T/fetch.out")" -eq $((N + 1)) ]; echo $?) \
    "every row came ($(($(wc -l <"$T/fetch.out") - 1)) of $N)"
"$RRDTOOL" fetch "$T/rrd/test/big/v.rrd" AVERAGE -r 1 -s $((t0 - 1)) \
    -e "$t1" | awk -F': ' 'NF == 2 {
	if ($2 ~ /nan/) v = "U"; else v = sprintf("%.2f", $2)
	print $1 " " v }' >"$T/rrd.txt"
tail -n +2 "$T/fetch.out" | awk '{
	if ($2 == "U") v = "U"; else v = sprintf("%.2f", $2)
	print $1 " " v }' >"$T/ours.txt"
ok $([ -s "$T/rrd.txt" ] && cmp -s "$T/rrd.txt" "$T/ours.txt"; echo $?) \
    "the rows equal rrdtool fetch's, times and values ($(wc -l <"$T/rrd.txt") rows)"
ok $([ "$(grep -c ' U$' "$T/ours.txt")" -eq 31 ]; echo $?) \
    "the 30 unknowns and the row after t1 are U"
# The parts are cut between rows: no line is split or doubled.
ok $(tail -n +2 "$T/fetch.out" | awk -v t="$t0" '$1 != t++ || NF != 2 { exit 1 }'; echo $?) \
    "times run one a second without a gap or a repeat"

# Pipelined: answers keep request order around a long one, a PUT's held
# answer included.
{ printf 'PING\nFETCH test.big.v %s %s AVERAGE 1\nPING\n' $((t0 - 1)) "$t1"
  printf 'PUT test.other.v %s:1\nFETCH test.big.v %s %s AVERAGE 1\nPING\n' \
      "$t1" $((t0 - 1)) "$t1"; } |
    "$NC" -U "$SOCK" -w 30000 | tail -n +2 >"$T/pipe.out"
awk '/^OK|^ERR/ { print NR ": " $0 }' "$T/pipe.out" >"$T/pipe.heads"
want="1: OK 0 PONG
2: OK $N step=1 cf=AVERAGE
$((N + 3)): OK 0 PONG
$((N + 4)): OK 0 accepted=1 refused=0
$((N + 5)): OK $N step=1 cf=AVERAGE
$((2 * N + 6)): OK 0 PONG"
ok $([ "$(cat "$T/pipe.heads")" = "$want" ]; echo $?) \
    "pipelined PING, FETCH, PING, PUT, FETCH, PING answered in order"
ok $([ "$(wc -l <"$T/pipe.out")" -eq $((2 * N + 6)) ]; echo $?) \
    "both long answers whole ($(wc -l <"$T/pipe.out") lines)"

# 256 clients ask for the long answer and never read: what tallyd holds
# for them stays within max_output_total (4M); the rest are told ERR busy.
rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$daemon_pid/status")
hwm0=$(awk '/^VmHWM/ { print $2 }' "/proc/$daemon_pid/status")
nonreaders 256 "FETCH test.big.v $((t0 - 1)) $t1 AVERAGE 1"
check "answers past max_output_total refused" wait_until 60 \
    log_has 'bytes of answers wait for clients; refusing a'
ok $([ "$(ask PING)" = "OK 0 PONG" ]; echo $?) "PING served beside 256 non-readers"
printf 'FETCH test.big.v %s %s AVERAGE 1\n' $((t1 - 99)) "$t1" |
    "$NC" -U "$SOCK" -w 10000 | tail -n +2 >"$T/short.out"
ok $([ "$(wc -l <"$T/short.out")" -eq 101 ]; echo $?) \
    "a short FETCH is answered beside them"
# Every one of them is being sent its answer or was refused (STATS).
settled() {
	ask STATS | awk '$1 == "output.streams" { s = $2 }
	    $1 == "output.refused" { r = $2 } END { exit !(s + r >= 256) }'
}
check "all 256 answered or refused (STATS output.streams + output.refused)" \
    wait_until 60 settled
ask STATS | grep '^output\.' | sed 's/^/# /'
ok $(ask STATS | awk '$1 == "output.bytes" { exit !($2 <= 4 * 1024 * 1024) }'; echo $?) \
    "STATS output.bytes within max_output_total"
# The peak: tallyd's high-water mark with them, against before.
rss1=$(awk '/^VmHWM/ { print $2 }' "/proc/$daemon_pid/status")
grow=$((rss1 - rss0))
echo "# RSS $rss0 kB before the non-readers (peak so far $hwm0 kB), peak $rss1 kB with them"
# 4M of held answers (rows and parts), 64 kB for each of 256 connections
# and 8 MB of allocator slack (or sanitizer redzones): 28 MB, where 256
# answers held as rows would be 61 MB, and as text about 190 MB.
ok $([ "$grow" -lt 28672 ]; echo $?) \
    "tallyd grew by $grow kB with 256 non-readers (budget 4M held + 16M connections + 8M)"
for p in $readers; do kill "$p" 2>/dev/null; done
wait $readers 2>/dev/null
check "the long FETCH is answered again once they are gone" wait_until 20 sh -c \
    "printf 'FETCH test.big.v $((t0 - 1)) $t1 AVERAGE 1\n' | '$NC' -U '$SOCK' -w 10000 | sed -n 2p | grep -q '^OK $N '"
ok $(alive; echo $?) "alive"

stop_tallyd TERM
ok $([ "$daemon_rc" -eq 0 ]; echo $?) "clean stop (exit $daemon_rc)"
done_testing
