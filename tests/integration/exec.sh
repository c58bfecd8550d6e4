#!/bin/sh
# The exec plugin through the real daemon: values a script prints reach RRD
# files exactly; a Munin plugin runs unchanged, and its config again when
# it changes; the child's environment holds only what is configured; a
# hanging program is killed at its deadline while another instance keeps
# writing; failing, crashing, flooding and missing programs are reported
# with their exit status or signal, their stderr lands in the log, nothing
# of theirs is stored, no zombie is left, and the daemon carries on; a
# program dies with a tallyd killed outright.
. "${top_srcdir:-.}/tests/integration/lib.sh"

D=$top_srcdir/tests/data/exec
B=$T/bin
mkdir -p "$B"
for f in values.sh env.sh munin_load hang.sh fail.sh whoami.sh; do
	cp "$D/$f" "$B/$f" && chmod 755 "$B/$f"
done
chmod 711 "$T"		# user = nobody must reach $B
printf '0.42 0.50 0.60 1/100 1000\n' >"$T/loadavg"
# Variables the daemon has and the children must not see.
HOME=${HOME:-/root} TERM=${TERM:-dumb} EXEC_TEST_LEAK=1
export HOME TERM EXEC_TEST_LEAK

# ---- tallyd -t reports bad exec keys with their lines
write_config "$T/bad.conf" <<EOT
[plugin exec bad]
command = relative/prog
env = 1BAD=x
mode = shell
timeout_kill = 2 s
metric.Bad.kind = counter
nonsense = 1

[plugin exec bad2]
command = /bin/echo "unterminated
EOT
"$TALLYD" -t -c "$T/bad.conf" >"$T/check.out" 2>&1
ok $([ $? -ne 0 ]; echo $?) "tallyd -t refuses bad exec keys"
at() { grep -n "^$1" "$T/bad.conf" | cut -d: -f1; }	# line of a key
for want in "$(at 'command = rel'): command: 'relative/prog' is not an absolute" \
    "$(at env): env: '1BAD=x' is not NAME=VALUE" \
    "$(at mode): mode: 'shell' is not plain or munin" \
    "$(at timeout_kill): timeout_kill: '2 s' is not a duration" \
    "$(at metric): metric.Bad.kind: want metric.NAME.kind" \
    "$(at nonsense): nonsense: unknown key (exec takes" \
    "$(at 'command = /bin'): command: unterminated \" quote"; do
	grep -qF "bad.conf:$want" "$T/check.out"
	ok $? "tallyd -t: bad.conf:$want"
done

if [ "$(id -u)" = 0 ]; then
	user_section="[plugin exec whoami]
interval = 1s
jitter = 0
retention = test
command = $B/whoami.sh
user = nobody"
else
	user_section=
fi

write_config "$T/t.conf" <<EOT
[plugin exec values]
interval = 1s
jitter = 0
retention = test
command = $B/values.sh "two words" 'x' plain
arg = --flag=a b
metric.visits.kind = counter
metric.visits.unit = visits

[plugin exec env]
interval = 1s
jitter = 0
retention = test
command = $B/env.sh
env = GREETING=hello world

[plugin exec munenv]
interval = 1s
jitter = 0
retention = test
mode = munin
command = $B/env.sh

[plugin exec load]
interval = 1s
jitter = 0
retention = test
mode = munin
command = $B/munin_load
env = LOADAVG=$T/loadavg

[plugin exec hang]
interval = 1s
jitter = 0
timeout = 10s
retention = test
command = $B/hang.sh
timeout_kill = 1s
kill_grace = 500ms

[plugin exec fail]
interval = 1s
jitter = 0
max_backoff = 2s
retention = test
command = $B/fail.sh

[plugin exec crash]
interval = 1s
jitter = 0
max_backoff = 2s
retention = test
command = /bin/sh -c "kill -SEGV \$\$"

[plugin exec flood]
interval = 1s
jitter = 0
max_backoff = 2s
retention = test
command = /usr/bin/yes flood 1
max_output = 64k

[plugin exec missing]
interval = 1s
jitter = 0
max_backoff = 2s
retention = test
command = $B/does-not-exist

$user_section
EOT
sed -i 's/^read_threads = 2/read_threads = 4/' "$T/t.conf"
start_tallyd "$T/t.conf"

V=$T/rrd/exec/values
check "values: wave.rrd created" wait_until 10 test -f "$V/wave.rrd"
# Rows at the times the script stamped (not RRD gap fillers) must hold
# exactly t mod 1000.
stamped_rows() {
	rrd_rows "$V/wave.rrd" LAST | awk 'NR == FNR { s[$1] = 1; next }
	    ($1 in s)' "$T/state/exec/values/stamped" -
}
four_rows() { [ "$(stamped_rows | grep -c .)" -ge 4 ]; }
check "values: at least 4 wave points" wait_until 10 four_rows
rows=$(stamped_rows)
n=$(echo "$rows" | grep -c .)
bad=$(echo "$rows" | awk '{ if ($2 != ($1 % 1000)) print }' | grep -c .)
ok $([ "$n" -ge 4 ] && [ "$bad" -eq 0 ]; echo $?) \
    "values: stored points equal t mod 1000 at their own time ($n rows, $bad wrong)"
"$RRDTOOL" info "$V/visits.rrd" 2>/dev/null | grep -q '^ds\[value\].type = "COUNTER"$'
ok $? "values: metric.visits.kind = counter makes a COUNTER"
rates=$(rrd_rows "$V/visits.rrd" AVERAGE | awk '{ print $2 }')
nr=$(echo "$rates" | grep -c .)
badr=$(echo "$rates" | awk '$1 != 3.000000' | grep -c .)
ok $([ "$nr" -ge 3 ] && [ "$badr" -eq 0 ]; echo $?) \
    "values: visits rate is 3/s ($nr rows, $badr wrong)"
"$RRDTOOL" info "$V/fixed.rrd" 2>/dev/null | grep -q '^ds\[value\].type = "GAUGE"$'
ok $? "values: metrics default to GAUGE"
last() { "$RRDTOOL" lastupdate "$1" 2>/dev/null | awk -F': ' 'NF == 2 { print $2 }'; }
last_is() {	# last_is FILE VALUE: the file's last value is VALUE
	"$RRDTOOL" lastupdate "$1" 2>/dev/null |
	    awk -F': ' -v want="$2" 'NF == 2 && $2 + 0 == want + 0 { f = 1 }
		END { exit !f }'
}
last_is "$V/fixed.rrd" 42.5
ok $? "values: fixed stored as 42.5 ($(last "$V/fixed.rrd"))"
last_is "$V/argc.rrd" 4
ok $? "values: the program got 4 arguments ($(last "$V/argc.rrd"))"
check "values: quoting and arg = kept each word" log_has \
    'exec.values: values.sh: stderr: args: \[two words\] \[x\] \[plain\] \[--flag=a b\]$'
check "values: bad metric name reported with its line" log_has \
    "exec.values: values.sh: stdout line 6: bad metric name 'Bad-Name'"
check "values: missing value reported with its line" log_has \
    "exec.values: values.sh: stdout line 7: missing value after 'missing_value'"
ok $([ ! -e "$V/Bad-Name.rrd" ] && [ ! -e "$V/missing_value.rrd" ]; echo $?) \
    "values: bad lines stored nothing"

# ---- clean environment
check "env: names reported" wait_until 10 log_has 'exec.env: env.sh: stderr: env names:'
check "env: exactly GREETING and PATH, nothing leaked" \
    log_has 'exec.env: env.sh: stderr: env names: GREETING PATH$'
check "env: value with a space kept" \
    log_has 'exec.env: env.sh: stderr: GREETING=\[hello world\] MUNIN_PLUGSTATE=\[\]$'
check "env: env_count stored" wait_until 5 test -f "$T/rrd/exec/env/env_count.rrd"
last_is "$T/rrd/exec/env/env_count.rrd" 2
ok $? "env: env_count is 2 ($(last "$T/rrd/exec/env/env_count.rrd"))"
check "munin env: PATH and MUNIN_* only" wait_until 10 log_has \
    'exec.munenv: env.sh: stderr: env names: MUNIN_CAP_MULTIGRAPH MUNIN_LIBDIR MUNIN_PLUGSTATE MUNIN_STATEFILE PATH$'
check "munin env: MUNIN_PLUGSTATE is the state dir" log_has \
    "exec.munenv: env.sh: stderr: GREETING=\[\] MUNIN_PLUGSTATE=\[$T/state/exec/munenv\]"

# ---- a Munin plugin, unchanged
L=$T/rrd/exec/load
check "munin: load.rrd created" wait_until 10 test -f "$L/load.rrd"
check "munin: Forks sanitised to forks.rrd" wait_until 5 test -f "$L/forks.rrd"
"$RRDTOOL" info "$L/forks.rrd" 2>/dev/null | grep -q '^ds\[value\].type = "DERIVE"$'
ok $? "munin: Forks.type DERIVE stored as DERIVE"
"$RRDTOOL" info "$L/load.rrd" 2>/dev/null | grep -q '^ds\[value\].type = "GAUGE"$'
ok $? "munin: load defaults to GAUGE"
last_is "$L/load.rrd" 0.5
ok $? "munin: load.value 0.50 stored ($(last "$L/load.rrd"))"
check "munin: config logged" log_has \
    'exec.load: munin_load config: "Load average", 2 fields, first load \(GAUGE, load\)'
check "munin: a few more reads" wait_until 10 sh -c \
    "[ \$(\"$RRDTOOL\" fetch $L/load.rrd LAST -r 1 -s -300 | grep -vc nan) -ge 6 ]"
ok $([ "$(grep -c 'exec.load: munin_load config:' "$T/tallyd.log")" -eq 1 ]; echo $?) \
    "munin: config ran once while the plugin did not change"
# A new version of the plugin, with one more field: config must run again.
sed -i -e "s/^\techo 'load.label load'\$/&\n\techo 'load15.label load 15'/" \
    -e 's/^echo "load.value \$load5"$/&\necho "load15.value $load15"/' \
    "$B/munin_load"
check "munin: changed plugin re-configured, new field stored" \
    wait_until 10 test -f "$L/load15.rrd"
ok $([ "$(grep -c 'exec.load: munin_load config:' "$T/tallyd.log")" -eq 2 ]; echo $?) \
    "munin: config ran a second time"
check "munin: load15 = 0.60" wait_until 5 last_is "$L/load15.rrd" 0.6

# ---- hanging, failing, crashing, flooding and missing programs
check "hang: killed at its deadline, then SIGKILL" wait_until 10 log_has \
    'exec.hang: hang.sh: timed out after 1000 ms \(SIGTERM, then SIGKILL\); killed by signal 9 \(KILL\); nothing stored'
check "hang: its stderr logged" log_has 'exec.hang: hang.sh: stderr: hang.sh: going to sleep for good$'
t0=$(date +%s)
check "hang: another instance keeps writing meanwhile" wait_until 10 sh -c \
    "[ \$(\"$RRDTOOL\" last $V/wave.rrd) -ge $((t0 + 3)) ]"
check "hang: killed again on a later run" wait_until 10 sh -c \
    "[ \$(grep -c 'exec.hang: hang.sh: timed out' $T/tallyd.log) -ge 2 ]"
ok $([ ! -e "$T/rrd/exec/hang/hung.rrd" ]; echo $?) "hang: nothing stored from it"

check "fail: stderr in the log" wait_until 10 log_has \
    'exec.fail: fail.sh: stderr: fail.sh: cannot reach the database$'
check "fail: exit status reported" log_has \
    'exec.fail: fail.sh: exited with status 3 after [0-9]+ ms; nothing stored from this run'
ok $([ ! -e "$T/rrd/exec/fail/should_not.rrd" ]; echo $?) \
    "fail: what it printed was not stored"
check "crash: signal reported" wait_until 10 log_has \
    'exec.crash: sh: killed by signal 11 \(SEGV\)'
check "flood: output cap reported" wait_until 10 log_has \
    'exec.flood: yes: wrote more than 65536 bytes to stdout, so was stopped'
ok $([ ! -e "$T/rrd/exec/flood/flood.rrd" ]; echo $?) "flood: nothing stored"
check "missing: warned at start" log_has \
    "exec.missing: $B/does-not-exist is not executable"
check "missing: execve error reported" wait_until 10 log_has \
    'exec.missing: does-not-exist: cannot run it: execve: No such file or directory'

if [ -n "$user_section" ]; then
	check "user: whoami ran" wait_until 10 test -f "$T/rrd/exec/whoami/uid.rrd"
	check "user = nobody: runs as uid 65534" \
	    wait_until 5 last_is "$T/rrd/exec/whoami/uid.rrd" 65534
fi

# No zombie children (a child that just ended may show for a moment).
# No zombie children (a child that just ended may show for a moment);
# from /proc, as "STATE PPID" after the command name, without procps.
zombies() {
	for f in /proc/[0-9]*/stat; do sed 's/.*) //' "$f"; done 2>/dev/null |
	    awk -v p="$daemon_pid" '$1 == "Z" && $2 == p' | grep -c .
}
children() {
	for f in /proc/[0-9]*/stat; do sed 's/.*) //' "$f"; done 2>/dev/null |
	    awk -v p="$daemon_pid" '$2 == p' | grep -c .
}
no_zombies() { [ "$(zombies)" -eq 0 ]; }
has_children() { [ "$(children)" -gt 0 ]; }
check "the /proc scan sees tallyd's children (hang.sh)" wait_until 5 has_children
check "no zombie children of tallyd" wait_until 3 no_zombies

check "daemon still running" alive
stop_tallyd TERM
ok $daemon_rc "SIGTERM: exit status 0"
log_has 'not reaped'; ok $([ $? -ne 0 ]; echo $?) "every program was reaped"

# ---- tallyd killed outright: its running program goes with it
write_config "$T/k.conf" <<EOT
[plugin exec longhang]
interval = 1s
jitter = 0
timeout = 2m
retention = test
command = $B/hang.sh
timeout_kill = 1m
EOT
start_tallyd "$T/k.conf"
check "long hang started" wait_until 10 test -s "$T/state/exec/longhang/hang.pid"
hp=$(cat "$T/state/exec/longhang/hang.pid")
running() {	# running PID: exists and is not a zombie
	[ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" |
	    cut -d' ' -f1)" != Z ]
}
check "hang.sh running ($hp)" running "$hp"
kill -KILL "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
daemon_pid=
not_running() { ! running "$1"; }
check "SIGKILL of tallyd kills its program too" wait_until 3 not_running "$hp"
done_testing
