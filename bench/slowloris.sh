#!/bin/sh
# bench/slowloris.sh - do slow HTTP connections keep others out?
#   A probe times PING on the unix socket (one connection) and GET
#   /api/v1/metrics (a new connection each, as a browser would) N times,
#   first alone (the baseline, same run), then while CROWD connections
#   trickle a header byte every 2 s (tests/tools/crowd), with [http]
#   max_connections MAXCONN and header_timeout 10s.  Prints p50, p99, max
#   of both in ms, failed requests, and tallyd's CPU seconds per second
#   during each phase (a spinning accept loop would show 1.0).
#
# Env: CROWD=2000  PROBES=300  MAXCONN=2048 (the default) TALLYD, TMPDIR, BENCH_KEEP (common.sh)
# Needs tests/tools/crowd (make check builds it) and python3.

. "$(cd "$(dirname "$0")" && pwd)/common.sh"

: "${CROWD:=2000}"
: "${PROBES:=300}"
CROWD_BIN=$top_builddir/tests/tools/crowd
[ -x "$CROWD_BIN" ] || die "no $CROWD_BIN (make check builds it)"
command -v python3 >/dev/null 2>&1 || die "python3 is needed for the probe"
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "# bench/slowloris.sh $(date -u +%Y-%m-%dT%H:%MZ) on $(machine)"
echo "# tallyd $("$TALLYD" -V 2>/dev/null | head -1) ($TALLYD); crowd=$CROWD probes=$PROBES nofile=$(ulimit -n) load average $(cut -d' ' -f1-3 /proc/loadavg)"

tallyd_config "$W/t"
port=$((20000 + $$ % 20000))
cat >>"$W/t/tallyd.conf" <<EOT

[plugin demo main]
interval = 1s

[http]
listen = 127.0.0.1:$port
max_connections = ${MAXCONN:-2048}
header_timeout = 10s
EOT
tallyd_start "$W/t"
wait_for 10 sh -c "grep -q 'http: serving' '$W/t/tallyd.log'" ||
    die "no gateway: $(tail -3 "$W/t/tallyd.log")"

probe() {	# probe LABEL: one line of figures
	python3 - "$W/t/tallyd.sock" "$port" "$PROBES" "$1" <<'EOP'
import http.client, socket, sys, time
sock, port, n, label = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
u = socket.socket(socket.AF_UNIX); u.connect(sock); f = u.makefile('rb')
f.readline()
ping, get, fail = [], [], 0
for i in range(n):
    t = time.monotonic(); u.sendall(b'PING\n'); l = f.readline()
    ping.append((time.monotonic() - t) * 1000)
    if l != b'OK 0 PONG\n': fail += 1
    t = time.monotonic()
    try:
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
        c.request('GET', '/api/v1/metrics'); r = c.getresponse(); r.read()
        if r.status != 200: fail += 1
        c.close()
    except Exception:
        fail += 1
    get.append((time.monotonic() - t) * 1000)
    time.sleep(0.01)
def q(v, p): v = sorted(v); return v[min(len(v) - 1, int(len(v) * p))]
print('%-8s PING p50 %.2f p99 %.2f max %.2f ms  GET /metrics p50 %.2f p99 %.2f max %.2f ms  failed %d'
      % (label, q(ping, .5), q(ping, .99), max(ping), q(get, .5), q(get, .99), max(get), fail))
EOP
}

c0=$(cpu_s "$tallyd_pid"); t0=$(date +%s.%N)
probe alone
c1=$(cpu_s "$tallyd_pid"); t1=$(date +%s.%N)
echo "alone    tallyd CPU $(calc "($c1 - $c0) / ($t1 - $t0)") s/s"

"$CROWD_BIN" -T "127.0.0.1:$port" -n "$CROWD" -m http -d 2000 -t 3600 \
    -r 1000 >"$W/crowd.out" &
crowd=$!
bench_pids="$bench_pids $crowd"
sleep 5		# the crowd at full size
c0=$(cpu_s "$tallyd_pid"); t0=$(date +%s.%N)
probe crowd
c1=$(cpu_s "$tallyd_pid"); t1=$(date +%s.%N)
echo "crowd    tallyd CPU $(calc "($c1 - $c0) / ($t1 - $t0)") s/s, descriptors $(ls "/proc/$tallyd_pid/fd" | wc -l)"
kill -TERM "$crowd"
tallyd_stop
