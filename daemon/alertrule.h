/*
 * alertrule.h - the pure part of the alert engine: what an [alert NAME]
 * rule makes of a series at a given time, and how an alert's state moves
 * from one evaluation to the next (levels, "for", hysteresis, repeat).
 *
 * No I/O, no clock, no globals: the engine, ALERT TEST's replay and the
 * unit tests pass the points and "now", so the same code answers all
 * three, on any thread.  Times are UTC; calendar spans ("1y", "3mo") move
 * by calendar months.
 */
#ifndef TALLY_ALERTRULE_H
#define TALLY_ALERTRULE_H

#include <stddef.h>
#include <time.h>

#define ALERT_MSG_MAX		240
#define ALERT_FALLS_MAX		20	/* periods a falls/rises trend looks at */

enum alert_level {
	ALERT_OK,
	ALERT_WARNING,
	ALERT_CRITICAL
};
#define ALERT_NLEVELS		3

/* The orders of these enums are those of the name lists below. */
enum alert_kind { ALERT_THRESHOLD, ALERT_CHANGE, ALERT_TREND, ALERT_ABSENT,
	ALERT_FORECAST };
enum alert_op { ALERT_GT, ALERT_GE, ALERT_LT, ALERT_LE, ALERT_ABOVE,
	ALERT_BELOW };
enum alert_reduce { ALERT_AVG, ALERT_MIN, ALERT_MAX, ALERT_LAST };
enum alert_anchor { ALERT_ANCHOR_NOW, ALERT_ANCHOR_LAST,
	ALERT_ANCHOR_CALENDAR };
enum alert_as { ALERT_PERCENT, ALERT_AMOUNT };
enum alert_trend { ALERT_SLOPE, ALERT_FALLS, ALERT_RISES };

/* NULL-terminated names, as the config file spells them. */
extern const char *const alertrule_kinds[];
extern const char *const alertrule_ops[];
extern const char *const alertrule_reduces[];
extern const char *const alertrule_anchors[];
extern const char *const alertrule_as[];
extern const char *const alertrule_trends[];
extern const char *const alertrule_cfs[];	/* AVERAGE MIN MAX LAST */

/* A length of time: whole calendar months, or else fixed seconds. */
struct alert_span {
	int		 months;
	unsigned long	 secs;
};

struct alertrule {
	int		 kind;		/* enum alert_kind */
	int		 cf;		/* index in alertrule_cfs */
	unsigned long	 every;		/* seconds between evaluations */
	unsigned long	 resolution;	/* seconds; 0: the finest stored */
	int		 anchor;	/* enum alert_anchor: where windows end */
	struct alert_span window;	/* zero: the newest value (threshold) */
	int		 reduce;	/* threshold: how a window becomes one */
	struct alert_span compare;	/* change: how far back to compare */
	int		 as;		/* change, slope: enum alert_as */
	double		 min_base;	/* percentages need a base this large */
	int		 trend;		/* enum alert_trend */
	struct alert_span per;		/* slope: per this much time */
	struct alert_span period;	/* falls, rises: one period */
	unsigned long	 horizon;	/* forecast: seconds ahead */
	int		 deadline_mon;	/* absent: 1..12, 0: every month */
	int		 deadline_day;	/* absent: 1..31, 0: no deadline */
	int		 op;		/* enum alert_op, never ABOVE/BELOW */
	int		 has[ALERT_NLEVELS];	/* level used */
	double		 thr[ALERT_NLEVELS];	/* its threshold */
	int		 has_clear;
	double		 clear;		/* back to ok only past this */
	double		 hyst;		/* hysteresis: amount, or percent */
	int		 hyst_pct;
	int		 for_count;	/* evaluations before raising */
	unsigned long	 repeat;	/* seconds; 0: never repeat */
};

/* One stored point: its time (end of its interval) and value, NAN unknown. */
struct alert_point {
	time_t		 t;
	double		 v;
};

/* What one evaluation found. */
struct alert_result {
	int		 known;		/* 0: nothing to judge by */
	double		 value;		/* the figure compared */
	int		 level;		/* by the thresholds alone */
	time_t		 at;		/* the end of the windows */
	char		 msg[ALERT_MSG_MAX];
};

/* An alert: one rule on one series. */
struct alert_state {
	int		 level;		/* enum alert_level */
	time_t		 since;		/* when it took this level */
	double		 value;		/* of the last evaluation, NAN none */
	time_t		 evaluated;	/* 0: never */
	int		 count[ALERT_NLEVELS];	/* evaluations in a row that
					   reached each level */
	time_t		 notified;	/* last notice sent (for repeat) */
	char		 msg[ALERT_MSG_MAX];
};

enum alert_event {
	ALERT_EV_NONE,
	ALERT_EV_FIRE,		/* ok to warning or critical */
	ALERT_EV_RAISE,		/* warning to critical */
	ALERT_EV_LOWER,		/* critical to warning */
	ALERT_EV_RESOLVE,	/* back to ok */
	ALERT_EV_REPEAT		/* still firing, repeat interval passed */
};

/* Defaults of a rule before the config sets its keys. */
void		 alertrule_init(struct alertrule *);
/*
 * Check a rule as a whole (needs of its kind, order of thresholds, clear
 * points); -1 with why.  Fills defaults that depend on the kind.
 */
int		 alertrule_check(struct alertrule *, char *why, size_t len);

/*
 * Evaluate a rule at now over n points sorted by time (points after now
 * are ignored, so a replay can pass a whole history).
 */
void		 alertrule_eval(const struct alertrule *,
		    const struct alert_point *, size_t n, time_t now,
		    struct alert_result *);
/*
 * Move an alert's state by one evaluation's result; returns what happened
 * (an event to record and notify, or NONE).
 */
enum alert_event alertrule_step(const struct alertrule *,
		    struct alert_state *, const struct alert_result *,
		    time_t now, int *previous);
void		 alertrule_state_init(struct alert_state *, time_t now);

/*
 * How many of the n points are at or before t.  A rule that is neither
 * absent nor anchored at now gives the same result while this stays the
 * same, which lets a replay skip evaluations.
 */
size_t		 alertrule_upto(const struct alert_point *, size_t n, time_t t);
int		 alertrule_moves_with_time(const struct alertrule *);

/* Seconds of data a rule reads before the end of its windows. */
unsigned long	 alertrule_history(const struct alertrule *);
/* The level a value reaches, given the level held now (hysteresis). */
int		 alertrule_target(const struct alertrule *, int current,
		    double value);

/* t moved back k spans (calendar months keep the day, clamped). */
time_t		 alertrule_span_sub(time_t t, const struct alert_span *,
		    int k);
/* "90s", "1h30m", "7d" (fixed) or "1y", "3mo" (calendar); -1 and why. */
int		 alertrule_span_parse(const char *, struct alert_span *,
		    char *why, size_t len);
void		 alertrule_span_fmt(char *buf, size_t len,
		    const struct alert_span *);
int		 alertrule_span_zero(const struct alert_span *);
/* "MM-DD" (yearly) or "DD" (monthly); -1 and why. */
int		 alertrule_deadline_parse(const char *, int *mon, int *day,
		    char *why, size_t len);
/* A metric name, or a glob over names; 1 if it may be used. */
int		 alertrule_metric_valid(const char *);
int		 alertrule_is_glob(const char *);

const char	*alertrule_level_name(int);
const char	*alertrule_event_name(enum alert_event);
/* The shortest text that reads back as v; "U" if not finite. */

#endif
