/*
 * sched.h - when a plugin instance reads: intervals, jitter, deadlines and
 * backoff.  Pure arithmetic on a clock the caller passes in, so tests drive
 * it with a fake clock; plugin.c turns its answers into libevent timers.
 */
#ifndef TALLY_SCHED_H
#define TALLY_SCHED_H

#include <stdint.h>

#include "clock.h"

struct sched {
	msec_t		 interval;
	msec_t		 offset;	/* fixed jitter within [0, jitter] */
	msec_t		 timeout;	/* read deadline */
	msec_t		 max_backoff;
	msec_t		 next;		/* next tick (monotonic ms) */
	msec_t		 grid;		/* first aligned tick, until used */
	msec_t		 started;	/* start of the running read, or -1 */
	msec_t		 last_duration;
	unsigned	 failures;	/* consecutive */
	uint64_t	 runs, skipped, failed, late;
	int		 late_flagged;	/* this read already counted late */
};

enum sched_action {
	SCHED_RUN,	/* start a read now */
	SCHED_SKIP	/* still running: skipped and counted */
};

/*
 * seed picks the jitter offset, so instances spread out but stay fixed.
 * The first read is at once (plus the jitter offset); later ticks are
 * aligned to the wall clock (wall = now on it): with interval 60 s and no
 * jitter, reads start on the minute, so values land on RRD step
 * boundaries and two reads never share a second.
 */
void		 sched_init(struct sched *, msec_t interval, msec_t jitter,
		    msec_t timeout, msec_t max_backoff, uint32_t seed,
		    msec_t now, msec_t wall);
/* The timer fired at now (>= s->next). */
enum sched_action sched_due(struct sched *, msec_t now);
/* The read started at the last SCHED_RUN returned; ok is 0 on failure. */
void		 sched_done(struct sched *, msec_t now, int ok);
/* 1 once when the running read passes its deadline. */
int		 sched_late(struct sched *, msec_t now);
/* When the read deadline falls, or -1 if idle. */
msec_t		 sched_deadline(const struct sched *);
int		 sched_running(const struct sched *);

#endif
