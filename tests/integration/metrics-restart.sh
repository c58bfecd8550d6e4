#!/bin/sh
# Issue 13: /metrics keeps the coop figures after a restart.  The coop
# plugin reads the demo registry and stores its yearly figures; after a
# restart it finds nothing new to submit, so memory holds no last value;
# /metrics (as /api/v1/metrics) reads them from the files, with the
# values the files hold.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/http-lib.sh"

demo_data
http_start <<EOT
$(coop_plugin registry "$D/registry.csv" "interval = 1h")
EOT
ok $? "gateway up on $U"
prom() {	# prom NAME: its sample value in /metrics
	curl -s "$U/metrics" | sed -n "s/^$1 //p"
}
check "the registry was read" wait_read 30 coop.registry
members='tally_coop_members{instance="registry"}'
check "/metrics has the members figure" wait_until 10 test -n "$(prom $members)"
before=$(prom $members)
echo "# before: $members $before"
"$top_builddir/tallyctl" -s "$SOCK" flush >/dev/null
stop_tallyd
ok $daemon_rc "stopped"

: >"$T/tallyd.log"
start_tallyd "$T/t.conf"
check "restarted" wait_until 10 http_up
check "the registry was read again" wait_read 30 coop.registry
read_done coop.registry 0
ok $? "nothing new submitted: memory has no coop figure"
after=$(prom $members)
ok $([ -n "$after" ] && [ "$after" = "$before" ]; echo $?) \
    "/metrics after the restart: $members $after (was $before)"
n=$(curl -s "$U/metrics" | grep -c '^tally_coop_[a-z_0-9]*{instance="registry"')
j=$(curl -s "$U/api/v1/metrics" | grep -o '"name":"coop\.registry\.[^"]*","kind":"[a-z]*","unit":"[^"]*","time":[0-9]' | wc -l)
ok $([ "$n" -gt 10 ] && [ "$n" -eq "$j" ]; echo $?) \
    "every coop figure with a value, as /api/v1/metrics ($n and $j)"
stop_tallyd
ok $daemon_rc "clean exit"
done_testing
