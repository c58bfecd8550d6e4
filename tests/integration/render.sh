#!/bin/sh
# Graphs rendered in helper processes (render.c, tally-render): renders
# work; a helper is recycled after render_recycle renders and reaped; a
# helper killed mid-render fails only that GRAPH and is replaced; a hung
# render times out; and under valgrind the daemon renders without leaking.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v pgrep >/dev/null 2>&1 || skip_all "pgrep (procps) not installed"
[ -x "$top_builddir/tally-render" ] || bail_out "no tally-render built"

# A helper that hangs while $T/hang exists, else the real one.
cat >"$T/helper.sh" <<EOT
#!/bin/sh
[ -e "$T/hang" ] && exec sleep 60
exec "$top_builddir/tally-render"
EOT
chmod +x "$T/helper.sh"
write_config "$T/t.conf" <<EOT
[plugin demo main]
interval = 1s
jitter = 0
retention = test
EOT
# render_timeout counts from the job's handover, so it covers a new
# helper's start too (seconds under ASan on a loaded machine): 30 s here,
# 2 s only while a hung render is timed out below.
sed -i "s|^render_helper = .*|render_helper = $T/helper.sh\nrender_procs = 1\nrender_recycle = 5\nrender_timeout = 30s|" "$T/t.conf"
start_tallyd "$T/t.conf" -v
check "socket up" wait_until 10 test -S "$SOCK"
check "demo data flowing" wait_until 10 test -f "$T/rrd/demo/main/wave.rrd"

helpers() {	# the daemon's children: its render helpers here
	pgrep -P "$daemon_pid" | tr '\n' ' ' | sed 's/ $//'
}
graph() {	# graph WIDTH: the status line of an uncached GRAPH
	ask "GRAPH metric=demo.main.wave start=-2m width=$1 height=100" |
	    head -1 | tr -d '\0'
}
is_png() {
	echo "$1" | grep -q '^DATA [0-9]* image/png$'
}
gone() {
	[ ! -e "/proc/$1" ]
}

out=$(graph 300)
is_png "$out"; ok $? "GRAPH renders in a helper: $out"
a=$(helpers)
ok $([ -n "$a" ] && [ "$(echo "$a" | wc -w)" -eq 1 ]; echo $?) \
    "one helper process, a child of tallyd ($a)"
n=0
for w in 301 302 303 304; do
	is_png "$(graph $w)" && n=$((n + 1))
done
ok $([ $n -eq 4 ]; echo $?) "4 more renders ($n PNGs)"
check "after 5 renders the helper is retired and reaped" \
    wait_until 5 gone "$a"
check "the log says why" wait_until 5 log_has "helper $a retired after 5 renders"
is_png "$(graph 305)"; ok $? "the next GRAPH works"
b=$(helpers)
ok $([ -n "$b" ] && [ "$b" != "$a" ]; echo $?) "in a new helper ($b)"

# Killed mid-render: the next helper hangs, gets a job, is killed.
touch "$T/hang"
kill -KILL "$b"
check "an idle helper killed is reaped" wait_until 5 gone "$b"
ask "GRAPH metric=demo.main.wave start=-2m width=310 height=100" |
    head -1 >"$T/killed" &
extra_pids="$extra_pids $!"
check "a new (hanging) helper started" \
    wait_until 5 sh -c "[ \"\$(pgrep -P $daemon_pid)\" != '' ]"
c=$(helpers)
check "the GRAPH went to it ($c)" \
    wait_until 5 grep -q "render: job to helper $c\$" "$T/tallyd.log"
rm -f "$T/hang"
kill -KILL "$c"
check "the GRAPH in flight answers" wait_until 5 test -s "$T/killed"
grep -q '^ERR store render failed: helper died$' "$T/killed"
ok $? "it failed alone: $(cat "$T/killed")"
check "the log says the helper was killed" wait_until 5 \
    log_has "helper $c died while rendering, was killed by signal 9; replaced"
is_png "$(graph 311)"; ok $? "the next GRAPH works in a new helper"
alive; ok $? "tallyd is alive"

# render_timeout TIME: set it and reload; 1 if the reload is not seen.
render_timeout() {
	sed -i "s|^render_timeout = .*|render_timeout = $1|" "$T/t.conf"
	n=$(grep -c 'reload: .* instance(s) kept' "$T/tallyd.log")
	kill -HUP "$daemon_pid"
	wait_until 10 sh -c "[ \$(grep -c 'reload: .* instance(s) kept' '$T/tallyd.log') -gt $n ]"
}

# A render that hangs past render_timeout (2s) is killed.
check "render_timeout = 2s reloaded" render_timeout 2s
touch "$T/hang"
kill -KILL "$(helpers)"
wait_until 5 sh -c "[ \"\$(pgrep -P $daemon_pid)\" = '' ]"
out=$(graph 320)
echo "$out" | grep -q '^ERR store render failed: helper took over 2000 ms$'
ok $? "a hung render fails at render_timeout: $out"
rm -f "$T/hang"
check "render_timeout = 30s reloaded" render_timeout 30s
is_png "$(graph 321)"; ok $? "and the next GRAPH works"
d=$(helpers)
stop_tallyd TERM
ok $daemon_rc "clean exit"
check "no helper outlives tallyd" gone "$d"

# Valgrind: renders leave no leak in the daemon (librrd's leaks are the
# helpers' business now).
if ! command -v valgrind >/dev/null 2>&1 || [ -n "${TALLY_SANITIZED:-}" ]; then
	echo "ok $((tap_n + 1)) # SKIP no valgrind, or a sanitizer build"
	tap_n=$((tap_n + 1))
	done_testing
fi
rm -rf "$T/rrd" "$T/state"
write_config "$T/v.conf" <<EOT
[plugin demo main]
interval = 1s
jitter = 0
retention = test
EOT
TALLY_WRAP="valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=9 --log-file=$T/vg.log"
: >"$T/tallyd.log"
start_tallyd "$T/v.conf"
check "daemon up under valgrind" wait_until 60 test -f "$T/rrd/demo/main/wave.rrd"
set --
w=300
while [ $w -lt 340 ]; do
	set -- "$@" "GRAPH metric=demo.main.wave start=-2m width=$w height=100"
	w=$((w + 1))
done
# Answers follow each other with no newline after an image.  Forty renders
# may take longer than ask's 10 s on a loaded machine: up to a minute.
n=$(printf '%s\n' "$@" | "$NC" -U "$SOCK" -w 60000 |
    grep -ao 'DATA [0-9]* image/png' | wc -l)
ok $([ "$n" -eq 40 ]; echo $?) "40 renders under valgrind ($n)"
stop_tallyd TERM
ok $daemon_rc "exit 0 under valgrind (9 = errors or leaks; rc $daemon_rc)"
grep -q 'ERROR SUMMARY: 0 errors' "$T/vg.log"; ok $? "no valgrind errors"
grep -E 'definitely lost|indirectly lost|possibly lost|ERROR SUMMARY' "$T/vg.log" | sed 's/^/# /'
done_testing
