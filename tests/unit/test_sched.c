/* test_sched.c - the read schedule, driven by a fake clock. */
#include "sched.h"
#include "tap.h"

static void
test_grid(void)
{
	struct sched	 s;
	msec_t		 now = 1000000;

	sched_init(&s, 10000, 0, 5000, 60000, 7, now, 0);
	is_int(s.next, now, "no jitter: first read at once");
	is_int(sched_due(&s, now), SCHED_RUN, "first tick runs");
	is_int(s.next, now + 10005, "next tick one interval later, on the grid");
	sched_done(&s, now + 300, 1);
	is_int(s.next, now + 10005, "a quick read keeps the grid");
	is_int(s.last_duration, 300, "duration measured");
	/* The timer fires 40 ms late: the grid does not drift. */
	is_int(sched_due(&s, now + 10045), SCHED_RUN, "second tick runs");
	sched_done(&s, now + 10100, 1);
	is_int(s.next, now + 20005, "late firing does not drift the grid");
}

static void
test_jitter(void)
{
	struct sched	 a, b;

	sched_init(&a, 10000, 2000, 0, 0, 12345, 0, 0);
	sched_init(&b, 10000, 2000, 0, 0, 12346, 0, 0);
	ok(a.offset >= 0 && a.offset <= 2000, "offset within jitter");
	ok(a.offset != b.offset, "different seeds spread instances");
	is_int(a.timeout, 10000, "deadline defaults to the interval");
}

static void
test_skip(void)
{
	struct sched	 s;
	msec_t		 t = 0;

	sched_init(&s, 1000, 0, 500, 60000, 1, t, 0);
	is_int(sched_due(&s, t), SCHED_RUN, "run");
	is_int(sched_late(&s, 400), 0, "not late before the deadline");
	is_int(sched_late(&s, 500), 1, "late at the deadline");
	is_int(sched_late(&s, 900), 0, "late is reported once");
	is_int(sched_due(&s, 1000), SCHED_SKIP, "due while running: skip");
	is_int(sched_due(&s, 2000), SCHED_SKIP, "and again");
	is_int(s.skipped, 2, "skips counted");
	is_int(s.late, 1, "late counted once");
	sched_done(&s, 2500, 1);
	is_int(s.next, 3005, "back on the grid after a long read");
	is_int(sched_due(&s, 3000), SCHED_RUN, "runs again");
	is_int(sched_deadline(&s), 3500, "deadline of the new read");
}

static void
test_backoff(void)
{
	struct sched	 s;
	msec_t		 t = 0;
	msec_t		 want[] = { 2000, 4000, 8000, 10000, 10000 };
	int		 i;

	sched_init(&s, 1000, 0, 0, 10000, 1, t, 0);
	sched_due(&s, t);		/* the first read, then on the grid */
	sched_done(&s, t, 1);
	for (i = 0; i < 5; i++) {
		t = s.next;
		is_int(sched_due(&s, t), SCHED_RUN, "run while failing");
		sched_done(&s, t, 0);
		is_int(s.next - t, want[i], "backoff doubles up to the cap");
	}
	is_int(s.failed, 5, "failures counted");
	is_int(s.next % 1000, 5, "backoff stays on the grid");
	t = s.next;
	sched_due(&s, t);
	sched_done(&s, t, 1);
	is_int(s.next - t, 1000, "one success resets the interval");
	is_int(s.failures, 0, "failure streak reset");
}

static void
test_align_early(void)
{
	struct sched	 s;

	/* Wall clock 12:00:07.250, interval 10 s: first read at once. */
	sched_init(&s, 10000, 0, 0, 0, 1, 500, 43207250);
	is_int(s.next, 500, "first read at once");
	is_int(sched_due(&s, 500), SCHED_RUN, "first read runs");
	/* Then the grid from :10.005, the next step on the wall clock. */
	is_int(s.next, 500 + 2755, "then the wall-aligned grid");
	sched_done(&s, 600, 1);
	/* The timer fires 1 ms early: still the due tick, next moves on. */
	is_int(sched_due(&s, 500 + 2754), SCHED_RUN, "early firing runs");
	is_int(s.next, 500 + 12755, "early firing still advances a tick");
	sched_done(&s, 500 + 2800, 1);
	is_int(s.next, 500 + 12755, "no second read in the same tick");

	/* Wall clock 12:00:09.990: the grid's first tick is 15 ms on. */
	sched_init(&s, 10000, 0, 0, 0, 1, 0, 43209990);
	sched_due(&s, 0);
	is_int(s.next, 15, "grid joined at the next aligned tick");
}

int
main(void)
{
	test_align_early();
	test_grid();
	test_jitter();
	test_skip();
	test_backoff();
	return (tap_done());
}
