#!/bin/sh
# A read that hangs is logged past its deadline, its ticks are skipped and
# counted, other instances keep their schedule, and shutdown is bounded.
# A read that fails backs off exponentially.
. "${top_srcdir:-.}/tests/integration/lib.sh"

write_config "$T/t.conf" <<EOT
[plugin hang stuck]
file = $TESTPLUGINS/hang.so
interval = 1s
jitter = 0
timeout = 1s
retention = test
hang_after = 1
hang_seconds = 600

[plugin hang failing]
file = $TESTPLUGINS/hang.so
interval = 1s
jitter = 0
max_backoff = 8s
retention = test
hang_after = 1000000
fail = yes

[plugin demo ok]
interval = 1s
jitter = 0
retention = test

[plugin selfstat self]
interval = 1s
jitter = 0
retention = test
EOT
# One read thread only: the hung read must not starve the others.
sed -i 's/^read_threads = 2/read_threads = 1/' "$T/t.conf"
start_tallyd "$T/t.conf"
check "hung read reported past its deadline" \
    wait_until 10 log_has 'hang.stuck: read still running after its 1000 ms deadline'
t0=$(date +%s)
check "demo keeps writing while the other read hangs" wait_until 10 sh -c \
    "[ \$(\"$RRDTOOL\" last $T/rrd/demo/ok/wave.rrd) -ge $((t0 + 3)) ]"
check "skipped ticks counted" wait_until 10 sh -c \
    "\"$RRDTOOL\" lastupdate $T/rrd/selfstat/self/read.hang.stuck.skipped.rrd | awk -F': ' 'NF==2 && \$2 >= 2 {f=1} END {exit !f}'"
check "failing read backs off" wait_until 20 log_has \
    'hang.failing: read failed \(3 in a row\); next in (7|8)[0-9]{3} ms'
log_has 'hang.failing: read failed \(1 in a row\); next in (1|2)[0-9]{3} ms'
ok $? "first backoff is about two intervals"

t1=$(date +%s)
stop_tallyd TERM
t2=$(date +%s)
ok $daemon_rc "SIGTERM with a hung read: exit 0"
ok $([ $((t2 - t1)) -le 6 ]; echo $?) "shutdown bounded ($((t2 - t1)) s)"
log_has 'read still running at shutdown'; ok $? "stuck read reported at shutdown"
done_testing
