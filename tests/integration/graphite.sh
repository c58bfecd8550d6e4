#!/bin/sh
# [graphite]: a real collectd 5 (write_graphite) sends to tallyd's
# plaintext listener, its values land in RRD files rrdtool reads; hostile
# lines are refused and counted, never stopping the listener; connection
# cap, idle timeout and max_series hold.
. "${top_srcdir:-.}/tests/integration/lib.sh"

COLLECTD=${COLLECTD:-/usr/sbin/collectd}
CDLIB=${COLLECTD_PLUGINS:-/usr/lib/collectd}
[ -x "$COLLECTD" ] && [ -f "$CDLIB/write_graphite.so" ] &&
    [ -f "$CDLIB/unixsock.so" ] ||
    skip_all "collectd 5 with write_graphite not installed (collectd-core)"
TYPESDB=/usr/share/collectd/types.db
[ -f "$TYPESDB" ] || skip_all "collectd's types.db not found"

write_config "$T/t.conf" <<EOT
[graphite]
listen = 127.0.0.1:@PORT@
udp = 127.0.0.1:@PORT@
retention = test
instance = collectd.test_host box1
max_series = 12
max_clients = 4
max_line = 256
timeout = 6s
EOT
start_tallyd_port "$T/t.conf" -v
ok $? "tallyd listening for Graphite on port $PORT"

stat() {	# stat NAME: its figure in STATS
	ask STATS | awk -v n="$1" '$1 == n { print $2 }'
}
send() {	# send LINES...: one connection, closed once written
	printf '%s\n' "$@" | "$NC" -T "127.0.0.1:$PORT" -w 1000 >/dev/null
}
D=$T/rrd/graphite

# ---- collectd: deterministic values through unixsock, real ones from load
mkdir -p "$T/collectd"
cat >"$T/collectd.conf" <<EOT
Hostname "test.host"
FQDNLookup false
Interval 1
BaseDir "$T/collectd"
PIDFile "$T/collectd/collectd.pid"
PluginDir "$CDLIB"
TypesDB "$TYPESDB"
LoadPlugin logfile
<Plugin logfile>
	LogLevel info
	File "$T/collectd.log"
</Plugin>
LoadPlugin unixsock
LoadPlugin load
<LoadPlugin write_graphite>
	FlushInterval 1
</LoadPlugin>
<Plugin unixsock>
	SocketFile "$T/collectd.sock"
</Plugin>
<Plugin write_graphite>
	<Node "tallyd">
		Host "127.0.0.1"
		Port "$PORT"
		Protocol "tcp"
		Prefix "collectd."
		EscapeCharacter "_"
		StoreRates true
		AlwaysAppendDS false
	</Node>
</Plugin>
EOT
"$COLLECTD" -f -C "$T/collectd.conf" >"$T/collectd.out" 2>&1 &
extra_pids=$!
check "collectd running with write_graphite" wait_until 20 test -S \
    "$T/collectd.sock"
t0=$(($(date +%s) - 30))
printf '%s\n' \
    "PUTVAL test.host/exec-det/gauge-answer interval=1 $((t0 - 2)):5" \
    "PUTVAL test.host/exec-det/gauge-answer interval=1 $t0:10" \
    "PUTVAL test.host/exec-det/gauge-answer interval=1 $((t0 + 1)):20.5" \
    "PUTVAL test.host/exec-det/gauge-answer interval=1 $((t0 + 2)):-30" \
    "FLUSH plugin=write_graphite" |
    "$NC" -U "$T/collectd.sock" -w 2000 >"$T/putval.out"
ok $([ "$(grep -c '^0 Success' "$T/putval.out")" -eq 4 ] &&
    grep -q '^0 Done: 1 successful' "$T/putval.out"; echo $?) \
    "collectd took the values ($(tr '\n' ' ' <"$T/putval.out"))"
F=$D/box1/exec-det.gauge-answer.rrd
check "collectd's values arrive in $F (prefix mapped to box1)" \
    wait_until 30 test -f "$F"
# Every value exactly.  collectd's write threads hand them to
# write_graphite in any order; tallyd holds a series' values for reorder
# (2 s by default) and stores them sorted, so none is stale.
want=$(printf '%s 5.000000\n%s 10.000000\n%s 20.500000\n%s -30.000000\n' \
    $((t0 - 2)) $t0 $((t0 + 1)) $((t0 + 2)))
check "rrdtool fetch reads all four exactly" wait_until 20 sh -c \
    "[ \"\$(\"$RRDTOOL\" fetch '$F' LAST -r 1 -s $((t0 - 5)) -e $((t0 + 5)) |
      awk -F': ' 'NF == 2 && \$2 !~ /nan/ && (\$1 + 0 == $((t0 - 2)) ||
      \$1 + 0 == $t0 || \$1 + 0 == $((t0 + 1)) || \$1 + 0 == $((t0 + 2))) {
      printf \"%s %.6f\\n\", \$1 + 0, \$2 }')\" = '$want' ]"
ok $([ "$(stat graphite.refused)" -eq 0 ]; echo $?) \
    "none of collectd's lines refused ($(stat graphite.refused))"
"$RRDTOOL" fetch "$F" LAST -r 1 -s $((t0 - 5)) -e $((t0 + 5)) |
    grep -v nan | sed 's/^/# /'
L=$D/box1/load.load.shortterm.rrd
check "collectd's load plugin arrives too ($L)" wait_until 30 sh -c \
    "[ \$(\"$RRDTOOL\" fetch '$L' LAST -r 1 -s -120 |
      grep -c ': [0-9]') -ge 1 ]"
kill "$extra_pids" 2>/dev/null
wait "$extra_pids" 2>/dev/null
extra_pids=

# ---- hostile lines, each refused for its own reason, one connection
check "collectd's last values released (graphite.held 0)" wait_until 20 \
    sh -c "[ \$(printf 'STATS\n' | '$NC' -U '$SOCK' -w 5000 |
      awk '\$1 == \"graphite.held\" { print \$2 }') -eq 0 ]"
now=$(date +%s)
acc0=$(stat graphite.accepted)
ref0=$(stat graphite.refused)
big=$(head -c 100000 /dev/zero | tr '\0' 'x')
send "h.bad 12,5 $now" "h.bad nan $now" "h.bad 1e999 $now" \
    "h.bad 1 $((now + 86400))" "h.bad 1 1990" "h.bad 1 yesterday" \
    "h..bad 1 $now" "h.$(printf '\001')bad 1 $now" "nometric 1 $now" \
    "h.a.b.c.d.e.f.g.h.i 1 $now" "h.bad 1" "$big 1 $now" \
    "h.after-big 5 $now" "" "H.Mixed:Case 6 $now"
check "hostile lines refused and counted (graphite.refused +12)" \
    wait_until 10 sh -c "[ \$(printf 'STATS\n' | '$NC' -U '$SOCK' -w 5000 |
      awk '\$1 == \"graphite.refused\" { print \$2 }') -eq $((ref0 + 12)) ]"
check "the good lines among them stored (graphite.accepted +2)" \
    wait_until 10 sh -c "[ \$(printf 'STATS\n' | '$NC' -U '$SOCK' -w 5000 |
      awk '\$1 == \"graphite.accepted\" { print \$2 }') -eq $((acc0 + 2)) ]"
check "a line after a 100 kB one on the same connection is kept" \
    wait_until 10 test -f "$D/h/after-big.rrd"
check "names mapped to the name set (H.Mixed:Case -> h.mixed_case)" \
    wait_until 10 test -f "$D/h/mixed_case.rrd"
check "no file for a refused line" sh -c "! ls '$D/h' | grep -q bad"
# Refusals are logged at most once in 10 s: whichever came first.
check "a refusal is logged with its reason and peer" \
    wait_until 10 log_has "graphite: 127\\.0\\.0\\.1: line refused: [a-z]"
ok $(alive; echo $?) "tallyd still running"

# ---- out of order within reorder: kept; older than what is stored: stale
now=$(date +%s)
send "ooo.m 3 $((now - 1))" "ooo.m 1 $((now - 3))" "ooo.m 2 $((now - 2))"
check "three lines sent newest first all stored, in time order" \
    wait_until 20 sh -c "[ \"\$(\"$RRDTOOL\" fetch '$D/ooo/m.rrd' LAST -r 1 \
      -s $((now - 5)) -e $((now - 1)) | awk -F': ' 'NF == 2 && \$2 !~ /nan/ {
      printf \"%d \", \$2 }')\" = '1 2 3 ' ]"
ref0=$(stat graphite.refused)
send "ooo.m 9 $((now - 4))"
check "a value older than the stored ones is refused as stale" \
    wait_until 20 sh -c "[ \$(printf 'STATS\n' | '$NC' -U '$SOCK' -w 5000 |
      awk '\$1 == \"graphite.refused\" { print \$2 }') -eq $((ref0 + 1)) ]"

# ---- connection cap and idle timeout: 4 silent connections hold the cap
conn0=$(grep -c 'graphite: 127.0.0.1: connected' "$T/tallyd.log")
mkfifo "$T/hold"
exec 9<>"$T/hold"
nc_pids=
for i in 1 2 3 4; do
	"$NC" -T "127.0.0.1:$PORT" -w 60000 <"$T/hold" >/dev/null &
	nc_pids="$nc_pids $!"
done
extra_pids=$nc_pids
check "four connections accepted" wait_until 10 sh -c \
    "[ \$(grep -c 'graphite: 127.0.0.1: connected' '$T/tallyd.log') -ge $((conn0 + 4)) ]"
send "capped.m 1 $now"
check "a fifth is refused and logged" \
    wait_until 10 log_has "graphite: 4 connections: refusing more"
ok $([ ! -e "$D/capped/m.rrd" ]; echo $?) "its line was not read"
check "idle connections closed after the timeout (6 s)" wait_until 20 sh -c \
    "for p in $nc_pids; do kill -0 \$p 2>/dev/null && exit 1; done; exit 0"
exec 9>&-
extra_pids=
send "capped.m 2 $now"
check "and the listener serves again" wait_until 10 test -f "$D/capped/m.rrd"

# ---- max_series: 12 in all; 20 new names fill the rest and are refused
n0=$(stat graphite.series)
i=0
while [ $i -lt 20 ]; do
	echo "many.m$i $i $now"
	i=$((i + 1))
done | "$NC" -T "127.0.0.1:$PORT" -w 1000 >/dev/null
check "max_series holds: 12 series declared" wait_until 10 sh -c \
    "[ \$(printf 'STATS\n' | '$NC' -U '$SOCK' -w 5000 |
      awk '\$1 == \"graphite.series\" { print \$2 }') -eq 12 ]"
check "files for the series allowed ($n0 before)" wait_until 20 sh -c \
    "[ \$(ls '$D/many' | wc -l) -eq $((12 - n0)) ]"
ok $([ "$(ls "$D/many" | wc -l)" -eq $((12 - n0)) ]; echo $?) \
    "and only for them ($(ls "$D/many" | wc -l) new)"

# ---- UDP: a datagram of lines; a line longer than max_line refused
if command -v bash >/dev/null 2>&1; then
	ref0=$(stat graphite.refused)
	long=$(head -c 300 /dev/zero | tr '\0' 'y')
	bash -c "printf 'capped.m 4 $((now + 2))\n$long 1 $now\nudp.bad x $now' \
	    >/dev/udp/127.0.0.1/$PORT"
	check "UDP: a good line of a datagram stored" wait_until 10 sh -c \
	    "\"$RRDTOOL\" last '$D/capped/m.rrd' | grep -qx $((now + 2))"
	check "UDP: the long and the bad line refused (graphite.refused +2)" \
	    wait_until 10 sh -c "[ \$(printf 'STATS\n' | '$NC' -U '$SOCK' -w 5000 |
	      awk '\$1 == \"graphite.refused\" { print \$2 }') -eq $((ref0 + 2)) ]"
fi

# ---- reload keeps the listener; a reload to reorder = 0 stores what is
# held before the lines that come after it (else those would make it stale)
send "capped.m 7 $((now + 4))"
sed -i 's/^\[graphite\]$/[graphite]\nreorder = 0/' "$T/t.conf.run"
kill -HUP "$daemon_pid"
check "reload logged" wait_until 10 log_has "reload: reading"
send "capped.m 8 $((now + 5))"
check "after a reload to reorder = 0: the held value and the next, in order" \
    wait_until 10 sh -c "[ \"\$(\"$RRDTOOL\" fetch '$D/capped/m.rrd' LAST -r 1 \
      -s $((now + 3)) -e $((now + 5)) | awk -F': ' 'NF == 2 && \$2 !~ /nan/ {
      printf \"%d \", \$2 }')\" = '7 8 ' ]"
stop_tallyd TERM
ok $daemon_rc "tallyd exit 0"
done_testing
