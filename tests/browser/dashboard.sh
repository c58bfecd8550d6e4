#!/bin/sh
# The dashboard in headless Chromium (Debian packages chromium and curl):
# seeded with cooperative, credit fund and traffic series, it must show a
# section for each, load every graph with a non-zero size, log no error,
# fit a phone-sized screen, and render the visitor counter.  The page
# checks itself into #selftest (see dashboard/app.js); we read it from
# --dump-dom.  Screenshots stay in the build tree as test artifacts:
# tests/browser/dashboard.png and dashboard-phone.png.
. "${top_srcdir:-.}/tests/integration/lib.sh"

CHROMIUM=${CHROMIUM:-}
for c in chromium chromium-browser google-chrome; do
	[ -z "$CHROMIUM" ] && command -v "$c" >/dev/null 2>&1 && CHROMIUM=$(command -v "$c")
done
[ -n "$CHROMIUM" ] || skip_all "chromium is not installed"
. "$top_srcdir/tests/integration/http-lib.sh"

# Yearly and monthly figures want the slow preset (one step a day).  An
# alert rule that fires at once, for the alerts section.
HTTP_STORAGE="retention = slow"
http_start <<EOT
token = s3cret
counter_total = demo.main.visits
counter_online = demo.main.wave

[alert wave-high]
metric = demo.main.wave
every = 1s
warning = -1000
EOT
ok $? "gateway up on $U"

# put METRIC "TIME:VALUE ...": store values through the gateway.
put() {
	curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Authorization: Bearer s3cret' \
	    --data-binary "$2" "$U/api/v1/put?metric=$1"
}
# yearly BASE STEP: "TIME:VALUE" at 1 January 2015..2025, growing by STEP.
yearly() {
	y=2015
	while [ $y -le 2025 ]; do
		printf '%s:%s\n' "$(date -u -d "$y-01-01" +%s)" $(($1 + ($y - 2015) * $2))
		y=$((y + 1))
	done
}
now=$(date +%s)
day=$((now - now % 86400))
bad=0
for m in "coop.registry.cooperatives.active 380 8" "coop.registry.cooperatives.active.agriculture 250 5" \
    "coop.registry.members 480000 8000" "coop.registry.revenue.avg 1700000000 -20000000" \
    "coop.registry.revenue.avg.agriculture 1500000000 -15000000" "coop.registry.groups 180 2" \
    "creditfund.funds.funds.reporting 80 0" "creditfund.funds.funds.profit 78 0" \
    "creditfund.funds.funds.loss 2 0" "creditfund.funds.roa 1 0" \
    "creditfund.funds.profit.total 90000000000 1000000000"; do
	set -- $m
	[ "$(put "$1" "$(yearly "$2" "$3")")" = 200 ] || bad=$((bad + 1))
done
for m in traffic.site.online:12 traffic.site.visitors.day:340 traffic.site.visits.total:125000; do
	v=${m#*:}
	[ "$(put "${m%%:*}" "$((day - 2 * 86400)):$v $((day - 86400)):$((v + 1)) $day:$((v + 2))")" = 200 ] ||
	    bad=$((bad + 1))
done
ok $([ $bad -eq 0 ]; echo $?) "seeded 14 series over the gateway"
check "demo data flowing" wait_until 10 test -f "$T/rrd/demo/main/wave.rrd"

# browse WIDTH,HEIGHT FLAG: run --dump-dom or --screenshot=FILE once the
# page has settled (virtual time runs until nothing is pending).
browse() {
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking --disable-component-update \
	    --disable-sync --disable-extensions --hide-scrollbars \
	    --user-data-dir="$T/chromium" --window-size="$1" \
	    --virtual-time-budget=20000 "$2" "$U/" 2>>"$T/chromium.log"
}
mkdir -p "$top_builddir/tests/browser"
browse 1280,2600 --dump-dom >"$T/dom.html"
sed -n '/<pre id="selftest"/,/<\/pre>/p' "$T/dom.html" | sed 's/^/# /'
st() {	# st KEY: a key=value line of the self-test
	sed -n '/<pre id="selftest"/,/<\/pre>/p' "$T/dom.html" | sed 's/<[^>]*>//g' |
	    sed -n "s/^$1=//p" | head -1
}
ok $([ "$(st done)" = 1 ]; echo $?) "the page ran its self-test"
sections=$(st sections)
for s in coop creditfund traffic; do
	echo ",$sections," | grep -q ",$s,"
	ok $? "section $s shown ($sections)"
done
# The config has the rule wave-high: the API must list it and the alerts
# section must show it (a missing rule is a failure, not "no section").
curl -s "$U/api/v1/alerts" | grep -q '"name":"wave-high"'
ok $? "the API lists the rule wave-high"
echo ",$sections," | grep -q ",alerts," && grep -q '<td>wave-high</td>' "$T/dom.html"
ok $? "alerts section lists wave-high"
n=$(st images)
ok $([ "${n:-0}" -ge 7 ] && [ "$(st images_ok)" = "$n" ]; echo $?) "every graph loaded: $(st images_ok) of $n"
ok $(grep -q 'img FAIL' "$T/dom.html"; [ $? -ne 0 ]; echo $?) "no image failed"
ok $([ "$(st errors)" = 0 ]; echo $?) "no console or script error ($(st errors))"
grep -q 'Số liệu kinh tế tập thể' "$T/dom.html"; ok $? "Vietnamese title"
grep -qE '<div class="value">[0-9]{3}\.[0-9]{3}</div>' "$T/dom.html"
ok $? "numbers in vi-VN form (thousands with dots)"
grep -qE 'cập nhật [0-3][0-9]/[01][0-9]/20[0-9]{2}' "$T/dom.html"; ok $? "dates as dd/mm/yyyy"
grep -qE 'tally-counter-online">Số người trực tuyến: <b>[0-9.]+</b>' "$T/dom.html"
ok $? "visitor counter rendered"
grep -q 'tỷ đồng' "$T/dom.html"; ok $? "VND in billions (tỷ đồng)"

# A phone-sized window (headless Chromium lays out --dump-dom at 500 px at
# least; the screenshot below is 390 px): nothing wider than the screen.
browse 390,2400 --dump-dom >"$T/phone.html"
vw=$(sed -n 's/^viewport=//p' "$T/phone.html")
pw=$(sed -n 's/^page_width=//p' "$T/phone.html")
wmax=$(grep -o 'img ok [0-9x]* shown [0-9]*' "$T/phone.html" | awk '{ print $NF }' | sort -n | tail -1)
ok $([ -n "$vw" ] && [ "$vw" -le 500 ] && [ "$pw" -le "$vw" ]; echo $?) "narrow screen: page ${pw:-?} px in a ${vw:-?} px viewport"
ok $([ -n "$wmax" ] && [ "$wmax" -le "$vw" ]; echo $?) "graphs at most ${wmax:-?} px wide there"
grep -q 'errors=0' "$T/phone.html"; ok $? "no error on the narrow screen either"

# Screenshots, kept as artifacts.
rm -f "$top_builddir/tests/browser/dashboard.png" "$top_builddir/tests/browser/dashboard-phone.png"
browse 1280,2600 --screenshot="$top_builddir/tests/browser/dashboard.png" >/dev/null
browse 390,2400 --screenshot="$top_builddir/tests/browser/dashboard-phone.png" >/dev/null
ok $([ -s "$top_builddir/tests/browser/dashboard.png" ] &&
    [ "$(png_size "$top_builddir/tests/browser/dashboard.png")" = 1280x2600 ]; echo $?) \
    "screenshot tests/browser/dashboard.png"
ok $([ -s "$top_builddir/tests/browser/dashboard-phone.png" ]; echo $?) "phone screenshot"

stop_tallyd
ok $(alive; [ $? -ne 0 ]; echo $?) "stopped"
done_testing
