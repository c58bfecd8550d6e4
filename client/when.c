/*
 * when.c - times in the local time zone and plain numbers for tallyctl.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "when.h"

/* Exactly n digits at s; their value, or -1. */
static int
when_fixed(const char *s, int n)
{
	int	 i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	return (v);
}

/* "HH:MM[:SS]" and nothing after; -1 otherwise (an offset, Z, junk). */
static int
when_clock(const char *p, struct tm *tm)
{
	if ((tm->tm_hour = when_fixed(p, 2)) < 0 || p[2] != ':' ||
	    (tm->tm_min = when_fixed(p + 3, 2)) < 0)
		return (-1);
	p += 5;
	if (*p == ':') {
		if ((tm->tm_sec = when_fixed(p + 1, 2)) < 0)
			return (-1);
		p += 3;
	}
	return (*p == '\0' && tm->tm_hour < 24 && tm->tm_min < 60 &&
	    tm->tm_sec < 60 ? 0 : -1);
}

/* The date forms of the protocol, without an offset, into tm; or -1. */
static int
when_parse(const char *s, struct tm *tm)
{
	const char	*rest;
	int		 y, m = 1, d = 1;

	if (s[0] != '0' && (y = when_fixed(s, 4)) >= 0) {
		rest = s + 4;
		if (*rest == '-') {
			if ((m = when_fixed(s + 5, 2)) < 0)
				return (-1);
			rest = s + 7;
		}
		if (*rest == '-' && rest - s == 7) {
			if ((d = when_fixed(s + 8, 2)) < 0)
				return (-1);
			rest = s + 10;
		}
	} else if ((d = when_fixed(s, 2)) >= 0 && s[2] == '/' &&
	    (m = when_fixed(s + 3, 2)) >= 0 && s[5] == '/' &&
	    (y = when_fixed(s + 6, 4)) >= 0)
		rest = s + 10;
	else
		return (-1);
	if (y < 1970 || y > 2199 || m < 1 || m > 12 || d < 1 || d > 31)
		return (-1);
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = m - 1;
	tm->tm_mday = d;
	tm->tm_isdst = -1;
	if ((*rest == 'T' || *rest == ' ') && rest - s == 10)
		return (when_clock(rest + 1, tm));
	return (*rest == '\0' ? 0 : -1);
}

char *
when_arg(char *in, int utc, char *out, size_t len)
{
	struct tm	 tm, back;
	time_t		 t;

	if (utc || strspn(in, "0123456789") > 4 || when_parse(in, &tm) == -1)
		return (in);
	back = tm;
	if ((t = mktime(&tm)) == (time_t)-1)
		return (in);
	/* mktime moves 31/02 to March: leave it for the server to refuse. */
	if (tm.tm_mday != back.tm_mday || tm.tm_mon != back.tm_mon)
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
