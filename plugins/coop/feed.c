/*
 * feed.c - the plugin instance behind coop and creditfund: a report file
 * (a file or an http:// URL) read into one figure per metric and period.
 *
 * Each read fetches the file only if it changed, has the kind's parser
 * turn it into a table, and lets history.c store what is new or
 * corrected.  A period's figures are stored at the instant it ends, so
 * a reading whose last period has not ended yet is kept, and its held
 * points are stored by a later read even if the file stays the same.
 * What differs between the plugins (keys, columns, metrics, units, the
 * log's summary of a reading) is in their struct feed_kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tally/plugin.h>

#include "csv.h"
#include "feed.h"
#include "history.h"
#include "source.h"

#define FEED_REPORT_MAX	20	/* bad rows logged one by one per reading */

struct feed {
	const struct feed_kind		*kind;
	struct tally_ctx		*ctx;
	const struct tally_host		*host;
	void				*conf;	/* the kind's */
	void				*res;	/* the kind's, of one reading */
	struct source			 src;
	struct history			*hist;
	char				*hist_path;
	struct history_table		 last;	/* last reading, if it waits */
	int				 waiting; /* periods not yet ended */
	int				 verified; /* history checked */
	unsigned long			 nreported;
};

void *
feed_create(struct tally_ctx *ctx, const struct tally_host *host,
    const struct feed_kind *k)
{
	struct feed	*f;

	if (host->abi != TALLY_PLUGIN_ABI || (f = calloc(1, sizeof(*f))) ==
	    NULL)
		return (NULL);
	f->kind = k;
	f->ctx = ctx;
	f->host = host;
	if ((f->conf = calloc(1, k->conf_size)) == NULL ||
	    (f->res = calloc(1, k->result_size)) == NULL) {
		free(f->conf);
		free(f);
		return (NULL);
	}
	if (k->conf_init(f->conf) == -1 || (f->hist = history_new()) == NULL) {
		feed_destroy(f);
		return (NULL);
	}
	return (f);
}

/* Takes source, http_timeout and the kind's own keys. */
int
feed_configure(void *arg, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct feed	*f = arg;
	unsigned long	 v;
	int		 rc;

	if (strcmp(key, "source") == 0)
		return (source_set(&f->src, value,
		    source_base(f->ctx, f->host), err, errlen));
	if (strcmp(key, "http_timeout") == 0) {
		if (csv_count(value, &v) == -1 || v < 1 || v > 600) {
			snprintf(err, errlen, "seconds, 1..600");
			return (-1);
		}
		f->src.timeout = (int)v;
		return (0);
	}
	if ((rc = f->kind->configure(f->conf, key, value, err, errlen)) != 1)
		return (rc);
	snprintf(err, errlen, "unknown key (%s takes source, http_timeout, "
	    "%s)", f->kind->name, f->kind->keys);
	return (-1);
}

/* Declares every metric on the slow preset and loads the history. */
int
feed_init(void *arg)
{
	struct feed		*f = arg;
	const struct feed_kind	*k = f->kind;
	struct history_table	 t;
	char			 err[512];
	size_t			 i;
	int			 rc = 0;

	if (f->src.where == NULL) {
		f->host->log(f->ctx, TALLY_LOG_ERR, "no source: set source = "
		    "FILE or http://HOST/PATH");
		return (-1);
	}
	/* The table of a reading with no rows still names every metric. */
	memset(f->res, 0, k->result_size);
	if (k->table(f->conf, f->res, &t) == -1)
		return (-1);
	for (i = 0; i < t.nmetrics && rc == 0; i++)
		rc = f->host->declare(f->ctx, t.metric[i], TALLY_GAUGE,
		    k->unit(t.metric[i]), "slow");
	history_table_free(&t);
	if (rc == -1 || asprintf(&f->hist_path, "%s/history",
	    f->host->state_dir(f->ctx)) == -1)
		return (-1);
	if (history_load(f->hist, f->hist_path, err, sizeof(err)) == -1)
		f->host->log(f->ctx, TALLY_LOG_WARNING, "%s; every metric's "
		    "history will be rewritten from the source", err);
	return (0);
}

/* Logs a bad row or a warning as FILE:LINE, the first few of a reading. */
static void
feed_report(void *arg, unsigned long line, int skipped, const char *msg)
{
	struct feed	*f = arg;

	if (f->nreported++ >= FEED_REPORT_MAX)
		return;
	f->host->log(f->ctx, TALLY_LOG_WARNING, "%s:%lu: %s%s",
	    source_label(&f->src), line, msg, skipped ? "; row skipped" : "");
}

/* Stores a reading, saves the history; -1 if any of it failed. */
static int
feed_store(struct feed *f, const struct history_table *t,
    struct history_stats *st)
{
	char	 err[512];
	int	 rc;

	rc = history_apply(f->hist, f->ctx, f->host, t, time(NULL), st);
	/*
	 * The history says "stored": only once the core has it durably.
	 * If not, forget what this reading claimed and store it all again.
	 */
	if (TALLY_HOST_HAS(f->host, sync) && f->host->sync(f->ctx) == -1) {
		f->host->log(f->ctx, TALLY_LOG_ERR, "figures not durable; "
		    "the history is not saved and will be stored again");
		if (history_load(f->hist, f->hist_path, err, sizeof(err)) ==
		    -1)
			f->host->log(f->ctx, TALLY_LOG_WARNING, "%s", err);
		history_suspect(f->hist);
		f->waiting = 1;
		return (-1);
	}
	if (history_save(f->hist, f->hist_path, err, sizeof(err)) == -1) {
		f->host->log(f->ctx, TALLY_LOG_ERR, "%s", err);
		rc = -1;
	}
	f->waiting = st->held > 0;
	return (rc);
}

/* Parses a new reading and stores it; the table is kept for later. */
static int
feed_process(struct feed *f, const char *buf, size_t len)
{
	const struct feed_kind	*k = f->kind;
	struct history_table	 t;
	struct history_stats	 st;
	char			 err[512], sum[256];
	int			 rc;

	f->nreported = 0;
	if (k->parse(f->conf, buf, len, f->res, feed_report, f, err,
	    sizeof(err)) == -1) {
		f->host->log(f->ctx, TALLY_LOG_ERR, "%s: %s; figures unchanged",
		    source_label(&f->src), err);
		source_commit(&f->src);	/* reading it again will not help */
		return (-1);
	}
	if (f->nreported > FEED_REPORT_MAX)
		f->host->log(f->ctx, TALLY_LOG_WARNING, "%s: %lu more bad "
		    "rows or warnings not shown", source_label(&f->src),
		    f->nreported - FEED_REPORT_MAX);
	if (k->table(f->conf, f->res, &t) == -1) {
		k->result_free(f->res);
		f->host->log(f->ctx, TALLY_LOG_ERR, "out of memory");
		return (-1);
	}
	rc = feed_store(f, &t, &st);
	k->summary(f->res, sum, sizeof(sum));
	f->host->log(f->ctx, TALLY_LOG_INFO, "%s: %s: %lu points added, %lu "
	    "metrics rewritten, %lu waiting for their period to end",
	    source_label(&f->src), sum, st.added, st.corrected, st.held);
	k->result_free(f->res);
	history_table_free(&f->last);
	f->last = t;
	if (rc == 0)
		source_commit(&f->src);
	return (rc);
}

/* Fetches the report file if it changed and stores what is new in it. */
int
feed_read(void *arg)
{
	struct feed		*f = arg;
	struct history_stats	 st;
	char			*buf, err[512];
	size_t			 len;
	int			 rc;

	if (!f->verified) {
		f->verified = 1;
		(void)history_verify(f->hist, f->ctx, f->host);
	}
	if ((rc = source_fetch(&f->src, &buf, &len, err, sizeof(err))) ==
	    -1) {
		f->host->log(f->ctx, TALLY_LOG_ERR, "%s; figures unchanged",
		    err);
		return (-1);
	}
	if (rc == 0) {	/* unchanged: store periods that have ended since */
		f->host->log(f->ctx, TALLY_LOG_DEBUG, "%s unchanged",
		    source_label(&f->src));
		return (f->waiting ? feed_store(f, &f->last, &st) : 0);
	}
	rc = feed_process(f, buf, len);
	free(buf);
	return (rc);
}

void
feed_destroy(void *arg)
{
	struct feed	*f = arg;

	f->kind->conf_free(f->conf);
	free(f->conf);
	free(f->res);
	source_free(&f->src);
	history_free(f->hist);
	history_table_free(&f->last);
	free(f->hist_path);
	free(f);
}
