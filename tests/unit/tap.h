/*
 * tap.h - a tiny TAP producer for unit tests (automake's tap-driver counts
 * each "ok"/"not ok" line).  Header-only so each test links just the core.
 */
#ifndef TALLY_TAP_H
#define TALLY_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int	tap_n, tap_failed;

static void __attribute__((format(printf, 2, 3), unused))
tap_ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

#define ok(cond, ...)	tap_ok(!!(cond), __VA_ARGS__)
#define is_int(got, want, name) do {					\
	long long _g = (long long)(got), _w = (long long)(want);	\
	tap_ok(_g == _w, "%s", name);					\
	if (_g != _w)							\
		printf("#   got %lld, want %lld\n", _g, _w);		\
} while (0)
#define is_str(got, want, name) do {					\
	const char *_g = (got), *_w = (want);				\
	int _eq = (_g == NULL && _w == NULL) ||				\
	    (_g != NULL && _w != NULL && strcmp(_g, _w) == 0);		\
	tap_ok(_eq, "%s", name);					\
	if (!_eq)							\
		printf("#   got \"%s\", want \"%s\"\n",		\
		    _g ? _g : "(null)", _w ? _w : "(null)");		\
} while (0)

/* Print the plan last ("1..N"), which TAP allows; exit status = failures. */
static int __attribute__((unused))
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return (tap_failed != 0);
}

#endif
