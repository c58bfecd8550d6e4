#!/bin/sh
# The modules of daemon/ have levels: no #include cycle between them
# (foo.c and foo.h are module foo), config.c includes no subsystem header
# (owners register their sections), and every header compiles on its own.
# The checker (tests/tools/layers.sh) is first shown to catch what it must.
. "${top_srcdir:-.}/tests/integration/lib.sh"

layers="$top_srcdir/tests/tools/layers.sh"

# A planted three-module cycle through a header is found and named.
mkdir -p "$T/knot"
printf '#include "b.h"\n' >"$T/knot/a.c"
printf '#include "c.h"\n' >"$T/knot/b.c"
printf '#include "a.h"\n' >"$T/knot/c.h"
: >"$T/knot/a.h"; : >"$T/knot/b.h"
out=$(sh "$layers" "$T/knot" 2>&1)
ok $([ $? -eq 1 ]; echo $?) "a planted cycle fails the check"
echo "$out" | grep -q '^cycle: .*a.*b.*c.* (knot of 3'
ok $? "and is named: $out"

# config.c including a subsystem header is refused; a leaf is fine.
mkdir -p "$T/hub"
printf '#include "util.h"\n#include "log.h"\n' >"$T/hub/config.c"
: >"$T/hub/util.h"; : >"$T/hub/log.h"; : >"$T/hub/alert.h"
sh "$layers" "$T/hub" >/dev/null 2>&1
ok $? "config.c with leaves only passes"
printf '#include "alert.h"\n' >>"$T/hub/config.c"
out=$(sh "$layers" "$T/hub" 2>&1)
ok $([ $? -eq 1 ]; echo $?) "config.c including alert.h fails"
echo "$out" | grep -q 'config includes alert.h'
ok $? "and says so: $out"

# The real tree.
out=$(sh "$layers" "$top_srcdir/daemon" 2>&1)
rc=$?
ok $rc "daemon/: no include cycle, config.c includes only leaves"
[ -n "$out" ] && echo "$out" | sed 's/^/# /'
[ $rc -eq 0 ] && sh "$layers" -l "$top_srcdir/daemon" | sed 's/^/# level /'

# Each header alone, with the flags of the build.
cc=${CC:-cc}
if command -v "$cc" >/dev/null 2>&1; then
	bad=
	for h in "$top_srcdir"/daemon/*.h; do
		printf '#include "%s"\n' "$(basename "$h")" >"$T/h.c"
		# shellcheck disable=SC2046
		$cc -std=gnu11 -Wall -Wextra -Werror -fsyntax-only \
		    -include "$top_builddir/autoconf.h" \
		    -I"$top_srcdir/include" -iquote "$top_srcdir/daemon" \
		    $(pkg-config --cflags libevent librrd inih 2>/dev/null) \
		    "$T/h.c" >"$T/h.err" 2>&1 || {
			bad="$bad $(basename "$h")"
			sed 's/^/# /' "$T/h.err" | head -5
		}
	done
	ok $([ -z "$bad" ]; echo $?) \
	    "every daemon header compiles on its own${bad:+ (not:$bad)}"
else
	ok 1 "no C compiler $cc to compile the headers"
fi
done_testing
