/*
 * creditfund.c - people's credit fund reports as series: funds reporting,
 * in profit and at a loss, total and average profit, assets, loans, return
 * on assets and the bad-debt ratio weighted by loans.
 *
 * One instance reads one granularity (period = year, quarter or month).
 * Each read fetches the report file or URL only if it changed, turns it
 * into one figure per metric and period, and lets history.c store what is
 * new or corrected.  A period's figures are stored at the instant it ends
 * (00:00 UTC of the first day of the next period).  See docs/CREDITFUND.md.
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
#include "funds.h"
#include "source.h"

#define FUND_REPORT_MAX	20	/* bad rows logged one by one per reading */

struct creditfund {
	struct tally_ctx		*ctx;
	const struct tally_host		*host;
	struct funds_conf		 fc;
	struct source			 src;
	struct history			*hist;
	char				*hist_path;
	struct history_table		 last;	/* last reading, if it waits */
	int				 waiting; /* periods not yet ended */
	unsigned long			 nreported;
};

static void *
creditfund_create(struct tally_ctx *ctx, const struct tally_host *host)
{
	struct creditfund	*c;

	if (host->abi != TALLY_PLUGIN_ABI || (c = calloc(1, sizeof(*c))) ==
	    NULL)
		return (NULL);
	c->ctx = ctx;
	c->host = host;
	if (funds_conf_init(&c->fc) == -1 ||
	    (c->hist = history_new()) == NULL) {
		funds_conf_free(&c->fc);
		free(c);
		return (NULL);
	}
	return (c);
}

/* Takes source, http_timeout and the report keys (funds.c). */
static int
creditfund_configure(void *arg, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct creditfund	*c = arg;
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
	if ((rc = funds_configure(&c->fc, key, value, err, errlen)) != 1)
		return (rc);
	snprintf(err, errlen, "unknown key (creditfund takes source, "
	    "http_timeout, period, column.*)");
	return (-1);
}

/* The unit a person reads beside a metric. */
static const char *
creditfund_unit(const char *metric)
{
	if (strncmp(metric, "funds.", 6) == 0)
		return ("funds");
	if (strcmp(metric, "roa") == 0 || strcmp(metric, "baddebt") == 0)
		return ("%");
	return ("VND");
}

/* Declares every metric on the slow preset and loads the history. */
static int
creditfund_init(void *arg)
{
	struct creditfund		*c = arg;
	struct funds_result	 empty;
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
	if (funds_table(&empty, &t) == -1)
		return (-1);
	for (i = 0; i < t.nmetrics && rc == 0; i++)
		rc = c->host->declare(c->ctx, t.metric[i], TALLY_GAUGE,
		    creditfund_unit(t.metric[i]), "slow");
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
creditfund_report(void *arg, unsigned long line, int skipped, const char *msg)
{
	struct creditfund	*c = arg;

	if (c->nreported++ >= FUND_REPORT_MAX)
		return;
	c->host->log(c->ctx, TALLY_LOG_WARNING, "%s:%lu: %s%s",
	    source_label(&c->src), line, msg, skipped ? "; row skipped" : "");
}

/* Stores a reading, saves the history; -1 if any of it failed. */
static int
creditfund_store(struct creditfund *c, const struct history_table *t,
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
creditfund_process(struct creditfund *c, const char *buf, size_t len)
{
	struct funds_result	 res;
	struct history_table	 t;
	struct history_stats	 st;
	char			 err[512];
	int			 rc;

	c->nreported = 0;
	if (funds_parse(&c->fc, buf, len, &res, creditfund_report, c, err,
	    sizeof(err)) == -1) {
		c->host->log(c->ctx, TALLY_LOG_ERR, "%s: %s; figures unchanged",
		    source_label(&c->src), err);
		source_commit(&c->src);	/* reading it again will not help */
		return (-1);
	}
	if (c->nreported > FUND_REPORT_MAX)
		c->host->log(c->ctx, TALLY_LOG_WARNING, "%s: %lu more bad "
		    "rows or warnings not shown", source_label(&c->src),
		    c->nreported - FUND_REPORT_MAX);
	if (funds_table(&res, &t) == -1) {
		funds_result_free(&res);
		c->host->log(c->ctx, TALLY_LOG_ERR, "out of memory");
		return (-1);
	}
	rc = creditfund_store(c, &t, &st);
	c->host->log(c->ctx, TALLY_LOG_INFO, "%s: %lu rows (%lu bad, %lu of "
	    "other periods), periods %s to %s: %lu points added, %lu metrics "
	    "rewritten, %lu waiting for their period to end",
	    source_label(&c->src), res.rows, res.bad, res.other,
	    res.nperiods > 0 ? res.periods[0].label : "-", res.nperiods > 0 ?
	    res.periods[res.nperiods - 1].label : "-", st.added, st.corrected,
	    st.held);
	funds_result_free(&res);
	history_table_free(&c->last);
	c->last = t;
	if (rc == 0)
		source_commit(&c->src);
	return (rc);
}

/* Fetches the reports if they changed and stores what is new. */
static int
creditfund_read(void *arg)
{
	struct creditfund		*c = arg;
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
		return (c->waiting ? creditfund_store(c, &c->last, &st) : 0);
	}
	rc = creditfund_process(c, buf, len);
	free(buf);
	return (rc);
}

static void
creditfund_destroy(void *arg)
{
	struct creditfund	*c = arg;

	funds_conf_free(&c->fc);
	source_free(&c->src);
	history_free(c->hist);
	history_table_free(&c->last);
	free(c->hist_path);
	free(c);
}

TALLY_PLUGIN_EXPORT = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_plugin),
	.name = "creditfund",
	.description = "people's credit fund reports (CSV file or http://) "
	    "as series per year, quarter or month",
	.create = creditfund_create,
	.configure = creditfund_configure,
	.init = creditfund_init,
	.read = creditfund_read,
	.destroy = creditfund_destroy,
};
