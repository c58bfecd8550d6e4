#!/bin/sh
# The HTTP gateway with a real client (curl): every endpoint, caching
# headers, HEAD, writes with a token, the config checks and a reload.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/http-lib.sh"

# Bad [http] values are config errors with file:line.
write_config "$T/bad.conf" <<EOT
[http]
listen = 127.0.0.1:1
counter_total = ../../etc/passwd
max_requests = 0
colour = blue
EOT
out=$("$TALLYD" -t -c "$T/bad.conf" 2>&1)
echo "$out" | sed 's/^/# /'
echo "$out" | grep -q "bad.conf:[0-9]*: bad value '../../etc/passwd' for counter_total: not a metric name"
ok $? "counter_total must be a metric name (file:line)"
echo "$out" | grep -q "bad.conf:[0-9]*: bad value '0' for max_requests"
ok $? "max_requests range checked"
echo "$out" | grep -q "bad.conf:[0-9]*: unknown key 'colour' in \[http\]"
ok $? "unknown [http] key refused"

tstart=$(date +%s)
http_start <<EOT
token = s3cret
counter_total = demo.main.visits
counter_online = demo.main.wave
EOT
ok $? "gateway up on $U"
check "demo data flowing" wait_until 10 test -f "$T/rrd/demo/main/wave.rrd"
log_has "http: serving on http://127.0.0.1:$PORT/"
ok $? "start-up log names the URL"

# The dashboard: fixed files, validators, a strict content policy.
s=$(get "$U/")
ok $([ "$s" = 200 ] && header Content-Type | grep -q '^text/html; charset=utf-8$'; echo $?) "/ is the dashboard ($s)"
grep -q 'Số liệu kinh tế tập thể' "$T/b"; ok $? "in Vietnamese"
cmp -s "$T/b" "$top_srcdir/dashboard/index.html"; ok $? "byte for byte index.html"
header Content-Security-Policy | grep -q "default-src 'none'; script-src 'self'"
ok $? "Content-Security-Policy: nothing from elsewhere"
etag=$(header ETag)
ok $([ "$(code "$U/" -H "If-None-Match: $etag")" = 304 ]; echo $?) "If-None-Match $etag: 304"
for f in app.js:text/javascript style.css:text/css counter.js:text/javascript; do
	s=$(get "$U/${f%%:*}")
	ok $([ "$s" = 200 ] && header Content-Type | grep -q "^${f#*:}; charset=utf-8$" &&
	    cmp -s "$T/b" "$top_srcdir/dashboard/${f%%:*}"; echo $?) "/${f%%:*} as ${f#*:}"
done

# /api/v1/metrics: every series with kind, unit and last value.
s=$(get "$U/api/v1/metrics")
ok $([ "$s" = 200 ] && header Content-Type | grep -q '^application/json'; echo $?) "/api/v1/metrics is JSON"
grep -q '{"name":"demo.main.wave","kind":"gauge","unit":"people","time":[0-9]*,"value":[-0-9.e]*}' "$T/b"
ok $? "lists demo.main.wave with kind, unit, time, value"
grep -q '"name":"demo.main.visits","kind":"counter"' "$T/b"; ok $? "and the counter"
ok $([ -z "$(header Access-Control-Allow-Origin)" ]; echo $?) "no CORS header on the API"

# /graph: PNG of the requested size, validators, HEAD, SVG, compare.
# Absolute times in the past: the same image however slow the machine is.
end=$(($(date +%s) - 3))
g="$U/graph?metric=demo.main.wave&metric=demo.main.sawtooth&label=S%E1%BB%91+ng%C6%B0%E1%BB%9Di&start=$((end - 120))&end=$end&width=640&height=240&title=Tr%E1%BB%B1c+tuy%E1%BA%BFn&style=area"
s=$(get "$g")
ok $([ "$s" = 200 ] && [ "$(header Content-Type)" = image/png ]; echo $?) "/graph answers image/png ($s)"
ok $([ "$(head -c 4 "$T/b" | od -An -c | tr -d ' ')" = '211PNG' ]; echo $?) "the bytes are a PNG"
cp "$T/b" "$T/g.png"
sz=$(png_size "$T/g.png")
ok $([ "$sz" = 640x240 ]; echo $?) "PNG is the requested 640x240 ($sz)"
etag=$(header ETag)
echo "$etag" | grep -qE '^"[0-9a-f]{16}"$'; ok $? "ETag is a hash of the bytes ($etag)"
header Cache-Control | grep -q '^max-age=5$'; ok $? "Cache-Control max-age = graph_cache"
ok $([ "$(code "$g" -H "If-None-Match: W/\"x\", $etag")" = 304 ]; echo $?) "If-None-Match in a list: 304"
ok $([ "$(code "$g" -H 'If-None-Match: "0000000000000000"')" = 200 ]; echo $?) "another tag: 200"
s=$(get "$g" -I)	# curl -I writes the headers as the body too
len=$(header Content-Length)
ok $([ "$s" = 200 ] && cmp -s "$T/h" "$T/b" && [ "$len" = "$(wc -c <"$T/g.png" | tr -d ' ')" ]; echo $?) \
    "HEAD: no body, Content-Length of the image ($len)"
s=$(get "$U/graph?metric=demo.main.wave&format=svg&width=300&height=120&compare=1y&start=-1h")
ok $([ "$s" = 200 ] && [ "$(header Content-Type)" = image/svg+xml ] && grep -q '<svg' "$T/b"; echo $?) \
    "SVG with a year-over-year overlay"

# /api/v1/series: FETCH by name; null where unknown.
known() {
	curl -s "$U/api/v1/series?metric=demo.main.sawtooth&start=-30s&cf=LAST" |
	    grep -o '\[[0-9]*,[-0-9.e]*\]' | wc -l
}
known_ge() { [ "$(known)" -ge "$1" ]; }
check "a few seconds of data" wait_until 15 known_ge 5
# From 10 s before the start: those points are unknown however long the
# test has run so far.
s=$(get "$U/api/v1/series?metric=demo.main.sawtooth&start=$((tstart - 10))&end=now&cf=LAST&resolution=1")
ok $([ "$s" = 200 ]; echo $?) "/api/v1/series ($s)"
head -c 200 "$T/b" | sed 's/^/# /'; echo
grep -q '^{"metric":"demo.main.sawtooth","cf":"LAST","step":1,"start":[0-9]*,"end":[0-9]*,"points":\[\[' "$T/b"
ok $? "metric, cf, step, start, end, points"
n=$(grep -o '\[[0-9]*,[-0-9.e]*\]' "$T/b" | wc -l)
ok $([ "$n" -ge 5 ]; echo $?) "known points come as numbers ($n)"
grep -q '\[[0-9]*,null\]' "$T/b"; ok $? "unknown points as null"
s=$(get "$U/api/v1/series?metric=no.such.metric")
ok $([ "$s" = 404 ] && json_error not-found; echo $?) "unknown series: 404 not-found"
s=$(get "$U/api/v1/series?metric=demo.main.wave&cf=MEDIAN")
ok $([ "$s" = 400 ] && json_error bad-args; echo $?) "bad cf: 400 bad-args"
s=$(get "$U/api/v1/series?metric=demo.main.wave&start=yesterday")
ok $([ "$s" = 400 ] && json_error bad-time; echo $?) "bad time: 400 bad-time"
s=$(get "$U/api/v1/series?start=-1h")
ok $([ "$s" = 400 ] && json_error bad-args; echo $?) "missing metric: 400"

# /metrics: Prometheus text from the registry.
s=$(get "$U/metrics")
ok $([ "$s" = 200 ] && header Content-Type | grep -q '^text/plain; version=0.0.4'; echo $?) "/metrics is exposition text"
grep -q '^# TYPE tally_demo_wave gauge$' "$T/b" && grep -q '^tally_demo_wave{instance="main"} [-0-9.e]*$' "$T/b"
ok $? "gauge with TYPE and value, the instance a label (the query API's names)"
grep -q '^# TYPE tally_demo_visits counter$' "$T/b"; ok $? "counter as counter"
grep -q '^# HELP tally_demo_wave demo.<instance>.wave (people)$' "$T/b"; ok $? "HELP names the series and unit"
bad=$(grep -v '^#' "$T/b" | grep -cvE '^[a-zA-Z_:][a-zA-Z0-9_:]*\{instance="[a-z0-9_-]+"\} [-+0-9.eNaInf]+$')
ok $([ "$bad" -eq 0 ]; echo $?) "every sample line is NAME{instance=...} VALUE with a valid name"

# The visitor counter.
s=$(get "$U/counter.json")
cat "$T/b" | sed 's/^/# /'
ok $([ "$s" = 200 ] && grep -qE '^\{"visits_total":[0-9]+,"online":[0-9]+,"updated":[0-9]+\}$' "$T/b"; echo $?) \
    "/counter.json: visits_total, online, updated"
ok $([ "$(header Access-Control-Allow-Origin)" = '*' ]; echo $?) "with CORS for any site"

# Alerts: the engine's document as it is.
s=$(get "$U/api/v1/alerts")
ok $([ "$s" = 200 ] && grep -q '^{"alerts":\[' "$T/b"; echo $?) "/api/v1/alerts is the alert list ($s)"

# Writes with the token.  A new series gets the default preset (step 60):
# minute-aligned times read back exactly.
now=$(date +%s)
t0=$((now - now % 60 - 600))
s=$(get "$U/api/v1/put?metric=web.test.temp" -X POST -H 'Authorization: Bearer s3cret' \
    --data-binary "$t0:1.5
$((t0 + 60)):2.5 bogus")
cat "$T/b" | sed 's/^/# /'
ok $([ "$s" = 200 ] && grep -q '"accepted":2,"refused":\[{"value":"bogus","reason":' "$T/b"; echo $?) \
    "POST /api/v1/put stores 2 values, refuses 1 with a reason"
s=$(get "$U/api/v1/put?metric=web.test.temp&value=N:3" -X PUT -H 'Authorization: Bearer s3cret')
ok $([ "$s" = 200 ] && grep -q '"accepted":1' "$T/b"; echo $?) "PUT with value= too"
s=$(get "$U/api/v1/put?metric=web.test.temp&value=N:4" -X POST -H 'Authorization: Bearer wrong')
ok $([ "$s" = 401 ] && json_error auth && header WWW-Authenticate | grep -q '^Bearer'; echo $?) "wrong token: 401"
s=$(get "$U/api/v1/put?metric=web.test.temp&value=N:4" -X POST)
ok $([ "$s" = 401 ]; echo $?) "no token: 401"
s=$(get "$U/api/v1/put?metric=web.test.temp&value=N:4")
ok $([ "$s" = 405 ] && [ "$(header Allow)" = 'POST, PUT' ]; echo $?) "GET on put: 405 with Allow"
s=$(get "$U/api/v1/series?metric=web.test.temp&start=$((t0 - 60))&end=$((t0 + 60))&resolution=60")
grep -q "\[$t0,1.5\],\[$((t0 + 60)),2.5\]" "$T/b"; ok $? "the values read back"

# Reload: no token any more (POST without one went from 401 to 405).
sed -i '/^token = /d' "$T/t.conf"
kill -HUP "$daemon_pid"
check "reload applied" wait_until 10 sh -c \
    "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST '$U/api/v1/put?metric=web.test.temp&value=N:5')\" = 405 ]"
s=$(get "$U/api/v1/put?metric=web.test.temp&value=N:5" -X POST -H 'Authorization: Bearer s3cret')
ok $([ "$s" = 405 ] && json_error method-not-allowed; echo $?) "writes off after reload: 405 even with the old token"

stop_tallyd
ok $([ "$daemon_rc" -eq 0 ]; echo $?) "clean exit"

# After a restart the registry has no last values until plugins submit
# again (here never: every read fails, as a yearly coop figure would
# wait a year); /api/v1/metrics and /metrics read them from the files.
sed -i 's/^retention = test$/&\nfail_every = 1/' "$T/t.conf"
start_tallyd "$T/t.conf"
check "restarted" wait_until 10 http_up
s=$(get "$U/api/v1/metrics")
grep -q '{"name":"demo.main.wave","kind":"gauge","unit":"people","time":[0-9]*,"value":[-0-9.e]*}' "$T/b"
ok $? "last values from the files after a restart"
jv=$(sed -n 's/.*{"name":"demo.main.wave",[^}]*"value":\([-0-9.e]*\)}.*/\1/p' "$T/b")
s=$(get "$U/metrics")
pv=$(sed -n 's/^tally_demo_wave{instance="main"} //p' "$T/b")
ok $([ "$s" = 200 ] && [ -n "$pv" ] && [ "$pv" = "$jv" ]; echo $?) \
    "/metrics has the last value from the file too ($pv = $jv)"
grep -q '^# TYPE tally_demo_wave gauge$' "$T/b"
ok $? "... with its TYPE"
s=$(curl -s -I -o "$T/b" -w '%{http_code}' "$U/metrics")
ok $([ "$s" = 200 ] && grep -qi '^Cache-Control: no-store' "$T/b"; echo $?) \
    "HEAD /metrics after the file reads: 200, no-store"
stop_tallyd
ok $([ "$daemon_rc" -eq 0 ]; echo $?) "clean exit again"
done_testing
