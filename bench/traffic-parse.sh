#!/bin/sh
# traffic-parse.sh - how fast the traffic plugin parses and counts an access
# log, beside GoAccess on the same file in the same run.
#
#	bench/traffic-parse.sh [LINES [VISITORS]]	(default 2000000 20000)
#
# Generates a combined log with tools/gen-access-log (deterministic), runs
# bench/traffic-parse (the plugin's parser and counters, no daemon) in both
# profiles, then `goaccess --log-format=COMBINED -o json`, and prints lines
# per second for each and the ratio.  Run from a built tree; needs goaccess
# for the comparison (apt-get install goaccess).
set -eu
cd "$(dirname "$0")/.."
lines=${1:-2000000}
visitors=${2:-20000}
make -s tools/gen-access-log bench/traffic-parse >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/traffic-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log=$tmp/access.log

./tools/gen-access-log -n "$lines" -V "$visitors" -s 5 -m 1 -S 2592000 >"$log"
size=$(wc -c <"$log")
echo "log: $lines lines, $((size / 1048576)) MiB, $visitors visitors, 30 days"
cat "$log" >/dev/null	# warm the page cache for both

rate() {	# rate LINES SECONDS
	awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'
}
now() {
	date +%s.%N
}

# cpu_rate: lines per CPU second (user + system) of the last run, from
# $tmp/time (GNU time): on a shared machine wall time varies with the
# load, CPU time much less.
cpu_rate() {
	awk -v n="$lines" '{ s = $1 + $2; printf "cpu %.2f s, %.0f lines per cpu-second", s, (s > 0 ? n / s : 0) }' "$tmp/time"
}
for p in default goaccess; do
	if [ -x /usr/bin/time ]; then
		out=$(/usr/bin/time -f '%U %S' -o "$tmp/time" \
		    ./bench/traffic-parse -p "$p" "$log")
		cpu=", $(cpu_rate)"
	else
		out=$(./bench/traffic-parse -p "$p" "$log")
		cpu=
	fi
	echo "tallyd traffic ($p profile): $(echo "$out" | head -n 1)$cpu"
	[ "$p" = goaccess ] && ours=$(echo "$out" | awk 'NR == 1 { print $6 }')
done

if ! command -v goaccess >/dev/null 2>&1; then
	echo "goaccess: not installed, no comparison"
	exit 0
fi
t0=$(now)
goaccess "$log" --log-format=COMBINED -o "$tmp/report.json" >/dev/null 2>&1
t1=$(now)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
theirs=$(rate "$lines" "$secs")
echo "goaccess $(goaccess --version 2>/dev/null | head -n 1 |
    sed 's/.*- //; s/\.$//'): lines $lines seconds $secs rate $theirs"
# One expression per line: mawk (Debian's awk) ends a statement at a
# newline even inside parentheses.
awk -v a="$ours" -v b="$theirs" 'BEGIN {
	r = b > 0 ? a / b : 0
	printf "ratio (tallyd goaccess profile / goaccess): %.1fx\n", r }'
