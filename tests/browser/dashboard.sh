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

# Graphs in vi_VN (graph_locale's default): generate the locale here if
# the machine lacks it, as an office's server would have it installed.
mkdir -p "$T/loc"
if command -v localedef >/dev/null 2>&1 &&
    localedef -i vi_VN -f UTF-8 "$T/loc/vi_VN.UTF-8" >/dev/null 2>&1; then
	LOCPATH=$T/loc
	export LOCPATH
fi

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

[report]
coop.registry.cooperatives.active = Số hợp tác xã
coop.registry.members = Số thành viên

[labels]
demo.main.wave = Khách xem thử
coop.registry.groups = Tổ hợp tác (THT)
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
# The rule fires at its first evaluations: the page is read once it has.
warned() { curl -s "$U/api/v1/alerts" | grep -q '"level":"warning"'; }
check "wave-high at warning before the page is read" wait_until 60 warned

# browse WIDTH,HEIGHT FLAG: run --dump-dom or --screenshot=FILE once the
# page has settled (virtual time runs until nothing is pending).
browse() {
	timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
	    --no-first-run --disable-background-networking --disable-component-update \
	    --disable-sync --disable-extensions --hide-scrollbars \
	    --user-data-dir="$T/chromium" --window-size="$1" \
	    --virtual-time-budget=20000 "$2" "$U/${3:-}" 2>>"$T/chromium.log"
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
# Friendly labels: the alerts table names the series by its label (the
# name in the tooltip), and a card takes the label set in [labels].
grep -q '<td title="demo.main.wave">Khách xem thử</td>' "$T/dom.html"
ok $? "the alert's series by its label, not demo.main.wave"
grep -q '<div class="label">Tổ hợp tác (THT)</div>' "$T/dom.html"
ok $? "a card labelled from [labels]"
ok $(grep -q '>coop\.registry\.[a-z.]*<' "$T/dom.html"; [ $? -ne 0 ]; echo $?) \
    "no technical series name shown as text"
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
# Yearly figures 2015..2024 (stored at 1 January 2016..2025): cards name
# the year, "10 năm" graphs end at the newest figure and hold ten whole
# years (2015-01-01 to 2025-01-01), not the ten years to today.
grep -q '<div class="when">số liệu năm 2024</div>' "$T/dom.html"
ok $? "yearly cards say 'số liệu năm 2024', not the day it was stored"
n10=$(grep -o 'graph?[^"]*' "$T/dom.html" | grep 'coop\.registry' |
    grep -c 'start=1420070400&amp;end=1735689600&amp;')
ok $([ "$n10" -ge 3 ]; echo $?) "coop graphs span 2015-2024 whole ($n10)"
# Value axes in vi-VN words, not rrdtool's k/M/G: revenue in tỷ, the
# credit funds' ROA in %, and the images those URLs give are whole PNGs.
ok $(grep -o 'graph?[^"]*' "$T/dom.html" | grep 'revenue' | grep -q 'unit=ty'
    echo $?) "revenue graphs ask for an axis in tỷ (unit=ty)"
ok $(grep -o 'graph?[^"]*' "$T/dom.html" | grep 'roa' | grep -q 'unit=pct'
    echo $?) "ROA graphs ask for an axis in % (unit=pct)"
u1=$(grep -o 'graph?[^"]*unit=ty[^"]*' "$T/dom.html" | head -1 | sed 's/&amp;/\&/g')
ok $(curl -s "$U/$u1" | head -c 8 | od -An -c | grep -q 'P   N   G'; echo $?) \
    "a unit=ty graph renders ($(echo "$u1" | cut -c1-60)...)"
if curl -s "$U/api/v1/alerts" | grep -q '"level":"warning"'; then
	grep -q 'giá trị' "$T/dom.html"
	ok $? "the alert message is Vietnamese"
fi

# The printable annual report: years as columns, the figure stored at
# 1 January 2022 under 2021 (436 = 380 + 7 * 8), its change against 2020.
browse 1280,1200 --dump-dom "report.html?from=2019&to=2022" >"$T/report.html"
grep -q '<th class="num">2021</th><th class="num">2022</th></tr>' "$T/report.html"
ok $? "report page: years label the columns"
grep -q '<td title="coop.registry.cooperatives.active">Số hợp tác xã</td><td class="num">420</td><td class="num">428</td><td class="num">436</td>' "$T/report.html" &&
    grep -q '<td title="coop.registry.cooperatives.active">% so với năm trước</td><td class="num">+1,9 %</td><td class="num">+1,9 %</td><td class="num">+1,9 %</td>' "$T/report.html" &&
    grep -q '<td class="num">520.000</td>' "$T/report.html"
ok $? "report page: 2021 holds 436, +1,9 % against 2020, vi-VN numbers"
grep -q 'href="api/v1/report?format=xlsx&amp;from=2019&amp;to=2022"' "$T/report.html"
ok $? "report page: the XLSX download of the same years"
ok $(grep -q 'Không tải được' "$T/report.html"; [ $? -ne 0 ]; echo $?) \
    "report page: loaded without error"
browse 1280,900 --screenshot="$top_builddir/tests/browser/report.png" "report.html?from=2016&to=2024" >/dev/null
ok $([ -s "$top_builddir/tests/browser/report.png" ]; echo $?) "report page screenshot"

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
