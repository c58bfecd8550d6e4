/*
 * labels.c - friendly names of series, for people.
 *
 * [labels] gives SERIES = label lines (the full name,
 * plugin.instance.metric); a series with none takes the built-in label
 * of its plugin's metric (the coop and creditfund metrics, in
 * Vietnamese), whatever the instance is called.  The dashboard shows
 * them instead of names like coop.registry.revenue.avg.agriculture, and
 * the annual report labels its default indicators with them.  The table
 * in force belongs to the loop; a reload replaces it whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "labels.h"
#include "names.h"
#include "xmalloc.h"

/* Built-in labels: plugin, metric, label. */
static const char *const labels_builtin[][3] = {
	{ "coop", "cooperatives.active", "Số hợp tác xã" },
	{ "coop", "cooperatives.active.agriculture", "Số HTX nông nghiệp" },
	{ "coop", "cooperatives.active.industry", "Số HTX công nghiệp - TTCN" },
	{ "coop", "cooperatives.active.construction", "Số HTX xây dựng" },
	{ "coop", "cooperatives.active.transport", "Số HTX vận tải" },
	{ "coop", "cooperatives.active.trade",
	  "Số HTX thương mại - dịch vụ" },
	{ "coop", "cooperatives.active.environment", "Số HTX môi trường" },
	{ "coop", "cooperatives.active.credit", "Số HTX tín dụng" },
	{ "coop", "cooperatives.active.other", "Số HTX lĩnh vực khác" },
	{ "coop", "members", "Số thành viên hợp tác xã" },
	{ "coop", "founded", "Số HTX thành lập mới trong năm" },
	{ "coop", "dissolved", "Số HTX giải thể trong năm" },
	{ "coop", "groups", "Số tổ hợp tác" },
	{ "coop", "groups.farming", "Số tổ hợp tác nông nghiệp" },
	{ "coop", "unions", "Số liên hiệp HTX" },
	{ "coop", "revenue.total", "Tổng doanh thu các HTX (đồng)" },
	{ "coop", "revenue.avg", "Doanh thu bình quân một HTX (đồng)" },
	{ "coop", "revenue.avg.agriculture",
	  "Doanh thu bình quân HTX nông nghiệp (đồng)" },
	{ "coop", "profit.total", "Tổng lợi nhuận các HTX (đồng)" },
	{ "coop", "profit.avg", "Lợi nhuận bình quân một HTX (đồng)" },
	{ "coop", "profit.avg.agriculture",
	  "Lợi nhuận bình quân HTX nông nghiệp (đồng)" },
	{ "creditfund", "funds.reporting", "Số quỹ tín dụng nhân dân" },
	{ "creditfund", "funds.profit", "Số quỹ TDND có lãi" },
	{ "creditfund", "funds.loss", "Số quỹ TDND thua lỗ" },
	{ "creditfund", "profit.total", "Lợi nhuận của các quỹ TDND (đồng)" },
	{ "creditfund", "profit.avg",
	  "Lợi nhuận bình quân một quỹ TDND (đồng)" },
	{ "creditfund", "assets.total", "Tổng tài sản các quỹ TDND (đồng)" },
	{ "creditfund", "loans.total", "Dư nợ cho vay các quỹ TDND (đồng)" },
	{ "creditfund", "roa", "Tỷ suất lợi nhuận trên tài sản (%)" },
	{ "creditfund", "baddebt", "Tỷ lệ nợ xấu (%)" },
};

/* [labels] as read: inline arrays, so config.c frees it whole. */
struct labels_conf {
	size_t		 n;
	struct {
		char	 series[NAMES_SERIES_MAX + 1];
		char	 label[LABEL_MAX + 1];
		int	 line;
	}		 l[LABELS_MAX];
};

static int	labels_conf_value(struct config_parse *, void *, const char *,
		    const char *);

const struct config_section labels_section = {
	.word = "labels", .minw = 1, .maxw = 1, .usage = "[labels]",
	.head = "[labels]\n# SERIES = label: the name people read for a "
	"series (dashboard,\n# API, report); coop and creditfund metrics have "
	"Vietnamese ones",
	.value = labels_conf_value, .size = sizeof(struct labels_conf)
};

/* The labels in force, from [labels]; the loop's. */
static char	**labels_series, **labels_text;
static size_t	  labels_n;

/* A line of [labels]: its series and label, checked. */
static int
labels_conf_value(struct config_parse *p, void *base, const char *key,
    const char *value)
{
	struct labels_conf	*lc = base;
	size_t			 i;

	if (!names_series_valid(key) || *value == '\0' ||
	    strlen(value) > LABEL_MAX) {
		config_perr(p, config_line(p), "bad label '%s = %s' in "
		    "[labels]: use SERIES = label, SERIES a series name "
		    "(plugin.instance.metric), the label at most %d bytes",
		    key, value, LABEL_MAX);
		return (0);
	}
	for (i = 0; i < lc->n; i++)
		if (strcmp(lc->l[i].series, key) == 0) {
			config_perr(p, config_line(p), "duplicate label for "
			    "'%s' in [labels] (first at line %d)", key,
			    lc->l[i].line);
			return (0);
		}
	if (lc->n == LABELS_MAX) {
		config_perr(p, config_line(p), "at most %d lines in [labels]",
		    LABELS_MAX);
		return (0);
	}
	snprintf(lc->l[lc->n].series, sizeof(lc->l[lc->n].series), "%s",
	    key);
	snprintf(lc->l[lc->n].label, sizeof(lc->l[lc->n].label), "%s",
	    value);
	lc->l[lc->n++].line = config_line(p);
	return (0);
}

void
labels_shutdown(void)
{
	size_t	 i;

	for (i = 0; i < labels_n; i++) {
		free(labels_series[i]);
		free(labels_text[i]);
	}
	free(labels_series);
	free(labels_text);
	labels_series = labels_text = NULL;
	labels_n = 0;
}

/* Takes the labels of a config (a reload replaces them). */
void
labels_set_config(const struct config *cf)
{
	const struct labels_conf	*lc = config_single(cf, &labels_section);
	size_t				 i;

	labels_shutdown();
	if (lc == NULL || lc->n == 0)
		return;
	labels_series = xcalloc(lc->n, sizeof(*labels_series));
	labels_text = xcalloc(lc->n, sizeof(*labels_text));
	for (i = 0; i < lc->n; i++) {
		labels_series[i] = xstrdup(lc->l[i].series);
		labels_text[i] = xstrdup(lc->l[i].label);
	}
	labels_n = lc->n;
}

/*
 * The label of a series: from [labels] (*set = 1), else the built-in one
 * of its plugin's metric (*set = 0), else NULL.  set may be NULL.
 */
const char *
labels_get(const char *series, int *set)
{
	const char	*dot, *metric;
	size_t		 i, plen;

	if (set != NULL)
		*set = 0;
	for (i = 0; i < labels_n; i++)
		if (strcmp(labels_series[i], series) == 0) {
			if (set != NULL)
				*set = 1;
			return (labels_text[i]);
		}
	if ((dot = strchr(series, '.')) == NULL ||
	    (metric = strchr(dot + 1, '.')) == NULL)
		return (NULL);
	plen = (size_t)(dot - series);
	metric++;
	for (i = 0; i < sizeof(labels_builtin) / sizeof(labels_builtin[0]);
	    i++)
		if (strlen(labels_builtin[i][0]) == plen &&
		    strncmp(labels_builtin[i][0], series, plen) == 0 &&
		    strcmp(labels_builtin[i][1], metric) == 0)
			return (labels_builtin[i][2]);
	return (NULL);
}
