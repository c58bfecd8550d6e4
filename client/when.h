/*
 * when.h - times and numbers as tallyctl's user writes and reads them:
 * dates typed in the local time zone become epoch seconds for the
 * server; times come back as local dates, numbers as plain decimals.
 * Pure functions but for the time zone (TZ).
 */
#ifndef TALLYCTL_WHEN_H
#define TALLYCTL_WHEN_H
#include <stddef.h>

#define WHEN_ARG_MAX	32	/* what when_arg writes, NUL included */

/*
 * A time argument as the user wrote it, for the server: a date without
 * an offset ("2021", "2021-06", "2021-06-30", "30/06/2021", with a clock
 * "2021-06-30 14:00") read in the local time zone and written as epoch
 * seconds in out; anything else (epoch seconds, now, -1h, an offset or
 * Z, a mistake the server will name) as it is.  With utc, always as it
 * is: the server reads dates as UTC.  Returns out or in.
 */
char	*when_arg(char *in, int utc, char *out, size_t len);
/*
 * t as "2021-06-30 14:00:00" local time, or "2021-06-30T07:00:00Z" with
 * utc; "2021-06-30" alone if date_only.  Out of range: the number.
 */
void	when_fmt(long long t, int utc, int date_only, char *buf,
	    size_t len);
/* Whether t is at local (or UTC) midnight. */
int	when_midnight(long long t, int utc);
/*
 * v as a person reads it: integers in full ("1364000000"), others to
 * two decimals or four significant digits ("-12.94", "0.006812"),
 * without trailing zeros; never an exponent below 1e15.
 */
void	when_number(double v, char *buf, size_t len);
#endif
