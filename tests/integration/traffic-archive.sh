#!/bin/sh
# Rotated archives become history by the log's own dates: 91 days of a
# generated log (malformed lines included) are split into daily files as
# logrotate leaves them (access.log.1 plain, older access.log.N.gz), and
# the daemon imports them (profile goaccess).  For every day, the stored
# daily visitors, hits and bytes (rrdtool fetch of the daily series) must
# equal GoAccess's per-day panel on the concatenated log.  Twice: once
# with a kill -9 in the middle of the import and a restart, once with a
# rotation (live file to .1, .1 to .2.gz, ...) while the import runs.
# Then a log crossing a year boundary: visitors per year and month.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v goaccess >/dev/null 2>&1 || skip_all "goaccess is not installed"
command -v gzip >/dev/null 2>&1 || skip_all "gzip is not installed"
GEN="$top_builddir/tools/gen-access-log"
[ -x "$GEN" ] || skip_all "tools/gen-access-log is not built (make check)"

# 91 days ending two days ago (local +0700), about 2,200 lines a day.
end=$(($(date +%s) / 86400 * 86400 - 2 * 86400 - 7 * 3600))
"$GEN" -n 200000 -s 5 -e "$end" -S $((91 * 86400)) -z +0700 -V 20000 \
    -m 10 -K gbtudsh >"$T/all.log"

# split LOG DIR: one file per local date of LOG in DIR, named by date
# (lines without a readable date stay with the day before them).
split_days() {
	mkdir -p "$2"
	awk -v dir="$2" '
	    BEGIN { split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", m, " ")
		for (i = 1; i <= 12; i++) mon[m[i]] = sprintf("%02d", i) }
	    match($0, /\[[0-9][0-9]\/[A-Z][a-z][a-z]\/[0-9][0-9][0-9][0-9]:/) {
		s = substr($0, RSTART + 1, 11)
		if (substr(s, 4, 3) in mon)
			day = substr(s, 8, 4) mon[substr(s, 4, 3)] substr(s, 1, 2) }
	    { if (day == "") day = "00000000"; print > (dir "/" day) }' "$1"
}
# rotate DIR N: lay out the N oldest days of DIR as logrotate would have,
# with the newest of them as the live file access.log.
lay_out() {
	ls "$1" | sort | head -n "$2" | sort -r | awk '{ print NR - 1, $1 }' |
	while read -r n d; do
		if [ "$n" -eq 0 ]; then
			cp "$1/$d" "$3/access.log"
		elif [ "$n" -eq 1 ]; then
			cp "$1/$d" "$3/access.log.1"
		else
			gzip -c "$1/$d" >"$3/access.log.$n.gz"
		fi
	done
}
# logrotate DIR: one daily rotation with delaycompress.
logrotate_once() {
	n=$(ls "$1" | grep -c '^access\.log\.[0-9]*\.gz$')
	n=$((n + 1))
	while [ "$n" -ge 2 ]; do
		mv "$1/access.log.$n.gz" "$1/access.log.$((n + 1)).gz"
		n=$((n - 1))
	done
	gzip -c "$1/access.log.1" >"$1/access.log.2.gz.tmp" &&
	    mv "$1/access.log.2.gz.tmp" "$1/access.log.2.gz" &&
	    rm "$1/access.log.1"
	mv "$1/access.log" "$1/access.log.1"
	: >"$1/access.log"
}

split_days "$T/all.log" "$T/days"
ndays=$(ls "$T/days" | wc -l)
ok "$([ "$ndays" -ge 91 ] && [ "$ndays" -le 93 ]; echo $?)" \
    "the log holds $ndays local days"

goaccess "$T/all.log" --log-format=COMBINED -o "$T/ga.json" >/dev/null 2>&1
ok $? "goaccess ran on the concatenated log"
# ga_days JSON: "date hits visitors bytes" per day of the visitors panel.
ga_days() {
	sed 's/"requests": {"metadata".*//; s/.*"visitors": {"metadata"//' "$1" |
	    grep -o '"hits": {"count": [0-9]*,[^}]*},"visitors": {"count": [0-9]*,[^}]*},"bytes": {"count": [0-9]*,[^}]*},"data": "[0-9]\{8\}"' |
	    sed 's/"percent": "[^"]*"//g; s/[^0-9 ]//g' |
	    awk '{ print $4, $1, $2, $3 }' | sort
}
ga_days "$T/ga.json" >"$T/ga.days"
ok "$([ "$(wc -l <"$T/ga.days")" -ge 91 ]; echo $?)" \
    "GoAccess's per-day panel has $(wc -l <"$T/ga.days") days"
failed=$(grep -o '"failed_requests": [0-9]*' "$T/ga.json" | sed 's/.*: //')
ok "$([ "${failed:-0}" -gt 100 ]; echo $?)" "malformed lines in it ($failed)"

# daily DIR: "date hits visitors bytes" per day from the daily series.
# The point of day D is stamped 00:00 UTC after D: the row's time - 1 day.
daily() {
	for s in hits visitors bytes; do
		"$RRDTOOL" fetch "$1/$s.daily.rrd" AVERAGE -r 86400 \
		    -s $((end - 100 * 86400)) -e $((end + 2 * 86400)) |
		    awk -F': ' 'NF == 2 && $2 !~ /nan/ {
			printf "%s %.0f\n", $1, $2 }' >"$T/$s.rows"
	done
	join "$T/hits.rows" "$T/visitors.rows" | join - "$T/bytes.rows" |
	    while read -r t h v b; do
		echo "$(date -u -d "@$((t - 86400))" +%Y%m%d) $h $v $b"
	    done | awk '$2 > 0' | sort
}
lastv() {
	"$RRDTOOL" lastupdate "$1.rrd" 2>/dev/null |
	    awk -F': ' 'NF == 2 { v = $2 } END { printf "%d\n", v }'
}
imported() { log_has 'import done'; }
closed() {	# the daily series reached the last day of the log
	[ "$("$RRDTOOL" last "$1/visitors.daily.rrd" 2>/dev/null || echo 0)" \
	    -ge "$2" ]
}

rate=40000	# lines/s: the import lasts about 5 s, long enough to interrupt
# conf DIR: an instance reading DIR's access.log and its archives.
conf() {
	write_config "$T/$2.conf" <<EOT
[plugin traffic $2]
interval = 1s
jitter = 0
timeout = 30s
profile = goaccess
log = $1/access.log
archive = $1/access.log.*
import_time = 1s
import_rate = $rate
EOT
}
last_day=$(tail -n 1 "$T/ga.days" | cut -d' ' -f1)
last_t=$(($(date -u -d "$last_day" +%s) + 86400))

# 1. kill -9 in the middle of the import, then a restart.
mkdir -p "$T/a"
lay_out "$T/days" "$ndays" "$T/a"
conf "$T/a" kill
start_tallyd "$T/kill.conf"
check "import under way (progress logged)" \
    wait_until 60 log_has 'import: [0-9]+ of [0-9]+ archives'
log_has 'import done' && echo "# the import ended before the kill"
kill -9 "$daemon_pid"
wait "$daemon_pid" 2>/dev/null
daemon_pid=
grep 'import: ' "$T/tallyd.log" | tail -n 1 | sed 's/^/# killed after: /'
start_tallyd "$T/kill.conf"
check "import finished after the restart" wait_until 120 imported
ask PLUGINS | grep -q '^traffic\.kill .*status=import done [0-9]*/[0-9]* archives'
ok $? "tallyctl plugins shows the import's progress (status=import done N/N archives)"
R=$T/rrd/traffic/kill
check "daily series closed to the last day" wait_until 60 closed "$R" "$last_t"
# The live file rotated while running: its copy (.1, then .2.gz) is not
# imported again.
hits_before=$(lastv "$R/hits")
logrotate_once "$T/a"
check "rotation of the live file noticed" \
    wait_until 30 log_has 'traffic.kill: .*access.log: renamed away'
t_rot=$(date +%s)
reads_after() { [ "$("$RRDTOOL" last "$R/online.rrd")" -gt $((t_rot + 3)) ]; }
check "reads went on after the rotation" wait_until 30 reads_after
ok "$([ "$(lastv "$R/hits")" -eq "$hits_before" ] &&
    [ "$(lastv "$R/late")" -eq 0 ]; echo $?)" \
    "the live file's rotated copy is not imported again ($(lastv "$R/hits") hits)"
stop_tallyd TERM
daily "$R" >"$T/kill.days"
cmp -s "$T/kill.days" "$T/ga.days"
ok $? "kill -9 mid-import: per day hits, visitors, bytes equal GoAccess's ($(wc -l <"$T/kill.days") days)"
[ -s "$T/kill.days" ] && ! cmp -s "$T/kill.days" "$T/ga.days" &&
    diff "$T/kill.days" "$T/ga.days" | head -n 10 | sed 's/^/# /'
valid=$(grep -o '"valid_requests": [0-9]*' "$T/ga.json" | sed 's/.*: //')
ok "$([ "$(lastv "$R/hits")" -eq "$valid" ] &&
    [ "$(lastv "$R/malformed")" -eq "$failed" ] &&
    [ "$(lastv "$R/late")" -eq 0 ]; echo $?)" \
    "hits, malformed totals equal GoAccess's, none late ($(lastv "$R/hits"), $(lastv "$R/malformed"), $(lastv "$R/late"))"

# 2. A rotation while the import runs: the live file becomes .1, the old
# .1 is compressed to .2.gz; nothing is read twice or skipped.
mkdir -p "$T/b"
lay_out "$T/days" $((ndays - 1)) "$T/b"
conf "$T/b" rot
start_tallyd "$T/rot.conf"
check "second import under way" \
    wait_until 60 sh -c "grep -q 'traffic.rot: import: ' '$T/tallyd.log'"
logrotate_once "$T/b"
cat "$T/days/$(ls "$T/days" | sort | tail -n 1)" >>"$T/b/access.log"
R=$T/rrd/traffic/rot
check "import with a rotation finished" \
    wait_until 120 sh -c "grep -q 'traffic.rot: import done' '$T/tallyd.log'"
check "daily series closed to the last day" wait_until 60 closed "$R" "$last_t"
stop_tallyd TERM
daily "$R" >"$T/rot.days"
cmp -s "$T/rot.days" "$T/ga.days"
ok $? "rotation mid-import: per day hits, visitors, bytes equal GoAccess's ($(wc -l <"$T/rot.days") days)"
[ -s "$T/rot.days" ] && ! cmp -s "$T/rot.days" "$T/ga.days" &&
    diff "$T/rot.days" "$T/ga.days" | head -n 10 | sed 's/^/# /'

# 3. Across a year boundary: 2024-12-20 to 2025-01-10 (+0700), no
# malformed lines; unique visitors (address + agent, 4xx left out) per
# year and for December counted with awk.
mkdir -p "$T/y"
"$GEN" -n 30000 -s 9 -e 1736442000 -S $((21 * 86400)) -z +0700 -V 3000 \
    >"$T/year.log"
split_days "$T/year.log" "$T/ydays"
lay_out "$T/ydays" "$(ls "$T/ydays" | wc -l)" "$T/y"
uniq_of() {	# uniq_of PATTERN: visitors whose lines' dates match
	grep -F "$1" "$T/year.log" | awk -F'"' '{ split($3, st, " ")
	    if (int(st[1] / 100) != 4) { split($1, a, " "); print a[1], $6 } }' |
	    sort -u | wc -l
}
# A damaged archive among them (gzip cut in the middle, of January
# 2023): what can be read is counted, the rest refused loudly.
"$GEN" -n 2000 -s 3 -e 1673308800 -S 86400 -z +0700 | gzip -c >"$T/cut.gz"
head -c $(($(wc -c <"$T/cut.gz") / 2)) "$T/cut.gz" >"$T/y/access.log.98.gz"
rate=0
conf "$T/y" year
# A second instance imports another site (a copy) at the same time.
cp -r "$T/y" "$T/y2"
cat >>"$T/year.conf" <<EOT

[plugin traffic year2]
interval = 1s
jitter = 0
timeout = 30s
profile = goaccess
log = $T/y2/access.log
archive = $T/y2/access.log.*
EOT
start_tallyd "$T/year.conf"
R=$T/rrd/traffic/year
check "the damaged archive is named, with the line it broke after" \
    wait_until 60 log_has 'access\.log\.98\.gz: after line [0-9]+: .*the rest of the file is skipped'
ymonth() {
	"$RRDTOOL" fetch "$R/$1.rrd" AVERAGE -r 86400 -s $(($2 - 86400)) \
	    -e "$2" | awk -F': ' -v t="$2" '$1 == t { printf "%.0f\n", $2 }'
}
check "the year import closed 2024" wait_until 60 closed "$R" 1736380800
t2025=$(date -u -d 2025-01-01 +%s)
t2024dec=$t2025
ok "$([ "$(ymonth visitors.yearly "$t2025")" -eq "$(uniq_of '/2024:')" ]; echo $?)" \
    "visitors in 2024 by log date = awk's count ($(ymonth visitors.yearly "$t2025"), $(uniq_of '/2024:'))"
ok "$([ "$(ymonth visitors.monthly "$t2024dec")" -eq "$(uniq_of '/Dec/2024:')" ]; echo $?)" \
    "visitors in December 2024 = awk's count ($(uniq_of '/Dec/2024:'))"
# "so far" is the read-time gauge: the live 2025 lines may still be read.
year_so_far() { [ "$(lastv "$R/visitors.year")" -eq "$(uniq_of '/2025:')" ]; }
wait_until 60 year_so_far
ok "$([ "$(lastv "$R/visitors.year")" -eq "$(uniq_of '/2025:')" ]; echo $?)" \
    "visitors of 2025 so far = awk's count ($(uniq_of '/2025:'))"
check "the second instance closed 2024 too" \
    wait_until 60 closed "$T/rrd/traffic/year2" 1736380800
ok "$([ "$(R=$T/rrd/traffic/year2 ymonth visitors.yearly "$t2025")" -eq \
    "$(uniq_of '/2024:')" ]; echo $?)" \
    "... with the same visitors in 2024"
stop_tallyd TERM
done_testing
