#!/bin/sh
# Workbooks as an office saves them, through the daemon (python3-openpyxl
# writes them): the demo registry as an .xlsx (numbers as numbers, dates
# as dates, Vietnamese headers, a note with line breaks) on a named sheet
# behind an instructions sheet, the same in the 1904 date system, the
# seed's 2021 totals table with years as columns and as rows, and the
# credit fund reports: every figure stored equals the CSV path's, row for
# row.  A bad cell is named by sheet and cell; a CSV renamed .xlsx, a
# truncated workbook and a zip bomb are refused with nothing stored
# changed.  tallyd -t names a missing or unreadable source at its key.
. "${top_srcdir:-.}/tests/integration/lib.sh"

PY=
for p in /usr/bin/python3 python3; do
	command -v "$p" >/dev/null 2>&1 && "$p" -c 'import openpyxl' \
	    2>/dev/null && PY=$p && break
done
[ -n "$PY" ] || skip_all "python3-openpyxl is needed to write workbooks"

D=$T/data
"$top_srcdir/tools/gen-demo-data" "$D" || bail_out "gen-demo-data failed"

# book.py KIND SRC DST [options]: a CSV as the workbook Excel would save.
cat >"$T/book.py" <<'EOF'
import csv, datetime, sys, zipfile
import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904
kind, src, dst = sys.argv[1:4]
opts = sys.argv[4:]
wb = openpyxl.Workbook()
if "1904" in opts:
    wb.epoch = CALENDAR_MAC_1904
ws = wb.active
if "guide" in opts:
    ws.title = "Hướng dẫn"
    ws["A1"] = "Số liệu ở trang DS HTX"
    ws = wb.create_sheet("DS HTX")
else:
    ws.title = "DS HTX" if kind == "registry" else "Báo cáo"
rows = list(csv.reader(open(src, encoding="utf-8-sig", newline="")))
def num(s):
    try:
        return int(s)
    except ValueError:
        return float(s)
for n, r in enumerate(rows):
    out = []
    for i, v in enumerate(r):
        if n == 0 or v == "":
            out.append(v if v != "" else None)
        elif kind == "registry" and i in (5, 6):
            d, m, y = map(int, v.split("/"))
            out.append(datetime.date(y, m, d))
        elif kind == "registry" and i in (7, 8, 9, 10):
            out.append(int(v))
        elif kind == "registry" and i == 11:
            out.append(v + "\ndòng hai")
        elif kind == "funds" and i >= 4:
            out.append(num(v))
        elif kind == "funds" and i == 3 and v.isdigit():
            out.append(int(v))
        else:
            out.append(v)
    ws.append(out)
    if kind == "registry" and n > 0:
        for c in (6, 7):
            ws.cell(row=n + 1, column=c).number_format = "dd/mm/yyyy"
if "badcell" in opts:
    ws.cell(row=17, column=9).value = "abc"
if "manybad" in opts:
    # 2021's revenue typed as text the way that once stored zeros.
    for n, r in enumerate(rows):
        if n > 0 and r[10] == "2021" and r[8]:
            ws.cell(row=n + 1, column=9).value = "1.5 tỷ đồng x"
wb.save(dst)
EOF
# totals.py DST ORIENT: the seed's totals as a workbook, numbers as numbers.
cat >"$T/totals.py" <<'EOF'
import sys
import openpyxl
dst, orient = sys.argv[1:3]
t = [("Chỉ tiêu", 2019, 2020, 2021),
     ("Số hợp tác xã", 440, 450, 458),
     ("Số thành viên", 560000, 563120, 565874),
     ("Số HTX thành lập mới", 10, 12, 13),
     ("Số tổ hợp tác", 190, 195, 200),
     ("Tổ hợp tác nông nghiệp", 160, 165, 170),
     ("Số liên hiệp HTX", 1, 1, 1),
     ("Số HTX công nghiệp", 27, 28, 29),
     ("Doanh thu bình quân HTX nông nghiệp (tỷ đồng)", 1.4, 1.52, 1.55),
     ("Lợi nhuận bình quân HTX nông nghiệp (triệu đồng)", 80, 85.5, 87)]
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Tổng hợp"
if orient == "rows":
    t = list(zip(*t))
    t[0] = ("Năm",) + t[0][1:]
for r in t:
    ws.append(list(r))
# Shown rounded, stored exact: the figure read is the stored one.
for row in ws.iter_rows():
    for c in row:
        if isinstance(c.value, float):
            c.number_format = "0"
wb.save(dst)
EOF
# bomb.py SRC DST: SRC with its sheet swollen to 300 MiB of blanks, which
# deflate to a few hundred KiB.
cat >"$T/bomb.py" <<'EOF'
import sys, zipfile
src, dst = sys.argv[1:3]
zi = zipfile.ZipFile(src)
zo = zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED)
for it in zi.infolist():
    data = zi.read(it.filename)
    if it.filename != "xl/worksheets/sheet1.xml":
        zo.writestr(it.filename, data)
        continue
    head, _, tail = data.partition(b"<sheetData>")
    with zo.open(it.filename, "w", force_zip64=True) as w:
        w.write(head + b"<sheetData>")
        blank = b" " * (1 << 20)
        for i in range(300):
            w.write(blank)
        w.write(tail)
zo.close()
EOF
book() { "$PY" "$T/book.py" "$@"; }
book registry "$D/registry.csv" "$D/registry.xlsx" guide &&
    book registry "$D/registry.csv" "$D/mac.xlsx" 1904 &&
    book registry "$D/registry.csv" "$D/badcell.xlsx" badcell &&
    book registry "$D/registry.csv" "$D/manybad.xlsx" manybad &&
    book funds "$D/creditfunds.csv" "$D/funds.xlsx" &&
    "$PY" "$T/totals.py" "$D/totals-cols.xlsx" cols &&
    "$PY" "$T/totals.py" "$D/totals-rows.xlsx" rows &&
    "$PY" "$T/bomb.py" "$D/totals-cols.xlsx" "$D/bomb.xlsx" ||
    bail_out "could not write the workbooks"
ok $("$PY" -c "import sys, zipfile
w = zipfile.ZipFile(sys.argv[1]).read('xl/workbook.xml')
sys.exit(0 if b'date1904=\"1\"' in w else 1)" "$D/mac.xlsx"; echo $?) \
    "mac.xlsx is in the 1904 date system"
cp "$D/registry.xlsx" "$D/guard.xlsx"
cp "$D/registry.csv" "$D/renamed.xlsx"
head -c 20000 "$D/registry.xlsx" >"$D/truncated.xlsx"

inst() {	# inst NAME SOURCE [extra keys]
	n=$1
	s=$2
	shift 2
	printf '[plugin coop %s]\ninterval = 1s\njitter = 0\nsource = %s\n' \
	    "$n" "$s"
	for k in "$@"; do printf '%s\n' "$k"; done
	case "$n" in t*) ;; *) coop_mapping ;; esac
	echo
}
funds() {	# funds NAME SOURCE
	printf '[plugin creditfund %s]\ninterval = 1s\njitter = 0\nsource = %s\n' \
	    "$1" "$2"
	fund_mapping
	echo
}

write_config "$T/t.conf" <<EOT
$(inst csv "$D/registry.csv")
$(inst xlsx "$D/registry.xlsx" "sheet = DS HTX")
$(inst mac "$D/mac.xlsx")
$(inst guard "$D/guard.xlsx" "sheet = ds htx")
$(inst badcell "$D/badcell.xlsx")
$(inst manybad "$D/manybad.xlsx")
$(inst renamed "$D/renamed.xlsx")
$(inst truncated "$D/truncated.xlsx")
$(inst nosheet "$D/registry.xlsx" "sheet = Tổng hợp")
$(inst tcsv "$D/totals-cols.xlsx" "layout = totals" "format = csv")
$(inst tcols "$D/totals-cols.xlsx" "layout = totals")
$(inst trows "$D/totals-rows.xlsx" "layout = totals")
$(inst tbomb "$D/bomb.xlsx" "layout = totals")
$(funds fcsv "$D/creditfunds.csv")
$(funds fxlsx "$D/funds.xlsx")
EOT

jan1() {	# jan1 YEAR: epoch of 1 January YEAR 00:00 UTC
	y=$(($1 - 1))
	echo $((((y - 1969) * 365 + y / 4 - 492 - y / 100 + 19 + y / 400 - 4) * 86400))
}
# at INSTANCE METRIC YEAR: the stored figure of YEAR ("" if none).
at() {
	t=$(jan1 $(($3 + 1)))
	"$RRDTOOL" fetch "$T/rrd/coop/$1/$2.rrd" LAST -r 86400 \
	    -s $((t - 2 * 86400)) -e "$t" 2>/dev/null |
	    awk -F': ' -v t="$t" '$1 == t && $2 !~ /nan/ { printf "%.0f\n", $2 }'
}
is_at() { [ "$(at "$1" "$2" "$3")" = "$4" ]; }
check_at() {	# check_at INSTANCE METRIC YEAR WANT
	wait_until 60 is_at "$1" "$2" "$3" "$4"
	ok $? "$1: $2 $3 = $4 (got '$(at "$1" "$2" "$3")')"
}
# rows PLUGIN INSTANCE METRIC: every stored day 2012-2025, full precision.
rows() {
	"$RRDTOOL" fetch "$T/rrd/$1/$2/$3.rrd" LAST -r 86400 \
	    -s "$(jan1 2012)" -e "$(jan1 2025)" 2>/dev/null |
	    awk -F': ' '/^[0-9]+:/ && $2 !~ /nan/ { print $1, $2 }'
}
# same PLUGIN A B: every metric of instance B holds what A holds.
same() {
	n=0
	for f in "$T/rrd/$1/$2"/*.rrd; do
		m=$(basename "$f" .rrd)
		[ "$(rows "$1" "$2" "$m")" = "$(rows "$1" "$3" "$m")" ] ||
		    return 1
		n=$((n + 1))
	done
	[ "$n" -ge 5 ]
}

start_tallyd "$T/t.conf" -v

# The registry as a workbook: the seed's 2021 figures, then everything.
for inst_name in xlsx mac; do
	check_at $inst_name cooperatives.active 2021 458
	check_at $inst_name members 2021 565874
	check_at $inst_name founded 2021 13
	check_at $inst_name revenue.avg.agriculture 2021 1550000000
	check_at $inst_name profit.avg.agriculture 2021 87000000
	check_at $inst_name groups.farming 2021 170
done
check_at csv revenue.avg.agriculture 2024 1056000000
check_at xlsx revenue.avg.agriculture 2024 1056000000
check_at mac revenue.avg.agriculture 2024 1056000000
check "xlsx: every metric and day equals the CSV path's" same coop csv xlsx
check "mac (1904 dates): every metric and day equals the CSV path's" \
    same coop csv mac
check "xlsx: read with no bad row" log_has \
    'coop\.xlsx.*registry.xlsx: 8465 rows \(0 bad\), years 2012-2024'
pl=$(ask PLUGINS)
echo "$pl" | grep -q "^coop\.xlsx .* status=ok: 8465 rows (0 bad).*XLSX, sheet 'DS HTX'"
ok $? "PLUGINS: xlsx ok, sheet named ($(echo "$pl" | grep '^coop\.xlsx ' | cut -c1-160))"

# Totals tables in both orientations, shown rounded, stored exact.
for inst_name in tcols trows; do
	check_at $inst_name cooperatives.active 2021 458
	check_at $inst_name members 2021 565874
	check_at $inst_name revenue.avg.agriculture 2021 1550000000
	check_at $inst_name profit.avg.agriculture 2021 87000000
	check_at $inst_name profit.avg.agriculture 2020 85500000
	check_at $inst_name groups 2021 200
done
check_at tcols revenue.avg.agriculture 2020 1520000000
check_at tcols members 2019 560000
check_at trows groups.farming 2021 170
check_at tcols cooperatives.active.industry 2021 29

# Credit funds: every figure, to the last digit, as the CSV's.
wait_until 60 sh -c "grep -q 'creditfund\.fxlsx.*funds.xlsx: 2789 rows (0 bad' '$T/tallyd.log'"
ok $? "credit funds workbook read: 2789 rows, 0 bad"
wait_until 30 test -f "$T/rrd/creditfund/fxlsx/baddebt.rrd"
check "credit funds: every metric and day equals the CSV path's" \
    wait_until 30 same creditfund fcsv fxlsx

# A bad cell is named by file, sheet and cell; the row is skipped.
check "a bad cell named by sheet and cell" wait_until 30 log_has \
    "coop\.badcell.*badcell.xlsx: sheet 'DS HTX' cell I17 'Doanh thu \(đồng\)': revenue 'abc' is not a number.*row skipped"

# The guard is the CSV path's: 2021 with unreadable cells is refused,
# named by sheet and cell, and nothing is stored for it.
check "the guard refuses 2021, its first bad cell named" wait_until 30 \
    log_has "coop\.manybad.*manybad.xlsx: 2021 refused: [0-9]+ of its [0-9]+ rows are unreadable .*first at sheet 'DS HTX' cell I[0-9]+ 'Doanh thu \(đồng\)': revenue '1.5 tỷ đồng x' is not a number"
check_at manybad members 2020 562100
check_at manybad members 2022 569300
# 2021 is unknown in the file, not 2022's figure spread over the gap by
# the slow preset's two-year heartbeat; the history says so too.
ok $([ -z "$(at manybad members 2021)" ] &&
    [ -z "$(at manybad revenue.avg 2021)" ]; echo $?) \
    "manybad: 2021 unknown in the file (got '$(at manybad members 2021)')"
h=$T/state/coop/manybad/history
ok $([ -s "$h" ] && grep -q "^members $(jan1 2022) -\{0,1\}nan$" "$h" &&
    grep -q "^members $(jan1 2021) 562100$" "$h"; echo $?) \
    "manybad: the history holds 2021 as no figure"

# Files that are not workbooks, refused loudly, nothing stored.
check "a CSV renamed .xlsx: refused, the cause named" wait_until 30 log_has \
    "coop\.renamed.*renamed.xlsx: not an XLSX workbook: it starts as text .*a CSV file named .xlsx.*set format = csv.*figures unchanged"
check "a truncated workbook: refused" wait_until 30 log_has \
    "coop\.truncated.*truncated.xlsx: not readable as a zip: .*damaged or truncated workbook.*figures unchanged"
check "a missing sheet: refused, the sheets listed" wait_until 30 log_has \
    "coop\.nosheet.*registry.xlsx: no sheet 'Tổng hợp'; the workbook has 'Hướng dẫn', 'DS HTX' \(set sheet = one of them\)"
check "a zip bomb: refused at the inflate cap" wait_until 30 log_has \
    "coop\.tbomb.*bomb.xlsx: its parts inflate to more than 256 MiB \(refused: a zip bomb"
check "format = csv on a workbook: refused, the cause named" \
    wait_until 30 log_has "coop\.tcsv.*totals-cols.xlsx: not a CSV file: it starts as a zip does \(an Excel workbook\?\); set format = xlsx or auto; figures unchanged"
ok $([ ! -e "$T/rrd/coop/renamed/members.rrd" ] ||
    [ -z "$(rows coop renamed members)" ]; echo $?) "renamed: nothing stored"
ok $([ -z "$(rows coop tbomb members)" ]; echo $?) "bomb: nothing stored"
pl=$(ask PLUGINS)
echo "$pl" | grep -q "^coop\.renamed .* status=refused: .*renamed.xlsx: not an XLSX workbook"
ok $? "PLUGINS shows the refusal"

# Over stored figures: the workbook replaced by a CSV renamed .xlsx.
wait_until 30 is_at guard members 2021 565874
cp "$D/registry.csv" "$D/guard.xlsx.new" && mv "$D/guard.xlsx.new" "$D/guard.xlsx"
check "guard: the renamed CSV refused" wait_until 30 log_has \
    "coop\.guard.*guard.xlsx: not an XLSX workbook"
ok $([ "$(at guard members 2021)" = 565874 ] &&
    [ "$(at guard cooperatives.active 2021)" = 458 ] &&
    [ "$(at guard revenue.avg.agriculture 2021)" = 1550000000 ]; echo $?) \
    "guard: stored figures unchanged ($(at guard members 2021) members)"
stop_tallyd TERM
ok $daemon_rc "SIGTERM: exit status 0"

# tallyd -t: every source checked at its key's line, each error once.
mkdir "$T/adir"
chmod 000 "$D/badcell.xlsx"
write_config "$T/check.conf" <<EOT
$(inst present "$D/registry.xlsx")
$(inst missing "$D/nosuch.xlsx")
$(inst adir "$T/adir")
$(inst unreadable "$D/badcell.xlsx")
$(inst url "http://127.0.0.1:9/registry.xlsx")
$(funds fmissing "nosuch-funds.csv")
$(funds fpresent "$D/creditfunds.csv")
EOT
out=$("$TALLYD" -t -c "$T/check.conf" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
ok $([ $rc -ne 0 ]; echo $?) "tallyd -t: missing sources fail the check"
line=$(grep -n "nosuch.xlsx" "$T/check.conf" | cut -d: -f1)
echo "$out" | grep -q "check.conf:$line: source: $D/nosuch.xlsx: No such file or directory"
ok $? "tallyd -t: the missing workbook at its line ($line)"
line=$(grep -n "source = $T/adir" "$T/check.conf" | cut -d: -f1)
echo "$out" | grep -q "check.conf:$line: source: $T/adir: a directory, not a file"
ok $? "tallyd -t: a directory named at its line ($line)"
line=$(grep -n "nosuch-funds.csv" "$T/check.conf" | cut -d: -f1)
echo "$out" | grep -q "check.conf:$line: source: $T/nosuch-funds.csv: No such file or directory (a relative path is taken from the config file's directory)"
ok $? "tallyd -t: a relative path resolved from the config's directory"
ok $([ "$(echo "$out" | grep -c 'nosuch.xlsx')" -eq 1 ]; echo $?) \
    "tallyd -t: each error once"
ok $(echo "$out" | grep -q 'registry.xlsx\|creditfunds.csv\|127.0.0.1'
    [ $? -ne 0 ]; echo $?) "tallyd -t: readable files and URLs pass"
if [ "$(id -u)" -ne 0 ]; then
	echo "$out" | grep -q "badcell.xlsx: Permission denied"
	ok $? "tallyd -t: an unreadable file named"
fi
chmod 644 "$D/badcell.xlsx"
done_testing
