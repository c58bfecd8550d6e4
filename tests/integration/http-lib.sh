# http-lib.sh - helpers for the HTTP gateway tests, sourced after lib.sh.
# Needs curl (Debian package curl); a test without it skips.

command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"

# In sanitizer builds: librrd's rrd_graph (through pango and fontconfig)
# leaks a little per render; those leaks are not ours.  Full stacks, so
# that the suppression finds rrd_graph_v in them.
printf 'leak:rrd_graph_v\nleak:libpangoft2-1.0.so\nleak:libfontconfig.so\n' >"$T/lsan.supp"
LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}fast_unwind_on_malloc=0"
export LSAN_OPTIONS ASAN_OPTIONS

# http_start CONFIG-TEXT: write a config with the demo plugin, the [http]
# section given on stdin (listen is added) and start tallyd on a free
# port.  Sets PORT and U (the base URL).
http_start() {
	cat >"$T/http.extra"
	attempt=0
	while [ $attempt -lt 5 ]; do
		PORT=$((21000 + ($$ * 7 + attempt * 131) % 20000))
		U="http://127.0.0.1:$PORT"
		{
			cat <<EOT
[plugin demo main]
interval = 1s
jitter = 0
retention = test

[http]
listen = 127.0.0.1:$PORT
dashboard_dir = $top_srcdir/dashboard
EOT
			cat "$T/http.extra"
		} | write_config "$T/t.conf"
		# HTTP_STORAGE: more [storage] keys, e.g. "retention = slow"
		[ -n "${HTTP_STORAGE:-}" ] &&
		    sed -i "s|^\[storage\]|[storage]\n$HTTP_STORAGE|" "$T/t.conf"
		# HTTP_RENDER_HELPER: another graph helper (a wrapper)
		[ -n "${HTTP_RENDER_HELPER:-}" ] &&
		    sed -i "s|^render_helper = .*|render_helper = $HTTP_RENDER_HELPER|" "$T/t.conf"
		: >"$T/tallyd.log"
		start_tallyd "$T/t.conf"
		# HTTP_UP_WAIT: seconds to wait for the gateway (valgrind: more)
		if wait_until "${HTTP_UP_WAIT:-10}" http_up; then
			return 0
		fi
		alive && stop_tallyd KILL
		grep -q 'in use' "$T/tallyd.log" || return 1
		attempt=$((attempt + 1))
	done
	return 1
}

http_up() {
	alive && curl -s -o /dev/null "$U/api/v1/metrics"
}

# code URL [curl args]: the status code only.
code() {
	u=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' "$@" "$u"
}

# get URL [curl args]: headers to $T/h, body to $T/b; prints the status.
get() {
	u=$1
	shift
	curl -s -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$u"
}

# header NAME: its value in $T/h (last response), without the CR.
header() {
	grep -i "^$1:" "$T/h" | head -1 | sed 's/^[^:]*: *//' | tr -d '\r'
}

# json_error CODE: the last body is {"error":{"code":"CODE",...}}.
json_error() {
	grep -q "^{\"error\":{\"code\":\"$1\",\"message\":\"" "$T/b"
}
