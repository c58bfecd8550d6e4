#!/bin/sh
# A journal replayed after kill -9 holds a plugin's values: their series
# belong to the plugin's instance, not to clients, so they do not count in
# max_series and a client may still make its own series or write theirs.
. "${top_srcdir:-.}/tests/integration/lib.sh"

write_config "$T/base.conf" <<EOT
[plugin demo main]
interval = 1s
jitter = 0
retention = test
modulus = 1000
rate = 2
EOT
# One client series at most; values wait a minute in the store, so the
# journal still holds them when tallyd is killed.
sed -e 's/^\[daemon\]$/[daemon]\nmax_series = 1/' \
    -e 's/^\[storage\]$/[storage]\nwrite_delay = 60s/' \
    "$T/base.conf" >"$T/t.conf"
start_tallyd "$T/t.conf"
check "socket up" wait_until 10 test -S "$SOCK"
check "the demo plugin submitted values" wait_until 20 sh -c \
    "[ \$(printf 'STATS\n' | '$NC' -U '$SOCK' -w 5000 |
      awk '\$1 == \"values.received\" { print \$2 }') -ge 6 ]"
check "a journal segment holds them" sh -c "ls '$T/state/journal' | grep -q jnl"
kill -KILL "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
daemon_pid=

start_tallyd "$T/t.conf"
check "restarted, the journal replayed" wait_until 10 sh -c \
    "grep -Eq 'journal: replayed [1-9][0-9]* records' '$T/tallyd.log' &&
     test -S '$SOCK'"
r=$(ask "PUT client.own.x N:5")
ok $(echo "$r" | grep -q '^OK'; echo $?) \
    "a client's first series accepted: replayed plugin series are not clients' ($r)"
r=$(ask "PUT client.own.y N:6")
ok $(echo "$r" | grep -q 'max_series'; echo $?) \
    "its second refused by max_series = 1 ($r)"
r=$(ask "PUT demo.main.sawtooth N:7")
ok $(echo "$r" | grep -q 'belongs to plugin instance demo.main'; echo $?) \
    "a replayed plugin series is not writable by clients ($r)"
r=$(ask "FLUSH demo.main.sawtooth")
ok $(echo "$r" | grep -q '^OK'; echo $?) "FLUSH of the replayed series ($r)"
stop_tallyd TERM
ok $daemon_rc "tallyd exit 0"
done_testing
