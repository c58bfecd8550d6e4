/*
 * logparse.c - compile an access-log format and cut lines into fields.
 *
 * A format is a list of items: literal text, or a field that ends at the
 * first byte of the literal after it (or at the end of the line).  Parsing a
 * line is one pass of memchr() and digit loops over the caller's buffer: no
 * regular expression, no copy, no allocation.  Time stamps are converted
 * with our own calendar arithmetic (no mktime, no time zone database), and
 * the date part of the last line is cached, since consecutive lines nearly
 * always share it.
 *
 * Two modes: strict (the default profile) refuses anything that does not
 * match the format exactly; TP_LENIENT follows GoAccess 1.7's parser, which
 * skips literal text without checking it, accepts a line that ends early
 * once it has an address, a date and a request, and turns a missing
 * referrer or user agent into "-" (see docs/TRAFFIC.md).
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "logparse.h"

#define TP_COMBINED "$remote_addr - $remote_user [$time_local] " \
	"\"$request\" $status $body_bytes_sent \"$http_referer\" " \
	"\"$http_user_agent\""
#define TP_COMMON "$remote_addr - $remote_user [$time_local] " \
	"\"$request\" $status $body_bytes_sent"

static const struct {
	const char	*name;
	int		 field;
} tp_vars[] = {
	{ "remote_addr", TP_F_ADDR },
	{ "remote_user", TP_F_USER },
	{ "time_local", TP_F_TIME_LOCAL },
	{ "time_iso8601", TP_F_TIME_ISO },
	{ "msec", TP_F_MSEC },
	{ "request", TP_F_REQUEST },
	{ "request_method", TP_F_METHOD },
	{ "request_uri", TP_F_URI },
	{ "uri", TP_F_URI },
	{ "status", TP_F_STATUS },
	{ "body_bytes_sent", TP_F_BYTES },
	{ "bytes_sent", TP_F_BYTES },
	{ "http_referer", TP_F_REFERER },
	{ "http_user_agent", TP_F_AGENT },
};

static const char *tp_error_names[] = {
	"ok", "binary", "short", "literal", "address", "time", "request",
	"status", "bytes", "overlong", "future", "order"
};

const char *
tp_error_name(enum tp_error e)
{
	if (e < 0 || e >= TP_E_COUNT)
		return ("ignored");
	return (tp_error_names[e]);
}

/* Map a variable name to a field; unknown variables are skipped fields. */
static int
tp_var_field(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(tp_vars) / sizeof(tp_vars[0]); i++) {
		if (strlen(tp_vars[i].name) == len &&
		    memcmp(tp_vars[i].name, name, len) == 0)
			return (tp_vars[i].field);
	}
	return (TP_F_SKIP);
}

/* Append one item, or fail with a reason when the format is too long. */
static struct tp_item *
tp_format_add(struct tp_format *f, int field, char *err, size_t errlen)
{
	struct tp_item	*it;

	if (f->nitems == TP_ITEMS_MAX) {
		snprintf(err, errlen, "format has more than %d parts",
		    TP_ITEMS_MAX);
		return (NULL);
	}
	it = &f->items[f->nitems++];
	memset(it, 0, sizeof(*it));
	it->field = field;
	return (it);
}

/* Read "$name" or "${name}" at s; returns the length consumed, 0 if bad. */
static size_t
tp_format_var(const char *s, const char **name, size_t *namelen)
{
	size_t	 n = 1, brace = 0;

	if (s[n] == '{')
		brace = 1, n++;
	*name = s + n;
	while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
	    s[n] == '_')
		n++;
	*namelen = (size_t)(s + n - *name);
	if (*namelen == 0)
		return (0);
	if (brace) {
		if (s[n] != '}')
			return (0);
		n++;
	}
	return (n);
}

/* Fill in each field's delimiter: the first byte of the literal after it. */
static int
tp_format_link(struct tp_format *f, char *err, size_t errlen)
{
	size_t		 i;
	struct tp_item	*it, *next, *prev;

	for (i = 0; i < f->nitems; i++) {
		it = &f->items[i];
		if (it->field == TP_F_LITERAL)
			continue;
		next = i + 1 < f->nitems ? &f->items[i + 1] : NULL;
		prev = i > 0 ? &f->items[i - 1] : NULL;
		if (next != NULL && next->field != TP_F_LITERAL) {
			snprintf(err, errlen, "two variables with nothing "
			    "between them");
			return (-1);
		}
		it->delim = next != NULL ? next->lit[0] : '\0';
		it->quoted = prev != NULL && prev->lit[prev->litlen - 1] == '"';
		f->have |= 1u << it->field;
	}
	if (!(f->have & (1u << TP_F_ADDR)) || !(f->have & ((1u <<
	    TP_F_TIME_LOCAL) | (1u << TP_F_TIME_ISO) | (1u << TP_F_MSEC))) ||
	    !(f->have & ((1u << TP_F_REQUEST) | (1u << TP_F_URI)))) {
		snprintf(err, errlen, "format needs $remote_addr, a time "
		    "($time_local, $time_iso8601 or $msec) and $request");
		return (-1);
	}
	return (0);
}

/*
 * Compile "combined", "common" or an nginx log_format string; -1 with a
 * reason in err if it cannot be scanned.
 */
int
tp_format_compile(struct tp_format *f, const char *spec, char *err,
    size_t errlen)
{
	struct tp_item	*it = NULL;
	const char	*s, *name;
	size_t		 n, namelen;

	memset(f, 0, sizeof(*f));
	if (strcmp(spec, "combined") == 0)
		spec = TP_COMBINED;
	else if (strcmp(spec, "common") == 0)
		spec = TP_COMMON;
	for (s = spec; *s != '\0'; s += n) {
		if (*s == '$') {
			if ((n = tp_format_var(s, &name, &namelen)) == 0) {
				snprintf(err, errlen, "bad variable at '%.10s'",
				    s);
				return (-1);
			}
			if ((it = tp_format_add(f, tp_var_field(name, namelen),
			    err, errlen)) == NULL)
				return (-1);
			continue;
		}
		n = 1;
		if (it == NULL || it->field != TP_F_LITERAL) {
			if ((it = tp_format_add(f, TP_F_LITERAL, err,
			    errlen)) == NULL)
				return (-1);
		}
		if (it->litlen == TP_LIT_MAX) {
			snprintf(err, errlen, "text between variables is "
			    "longer than %d bytes", TP_LIT_MAX);
			return (-1);
		}
		it->lit[it->litlen++] = *s;
	}
	return (tp_format_link(f, err, errlen));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's method). */
int64_t
tp_days_from_civil(int y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

/* Number of n decimal digits at s, or -1 if any is not a digit. */
static int
tp_num(const char *s, int n)
{
	int	 v = 0;

	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return (-1);
		v = v * 10 + (*s++ - '0');
	}
	return (v);
}

/* Month number of a three-letter English abbreviation, any case; 0 if none. */
static int
tp_month(const char *s)
{
	static const char	 names[] =
				    "janfebmaraprmayjunjulaugsepoctnovdec";
	char			 a = s[0] | 0x20, b = s[1] | 0x20;
	char			 c = s[2] | 0x20;
	int			 i;

	for (i = 0; i < 12; i++) {
		if (names[i * 3] == a && names[i * 3 + 1] == b &&
		    names[i * 3 + 2] == c)
			return (i + 1);
	}
	return (0);
}

/* Whether y-m-d is a real calendar date. */
static int
tp_valid_date(int y, int m, int d)
{
	static const int	 mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
				    31, 30, 31 };

	if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1])
		return (0);
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return (0);
	return (1);
}

/* Parse "10/Oct/2000" into the cache; -1 if it is not a date. */
static int
tp_parse_dmy(const char *s, struct tp_clock *c)
{
	int	 d, m, y;

	if (s[2] != '/' || s[6] != '/')
		return (-1);
	d = tp_num(s, 2);
	m = tp_month(s + 3);
	y = tp_num(s + 7, 4);
	if (d < 0 || y < 0 || !tp_valid_date(y, m, d))
		return (-1);
	memcpy(c->text, s, sizeof(c->text));
	c->days = tp_days_from_civil(y, m, d);
	c->date = y * 10000 + m * 100 + d;
	return (0);
}

/* Seconds of "HH:MM:SS" at s, or -1. */
static int64_t
tp_parse_hms(const char *s)
{
	int	 h, m, sec;

	if (s[2] != ':' || s[5] != ':')
		return (-1);
	h = tp_num(s, 2);
	m = tp_num(s + 3, 2);
	sec = tp_num(s + 6, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60)
		return (-1);
	return (h * 3600 + m * 60 + sec);
}

/* Offset in seconds of "+hhmm" or "-hh:mm" (colon optional), or -1. */
static int
tp_parse_tz(const char *s, size_t n, int64_t *off)
{
	int	 h, m;

	if (n == 5) {
		h = tp_num(s + 1, 2);
		m = tp_num(s + 3, 2);
	} else if (n == 6 && s[3] == ':') {
		h = tp_num(s + 1, 2);
		m = tp_num(s + 4, 2);
	} else
		return (-1);
	if ((s[0] != '+' && s[0] != '-') || h < 0 || h > 23 || m < 0 || m > 59)
		return (-1);
	*off = (h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
	return (0);
}

/*
 * "10/Oct/2000:13:55:36 -0700" to UTC seconds and the local date; lenient
 * mode ignores what follows the time, as GoAccess does.  -1 if bad.
 */
int
tp_parse_time_local(const char *s, size_t n, struct tp_clock *c,
    int64_t *when, int32_t *date, int32_t *tzoff, int lenient)
{
	int64_t	 secs, off = 0;

	if (n < 20 || s[11] != ':')
		return (-1);
	if (memcmp(s, c->text, sizeof(c->text)) != 0 && tp_parse_dmy(s, c) ==
	    -1)
		return (-1);
	if ((secs = tp_parse_hms(s + 12)) == -1)
		return (-1);
	if (n == 20 || s[20] != ' ' ||
	    tp_parse_tz(s + 21, n - 21, &off) == -1) {
		if (!lenient)
			return (-1);
		off = 0;
	}
	*when = c->days * 86400 + secs - off;
	*date = c->date;
	*tzoff = (int32_t)off;
	return (0);
}

/* "2000-10-10T13:55:36-07:00" (or "Z") to UTC seconds and local date. */
static int
tp_parse_time_iso(const char *s, size_t n, int64_t *when, int32_t *date,
    int32_t *tzoff)
{
	int	 y, m, d;
	int64_t	 secs, off = 0;

	if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T')
		return (-1);
	y = tp_num(s, 4);
	m = tp_num(s + 5, 2);
	d = tp_num(s + 8, 2);
	if (!tp_valid_date(y, m, d) || (secs = tp_parse_hms(s + 11)) == -1)
		return (-1);
	if (!(n == 20 && s[19] == 'Z') && tp_parse_tz(s + 19, n - 19, &off) ==
	    -1)
		return (-1);
	*when = tp_days_from_civil(y, m, d) * 86400 + secs - off;
	*date = y * 10000 + m * 100 + d;
	*tzoff = (int32_t)off;
	return (0);
}

/* "971211336.123" to seconds and the UTC date. */
static int
tp_parse_msec(const char *s, size_t n, int64_t *when, int32_t *date)
{
	int64_t	 t = 0, days, doe, yoe, doy, mp, y, m, d;
	size_t	 i;

	for (i = 0; i < n && s[i] != '.'; i++) {
		if (s[i] < '0' || s[i] > '9' || i > 11)
			return (-1);
		t = t * 10 + (s[i] - '0');
	}
	if (i == 0)
		return (-1);
	*when = t;
	days = t / 86400 + 719468;
	doe = days % 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = yoe + days / 146097 * 400 + (m <= 2);
	*date = (int32_t)(y * 10000 + m * 100 + d);
	return (0);
}

/* Whether s is an IPv4 or IPv6 address as inet_pton(3) would accept it. */
int
tp_is_ip(const char *s, size_t n)
{
	char		 buf[64];
	struct in6_addr	 a6;
	size_t		 i, digits = 0, dots = 0;
	int		 v = 0;

	if (n == 0 || n >= sizeof(buf))
		return (0);
	if (memchr(s, ':', n) != NULL) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		return (inet_pton(AF_INET6, buf, &a6) == 1);
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (digits == 0 || ++dots > 3)
				return (0);
			digits = 0;
			v = 0;
		} else if (s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && v == 0)
				return (0);	/* leading zero */
			v = v * 10 + (s[i] - '0');
			if (++digits > 3 || v > 255)
				return (0);
		} else
			return (0);
	}
	return (dots == 3 && digits > 0);
}

/* Case-insensitive: does s (n bytes) start with the lowercase word w? */
static int
tp_ci_prefix(const char *s, size_t n, const char *w, size_t wn)
{
	size_t	 i;

	if (n < wn)
		return (0);
	for (i = 0; i < wn; i++) {
		if ((s[i] | 0x20) != w[i])
			return (0);
	}
	return (1);
}

/*
 * Whether a user agent names a robot: "bot", "crawl", "spider", "slurp",
 * "archiver" or "facebookexternalhit" anywhere, in any case.
 */
int
tp_is_crawler(const char *a, size_t n)
{
	size_t	 i;

	for (i = 0; i + 3 <= n; i++) {
		switch (a[i] | 0x20) {
		case 'b':
			if (tp_ci_prefix(a + i, n - i, "bot", 3))
				return (1);
			break;
		case 'c':
			if (tp_ci_prefix(a + i, n - i, "crawl", 5))
				return (1);
			break;
		case 's':
			if (tp_ci_prefix(a + i, n - i, "spider", 6) ||
			    tp_ci_prefix(a + i, n - i, "slurp", 5))
				return (1);
			break;
		case 'a':
			if (tp_ci_prefix(a + i, n - i, "archiver", 8))
				return (1);
			break;
		case 'f':
			if (tp_ci_prefix(a + i, n - i, "facebookexternalhit",
			    19))
				return (1);
			break;
		}
	}
	return (0);
}

/* Whether a path (no query string) names a static asset by its extension. */
int
tp_is_static(const char *p, size_t n)
{
	static const char	*exts[] = { "css", "js", "mjs", "png", "jpg",
				    "jpeg", "gif", "ico", "svg", "webp", "avif",
				    "bmp", "woff", "woff2", "ttf", "eot", "otf",
				    "map", "mp4", "webm", "mp3", "ogg", "wav",
				    "zip", "gz", "pdf", "txt", "xml", "json" };
	size_t			 i, e, el;

	for (e = n; e > 0 && p[e - 1] != '.' && p[e - 1] != '/'; e--)
		continue;
	if (e == 0 || p[e - 1] != '.' || (el = n - e) < 2 || el > 5)
		return (0);
	for (i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		if (strlen(exts[i]) == el && tp_ci_prefix(p + e, el, exts[i],
		    el))
			return (1);
	}
	return (0);
}

/* A page view: GET or POST of a non-asset answered 2xx or 304. */
int
tp_is_pageview(const struct tp_rec *r)
{
	if (!((r->status >= 200 && r->status <= 299) || r->status == 304))
		return (0);
	if (!((r->methodlen == 3 && memcmp(r->method, "GET", 3) == 0) ||
	    (r->methodlen == 4 && memcmp(r->method, "POST", 4) == 0)))
		return (0);
	return (!tp_is_static(r->path, r->pathlen));
}

/* Split "GET /path?q HTTP/1.1" into method and path without the query. */
static void
tp_split_request(struct tp_rec *r, const char *s, size_t n)
{
	const char	*sp, *end = s + n, *q;

	if ((sp = memchr(s, ' ', n)) == NULL) {
		r->method = s;
		r->methodlen = 0;
		r->path = s;
		r->pathlen = 0;
		return;
	}
	r->method = s;
	r->methodlen = (size_t)(sp - s);
	r->path = sp + 1;
	if ((q = memchr(r->path, ' ', (size_t)(end - r->path))) != NULL)
		end = q;
	if ((q = memchr(r->path, '?', (size_t)(end - r->path))) != NULL)
		end = q;
	r->pathlen = (size_t)(end - r->path);
}

/* Where a field ends: its delimiter, past backslash escapes; NULL if none. */
static const char *
tp_field_end(const struct tp_item *it, const char *s, const char *end)
{
	const char	*p = s, *bs;

	if (it->delim == '\0')
		return (end);
	for (;;) {
		if ((p = memchr(p, it->delim, (size_t)(end - p))) == NULL)
			return (NULL);
		if (!it->quoted || p == s || p[-1] != '\\')
			return (p);
		for (bs = p - 1; bs > s && bs[-1] == '\\'; bs--)
			continue;
		if ((p - bs) % 2 == 0)
			return (p);
		p++;
	}
}

/* Trim blanks at both ends, as GoAccess does with every token. */
static void
tp_trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/*
 * Whether a line holds control bytes other than tab (a sign of binary).
 * Eight bytes at a time: a word has a byte below 0x20 exactly when
 * (w - 0x20..20) & ~w & 0x80..80 is not zero; only such words (rare, as
 * tabs are) are looked at byte by byte.
 */
static int
tp_has_ctl(const char *s, size_t n)
{
	const uint64_t	 ones = 0x0101010101010101ULL;
	const uint64_t	 high = 0x8080808080808080ULL;
	uint64_t	 w, d;
	size_t		 i = 0, j;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		d = w ^ (0x7f * ones);
		if ((((w - 0x20 * ones) & ~w) | ((d - ones) & ~d)) & high) {
			for (j = i; j < i + 8; j++) {
				if (((unsigned char)s[j] < 0x20 && s[j] !=
				    '\t') || s[j] == 0x7f)
					return (1);
			}
		}
	}
	for (; i < n; i++) {
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] ==
		    0x7f)
			return (1);
	}
	return (0);
}

/* Decimal digits to a number; -1 if not all digits or too long. */
static int64_t
tp_digits(const char *s, size_t n)
{
	int64_t	 v = 0;
	size_t	 i;

	if (n == 0 || n > 18)
		return (-1);
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	return (v);
}

/* Store a time field of any of the three kinds. */
static enum tp_error
tp_store_time(struct tp_rec *r, struct tp_clock *c, int field, const char *s,
    size_t n, int lenient)
{
	int	 rc;

	r->tzoff = 0;
	if (field == TP_F_TIME_LOCAL)
		rc = tp_parse_time_local(s, n, c, &r->when, &r->date,
		    &r->tzoff, lenient);
	else if (field == TP_F_TIME_ISO)
		rc = tp_parse_time_iso(s, n, &r->when, &r->date, &r->tzoff);
	else
		rc = tp_parse_msec(s, n, &r->when, &r->date);
	return (rc == -1 ? TP_E_TIME : TP_OK);
}

/* Check and store one field's text in the record. */
static enum tp_error
tp_store(struct tp_rec *r, struct tp_clock *c, int field, const char *s,
    size_t n, int lenient)
{
	int64_t	 v;

	if (lenient)
		tp_trim(&s, &n);
	switch (field) {
	case TP_F_ADDR:
		if (!tp_is_ip(s, n))
			return (TP_E_ADDR);
		r->addr = s;
		r->addrlen = n;
		break;
	case TP_F_TIME_LOCAL:
	case TP_F_TIME_ISO:
	case TP_F_MSEC:
		return (tp_store_time(r, c, field, s, n, lenient));
	case TP_F_REQUEST:
		tp_split_request(r, s, n);
		break;
	case TP_F_METHOD:
		r->method = s;
		r->methodlen = n;
		break;
	case TP_F_URI:
		r->path = s;
		r->pathlen = n;
		if ((s = memchr(s, '?', n)) != NULL)
			r->pathlen = (size_t)(s - r->path);
		break;
	case TP_F_STATUS:
		if ((v = tp_digits(s, n)) < 100 || v > 599)
			return (TP_E_STATUS);
		r->status = (int)v;
		break;
	case TP_F_BYTES:
		if ((v = tp_digits(s, n)) == -1 && !lenient && !(n == 1 &&
		    *s == '-'))
			return (TP_E_BYTES);
		r->bytes = v == -1 ? 0 : (uint64_t)v;
		break;
	case TP_F_AGENT:
		r->agent = s;
		r->agentlen = n;
		break;
	}
	return (TP_OK);
}

/* GoAccess's rule for a field whose end is missing: "-" or a failure. */
static enum tp_error
tp_lenient_missing(struct tp_rec *r, int field)
{
	switch (field) {
	case TP_F_AGENT:
		r->agent = "-";
		r->agentlen = 1;
		/* FALLTHROUGH */
	case TP_F_REFERER:
	case TP_F_SKIP:
		return (TP_OK);
	}
	return (TP_E_SHORT);
}

/* Walk the format over the line; returns where the scan stopped. */
static enum tp_error
tp_scan(const struct tp_format *f, struct tp_clock *c, const char *p,
    const char *end, int lenient, struct tp_rec *r, unsigned int *seen)
{
	const struct tp_item	*it;
	const char		*fe;
	size_t			 i;
	enum tp_error		 e;

	for (i = 0; i < f->nitems; i++) {
		it = &f->items[i];
		if (lenient && p == end)
			return (TP_OK);
		if (it->field == TP_F_LITERAL) {
			if (lenient) {
				p += (size_t)(end - p) < it->litlen ?
				    (size_t)(end - p) : it->litlen;
				continue;
			}
			if ((size_t)(end - p) < it->litlen)
				return (TP_E_SHORT);
			if (memcmp(p, it->lit, it->litlen) != 0)
				return (TP_E_LITERAL);
			p += it->litlen;
			continue;
		}
		if ((fe = tp_field_end(it, p, end)) == NULL) {
			if (!lenient)
				return (TP_E_SHORT);
			if ((e = tp_lenient_missing(r, it->field)) != TP_OK)
				return (e);
			continue;
		}
		if ((e = tp_store(r, c, it->field, p, (size_t)(fe - p),
		    lenient)) != TP_OK)
			return (e);
		*seen |= 1u << it->field;
		p = fe;
	}
	return (!lenient && p != end ? TP_E_LITERAL : TP_OK);
}

/*
 * Parse one line (without its newline) into r.  Returns TP_OK, TP_IGNORE
 * for a blank or comment line, or why the line is malformed.
 */
enum tp_error
tp_parse(const struct tp_format *f, struct tp_clock *c, const char *line,
    size_t len, int mode, struct tp_rec *r)
{
	const char	*nul;
	unsigned int	 seen = 0;
	int		 lenient = (mode & TP_LENIENT) != 0;
	enum tp_error	 e;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (lenient && (nul = memchr(line, '\0', len)) != NULL)
		len = (size_t)(nul - line);	/* GoAccess sees a C string */
	if (len == 0 || line[0] == '#')
		return (TP_IGNORE);
	if (!lenient && tp_has_ctl(line, len))
		return (TP_E_BINARY);
	memset(r, 0, sizeof(*r));
	if ((e = tp_scan(f, c, line, line + len, lenient, r, &seen)) != TP_OK)
		return (e);
	if (!(seen & (1u << TP_F_ADDR)) || !(seen & ((1u << TP_F_TIME_LOCAL) |
	    (1u << TP_F_TIME_ISO) | (1u << TP_F_MSEC))) || !(seen & ((1u <<
	    TP_F_REQUEST) | (1u << TP_F_URI))))
		return (TP_E_SHORT);
	if (r->agent == NULL || r->agentlen == 0) {
		r->agent = "-";
		r->agentlen = 1;
	}
	if (r->method == NULL)
		r->method = "";
	if (r->path == NULL)
		r->path = "";
	return (TP_OK);
}
