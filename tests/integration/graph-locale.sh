#!/bin/sh
# Issue 13: graphs in the office's language.  With [daemon] graph_locale =
# vi_VN.UTF-8 (the default) the render helpers draw in it (decimal comma,
# T2..CN, Thg 11), so the image differs from the same graph in C; a locale
# this system lacks is said once in the log and graphs still render (in
# C).  The vi_VN locale is generated here with localedef into $T (LOCPATH),
# as the test machine need not have it installed.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v localedef >/dev/null 2>&1 || skip_all "localedef not installed"
[ -x "$top_builddir/tally-render" ] || skip_all "no tally-render built"
mkdir -p "$T/loc"
localedef -i vi_VN -f UTF-8 "$T/loc/vi_VN.UTF-8" >/dev/null 2>&1 ||
    [ -d "$T/loc/vi_VN.UTF-8" ] || skip_all "vi_VN locale data not installed"
LOCPATH=$T/loc
export LOCPATH

write_config "$T/t.conf" <<EOT
[plugin demo main]
interval = 1s
jitter = 0
retention = test
EOT
png() {	# png FILE: a fixed span of the series, as a PNG in FILE
	"$top_builddir/tallyctl" -s "$SOCK" graph -o "$T/$1" \
	    metric=demo.main.wave start="$g0" end="$((g0 + 240))" width=400 \
	    height=150 2>/dev/null
}
helper_env() {	# the environment of the daemon's render helper(s)
	for p in $(pgrep -P "$daemon_pid"); do
		tr '\0' '\n' <"/proc/$p/environ"
	done
}
command -v pgrep >/dev/null 2>&1 || skip_all "pgrep (procps) not installed"

run() {	# run LOCALE-LINE OUT: start with it, render, stop
	sed "s|^render_helper = .*|&\n$1|" "$T/t.conf" >"$T/r.conf"
	start_tallyd "$T/r.conf"
	check "socket up ($1)" wait_until 10 test -S "$SOCK"
	check "data ($1)" wait_until 10 test -f "$T/rrd/demo/main/wave.rrd"
	check "rendered ($1)" wait_until 30 png "$2"
	helper_env >"$T/env.$2"
	stop_tallyd
}
g0=$(($(date +%s) - 3600))
run "graph_locale = vi_VN.UTF-8" vi.png
grep -qx "TALLY_RENDER_LOCALE=vi_VN.UTF-8" "$T/env.vi.png"
ok $? "the helper draws in vi_VN.UTF-8"
ok $(! log_has "graph_locale .* is not installed"; echo $?) \
    "no complaint when the locale is there"
run "graph_locale =" c.png
ok $(! grep -q TALLY_RENDER_LOCALE "$T/env.c.png"; echo $?) \
    "graph_locale empty: the helper draws in C"
ok $(! cmp -s "$T/vi.png" "$T/c.png"; echo $?) \
    "the same graph differs in vi_VN (decimal comma, weekdays)"
: >"$T/tallyd.log"
run "graph_locale = xx_XX.UTF-8" xx.png
check "a missing locale is named in the log" \
    log_has "graph_locale xx_XX.UTF-8 is not installed"
ok $(! grep -q TALLY_RENDER_LOCALE "$T/env.xx.png"; echo $?) \
    "... and the helper draws in C"
cmp -s "$T/xx.png" "$T/c.png"
ok $? "... the very image of C"
done_testing
