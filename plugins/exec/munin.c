/*
 * munin.c - Munin plugin output for the exec plugin: `prog config` lines
 * (graph_title, FIELD.label, FIELD.type, FIELD.min, FIELD.max,
 * multigraph) and `prog` lines (FIELD.value [EPOCH:]VALUE), and how a
 * field's type and bounds turn a value into what the core stores.
 *
 * Metric names: a field's name sanitised to one metric part; under
 * "multigraph G" it is G's parts, then the field ("diskstats.sda.reads").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

void
exec_munin_init(struct exec_munin_config *mc)
{
	memset(mc, 0, sizeof(*mc));
}

void
exec_munin_clear(struct exec_munin_config *mc)
{
	free(mc->fields);
	exec_munin_init(mc);
}

static int
exec_munin_blank(int c)
{
	return (c == ' ' || c == '\t' || c == '\r');
}

/* Split "key rest": key up to the first blank, rest trimmed.  0 or -1. */
static int
exec_munin_split(const char *line, size_t n, const char **key, size_t *kl,
    const char **rest, size_t *rl)
{
	size_t	 i = 0, start;

	while (i < n && exec_munin_blank(line[i]))
		i++;
	start = i;
	while (i < n && !exec_munin_blank(line[i]))
		i++;
	if (i == start)
		return (-1);
	*key = line + start;
	*kl = i - start;
	while (i < n && exec_munin_blank(line[i]))
		i++;
	while (n > i && exec_munin_blank(line[n - 1]))
		n--;
	*rest = line + i;
	*rl = n - i;
	return (0);
}

/* "multigraph NAME": later fields are named NAME's parts, then field. */
static int
exec_munin_graph(struct exec_munin_config *mc, const char *s, size_t n,
    char *err, size_t errlen)
{
	char		 part[EXEC_PART_MAX + 1], g[TALLY_METRIC_MAX + 1];
	const char	*dot;
	size_t		 pl, len = 0;

	g[0] = '\0';
	while (n > 0) {
		dot = memchr(s, '.', n);
		pl = dot != NULL ? (size_t)(dot - s) : n;
		if (pl > 0) {
			if (exec_sanitize_name(s, pl, part, sizeof(part)) ==
			    -1 || len + strlen(part) + 2 > sizeof(g))
				goto bad;
			len += (size_t)snprintf(g + len, sizeof(g) - len,
			    "%s%s", len > 0 ? "." : "", part);
		}
		if (dot == NULL)
			break;
		n -= pl + 1;
		s = dot + 1;
	}
	if (len == 0)
		goto bad;
	memcpy(mc->graph, g, len + 1);
	return (0);
bad:
	snprintf(err, errlen, "bad or too long multigraph name");
	return (-1);
}

/* The metric of field name s under the current graph; 0 or -1. */
static int
exec_munin_metric(const struct exec_munin_config *mc, const char *s,
    size_t n, char *out, size_t outlen)
{
	char	 part[EXEC_PART_MAX + 1];
	int	 len;

	if (exec_sanitize_name(s, n, part, sizeof(part)) == -1)
		return (-1);
	len = snprintf(out, outlen, "%s%s%s", mc->graph, mc->graph[0] != '\0' ?
	    "." : "", part);
	if (len < 0 || (size_t)len >= outlen || (size_t)len > TALLY_METRIC_MAX)
		return (-1);
	return (0);
}

int
exec_munin_find(const struct exec_munin_config *mc, const char *metric)
{
	size_t	 i;

	for (i = 0; i < mc->nfields; i++) {
		if (strcmp(mc->fields[i].metric, metric) == 0)
			return ((int)i);
	}
	return (-1);
}

/* The field a config line names, added if new; NULL with err if full. */
static struct exec_munin_field *
exec_munin_field(struct exec_munin_config *mc, const char *metric, char *err,
    size_t errlen)
{
	struct exec_munin_field	*f;
	int			 i;

	if ((i = exec_munin_find(mc, metric)) != -1)
		return (&mc->fields[i]);
	if (mc->nfields >= EXEC_MUNIN_FIELDS_MAX) {
		snprintf(err, errlen, "more than %d fields",
		    EXEC_MUNIN_FIELDS_MAX);
		return (NULL);
	}
	f = realloc(mc->fields, (mc->nfields + 1) * sizeof(*f));
	if (f == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	mc->fields = f;
	f = &mc->fields[mc->nfields++];
	memset(f, 0, sizeof(*f));
	snprintf(f->metric, sizeof(f->metric), "%s", metric);
	f->type = EXEC_MUNIN_GAUGE;
	f->min = f->max = f->prev_value = NAN;
	return (f);
}

static int
exec_munin_type(const char *s, size_t n, enum exec_munin_type *t)
{
	static const char	*names[] = { "GAUGE", "COUNTER", "DERIVE",
	    "ABSOLUTE" };
	size_t			 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0) {
			*t = (enum exec_munin_type)(EXEC_MUNIN_GAUGE + (int)i);
			return (0);
		}
	}
	return (-1);
}

const char *
exec_munin_type_name(enum exec_munin_type t)
{
	switch (t) {
	case EXEC_MUNIN_COUNTER:
		return ("COUNTER");
	case EXEC_MUNIN_DERIVE:
		return ("DERIVE");
	case EXEC_MUNIN_ABSOLUTE:
		return ("ABSOLUTE");
	default:
		return ("GAUGE");
	}
}

/* ABSOLUTE values are turned into a per-second rate here: a GAUGE. */
enum tally_kind
exec_munin_kind(enum exec_munin_type t)
{
	switch (t) {
	case EXEC_MUNIN_COUNTER:
		return (TALLY_COUNTER);
	case EXEC_MUNIN_DERIVE:
		return (TALLY_DERIVE);
	default:
		return (TALLY_GAUGE);
	}
}

/* One FIELD.ATTR line of `prog config`; the attributes we use are kept. */
static int
exec_munin_attr(struct exec_munin_config *mc, const char *key, size_t kl,
    const char *rest, size_t rl, char *err, size_t errlen)
{
	struct exec_munin_field	*f;
	const char		*dot = memchr(key, '.', kl);
	const char		*attr = dot + 1;
	size_t			 al = kl - (size_t)(attr - key);
	char			 metric[TALLY_METRIC_MAX + 1], show[64];
	double			*bound;

	exec_printable(show, sizeof(show), key, kl);
	if (dot == key || al == 0 || exec_munin_metric(mc, key,
	    (size_t)(dot - key), metric, sizeof(metric)) == -1) {
		snprintf(err, errlen, "bad field attribute '%s'", show);
		return (-1);
	}
	if ((f = exec_munin_field(mc, metric, err, errlen)) == NULL)
		return (-1);
	if (al == 5 && strncmp(attr, "label", 5) == 0)
		exec_printable(f->label, sizeof(f->label), rest, rl);
	else if (al == 4 && strncmp(attr, "type", 4) == 0) {
		if (exec_munin_type(rest, rl, &f->type) == -1) {
			exec_printable(show, sizeof(show), rest, rl);
			snprintf(err, errlen, "%s: unknown type '%s' (want "
			    "GAUGE, COUNTER, DERIVE or ABSOLUTE)", metric,
			    show);
			return (-1);
		}
	} else if (al == 3 && (strncmp(attr, "min", 3) == 0 ||
	    strncmp(attr, "max", 3) == 0)) {
		bound = attr[1] == 'i' ? &f->min : &f->max;
		if (exec_parse_number(rest, rl, bound) == -1) {
			exec_printable(show, sizeof(show), rest, rl);
			snprintf(err, errlen, "%s: bad %.3s '%s'", metric,
			    attr, show);
			return (-1);
		}
	}
	return (0);
}

/*
 * One line of `prog config`.  0 (used or ignored) or -1 with a reason.
 * graph_* keys other than graph_title and graph_vlabel, host_name and
 * field attributes other than label, type, min and max are ignored.
 */
int
exec_munin_config_line(struct exec_munin_config *mc, const char *line,
    size_t n, char *err, size_t errlen)
{
	const char	*key, *rest;
	size_t		 kl, rl;
	char		 show[64];

	if (exec_line_sane(line, n, err, errlen) == -1)
		return (-1);
	if (exec_munin_split(line, n, &key, &kl, &rest, &rl) == -1 ||
	    key[0] == '#')
		return (0);
	if (kl == 10 && strncmp(key, "multigraph", 10) == 0)
		return (exec_munin_graph(mc, rest, rl, err, errlen));
	if (kl == 11 && strncmp(key, "graph_title", 11) == 0) {
		if (mc->title[0] == '\0')
			exec_printable(mc->title, sizeof(mc->title), rest, rl);
		return (0);
	}
	if (kl == 12 && strncmp(key, "graph_vlabel", 12) == 0) {
		if (mc->vlabel[0] == '\0')
			exec_printable(mc->vlabel, sizeof(mc->vlabel), rest,
			    rl);
		return (0);
	}
	if ((kl >= 5 && strncmp(key, "graph", 5) == 0 &&
	    memchr(key, '.', kl) == NULL) ||
	    (kl == 9 && strncmp(key, "host_name", 9) == 0))
		return (0);
	if (memchr(key, '.', kl) != NULL)
		return (exec_munin_attr(mc, key, kl, rest, rl, err, errlen));
	exec_printable(show, sizeof(show), key, kl);
	snprintf(err, errlen, "unexpected '%s' (want graph_*, FIELD.ATTR or "
	    "multigraph)", show);
	return (-1);
}

/*
 * One line of `prog`: "FIELD.value [EPOCH:]VALUE" (1, *v filled), a
 * multigraph switch, comment or FIELD.extinfo (0), or -1 with a reason.
 */
int
exec_munin_value_line(struct exec_munin_config *mc, const char *line,
    size_t n, time_t now, struct exec_value *v, char *err, size_t errlen)
{
	const char	*key, *rest, *dot, *colon;
	size_t		 kl, rl;
	char		 show[64];
	int		 i;

	if (exec_line_sane(line, n, err, errlen) == -1)
		return (-1);
	if (exec_munin_split(line, n, &key, &kl, &rest, &rl) == -1 ||
	    key[0] == '#')
		return (0);
	if (kl == 10 && strncmp(key, "multigraph", 10) == 0)
		return (exec_munin_graph(mc, rest, rl, err, errlen));
	exec_printable(show, sizeof(show), key, kl);
	dot = memchr(key, '.', kl);
	if (dot != NULL && key + kl - dot == 8 && strncmp(dot, ".extinfo",
	    8) == 0)
		return (0);
	if (dot == NULL || key + kl - dot != 6 || strncmp(dot, ".value",
	    6) != 0) {
		snprintf(err, errlen, "unexpected '%s' (want FIELD.value "
		    "VALUE)", show);
		return (-1);
	}
	if (exec_munin_metric(mc, key, (size_t)(dot - key), v->metric,
	    sizeof(v->metric)) == -1 || (i = exec_munin_find(mc,
	    v->metric)) == -1) {
		snprintf(err, errlen, "field of '%s' is not in the config",
		    show);
		return (-1);
	}
	v->field = (size_t)i;
	v->when = 0;
	if (rl == 0) {
		snprintf(err, errlen, "missing value after '%s'", show);
		return (-1);
	}
	if ((colon = memchr(rest, ':', rl)) != NULL) {
		if (exec_parse_time(rest, (size_t)(colon - rest), now,
		    &v->when) == -1) {
			exec_printable(show, sizeof(show), rest, rl);
			snprintf(err, errlen, "bad time in '%s' (want "
			    "EPOCH:VALUE)", show);
			return (-1);
		}
		rl -= (size_t)(colon + 1 - rest);
		rest = colon + 1;
	}
	if (exec_parse_number(rest, rl, &v->value) == -1) {
		exec_printable(show, sizeof(show), rest, rl);
		snprintf(err, errlen, "bad value '%s' for '%s' (want a number "
		    "or U)", show, v->metric);
		return (-1);
	}
	return (1);
}

static int
exec_munin_out_of_bounds(const struct exec_munin_field *f, double v)
{
	return ((!isnan(f->min) && v < f->min) ||
	    (!isnan(f->max) && v > f->max));
}

/*
 * What to store for a field's raw value v at time when, as Munin's RRDs
 * would: a GAUGE out of [min, max] is unknown; so is a COUNTER or DERIVE
 * whose rate since the last value is; an ABSOLUTE value (a count since
 * the last run) becomes a per-second rate, unknown for the first run.
 * 1 with *out to submit, 0 to submit nothing.
 */
int
exec_munin_apply(struct exec_munin_field *f, time_t when, double v,
    double *out)
{
	double	 prev = f->prev_value;
	time_t	 prevt = f->prev_time;

	f->prev_value = v;
	f->prev_time = when;
	*out = v;
	if (isnan(v))
		return (1);
	switch (f->type) {
	case EXEC_MUNIN_COUNTER:
	case EXEC_MUNIN_DERIVE:
		if (!isnan(prev) && prevt != 0 && when > prevt &&
		    exec_munin_out_of_bounds(f, (v - prev) /
		    (double)(when - prevt)))
			*out = NAN;
		return (1);
	case EXEC_MUNIN_ABSOLUTE:
		if (prevt == 0 || when <= prevt)
			return (0);
		*out = v / (double)(when - prevt);
		break;
	default:
		break;
	}
	if (exec_munin_out_of_bounds(f, *out))
		*out = NAN;
	return (1);
}
