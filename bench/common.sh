# bench/common.sh - shared by the benchmark scripts (sourced): a private
# work dir, the small C programs built into it, a tallyd with a private
# config, and a process's CPU time and peak memory from /proc.
#
# Env: TALLYD (default: the tallyd of the build tree), CC, TMPDIR,
# BENCH_KEEP=1 keeps the work dir.

set -u
BENCH_SRC=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$BENCH_SRC/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${TALLYD:=$top_builddir/tallyd}"
: "${CC:=cc}"
: "${RRDTOOL:=rrdtool}"
HZ=$(getconf CLK_TCK)
W=$(mktemp -d "${TMPDIR:-/tmp}/tally-bench.XXXXXX")
bench_pids=

bench_cleanup() {
	for p in $bench_pids; do
		kill -TERM "$p" 2>/dev/null
	done
	wait 2>/dev/null
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$W"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "bench: $*" >&2
	exit 1
}

# bench_build NAME: $W/bin/NAME from bench/NAME.c and benchlib.c, with
# librrd.
bench_build() {
	mkdir -p "$W/bin"
	# shellcheck disable=SC2046
	$CC -O2 -Wall -Wextra -o "$W/bin/$1" "$BENCH_SRC/$1.c" \
	    "$BENCH_SRC/benchlib.c" $(pkg-config --cflags --libs librrd) -lm ||
	    die "cannot build $1"
}

# kv FILE KEY: the value of a "key value" line.
kv() {
	awk -v k="$2" '$1 == k { print $2; exit }' "$1"
}

# calc EXPR: floating point arithmetic (awk), printed with %.FMT.
calc() {
	awk "BEGIN { printf \"${2:-%.3f}\", $1 }"
}

# cpu_s PID: user + system CPU seconds of a live process.
cpu_s() {
	awk -v hz="$HZ" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
	    "/proc/$1/stat"
}

# hwm_mib PID: its peak resident set (VmHWM), MiB.
hwm_mib() {
	awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"
}

# wait_for SECONDS COMMAND...: poll every 0.05 s.
wait_for() {
	n=$(($1 * 20))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

machine() {
	printf '%s, %s cores, %s RAM, %s\n' \
	    "$(lscpu | sed -n 's/^Model name: *//p')" "$(nproc)" \
	    "$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)" \
	    "$(sed -n 's/^PRETTY_NAME="*\([^"]*\)"*$/\1/p' /etc/os-release)"
}

# tallyd_config DIR: DIR/tallyd.conf, files in DIR/rrd with the layout of
# every bench (step 1 s, AVERAGE/MIN/MAX of 3600 rows: what collectd's
# rrdtool plugin makes with StepSize 1, RRARows 3600, RRATimespan 3600).
tallyd_config() {
	mkdir -p "$1"
	cat >"$1/tallyd.conf" <<EOT
[daemon]
pidfile = $1/tallyd.pid
socket = $1/tallyd.sock
statedir = $1/state
plugin_dir = $top_builddir/plugins/.libs
render_helper = $top_builddir/tally-render
read_threads = 2
max_clients = 256
max_local_clients = 256
shutdown_timeout = 2s
# client series (PUT) the runs make: up to 10 000 and more
max_series = 1000000

[storage]
datadir = $1/rrd
queue_max = ${TALLY_QUEUE_MAX:-20M}
durability = ${TALLY_DURABILITY:-fsync}
retention = bench

[retention bench]
step = 1
heartbeat = 10
xff = 0.1
rra = AVERAGE:1s:1h
rra = MIN:1s:1h
rra = MAX:1s:1h
EOT
}

# tallyd_start DIR: runs tallyd on DIR/tallyd.conf; sets tallyd_pid.
tallyd_start() {
	[ -x "$TALLYD" ] || die "no tallyd at $TALLYD (build it, or set TALLYD)"
	"$TALLYD" -f -c "$1/tallyd.conf" >"$1/tallyd.log" 2>&1 &
	tallyd_pid=$!
	bench_pids="$bench_pids $tallyd_pid"
	wait_for 10 test -S "$1/tallyd.sock" ||
	    die "tallyd did not start: $(tail -5 "$1/tallyd.log")"
}

# tallyd_stop: SIGTERM and wait.
tallyd_stop() {
	kill -TERM "$tallyd_pid" 2>/dev/null
	wait "$tallyd_pid" 2>/dev/null
}

# collectd_config DIR CACHE_TIMEOUT CACHE_FLUSH WRITE_THREADS: a collectd
# 5 with unixsock (PUTVAL) and the rrdtool plugin writing DIR/rrd in the
# bench's layout (1 s step, 3600 rows), holding values CACHE_TIMEOUT s.
collectd_config() {
	mkdir -p "$1/rrd"
	cat >"$1/collectd.conf" <<EOT
Hostname "bench"
FQDNLookup false
BaseDir "$1"
PIDFile "$1/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
Interval 10
ReadThreads 1
WriteThreads $4
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$1/collectd.log"
</Plugin>
LoadPlugin unixsock
<Plugin unixsock>
  SocketFile "$1/collectd.sock"
  SocketGroup "$(id -gn)"
</Plugin>
LoadPlugin rrdtool
<Plugin rrdtool>
  DataDir "$1/rrd"
  StepSize 1
  HeartBeat 10
  RRARows 3600
  RRATimespan 3600
  XFF 0.1
  CacheTimeout $2
  CacheFlush $3
</Plugin>
EOT
}
