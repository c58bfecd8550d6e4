/*
 * test_exec_parse.c - the exec plugin's parsers, linked alone: command
 * splitting, config values, the plain "metric value [time]" lines, Munin
 * config and value lines, and how Munin types and bounds become values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "tap.h"

#define NOW	1700000000

static int
line(const char *s, struct exec_value *v, char *err, size_t len)
{
	err[0] = '\0';
	return (exec_parse_line(s, strlen(s), NOW, v, err, len));
}

static void
test_plain_good(void)
{
	struct exec_value	 v;
	char			 err[256];

	is_int(line("load 0.25", &v, err, sizeof(err)), 1, "metric value");
	is_str(v.metric, "load", "metric name");
	ok(v.value == 0.25 && v.when == 0, "value 0.25, time of the run");
	is_int(line("  disk.used_kb\t 1234  1699999999\r", &v, err,
	    sizeof(err)), 1, "blanks, tab, time, CR");
	is_str(v.metric, "disk.used_kb", "dotted name");
	ok(v.value == 1234 && v.when == 1699999999, "value and time kept");
	is_int(line("status.4xx -1.5e3", &v, err, sizeof(err)), 1,
	    "signed exponent");
	ok(v.value == -1500, "-1.5e3 is -1500");
	is_int(line("queue U", &v, err, sizeof(err)), 1, "U is accepted");
	ok(isnan(v.value), "U is unknown (NaN)");
	is_int(line("", &v, err, sizeof(err)), 0, "empty line skipped");
	is_int(line("   \t ", &v, err, sizeof(err)), 0, "blank line skipped");
	is_int(line("# kind load gauge", &v, err, sizeof(err)), 0,
	    "comment skipped");
}

static void
test_plain_bad(void)
{
	struct exec_value	 v;
	char			 err[256], *big;
	static const char	 bin[] = "load\0 1";

	is_int(line("load", &v, err, sizeof(err)), -1, "missing value");
	ok(strstr(err, "missing value after 'load'") != NULL, "says so: %s",
	    err);
	is_int(line("load abc", &v, err, sizeof(err)), -1, "bad number");
	ok(strstr(err, "bad value 'abc' for 'load'") != NULL, "says so: %s",
	    err);
	is_int(line("load 1.2.3", &v, err, sizeof(err)), -1, "two dots");
	is_int(line("load 12abc", &v, err, sizeof(err)), -1, "trailing junk");
	is_int(line("load inf", &v, err, sizeof(err)), -1, "inf refused");
	is_int(line("load nan", &v, err, sizeof(err)), -1, "nan refused");
	is_int(line("load 0x10", &v, err, sizeof(err)), -1, "hex refused");
	is_int(line("load 1e999", &v, err, sizeof(err)), -1,
	    "overflow to infinity refused");
	is_int(line("load 1e", &v, err, sizeof(err)), -1, "empty exponent");
	is_int(line("load .", &v, err, sizeof(err)), -1, "lone dot");
	is_int(line("Load 1", &v, err, sizeof(err)), -1, "uppercase name");
	ok(strstr(err, "bad metric name 'Load'") != NULL, "says so: %s", err);
	is_int(line("a..b 1", &v, err, sizeof(err)), -1, "empty part");
	is_int(line(".a 1", &v, err, sizeof(err)), -1, "leading dot");
	is_int(line("a/b 1", &v, err, sizeof(err)), -1, "slash in name");
	is_int(line("load 1 2 3", &v, err, sizeof(err)), -1, "too many fields");
	is_int(line("load 1 soon", &v, err, sizeof(err)), -1, "bad time");
	ok(strstr(err, "bad time 'soon'") != NULL, "says so: %s", err);
	is_int(line("load 1 0", &v, err, sizeof(err)), -1, "time 0 refused");
	is_int(line("load 1 1800000000", &v, err, sizeof(err)), -1,
	    "time far in the future refused");
	is_int(line("load 1 -5", &v, err, sizeof(err)), -1, "negative time");
	is_int(exec_parse_line(bin, sizeof(bin) - 1, NOW, &v, err,
	    sizeof(err)), -1, "binary (NUL) refused");
	ok(strstr(err, "binary") != NULL, "says so: %s", err);
	big = malloc(EXEC_LINE_MAX + 100);
	memset(big, 'a', EXEC_LINE_MAX + 99);
	memcpy(big + EXEC_LINE_MAX + 90, " 1", 3);
	is_int(line(big, &v, err, sizeof(err)), -1, "huge line refused");
	ok(strstr(err, "longer than 4096") != NULL, "says so: %s", err);
	big[200] = ' ';
	big[201] = '\0';
	is_int(line(big, &v, err, sizeof(err)), -1, "129+ byte name refused");
	free(big);
	is_int(line("caf\xc3\xa9 1", &v, err, sizeof(err)), -1,
	    "UTF-8 name refused");
	is_int(line("load \x01\x02", &v, err, sizeof(err)), -1,
	    "control bytes refused");
	ok(strstr(err, "'?" "?'") != NULL, "shown as '?' in the error: %s", err);
}

static void
test_lines(void)
{
	const char	 buf[] = "a 1\r\nb 2\n\nc 3";
	const char	*l;
	size_t		 off = 0, n, count = 0;
	char		 last[8] = "";

	while (exec_next_line(buf, sizeof(buf) - 1, &off, &l, &n)) {
		count++;
		snprintf(last, sizeof(last), "%.*s", (int)n, l);
		if (count == 1)
			is_int(n, 3, "CR dropped from the first line");
	}
	is_int(count, 4, "four lines, last without newline");
	is_str(last, "c 3", "last line kept");
}

static void
test_command(void)
{
	char	**argv, err[128];
	size_t	  argc;

	is_int(exec_split_command("/bin/prog a1 \"arg two\" 'x y' a\\ b",
	    &argv, &argc, err, sizeof(err)), 0, "split a command");
	is_int(argc, 5, "five words");
	if (argc == 5) {
		is_str(argv[2], "arg two", "double quotes group");
		is_str(argv[3], "x y", "single quotes group");
		is_str(argv[4], "a b", "backslash escapes a blank");
		ok(argv[5] == NULL, "argv is NULL-terminated");
	}
	exec_free_argv(argv, argc);
	is_int(exec_split_command("/p --x=\"a \\\"q\\\" \\\\\" '$HOME' \"\"",
	    &argv, &argc, err, sizeof(err)), 0, "escapes and empty word");
	is_int(argc, 4, "four words");
	if (argc == 4) {
		is_str(argv[1], "--x=a \"q\" \\", "quotes join a word");
		is_str(argv[2], "$HOME", "nothing expanded");
		is_str(argv[3], "", "\"\" is an empty argument");
	}
	exec_free_argv(argv, argc);
	is_int(exec_split_command("/p \"open", &argv, &argc, err,
	    sizeof(err)), -1, "unterminated quote");
	ok(strstr(err, "unterminated") != NULL, "says so: %s", err);
	is_int(exec_split_command("/p a\\", &argv, &argc, err, sizeof(err)),
	    -1, "trailing backslash");
	is_int(exec_split_command("  ", &argv, &argc, err, sizeof(err)), -1,
	    "empty command");
}

static void
test_values(void)
{
	unsigned long	 ms;
	size_t		 sz;

	ok(exec_parse_duration("5s", &ms) == 0 && ms == 5000, "5s");
	ok(exec_parse_duration("90", &ms) == 0 && ms == 90000, "90 = 90 s");
	ok(exec_parse_duration("1m30s", &ms) == 0 && ms == 90000, "1m30s");
	ok(exec_parse_duration("250ms", &ms) == 0 && ms == 250, "250ms");
	ok(exec_parse_duration("1m30", &ms) == -1, "1m30 has no unit");
	ok(exec_parse_duration("-1s", &ms) == -1, "no sign");
	ok(exec_parse_duration("1.5s", &ms) == -1, "no fraction");
	ok(exec_parse_duration("", &ms) == -1, "empty duration");
	ok(exec_parse_size("1M", &sz) == 0 && sz == 1048576, "1M = 1 MiB");
	ok(exec_parse_size("64k", &sz) == 0 && sz == 65536, "64k");
	ok(exec_parse_size("12x", &sz) == -1, "bad suffix");
	ok(exec_env_valid("LANG=C.UTF-8"), "env LANG=C.UTF-8");
	ok(exec_env_valid("_X1="), "env with empty value");
	ok(!exec_env_valid("1X=a"), "env name starting with a digit");
	ok(!exec_env_valid("NOVALUE"), "env without =");
	ok(!exec_env_valid("A-B=1"), "env name with -");
}

/* Parse a whole Munin config text, line by line; errors counted. */
static int
config(struct exec_munin_config *mc, const char *text, char *err,
    size_t len)
{
	const char	*l;
	size_t		 off = 0, n;
	int		 bad = 0;

	exec_munin_init(mc);
	while (exec_next_line(text, strlen(text), &off, &l, &n))
		if (exec_munin_config_line(mc, l, n, err, len) == -1)
			bad++;
	return (bad);
}

static void
test_munin_config(void)
{
	struct exec_munin_config	 mc;
	char				 err[256];
	int				 i;

	is_int(config(&mc, "graph_title Load average\ngraph_args --base 1000"
	    " -l 0\ngraph_vlabel load\ngraph_category system\nload.label "
	    "load\nload.type GAUGE\nload.min 0\nload.warning 10\n"
	    "Reads_Total.type DERIVE\nReads_Total.min 0\nReads_Total.label "
	    "reads\nhits.type absolute\nhost_name example\n", err,
	    sizeof(err)), 0, "a load-like config parses");
	is_str(mc.title, "Load average", "graph_title kept");
	is_str(mc.vlabel, "load", "graph_vlabel kept");
	is_int(mc.nfields, 3, "three fields");
	ok((i = exec_munin_find(&mc, "load")) == 0 && mc.fields[0].type ==
	    EXEC_MUNIN_GAUGE && mc.fields[0].min == 0 &&
	    isnan(mc.fields[0].max), "load: GAUGE, min 0, no max");
	ok((i = exec_munin_find(&mc, "reads_total")) == 1 &&
	    mc.fields[1].type == EXEC_MUNIN_DERIVE, "Reads_Total sanitised to "
	    "reads_total, DERIVE");
	is_str(mc.fields[1].label, "reads", "label kept");
	ok(exec_munin_find(&mc, "hits") == 2 && mc.fields[2].type ==
	    EXEC_MUNIN_ABSOLUTE, "type is case-insensitive");
	is_int(exec_munin_kind(EXEC_MUNIN_ABSOLUTE), TALLY_GAUGE,
	    "ABSOLUTE is stored as a GAUGE rate");
	is_int(exec_munin_kind(EXEC_MUNIN_DERIVE), TALLY_DERIVE, "DERIVE kept");
	exec_munin_clear(&mc);

	is_int(config(&mc, "x.type WEIRD\n", err, sizeof(err)), 1,
	    "unknown type is an error");
	ok(strstr(err, "unknown type 'WEIRD'") != NULL, "says so: %s", err);
	exec_munin_clear(&mc);
	is_int(config(&mc, "x.min abc\n", err, sizeof(err)), 1, "bad min");
	exec_munin_clear(&mc);
	is_int(config(&mc, "nonsense here\n", err, sizeof(err)), 1,
	    "a line that is not config");
	exec_munin_clear(&mc);
	is_int(config(&mc, ".label x\nx.\n", err, sizeof(err)), 2,
	    "empty field or attribute");
	exec_munin_clear(&mc);
	is_int(config(&mc, "a.label \x01\x02\x03\nb.label ok\n", err,
	    sizeof(err)), 0, "binary label is made printable");
	is_str(mc.fields[0].label, "???", "as '?'");
	exec_munin_clear(&mc);
	is_int(config(&mc, "multigraph Disk.SDA\nreads.type DERIVE\n"
	    "multigraph net\nrx.label rx\n", err, sizeof(err)), 0,
	    "multigraph config");
	ok(exec_munin_find(&mc, "disk.sda.reads") == 0 &&
	    exec_munin_find(&mc, "net.rx") == 1, "fields named graph.field");
	exec_munin_clear(&mc);
}

static void
test_munin_config_limits(void)
{
	struct exec_munin_config	 mc;
	char				 err[256], l[64], *big;
	int				 i, bad = 0;

	exec_munin_init(&mc);
	for (i = 0; i <= EXEC_MUNIN_FIELDS_MAX; i++) {
		snprintf(l, sizeof(l), "f%d.label x", i);
		if (exec_munin_config_line(&mc, l, strlen(l), err,
		    sizeof(err)) == -1)
			bad++;
	}
	ok(bad == 1 && mc.nfields == EXEC_MUNIN_FIELDS_MAX,
	    "field %d refused: %s", EXEC_MUNIN_FIELDS_MAX + 1, err);
	exec_munin_clear(&mc);
	big = malloc(EXEC_LINE_MAX + 10);
	memset(big, 'x', EXEC_LINE_MAX + 10);
	memcpy(big, "a.label ", 8);
	is_int(exec_munin_config_line(&mc, big, EXEC_LINE_MAX + 10, err,
	    sizeof(err)), -1, "huge config line refused");
	free(big);
	is_int(exec_munin_config_line(&mc, "a.label\0x", 9, err, sizeof(err)),
	    -1, "binary config line refused");
	exec_munin_clear(&mc);
}

static int
mvalue(struct exec_munin_config *mc, const char *s, struct exec_value *v,
    char *err, size_t len)
{
	return (exec_munin_value_line(mc, s, strlen(s), NOW, v, err, len));
}

static void
test_munin_values(void)
{
	struct exec_munin_config	 mc;
	struct exec_value		 v;
	char				 err[256];

	config(&mc, "load.label load\nReads.type DERIVE\n", err, sizeof(err));
	is_int(mvalue(&mc, "load.value 0.42", &v, err, sizeof(err)), 1,
	    "load.value");
	ok(v.field == 0 && v.value == 0.42 && v.when == 0, "field 0, 0.42");
	is_int(mvalue(&mc, "Reads.value 1699999990:77", &v, err, sizeof(err)),
	    1, "EPOCH:VALUE");
	ok(v.field == 1 && v.value == 77 && v.when == 1699999990,
	    "time and value split");
	is_int(mvalue(&mc, "load.value U", &v, err, sizeof(err)), 1, "U");
	ok(isnan(v.value), "U is NaN");
	is_int(mvalue(&mc, "load.extinfo busy", &v, err, sizeof(err)), 0,
	    "extinfo ignored");
	is_int(mvalue(&mc, "other.value 1", &v, err, sizeof(err)), -1,
	    "field not in config");
	ok(strstr(err, "not in the config") != NULL, "says so: %s", err);
	is_int(mvalue(&mc, "load.value", &v, err, sizeof(err)), -1,
	    "missing value");
	is_int(mvalue(&mc, "load.value abc", &v, err, sizeof(err)), -1,
	    "bad number");
	is_int(mvalue(&mc, "load.value x:1", &v, err, sizeof(err)), -1,
	    "bad time");
	is_int(mvalue(&mc, "load 1", &v, err, sizeof(err)), -1,
	    "plain-format line refused");
	is_int(exec_munin_value_line(&mc, "load.value 1\0", 13, NOW, &v, err,
	    sizeof(err)), -1, "binary value line refused");
	exec_munin_clear(&mc);
}

static void
test_munin_apply(void)
{
	struct exec_munin_field	 f;
	double			 out;

	memset(&f, 0, sizeof(f));
	f.type = EXEC_MUNIN_GAUGE;
	f.min = 0;
	f.max = 100;
	f.prev_value = NAN;
	ok(exec_munin_apply(&f, NOW, 50, &out) == 1 && out == 50,
	    "gauge in range stored");
	ok(exec_munin_apply(&f, NOW + 1, 150, &out) == 1 && isnan(out),
	    "gauge over max stored as unknown");
	f.type = EXEC_MUNIN_DERIVE;
	f.max = NAN;
	f.prev_value = NAN;
	f.prev_time = 0;
	ok(exec_munin_apply(&f, NOW, 1000, &out) == 1 && out == 1000,
	    "derive: first raw value stored");
	ok(exec_munin_apply(&f, NOW + 10, 1100, &out) == 1 && out == 1100,
	    "derive: rising value stored");
	ok(exec_munin_apply(&f, NOW + 20, 5, &out) == 1 && isnan(out),
	    "derive reset with min 0: unknown, not a negative rate");
	f.type = EXEC_MUNIN_ABSOLUTE;
	f.min = NAN;
	f.prev_value = NAN;
	f.prev_time = 0;
	is_int(exec_munin_apply(&f, NOW, 30, &out), 0,
	    "absolute: first run has no span, nothing stored");
	ok(exec_munin_apply(&f, NOW + 10, 30, &out) == 1 && out == 3,
	    "absolute: 30 in 10 s stored as 3/s");
}

static void
test_sanitize(void)
{
	char	 out[80];
	char	 long_name[100];

	ok(exec_sanitize_name("Eth0-Rx.b", 9, out, sizeof(out)) == 0, "ok");
	is_str(out, "eth0-rx_b", "lowercased, dot replaced");
	memset(long_name, 'a', sizeof(long_name));
	ok(exec_sanitize_name(long_name, sizeof(long_name), out,
	    sizeof(out)) == 0 && strlen(out) == EXEC_PART_MAX,
	    "cut to 64 bytes");
	ok(exec_sanitize_name("", 0, out, sizeof(out)) == -1, "empty refused");
	ok(exec_metric_valid("a.b-c.d_e"), "valid dotted metric");
	ok(!exec_metric_valid("a."), "trailing dot invalid");
	memset(long_name, 'a', 65);
	long_name[65] = '\0';
	ok(!exec_metric_valid(long_name), "65-byte part invalid");
}

int
main(void)
{
	test_plain_good();
	test_plain_bad();
	test_lines();
	test_command();
	test_values();
	test_munin_config();
	test_munin_config_limits();
	test_munin_values();
	test_munin_apply();
	test_sanitize();
	return (tap_done());
}
