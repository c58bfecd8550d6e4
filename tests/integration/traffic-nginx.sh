#!/bin/sh
# A real nginx on loopback writes the access log; curl (and wrk, if it is
# installed) drive it; the log is rotated as logrotate does (mv, then USR1
# to the master so it reopens) in the middle of the traffic.  tallyd with
# profile = goaccess must count exactly what GoAccess counts on the same
# lines.  Only loopback addresses are used; every loop is bounded.
. "${top_srcdir:-.}/tests/integration/lib.sh"

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || skip_all "nginx is not installed"
command -v goaccess >/dev/null 2>&1 || skip_all "goaccess is not installed"
command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"
N=$T/nginx
L=$N/access.log
F=$T/rrd/traffic/site
mkdir -p "$N/www/css" "$N/tmp"
echo '<h1>Liên minh HTX</h1>' >"$N/www/index.html"
echo '<p>Tin tức</p>' >"$N/www/tin-tuc.html"
echo 'body { color: #333 }' >"$N/www/css/site.css"
user=
[ "$(id -u)" -eq 0 ] && user="user root;"

nginx_conf() {	# nginx_conf PORT
	cat >"$N/nginx.conf" <<EOT
$user
daemon off;
worker_processes 1;
pid $N/nginx.pid;
error_log $N/error.log;
events { worker_connections 64; }
http {
	access_log $L combined;
	client_body_temp_path $N/tmp/body;
	proxy_temp_path $N/tmp/proxy;
	fastcgi_temp_path $N/tmp/fastcgi;
	uwsgi_temp_path $N/tmp/uwsgi;
	scgi_temp_path $N/tmp/scgi;
	server {
		listen 127.0.0.1:$1;
		root $N/www;
	}
}
EOT
}

# nginx_up PORT: our master wrote its pid (so it bound the port) and answers.
nginx_up() {
	[ "$(cat "$N/nginx.pid" 2>/dev/null)" = "$nginx_pid" ] &&
	    curl -s -o /dev/null "http://127.0.0.1:$1/"
}
# nginx_gone: the master has exited (a zombie until we wait for it).
nginx_gone() {
	s=$(ps -o stat= -p "$nginx_pid")
	[ -z "$s" ] || [ "${s#Z}" != "$s" ]
}
# nginx_stop: a graceful stop through the master, which ends its workers;
# if it hangs, its workers and then the master are killed by their ids.
nginx_stop() {
	[ -n "$nginx_pid" ] || return 0
	kill -QUIT "$nginx_pid" 2>/dev/null
	if ! wait_until 5 nginx_gone; then
		for w in $(ps -o pid= --ppid "$nginx_pid"); do
			kill -KILL "$w" 2>/dev/null
		done
		kill -KILL "$nginx_pid" 2>/dev/null
	fi
	wait "$nginx_pid" 2>/dev/null
	nginx_pid=
}
trap 'nginx_stop; cleanup' EXIT

# Start nginx on a free port: try a few random ones until one binds.
nginx_pid=
port=
for try in 1 2 3 4 5 6; do
	p=$((20000 + ($$ * 7 + try * 7919) % 40000))
	nginx_conf "$p"
	"$NGINX" -p "$N" -c "$N/nginx.conf" -e "$N/error.log" >/dev/null 2>&1 &
	nginx_pid=$!
	if wait_until 5 nginx_up "$p"; then
		port=$p
		break
	fi
	nginx_stop
done
if [ -z "$port" ]; then
	tail -5 "$N/error.log" | sed 's/^/# /'
	ok 1 "nginx would not start"
	done_testing
fi
ok 0 "nginx serves on 127.0.0.1:$port"
URL=http://127.0.0.1:$port

# wrk stops each run after about 2000 responses.
cat >"$N/stop.lua" <<'EOT'
local n = 0
function response(status, headers, body)
	n = n + 1
	if n >= 2000 then wrk.thread:stop() end
end
EOT

traffic() {	# traffic ROUND: 60 requests from 6 clients, then wrk
	i=0
	while [ $i -lt 60 ]; do
		c=$((i % 6 + 2))
		case $((i % 5)) in
		0) path=/ ;;
		1) path=/tin-tuc.html ;;
		2) path=/css/site.css ;;
		3) path=/missing-$1 ;;
		4) path="/?page=$i" ;;
		esac
		ua="Mozilla/5.0 (client $c)"
		[ $c -eq 7 ] && ua="Googlebot/2.1 (+http://www.google.com/bot.html)"
		curl -s -o /dev/null --interface "127.0.0.$c" -A "$ua" "$URL$path"
		i=$((i + 1))
	done
	if command -v wrk >/dev/null 2>&1; then
		wrk -t1 -c2 -d2s -s "$N/stop.lua" -H "User-Agent: wrk-$1" \
		    "$URL/" >/dev/null 2>&1
	fi
}
last() {
	"$RRDTOOL" lastupdate "$F/$1.rrd" 2>/dev/null |
	    awk -F': ' 'NF == 2 { v = $2 } END { printf "%d\n", v }'
}
ga_num() {
	grep -o "\"$2\": [0-9]*" "$1" | head -n 1 | sed 's/.*: //'
}

write_config "$T/t.conf" <<EOT
[plugin traffic site]
interval = 1s
jitter = 0
preset = test
step = 1s
grace = 2s
profile = goaccess
log = $L
EOT
traffic 1
start_tallyd "$T/t.conf"
traffic 2
# logrotate's way: rename, then USR1 so the master reopens the log.
mv "$L" "$L.1"
traffic 3
kill -USR1 "$(cat "$N/nginx.pid")"
check "nginx reopened its log" wait_until 10 test -e "$L"
traffic 4
# nginx logs a request after its answer has gone out, and wrk may leave
# with one request of its second connection still being served: a last
# request, sent after all others have ended, is logged only once they are.
curl -s -o /dev/null --interface 127.0.0.2 -A "Mozilla/5.0 (client 2)" \
    "$URL/?end=1"
check "nginx logged the last request" wait_until 10 \
    grep -q '"GET /?end=1 HTTP' "$L"
written() { cat "$L.1" "$L" | wc -l; }
total=$(written)
ok "$([ "$total" -ge 240 ]; echo $?)" "nginx logged $total requests"
counted() { [ "$(($(last hits) + $(last malformed)))" -eq "$total" ]; }
check "tallyd counted every logged request once" wait_until 15 counted

cat "$L.1" "$L" >"$T/both.log"
goaccess "$T/both.log" --log-format=COMBINED -o "$T/ga.json" \
    >/dev/null 2>&1
ok $? "goaccess ran on the same lines"
for k in valid_requests:hits failed_requests:malformed bandwidth:bytes; do
	theirs=$(ga_num "$T/ga.json" "${k%%:*}")
	ours=$(last "${k#*:}")
	ok "$([ "$ours" -eq "${theirs:--1}" ]; echo $?)" \
	    "${k#*:} = GoAccess ${k%%:*} ($ours, $theirs)"
done
# days.tsv is written after the read's figures are submitted: wait until
# it holds every hit stored.
days_hits() {
	[ "$(awk '!/^#/ { s += $2 } END { print s + 0 }' \
	    "$T/state/traffic/site/days.tsv" 2>/dev/null)" -eq "$(last hits)" ]
}
check "days.tsv holds every hit" wait_until 10 days_hits
theirs=$(ga_num "$T/ga.json" unique_visitors)
ours=$(awk '!/^#/ { s += $4 } END { print s }' \
    "$T/state/traffic/site/days.tsv")
ok "$([ "$ours" -eq "${theirs:--1}" ]; echo $?)" \
    "unique visitors = GoAccess's ($ours, $theirs)"
ok "$([ "$(last status.4xx)" -ge 48 ]; echo $?)" \
    "the 404s are there ($(last status.4xx))"
check "the rename was followed" log_has 'access.log: renamed away'
stop_tallyd TERM
nginx_stop
done_testing
