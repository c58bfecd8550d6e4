#!/bin/sh
# Valgrind over a start, reload and stop cycle: no leaks, no errors.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v valgrind >/dev/null 2>&1 || skip_all "valgrind not installed"
[ -n "${TALLY_SANITIZED:-}" ] && skip_all "sanitizer build"

write_config "$T/t.conf" <<EOT
[plugin demo main]
interval = 1s
jitter = 0
retention = test

[plugin selfstat self]
interval = 1s
jitter = 0
retention = test
EOT
TALLY_WRAP="valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=9 --log-file=$T/vg.log"
start_tallyd "$T/t.conf"
check "daemon writes under valgrind" \
    wait_until 60 test -f "$T/rrd/selfstat/self/values.written.rrd"
printf '[plugin demo other]\ninterval = 1s\nretention = test\n' >>"$T/t.conf"
kill -HUP "$daemon_pid"
check "reload under valgrind" wait_until 30 test -f "$T/rrd/demo/other/wave.rrd"
stop_tallyd TERM
ok $daemon_rc "exit 0 under valgrind (9 = errors or leaks; rc $daemon_rc)"
grep -q 'ERROR SUMMARY: 0 errors' "$T/vg.log"; ok $? "no valgrind errors"
grep -E 'definitely lost|indirectly lost|possibly lost|ERROR SUMMARY' "$T/vg.log" | sed 's/^/# /'
done_testing
