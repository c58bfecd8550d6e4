/*
 * coop.c - the cooperative registry as yearly series: active cooperatives
 * (in all and per sector), members, founded and dissolved in the year,
 * cooperative groups, unions, revenue and profit.
 *
 * Each read fetches the export (a file or an http:// URL) only if it
 * changed, turns it into one figure per metric and report year, and lets
 * history.c store what is new or corrected.  The figures of a year are
 * stored at the instant the year ends, 1 January of the next year 00:00
 * UTC, so on a "slow" (daily) file every day of year Y holds Y's figure.
 * See docs/COOP.md.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tally/plugin.h>

#include "csv.h"
#include "history.h"
#include "registry.h"
#include "source.h"

#define COOP_REPORT_MAX	20	/* bad rows logged one by one per reading */

struct coop {
	struct tally_ctx		*ctx;
	const struct tally_host		*host;
	struct registry_conf		 rc;
	struct source			 src;
	struct history			*hist;
	char				*hist_path;
	struct history_table		 last;	/* last reading, if it waits */
	int				 waiting; /* periods not yet ended */
	unsigned long			 nreported;
};

static void *
coop_create(struct tally_ctx *ctx, const struct tally_host *host)
{
	struct coop	*c;

	if (host->abi != TALLY_PLUGIN_ABI || (c = calloc(1, sizeof(*c))) ==
	    NULL)
		return (NULL);
	c->ctx = ctx;
	c->host = host;
	if (registry_conf_init(&c->rc) == -1 ||
	    (c->hist = history_new()) == NULL) {
		registry_conf_free(&c->rc);
		free(c);
		return (NULL);
	}
	return (c);
}

/* Takes source, http_timeout and the export keys (registry.c). */
static int
coop_configure(void *arg, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct coop	*c = arg;
	unsigned long	 v;
	int		 rc;

	if (strcmp(key, "source") == 0)
		return (source_set(&c->src, value,
		    source_base(c->ctx, c->host), err, errlen));
	if (strcmp(key, "http_timeout") == 0) {
		if (csv_count(value, &v) == -1 || v < 1 || v > 600) {
			snprintf(err, errlen, "http_timeout: seconds, 1..600");
			return (-1);
		}
		c->src.timeout = (int)v;
		return (0);
	}
	if ((rc = registry_configure(&c->rc, key, value, err, errlen)) != 1)
		return (rc);
	snprintf(err, errlen, "unknown key (coop takes source, http_timeout, "
	    "column.*, kind.*, sector.*)");
	return (-1);
}

/* The unit a person reads beside a metric. */
static const char *
coop_unit(const char *metric)
{
	if (strncmp(metric, "revenue", 7) == 0 ||
	    strncmp(metric, "profit", 6) == 0)
		return ("VND");
	if (strcmp(metric, "members") == 0)
		return ("people");
	return ("organisations");
}

/* Declares every metric on the slow preset and loads the history. */
static int
coop_init(void *arg)
{
	struct coop		*c = arg;
	struct registry_result	 empty;
	struct history_table	 t;
	char			 err[512];
	size_t			 i;
	int			 rc = 0;

	if (c->src.where == NULL) {
		c->host->log(c->ctx, TALLY_LOG_ERR, "no source: set source = "
		    "FILE or http://HOST/PATH");
		return (-1);
	}
	memset(&empty, 0, sizeof(empty));
	if (registry_table(&c->rc, &empty, &t) == -1)
		return (-1);
	for (i = 0; i < t.nmetrics && rc == 0; i++)
		rc = c->host->declare(c->ctx, t.metric[i], TALLY_GAUGE,
		    coop_unit(t.metric[i]), "slow");
	history_table_free(&t);
	if (rc == -1 || asprintf(&c->hist_path, "%s/history",
	    c->host->state_dir(c->ctx)) == -1)
		return (-1);
	if (history_load(c->hist, c->hist_path, err, sizeof(err)) == -1)
		c->host->log(c->ctx, TALLY_LOG_WARNING, "%s; every metric's "
		    "history will be rewritten from the source", err);
	return (0);
}

/* Logs a bad row or a warning as FILE:LINE, the first few of a reading. */
static void
coop_report(void *arg, unsigned long line, int skipped, const char *msg)
{
	struct coop	*c = arg;

	if (c->nreported++ >= COOP_REPORT_MAX)
		return;
	c->host->log(c->ctx, TALLY_LOG_WARNING, "%s:%lu: %s%s",
	    source_label(&c->src), line, msg, skipped ? "; row skipped" : "");
}

/* Stores a reading, saves the history; -1 if any of it failed. */
static int
coop_store(struct coop *c, const struct history_table *t,
    struct history_stats *st)
{
	char	 err[512];
	int	 rc;

	rc = history_apply(c->hist, c->ctx, c->host, t, time(NULL), st);
	if (history_save(c->hist, c->hist_path, err, sizeof(err)) == -1) {
		c->host->log(c->ctx, TALLY_LOG_ERR, "%s", err);
		rc = -1;
	}
	c->waiting = st->held > 0;
	return (rc);
}

/* Parses a new export and stores it; the table is kept for later. */
static int
coop_process(struct coop *c, const char *buf, size_t len)
{
	struct registry_result	 res;
	struct history_table	 t;
	struct history_stats	 st;
	char			 err[512];
	int			 rc;

	c->nreported = 0;
	if (registry_parse(&c->rc, buf, len, &res, coop_report, c, err,
	    sizeof(err)) == -1) {
		c->host->log(c->ctx, TALLY_LOG_ERR, "%s: %s; figures unchanged",
		    source_label(&c->src), err);
		source_commit(&c->src);	/* reading it again will not help */
		return (-1);
	}
	if (c->nreported > COOP_REPORT_MAX)
		c->host->log(c->ctx, TALLY_LOG_WARNING, "%s: %lu more bad "
		    "rows or warnings not shown", source_label(&c->src),
		    c->nreported - COOP_REPORT_MAX);
	if (registry_table(&c->rc, &res, &t) == -1) {
		registry_result_free(&res);
		c->host->log(c->ctx, TALLY_LOG_ERR, "out of memory");
		return (-1);
	}
	rc = coop_store(c, &t, &st);
	c->host->log(c->ctx, TALLY_LOG_INFO, "%s: %lu rows (%lu bad), years "
	    "%d-%d: %lu points added, %lu metrics rewritten, %lu waiting for "
	    "their period to end", source_label(&c->src), res.rows, res.bad,
	    res.nyears > 0 ? res.years[0].year : 0, res.nyears > 0 ?
	    res.years[res.nyears - 1].year : 0, st.added, st.corrected,
	    st.held);
	registry_result_free(&res);
	history_table_free(&c->last);
	c->last = t;
	if (rc == 0)
		source_commit(&c->src);
	return (rc);
}

/* Fetches the export if it changed and stores what is new in it. */
static int
coop_read(void *arg)
{
	struct coop		*c = arg;
	struct history_stats	 st;
	char			*buf, err[512];
	size_t			 len;
	int			 rc;

	if ((rc = source_fetch(&c->src, &buf, &len, err, sizeof(err))) ==
	    -1) {
		c->host->log(c->ctx, TALLY_LOG_ERR, "%s; figures unchanged",
		    err);
		return (-1);
	}
	if (rc == 0) {	/* unchanged: store periods that have ended since */
		c->host->log(c->ctx, TALLY_LOG_DEBUG, "%s unchanged",
		    source_label(&c->src));
		return (c->waiting ? coop_store(c, &c->last, &st) : 0);
	}
	rc = coop_process(c, buf, len);
	free(buf);
	return (rc);
}

static void
coop_destroy(void *arg)
{
	struct coop	*c = arg;

	registry_conf_free(&c->rc);
	source_free(&c->src);
	history_free(c->hist);
	history_table_free(&c->last);
	free(c->hist_path);
	free(c);
}

TALLY_PLUGIN_EXPORT = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_plugin),
	.name = "coop",
	.description = "cooperative registry export (CSV file or http://) as "
	    "yearly series",
	.create = coop_create,
	.configure = coop_configure,
	.init = coop_init,
	.read = coop_read,
	.destroy = coop_destroy,
};
