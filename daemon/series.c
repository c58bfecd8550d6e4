/*
 * series.c - the registry: metrics, their files and their last values.
 *
 * DESIGN
 * One mutex (series_lock) guards the name table and every series' last
 * value; plugins declare and submit from read workers, the loop reads for
 * queries.  Store calls made under it (store_file_get) take only the
 * store's own locks, never ours: lock order is series_lock, then store.
 * Series are freed only by series_shutdown, after every reader stopped.
 *
 * Every accepted value and rewrite goes through the journal first
 * (journal_append with the store call as its put), so what the store
 * holds is always in the journal, in the same order; the registry's last
 * time is taken back if the journal or the store refuses the value.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "hmap.h"
#include "journal.h"
#include "log.h"
#include "retention.h"
#include "names.h"
#include "series.h"
#include "stats.h"
#include "store.h"
#include "xmalloc.h"

struct series {
	char			*name;
	char			*unit;
	char			*preset;
	enum tally_kind		 kind;
	struct store_file	*file;
	time_t			 last_time;	/* 0: nothing yet */
	double			 last_value;
	int			 client;	/* made by PUT or HTTP put */
};

static pthread_mutex_t		 series_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hmap		*series_table;
static struct store		*series_store;
static struct journal		*series_journal;
static const struct config	*series_config;	/* in force */
static int			 series_nclient;	/* made by clients */
static char			**series_owners;	/* "plugin.instance." */
static size_t			 series_nowners;

void
series_init(struct store *store)
{
	series_table = hmap_new();
	series_store = store;
}

void
series_set_journal(struct journal *j)
{
	series_journal = j;
}

void
series_set_config(const struct config *conf)
{
	pthread_mutex_lock(&series_lock);
	series_config = conf;
	pthread_mutex_unlock(&series_lock);
}

static void
series_free(void *arg)
{
	struct series	*s = arg;

	free(s->name);
	free(s->unit);
	free(s->preset);
	free(s);
}

void
series_shutdown(void)
{
	hmap_free(series_table, series_free);
	series_table = NULL;
	series_nclient = 0;
	series_set_owners(NULL, 0);
	series_config = NULL;
}

const char *
series_kind_name(enum tally_kind kind)
{
	switch (kind) {
	case TALLY_GAUGE:
		return ("gauge");
	case TALLY_COUNTER:
		return ("counter");
	case TALLY_DERIVE:
		return ("derive");
	}
	return ("unknown");
}

/* With series_lock held: make a new series and its store record. */
static struct series *
series_new(const char *name, enum tally_kind kind, const char *unit,
    const char *preset, char *err, size_t errlen)
{
	const struct retention	*ret = NULL;
	struct series		*s;
	char			 path[PATH_MAX];

	if (series_config != NULL)
		ret = retention_find(series_config, preset);
	if (ret == NULL) {
		snprintf(err, errlen, "unknown retention preset '%s'", preset);
		return (NULL);
	}
	if (names_series_path(path, sizeof(path),
	    config_rrd_dir(series_config), name) == -1) {
		snprintf(err, errlen, "path of '%s' is too long", name);
		return (NULL);
	}
	s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	s->unit = xstrdup(unit != NULL ? unit : "");
	s->preset = xstrdup(preset);
	s->kind = kind;
	s->file = store_file_get(series_store, path, kind, ret);
	hmap_put(series_table, name, s);
	return (s);
}

struct series *
series_declare(const char *name, enum tally_kind kind, const char *unit,
    const char *preset, char *err, size_t errlen)
{
	struct series	*s;

	if (!names_series_valid(name)) {
		snprintf(err, errlen, "invalid metric name '%s'", name);
		return (NULL);
	}
	if (kind != TALLY_GAUGE && kind != TALLY_COUNTER &&
	    kind != TALLY_DERIVE) {
		snprintf(err, errlen, "%s: invalid kind %d", name, (int)kind);
		return (NULL);
	}
	pthread_mutex_lock(&series_lock);
	if ((s = hmap_get(series_table, name)) != NULL) {
		if (s->kind != kind) {
			snprintf(err, errlen, "%s: already declared as %s",
			    name, series_kind_name(s->kind));
			s = NULL;
		} else if (s->client) {	/* a plugin takes it over */
			s->client = 0;
			series_nclient--;
		}
	} else
		s = series_new(name, kind, unit, preset, err, errlen);
	pthread_mutex_unlock(&series_lock);
	return (s);
}

struct series *
series_find(const char *name)
{
	struct series	*s;

	pthread_mutex_lock(&series_lock);
	s = series_table != NULL ? hmap_get(series_table, name) : NULL;
	pthread_mutex_unlock(&series_lock);
	return (s);
}

/* With series_lock held: the owner's prefix that holds name, or NULL. */
static const char *
series_owner(const char *name)
{
	size_t	 i;

	for (i = 0; i < series_nowners; i++)
		if (strncmp(name, series_owners[i],
		    strlen(series_owners[i])) == 0)
			return (series_owners[i]);
	return (NULL);
}

void
series_set_owners(char **prefixes, size_t n)
{
	char	**old;
	size_t	  nold, i;

	pthread_mutex_lock(&series_lock);
	old = series_owners;
	nold = series_nowners;
	series_owners = prefixes;
	series_nowners = n;
	pthread_mutex_unlock(&series_lock);
	for (i = 0; i < nold; i++)
		free(old[i]);
	free(old);
}

struct series *
series_client(const char *name, const char *preset, int *limit, char *err,
    size_t errlen)
{
	const char	*owner;
	struct series	*s;
	int		 max;

	*limit = 0;
	if (!names_series_valid(name)) {
		snprintf(err, errlen, "metric names are plugin.instance.metric "
		    "of [a-z0-9_-]");
		return (NULL);
	}
	pthread_mutex_lock(&series_lock);
	if ((owner = series_owner(name)) != NULL) {
		snprintf(err, errlen, "%s belongs to plugin instance %.*s; "
		    "clients may not write it", name,
		    (int)strlen(owner) - 1, owner);
		s = NULL;
	} else if ((s = hmap_get(series_table, name)) != NULL) {
		if (!s->client) {
			snprintf(err, errlen, "%s belongs to a plugin; clients "
			    "may not write it", name);
			s = NULL;
		}
	} else if (series_nclient >= (max = series_config != NULL ?
	    series_config->max_series : 0)) {
		snprintf(err, errlen, "clients have made %d series, the most "
		    "max_series allows", max);
		*limit = 1;
	} else if ((s = series_new(name, TALLY_GAUGE, "", preset, err,
	    errlen)) != NULL) {
		s->client = 1;
		series_nclient++;
	}
	pthread_mutex_unlock(&series_lock);
	return (s);
}

int
series_future_ok(time_t when, time_t now, unsigned long max_future_ms)
{
	return (when <= now + (time_t)(max_future_ms / 1000));
}

int
series_client_when(time_t when, time_t now)
{
	unsigned long	 max;

	pthread_mutex_lock(&series_lock);
	max = series_config != NULL ? series_config->max_future : 600000;
	pthread_mutex_unlock(&series_lock);
	return (series_future_ok(when, now, max));
}

struct series_put {
	struct series	*s;
	size_t		 n;
	const time_t	*when;
	const double	*value;
};

/* Under the journal lock: the store side of an append. */
static int
series_put_value(void *arg)
{
	struct series_put	*p = arg;

	if (p->n == 1)
		return (store_put(series_store, p->s->file, p->when[0],
		    p->value[0]));
	return (store_put_many(series_store, p->s->file, p->n, p->when,
	    p->value));
}

static int
series_put_rewrite(void *arg)
{
	struct series_put	*p = arg;

	store_rewrite(series_store, p->s->file, p->n, p->when, p->value, NULL,
	    NULL);
	return (0);
}

/* Journal and queue; JOURNAL_* code. */
static int
series_append(struct series *s, enum journal_type type, size_t n,
    const time_t *when, const double *value, uint64_t *lsn)
{
	struct journal_rec	 rec;
	struct series_put	 p = { s, n, when, value };
	uint64_t		 dummy;

	if (lsn == NULL)
		lsn = &dummy;
	*lsn = 0;
	if (series_journal == NULL)
		return (type == JOURNAL_VALUE ? (series_put_value(&p) == 0 ?
		    JOURNAL_OK : JOURNAL_PUT) : series_put_rewrite(&p));
	memset(&rec, 0, sizeof(rec));
	rec.type = type;
	rec.kind = (int)s->kind;
	rec.name = s->name;
	rec.preset = s->preset;
	rec.n = n;
	rec.when = when;
	rec.value = value;
	return (journal_append(series_journal, &rec, type == JOURNAL_VALUE ?
	    series_put_value : series_put_rewrite, &p, lsn));
}

enum series_rc
series_submit(struct series *s, time_t when, double value, uint64_t *lsn)
{
	time_t	 before = 0;
	int	 stale, r;

	if (lsn != NULL)
		*lsn = 0;
	if (when == 0)
		when = (time_t)(clock_wall() / 1000);
	if (s->kind != TALLY_GAUGE && isfinite(value) &&
	    value != floor(value)) {
		stats_add(STAT_VALUES_REFUSED, 1);
		return (SERIES_KIND);
	}
	pthread_mutex_lock(&series_lock);
	stale = s->last_time != 0 && when <= s->last_time;
	if (!stale) {
		before = s->last_time;
		s->last_time = when;
		s->last_value = value;
	}
	pthread_mutex_unlock(&series_lock);
	if (stale) {
		stats_add(STAT_VALUES_STALE, 1);
		return (SERIES_STALE);
	}
	if ((r = series_append(s, JOURNAL_VALUE, 1, &when, &value, lsn)) ==
	    JOURNAL_OK) {
		stats_add(STAT_VALUES_RECEIVED, 1);
		return (SERIES_OK);
	}
	/* Not accepted: a later value at this time must not be stale. */
	pthread_mutex_lock(&series_lock);
	if (s->last_time == when)
		s->last_time = before;
	pthread_mutex_unlock(&series_lock);
	stats_add(STAT_VALUES_DROPPED, 1);
	return (r == JOURNAL_FAILED ? SERIES_DISK : SERIES_BUSY);
}

enum series_rc
series_submit_many(struct series *s, size_t n, const time_t *when,
    const double *value, enum series_rc *rc, uint64_t *lsn)
{
	time_t		*tw, before, now = 0;
	double		*vw, before_value;
	size_t		 i, k = 0, nrefused = 0;
	int		 r;

	*lsn = 0;
	tw = xreallocarray(NULL, n, sizeof(*tw));
	vw = xreallocarray(NULL, n, sizeof(*vw));
	pthread_mutex_lock(&series_lock);
	before = s->last_time;
	before_value = s->last_value;
	for (i = 0; i < n; i++) {
		tw[k] = when[i];
		if (tw[k] == 0) {
			if (now == 0)
				now = (time_t)(clock_wall() / 1000);
			tw[k] = now;
		}
		if (s->kind != TALLY_GAUGE && isfinite(value[i]) &&
		    value[i] != floor(value[i])) {
			rc[i] = SERIES_KIND;
			nrefused++;
			continue;
		}
		if (s->last_time != 0 && tw[k] <= s->last_time) {
			rc[i] = SERIES_STALE;
			stats_add(STAT_VALUES_STALE, 1);
			continue;
		}
		rc[i] = SERIES_OK;
		s->last_time = tw[k];
		s->last_value = value[i];
		vw[k++] = value[i];
	}
	pthread_mutex_unlock(&series_lock);
	stats_add(STAT_VALUES_REFUSED, nrefused);
	r = k == 0 ? JOURNAL_OK : series_append(s, JOURNAL_VALUE, k, tw, vw,
	    lsn);
	if (r == JOURNAL_OK)
		stats_add(STAT_VALUES_RECEIVED, k);
	else {
		/* None accepted: later values at these times are not stale. */
		pthread_mutex_lock(&series_lock);
		if (s->last_time == tw[k - 1]) {
			s->last_time = before;
			s->last_value = before_value;
		}
		pthread_mutex_unlock(&series_lock);
		for (i = 0; i < n; i++) {
			if (rc[i] == SERIES_OK)
				rc[i] = r == JOURNAL_FAILED ? SERIES_DISK :
				    SERIES_BUSY;
		}
	}
	free(tw);
	free(vw);
	return (r == JOURNAL_OK ? SERIES_OK : r == JOURNAL_FAILED ?
	    SERIES_DISK : SERIES_BUSY);
}

int
series_rewrite(struct series *s, size_t n, const time_t *when,
    const double *value, uint64_t *lsn)
{
	size_t	 i;
	int	 r;

	if (n == 0 || when[0] <= 0)
		return (-1);
	for (i = 1; i < n; i++) {
		if (when[i] <= when[i - 1])
			return (-1);
	}
	for (i = 0; s->kind != TALLY_GAUGE && i < n; i++) {
		if (isfinite(value[i]) && value[i] != floor(value[i]))
			return (-1);
	}
	pthread_mutex_lock(&series_lock);
	/* Values accepted after the rewrite's last point stay the last. */
	if (when[n - 1] > s->last_time) {
		s->last_time = when[n - 1];
		s->last_value = value[n - 1];
	}
	/* Under our lock, so a submit racing with us queues after it. */
	r = series_append(s, JOURNAL_REWRITE, n, when, value, lsn);
	pthread_mutex_unlock(&series_lock);
	return (r == JOURNAL_OK ? 0 : -2);
}

/*
 * Start-up, before the journal thread: one record of an earlier run goes
 * to the store again (the store skips what its file already holds).
 */
void
series_replay(const struct journal_rec *rec)
{
	struct series	*s;
	char		 err[256];
	const char	*preset = rec->preset;
	size_t		 i;

	if ((s = series_find(rec->name)) == NULL) {
		if (series_config != NULL &&
		    retention_find(series_config, preset) == NULL)
			preset = series_config->default_retention;
		/*
		 * A client's (a PUT series must stay writable by PUT) unless
		 * a configured instance owns the name: then its plugin's
		 * declaration finds it, and it never counts in max_series.
		 */
		pthread_mutex_lock(&series_lock);
		if ((s = hmap_get(series_table, rec->name)) == NULL &&
		    (s = series_new(rec->name, (enum tally_kind)rec->kind, "",
		    preset, err, sizeof(err))) != NULL &&
		    series_owner(rec->name) == NULL) {
			s->client = 1;
			series_nclient++;
		}
		pthread_mutex_unlock(&series_lock);
		if (s == NULL) {
			log_warnx("journal: %s; its values are not replayed",
			    err);
			return;
		}
	}
	if (rec->type == JOURNAL_REWRITE)
		store_rewrite(series_store, s->file, rec->n, rec->when,
		    rec->value, NULL, NULL);
	else {
		for (i = 0; i < rec->n; i++) {
			/* A full queue drains: a replay is never dropped. */
			while (store_put(series_store, s->file, rec->when[i],
			    rec->value[i]) == -1)
				usleep(10000);
		}
	}
	pthread_mutex_lock(&series_lock);
	if (rec->n > 0 && rec->when[rec->n - 1] > s->last_time) {
		s->last_time = rec->when[rec->n - 1];
		s->last_value = rec->value[rec->n - 1];
	}
	pthread_mutex_unlock(&series_lock);
}

const char *
series_rc_name(enum series_rc rc)
{
	switch (rc) {
	case SERIES_OK:
		return ("ok");
	case SERIES_STALE:
		return ("stale");
	case SERIES_KIND:
		return ("kind");
	case SERIES_BUSY:
		return ("busy");
	case SERIES_DISK:
		return ("disk");
	}
	return ("unknown");
}

const char *
series_name(const struct series *s)
{
	return (s->name);
}

enum tally_kind
series_kind(const struct series *s)
{
	return (s->kind);
}

int
series_last(struct series *s, time_t *when, double *value)
{
	int	 have;

	pthread_mutex_lock(&series_lock);
	have = s->last_time != 0;
	*when = s->last_time;
	*value = s->last_value;
	pthread_mutex_unlock(&series_lock);
	return (have ? 0 : -1);
}

size_t
series_count(void)
{
	size_t	 n;

	pthread_mutex_lock(&series_lock);
	n = series_table != NULL ? hmap_count(series_table) : 0;
	pthread_mutex_unlock(&series_lock);
	return (n);
}

const char *
series_unit(const struct series *s)
{
	return (s->unit);
}

struct store_file *
series_file(const struct series *s)
{
	return (s->file);
}

struct series_walk {
	void	(*fn)(struct series *, void *);
	void	 *arg;
};

static int
series_walk_cb(const char *key, void *value, void *arg)
{
	struct series_walk	*w = arg;

	w->fn(value, w->arg);
	return (0);
}

void
series_foreach(void (*fn)(struct series *, void *), void *arg)
{
	struct series_walk	 w = { fn, arg };

	pthread_mutex_lock(&series_lock);
	if (series_table != NULL)
		hmap_foreach(series_table, series_walk_cb, &w);
	pthread_mutex_unlock(&series_lock);
}
