#!/bin/sh
# The annual report on the demo data: tallyctl report --from 2012 --to
# 2024 labels each figure by its year; the 2021 column holds the seed's
# figures and the changes against 2020; CSV and XLSX hold the same cells
# (the XLSX read back with openpyxl); /api/v1/report answers the same in
# JSON and XLSX; /api/v1/series?format=csv; bad arguments are refused.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/http-lib.sh"

TALLYCTL="$top_builddir/tallyctl"
demo_data

http_start <<EOT
$(coop_plugin registry "$D/registry.csv")
$(fund_plugin funds "$D/creditfunds.csv")

[labels]
coop.registry.revenue.total = Tổng doanh thu của HTX
EOT
[ $? -eq 0 ] || skip_all "tallyd did not start"
ctl() { "$TALLYCTL" -s "$SOCK" "$@"; }

both_read() { read_done coop.registry 273 && read_done creditfund.funds; }
check "both readings stored" wait_until 30 both_read

# text: the header is the years; 2021's column holds the seed's figures.
ctl report --from 2012 --to 2024 >"$T/r.txt" 2>"$T/r.err"
ok $? "tallyctl report --from 2012 --to 2024 ($(head -c 200 "$T/r.err"))"
head -1 "$T/r.txt" | grep -q '^Chỉ tiêu  *2012  *2013 .* 2021  *2022  *2023  *2024$'
ok $? "text: years 2012..2024 label the columns: $(head -1 "$T/r.txt" | tr -s ' ')"
PY=
for p in python3 /usr/bin/python3; do
	command -v "$p" >/dev/null 2>&1 && PY=$p && break
done
[ -n "$PY" ] || skip_all "python3 is needed to read the text columns"
# col LABEL YEAR ROW: the cell of YEAR in the ROWth line (1: figures, 2:
# change, 3: change in %) of an indicator, by the header's columns.
col() {
	"$PY" - "$T/r.txt" "$1" "$2" "$3" <<'EOF'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
y = sys.argv[3]
end = lines[0].index(y) + 4
prev = str(int(y) - 1)
start = lines[0].index(prev) + 4 if prev in lines[0] else len("Chỉ tiêu")
for i, l in enumerate(lines):
    if l.startswith(sys.argv[2] + "  "):
        print(lines[i + int(sys.argv[4]) - 1][start:end].strip())
        break
EOF
}
for want in "Số hợp tác xã|458|+7|+1,6" \
    "Số thành viên hợp tác xã|565.874|+3.774|+0,7" \
    "Số HTX thành lập mới trong năm|13|-2|-13,3" \
    "Số tổ hợp tác|200|+6|+3,1" \
    "Số tổ hợp tác nông nghiệp|170|+4|+2,4" \
    "Số liên hiệp HTX|1|0|0" \
    "Số HTX công nghiệp - TTCN|29|+4|+16" \
    "Doanh thu bình quân HTX nông nghiệp (đồng)|1.550.000.000|+70.000.000|+4,7" \
    "Lợi nhuận bình quân HTX nông nghiệp (đồng)|87.000.000|+4.000.000|+4,8" \
    "Số quỹ TDND có lãi|85|+1|+1,2" \
    "Số quỹ tín dụng nhân dân|85|0|0"; do
	label=${want%%|*}
	rest=${want#*|}
	v=${rest%%|*}
	rest=${rest#*|}
	d=${rest%%|*}
	p=${rest#*|}
	got="$(col "$label" 2021 1) $(col "$label" 2021 2) $(col "$label" 2021 3)"
	ok $([ "$got" = "$v $d $p %" ]; echo $?) \
	    "text 2021: $label = $v, $d, $p % against 2020 (got $got)"
done

# CSV: exact whole numbers, the same figures, years as columns.
ctl report --from 2012 --to 2024 --format csv >"$T/r.csv"
ok $? "tallyctl report --format csv"
head -1 "$T/r.csv" | grep -q ',Số đo,2012,2013,2014,2015,2016,2017,2018,2019,2020,2021,2022,2023,2024'
ok $? "csv: header names the years"
csvcell() {	# csvcell SERIES MEASURE-ROW(1..3) YEAR
	grep "^[^,]*,$1," "$T/r.csv" | sed -n "$2p" | tr -d '\r' |
	    awk -F, -v c=$(($3 - 2012 + 4)) '{ print $c }'
}
ok $([ "$(csvcell coop.registry.members 1 2021)" = 565874 ] &&
    [ "$(csvcell coop.registry.members 2 2021)" = 3774 ] &&
    [ "$(csvcell coop.registry.members 3 2021)" = 0.7 ] &&
    [ "$(csvcell coop.registry.revenue.avg.agriculture 1 2021)" = 1550000000 ] &&
    [ "$(csvcell coop.registry.revenue.avg.agriculture 1 2022)" = 1364000000 ] &&
    [ "$(csvcell coop.registry.revenue.avg.agriculture 3 2022)" = -12 ] &&
    [ "$(csvcell coop.registry.cooperatives.active 1 2012)" = 458 ] &&
    [ "$(csvcell creditfund.funds.funds.profit 1 2021)" = 85 ]; echo $?) \
    "csv: 2021 members 565874 (+3774, 0.7 %), revenue 1550000000, 2022 -12 %, 2012 present"
ok $(! grep -q 'e+\|99999\|00001' "$T/r.csv"; echo $?) \
    "csv: no float noise or exponents"

# XLSX: the same cells as the CSV.
ctl report --from 2012 --to 2024 --format xlsx -o "$T/r.xlsx"
ok $? "tallyctl report --format xlsx -o file"
XPY=
for p in python3 /usr/bin/python3; do
	command -v "$p" >/dev/null 2>&1 && "$p" -c 'import openpyxl' \
	    2>/dev/null && XPY=$p && break
done
if [ -z "$XPY" ]; then
	ok 0 "xlsx and csv hold the same cells # SKIP python3-openpyxl is missing"
else
	"$XPY" - "$T/r.xlsx" "$T/r.csv" >"$T/cmp.out" 2>&1 <<'EOF'
import csv, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1]).active
x = [[("" if c is None else (("%d" % c) if isinstance(c, (int, float))
    and float(c).is_integer() else ("%.15g" % c) if isinstance(c, float)
    else str(c))) for c in r] for r in ws.iter_rows(values_only=True)]
c = list(csv.reader(open(sys.argv[2], encoding="utf-8-sig", newline="")))
if x != c:
    for i, (a, b) in enumerate(zip(x, c)):
        if a != b:
            print("row", i, [(j, u, v) for j, (u, v) in enumerate(zip(a, b)) if u != v])
            break
    print("rows", len(x), len(c))
    sys.exit(1)
print("same", len(x), "rows")
EOF
	ok $? "xlsx and csv hold the same cells: $(head -c 300 "$T/cmp.out")"
fi
ctl report --format xlsx >"$T/p.xlsx"
ok $([ $? -eq 0 ] && [ "$(head -c 2 "$T/p.xlsx")" = PK ]; echo $?) \
    "xlsx to stdout that is not a terminal: written"

# Friendly labels: /api/v1/metrics names each series as people read it.
curl -s "$U/api/v1/metrics" >"$T/m.json"
grep -q '"name":"coop.registry.revenue.total","kind":"gauge","unit":"[^"]*","time":[0-9]*,"value":[0-9.e+]*,"label":"Tổng doanh thu của HTX","label_set":true}' "$T/m.json"
ok $? "/api/v1/metrics: the label from [labels]"
grep -q '"name":"coop.registry.revenue.avg.agriculture","kind":"gauge","unit":"[^"]*","time":[0-9]*,"value":[0-9.e+]*,"label":"Doanh thu bình quân HTX nông nghiệp (đồng)","label_set":false}' "$T/m.json" &&
    grep -q '"name":"creditfund.funds.roa",[^}]*,"label":"Tỷ suất lợi nhuận trên tài sản (%)","label_set":false}' "$T/m.json"
ok $? "/api/v1/metrics: built-in Vietnamese labels ($(grep -o '"name":"coop.registry.revenue.avg.agriculture[^}]*' "$T/m.json"))"

# HTTP: JSON labelled by year, xlsx with its type, series as CSV.
curl -s "$U/api/v1/report?from=2020&to=2021" >"$T/r.json"
grep -q '"years":\["2020","2021"\]' "$T/r.json" &&
    grep -q '"series":"coop.registry.members","label":"Số thành viên hợp tác xã","values":\[562100,565874\],"change":\[3900,3774\],"change_pct":\[0.7,0.7\]' "$T/r.json"
ok $? "/api/v1/report: JSON by year ($(head -c 200 "$T/r.json"))"
ct=$(curl -s -o "$T/h.xlsx" -w '%{http_code} %{content_type}' \
    "$U/api/v1/report?from=2012&to=2024&format=xlsx")
ok $([ "$ct" = "200 application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ] &&
    cmp -s "$T/h.xlsx" "$T/r.xlsx" 2>/dev/null || [ -s "$T/h.xlsx" ]; echo $?) \
    "/api/v1/report?format=xlsx: $ct"
curl -s "$U/api/v1/series?metric=coop.registry.members&start=1640822400&end=1640995200&cf=LAST&resolution=86400&format=csv" |
    tr -d '\r' >"$T/s.csv"
ok $([ "$(head -1 "$T/s.csv")" = "time,utc,coop.registry.members" ] &&
    grep -qx '1640995200,2022-01-01T00:00:00Z,565874' "$T/s.csv"; echo $?) \
    "/api/v1/series?format=csv: $(tail -1 "$T/s.csv")"
curl -s "$U/api/v1/plugins" >"$T/p.json"
grep -q '{"name":"coop.registry","runs":[0-9]*,"failed":0,"status":"ok: 8465 rows (0 bad), years 2012-2024 (UTF-8, separator .,., decimal mark ...)"}' "$T/p.json"
ok $? "/api/v1/plugins: the reading's status ($(head -c 300 "$T/p.json"))"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/report?from=2030&to=2020")
ok $([ "$code" = 400 ]; echo $?) "from after to: 400 ($code)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$U/api/v1/report?format=pdf")
ok $([ "$code" = 400 ]; echo $?) "format=pdf: 400 ($code)"
ctl report --from abc >/dev/null 2>"$T/bad.err"
ok $([ $? -ne 0 ] && grep -q 'from: a year' "$T/bad.err"; echo $?) \
    "tallyctl report --from abc refused: $(cat "$T/bad.err")"

# After a restart memory holds no yearly figure (the reading adds
# nothing): /metrics reads them from the files, as /api/v1/metrics does.
stop_tallyd TERM
ok $daemon_rc "SIGTERM: exit status 0"
start_tallyd "$T/t.conf"
check "restarted" wait_until 20 http_up
check "the restart's reading adds nothing" wait_until 20 log_has \
    'coop\.registry.*8465 rows.*: 0 points added'
curl -s "$U/metrics" >"$T/prom.txt"
grep -q '^tally_coop_members{instance="registry"} 574100$' "$T/prom.txt"
ok $? "/metrics after a restart (2024's members): $(grep '^tally_coop_members' "$T/prom.txt")"
grep -q '^tally_creditfund_funds_reporting{instance="funds"} 85$' "$T/prom.txt"
ok $? "/metrics after a restart: credit funds $(grep '^tally_creditfund_funds_reporting' "$T/prom.txt")"
ctl report --from 2021 --to 2021 --format csv | grep -q '^Số hợp tác xã,coop.registry.cooperatives.active,Giá trị,458'
ok $? "the report after a restart: 2021 still 458"
stop_tallyd TERM
ok $daemon_rc "SIGTERM after the restart: exit status 0"

# [report] is checked by tallyd -t: a bad series name, a duplicate.
write_config "$T/bad.conf" <<EOT
[report]
coop.registry.members = Số thành viên
Số HTX = 458
coop.registry.members = again
EOT
"$TALLYD" -t -c "$T/bad.conf" >"$T/t.out" 2>&1
rc=$?
ok $([ $rc -ne 0 ] &&
    grep -q "bad.conf:[0-9]*: bad indicator 'Số HTX = 458' in \[report\]" "$T/t.out" &&
    grep -q "bad.conf:[0-9]*: duplicate indicator 'coop.registry.members' in \[report\] (first at line" "$T/t.out"
    echo $?) "tallyd -t: [report] errors with file:line ($(tr '\n' ' ' <"$T/t.out" | head -c 300))"
done_testing
