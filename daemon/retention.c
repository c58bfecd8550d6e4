/*
 * retention.c - [retention NAME] sections into retention presets.  The
 * rra lines are kept until the section ends, when its step is known, then
 * checked and turned into steps and rows.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "retention.h"
#include "util.h"
#include "xmalloc.h"

#define RETENTION_ROWS_MAX	10000000ULL	/* 80 MB per archive */

/* An rra line of a retention section, checked when the section ends. */
struct retention_line {
	char			*text;
	char			 cf[8];
	unsigned long long	 res;		/* ms */
	unsigned long long	 span;		/* ms */
	int			 line;
};

/* The keys of the retention section being read. */
struct retention_sec {
	char			*name;
	int			 line;
	unsigned long		 step;		/* seconds */
	unsigned long		 heartbeat;	/* seconds; 0: 3 * step */
	double			 xff;
	struct retention_line	*rra;
	size_t			 nrra;
};

#define S(f)	offsetof(struct retention_sec, f)

static const struct config_key retention_keys[] = {
	{ .name = "step", .type = CONFIG_DURATION,
	  .min = CONFIG_MS_S, .max = CONFIG_MS_Y, .def = "60s",
	  .flags = CONFIG_RELOAD | CONFIG_SECONDS, .off = S(step),
	  .help = "time between two primary data points" },
	{ .name = "heartbeat",
	  .type = CONFIG_DURATION, .min = CONFIG_MS_S, .max = 100 * CONFIG_MS_Y,
	  .defshow = "3 * step", .flags = CONFIG_RELOAD | CONFIG_SECONDS,
	  .off = S(heartbeat),
	  .help = "longest gap between two values that is interpolated; "
	  "longer gaps are unknown" },
	{ .name = "rra", .type = CONFIG_OWN,
	  .own = "CF:RESOLUTION:SPAN, repeated",
	  .defshow = "(none; at least one)",
	  .flags = CONFIG_RELOAD | CONFIG_MULTI,
	  .help = "one archive, CF:RESOLUTION:SPAN: CF is AVERAGE, MIN, MAX "
	  "or LAST; one row per RESOLUTION (a multiple of step) for SPAN" },
	{ .name = "xff", .type = CONFIG_FRACTION,
	  .def = "0.5", .flags = CONFIG_RELOAD, .off = S(xff),
	  .help = "share of unknown points above which a row is unknown" },
};

/* Built-in presets, as the keys of a [retention] section. */
static const struct config_builtin retention_builtins[] = {
	{ "fast", "site traffic: minutes for 8 days, hours for 5 years, days "
	  "for 20", {
		{ "step", "60s" }, { "heartbeat", "180s" },
		{ "rra", "AVERAGE:1m:8d" },
		{ "rra", "AVERAGE:1h:5y" }, { "rra", "MAX:1h:5y" },
		{ "rra", "AVERAGE:1d:20y" }, { "rra", "MAX:1d:20y" } } },
	{ "slow", "monthly and yearly figures: days for 40 years, months "
	  "and years for 100", {
		{ "step", "1d" }, { "heartbeat", "2y" },
		{ "rra", "AVERAGE:1d:40y" }, { "rra", "LAST:1d:40y" },
		{ "rra", "AVERAGE:30d:100y" }, { "rra", "LAST:30d:100y" },
		{ "rra", "LAST:365d:100y" } } },
};

static void	*retention_begin(struct config_parse *, const char *,
		    const char *);
static int	 retention_value(struct config_parse *, void *, const char *,
		    const char *);
static void	*retention_end(struct config_parse *, void *);
static void	 retention_free(void *);

const struct config_section retention_section = {
	.word = "retention", .minw = 2, .maxw = 2,
	.usage = "[retention NAME]", .head = "[retention NAME]",
	.noun = { "retention", NULL }, .reftype = "retention preset",
	.keys = retention_keys,
	.nkeys = sizeof(retention_keys) / sizeof(retention_keys[0]),
	.builtins = retention_builtins,
	.nbuiltins = sizeof(retention_builtins) /
	    sizeof(retention_builtins[0]),
	.begin = retention_begin, .value = retention_value,
	.end = retention_end, .free = retention_free
};

const struct retention *
retention_find(const struct config *cf, const char *name)
{
	return (config_find(cf, "retention", name));
}

static void *
retention_begin(struct config_parse *p, const char *name,
    const char *instance)
{
	struct retention_sec	*rs;

	(void)instance;
	rs = xcalloc(1, sizeof(*rs));
	rs->name = xstrdup(name);
	rs->line = config_line(p);
	return (rs);
}

/* Parse "CF:RESOLUTION:SPAN"; the step is checked when the section ends. */
static int
retention_rra_parse(const char *text, struct retention_line *rl, char *why,
    size_t len)
{
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX", "LAST",
	    NULL };
	char		*copy, *res, *span;
	const char	*errstr;
	int		 i, rv = -1;

	copy = xstrdup(text);
	if ((res = strchr(copy, ':')) == NULL ||
	    (span = strchr(res + 1, ':')) == NULL ||
	    strchr(span + 1, ':') != NULL) {
		snprintf(why, len, "use CF:RESOLUTION:SPAN");
		goto out;
	}
	*res++ = '\0';
	*span++ = '\0';
	for (i = 0; cfs[i] != NULL && strcmp(copy, cfs[i]) != 0; i++)
		;
	if (cfs[i] == NULL) {
		snprintf(why, len, "CF must be AVERAGE, MIN, MAX or LAST");
		goto out;
	}
	snprintf(rl->cf, sizeof(rl->cf), "%s", cfs[i]);
	rl->res = util_duration(res, &errstr);
	if (errstr == NULL && rl->res < CONFIG_MS_S)
		errstr = "must be at least 1s";
	if (errstr == NULL) {
		rl->span = util_duration(span, &errstr);
		res = span;
	}
	if (errstr != NULL)
		snprintf(why, len, "'%s': %s", res, errstr);
	else
		rv = 0;
out:
	free(copy);
	return (rv);
}

/* An rra line, kept until the section ends and its step is known. */
static int
retention_value(struct config_parse *p, void *base, const char *key,
    const char *value)
{
	struct retention_sec	*rs = base;
	struct retention_line	 rl;
	char			 why[160];

	if (strcmp(key, "rra") != 0)
		return (-1);
	memset(&rl, 0, sizeof(rl));
	if (retention_rra_parse(value, &rl, why, sizeof(why)) == -1) {
		config_perr(p, config_line(p), "bad rra '%s': %s", value, why);
		return (0);
	}
	rl.text = xstrdup(value);
	rl.line = config_line(p);
	rs->rra = xreallocarray(rs->rra, rs->nrra + 1, sizeof(*rs->rra));
	rs->rra[rs->nrra++] = rl;
	return (0);
}

/* Check one rra against the step and append it to r as steps and rows. */
static void
retention_rra_make(struct config_parse *p, const struct retention_sec *rs,
    struct retention *r, const struct retention_line *rl)
{
	unsigned long long	 step = r->step * CONFIG_MS_S, rows;
	struct retention_rra	*a;
	char			 b1[32], b2[32];
	size_t			 i;

	util_fmt_duration(b1, sizeof(b1), rl->res);
	if (rl->res % step != 0) {
		util_fmt_duration(b2, sizeof(b2), step);
		config_perr(p, rl->line, "rra '%s': resolution %s is not a "
		    "multiple of step %s", rl->text, b1, b2);
		return;
	}
	if (rl->span < rl->res) {
		config_perr(p, rl->line, "rra '%s': span is shorter than "
		    "resolution %s", rl->text, b1);
		return;
	}
	rows = rl->span / rl->res + (rl->span % rl->res != 0);
	if (rows > RETENTION_ROWS_MAX) {
		config_perr(p, rl->line, "rra '%s': %llu rows, at most %llu",
		    rl->text, rows, RETENTION_ROWS_MAX);
		return;
	}
	for (i = 0; i < r->nrra; i++) {
		if (strcmp(r->rra[i].cf, rl->cf) == 0 &&
		    r->rra[i].steps == rl->res / step) {
			config_perr(p, rl->line, "rra '%s': another rra has "
			    "the same CF and resolution", rl->text);
			return;
		}
	}
	a = &r->rra[r->nrra++];
	snprintf(a->cf, sizeof(a->cf), "%s", rl->cf);
	a->xff = rs->xff;
	a->steps = rl->res / step;
	a->rows = rows;
}

/* The retention section ended: build its preset from the keys read. */
static void *
retention_end(struct config_parse *p, void *base)
{
	struct retention_sec	*rs = base;
	struct retention	*r;
	size_t			 i;

	r = xcalloc(1, sizeof(*r));
	r->name = rs->name;
	rs->name = NULL;
	r->line = rs->line;
	r->step = rs->step;
	r->heartbeat = rs->heartbeat != 0 ? rs->heartbeat : 3 * rs->step;
	if (rs->nrra == 0)
		config_perr(p, rs->line, "[retention %s] has no rra", r->name);
	r->rra = xcalloc(rs->nrra, sizeof(*r->rra));
	for (i = 0; i < rs->nrra; i++)
		retention_rra_make(p, rs, r, &rs->rra[i]);
	r->builtin = r->line == 0;
	for (i = 0; i < rs->nrra; i++)
		free(rs->rra[i].text);
	free(rs->rra);
	free(rs);
	return (r);
}

static void
retention_free(void *arg)
{
	struct retention	*r = arg;

	free(r->name);
	free(r->rra);
	free(r);
}

