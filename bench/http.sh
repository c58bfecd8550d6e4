#!/bin/sh
# bench/http.sh - requests per second of the HTTP gateway, with wrk
# (Debian package wrk).  Run from a built tree:
#
#	bench/http.sh [SECONDS]		(default 5 s per case)
#
# Starts tallyd on a private config with the demo plugin (one value a
# second, in files of two hours at one second) and ten years of daily
# values put through the gateway (the slow preset),
# and measures, each for SECONDS with 8 connections on 2 threads:
#   static	GET / (a dashboard file from memory)
#   metrics	GET /api/v1/metrics (registry, no disk)
#   prom	GET /metrics (registry, no disk)
#   counter	GET /counter.json
#   series	GET /api/v1/series, the last hour of one-second values
#		(3600 points; rrd_fetch_r on the query pool, never cached)
#   graph-hit	GET /graph, one URL: the render cache answers
#   graph-304	the same with If-None-Match: 304, no body
#   graph-miss	GET /graph, a new spec every request (one render each on the
#		one graph thread)
#   graph-10y	the same over ten years of daily values
# and prints one line per case: requests/s, mean and p99 latency, non-2xx.
set -u
secs=${1:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top}"
command -v wrk >/dev/null || { echo "bench/http.sh: needs wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench/http.sh: needs curl" >&2; exit 1; }
[ -x "$top_builddir/tallyd" ] || { echo "bench/http.sh: build first" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/tally-bench.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
PORT=$((30000 + $$ % 20000))
U="http://127.0.0.1:$PORT"
cat >"$T/b.conf" <<EOT
[daemon]
pidfile =
socket =
plugin_dir = $top_builddir/plugins/.libs
statedir = $T/state
graph_cache = 1h

[storage]
datadir = $T/rrd
retention = slow

[retention bench]
step = 1
heartbeat = 10
rra = AVERAGE:1s:2h

[plugin demo main]
interval = 1s
jitter = 0
retention = bench

[http]
listen = 127.0.0.1:$PORT
dashboard_dir = $top/dashboard
token = bench
max_requests = 1024
counter_total = demo.main.visits
counter_online = demo.main.wave
EOT
# Graphs render in helper processes where tallyd has them.
if "$top_builddir/tallyd" --help-config | grep -q '^  render_helper ='; then
	sed -i "s|^graph_cache = 1h$|&\nrender_helper = $top_builddir/tally-render|" "$T/b.conf"
fi
"$top_builddir/tallyd" -f -c "$T/b.conf" >"$T/log" 2>&1 &
pid=$!
i=0
until curl -s -o /dev/null "$U/api/v1/metrics"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { cat "$T/log"; exit 1; }
	sleep 0.1
done

# Ten years of daily values (slow preset).
now=$(date +%s)
d=$((now - now % 86400 - 3650 * 86400))
awk -v d=$d 'BEGIN { for (i = 0; i < 3650; i++) printf "%d:%d\n", d + i * 86400, 400 + i % 97 }' \
    >"$T/daily"
curl -s -o /dev/null -X POST -H 'Authorization: Bearer bench' --data-binary @"$T/daily" \
    "$U/api/v1/put?metric=bench.ten.years"

cat >"$T/miss.lua" <<'EOT'
-- A new graph spec every request: start moves back one second each time.
local n = 0
local base = os.time() - tonumber(os.getenv("BENCH_SPAN") or "3600")
local path = os.getenv("BENCH_GRAPH") or "demo.main.wave"
request = function()
	n = n + 1
	return wrk.format("GET", "/graph?metric=" .. path .. "&start=" ..
	    (base - n) .. "&end=" .. os.time() .. "&width=600&height=200")
end
EOT

# run NAME PATH [wrk args]: one line of results.
run() {
	name=$1
	path=$2
	shift 2
	wrk -t 2 -c 8 -d "${secs}s" --latency "$@" "$U$path" >"$T/wrk" 2>&1
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$T/wrk")
	avg=$(awk '$1 == "Latency" { print $2; exit }' "$T/wrk")
	p99=$(awk '$1 == "99%" { print $2 }' "$T/wrk")
	bad=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$T/wrk")
	printf '%-11s %10s req/s  mean %8s  p99 %8s  non-2xx/3xx %s\n' "$name" \
	    "${rps:-?}" "${avg:-?}" "${p99:-?}" "${bad:-0}"
}

g="/graph?metric=demo.main.wave&start=$((now - 3600))&end=$now&width=600&height=200"
etag=$(curl -s -D - -o /dev/null "$U$g" | awk -F': ' 'tolower($1) == "etag" { print $2 }' | tr -d '\r')
echo "# tallyd $("$top_builddir/tallyd" -V | cut -d' ' -f2), wrk -t2 -c8 -d${secs}s, $(nproc) CPUs"
run static /
run metrics /api/v1/metrics
run prom /metrics
run counter /counter.json
run series "/api/v1/series?metric=demo.main.wave&start=$((now - 3600))&end=$now&cf=AVERAGE"
run graph-hit "$g"
run graph-304 "$g" -H "If-None-Match: $etag"
run graph-miss / -s "$T/miss.lua"
BENCH_GRAPH=bench.ten.years BENCH_SPAN=$((3650 * 86400))
export BENCH_GRAPH BENCH_SPAN
run graph-10y / -s "$T/miss.lua"
