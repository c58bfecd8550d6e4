/*
 * test_alertrule.c - the pure alert logic with a fake clock: spans and
 * deadlines, each kind, levels with "for", hysteresis, clear points and
 * repeat, a yearly decline replayed day by day, a noisy series that must
 * not flap, and the text of state and event lines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alertdb.h"
#include "alertrule.h"
#include "util.h"
#include "tap.h"

#define DAY	86400

static time_t
utc(int y, int m, int d, int hh, int mm, int ss)
{
	struct tm	 tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	return (timegm(&tm));
}

/* Points as an RRD with one-day rows holds yearly figures: every row of
 * year Y (stamped 2 January Y to 1 January Y+1) has Y's figure. */
static struct alert_point *
yearly(int first, int last, const double *fig, size_t *n)
{
	struct alert_point	*p;
	time_t			 t, end = utc(last + 1, 1, 1, 0, 0, 0);
	size_t			 i = 0;
	int			 y;

	p = calloc((size_t)(end - utc(first, 1, 1, 0, 0, 0)) / DAY + 1,
	    sizeof(*p));
	for (t = utc(first, 1, 2, 0, 0, 0); t <= end; t += DAY) {
		struct tm tm;
		time_t prev = t - 1;

		gmtime_r(&prev, &tm);
		y = tm.tm_year + 1900;
		p[i].t = t;
		p[i++].v = fig[y - first];
	}
	*n = i;
	return (p);
}

static void
rule_base(struct alertrule *r, int kind)
{
	alertrule_init(r);
	r->kind = kind;
}

static int
check(struct alertrule *r)
{
	char	 why[160];

	if (alertrule_check(r, why, sizeof(why)) == -1) {
		printf("#   check: %s\n", why);
		return (-1);
	}
	return (0);
}

/* Replay like ALERT TEST: events as "TIME FROM>TO" into buf. */
static int
replay(const struct alertrule *r, const struct alert_point *p, size_t n,
    time_t from, time_t to, time_t step, char *buf, size_t len)
{
	struct alert_state	 st;
	struct alert_result	 res;
	enum alert_event	 ev;
	time_t			 t;
	int			 prev, count = 0;
	size_t			 used = 0;

	buf[0] = '\0';
	alertrule_state_init(&st, from);
	for (t = from; t <= to; t += step) {
		alertrule_eval(r, p, n, t, &res);
		ev = alertrule_step(r, &st, &res, t, &prev);
		if (ev == ALERT_EV_NONE || ev == ALERT_EV_REPEAT)
			continue;
		count++;
		used += snprintf(buf + used, len - used, "%s%lld %s>%s",
		    used ? " " : "", (long long)t, alertrule_level_name(prev),
		    alertrule_level_name(st.level));
		if (used >= len)
			used = len - 1;
	}
	return (count);
}

static void
test_spans(void)
{
	struct alert_span	 s;
	char			 why[160], buf[32];
	int			 mon, day;
	double			 d;
	int			 pct;

	ok(alertrule_span_parse("1y", &s, why, sizeof(why)) == 0 &&
	    s.months == 12 && s.secs == 0, "1y is 12 calendar months");
	ok(alertrule_span_parse("3mo", &s, why, sizeof(why)) == 0 &&
	    s.months == 3, "3mo is 3 months");
	ok(alertrule_span_parse("1h30m", &s, why, sizeof(why)) == 0 &&
	    s.months == 0 && s.secs == 5400, "1h30m is 5400 s");
	ok(alertrule_span_parse("7x", &s, why, sizeof(why)) == -1,
	    "7x refused: %s", why);
	ok(alertrule_span_parse("1500ms", &s, why, sizeof(why)) == -1,
	    "fractions of seconds refused");
	s.months = 0;
	s.secs = 7 * DAY;
	alertrule_span_fmt(buf, sizeof(buf), &s);
	is_str(buf, "1w", "7 days print as 1w");
	s.months = 12;
	is_int(alertrule_span_sub(utc(2024, 2, 29, 12, 0, 0), &s, 1),
	    utc(2023, 2, 28, 12, 0, 0), "29 Feb minus a year is 28 Feb");
	is_int(alertrule_span_sub(utc(2025, 1, 1, 0, 0, 0), &s, 2),
	    utc(2023, 1, 1, 0, 0, 0), "two calendar years back");
	s.months = 1;
	is_int(alertrule_span_sub(utc(2025, 3, 31, 0, 0, 0), &s, 1),
	    utc(2025, 2, 28, 0, 0, 0), "31 March minus a month: 28 Feb");
	ok(alertrule_deadline_parse("02-01", &mon, &day, why,
	    sizeof(why)) == 0 && mon == 2 && day == 1, "deadline 02-01");
	ok(alertrule_deadline_parse("15", &mon, &day, why, sizeof(why)) ==
	    0 && mon == 0 && day == 15, "monthly deadline 15");
	ok(alertrule_deadline_parse("02-30", &mon, &day, why,
	    sizeof(why)) == -1, "02-30 refused: %s", why);
	ok(alertrule_deadline_parse("2-1x", &mon, &day, why, sizeof(why)) ==
	    -1, "2-1x refused");
	ok(util_number("-10%", &d, &pct) == 0 && d == -10 && pct,
	    "-10%% is a percentage");
	ok(util_number("nan", &d, NULL) == -1 &&
	    util_number("0x10", &d, NULL) == -1 &&
	    util_number("5%", &d, NULL) == -1, "nan, hex, %% refused "
	    "where no percentage is allowed");
	ok(alertrule_metric_valid("coop.*.revenue.avg.agriculture") &&
	    alertrule_metric_valid("a.b.c") && !alertrule_metric_valid("a.b") &&
	    !alertrule_metric_valid("../x.*"), "metric names and globs");
}

static void
test_checks(void)
{
	struct alertrule	 r;
	char			 why[160];

	rule_base(&r, ALERT_THRESHOLD);
	ok(alertrule_check(&r, why, sizeof(why)) == -1, "no level: %s", why);
	r.has[ALERT_WARNING] = r.has[ALERT_CRITICAL] = 1;
	r.thr[ALERT_WARNING] = 10;
	r.thr[ALERT_CRITICAL] = 5;
	ok(alertrule_check(&r, why, sizeof(why)) == -1,
	    "critical below warning with op >: %s", why);
	r.thr[ALERT_CRITICAL] = 20;
	r.has_clear = 1;
	r.clear = 12;
	ok(alertrule_check(&r, why, sizeof(why)) == -1,
	    "clear point above the warning threshold: %s", why);
	r.clear = 8;
	ok(alertrule_check(&r, why, sizeof(why)) == 0 && r.op == ALERT_GT,
	    "good threshold rule, op defaults to >");
	rule_base(&r, ALERT_CHANGE);
	r.has[ALERT_CRITICAL] = 1;
	ok(alertrule_check(&r, why, sizeof(why)) == -1, "change without a "
	    "window: %s", why);
	r.window.months = 12;
	ok(alertrule_check(&r, why, sizeof(why)) == 0 && r.op == ALERT_LT &&
	    r.as == ALERT_PERCENT, "change defaults: op <, as percent");
	rule_base(&r, ALERT_ABSENT);
	r.deadline_mon = 2;
	r.deadline_day = 1;
	ok(alertrule_check(&r, why, sizeof(why)) == 0 &&
	    r.has[ALERT_CRITICAL] && r.thr[ALERT_CRITICAL] == 0 &&
	    r.op == ALERT_GE, "a deadline fires critical at 0 by default");
}

/* Average agricultural revenue flat to 2021, then 12% less a year. */
static void
test_yearly_decline(void)
{
	double			 fig[14];
	struct alert_point	*p;
	struct alert_result	 res;
	struct alertrule	 r;
	char			 buf[512], want[512];
	size_t			 n;
	int			 i, events;

	for (i = 0; i < 14; i++)	/* 2012..2025 */
		fig[i] = i + 2012 <= 2021 ? 1.55e9 : fig[i - 1] * 0.88;
	fig[13] = fig[12] * 1.05;	/* 2025 recovers */
	p = yearly(2012, 2025, fig, &n);
	rule_base(&r, ALERT_CHANGE);
	r.window.months = 12;
	r.anchor = ALERT_ANCHOR_CALENDAR;
	r.has[ALERT_WARNING] = r.has[ALERT_CRITICAL] = 1;
	r.thr[ALERT_WARNING] = -5;
	r.thr[ALERT_CRITICAL] = -10;
	r.hyst = 2;
	ok(check(&r) == 0, "yearly change rule is good");

	alertrule_eval(&r, p, n, utc(2022, 7, 1, 0, 0, 0), &res);
	ok(res.known && fabs(res.value) < 1e-9 && res.at == utc(2022, 1, 1,
	    0, 0, 0), "mid-2022: 2021 against 2020, 0%% (%s)", res.msg);
	alertrule_eval(&r, p, n, utc(2023, 1, 1, 0, 0, 0), &res);
	ok(res.known && fabs(res.value + 12) < 1e-9 &&
	    res.level == ALERT_CRITICAL, "1 Jan 2023: 2022 against 2021 is "
	    "-12%%, critical (%s)", res.msg);
	ok(strstr(res.msg, "to 2023-01-01") != NULL, "message names the "
	    "window's end: %s", res.msg);

	events = replay(&r, p, n, utc(2019, 1, 1, 0, 0, 0), utc(2026, 6, 1,
	    0, 0, 0), DAY, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%lld ok>critical %lld critical>ok",
	    (long long)utc(2023, 1, 1, 0, 0, 0), (long long)utc(2026, 1, 1, 0,
	    0, 0));
	is_int(events, 2, "replayed daily 2019-2026: two events");
	is_str(buf, want, "critical on 1 Jan 2023, resolved on 1 Jan 2026");

	r.for_count = 3;
	events = replay(&r, p, n, utc(2019, 1, 1, 0, 0, 0), utc(2026, 6, 1,
	    0, 0, 0), DAY, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%lld ok>critical %lld critical>ok",
	    (long long)utc(2023, 1, 3, 0, 0, 0), (long long)utc(2026, 1, 1, 0,
	    0, 0));
	is_str(buf, want, "for = 3: fires on the third daily evaluation");
	free(p);
}

/* A per-minute series for threshold tests. */
static struct alert_point *
series(const double *v, size_t n, time_t t0)
{
	struct alert_point	*p = calloc(n, sizeof(*p));
	size_t			 i;

	for (i = 0; i < n; i++) {
		p[i].t = t0 + (time_t)i * 60;
		p[i].v = v[i];
	}
	return (p);
}

static void
test_noise(void)
{
	double			 v[200];
	struct alert_point	*p;
	struct alertrule	 r;
	char			 buf[2048];
	time_t			 t0 = utc(2026, 1, 1, 0, 0, 0);
	size_t			 i;
	int			 events;

	for (i = 0; i < 200; i++)	/* 99 101 99 101 ... then 120 */
		v[i] = i < 100 ? (i % 2 ? 101 : 99) : i < 150 ? 120 :
		    i % 2 ? 97 : 104;
	p = series(v, 200, t0);
	rule_base(&r, ALERT_THRESHOLD);
	r.has[ALERT_WARNING] = 1;
	r.thr[ALERT_WARNING] = 100;
	ok(check(&r) == 0, "threshold rule > 100");
	events = replay(&r, p, 100, t0, t0 + 99 * 60, 60, buf, sizeof(buf));
	ok(events > 40, "no for, no hysteresis: the noise flaps (%d events)",
	    events);

	r.for_count = 3;
	r.hyst = 5;
	events = replay(&r, p, 100, t0, t0 + 99 * 60, 60, buf, sizeof(buf));
	is_int(events, 0, "for = 3: noise around 100 never fires");
	events = replay(&r, p, 200, t0, t0 + 199 * 60, 60, buf, sizeof(buf));
	ok(events == 1 && strstr(buf, "ok>warning") != NULL, "120 fires "
	    "once; 97..104 stays within the hysteresis of 5 (%s)", buf);
	r.hyst = 10;
	r.hyst_pct = 1;		/* 10% of 100: clears below 90 */
	events = replay(&r, p, 200, t0, t0 + 199 * 60, 60, buf, sizeof(buf));
	is_int(events, 1, "hysteresis 10% of 100: still one event");

	r.hyst = 0;
	r.hyst_pct = 0;
	r.has_clear = 1;
	r.clear = 98;
	events = replay(&r, p, 200, t0, t0 + 199 * 60, 60, buf, sizeof(buf));
	is_int(events, 2, "clear_below 98: 97 resolves it once");
	free(p);
}

static void
test_levels(void)
{
	double			 v[] = { 50, 150, 250, 250, 190, 140, 60, 60 };
	struct alert_point	*p;
	struct alert_result	 res;
	struct alert_state	 st;
	struct alertrule	 r;
	time_t			 t0 = 1800000000, t;
	enum alert_event	 evs[8];
	int			 prev, i;

	p = series(v, 8, t0);
	rule_base(&r, ALERT_THRESHOLD);
	r.has[ALERT_WARNING] = r.has[ALERT_CRITICAL] = 1;
	r.thr[ALERT_WARNING] = 100;
	r.thr[ALERT_CRITICAL] = 200;
	r.hyst = 20;
	r.repeat = 60;
	ok(check(&r) == 0, "two-level rule");
	alertrule_state_init(&st, t0);
	for (i = 0; i < 8; i++) {
		t = t0 + i * 60;
		alertrule_eval(&r, p, 8, t, &res);
		evs[i] = alertrule_step(&r, &st, &res, t, &prev);
	}
	ok(evs[0] == ALERT_EV_NONE && evs[1] == ALERT_EV_FIRE &&
	    evs[2] == ALERT_EV_RAISE && evs[3] == ALERT_EV_REPEAT &&
	    evs[4] == ALERT_EV_REPEAT && evs[5] == ALERT_EV_LOWER &&
	    evs[6] == ALERT_EV_RESOLVE && evs[7] == ALERT_EV_NONE,
	    "fire, raise, repeat, held at 190 (hysteresis), lower, resolve");
	is_int(st.since, t0 + 6 * 60, "since is the resolving evaluation");
	free(p);
}

/* "Any fund at a loss": > 0 fires at 1 and clears at 0, no hysteresis. */
static void
test_zero(void)
{
	double			 v[] = { 0, 3, 1, 0, 0 };
	struct alert_point	*p;
	struct alertrule	 r;
	char			 buf[256], want[256];
	time_t			 t0 = 1800000000;

	p = series(v, 5, t0);
	rule_base(&r, ALERT_THRESHOLD);
	r.has[ALERT_CRITICAL] = 1;
	r.thr[ALERT_CRITICAL] = 0;
	ok(check(&r) == 0, "critical = 0, op >");
	replay(&r, p, 5, t0, t0 + 4 * 60, 60, buf, sizeof(buf));
	snprintf(want, sizeof(want), "%lld ok>critical %lld critical>ok",
	    (long long)t0 + 60, (long long)t0 + 180);
	is_str(buf, want, "fires at 3, clears at 0");
	free(p);
}

static void
test_deadline(void)
{
	double			 fig[] = { 1, 2, 3 };	/* 2022..2024 */
	struct alert_point	*p, *q;
	struct alert_result	 res;
	struct alertrule	 r;
	size_t			 n;

	p = yearly(2022, 2024, fig, &n);	/* newest: 1 January 2025 */
	rule_base(&r, ALERT_ABSENT);
	r.deadline_mon = 2;
	r.deadline_day = 1;
	ok(check(&r) == 0, "deadline rule");
	alertrule_eval(&r, p, n, utc(2026, 1, 31, 23, 59, 59), &res);
	ok(res.known && res.level == ALERT_OK && res.value == -1,
	    "31 Jan 2026 23:59:59: 2025's figures not due yet (%s)", res.msg);
	alertrule_eval(&r, p, n, utc(2026, 2, 1, 0, 0, 0), &res);
	ok(res.level == ALERT_CRITICAL && res.value == 0 &&
	    strstr(res.msg, "figures for 2025 missing") != NULL,
	    "1 Feb 2026 00:00: critical (%s)", res.msg);
	alertrule_eval(&r, p, n, utc(2026, 2, 11, 0, 0, 0), &res);
	ok(res.level == ALERT_CRITICAL && res.value == 10 * DAY,
	    "ten days late");
	q = calloc(n + 1, sizeof(*q));
	memcpy(q, p, n * sizeof(*q));
	q[n].t = utc(2026, 1, 1, 0, 0, 0);	/* 2025 arrives */
	q[n].v = 4;
	alertrule_eval(&r, q, n + 1, utc(2026, 2, 11, 0, 0, 0), &res);
	ok(res.level == ALERT_OK && res.value < 0, "once received: ok, next "
	    "due in a year (%s)", res.msg);
	alertrule_eval(&r, p, n, utc(2025, 1, 20, 0, 0, 0), &res);
	ok(res.level == ALERT_OK, "Jan 2025: 2024's figures are there");

	r.deadline_mon = 0;
	r.deadline_day = 15;
	alertrule_eval(&r, q, n + 1, utc(2026, 2, 14, 23, 0, 0), &res);
	ok(res.level == ALERT_OK, "monthly: 14 Feb, January not due yet");
	alertrule_eval(&r, q, n + 1, utc(2026, 2, 15, 0, 0, 0), &res);
	ok(res.level == ALERT_CRITICAL && strstr(res.msg, "2026-01") != NULL,
	    "monthly: 15 Feb, January's figures missing (%s)", res.msg);
	free(p);
	free(q);
}

static void
test_kinds(void)
{
	double			 v[100];
	struct alert_point	*p;
	struct alert_result	 res;
	struct alertrule	 r;
	time_t			 t0 = 1800000000 - 1800000000 % DAY;
	size_t			 i;

	for (i = 0; i < 100; i++)
		v[i] = 1000 - 2.0 * i;	/* falls 2 a minute */
	p = series(v, 100, t0);
	rule_base(&r, ALERT_THRESHOLD);
	r.window.secs = 600;
	r.reduce = ALERT_MIN;
	r.has[ALERT_WARNING] = 1;
	r.op = ALERT_LT;
	r.thr[ALERT_WARNING] = 900;
	check(&r);
	alertrule_eval(&r, p, 100, t0 + 99 * 60, &res);
	ok(res.known && res.value == 802, "min over 10 min: 802");
	r.reduce = ALERT_AVG;
	alertrule_eval(&r, p, 100, t0 + 99 * 60, &res);
	ok(fabs(res.value - 811) < 1e-9, "avg over 10 min: 811 (%g)",
	    res.value);

	rule_base(&r, ALERT_TREND);
	r.window.secs = 3600;
	r.per.secs = 3600;
	r.has[ALERT_CRITICAL] = 1;
	r.thr[ALERT_CRITICAL] = -100;
	check(&r);
	alertrule_eval(&r, p, 100, t0 + 99 * 60, &res);
	ok(res.known && fabs(res.value + 120) < 1e-6 &&
	    res.level == ALERT_CRITICAL, "slope -120 per hour (%s)", res.msg);

	rule_base(&r, ALERT_FORECAST);
	r.window.secs = 3600;
	r.horizon = 3600;
	r.has[ALERT_WARNING] = 1;
	r.op = ALERT_LT;
	r.thr[ALERT_WARNING] = 700;
	check(&r);
	alertrule_eval(&r, p, 100, t0 + 99 * 60, &res);
	ok(res.known && fabs(res.value - 682) < 1e-6 &&
	    res.level == ALERT_WARNING, "forecast 682 in an hour, below 700 "
	    "(%s)", res.msg);

	rule_base(&r, ALERT_ABSENT);
	r.has[ALERT_WARNING] = 1;
	r.thr[ALERT_WARNING] = 3600;
	check(&r);
	alertrule_eval(&r, p, 100, t0 + 99 * 60 + 1800, &res);
	ok(res.level == ALERT_OK && res.value == 1800, "30 min without a "
	    "value: ok");
	alertrule_eval(&r, p, 100, t0 + 99 * 60 + 3600, &res);
	ok(res.level == ALERT_WARNING, "an hour: warning (%s)", res.msg);
	alertrule_eval(&r, p, 0, t0, &res);
	ok(res.level == ALERT_WARNING && isinf(res.value), "never a value: "
	    "warning");
	free(p);
}

static void
test_falls(void)
{
	double			 fig[] = { 5, 6, 7, 6, 5, 4 };	/* 2019..2024 */
	struct alert_point	*p;
	struct alert_result	 res;
	struct alertrule	 r;
	size_t			 n;

	p = yearly(2019, 2024, fig, &n);
	rule_base(&r, ALERT_TREND);
	r.trend = ALERT_FALLS;
	r.anchor = ALERT_ANCHOR_CALENDAR;
	r.has[ALERT_CRITICAL] = 1;
	r.thr[ALERT_CRITICAL] = 3;
	ok(check(&r) == 0 && r.op == ALERT_GE, "falls: op >= by default");
	alertrule_eval(&r, p, n, utc(2025, 3, 1, 0, 0, 0), &res);
	ok(res.known && res.value == 3 && res.level == ALERT_CRITICAL,
	    "three years fell in a row (%s)", res.msg);
	alertrule_eval(&r, p, n, utc(2024, 3, 1, 0, 0, 0), &res);
	ok(res.value == 2 && res.level == ALERT_OK, "a year earlier: two");
	free(p);
}

static void
test_lines(void)
{
	struct alert_state	 st, back;
	char			 line[ALERTDB_LINE_MAX], *rule, *metric, r[64];

	alertrule_state_init(&st, 1700000000);
	st.level = ALERT_CRITICAL;
	st.evaluated = 1700000100;
	st.notified = 1700000050;
	st.count[ALERT_WARNING] = 4;
	st.count[ALERT_CRITICAL] = 2;
	st.value = -12.000000000000002;
	snprintf(st.msg, sizeof(st.msg), "change -12%%:\tnew\nline");
	alertdb_state_fmt(line, sizeof(line), "coop-falling", "a.b.c", &st);
	ok(strchr(line, '\t') == NULL && strchr(line, '\n') == line +
	    strlen(line) - 1, "state line is one line");
	line[strlen(line) - 1] = '\0';
	ok(alertdb_state_parse(line, &rule, &metric, &back) == 0 &&
	    strcmp(rule, "coop-falling") == 0 && strcmp(metric, "a.b.c") ==
	    0 && back.level == ALERT_CRITICAL && back.since == 1700000000 &&
	    back.notified == 1700000050 && back.count[ALERT_CRITICAL] == 2 &&
	    back.value == st.value && strcmp(back.msg,
	    "change -12%: new line") == 0, "state line reads back exactly");
	snprintf(line, sizeof(line), "x a.b.c critical 1 2 3 4 5");
	ok(alertdb_state_parse(line, &rule, &metric, &back) == -1,
	    "truncated state line refused");
	snprintf(line, sizeof(line), "x a.b.c bogus 1 2 3 4 5 6 m");
	ok(alertdb_state_parse(line, &rule, &metric, &back) == -1,
	    "unknown level refused");
	alertdb_event_fmt(line, sizeof(line), 1672531200, "coop-falling",
	    "a.b.c", ALERT_OK, ALERT_CRITICAL, -12, "change -12%");
	is_str(line, "1672531200 coop-falling a.b.c ok critical -12 "
	    "change -12%", "event line");
	ok(alertdb_event_rule(line, r, sizeof(r)) == 0 &&
	    strcmp(r, "coop-falling") == 0, "rule of an event line");
}

int
main(void)
{
	test_spans();
	test_checks();
	test_yearly_decline();
	test_noise();
	test_levels();
	test_zero();
	test_deadline();
	test_kinds();
	test_falls();
	test_lines();
	return (tap_done());
}
