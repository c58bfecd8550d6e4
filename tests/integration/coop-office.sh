#!/bin/sh
# Files as an office makes them, through the daemon: the demo registry
# saved as a Vietnamese Excel does (';' and decimal commas in
# Windows-1258, "Unicode text" in UTF-16LE with tabs, NFD headers,
# quoted vi-VN figures in a ',' file) stores the seed's 2021 figures
# exactly; totals tables in both orientations do too; an impossible date
# is named precisely; a ';' file read with separator = , is refused with
# the headers and the likely cause; and the formatted file that used to
# store zeros (unquoted "1,55 tỷ" in a ',' file) is refused for its years
# with nothing stored changed, the refusal in the log and in PLUGINS.
. "${top_srcdir:-.}/tests/integration/lib.sh"

PY=
for p in python3 /usr/bin/python3; do
	command -v "$p" >/dev/null 2>&1 && PY=$p && break
done
[ -n "$PY" ] || skip_all "python3 is needed to write the office files"
command -v iconv >/dev/null 2>&1 || skip_all "iconv(1) is needed"

demo_data

# office.py SRC DST SEP STYLE: the registry rewritten: STYLE vi groups
# figures with '.' and writes a decimal comma, viq the same quoted, ty
# writes revenue as "1,55 tỷ" unquoted (what broke a ',' file), nfd
# decomposes the header.
cat >"$T/office.py" <<'EOF'
import csv, sys, unicodedata
src, dst, sep, style = sys.argv[1:5]
def vi(s):
    if s == "" or not s.lstrip("-").replace(".", "").isdigit():
        return s
    neg = s.startswith("-")
    i, _, f = s.lstrip("-").partition(".")
    g = ""
    while len(i) > 3:
        g = "." + i[-3:] + g
        i = i[:-3]
    return ("-" if neg else "") + i + g + ("," + f if f else "")
rows = list(csv.reader(open(src, encoding="utf-8-sig", newline="")))
out = open(dst, "w", encoding="utf-8", newline="")
w = csv.writer(out, delimiter=sep, lineterminator="\r\n",
    quoting=csv.QUOTE_ALL if style == "viq" else csv.QUOTE_MINIMAL)
for n, r in enumerate(rows):
    if n == 0:
        if style == "nfd":
            r = [unicodedata.normalize("NFD", h) for h in r]
        w.writerow(r)
        continue
    if style in ("vi", "viq"):
        r[7:10] = [vi(x) for x in r[7:10]]
    if style == "ty" and r[8]:
        r[8] = vi("%.2f" % (int(r[8]) / 1e9)).rstrip("0").rstrip(",") + " tỷ"
    if style == "ty":
        out.write(sep.join(r) + "\r\n")
    else:
        w.writerow(r)
EOF
office() { "$PY" "$T/office.py" "$D/registry.csv" "$@"; }
# funds.py SRC DST: the credit fund reports as a Vietnamese Excel saves
# them: ';', figures grouped with '.', the bad-debt ratio "0,89 %".
cat >"$T/funds.py" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig", newline="")))
w = csv.writer(open(sys.argv[2], "w", encoding="utf-8", newline=""),
    delimiter=";", lineterminator="\r\n")
def vi(s):
    neg = s.startswith("-")
    i = s.lstrip("-")
    g = ""
    while len(i) > 3:
        g = "." + i[-3:] + g
        i = i[:-3]
    return ("-" if neg else "") + i + g
for n, r in enumerate(rows):
    if n > 0:
        r[4:9] = [vi(x) for x in r[4:9]]
        r[9] = r[9].replace(".", ",") + " %"
    w.writerow(r)
EOF
office "$D/semi.utf8" ';' vi &&
    iconv -f UTF-8 -t WINDOWS-1258 "$D/semi.utf8" >"$D/semi1258.csv" &&
    office "$D/tab.utf8" '	' vi &&
    { printf '\377\376'; iconv -f UTF-8 -t UTF-16LE "$D/tab.utf8"; } \
    >"$D/unicode.txt" &&
    office "$D/nfd.csv" ',' nfd &&
    office "$D/quoted.csv" ',' viq &&
    office "$D/ty.csv" ',' ty &&
    "$PY" "$T/funds.py" "$D/creditfunds.csv" "$D/funds.utf8" &&
    iconv -f UTF-8 -t WINDOWS-1258 "$D/funds.utf8" >"$D/funds1258.csv" ||
    skip_all "could not write the office files"
# The Windows-1258 file really is not UTF-8, and UTF-16 really is UTF-16.
ok $(! iconv -f UTF-8 -t UTF-8 "$D/semi1258.csv" >/dev/null 2>&1; echo $?) \
    "semi1258.csv is not UTF-8"
ok $([ "$(od -An -tx1 -N4 "$D/unicode.txt" | tr -d ' ')" = fffe4d00 ]
    echo $?) "unicode.txt starts with a UTF-16LE BOM"
cp "$D/registry.csv" "$D/guard.csv"

# Totals tables, years as columns (';', decimal comma, units in the
# label) and as rows (UTF-16 with tabs, as "Unicode text").
printf '%s\r\n' 'Chỉ tiêu;2019;2020;2021' \
    'Số hợp tác xã;440;450;458' \
    'Số thành viên;560.000;563.120;565.874' \
    'Số HTX thành lập mới;10;12;13' \
    'Số tổ hợp tác;190;195;200' \
    'Tổ hợp tác nông nghiệp;160;165;170' \
    'Số liên hiệp HTX;1;1;1' \
    'Số HTX công nghiệp;27;28;29' \
    'Doanh thu bình quân HTX nông nghiệp (tỷ đồng);1,4;1,52;1,55' \
    'Lợi nhuận bình quân HTX nông nghiệp (triệu đồng);80;85,5;87' \
    'Chỉ tiêu không dùng;1;2;3' >"$D/totals-cols.csv"
{
	printf '\377\376'
	printf '%s\r\n' \
	    'Năm	Số HTX	Số thành viên	Số tổ hợp tác	Doanh thu bình quân HTX nông nghiệp	Lãi bình quân HTX nông nghiệp (triệu đồng)' \
	    '2020	450	563.120	195	1.520.000.000	85,5' \
	    '2021	458	565.874	200	1,55 tỷ	87' | iconv -f UTF-8 -t UTF-16LE
} >"$D/totals-rows.txt"

# An impossible founding date, and a ';' file read as ','.
{
	cat "$D/registry.csv"
	printf 'HTX-9998,Ngày sai,Hợp tác xã,Nông nghiệp,X,31/02/2015,,5,1,1,2024,\r\n'
} >"$D/baddate.csv"

write_config "$T/t.conf" <<EOT
$(coop_plugin w1258 "$D/semi1258.csv")
$(coop_plugin utf16 "$D/unicode.txt")
$(coop_plugin nfd "$D/nfd.csv")
$(coop_plugin quoted "$D/quoted.csv")
$(coop_plugin guard "$D/guard.csv")
$(coop_plugin fresh "$D/ty.csv")
$(coop_plugin baddate "$D/baddate.csv")
$(coop_plugin forced "$D/semi.utf8" "separator = ,")
$(plugin_section coop tcols "$D/totals-cols.csv" "layout = totals")
$(plugin_section coop trows "$D/totals-rows.txt" "layout = totals")
$(fund_plugin funds "$D/funds1258.csv")
EOT

start_tallyd "$T/t.conf" -v

for inst_name in w1258 utf16 nfd quoted guard; do
	check_coop_at $inst_name cooperatives.active 2021 458
	check_coop_at $inst_name members 2021 565874
	check_coop_at $inst_name revenue.avg.agriculture 2021 1550000000
	check_coop_at $inst_name profit.avg.agriculture 2021 87000000
	check_coop_at $inst_name groups.farming 2021 170
done
check "Windows-1258 noticed and read" log_has \
    'coop\.w1258.*semi1258.csv: read as WINDOWS-1258 \(not valid UTF-8\).*separator .;., decimal mark .,.'
check "w1258: no bad row" log_has \
    'coop\.w1258.*semi1258.csv: 8465 rows \(0 bad\), years 2012-2024'
check "utf16: no bad row" log_has \
    'coop\.utf16.*unicode.txt: 8465 rows \(0 bad\)'

# Totals, both orientations: the seed's 2021 figures, exactly.
for inst_name in tcols trows; do
	check_coop_at $inst_name cooperatives.active 2021 458
	check_coop_at $inst_name members 2021 565874
	check_coop_at $inst_name revenue.avg.agriculture 2021 1550000000
	check_coop_at $inst_name profit.avg.agriculture 2021 87000000
	check_coop_at $inst_name groups 2021 200
	check_coop_at $inst_name profit.avg.agriculture 2020 85500000
done
check_coop_at tcols groups.farming 2021 170
check_coop_at tcols unions 2021 1
check_coop_at tcols founded 2021 13
check_coop_at tcols cooperatives.active.industry 2021 29
check_coop_at tcols members 2019 560000
check_coop_at trows revenue.avg.agriculture 2020 1520000000
check "an unmapped indicator is named" log_has \
    "coop\.tcols.*totals-cols.csv:11: indicator 'Chỉ tiêu không dùng' is not mapped"

# Credit funds saved as a Vietnamese Excel does: the same figures.
fat() {	# fat METRIC YEAR: as at, for the creditfund instance
	t=$(jan1 $(($2 + 1)))
	"$RRDTOOL" fetch "$T/rrd/creditfund/funds/$1.rrd" LAST -r 86400 \
	    -s $((t - 2 * 86400)) -e "$t" 2>/dev/null |
	    awk -F': ' -v t="$t" '$1 == t && $2 !~ /nan/ { printf "%.6f\n", $2 }'
}
check "credit funds in Windows-1258 with ';' read" wait_until 30 sh -c \
    "grep -q 'creditfund\.funds.*funds1258.csv: 2789 rows (0 bad' '$T/tallyd.log'"
wait_until 30 test -f "$T/rrd/creditfund/funds/baddebt.rrd"
ok $([ "$(fat funds.profit 2021)" = 85.000000 ] &&
    [ "$(fat assets.total 2021)" = 26871884000000.000000 ] &&
    [ "$(fat loans.total 2021)" = 20614496000000.000000 ] &&
    [ "$(fat profit.total 2021)" = 378096000000.000000 ]; echo $?) \
    "credit funds 2021: 85 in profit, assets, loans and profit exact ($(fat assets.total 2021))"
ok $(awk -v v="$(fat baddebt 2021)" 'BEGIN { exit !(v > 0.8089 && v < 0.8090) }'; echo $?) \
    "credit funds 2021: bad-debt ratio from '0,89 %'-style cells ($(fat baddebt 2021))"

# An impossible date, precisely.
check "31/02/2015 named precisely" wait_until 20 log_has \
    "baddate.csv:8686: column 6 'Ngày thành lập': founding date '31/02/2015': day 31 does not exist: February 2015 has 28 days; row skipped"

# A ';' file read as ',': refused, headers listed, the separator named.
check "forced ',' on a ';' file: refused with the headers and cause" \
    wait_until 20 log_has \
    "coop\.forced.*semi.utf8: line 1: the header has no column 'Loại hình' \(set column.kind to its name\); headers found \(1, separator ',', read as UTF-8\): 'Mã số;Tên tổ chức;Loại hình.*likely cause: the separator: .*set separator = ;"

# The formatted file that stored zeros: fresh, nothing is stored for the
# refused years (no zeros); over stored figures, nothing changes.
check "fresh: the years are refused" wait_until 20 log_has \
    'coop\.fresh.*ty.csv: 2021 refused: [0-9]* of its [0-9]* rows are unreadable.*first at line [0-9]*, .*fields, but the header has 12'
ok $([ -z "$(coop_at fresh cooperatives.active 2021)" ] &&
    [ -z "$(coop_at fresh members 2021)" ]; echo $?) \
    "fresh: no figure stored for 2021 (got '$(coop_at fresh members 2021)')"
pl=$(ask PLUGINS)
echo "$pl" | grep -q '^coop\.fresh .* status=refused 2012, 2013.*2021.*ty.csv: .*line [0-9]*'
ok $? "PLUGINS shows the refusal: $(echo "$pl" | grep '^coop\.fresh' | cut -c1-200)"
echo "$pl" | grep -q '^coop\.w1258 .* status=ok: 8465 rows (0 bad).*WINDOWS-1258'
ok $? "PLUGINS shows a good reading as ok"

# Over stored figures: replace guard.csv with the broken export.
wait_until 20 coop_is_at guard members 2021 565874
cp "$D/ty.csv" "$D/guard.csv"
check "guard: the broken reading is refused" wait_until 20 log_has \
    'coop\.guard.*guard.csv: 2021 refused'
check "guard: its status says refused" wait_until 10 sh -c \
    "printf 'PLUGINS\n' | '$NC' -U '$SOCK' -w 10000 | grep -q '^coop\.guard .*status=refused'"
ok $([ "$(coop_at guard members 2021)" = 565874 ] &&
    [ "$(coop_at guard cooperatives.active 2021)" = 458 ] &&
    [ "$(coop_at guard revenue.avg.agriculture 2021)" = 1550000000 ] &&
    [ "$(coop_at guard cooperatives.active 2012)" = 458 ]; echo $?) \
    "guard: stored figures unchanged ($(coop_at guard members 2021) members)"
ok $(log_has 'coop\.guard.*history rewritten'; [ $? -ne 0 ]; echo $?) \
    "guard: nothing rewritten"

stop_tallyd TERM
ok $daemon_rc "SIGTERM: exit status 0"
done_testing
