/*
 * numfmt.h - doubles as text that reads back as the very same double.
 *
 * numfmt_double is for people and parsers that round correctly (strtod,
 * JSON readers, Prometheus): the shortest such decimal.  numfmt_rrd is for
 * rrd_update, whose number parser rounds more than once: the shortest text
 * librrd reads back exactly, padded where librrd needs it.  A leaf: no
 * other tallyd module.
 */
#ifndef TALLY_NUMFMT_H
#define TALLY_NUMFMT_H

#include <stddef.h>

/* Enough for any of the texts below. */
#define NUMFMT_LEN	32

/*
 * The shortest decimal that strtod reads back as v ("0.1", "1e+300"); "U"
 * (unknown, as rrdtool writes it) if v is not finite.  Returns its length.
 */
int	numfmt_double(char *buf, size_t len, double v);
/*
 * A value for rrd_update that librrd 1.7 reads back as v: the shortest
 * round-trip decimal with its decimals padded to 1, 2, 4, 8 or 16, so that
 * librrd scales an exact integer by one exact power of ten.  Returns its
 * length.  v must be finite.
 */
int	numfmt_rrd(char *buf, size_t len, double v);
/* "00" to "99": the two digits of k at numfmt_pairs[2 * k]. */
extern const char numfmt_pairs[200];
/* n in decimal; its length.  buf holds NUMFMT_LEN bytes. */
int	numfmt_ulong(char *buf, unsigned long long n);
/*
 * v for a person reading a message, never with an exponent, in the
 * language's way (lang NUMFMT_VI: "1,55 tỷ", "565.874", "0,68", "+4,73 %";
 * NUMFMT_EN: "1.55 billion", "565,874", "0.68", "+4.73%").  Whole numbers
 * below a million in full; from a million on, three decimals at most and
 * the word (triệu, tỷ / million, billion); others two decimals, or four
 * significant digits below 1, trailing zeros dropped.  Flags: a sign on
 * positive numbers, a percent sign.  "?" if v is not finite.  Returns
 * buf, which holds NUMFMT_PEOPLE_LEN bytes.
 */
#define NUMFMT_VI		0
#define NUMFMT_EN		1
#define NUMFMT_SIGN		0x1
#define NUMFMT_PCT		0x2
#define NUMFMT_PEOPLE_LEN	80
char	*numfmt_people(char *buf, double v, int lang, int flags);
/* librrd 1.7's rrd_strtod (rrd_update parses values with it). */
double	numfmt_rrd_strtod(const char *);

#endif
