#!/bin/sh
# The HTTP gateway under valgrind: every endpoint, errors, clients that
# leave mid-graph, a reload, and a stop while graphs are still waiting.
# No error and no leak of ours (librrd's rrd_graph leaks a little per
# render, through pango and fontconfig; those are suppressed).
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v valgrind >/dev/null 2>&1 || skip_all "valgrind not installed"
[ -n "${TALLY_SANITIZED:-}" ] && skip_all "sanitizer build"
. "$top_srcdir/tests/integration/http-lib.sh"

cat >"$T/vg.supp" <<'EOT'
{
   librrd-graph
   Memcheck:Leak
   match-leak-kinds: definite,indirect,possible
   ...
   fun:rrd_graph_v
}
{
   pango-threads
   Memcheck:Leak
   match-leak-kinds: definite,indirect,possible
   ...
   obj:*libpangoft2*
}
{
   fontconfig
   Memcheck:Leak
   match-leak-kinds: definite,indirect,possible
   ...
   obj:*libfontconfig*
}
EOT
TALLY_WRAP="valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=9 --suppressions=$T/vg.supp --log-file=$T/vg.log"
# A graph helper that hangs while $T/hang exists, else the real one.
cat >"$T/helper.sh" <<EOT
#!/bin/sh
[ -e "$T/hang" ] && exec sleep 60
exec "$top_builddir/tally-render" "\$@"
EOT
chmod +x "$T/helper.sh"
HTTP_RENDER_HELPER=$T/helper.sh
HTTP_UP_WAIT=60		# valgrind starts slowly
http_start <<EOT
token = s3cret
max_requests = 4
counter_total = demo.main.visits
counter_online = demo.main.wave
EOT
ok $? "gateway up under valgrind"
check "demo data flowing" wait_until 30 test -f "$T/rrd/demo/main/wave.rrd"

for p in / /app.js /api/v1/metrics /metrics /counter.json /api/v1/alerts \
    "/api/v1/series?metric=demo.main.wave&start=-1m"; do
	ok $([ "$(code "$U$p")" = 200 ]; echo $?) "GET $p"
done
end=$(($(date +%s) - 60))
g="$U/graph?metric=demo.main.wave&start=$((end - 240))&end=$end&width=300&height=100"
s=$(get "$g")
etag=$(header ETag)
ok $([ "$s" = 200 ] && [ "$(code "$g" -H "If-None-Match: $etag")" = 304 ]; echo $?) "graph, then 304"
ok $([ "$(code "$g" -I)" = 200 ]; echo $?) "HEAD graph"
ok $([ "$(code "$U/graph?metric=../x")" = 400 ]; echo $?) "bad name"
ok $([ "$(code "$U/graph?metric=demo.main.wave&x=1")" = 400 ]; echo $?) "unknown parameter"
ok $([ "$(code "$U/nope")" = 404 ]; echo $?) "no such page"
ok $([ "$(code "$U/graph" -X DELETE)" = 405 ]; echo $?) "DELETE"
ok $([ "$(code "$U/api/v1/put?metric=web.t.x" -X POST -H 'Authorization: Bearer s3cret' --data-binary 'N:1 bad')" = 200 ]; echo $?) \
    "put with the token"
ok $([ "$(code "$U/api/v1/put?metric=web.t.x&value=N:2" -X POST)" = 401 ]; echo $?) "put without"

i=0
while [ $i -lt 5 ]; do
	printf 'GET /graph?metric=demo.main.sawtooth&width=%d HTTP/1.1\r\nHost: x\r\n\r\n' $((700 + i)) |
	    "$NC" -T "127.0.0.1:$PORT" -c >/dev/null
	i=$((i + 1))
done
check "served after clients left mid-graph" wait_until 30 sh -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$U/graph?metric=demo.main.wave&width=555')\" = 200 ]"

sed -i 's/^counter_online = .*/counter_online = demo.main.sawtooth/' "$T/t.conf"
kill -HUP "$daemon_pid"
check "reload under valgrind" wait_until 30 log_has "reload: "

# Stop while graphs wait: their answers must be dropped, not leaked.  The
# helpers from now on hang, so a burst of 8 graphs stays in flight: 4 wait
# (max_requests), the other 4 are refused busy, whatever the machine's
# speed.
touch "$T/hang"
for p in $(pgrep -P "$daemon_pid"); do kill -KILL "$p"; done
: >"$T/codes"
i=0
while [ $i -lt 8 ]; do
	curl -s -m 30 -o /dev/null -w '%{http_code}\n' \
	    "$U/graph?metric=demo.main.wave&start=-10m&width=$((300 + i))&height=100" >>"$T/codes" &
	extra_pids="$extra_pids $!"
	i=$((i + 1))
done
check "4 graphs waiting, 4 refused" wait_until 30 \
    sh -c "[ \$(grep -c 503 '$T/codes') -eq 4 ]"
stop_tallyd TERM
ok $([ "$daemon_rc" -eq 0 ]; echo $?) "exit 0 under valgrind (9 = errors or leaks; rc $daemon_rc)"
grep -q 'ERROR SUMMARY: 0 errors' "$T/vg.log"; ok $? "no valgrind errors"
grep -E 'definitely lost|indirectly lost|possibly lost|ERROR SUMMARY' "$T/vg.log" | sed 's/^/# /'
done_testing
