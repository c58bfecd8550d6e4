#!/bin/sh
# Nothing acknowledged is lost by a kill -9.  Rounds of: 4 clients PUT
# while the coop, creditfund and traffic plugins run (coop rewriting a
# corrected year), kill -9 of tallyd at a random moment, restart.  Afterwards every value a PUT answered
# "accepted" for is in its file (rrdtool fetch), every point the coop and
# creditfund histories claim is in its file, and the traffic totals equal
# the lines written.  Then the same with rrdcached writing the files,
# killed (-9) and restarted mid-ingest as well.
. "${top_srcdir:-.}/tests/integration/lib.sh"

ROUNDS=${CRASH_ROUNDS:-8}
[ -n "${TALLY_SANITIZED:-}" ] && ROUNDS=${CRASH_ROUNDS:-4}
CLIENTS=4
SERIES=150		# per client
LINES=3000		# per client and round, 10 values each
GEN="$top_builddir/tools/gen-access-log"
[ -x "$GEN" ] || skip_all "tools/gen-access-log is not built (make check)"
demo_data

NOW=$(date +%s)
T0=$((NOW - 3400))	# rounds * LINES / SERIES * 10 s of values after it
SEED=${CRASH_SEED:-$$}
echo "# seed $SEED, $ROUNDS rounds"

# gen CLIENT ROUND: the PUT lines of a client in a round.  Value i of
# series s at time t is unique: (client * 1000003 + s * 7919 + t) % 100000.
gen() {
	awk -v c="$1" -v r="$2" -v t0="$T0" -v lines="$LINES" \
	    -v nser="$SERIES" 'BEGIN {
		per = lines / nser
		for (l = 0; l < lines; l++) {
			s = l % nser; k = r * per + int(l / nser)
			t = t0 + k * 10
			line = sprintf("PUT crash.c%d.s%d", c, s)
			for (i = 0; i < 10; i++)
				line = line sprintf(" %d:%d", t + i,
				    (c * 1000003 + s * 7919 + t + i) % 100000)
			print line
		}
	}'
}

# acked ANSWERS REQUESTS: "series time value" of each value acknowledged.
# Answers come in request order: "OK n accepted=a refused=r", then n
# lines naming the refused values; an answer cut short acknowledges
# nothing, nor does an ERR.
acked() {
	[ -n "$(tail -c 1 "$1")" ] && sed -i '$d' "$1"
	awk 'NR == FNR {
		if (left == 0 && ($1 == "OK" || $1 == "ERR") && NR > 1) {
			nreq++
			if ($1 == "ERR") { err[nreq] = 1; done = nreq; next }
			left = $2 + 0; if (left == 0) done = nreq; next
		}
		if (left > 0) {
			split($1, a, ":"); bad[nreq " " a[1]] = 1
			if (--left == 0) done = nreq
		}
		next
	}
	{
		req++
		if (req > done) exit
		if (req in err) next
		for (i = 3; i <= NF; i++) {
			split($i, a, ":")
			if (!((req " " a[1]) in bad)) print $2, a[1], a[2]
		}
	}' "$1" "$2"
}

# stored DATADIR: "series time value" of every known row of the PUT files.
stored() {
	for c in $(seq 0 $((CLIENTS - 1))); do
		for s in $(seq 0 $((SERIES - 1))); do
			f=$1/crash/c$c/s$s.rrd
			[ -f "$f" ] || continue
			"$RRDTOOL" fetch "$f" LAST -r 1 -s $((T0 - 10)) \
			    -e $((T0 + 3600)) 2>/dev/null |
			    awk -F': ' -v n="crash.c$c.s$s" 'NF == 2 &&
				$2 !~ /nan/ { printf "%s %d %d\n", n, $1, $2 + 0.5 }'
		done
	done
}

# missing EXPECTED STORED: how many expected values are not stored so.
missing() {
	awk 'NR == FNR { got[$1 " " $2] = $3; next }
	    !(($1 " " $2) in got) || got[$1 " " $2] != $3 { m++;
	    if (m <= 5) print "# missing: " $0 " (file: " got[$1 " " $2] ")" > "/dev/stderr" }
	    END { print m + 0 }' "$2" "$1"
}

# history_lost STATEDIR DATADIR PLUGIN INSTANCE: points of the plugin's
# history that its files do not hold (to 1e-9 relative).
history_lost() {
	h=$1/$3/$4/history
	[ -f "$h" ] || { echo 1; return; }
	awk 'NF == 3 && $2 ~ /^[0-9]+$/ { print $1 }' "$h" | sort -u |
	while read -r m; do
		"$RRDTOOL" fetch "$2/$3/$4/$m.rrd" LAST -r 86400 \
		    -s 1262304000 -e "$NOW" 2>/dev/null |
		    awk -F': ' -v m="$m" 'NF == 2 && $2 !~ /nan/ {
			printf "%s %d %s\n", m, $1, $2 }'
	done >"$T/hist.got"
	awk 'NR == FNR { got[$1 " " $2] = $3; next }
	    NF == 3 && $2 ~ /^[0-9]+$/ { g = got[$1 " " $2]; d = g - $3
		if (d < 0) d = -d; a = $3 < 0 ? -$3 : $3
		if (!(($1 " " $2) in got) || d > 1e-9 * a + 1e-6) m++ }
	    END { print m + 0 }' "$T/hist.got" "$h"
}

# Lines are counted once each: as hits, as late (a line for a minute of
# log time already stored; the test appends lines dated before the clock
# closed their minute) or as malformed (docs/TRAFFIC.md).
traffic_total() {	# traffic_total DATADIR: hits + late + malformed stored
	tt=0
	for m in hits late malformed; do
		v=$("$RRDTOOL" lastupdate "$1/traffic/web/$m.rrd" 2>/dev/null |
		    awk -F': ' 'NF == 2 { v = $2 } END { printf "%d\n", v }')
		tt=$((tt + ${v:-0}))
	done
	echo "$tt"
}

# config DIR [rrdcached socket]
config() {
	mkdir -p "$1"
	{
		cat <<EOT
[daemon]
pidfile = $1/tallyd.pid
socket = $1/tallyd.sock
plugin_dir = $PLUGINS
statedir = $1/state
read_threads = 2
shutdown_timeout = 5s
render_helper = $top_builddir/tally-render

[storage]
datadir = $1/rrd
retention = crash
# small segments (1 MiB), so rounds close and remove several
journal_max = 8M
${2:+rrdcached = unix:$2}

[retention crash]
step = 1
heartbeat = 3600
rra = LAST:1s:1h

[retention test]
step = 1
heartbeat = 10
rra = AVERAGE:1s:1h
rra = LAST:1s:1h
EOT
		[ -n "${2:-}" ] && return
		cat <<EOT

$(coop_plugin reg "$D/registry.csv")
$(fund_plugin year "$D/creditfunds.csv" "period = year")
[plugin traffic web]
interval = 1s
jitter = 0
preset = test
step = 1s
grace = 0
log = $T/access.log
EOT
	} >"$1/t.conf"
}

# round DIR R: tallyd up, 4 clients PUT; a callback may act mid-ingest;
# kill -9 of tallyd once a random share of the PUTs is answered.
round() {
	start_tallyd "$1/t.conf"
	wait_until 60 sh -c "[ \$(grep -c ' running: ' '$T/tallyd.log') -gt \
	    $RUNNING ]" || { echo "# tallyd did not start"; return 1; }
	RUNNING=$((RUNNING + 1))
	pids=
	for c in $(seq 0 $((CLIENTS - 1))); do
		gen "$c" "$2" >"$1/req.$2.$c"
		"$NC" -U "$1/tallyd.sock" -w 120000 <"$1/req.$2.$c" \
		    >"$1/ans.$2.$c" &
		pids="$pids $!"
	done
	# The kill comes mid-ingest on any machine: once the first client
	# has a random 5..95% of its answers (MIDWAY at half of that).
	want=$(awk -v s="$SEED" -v r="$2" -v l="$LINES" \
	    'BEGIN { srand(s * 7 + r); printf "%d\n", l * (0.05 + 0.9 * rand()) }')
	i=0
	mid=
	while [ $i -lt 3000 ]; do
		got=$(wc -l <"$1/ans.$2.0")
		if [ -z "$mid" ] && [ "$got" -ge $((want / 2)) ]; then
			[ -n "${MIDWAY:-}" ] && $MIDWAY "$2"
			mid=1
		fi
		[ "$got" -ge "$want" ] && break
		sleep 0.01
		i=$((i + 1))
	done
	kill -KILL "$daemon_pid"
	wait "$daemon_pid" 2>/dev/null
	daemon_pid=
	for p in $pids; do wait "$p"; done
	for c in $(seq 0 $((CLIENTS - 1))); do
		acked "$1/ans.$2.$c" "$1/req.$2.$c"
	done >>"$1/expected"
}

# finish DIR: a last clean run, then count what is missing.
finish() {
	start_tallyd "$1/t.conf"
	wait_until 60 sh -c "[ \$(grep -c ' running: ' '$T/tallyd.log') -gt \
	    $RUNNING ]"
	RUNNING=$((RUNNING + 1))
	[ -n "${SETTLE:-}" ] && $SETTLE
	stop_tallyd
	ok $([ "$daemon_rc" -eq 0 ]; echo $?) "clean stop after the rounds: exit 0 (got $daemon_rc)"
}

# ---- phase 1: files written by tallyd, plugins running
RUNNING=0
D1=$T/p1
config "$D1"
"$GEN" -n 20000 -s 7 -e now -S 3600 -q >"$T/all.log" 2>"$T/gen.txt"
read -r _ LOGLINES _ <"$T/gen.txt"
: >"$T/access.log"
per=$((LOGLINES / ROUNDS + 1))
: >"$D1/expected"
r=0
while [ $r -lt "$ROUNDS" ]; do
	sed -n "$((r * per + 1)),$(((r + 1) * per))p" "$T/all.log" \
	    >>"$T/access.log"
	# From the second round on, 2021 gains 1000 members: the coop
	# plugin rewrites that history while the PUTs run and the kill comes.
	[ $r -gt 0 ] && awk 'BEGIN { FS = OFS = "," }
	    $1 == "HTX-0001" && $11 == "2021" { $8 += 1000 } { print }' \
	    "$T/data/registry.csv" >"$T/new.csv" &&
	    mv "$T/new.csv" "$T/data/registry.csv"
	round "$D1" $r || break
	r=$((r + 1))
done
ok $([ $r -eq "$ROUNDS" ]; echo $?) "$ROUNDS rounds of kill -9 while 4 clients PUT"
reads() {	# reads: readings of coop and creditfund logged so far
	grep -cE '(coop\.reg|creditfund\.year).*points added' "$T/tallyd.log"
}
caught_up() {	# caught_up N: both read since the last start, traffic all
	[ "$(reads)" -ge "$1" ] &&
	    [ "$(traffic_total "$D1/rrd")" -eq "$LOGLINES" ]
}
settle() {
	wait_until 90 caught_up $((READS + 2))
}
READS=$(reads)
SETTLE=settle
finish "$D1"
SETTLE=
n=$(wc -l <"$D1/expected")
ok $([ "$n" -gt 0 ]; echo $?) "values acknowledged before the kills: $n"
stored "$D1/rrd" >"$D1/stored"
lost=$(missing "$D1/expected" "$D1/stored")
ok $([ "$lost" -eq 0 ]; echo $?) "every acknowledged value is in its file ($lost of $n lost)"
hl=$(history_lost "$D1/state" "$D1/rrd" coop reg)
ok $([ "$hl" -eq 0 ]; echo $?) "coop history equals its files ($hl points missing)"
hl=$(history_lost "$D1/state" "$D1/rrd" creditfund year)
ok $([ "$hl" -eq 0 ]; echo $?) "creditfund history equals its files ($hl points missing)"
act=$("$RRDTOOL" fetch "$D1/rrd/coop/reg/cooperatives.active.rrd" LAST \
    -r 86400 -s 1640822400 -e 1640995200 2>/dev/null |
    awk -F': ' '$1 == 1640995200 { printf "%.0f\n", $2 }')
ok $([ "$act" = 458 ]; echo $?) "coop: 2021 active cooperatives as the source says (458, got $act)"
mem=$("$RRDTOOL" fetch "$D1/rrd/coop/reg/members.rrd" LAST \
    -r 86400 -s 1640822400 -e 1640995200 2>/dev/null |
    awk -F': ' '$1 == 1640995200 { printf "%.0f\n", $2 }')
want=$((565874 + 1000 * (ROUNDS - 1)))
ok $([ "$mem" = "$want" ]; echo $?) "coop: 2021 members after $((ROUNDS - 1)) corrections rewritten mid-crash ($want, got $mem)"
# A history that claims more than the files hold (a file lost, restored
# from an old backup, or an older tallyd's crash) is stored again.
members2021() {
	"$RRDTOOL" fetch "$D1/rrd/coop/reg/members.rrd" LAST -r 86400 \
	    -s 1640822400 -e 1640995200 2>/dev/null |
	    awk -F': ' '$1 == 1640995200 { printf "%.0f\n", $2 }'
}
is_members() { [ "$(members2021)" = "$1" ]; }
rm -f "$D1/rrd/coop/reg/members.rrd"
start_tallyd "$D1/t.conf"
RUNNING=$((RUNNING + 1))
wait_until 60 is_members "$want"
ok $? "coop: a history its file lacks is stored again at start (got $(members2021))"
wait_until 60 sh -c "[ \$(grep -c ' running: ' '$T/tallyd.log') -ge $RUNNING ]"
stop_tallyd
tt=$(traffic_total "$D1/rrd")
ok $([ "$tt" -eq "$LOGLINES" ]; echo $?) "traffic: hits + late + malformed = lines written ($tt of $LOGLINES)"
! grep -q "torn tail" "$T/tallyd.log" || echo "# a torn journal tail was seen and skipped"

# ---- phase 2: through rrdcached, which is killed mid-ingest too
if ! command -v "$RRDCACHED" >/dev/null 2>&1 && ! [ -x "$RRDCACHED" ]; then
	echo "# rrdcached not installed: phase 2 skipped"
	done_testing
fi
D2=$T/p2
RC=$T/rc.sock
rc_start() {
	# -w 30: values wait in rrdcached's memory, so killing it loses them
	"$RRDCACHED" -g -l "unix:$RC" -p "$T/rc.pid" -w 30 -z 1 -F \
	    >>"$T/rrdcached.log" 2>&1 &
	rc_pid=$!
	extra_pids="$extra_pids $rc_pid"
	wait_until 10 test -S "$RC"
}
rc_kill() {
	kill -KILL "$rc_pid" 2>/dev/null
	wait "$rc_pid" 2>/dev/null
	rm -f "$RC" "$T/rc.pid"
}
rc_bounce() {	# mid-ingest: kill -9 rrdcached, start it again
	rc_kill
	rc_start
}
config "$D2" "$RC"
: >"$D2/expected"
rc_start
r=0
while [ $r -lt $((ROUNDS / 2)) ]; do
	MIDWAY=rc_bounce
	round "$D2" $r || break
	r=$((r + 1))
done
ok $([ $r -eq $((ROUNDS / 2)) ]; echo $?) "rounds with rrdcached killed mid-ingest"
MIDWAY=
finish "$D2"
kill -TERM "$rc_pid"; wait "$rc_pid" 2>/dev/null	# -F: writes everything
n=$(wc -l <"$D2/expected")
stored "$D2/rrd" >"$D2/stored"
lost=$(missing "$D2/expected" "$D2/stored")
ok $([ "$lost" -eq 0 ]; echo $?) "rrdcached: every acknowledged value is in its file ($lost of $n lost)"
# Each bounce is a new rrdcached (a new socket file), which may have died
# writing a file (a torn file shows above as values shifted by a row or
# counted twice): tallyd must tell it from a broken connection, running
# or at its next start, and write back the headers of the files it sends
# again.
nr=$(grep -c 'a new connection to a restarted rrdcached\|rrdcached restarted while tallyd was down' "$T/tallyd.log")
nh=$(grep -o "[0-9]* files' headers written back" "$T/tallyd.log" |
    awk '{ s += $1 } END { print s + 0 }')
ok $([ "$nr" -ge 1 ] && [ "$nh" -ge 1 ]; echo $?) \
    "restarted rrdcached noticed ($nr times; $nh headers written back)"
done_testing
