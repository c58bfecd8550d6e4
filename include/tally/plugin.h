/*
 * tally/plugin.h - the tallyd plugin ABI, version 1.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * TALLY_PLUGIN_SYMBOL ("tally_plugin_v1"), a struct tally_plugin.  The daemon
 * dlopen()s it with RTLD_LOCAL and lends each instance a struct tally_host:
 * a table of services.  Plugins link against no daemon symbol, so this
 * header is the whole contract.
 *
 * Versioning: both structs start with abi and size.  The major number is in
 * the symbol name and in abi; a plugin built for another major is refused.
 * Members are only ever appended; check host->size before using a member
 * that a later minor added.
 *
 * Life of an instance (one config section [plugin NAME INSTANCE]):
 *	create     once, on the main thread;  returns the instance's data.
 *	configure  once per plugin key of the section, in file order.
 *	init       once, on the main thread, after all keys.
 *	read       every interval, on a worker thread; may block, but must
 *	           return eventually: a read past its deadline is logged, and
 *	           the instance is not run again until it returns.
 *	destroy    once, on the main thread, after the last read returned.
 * create and configure must have no side effects outside the instance's
 * data: `tallyd -t` runs them to check a config and then destroys.
 * One instance's callbacks never run concurrently with each other; different
 * instances of one plugin may run at the same time on different threads.
 */
#ifndef TALLY_PLUGIN_H
#define TALLY_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TALLY_PLUGIN_ABI	1
#define TALLY_PLUGIN_SYMBOL	"tally_plugin_v1"

/* Kinds of metric: how a submitted value is stored (RRD data source type). */
enum tally_kind {
	TALLY_GAUGE = 1,	/* the value itself: people online, revenue */
	TALLY_COUNTER = 2,	/* ever-growing integer; stored as rate, wraps */
	TALLY_DERIVE = 3	/* integer whose rate may be negative */
};

/* Log priorities; the same numbers as syslog(3). */
#define TALLY_LOG_ERR		3
#define TALLY_LOG_WARNING	4
#define TALLY_LOG_NOTICE	5
#define TALLY_LOG_INFO		6
#define TALLY_LOG_DEBUG		7

/* Longest metric part a plugin may declare (bytes, without the NUL). */
#define TALLY_METRIC_MAX	128

struct tally_ctx;	/* one plugin instance as the core knows it; opaque */

/* Called by stats() once per core figure; name is borrowed for the call. */
typedef void (*tally_stat_cb)(void *arg, const char *name,
    enum tally_kind kind, double value);

/*
 * Services the core lends a plugin.  All may be called from create (only
 * log, state_dir), init and read.  Strings are borrowed: the core copies
 * what it keeps.
 */
struct tally_host {
	uint32_t	 abi;		/* TALLY_PLUGIN_ABI */
	uint32_t	 size;		/* sizeof(struct tally_host) */

	/*
	 * Declare a metric before submitting to it.  metric is the plugin's
	 * part of the name: [a-z0-9_-]+ with optional dotted sub-parts
	 * ("visitors", "status.4xx"); the core prefixes "plugin.instance.".
	 * unit is free text for humans ("people", "VND"), may be NULL.
	 * preset names a retention preset ("fast", "slow" or one from the
	 * config); NULL means the instance's default.  Declaring again with
	 * the same kind is harmless.  Returns 0, or -1 if a name is invalid
	 * or the preset unknown (the core logs why).
	 */
	int		(*declare)(struct tally_ctx *ctx, const char *metric,
			    enum tally_kind kind, const char *unit,
			    const char *preset);

	/*
	 * Submit one value of a declared metric.  when is seconds since the
	 * epoch, 0 for now.  COUNTER and DERIVE values must be integral.
	 * Values of one metric must come in increasing time; a value not
	 * newer than the last stored one is counted and dropped, never
	 * written.  Returns 0 if the value was accepted for storage, -1 if
	 * it was refused (undeclared metric, queue full).
	 */
	int		(*submit)(struct tally_ctx *ctx, const char *metric,
			    time_t when, double value);

	/* Log a line, prefixed with the plugin and instance names. */
	void		(*log)(struct tally_ctx *ctx, int prio, const char *fmt,
			    ...) __attribute__((format(printf, 3, 4)));

	/*
	 * A directory that belongs to this instance alone and survives
	 * restarts (log offsets, caches).  Created before init.
	 */
	const char	*(*state_dir)(struct tally_ctx *ctx);

	/* Report the daemon's own figures, one call of cb per figure. */
	void		(*stats)(struct tally_ctx *ctx, tally_stat_cb cb,
			    void *arg);

	/*
	 * Replace the whole stored history of a declared metric with exactly
	 * these n points (when[] strictly increasing, seconds since the
	 * epoch).  For sources that correct past figures, such as a registry
	 * revising an earlier year: the core rebuilds the file aside and
	 * renames it into place, so readers never see half a file, and
	 * values of this metric submitted before the call are superseded.
	 * Values submitted afterwards must be newer than when[n - 1].
	 * Returns 0 once queued, -1 if refused (undeclared metric, bad
	 * times, n == 0).
	 */
	int		(*rewrite)(struct tally_ctx *ctx, const char *metric,
			    size_t n, const time_t *when, const double *value);

	/*
	 * The directory of the config file.  Resolve relative paths in your
	 * keys against it, as the core does with its own, so a config works
	 * wherever tallyd was started (a daemon runs in "/").
	 */
	const char	*(*config_dir)(struct tally_ctx *ctx);

	/*
	 * Block until every value and rewrite this instance has submitted
	 * is durable: in the core's journal (replayed into the files after
	 * a crash) or, in durability = memory, in the files.  Call it from
	 * read before recording anywhere that values were stored (a
	 * history, a log checkpoint); record nothing if it fails.  Returns
	 * 0, or -1 if something submitted may be lost (the core logs why).
	 * Added in ABI 1 after config_dir: check host->size.
	 */
	int		(*sync)(struct tally_ctx *ctx);

	/*
	 * The time of the last value of a declared metric that is in its
	 * file (after writing what the core still holds for it), 0 if the
	 * file has none yet, -1 on error.  For a plugin that keeps its own
	 * history: at start, a history claiming more than the file holds
	 * (a crash of an older tallyd, a restored backup) is resubmitted.
	 * From init or read only.  Added with sync: check host->size.
	 */
	time_t		(*stored_last)(struct tally_ctx *ctx, const char *metric);

	/*
	 * Set the instance's status: one line that PLUGINS shows after
	 * status= until the next call (an empty format clears it).  For
	 * what a person must see without reading the log, such as a
	 * reading refused as unsafe.  Added in ABI 1.1 after stored_last:
	 * check host->size.
	 */
	void		(*status)(struct tally_ctx *ctx, const char *fmt, ...)
			    __attribute__((format(printf, 2, 3)));
};

/* 1 if host lends member m (a later minor may have appended it). */
#define TALLY_HOST_HAS(host, m) \
	((host)->size >= offsetof(struct tally_host, m) + \
	    sizeof((host)->m) && (host)->m != NULL)

/*
 * The one exported symbol.  Callbacks other than read may be NULL.
 *
 * configure gets each key of the instance's section that the core does not
 * own (interval, jitter, timeout, max_backoff, retention, file).  On a bad
 * key or value it writes a short reason into err (errlen bytes) and returns
 * -1; the core reports it as "file:line: reason".
 *
 * init and read return 0 on success, -1 on failure.  A failed init refuses
 * the instance; a failed read makes the core back off.
 *
 * check, if set, runs only under `tallyd -t`, once per key that configure
 * took, after all of them: it checks what the key names outside the
 * config (a file exists and is readable) without changing anything.  On a
 * fault it writes the reason into err and returns -1; the core reports it
 * as "file:line: key: reason" at the key's line.  Added in ABI 1.2 after
 * destroy: the core reads it only from a descriptor whose size covers it.
 */
struct tally_plugin {
	uint32_t	 abi;		/* TALLY_PLUGIN_ABI */
	uint32_t	 size;		/* sizeof(struct tally_plugin) */
	const char	*name;		/* must match the file name: NAME.so */
	const char	*description;	/* one line, for PLUGINS and logs */

	void		*(*create)(struct tally_ctx *ctx,
			    const struct tally_host *host);
	int		(*configure)(void *data, const char *key,
			    const char *value, char *err, size_t errlen);
	int		(*init)(void *data);
	int		(*read)(void *data);
	void		(*destroy)(void *data);
	int		(*check)(void *data, const char *key,
			    const char *value, char *err, size_t errlen);
};

/* Define the descriptor with the right symbol name and visibility. */
#define TALLY_PLUGIN_EXPORT \
	__attribute__((visibility("default"))) const struct tally_plugin \
	    tally_plugin_v1

#ifdef __cplusplus
}
#endif

#endif /* TALLY_PLUGIN_H */
