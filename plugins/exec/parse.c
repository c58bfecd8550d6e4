/*
 * parse.c - the exec plugin's pure parsers (see parse.h and docs/EXEC.md).
 *
 * Everything here works on a pointer and a length, never trusts the
 * program that produced the text, and reports a reason in a caller's
 * buffer: bad output is logged and skipped, never fatal.  Numbers are
 * checked against a strict grammar before strtod, so "inf", "nan", hex
 * floats and trailing junk are refused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define EXEC_NUMBER_MAX	64	/* longest number text accepted */

static int
exec_is_digit(int c)
{
	return (c >= '0' && c <= '9');
}

/* Blanks separate words; a stray CR counts as one. */
static int
exec_is_blank(int c)
{
	return (c == ' ' || c == '\t' || c == '\r');
}

/* One part of a metric name: the core's rule, [a-z0-9_-]{1,64}. */
static int
exec_part_valid(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > EXEC_PART_MAX)
		return (0);
	for (i = 0; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || exec_is_digit(s[i]) ||
		    s[i] == '_' || s[i] == '-'))
			return (0);
	}
	return (1);
}

/* The core's metric rule, so a bad name is reported here with its line. */
int
exec_metric_valid(const char *s)
{
	const char	*dot;
	size_t		 len = strlen(s);

	if (len == 0 || len > TALLY_METRIC_MAX)
		return (0);
	for (;;) {
		dot = strchr(s, '.');
		if (!exec_part_valid(s, dot != NULL ? (size_t)(dot - s) :
		    strlen(s)))
			return (0);
		if (dot == NULL)
			return (1);
		s = dot + 1;
	}
}

/*
 * Turn a foreign name (a Munin field) into one metric part: letters
 * lowercased, any other byte outside [a-z0-9_-] replaced by '_', cut to
 * 64 bytes.  Returns -1 for an empty name or a small buffer.
 */
int
exec_sanitize_name(const char *s, size_t n, char *dst, size_t dstlen)
{
	size_t	 i;
	char	 c;

	if (n == 0 || dstlen < 2)
		return (-1);
	if (n > EXEC_PART_MAX)
		n = EXEC_PART_MAX;
	if (n > dstlen - 1)
		return (-1);
	for (i = 0; i < n; i++) {
		c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || exec_is_digit(c) ||
		    c == '_' || c == '-'))
			c = '_';
		dst[i] = c;
	}
	dst[n] = '\0';
	return (0);
}

/*
 * A value: "U" (unknown, NAN) or a finite decimal number, optionally
 * signed, with an optional fraction and exponent.  0 or -1.
 */
int
exec_parse_number(const char *s, size_t n, double *out)
{
	char	 buf[EXEC_NUMBER_MAX + 1];
	size_t	 i = 0, digits = 0, exp = 0;
	double	 v;

	if (n == 1 && s[0] == 'U') {
		*out = NAN;
		return (0);
	}
	if (n == 0 || n > EXEC_NUMBER_MAX)
		return (-1);
	if (s[i] == '+' || s[i] == '-')
		i++;
	for (; i < n && exec_is_digit(s[i]); i++)
		digits++;
	if (i < n && s[i] == '.')
		for (i++; i < n && exec_is_digit(s[i]); i++)
			digits++;
	if (digits == 0)
		return (-1);
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		if (++i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (; i < n && exec_is_digit(s[i]); i++)
			exp++;
		if (exp == 0)
			return (-1);
	}
	if (i != n)
		return (-1);
	memcpy(buf, s, n);
	buf[n] = '\0';
	v = strtod(buf, NULL);
	if (!isfinite(v))
		return (-1);
	*out = v;
	return (0);
}

/* Epoch seconds, digits only, from 1 to a day after now.  0 or -1. */
int
exec_parse_time(const char *s, size_t n, time_t now, time_t *out)
{
	long long	 t = 0;
	size_t		 i;

	if (n == 0 || n > 12)
		return (-1);
	for (i = 0; i < n; i++) {
		if (!exec_is_digit(s[i]))
			return (-1);
		t = t * 10 + (s[i] - '0');
	}
	if (t < 1 || t > (long long)now + EXEC_FUTURE_MAX)
		return (-1);
	*out = (time_t)t;
	return (0);
}

/*
 * The core's duration syntax: plain seconds ("90") or numbers each with a
 * unit ms, s, m, h or d ("1m30s", "250ms").  Milliseconds into *ms.
 */
int
exec_parse_duration(const char *s, unsigned long *ms)
{
	unsigned long long	 total = 0, n, mul;
	const char		*p = s;

	if (*p == '\0')
		return (-1);
	while (*p != '\0') {
		if (!exec_is_digit(*p))
			return (-1);
		for (n = 0; exec_is_digit(*p); p++) {
			n = n * 10 + (unsigned long long)(*p - '0');
			if (n > 1000000000ULL)
				return (-1);
		}
		if (strncmp(p, "ms", 2) == 0) {
			mul = 1;
			p += 2;
		} else if (*p == 's' || *p == '\0' || *p == 'm' ||
		    *p == 'h' || *p == 'd') {
			mul = *p == 'm' ? 60000 : *p == 'h' ? 3600000 :
			    *p == 'd' ? 86400000 : 1000;
			if (*p == '\0' && p != s && total != 0)
				return (-1);	/* "1m30": unit missing */
			if (*p != '\0')
				p++;
		} else
			return (-1);
		total += n * mul;
		if (total > 1000000000000ULL)
			return (-1);
	}
	*ms = (unsigned long)total;
	return (0);
}

/* Bytes, with an optional k, M or G suffix (times 1024, 1024^2, 1024^3). */
int
exec_parse_size(const char *s, size_t *out)
{
	unsigned long long	 n = 0, mul = 1;
	const char		*p;

	if (!exec_is_digit(*s))
		return (-1);
	for (p = s; exec_is_digit(*p); p++) {
		n = n * 10 + (unsigned long long)(*p - '0');
		if (n > (1ULL << 40))
			return (-1);
	}
	if (*p == 'k')
		mul = 1024;
	else if (*p == 'M')
		mul = 1024 * 1024;
	else if (*p == 'G')
		mul = 1024 * 1024 * 1024;
	if (mul != 1)
		p++;
	if (*p != '\0' || n * mul > SIZE_MAX / 2)
		return (-1);
	*out = (size_t)(n * mul);
	return (0);
}

/* "NAME=VALUE" with NAME [A-Za-z_][A-Za-z0-9_]*; the value may be empty. */
int
exec_env_valid(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0' && s[i] != '='; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		    (i > 0 && exec_is_digit(s[i]))))
			return (0);
	}
	return (i > 0 && s[i] == '=');
}

void
exec_free_argv(char **argv, size_t argc)
{
	size_t	 i;

	if (argv == NULL)
		return;
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* Append a finished word to a NULL-terminated argv; -1 on no memory. */
static int
exec_argv_push(char ***argvp, size_t *argcp, const char *word, size_t n)
{
	char	**v;

	if ((v = realloc(*argvp, (*argcp + 2) * sizeof(*v))) == NULL)
		return (-1);
	*argvp = v;
	if ((v[*argcp] = strndup(word, n)) == NULL)
		return (-1);
	v[++*argcp] = NULL;
	return (0);
}

/*
 * Split a command line into words, as a tiny subset of sh(1): blanks
 * separate words; '...' is literal; in "..." a backslash escapes only "
 * and \; elsewhere a backslash escapes any character.  Nothing is
 * expanded.  On success *argvp is NULL-terminated and owned by the caller.
 */
int
exec_split_command(const char *s, char ***argvp, size_t *argcp, char *err,
    size_t errlen)
{
	char	*w, quote = 0;
	size_t	 n = 0;
	int	 inword = 0;

	*argvp = NULL;
	*argcp = 0;
	if ((w = malloc(strlen(s) + 1)) == NULL)
		goto nomem;
	for (;; s++) {
		if (quote == 0 && (*s == '\0' || exec_is_blank(*s))) {
			if (inword && exec_argv_push(argvp, argcp, w, n) == -1)
				goto nomem;
			inword = 0;
			n = 0;
			if (*s == '\0')
				break;
			continue;
		}
		if (*s == '\0') {
			snprintf(err, errlen, "unterminated %c quote", quote);
			goto fail;
		}
		inword = 1;
		if (quote == 0 && (*s == '\'' || *s == '"'))
			quote = *s;
		else if (quote != 0 && *s == quote)
			quote = 0;
		else if (*s == '\\' && quote == 0) {
			if (*++s == '\0') {
				snprintf(err, errlen, "backslash at the end");
				goto fail;
			}
			w[n++] = *s;
		} else if (*s == '\\' && quote == '"' && (s[1] == '"' ||
		    s[1] == '\\'))
			w[n++] = *++s;
		else
			w[n++] = *s;
	}
	free(w);
	if (*argcp == 0) {
		snprintf(err, errlen, "empty command");
		return (-1);
	}
	return (0);
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	free(w);
	exec_free_argv(*argvp, *argcp);
	*argvp = NULL;
	*argcp = 0;
	return (-1);
}

/*
 * The next line of buf[0..len) from *off: a line ends at '\n' (a CR
 * before it is dropped) or at the end of the buffer.  1 with the line, or
 * 0 at the end.
 */
int
exec_next_line(const char *buf, size_t len, size_t *off, const char **line,
    size_t *linelen)
{
	const char	*start, *nl;
	size_t		 n;

	if (*off >= len)
		return (0);
	start = buf + *off;
	if ((nl = memchr(start, '\n', len - *off)) != NULL) {
		n = (size_t)(nl - start);
		*off += n + 1;
	} else {
		n = len - *off;
		*off = len;
	}
	if (n > 0 && start[n - 1] == '\r')
		n--;
	*line = start;
	*linelen = n;
	return (1);
}

/*
 * Copy foreign text for a log line: control bytes become '?', and text
 * too long for dst is cut and ends in "...".
 */
void
exec_printable(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t	 i, max;

	if (dstlen == 0)
		return;
	max = n < dstlen - 1 ? n : dstlen - 1;
	for (i = 0; i < max; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c == '\t' ? ' ' : (c < 0x20 || c == 0x7f) ? '?' :
		    (char)c;
	}
	dst[max] = '\0';
	if (max < n && max >= 3)
		memcpy(dst + max - 3, "...", 3);
}

/* Checks shared by both output formats: size and binary data. */
int
exec_line_sane(const char *line, size_t n, char *err, size_t errlen)
{
	if (n > EXEC_LINE_MAX) {
		snprintf(err, errlen, "line of %zu bytes is longer than %d",
		    n, EXEC_LINE_MAX);
		return (-1);
	}
	if (memchr(line, '\0', n) != NULL) {
		snprintf(err, errlen, "binary data (NUL byte) in line");
		return (-1);
	}
	return (0);
}

/* Split a line into at most max blank-separated words; the count. */
static size_t
exec_words(const char *line, size_t n, const char **w, size_t *wl,
    size_t max)
{
	size_t	 i = 0, nw = 0, start;

	for (;;) {
		while (i < n && exec_is_blank(line[i]))
			i++;
		if (i == n)
			return (nw);
		if (nw == max)
			return (max + 1);
		start = i;
		while (i < n && !exec_is_blank(line[i]))
			i++;
		w[nw] = line + start;
		wl[nw++] = i - start;
	}
}

/*
 * A line of the plain format: "metric value [time]".  1 with *v filled,
 * 0 for a blank or '#' comment line, -1 with a reason in err.
 */
int
exec_parse_line(const char *line, size_t n, time_t now, struct exec_value *v,
    char *err, size_t errlen)
{
	const char	*w[3];
	size_t		 wl[3], nw;
	char		 show[64], name[64];

	if (exec_line_sane(line, n, err, errlen) == -1)
		return (-1);
	nw = exec_words(line, n, w, wl, 3);
	if (nw == 0 || w[0][0] == '#')
		return (0);
	exec_printable(name, sizeof(name), w[0], wl[0]);
	if (nw > 3) {
		snprintf(err, errlen, "too many fields after '%s' (want: "
		    "metric value [time])", name);
		return (-1);
	}
	v->metric[0] = '\0';
	if (wl[0] <= TALLY_METRIC_MAX) {
		memcpy(v->metric, w[0], wl[0]);
		v->metric[wl[0]] = '\0';
	}
	if (!exec_metric_valid(v->metric)) {
		snprintf(err, errlen, "bad metric name '%s' (want [a-z0-9_-]+ "
		    "parts joined by dots)", name);
		return (-1);
	}
	if (nw < 2) {
		snprintf(err, errlen, "missing value after '%s'", name);
		return (-1);
	}
	if (exec_parse_number(w[1], wl[1], &v->value) == -1) {
		exec_printable(show, sizeof(show), w[1], wl[1]);
		snprintf(err, errlen, "bad value '%s' for '%s' (want a number "
		    "or U)", show, name);
		return (-1);
	}
	v->when = 0;
	v->field = 0;
	if (nw == 3 && exec_parse_time(w[2], wl[2], now, &v->when) == -1) {
		exec_printable(show, sizeof(show), w[2], wl[2]);
		snprintf(err, errlen, "bad time '%s' for '%s' (want epoch "
		    "seconds, at most a day ahead)", show, name);
		return (-1);
	}
	return (1);
}
