#!/bin/sh
# The coop plugin through the daemon, on the generated demo registry: the
# stored 2021 figures are the seed's, past years are there, a restart
# submits nothing again, a touched file is not re-read, a corrected past
# year changes that year's point alone, a bad row is reported at its
# physical line while the figures stand; and the same from an http://
# source, with ETag and 304.
. "${top_srcdir:-.}/tests/integration/lib.sh"
HTTPD="$top_builddir/tests/unit/test_coop_httpd"

demo_data
cp "$D/registry.csv" "$T/served.csv"

summaries() {	# summaries INSTANCE: how many readings it processed
	grep -c "coop\.$1.*registry.csv: [0-9]* rows" "$T/tallyd.log"
}

"$HTTPD" "$T/served.csv" "$T/port" "$T/httpd.log" 2>"$T/httpd.err" &
extra_pids=$!
wait_until 10 test -s "$T/port" || bail_out "testhttpd did not start"
PORT=$(cat "$T/port")

write_config "$T/t.conf" <<EOT
$(coop_plugin reg "$D/registry.csv")
$(coop_plugin web "http://127.0.0.1:$PORT/registry.csv")
$(plugin_section coop gone "http://127.0.0.1:$PORT/gone")
EOT

start_tallyd "$T/t.conf" -v
check "2021 active cooperatives stored" \
    wait_until 15 coop_is_at reg cooperatives.active 2021 458
# The writer creates the files of one batch one after the other.
wait_until 10 test -f "$T/rrd/coop/reg/members.rrd"
info=$("$RRDTOOL" info "$T/rrd/coop/reg/members.rrd")
echo "$info" | grep -q '^step = 86400$'
ok $? "slow preset: step 86400"

# The seed's figures, as stored.
check_coop_at reg members 2021 565874
check_coop_at reg founded 2021 13
check_coop_at reg unions 2021 1
check_coop_at reg groups 2021 200
check_coop_at reg groups.farming 2021 170
check_coop_at reg cooperatives.active.industry 2021 29
check_coop_at reg revenue.avg.agriculture 2021 1550000000
check_coop_at reg profit.avg.agriculture 2021 87000000
check_coop_at reg revenue.avg.agriculture 2022 1364000000
check_coop_at reg revenue.avg.agriculture 2024 1056000000
# History since the first year, and each day of a year holds its figure.
check_coop_at reg cooperatives.active 2012 458
check_coop_at reg cooperatives.active 2013 454
check_coop_at reg cooperatives.active 2024 482
check_coop_at reg unions 2015 0
mid=$("$RRDTOOL" fetch "$T/rrd/coop/reg/members.rrd" LAST -r 86400 \
    -s "$(($(jan1 2021) + 180 * 86400))" -e "$(($(jan1 2021) + 181 * 86400))" |
    awk -F': ' 'NF == 2 { printf "%.0f\n", $2; exit }')
ok $([ "$mid" = 565874 ]; echo $?) "a day in mid-2021 holds 2021's members ($mid)"
check "reading logged: 8465 rows, none bad" \
    log_has 'coop\.reg.*registry.csv: 8465 rows \(0 bad\), years 2012-2024'

# A touched file (same bytes) is not parsed again.
n0=$(grep -c 'coop\.reg.*unchanged' "$T/tallyd.log")
touch "$D/registry.csv"
check "reads go on after the touch" wait_until 10 sh -c \
    "[ \$(grep -c 'coop\.reg.*unchanged' '$T/tallyd.log') -ge $((n0 + 2)) ]"
ok $([ "$(summaries reg)" = 1 ]; echo $?) "touched file not parsed again"

# A restart re-reads once and submits nothing (no stale values at all).
stop_tallyd TERM
mv "$T/tallyd.log" "$T/tallyd.1.log"
start_tallyd "$T/t.conf" -v
check "after a restart: read again, nothing new" wait_until 10 \
    log_has 'coop\.reg.*8465 rows \(0 bad\).*: 0 points added, 0 metrics'
ok $(log_has 'coop/reg/.*not newer'; [ $? -ne 0 ]; echo $?) \
    "no value submitted twice (no stale drop)"

# Correct 2019: one cooperative gains 1000 members.
m2018=$(coop_at reg members 2018)
m2019=$(coop_at reg members 2019)
m2020=$(coop_at reg members 2020)
awk 'BEGIN { FS = OFS = "," }
    $1 == "HTX-0001" && $11 == "2019" { $8 += 1000 } { print }' \
    "$D/registry.csv" >"$D/new.csv" && mv "$D/new.csv" "$D/registry.csv"
wait_until 10 sh -c "grep -q 'coop\.reg.*\(history rewritten\|cannot rewrite\)' '$T/tallyd.log'"
todo=
log_has 'cannot rewrite stored history' &&
    todo=" # TODO the core has no host->rewrite yet"
wait_until 30 coop_is_at reg members 2019 $((m2019 + 1000))
ok $? "corrected 2019 stored: $(coop_at reg members 2019) = $m2019 + 1000$todo"
ok $([ "$(coop_at reg members 2018)" = "$m2018" ] &&
    [ "$(coop_at reg members 2020)" = "$m2020" ] &&
    [ "$(coop_at reg members 2021)" = 565874 ]; echo $?) \
    "other years keep their points$todo"
check "only members was rewritten" sh -c \
    "[ \$(grep -c 'coop\.reg.*history rewritten' '$T/tallyd.log') -le 1 ]"

# A bad row is reported at its physical line; the figures stand.
line=$(($(wc -l <"$D/registry.csv") + 1))
printf 'HTX-9999,Bad,Hợp tác xã,Nông nghiệp,X,01/01/2020,,nhiều,1,1,2024,\r\n' \
    >>"$D/registry.csv"
check "bad row reported with its line" wait_until 10 log_has \
    "registry.csv:$line: column 8 'Số thành viên': members 'nhiều' is not a whole number; row skipped"
check_coop_at reg cooperatives.active 2024 482

# http://: the same figures, then 304 while unchanged, 200 after a change.
check "http: 2021 active cooperatives stored" \
    wait_until 15 coop_is_at web cooperatives.active 2021 458
check_coop_at web members 2021 565874
check "http: first GET answered 200" grep -q '^GET /registry.csv 200$' "$T/httpd.log"
check "http: later GETs conditional, answered 304" wait_until 10 \
    grep -q '^GET /registry.csv 304 if-none-match$' "$T/httpd.log"
ok $([ "$(summaries web)" = 1 ]; echo $?) "http: 304 is not parsed again"
awk 'BEGIN { FS = OFS = "," }
    $1 == "HTX-0001" && $11 == "2024" { $8 += 7 } { print }' \
    "$T/served.csv" >"$T/new.csv" && mv "$T/new.csv" "$T/served.csv"
check "http: changed file answered 200 to the conditional GET" wait_until 10 \
    grep -q '^GET /registry.csv 200 if-none-match$' "$T/httpd.log"
check "http: the changed file is read" wait_until 10 \
    sh -c "grep -c 'coop\.web.*registry.csv: [0-9]* rows' '$T/tallyd.log' | grep -q 2"
check "http: 404 reported" log_has 'coop\.gone.*/gone: HTTP 404 Not Found'
stop_tallyd TERM
ok $daemon_rc "SIGTERM: exit status 0"
done_testing
