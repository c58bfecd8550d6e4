#!/bin/sh
# rrdcached killed with values of ours in its cache, a file changed
# behind it as a write it died in would leave it, a new rrdcached started:
# tallyd must tell the new one from a broken connection, write the file's
# header back to before the values it had sent, and send them again, so
# the file holds exactly what was acknowledged (issue 10).
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v "$RRDCACHED" >/dev/null 2>&1 || [ -x "$RRDCACHED" ] ||
    skip_all "rrdcached not installed"

RC=$T/rc.sock
rc_start() {	# -w 3600: values wait in rrdcached's memory for an hour
	"$RRDCACHED" -g -l "unix:$RC" -p "$T/rc.pid" -w 3600 -z 1 \
	    >>"$T/rrdcached.log" 2>&1 &
	rc_pid=$!
	extra_pids="$extra_pids $rc_pid"
	wait_until 10 test -S "$RC"
}
check "rrdcached listening" rc_start

write_config "$T/t.conf" </dev/null
sed -i "s|^\[storage\]|[storage]\nrrdcached = unix:$RC\nretention = test|" \
    "$T/t.conf"
start_tallyd "$T/t.conf"
check "socket up" wait_until 10 test -S "$SOCK"

t0=$(($(date +%s) - 100))
puts() {	# puts FIRST LAST: "PUT x.y.z" of t0 + i : i
	awk -v t0="$t0" -v a="$1" -v b="$2" 'BEGIN {
		printf "PUT x.y.z"
		for (i = a; i <= b; i++) printf " %d:%d", t0 + i, i
		printf "\n" }'
}
out=$(ask "$(puts 1 10)" "FLUSH x.y.z" "$(puts 11 20)")
ok $(echo "$out" | grep -c '^OK 0 accepted=10 refused=0$' | grep -qx 2 &&
    echo "$out" | grep -q '^OK 0 flushed$'; echo $?) \
    "1..10 put and flushed, 11..20 put (held by rrdcached)"
F=$T/rrd/x/y/z.rrd
ok $([ "$("$RRDTOOL" last "$F")" -eq $((t0 + 10)) ]; echo $?) \
    "the file holds 1..10 only"

# rrdcached dies with 11..20 in its cache; the file is changed behind it
# as a write it died in would leave it (here with wrong values, so that
# any of them that stays shows).
kill -KILL "$rc_pid"
wait "$rc_pid" 2>/dev/null
rm -f "$RC" "$T/rc.pid"
"$RRDTOOL" update "$F" $((t0 + 11)):999 $((t0 + 12)):999 $((t0 + 13)):999
check "a new rrdcached" rc_start

# The next write reaches the new rrdcached.
flushed() { ask "FLUSH x.y.z" | grep -q '^OK 0 flushed$'; }
ok $(ask "$(puts 21 21)" | grep -q '^OK 0 accepted=1 refused=0$'; echo $?) \
    "21 put after the restart"
check "FLUSH answers OK once the new rrdcached has everything" \
    wait_until 30 flushed
check "tallyd noticed a restarted rrdcached and wrote the header back" \
    log_has 'a new connection to a restarted rrdcached; sending again [0-9]+ values it may not have written \(1 files'
"$RRDTOOL" fetch "$F" LAST -r 1 -s "$t0" -e $((t0 + 21)) |
    awk -F': ' -v t0="$t0" 'NF == 2 && $2 !~ /nan/ {
	printf "%d %d\n", $1 - t0, $2 + 0.5 }' >"$T/got"
seq 1 21 | awk '{ print $1, $1 }' >"$T/want"
ok $(cmp -s "$T/got" "$T/want"; echo $?) \
    "the file holds exactly 1..21 at their times ($(tr '\n' ' ' <"$T/got" | cut -c1-80))"

stop_tallyd TERM
ok $([ "$daemon_rc" -eq 0 ]; echo $?) "clean stop (exit $daemon_rc)"
done_testing
