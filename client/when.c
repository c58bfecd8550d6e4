/*
 * when.c - times in the local time zone and plain numbers for tallyctl.
 * Dates are taken apart by the daemon's datetime.c, so tallyctl and the
 * server accept the same forms; only the zone differs (local here).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "datetime.h"
#include "when.h"

char *
when_arg(char *in, int utc, char *out, size_t len)
{
	struct datetime	 dt;
	struct tm	 tm;
	time_t		 t;

	/* Zoned dates and mistakes go as they are: the server reads them. */
	if (utc || !datetime_is_date(in) || datetime_parse(in, &dt) == -1 ||
	    dt.zoned)
		return (in);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = dt.year - 1900;
	tm.tm_mon = dt.mon - 1;
	tm.tm_mday = dt.day;
	tm.tm_hour = dt.hour;
	tm.tm_min = dt.min;
	tm.tm_sec = dt.sec;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		return (in);
	snprintf(out, len, "%lld", (long long)t);
	return (out);
}

static int
when_tm(long long t, int utc, struct tm *tm)
{
	time_t	 tt = (time_t)t;

	if ((long long)tt != t)
		return (-1);
	if ((utc ? gmtime_r(&tt, tm) : localtime_r(&tt, tm)) == NULL)
		return (-1);
	return (tm->tm_year + 1900 < 0 || tm->tm_year + 1900 > 9999 ? -1 : 0);
}

void
when_fmt(long long t, int utc, int date_only, char *buf, size_t len)
{
	struct tm	 tm;
	const char	*f;

	if (date_only)
		f = "%Y-%m-%d";
	else
		f = utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S";
	if (when_tm(t, utc, &tm) == -1 || strftime(buf, len, f, &tm) == 0)
		snprintf(buf, len, "%lld", t);
}

int
when_midnight(long long t, int utc)
{
	struct tm	 tm;

	return (when_tm(t, utc, &tm) == 0 && tm.tm_hour == 0 &&
	    tm.tm_min == 0 && tm.tm_sec == 0);
}

void
when_number(double v, char *buf, size_t len)
{
	char	*p;
	int	 digits = 2;

	if (!isfinite(v)) {
		snprintf(buf, len, "U");
		return;
	}
	if (fabs(v) >= 1e15 || v == floor(v)) {
		snprintf(buf, len, fabs(v) >= 1e15 ? "%.17g" : "%.0f", v);
		return;
	}
	/* Four significant digits below 1, two decimals above. */
	if (fabs(v) < 1)
		digits = 3 - (int)floor(log10(fabs(v)));
	snprintf(buf, len, "%.*f", digits, v);
	if (strchr(buf, '.') != NULL) {
		for (p = buf + strlen(buf) - 1; *p == '0'; p--)
			*p = '\0';
		if (*p == '.')
			*p = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, len, "0");
}
