#!/bin/sh
# https webhooks: a receiver whose certificate chains to ca_file and names
# the host gets the JSON; one the system's CAs do not trust, or whose
# certificate names another host, gets nothing and the log says why.
. "${top_srcdir:-.}/tests/integration/lib.sh"
SINK="$top_builddir/tests/tools/webhook-sink"
M=test.tls.value
command -v openssl >/dev/null 2>&1 || skip_all "no openssl command"

# cert NAME SAN: a self-signed certificate and key in $T/NAME.pem.
cert() {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tally test" \
	    -addext "subjectAltName=$2" -keyout "$T/$1.key" -out "$T/$1.crt" \
	    >/dev/null 2>&1 && cat "$T/$1.crt" "$T/$1.key" >"$T/$1.pem"
}
cert ip IP:127.0.0.1 || skip_all "openssl cannot make a certificate"
cert other DNS:example.org || skip_all "openssl cannot make a certificate"

"$SINK" -t "$T/ip.pem" -p "$T/port1" -o "$T/hook1.log" 2>"$T/sink1.err" &
extra_pids=$!
"$SINK" -t "$T/other.pem" -p "$T/port2" -o "$T/hook2.log" 2>"$T/sink2.err" &
extra_pids="$extra_pids $!"
wait_until 10 test -s "$T/port1" && wait_until 10 test -s "$T/port2" ||
    bail_out "webhook-sink did not start"
P1=$(cat "$T/port1")
P2=$(cat "$T/port2")

write_config "$T/t.conf" <<EOT
[notify good]
type = webhook
url = https://127.0.0.1:$P1/good
ca_file = $T/ip.crt
retries = 0

[notify untrusted]
type = webhook
url = https://127.0.0.1:$P1/untrusted
retries = 0

[notify wrongname]
type = webhook
url = https://127.0.0.1:$P2/wrongname
ca_file = $T/other.crt
retries = 0

[alert high]
metric = $M
critical = 100
every = 1s
notify = good, untrusted, wrongname
EOT
sed -i "s|^datadir = .*|&\nretention = test|" "$T/t.conf"
start_tallyd "$T/t.conf" -v
check "socket up" wait_until 10 test -S "$SOCK"
# The socket is there before the TLS contexts are made (the system's CAs:
# seconds under ASan on a loaded machine); nothing answers until then.
check "running" wait_until 60 log_has ' running: '

ask "PUT $M $(date +%s):150" >/dev/null
check "the trusted receiver gets the notice over https" wait_until 10 \
    grep -q '^200 POST /good application/json {' "$T/hook1.log"
grep '^200 POST /good ' "$T/hook1.log" | grep -q '"event":"fire".*"value":150,'
ok $? "the JSON document, whole"
check "untrusted: given up, and why" wait_until 10 log_has \
    "untrusted: high $M fire: TLS: certificate not trusted: self[- ]signed"
check "wrong name: given up, and why" wait_until 10 log_has \
    "wrongname: high $M fire: TLS: certificate not trusted: IP address mismatch"
ok $([ "$(grep -c untrusted "$T/hook1.log")" = 0 ] &&
    [ ! -s "$T/hook2.log" ]; echo $?) "neither got the document"
counted() {	# the receiver logs before it answers: tallyd counts after
	out=$(ask STATS)
	echo "$out" | grep -qx 'notify.delivered 1' &&
	    echo "$out" | grep -qx 'notify.failed 2'
}
check "STATS: 1 delivered, 2 given up" wait_until 10 counted
stop_tallyd
ok $daemon_rc "clean exit"
done_testing
