/* test_plaintext.c - Graphite plaintext lines to series, times and values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plaintext.h"
#include "tap.h"

#define NOW	((time_t)1700000000)	/* 2023-11-14T22:13:20Z */

static struct plaintext_map	 maps[2];
static struct plaintext_rules	 rules = { "graphite", maps, 2, 4, 600 };

/* A line that must give name, when and value. */
static void
parses(const char *line, const char *name, time_t when, double value)
{
	struct plaintext_value	 v;
	const char		*why = "";
	int			 rc;

	memset(&v, 0, sizeof(v));
	rc = plaintext_parse(&rules, line, strlen(line), NOW, &v, &why);
	ok(rc == 1 && strcmp(v.name, name) == 0 && v.when == when &&
	    v.value == value, "\"%s\" -> %s %lld %g", line, name,
	    (long long)when, value);
	if (rc != 1)
		printf("#   refused: %s\n", why);
	else if (strcmp(v.name, name) != 0 || v.when != when ||
	    v.value != value)
		printf("#   got %s %lld %.17g\n", v.name, (long long)v.when,
		    v.value);
}

/* A line (len bytes, may hold NULs) that must be refused for why. */
static void
refused_len(const char *line, size_t len, const char *want, const char *desc)
{
	struct plaintext_value	 v;
	const char		*why = NULL;
	int			 rc;

	rc = plaintext_parse(&rules, line, len, NOW, &v, &why);
	ok(rc == -1 && why != NULL && strcmp(why, want) == 0,
	    "refused: %s: %s", desc, want);
	if (rc != -1 || why == NULL || strcmp(why, want) != 0)
		printf("#   rc %d why %s\n", rc, why != NULL ? why : "(null)");
}

static void
refused(const char *line, const char *want)
{
	refused_len(line, strlen(line), want, line);
}

static void
test_good(void)
{
	parses("host.cpu.idle 42.5 1700000000", "graphite.host.cpu.idle",
	    NOW, 42.5);
	/* collectd write_graphite: host dots escaped as _, plugin-instance */
	parses("node_example_org.cpu-0.cpu-idle 98.1 1699999990",
	    "graphite.node_example_org.cpu-0.cpu-idle", NOW - 10, 98.1);
	parses("Web01.Load.ShortTerm -1.5e3 1700000000",
	    "graphite.web01.load.shortterm", NOW, -1500);
	parses("h.a:b+c@d.e=f 1 1700000000", "graphite.h.a_b_c_d.e_f", NOW,
	    1);
	parses("h.caf\xc3\xa9 1 1700000000", "graphite.h.caf__", NOW, 1);
	parses("  h.m \t 7\t1700000000.75 \r", "graphite.h.m", NOW, 7);
	parses("h.m 7 -1", "graphite.h.m", NOW, 7);
	parses("h.m 7 N", "graphite.h.m", NOW, 7);
	parses("h.m +.5 1700000600", "graphite.h.m", NOW + 600, 0.5);
	parses("h.a.b.c.d 0 1700000000", "graphite.h.a.b.c.d", NOW, 0);
	/* maps: longest prefix, whole components only */
	parses("servers.web01.load 3 1700000000", "graphite.web01.load", NOW,
	    3);
	parses("servers.web01.db.load 3 1700000000", "graphite.db.load", NOW,
	    3);
	parses("servers.web011.load 3 1700000000",
	    "graphite.servers.web011.load", NOW, 3);
	parses("servers.web01x 3 1700000000", "graphite.servers.web01x", NOW,
	    3);
}

static void
test_bad(void)
{
	char	 buf[512];

	refused("h.m 1", "not three fields (path value timestamp)");
	refused("h.m 1 1700000000 x", "not three fields (path value "
	    "timestamp)");
	refused("hostonly 1 1700000000",
	    "path has no metric after its first component");
	refused("h..m 1 1700000000", "empty component in path");
	refused(".h.m 1 1700000000", "empty component in path");
	refused("h.m. 1 1700000000", "empty component in path");
	refused("h.a.b.c.d.e 1 1700000000", "path deeper than max_depth");
	refused_len("h.m\x01x 1 1700000000", 16, "control character in path",
	    "control byte");
	refused_len("h.m\0x 1 1700000000", 16, "control character in path",
	    "NUL byte");
	memset(buf, 'a', 65);
	memcpy(buf + 65, ".m 1 1700000000", 16);
	refused(buf, "path component longer than 64 bytes");
	memset(buf, 'a', 60);
	memcpy(buf, "h.", 2);
	buf[60] = '.';
	memset(buf + 61, 'b', 60);
	buf[121] = '.';
	memset(buf + 122, 'c', 20);
	memcpy(buf + 142, " 1 1700000000", 14);
	refused(buf, "metric longer than 128 bytes");
	refused("h.m nan 1700000000", "value is not a decimal number");
	refused("h.m inf 1700000000", "value is not a decimal number");
	refused("h.m 0x10 1700000000", "value is not a decimal number");
	refused("h.m 1,5 1700000000", "value is not a decimal number");
	refused("h.m - 1700000000", "value is not a decimal number");
	refused("h.m 1e5e5 1700000000", "value is not a decimal number");
	refused("h.m 1e999 1700000000", "value out of range");
	refused("h.m 1 yesterday", "timestamp is not a number of seconds");
	refused("h.m 1 -5", "timestamp is not a number of seconds");
	refused("h.m 1 17e8", "timestamp is not a number of seconds");
	refused("h.m 1 1700000000.5x", "timestamp is not a number of seconds");
	refused("h.m 1 1700000601", "timestamp too far in the future");
	refused("h.m 1 99999999999999999999",
	    "timestamp too far in the future");
	refused("h.m 1 946684799", "timestamp before 2000");
	refused("h.m 1 0", "timestamp before 2000");
}

static void
test_blank(void)
{
	struct plaintext_value	 v;
	const char		*why = NULL;

	is_int(plaintext_parse(&rules, "", 0, NOW, &v, &why), 0,
	    "an empty line is nothing");
	is_int(plaintext_parse(&rules, " \t\r", 3, NOW, &v, &why), 0,
	    "a blank line is nothing");
}

static void
test_prefix(void)
{
	ok(plaintext_prefix_valid("servers"), "prefix of one component");
	ok(plaintext_prefix_valid("Servers.web-01"), "dotted prefix as sent");
	ok(!plaintext_prefix_valid(""), "empty prefix refused");
	ok(!plaintext_prefix_valid(".a"), "leading dot refused");
	ok(!plaintext_prefix_valid("a."), "trailing dot refused");
	ok(!plaintext_prefix_valid("a..b"), "empty component refused");
	ok(!plaintext_prefix_valid("a b"), "space refused");
}

int
main(void)
{
	strcpy(maps[0].prefix, "servers.web01");
	strcpy(maps[0].instance, "web01");
	strcpy(maps[1].prefix, "servers.web01.db");
	strcpy(maps[1].instance, "db");
	test_good();
	test_bad();
	test_blank();
	test_prefix();
	return (tap_done());
}
