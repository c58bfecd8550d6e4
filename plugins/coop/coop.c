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
coop_parse(const void *rc, const char *buf, size_t len,
    const struct csv_format *fmt, void *res, feed_report_cb report,
    void *arg, char *err, size_t errlen)
{
	return (registry_parse(rc, buf, len, fmt, res, report, arg, err,
	    errlen));
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

/* Indicators of a totals table, as the Alliance's report names them. */
static const char *const coop_indicators[][2] = {
	{ "cooperatives.active", "Số hợp tác xã, Số HTX, Tổng số HTX, "
	  "Tổng số hợp tác xã, Hợp tác xã, HTX, Số HTX đang hoạt động" },
	{ "cooperatives.active.agriculture", "Số HTX nông nghiệp, "
	  "HTX nông nghiệp, Số hợp tác xã nông nghiệp" },
	{ "cooperatives.active.industry", "Số HTX công nghiệp, "
	  "HTX công nghiệp, HTX công nghiệp - TTCN" },
	{ "members", "Số thành viên, Thành viên, Tổng số thành viên" },
	{ "founded", "Số HTX thành lập mới, HTX thành lập mới, "
	  "Thành lập mới" },
	{ "dissolved", "Số HTX giải thể, HTX giải thể, Giải thể" },
	{ "groups", "Số tổ hợp tác, Tổ hợp tác, Số THT, THT" },
	{ "groups.farming", "Số tổ hợp tác nông nghiệp, "
	  "Tổ hợp tác nông nghiệp, THT nông nghiệp" },
	{ "unions", "Số liên hiệp HTX, Liên hiệp HTX, "
	  "Số liên hiệp hợp tác xã, Liên hiệp hợp tác xã" },
	{ "revenue.total", "Tổng doanh thu, Doanh thu" },
	{ "revenue.avg", "Doanh thu bình quân, Doanh thu bình quân HTX, "
	  "Doanh thu bình quân/HTX" },
	{ "revenue.avg.agriculture", "Doanh thu bình quân HTX nông nghiệp, "
	  "Doanh thu bình quân của HTX nông nghiệp" },
	{ "profit.total", "Tổng lợi nhuận, Lợi nhuận, Tổng lãi" },
	{ "profit.avg", "Lợi nhuận bình quân, Lãi bình quân, "
	  "Lợi nhuận bình quân/HTX" },
	{ "profit.avg.agriculture", "Lợi nhuận bình quân HTX nông nghiệp, "
	  "Lãi bình quân HTX nông nghiệp" },
};

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
	.indicators = coop_indicators,
	.nindicators = sizeof(coop_indicators) / sizeof(coop_indicators[0]),
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
	.check = feed_check,
};
