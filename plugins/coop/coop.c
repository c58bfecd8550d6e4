/*
 * coop.c - the cooperative registry as yearly series: active cooperatives
 * (in all and per sector), members, founded and dissolved in the year,
 * cooperative groups, unions, revenue and profit.
 *
 * registry.c turns the export into one figure per metric and report year;
 * feed.c does the rest (fetch on change, history, logging).  The figures
 * of a year are stored at the instant the year ends, 1 January of the
 * next year 00:00 UTC, so on a "slow" (daily) file every day of year Y
 * holds Y's figure.  See docs/COOP.md.
 */
#include <stdio.h>
#include <string.h>

#include <tally/plugin.h>

#include "feed.h"
#include "registry.h"

/* registry.c as the feed's callbacks, which know its structs as void *. */
static int
coop_conf_init(void *rc)
{
	return (registry_conf_init(rc));
}

static void
coop_conf_free(void *rc)
{
	registry_conf_free(rc);
}

static int
coop_configure(void *rc, const char *key, const char *value, char *err,
    size_t errlen)
{
	return (registry_configure(rc, key, value, err, errlen));
}

static int
coop_parse(const void *rc, const char *buf, size_t len, void *res,
    feed_report_cb report, void *arg, char *err, size_t errlen)
{
	return (registry_parse(rc, buf, len, res, report, arg, err, errlen));
}

static void
coop_result_free(void *res)
{
	registry_result_free(res);
}

static int
coop_table(const void *rc, const void *res, struct history_table *t)
{
	return (registry_table(rc, res, t));
}

/* A reading for the log: its rows and years. */
static void
coop_summary(const void *arg, char *buf, size_t len)
{
	const struct registry_result	*res = arg;

	snprintf(buf, len, "%lu rows (%lu bad), years %d-%d", res->rows,
	    res->bad, res->nyears > 0 ? res->years[0].year : 0,
	    res->nyears > 0 ? res->years[res->nyears - 1].year : 0);
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

static const struct feed_kind coop_kind = {
	.name = "coop",
	.keys = "column.*, kind.*, sector.*",
	.conf_size = sizeof(struct registry_conf),
	.conf_init = coop_conf_init,
	.conf_free = coop_conf_free,
	.configure = coop_configure,
	.result_size = sizeof(struct registry_result),
	.parse = coop_parse,
	.result_free = coop_result_free,
	.table = coop_table,
	.summary = coop_summary,
	.unit = coop_unit,
};

static void *
coop_create(struct tally_ctx *ctx, const struct tally_host *host)
{
	return (feed_create(ctx, host, &coop_kind));
}

TALLY_PLUGIN_EXPORT = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_plugin),
	.name = "coop",
	.description = "cooperative registry export (CSV file or http://) as "
	    "yearly series",
	.create = coop_create,
	.configure = feed_configure,
	.init = feed_init,
	.read = feed_read,
	.destroy = feed_destroy,
};
