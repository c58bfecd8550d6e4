/*
 * alertconf.c - [alert NAME] sections: the keys as written, then, when the
 * section ends, what depends on the kind (spans, levels, deadline, clear
 * point) parsed and the whole rule checked by alertrule_check.  Notifiers
 * named by a rule must exist once the whole file is read.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "alertconf.h"
#include "alertrule.h"
#include "config.h"
#include "names.h"
#include "util.h"
#include "xmalloc.h"

#define ALERTCONF_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define A(f)	offsetof(struct alert_conf, f)

static const struct config_key alertconf_keys[] = {
	{ .name = "metric", .type = CONFIG_STRING,
	  .defshow = "(required)", .flags = CONFIG_RELOAD, .off = A(metric),
	  .help = "the series watched, or a glob (* ? [...]) over series "
	  "names: each series it matches is an alert of its own" },
	{ .name = "kind", .type = CONFIG_ENUM,
	  .def = "threshold", .choices = alertrule_kinds,
	  .flags = CONFIG_RELOAD, .off = A(rule.kind),
	  .help = "threshold: a value against the levels; change: a window "
	  "against the same window compare earlier; trend: slope, or "
	  "periods that fell (rose) in a row; absent: age of the newest "
	  "value, or a report missing at its deadline; forecast: a linear "
	  "fit horizon ahead" },
	{ .name = "enabled", .type = CONFIG_BOOL,
	  .def = "yes", .flags = CONFIG_RELOAD, .off = A(enabled),
	  .help = "no: never evaluated, but ALERT TEST can try it" },
	{ .name = "every", .type = CONFIG_DURATION,
	  .min = CONFIG_MS_S, .max = CONFIG_MS_Y, .def = "1m",
	  .flags = CONFIG_RELOAD | CONFIG_SECONDS, .off = A(rule.every),
	  .help = "time between two evaluations" },
	{ .name = "cf", .type = CONFIG_ENUM,
	  .def = "AVERAGE", .choices = alertrule_cfs, .flags = CONFIG_RELOAD,
	  .off = A(rule.cf),
	  .help = "consolidation function of the rows read" },
	{ .name = "resolution", .type = CONFIG_DURATION,
	  .max = 10 * CONFIG_MS_Y, .def = "0", .defshow = "0 (the finest)",
	  .flags = CONFIG_RELOAD | CONFIG_SECONDS, .off = A(rule.resolution),
	  .help = "seconds per row read (librrd picks the archive)" },
	{ .name = "anchor", .type = CONFIG_ENUM,
	  .def = "now", .choices = alertrule_anchors, .flags = CONFIG_RELOAD,
	  .off = A(rule.anchor),
	  .help = "where windows end: now; last, the newest value; calendar, "
	  "the last whole window the data reaches (1 January for window = "
	  "1y, so yearly figures compare year with year)" },
	{ .name = "window", .type = CONFIG_STRING,
	  .defshow = "(none: the newest value)", .flags = CONFIG_RELOAD,
	  .off = A(window),
	  .help = "span of data judged: a duration, or Ny / Nmo for "
	  "calendar years and months" },
	{ .name = "reduce", .type = CONFIG_ENUM,
	  .def = "avg", .choices = alertrule_reduces, .flags = CONFIG_RELOAD,
	  .off = A(rule.reduce),
	  .help = "threshold: how the window's values become one" },
	{ .name = "compare", .type = CONFIG_STRING,
	  .defshow = "1y", .flags = CONFIG_RELOAD, .off = A(compare),
	  .help = "change: how far back the window compared with lies "
	  "(7d: the same day last week; 1y: the same calendar span a year "
	  "earlier)" },
	{ .name = "as", .type = CONFIG_ENUM,
	  .choices = alertrule_as, .defshow = "percent (change), amount "
	  "(trend)", .flags = CONFIG_RELOAD, .off = A(rule.as),
	  .help = "change and slope: as a percentage of the base, or as an "
	  "amount" },
	{ .name = "min_base", .type = CONFIG_NUMBER,
	  .def = "0", .flags = CONFIG_RELOAD, .off = A(rule.min_base),
	  .help = "change and slope: a base (earlier window, mean) smaller "
	  "than this in magnitude is not judged, so tiny figures do not "
	  "alarm" },
	{ .name = "trend", .type = CONFIG_ENUM,
	  .def = "slope", .choices = alertrule_trends, .flags = CONFIG_RELOAD,
	  .off = A(rule.trend),
	  .help = "slope: the least-squares slope over the window, per the "
	  "span per; falls, rises: how many periods in a row fell (rose)" },
	{ .name = "per", .type = CONFIG_STRING,
	  .defshow = "1d", .flags = CONFIG_RELOAD, .off = A(per),
	  .help = "trend = slope: the slope is the change per this span" },
	{ .name = "period", .type = CONFIG_STRING,
	  .defshow = "1y", .flags = CONFIG_RELOAD, .off = A(period),
	  .help = "trend = falls or rises: one period's average is compared "
	  "with the one before" },
	{ .name = "horizon", .type = CONFIG_DURATION,
	  .max = 100 * CONFIG_MS_Y, .def = "0",
	  .defshow = "(forecast: required)",
	  .flags = CONFIG_RELOAD | CONFIG_SECONDS, .off = A(rule.horizon),
	  .help = "forecast: how far ahead the fit is judged" },
	{ .name = "deadline", .type = CONFIG_STRING,
	  .defshow = "(none)", .flags = CONFIG_RELOAD, .off = A(deadline),
	  .help = "absent: MM-DD, the figures of year Y are due by that day "
	  "of Y+1 (UTC); DD, a month's by that day of the next month" },
	{ .name = "op", .type = CONFIG_ENUM,
	  .choices = alertrule_ops, .defshow = "> (threshold, forecast), < "
	  "(change, slope), >= (absent, falls, rises)",
	  .flags = CONFIG_RELOAD, .off = A(rule.op),
	  .help = "how a value reaches a level's threshold" },
	{ .name = "warning", .type = CONFIG_STRING,
	  .defshow = "(none)", .flags = CONFIG_RELOAD, .off = A(warning),
	  .help = "threshold of the warning level: a number (a percentage "
	  "for as = percent), or for absent a duration" },
	{ .name = "critical", .type = CONFIG_STRING,
	  .defshow = "(none; absent with a deadline: 0)",
	  .flags = CONFIG_RELOAD, .off = A(critical),
	  .help = "threshold of the critical level, as warning" },
	{ .name = "clear_below", .type = CONFIG_NUMBER,
	  .defshow = "(threshold)", .flags = CONFIG_RELOAD,
	  .off = A(clear_below),
	  .help = "op > or >=: once firing, back to ok only when the value "
	  "falls below this" },
	{ .name = "clear_above", .type = CONFIG_NUMBER,
	  .defshow = "(threshold)", .flags = CONFIG_RELOAD,
	  .off = A(clear_above),
	  .help = "op < or <=: once firing, back to ok only when the value "
	  "rises above this" },
	{ .name = "hysteresis", .type = CONFIG_STRING,
	  .def = "0", .flags = CONFIG_RELOAD, .off = A(hysteresis),
	  .help = "a level held stays while the value reaches its threshold "
	  "moved back by this: an amount, or N% of the threshold" },
	{ .name = "for", .type = CONFIG_INT,
	  .min = 1, .max = 100000, .def = "1", .flags = CONFIG_RELOAD,
	  .off = A(rule.for_count),
	  .help = "evaluations in a row that must reach a level before it "
	  "fires" },
	{ .name = "repeat", .type = CONFIG_DURATION,
	  .max = CONFIG_MS_Y, .def = "0", .defshow = "0 (never)",
	  .flags = CONFIG_RELOAD | CONFIG_SECONDS, .off = A(rule.repeat),
	  .help = "notify again this often while firing" },
	{ .name = "notify", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_RELOAD | CONFIG_NONE_OK,
	  .off = A(notify_list),
	  .help = "comma-separated [notify NAME] sections told of each "
	  "change (every change is logged anyway)" },
};

static void	*alertconf_begin(struct config_parse *, const char *,
		    const char *);
static void	*alertconf_end(struct config_parse *, void *);
static void	 alertconf_check(struct config_parse *);
static void	 alertconf_free(void *);

const struct config_section alertconf_section = {
	.word = "alert", .minw = 2, .maxw = 2, .usage = "[alert NAME]",
	.head = "[alert NAME]\n"
	    "# an alert rule; see tallyd.conf(5) and docs/ALERTS.md",
	.noun = { "alert", NULL },
	.keys = alertconf_keys, .nkeys = ALERTCONF_NITEMS(alertconf_keys),
	.begin = alertconf_begin, .end = alertconf_end,
	.check = alertconf_check, .free = alertconf_free
};

/* Keys of an alert section that only some kinds read. */
static const struct alertconf_only {
	const char	*key;
	int		 kinds;		/* bits 1 << enum alert_kind */
} alertconf_only[] = {
	{ "window", ~(1 << ALERT_ABSENT) },
	{ "reduce", 1 << ALERT_THRESHOLD },
	{ "compare", 1 << ALERT_CHANGE },
	{ "as", (1 << ALERT_CHANGE) | (1 << ALERT_TREND) },
	{ "min_base", (1 << ALERT_CHANGE) | (1 << ALERT_TREND) },
	{ "trend", 1 << ALERT_TREND },
	{ "per", 1 << ALERT_TREND },
	{ "period", 1 << ALERT_TREND },
	{ "horizon", 1 << ALERT_FORECAST },
	{ "deadline", 1 << ALERT_ABSENT },
};

/* A key the rule's kind does not read is reported at its line. */
static void
alertconf_kind_keys(struct config_parse *p, const struct alert_conf *ac)
{
	const struct alertconf_only	*o;
	int				 line;

	for (o = alertconf_only; o < alertconf_only +
	    ALERTCONF_NITEMS(alertconf_only); o++) {
		line = config_seen(p, o->key);
		if (line > 0 && !(o->kinds & (1 << ac->rule.kind)))
			config_perr(p, line, "%s does not apply to kind = %s",
			    o->key, alertrule_kinds[ac->rule.kind]);
	}
}

/* A span key as written; unset keeps the rule's default. */
static void
alertconf_span(struct config_parse *p, const char *key, const char *text,
    struct alert_span *out)
{
	char	 why[160];

	if (text != NULL && alertrule_span_parse(text, out, why,
	    sizeof(why)) == -1)
		config_perr(p, config_seen(p, key), "bad value '%s' for %s: %s",
		    text, key, why);
}

/* A level's threshold: a number (N% if a percentage), or a duration. */
static void
alertconf_level(struct config_parse *p, struct alert_conf *ac,
    const char *key, const char *text, int level)
{
	struct alertrule	*r = &ac->rule;
	const char		*errstr = NULL;
	unsigned long long	 ms;
	int			 pct, pct_ok;

	if (text == NULL)
		return;
	pct_ok = r->as == ALERT_PERCENT || (r->as == -1 && r->kind ==
	    ALERT_CHANGE);
	if (r->kind == ALERT_ABSENT) {
		ms = util_duration(text, &errstr);
		r->thr[level] = ms / 1000.0;
	} else if (util_number(text, &r->thr[level], &pct) == -1)
		errstr = "not a number";
	else if (pct && !pct_ok)
		errstr = "a percentage needs as = percent";
	if (errstr != NULL)
		config_perr(p, config_seen(p, key), "bad value '%s' for %s: %s",
		    text, key, errstr);
	else
		r->has[level] = 1;
}

/* clear_below or clear_above: one of them, on the side op leaves by. */
static void
alertconf_clear(struct config_parse *p, struct alert_conf *ac)
{
	struct alertrule	*r = &ac->rule;
	int			 below, above, up;

	below = config_seen(p, "clear_below");
	above = config_seen(p, "clear_above");
	up = r->op == ALERT_GT || r->op == ALERT_GE;
	if (below > 0 && above > 0)
		config_perr(p, above, "clear_below and clear_above: set one");
	else if (below > 0 && !up)
		config_perr(p, below, "clear_below goes with op > or >=; "
		    "use clear_above");
	else if (above > 0 && up)
		config_perr(p, above, "clear_above goes with op < or <=; "
		    "use clear_below");
	else if (below > 0 || above > 0) {
		r->has_clear = 1;
		r->clear = below > 0 ? ac->clear_below : ac->clear_above;
	}
}

/* Split "a, b" into the names of notifiers, checked once all are read. */
static void
alertconf_notify(struct config_parse *p, struct alert_conf *ac)
{
	char	*list, *s, *save, *e;

	if (ac->notify_list == NULL)
		return;
	ac->notify_line = config_seen(p, "notify");
	list = xstrdup(ac->notify_list);
	for (s = strtok_r(list, ",", &save); s != NULL;
	    s = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*s))
			s++;
		for (e = s + strlen(s); e > s && isspace((unsigned char)
		    e[-1]); e--)
			*--e = '\0';
		if (!names_conf_valid(s, NAMES_CONF_CHARS)) {
			config_perr(p, ac->notify_line, "bad notifier name "
			    "'%s' in notify", s);
			continue;
		}
		ac->notify = xreallocarray(ac->notify, ac->nnotify + 1,
		    sizeof(*ac->notify));
		ac->notify[ac->nnotify++] = xstrdup(s);
	}
	free(list);
}

/* The alert section ended: parse what depends on the kind, check it all. */
static void *
alertconf_end(struct config_parse *p, void *base)
{
	struct alert_conf	*ac = base;
	struct alertrule	*r = &ac->rule;
	char			 why[160];
	size_t			 n = config_nerrors(p);
	int			 pct;

	if (ac->metric == NULL)
		config_perr(p, ac->line, "[alert %s] needs a metric", ac->name);
	else if (!alertrule_metric_valid(ac->metric))
		config_perr(p, config_seen(p, "metric"), "bad metric '%s': a "
		    "series name, or a glob of a-z, 0-9, _, -, ., *, ? and "
		    "[...]", ac->metric);
	alertconf_kind_keys(p, ac);
	alertconf_span(p, "window", ac->window, &r->window);
	alertconf_span(p, "compare", ac->compare, &r->compare);
	alertconf_span(p, "per", ac->per, &r->per);
	alertconf_span(p, "period", ac->period, &r->period);
	if (ac->deadline != NULL && alertrule_deadline_parse(ac->deadline,
	    &r->deadline_mon, &r->deadline_day, why, sizeof(why)) == -1)
		config_perr(p, config_seen(p, "deadline"), "bad value '%s' for "
		    "deadline: %s", ac->deadline, why);
	alertconf_level(p, ac, "warning", ac->warning, ALERT_WARNING);
	alertconf_level(p, ac, "critical", ac->critical, ALERT_CRITICAL);
	if (util_number(ac->hysteresis, &r->hyst, &pct) == -1 ||
	    r->hyst < 0)
		config_perr(p, config_seen(p, "hysteresis"), "bad value '%s' "
		    "for hysteresis: an amount or N%%, at least 0",
		    ac->hysteresis);
	r->hyst_pct = pct;
	alertconf_notify(p, ac);
	if (config_nerrors(p) != n)
		return (ac);	/* the rule as a whole would mislead */
	if (alertrule_check(r, why, sizeof(why)) == -1)
		config_perr(p, ac->line, "[alert %s]: %s", ac->name, why);
	else
		alertconf_clear(p, ac);
	return (ac);
}

/* [alert NAME]: starts from the table's defaults (config.c sets them). */
static void *
alertconf_begin(struct config_parse *p, const char *name,
    const char *instance)
{
	struct alert_conf	*ac;

	(void)instance;
	ac = xcalloc(1, sizeof(*ac));
	ac->name = xstrdup(name);
	ac->line = config_line(p);
	alertrule_init(&ac->rule);
	return (ac);
}

static void
alertconf_free(void *arg)
{
	struct alert_conf	*ac = arg;
	size_t			 i;

	config_free_keys(&alertconf_section, ac);
	for (i = 0; i < ac->nnotify; i++)
		free(ac->notify[i]);
	free(ac->notify);
	free(ac->name);
	free(ac);
}

/* Notifiers named by rules must exist; their sections may come later. */
static void
alertconf_check(struct config_parse *p)
{
	struct config		*cf = config_loading(p);
	struct config_item	*it;
	struct alert_conf	*ac;
	size_t			 i;

	CONFIG_FOREACH(it, cf, &alertconf_section) {
		ac = config_data(it);
		for (i = 0; i < ac->nnotify; i++) {
			if (config_find(cf, "notify", ac->notify[i]) == NULL)
				config_perr(p, ac->notify_line, "unknown "
				    "notifier '%s': no [notify %s] section",
				    ac->notify[i], ac->notify[i]);
		}
	}
}
