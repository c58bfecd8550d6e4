/*
 * test_numfmt.c - numbers as text: fixed cases, then random doubles read
 * back by glibc's strtod and by librrd's own parser (the real one, which
 * rrd_update uses), and numfmt's model of that parser against it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"
#include "tap.h"

/* librrd 1.7 exports its parser; rrd.h does not declare it. */
double	rrd_strtod(const char *, char **);

static uint64_t	rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (rng);
}

/* A finite double from random bits. */
static double
random_double(void)
{
	uint64_t	 u;
	double		 d;

	do {
		u = next();
		memcpy(&d, &u, sizeof(d));
	} while (!isfinite(d));
	return (d);
}

static void
fixed(void)
{
	static const struct {
		double		 v;
		const char	*want;
	} t[] = {
		{ 0, "0" }, { 1, "1" }, { -1, "-1" }, { 42, "42" },
		{ 0.1, "0.1" }, { 1.5, "1.5" }, { -2.25, "-2.25" },
		{ 0.0001, "0.0001" }, { 0.00001, "1e-05" },
		{ 1e15, "1e+15" }, { 123456789012345, "123456789012345" },
		{ 1e300, "1e+300" }, { 0.30000000000000004,
		  "0.30000000000000004" }, { 1.0 / 3, "0.3333333333333333" },
		{ 4229000000.0, "4229000000" },
	};
	char	 buf[NUMFMT_LEN];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		numfmt_double(buf, sizeof(buf), t[i].v);
		ok(strcmp(buf, t[i].want) == 0, "%s (got %s)", t[i].want, buf);
	}
	numfmt_double(buf, sizeof(buf), NAN);
	is_str(buf, "U", "NaN is U");
	numfmt_double(buf, sizeof(buf), -INFINITY);
	is_str(buf, "U", "-Inf is U");
	numfmt_rrd(buf, sizeof(buf), 1.234);
	is_str(buf, "1.2340", "rrd: 3 decimals padded to 4");
	numfmt_rrd(buf, sizeof(buf), 0.1);
	is_str(buf, "0.1", "rrd: 0.1");
	numfmt_rrd(buf, sizeof(buf), -7);
	is_str(buf, "-7", "rrd: -7");
	numfmt_ulong(buf, 1700000000ULL);
	is_str(buf, "1700000000", "ulong");
	numfmt_ulong(buf, 0);
	is_str(buf, "0", "ulong 0");
}

/* Every text reads back; none is longer than the printf that does. */
static void
random_double_text(void)
{
	char	 buf[NUMFMT_LEN], p[40];
	double	 v;
	int	 i, prec, bad = 0, longer = 0, n;

	for (i = 0; i < 200000; i++) {
		v = i % 2 ? random_double() :
		    (double)(int64_t)(next() % 100000000000ULL) /
		    pow(10, (double)(next() % 12)) * (next() % 2 ? 1 : -1);
		n = numfmt_double(buf, sizeof(buf), v);
		if (strtod(buf, NULL) != v)
			bad++;
		for (prec = 1; prec <= 17; prec++) {
			snprintf(p, sizeof(p), "%.*g", prec, v);
			if (strtod(p, NULL) == v)
				break;
		}
		if (n > (int)strlen(p))
			longer++;
	}
	is_int(bad, 0, "200000 doubles: numfmt_double reads back exactly");
	is_int(longer, 0, "never longer than the shortest %.Ng that does");
}

/*
 * The digit writer, against texts made by hand: whole numbers (printf's
 * %llu) and m / 10^p, m not ending in 0, written as m with a point.
 */
static void
random_digits(void)
{
	static const unsigned long long edge[] = { 0, 9, 10, 99, 100, 101,
	    999, 1000, 9999999999ULL, 10000000000ULL, 18446744073709551615ULL };
	char			 buf[NUMFMT_LEN], want[64], d[32];
	unsigned long long	 m;
	size_t			 i;
	int			 p, n, bad = 0, badu = 0, neg;

	for (i = 0; i < 200000; i++) {
		m = i < sizeof(edge) / sizeof(edge[0]) ? edge[i] :
		    next() >> (next() % 64);
		snprintf(want, sizeof(want), "%llu", m);
		if (numfmt_ulong(buf, m) != (int)strlen(want) ||
		    strcmp(buf, want) != 0)
			badu++;

		m = 1 + next() % 999999999ULL;
		if (m % 10 == 0)
			m++;
		p = 1 + (int)(next() % 6);
		neg = (int)(next() % 2);
		n = snprintf(d, sizeof(d), "%0*llu", p + 1, m);
		snprintf(want, sizeof(want), "%s%.*s.%s", neg ? "-" : "",
		    n - p, d, d + n - p);
		n = numfmt_double(buf, sizeof(buf), (neg ? -1.0 : 1.0) *
		    ((double)m / pow(10, p)));
		if (n != (int)strlen(want) || strcmp(buf, want) != 0) {
			if (bad++ < 5)
				printf("# %s: got %s\n", want, buf);
		}
	}
	is_int(badu, 0, "200000 whole numbers: as %llu");
	is_int(bad, 0, "200000 m / 10^p: m with a point, and its length");
}

/* What rrd_update would store: librrd's real parser on numfmt_rrd. */
static void
random_rrd_text(void)
{
	char	 buf[NUMFMT_LEN];
	double	 v, got;
	int	 i, off = 0, far = 0, model = 0, usual = 0, libc = 0;

	for (i = 0; i < 200000; i++) {
		if (i % 2)	/* any mantissa, 1e-12 to 1e18 */
			v = ldexp(1 + (double)(next() >> 11) /
			    9007199254740992.0, (int)(next() % 100) - 40) *
			    (next() % 2 ? 1 : -1);
		else
			v = (double)(int64_t)(next() % 10000000000000ULL) /
			    pow(10, (double)(next() % 9)) *
			    (next() % 2 ? 1 : -1);
		numfmt_rrd(buf, sizeof(buf), v);
		got = rrd_strtod(buf, NULL);
		if (got != numfmt_rrd_strtod(buf))
			model++;
		if (strtod(buf, NULL) != v)
			libc++;
		if (got == v)
			continue;
		off++;
		if (i % 2 == 0)
			usual++;
		if (fabs(got - v) > fabs(v) * 4.5e-16)
			far++;
	}
	is_int(model, 0, "numfmt_rrd_strtod parses as librrd's rrd_strtod");
	is_int(libc, 0, "every rrd text reads back in strtod");
	is_int(usual, 0, "values of up to 8 decimals: librrd reads them "
	    "back exactly");
	is_int(far, 0, "others: librrd is off by two ulps at most");
	printf("# %d of 100000 doubles of any mantissa off in librrd\n",
	    off);
}

/* Numbers for people: vi-VN and English, never an exponent. */
static void
people(void)
{
	static const struct {
		double		 v;
		int		 lang, flags;
		const char	*want;
	} t[] = {
		{ 1.55e9, NUMFMT_VI, 0, "1,55 tỷ" },
		{ 1364000000, NUMFMT_VI, 0, "1,364 tỷ" },
		{ 1.48e9, NUMFMT_EN, 0, "1.48 billion" },
		{ 4.7297, NUMFMT_VI, NUMFMT_SIGN | NUMFMT_PCT, "+4,73 %" },
		{ 4.7297, NUMFMT_EN, NUMFMT_SIGN | NUMFMT_PCT, "+4.73%" },
		{ -12, NUMFMT_VI, NUMFMT_SIGN | NUMFMT_PCT, "-12 %" },
		{ -11.613419855943178, NUMFMT_VI, NUMFMT_PCT, "-11,61 %" },
		{ 565874, NUMFMT_VI, 0, "565.874" },
		{ 565874, NUMFMT_EN, 0, "565,874" },
		{ 0.68, NUMFMT_VI, NUMFMT_PCT, "0,68 %" },
		{ 0.0068123, NUMFMT_VI, 0, "0,006812" },
		{ 12500000, NUMFMT_VI, 0, "12,5 triệu" },
		{ 0, NUMFMT_VI, NUMFMT_SIGN, "0" },
		{ -0.001, NUMFMT_VI, 0, "-0,001" },
		{ 999.999, NUMFMT_VI, 0, "1.000" },
		{ 1234.5, NUMFMT_VI, 0, "1.234,5" },
		{ 2e30, NUMFMT_VI, 0, "2e+30" },
		{ NAN, NUMFMT_VI, 0, "?" },
	};
	char	 buf[NUMFMT_PEOPLE_LEN];
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		numfmt_people(buf, t[i].v, t[i].lang, t[i].flags);
		ok(strcmp(buf, t[i].want) == 0, "people: %.17g is \"%s\" "
		    "(got \"%s\")", t[i].v, t[i].want, buf);
	}
}

/*
 * printf's own text where numfmt_double makes it without printf: the
 * first of "%.15g", "%.16g", "%.17g" that strtod reads back, for doubles
 * of every magnitude and the long fractions rates and averages give.
 */
static void
same_as_printf(void)
{
	static const double div[] = { 3, 7, 60, 240, 3600, 86400, 1e3 / 7 };
	char	 buf[NUMFMT_LEN], want[40];
	double	 v;
	int	 i, prec, bad = 0;

	for (i = 0; i < 1000000; i++) {
		switch (i % 4) {
		case 0:
			v = random_double();
			break;
		case 1:		/* rates and averages: long fractions */
			v = (double)(int64_t)(next() % 100000000ULL) /
			    div[next() % (sizeof(div) / sizeof(div[0]))];
			break;
		case 2:		/* any mantissa, 1e-30 to 1e30 */
			v = ldexp(1 + (double)(next() >> 11) /
			    9007199254740992.0, (int)(next() % 200) - 100);
			break;
		default:	/* near powers of ten and ties */
			v = pow(10, (double)(int)(next() % 60) - 30) *
			    (1 + ((double)(int64_t)(next() % 2000) - 1000) *
			    1e-16);
			break;
		}
		if (next() % 2)
			v = -v;
		for (prec = 15; prec <= 17; prec++) {
			snprintf(want, sizeof(want), "%.*g", prec, v);
			if (strtod(want, NULL) == v)
				break;
		}
		numfmt_double(buf, sizeof(buf), v);
		if (strcmp(buf, want) != 0 && bad++ < 5)
			printf("# %.17g: printf %s, numfmt %s\n", v, want, buf);
	}
	is_int(bad, 0, "1000000 doubles: the text printf and strtod give");
}

int
main(void)
{
	people();
	fixed();
	random_double_text();
	same_as_printf();
	random_digits();
	random_rrd_text();
	return (tap_done());
}
