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
	c->sep = ',';
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
	if (c->buf[c->pos] == c->sep) {
		c->pos++;
		return (CSV_END_COMMA);
	}
	snprintf(err, errlen, "field %zu: '%c' after the closing quote (a "
	    "quote inside a quoted field must be doubled, and fields are "
	    "separated by '%s')", n + 1,
	    isprint((unsigned char)c->buf[c->pos]) ? c->buf[c->pos] : '?',
	    csv_sep_name(c->sep));
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
		if (ch == c->sep) {
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

/* 1 if s looks like UTF-8 read as a one-byte code page ("Ã´", "Ä‘"). */
static int
csv_mojibake(const char *s)
{
	return (strstr(s, "Ã") != NULL || strstr(s, "Ä") != NULL ||
	    strstr(s, "Æ") != NULL || strstr(s, "á»") != NULL ||
	    strstr(s, "\xef\xbf\xbd") != NULL);
}

/*
 * What a header that lacks a column holds, and the likely cause, for the
 * error: "headers found (3): 'Mã số;Tên;Năm'; likely cause: ...".
 */
void
csv_header_hint(const struct csv *c, const struct csv_format *f, char *buf,
    size_t len)
{
	char		 other = 0;
	size_t		 i, n;
	int		 moji = 0;

	if (f->sheet[0] != '\0')
		n = (size_t)snprintf(buf, len, "headers found (%zu, in sheet "
		    "'%s'):", c->nfields, f->sheet);
	else
		n = (size_t)snprintf(buf, len, "headers found (%zu, separator "
		    "'%s', read as %s):", c->nfields, csv_sep_name(f->sep),
		    f->encoding);
	for (i = 0; i < c->nfields && n < len; i++) {
		n += (size_t)snprintf(buf + n, len - n, "%s '%s'", i ? "," :
		    "", c->field[i]);
		moji |= csv_mojibake(c->field[i]);
	}
	if (c->nfields == 1)
		other = strchr(c->field[0], ';') ? ';' : strchr(c->field[0],
		    '\t') ? '\t' : strchr(c->field[0], ',') ? ',' : 0;
	if (n >= len)
		return;
	buf += n;
	len -= n;
	if (f->sheet[0] != '\0')
		snprintf(buf, len, "; likely cause: the name (headers are "
		    "compared in Unicode NFC, ignoring case and spaces), or "
		    "the sheet: the workbook has %s (set sheet = NAME)",
		    f->sheets);
	else if (other != 0 && other != f->sep)
		snprintf(buf, len, "; likely cause: the separator: the header "
		    "is one field holding '%s' (set separator = %s)",
		    csv_sep_name(other), csv_sep_name(other));
	else if (moji)
		snprintf(buf, len, "; likely cause: the encoding: the headers "
		    "look like UTF-8 read as %s (set encoding = utf-8)",
		    f->encoding);
	else if (f->guessed)
		snprintf(buf, len, "; likely cause: the encoding: the file is "
		    "not UTF-8 and was read as %s (set encoding = to the "
		    "encoding it was saved in)", f->encoding);
	else
		snprintf(buf, len, "; likely cause: the name (headers are "
		    "compared in Unicode NFC, ignoring case and spaces): set "
		    "the column key to one of the names found");
}

/* A column's letters: 4 is "D", 28 "AB". */
void
csv_colname(unsigned col, char *buf, size_t len)
{
	char	 tmp[8];
	size_t	 n = 0, i;

	while (col > 0 && n < sizeof(tmp)) {
		tmp[n++] = (char)('A' + (col - 1) % 26);
		col = (col - 1) / 26;
	}
	for (i = 0; i < n && i + 1 < len; i++)
		buf[i] = tmp[n - 1 - i];
	buf[i < len ? i : len - 1] = '\0';
}

/*
 * Where a field is, for messages: "line 17, column 4" in a CSV file,
 * "sheet 'DS HTX' cell D17" in a workbook (line N is row N there, field
 * C column C); col counts from 0, -1 for the whole line or row.
 */
void
csv_where(const struct csv_format *f, unsigned long line, int col, char *buf,
    size_t len)
{
	char	 name[8];

	if (f == NULL || f->sheet[0] == '\0') {
		if (col >= 0)
			snprintf(buf, len, "line %lu, column %d", line, col + 1);
		else
			snprintf(buf, len, "line %lu", line);
		return;
	}
	csv_colname((unsigned)col + 1, name, sizeof(name));
	if (col >= 0)
		snprintf(buf, len, "sheet '%s' cell %s%lu", f->sheet, name,
		    line);
	else
		snprintf(buf, len, "sheet '%s' row %lu", f->sheet, line);
}

/* A field within its line, after "FILE:LINE: ": "column 4" or "cell D17". */
void
csv_column(const struct csv_format *f, unsigned long line, int col,
    char *buf, size_t len)
{
	char	 name[8];

	if (f == NULL || f->sheet[0] == '\0') {
		snprintf(buf, len, "column %d", col + 1);
		return;
	}
	csv_colname((unsigned)col + 1, name, sizeof(name));
	snprintf(buf, len, "cell %s%lu", name, line);
}

/* 1 if s is empty or only spaces and tabs. */
int
csv_blank(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return (*s == '\0');
}

/* "','", "';'" or "tab": a separator as the config writes it. */
const char *
csv_sep_name(char sep)
{
	switch (sep) {
	case '\t':
		return ("tab");
	case ';':
		return (";");
	default:
		return (",");
	}
}

/*
 * The separator of a file from its first record: the most frequent of
 * ',', ';' and tab outside quotes (',' on a tie or when there is none).
 */
char
csv_sniff_sep(const char *buf, size_t len)
{
	size_t	 i, comma = 0, semi = 0, tab = 0;
	int	 q = 0;

	for (i = 0; i < len; i++) {
		if (buf[i] == '"')
			q = !q;
		else if (!q && (buf[i] == '\n' || buf[i] == '\r'))
			break;
		else if (!q)
			comma += buf[i] == ',', semi += buf[i] == ';',
			    tab += buf[i] == '\t';
	}
	if (semi > comma && semi >= tab)
		return (';');
	if (tab > comma && tab > semi)
		return ('\t');
	return (',');
}

/* Length of a space at s: ASCII space, tab, NBSP, narrow NBSP; or 0. */
static size_t
csv_space(const char *s)
{
	if (*s == ' ' || *s == '\t')
		return (1);
	if (strncmp(s, "\xc2\xa0", 2) == 0)
		return (2);
	if (strncmp(s, "\xe2\x80\xaf", 3) == 0)
		return (3);
	return (0);
}

static const char *
csv_skip_space(const char *s)
{
	size_t	 n;

	while ((n = csv_space(s)) > 0)
		s += n;
	return (s);
}

/*
 * Scale words (tỷ, triệu, nghìn), currencies and '%' that an office writes
 * after a figure; the scale is a power of ten.
 */
static const struct {
	const char	*word;
	int		 exp;
} csv_units[] = {
	{ "tỷ", 9 }, { "tỉ", 9 }, { "triệu", 6 }, { "nghìn", 3 },
	{ "ngàn", 3 }, { "đồng", 0 }, { "đ", 0 }, { "VNĐ", 0 },
	{ "VND", 0 }, { "₫", 0 }, { "%", 0 }
};

/*
 * Reads the unit words after a figure (a scale, then a currency, each at
 * most once, spaces between); adds the scale's exponent.  -1 if anything
 * else follows.
 */
static int
csv_unit(const char *p, int *exp)
{
	size_t	 i, n;
	int	 scaled = 0, money = 0;

	for (;;) {
		p = csv_skip_space(p);
		if (*p == '\0')
			return (0);
		for (i = 0; i < sizeof(csv_units) / sizeof(csv_units[0]);
		    i++) {
			n = strlen(csv_units[i].word);
			if (strncmp(p, csv_units[i].word, n) == 0 &&
			    (p[n] == '\0' || csv_space(p + n) > 0))
				break;
		}
		if (i == sizeof(csv_units) / sizeof(csv_units[0]) || money ||
		    (csv_units[i].exp > 0 && scaled))
			return (-1);
		if (csv_units[i].exp > 0) {
			scaled = 1;
			*exp += csv_units[i].exp;
		} else
			money = 1;
		p += strlen(csv_units[i].word);
	}
}

/*
 * The shape of a figure as written: sign, digits in groups of three
 * separated by one grouping mark (the other of '.' and ',', or a space),
 * then the decimal mark and digits.  Fills digits (no marks) and the
 * number of them after the decimal mark; returns the rest of s, or NULL if
 * s is not a figure.  dec 0 reads whole numbers only, grouped by '.', ','
 * or a space.
 */
static const char *
csv_figure(const char *s, char dec, char *digits, size_t len, int *frac)
{
	const char	*p = csv_skip_space(s);
	char		 grp = 0;
	size_t		 n = 0, g, ingroup = 0, sp;
	int		 groups = 0;

	*frac = 0;
	if (*p == '-' || *p == '+') {
		if (*p == '-')
			digits[n++] = '-';
		p++;
	} else if (strncmp(p, "\xe2\x88\x92", 3) == 0) {	/* U+2212 */
		digits[n++] = '-';
		p += 3;
	}
	g = n;
	for (;;) {
		if (isdigit((unsigned char)*p)) {
			if (n + 2 >= len)
				return (NULL);
			digits[n++] = *p++;
			ingroup++;
			continue;
		}
		sp = csv_space(p);
		if ((sp > 0 || *p == '.' || *p == ',') && *p != dec &&
		    isdigit((unsigned char)p[sp > 0 ? sp : 1]) &&
		    ingroup > 0) {
			/* A grouping mark: one kind, groups of three. */
			if (grp == 0)
				grp = sp > 0 ? ' ' : *p;
			if ((sp > 0 ? ' ' : *p) != grp ||
			    (groups == 0 ? ingroup > 3 : ingroup != 3))
				return (NULL);
			groups++;
			ingroup = 0;
			p += sp > 0 ? sp : 1;
			continue;
		}
		break;
	}
	if (n == g || (groups > 0 && ingroup != 3))
		return (NULL);
	if (dec != 0 && *p == dec && isdigit((unsigned char)p[1])) {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (n + 2 >= len)
				return (NULL);
			digits[n++] = *p;
			(*frac)++;
		}
	}
	digits[n] = '\0';
	return (p);
}

/*
 * A figure as an office writes it, dec its decimal mark ('.' or ','):
 * "1234.5", "1.234.567", "1 234 567", "-695.349.372", "1,55 tỷ",
 * "87 triệu đồng".  Exact where the figure is (digits are shifted, not
 * multiplied).  No exponent, hex, inf or nan, which an export never
 * means.  -1 if s is not one.
 */
int
csv_number(const char *s, char dec, double *out)
{
	char		 digits[96], num[128], *end;
	const char	*p;
	int		 frac, exp = 0, n;
	double		 v;

	if ((p = csv_figure(s, dec, digits, sizeof(digits), &frac)) == NULL ||
	    csv_unit(p, &exp) == -1)
		return (-1);
	/* digits * 10^(exp - frac), written as a decimal for strtod. */
	if (exp >= frac)
		n = snprintf(num, sizeof(num), "%s%.*s", digits, exp - frac,
		    "000000000000");
	else
		n = snprintf(num, sizeof(num), "%se-%d", digits, frac - exp);
	if (n < 0 || (size_t)n >= sizeof(num))
		return (-1);
	errno = 0;
	v = strtod(num, &end);
	if (*end != '\0' || errno != 0 || !isfinite(v))
		return (-1);
	*out = v == 0 ? 0 : v;	/* no -0 */
	return (0);
}

/*
 * A count: a whole number, grouped or not ("565.874", "565,874",
 * "565 874", "565874"), at most 2^52; -1 otherwise.
 */
int
csv_count(const char *s, unsigned long *out)
{
	char		 digits[32];
	const char	*p;
	unsigned long	 v = 0;
	int		 frac;
	size_t		 i;

	if ((p = csv_figure(s, 0, digits, sizeof(digits), &frac)) == NULL ||
	    *csv_skip_space(p) != '\0' || digits[0] == '-')
		return (-1);
	for (i = 0; digits[i] != '\0'; i++) {
		if (!isdigit((unsigned char)digits[i]))
			continue;
		if (v > (1UL << 52) / 10)
			return (-1);
		v = v * 10 + (unsigned long)(digits[i] - '0');
	}
	*out = v;
	return (0);
}

/*
 * Which decimal mark a figure shows without doubt: '.' or ',' or 0 when
 * it does not ("1.234" is a thousand and a quarter either way).
 */
char
csv_figure_vote(const char *s)
{
	const char	*p = csv_skip_space(s), *last = NULL;
	size_t		 dots = 0, commas = 0, after = 0, before = 0;
	int		 lead0;

	if (*p == '-' || *p == '+')
		p++;
	lead0 = *p == '0';
	for (; isdigit((unsigned char)*p) || *p == '.' || *p == ',' ||
	    csv_space(p) > 0; p += csv_space(p) > 0 ? csv_space(p) : 1) {
		if (*p == '.' || *p == ',') {
			dots += *p == '.';
			commas += *p == ',';
			last = p;
			after = 0;
		} else if (isdigit((unsigned char)*p)) {
			if (last == NULL)
				before++;
			else
				after++;
		}
	}
	if (last == NULL || before == 0 || after == 0 ||
	    csv_unit(p, &(int){ 0 }) == -1)
		return (0);
	if (dots > 0 && commas > 0)
		return (*last);
	if (dots + commas > 1)
		return (dots > 0 ? ',' : '.');	/* the mark groups */
	if (after != 3 || before > 3 || (lead0 && before == 1))
		return (*last);
	return (0);
}

/*
 * The decimal mark of a file: the one its figures show (most votes), or
 * when none does, ',' for a ';' or tab file (a Vietnamese Excel) and '.'
 * for a ',' file.
 */
char
csv_sniff_decimal(const char *buf, size_t len, char sep)
{
	struct csv	 c;
	char		 err[256], v;
	size_t		 i, dot = 0, comma = 0;
	int		 r;

	csv_init(&c, buf, len);
	c.sep = sep;
	while ((r = csv_next(&c, err, sizeof(err))) != 0)
		for (i = 0; r == 1 && i < c.nfields; i++) {
			v = csv_figure_vote(c.field[i]);
			dot += v == '.';
			comma += v == ',';
		}
	csv_free(&c);
	if (dot != comma)
		return (dot > comma ? '.' : ',');
	return (sep == ',' ? '.' : ',');
}

/*
 * A date: YYYY-MM-DD, DD/MM/YYYY (the Vietnamese order; also with '-' or
 * '.', and one-digit day or month) or YYYY alone (1 January).  0 for an
 * empty field, 1 with *y, *m, *d set, -1 with why saying what is wrong
 * ("February 2015 has 28 days").
 */
int
csv_date(const char *s, int *y, int *m, int *d, char *why, size_t len)
{
	static const char *const months[] = { "January", "February", "March",
	    "April", "May", "June", "July", "August", "September", "October",
	    "November", "December" };
	static const int	 mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31,
				    30, 31, 30, 31 };
	char			 s1, s2;
	int			 n = 0, leap;
	long			 days;

	s = csv_skip_space(s);
	if (*s == '\0')
		return (0);
	if (sscanf(s, "%4d-%2d-%2d%n", y, m, d, &n) == 3 && n == 10)
		;
	else if (sscanf(s, "%2d%c%2d%c%4d%n", d, &s1, m, &s2, y, &n) == 5 &&
	    s1 == s2 && (s1 == '/' || s1 == '-' || s1 == '.') &&
	    isdigit((unsigned char)s[n - 1]) && isdigit((unsigned char)s[n -
	    4]) && !isdigit((unsigned char)s[n]))
		;
	else if (sscanf(s, "%4d%n", y, &n) == 1 && n == 4 &&
	    isdigit((unsigned char)s[0])) {
		*m = *d = 1;
	} else {
		snprintf(why, len, "not a date (YYYY-MM-DD, DD/MM/YYYY or "
		    "YYYY)");
		return (-1);
	}
	if (*csv_skip_space(s + n) != '\0') {
		snprintf(why, len, "not a date: '%s' after it (YYYY-MM-DD, "
		    "DD/MM/YYYY or YYYY)", csv_skip_space(s + n));
		return (-1);
	}
	if (*y < 1800 || *y > 2200) {
		snprintf(why, len, "year %d is out of range (1800-2200)", *y);
		return (-1);
	}
	if (*m < 1 || *m > 12) {
		snprintf(why, len, "month %d does not exist (dates are "
		    "DD/MM/YYYY, day first)", *m);
		return (-1);
	}
	leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
	if (*d < 1 || *d > mdays[*m - 1] + (*m == 2 && leap)) {
		snprintf(why, len, "day %d does not exist: %s %d has %d days",
		    *d, months[*m - 1], *y, mdays[*m - 1] + (*m == 2 && leap));
		return (-1);
	}
	return (csv_days(*y, *m, *d, &days) == -1 ? -1 : 1);
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
