#!/bin/sh
# bench/forward.sh - forwarding throughput to VictoriaMetrics: the drain
# of a backlog (values tallyd acknowledged while the receiver was away)
# against VictoriaMetrics' own import of the same lines with curl, in the
# same run, into fresh VictoriaMetrics instances.
#
#   tallyd      S series x U values PUT (50 a line) while [forward vm]
#               points at a port nothing listens on; tallyd stopped (its
#               journal keeps the backlog, .fwd); VictoriaMetrics started,
#               tallyd started: time from tallyd's start until STATS
#               forward.vm.sent counts every value (polled every 0.05 s),
#               and tallyd's CPU seconds meanwhile.
#   curl        the same lines as tallyd sends them (Prometheus text with
#               millisecond times), POSTed to /api/v1/import/prometheus
#               by curl in batches of B lines (one curl a batch), one after the
#               other as the forwarder does; and all in one POST.
# Both are checked: VictoriaMetrics' /api/v1/export must hold S x U
# samples afterwards (after /internal/force_flush).
#
# Env: BENCH_SERIES=200  BENCH_VALUES=1000  BENCH_BATCH=10000
. "$(dirname "$0")/common.sh"

S=${BENCH_SERIES:-200}
U=${BENCH_VALUES:-1000}
B=${BENCH_BATCH:-10000}
VM=${VICTORIA_METRICS:-victoria-metrics}
command -v "$VM" >/dev/null 2>&1 || die "victoria-metrics not found"
command -v curl >/dev/null 2>&1 || die "curl not found"
command -v python3 >/dev/null 2>&1 || die "python3 not found"
N=$((S * U))

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
now_s() {
	date +%s.%N
}
vm_start() {	# vm_start DIR PORT
	"$VM" -httpListenAddr="127.0.0.1:$2" -storageDataPath="$1" \
	    -retentionPeriod=100y -loggerLevel=ERROR >"$1.log" 2>&1 &
	vm_pid=$!
	bench_pids="$bench_pids $vm_pid"
	wait_for 60 curl -sf "http://127.0.0.1:$2/health" ||
	    die "victoria-metrics did not start"
}
vm_stop() {
	kill -TERM "$vm_pid" 2>/dev/null
	wait "$vm_pid" 2>/dev/null
}
vm_count() {	# vm_count PORT: samples of tally_* in the export
	curl -sf "http://127.0.0.1:$1/internal/force_flush" >/dev/null
	curl -sf "http://127.0.0.1:$1/api/v1/export" \
	    --data-urlencode 'match[]={__name__=~"tally_.*"}' \
	    --data-urlencode start=0 | python3 -c '
import json, sys
print(sum(len(json.loads(l)["timestamps"]) for l in sys.stdin))'
}

echo "# machine: $(machine)"
echo "# $S series x $U values = $N values; batches of $B"

# The data: PUT lines for tallyd, the same samples as tallyd's lines.
T0=$(($(date +%s) - U - 600))
python3 - "$S" "$U" "$T0" "$W/put" "$W/lines" <<'EOF'
import sys
S, U, t0 = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
with open(sys.argv[4], "w") as put, open(sys.argv[5], "w") as lines:
    for s in range(S):
        for i in range(0, U, 50):
            pts = ["%d:%d.5" % (t0 + k, (s * 31 + k) % 1000)
                   for k in range(i, min(U, i + 50))]
            put.write("PUT bench.s%d.v %s\n" % (s, " ".join(pts)))
            for k in range(i, min(U, i + 50)):
                lines.write('tally_bench_v{instance="s%d"} %d.5 %d\n'
                    % (s, (s * 31 + k) % 1000, (t0 + k) * 1000))
EOF
split -l "$B" "$W/lines" "$W/batch."

# ---- tallyd: a backlog made while the receiver is away, then drained
VMPORT=$(free_port)
tallyd_config "$W/t"
cat >>"$W/t/tallyd.conf" <<EOT

[forward vm]
type = victoriametrics
url = http://127.0.0.1:$VMPORT
batch = $B
EOT
tallyd_start "$W/t"
"$top_builddir/tests/tools/tally-nc" -U "$W/t/tallyd.sock" -w 120000 \
    <"$W/put" | awk '/^OK/ { split($3, a, "="); n += a[2] } END { print n + 0 }' \
    >"$W/accepted"
[ "$(cat "$W/accepted")" -eq "$N" ] || die "tallyd accepted $(cat "$W/accepted") of $N"
tallyd_stop
vm_start "$W/vm.t" "$VMPORT"
sent() {
	printf 'STATS\n' | "$top_builddir/tests/tools/tally-nc" \
	    -U "$W/t/tallyd.sock" -w 5000 | awk '$1 == "forward.vm.sent" { print $2 }'
}
all_sent() {
	[ "$(sent)" = "$N" ]
}
t0=$(now_s)
tallyd_start "$W/t"
wait_for 600 all_sent || die "tallyd did not forward everything: $(sent)"
t1=$(now_s)
tcpu=$(cpu_s "$tallyd_pid")
tallyd_stop
got=$(vm_count "$VMPORT")
[ "$got" -eq "$N" ] || die "VictoriaMetrics holds $got of $N (tallyd)"
vm_stop

# ---- curl: the same lines, batch by batch, then in one POST
VMPORT=$(free_port)
vm_start "$W/vm.c" "$VMPORT"
t2=$(now_s)
for f in "$W"/batch.*; do
	curl -sf --data-binary "@$f" \
	    "http://127.0.0.1:$VMPORT/api/v1/import/prometheus" ||
	    die "curl: import failed"
done
t3=$(now_s)
got=$(vm_count "$VMPORT")
[ "$got" -eq "$N" ] || die "VictoriaMetrics holds $got of $N (curl)"
vm_stop
VMPORT=$(free_port)
vm_start "$W/vm.o" "$VMPORT"
t4=$(now_s)
curl -sf --data-binary "@$W/lines" \
    "http://127.0.0.1:$VMPORT/api/v1/import/prometheus" ||
    die "curl: import failed"
t5=$(now_s)
vm_stop

printf '%-34s %10s %12s %8s\n' system seconds values/s cpu_s
printf '%-34s %10.2f %12.0f %8s\n' "tallyd forward (backlog drain)" \
    "$(calc "$t1 - $t0")" "$(calc "$N / ($t1 - $t0)")" "$tcpu"
printf '%-34s %10.2f %12.0f %8s\n' "curl, batches of $B" \
    "$(calc "$t3 - $t2")" "$(calc "$N / ($t3 - $t2)")" "-"
printf '%-34s %10.2f %12.0f %8s\n' "curl, one POST" \
    "$(calc "$t5 - $t4")" "$(calc "$N / ($t5 - $t4)")" "-"
