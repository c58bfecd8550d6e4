#!/bin/sh
# SIGHUP while a changed instance's read runs: the new instance starts only
# once the old read has returned, so two copies of one instance never run
# at once or share a state directory.  Twice in a row, and a section that
# a second reload removes meanwhile is not started at all.
. "${top_srcdir:-.}/tests/integration/lib.sh"

hangconf() {	# hangconf HANG_SECONDS
	write_config "$T/t.conf" <<EOT
[plugin hang slow]
file = $TESTPLUGINS/hang.so
interval = 1s
jitter = 0
timeout = 10s
retention = test
guard = yes
hang_seconds = $1
${2:-}
EOT
}
S=$T/state/hang/slow
hangconf 4
start_tallyd "$T/t.conf" -v
check "the slow read has started" wait_until 20 sh -c \
    "grep -q read-start '$S/events'"

# Change the instance while its read (4 s) runs.
hangconf 3
kill -HUP "$daemon_pid"
check "the reload waits for the read" wait_until 10 log_has \
    'hang.slow: its old instance is still reading; the new one starts when that read returns'
log_has 'reload: 0 instance\(s\) kept, 1 stopped, 0 started, 1 waiting'
ok $? "the reload counts it as waiting"
check "the replacement starts after the old read returned" wait_until 20 \
    log_has "hang.slow: the old instance's read returned; starting its replacement"
check "the new instance reads" wait_until 20 sh -c \
    "[ \$(grep -c read-start '$S/events') -ge 2 ]"
# The events file: every init and read-start come after the previous
# read-end; never two reads at once.
awk '
	$1 == "read-start" { if (open) bad = 1; open = 1 }
	$1 == "read-end" { open = 0 }
	$1 == "init" { if (open) bad = 1 }
	END { exit bad }' "$S/events"
ok $? "no init or read while another read runs (events: $(tr '\n' ' ' <"$S/events"))"
ok $([ ! -e "$S/overlap" ]; echo $?) "no overlap recorded"

# Twice: change it mid-read, then remove it before that read returns.
check "the new instance is reading again" wait_until 20 sh -c \
    "[ -e '$S/reading' ]"
hangconf 2
kill -HUP "$daemon_pid"
check "second reload waits too" wait_until 10 sh -c \
    "[ \$(grep -c 'hang.slow: its old instance is still reading' '$T/tallyd.log') -eq 2 ]"
write_config "$T/t.conf" </dev/null
kill -HUP "$daemon_pid"
check "third reload: the section is gone" wait_until 10 log_has \
    'reload: 0 instance\(s\) kept, 0 stopped, 0 started, 0 waiting'
check "the old read returns" wait_until 20 sh -c "[ ! -e '$S/reading' ]"
sleep 2
ok $([ "$(grep -c "starting its replacement" "$T/tallyd.log")" -eq 1 ]; echo $?) \
    "no replacement started for the removed section"
n=$(grep -c read-start "$S/events")
sleep 2
ok $([ "$(grep -c read-start "$S/events")" -eq "$n" ]; echo $?) \
    "no read after the removal"
ok $([ ! -e "$S/overlap" ]; echo $?) "still no overlap"
stop_tallyd
ok $daemon_rc "clean exit"
done_testing
