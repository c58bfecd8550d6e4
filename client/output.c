/*
 * output.c - FETCH answers as a table, CSV or JSON.  Rows are parsed
 * strictly ("TIME VALUE", VALUE a number or U) so that a malformed answer
 * is reported rather than printed half-right.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "numfmt.h"
#include "output.h"
#include "when.h"


/* "step=S cf=CF" from the status text; both are required. */
static int
output_fetch_header(const char *text, struct fetch_result *f)
{
	const char	*p = text;
	char		*end;
	size_t		 n;

	f->step = 0;
	f->cf[0] = '\0';
	while (*p != '\0') {
		n = strcspn(p, " ");
		if (strncmp(p, "step=", 5) == 0) {
			errno = 0;
			f->step = strtol(p + 5, &end, 10);
			if (errno != 0 || end != p + n || end == p + 5)
				f->step = 0;
		} else if (strncmp(p, "cf=", 3) == 0 && n > 3 &&
		    n - 3 < sizeof(f->cf)) {
			memcpy(f->cf, p + 3, n - 3);
			f->cf[n - 3] = '\0';
		}
		p += n;
		p += strspn(p, " ");
	}
	return (f->step > 0 && f->cf[0] != '\0' ? 0 : -1);
}

/* One "TIME VALUE" row. */
static int
output_fetch_row(const char *line, struct fetch_point *pt)
{
	const char	*v;
	char		*end;

	if ((v = strchr(line, ' ')) == NULL || v == line)
		return (-1);
	if (line[0] != '-' && (line[0] < '0' || line[0] > '9'))
		return (-1);
	errno = 0;
	pt->t = strtoll(line, &end, 10);
	if (errno != 0 || end != v)
		return (-1);
	v++;
	if (strcmp(v, "U") == 0) {
		pt->known = 0;
		pt->v = 0;
		return (0);
	}
	if (*v == '\0' || strchr("+-.0123456789", *v) == NULL)
		return (-1);
	pt->v = strtod(v, &end);
	if (*end != '\0')
		return (-1);
	pt->known = isfinite(pt->v);
	return (0);
}

int
output_fetch_parse(const struct resp *r, struct fetch_result *f, char *err,
    size_t errlen)
{
	size_t	 i;

	memset(f, 0, sizeof(*f));
	if (r->type != RESP_OK) {
		snprintf(err, errlen, "malformed response: expected OK, got "
		    "\"%.80s\"", r->status);
		return (-1);
	}
	if (output_fetch_header(r->text, f) == -1) {
		snprintf(err, errlen, "malformed response: no step= and cf= "
		    "in \"%.80s\"", r->status);
		return (-1);
	}
	if (r->count > 0 &&
	    (f->pts = calloc(r->count, sizeof(*f->pts))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	for (i = 0; i < r->count; i++) {
		if (output_fetch_row(r->lines[i], &f->pts[i]) == -1) {
			snprintf(err, errlen, "malformed response: bad row "
			    "\"%.80s\"", r->lines[i]);
			output_fetch_free(f);
			return (-1);
		}
	}
	f->n = r->count;
	return (0);
}

void
output_fetch_free(struct fetch_result *f)
{
	free(f->pts);
	f->pts = NULL;
	f->n = 0;
}

void
output_json_string(FILE *fp, const char *s)
{
	const unsigned char	*p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p == '\t')
			fputs("\\t", fp);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\u%04x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

/* The value column as text: a number, or "U" if unknown. */
static void
output_value(const struct fetch_point *pt, char *buf, size_t len)
{
	if (pt->known)
		numfmt_double(buf, len, pt->v);
	else
		snprintf(buf, len, "U");
}

void
output_fetch_table(FILE *fp, const struct fetch_result *f, int utc)
{
	char	 t[64], v[NUMFMT_LEN];
	size_t	 i;
	int	 tw, vw = 5, days = f->n > 0;	/* "value" */

	for (i = 0; i < f->n && days; i++)
		days = when_midnight(f->pts[i].t, utc);
	tw = days ? 10 : utc ? 20 : 19;		/* "2021-12-31T23:59:59Z" */
	for (i = 0; i < f->n; i++) {
		when_fmt(f->pts[i].t, utc, days, t, sizeof(t));
		output_value(&f->pts[i], v, sizeof(v));
		if ((int)strlen(t) > tw)
			tw = strlen(t);
		if ((int)strlen(v) > vw)
			vw = strlen(v);
	}
	fprintf(fp, "%-*s  %*s\n", tw, "time", vw, "value");
	for (i = 0; i < f->n; i++) {
		when_fmt(f->pts[i].t, utc, days, t, sizeof(t));
		output_value(&f->pts[i], v, sizeof(v));
		fprintf(fp, "%-*s  %*s\n", tw, t, vw, v);
	}
}

void
output_alert_line(FILE *fp, const char *line, int tword, int vword, int utc)
{
	char		 buf[64], word[64], *end;
	const char	*p = line, *q;
	double		 d;
	long long	 t;
	int		 i;

	for (i = 0; *p != '\0'; i++) {
		if (i > vword && i > tword) {
			fputs(p, fp);
			break;
		}
		q = p + strcspn(p, " ");
		snprintf(word, sizeof(word), "%.*s", (int)(q - p), p);
		if (i == tword && (t = strtoll(word, &end, 10), *end == '\0') &&
		    word[0] != '\0') {
			when_fmt(t, utc, 0, buf, sizeof(buf));
			fputs(buf, fp);
		} else if (i == vword && (d = strtod(word, &end),
		    *end == '\0') && word[0] != '\0' &&
		    strcmp(word, "U") != 0) {
			when_number(d, buf, sizeof(buf));
			fputs(buf, fp);
		} else
			fwrite(p, 1, (size_t)(q - p), fp);
		if (*q == '\0')
			break;
		fputc(' ', fp);
		p = q + 1;
	}
	fputc('\n', fp);
}

void
output_fetch_csv(FILE *fp, const struct fetch_result *f)
{
	char	 v[NUMFMT_LEN];
	size_t	 i;

	fputs("time,value\n", fp);
	for (i = 0; i < f->n; i++) {
		if (f->pts[i].known)
			numfmt_double(v, sizeof(v), f->pts[i].v);
		else
			v[0] = '\0';
		fprintf(fp, "%lld,%s\n", f->pts[i].t, v);
	}
}

void
output_fetch_json(FILE *fp, const char *metric, const struct fetch_result *f)
{
	char	 v[NUMFMT_LEN];
	size_t	 i;

	fputs("{\"metric\":", fp);
	output_json_string(fp, metric);
	fprintf(fp, ",\"step\":%ld,\"cf\":", f->step);
	output_json_string(fp, f->cf);
	fputs(",\"points\":[", fp);
	for (i = 0; i < f->n; i++) {
		if (f->pts[i].known)
			numfmt_double(v, sizeof(v), f->pts[i].v);
		else
			strcpy(v, "null");
		fprintf(fp, "%s[%lld,%s]", i > 0 ? "," : "", f->pts[i].t, v);
	}
	fputs("]}\n", fp);
}
