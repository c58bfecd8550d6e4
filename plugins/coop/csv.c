/*
 * csv.c - an RFC 4180 reader over a buffer in memory, and the small field
 * parsers (numbers, counts, labels, dates) that the coop and creditfund
 * plugins share.  No global state: two instances may read at once.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

#define CSV_BOM		"\xef\xbb\xbf"

/* How a field ended. */
enum csv_end {
	CSV_END_ERROR = -1,
	CSV_END_COMMA,
	CSV_END_RECORD
};

/* Starts reading buf, past a byte-order mark if there is one. */
void
csv_init(struct csv *c, const char *buf, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->buf = buf;
	c->len = len;
	c->line = 1;
	if (len >= 3 && memcmp(buf, CSV_BOM, 3) == 0)
		c->pos = 3;
}

void
csv_free(struct csv *c)
{
	free(c->store);
	c->store = NULL;
	c->store_cap = c->store_len = 0;
}

/* Appends a byte to the record's store, growing it; -1 without memory. */
static int
csv_put(struct csv *c, char ch)
{
	char	*p;
	size_t	 cap;

	if (c->store_len == c->store_cap) {
		cap = c->store_cap == 0 ? 256 : c->store_cap * 2;
		if ((p = realloc(c->store, cap)) == NULL)
			return (-1);
		c->store = p;
		c->store_cap = cap;
	}
	c->store[c->store_len++] = ch;
	return (0);
}

/* Consumes a line end at pos if there is one (CRLF, LF or CR); 1 if so. */
static int
csv_eol(struct csv *c)
{
	if (c->pos < c->len && c->buf[c->pos] == '\r') {
		c->pos++;
		if (c->pos < c->len && c->buf[c->pos] == '\n')
			c->pos++;
		c->line++;
		return (1);
	}
	if (c->pos < c->len && c->buf[c->pos] == '\n') {
		c->pos++;
		c->line++;
		return (1);
	}
	return (0);
}

/* After an error, resumes at the start of the next physical line. */
static void
csv_skip_line(struct csv *c)
{
	while (c->pos < c->len && !csv_eol(c))
		c->pos++;
}

/* Reads a quoted field from just after its opening quote. */
static enum csv_end
csv_quoted(struct csv *c, size_t n, char *err, size_t errlen)
{
	unsigned long	 open_line = c->line;
	size_t		 start = c->store_len;
	char		 ch;

	for (;;) {
		if (c->pos >= c->len) {
			snprintf(err, errlen, "unterminated quoted field %zu "
			    "(opened on line %lu)", n + 1, open_line);
			return (CSV_END_ERROR);
		}
		ch = c->buf[c->pos];
		if (ch == '"') {
			c->pos++;
			if (c->pos < c->len && c->buf[c->pos] == '"') {
				c->pos++;
			} else
				break;
		} else if (ch == '\r' || ch == '\n') {
			csv_eol(c);	/* CRLF and CR are kept as LF */
			ch = '\n';
		} else
			c->pos++;
		if (c->store_len - start >= CSV_FIELD_MAX) {
			snprintf(err, errlen, "field %zu is longer than %d "
			    "bytes", n + 1, CSV_FIELD_MAX);
			return (CSV_END_ERROR);
		}
		if (csv_put(c, ch) == -1)
			goto nomem;
	}
	if (c->pos >= c->len || csv_eol(c))
		return (CSV_END_RECORD);
	if (c->buf[c->pos] == ',') {
		c->pos++;
		return (CSV_END_COMMA);
	}
	snprintf(err, errlen, "field %zu: '%c' after the closing quote (a "
	    "quote inside a quoted field must be doubled)", n + 1,
	    isprint((unsigned char)c->buf[c->pos]) ? c->buf[c->pos] : '?');
	return (CSV_END_ERROR);
nomem:
	snprintf(err, errlen, "out of memory");
	return (CSV_END_ERROR);
}

/* Reads an unquoted field up to a comma, a line end or the end. */
static enum csv_end
csv_plain(struct csv *c, size_t n, char *err, size_t errlen)
{
	size_t	 start = c->store_len;
	char	 ch;

	while (c->pos < c->len) {
		ch = c->buf[c->pos];
		if (ch == ',') {
			c->pos++;
			return (CSV_END_COMMA);
		}
		if (csv_eol(c))
			return (CSV_END_RECORD);
		if (ch == '"') {
			snprintf(err, errlen, "field %zu: quote inside an "
			    "unquoted field (quote the whole field and double "
			    "the quote)", n + 1);
			return (CSV_END_ERROR);
		}
		if (ch == '\0') {
			snprintf(err, errlen, "field %zu: NUL byte", n + 1);
			return (CSV_END_ERROR);
		}
		if (c->store_len - start >= CSV_FIELD_MAX) {
			snprintf(err, errlen, "field %zu is longer than %d "
			    "bytes", n + 1, CSV_FIELD_MAX);
			return (CSV_END_ERROR);
		}
		if (csv_put(c, ch) == -1) {
			snprintf(err, errlen, "out of memory");
			return (CSV_END_ERROR);
		}
		c->pos++;
	}
	return (CSV_END_RECORD);
}

/* Reads one record into the store; CSV_END_RECORD, or an error. */
static enum csv_end
csv_record(struct csv *c, char *err, size_t errlen)
{
	enum csv_end	 e;
	size_t		 i;

	c->store_len = 0;
	c->nfields = 0;
	do {
		if (c->nfields == CSV_FIELDS_MAX) {
			snprintf(err, errlen, "more than %d fields",
			    CSV_FIELDS_MAX);
			return (CSV_END_ERROR);
		}
		c->off[c->nfields] = c->store_len;
		if (c->pos < c->len && c->buf[c->pos] == '"') {
			c->pos++;
			e = csv_quoted(c, c->nfields, err, errlen);
		} else
			e = csv_plain(c, c->nfields, err, errlen);
		if (e == CSV_END_ERROR || csv_put(c, '\0') == -1)
			return (CSV_END_ERROR);
		c->nfields++;
	} while (e == CSV_END_COMMA);
	for (i = 0; i < c->nfields; i++)
		c->field[i] = c->store + c->off[i];
	return (CSV_END_RECORD);
}

/*
 * Reads the next record: 1 with c->field[0 .. nfields - 1] set, 0 at the
 * end, -1 for a malformed record, which is skipped up to the end of the
 * physical line where the fault was found (err says why; c->rec_line says
 * where the record started).  Blank lines are skipped.
 */
int
csv_next(struct csv *c, char *err, size_t errlen)
{
	for (;;) {
		if (c->pos >= c->len)
			return (0);
		c->rec_line = c->line;
		if (csv_eol(c))
			continue;	/* a blank line */
		if (csv_record(c, err, errlen) == CSV_END_ERROR) {
			if (c->pos < c->len)
				csv_skip_line(c);
			c->nfields = 0;
			return (-1);
		}
		return (1);
	}
}

/* 1 if s is empty or only spaces and tabs. */
int
csv_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return (*s == '\0');
}

/*
 * A decimal number: optional sign, digits, optional fraction, spaces
 * around allowed; no exponent, hex, inf or nan, which an export never
 * means.  -1 if s is not one.
 */
int
csv_number(const char *s, double *out)
{
	const char	*p = s;
	char		*end;
	int		 digits = 0;
	double		 v;

	while (*p == ' ' || *p == '\t')
		p++;
	s = p;
	if (*p == '-' || *p == '+')
		p++;
	for (; isdigit((unsigned char)*p); p++)
		digits++;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
	if (digits == 0)
		return (-1);
	errno = 0;
	v = strtod(s, &end);
	if (end != p || errno != 0 || !isfinite(v))
		return (-1);
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0')
		return (-1);
	*out = v;
	return (0);
}

/* A count: digits only, spaces around allowed; -1 otherwise. */
int
csv_count(const char *s, unsigned long *out)
{
	unsigned long	 v = 0;
	int		 digits = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; isdigit((unsigned char)*s); s++, digits++) {
		if (v > (1UL << 52) / 10)
			return (-1);
		v = v * 10 + (unsigned long)(*s - '0');
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (digits == 0 || *s != '\0')
		return (-1);
	*out = v;
	return (0);
}

/*
 * Compares two labels as a person would read them: spaces around and
 * runs of spaces inside do not count, nor does the case of ASCII letters.
 * Other bytes (Vietnamese letters) must match exactly.
 */
int
csv_label_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '\t')
			a++;
		while (*b == ' ' || *b == '\t')
			b++;
		if (*a == '\0' || *b == '\0')
			return (*a == *b);
		while (*a != '\0' && *a != ' ' && *a != '\t' &&
		    *b != '\0' && *b != ' ' && *b != '\t') {
			if (tolower((unsigned char)*a) !=
			    tolower((unsigned char)*b))
				return (0);
			a++;
			b++;
		}
		if ((*a == ' ' || *a == '\t' || *a == '\0') !=
		    (*b == ' ' || *b == '\t' || *b == '\0'))
			return (0);
	}
}

/* Appends the comma-separated labels of s to a list; -1 on an empty one. */
int
csv_labels_add(char ***list, size_t *n, const char *s)
{
	const char	*p, *e;
	char		**v, *l;

	for (p = s;; p = e + 1) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		if (p == e)
			return (-1);
		if ((v = realloc(*list, (*n + 1) * sizeof(*v))) == NULL)
			return (-1);
		*list = v;
		if ((l = strndup(p, (size_t)(e - p))) == NULL)
			return (-1);
		v[(*n)++] = l;
		if (*e == '\0')
			return (0);
	}
}

void
csv_labels_free(char ***list, size_t *n)
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		free((*list)[i]);
	free(*list);
	*list = NULL;
	*n = 0;
}

/*
 * Days from 1970-01-01 to a proleptic Gregorian date (so a plugin needs no
 * timegm and no time zone); -1 if the date does not exist.
 */
int
csv_days(int y, int m, int d, long *out)
{
	static const int	 mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31,
				    30, 31, 30, 31 };
	long			 era, yoe, doy, doe;
	int			 leap;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return (-1);
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[m - 1] + (m == 2 && leap))
		return (-1);
	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	*out = era * 146097 + doe - 719468;
	return (0);
}

/* FNV-1a of a string, for csv_set. */
static size_t
csv_strhash(const char *s)
{
	size_t	 h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return (h);
}

/* Moves the keys of a set into a table twice as large; -1 w/o memory. */
static int
csv_set_grow(struct csv_set *s)
{
	char	**t;
	size_t	  cap = s->cap == 0 ? 1024 : s->cap * 2, i, h;

	if ((t = calloc(cap, sizeof(*t))) == NULL)
		return (-1);
	for (i = 0; i < s->cap; i++) {
		if (s->v[i] == NULL)
			continue;
		for (h = csv_strhash(s->v[i]) % cap; t[h] != NULL;
		    h = (h + 1) % cap)
			;
		t[h] = s->v[i];
	}
	free(s->v);
	s->v = t;
	s->cap = cap;
	return (0);
}

/*
 * Adds a key to a set of strings (to find duplicate rows): 1 if it was
 * there already, 0 if added, -1 without memory.
 */
int
csv_set_add(struct csv_set *s, const char *key)
{
	size_t	 h;

	if (2 * (s->n + 1) > s->cap && csv_set_grow(s) == -1)
		return (-1);
	for (h = csv_strhash(key) % s->cap; s->v[h] != NULL;
	    h = (h + 1) % s->cap)
		if (strcmp(s->v[h], key) == 0)
			return (1);
	if ((s->v[h] = strdup(key)) == NULL)
		return (-1);
	s->n++;
	return (0);
}

void
csv_set_free(struct csv_set *s)
{
	size_t	 i;

	for (i = 0; i < s->cap; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}
