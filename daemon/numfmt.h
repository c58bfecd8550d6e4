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
/* n in decimal; its length.  buf holds NUMFMT_LEN bytes. */
int	numfmt_ulong(char *buf, unsigned long long n);
/* librrd 1.7's rrd_strtod (rrd_update parses values with it). */
double	numfmt_rrd_strtod(const char *);

#endif
