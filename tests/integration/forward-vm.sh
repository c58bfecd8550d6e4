#!/bin/sh
# [forward NAME] type = victoriametrics against a real VictoriaMetrics:
# a few thousand values over several series and a backfill with 2015
# times are PUT, and every acknowledged value must appear in VM's
# /api/v1/export with its own time and value, under the names /metrics
# gives.  Then: VM stopped (backlog grows in STATS, ingest goes on),
# restarted on the same data, everything arrives; tallyd kill -9'd while
# forwarding, restarted, nothing missing; a receiver answering 400 is
# counted as refused and does not block later values; a match glob
# forwards only matching series; tallyd -t refuses bad keys with
# file:line.  Needs curl, python3 and victoria-metrics (Debian packages).
. "${top_srcdir:-.}/tests/integration/lib.sh"

VM=${VICTORIA_METRICS:-/usr/bin/victoria-metrics}
[ -x "$VM" ] || skip_all "victoria-metrics is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"

# ---- tallyd -t: the keys are checked, errors name file:line
write_config "$T/bad.conf" <<EOT
[forward a]
type = victoriametrics
url = https://127.0.0.1:8428

[forward b]
type = graphite
address = nowhere

[forward c]
type = victoriametrics
url = http://127.0.0.1:8428
match = coop.*
match = BAD GLOB/..

[forward d]
type = carbon

[forward e]
type = graphite
address = 127.0.0.1:2003
prefix = .bad..prefix
url = http://127.0.0.1:1/
EOT
"$TALLYD" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1
ok $([ $? -ne 0 ]; echo $?) "tallyd -t refuses bad [forward] sections"
for want in "bad url 'https://127.0.0.1:8428': http:// only" \
    "bad address 'nowhere'" \
    "bad match glob 'BAD GLOB/\\.\\.'" \
    "carbon" \
    "bad prefix '\\.bad\\.\\.prefix'" \
    "url applies to type = victoriametrics only"; do
	grep -qE "bad\\.conf:[0-9]+: .*$want" "$T/bad.out"
	ok $? "tallyd -t says: $want"
done
write_config "$T/mem.conf" <<EOT
[forward vm]
type = victoriametrics
url = http://127.0.0.1:8428
EOT
sed -i 's/^\[storage\]$/[storage]\ndurability = memory/' "$T/mem.conf"
"$TALLYD" -t -c "$T/mem.conf" >"$T/mem.out" 2>&1
grep -qE 'mem.conf:[0-9]+: \[forward vm\] needs the journal' "$T/mem.out"
ok $? "durability = memory with a [forward] is a config error at its line"

# ---- VictoriaMetrics on a free loopback port, its own storage
VM_FLAGS=-dedup.minScrapeInterval=1ms
vm_start

# A receiver that refuses everything with 400 (python3, loopback).
cat >"$T/refuse.py" <<'EOF'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0))
        self.rfile.read(n)
        body = b"cannot parse line: bad input\n" * 20
        self.send_response(400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with open(sys.argv[2], "a") as f:
            f.write("post\n")
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 "$T/refuse.py" "$T/refuse.port" "$T/refuse.log" &
extra_pids="$extra_pids $!"
wait_until 20 test -s "$T/refuse.port"
RPORT=$(cat "$T/refuse.port")

HPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
write_config "$T/t.conf" <<EOT
[http]
listen = 127.0.0.1:$HPORT
dashboard_dir = $top_srcdir/dashboard

[forward vm]
type = victoriametrics
url = http://127.0.0.1:$VMPORT
batch = 700
timeout = 5s

[forward coop]
type = victoriametrics
url = http://127.0.0.1:$VMPORT/nothing-here
match = coop.*.*

[forward refuser]
type = victoriametrics
url = http://127.0.0.1:$RPORT
match = fwd.a.*
EOT
start_tallyd "$T/t.conf" -v
check "tallyd up" wait_until 30 test -S "$SOCK"
check "the forwarders start" wait_until 30 log_has "forward vm: to "

stat() {	# stat NAME: its figure in STATS
	ask STATS | awk -v n="$1" '$1 == n { print $2 }'
}
stat_ge() {	# stat_ge NAME N
	v=$(stat "$1")
	[ -n "$v" ] && [ "${v%.*}" -ge "$2" ]
}

# putfile SERIES FIRST COUNT: COUNT values a second apart from FIRST,
# 50 a PUT on one connection; prints how many were accepted.
BASE=$(($(date +%s) - 20000))
putfile() {
	python3 - "$@" <<'EOF' >"$T/put.cmds"
import sys
s, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(0, n, 50):
    pts = []
    for k in range(i, min(n, i + 50)):
        t = first + k
        v = ((t * 7919) % 100003) / 8.0 - 1000
        pts.append("%d:%r" % (t, v))
    print("PUT %s %s" % (s, " ".join(pts)))
EOF
	"$NC" -U "$SOCK" -w 30000 <"$T/put.cmds" >"$T/put.out"
	awk '/^OK/ { split($3, a, "="); n += a[2] } END { print n + 0 }' \
	    "$T/put.out"
}
# want SERIES PROMNAME INSTANCE FIRST COUNT: what VM must hold.
want() {
	python3 - "$@" <<'EOF' >>"$T/want"
import sys
s, name, inst, first, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
for k in range(n):
    t = first + k
    v = ((t * 7919) % 100003) / 8.0 - 1000
    print("%s %s %d %r" % (name, inst, t * 1000, v))
EOF
}
: >"$T/want"
accepted=0
for s in a b c d; do
	n=$(putfile "fwd.$s.temp" "$BASE" 1000)
	accepted=$((accepted + n))
	want "fwd.$s.temp" tally_fwd_temp "$s" "$BASE" 1000
done
ok $([ "$accepted" -eq 4000 ]; echo $?) "4000 values acknowledged ($accepted)"
# A coop-like backfill: yearly figures of 2015-2024 with their own times.
Y=coop.hanoi.members-total
puts=""
for y in 2015 2016 2017 2018 2019 2020 2021 2022 2023 2024; do
	t=$(date -u -d "$y-12-31 00:00:00" +%s)
	puts="$puts $t:$((y * 3))"
	echo "tally_coop_members_total hanoi $((t * 1000)) $((y * 3)).0" \
	    >>"$T/want"
done
ask "PUT $Y$puts" | head -1 | grep -q '^OK 0 accepted=10 refused=0$'
ok $? "PUT ten yearly points 2015-2024"

# check_vm: every wanted sample in VM's export, exactly; prints what is
# missing.  Compares values as Python floats (the text is exact).
cat >"$T/check.py" <<'EOF'
import json, sys, urllib.request, urllib.parse
url, wantf = sys.argv[1], sys.argv[2]
want = set()
for line in open(wantf):
    name, inst, t, v = line.split()
    want.add((name, inst, int(t), float(v)))
q = urllib.parse.urlencode({"match[]": '{__name__=~"tally_.*"}',
    "start": "0"})
have = set()
dups = 0
with urllib.request.urlopen(url + "/api/v1/export?" + q, timeout=60) as r:
    for line in r:
        o = json.loads(line)
        m = o["metric"]
        for t, v in zip(o["timestamps"], o["values"]):
            k = (m["__name__"], m.get("instance", ""), t, float(v))
            if k in have:
                dups += 1
            have.add(k)
missing = want - have
print("want=%d have=%d missing=%d dups=%d" % (len(want), len(have),
    len(missing), dups))
for k in sorted(missing)[:5]:
    print("missing", k)
sys.exit(0 if not missing else 1)
EOF
vm_has_all() {
	python3 "$T/check.py" "$VMU" "$T/want" >"$T/check.out" 2>&1
}
check "every acknowledged value reaches VictoriaMetrics with its time" \
    wait_until 120 vm_has_all
sed 's/^/# /' "$T/check.out"
check "STATS: forward.vm.sent counts them" stat_ge forward.vm.sent 4010
check "STATS: forward.vm.backlog_bytes drains to 0" \
    wait_until 60 sh -c "[ \"\$(printf 'STATS\n' | '$NC' -U '$SOCK' -w 5000 |
    awk '\$1 == \"forward.vm.backlog_bytes\" { print \$2 }')\" = 0 ]"
v=$(stat forward.vm.last_ok)
ok $([ -n "$v" ] && [ "${v%.*}" -ge $(($(date +%s) - 300)) ]; echo $?) \
    "STATS: forward.vm.last_ok is recent ($v)"

# ---- the same names as /metrics gives, and the figures in /metrics
curl -sf "http://127.0.0.1:$HPORT/metrics" >"$T/metrics"
ok $? "GET /metrics"
python3 - "$VMU" <<'EOF' >"$T/names"
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1] + "/api/v1/label/__name__/values", timeout=30) as r:
    print("\n".join(sorted(json.load(r)["data"])))
EOF
grep -q '^tally_fwd_temp{instance="a"} ' "$T/metrics" &&
    grep -q '^tally_coop_members_total{instance="hanoi"} ' "$T/metrics" &&
    grep -qx tally_fwd_temp "$T/names" &&
    grep -qx tally_coop_members_total "$T/names"
ok $? "VictoriaMetrics holds the names /metrics gives (names_prom)"
grep -qE '^tally_forward_sent_total\{forward="vm"\} [0-9]+$' "$T/metrics" &&
    grep -qE '^tally_forward_backlog_bytes\{forward="refuser"\} [0-9]+$' \
    "$T/metrics" && grep -q '^# TYPE tally_forward_dropped_total counter' \
    "$T/metrics"
ok $? "/metrics has the forwarders' figures"

# ---- a 4xx: refused, counted, not retried forever, not blocking
check "a receiver answering 400: values counted as refused" \
    wait_until 60 stat_ge forward.refuser.refused 1000
check "the refusal is logged with the receiver's answer" \
    log_has "forward refuser: [0-9]+ values refused by the receiver, skipped: HTTP status 400: cannot parse line"
check "and its backlog is not held back" \
    wait_until 60 sh -c "[ \"\$(printf 'STATS\n' | '$NC' -U '$SOCK' -w 5000 |
    awk '\$1 == \"forward.refuser.backlog_bytes\" { print \$2 }')\" = 0 ]"
check "VictoriaMetrics refuses an unknown path (4xx): counted as refused" \
    wait_until 60 stat_ge forward.coop.refused 10
v=$(stat forward.coop.refused)
ok $([ "${v:-x}" = 10 ]; echo $?) "the glob coop.*.* picked the 10 yearly values only ($v)"
v=$(stat forward.refuser.refused)
ok $([ "${v:-x}" = 1000 ]; echo $?) "the glob fwd.a.* picked fwd.a.temp only ($v)"
v=$(stat forward.coop.sent)
ok $([ "${v:-x}" = 0 ]; echo $?) "nothing refused is counted as sent ($v)"

# ---- an outage: VM stopped, values go on being acknowledged
kill "$vm_pid"
wait "$vm_pid" 2>/dev/null
n=$(putfile fwd.e.temp "$BASE" 1500)
want fwd.e.temp tally_fwd_temp e "$BASE" 1500
ok $([ "$n" -eq 1500 ]; echo $?) "while VM is down, PUT is still acknowledged ($n)"
check "STATS: backlog_bytes > 0 while the receiver is down" \
    wait_until 30 stat_ge forward.vm.backlog_bytes 1
check "STATS: errors counted" wait_until 30 stat_ge forward.vm.errors 1
check "the failure is logged, with the retry" \
    log_has "forward vm: [0-9]+ values not sent, retried in [0-9]+ s"
vm_run
check "victoria-metrics back on the same data" wait_until 60 vm_up
check "after the outage every value arrives" wait_until 180 vm_has_all
sed 's/^/# /' "$T/check.out"

# ---- kill -9 of tallyd mid-forward, then a restart: nothing missing
kill "$vm_pid"
wait "$vm_pid" 2>/dev/null
for s in f g h; do
	n=$(putfile "fwd.$s.temp" "$BASE" 1200)
	want "fwd.$s.temp" tally_fwd_temp "$s" "$BASE" 1200
done
vm_run
check "victoria-metrics back" wait_until 60 vm_up
# Kill as soon as the first batch is acknowledged: the rest is unsent.
sent0=$(stat forward.vm.sent)
wait_until 60 sh -c "[ \"\$(printf 'STATS\n' | '$NC' -U '$SOCK' -w 5000 |
    awk '\$1 == \"forward.vm.sent\" { print \$2 }')\" != '$sent0' ]"
stop_tallyd KILL
ls "$T/state/journal" | sed 's/^/# journal: /'
start_tallyd "$T/t.conf" -v
check "tallyd restarted after kill -9" wait_until 30 test -S "$SOCK"
check "after kill -9 and a restart nothing is missing" \
    wait_until 180 vm_has_all
sed 's/^/# /' "$T/check.out"

# ---- a clean stop with a receiver down keeps the backlog; a start sends it
kill "$vm_pid"
wait "$vm_pid" 2>/dev/null
n=$(putfile fwd.i.temp "$BASE" 800)
want fwd.i.temp tally_fwd_temp i "$BASE" 800
stop_tallyd TERM
ok "$daemon_rc" "clean stop with the receiver down"
ls "$T/state/journal" | grep -q '\.fwd$'
ok $? "the segments only the forwarder needs are kept (.fwd)"
vm_run
check "victoria-metrics back" wait_until 60 vm_up
start_tallyd "$T/t.conf" -v
check "tallyd restarted" wait_until 30 test -S "$SOCK"
check "the backlog of a clean stop is sent after the start" \
    wait_until 180 vm_has_all
sed 's/^/# /' "$T/check.out"
check "no .fwd segment left once sent" wait_until 60 sh -c \
    "! ls '$T/state/journal' | grep -q '\\.fwd\$'"

stop_tallyd TERM
ok "$daemon_rc" "tallyd stops cleanly"
kill "$vm_pid" 2>/dev/null
wait "$vm_pid" 2>/dev/null
done_testing
