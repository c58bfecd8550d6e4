/* test_series.c - metric name rules and their paths. */
#include <string.h>

#include "names.h"
#include "series.h"
#include "tap.h"

int
main(void)
{
	char		 buf[512], longpart[80];
	const char	*good[] = { "demo.main.wave", "coop.registry.members",
	    "traffic.site.status.4xx", "a-b.c_d.e-f.g_h", "x.y.z" };
	const char	*bad[] = { "", "demo", "demo.main", "demo.main.",
	    ".main.wave", "demo..wave", "Demo.main.wave", "demo.main.wa ve",
	    "demo.main/../../etc.passwd", "demo.main.w:v", "demo.main.wave\n",
	    "../x.y.z", "demo.main.a..b", "demo.mäin.wave",
	    "x.y.z." };
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(*good); i++)
		ok(names_series_valid(good[i]), "valid: %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(!names_series_valid(bad[i]), "invalid: \"%s\"", bad[i]);
	memset(longpart, 'a', 65);
	longpart[65] = '\0';
	ok(!names_part_valid(longpart), "part of 65 bytes refused");
	longpart[64] = '\0';
	ok(names_part_valid(longpart), "part of 64 bytes accepted");
	ok(names_metric_valid("status.2xx"), "dotted metric");
	ok(!names_metric_valid("status/2xx"), "slash in metric refused");

	is_int(names_series_path(buf, sizeof(buf), "/var/lib/t", "demo.main.wave"),
	    0, "path of a good name");
	is_str(buf, "/var/lib/t/demo/main/wave.rrd", "name maps to its file");
	names_series_path(buf, sizeof(buf), "/d", "traffic.site.status.4xx");
	is_str(buf, "/d/traffic/site/status.4xx.rrd",
	    "dotted metric stays one file");
	is_int(names_series_path(buf, sizeof(buf), "/d", "../etc.x.y"), -1,
	    "no path for a bad name");
	is_int(names_series_path(buf, 10, "/d", "demo.main.wave"), -1,
	    "too long for the buffer");
	/* max_future (ms): at most that far ahead of now, whole seconds */
	ok(series_future_ok(1000 + 600, 1000, 600000), "10 min ahead: kept");
	ok(!series_future_ok(1000 + 601, 1000, 600000), "past it: refused");
	ok(series_future_ok(1000, 1000, 0), "max_future 0: now is kept");
	ok(!series_future_ok(1001, 1000, 0), "max_future 0: a second on is not");
	ok(!series_future_ok((time_t)7258118399LL, 1700000000, 86400000),
	    "year 2199 refused");
	ok(series_future_ok(0, 1700000000, 600000), "the past is not ours");
	return (tap_done());
}
