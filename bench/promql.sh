#!/bin/sh
# bench/promql.sh [SECONDS] - query_range of the Prometheus API, tallyd
# beside VictoriaMetrics on the same data in the same run, with wrk:
#   10y-daily	one series of daily values over ten years, by the day
#		(3651 points), as a selector, as sum(), and as a
#		year-over-year difference (x - x offset 1y)
#   1d-minute	two series of minute values over a day, by the minute
#		(1441 points), as a selector and as sum by (instance) of
#		rate(x[5m])
# Each case: requests/s, p50 and p99 latency with 1 connection and with
# 32, and the answer's size (the two must give the same points: checked
# before measuring).  Needs wrk, curl, victoria-metrics (Debian packages).
set -u
secs=${1:-5}
top=$(cd "$(dirname "$0")/.." && pwd)
: "${top_builddir:=$top}"
: "${VICTORIA_METRICS:=/usr/bin/victoria-metrics}"
for c in wrk curl python3; do
	command -v $c >/dev/null || { echo "bench/promql.sh: needs $c" >&2; exit 1; }
done
[ -x "$VICTORIA_METRICS" ] || { echo "bench/promql.sh: needs victoria-metrics" >&2; exit 1; }
[ -x "$top_builddir/tallyd" ] || { echo "bench/promql.sh: build first" >&2; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/tally-bench.XXXXXX")
pids=
trap 'for p in $pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
PORT=$((30000 + $$ % 20000))
VMPORT=$((PORT + 1))
U="http://127.0.0.1:$PORT"
VMU="http://127.0.0.1:$VMPORT"
cat >"$T/b.conf" <<EOT
[daemon]
pidfile =
socket =
plugin_dir = $top_builddir/plugins/.libs
statedir = $T/state

[storage]
datadir = $T/rrd
retention = both

[retention both]
step = 60s
heartbeat = 2y
rra = AVERAGE:1m:8d
rra = AVERAGE:1h:5y
rra = AVERAGE:1d:20y

[http]
listen = 127.0.0.1:$PORT
token = bench
max_requests = 256
EOT
"$top_builddir/tallyd" -f -c "$T/b.conf" >"$T/tallyd.log" 2>&1 &
pids="$pids $!"
tpid=$!
"$VICTORIA_METRICS" -httpListenAddr="127.0.0.1:$VMPORT" \
    -storageDataPath="$T/vm" -retentionPeriod=100y \
    -search.latencyOffset=0s -loggerLevel=ERROR >"$T/vm.log" 2>&1 &
pids="$pids $!"
vpid=$!
i=0
until curl -sf "$VMU/health" >/dev/null && curl -s -o /dev/null "$U/metrics"; do
	i=$((i + 1))
	[ $i -lt 200 ] || { echo "bench/promql.sh: no start" >&2; tail -n 3 "$T/tallyd.log" "$T/vm.log" >&2; exit 1; }
	sleep 0.1
done

python3 - "$T" <<'EOF'
import json, math, sys, time
out = sys.argv[1]
now = int(time.time())
D = 86400
day_n = now - now % D - D
min_n = now - now % 60 - 60
days = [day_n - k * D for k in range(3652, -1, -1)]
mins = [min_n - k * 60 for k in range(1440 + 10, -1, -1)]
sets = [("coop.b.members", "tally_coop_members", "b", days,
         lambda i: 1000 + 3 * i + (i % 7) * 10),
        ("site.a.hits", "tally_site_hits", "a", mins, lambda i: 40 * i),
        ("site.c.hits", "tally_site_hits", "c", mins, lambda i: 7 * i + i % 5)]
with open(out + "/import.json", "w") as imp:
    for name, metric, inst, times, f in sets:
        vals = [f(i) for i in range(len(times))]
        open(out + "/put." + name, "w").write(
            "\n".join("%d:%r" % (t, v) for t, v in zip(times, vals)))
        imp.write(json.dumps({"metric": {"__name__": metric, "instance": inst},
            "values": vals, "timestamps": [t * 1000 for t in times]}) + "\n")
open(out + "/times", "w").write("DAY_N=%d\nMIN_N=%d\n" % (day_n, min_n))
EOF
. "$T/times"
for f in "$T"/put.*; do
	curl -s -o /dev/null -X POST -H 'Authorization: Bearer bench' \
	    --data-binary @"$f" "$U/api/v1/put?metric=${f##*/put.}"
done
curl -s --data-binary @"$T/import.json" "$VMU/api/v1/import"
curl -s "$VMU/internal/force_flush"

enc() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"
}
# points BASE PATH: the points of an answer.
points() {
	curl -s "$1$2" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(len(s["values"]) for s in d["data"]["result"]))'
}

echo "# bench/promql.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(sed -n 's/^PRETTY_NAME="*\([^"]*\)"*$/\1/p' /etc/os-release); $("$VICTORIA_METRICS" -version 2>&1 | head -1)"
echo "# ${secs}s per figure; load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %-6s %6s %10s %10s %10s %8s\n' case server conns req/s p50 p99 points
y0=$((DAY_N - 3650 * 86400))
m0=$((MIN_N - 1440 * 60))
while IFS='|' read -r name q start end step; do
	path="/api/v1/query_range?query=$(enc "$q")&start=$start&end=$end&step=$step"
	pt=$(points "$U" "$path")
	pv=$(points "$VMU" "$path")
	[ "$pt" = "$pv" ] || echo "# $name: tallyd $pt points, victoria-metrics $pv"
	for server in tallyd vm; do
		base=$U
		[ $server = vm ] && base=$VMU
		for conns in 1 32; do
			th=1
			[ $conns -gt 1 ] && th=2
			wrk -t$th -c$conns -d"${secs}s" --latency "$base$path" \
			    >"$T/wrk" 2>&1
			rps=$(awk '/^Requests\/sec:/ { print $2 }' "$T/wrk")
			p50=$(awk '$1 == "50%" { print $2 }' "$T/wrk")
			p99=$(awk '$1 == "99%" { print $2 }' "$T/wrk")
			non2xx=$(awk '/Non-2xx/ { print $NF }' "$T/wrk")
			printf '%-44s %-6s %6s %10s %10s %10s %8s%s\n' "$name" \
			    $server $conns "$rps" "$p50" "$p99" "$pt" \
			    "${non2xx:+ non-2xx $non2xx}"
		done
	done
done <<EOT
10y-daily x|tally_coop_members|$y0|$DAY_N|86400
10y-daily sum(x)|sum(tally_coop_members)|$y0|$DAY_N|86400
10y-daily x - x offset 1y|tally_coop_members - tally_coop_members offset 1y|$((y0 + 365 * 86400))|$DAY_N|86400
1d-minute x|tally_site_hits|$m0|$MIN_N|60
1d-minute sum by (instance) (rate(x[5m]))|sum by (instance) (rate(tally_site_hits[5m]))|$m0|$MIN_N|60
EOT
