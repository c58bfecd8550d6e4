#!/bin/sh
# Hostile and careless HTTP clients: oversized headers and bodies, paths
# and names that try to leave the data directory, unknown parameters,
# huge sizes, methods other than GET, a crowd past max_requests, clients
# that leave mid-graph, a slow sender.  Each gets a clear status, none
# stops the daemon or disturbs the next client.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/http-lib.sh"

# A graph helper that waits while $T/gate exists before it starts, else
# the real one: the crowd below keeps its graphs in flight with it.
cat >"$T/helper.sh" <<EOT
#!/bin/sh
while [ -e "$T/gate" ]; do sleep 0.05; done
exec "$top_builddir/tally-render" "\$@"
EOT
chmod +x "$T/helper.sh"
HTTP_RENDER_HELPER=$T/helper.sh
http_start <<EOT
token = s3cret
max_headers = 4096
max_body = 4096
max_requests = 4
timeout = 2s
EOT
ok $? "gateway up on $U"
check "demo data flowing" wait_until 10 test -f "$T/rrd/demo/main/wave.rrd"

# Request size limits (evhttp answers these itself, not in JSON).
big=$(head -c 8000 /dev/zero | tr '\0' a)
s=$(code "$U/api/v1/metrics" -H "X-Big: $big")
ok $([ "$s" = 400 ] || [ "$s" = 413 ] || [ "$s" = 431 ]; echo $?) "headers past max_headers refused ($s)"
s=$(code "$U/graph?metric=$big")
ok $([ "$s" = 400 ] || [ "$s" = 413 ] || [ "$s" = 414 ]; echo $?) "request line past max_headers refused ($s)"
head -c 20000 /dev/zero | tr '\0' 1 >"$T/body"
s=$(code "$U/api/v1/put?metric=web.test.x" -X POST -H 'Authorization: Bearer s3cret' --data-binary @"$T/body")
ok $([ "$s" = 413 ] || [ "$s" = 400 ]; echo $?) "body past max_body refused ($s)"

# Paths: a fixed list; nothing made from the URL.
for p in /../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /index.html/../app.js //etc/passwd \
    /dashboard/index.html /app.js%00.html /graph/ /api/v1 /favicon.ico; do
	s=$(get "$U$p" --path-as-is)
	ok $([ "$s" = 404 ] && json_error not-found; echo $?) "path $p: 404"
done
s=$(get "$U/index.html?x=../../etc/passwd")
ok $([ "$s" = 200 ] && cmp -s "$T/b" "$top_srcdir/dashboard/index.html"; echo $?) \
    "a query on a file is ignored"

# Names are checked before anything.
for m in ../../etc/passwd demo.main.wave/../../x demo..wave DEMO.main.wave demo.main.wave%0a \
    %2e%2e.main.wave "demo.main.$(head -c 300 /dev/zero | tr '\0' w)"; do
	s=$(get "$U/graph?metric=$m")
	s2=$(curl -s -o "$T/b2" -w '%{http_code}' "$U/api/v1/series?metric=$m")
	ok $([ "$s" = 400 ] && json_error bad-name && [ "$s2" = 400 ] &&
	    grep -q '"code":"bad-name"' "$T/b2"; echo $?) "bad name $(echo "$m" | cut -c1-30): 400 bad-name"
done
ls -R "$T/rrd" | grep -q passwd
ok $([ $? -ne 0 ]; echo $?) "no file named after a hostile name"

# Parameters: whitelisted, bounded.
for q in "metric=demo.main.wave&foo=1" "metric=demo.main.wave&width=100000" \
    "metric=demo.main.wave&height=0" "metric=demo.main.wave&title=%ff%fe" \
    "metric=demo.main.wave&title=a%00b" "metric=demo.main.wave&format=gif" \
    "metric=demo.main.wave&width=300&width=400" "metric" "&&" \
    "metric=demo.main.wave&compare=200y" "$(i=0; while [ $i -lt 70 ]; do printf 'metric=demo.main.wave&'; i=$((i + 1)); done)"; do
	s=$(get "$U/graph?$q")
	ok $([ "$s" = 400 ] && json_error 'bad-[a-z]*'; echo $?) "graph?$(echo "$q" | cut -c1-40): 400"
done
s=$(get "$U/api/v1/series?metric=demo.main.wave&width=3")
ok $([ "$s" = 400 ] && grep -q 'unknown parameter' "$T/b"; echo $?) "series: unknown parameter 400"
s=$(get "$U/api/v1/series?metric=demo.main.wave&metric=demo.main.sawtooth")
ok $([ "$s" = 400 ] && grep -q 'given twice' "$T/b"; echo $?) "series: metric twice 400"
# One-second rows over ten years would be 315 million rows (librrd
# allocates them all): refused before fetching, whatever the cf.
for cf in AVERAGE MAX; do
	s=$(get "$U/api/v1/series?metric=demo.main.wave&start=-10y&resolution=1&cf=$cf")
	ok $([ "$s" = 400 ] && grep -q 'points (at most 20000)' "$T/b"; echo $?) "series: ten years at 1 s, cf $cf: 400"
done
hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$daemon_pid/status" 2>/dev/null)
ok $([ -n "$hwm" ] && [ "$hwm" -lt 300000 ]; echo $?) "peak memory stays small (${hwm:-?} kB)"
s=$(get "$U/metrics?format=json")
ok $([ "$s" = 400 ]; echo $?) "/metrics takes no parameter"

# Methods: GET and HEAD; writes only on /api/v1/put with the token.
for m in POST PUT DELETE OPTIONS PATCH; do
	s=$(get "$U/graph?metric=demo.main.wave" -X $m)
	ok $([ "$s" = 405 ] && json_error method-not-allowed && [ "$(header Allow)" = 'GET, HEAD' ]; echo $?) "$m /graph: 405"
done
s=$(get "$U/" -X POST --data-binary x)
ok $([ "$s" = 405 ]; echo $?) "POST /: 405"
s=$(get "$U/api/v1/put?metric=web.test.x&value=N:1" -X POST -H 'Authorization: Bearer s3cre')
ok $([ "$s" = 401 ]; echo $?) "a token one byte short: 401"
s=$(get "$U/api/v1/put?metric=web.test.x&value=N:1" -X POST -H 'Authorization: Basic czNjcmV0')
ok $([ "$s" = 401 ]; echo $?) "Basic instead of Bearer: 401"
printf 'BREW /graph HTTP/1.1\r\nHost: x\r\n\r\n' | "$NC" -T "127.0.0.1:$PORT" -w 3000 >"$T/raw"
head -1 "$T/raw" | grep -qE '^HTTP/1\.[01] (400|405|501)'; ok $? "unknown method refused: $(head -1 "$T/raw" | tr -d '\r')"
head -c 3000 /dev/urandom | "$NC" -T "127.0.0.1:$PORT" -w 3000 >/dev/null
ok $(alive; echo $?) "alive after binary garbage"

# A crowd: 40 different graphs at once, max_requests = 4.  Each answer is
# the graph or 503 busy in JSON; none is lost.  The helpers are held at
# the gate until the crowd has been answered, so that the first 4 stay in
# flight and the other 36 are refused however fast or loaded the machine
# (renders that end before the next request comes would refuse none).
touch "$T/gate"
for p in $(pgrep -P "$daemon_pid"); do kill -KILL "$p"; done
: >"$T/codes"
seq 1 40 | xargs -P 40 -I{} sh -c \
    "curl -s -o '$T/crowd.{}' -w '%{http_code}\n' '$U/graph?metric=demo.main.wave&start=-1h&width=10{}&height=600'" \
    >>"$T/codes" &
crowd=$!
extra_pids="$extra_pids $crowd"
wait_until 30 sh -c "[ \$(grep -c '^503$' '$T/codes') -ge 36 ]"
rm -f "$T/gate"
wait $crowd
n200=$(grep -c '^200$' "$T/codes")
n503=$(grep -c '^503$' "$T/codes")
echo "# 200: $n200, 503: $n503, other: $(grep -cvE '^(200|503)$' "$T/codes")"
ok $([ $((n200 + n503)) -eq 40 ] && [ "$n200" -ge 4 ]; echo $?) "every request answered: $n200 graphs, $n503 busy"
ok $([ "$n200" -eq 4 ] && [ "$n503" -eq 36 ]; echo $?) "max_requests enforced: 4 in flight, $n503 busy"
busy=$(grep -l '"code":"busy"' "$T"/crowd.* 2>/dev/null | wc -l)
ok $([ "$busy" -eq "$n503" ]; echo $?) "503s say busy in JSON ($busy)"
ok $([ "$(code "$U/graph?metric=demo.main.wave&width=777")" = 200 ]; echo $?) "served again after the crowd"

# Clients that vanish while their graph renders.
i=0
while [ $i -lt 12 ]; do
	curl -s -m 0.02 -o /dev/null "$U/graph?metric=demo.main.wave&start=-1h&width=$((2000 + i))&height=1500"
	printf 'GET /graph?metric=demo.main.sawtooth&width=%d HTTP/1.1\r\nHost: x\r\n\r\n' $((1500 + i)) |
	    "$NC" -T "127.0.0.1:$PORT" -c >/dev/null
	i=$((i + 1))
done
ok $(alive; echo $?) "alive after 24 clients left mid-graph"
check "every waiting slot comes back" wait_until 20 sh -c \
    "seq 1 4 | xargs -P 4 -I{} curl -s -o /dev/null -w '%{http_code}\n' '$U/graph?metric=demo.main.wave&width=9{}0' | grep -c 200 | grep -q '^4$'"

# Half a request, then silence (the connection kept open): closed after
# the timeout (2 s), not kept forever.
t0=$(date +%s)
{
	printf 'GET /api/v1/metrics HTTP/1.1\r\nHost: x\r\n'
	i=0
	while [ $i -lt 100 ] && [ ! -f "$T/closed" ]; do sleep 0.1; i=$((i + 1)); done
} | { "$NC" -T "127.0.0.1:$PORT" -w 100 >"$T/slow"; date +%s >"$T/closed"; }
el=$(($(cat "$T/closed") - t0))
ok $([ "$el" -ge 1 ] && [ "$el" -le 5 ] && [ ! -s "$T/slow" ]; echo $?) "half a request: closed after ${el}s, unanswered"
ok $([ "$(code "$U/api/v1/metrics")" = 200 ]; echo $?) "others served meanwhile"

stop_tallyd
ok $([ "$daemon_rc" -eq 0 ]; echo $?) "clean exit"
grep -qE 'ERROR: AddressSanitizer|runtime error|Invalid (read|write)' "$T/tallyd.log"
ok $([ $? -ne 0 ]; echo $?) "no memory errors in the log"
done_testing
