#!/bin/sh
# profile = goaccess counts exactly as GoAccess does: the daemon reads a
# generated three-day log (with malformed lines) and its figures are
# compared with `goaccess --log-format=COMBINED -o json` on the same file:
# valid and failed requests, unique visitors, bandwidth, and per day hits,
# visitors, bytes and responses by status class.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v goaccess >/dev/null 2>&1 || skip_all "goaccess is not installed"
GEN="$top_builddir/tools/gen-access-log"
[ -x "$GEN" ] || bail_out "tools/gen-access-log is not built (make check)"
L=$T/access.log
F=$T/rrd/traffic/ga

"$GEN" -n 30000 -s 11 -S 259200 -V 3000 -m 20 -K gbtudsh >"$L"

# ga_num JSON KEY: the first number after "KEY": in a GoAccess report.
ga_num() {
	grep -o "\"$2\": [0-9]*" "$1" | head -n 1 | sed 's/.*: //'
}
# ga_days JSON: "date hits visitors bytes" per day of the visitors panel.
ga_days() {
	sed 's/"requests": {"metadata".*//; s/.*"visitors": {"metadata"//' "$1" |
	    grep -o '"hits": {"count": [0-9]*,[^}]*},"visitors": {"count": [0-9]*,[^}]*},"bytes": {"count": [0-9]*,[^}]*},"data": "[0-9]\{8\}"' |
	    sed 's/"percent": "[^"]*"//g; s/[^0-9 ]//g' |
	    awk '{ print $4, $1, $2, $3 }' | sort
}
# ga_status JSON: hits of the status classes 1xx..5xx, on one line.
ga_status() {
	for c in 1 2 3 4 5; do
		n=$(grep -o "\"hits\": {\"count\": [0-9]*,[^}]*},\"visitors\": {[^}]*},\"bytes\": {[^}]*},\"data\": \"${c}xx" "$1" |
		    sed 's/"hits": {"count": \([0-9]*\).*/\1/')
		printf '%s ' "${n:-0}"
	done
	echo
}
last() {
	"$RRDTOOL" lastupdate "$F/$1.rrd" 2>/dev/null |
	    awk -F': ' 'NF == 2 { v = $2 } END { printf "%d\n", v }'
}

goaccess "$L" --log-format=COMBINED -o "$T/ga.json" >/dev/null 2>&1
ok $? "goaccess ran"
valid=$(ga_num "$T/ga.json" valid_requests)
failed=$(ga_num "$T/ga.json" failed_requests)
uniq=$(ga_num "$T/ga.json" unique_visitors)
bw=$(ga_num "$T/ga.json" bandwidth)
ok "$([ "${valid:-0}" -gt 25000 ] && [ "${failed:-0}" -gt 100 ]; echo $?)" \
    "goaccess report read: $valid valid, $failed failed"

write_config "$T/t.conf" <<EOT
[plugin traffic ga]
interval = 1s
jitter = 0
preset = test
profile = goaccess
log = $L
format = \$remote_addr - \$remote_user [\$time_local] "\$request" \$status \$body_bytes_sent "\$http_referer" "\$http_user_agent"
EOT
start_tallyd "$T/t.conf"
counted() { [ "$(($(last hits) + $(last malformed)))" -eq $((valid + failed)) ]; }
check "tallyd read the whole log" wait_until 15 counted
ok "$([ "$(last hits)" -eq "$valid" ]; echo $?)" \
    "hits = GoAccess valid requests ($(last hits), $valid)"
ok "$([ "$(last malformed)" -eq "$failed" ]; echo $?)" \
    "malformed = GoAccess failed requests ($(last malformed), $failed)"
# bytes is another file than hits: its value may land a moment later.
bytes_ok() { [ "$(last bytes)" -eq "$bw" ]; }
wait_until 15 bytes_ok
ok "$([ "$(last bytes)" -eq "$bw" ]; echo $?)" \
    "bytes = GoAccess bandwidth ($(last bytes), $bw)"

D=$T/state/traffic/ga/days.tsv
check "days.tsv written" wait_until 5 test -s "$D"
awk '!/^#/ { print $1, $2, $4, $5 }' "$D" | sort >"$T/ours.days"
ga_days "$T/ga.json" >"$T/ga.days"
ok "$([ "$(wc -l <"$T/ga.days")" -eq 3 ]; echo $?)" "GoAccess saw 3 days"
cmp -s "$T/ours.days" "$T/ga.days"
ok $? "per day hits, unique visitors and bytes equal GoAccess's"
[ $? -eq 0 ] || diff "$T/ours.days" "$T/ga.days" | sed 's/^/# /'
sum=$(awk '{ s += $3 } END { print s }' "$T/ours.days")
ok "$([ "$sum" -eq "$uniq" ]; echo $?)" \
    "unique visitors over the days = GoAccess total ($sum, $uniq)"

# Status classes per day: GoAccess on each day's lines alone.
n=0
bad=0
for day in $(cut -d' ' -f1 "$T/ga.days"); do
	pat=$(echo "$day" | awk '{ split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec", m, " ");
	    printf "[%s/%s/%s:", substr($1, 7, 2), m[substr($1, 5, 2) + 0], substr($1, 1, 4) }')
	grep -F "$pat" "$L" >"$T/day.log"
	goaccess "$T/day.log" --log-format=COMBINED -o "$T/day.json" \
	    >/dev/null 2>&1
	theirs=$(ga_status "$T/day.json")
	ours=$(awk -v d="$day" '$1 == d { print $7, $8, $9, $10, $11 }' "$D")
	n=$((n + 1))
	if [ "$theirs" != "$ours " ]; then
		bad=$((bad + 1))
		echo "# $day: ours $ours, goaccess $theirs"
	fi
done
ok "$([ "$n" -eq 3 ] && [ "$bad" -eq 0 ]; echo $?)" \
    "responses by status class per day equal GoAccess's ($n days)"
s=0
for c in 1xx 2xx 3xx 4xx 5xx; do s=$((s + $(last status.$c))); done
ok "$([ "$(ga_status "$T/ga.json" | awk '{ print $1+$2+$3+$4+$5 }')" -eq "$s" ]; echo $?)" \
    "status series add up to GoAccess's status panel ($s)"
stop_tallyd TERM
done_testing
