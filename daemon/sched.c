/*
 * sched.c - the schedule of one plugin instance.
 *
 * Ticks fall at start + offset + k * interval, so a slow read does not make
 * the schedule drift.  A tick that finds the previous read still running is
 * skipped and counted (collectd's rule: never two reads of one instance at
 * once).  Failures push the next read out by interval * 2^failures, capped
 * at max_backoff, and one success resets it.
 */
#include "sched.h"

#define SCHED_SLACK	5	/* ms */

void
sched_init(struct sched *s, msec_t interval, msec_t jitter, msec_t timeout,
    msec_t max_backoff, uint32_t seed, msec_t now, msec_t wall)
{
	s->interval = interval > 0 ? interval : 1;
	s->offset = jitter > 0 ? (msec_t)(seed % (uint64_t)(jitter + 1)) : 0;
	s->timeout = timeout > 0 ? timeout : s->interval;
	s->max_backoff = max_backoff > s->interval ? max_backoff : s->interval;
	/* 5 ms past the boundary: a timer firing early stays in its second. */
	s->grid = now + (s->interval - wall % s->interval) + s->offset +
	    SCHED_SLACK;
	s->next = now + s->offset;
	s->started = -1;
	s->last_duration = 0;
	s->failures = 0;
	s->runs = s->skipped = s->failed = s->late = 0;
	s->late_flagged = 0;
}

/*
 * Move next past now, on the tick grid.  A timer may fire a little before
 * its time (libevent's clock is coarser than ours): that tick still counts
 * as the one due, so next moves one interval on, never zero.
 */
static void
sched_advance(struct sched *s, msec_t now)
{
	if (s->next <= now)
		s->next += ((now - s->next) / s->interval + 1) * s->interval;
}

static void
sched_tick(struct sched *s, msec_t now)
{
	if (s->grid > 0) {
		/*
		 * After the first read, join the aligned grid at its next
		 * tick: it falls in the next interval on the wall clock, so
		 * the two reads never share a step, and none is skipped.
		 */
		s->next = s->grid;
		s->grid = 0;
		sched_advance(s, now);
		return;
	}
	if (s->next > now)
		s->next += s->interval;
	else
		sched_advance(s, now);
}

enum sched_action
sched_due(struct sched *s, msec_t now)
{
	if (s->started >= 0) {
		s->skipped++;
		sched_tick(s, now);
		return (SCHED_SKIP);
	}
	s->started = now;
	s->late_flagged = 0;
	sched_tick(s, now);
	return (SCHED_RUN);
}

void
sched_done(struct sched *s, msec_t now, int ok)
{
	msec_t	 backoff, at;
	unsigned i;

	s->last_duration = now - s->started;
	s->started = -1;
	s->runs++;
	if (ok) {
		s->failures = 0;
		sched_advance(s, now);
		return;
	}
	s->failed++;
	s->failures++;
	backoff = s->interval;
	for (i = 0; i < s->failures && backoff < s->max_backoff; i++)
		backoff *= 2;
	if (backoff > s->max_backoff)
		backoff = s->max_backoff;
	/* Land back on the tick grid at or after now + backoff. */
	at = now + backoff;
	if (s->next < at)
		s->next += (at - s->next + s->interval - 1) / s->interval *
		    s->interval;
}

int
sched_late(struct sched *s, msec_t now)
{
	if (s->started < 0 || s->late_flagged || now - s->started < s->timeout)
		return (0);
	s->late_flagged = 1;
	s->late++;
	return (1);
}

msec_t
sched_deadline(const struct sched *s)
{
	return (s->started < 0 ? -1 : s->started + s->timeout);
}

int
sched_running(const struct sched *s)
{
	return (s->started >= 0);
}
