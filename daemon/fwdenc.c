/*
 * fwdenc.c - a forwarder's lines, globs and cursor (see fwdenc.h).
 */
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fwdenc.h"
#include "names.h"
#include "numfmt.h"
#include "xmalloc.h"

#define FWDENC_GLOB_CHARS	NAMES_CONF_CHARS ".*?[]!"
#define FWDENC_CURSOR_MAGIC	"tallyfwd1 "
#define FWDENC_MAGIC_SIZE	8	/* journal segment magic */

void
fwdenc_reset(struct fwdenc_buf *b)
{
	b->len = 0;
}

void
fwdenc_free(struct fwdenc_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->size = 0;
}

/* Room for n more bytes (and a NUL). */
static char *
fwdenc_room(struct fwdenc_buf *b, size_t n)
{
	if (b->len + n + 1 > b->size) {
		if (b->size == 0)
			b->size = 65536;
		while (b->len + n + 1 > b->size)
			b->size *= 2;
		b->p = xreallocarray(b->p, 1, b->size);
	}
	return (b->p + b->len);
}

int
fwdenc_prom(struct fwdenc_buf *b, const char *series, time_t t, double v)
{
	char	 name[NAMES_SERIES_MAX + 16], sample[2 * NAMES_SERIES_MAX + 32];
	char	 num[64];
	int	 n;

	if (!isfinite(v) || names_prom(name, sizeof(name), sample,
	    sizeof(sample), series) == -1)
		return (-1);
	numfmt_double(num, sizeof(num), v);
	n = snprintf(fwdenc_room(b, strlen(sample) + strlen(num) + 32),
	    strlen(sample) + strlen(num) + 32, "%s %s %lld\n", sample, num,
	    (long long)t * 1000);
	b->len += (size_t)n;
	return (0);
}

int
fwdenc_graphite(struct fwdenc_buf *b, const char *prefix, const char *series,
    time_t t, double v)
{
	char	 num[64];
	size_t	 want;
	int	 n;

	if (!isfinite(v) || !names_series_valid(series))
		return (-1);
	if (prefix != NULL && *prefix == '\0')
		prefix = NULL;
	numfmt_double(num, sizeof(num), v);
	want = (prefix != NULL ? strlen(prefix) + 1 : 0) + strlen(series) +
	    strlen(num) + 32;
	n = snprintf(fwdenc_room(b, want), want, "%s%s%s %s %lld\n",
	    prefix != NULL ? prefix : "", prefix != NULL ? "." : "", series,
	    num, (long long)t);
	b->len += (size_t)n;
	return (0);
}

int
fwdenc_glob_valid(const char *g)
{
	size_t	 n = strlen(g);

	return (n >= 1 && n <= 255 && strspn(g, FWDENC_GLOB_CHARS) == n);
}

int
fwdenc_match(char *const *globs, size_t n, const char *series)
{
	size_t	 i;

	if (n == 0)
		return (1);
	for (i = 0; i < n; i++)
		if (fnmatch(globs[i], series, 0) == 0)
			return (1);
	return (0);
}

/* Digits of a decimal u64 at *s, moved past; -1 if none or too big. */
static int
fwdenc_u64(const char **s, const char *end, uint64_t *out)
{
	uint64_t	 v = 0;
	const char	*p = *s;

	if (p == end || *p < '0' || *p > '9' || (*p == '0' && p + 1 < end &&
	    p[1] >= '0' && p[1] <= '9'))
		return (-1);
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return (-1);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*s = p;
	*out = v;
	return (0);
}

int
fwdenc_cursor_parse(const char *buf, size_t len, uint64_t *seq,
    uint64_t *off)
{
	const char	*p = buf, *end = buf + len;
	size_t		 ml = strlen(FWDENC_CURSOR_MAGIC);

	if (len < ml || memcmp(p, FWDENC_CURSOR_MAGIC, ml) != 0)
		return (-1);
	p += ml;
	if (fwdenc_u64(&p, end, seq) == -1 || p == end || *p++ != ' ' ||
	    fwdenc_u64(&p, end, off) == -1 || p == end || *p++ != '\n' ||
	    p != end)
		return (-1);
	if (*seq == 0 || *seq >= (1ULL << 62) || *off < FWDENC_MAGIC_SIZE)
		return (-1);
	return (0);
}

int
fwdenc_cursor_format(char *buf, size_t len, uint64_t seq, uint64_t off)
{
	return (snprintf(buf, len, FWDENC_CURSOR_MAGIC "%" PRIu64 " %" PRIu64
	    "\n", seq, off));
}
