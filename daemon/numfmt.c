/*
 * numfmt.c - shortest exact decimal text for doubles.
 *
 * Most values have few decimals (counts, money, percentages), so both
 * formatters first try "m with p decimals", m below 2^50 (numfmt_double)
 * or 2^53 (numfmt_rrd): m and 10^p are exact doubles and m / 10^p is one
 * correctly rounded division, the double that strtod makes of that text;
 * up to four decimals that is one multiply and one division (FETCH's
 * rows, on a small path of their own).  numfmt_double's other values (rates,
 * averages: 16 or 17 digits) get printf's "%.15g" / "%.16g" / "%.17g" text
 * made from a long double scaling, and its reading back decided by a
 * long double division that is exact but for one case, told apart (a
 * quarter of the cost of printf and strtod); where that cannot be known,
 * and where a long double has no 64-bit mantissa, printf and strtod
 * themselves.  test_numfmt checks the texts against printf's.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"

/*
 * The largest m: m and 10^dec are exact below 2^53.  Below 2^50, x = |v| *
 * 10^dec is within 1/16 of the exact product, so an m that passes is its
 * nearest integer, printf's digits; up to 2^53 an m one off may pass too
 * (it reads back as well, but is not the closest text).
 */
#define NUMFMT_2P50	1125899906842624.0
#define NUMFMT_2P53	9007199254740992.0

static const double numfmt_p10[] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16 };
#if LDBL_MANT_DIG >= 64 && FLT_EVAL_METHOD == 0
/*
 * 10^0 .. 10^27, each exact in 64 bits of mantissa (5^27 < 2^63).  Only
 * where doubles are evaluated as doubles (x86-64, not i387's excess
 * precision), or the check of a double against a long double would lie.
 */
static const long double numfmt_p10l[] = { 1e0L, 1e1L, 1e2L, 1e3L, 1e4L,
	1e5L, 1e6L, 1e7L, 1e8L, 1e9L, 1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L,
	1e16L, 1e17L, 1e18L, 1e19L, 1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L,
	1e26L, 1e27L };
#endif

/* 10^0 .. 10^19: the digit counts of an unsigned long long. */
static const unsigned long long numfmt_u10[] = { 1ULL, 10ULL, 100ULL,
	1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL, 100000000ULL,
	1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
	10000000000000ULL, 100000000000000ULL, 1000000000000000ULL,
	10000000000000000ULL, 100000000000000000ULL, 1000000000000000000ULL,
	10000000000000000000ULL };

const char numfmt_pairs[200] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

/*
 * n's digits at p, no terminator; their count.  Small numbers first (a
 * FETCH row's figure, a time's low digits): a compare or two, a copy.
 * The digits are written in place, from the end: copying them from a
 * scratch buffer in one wide load stalls on the narrow stores before it
 * (no store forwarding), which was 40% of a FETCH row's number.
 * Inlined: called out of line, FETCH's rows took 15% longer.
 */
static inline int __attribute__((always_inline))
numfmt_whole(char *p, unsigned long long n)
{
	char	*q;
	int	 nd;

	if (n < 10) {
		p[0] = (char)('0' + n);
		return (1);
	}
	if (n < 100) {
		memcpy(p, numfmt_pairs + n * 2, 2);
		return (2);
	}
	for (nd = 3; nd < 20 && n >= numfmt_u10[nd]; nd++)
		;
	q = p + nd;
	while (n >= 100) {
		q -= 2;
		memcpy(q, numfmt_pairs + (n % 100) * 2, 2);
		n /= 100;
	}
	if (n >= 10)
		memcpy(q - 2, numfmt_pairs + n * 2, 2);
	else
		q[-1] = (char)('0' + n);
	return (nd);
}

/*
 * "m" with a point before its last dec digits, sign first, NUL
 * terminated; its length.  buf holds NUMFMT_LEN bytes.
 */
static int
numfmt_digits(char *buf, int neg, unsigned long long m, int dec)
{
	unsigned long long	 fp;
	char			*p = buf;
	int			 i;

	if (neg)
		*p++ = '-';
	if (dec == 0) {
		p += numfmt_whole(p, m);
		*p = '\0';
		return ((int)(p - buf));
	}
	fp = m % numfmt_u10[dec];
	p += numfmt_whole(p, m / numfmt_u10[dec]);
	*p++ = '.';
	for (i = dec; i > 0; i--) {
		p[i - 1] = (char)('0' + fp % 10);
		fp /= 10;
	}
	p[dec] = '\0';
	return ((int)(p + dec - buf));
}

/*
 * m / 10^4 with its point, trailing zeros dropped, sign first, NUL
 * terminated; its length.  buf holds NUMFMT_LEN bytes.
 */
static int
numfmt_fix4(char *buf, int neg, unsigned long long m)
{
	unsigned long long	 ip = m / 10000;
	unsigned		 fp = (unsigned)(m % 10000);
	char			*p = buf;

	if (neg)
		*p++ = '-';
	p += numfmt_whole(p, ip);
	if (fp != 0) {
		*p++ = '.';
		memcpy(p, numfmt_pairs + (fp / 100) * 2, 2);
		memcpy(p + 2, numfmt_pairs + (fp % 100) * 2, 2);
		p += 4;
		while (p[-1] == '0')
			p--;
	}
	*p = '\0';
	return ((int)(p - buf));
}

/*
 * The first of the decimals decs[0..n) with which |v| is m / 10^dec for an
 * integer m < mmax, written into buf (NUMFMT_LEN); -1 if none.
 */
static int
numfmt_fixed(char *buf, double v, const int *decs, size_t n, double mmax)
{
	double			 a = fabs(v), x;
	unsigned long long	 m;
	size_t			 i;

	for (i = 0; i < n; i++) {
		x = a * numfmt_p10[decs[i]];
		if (!(x < mmax))
			return (-1);
		m = (unsigned long long)(x + 0.5);
		/*
		 * m / 10^dec can be a only if x is within a few ulps of m: a
		 * multiply spares the division for most decimals tried.
		 */
		if (fabs(x - (double)m) > x * 1e-15)
			continue;
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

#if LDBL_MANT_DIG >= 64 && FLT_EVAL_METHOD == 0
/*
 * The double nearest m * 10^q, q in [-27, 27] (10^|q| is exact in a long
 * double of 64 bits or more, m < 2^64 too), in *out: 0, or -1 if it
 * cannot be told this way.  The long double quotient or product is one
 * rounding; rounding that again to a double gives the nearest double to
 * the exact value unless the first landed exactly halfway between two
 * doubles, the one case where rounding twice differs from once.
 */
static int
numfmt_nearest(unsigned long long m, int q, double *out)
{
	long double	 x, lo, hi;
	double		 d;

	x = q >= 0 ? (long double)m * numfmt_p10l[q] :
	    (long double)m / numfmt_p10l[-q];
	d = (double)x;
	if ((long double)d != x) {
		lo = (long double)(x < d ? nextafter(d, 0) : d);
		hi = (long double)(x < d ? d : nextafter(d, INFINITY));
		if (x == lo + (hi - lo) / 2)
			return (-1);
	}
	*out = d;
	return (0);
}

/*
 * What printf's "%.*g" writes for v with prec digits, when it can be
 * known without printf, and whether strtod reads that back as v: 1 if so
 * (the text in buf, its length in *n), 0 if not (buf untouched), -1 if
 * neither is known this way (a digit too close to a rounding tie, an
 * exponent out of range).  v > 0, finite; *e10 is floor(log10(v)) when
 * known, else INT_MIN, and is set for the next call.
 */
static int
numfmt_g(char *buf, double v, int prec, int *e10, int *n)
{
	long double	 s, fl, frac;
	unsigned long long m, p10 = numfmt_u10[prec - 1];
	double		 back;
	char		 d[24], *o = buf;
	int		 e, k, nd, i, dec;

	e = *e10 != INT_MIN ? *e10 : (int)floor(log10(v));
	for (i = 0; i < 2; i++) {
		k = prec - 1 - e;
		if (k < -27 || k > 27)
			return (-1);
		s = k >= 0 ? (long double)v * numfmt_p10l[k] :
		    (long double)v / numfmt_p10l[-k];
		/* log10 may be one off near a power of ten */
		if (s >= (long double)p10 * 10)
			e++;
		else if (s < (long double)p10)
			e--;
		else
			break;
	}
	if (i == 2)
		return (-1);
	*e10 = e;		/* the next precision's start */
	/*
	 * s is v * 10^k rounded once: within s * 2^-64 of it (under 0.006 at
	 * 10^17), so the digits are printf's unless that close to a tie.
	 */
	fl = floorl(s);
	frac = s - fl;
	if (fabsl(frac - 0.5L) <= s * 0x1p-63L)
		return (-1);
	m = (unsigned long long)fl + (frac > 0.5L);
	if (m == p10 * 10) {		/* 9.99.. rounded up to 10.0.. */
		m = p10;
		e++;
		k--;
	}
	if (k < -27 || k > 27 || numfmt_nearest(m, -k, &back) == -1)
		return (-1);
	if (back != v)
		return (0);
	/* The digits, then printf's %g layout, trailing zeros dropped. */
	for (nd = prec; nd > 0; nd--) {
		d[nd - 1] = (char)('0' + m % 10);
		m /= 10;
	}
	for (nd = prec; nd > 1 && d[nd - 1] == '0'; nd--)
		;
	if (e >= -4 && e < prec) {
		if (e < 0) {
			*o++ = '0';
			*o++ = '.';
			for (i = 0; i < -e - 1; i++)
				*o++ = '0';
			memcpy(o, d, (size_t)nd);
			o += nd;
		} else {
			dec = nd - 1 - e;
			for (i = 0; i <= e; i++)
				*o++ = i < nd ? d[i] : '0';
			if (dec > 0) {
				*o++ = '.';
				memcpy(o, d + e + 1, (size_t)dec);
				o += dec;
			}
		}
	} else {
		*o++ = d[0];
		if (nd > 1) {
			*o++ = '.';
			memcpy(o, d + 1, (size_t)nd - 1);
			o += nd - 1;
		}
		*o++ = 'e';
		*o++ = e < 0 ? '-' : '+';
		k = e < 0 ? -e : e;
		if (k >= 100)
			*o++ = (char)('0' + k / 100);
		*o++ = (char)('0' + k / 10 % 10);
		*o++ = (char)('0' + k % 10);
	}
	*o = '\0';
	*n = (int)(o - buf);
	return (1);
}
#endif

/* numfmt_double's other values; decimals from "from" on are tried. */
static int __attribute__((noinline))
numfmt_double_long(char *buf, size_t len, double v, size_t from)
{
	static const int decs[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
	    12, 13, 14, 15 };
	char			 tmp[NUMFMT_LEN];
	double			 a = fabs(v);
	int			 n, prec;

	/* Where "%.15g" writes no exponent, the fixed text is as short. */
	if (v != 0 && a >= 1e-4 && a < 1e15 && (n = numfmt_fixed(len >=
	    NUMFMT_LEN ? buf : tmp, v, decs + from, sizeof(decs) /
	    sizeof(decs[0]) - from, NUMFMT_2P50)) >= 0)
		return (len >= NUMFMT_LEN ? n : snprintf(buf, len, "%s", tmp));
#if LDBL_MANT_DIG >= 64 && FLT_EVAL_METHOD == 0
	/*
	 * printf's text for 15, 16 or 17 digits, and strtod's reading of it,
	 * without either: the double-rounding check above says when they
	 * can be known exactly (nearly always), else printf below.
	 */
	if (len >= NUMFMT_LEN && v != 0) {
		int	 neg = v < 0, e10 = INT_MIN, r = 0;

		/* 17 digits always read back: r is 1 by then */
		for (prec = 15; prec <= 17 && r == 0; prec++)
			r = numfmt_g(buf + neg, a, prec, &e10, &n);
		if (r == 1) {
			if (neg)
				buf[0] = '-';
			return (n + neg);
		}
	}
#endif
	for (prec = 15; prec < 17; prec++) {
		n = snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return (n);
	}
	return (snprintf(buf, len, "%.17g", v));
}

int
numfmt_double(char *buf, size_t len, double v)
{
	double			 a = fabs(v), x;
	unsigned long long	 m;

	if (!isfinite(v) || (v == 0 && !signbit(v))) {
		if (len < 2)	/* no printf for FETCH's many such rows */
			return (snprintf(buf, len, "%s", isfinite(v) ? "0" :
			    "U"));
		buf[0] = isfinite(v) ? '0' : 'U';
		buf[1] = '\0';
		return (1);
	}
	/*
	 * At most four decimals (most figures): m / 10^4, one multiply and
	 * one division, written with m's zeros dropped, which is what the
	 * first decimals that fit would give (m / 10^4 is m / 10 / 10^3
	 * exactly).  The rest is numfmt_double_long's, out of line so that
	 * this path stays small.
	 */
	if (len >= NUMFMT_LEN && a >= 1e-4 && a < 1e11) {
		x = a * 1e4;
		m = (unsigned long long)(x + 0.5);
		if (fabs(x - (double)m) <= x * 1e-15 && (double)m / 1e4 == a)
			return (numfmt_fix4(buf, v < 0, m));
		return (numfmt_double_long(buf, len, v, 5));
	}
	return (numfmt_double_long(buf, len, v, 0));
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
	    sizeof(decs) / sizeof(decs[0]), NUMFMT_2P53)) >= 0)
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

/* digits of a whole number, grouped by three with sep. */
static void
numfmt_group(char *buf, size_t len, unsigned long long n, char sep)
{
	char	 d[NUMFMT_LEN];
	size_t	 i, k = 0, nd = (size_t)numfmt_ulong(d, n);

	for (i = 0; i < nd && k + 2 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0)
			buf[k++] = sep;
		buf[k++] = d[i];
	}
	buf[k] = '\0';
}

char *
numfmt_people(char *buf, double v, int lang, int flags)
{
	static const char *const words[2][2] = {
		{ " triệu", " tỷ" }, { " million", " billion" } };
	char		 whole[NUMFMT_LEN], frac[NUMFMT_LEN];
	const char	*word = "", *sign = "";
	double		 a = fabs(v), ip;
	int		 dec = 2, i;

	if (!isfinite(v) || a >= 1e27) {
		if (!isfinite(v))
			snprintf(buf, NUMFMT_PEOPLE_LEN, "?");
		else
			numfmt_double(buf, NUMFMT_PEOPLE_LEN, v);
		return (buf);
	}
	if (a >= 1e6) {
		word = words[lang == NUMFMT_EN][a >= 1e9];
		a /= a >= 1e9 ? 1e9 : 1e6;
		dec = 3;
	} else if (a < 1 && a > 0)
		dec = 3 - (int)floor(log10(a));
	if (dec > 12)
		dec = 12;
	/* Round once, then split: 0.999 at two decimals is 1. */
	a = round(a * pow(10, dec)) / pow(10, dec);
	ip = floor(a);
	snprintf(frac, sizeof(frac), "%.*f", dec, a - ip);
	if (frac[0] == '1')	/* a - ip rounded up to 1 */
		ip += 1, snprintf(frac, sizeof(frac), "0");
	for (i = (int)strlen(frac) - 1; i > 0 && (frac[i] == '0' ||
	    frac[i] == '.'); i--)
		frac[i] = '\0';
	numfmt_group(whole, sizeof(whole), (unsigned long long)ip,
	    lang == NUMFMT_EN ? ',' : '.');
	if (v < 0 && (ip > 0 || strlen(frac) > 1))
		sign = "-";
	else if (v > 0 && (flags & NUMFMT_SIGN))
		sign = "+";
	snprintf(buf, NUMFMT_PEOPLE_LEN, "%s%s%s%s%s%s", sign, whole,
	    strlen(frac) > 1 ? (lang == NUMFMT_EN ? "." : ",") : "",
	    strlen(frac) > 1 ? frac + 2 : "", word, !(flags & NUMFMT_PCT) ?
	    "" : lang == NUMFMT_EN ? "%" : " %");
	return (buf);
}
