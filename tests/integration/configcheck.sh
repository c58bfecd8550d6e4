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

# An overlong line is an error with its line number, not a silent cut.
{ printf '[daemon]\n'; printf '; %0250d\n' 0; } >"$T/long.conf"
out=$("$TALLYD" -t -c "$T/long.conf" 2>&1)
echo "$out" | grep -q 'long.conf:2:.*too long'; ok $? "overlong line reported"

out=$("$TALLYD" -t -c "$T/absent.conf" 2>&1)
ok $([ $? -eq 1 ] && echo "$out" | grep -q absent.conf; echo $?) \
    "missing config file named"
"$TALLYD" -V | grep -q 'plugin ABI 1'; ok $? "-V prints version and ABI"
"$TALLYD" --help-config | grep -q 'queue_max'; ok $? "--help-config lists keys"
"$TALLYD" -x >/dev/null 2>&1; ok $([ $? -eq 1 ]; echo $?) "bad flag: exit 1"
done_testing
