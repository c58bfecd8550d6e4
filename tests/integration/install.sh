#!/bin/sh
# make install puts everything in place, and a plugin built out of tree
# with pkg-config alone loads into the installed tallyd.
. "${top_srcdir:-.}/tests/integration/lib.sh"

D=$T/dest
make -C "$top_builddir" install DESTDIR="$D" >"$T/install.log" 2>&1
ok $? "make install DESTDIR"
prefix=$(sed -n 's/^prefix=//p' "$top_builddir/tally-plugin.pc")
for f in sbin/tallyd bin/tallyctl libexec/tallyd/tally-render \
    include/tally/plugin.h lib/tallyd/demo.so \
    lib/tallyd/selfstat.so lib/tallyd/coop.so lib/tallyd/creditfund.so \
    lib/tallyd/traffic.so lib/tallyd/exec.so lib/pkgconfig/tally-plugin.pc \
    share/man/man8/tallyd.8 share/man/man5/tallyd.conf.5 \
    share/man/man1/tallyctl.1 share/tallyd/dashboard/index.html; do
	check "installed $f" test -e "$D$prefix/$f"
done
check "no .la or static archives for plugins" test ! -e "$D$prefix/lib/tallyd/demo.a"
found=$(find "$D" -name tallyd.conf -path '*etc*' | head -1)
ok $([ -n "$found" ]; echo $?) "sample config installed"
found=$(find "$D" -name tallyd.service | head -1)
ok $([ -n "$found" ] && grep -q "ExecStart=$prefix/sbin/tallyd" "$found"; echo $?) \
    "systemd unit installed with the right path"
# ProtectSystem=full makes /usr (so /usr/local/var) read-only: the unit
# must name the state directories writable, and they must exist.
rw=$(sed -n 's/^ReadWritePaths=//p' "$found" | tr ' ' '\n' | sed 's/^-//')
missing=
for d in $rw; do
	[ -d "$D$d" ] || missing="$missing $d"
done
ok $([ -n "$rw" ] && [ -z "$missing" ] &&
    echo "$rw" | grep -qx "$prefix/var/lib/tallyd"; echo $?) \
    "unit's ReadWritePaths exist after install:$missing ($(echo $rw))"
for p in demo selfstat coop creditfund traffic exec; do
	so="$D$prefix/lib/tallyd/$p.so"
	syms=$(nm -D --defined-only "$so" 2>/dev/null | awk '$2 ~ /[TDRB]/ { print $3 }')
	ok $([ "$syms" = "tally_plugin_v1" ]; echo $?) "$p.so exports only its descriptor ($syms)"
	nm -D --undefined-only "$so" | grep -qE ' (series_|store_|log_|plugin_|notify_|alert_|query_)'
	ok $([ $? -ne 0 ]; echo $?) "$p.so needs no daemon symbol"
done

# Out of tree: the example plugin from docs/PLUGINS.md, built with pkg-config.
export PKG_CONFIG_PATH="$D$prefix/lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$D"
cflags=$(pkg-config --cflags tally-plugin)
ok $? "pkg-config finds tally-plugin ($cflags)"
${CC:-cc} -Wall -Wextra -Werror -fPIC -shared $cflags \
    -o "$T/hello.so" "$top_srcdir/docs/examples/hello.c" 2>"$T/cc.log"
ok $? "example plugin builds out of tree"
cat "$T/cc.log" | sed 's/^/# /'
write_config "$T/t.conf" <<EOT
[plugin hello greet]
file = $T/hello.so
interval = 1s
jitter = 0
retention = test
greeting = 42
EOT
out=$("$D$prefix/sbin/tallyd" -t -c "$T/t.conf" 2>&1)
ok $? "installed tallyd accepts the out-of-tree plugin: $out"
start_tallyd "$T/t.conf"
check "out-of-tree plugin writes its series" \
    wait_until 10 test -f "$T/rrd/hello/greet/answer.rrd"
stop_tallyd TERM
ok $daemon_rc "clean exit"
done_testing
