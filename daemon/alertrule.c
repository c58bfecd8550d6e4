/*
 * alertrule.c - what a rule makes of a series, and how an alert's state
 * moves.  Pure functions of their arguments (see alertrule.h).
 *
 * Points are the rows of an RRD fetch: a row stamped t holds the value of
 * the interval that ends at t.  A window (a, b] holds the rows with
 * a < t <= b, so one year ending on 1 January 2023 holds exactly the rows
 * of 2022 on a file with one-day steps.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alertrule.h"
#include "names.h"
#include "numfmt.h"
#include "util.h"

#define ALERT_DAY		86400L
#define ALERT_MONTH_SECS	(30.436875 * ALERT_DAY)	/* Gregorian mean */

const char *const alertrule_kinds[] = { "threshold", "change", "trend",
	"absent", "forecast", NULL };
const char *const alertrule_ops[] = { ">", ">=", "<", "<=", "above",
	"below", NULL };
const char *const alertrule_reduces[] = { "avg", "min", "max", "last",
	NULL };
const char *const alertrule_anchors[] = { "now", "last", "calendar", NULL };
const char *const alertrule_as[] = { "percent", "amount", NULL };
const char *const alertrule_trends[] = { "slope", "falls", "rises", NULL };
const char *const alertrule_cfs[] = { "AVERAGE", "MIN", "MAX", "LAST",
	NULL };

/* What the points of a window add up to. */
struct alert_win {
	size_t		 n;		/* known points */
	double		 sum, min, max, last;
	time_t		 last_t;
	double		 sx, sxx, sxy;	/* x: seconds relative to the end */
};

void
alertrule_init(struct alertrule *r)
{
	memset(r, 0, sizeof(*r));
	r->every = 60;
	r->op = -1;
	r->as = -1;
	r->compare.months = 12;
	r->per.secs = ALERT_DAY;
	r->period.months = 12;
	r->for_count = 1;
}

int
alertrule_span_zero(const struct alert_span *s)
{
	return (s->months == 0 && s->secs == 0);
}

/* Seconds a span lasts at most (calendar months count 31 days). */
static unsigned long
alertrule_span_max(const struct alert_span *s)
{
	return (s->months != 0 ? (unsigned long)s->months * 31 * ALERT_DAY :
	    s->secs);
}

/* Seconds a span lasts on average, to express a slope per span. */
static double
alertrule_span_mean(const struct alert_span *s)
{
	return (s->months != 0 ? s->months * ALERT_MONTH_SECS :
	    (double)s->secs);
}

static int
alertrule_leap(int y)
{
	return ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
}

static int
alertrule_mdays(int y, int mon)	/* mon 0..11 */
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return (mon == 1 && alertrule_leap(y) ? 29 : days[mon]);
}

/* Midnight UTC of year y, month mon (0..11, may be out of range), day. */
static time_t
alertrule_date(int y, int mon, int day)
{
	struct tm	 tm;

	y += mon >= 0 ? mon / 12 : (mon - 11) / 12;
	mon = ((mon % 12) + 12) % 12;
	if (day > alertrule_mdays(y, mon))
		day = alertrule_mdays(y, mon);
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	return (timegm(&tm));
}

time_t
alertrule_span_sub(time_t t, const struct alert_span *s, int k)
{
	struct tm	 tm;
	time_t		 day;

	if (s->months == 0)
		return (t - (time_t)s->secs * k);
	gmtime_r(&t, &tm);
	day = alertrule_date(tm.tm_year + 1900, tm.tm_mon - s->months * k,
	    tm.tm_mday);
	return (day + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
}

/* The start of the calendar unit (or multiple of seconds) holding t. */
static time_t
alertrule_floor(time_t t, const struct alert_span *s)
{
	struct tm	 tm;
	time_t		 r;
	int		 m;

	if (s->months == 0) {
		r = t % (time_t)s->secs;
		return (t - (r < 0 ? r + (time_t)s->secs : r));
	}
	gmtime_r(&t, &tm);
	m = s->months % 12 == 0 ? 12 : s->months;
	if (12 % m != 0)
		m = 1;
	return (alertrule_date(tm.tm_year + 1900, tm.tm_mon - tm.tm_mon % m,
	    1));
}

/* ---- parsing helpers shared with config.c */

int
alertrule_span_parse(const char *s, struct alert_span *out, char *why,
    size_t len)
{
	const char		*errstr;
	char			*end;
	unsigned long long	 ms;
	long			 n;

	memset(out, 0, sizeof(*out));
	if (isdigit((unsigned char)*s)) {
		n = strtol(s, &end, 10);
		if ((strcmp(end, "y") == 0 || strcmp(end, "mo") == 0) &&
		    n >= 0 && n <= 1200) {
			out->months = (int)n * (*end == 'y' ? 12 : 1);
			return (0);
		}
	}
	ms = util_duration(s, &errstr);
	if (errstr == NULL && ms % 1000 != 0)
		errstr = "must be whole seconds";
	if (errstr == NULL && ms / 1000 > 1000ULL * 366 * ALERT_DAY)
		errstr = "too large";
	if (errstr != NULL) {
		snprintf(why, len, "%s (or Ny, Nmo for calendar years and "
		    "months)", errstr);
		return (-1);
	}
	out->secs = ms / 1000;
	return (0);
}

void
alertrule_span_fmt(char *buf, size_t len, const struct alert_span *s)
{
	static const struct { const char *u; unsigned long secs; } units[] = {
		{ "w", 7 * ALERT_DAY }, { "d", ALERT_DAY }, { "h", 3600 },
		{ "m", 60 }, { "s", 1 } };
	size_t	 i;

	if (s->months != 0) {
		if (s->months % 12 == 0)
			snprintf(buf, len, "%dy", s->months / 12);
		else
			snprintf(buf, len, "%dmo", s->months);
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]) - 1; i++) {
		if (s->secs != 0 && s->secs % units[i].secs == 0)
			break;
	}
	snprintf(buf, len, "%lu%s", s->secs / units[i].secs, units[i].u);
}

int
alertrule_deadline_parse(const char *s, int *mon, int *day, char *why,
    size_t len)
{
	int	 m = 0, d = 0, used = 0;

	if (sscanf(s, "%2d-%2d%n", &m, &d, &used) == 2 &&
	    (size_t)used == strlen(s) && isdigit((unsigned char)s[0])) {
		if (m < 1 || m > 12 || d < 1 || d > alertrule_mdays(2000,
		    m - 1)) {
			snprintf(why, len, "no such day of the year");
			return (-1);
		}
	} else if (sscanf(s, "%2d%n", &d, &used) == 1 &&
	    (size_t)used == strlen(s) && isdigit((unsigned char)s[0])) {
		m = 0;
		if (d < 1 || d > 28) {
			snprintf(why, len, "a monthly deadline is a day from "
			    "1 to 28");
			return (-1);
		}
	} else {
		snprintf(why, len, "use MM-DD (yearly) or DD (monthly)");
		return (-1);
	}
	*mon = m;
	*day = d;
	return (0);
}

int
alertrule_is_glob(const char *s)
{
	return (strpbrk(s, "*?[") != NULL);
}

int
alertrule_metric_valid(const char *s)
{
	size_t	 n = strlen(s);

	if (!alertrule_is_glob(s))
		return (names_series_valid(s));
	return (n >= 1 && n <= 255 && strspn(s,
	    "abcdefghijklmnopqrstuvwxyz0123456789_-.*?[]!^") == n);
}

const char *
alertrule_level_name(int level)
{
	static const char *const names[] = { "ok", "warning", "critical" };

	return (level >= 0 && level < ALERT_NLEVELS ? names[level] : "?");
}

const char *
alertrule_event_name(enum alert_event ev)
{
	static const char *const names[] = { "none", "fire", "raise",
	    "lower", "resolve", "repeat" };

	return (names[ev]);
}

/* A date as YYYY-MM-DD, with the time if not midnight. */
static void
alertrule_fmt_time(char *buf, size_t len, time_t t)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, t % ALERT_DAY == 0 ? "%Y-%m-%d" :
	    "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A duration in its largest whole units: "3d4h", "12m". */
static void
alertrule_fmt_age(char *buf, size_t len, double secs)
{
	long long	 s = (long long)fabs(secs);

	if (!isfinite(secs))
		snprintf(buf, len, "ever");
	else if (s >= ALERT_DAY)
		snprintf(buf, len, "%lldd%lldh", s / ALERT_DAY,
		    s % ALERT_DAY / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%llds", s);
}

/* ---- checking a rule */

/* The kind-dependent defaults: op, as, the deadline's level. */
static void
alertrule_defaults(struct alertrule *r)
{
	if (r->op == ALERT_ABOVE)
		r->op = ALERT_GT;
	else if (r->op == ALERT_BELOW)
		r->op = ALERT_LT;
	else if (r->op == -1) {
		if (r->kind == ALERT_ABSENT || (r->kind == ALERT_TREND &&
		    r->trend != ALERT_SLOPE))
			r->op = ALERT_GE;
		else if (r->kind == ALERT_CHANGE || r->kind == ALERT_TREND)
			r->op = ALERT_LT;
		else
			r->op = ALERT_GT;
	}
	if (r->as == -1)
		r->as = r->kind == ALERT_CHANGE ? ALERT_PERCENT : ALERT_AMOUNT;
	if (r->kind == ALERT_ABSENT && r->deadline_day != 0 &&
	    !r->has[ALERT_WARNING] && !r->has[ALERT_CRITICAL]) {
		r->has[ALERT_CRITICAL] = 1;
		r->thr[ALERT_CRITICAL] = 0;
	}
}

static int
alertrule_up(const struct alertrule *r)
{
	return (r->op == ALERT_GT || r->op == ALERT_GE);
}

/* What the kind needs to be computed at all. */
static const char *
alertrule_check_kind(const struct alertrule *r)
{
	switch (r->kind) {
	case ALERT_CHANGE:
		if (alertrule_span_zero(&r->window))
			return ("kind = change needs a window");
		if (alertrule_span_zero(&r->compare))
			return ("kind = change needs compare");
		break;
	case ALERT_TREND:
		if (r->trend == ALERT_SLOPE && (alertrule_span_zero(&r->window)
		    || alertrule_span_zero(&r->per)))
			return ("trend = slope needs a window and per");
		if (r->trend != ALERT_SLOPE && alertrule_span_zero(&r->period))
			return ("trend = falls or rises needs a period");
		break;
	case ALERT_FORECAST:
		if (alertrule_span_zero(&r->window) || r->horizon == 0)
			return ("kind = forecast needs a window and a horizon");
		break;
	case ALERT_ABSENT:
		if (!alertrule_up(r))
			return ("kind = absent compares ages: op must be > or "
			    ">=");
		break;
	}
	if (r->anchor == ALERT_ANCHOR_CALENDAR && alertrule_span_zero(
	    r->kind == ALERT_TREND && r->trend != ALERT_SLOPE ? &r->period :
	    &r->window))
		return ("anchor = calendar needs a window (or a period)");
	return (NULL);
}

int
alertrule_check(struct alertrule *r, char *why, size_t len)
{
	const char	*err;
	int		 up, lo;

	alertrule_defaults(r);
	up = alertrule_up(r);
	if ((err = alertrule_check_kind(r)) != NULL) {
		snprintf(why, len, "%s", err);
		return (-1);
	}
	if (!r->has[ALERT_WARNING] && !r->has[ALERT_CRITICAL]) {
		snprintf(why, len, "set warning, critical or both");
		return (-1);
	}
	if (r->has[ALERT_WARNING] && r->has[ALERT_CRITICAL] &&
	    (up ? r->thr[ALERT_CRITICAL] < r->thr[ALERT_WARNING] :
	    r->thr[ALERT_CRITICAL] > r->thr[ALERT_WARNING])) {
		snprintf(why, len, "critical must be %s warning with op %s",
		    up ? "at or above" : "at or below", alertrule_ops[r->op]);
		return (-1);
	}
	lo = r->has[ALERT_WARNING] ? ALERT_WARNING : ALERT_CRITICAL;
	if (r->has_clear && (up ? r->clear > r->thr[lo] :
	    r->clear < r->thr[lo])) {
		snprintf(why, len, "the clear point must not be past the %s "
		    "threshold", alertrule_level_name(lo));
		return (-1);
	}
	if (r->hyst < 0) {
		snprintf(why, len, "hysteresis must not be negative");
		return (-1);
	}
	return (0);
}

unsigned long
alertrule_history(const struct alertrule *r)
{
	unsigned long	 h = 0, unit;
	int		 l;

	unit = alertrule_span_max(&r->window);
	switch (r->kind) {
	case ALERT_THRESHOLD:
	case ALERT_FORECAST:
		h = unit;
		break;
	case ALERT_CHANGE:
		h = unit + alertrule_span_max(&r->compare);
		break;
	case ALERT_TREND:
		if (r->trend != ALERT_SLOPE)
			unit = alertrule_span_max(&r->period);
		h = r->trend == ALERT_SLOPE ? unit : unit *
		    (ALERT_FALLS_MAX + 1);
		break;
	case ALERT_ABSENT:
		for (l = ALERT_WARNING; l < ALERT_NLEVELS; l++) {
			if (r->has[l] && r->thr[l] > h)
				h = r->thr[l] < 1e9 ? (unsigned long)r->thr[l] :
				    1000000000UL;
		}
		if (r->deadline_day != 0)
			h += 400 * ALERT_DAY;
		return (h);
	}
	return (r->anchor == ALERT_ANCHOR_CALENDAR ? h + unit : h);
}

/* ---- windows over the points */

size_t
alertrule_upto(const struct alert_point *p, size_t n, time_t t)
{
	size_t	 lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p[mid].t <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

int
alertrule_moves_with_time(const struct alertrule *r)
{
	return (r->kind == ALERT_ABSENT || r->anchor == ALERT_ANCHOR_NOW);
}

/* The newest known point among the first m; 0 if none. */
static int
alertrule_newest(const struct alert_point *p, size_t m, time_t *t,
    double *v)
{
	while (m > 0) {
		m--;
		if (!isnan(p[m].v)) {
			*t = p[m].t;
			*v = p[m].v;
			return (1);
		}
	}
	return (0);
}

/* Sum up the known points of (a, b]. */
static void
alertrule_window(const struct alert_point *p, size_t n, time_t a, time_t b,
    struct alert_win *w)
{
	size_t	 i;
	double	 x;

	memset(w, 0, sizeof(*w));
	for (i = alertrule_upto(p, n, a); i < n && p[i].t <= b; i++) {
		if (isnan(p[i].v))
			continue;
		if (w->n == 0 || p[i].v < w->min)
			w->min = p[i].v;
		if (w->n == 0 || p[i].v > w->max)
			w->max = p[i].v;
		w->n++;
		w->sum += p[i].v;
		w->last = p[i].v;
		w->last_t = p[i].t;
		x = (double)(p[i].t - b);
		w->sx += x;
		w->sxx += x * x;
		w->sxy += x * p[i].v;
	}
}

/* Least squares: value at the window's end and slope per second. */
static int
alertrule_fit(const struct alert_win *w, double *at_end, double *slope)
{
	double	 d = w->n * w->sxx - w->sx * w->sx;

	if (w->n < 2 || !(d > 0))
		return (-1);
	*slope = (w->n * w->sxy - w->sx * w->sum) / d;
	*at_end = (w->sum - *slope * w->sx) / w->n;
	return (0);
}

/* The end of the windows, by the rule's anchor; -1 if there is no data. */
static int
alertrule_anchor(const struct alertrule *r, const struct alert_point *p,
    size_t m, time_t now, time_t *at)
{
	double	 v;

	*at = now;
	if (r->anchor == ALERT_ANCHOR_NOW)
		return (0);
	if (!alertrule_newest(p, m, at, &v))
		return (-1);
	if (r->anchor == ALERT_ANCHOR_CALENDAR)
		*at = alertrule_floor(*at, r->kind == ALERT_TREND &&
		    r->trend != ALERT_SLOPE ? &r->period : &r->window);
	return (0);
}

/* ---- the kinds: each sets value and msg, or leaves known at 0 */

static void
alertrule_eval_threshold(const struct alertrule *r,
    const struct alert_point *p, size_t m, struct alert_result *res)
{
	struct alert_win	 w;
	char			 span[32], num[32], when[32];
	time_t			 t;

	if (alertrule_span_zero(&r->window)) {
		if (!alertrule_newest(p, alertrule_upto(p, m, res->at), &t,
		    &res->value))
			return;
		alertrule_fmt_time(when, sizeof(when), t);
		snprintf(res->msg, sizeof(res->msg), "value %.6g at %s",
		    res->value, when);
		res->known = 1;
		return;
	}
	alertrule_window(p, m, alertrule_span_sub(res->at, &r->window, 1),
	    res->at, &w);
	if (w.n == 0)
		return;
	res->value = r->reduce == ALERT_AVG ? w.sum / w.n : r->reduce ==
	    ALERT_MIN ? w.min : r->reduce == ALERT_MAX ? w.max : w.last;
	alertrule_span_fmt(span, sizeof(span), &r->window);
	alertrule_fmt_time(when, sizeof(when), res->at);
	numfmt_double(num, sizeof(num), res->value);
	snprintf(res->msg, sizeof(res->msg), "%s %.6g over %s to %s",
	    alertrule_reduces[r->reduce], res->value, span, when);
	res->known = 1;
}

static void
alertrule_eval_change(const struct alertrule *r, const struct alert_point *p,
    size_t m, struct alert_result *res)
{
	struct alert_win	 cur, prev;
	time_t			 a = res->at, start;
	char			 span[32], back[32], when[32];

	start = alertrule_span_sub(a, &r->window, 1);
	alertrule_window(p, m, start, a, &cur);
	alertrule_window(p, m, alertrule_span_sub(start, &r->compare, 1),
	    alertrule_span_sub(a, &r->compare, 1), &prev);
	alertrule_span_fmt(span, sizeof(span), &r->window);
	alertrule_span_fmt(back, sizeof(back), &r->compare);
	alertrule_fmt_time(when, sizeof(when), a);
	if (cur.n == 0 || prev.n == 0) {
		snprintf(res->msg, sizeof(res->msg), "no data for the %s to %s "
		    "or the %s %s before", span, when, span, back);
		return;
	}
	cur.sum /= cur.n;
	prev.sum /= prev.n;
	if (fabs(prev.sum) < r->min_base || (r->as == ALERT_PERCENT &&
	    prev.sum == 0)) {
		snprintf(res->msg, sizeof(res->msg), "base %.6g is below "
		    "min_base", prev.sum);
		return;
	}
	res->value = r->as == ALERT_PERCENT ? (cur.sum - prev.sum) /
	    fabs(prev.sum) * 100 : cur.sum - prev.sum;
	snprintf(res->msg, sizeof(res->msg), "change %+.4g%s: %.6g in the %s "
	    "to %s against %.6g %s earlier", res->value, r->as ==
	    ALERT_PERCENT ? "%" : "", cur.sum, span, when, prev.sum, back);
	res->known = 1;
}

/* Periods in a row, newest first, whose mean fell (or rose). */
static void
alertrule_eval_falls(const struct alertrule *r, const struct alert_point *p,
    size_t m, struct alert_result *res)
{
	struct alert_win	 a, b;
	char			 span[32], when[32];
	int			 k, n = 0;

	alertrule_window(p, m, alertrule_span_sub(res->at, &r->period, 1),
	    res->at, &a);
	for (k = 1; k <= ALERT_FALLS_MAX && a.n > 0; k++) {
		alertrule_window(p, m, alertrule_span_sub(res->at, &r->period,
		    k + 1), alertrule_span_sub(res->at, &r->period, k), &b);
		if (b.n == 0 || (r->trend == ALERT_FALLS ? !(a.sum / a.n <
		    b.sum / b.n) : !(a.sum / a.n > b.sum / b.n)))
			break;
		n++;
		a = b;
	}
	if (k == 1 && a.n == 0)
		return;
	res->value = n;
	alertrule_span_fmt(span, sizeof(span), &r->period);
	alertrule_fmt_time(when, sizeof(when), res->at);
	snprintf(res->msg, sizeof(res->msg), "%s in %d %s period%s in a row "
	    "to %s", r->trend == ALERT_FALLS ? "fell" : "rose", n, span,
	    n == 1 ? "" : "s", when);
	res->known = 1;
}

static void
alertrule_eval_slope(const struct alertrule *r, const struct alert_point *p,
    size_t m, struct alert_result *res)
{
	struct alert_win	 w;
	double			 end, slope, mean;
	char			 span[32], per[32];

	alertrule_window(p, m, alertrule_span_sub(res->at, &r->window, 1),
	    res->at, &w);
	if (alertrule_fit(&w, &end, &slope) == -1)
		return;
	mean = w.sum / w.n;
	res->value = slope * alertrule_span_mean(&r->per);
	if (r->as == ALERT_PERCENT) {
		if (fabs(mean) < r->min_base || mean == 0) {
			snprintf(res->msg, sizeof(res->msg), "mean %.6g is "
			    "below min_base", mean);
			return;
		}
		res->value = res->value / fabs(mean) * 100;
	}
	alertrule_span_fmt(span, sizeof(span), &r->window);
	alertrule_span_fmt(per, sizeof(per), &r->per);
	snprintf(res->msg, sizeof(res->msg), "slope %+.4g%s per %s over %s "
	    "(mean %.6g)", res->value, r->as == ALERT_PERCENT ? "%" : "", per,
	    span, mean);
	res->known = 1;
}

static void
alertrule_eval_forecast(const struct alertrule *r,
    const struct alert_point *p, size_t m, struct alert_result *res)
{
	struct alert_win	 w;
	double			 end, slope, lim;
	char			 span[32], when[32], cross[80] = "";
	time_t			 t;
	int			 l;

	alertrule_window(p, m, alertrule_span_sub(res->at, &r->window, 1),
	    res->at, &w);
	if (alertrule_fit(&w, &end, &slope) == -1)
		return;
	res->value = end + slope * (double)r->horizon;
	l = r->has[ALERT_WARNING] ? ALERT_WARNING : ALERT_CRITICAL;
	lim = r->thr[l];
	if (slope != 0 && (lim - end) / slope > 0 && (lim - end) / slope <
	    1e10) {
		t = res->at + (time_t)((lim - end) / slope);
		alertrule_fmt_time(when, sizeof(when), t);
		snprintf(cross, sizeof(cross), ", reaches %.6g on %s", lim,
		    when);
	}
	alertrule_span_fmt(span, sizeof(span), &r->window);
	alertrule_fmt_time(when, sizeof(when), res->at + (time_t)r->horizon);
	snprintf(res->msg, sizeof(res->msg), "forecast %.6g on %s from the "
	    "trend of %s%s", res->value, when, span, cross);
	res->known = 1;
}

/* The deadline at or before now (which = 0) or the next one (which = 1). */
static time_t
alertrule_deadline(const struct alertrule *r, time_t now, int which,
    time_t *period_end)
{
	struct tm	 tm;
	time_t		 d;
	int		 y, mon, step;

	gmtime_r(&now, &tm);
	y = tm.tm_year + 1900;
	mon = r->deadline_mon != 0 ? r->deadline_mon - 1 : tm.tm_mon;
	step = r->deadline_mon != 0 ? 12 : 1;
	d = alertrule_date(y, mon, r->deadline_day);
	if (d > now)
		mon -= step;
	mon += which * step;
	d = alertrule_date(y, mon, r->deadline_day);
	*period_end = r->deadline_mon != 0 ? alertrule_date(y, mon -
	    (mon % 12 + 12) % 12, 1) : alertrule_date(y, mon, 1);
	return (d);
}

/* Age of the newest value, or time past the deadline of a missing report. */
static void
alertrule_eval_absent(const struct alertrule *r, const struct alert_point *p,
    size_t m, time_t now, struct alert_result *res)
{
	time_t		 t = 0, d, end;
	double		 v;
	char		 when[32], age[32], per[16];
	struct tm	 tm;
	int		 have;

	have = alertrule_newest(p, m, &t, &v);
	res->known = 1;
	if (r->deadline_day == 0) {
		res->value = have ? (double)(now - t) : INFINITY;
		alertrule_fmt_age(age, sizeof(age), res->value);
		alertrule_fmt_time(when, sizeof(when), t);
		if (have)
			snprintf(res->msg, sizeof(res->msg), "no value for %s "
			    "(last at %s)", age, when);
		else
			snprintf(res->msg, sizeof(res->msg), "no value stored");
		return;
	}
	d = alertrule_deadline(r, now, 0, &end);
	if (have && t >= end)
		d = alertrule_deadline(r, now, 1, &end);
	res->value = (double)(now - d);
	end -= 1;
	gmtime_r(&end, &tm);
	strftime(per, sizeof(per), r->deadline_mon != 0 ? "%Y" : "%Y-%m",
	    &tm);
	alertrule_fmt_time(when, sizeof(when), d);
	alertrule_fmt_age(age, sizeof(age), res->value);
	if (res->value >= 0)
		snprintf(res->msg, sizeof(res->msg), "figures for %s missing: "
		    "due %s, %s late", per, when, age);
	else
		snprintf(res->msg, sizeof(res->msg), "figures for %s due %s, "
		    "in %s", per, when, age);
}

void
alertrule_eval(const struct alertrule *r, const struct alert_point *p,
    size_t n, time_t now, struct alert_result *res)
{
	size_t	 m = alertrule_upto(p, n, now);

	memset(res, 0, sizeof(*res));
	res->value = NAN;
	if (r->kind == ALERT_ABSENT) {
		res->at = now;
		alertrule_eval_absent(r, p, m, now, res);
	} else if (alertrule_anchor(r, p, m, now, &res->at) == -1)
		snprintf(res->msg, sizeof(res->msg), "no data");
	else if (r->kind == ALERT_THRESHOLD)
		alertrule_eval_threshold(r, p, m, res);
	else if (r->kind == ALERT_CHANGE)
		alertrule_eval_change(r, p, m, res);
	else if (r->kind == ALERT_TREND && r->trend == ALERT_SLOPE)
		alertrule_eval_slope(r, p, m, res);
	else if (r->kind == ALERT_TREND)
		alertrule_eval_falls(r, p, m, res);
	else
		alertrule_eval_forecast(r, p, m, res);
	if (!res->known && res->msg[0] == '\0')
		snprintf(res->msg, sizeof(res->msg), "not enough data");
	res->level = res->known ? alertrule_target(r, ALERT_OK, res->value) :
	    ALERT_OK;
}

/* ---- levels and state */

static int
alertrule_enters(const struct alertrule *r, double v, double t)
{
	switch (r->op) {
	case ALERT_GT:
		return (v > t);
	case ALERT_GE:
		return (v >= t);
	case ALERT_LT:
		return (v < t);
	default:
		return (v <= t);
	}
}

/*
 * Whether a value held at level l has come back: past the clear point
 * (clear_below: below it), or no longer reaching the threshold moved back
 * by the hysteresis (without hysteresis, no longer reaching it at all).
 */
static int
alertrule_cleared(const struct alertrule *r, int l, double v)
{
	double	 h;
	int	 lowest;

	lowest = r->has[ALERT_WARNING] ? ALERT_WARNING : ALERT_CRITICAL;
	if (l == lowest && r->has_clear)
		return (alertrule_up(r) ? v < r->clear : v > r->clear);
	h = r->hyst_pct ? fabs(r->thr[l]) * r->hyst / 100 : r->hyst;
	return (!alertrule_enters(r, v, alertrule_up(r) ? r->thr[l] - h :
	    r->thr[l] + h));
}

int
alertrule_target(const struct alertrule *r, int current, double v)
{
	int	 l;

	if (isnan(v))
		return (current);
	for (l = ALERT_CRITICAL; l > ALERT_OK; l--) {
		if (!r->has[l])
			continue;
		if (alertrule_enters(r, v, r->thr[l]))
			return (l);
		if (current >= l && !alertrule_cleared(r, l, v))
			return (l);
	}
	return (ALERT_OK);
}

void
alertrule_state_init(struct alert_state *st, time_t now)
{
	memset(st, 0, sizeof(*st));
	st->level = ALERT_OK;
	st->since = now;
	st->value = NAN;
	snprintf(st->msg, sizeof(st->msg), "not evaluated yet");
}

/* The level after this evaluation: lower at once, raise after "for". */
static int
alertrule_next_level(const struct alertrule *r, struct alert_state *st,
    int target)
{
	int	 l;

	/* Counted up to "for" only, so a long alert does not change state. */
	for (l = ALERT_WARNING; l < ALERT_NLEVELS; l++)
		st->count[l] = target < l ? 0 : st->count[l] < r->for_count ?
		    st->count[l] + 1 : r->for_count;
	if (target <= st->level)
		return (target);
	for (l = target; l > st->level; l--) {
		if (st->count[l] >= r->for_count)
			return (l);
	}
	return (st->level);
}

enum alert_event
alertrule_step(const struct alertrule *r, struct alert_state *st,
    const struct alert_result *res, time_t now, int *previous)
{
	int	 cur = st->level, next = cur;

	*previous = cur;
	st->evaluated = now;
	st->value = res->known ? res->value : NAN;
	memcpy(st->msg, res->msg, sizeof(st->msg));
	if (res->known)
		next = alertrule_next_level(r, st,
		    alertrule_target(r, cur, res->value));
	if (next != cur) {
		st->level = next;
		st->since = now;
		st->notified = now;
		if (cur == ALERT_OK)
			return (ALERT_EV_FIRE);
		if (next == ALERT_OK)
			return (ALERT_EV_RESOLVE);
		return (next > cur ? ALERT_EV_RAISE : ALERT_EV_LOWER);
	}
	if (cur != ALERT_OK && r->repeat != 0 && now - st->notified >=
	    (time_t)r->repeat) {
		st->notified = now;
		return (ALERT_EV_REPEAT);
	}
	return (ALERT_EV_NONE);
}
