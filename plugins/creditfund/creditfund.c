/*
 * creditfund.c - people's credit fund reports as series: funds reporting,
 * in profit and at a loss, total and average profit, assets, loans, return
 * on assets and the bad-debt ratio weighted by loans.
 *
 * One instance reads one granularity (period = year, quarter or month).
 * funds.c turns the report file into one figure per metric and period;
 * the coop plugin's feed.c does the rest (fetch on change, history,
 * logging).  A period's figures are stored at the instant it ends (00:00
 * UTC of the first day of the next period).  See docs/CREDITFUND.md.
 */
#include <stdio.h>
#include <string.h>

#include <tally/plugin.h>

#include "feed.h"
#include "funds.h"

/* funds.c as the feed's callbacks, which know its structs as void *. */
static int
creditfund_conf_init(void *fc)
{
	return (funds_conf_init(fc));
}

static void
creditfund_conf_free(void *fc)
{
	funds_conf_free(fc);
}

static int
creditfund_configure(void *fc, const char *key, const char *value,
    char *err, size_t errlen)
{
	return (funds_configure(fc, key, value, err, errlen));
}

static int
creditfund_parse(const void *fc, const char *buf, size_t len,
    const struct csv_format *fmt, void *res, feed_report_cb report,
    void *arg, char *err, size_t errlen)
{
	return (funds_parse(fc, buf, len, fmt, res, report, arg, err,
	    errlen));
}

static void
creditfund_result_free(void *res)
{
	funds_result_free(res);
}

/* The metrics do not depend on the config. */
static int
creditfund_table(const void *fc, const void *res, struct history_table *t)
{
	return (funds_table(res, t));
}

/* A reading for the log: its rows and periods. */
static void
creditfund_summary(const void *arg, char *buf, size_t len)
{
	const struct funds_result	*res = arg;

	snprintf(buf, len, "%lu rows (%lu bad, %lu of other periods), "
	    "periods %s to %s", res->rows, res->bad, res->other,
	    res->nperiods > 0 ? res->periods[0].label : "-",
	    res->nperiods > 0 ? res->periods[res->nperiods - 1].label : "-");
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

/* Indicators of a totals table, as the Alliance's report names them. */
static const char *const creditfund_indicators[][2] = {
	{ "funds.reporting", "Số quỹ tín dụng nhân dân, Số quỹ TDND, "
	  "Quỹ tín dụng nhân dân, Quỹ TDND" },
	{ "funds.profit", "Số quỹ có lãi, Quỹ TDND có lãi, Quỹ có lãi" },
	{ "funds.loss", "Số quỹ thua lỗ, Quỹ TDND thua lỗ, Quỹ thua lỗ" },
	{ "profit.total", "Tổng lợi nhuận, Lợi nhuận, Tổng lãi" },
	{ "profit.avg", "Lợi nhuận bình quân, Lãi bình quân" },
	{ "assets.total", "Tổng tài sản, Tài sản" },
	{ "loans.total", "Tổng dư nợ, Dư nợ cho vay, Dư nợ" },
	{ "roa", "ROA, Tỷ suất lợi nhuận trên tài sản" },
	{ "baddebt", "Tỷ lệ nợ xấu, Nợ xấu" },
};

static const struct feed_kind creditfund_kind = {
	.name = "creditfund",
	.keys = "period, column.*",
	.conf_size = sizeof(struct funds_conf),
	.conf_init = creditfund_conf_init,
	.conf_free = creditfund_conf_free,
	.configure = creditfund_configure,
	.result_size = sizeof(struct funds_result),
	.parse = creditfund_parse,
	.result_free = creditfund_result_free,
	.table = creditfund_table,
	.summary = creditfund_summary,
	.unit = creditfund_unit,
	.indicators = creditfund_indicators,
	.nindicators = sizeof(creditfund_indicators) /
	    sizeof(creditfund_indicators[0]),
};

static void *
creditfund_create(struct tally_ctx *ctx, const struct tally_host *host)
{
	return (feed_create(ctx, host, &creditfund_kind));
}

TALLY_PLUGIN_EXPORT = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_plugin),
	.name = "creditfund",
	.description = "people's credit fund reports (CSV file or http://) "
	    "as series per year, quarter or month",
	.create = creditfund_create,
	.configure = feed_configure,
	.init = feed_init,
	.read = feed_read,
	.destroy = feed_destroy,
	.check = feed_check,
};
