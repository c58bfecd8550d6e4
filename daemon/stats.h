/*
 * stats.h - the daemon's own counters, readable from any thread.
 *
 * Fixed counters are atomics indexed by enum stat_id; per-instance figures
 * live in a small named table under a mutex.  selfstat reads both through
 * the host's stats() service.
 */
#ifndef TALLY_STATS_H
#define TALLY_STATS_H

#include <stdint.h>
#include <tally/plugin.h>

enum stat_id {
	STAT_VALUES_RECEIVED,	/* accepted from plugins and clients */
	STAT_VALUES_REFUSED,	/* bad or undeclared metric name */
	STAT_VALUES_DROPPED,	/* store queue full */
	STAT_VALUES_STALE,	/* not newer than the file's last update */
	STAT_VALUES_WRITTEN,	/* in an RRD file (or handed to rrdcached) */
	STAT_STORE_UPDATES,	/* rrd_update_r calls or rrdcached UPDATE lines */
	STAT_STORE_ERRORS,	/* failed updates or creates */
	STAT_FILES_CREATED,
	STAT_QUEUE_DEPTH,	/* gauge: values waiting for the writer */
	STAT_READS,		/* plugin reads finished */
	STAT_READS_FAILED,
	STAT_READS_SKIPPED,	/* due while the previous read still ran */
	STAT_READS_LATE,	/* past their deadline */
	STAT_READ_MSEC,		/* time spent in reads, ms */
	STAT_ALERT_EVALS,	/* rule evaluations finished */
	STAT_ALERT_ERRORS,	/* evaluations that could not read their data */
	STAT_ALERT_SKIPPED,	/* ticks that found the last one still running */
	STAT_ALERT_NOTICES,	/* notices decided (fire, resolve, repeat...) */
	STAT_NOTIFY_DELIVERED,	/* deliveries that succeeded */
	STAT_NOTIFY_RETRIED,	/* failed attempts that will be retried */
	STAT_NOTIFY_FAILED,	/* deliveries given up */
	STAT_GRAPHITE_ACCEPTED,	/* Graphite lines stored */
	STAT_GRAPHITE_REFUSED,	/* Graphite lines refused, whatever why */
	STAT_GRAPHITE_SERIES,	/* gauge: series Graphite lines declared */
	STAT_GRAPHITE_HELD,	/* gauge: Graphite values held for reorder */
	STAT__MAX
};

void		stats_add(enum stat_id, uint64_t);
void		stats_sub(enum stat_id, uint64_t);
void		stats_set(enum stat_id, uint64_t);
uint64_t	stats_get(enum stat_id);
const char	*stats_name(enum stat_id);

/* Named figures, e.g. "read.demo.main.msec"; replaced if present. */
void		stats_named_set(const char *name, enum tally_kind, double);
void		stats_named_remove_prefix(const char *prefix);

/* Every figure, fixed ones first; cb runs with the table locked. */
void		stats_foreach(tally_stat_cb cb, void *arg);
void		stats_reset(void);	/* tests and shutdown */

#endif
