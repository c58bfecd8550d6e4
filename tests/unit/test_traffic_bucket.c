/*
 * test_traffic_bucket.c - the traffic figures by the log's own time: a
 * bucket closes once the log is grace past its end, and is queued once
 * with running totals; lines for closed buckets count only as late; days,
 * months and years close at the log's local midnight; long silences are
 * left unknown; a save and load in the middle queues exactly the points
 * an uninterrupted run queues.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tstats.h"
#include "tap.h"

static struct tp_format	 comb;
static struct tp_clock	 clk;
static int64_t		 newest;

/* 2024-12-31 00:00 +0700 */
#define T0	1735578000
#define NOW	(T0 + 400 * 86400)

/* Count a combined line at T0 + secs from visitor ip. */
static enum tp_error
add(struct tstats *s, int64_t secs, const char *ip, int status)
{
	char		 line[512], stamp[64];
	struct tp_rec	 r;
	struct tm	 tm;
	time_t		 t = (time_t)(T0 + secs + 7 * 3600);
	enum tp_error	 e;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%d/%b/%Y:%H:%M:%S +0700", &tm);
	snprintf(line, sizeof(line), "%s - - [%s] \"GET / HTTP/1.1\" %d 100 "
	    "\"-\" \"Firefox\"", ip, stamp, status);
	if ((e = tp_parse(&comb, &clk, line, strlen(line), 0, &r)) != TP_OK)
		return (e);
	return (ts_add(s, &r, NOW, &newest));
}

static void
start(struct tstats *s)
{
	ts_init(s, TS_GOACCESS);
	s->seed = 42;
	newest = 0;
	if (tb_init(s, 60, 300) == -1)
		abort();
}

/* The number of queued points of a kind. */
static size_t
nout(const struct tstats *s, int kind)
{
	size_t	 i, n = 0;

	for (i = 0; i < s->b->nout; i++)
		n += s->b->out[i].kind == kind;
	return (n);
}

/* The last queued point of a kind, or NULL. */
static const struct ts_out *
lastout(const struct tstats *s, int kind)
{
	size_t	 i;

	for (i = s->b->nout; i > 0; i--) {
		if (s->b->out[i - 1].kind == kind)
			return (&s->b->out[i - 1]);
	}
	return (NULL);
}

static void
test_close(void)
{
	struct tstats		 s;
	const struct ts_out	*o;

	start(&s);
	add(&s, 10, "1.1.1.1", 200);
	add(&s, 20, "1.1.1.2", 404);
	add(&s, 70, "1.1.1.1", 200);
	is_int(s.b->nout, 0, "nothing closes within the grace");
	add(&s, 60 + 300, "1.1.1.3", 200);
	is_int(nout(&s, TS_O_BUCKET), 1,
	    "the first minute closes 5 min after its end");
	o = lastout(&s, TS_O_BUCKET);
	ok(o != NULL && o->when == T0 + 60 && o->v[TS_F_HITS] == 2 &&
	    o->v[TS_F_S4] == 1 && o->v[TS_F_BYTES] == 200,
	    "... stamped at its end, with its hits, 4xx and bytes");
	add(&s, 30, "1.1.1.9", 200);
	ok(s.tot.hits == 4, "a line for the closed minute is not a hit");
	add(&s, 100, "1.1.1.9", 200);
	add(&s, 3 * 60 + 300, "1.1.1.3", 200);
	o = lastout(&s, TS_O_BUCKET);
	ok(o != NULL && o->when == T0 + 180 && o->v[TS_F_HITS] == 4 &&
	    o->v[TS_F_LATE] == 1, "running totals: 4 hits, 1 late line");
	is_int(nout(&s, TS_O_BUCKET), 3,
	    "the empty third minute is queued too");
	ts_free(&s);
}

static void
test_calendar(void)
{
	struct tstats		 s;
	const struct ts_out	*o;

	start(&s);
	/* 31 December +0700: two visitors, one 4xx-only client */
	add(&s, 3600, "1.1.1.1", 200);
	add(&s, 7200, "1.1.1.2", 200);
	add(&s, 7300, "1.1.1.1", 200);
	add(&s, 7400, "1.1.1.3", 404);
	add(&s, 86400 + 100, "1.1.1.4", 200);	/* 1 January */
	is_int(nout(&s, TS_O_DAY), 0,
	    "the day is open until the grace is over");
	add(&s, 86400 + 400, "1.1.1.4", 200);
	o = lastout(&s, TS_O_DAY);
	ok(o != NULL && o->when == 1735689600 && o->v[0] == 2 && o->v[1] == 4,
	    "31 December closed at the log's midnight: 2 visitors, 4 hits, "
	    "stamped 2025-01-01 00:00 UTC");
	o = lastout(&s, TS_O_YEAR);
	ok(o != NULL && o->when == 1735689600 && o->v[0] == 2,
	    "2024 closed: 2 visitors by log date");
	o = lastout(&s, TS_O_MONTH);
	ok(o != NULL && o->v[0] == 2, "December 2024 closed: 2 visitors");
	ok(add(&s, 7500, "1.1.1.5", 200) == TP_OK && ts_unique(&s, TS_YEAR) ==
	    1 && lastout(&s, TS_O_YEAR)->v[0] == 2,
	    "a late line of 2024 changes nothing stored");
	tb_close(&s, T0 + 3 * 86400);
	is_int(nout(&s, TS_O_DAY), 3, "closing by the clock: quiet days are "
	    "queued as zeros");
	o = lastout(&s, TS_O_DAY);
	ok(o != NULL && o->v[0] == 0 && o->v[1] == 0, "... of 0");
	ts_free(&s);
}

static void
test_gap(void)
{
	struct tstats		 s;
	const struct ts_out	*o;
	size_t			 n;

	start(&s);
	add(&s, 0, "1.1.1.1", 200);
	add(&s, 30 * 86400, "1.1.1.1", 200);
	add(&s, 30 * 86400 + 400, "1.1.1.1", 200);
	n = nout(&s, TS_O_BUCKET);
	ok(n == 1 + TS_FILL + 2, "a month of silence: a day of zeros, then "
	    "left unknown (%zu points)", n);
	o = &s.b->out[s.b->nout - 1];
	while (o->kind != TS_O_BUCKET)
		o--;
	ok(o[-1].when == T0 + 30 * 86400 && o->when == T0 + 30 * 86400 +
	    60 && o->v[TS_F_HITS] == 2 && o[-1].v[TS_F_HITS] == 1,
	    "after the silence: the old total at the bucket's start, then it");
	ok(add(&s, 500 * 86400, "1.1.1.1", 200) == TP_OK &&
	    s.b->run[TS_F_LATE] + s.b->ring[(s.b->sub / 60) & (TS_RING - 1)]
	    [TS_F_LATE] == 1, "a line dated past tomorrow is late");
	ts_free(&s);
}

/* Feed minutes first..last of a fixed pattern; append points to *pts. */
static void
feed(struct tstats *s, int first, int last, struct ts_out *pts, size_t *n)
{
	char	 ip[32];
	int	 m;

	for (m = first; m < last; m++) {
		snprintf(ip, sizeof(ip), "10.0.%d.%d", m / 200, m % 200);
		add(s, (int64_t)m * 47, ip, m % 11 == 0 ? 404 : 200);
	}
	memcpy(pts + *n, s->b->out, s->b->nout * sizeof(*pts));
	*n += s->b->nout;
	s->b->nout = 0;
}

static void
test_restart(void)
{
	struct tstats	 a, b;
	struct ts_out	*one, *two, *scratch;
	size_t		 n1 = 0, n2 = 0, nscratch = 0;
	char		*buf = NULL, *line = NULL;
	size_t		 len = 0, cap = 0;
	char		 dir[] = "/tmp/test_traffic_bucket.XXXXXX";
	FILE		*f;
	int		 bad = 0;

	one = calloc(20000, sizeof(*one));
	two = calloc(20000, sizeof(*two));
	scratch = calloc(20000, sizeof(*scratch));
	start(&a);
	feed(&a, 0, 6000, one, &n1);

	start(&b);
	feed(&b, 0, 2500, two, &n2);
	if (mkdtemp(dir) == NULL)
		abort();
	ok(ts_flush_sets(&b, dir) == 0, "visitor sets flushed");
	f = open_memstream(&buf, &len);
	ts_save(&b, f);
	fclose(f);
	/* a crash after the next flush, before its state file was renamed */
	feed(&b, 2500, 3500, scratch, &nscratch);
	ok(ts_flush_sets(&b, dir) == 0, "later keys flushed, state not saved");
	ts_free(&b);
	start(&b);
	f = fmemopen(buf, len, "r");
	while (getline(&line, &cap, f) != -1) {
		line[strcspn(line, "\n")] = '\0';
		bad |= ts_load_line(&b, line) != 1;
	}
	fclose(f);
	ok(!bad && ts_load_sets(&b, dir) == 0, "every saved line loads back");
	ts_free(&a);
	memset(&a, 0, sizeof(a));
	ts_forget_closed(&a, dir);	/* no period open: deletes them all */
	ok(rmdir(dir) == 0, "temp dir removed");
	newest = b.newest;
	feed(&b, 2500, 6000, two, &n2);
	ok(n1 == n2 && n1 > 100 && memcmp(one, two, n1 * sizeof(*one)) == 0,
	    "save and load midway, after a crash between the sets' flush and "
	    "the state's rename: the same %zu points, none twice, none "
	    "skipped", n1);
	ts_free(&b);
	free(one);
	free(two);
	free(scratch);
	free(buf);
	free(line);
}

int
main(void)
{
	char	 err[64];

	tp_format_compile(&comb, "combined", err, sizeof(err));
	test_close();
	test_calendar();
	test_gap();
	test_restart();
	return (tap_done());
}
