/*
 * stats.c - the daemon's own counters.
 *
 * Fixed counters are updated with relaxed atomics from the loop, the read
 * workers and the writer; nothing orders them, they are only figures.
 * Named figures (per plugin instance) sit in a short array under a mutex:
 * they change once per read, not per value.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "xmalloc.h"

static uint64_t	 stats_fixed[STAT__MAX];

static const struct {
	const char	*name;
	enum tally_kind	 kind;
} stats_info[STAT__MAX] = {
	[STAT_VALUES_RECEIVED] = { "values.received", TALLY_COUNTER },
	[STAT_VALUES_REFUSED] = { "values.refused", TALLY_COUNTER },
	[STAT_VALUES_DROPPED] = { "values.dropped", TALLY_COUNTER },
	[STAT_VALUES_STALE] = { "values.stale", TALLY_COUNTER },
	[STAT_VALUES_WRITTEN] = { "values.written", TALLY_COUNTER },
	[STAT_STORE_UPDATES] = { "store.updates", TALLY_COUNTER },
	[STAT_STORE_ERRORS] = { "store.errors", TALLY_COUNTER },
	[STAT_FILES_CREATED] = { "store.created", TALLY_COUNTER },
	[STAT_QUEUE_DEPTH] = { "store.queue", TALLY_GAUGE },
	[STAT_READS] = { "reads.done", TALLY_COUNTER },
	[STAT_READS_FAILED] = { "reads.failed", TALLY_COUNTER },
	[STAT_READS_SKIPPED] = { "reads.skipped", TALLY_COUNTER },
	[STAT_READS_LATE] = { "reads.late", TALLY_COUNTER },
	[STAT_READ_MSEC] = { "reads.msec", TALLY_COUNTER },
	[STAT_ALERT_EVALS] = { "alert.evaluations", TALLY_COUNTER },
	[STAT_ALERT_ERRORS] = { "alert.errors", TALLY_COUNTER },
	[STAT_ALERT_SKIPPED] = { "alert.skipped", TALLY_COUNTER },
	[STAT_ALERT_NOTICES] = { "alert.notices", TALLY_COUNTER },
	[STAT_NOTIFY_DELIVERED] = { "notify.delivered", TALLY_COUNTER },
	[STAT_NOTIFY_RETRIED] = { "notify.retried", TALLY_COUNTER },
	[STAT_NOTIFY_FAILED] = { "notify.failed", TALLY_COUNTER },
	[STAT_GRAPHITE_ACCEPTED] = { "graphite.accepted", TALLY_COUNTER },
	[STAT_GRAPHITE_REFUSED] = { "graphite.refused", TALLY_COUNTER },
	[STAT_GRAPHITE_SERIES] = { "graphite.series", TALLY_GAUGE },
	[STAT_GRAPHITE_HELD] = { "graphite.held", TALLY_GAUGE },
};

struct stats_named {
	char		*name;
	enum tally_kind	 kind;
	double		 value;
};

static pthread_mutex_t		 stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stats_named	*stats_named;
static size_t			 stats_nnamed;

void
stats_add(enum stat_id id, uint64_t n)
{
	__atomic_add_fetch(&stats_fixed[id], n, __ATOMIC_RELAXED);
}

void
stats_sub(enum stat_id id, uint64_t n)
{
	__atomic_sub_fetch(&stats_fixed[id], n, __ATOMIC_RELAXED);
}

void
stats_set(enum stat_id id, uint64_t n)
{
	__atomic_store_n(&stats_fixed[id], n, __ATOMIC_RELAXED);
}

uint64_t
stats_get(enum stat_id id)
{
	return (__atomic_load_n(&stats_fixed[id], __ATOMIC_RELAXED));
}

const char *
stats_name(enum stat_id id)
{
	return (stats_info[id].name);
}

void
stats_named_set(const char *name, enum tally_kind kind, double value)
{
	size_t	 i;

	pthread_mutex_lock(&stats_lock);
	for (i = 0; i < stats_nnamed; i++) {
		if (strcmp(stats_named[i].name, name) == 0)
			break;
	}
	if (i == stats_nnamed) {
		stats_named = xreallocarray(stats_named, stats_nnamed + 1,
		    sizeof(*stats_named));
		stats_named[i].name = xstrdup(name);
		stats_nnamed++;
	}
	stats_named[i].kind = kind;
	stats_named[i].value = value;
	pthread_mutex_unlock(&stats_lock);
}

void
stats_named_remove_prefix(const char *prefix)
{
	size_t	 i, j, len = strlen(prefix);

	pthread_mutex_lock(&stats_lock);
	for (i = j = 0; i < stats_nnamed; i++) {
		if (strncmp(stats_named[i].name, prefix, len) == 0)
			free(stats_named[i].name);
		else
			stats_named[j++] = stats_named[i];
	}
	stats_nnamed = j;
	pthread_mutex_unlock(&stats_lock);
}

void
stats_foreach(tally_stat_cb cb, void *arg)
{
	size_t	 i;

	for (i = 0; i < STAT__MAX; i++)
		cb(arg, stats_info[i].name, stats_info[i].kind,
		    (double)stats_get(i));
	pthread_mutex_lock(&stats_lock);
	for (i = 0; i < stats_nnamed; i++)
		cb(arg, stats_named[i].name, stats_named[i].kind,
		    stats_named[i].value);
	pthread_mutex_unlock(&stats_lock);
}

void
stats_reset(void)
{
	size_t	 i;

	for (i = 0; i < STAT__MAX; i++)
		stats_set(i, 0);
	pthread_mutex_lock(&stats_lock);
	for (i = 0; i < stats_nnamed; i++)
		free(stats_named[i].name);
	free(stats_named);
	stats_named = NULL;
	stats_nnamed = 0;
	pthread_mutex_unlock(&stats_lock);
}
