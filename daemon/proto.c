/*
 * proto.c - the socket protocol's pure parser: a request line into a
 * command and its words, and the argument parsers every handler shares
 * (times, durations, PUT values, FETCH arguments, LIST globs).
 *
 * Nothing here touches a socket, a clock or daemon state: callers pass
 * "now", so the same input always gives the same answer and the file is
 * unit-tested and fuzzed alone.  Numbers go through strtoll/strtod with
 * full consumption and range checks; dates are taken apart by datetime.c
 * (shared with tallyctl) and read as UTC.  docs/PROTOCOL.md is the spec.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "datetime.h"
#include "names.h"
#include "proto.h"

#define PROTO_NITEMS(a)		(sizeof(a) / sizeof((a)[0]))
#define PROTO_SHOW_MAX		32	/* bytes of client text in a message */
#define PROTO_SHOW_LEN		(4 * PROTO_SHOW_MAX + 4)

static const struct proto_cmd_entry proto_table[] = {
	{ "HELP", PROTO_HELP, 0, 0, PROTO_F_NOAUTH,
	    "HELP", "list the commands" },
	{ "PING", PROTO_PING, 0, 0, PROTO_F_NOAUTH,
	    "PING", "check that the server answers" },
	{ "AUTH", PROTO_AUTH, 1, 1, PROTO_F_NOAUTH,
	    "AUTH token", "authenticate (TCP with a token)" },
	{ "QUIT", PROTO_QUIT, 0, 0, PROTO_F_NOAUTH,
	    "QUIT", "close the connection" },
	{ "LIST", PROTO_LIST, 0, 1, 0,
	    "LIST [glob]", "list the series, sorted, those matching glob" },
	{ "INFO", PROTO_INFO, 1, 1, PROTO_F_ASYNC,
	    "INFO metric", "describe a series and its file" },
	{ "LAST", PROTO_LAST, 1, 1, 0,
	    "LAST metric", "the last value of a series" },
	{ "FETCH", PROTO_FETCH, 3, 5, PROTO_F_ASYNC,
	    "FETCH metric start end [cf] [resolution]",
	    "read stored values" },
	{ "PUT", PROTO_PUT, 2, -1, 0,
	    "PUT metric time:value [time:value ...]",
	    "queue values for a series" },
	{ "FLUSH", PROTO_FLUSH, 0, 1, PROTO_F_ASYNC,
	    "FLUSH [metric]", "write queued values to their files" },
	{ "GRAPH", PROTO_GRAPH, 1, -1, PROTO_F_ASYNC,
	    "GRAPH key=value ...", "render a graph (metric= start= end= ...)" },
	{ "PLUGINS", PROTO_PLUGINS, 0, 0, 0,
	    "PLUGINS", "plugin instances and their figures" },
	{ "STATS", PROTO_STATS, 0, 0, 0,
	    "STATS", "the daemon's own figures" },
	{ "ALERTS", PROTO_ALERTS, 0, 0, 0,
	    "ALERTS", "alert rules and their states" },
	{ "ALERT", PROTO_ALERT, 1, 3, 0,
	    "ALERT HISTORY [name] | ALERT TEST name from",
	    "an alert's history, or a dry run of a rule" },
	{ "REPORT", PROTO_REPORT, 0, 3, PROTO_F_ASYNC,
	    "REPORT [from|-] [to|-] [text|csv|xlsx]",
	    "the annual report: indicators by year, changes against the year "
	    "before" },
};
_Static_assert(PROTO_NITEMS(proto_table) == PROTO__MAX,
    "one table entry per command");

static const char *const proto_err_names[] = {
	"syntax", "unknown-command", "bad-args", "bad-time", "bad-name",
	"not-found", "auth", "limit", "busy", "store", "internal"
};
_Static_assert(PROTO_NITEMS(proto_err_names) == PERR__MAX,
    "one name per error code");

const struct proto_cmd_entry *
proto_commands(size_t *n)
{
	if (n != NULL)
		*n = PROTO_NITEMS(proto_table);
	return (proto_table);
}

const char *
proto_err_name(enum proto_err code)
{
	if ((unsigned)code >= PERR__MAX)
		return ("internal");
	return (proto_err_names[code]);
}

int
proto_error_set(struct proto_error *err, enum proto_err code,
    const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL)
		return (-1);
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return (-1);
}

void
proto_quote(char *buf, size_t len, const char *s, size_t max)
{
	size_t		 i, o = 0;
	unsigned char	 c;

	if (len == 0)
		return;
	for (i = 0; s[i] != '\0' && i < max; i++) {
		c = (unsigned char)s[i];
		if (o + 5 > len)
			break;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = c;
		else
			o += snprintf(buf + o, len - o, "\\x%02x", c);
	}
	if (s[i] != '\0' && o + 4 <= len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o < len ? o : len - 1] = '\0';
}

int
proto_cf(const char *s, char cf[8])
{
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX", "LAST" };
	size_t			 i;

	for (i = 0; i < PROTO_NITEMS(cfs); i++) {
		if (strcasecmp(s, cfs[i]) == 0) {
			memcpy(cf, cfs[i], strlen(cfs[i]) + 1);	/* <= 8 */
			return (0);
		}
	}
	return (-1);
}

/* Refuse control bytes (all below 0x20 but tab, and DEL) anywhere. */
static int
proto_check_bytes(const char *line, size_t len, struct proto_error *err)
{
	size_t		 i;
	unsigned char	 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)line[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return (proto_error_set(err, PERR_SYNTAX,
			    "control byte \\x%02x at offset %zu", c, i));
	}
	return (0);
}

/*
 * The next word from line[*r], unquoted and NUL-terminated in place at
 * *w (never ahead of *r).  1 with *word set, 0 at the end, -1 on error.
 */
static int
proto_word(char *line, size_t len, size_t *r, size_t *w, char **word,
    struct proto_error *err)
{
	int	 quoted = 0;
	char	 c;

	while (*r < len && (line[*r] == ' ' || line[*r] == '\t'))
		(*r)++;
	if (*r == len)
		return (0);
	*word = line + *w;
	for (; *r < len; (*r)++) {
		c = line[*r];
		if (!quoted && (c == ' ' || c == '\t'))
			break;
		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted && c == '\\') {
			if (*r + 1 == len || (line[*r + 1] != '"' &&
			    line[*r + 1] != '\\'))
				return (proto_error_set(err, PERR_SYNTAX,
				    "bad escape at offset %zu (only \\\" and "
				    "\\\\)", *r));
			c = line[++(*r)];
		}
		line[(*w)++] = c;
	}
	if (quoted)
		return (proto_error_set(err, PERR_SYNTAX, "unbalanced quote"));
	line[(*w)++] = '\0';
	if (*r < len)
		(*r)++;
	return (1);
}

static const struct proto_cmd_entry *
proto_lookup(const char *name)
{
	size_t	 i;

	for (i = 0; i < PROTO_NITEMS(proto_table); i++) {
		if (strcasecmp(name, proto_table[i].name) == 0)
			return (&proto_table[i]);
	}
	return (NULL);
}

/* Counts from the table; ALERT's subcommands have their own. */
static int
proto_check_args(const struct proto_req *req, struct proto_error *err)
{
	const struct proto_cmd_entry	*e = req->entry;
	int				 max;

	max = e->max_args == -1 ? PROTO_ARGS_MAX : e->max_args;
	if (req->argc < e->min_args || req->argc > max)
		return (proto_error_set(err, PERR_ARGS, "usage: %s",
		    e->usage));
	if (e->cmd != PROTO_ALERT)
		return (0);
	if (strcasecmp(req->argv[0], "HISTORY") == 0 && req->argc <= 2)
		return (0);
	if (strcasecmp(req->argv[0], "TEST") == 0 && req->argc == 3)
		return (0);
	return (proto_error_set(err, PERR_ARGS, "usage: %s", e->usage));
}

int
proto_parse(char *line, size_t len, struct proto_req *req,
    struct proto_error *err)
{
	char	 show[PROTO_SHOW_LEN], *word;
	size_t	 r = 0, w = 0;
	int	 rc;

	req->entry = NULL;
	req->argc = 0;
	if (len > PROTO_LINE_MAX)
		return (proto_error_set(err, PERR_LIMIT,
		    "line too long (max %d bytes)", PROTO_LINE_MAX));
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (proto_check_bytes(line, len, err) == -1)
		return (-1);
	if ((rc = proto_word(line, len, &r, &w, &word, err)) == -1)
		return (-1);
	if (rc == 0)
		return (proto_error_set(err, PERR_SYNTAX, "empty request"));
	if ((req->entry = proto_lookup(word)) == NULL) {
		proto_quote(show, sizeof(show), word, PROTO_SHOW_MAX);
		return (proto_error_set(err, PERR_UNKNOWN,
		    "unknown command \"%s\" (try HELP)", show));
	}
	while ((rc = proto_word(line, len, &r, &w, &word, err)) == 1) {
		if (req->argc == PROTO_ARGS_MAX)
			return (proto_error_set(err, PERR_ARGS,
			    "too many arguments (max %d)", PROTO_ARGS_MAX));
		req->argv[req->argc++] = word;
	}
	if (rc == -1)
		return (-1);
	return (proto_check_args(req, err));
}

int
proto_duration(const char *s, long *out, struct proto_error *err)
{
	char		 show[PROTO_SHOW_LEN];
	long long	 v;

	if (datetime_span(s, DATETIME_MAX, &v) == -1 || v == 0) {
		proto_quote(show, sizeof(show), s, PROTO_SHOW_MAX);
		return (proto_error_set(err, PERR_TIME, "bad duration \"%s\" "
		    "(seconds > 0, or a number and one of s m h d w y)",
		    show));
	}
	*out = (long)v;
	return (0);
}

int
proto_time(const char *s, time_t now, time_t *out, struct proto_error *err)
{
	char		 show[PROTO_SHOW_LEN];
	struct datetime	 dt;
	const char	*end;
	long long	 v, d;
	int		 bad = 0;

	if (strcmp(s, "now") == 0)
		v = now;
	else if (s[0] == '-' || s[0] == '+') {
		if (datetime_span(s + 1, DATETIME_MAX, &d) == -1)
			bad = 1;
		else if (s[0] == '-')
			bad = __builtin_sub_overflow((long long)now, d, &v);
		else
			bad = __builtin_add_overflow((long long)now, d, &v);
	} else if (datetime_is_date(s)) {
		if (!(bad = datetime_parse(s, &dt) == -1))
			v = datetime_utc(&dt);
	}
	else
		bad = datetime_digits(s, &end, DATETIME_MAX, &v) == -1 ||
		    *end != '\0';
	proto_quote(show, sizeof(show), s, PROTO_SHOW_MAX);
	if (bad)
		return (proto_error_set(err, PERR_TIME, "bad time \"%s\" "
		    "(epoch seconds, now, -1h, YYYY, YYYY-MM, DD/MM/YYYY or "
		    "YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]])", show));
	if (v < 0 || v >= DATETIME_MAX)
		return (proto_error_set(err, PERR_TIME, "time \"%s\" is not "
		    "between 1970 and 2199", show));
	*out = (time_t)v;
	return (0);
}

/* A decimal number, finite; no hex, no nan or inf spellings. */
static int
proto_real(const char *s, double *out)
{
	char	*ep;
	double	 d;

	if (*s == '\0' || s[strspn(s, "0123456789+-.eE")] != '\0' ||
	    strpbrk(s, "0123456789") == NULL)
		return (-1);
	errno = 0;
	d = strtod(s, &ep);
	if (*ep != '\0' || !isfinite(d))
		return (-1);
	*out = d;
	return (0);
}

int
proto_put_value(const char *s, time_t now, time_t *when, double *value,
    struct proto_error *err)
{
	char		 show[PROTO_SHOW_LEN];
	const char	*colon, *end;
	long long	 t;

	proto_quote(show, sizeof(show), s, PROTO_SHOW_MAX);
	if ((colon = strchr(s, ':')) == NULL)
		return (proto_error_set(err, PERR_ARGS,
		    "bad value \"%s\" (time:value)", show));
	if (colon - s == 1 && s[0] == 'N')
		t = now;
	else if (datetime_digits(s, &end, DATETIME_MAX, &t) == -1 ||
	    end != colon)
		return (proto_error_set(err, PERR_TIME, "bad time in \"%s\" "
		    "(epoch seconds or N)", show));
	if (t < 0 || t >= DATETIME_MAX)
		return (proto_error_set(err, PERR_TIME, "time in \"%s\" is not "
		    "between 1970 and 2199", show));
	if (strcmp(colon + 1, "U") == 0)
		*value = NAN;
	else if (proto_real(colon + 1, value) == -1)
		return (proto_error_set(err, PERR_ARGS, "bad value in \"%s\" "
		    "(a finite decimal number or U)", show));
	*when = (time_t)t;
	return (0);
}

int
proto_fetch_args(const struct proto_req *req, time_t now,
    struct proto_fetch *f, struct proto_error *err)
{
	if (req->argc < 3 || req->argc > 5)
		return (proto_error_set(err, PERR_ARGS, "usage: %s",
		    proto_table[PROTO_FETCH].usage));
	return (proto_fetch_parse(req->argv[0], req->argv[1], req->argv[2],
	    req->argc > 3 ? req->argv[3] : NULL, req->argc > 4 ?
	    req->argv[4] : NULL, now, f, err));
}

int
proto_fetch_parse(const char *metric, const char *start, const char *end,
    const char *cf, const char *resolution, time_t now,
    struct proto_fetch *f, struct proto_error *err)
{
	char	 show[PROTO_SHOW_LEN];

	memset(f, 0, sizeof(*f));
	if (!names_series_valid(metric)) {
		proto_quote(show, sizeof(show), metric, PROTO_SHOW_MAX);
		return (proto_error_set(err, PERR_NAME,
		    "bad metric name \"%s\"", show));
	}
	f->metric = metric;
	if (proto_time(start, now, &f->start, err) == -1 ||
	    proto_time(end, now, &f->end, err) == -1)
		return (-1);
	if (f->start >= f->end)
		return (proto_error_set(err, PERR_TIME,
		    "start must be before end"));
	snprintf(f->cf, sizeof(f->cf), "AVERAGE");
	if (cf != NULL && proto_cf(cf, f->cf) == -1) {
		proto_quote(show, sizeof(show), cf, PROTO_SHOW_MAX);
		return (proto_error_set(err, PERR_ARGS, "bad cf \"%s\" "
		    "(AVERAGE, MIN, MAX or LAST)", show));
	}
	if (resolution != NULL &&
	    proto_duration(resolution, &f->resolution, err) == -1)
		return (-1);
	return (0);
}

/*
 * Does the pattern element at *pp ("?", "[...]" or a byte) match c?
 * Advances *pp past it.  A "[" without its "]" is an ordinary byte; a "]"
 * right after "[" or "[!" belongs to the set.
 */
static int
proto_glob_one(const char **pp, char c)
{
	const char	*p = *pp, *q, *set;
	int		 neg, hit = 0;

	if (*p == '?') {
		*pp = p + 1;
		return (1);
	}
	if (*p == '[') {
		set = p + 1;
		if ((neg = (*set == '!' || *set == '^')))
			set++;
		if (*set != '\0' && (q = strchr(set + 1, ']')) != NULL) {
			for (; set < q; set++) {
				if (set + 2 < q && set[1] == '-') {
					hit |= (unsigned char)c >=
					    (unsigned char)set[0] &&
					    (unsigned char)c <=
					    (unsigned char)set[2];
					set += 2;
				} else
					hit |= *set == c;
			}
			*pp = q + 1;
			return (hit != neg);
		}
	}
	*pp = p + 1;
	return (*p == c);
}

/* The fewest bytes a name needs to match p: its elements but stars. */
static size_t
proto_glob_min(const char *p)
{
	size_t	 n = 0;

	while (*p != '\0') {
		if (*p == '*')
			p++;
		else {
			(void)proto_glob_one(&p, '\0');
			n++;
		}
	}
	return (n);
}

int
proto_glob(const char *p, const char *n)
{
	const char	*star_p = NULL, *star_n = NULL;

	if (strlen(p) > PROTO_GLOB_MAX || proto_glob_min(p) > strlen(n))
		return (0);

	for (;;) {
		if (*p == '*') {
			while (*p == '*')
				p++;
			star_p = p;
			star_n = n;
			continue;
		}
		if (*n == '\0')
			return (*p == '\0');
		if (*p != '\0' && proto_glob_one(&p, *n)) {
			n++;
			continue;
		}
		if (star_p == NULL)
			return (0);
		p = star_p;
		n = ++star_n;
	}
}
