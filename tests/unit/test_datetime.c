/*
 * test_datetime.c - the date parser the daemon and tallyctl share, and
 * the two readings of it: the protocol's (UTC unless a zone is written,
 * proto_time) and tallyctl's (local time, when_arg), which must accept
 * the same forms and differ only by the local offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datetime.h"
#include "proto.h"
#include "../../client/when.h"
#include "tap.h"

#define NOW	((time_t)1700000000)
#define LOCAL	(7 * 3600)	/* Asia/Ho_Chi_Minh: +07:00 since 1975 */

static void
parse_is(const char *s, int y, int mo, int d, int h, int mi, int sec,
    int zoned, long off)
{
	struct datetime	 dt;

	ok(datetime_parse(s, &dt) == 0 && dt.year == y && dt.mon == mo &&
	    dt.day == d && dt.hour == h && dt.min == mi && dt.sec == sec &&
	    dt.zoned == zoned && dt.off == off, "parse \"%s\"", s);
}

static void
test_parse(void)
{
	struct datetime	 dt;
	static const char *bad[] = { "", "2021-02-29", "1969", "2200",
	    "0999", "2021-", "2021-1", "2021-13", "2021-04-31", "2021-12-00",
	    "31/02/2015", "1/06/2021", "30/06/21", "30/06/2021x",
	    "2021-12-31T24:00", "2021-12-31T23:60", "2021-12-31T23:59:60",
	    "2021-12-31T23:59+07", "2021-12-31T23:59:59z",
	    "2021-12-31T23:59:59+0700", "2021-12-31T", "2021-06 14:00",
	    "2021 14:00", "30-06-2021", "2021/12/31", "1700000000" };
	size_t		 i;

	parse_is("2021", 2021, 1, 1, 0, 0, 0, 0, 0);
	parse_is("2021-06", 2021, 6, 1, 0, 0, 0, 0, 0);
	parse_is("2020-02-29", 2020, 2, 29, 0, 0, 0, 0, 0);
	parse_is("30/06/2021", 2021, 6, 30, 0, 0, 0, 0, 0);
	parse_is("30/06/2021 14:00", 2021, 6, 30, 14, 0, 0, 0, 0);
	parse_is("2021-06-30T14:00:30", 2021, 6, 30, 14, 0, 30, 0, 0);
	parse_is("2021-06-30T14:00Z", 2021, 6, 30, 14, 0, 0, 1, 0);
	parse_is("2021-06-30T14:00+07:00", 2021, 6, 30, 14, 0, 0, 1, LOCAL);
	parse_is("2021-06-30 14:00-00:30", 2021, 6, 30, 14, 0, 0, 1, -1800);
	parse_is("2199-12-31T23:59:59", 2199, 12, 31, 23, 59, 59, 0, 0);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(datetime_parse(bad[i], &dt) == -1, "refused \"%s\"", bad[i]);

	ok(datetime_is_date("2021") && datetime_is_date("2021-06") &&
	    datetime_is_date("30/06/2021") && !datetime_is_date("12345") &&
	    !datetime_is_date("999") && !datetime_is_date("-1h") &&
	    !datetime_is_date("now"), "dates told from epoch seconds");
	ok(datetime_parse("1970-01-01T01:00+01:00", &dt) == 0 &&
	    datetime_utc(&dt) == 0, "utc: an offset is taken off");
	ok(datetime_parse("2199-12-31T23:59:59Z", &dt) == 0 &&
	    datetime_utc(&dt) == DATETIME_MAX - 1, "utc: the last second");
}

static void
test_span(void)
{
	const char	*end;
	long long	 v;

	ok(datetime_span("90", DATETIME_MAX, &v) == 0 && v == 90, "span 90");
	ok(datetime_span("5m", DATETIME_MAX, &v) == 0 && v == 300, "span 5m");
	ok(datetime_span("2w", DATETIME_MAX, &v) == 0 && v == 14 * 86400,
	    "span 2w");
	ok(datetime_span("10y", DATETIME_MAX, &v) == 0 &&
	    v == 10 * 365 * 86400LL, "span 10y");
	ok(datetime_span("1H", DATETIME_MAX, &v) == -1 &&
	    datetime_span("1hh", DATETIME_MAX, &v) == -1 &&
	    datetime_span("h", DATETIME_MAX, &v) == -1 &&
	    datetime_span("-1h", DATETIME_MAX, &v) == -1 &&
	    datetime_span("300y", DATETIME_MAX, &v) == -1 &&
	    datetime_span("99999999999999999999", DATETIME_MAX, &v) == -1,
	    "bad spans refused");
	ok(datetime_digits("12ab", &end, 100, &v) == 0 && v == 12 &&
	    strcmp(end, "ab") == 0, "digits stop at the first other byte");
	ok(datetime_digits("101", &end, 100, &v) == -1 &&
	    datetime_digits("+1", &end, 100, &v) == -1, "digits: max, sign");
}

/*
 * Each form the docs list reads as UTC in the protocol and as local time
 * in tallyctl: the same instant less the local offset.  What the server
 * refuses, tallyctl passes on as it is, so the server names the mistake.
 */
static void
test_readings(void)
{
	struct proto_error	 err;
	static const char	*same[] = { "2021", "2021-06", "2021-06-30",
	    "30/06/2021", "30/06/2021 14:00", "2021-06-30T14:00:30",
	    "2020-02-29 23:59:59", "1999-12-31" };
	static const char	*passed[] = { "2021-06-30T14:00Z",
	    "2021-06-30T14:00+02:00", "12345", "now", "-1h", "+30m",
	    "30/02/2021", "2021-13", "2021 14:00", "soon" };
	char			 in[64], buf[WHEN_ARG_MAX], want[32];
	time_t			 t;
	size_t			 i;

	for (i = 0; i < sizeof(same) / sizeof(*same); i++) {
		t = 0;
		ok(proto_time(same[i], NOW, &t, &err) == 0, "server reads %s",
		    same[i]);
		snprintf(want, sizeof(want), "%lld", (long long)t - LOCAL);
		snprintf(in, sizeof(in), "%s", same[i]);
		is_str(when_arg(in, 0, buf, sizeof(buf)), want,
		    "tallyctl reads it 7 hours earlier");
		ok(when_arg(in, 1, buf, sizeof(buf)) == in,
		    "with --utc, as it is");
	}
	for (i = 0; i < sizeof(passed) / sizeof(*passed); i++) {
		snprintf(in, sizeof(in), "%s", passed[i]);
		ok(when_arg(in, 0, buf, sizeof(buf)) == in,
		    "tallyctl leaves \"%s\" to the server", passed[i]);
	}
	ok(proto_time("30/02/2021", NOW, &t, &err) == -1 &&
	    proto_time("2021 14:00", NOW, &t, &err) == -1,
	    "which refuses what tallyctl could not read");
}

int
main(void)
{
	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	tzset();
	test_parse();
	test_span();
	test_readings();
	return (tap_done());
}
