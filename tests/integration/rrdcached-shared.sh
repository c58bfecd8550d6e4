#!/bin/sh
# [storage] rrdcached = host:port with rrdcached_prefix: two tallyd share
# one rrdcached over TCP (started with -b DIR -B -R and -P, the commands
# they need only), each under its own directory, each writing and reading
# (FETCH, LAST, INFO, GRAPH) its own series through rrdcached; nothing is
# written under their own datadirs.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v "$RRDCACHED" >/dev/null 2>&1 || [ -x "$RRDCACHED" ] ||
    skip_all "rrdcached not installed"

BASE=$T/shared
mkdir -p "$BASE" "$T/journal"
try=0
while [ $try -lt 8 ]; do
	RCPORT=$((20000 + ($$ * 7 + try * 1231) % 30000))
	"$RRDCACHED" -g -p "$T/rrdcached.pid" -j "$T/journal" -w 3600 -z 1 \
	    -F -b "$BASE" -B -R \
	    -P BATCH,CREATE,UPDATE,FLUSH,INFO,FETCH,LAST,FIRST,PING \
	    -l "127.0.0.1:$RCPORT" >"$T/rrdcached.log" 2>&1 &
	rc_pid=$!
	extra_pids=$rc_pid
	wait_until 10 sh -c "printf 'PING\nQUIT\n' |
	    '$NC' -T 127.0.0.1:$RCPORT -w 1000 | grep -q PONG" && break
	kill "$rc_pid" 2>/dev/null
	wait "$rc_pid" 2>/dev/null
	try=$((try + 1))
done
ok $([ $try -lt 8 ]; echo $?) "rrdcached on 127.0.0.1:$RCPORT, base $BASE, -B -R -P"
out=$(printf 'STATS\nQUIT\n' | "$NC" -T "127.0.0.1:$RCPORT" -w 1000)
ok $(echo "$out" | grep -q '^-1 .*ermission'; echo $?) \
    "rrdcached refuses a command not in -P ($(echo "$out" | head -1))"

# tallyd A and B: one rrdcached, their own prefixes, the same series names
for site in a b; do
	write_config "$T/$site.conf" <<EOT
EOT
	sed -i -e "s|$T/tallyd\\.|$T/$site.|g" -e "s|$T/state|$T/$site-state|" \
	    -e "s|^datadir = .*|datadir = $T/$site-rrd\\nrrdcached = 127.0.0.1:$RCPORT\\nrrdcached_prefix = sites/site-$site\\nretention = test|" \
	    "$T/$site.conf"
done
# a serves the Prometheus API too (read through rrdcached as well)
HPORT=$((21000 + ($$ * 5 + 977) % 20000))
printf '\n[http]\nlisten = 127.0.0.1:%s\ndashboard_dir = %s/dashboard\n' "$HPORT" "$top_srcdir" >>"$T/a.conf"
"$TALLYD" -t -c "$T/a.conf" >/dev/null 2>&1
ok $? "tallyd -t accepts rrdcached_prefix"
for bad in ../escape /abs site/../x 'a b' site//x; do
	sed "s|^rrdcached_prefix = .*|rrdcached_prefix = $bad|" "$T/a.conf" \
	    >"$T/bad.conf"
	out=$("$TALLYD" -t -c "$T/bad.conf" 2>&1)
	ok $(echo "$out" | grep -q "bad.conf:[0-9]*: bad value '$bad' for rrdcached_prefix"; echo $?) \
	    "rrdcached_prefix = $bad refused with file:line"
done
sed '/^rrdcached = /d' "$T/a.conf" >"$T/bad.conf"
ok $("$TALLYD" -t -c "$T/bad.conf" 2>&1 | grep -q 'rrdcached_prefix needs rrdcached'; echo $?) \
    "rrdcached_prefix without rrdcached refused"
{ cat "$T/a.conf"; printf '[alert hot]\nmetric = shared.box.load\ncritical = > 5\n'; } >"$T/bad.conf"
ok $("$TALLYD" -t -c "$T/bad.conf" 2>&1 | grep -q '\[alert hot\]: alert rules read files under datadir'; echo $?) \
    "alert rules refused with a shared rrdcached"
${TALLY_WRAP:-} "$TALLYD" -f -c "$T/a.conf" >>"$T/tallyd.log" 2>&1 &
pid_a=$!
${TALLY_WRAP:-} "$TALLYD" -f -c "$T/b.conf" >>"$T/b.log" 2>&1 &
pid_b=$!
extra_pids="$rc_pid $pid_a $pid_b"
check "both tallyd running" wait_until 10 sh -c \
    "test -S '$T/a.sock' && test -S '$T/b.sock'"

askto() {	# askto SITE REQUEST...
	at=$1
	shift
	printf '%s\n' "$@" | "$NC" -U "$T/$at.sock" -w 10000 | tail -n +2
}
t0=$(($(date +%s) - 20))
for site in a b; do
	if [ $site = a ]; then m=1; else m=100; fi
	askto $site "PUT shared.box.load $t0:$((m * 1)) $((t0 + 1)):$((m * 2)) $((t0 + 2)):$((m * 3))" \
	    "PUT shared.box.only-$site $t0:7" >"$T/put-$site.out"
	ok $(grep -c '^OK' "$T/put-$site.out" | grep -qx 2; echo $?) \
	    "tallyd $site: PUT accepted ($(tr '\n' ' ' <"$T/put-$site.out"))"
done
for site in a b; do
	check "tallyd $site: its file created in rrdcached's base" \
	    wait_until 10 test -f "$BASE/sites/site-$site/shared/box/load.rrd"
done
check "nothing under the datadirs of either" sh -c \
    "[ -z \"\$(find '$T/a-rrd' '$T/b-rrd' -name '*.rrd' 2>/dev/null)\" ]"

fetch() {	# fetch SITE: FETCH's rows of shared.box.load around t0
	askto "$1" "FETCH shared.box.load $((t0 - 1)) $((t0 + 3)) LAST 1" |
	    awk 'NF == 2 && $2 != "nan" && $2 != "U" { print $1, $2 }' | tr '\n' ' '
}
fa=$(fetch a)
fb=$(fetch b)
ok $([ "$fa" = "$t0 1 $((t0 + 1)) 2 $((t0 + 2)) 3 " ]; echo $?) \
    "tallyd a reads its own values through rrdcached ($fa)"
ok $([ "$fb" = "$t0 100 $((t0 + 1)) 200 $((t0 + 2)) 300 " ]; echo $?) \
    "tallyd b reads its own values through rrdcached ($fb)"
la=$(askto a "LAST shared.box.load")
ok $(echo "$la" | grep -q "$((t0 + 2)) 3\$"; echo $?) "LAST through rrdcached ($la)"
ia=$(askto b "INFO shared.box.load" | grep '^file ')
ok $([ "$ia" = "file shared/box/load.rrd" ]; echo $?) "INFO through rrdcached ($ia)"
nb=$(askto b "FETCH shared.box.only-a $((t0 - 1)) $((t0 + 3))" | head -1)
ok $(echo "$nb" | grep -q '^ERR not-found'; echo $?) \
    "tallyd b does not see a's series ($nb)"
askto a "GRAPH metric=shared.box.load start=$((t0 - 60)) end=$((t0 + 60)) width=300 height=120" >"$T/graph.out" 2>&1
ok $(head -1 "$T/graph.out" | grep -q "^DATA [0-9]* image/png"; echo $?) \
    "GRAPH through rrdcached ($(head -1 "$T/graph.out" | cut -c1-60))"

if command -v curl >/dev/null 2>&1; then
	pq=$(curl -s "http://127.0.0.1:$HPORT/api/v1/query?query=tally_shared_load&time=$((t0 + 2))")
	ok $(echo "$pq" | grep -q '"value":\[[0-9.]*,"3"\]'; echo $?) \
	    "Prometheus API reads through rrdcached ($pq)"
	pq=$(curl -s "http://127.0.0.1:$HPORT/api/v1/query_range?query=tally_shared_load&start=$t0&end=$((t0 + 2))&step=1")
	ok $(echo "$pq" | grep -q '"values":\[\[[0-9.]*,"1"\],\[[0-9.]*,"2"\],\[[0-9.]*,"3"\]\]'; echo $?) \
	    "query_range through rrdcached: 1 2 3 ($pq)"
	pq=$(curl -s "http://127.0.0.1:$HPORT/api/v1/query?query=tally_shared_nothing_yet&time=$((t0 + 2))")
	ok $(echo "$pq" | grep -q '"status":"success"'; echo $?) \
	    "a selector matching no file answers empty ($pq)"
fi

# rrdcached flushes at its exit; the values are on disk there
kill "$pid_a" "$pid_b"
wait "$pid_a"
ra=$?
wait "$pid_b"
rb=$?
ok $([ $ra -eq 0 ] && [ $rb -eq 0 ]; echo $?) "both tallyd exit 0"
kill "$rc_pid"
wait "$rc_pid" 2>/dev/null
extra_pids=
ok $("$RRDTOOL" fetch "$BASE/sites/site-b/shared/box/load.rrd" LAST -r 1 \
    -s $((t0 - 1)) -e $((t0 + 3)) | grep -q "^$((t0 + 2)): 3.0*e+02"; echo $?) \
    "b's values on disk in rrdcached's base after its exit"
done_testing
