/*
 * feed.h - a plugin instance that turns a periodic report file into
 * history series.  Shared by the coop and creditfund plugins: each
 * supplies a struct feed_kind and exports the feed_* callbacks.
 */
#ifndef COOP_FEED_H
#define COOP_FEED_H

#include <stddef.h>

#include <tally/plugin.h>

#include "csv.h"
#include "history.h"

/* Told of each bad row (skipped = 1) and warning (line of the CSV). */
typedef void (*feed_report_cb)(void *, unsigned long, int, const char *);

/*
 * What a plugin reads and how.  conf and result are its own structs of
 * conf_size and result_size bytes, zeroed before first use; the callbacks
 * take them as void *.
 */
struct feed_kind {
	const char	*name;		/* in "unknown key (NAME takes ...)" */
	const char	*keys;		/* its keys besides source, http_timeout */

	size_t		  conf_size;
	int		(*conf_init)(void *);
	void		(*conf_free)(void *);
	int		(*configure)(void *, const char *, const char *, char *,
			    size_t);	/* 1: not one of its keys */

	size_t		  result_size;
	int		(*parse)(const void *, const char *, size_t,
			    const struct csv_format *, void *, feed_report_cb,
			    void *, char *, size_t);
	void		(*result_free)(void *);
	int		(*table)(const void *, const void *,
			    struct history_table *);
	void		(*summary)(const void *, char *, size_t); /* for the log */

	const char	*(*unit)(const char *);	/* of a metric, for people */

	/* Indicator labels of a totals table: { metric, "label, ..." }. */
	const char *const	(*indicators)[2];
	size_t			  nindicators;
};

void	*feed_create(struct tally_ctx *, const struct tally_host *,
	    const struct feed_kind *);
int	 feed_configure(void *, const char *, const char *, char *, size_t);
int	 feed_init(void *);
int	 feed_read(void *);
void	 feed_destroy(void *);
int	 feed_check(void *, const char *, const char *, char *, size_t);

#endif
