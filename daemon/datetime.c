/*
 * datetime.c - dates, clocks, zones and spans as people write them,
 * taken apart by hand (no strptime: its forms depend on the locale and
 * it accepts more than we document).  Shared by the daemon's protocol
 * parser and tallyctl, so the two read a date the same way and differ
 * only in the zone they assume when none is written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datetime.h"

/* Exactly n digits at s; their value, or -1. */
static int
datetime_fixed(const char *s, int n)
{
	int	 i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	return (v);
}

static int
datetime_mdays(int year, int mon)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (mon == 2 && ((year % 4 == 0 && year % 100 != 0) ||
	    year % 400 == 0))
		return (29);
	return (days[mon - 1]);
}

/* "HH:MM[:SS]" and a zone "Z" or "+HH:MM", or none. */
static int
datetime_clock(const char *p, struct datetime *dt)
{
	int	 oh, om;

	if ((dt->hour = datetime_fixed(p, 2)) < 0 || p[2] != ':' ||
	    (dt->min = datetime_fixed(p + 3, 2)) < 0)
		return (-1);
	p += 5;
	if (*p == ':') {
		if ((dt->sec = datetime_fixed(p + 1, 2)) < 0)
			return (-1);
		p += 3;
	}
	if (dt->hour > 23 || dt->min > 59 || dt->sec > 59)
		return (-1);
	if (*p == '\0')
		return (0);
	dt->zoned = 1;
	if (*p == 'Z')
		return (p[1] == '\0' ? 0 : -1);
	if ((*p != '+' && *p != '-') || (oh = datetime_fixed(p + 1, 2)) < 0 ||
	    p[3] != ':' || (om = datetime_fixed(p + 4, 2)) < 0 ||
	    p[6] != '\0' || oh > 23 || om > 59)
		return (-1);
	dt->off = (oh * 3600L + om * 60L) * (*p == '-' ? -1 : 1);
	return (0);
}

int
datetime_is_date(const char *s)
{
	size_t	 n = strspn(s, "0123456789");

	return (n == 4 ? s[4] == '\0' || s[4] == '-' : n == 2 && s[2] == '/');
}

int
datetime_parse(const char *s, struct datetime *dt)
{
	const char	*rest;

	memset(dt, 0, sizeof(*dt));
	dt->mon = dt->day = 1;
	if (s[0] != '0' && (dt->year = datetime_fixed(s, 4)) >= 0) {
		rest = s + 4;
		if (*rest == '-') {
			if ((dt->mon = datetime_fixed(s + 5, 2)) < 0)
				return (-1);
			rest = s + 7;
		}
		if (*rest == '-' && rest - s == 7) {
			if ((dt->day = datetime_fixed(s + 8, 2)) < 0)
				return (-1);
			rest = s + 10;
		}
	} else if ((dt->day = datetime_fixed(s, 2)) >= 0 && s[2] == '/' &&
	    (dt->mon = datetime_fixed(s + 3, 2)) >= 0 && s[5] == '/' &&
	    (dt->year = datetime_fixed(s + 6, 4)) >= 0)
		rest = s + 10;
	else
		return (-1);
	if (dt->year < 1970 || dt->year > 2199 || dt->mon < 1 ||
	    dt->mon > 12 || dt->day < 1 ||
	    dt->day > datetime_mdays(dt->year, dt->mon))
		return (-1);
	if ((*rest == 'T' || *rest == ' ') && rest - s == 10)
		return (datetime_clock(rest + 1, dt));
	return (*rest == '\0' ? 0 : -1);
}

long long
datetime_utc(const struct datetime *dt)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = dt->year - 1900;
	tm.tm_mon = dt->mon - 1;
	tm.tm_mday = dt->day;
	tm.tm_hour = dt->hour;
	tm.tm_min = dt->min;
	tm.tm_sec = dt->sec;
	/* A checked day of 1970..2199: timegm cannot fail. */
	return ((long long)timegm(&tm) - dt->off);
}

int
datetime_digits(const char *s, const char **end, long long max,
    long long *out)
{
	char		*ep;
	long long	 v;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	v = strtoll(s, &ep, 10);
	if (errno == ERANGE || v > max)
		return (-1);
	*end = ep;
	*out = v;
	return (0);
}

/* Seconds in one unit of s m h d w y; 0 for anything else. */
static long long
datetime_unit(char c)
{
	switch (c) {
	case 's':
		return (1);
	case 'm':
		return (60);
	case 'h':
		return (3600);
	case 'd':
		return (86400);
	case 'w':
		return (7 * 86400);
	case 'y':
		return (365 * 86400);
	}
	return (0);
}

int
datetime_span(const char *s, long long max, long long *out)
{
	const char	*end;
	long long	 v, unit = 1;

	if (datetime_digits(s, &end, max, &v) == -1)
		return (-1);
	if (*end != '\0') {
		if ((unit = datetime_unit(*end)) == 0 || end[1] != '\0')
			return (-1);
	}
	if (v > max / unit)
		return (-1);
	*out = v * unit;
	return (0);
}
