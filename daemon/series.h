/*
 * series.h - the registry of metrics: kinds, files, last values.
 *
 * A series is one metric of one plugin instance, named
 * "plugin.instance.metric", stored in DATADIR/plugin/instance/metric.rrd.
 * Names are checked (names.c) before any path is built.  The registry is
 * shared by the loop and the read workers (plugins declare and submit from
 * their reads), so it has one mutex; series are never freed before
 * shutdown, so a pointer to one stays valid.
 */
#ifndef TALLY_SERIES_H
#define TALLY_SERIES_H

#include <stdint.h>
#include <time.h>
#include <tally/plugin.h>

struct config;
struct journal;
struct journal_rec;
struct store;
struct series;

void	series_init(struct store *);
/* Values are journaled before they are queued (NULL: memory mode). */
void	series_set_journal(struct journal *);
/*
 * The config in force (its datadir and retention presets); at start and on
 * reload, before the old one is freed.
 */
void	series_set_config(const struct config *);
void	series_shutdown(void);

/*
 * Declare plugin.instance.metric.  preset names a retention preset.  On a
 * bad name, unknown preset or a kind different from an earlier
 * declaration, returns NULL with the reason in err.  Thread-safe.
 */
struct series	*series_declare(const char *name, enum tally_kind kind,
		    const char *unit, const char *preset, char *err,
		    size_t errlen);
struct series	*series_find(const char *name);		/* thread-safe */

/*
 * A series a client (PUT, HTTP put) may write: one it made before, or a
 * new gauge if fewer than max_series exist.  Names under a configured
 * plugin instance (series_set_owners) and series a plugin declared are
 * refused.  NULL with err; *limit set when max_series was the reason.
 * Thread-safe.
 */
struct series	*series_client(const char *name, const char *preset,
		    int *limit, char *err, size_t errlen);
/*
 * The prefixes ("plugin.instance.") of the configured plugin instances:
 * the series under them are theirs.  Takes the array and its strings.
 */
void		 series_set_owners(char **prefixes, size_t n);
/* 1 if a client's time is at most max_future ahead of now. */
int		 series_client_when(time_t when, time_t now);
int		 series_future_ok(time_t when, time_t now,
		    unsigned long max_future_ms);

/* What became of a submitted value. */
enum series_rc {
	SERIES_OK = 0,
	SERIES_STALE = -1,	/* not newer than the series' last value */
	SERIES_KIND = -2,	/* a counter value that is not an integer */
	SERIES_BUSY = -3,	/* the store queue or the journal is full */
	SERIES_DISK = -4	/* the journal could not be written */
};

/*
 * Journal and queue one value (when 0 = now).  Values not newer than the
 * last submitted one are refused here (counted stale), so the writer
 * rarely sees them.  *lsn (may be NULL) is what to wait for in the
 * journal before acknowledging.  Thread-safe.
 */
enum series_rc	 series_submit(struct series *, time_t when, double value,
		    uint64_t *lsn);
/*
 * The same for n values of one series in one journal record (PUT): rc[i]
 * says what became of value i.  Those that pass the checks are accepted
 * or refused together (busy, disk).  Thread-safe.
 */
enum series_rc	 series_submit_many(struct series *, size_t n,
		    const time_t *when, const double *value, enum series_rc *rc,
		    uint64_t *lsn);
const char	*series_rc_name(enum series_rc);
/*
 * Replace the series' whole stored history with n points; when[] must be
 * strictly increasing (-1 otherwise; -2 if the journal refused it).
 * Values accepted that are newer than when[n - 1] are kept.  Thread-safe.
 */
int		 series_rewrite(struct series *, size_t n, const time_t *when,
		    const double *value, uint64_t *lsn);
/* Start-up: a journal record of an earlier run, into the store again. */
void		 series_replay(const struct journal_rec *);

/* Accessors (thread-safe copies). */
const char	*series_name(const struct series *);
enum tally_kind	 series_kind(const struct series *);
int		 series_last(struct series *, time_t *when, double *value);
size_t		 series_count(void);
const char	*series_unit(const struct series *);
struct store_file *series_file(const struct series *);
/* Calls fn for every series, in no order, with the registry locked. */
void		 series_foreach(void (*fn)(struct series *, void *), void *arg);
const char	*series_kind_name(enum tally_kind);

#endif
