#!/bin/sh
# tallyd -t: a good config says OK; every error of a bad one is printed as
# file:line: message, plugin keys included, and the exit status is 1.
. "${top_srcdir:-.}/tests/integration/lib.sh"

write_config "$T/good.conf" <<EOT
[plugin demo main]
interval = 10s
amplitude = 20
EOT
out=$("$TALLYD" -t -c "$T/good.conf" 2>&1)
ok $? "good config: exit 0"
echo "$out" | grep -q 'configuration OK'; ok $? "good config: says OK"

# Line numbers below are those of this heredoc, counted from 1.
cat >"$T/bad.conf" <<EOT
[daemon]
read_threads = 0
colour = blue
[storage]
datadir = $T/rrd
[nonsense]
[plugin demo main]
interval = soon
amplitude = lots
plugin_dir_typo = 1
[plugin nosuch x]
EOT
out=$("$TALLYD" -t -c "$T/bad.conf" 2>&1)
rc=$?
ok $([ $rc -eq 1 ]; echo $?) "bad config: exit 1 (got $rc)"
echo "$out" | sed 's/^/# /'
for want in "bad.conf:2:" "bad.conf:3:.*colour" "bad.conf:6:.*nonsense" \
    "bad.conf:8:.*interval"; do
	echo "$out" | grep -q "$want"; ok $? "reported: $want"
done

# Plugin keys are checked by the plugin itself once the core keys are good.
write_config "$T/plug.conf" <<EOT
[plugin demo main]
amplitude = lots
colour = blue
[plugin nosuch x]
EOT
out=$("$TALLYD" -t -c "$T/plug.conf" 2>&1)
ok $([ $? -eq 1 ]; echo $?) "plugin errors: exit 1"
echo "$out" | sed 's/^/# /'
base=$(grep -n '^amplitude = lots' "$T/plug.conf" | cut -d: -f1)
echo "$out" | grep -q "plug.conf:$base: amplitude: 'lots' is not a number"
ok $? "plugin value error names file:line"
echo "$out" | grep -q "plug.conf:$((base + 1)): colour: unknown key"
ok $? "unknown plugin key names file:line"
echo "$out" | grep -q "nosuch.so"; ok $? "missing plugin names its file"

# Every error at once, not in waves (core keys, then plugin keys, then
# alerts), each once, in line order: listen addresses (a port alone was
# accepted and failed at start), plugin keys, alert structure, notifier
# references, and what the start would find (the render helper, the
# dashboard files, a listen host that does not resolve).
cat >"$T/all.conf" <<EOT
[daemon]
read_threads = 0
plugin_dir = $PLUGINS
render_helper = $T/no-render
listen = 7455
[storage]
datadir = $T/rrd
[http]
listen = 18432
dashboard_dir = $top_srcdir/dashboard
[plugin demo main]
amplitude = lots
[alert a1]
metric = demo.main.wave
kind = change
warning = 5
notify = nobody
[alert a2]
metric = demo.main.wave
critical = 1
warning = 2
[graphite]
listen = 2003
EOT
out=$("$TALLYD" -t -c "$T/all.conf" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
ok $([ $rc -eq 1 ]; echo $?) "all errors: exit 1"
n=0
for want in "all.conf:2: .*read_threads" \
    "all.conf:5: bad value '7455' for listen: want host:port" \
    "all.conf:9: bad value '18432' for listen: want host:port" \
    "all.conf:12: amplitude: 'lots' is not a number" \
    "all.conf:13: \[alert a1\]: kind = change needs a window" \
    "all.conf:17: unknown notifier 'nobody'" \
    "all.conf:18: \[alert a2\]: critical must be at or above warning" \
    "all.conf:23: bad value '2003' for listen: want host:port" \
    "all.conf: render_helper $T/no-render: No such file"; do
	n=$((n + 1))
	echo "$out" | grep -q "^$T/$want"
	ok $? "in one run: $want"
done
ok $([ "$(echo "$out" | grep -c "^$T/all.conf:")" -eq $((n + 1)) ]
    echo $?) "nothing more ($n errors and the summary)"
ok $([ -z "$(echo "$out" | sort | uniq -d)" ]; echo $?) "no error twice"
lines=$(echo "$out" | sed -n "s|^$T/all.conf:\([0-9]*\):.*|\1|p" | tr '\n' ' ')
ok $([ "$lines" = "$(echo $lines | tr ' ' '\n' | sort -n | tr '\n' ' ')" ]
    echo $?) "in line order ($lines)"

write_config "$T/http.conf" <<EOT
[http]
listen = no-such-host.invalid:18432
dashboard_dir = $T/no-dashboard
EOT
out=$("$TALLYD" -t -c "$T/http.conf" 2>&1)
ok $([ $? -eq 1 ]; echo $?) "[http] that cannot start: exit 1"
echo "$out" | sed 's/^/# /'
echo "$out" | grep -q "http.conf: \[http\] listen = no-such-host.invalid:18432: "
ok $? "a listen host that does not resolve is reported"
echo "$out" | grep -q "http.conf: \[http\] dashboard_dir $T/no-dashboard: index.html: No such file"
ok $? "missing dashboard files are reported, once"
ok $([ "$(echo "$out" | grep -c dashboard_dir)" -eq 1 ]; echo $?) \
    "one line for the dashboard directory"

# A user or socket group that does not exist would stop the start: -t
# (the unit's ExecStartPre) says so, with the other errors.
write_config "$T/user.conf" </dev/null
sed -i 's/^\[daemon\]$/[daemon]\nuser = no-such-user-tally\nsocket_group = no-such-group-tally/' \
    "$T/user.conf"
out=$("$TALLYD" -t -c "$T/user.conf" 2>&1)
ok $([ $? -eq 1 ]; echo $?) "unknown user or group: exit 1"
echo "$out" | sed 's/^/# /'
echo "$out" | grep -q "user.conf: user 'no-such-user-tally': no such user"
ok $? "an unknown user is reported"
echo "$out" | grep -q "user.conf: socket_group 'no-such-group-tally': no such group"
ok $? "an unknown socket group is reported"

# An overlong line is an error with its line number, not a silent cut.
{ printf '[daemon]\n'; printf '; %0250d\n' 0; } >"$T/long.conf"
out=$("$TALLYD" -t -c "$T/long.conf" 2>&1)
echo "$out" | grep -q 'long.conf:2:.*too long'; ok $? "overlong line reported"

out=$("$TALLYD" -t -c "$T/absent.conf" 2>&1)
ok $([ $? -eq 1 ] && echo "$out" | grep -q absent.conf; echo $?) \
    "missing config file named"
"$TALLYD" -V | grep -q 'plugin ABI 1'; ok $? "-V prints version and ABI"
"$TALLYD" --help-config | grep -q 'queue_max'; ok $? "--help-config lists keys"
# Every key --help-config lists has its entry in tallyd.conf(5).
missing=
for k in $("$TALLYD" --help-config | sed -n 's/^  \([a-z_]*\) = .*/\1/p' |
    sort -u); do
	grep -qE "^\.(B|BI|BR) (.*([^A-Za-z0-9_]|\\\\fP))?$k([^A-Za-z0-9_]|\$)" \
	    "$top_srcdir/man/tallyd.conf.5" || missing="$missing $k"
done
ok $([ -z "$missing" ]; echo $?) "every key is in tallyd.conf(5):$missing"
"$TALLYD" -x >/dev/null 2>&1; ok $([ $? -eq 1 ]; echo $?) "bad flag: exit 1"
done_testing
