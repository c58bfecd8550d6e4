/*
 * numfmt.c - shortest exact decimal text for doubles.
 *
 * Most values have few decimals (counts, money, percentages), so both
 * formatters first try "m with p decimals", m < 2^53: m and 10^p are exact
 * doubles and m / 10^p is one correctly rounded division, the double that
 * strtod makes of that text.  Other values go through printf, checked by
 * reading the text back.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

#define NUMFMT_2P53	9007199254740992.0

static const double numfmt_p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16 };

/* "m" with a point before its last dec digits, sign first; its length. */
static int
numfmt_digits(char *buf, int neg, unsigned long long m, int dec)
{
	char	 tmp[24];
	int	 n = 0, k = 0;

	do {
		tmp[n++] = '0' + m % 10;
		m /= 10;
	} while (m != 0 || n <= dec);
	if (neg)
		buf[k++] = '-';
	while (n > 0) {
		if (dec > 0 && n == dec)
			buf[k++] = '.';
		buf[k++] = tmp[--n];
	}
	buf[k] = '\0';
	return (k);
}

/*
 * The first of the decimals decs[0..n) with which |v| is m / 10^dec for an
 * integer m < 2^53, written into buf (NUMFMT_LEN); -1 if none.
 */
static int
numfmt_fixed(char *buf, double v, const int *decs, size_t n)
{
	double			 a = fabs(v), x;
	unsigned long long	 m;
	size_t			 i;

	for (i = 0; i < n; i++) {
		x = a * numfmt_p10[decs[i]];
		if (!(x < NUMFMT_2P53))
			return (-1);
		m = (unsigned long long)(x + 0.5);
		if ((double)m / numfmt_p10[decs[i]] == a)
			return (numfmt_digits(buf, v < 0, m, decs[i]));
	}
	return (-1);
}

int
numfmt_ulong(char *buf, unsigned long long n)
{
	return (numfmt_digits(buf, 0, n, 0));
}

int
numfmt_double(char *buf, size_t len, double v)
{
	static const int decs[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	    12, 13, 14, 15 };
	char		 tmp[NUMFMT_LEN];
	double		 a = fabs(v);
	int		 n, prec;

	if (!isfinite(v))
		return (snprintf(buf, len, "U"));
	/* Where "%.15g" writes no exponent, the fixed text is as short. */
	if (v != 0 && a >= 1e-4 && a < 1e15 && (n = numfmt_fixed(len >=
	    NUMFMT_LEN ? buf : tmp, v, decs, sizeof(decs) / sizeof(decs[0]))) >=
	    0)
		return (len >= NUMFMT_LEN ? n : snprintf(buf, len, "%s", tmp));
	for (prec = 15; prec < 17; prec++) {
		n = snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return (n);
	}
	return (snprintf(buf, len, "%.17g", v));
}

/*
 * librrd 1.7's rrd_strtod: the digits are summed in a double, then scaled
 * by 10^|exp| in binary steps, each rounding.  It is not correctly
 * rounded, so "%.17g" often does not read back as written.
 */
double
numfmt_rrd_strtod(const char *p)
{
	double	 num = 0, p10 = 10;
	int	 neg = 0, exp = 0, eneg = 0, e = 0, n;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; *p >= '0' && *p <= '9'; p++)
		num = num * 10 + (*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, exp--)
			num = num * 10 + (*p - '0');
	if (*p == 'e' || *p == 'E') {
		if (*++p == '-' || *p == '+')
			eneg = *p++ == '-';
		for (; *p >= '0' && *p <= '9' && e < 10000; p++)
			e = e * 10 + (*p - '0');
		exp += eneg ? -e : e;
	}
	if (neg)
		num = -num;
	for (n = exp < 0 ? -exp : exp; n != 0; n >>= 1, p10 *= p10) {
		if (n & 1)
			num = exp < 0 ? num / p10 : num * p10;
	}
	return (num);
}

/*
 * The usual values take "m with p decimals", p a power of two (one exact
 * scaling in librrd).  Values with more digits take the first of %.17g,
 * %.16g that librrd reads right, else %.17g (off by an ulp or so).
 */
int
numfmt_rrd(char *buf, size_t len, double v)
{
	static const int decs[] = { 0, 1, 2, 4, 8 };
	char		 tmp[NUMFMT_LEN];
	const char	*dot;
	int		 n, k, pad, prec;

	if ((n = numfmt_fixed(len >= NUMFMT_LEN ? buf : tmp, v, decs,
	    sizeof(decs) / sizeof(decs[0]))) >= 0)
		return (len >= NUMFMT_LEN ? n : snprintf(buf, len, "%s", tmp));
	if (v == floor(v) && fabs(v) < 1e15)
		return (snprintf(buf, len, "%.0f", v));
	n = snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) == v && strchr(buf, 'e') == NULL &&
	    (dot = strchr(buf, '.')) != NULL) {
		k = n - (int)(dot - buf) - 1;
		for (pad = 1; pad < k; pad *= 2)
			;
		if (pad <= 16 && fabs(v) * numfmt_p10[pad] < 1e15) {
			n = snprintf(buf, len, "%.*f", pad, v);
			if (numfmt_rrd_strtod(buf) == v)
				return (n);
		}
	}
	for (prec = 17; prec >= 16; prec--) {
		n = snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v && numfmt_rrd_strtod(buf) == v)
			return (n);
	}
	return (snprintf(buf, len, "%.17g", v));
}
