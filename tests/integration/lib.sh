# lib.sh - shared helpers for integration tests: TAP output, a private
# temp dir, starting the real tallyd in the foreground, polling.
# Sourced by each test; top_srcdir and top_builddir come from make check.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${RRDTOOL:=rrdtool}"
: "${RRDCACHED:=rrdcached}"
TALLYD="$top_builddir/tallyd"
PLUGINS="$top_builddir/plugins/.libs"
TESTPLUGINS="$top_builddir/tests/plugins/.libs"

T=$(mktemp -d "${TMPDIR:-/tmp}/tally-test.XXXXXX")
tap_n=0
tap_fail=0
daemon_pid=
extra_pids=

cleanup() {
	[ -n "$daemon_pid" ] && kill -KILL "$daemon_pid" 2>/dev/null
	for p in $extra_pids; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$tap_fail" -ne 0 ] && [ -f "$T/tallyd.log" ]; then
		echo "# --- tallyd.log (last 40 lines)"
		tail -n 40 "$T/tallyd.log" | sed 's/^/# /'
	fi
	rm -rf "$T"
}
trap cleanup EXIT

ok() {	# ok CONDITION-EXIT-STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_fail=$((tap_fail + 1))
	fi
}

check() {	# check DESCRIPTION COMMAND...: ok if the command succeeds
	desc=$1
	shift
	"$@" >/dev/null 2>&1
	ok $? "$desc"
}

done_testing() {
	echo "1..$tap_n"
	exit 0
}

skip_all() {	# only for what the machine may lack (an optional package)
	echo "1..0 # SKIP $*"
	exit 0
}

# bail_out REASON: what this build makes is missing or broken; the test
# fails (ERROR) rather than skipping, so a broken build cannot pass.
bail_out() {
	echo "Bail out! $*"
	exit 1
}

# wait_until SECONDS COMMAND...: poll every 0.1 s until COMMAND succeeds.
wait_until() {
	limit=$(($1 * 10))
	shift
	i=0
	while [ $i -lt $limit ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# write_config FILE [extra text on stdin]: a private config in $T.
write_config() {
	{
		cat <<EOT
[daemon]
pidfile = $T/tallyd.pid
socket = $T/tallyd.sock
plugin_dir = $PLUGINS
statedir = $T/state
read_threads = 2
shutdown_timeout = 2s
render_helper = $top_builddir/tally-render

[storage]
datadir = $T/rrd

[retention test]
step = 1
heartbeat = 10
rra = AVERAGE:1s:1h
rra = LAST:1s:1h

EOT
		cat
	} >"$1"
}

start_tallyd() {	# start_tallyd CONFIG [args]
	conf=$1
	shift
	${TALLY_WRAP:-} "$TALLYD" -f -c "$conf" "$@" >>"$T/tallyd.log" 2>&1 &
	daemon_pid=$!
}

stop_tallyd() {	# stop_tallyd [SIGNAL]; sets daemon_rc
	kill -"${1:-TERM}" "$daemon_pid" 2>/dev/null
	wait "$daemon_pid"
	daemon_rc=$?
	daemon_pid=
}

alive() {
	[ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null
}

# start_tallyd_port CONFIG [args]: CONFIG writes its TCP port as @PORT@;
# start tallyd on one that is free (a test running beside may hold the
# first tried), from CONFIG.run.  Sets PORT; 1 if none would do.
start_tallyd_port() {
	sp_conf=$1
	shift
	sp_try=0
	while [ $sp_try -lt 8 ]; do
		PORT=$((20000 + ($$ * 13 + sp_try * 977) % 30000))
		sed "s/@PORT@/$PORT/g" "$sp_conf" >"$sp_conf.run"
		sp_mark=$(cat "$T/tallyd.log" 2>/dev/null | wc -l)
		start_tallyd "$sp_conf.run" "$@"
		wait_until 10 sh -c "tail -n +$((sp_mark + 1)) '$T/tallyd.log' |
		    grep -q ' running: ' || ! kill -0 $daemon_pid"
		alive && return 0
		wait "$daemon_pid"
		daemon_pid=
		tail -n +$((sp_mark + 1)) "$T/tallyd.log" | grep -q 'in use' ||
		    return 1
		sp_try=$((sp_try + 1))
	done
	return 1
}

# rrd_rows FILE CF [start]: "time value" lines that are not NaN.
rrd_rows() {
	"$RRDTOOL" fetch "$1" "$2" -r 1 -s "${3:--300}" -e now 2>/dev/null |
	    awk -F': ' 'NF == 2 && $2 !~ /nan/ { printf "%s %.6f\n", $1, $2 }'
}

rrd_count() {	# rrd_count FILE CF: number of known rows in the last 5 min
	rrd_rows "$1" "$2" | wc -l
}

log_has() {	# log_has REGEX
	grep -qE "$1" "$T/tallyd.log"
}

NC="$top_builddir/tests/tools/tally-nc"
SOCK=$T/tallyd.sock

# nonreaders N REQUEST [MS]: N clients on the socket that each send
# REQUEST and never read (for MS ms, default 60000); pids in $readers.
nonreaders() {
	nr_i=0
	readers=
	while [ $nr_i -lt "$1" ]; do
		printf '%s\n' "$2" |
		    "$NC" -U "$SOCK" -n -w "${3:-60000}" >/dev/null 2>&1 &
		readers="$readers $!"
		nr_i=$((nr_i + 1))
	done
	extra_pids="$extra_pids $readers"
}

# ask "REQUEST LINES...": send them on one connection, print the answers
# without the greeting.
ask() {
	printf '%s\n' "$@" | "$NC" -U "$SOCK" -w 10000 | tail -n +2
}

# png_size FILE: "WIDTHxHEIGHT" from the PNG header.
png_size() {
	od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d\n", ($1*16777216+$2*65536+$3*256+$4), ($5*16777216+$6*65536+$7*256+$8) }'
}

# ---- the demo data of the coop and creditfund plugins

# demo_data: the demo registry and credit fund reports of tools/gen-demo-data
# (registry.csv, creditfunds.csv) in $T/data; sets D.  The generator is
# ours, so its failure fails the test.
demo_data() {
	D=$T/data
	"$top_srcdir/tools/gen-demo-data" "$D" || bail_out "gen-demo-data failed"
}

# coop_mapping, fund_mapping: the column keys naming the headers of the
# demo registry and of the demo credit fund reports.
coop_mapping() {
	cat <<EOT
column.id = Mã số
column.name = Tên tổ chức
column.kind = Loại hình
column.sector = Lĩnh vực
column.district = Huyện/thị xã
column.founded = Ngày thành lập
column.dissolved = Ngày giải thể
column.members = Số thành viên
column.revenue = Doanh thu (đồng)
column.profit = Lợi nhuận (đồng)
column.year = Năm báo cáo
EOT
}

fund_mapping() {
	cat <<EOT
column.id = Mã quỹ
column.name = Tên quỹ
column.district = Huyện/thị xã
column.period = Kỳ báo cáo
column.assets = Tổng tài sản (đồng)
column.loans = Dư nợ cho vay (đồng)
column.revenue = Tổng thu nhập (đồng)
column.expenses = Tổng chi phí (đồng)
column.profit = Lợi nhuận trước thuế (đồng)
column.baddebt = Tỷ lệ nợ xấu (%)
EOT
}

# plugin_section PLUGIN INSTANCE SOURCE ["key = value"...]: a
# [plugin PLUGIN INSTANCE] section reading SOURCE with the keys given,
# every second without jitter unless they name an interval; a blank
# line after it.  coop_plugin and fund_plugin add the demo's headers.
plugin_section() {
	plugin_with : "$@"
}

coop_plugin() {	# coop_plugin INSTANCE SOURCE ["key = value"...]
	plugin_with coop_mapping coop "$@"
}

fund_plugin() {	# fund_plugin INSTANCE SOURCE ["key = value"...]
	plugin_with fund_mapping creditfund "$@"
}

plugin_with() {	# plugin_with MAPPING-COMMAND PLUGIN INSTANCE SOURCE [keys]
	pw_map=$1
	printf '[plugin %s %s]\nsource = %s\n' "$2" "$3" "$4"
	shift 4
	pw_keys=$(printf '%s\n' "$@")
	case "$pw_keys" in
	interval*|*"
interval"*) ;;
	*) printf 'interval = 1s\njitter = 0\n' ;;
	esac
	[ -n "$pw_keys" ] && printf '%s\n' "$pw_keys"
	$pw_map
	echo
}

# read_done PLUGIN.INSTANCE [POINTS]: the instance logged a reading that
# added POINTS points (any number by default); wait_read polls for it.
read_done() {
	grep -qE "${1%%.*}\.${1#*.}: .* ${2:-[0-9]+} points added" "$T/tallyd.log"
}

wait_read() {	# wait_read SECONDS PLUGIN.INSTANCE [POINTS]
	wr_s=$1
	shift
	wait_until "$wr_s" read_done "$@"
}

# jan1 YEAR: the epoch of 1 January YEAR 00:00 UTC.
jan1() {
	y=$(($1 - 1))
	echo $((((y - 1969) * 365 + y / 4 - 492 - y / 100 + 19 + y / 400 - 4) * 86400))
}

# coop_at INSTANCE METRIC YEAR: the coop figure stored for YEAR (its
# last day's daily row), "" if none; check_coop_at polls until it is WANT
# (30 s) and writes one TAP line.
coop_at() {
	ca_t=$(jan1 $(($3 + 1)))
	"$RRDTOOL" fetch "$T/rrd/coop/$1/$2.rrd" LAST -r 86400 \
	    -s $((ca_t - 2 * 86400)) -e "$ca_t" 2>/dev/null |
	    awk -F': ' -v t="$ca_t" '$1 == t && $2 !~ /nan/ { printf "%.0f\n", $2 }'
}

coop_is_at() {	# coop_is_at INSTANCE METRIC YEAR WANT
	[ "$(coop_at "$1" "$2" "$3")" = "$4" ]
}

check_coop_at() {	# check_coop_at INSTANCE METRIC YEAR WANT
	wait_until 30 coop_is_at "$1" "$2" "$3" "$4"
	ok $? "$1: $2 $3 = $4 (got '$(coop_at "$1" "$2" "$3")')"
}

# VictoriaMetrics ($VM, the Debian package) on loopback for the tests that
# check tallyd against it or forward to it: its data in $T/vm, kept across
# restarts; VM_FLAGS (set before vm_start) adds flags.
vm_up() {
	curl -sf "http://127.0.0.1:$VMPORT/health" >/dev/null
}

vm_run() {	# vm_run: start it on $VMPORT (again, after a kill); sets vm_pid
	# shellcheck disable=SC2086
	"$VM" -httpListenAddr="127.0.0.1:$VMPORT" -storageDataPath="$T/vm" \
	    -retentionPeriod=100y -search.latencyOffset=0s \
	    -search.disableCache -loggerLevel=ERROR ${VM_FLAGS:-} \
	    >>"$T/vm.log" 2>&1 &
	vm_pid=$!
	extra_pids="$extra_pids $vm_pid"
}

vm_start() {	# vm_start: on a free port (5 tries); sets VMPORT, VMU; ok line
	attempt=0
	vm_pid=
	while [ $attempt -lt 5 ]; do
		VMPORT=$((30000 + ($$ * 17 + attempt * 211) % 20000))
		vm_run
		wait_until 60 vm_up && break
		kill "$vm_pid" 2>/dev/null
		wait "$vm_pid" 2>/dev/null
		vm_pid=
		attempt=$((attempt + 1))
	done
	ok $([ -n "$vm_pid" ]; echo $?) "victoria-metrics up on port $VMPORT"
	VMU="http://127.0.0.1:$VMPORT"
}
