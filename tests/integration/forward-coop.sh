#!/bin/sh
# Forwarding what plugins backfill and rewrite: the coop plugin reads the
# demo registry (figures of 2012-2024, each at its year's end) into tallyd
# and [forward vm] sends them to a real VictoriaMetrics with their own
# times; then a corrected 2019 makes the plugin rewrite that series'
# history, and the rewritten point reaches VictoriaMetrics too.  Needs
# curl, python3 and victoria-metrics (Debian packages).
. "${top_srcdir:-.}/tests/integration/lib.sh"

VM=${VICTORIA_METRICS:-/usr/bin/victoria-metrics}
[ -x "$VM" ] || skip_all "victoria-metrics is not installed"
command -v python3 >/dev/null 2>&1 || skip_all "python3 is not installed"
command -v curl >/dev/null 2>&1 || skip_all "curl is not installed"

D=$T/data
"$top_srcdir/tools/gen-demo-data" "$D" || bail_out "gen-demo-data failed"

jan1() {	# jan1 YEAR: epoch of 1 January YEAR 00:00 UTC
	y=$(($1 - 1))
	echo $((((y - 1969) * 365 + y / 4 - 492 - y / 100 + 19 + y / 400 - 4) * 86400))
}
at() {	# at METRIC YEAR: the stored figure of YEAR (its end's daily row)
	t=$(jan1 $(($2 + 1)))
	"$RRDTOOL" fetch "$T/rrd/coop/reg/$1.rrd" LAST -r 86400 \
	    -s $((t - 2 * 86400)) -e "$t" 2>/dev/null |
	    awk -F': ' -v t="$t" '$1 == t && $2 !~ /nan/ { printf "%.0f\n", $2 }'
}

vm_start

write_config "$T/t.conf" <<EOT
[plugin coop reg]
interval = 1s
jitter = 0
source = $D/registry.csv
$(coop_mapping)

[forward vm]
type = victoriametrics
url = $VMU
match = coop.reg.members
match = coop.reg.cooperatives.active
EOT
start_tallyd "$T/t.conf" -v
check "the registry is read" wait_until 60 \
    log_has 'coop\.reg.*registry.csv: [0-9]+ rows'

# vm_at NAME YEAR VALUE: VictoriaMetrics holds VALUE at YEAR's end.
cat >"$T/at.py" <<'EOF'
import json, sys, urllib.request, urllib.parse
url, name, t, v = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
q = urllib.parse.urlencode({"match[]": name + '{instance="reg"}', "start": "0"})
with urllib.request.urlopen(url + "/api/v1/export?" + q, timeout=60) as r:
    for line in r:
        o = json.loads(line)
        for ts, val in zip(o["timestamps"], o["values"]):
            if ts == t * 1000 and float(val) == v:
                sys.exit(0)
sys.exit(1)
EOF
vm_at() {
	python3 "$T/at.py" "$VMU" "$1" "$(jan1 $(($2 + 1)))" "$3"
}
for y in 2012 2016 2021 2024; do
	m=$(at members $y)
	check "members $y ($m) reaches VictoriaMetrics at its year's end" \
	    wait_until 120 vm_at tally_coop_members $y "$m"
done
check "cooperatives.active 2013 = 454 too, with its 2013 time" \
    wait_until 60 vm_at tally_coop_cooperatives_active 2013 454

# Correct 2019: one cooperative gains 1000 members; the plugin rewrites
# the series' history, and the rewrite is forwarded with its points' times.
m2019=$(at members 2019)
awk 'BEGIN { FS = OFS = "," }
    $1 == "HTX-0001" && $11 == "2019" { $8 += 1000 } { print }' \
    "$D/registry.csv" >"$D/new.csv" && mv "$D/new.csv" "$D/registry.csv"
check "the plugin rewrites members' history" wait_until 60 \
    log_has 'coop\.reg.*history rewritten'
check "the rewritten 2019 ($((m2019 + 1000))) reaches VictoriaMetrics" \
    wait_until 120 vm_at tally_coop_members 2019 $((m2019 + 1000))
check "2018 is still there as it was" \
    vm_at tally_coop_members 2018 "$(at members 2018)"
v=$(ask STATS | awk '$1 == "forward.vm.refused" { print $2 }')
ok $([ "${v:-x}" = 0 ]; echo $?) "nothing refused ($v)"

stop_tallyd TERM
ok "$daemon_rc" "tallyd stops cleanly"
kill "$vm_pid" 2>/dev/null
wait "$vm_pid" 2>/dev/null
done_testing
