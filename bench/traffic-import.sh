#!/bin/sh
# traffic-import.sh - how fast tallyd imports years of rotated access logs
# (the traffic plugin's archive import, through the daemon into RRD files),
# beside GoAccess on the same files in the same run.
#
#	bench/traffic-import.sh [YEARS [LINES_PER_DAY]]	(default 3 3000)
#
# Generates YEARS of a combined log (tools/gen-access-log, +0700, 0.1%
# malformed) laid out as logrotate leaves a daily-rotated log: access.log,
# access.log.1, access.log.2.gz ... Then:
#   tallyd:   profile goaccess, archive = access.log.*; from start until
#             "import done" is logged and a FLUSH of every file answers
#             (every point written); CPU and peak RSS from /proc;
#   goaccess: zcat -f of the same files oldest first | goaccess -
#             --log-format=COMBINED -o json (zcat's CPU counted too);
# and prints seconds, lines/s, CPU seconds and peak RSS of each.
# Run from a built tree; needs goaccess for the comparison.
. "$(dirname "$0")/common.sh"

years=${1:-3}
per_day=${2:-3000}
days=$((years * 365))
lines=$((days * per_day))
make -s -C "$top_builddir" tools/gen-access-log >/dev/null ||
    die "cannot build tools/gen-access-log"
L=$W/logs
mkdir -p "$L/days"
end=$(($(date +%s) / 86400 * 86400 - 86400 - 7 * 3600))
"$top_builddir/tools/gen-access-log" -n "$lines" -s 3 -e "$end" \
    -S $((days * 86400)) -z +0700 -V 50000 -m 1 >"$L/all.log"
# one file per local date (a line without a readable date stays with the
# one before it), newest first: 0 is the live file
awk -v dir="$L/days" '
    match($0, /\[[0-9][0-9]\/[A-Z][a-z][a-z]\/[0-9][0-9][0-9][0-9]:/) {
	m = index("JanFebMarAprMayJunJulAugSepOctNovDec", substr($0, RSTART + 4, 3))
	if (m > 0) {
		nd = substr($0, RSTART + 8, 4) (m + 100) substr($0, RSTART + 1, 2)
		if (nd != d) { close(dir "/" d); d = nd }
	} }
    { if (d == "") d = "0"; print >> (dir "/" d) }' "$L/all.log"
rm "$L/all.log"
n=0
for f in $(ls "$L/days" | sort -r); do
	case $n in
	0) mv "$L/days/$f" "$L/access.log" ;;
	1) mv "$L/days/$f" "$L/access.log.1" ;;
	*) gzip -c "$L/days/$f" >"$L/access.log.$n.gz" && rm "$L/days/$f" ;;
	esac
	n=$((n + 1))
done
rmdir "$L/days"
files=$n
disk=$(du -sk "$L" | awk '{ printf "%.0f", $1 / 1024 }')
text=$(zcat -f "$L"/access.log* | wc -c | awk '{ printf "%.0f", $1 / 1048576 }')
echo "machine: $(machine)"
echo "logs: $years years, $lines lines, $files files ($((files - 2)) gzip), $disk MiB on disk, $text MiB of text"

# tallyd
tallyd_config "$W/t"
cat >>"$W/t/tallyd.conf" <<EOT

[plugin traffic bench]
interval = 1s
timeout = 60s
profile = goaccess
log = $L/access.log
archive = $L/access.log.*
import_time = 30s
EOT
t0=$(date +%s.%N)
tallyd_start "$W/t"
wait_for 3600 grep -q 'import done' "$W/t/tallyd.log" ||
    die "no import done: $(tail -3 "$W/t/tallyd.log")"
"$top_builddir/tallyctl" -s "$W/t/tallyd.sock" -T 0 flush >/dev/null ||
    die "flush failed"
t1=$(date +%s.%N)
tcpu=$(cpu_s "$tallyd_pid")
trss=$(hwm_mib "$tallyd_pid")
written=$("$top_builddir/tallyctl" -s "$W/t/tallyd.sock" stats |
    awk '$1 == "values.written" { print $2 }')
tallyd_stop
tsecs=$(calc "$t1 - $t0")
got=$(grep 'import done' "$W/t/tallyd.log" | sed 's/.*, \([0-9]*\) lines, .*/\1/')
echo "tallyd:   seconds $tsecs lines/s $(calc "$got / $tsecs" %.0f) CPU s $tcpu peak MiB $trss ($got lines imported, $written values written)"
grep 'import done' "$W/t/tallyd.log" | sed 's/^/  log: /'

# goaccess
if ! command -v goaccess >/dev/null 2>&1; then
	echo "goaccess: not installed, no comparison"
	exit 0
fi
order=$(ls "$L" | sed -n 's/^access\.log\.\([0-9]*\)\(\.gz\)\{0,1\}$/\1 &/p' |
    sort -rn | awk -v d="$L" '{ printf "%s/%s ", d, $2 }')
/usr/bin/time -f '%e %U %S %M' -o "$W/ga.time" sh -c \
    "zcat -f $order $L/access.log | goaccess - --log-format=COMBINED -o '$W/ga.json' >/dev/null 2>&1"
read -r gsecs gu gs gkb <"$W/ga.time"
gvalid=$(grep -o '"total_requests": [0-9]*' "$W/ga.json" | head -n 1 | sed 's/.*: //')
echo "goaccess: seconds $gsecs lines/s $(calc "$lines / $gsecs" %.0f) CPU s $(calc "$gu + $gs" %.2f) peak MiB $(calc "$gkb / 1024" %.1f) ($gvalid requests)"
echo "ratio (goaccess seconds / tallyd seconds): $(calc "$gsecs / $tsecs" %.1f)x"
