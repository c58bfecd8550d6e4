/*
 * history.c - the points a plugin instance has stored, per metric, kept in
 * a text file in its state directory ("METRIC WHEN VALUE" lines), and the
 * merge of a new reading into them.
 *
 * Why keep them: the core drops a value not newer than a file's last
 * update, so a plugin that re-reads a source must know what it already
 * stored, across restarts, both to submit only what is new and to see that
 * a past figure changed.  A changed past figure cannot be submitted; the
 * whole history of that metric goes to the host's rewrite instead, which
 * rebuilds the file.  Periods missing from a reading keep their points: an
 * export that lists only recent years must not erase older ones.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "history.h"

#define HISTORY_MAGIC	"tallyd-history 1"

struct history_metric {
	char		*name;
	time_t		*when;
	double		*value;
	size_t		 n;
	size_t		 cap;
	int		 suspect;	/* stored history unknown: rewrite */
};

struct history {
	struct history_metric	*m;
	size_t			 n;
	int			 suspect;	/* the state file was damaged */
};

/* A merge in progress: the old points of a metric with the new reading. */
struct history_merge {
	time_t		*when;
	double		*value;
	size_t		 n;
	size_t		 first;		/* index of the first changed point */
	int		 changed;	/* an old point differs or is new */
};

/* strerror for a worker thread (the GNU strerror_r may not fill buf). */
static const char *
history_strerror(int err, char *buf, size_t len)
{
	return (strerror_r(err, buf, len));
}

struct history *
history_new(void)
{
	return (calloc(1, sizeof(struct history)));
}

static void
history_clear(struct history *h)
{
	size_t	 i;

	for (i = 0; i < h->n; i++) {
		free(h->m[i].name);
		free(h->m[i].when);
		free(h->m[i].value);
	}
	free(h->m);
	h->m = NULL;
	h->n = 0;
}

void
history_free(struct history *h)
{
	if (h == NULL)
		return;
	history_clear(h);
	free(h);
}

/* The metric's entry, made if missing; NULL without memory. */
static struct history_metric *
history_get(struct history *h, const char *name)
{
	struct history_metric	*m;
	size_t			 i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->m[i].name, name) == 0)
			return (&h->m[i]);
	if ((m = realloc(h->m, (h->n + 1) * sizeof(*m))) == NULL)
		return (NULL);
	h->m = m;
	m = &h->m[h->n];
	memset(m, 0, sizeof(*m));
	if ((m->name = strdup(name)) == NULL)
		return (NULL);
	m->suspect = h->suspect;
	h->n++;
	return (m);
}

/* Appends a point; -1 without memory. */
static int
history_push(struct history_metric *m, time_t when, double value)
{
	time_t	*w;
	double	*v;
	size_t	 cap;

	if (m->n == m->cap) {
		cap = m->cap == 0 ? 16 : m->cap * 2;
		if ((w = realloc(m->when, cap * sizeof(*w))) == NULL)
			return (-1);
		m->when = w;
		if ((v = realloc(m->value, cap * sizeof(*v))) == NULL)
			return (-1);
		m->value = v;
		m->cap = cap;
	}
	m->when[m->n] = when;
	m->value[m->n++] = value;
	return (0);
}

/* Parses one "METRIC WHEN VALUE" line into h; -1 with a reason. */
static int
history_line(struct history *h, char *line, char *err, size_t errlen)
{
	struct history_metric	*m;
	char			*name, *w, *v, *end, *sp = NULL;
	long long		 when;
	double			 value;

	name = strtok_r(line, " \n", &sp);
	w = strtok_r(NULL, " \n", &sp);
	v = strtok_r(NULL, " \n", &sp);
	if (name == NULL || w == NULL || v == NULL ||
	    strtok_r(NULL, " \n", &sp) != NULL) {
		snprintf(err, errlen, "not METRIC WHEN VALUE");
		return (-1);
	}
	errno = 0;
	when = strtoll(w, &end, 10);
	if (*end != '\0' || errno != 0 || when <= 0) {
		snprintf(err, errlen, "bad time '%s'", w);
		return (-1);
	}
	value = strtod(v, &end);
	if (*end != '\0' || isinf(value)) {	/* nan: a year with no figure */
		snprintf(err, errlen, "bad value '%s'", v);
		return (-1);
	}
	if ((m = history_get(h, name)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	if (m->n > 0 && m->when[m->n - 1] >= (time_t)when) {
		snprintf(err, errlen, "times of %s not increasing", name);
		return (-1);
	}
	if (history_push(m, (time_t)when, value) == -1) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	return (0);
}

/*
 * Loads the state file.  A missing file is an empty history (0).  A
 * damaged one is reported (-1) and leaves an empty history whose metrics
 * will be rewritten whole, since what storage holds is then unknown.
 */
int
history_load(struct history *h, const char *path, char *err, size_t errlen)
{
	FILE		*f;
	char		*line = NULL, why[128], ebuf[128];
	size_t		 cap = 0;
	unsigned long	 lineno = 0;
	int		 rc = 0;

	history_clear(h);
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return (0);
		snprintf(err, errlen, "%s: %s", path, history_strerror(errno,
		    ebuf, sizeof(ebuf)));
		h->suspect = 1;
		return (-1);
	}
	while (getline(&line, &cap, f) != -1) {
		lineno++;
		if (lineno == 1) {
			if (strncmp(line, HISTORY_MAGIC, strlen(HISTORY_MAGIC))
			    != 0) {
				snprintf(why, sizeof(why), "not a history "
				    "file");
				rc = -1;
				break;
			}
			continue;
		}
		if ((rc = history_line(h, line, why, sizeof(why))) == -1)
			break;
	}
	free(line);
	fclose(f);
	if (rc == -1) {
		snprintf(err, errlen, "%s:%lu: %s", path, lineno, why);
		history_clear(h);
		h->suspect = 1;
	}
	return (rc);
}

/* Writes the state file aside and renames it into place. */
int
history_save(const struct history *h, const char *path, char *err,
    size_t errlen)
{
	char	 tmp[4096], ebuf[128];
	FILE	*f;
	size_t	 i, j;
	int	 bad;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp) ||
	    (f = fopen(tmp, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, history_strerror(errno,
		    ebuf, sizeof(ebuf)));
		return (-1);
	}
	fprintf(f, "%s\n", HISTORY_MAGIC);
	for (i = 0; i < h->n; i++)
		for (j = 0; j < h->m[i].n; j++)
			fprintf(f, "%s %lld %.17g\n", h->m[i].name,
			    (long long)h->m[i].when[j], h->m[i].value[j]);
	bad = fflush(f) != 0 || ferror(f) || fsync(fileno(f)) == -1;
	if (fclose(f) != 0 || bad || rename(tmp, path) == -1) {
		snprintf(err, errlen, "%s: cannot write: %s", path,
		    history_strerror(errno, ebuf, sizeof(ebuf)));
		unlink(tmp);
		return (-1);
	}
	return (0);
}

/* The points stored for a metric (for tests and logs); 0 if none. */
size_t
history_points(const struct history *h, const char *name,
    const time_t **when, const double **value)
{
	size_t	 i;

	for (i = 0; i < h->n; i++)
		if (strcmp(h->m[i].name, name) == 0) {
			*when = h->m[i].when;
			*value = h->m[i].value;
			return (h->m[i].n);
		}
	return (0);
}

/*
 * The figure stored for a metric at when, or else the last one before it
 * (for the guard against drops); 1 if exact, 2 if earlier, 0 if none.
 */
int
history_stored(const struct history *h, const char *name, time_t when,
    double *v)
{
	const time_t	*w;
	const double	*val;
	size_t		 n, i;
	int		 rc = 0;

	n = history_points(h, name, &w, &val);
	for (i = 0; i < n && w[i] <= when; i++) {
		*v = val[i];
		rc = w[i] == when ? 1 : 2;
	}
	return (rc);
}

/*
 * Two figures are the same if they differ by rounding alone; "no figure"
 * (NaN) is the same as itself only.
 */
static int
history_same(double a, double b)
{
	if (isnan(a) || isnan(b))
		return (isnan(a) && isnan(b));
	return (fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b)));
}

/*
 * 1 if a period j with no figure lies between two that have one (a point
 * already merged, and a later figure of the reading or a later stored
 * point), so it must be stored as unknown: on a heartbeat of two years
 * the next point would otherwise cover it with the next year's figure.
 */
static int
history_gap(const struct history_metric *m, const struct history_table *t,
    const double *nv, size_t i, size_t j, const struct history_merge *mg,
    time_t now)
{
	size_t	 k;

	if (mg->n == 0 || t->when[j] > now || (i < m->n && m->when[i] ==
	    t->when[j]))
		return (0);
	if (i < m->n)
		return (1);
	for (k = j + 1; k < t->nperiods; k++)
		if (!isnan(nv[k]) && t->when[k] <= now)
			return (1);
	return (0);
}

/* "2021-12-31": the last day of the period that ends at when. */
void
history_when_str(time_t when, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 t = when - 1;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)when);
}

/* 1 if the host offers rewrite (a core older than it does not). */
static int
history_can_rewrite(const struct tally_host *host)
{
	return (host->size >= offsetof(struct tally_host, rewrite) +
	    sizeof(host->rewrite) && host->rewrite != NULL);
}

/*
 * Merges metric mi of a reading into the stored points of m: old periods
 * stay unless the reading has a figure for them (and the period is not
 * "kept"); periods ending after now wait.  -1 without memory.
 */
static int
history_merge(const struct history_metric *m, const struct history_table *t,
    size_t mi, time_t now, struct history_merge *mg, unsigned long *held)
{
	const double	*nv = t->value + mi * t->nperiods;
	size_t		 i = 0, j = 0, cap = m->n + t->nperiods + 1;
	time_t		 last = m->n > 0 ? m->when[m->n - 1] : 0;

	memset(mg, 0, sizeof(*mg));
	mg->when = calloc(cap, sizeof(*mg->when));
	mg->value = calloc(cap, sizeof(*mg->value));
	if (mg->when == NULL || mg->value == NULL)
		return (-1);
	while (i < m->n || j < t->nperiods) {
		if (j < t->nperiods && isnan(nv[j]) && (i == m->n ||
		    m->when[i] >= t->when[j])) {
			if (history_gap(m, t, nv, i, j, mg, now)) {
				if (t->when[j] < last && !mg->changed) {
					mg->changed = 1;
					mg->first = mg->n;
				}
				mg->when[mg->n] = t->when[j];
				mg->value[mg->n++] = NAN;
			}
			j++;
			continue;
		}
		if (j == t->nperiods || (i < m->n && m->when[i] <
		    t->when[j])) {
			mg->when[mg->n] = m->when[i];
			mg->value[mg->n++] = m->value[i++];
			continue;
		}
		if (i == m->n || t->when[j] < m->when[i]) {
			if (t->when[j] > now) {
				(*held)++;
				j++;
				continue;
			}
			if (t->when[j] < last && !mg->changed) {
				mg->changed = 1;	/* a new past period */
				mg->first = mg->n;
			}
			mg->when[mg->n] = t->when[j];
			mg->value[mg->n++] = nv[j++];
			continue;
		}
		mg->when[mg->n] = m->when[i];
		mg->value[mg->n] = t->keep[j] ? m->value[i] : nv[j];
		if (!history_same(mg->value[mg->n], m->value[i]) &&
		    !mg->changed) {
			mg->changed = 1;
			mg->first = mg->n;
		}
		mg->n++;
		i++;
		j++;
	}
	if (m->suspect && mg->n > 0 && !mg->changed) {
		mg->changed = 1;
		mg->first = 0;
	}
	return (0);
}

/* Submits the merged points newer than what m holds, recording each. */
static int
history_submit_tail(struct history_metric *m, struct tally_ctx *ctx,
    const struct tally_host *host, const struct history_merge *mg,
    struct history_stats *st)
{
	time_t	 last = m->n > 0 ? m->when[m->n - 1] : 0;
	size_t	 k;

	for (k = 0; k < mg->n; k++) {
		if (mg->when[k] <= last)
			continue;
		if (host->submit(ctx, m->name, mg->when[k], mg->value[k]) == -1)
			return (-1);
		if (history_push(m, mg->when[k], mg->value[k]) == -1)
			return (-1);
		st->added++;
	}
	return (0);
}

/* Replaces the stored history of m by the merge, through the host. */
static int
history_rewrite(struct history_metric *m, struct tally_ctx *ctx,
    const struct tally_host *host, struct history_merge *mg,
    struct history_stats *st)
{
	char	 day[32];
	size_t	 k;
	double	 was = NAN;

	for (k = 0; k < m->n; k++)
		if (m->when[k] == mg->when[mg->first])
			was = m->value[k];
	history_when_str(mg->when[mg->first], day, sizeof(day));
	if (host->rewrite(ctx, m->name, mg->n, mg->when, mg->value) == -1) {
		host->log(ctx, TALLY_LOG_ERR, "%s: rewrite of %zu points "
		    "refused", m->name, mg->n);
		return (-1);
	}
	host->log(ctx, TALLY_LOG_NOTICE, "%s: history rewritten (%zu points), "
	    "first change at period ending %s: %.15g -> %.15g", m->name, mg->n,
	    day, was, mg->value[mg->first]);
	free(m->when);
	free(m->value);
	m->when = mg->when;
	m->value = mg->value;
	m->n = m->cap = mg->n;
	mg->when = NULL;
	mg->value = NULL;
	m->suspect = 0;
	st->corrected++;
	return (0);
}

/* Brings one metric's storage in line with a reading. */
static int
history_sync(struct history *h, struct tally_ctx *ctx,
    const struct tally_host *host, const struct history_table *t, size_t mi,
    time_t now, struct history_stats *st)
{
	struct history_metric	*m;
	struct history_merge	 mg;
	char			 day[32];
	int			 rc = -1;

	memset(&mg, 0, sizeof(mg));
	if ((m = history_get(h, t->metric[mi])) == NULL ||
	    history_merge(m, t, mi, now, &mg, &st->held) == -1) {
		host->log(ctx, TALLY_LOG_ERR, "%s: out of memory",
		    t->metric[mi]);
		goto out;
	}
	if (mg.changed && history_can_rewrite(host)) {
		rc = history_rewrite(m, ctx, host, &mg, st);
		goto out;
	}
	if (mg.changed) {
		history_when_str(mg.when[mg.first], day, sizeof(day));
		host->log(ctx, TALLY_LOG_WARNING, "%s: the figure of the "
		    "period ending %s changed, but this tallyd cannot rewrite "
		    "stored history; it keeps the old figure", m->name, day);
		st->unfixed++;
		m->suspect = 0;
	}
	rc = history_submit_tail(m, ctx, host, &mg, st);
out:
	free(mg.when);
	free(mg.value);
	return (rc);
}

/*
 * Brings every metric of a reading into storage.  -1 if a submit or
 * rewrite failed: what went through is recorded, the rest is tried again
 * on the next reading.
 */
int
history_apply(struct history *h, struct tally_ctx *ctx,
    const struct tally_host *host, const struct history_table *t, time_t now,
    struct history_stats *st)
{
	size_t	 mi;
	int	 rc = 0;

	memset(st, 0, sizeof(*st));
	for (mi = 0; mi < t->nmetrics; mi++)
		if (history_sync(h, ctx, host, t, mi, now, st) == -1)
			rc = -1;
	return (rc);
}

/* Allocates a table of nmetrics x nperiods, every value NAN. */
int
history_table_init(struct history_table *t, size_t nmetrics, size_t nperiods)
{
	size_t	 i;

	memset(t, 0, sizeof(*t));
	t->nmetrics = nmetrics;
	t->nperiods = nperiods;
	t->metric = calloc(nmetrics + 1, sizeof(*t->metric));
	t->when = calloc(nperiods + 1, sizeof(*t->when));
	t->keep = calloc(nperiods + 1, 1);
	t->value = calloc(nmetrics * nperiods + 1, sizeof(*t->value));
	t->quality = calloc(nperiods + 1, sizeof(*t->quality));
	if (t->metric == NULL || t->when == NULL || t->keep == NULL ||
	    t->value == NULL || t->quality == NULL) {
		history_table_free(t);
		return (-1);
	}
	for (i = 0; i < nmetrics * nperiods; i++)
		t->value[i] = NAN;
	return (0);
}

/* Frees a table and the metric names in it. */
void
history_table_free(struct history_table *t)
{
	size_t	 i;

	if (t->metric != NULL)
		for (i = 0; i < t->nmetrics; i++)
			free(t->metric[i]);
	free(t->metric);
	free(t->when);
	free(t->keep);
	free(t->value);
	free(t->quality);
	memset(t, 0, sizeof(*t));
}

/* Nothing recorded can be trusted to be stored: rewrite every metric. */
void
history_suspect(struct history *h)
{
	size_t	 i;

	h->suspect = 1;
	for (i = 0; i < h->n; i++)
		h->m[i].suspect = 1;
}

/*
 * At start: a metric whose history claims a later point than its file
 * holds (values lost by an older tallyd, a restored backup) is rewritten
 * whole by the next reading.  Returns how many were found.
 */
size_t
history_verify(struct history *h, struct tally_ctx *ctx,
    const struct tally_host *host)
{
	struct history_metric	*m;
	char			 day[32];
	size_t			 i, found = 0;
	time_t			 t;

	if (!TALLY_HOST_HAS(host, stored_last))
		return (0);
	for (i = 0; i < h->n; i++) {
		m = &h->m[i];
		if (m->n == 0 || m->suspect)
			continue;
		if ((t = host->stored_last(ctx, m->name)) == -1 ||
		    t >= m->when[m->n - 1])
			continue;
		history_when_str(m->when[m->n - 1], day, sizeof(day));
		host->log(ctx, TALLY_LOG_WARNING, "%s: the history says the "
		    "period ending %s was stored, its file ends earlier; "
		    "storing the history again", m->name, day);
		m->suspect = 1;
		found++;
	}
	return (found);
}
