#!/bin/sh
# Plugins that are wrong in every way are refused with a message naming
# the file, and the daemon carries on with the rest.
. "${top_srcdir:-.}/tests/integration/lib.sh"

write_config "$T/t.conf" <<EOT
[plugin badabi x]
file = $TESTPLUGINS/badabi.so

[plugin nodesc x]
file = $TESTPLUGINS/nodesc.so

[plugin failinit x]
file = $TESTPLUGINS/failinit.so

[plugin demo ok]
interval = 1s
jitter = 0
retention = test
EOT
out=$("$TALLYD" -t -c "$T/t.conf" 2>&1)
ok $([ $? -eq 1 ]; echo $?) "-t fails on bad plugins"
echo "$out" | sed 's/^/# /'
echo "$out" | grep -q "badabi.so: plugin ABI 99"; ok $? "-t: wrong ABI named"
echo "$out" | grep -q "nodesc.so: no tally_plugin_v1"; ok $? "-t: missing descriptor named"

start_tallyd "$T/t.conf"
check "good plugin runs beside bad ones" \
    wait_until 10 test -f "$T/rrd/demo/ok/wave.rrd"
log_has 'badabi.so: plugin ABI 99.*speaks ABI 1'; ok $? "wrong ABI refused, file named"
log_has 'nodesc.so: no tally_plugin_v1 symbol'; ok $? "missing descriptor refused"
log_has 'failinit.x: .*failinit.so: init failed'; ok $? "failing init refused"
log_has 'running: 1 plugin instance'; ok $? "one instance running"
ok $(alive; echo $?) "daemon alive"
stop_tallyd TERM
ok $daemon_rc "clean exit"
done_testing
