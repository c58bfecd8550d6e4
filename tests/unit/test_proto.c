/* test_proto.c - the request parser and the argument parsers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "tap.h"

#define NOW	((time_t)1700000000)	/* 2023-11-14T22:13:20Z */

static char	 linebuf[PROTO_LINE_MAX + 2];

/* Parse a copy of line (argv points into linebuf until the next call). */
static int
parse(const char *line, struct proto_req *req, struct proto_error *err)
{
	size_t	 len = strlen(line);

	memcpy(linebuf, line, len + 1);
	return (proto_parse(linebuf, len, req, err));
}

/* A parse that must fail with code; the message is checked by prefix. */
static void
parse_fails(const char *line, enum proto_err code, const char *msg)
{
	static struct proto_req	 req;
	struct proto_error	 err;
	int			 rc;

	memset(&err, 0, sizeof(err));
	rc = parse(line, &req, &err);
	ok(rc == -1 && err.code == code && strncmp(err.msg, msg,
	    strlen(msg)) == 0, "refused with %s: \"%s\" (%s)",
	    proto_err_name(code), msg, err.msg);
}

static void
test_table(void)
{
	const struct proto_cmd_entry	*t;
	size_t				 n, i;
	int				 good = 1, noauth = 0, async = 0;

	t = proto_commands(&n);
	is_int(n, PROTO__MAX, "one table entry per command");
	for (i = 0; i < n; i++) {
		if (t[i].cmd != (enum proto_cmd)i || t[i].usage == NULL ||
		    t[i].help == NULL || t[i].help[0] == '\0' ||
		    strncmp(t[i].usage, t[i].name, strlen(t[i].name)) != 0)
			good = 0;
		if (t[i].flags & PROTO_F_NOAUTH)
			noauth |= 1 << t[i].cmd;
		if (t[i].flags & PROTO_F_ASYNC)
			async |= 1 << t[i].cmd;
	}
	ok(good, "entries in enum order, each with usage and help");
	is_int(noauth, (1 << PROTO_HELP) | (1 << PROTO_PING) |
	    (1 << PROTO_AUTH) | (1 << PROTO_QUIT),
	    "NOAUTH: HELP PING AUTH QUIT");
	is_int(async, (1 << PROTO_INFO) | (1 << PROTO_FETCH) |
	    (1 << PROTO_FLUSH) | (1 << PROTO_GRAPH) | (1 << PROTO_REPORT),
	    "ASYNC: INFO FETCH FLUSH GRAPH REPORT");
	is_int(t[PROTO_PUT].max_args, -1, "PUT takes up to PROTO_ARGS_MAX");
	is_int(t[PROTO_FETCH].min_args, 3, "FETCH needs 3 arguments");
	is_int(t[PROTO_FETCH].max_args, 5, "FETCH takes at most 5");
	is_int(t[PROTO_ALERT].max_args, 3, "ALERT takes at most 3");
	is_str(proto_err_name(PERR_SYNTAX), "syntax", "name of PERR_SYNTAX");
	is_str(proto_err_name(PERR_UNKNOWN), "unknown-command",
	    "name of PERR_UNKNOWN");
	is_str(proto_err_name(PERR_ARGS), "bad-args", "name of PERR_ARGS");
	is_str(proto_err_name(PERR_TIME), "bad-time", "name of PERR_TIME");
	is_str(proto_err_name(PERR_NAME), "bad-name", "name of PERR_NAME");
	is_str(proto_err_name(PERR_NOTFOUND), "not-found",
	    "name of PERR_NOTFOUND");
	is_str(proto_err_name(PERR_AUTH), "auth", "name of PERR_AUTH");
	is_str(proto_err_name(PERR_LIMIT), "limit", "name of PERR_LIMIT");
	is_str(proto_err_name(PERR_BUSY), "busy", "name of PERR_BUSY");
	is_str(proto_err_name(PERR_STORE), "store", "name of PERR_STORE");
	is_str(proto_err_name(PERR_INTERNAL), "internal",
	    "name of PERR_INTERNAL");
	is_str(proto_err_name(PERR__MAX), "internal", "out of range: internal");
	is_str(proto_err_name((enum proto_err)-1), "internal",
	    "negative: internal");
}

static void
test_helpers(void)
{
	struct proto_error	 err;
	char			 buf[64], cf[8];

	is_int(proto_error_set(NULL, PERR_BUSY, "x"), -1,
	    "proto_error_set(NULL) returns -1");
	is_int(proto_error_set(&err, PERR_BUSY, "queue %d%%", 100), -1,
	    "proto_error_set returns -1");
	ok(err.code == PERR_BUSY && strcmp(err.msg, "queue 100%") == 0,
	    "proto_error_set fills code and message");
	proto_quote(buf, sizeof(buf), "plain text", 32);
	is_str(buf, "plain text", "quote: printable ASCII kept");
	proto_quote(buf, sizeof(buf), "a\"b\\c\x01\xc3\xa9", 32);
	is_str(buf, "a\\x22b\\x5cc\\x01\\xc3\\xa9", "quote: escapes as \\xNN");
	proto_quote(buf, sizeof(buf), "abcdefghij", 4);
	is_str(buf, "abcd...", "quote: cut at max, with ...");
	proto_quote(buf, 8, "\x01\x02\x03\x04", 32);
	ok(strlen(buf) < 8, "quote: never past the buffer");
	ok(proto_cf("average", cf) == 0 && strcmp(cf, "AVERAGE") == 0,
	    "cf: average");
	ok(proto_cf("Max", cf) == 0 && strcmp(cf, "MAX") == 0, "cf: Max");
	ok(proto_cf("min", cf) == 0 && strcmp(cf, "MIN") == 0, "cf: min");
	ok(proto_cf("LAST", cf) == 0 && strcmp(cf, "LAST") == 0, "cf: LAST");
	is_int(proto_cf("AVG", cf), -1, "cf: AVG refused");
	is_int(proto_cf("", cf), -1, "cf: empty refused");
}

static void
test_parse_ok(void)
{
	struct proto_req	 req;
	struct proto_error	 err;

	ok(parse("PING", &req, &err) == 0 && req.entry->cmd == PROTO_PING &&
	    req.argc == 0, "PING");
	ok(parse("pInG", &req, &err) == 0 && req.entry->cmd == PROTO_PING,
	    "command names are case-insensitive");
	ok(parse("PING\r", &req, &err) == 0 && req.argc == 0,
	    "trailing \\r ignored");
	ok(parse(" \tPING \t ", &req, &err) == 0 && req.argc == 0,
	    "spaces and tabs around words");
	ok(parse("LIST\tdemo.*", &req, &err) == 0 && req.argc == 1 &&
	    strcmp(req.argv[0], "demo.*") == 0, "tab separates words");
	ok(parse("FETCH  a.b.c   -1h now", &req, &err) == 0 &&
	    req.argc == 3 && strcmp(req.argv[2], "now") == 0,
	    "runs of spaces separate words");
	ok(parse("GRAPH title=\"a b\" metric=x.y.z", &req, &err) == 0 &&
	    req.argc == 2 && strcmp(req.argv[0], "title=a b") == 0 &&
	    strcmp(req.argv[1], "metric=x.y.z") == 0,
	    "quotes inside a word keep spaces");
	ok(parse("AUTH \"a\\\"b\\\\c\"", &req, &err) == 0 &&
	    strcmp(req.argv[0], "a\"b\\c") == 0, "\\\" and \\\\ in quotes");
	ok(parse("LIST a\\b", &req, &err) == 0 &&
	    strcmp(req.argv[0], "a\\b") == 0,
	    "backslash outside quotes is literal");
	ok(parse("AUTH \"\"", &req, &err) == 0 && req.argc == 1 &&
	    req.argv[0][0] == '\0', "empty quoted word");
	ok(parse("AUTH a\"b c\"d", &req, &err) == 0 && req.argc == 1 &&
	    strcmp(req.argv[0], "ab cd") == 0, "quotes join a word");
	ok(parse("AUTH \"S\xe1\xbb\x91\"", &req, &err) == 0 &&
	    strcmp(req.argv[0], "S\xe1\xbb\x91") == 0, "UTF-8 untouched");
	ok(parse("ALERT HISTORY", &req, &err) == 0, "ALERT HISTORY");
	ok(parse("alert history disk", &req, &err) == 0 && req.argc == 2,
	    "ALERT HISTORY name, any case");
	ok(parse("ALERT TEST disk -1h", &req, &err) == 0 && req.argc == 3,
	    "ALERT TEST name from");
	ok(parse("FLUSH", &req, &err) == 0 && parse("FLUSH a.b.c", &req,
	    &err) == 0, "FLUSH with and without a metric");
	ok(parse("HELP", &req, &err) == 0 && parse("QUIT", &req, &err) == 0 &&
	    parse("STATS", &req, &err) == 0 && parse("PLUGINS", &req,
	    &err) == 0 && parse("ALERTS", &req, &err) == 0 &&
	    parse("LAST a.b.c", &req, &err) == 0 && parse("INFO a.b.c",
	    &req, &err) == 0 && parse("LIST", &req, &err) == 0,
	    "every other command parses");
}

static void
test_parse_errors(void)
{
	char	 line[64];

	parse_fails("", PERR_SYNTAX, "empty request");
	parse_fails("   \t ", PERR_SYNTAX, "empty request");
	parse_fails("\r", PERR_SYNTAX, "empty request");
	parse_fails("PI\x01NG", PERR_SYNTAX, "control byte \\x01 at offset 2");
	parse_fails("PING\n", PERR_SYNTAX, "control byte \\x0a");
	parse_fails("PING\x7f", PERR_SYNTAX, "control byte \\x7f");
	parse_fails("PI\rNG", PERR_SYNTAX, "control byte \\x0d");
	parse_fails("PING\r\r", PERR_SYNTAX, "control byte \\x0d");
	parse_fails("AUTH \"abc", PERR_SYNTAX, "unbalanced quote");
	parse_fails("AUTH \"a\\nb\"", PERR_SYNTAX, "bad escape");
	parse_fails("AUTH \"abc\\", PERR_SYNTAX, "bad escape");
	parse_fails("FOO", PERR_UNKNOWN, "unknown command \"FOO\"");
	parse_fails("PINGX", PERR_UNKNOWN, "unknown command \"PINGX\"");
	parse_fails("\"A\\\"B\" x", PERR_UNKNOWN,
	    "unknown command \"A\\x22B\"");
	parse_fails("X\xc3\x9dZ", PERR_UNKNOWN,
	    "unknown command \"X\\xc3\\x9dZ\"");
	memset(line, 'A', 40);
	line[40] = '\0';
	parse_fails(line, PERR_UNKNOWN, "unknown command "
	    "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...\"");
	parse_fails("PING x", PERR_ARGS, "usage: PING");
	parse_fails("AUTH", PERR_ARGS, "usage: AUTH token");
	parse_fails("AUTH a b", PERR_ARGS, "usage: AUTH token");
	parse_fails("LIST a b", PERR_ARGS, "usage: LIST [glob]");
	parse_fails("INFO", PERR_ARGS, "usage: INFO metric");
	parse_fails("LAST a b", PERR_ARGS, "usage: LAST metric");
	parse_fails("FETCH a.b.c -1h", PERR_ARGS,
	    "usage: FETCH metric start end [cf] [resolution]");
	parse_fails("FETCH a.b.c -1h now MAX 5m x", PERR_ARGS, "usage: FETCH");
	parse_fails("PUT a.b.c", PERR_ARGS,
	    "usage: PUT metric time:value [time:value ...]");
	parse_fails("FLUSH a b", PERR_ARGS, "usage: FLUSH [metric]");
	parse_fails("GRAPH", PERR_ARGS, "usage: GRAPH key=value ...");
	parse_fails("STATS x", PERR_ARGS, "usage: STATS");
	parse_fails("ALERT", PERR_ARGS, "usage: ALERT HISTORY");
	parse_fails("ALERT FOO", PERR_ARGS, "usage: ALERT HISTORY");
	parse_fails("ALERT TEST disk", PERR_ARGS, "usage: ALERT");
	parse_fails("ALERT HISTORY a b", PERR_ARGS, "usage: ALERT");
}

/* A line of n PUT values; at most PROTO_ARGS_MAX arguments in all. */
static void
test_parse_limits(void)
{
	static char		 big[PROTO_LINE_MAX + 2];
	struct proto_req	*req;
	struct proto_error	 err;
	size_t			 o;
	int			 i;

	req = malloc(sizeof(*req));
	o = (size_t)snprintf(big, sizeof(big), "PUT a.b.c");
	for (i = 0; i < PROTO_ARGS_MAX - 1; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o, " N:1");
	ok(o <= PROTO_LINE_MAX && parse(big, req, &err) == 0 &&
	    req->argc == PROTO_ARGS_MAX, "PUT with PROTO_ARGS_MAX-1 values");
	snprintf(big + o, sizeof(big) - o, " N:1");
	parse_fails(big, PERR_ARGS, "too many arguments (max 4096)");
	memset(big, 'a', sizeof(big));
	memcpy(big, "AUTH ", 5);
	big[PROTO_LINE_MAX] = '\0';
	ok(parse(big, req, &err) == 0 &&
	    strlen(req->argv[0]) == PROTO_LINE_MAX - 5,
	    "a line of PROTO_LINE_MAX bytes");
	big[PROTO_LINE_MAX] = 'a';
	big[PROTO_LINE_MAX + 1] = '\0';
	parse_fails(big, PERR_LIMIT, "line too long");
	free(req);
}

static void
time_is(const char *s, long long want)
{
	struct proto_error	 err;
	time_t			 t = -1;
	int			 rc;

	rc = proto_time(s, NOW, &t, &err);
	ok(rc == 0 && (long long)t == want, "time \"%s\" = %lld", s, want);
	if (rc != 0 || (long long)t != want)
		printf("#   got rc %d, %lld (%s)\n", rc, (long long)t,
		    rc ? err.msg : "");
}

static void
time_bad(const char *s)
{
	struct proto_error	 err;
	time_t			 t = 12345;

	memset(&err, 0, sizeof(err));
	ok(proto_time(s, NOW, &t, &err) == -1 && err.code == PERR_TIME &&
	    t == 12345, "bad time \"%s\" (%s)", s, err.msg);
}

static void
test_time(void)
{
	struct proto_error	 err;
	time_t			 t;
	static const char	*bad[] = { "", "NOW", " 1", "1 ", "0x10",
	    "1e3", "12abc", "7258118400", "99999999999999999999", "-1x",
	    "-h", "-", "+", "--1h", "-1hh", "-1H", "-100000y",
	    "-999999999999999999999y", "-60y", "+300y", "2021-02-29",
	    "1969-12-31", "2100-02-29", "2021-13-01", "2021-00-10",
	    "2021-04-31", "2021-12-00", "2021-12-31T24:00", "2021-12-31T23:60",
	    "2021-12-31T23:59:60", "2021-12-31T23:59:59+24:00",
	    "2021-12-31T23:59:59+07:60", "2021-12-31T23:59:59z",
	    "2021-12-31T23:59:59Zx", "2021-12-31T23:59:59+0700",
	    "2021-12-31  23:59", "2021-1-31", "2021-12-31T", "2021-12-31T23",
	    "2021-12-31T23:5", "2021-12-31T23:59:5", "2021-12-31X",
	    "2021-12-31T23:59+07", "1970-01-01T00:00:00+01:00", "2200-01-01",
	    "2021/12/31", "+2021-12-31", "2021-12-31T-1:00", "1969", "2200",
	    "0999", "2021-", "2021-1", "2021-13", "2021-06-", "2021-06-3",
	    "31/02/2015", "1/06/2021", "30/6/2021", "30/06/21", "30/06/2021x",
	    "30/06/2021T", "2021-06 14:00", "2021 14:00", "00/06/2021",
	    "30-06-2021" };
	size_t			 i;

	time_is("1700000000", 1700000000);
	time_is("0", 0);
	time_is("7258118399", 7258118399LL);
	time_is("now", NOW);
	time_is("-5", NOW - 5);
	time_is("+1", NOW + 1);
	time_is("-1h", NOW - 3600);
	time_is("+30m", NOW + 1800);
	time_is("-7d", NOW - 7 * 86400);
	time_is("-2w", NOW - 14 * 86400);
	time_is("-10y", NOW - 10 * 365 * 86400LL);
	time_is("-90s", NOW - 90);
	time_is("2021-12-31", 1640908800);
	time_is("2021-12-31T23:59:59Z", 1640995199);
	time_is("2021-12-31T23:59", 1640995140);
	time_is("2021-12-31T23:59+07:00", 1640995140 - 7 * 3600);
	time_is("2021-12-31T23:59-00:30", 1640995140 + 1800);
	time_is("2020-02-29", 1582934400);
	time_is("2000-02-29", 951782400);
	time_is("1970-01-01", 0);
	time_is("1970-01-01T01:00+01:00", 0);
	time_is("2199-12-31T23:59:59Z", 7258118399LL);
	/* Four digits are a year, not epoch second 2021; five are seconds. */
	time_is("2021", 1609459200);
	time_is("1970", 0);
	time_is("2199", 7226582400LL);
	time_is("12345", 12345);
	time_is("999", 999);
	time_is("2021-06", 1622505600);
	time_is("2020-02", 1580515200);
	time_is("30/06/2021", 1625011200);
	time_is("29/02/2020", 1582934400);
	time_is("30/06/2021 14:00", 1625011200 + 14 * 3600);
	time_is("30/06/2021T14:00+07:00", 1625011200 + 7 * 3600);
	time_is("2021-06-30 14:00", 1625011200 + 14 * 3600);
	time_is("2021-06-30 14:00:05Z", 1625011200 + 14 * 3600 + 5);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		time_bad(bad[i]);
	proto_time("soon", NOW, &t, &err);
	ok(strncmp(err.msg, "bad time \"soon\"", 15) == 0,
	    "bad time message quotes the word");
	proto_time("3000-01-01", NOW, &t, &err);
	ok(err.code == PERR_TIME && strstr(err.msg, "3000-01-01") != NULL,
	    "out-of-range year refused");
	ok(proto_time("now", (time_t)-1, &t, &err) == -1 &&
	    err.code == PERR_TIME, "a \"now\" before 1970 refused");
}

static void
duration_is(const char *s, long want)
{
	struct proto_error	 err;
	long			 d = -1;

	ok(proto_duration(s, &d, &err) == 0 && d == want,
	    "duration \"%s\" = %ld", s, want);
}

static void
test_duration(void)
{
	struct proto_error	 err;
	static const char	*bad[] = { "0", "0s", "", "-5m", "+5m", "5M",
	    "5mm", "m", " 5", "5 ", "1.5h", "999999999999y", "231y", "1e3",
	    "0x10", "7258118401" };
	size_t			 i;
	long			 d;

	duration_is("300", 300);
	duration_is("5m", 300);
	duration_is("1h", 3600);
	duration_is("7d", 7 * 86400);
	duration_is("2w", 14 * 86400);
	duration_is("1y", 365 * 86400);
	duration_is("230y", 230L * 365 * 86400);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		d = 77;
		memset(&err, 0, sizeof(err));
		ok(proto_duration(bad[i], &d, &err) == -1 &&
		    err.code == PERR_TIME && d == 77,
		    "bad duration \"%s\"", bad[i]);
	}
}

static void
put_bad(const char *s, enum proto_err code)
{
	struct proto_error	 err;
	time_t			 when;
	double			 v;

	memset(&err, 0, sizeof(err));
	ok(proto_put_value(s, NOW, &when, &v, &err) == -1 && err.code == code,
	    "PUT value \"%s\" refused: %s (%s)", s, proto_err_name(code),
	    err.msg);
}

static void
test_put(void)
{
	struct proto_error	 err;
	time_t			 when;
	double			 v;
	static const char	*badval[] = { "1700000000", "1700000000:",
	    "1700000000:nan", "1700000000:NaN", "1700000000:inf",
	    "1700000000:-infinity", "1700000000:0x10", "1700000000:1e999",
	    "1700000000:1:2", "1700000000:U ", "1700000000:u",
	    "1700000000:.", "1700000000:1.2.3", "1700000000: 1",
	    "1700000000:e5", "1700000000:+-1", "1700000000:1,5" };
	static const char	*badtime[] = { ":5", "x:1", "n:1", "NN:1",
	    "-1:5", "7258118400:1", "1.5:1", " 1:1", "U:1",
	    "99999999999999999999:1" };
	size_t			 i;

	ok(proto_put_value("1700000000:1.5", NOW, &when, &v, &err) == 0 &&
	    when == 1700000000 && v == 1.5, "epoch:number");
	ok(proto_put_value("N:3", NOW - 100, &when, &v, &err) == 0 &&
	    when == NOW - 100 && v == 3, "N is now");
	ok(proto_put_value("N:U", NOW, &when, &v, &err) == 0 && isnan(v),
	    "U is unknown (NaN)");
	ok(proto_put_value("1700000000:-2.5e3", NOW, &when, &v, &err) == 0 &&
	    v == -2500, "exponent and sign");
	ok(proto_put_value("1700000000:+7", NOW, &when, &v, &err) == 0 &&
	    v == 7, "leading +");
	ok(proto_put_value("1700000000:.5", NOW, &when, &v, &err) == 0 &&
	    v == 0.5, "leading dot");
	ok(proto_put_value("1700000000:1e-400", NOW, &when, &v, &err) == 0 &&
	    v == 0, "underflow is zero");
	for (i = 0; i < sizeof(badval) / sizeof(*badval); i++)
		put_bad(badval[i], PERR_ARGS);
	for (i = 0; i < sizeof(badtime) / sizeof(*badtime); i++)
		put_bad(badtime[i], PERR_TIME);
}

static void
fetch_fails(const char *line, enum proto_err code)
{
	struct proto_req	 req;
	struct proto_fetch	 f;
	struct proto_error	 err;

	memset(&err, 0, sizeof(err));
	ok(parse(line, &req, &err) == 0 &&
	    proto_fetch_args(&req, NOW, &f, &err) == -1 && err.code == code,
	    "%s: %s (%s)", line, proto_err_name(code), err.msg);
}

static void
test_fetch(void)
{
	struct proto_req	 req;
	struct proto_fetch	 f;
	struct proto_error	 err;

	ok(parse("FETCH demo.main.wave -1h now", &req, &err) == 0 &&
	    proto_fetch_args(&req, NOW, &f, &err) == 0, "FETCH defaults");
	ok(f.metric == req.argv[0] && f.start == NOW - 3600 && f.end == NOW &&
	    strcmp(f.cf, "AVERAGE") == 0 && f.resolution == 0,
	    "metric, start, end, AVERAGE, finest resolution");
	ok(parse("FETCH demo.main.wave 2023-11-14 now max 5m", &req,
	    &err) == 0 && proto_fetch_args(&req, NOW, &f, &err) == 0 &&
	    f.start == 1699920000 && strcmp(f.cf, "MAX") == 0 &&
	    f.resolution == 300, "FETCH with date, cf and resolution");
	fetch_fails("FETCH ../etc.x.y -1h now", PERR_NAME);
	fetch_fails("FETCH Demo.main.wave -1h now", PERR_NAME);
	fetch_fails("FETCH demo.main.wave soon now", PERR_TIME);
	fetch_fails("FETCH demo.main.wave -1h later", PERR_TIME);
	fetch_fails("FETCH demo.main.wave now -1h", PERR_TIME);
	fetch_fails("FETCH demo.main.wave now now", PERR_TIME);
	fetch_fails("FETCH demo.main.wave -1h now AVG", PERR_ARGS);
	fetch_fails("FETCH demo.main.wave -1h now MIN 0", PERR_TIME);
	fetch_fails("FETCH demo.main.wave -1h now MIN fast", PERR_TIME);
	ok(parse("LIST x", &req, &err) == 0 &&
	    proto_fetch_args(&req, NOW, &f, &err) == -1 &&
	    err.code == PERR_ARGS, "too few arguments: PERR_ARGS");
}

static void
test_glob(void)
{
	char	 big[PROTO_GLOB_MAX + 2];
	static const struct {
		const char	*pat, *name;
		int		 match;
	} g[] = {
		{ "*", "", 1 }, { "*", "demo.main.wave", 1 },
		{ "demo.*", "demo.main.wave", 1 }, { "demo.*", "dem", 0 },
		{ "*.wave", "demo.main.wave", 1 }, { "*.wave", "a.waves", 0 },
		{ "d?mo.*", "demo.x.y", 1 }, { "?", "", 0 }, { "?", "ab", 0 },
		{ "[a-c]*", "b.x.y", 1 }, { "[a-c]*", "d.x.y", 0 },
		{ "[!a]*", "a", 0 }, { "[!a]*", "b", 1 }, { "[^a]", "b", 1 },
		{ "[]]", "]", 1 }, { "[!]]", "]", 0 }, { "[", "[", 1 },
		{ "[abc", "[abc", 1 }, { "[abc", "a", 0 }, { "", "", 1 },
		{ "", "a", 0 }, { "a*b*c", "aXbYc", 1 }, { "a*b*c", "aXbY", 0 },
		{ "**", "abc", 1 }, { "abc", "abcd", 0 }, { "abc", "ab", 0 },
		{ "a[0-9]", "a5", 1 }, { "a[0-9]", "a-", 0 },
		{ "[a-]", "-", 1 },
		{ "traffic.*.status.?xx", "traffic.site.status.4xx", 1 },
		{ "*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(g) / sizeof(*g); i++)
		ok(proto_glob(g[i].pat, g[i].name) == g[i].match,
		    "glob \"%s\" %s \"%.20s\"", g[i].pat, g[i].match ?
		    "matches" : "does not match", g[i].name);
	memset(big, '*', PROTO_GLOB_MAX);
	big[PROTO_GLOB_MAX] = '\0';
	ok(proto_glob(big, "a.b.c"), "a pattern of PROTO_GLOB_MAX bytes");
	big[PROTO_GLOB_MAX] = '*';
	big[PROTO_GLOB_MAX + 1] = '\0';
	ok(!proto_glob(big, "a.b.c"), "a longer pattern matches nothing");
	memset(big, '?', 300);
	big[300] = '\0';
	ok(!proto_glob(big, "a.b.c"), "more elements than bytes: no match");
}

int
main(void)
{
	test_table();
	test_helpers();
	test_parse_ok();
	test_parse_errors();
	test_parse_limits();
	test_time();
	test_duration();
	test_put();
	test_fetch();
	test_glob();
	return (tap_done());
}
