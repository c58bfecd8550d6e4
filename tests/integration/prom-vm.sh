#!/bin/sh
# The Prometheus query API against a real VictoriaMetrics: both get the
# same values (tallyd by /api/v1/put, VictoriaMetrics by /api/v1/import),
# then a table of queries (selectors, the four matchers, offset 1y, rate,
# increase, the *_over_time functions, sum by, arithmetic, topk) goes to
# both over the same ranges and steps, and the series and values must
# agree.  The differences docs/PROMETHEUS.md lists are checked as such.
# Then Grafana's own requests (connection test, POST range query, the
# metric browser's label calls), errors, and clients that leave
# mid-query.  Needs curl, python3 and victoria-metrics (Debian packages).
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/http-lib.sh"

VM=${VICTORIA_METRICS:-/usr/bin/victoria-metrics}
[ -x "$VM" ] || skip_all "victoria-metrics is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"

# One preset for both kinds of series: minutes for 8 days, hours, days
# for 20 years (a daily value fills its day; heartbeat 2y).
HTTP_STORAGE="retention = both"
http_start <<EOT
token = s3cret

[retention both]
step = 60s
heartbeat = 2y
rra = AVERAGE:1m:8d
rra = AVERAGE:1h:5y
rra = MAX:1h:5y
rra = AVERAGE:1d:20y
rra = MAX:1d:20y
rra = MIN:1d:20y
EOT
ok $? "tallyd up on $U"

# VictoriaMetrics on a free loopback port, its own storage.
vm_start

# The data: three daily series over three years, three minute series
# over two days; files of TIME:VALUE words for tallyd, JSON lines for
# VictoriaMetrics, and the times the queries use.
cat >"$T/data.py" <<'EOF'
import json, math, sys, time
out = sys.argv[1]
now = int(time.time())
D = 86400
day_n = now - now % D - D
min_n = now - now % 60 - 120
series = []
days = [day_n - k * D for k in range(3 * 365 + 40, -1, -1)]
series.append(("coop.hanoi.members", "tally_coop_members", "hanoi", days,
    lambda i, t: 1000 + 3 * i + (i % 7) * 10))
series.append(("coop.hue.members", "tally_coop_members", "hue", days,
    lambda i, t: 500 + 2 * i + (i % 30)))
series.append(("coop.hanoi.capital", "tally_coop_capital", "hanoi", days,
    lambda i, t: 2.5e9 + 1.25e6 * i))
mins = [min_n - k * 60 for k in range(2 * 1440, -1, -1)]
series.append(("site.main.visitors", "tally_site_visitors", "main", mins,
    lambda i, t: 10 + round(8 * math.sin(i / 90.0), 3)))
series.append(("site.blog.visitors", "tally_site_visitors", "blog", mins,
    lambda i, t: (i * 7) % 13))
series.append(("site.main.hits", "tally_site_hits", "main", mins,
    lambda i, t: 40 * i))
with open(out + "/import.json", "w") as imp:
    for name, metric, inst, times, f in series:
        vals = [f(i, t) for i, t in enumerate(times)]
        with open(out + "/put." + name, "w") as p:
            p.write("\n".join("%d:%r" % (t, v) for t, v in zip(times, vals)))
        imp.write(json.dumps({"metric": {"__name__": metric,
            "instance": inst}, "values": vals,
            "timestamps": [t * 1000 for t in times]}) + "\n")
with open(out + "/times", "w") as tf:
    tf.write("DAY_N=%d\nMIN_N=%d\n" % (day_n, min_n))
EOF
python3 "$T/data.py" "$T"
. "$T/times"
n=0
for f in "$T"/put.*; do
	m=${f##*/put.}
	s=$(curl -s -o "$T/b" -w '%{http_code}' -X POST -H 'Authorization: Bearer s3cret' \
	    --data-binary @"$f" "$U/api/v1/put?metric=$m")
	[ "$s" = 200 ] && grep -q '"refused":\[\]' "$T/b" && n=$((n + 1))
done
ok $([ $n -eq 6 ]; echo $?) "tallyd took the six series"
s=$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$T/import.json" "$VMU/api/v1/import")
curl -s "$VMU/internal/force_flush" >/dev/null
ok $([ "$s" = 204 ]; echo $?) "victoria-metrics took them ($s)"
vm_has() {
	curl -gs "$VMU/api/v1/series?match[]=%7B__name__%3D~%22tally_.*%22%7D&start=$((DAY_N - 1200 * 86400))" |
	    grep -o '"__name__"' | wc -l | grep -qx 6
}
check "victoria-metrics lists the six series" wait_until 30 vm_has

# The table: KIND|TALLY QUERY|VM QUERY (empty: the same)|START|END|STEP|
# FLAGS.  Flag vmname: VictoriaMetrics keeps the metric name after the
# *_over_time functions, where Prometheus (and tallyd) drop it; compared
# without it.
# Daily series by day over a year; minute series by minute over a day;
# by the hour, tallyd reads its hourly archive (an average), which is
# VictoriaMetrics' avg_over_time over the hour.
D=86400
Y0=$((DAY_N - 400 * D))
M0=$((MIN_N - 1440 * 60))
H0=$((MIN_N - MIN_N % 3600 - 86400))
H1=$((MIN_N - MIN_N % 3600))
cat >"$T/table" <<EOF
range|tally_coop_members||$Y0|$DAY_N|86400|
range|tally_coop_members{instance="hanoi"}||$Y0|$DAY_N|86400|
range|tally_coop_members{instance!="hanoi"}||$Y0|$DAY_N|86400|
range|{__name__=~"tally_coop_.*",instance=~"ha.*"}||$Y0|$DAY_N|86400|
range|{__name__=~"tally_coop_.*",instance!~"ha.*"}||$Y0|$DAY_N|86400|
range|tally_coop_members offset 1y||$Y0|$DAY_N|86400|
range|tally_coop_members - tally_coop_members offset 1y||$Y0|$DAY_N|86400|
range|sum by (instance) ({__name__=~"tally_coop_.*"})||$Y0|$DAY_N|86400|
range|sum(tally_coop_members)||$Y0|$DAY_N|86400|
range|avg(tally_coop_members) + min(tally_coop_members) - max(tally_coop_members)||$Y0|$DAY_N|86400|
range|count(tally_coop_members)||$Y0|$DAY_N|86400|
range|tally_coop_capital / 1e6 * 2 + 1||$Y0|$DAY_N|86400|
range|-tally_coop_members / tally_coop_members||$Y0|$DAY_N|86400|
range|avg_over_time(tally_coop_members[7d])||$Y0|$DAY_N|86400|vmname
range|max_over_time(tally_coop_members[30d]) - min_over_time(tally_coop_members[30d])||$Y0|$DAY_N|86400|
range|last_over_time(tally_coop_members[3d])||$Y0|$DAY_N|86400|vmname
range|rate(tally_coop_capital[10d])||$Y0|$DAY_N|86400|
range|tally_coop_members||$((Y0 + 43200))|$DAY_N|86400|
range|tally_site_visitors||$M0|$MIN_N|60|
range|tally_site_visitors{instance="main"}||$((M0 + 30))|$MIN_N|60|
range|rate(tally_site_hits[5m])||$M0|$MIN_N|60|
range|increase(tally_site_hits[1h])||$M0|$MIN_N|300|
range|delta(tally_site_hits[10m])||$M0|$MIN_N|60|
range|sum by (instance) (rate(tally_site_hits[10m]))||$M0|$MIN_N|60|
range|avg_over_time(tally_site_visitors[10m])||$M0|$MIN_N|60|vmname
range|max_over_time(tally_site_visitors[15m])||$M0|$MIN_N|60|vmname
range|min_over_time(tally_site_visitors[15m])||$M0|$MIN_N|60|vmname
range|topk(1, tally_site_visitors)||$M0|$MIN_N|60|
range|sum(tally_site_visitors) * 2 - 1||$M0|$MIN_N|60|
range|tally_site_visitors|avg_over_time(tally_site_visitors[1h])|$H0|$H1|3600|
range|max_over_time(tally_site_visitors[1h])|max_over_time(tally_site_visitors[1h])|$H0|$H1|3600|vmname
instant|tally_coop_members||$DAY_N|||
instant|sum(tally_coop_members) / count(tally_coop_members)||$DAY_N|||
instant|tally_coop_members offset 1y||$DAY_N|||
instant|rate(tally_site_hits[5m])||$MIN_N|||
instant|tally_site_visitors[10m]||$MIN_N|||
EOF

cat >"$T/compare.py" <<'EOF'
# compare.py TALLY VM TABLE: one line a query: "0 desc" if the answers
# agree (same label sets, same times, values within 1e-9 relative), "1
# desc" with "#" lines saying why not.
import json, sys, urllib.parse, urllib.request

def ask(base, kind, q, start, end, step):
    if kind == "range":
        p = {"query": q, "start": start, "end": end, "step": step}
        path = "/api/v1/query_range"
    else:
        p = {"query": q, "time": start}
        path = "/api/v1/query"
    data = urllib.parse.urlencode(p).encode()
    try:
        with urllib.request.urlopen(base + path, data, timeout=120) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        return None, "HTTP %d %s" % (e.code, e.read()[:300])
    if body.get("status") != "success":
        return None, str(body)[:300]
    out = {}
    for s in body["data"]["result"]:
        key = tuple(sorted(s["metric"].items()))
        pts = s.get("values") or [s["value"]]
        out[key] = [(round(float(t), 3), float(v)) for t, v in pts]
    return out, None

def same(a, b):
    return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1)

tally, vm, table = sys.argv[1:4]
for line in open(table):
    kind, q, vq, start, end, step, flags = line.rstrip("\n").split("|")
    desc = "%s %s [%s..%s step %s]" % (kind, q, start, end, step or "-")
    if vq:
        desc += " = VM's " + vq
    a, ea = ask(tally, kind, q, start, end, step)
    b, eb = ask(vm, kind, vq or q, start, end, step)
    if b is not None and "vmname" in flags:
        b = dict((tuple(kv for kv in k if kv[0] != "__name__"), v)
            for k, v in b.items())
        desc += " (VM's __name__ set aside)"
    why = []
    if a is None or b is None:
        why.append("tallyd: %s; vm: %s" % (ea, eb))
    elif not a:
        why.append("empty answer")
    elif set(a) != set(b):
        why.append("series differ: tallyd %s, vm %s" %
            (sorted(a)[:4], sorted(b)[:4]))
    else:
        for key in a:
            pa, pb = a[key], b[key]
            ta = [t for t, _ in pa]
            tb = [t for t, _ in pb]
            if ta != tb:
                why.append("%s: times differ (%d vs %d points; first "
                    "extra tallyd %s, vm %s)" % (dict(key), len(ta),
                    len(tb), sorted(set(ta) - set(tb))[:3],
                    sorted(set(tb) - set(ta))[:3]))
                continue
            bad = [(t, x, y) for (t, x), (_, y) in zip(pa, pb)
                if not same(x, y)]
            if bad:
                why.append("%s: %d values differ, e.g. %s" % (dict(key),
                    len(bad), bad[:3]))
    npts = sum(len(v) for v in (a or {}).values())
    print("%d %s (%d series, %d points)" % (1 if why else 0, desc,
        len(a or {}), npts))
    for w in why:
        print("# " + w)
    sys.stdout.flush()
EOF
python3 "$T/compare.py" "$U" "$VMU" "$T/table" >"$T/cmp" 2>&1
while IFS= read -r line; do
	case $line in
	'#'*) echo "$line" ;;
	[01]' '*) ok "${line%% *}" "agrees with victoria-metrics: ${line#* }" ;;
	*) echo "# $line"; ok 1 "compare.py: $line" ;;
	esac
done <"$T/cmp"
ok $([ "$(grep -c '^[01] ' "$T/cmp")" -eq "$(wc -l <"$T/table")" ]; echo $?) \
    "every query of the table compared"

# A documented difference: by the day, tallyd reads the daily average of
# minute data, where VictoriaMetrics takes the minute sample at midnight.
j=$(curl -s --data-urlencode 'query=tally_site_visitors{instance="main"}' \
    --data "time=$H1" "$U/api/v1/query")
echo "# $j"
v1=$(echo "$j" | sed -n 's/.*"value":\[[0-9.]*,"\([-0-9.e]*\)"\].*/\1/p')
j=$(curl -s --data-urlencode 'query=tally_site_visitors{instance="main"}' \
    --data "time=$H1" "$VMU/api/v1/query")
v2=$(echo "$j" | sed -n 's/.*"value":\[[0-9.]*,"\([-0-9.e]*\)"\].*/\1/p')
# (librrd's arithmetic may move the last bit of a stored value: compared
# to 1e-12.)
same=$(python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(int(abs(a - b) > 1e-12 * max(abs(a), abs(b), 1)))' "${v1:-nan}" "${v2:-0}" 2>/dev/null)
ok $([ -n "$v1" ] && [ "$same" = 0 ]; echo $?) "an instant query at a minute reads the minute row ($v1 = $v2)"

# ---- Grafana's requests, as its Prometheus data source sends them.
ct='Content-Type: application/x-www-form-urlencoded'
s=$(get "$U/api/v1/query" -X POST -H "$ct" --data 'query=1%2B1&time=4')
ok $([ "$s" = 200 ] && [ "$(cat "$T/b")" = '{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}' ]; echo $?) \
    "connection test: POST 1+1 at time 4 is the scalar [4,\"2\"]"
header Content-Type | grep -q '^application/json'; ok $? "as JSON"
s=$(get "$U/api/v1/query?query=1%2B1&time=4")
ok $([ "$s" = 200 ] && grep -q '"result":\[4,"2"\]' "$T/b"; echo $?) "and by GET"
s=$(get "$U/api/v1/status/buildinfo")
ok $([ "$s" = 200 ] && grep -q '^{"status":"success","data":{"version":"2\.[0-9.]*","revision":"tallyd ' "$T/b"; echo $?) \
    "buildinfo: a Prometheus version and tallyd's"
q='sum by (instance) (rate(tally_site_hits{instance=~"main|blog"}[5m]))'
s=$(get "$U/api/v1/query_range" -X POST -H "$ct" --data-urlencode "query=$q" \
    --data "start=$((M0 + 7)).123&end=$MIN_N&step=120")
ok $([ "$s" = 200 ] && grep -q '"resultType":"matrix"' "$T/b" &&
    grep -q "\[$((M0 + 127)).123,\"0.6666666666666666\"\]" "$T/b"; echo $?) \
    "POST range query: points at start + k*step, float seconds, values as strings"
enc() {
	python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"
}
m=$(enc '{__name__=~"tally_(coop|site)_.*"}')
for call in "labels?match[]=$m&start=$Y0&end=$DAY_N" \
    "label/__name__/values?match[]=$m&start=$Y0&end=$DAY_N" \
    "label/instance/values?match[]=$(enc tally_coop_members)" \
    "series?match[]=$(enc tally_site_visitors)&match[]=$(enc 'tally_coop_capital{instance="hanoi"}')&start=$Y0&end=$DAY_N"; do
	a=$(curl -gs "$U/api/v1/$call" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(json.dumps(x, sort_keys=True) for x in d["data"]))')
	b=$(curl -gs "$VMU/api/v1/$call" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sorted(json.dumps(x, sort_keys=True) for x in d["data"]))')
	echo "# $a"
	ok $([ -n "$a" ] && [ "$a" != "[]" ] && [ "$a" = "$b" ]; echo $?) "metric browser: /api/v1/${call%%\?*} as victoria-metrics"
done
s=$(get "$U/api/v1/series" -X POST -H "$ct" --data "match[]=$(enc tally_coop_members)")
ok $([ "$s" = 200 ] && grep -q '{"__name__":"tally_coop_members","instance":"hanoi"}' "$T/b"; echo $?) \
    "POST /api/v1/series with match[]"
s=$(get "$U/api/v1/series?metric=coop.hue.members&start=$((DAY_N - 2 * D))&end=$DAY_N&resolution=86400")
ok $([ "$s" = 200 ] && grep -q '"metric":"coop.hue.members"' "$T/b"; echo $?) \
    "tallyd's own /api/v1/series (metric=) is unchanged"
s=$(get "$U/api/v1/metadata?metric=tally_coop_members")
ok $([ "$s" = 200 ] && grep -q '{"status":"success","data":{"tally_coop_members":\[{"type":"gauge","help":"coop.<instance>.members' "$T/b"; echo $?) \
    "metadata names the series"
s=$(get "$U/metrics")
grep -q '^tally_coop_members{instance="hue"} ' "$T/b"; ok $? "/metrics uses the same names"

# The Grafana dashboard of contrib/: every query of it is answered.
bad=$(python3 - "$top_srcdir/contrib/grafana/tallyd.json" "$U" <<'EOF'
import json, sys, urllib.parse, urllib.request
d = json.load(open(sys.argv[1]))
n = bad = 0
for p in d["panels"]:
    for t in p.get("targets", []):
        n += 1
        data = urllib.parse.urlencode({"query": t["expr"], "start": "1700000000",
            "end": "1700086400", "step": "3600"}).encode()
        try:
            r = json.load(urllib.request.urlopen(sys.argv[2] +
                "/api/v1/query_range", data, timeout=60))
            ok = r["status"] == "success"
        except Exception as e:
            ok = False
        if not ok:
            bad += 1
            print("#", t["expr"], file=sys.stderr)
print("%d %d" % (n, bad))
EOF
)
ok $([ "${bad#* }" = 0 ] && [ "${bad% *}" -gt 20 ]; echo $?) "contrib/grafana/tallyd.json: all ${bad% *} queries answered"

# ---- errors, in Prometheus' envelope
perr() {	# perr STATUS TYPE MESSAGE-PART
	[ "$s" = "$1" ] && grep -q "^{\"status\":\"error\",\"errorType\":\"$2\",\"error\":\".*$3" "$T/b"
}
s=$(get "$U/api/v1/query" --data-urlencode 'query=sum(rate(tally_site_hits[5m]) by (instance)')
ok $(perr 400 bad_data 'invalid parameter \\"query\\": 1:31: parse error: unexpected \\"by\\", expected'; echo $?) \
    "parse error: 400 bad_data with line:column"
s=$(get "$U/api/v1/query" --data-urlencode 'query=sum(
  rate(x[5m] offset)
)')
ok $(perr 400 bad_data '2:20: parse error: unexpected \\")\\", expected a duration after offset'; echo $?) \
    "on the second line: 2:20"
s=$(get "$U/api/v1/query" --data-urlencode 'query=histogram_quantile(0.9, x)')
ok $(perr 400 bad_data 'function \\"histogram_quantile\\" is not supported'; echo $?) "unsupported function named"
s=$(get "$U/api/v1/query_range?query=tally_site_hits%5B5m%5D&start=$M0&end=$MIN_N&step=60")
ok $(perr 400 bad_data 'range vector'; echo $?) "a bare range vector in a range query is refused"
s=$(get "$U/api/v1/query_range?query=1&start=0&end=100000&step=1")
ok $(perr 400 bad_data 'exceeded maximum resolution of 11000 points'; echo $?) "too many steps"
s=$(get "$U/api/v1/query_range?query=1&start=10&end=5&step=1")
ok $(perr 400 bad_data 'end timestamp must not be before start'; echo $?) "end before start"
s=$(get "$U/api/v1/query_range?query=1&start=0&end=5&step=0")
ok $(perr 400 bad_data 'step'; echo $?) "zero step"
s=$(get "$U/api/v1/query?query=1&time=yesterday")
ok $(perr 400 bad_data 'cannot parse \\"yesterday\\"'; echo $?) "bad time"
s=$(get "$U/api/v1/query?query=1&time=2024-02-29T12:00:00.5%2B01:00")
ok $([ "$s" = 200 ] && grep -q '"result":\[1709204400.5,"1"\]' "$T/b"; echo $?) "RFC 3339 times"
s=$(get "$U/api/v1/query")
ok $(perr 400 bad_data 'query is required'; echo $?) "no query"
# Values as Go's FormatFloat(v, 'f', -1) writes them, times as seconds.
fmt_ok=0
for pair in '0.1+0.2|-1.5|0.30000000000000004' '1e21|4|1000000000000000000000' \
    '1.5e-7|4.25|0.00000015' '-1e308*10|4|-Inf' '1e308*10|4|+Inf' 'NaN|4|NaN' \
    '-0*1|4|-0' '1/3|1700000000.125|0.3333333333333333' '2^1|4|' ; do
	q=${pair%%|*}; rest=${pair#*|}; t=${rest%%|*}; want=${rest#*|}
	j=$(curl -s --data-urlencode "query=$q" --data "time=$t" "$U/api/v1/query")
	case $want in
	'') echo "$j" | grep -q '"status":"error"' || fmt_ok=1 ;;
	*) [ "$j" = "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[$t,\"$want\"]}}" ] ||
	    { echo "# $q at $t: $j"; fmt_ok=1; } ;;
	esac
done
ok $fmt_ok "values and times written as Prometheus writes them (NaN, +Inf, -0, no exponent)"
s=$(get "$U/api/v1/query" -X POST -H 'Content-Type: application/json' --data '{"query":"1"}')
ok $(perr 400 bad_data 'form-urlencoded'; echo $?) "a JSON body is refused"
s=$(get "$U/api/v1/query?query=1" -X DELETE)
ok $([ "$s" = 405 ] && [ "$(header Allow)" = 'GET, HEAD, POST' ]; echo $?) "DELETE: 405 with Allow"
s=$(get "$U/api/v1/series")
ok $([ "$s" = 400 ] && json_error bad-args; echo $?) "/api/v1/series without match[] or metric= is tallyd's (400 bad-args)"
s=$(get "$U/api/v1/series" -X POST -H "$ct" --data 'start=1')
ok $(perr 400 bad_data 'no match'; echo $?) "POST /api/v1/series without match[]"
s=$(get "$U/api/v1/label/__name__/values?match[]=$(enc 'x[5m]')")
ok $(perr 400 bad_data 'instant vector selector'; echo $?) "match[] must be a selector"

# Hostile queries: too long, too deep, a regex that would blow up glibc,
# too many match[].
long=$(python3 -c 'print("x+" * 4100 + "x")')
s=$(get "$U/api/v1/query" --data-urlencode "query=$long")
ok $(perr 400 bad_data 'longer than 8192 bytes'; echo $?) "a query past 8192 bytes"
deep=$(python3 -c 'print("(" * 100 + "1" + ")" * 100)')
s=$(get "$U/api/v1/query" --data-urlencode "query=$deep")
ok $(perr 400 bad_data 'nested deeper than 64'; echo $?) "nesting past 64"
# 1+1+...+1, 4000 terms: no parenthesis, but a tree as deep; evaluating
# it overflowed a query worker's stack and killed tallyd (fuzz_promql)
python3 -c 'print("+".join(["1"] * 4000))' >"$T/chain"
s=$(get "$U/api/v1/query" --data-urlencode "query@$T/chain" --data time=4)
ok $(perr 400 bad_data 'more than 256 operators'; echo $?) "a chain of 4000 operators: 400"
ok $(alive; echo $?) "and tallyd still runs"
python3 -c 'print("+".join(["1"] * 200))' >"$T/chain"
s=$(get "$U/api/v1/query" --data-urlencode "query@$T/chain" --data time=4)
ok $([ "$s" = 200 ] && grep -q '"result":\[4,"200"\]' "$T/b"; echo $?) "a chain of 200: 200"
s=$(get "$U/api/v1/query" --data-urlencode 'query={__name__=~"(a+)+(b{999}){999}"}')
ok $(perr 400 bad_data 'bad regular expression'; echo $?) "a regex of nested repetitions"
many=$(python3 -c 'print("&".join("match[]=x%d" % i for i in range(40)))')
s=$(get "$U/api/v1/series" -X POST -H "$ct" --data "$many")
ok $(perr 400 bad_data 'more than 32 match'; echo $?) "40 match[]"
ok $(alive; echo $?) "tallyd still runs"

# ---- clients that leave mid-query, and many at once
q=$(enc 'max_over_time({__name__=~"tally_.*"}[1d])')
i=0
while [ $i -lt 20 ]; do
	curl -s -o /dev/null --max-time 0.05 "$U/api/v1/query_range?query=$q&start=$M0&end=$MIN_N&step=60" &
	i=$((i + 1))
done
wait_pids=$(jobs -p)
for p in $wait_pids; do wait "$p" 2>/dev/null; done
ok $(alive; echo $?) "20 clients that leave mid-query: tallyd still runs"
s=$(get "$U/api/v1/query?query=1%2B1&time=4")
ok $([ "$s" = 200 ]; echo $?) "and answers"

# ---- the rows a query reads are given back when it is answered: they
# count against max_output_total while read, and a leak once left every
# later query (and FETCH) refused as "try later" after a few thousand.
q=$(enc 'sum by (instance) (tally_site_hits)')
i=0
bad=0
while [ $i -lt 200 ]; do
	s=$(code "$U/api/v1/query_range?query=$q&start=$M0&end=$MIN_N&step=60")
	[ "$s" = 200 ] || bad=$((bad + 1))
	i=$((i + 1))
done
ok $([ $bad = 0 ]; echo $?) "200 range queries answered ($bad not)"
reading() {
	ask STATS | awk '$1 == "output.reading" { print $2 }'
}
check "then nothing is counted as being read (STATS output.reading $(reading))" \
    wait_until 10 eval '[ "$(reading)" = 0 ]'

stop_tallyd
ok $([ "$daemon_rc" -eq 0 ]; echo $?) "clean exit"
kill "$vm_pid" 2>/dev/null
wait "$vm_pid" 2>/dev/null
done_testing
