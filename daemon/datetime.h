/*
 * datetime.h - the times people write, taken apart: the date forms of
 * the protocol ("2021", "2021-07", "2021-07-31", "31/07/2021", with a
 * clock "2021-07-31T14:00[:SS]" or "2021-07-31 14:00", and a zone "Z"
 * or "+07:00"), spans ("90", "5m", "-7d" without the sign), plain
 * decimal digits.  Pure: no clock, no time zone, no allocation.  The
 * daemon reads dates as UTC (proto.c), tallyctl as local time
 * (client/when.c); both take them apart here.
 */
#ifndef TALLY_DATETIME_H
#define TALLY_DATETIME_H

#define DATETIME_MAX	7258118400LL	/* 2200-01-01T00:00:00Z */

struct datetime {
	int	 year, mon, day;	/* a real calendar day, 1970..2199 */
	int	 hour, min, sec;	/* 0 when no clock was written */
	int	 zoned;			/* "Z" or an offset was written */
	long	 off;			/* the offset, seconds east of UTC */
};

/*
 * Whether s is written as a date rather than epoch seconds: four digits
 * alone or before "-", or two digits before "/".  A 4-digit number is a
 * year, not seconds.
 */
int	datetime_is_date(const char *s);
/* One of the date forms above, all of s; -1 if not, or no such day. */
int	datetime_parse(const char *s, struct datetime *dt);
/* dt as epoch seconds, its clock read as UTC less its offset. */
long long datetime_utc(const struct datetime *dt);
/* Leading decimal digits of s (no sign) up to max; -1 if none or more. */
int	datetime_digits(const char *s, const char **end, long long max,
	    long long *out);
/* "N[unit]", unit one of s m h d w y (=365d), as seconds up to max. */
int	datetime_span(const char *s, long long max, long long *out);
#endif
