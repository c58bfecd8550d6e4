/*
 * test_store.c - the store against real RRD files in a temporary directory,
 * and against a real rrdcached when /usr/bin/rrdcached (or $RRDCACHED) is
 * there.  Completions are awaited by running the loop, bounded in time.
 * With TALLY_STORE_BENCH set, also prints throughput figures as comments.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <rrd.h>

#include "tap.h"

#include "clock.h"
#include "retention.h"
#include "log.h"
#include "stats.h"
#include "store.h"

#define BIG_DELAY	60000	/* ms: the writer holds values this long */
#define RRDCACHED_TESTS	23	/* assertions in test_rrdcached */
#define KILLED_TESTS	9	/* in test_rrdcached_killed */

static struct event_base	*base;
static pthread_t		 main_thread;
static char			 tmpdir[] = "/tmp/test_store.XXXXXX";
static uint64_t			 snap[STAT__MAX];

static struct retention_rra	 rra_sec[] = { { "AVERAGE", 0.5, 1, 2000 } };
static struct retention		 ret_sec = {
	.step = 1, .heartbeat = 10, .rra = rra_sec, .nrra = 1
};
static struct retention_rra	 rra_sec2[] = { { "MAX", 0.5, 1, 50 } };
static struct retention		 ret_sec2 = {
	.step = 2, .heartbeat = 10, .rra = rra_sec2, .nrra = 1
};
static struct retention_rra	 rra_day[] = {
	{ "LAST", 0.5, 1, 4000 }, { "AVERAGE", 0.5, 30, 200 }
};
static struct retention		 ret_day = {
	.step = 86400, .heartbeat = 400 * 86400, .rra = rra_day, .nrra = 2
};

struct waiter {
	int	called;
	int	error;
	int	on_loop;
	char	why[256];
};

static void
mark(void)
{
	int	 i;

	for (i = 0; i < STAT__MAX; i++)
		snap[i] = stats_get(i);
}

static long long
delta(enum stat_id id)
{
	return ((long long)(stats_get(id) - snap[id]));
}

static void
flush_done(void *arg, int error, const char *why)
{
	struct waiter	*w = arg;

	if (why != NULL)
		snprintf(w->why, sizeof(w->why), "%s", why);
	w->called++;
	w->error = error;
	w->on_loop = pthread_equal(pthread_self(), main_thread);
}

/* Runs the loop until w is called or ms pass; returns w->called. */
static int
run_until(struct waiter *w, int ms)
{
	struct timeval	 tv = { 0, 10000 };
	msec_t		 end = clock_mono() + ms;

	while ((w == NULL || !w->called) && clock_mono() < end) {
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return (w == NULL ? 0 : w->called);
}

/* store_flush and wait: the callback's error, or -2 if never called. */
static int
flush(struct store *s, struct store_file *f, struct waiter *w)
{
	struct waiter	 own;

	if (w == NULL)
		w = &own;
	memset(w, 0, sizeof(*w));
	store_flush(s, f, flush_done, w);
	if (!run_until(w, 8000))
		return (-2);
	return (w->error);
}

static long long
info_num(const char *path, const char *key)
{
	rrd_info_t	*info, *i;
	long long	 n = -1;

	rrd_clear_error();
	if ((info = rrd_info_r(path)) == NULL)
		return (-1);
	for (i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, key) == 0 && i->type == RD_I_CNT)
			n = i->value.u_cnt;
	}
	rrd_info_free(info);
	return (n);
}

static const char *
info_str(const char *path, const char *key)
{
	static char	 buf[64];
	rrd_info_t	*info, *i;

	snprintf(buf, sizeof(buf), "(none)");
	rrd_clear_error();
	if ((info = rrd_info_r(path)) == NULL)
		return ("(no file)");
	for (i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, key) == 0 && i->type == RD_I_STR)
			snprintf(buf, sizeof(buf), "%s", i->value.u_str);
	}
	rrd_info_free(info);
	return (buf);
}

/* The consolidated value of the row ending at t. */
static double
fetch_at(const char *path, const char *cf, time_t t, unsigned long step)
{
	time_t		 start = t - step, end = t;
	unsigned long	 st = step, nds = 0, i, row;
	char		**names = NULL;
	rrd_value_t	*data = NULL;
	double		 v = -12345;

	rrd_clear_error();
	if (rrd_fetch_r(path, cf, &start, &end, &st, &nds, &names,
	    &data) != 0) {
		printf("# fetch %s: %s\n", path, rrd_get_error());
		return (v);
	}
	row = (t - start) / st - 1;
	if (st == step && nds == 1 && start + (time_t)((row + 1) * st) == t)
		v = data[row];
	for (i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return (v);
}

static time_t
last_of(const char *path)
{
	rrd_clear_error();
	return (rrd_last_r(path));
}

static char *
path_of(const char *name)
{
	static char	 buf[8][512];
	static int	 n;

	n = (n + 1) % 8;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", tmpdir, name);
	return (buf[n]);
}

static struct store *
new_store(const char *rrdcached, unsigned long qmax, unsigned long delay,
    int start)
{
	struct store_opts	 o = { .rrdcached = rrdcached, .queue_max = qmax,
	    .write_delay = delay };
	struct store		*s;

	if ((s = store_new(base, &o)) != NULL && start && store_start(s) != 0)
		fatalx("store_start failed");
	return (s);
}

/* Gauge values come back exactly; the file has the retention's layout. */
static void
test_basic(time_t T)
{
	struct store		*s = new_store(NULL, 100000, BIG_DELAY, 1);
	struct store_file	*f;
	struct waiter		 w;
	const char		*p = path_of("a/b/gauge.rrd");
	double			 v[] = { 1.5, 19.99, 12.345, NAN, -7, 0.1,
	    123456.789, -0.001, 4.2e-9, 1e10 / 3 };
	int			 i;

	f = store_file_get(s, p, TALLY_GAUGE, &ret_sec);
	is_str(store_file_path(f), p, "store_file_path");
	ok(store_file_get(s, p, TALLY_COUNTER, &ret_day) == f,
	    "store_file_get returns the same record");
	mark();
	for (i = 0; i < 10; i++)
		store_put(s, f, T + i, v[i]);
	is_int(flush(s, f, &w), 0, "flush of a new file succeeds");
	ok(w.called == 1 && w.on_loop, "flush completion ran once, on loop");
	is_int(delta(STAT_FILES_CREATED), 1, "file created");
	is_int(delta(STAT_STORE_UPDATES), 1, "one update for ten values");
	is_int(delta(STAT_VALUES_WRITTEN), 10, "ten values written");
	is_int(info_num(p, "step"), 1, "step from the retention");
	is_str(info_str(p, "ds[value].type"), "GAUGE", "DS type GAUGE");
	is_int(info_num(p, "ds[value].minimal_heartbeat"), 10, "heartbeat");
	is_str(info_str(p, "rra[0].cf"), "AVERAGE", "RRA cf");
	is_int(info_num(p, "rra[0].rows"), 2000, "RRA rows");
	is_int(info_num(p, "rra[0].pdp_per_row"), 1, "RRA steps");
	is_str(info_str(p, "rra[1].cf"), "(none)", "only one RRA");
	is_int(last_of(p), T + 9, "last update is the last value");
	for (i = 0; i < 9; i++) {
		double	 got = fetch_at(p, "AVERAGE", T + i, 1);

		ok(isnan(v[i]) ? isnan(got) : got == v[i],
		    "value %d reads back exactly (%.17g)", i, got);
	}
	/* 17 significant digits: librrd's own strtod is off by an ulp. */
	ok(fabs(fetch_at(p, "AVERAGE", T + 9, 1) - v[9]) <= 4 * v[9] * 1e-16,
	    "1e10/3 reads back within a few ulps");
	store_free(s);
}

/*
 * A rewrite replaces the whole history (a past year corrected): the file is
 * rebuilt with exactly the new points; values put before the rewrite are
 * superseded, values put after it land on top.
 */
static void
test_rewrite(time_t T)
{
	struct store		*s = new_store(NULL, 100000, BIG_DELAY, 1);
	struct store_file	*f;
	const char		*p = path_of("rw/hist.rrd");
	time_t			 when[] = { T, T + 1, T + 2, T + 3 };
	double			 v1[] = { 10, 11, 12, 13 };
	double			 v2[] = { 10, 99, 12, 13 };
	struct waiter		 w;

	f = store_file_get(s, p, TALLY_GAUGE, &ret_sec);
	store_rewrite(s, f, 4, when, v1, flush_done, &w);
	memset(&w, 0, sizeof(w));
	ok(run_until(&w, 8000) && w.error == 0, "first rewrite creates the file");
	ok(fetch_at(p, "AVERAGE", T + 1, 1) == 11, "first history stored");
	store_put(s, f, T + 4, 555);		/* newer than it: kept */
	memset(&w, 0, sizeof(w));
	mark();
	store_rewrite(s, f, 4, when, v2, flush_done, &w);
	store_put(s, f, T + 5, 14);		/* after: lands on top */
	ok(run_until(&w, 8000) && w.error == 0, "second rewrite succeeds");
	is_int(flush(s, f, NULL), 0, "flush after the rewrite");
	ok(fetch_at(p, "AVERAGE", T + 1, 1) == 99, "corrected point stored");
	ok(fetch_at(p, "AVERAGE", T + 2, 1) == 12, "other points kept");
	ok(fetch_at(p, "AVERAGE", T, 1) == 10, "first point kept");
	ok(fetch_at(p, "AVERAGE", T + 5, 1) == 14, "value put after it lands");
	ok(fetch_at(p, "AVERAGE", T + 4, 1) == 555,
	    "value put before it but newer than its last point is kept");
	is_int(delta(STAT_VALUES_STALE), 0, "nothing superseded");
	ok(access(path_of("rw/hist.rrd.rewrite"), F_OK) == -1,
	    "no file left aside");
	store_free(s);
}

/*
 * A write that fails keeps its values: FLUSH says why, and once the cause
 * is gone the retry writes them (here the file's directory is blocked by
 * a plain file, then unblocked).
 */
static void
test_failure_keeps(time_t T)
{
	struct store		*s = new_store(NULL, 100000, BIG_DELAY, 1);
	struct store_file	*f;
	const char		*dir = path_of("blocked");
	const char		*p = path_of("blocked/x.rrd");
	struct waiter		 w;
	FILE			*fp;

	if ((fp = fopen(dir, "w")) != NULL)
		fclose(fp);
	f = store_file_get(s, p, TALLY_GAUGE, &ret_sec);
	store_put(s, f, T, 1);
	store_put(s, f, T + 1, 2);
	memset(&w, 0, sizeof(w));
	is_int(flush(s, f, &w), -1, "FLUSH fails while the file cannot be "
	    "made");
	ok(strstr(w.why, "blocked") != NULL, "and says why: %s", w.why);
	unlink(dir);
	memset(&w, 0, sizeof(w));
	is_int(flush(s, f, &w), 0, "FLUSH succeeds once the cause is gone");
	ok(fetch_at(p, "AVERAGE", T + 1, 1) == 2, "the values kept are "
	    "written");
	store_free(s);
}

/* Stale, repeated and unordered times in one batch. */
static void
test_stale(time_t T)
{
	struct store		*s = new_store(NULL, 100000, BIG_DELAY, 1);
	struct store_file	*f;
	const char		*p = path_of("a/b/gauge.rrd");

	f = store_file_get(s, p, TALLY_GAUGE, &ret_sec);
	mark();
	store_put(s, f, T + 9, 55);	/* = last update: stale */
	store_put(s, f, T + 2, 22);	/* older: stale */
	store_put(s, f, T + 11, 7);
	store_put(s, f, T + 11, 70);	/* repeated: the first one wins */
	store_put(s, f, T + 10, 6);	/* out of order: sorted in */
	store_put(s, f, T + 13, 9);
	is_int(flush(s, f, NULL), 0, "flush with stale values succeeds");
	is_int(delta(STAT_VALUES_STALE), 3, "three stale values counted");
	is_int(delta(STAT_VALUES_WRITTEN), 3, "three values written");
	is_int(delta(STAT_STORE_UPDATES), 1, "in one update");
	is_int(delta(STAT_STORE_ERRORS), 0, "no store error");
	is_int(last_of(p), T + 13, "last update moved on");
	ok(fetch_at(p, "AVERAGE", T + 10, 1) == 6 &&
	    fetch_at(p, "AVERAGE", T + 11, 1) == 7 &&
	    fetch_at(p, "AVERAGE", T + 13, 1) == 9, "sorted values read back");
	ok(fetch_at(p, "AVERAGE", T + 1, 1) == 19.99 &&
	    fetch_at(p, "AVERAGE", T + 5, 1) == 0.1, "older values intact");
	store_free(s);
}

/* A new store on an existing file: last update and layout from the file. */
static void
test_existing(time_t T)
{
	struct store		*s = new_store(NULL, 100000, 0, 1);
	struct store_file	*f;
	const char		*p = path_of("a/b/gauge.rrd");

	f = store_file_get(s, p, TALLY_GAUGE, &ret_sec2);
	mark();
	store_put(s, f, T + 13, 99);
	store_put(s, f, T + 3, 33);
	store_put(s, f, T + 14, 10);
	is_int(flush(s, f, NULL), 0, "flush on an existing file");
	is_int(delta(STAT_VALUES_STALE), 2, "last update read from the file");
	is_int(delta(STAT_FILES_CREATED), 0, "existing file not created");
	is_int(info_num(p, "step"), 1, "other layout: the file is kept");
	ok(fetch_at(p, "AVERAGE", T + 14, 1) == 10, "new value written");
	store_free(s);
}

/* COUNTER and DERIVE files; a NULL flush writes both in two updates. */
static void
test_kinds(time_t T)
{
	struct store		*s = new_store(NULL, 100000, BIG_DELAY, 1);
	struct store_file	*c, *d;
	const char		*pc = path_of("counter.rrd");
	const char		*pd = path_of("derive.rrd");
	int			 i;

	c = store_file_get(s, pc, TALLY_COUNTER, &ret_sec);
	d = store_file_get(s, pd, TALLY_DERIVE, &ret_sec);
	mark();
	for (i = 0; i < 4; i++)
		store_put(s, c, T + i, 1e12 + 10 * i * (i + 1) / 2);
	store_put(s, d, T, 100);
	store_put(s, d, T + 1, 90);
	store_put(s, d, T + 2, 95);
	is_int(flush(s, NULL, NULL), 0, "flush all");
	is_int(delta(STAT_STORE_UPDATES), 2, "two files, two updates");
	is_str(info_str(pc, "ds[value].type"), "COUNTER", "DS type COUNTER");
	is_str(info_str(pd, "ds[value].type"), "DERIVE", "DS type DERIVE");
	ok(fetch_at(pc, "AVERAGE", T + 1, 1) == 10 &&
	    fetch_at(pc, "AVERAGE", T + 2, 1) == 20 &&
	    fetch_at(pc, "AVERAGE", T + 3, 1) == 30, "counter rates");
	ok(fetch_at(pd, "AVERAGE", T + 1, 1) == -10 &&
	    fetch_at(pd, "AVERAGE", T + 2, 1) == 5, "derive rates");
	store_free(s);
}

/* Yearly points from ten years ago all land in a daily file. */
static void
test_backfill(void)
{
	struct store		*s = new_store(NULL, 100000, 0, 1);
	struct store_file	*f;
	const char		*p = path_of("history/yearly.rrd");
	time_t			 t0;
	int			 i;

	t0 = (time(NULL) - 3650L * 86400) / 86400 * 86400;
	f = store_file_get(s, p, TALLY_GAUGE, &ret_day);
	mark();
	for (i = 0; i <= 10; i++)
		store_put(s, f, t0 + i * 365L * 86400, 1000 + i);
	is_int(flush(s, f, NULL), 0, "backfill flush");
	is_int(delta(STAT_VALUES_WRITTEN), 11, "eleven yearly values");
	is_int(info_num(p, "step"), 86400, "daily step");
	ok(fetch_at(p, "LAST", t0, 86400) == 1000, "ten years ago landed");
	ok(fetch_at(p, "LAST", t0 + 5 * 365L * 86400, 86400) == 1005,
	    "five years ago landed");
	store_free(s);
}

/* write_delay holds values; flushes write one file or all; stop writes. */
static void
test_delay(time_t T)
{
	struct store		*s = new_store(NULL, 100000, BIG_DELAY, 1);
	struct store_file	*f[3];
	char			 name[32];
	int			 i, j;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "delay/%d.rrd", i);
		f[i] = store_file_get(s, path_of(name), TALLY_GAUGE, &ret_sec);
	}
	mark();
	for (j = 0; j < 50; j++)
		for (i = 0; i < 3; i++)
			store_put(s, f[i], T + j, j);
	run_until(NULL, 150);
	is_int(delta(STAT_STORE_UPDATES), 0, "write_delay holds values");
	is_int(stats_get(STAT_QUEUE_DEPTH), 150, "queue depth counts them");
	is_int(flush(s, NULL, NULL), 0, "flush all");
	is_int(delta(STAT_STORE_UPDATES), 3, "150 values, 3 files: 3 updates");
	is_int(delta(STAT_VALUES_WRITTEN), 150, "150 values written");
	is_int(stats_get(STAT_QUEUE_DEPTH), 0, "queue depth back to 0");
	mark();
	for (j = 50; j < 60; j++) {
		store_put(s, f[0], T + j, j);
		store_put(s, f[1], T + j, j);
	}
	is_int(flush(s, f[0], NULL), 0, "flush one file");
	is_int(delta(STAT_STORE_UPDATES), 1, "only that file written");
	is_int(last_of(store_file_path(f[1])), T + 49, "other file waits");
	is_int(stats_get(STAT_QUEUE_DEPTH), 10, "its values still queued");
	store_stop(s);
	is_int(last_of(store_file_path(f[1])), T + 59, "store_stop wrote it");
	is_int(delta(STAT_VALUES_WRITTEN), 20, "all 20 written");
	ok(store_put(s, f[1], T + 60, 1) == -1, "put after stop refused");
	is_int(flush(s, f[1], NULL), -1, "flush after stop fails on the loop");
	store_free(s);
}

/*
 * A flush of a quiet file (nothing queued since a flush of it answered)
 * is answered without the writer; any value or rewrite since ends the
 * quiet, so a flush never answers before what was put is in the file.
 */
static void
test_quiet(time_t T)
{
	struct store		*s = new_store(NULL, 100000, BIG_DELAY, 1);
	struct store_file	*f, *g;
	struct waiter		 w;
	time_t			 when[2] = { T + 1, T + 2 };
	double			 v[2] = { 7, 8 };
	int			 i;

	f = store_file_get(s, path_of("quiet/f.rrd"), TALLY_GAUGE, &ret_sec);
	g = store_file_get(s, path_of("quiet/g.rrd"), TALLY_GAUGE, &ret_sec);
	store_put(s, f, T, 1);
	is_int(flush(s, f, NULL), 0, "first flush goes to the writer");
	is_int(last_of(store_file_path(f)), T, "and writes");
	memset(&w, 0, sizeof(w));
	store_flush(s, f, flush_done, &w);
	ok(w.called == 0, "a quiet flush is not answered inside the call");
	run_until(&w, 8000);
	ok(w.called == 1 && w.error == 0 && w.on_loop, "but on the loop, "
	    "without error");
	for (i = 0; i < 3; i++)
		is_int(flush(s, f, NULL), 0, "quiet flush again");
	store_put(s, g, T, 5);
	is_int(flush(s, f, NULL), 0, "another file's value leaves f quiet");
	is_int(last_of(store_file_path(g)), -1, "and g waits (write_delay)");
	store_put(s, f, T + 3, 3);
	is_int(flush(s, f, NULL), 0, "a value ends the quiet");
	is_int(last_of(store_file_path(f)), T + 3, "it is in the file");
	is_int(flush(s, f, NULL), 0, "quiet again");
	store_rewrite(s, f, 2, when, v, NULL, NULL);
	is_int(flush(s, f, NULL), 0, "a rewrite ends the quiet");
	is_int(last_of(store_file_path(f)), T + 2, "the rewrite is in place");
	store_put(s, f, T + 4, 4);
	is_int(flush(s, NULL, NULL), 0, "a flush of all");
	store_put(s, f, T + 5, 5);
	is_int(flush(s, f, NULL), 0, "then a value and a flush of f");
	is_int(last_of(store_file_path(f)), T + 5, "it is in the file");
	store_stop(s);
	is_int(flush(s, f, NULL), -1, "after stop even a quiet file fails");
	store_free(s);
}

/* write_delay 0: a value is written without any flush. */
static void
test_nodelay(time_t T)
{
	struct store		*s = new_store(NULL, 1000, 0, 1);
	struct store_file	*f;
	msec_t			 end;

	f = store_file_get(s, path_of("nodelay.rrd"), TALLY_GAUGE, &ret_sec);
	mark();
	store_put(s, f, T, 42);
	for (end = clock_mono() + 5000; delta(STAT_VALUES_WRITTEN) < 1 &&
	    clock_mono() < end;)
		run_until(NULL, 10);
	is_int(delta(STAT_VALUES_WRITTEN), 1, "written without a flush");
	ok(fetch_at(store_file_path(f), "AVERAGE", T, 1) == 42, "and in");
	store_free(s);
}

/* queue_max: with the writer not running, the 11th value is refused. */
static void
test_queue_max(time_t T)
{
	struct store		*s = new_store(NULL, 10, 0, 0);
	struct store_file	*f;
	int			 i, refused = 0;

	f = store_file_get(s, path_of("qmax.rrd"), TALLY_GAUGE, &ret_sec);
	mark();
	for (i = 0; i < 20; i++)
		if (store_put(s, f, T + i, i) == -1)
			refused++;
	is_int(refused, 10, "10 of 20 refused");
	is_int(delta(STAT_VALUES_DROPPED), 10, "10 counted as dropped");
	is_int(stats_get(STAT_QUEUE_DEPTH), 10, "queue depth at queue_max");
	store_start(s);
	is_int(flush(s, NULL, NULL), 0, "flush after start");
	is_int(delta(STAT_VALUES_WRITTEN), 10, "the 10 queued are written");
	is_int(last_of(store_file_path(f)), T + 9, "the oldest were kept");
	is_int(store_put(s, f, T + 30, 1), 0, "room again after writing");
	store_free(s);
}

/* Unreachable rrdcached: values kept and retried, the writer lives on. */
static void
test_rrdcached_down(time_t T)
{
	struct store		*s;
	struct store_file	*f;

	ok(new_store("host:1:2", 10, 0, 0) == NULL, "bad address refused");
	s = new_store("unix:/nonexistent/tally.sock", 100, 0, 1);
	f = store_file_get(s, path_of("down.rrd"), TALLY_GAUGE, &ret_sec);
	mark();
	store_put(s, f, T, 1);
	store_put(s, f, T + 1, 2);
	is_int(flush(s, f, NULL), -1, "flush fails without rrdcached");
	is_int(delta(STAT_STORE_ERRORS), 2, "two values failed, counted");
	is_int(stats_get(STAT_QUEUE_DEPTH), 2, "and kept, not dropped");
	store_put(s, f, T + 2, 3);
	is_int(flush(s, NULL, NULL), -1, "writer alive: the flush of all "
	    "is answered, failed");
	is_int(stats_get(STAT_QUEUE_DEPTH), 3, "all three kept");
	store_free(s);
}

static const char *
rrdcached_bin(void)
{
	const char	*env = getenv("RRDCACHED");

	if (env != NULL && *env == '/' && access(env, X_OK) == 0)
		return (env);
	if (access("/usr/bin/rrdcached", X_OK) == 0)
		return ("/usr/bin/rrdcached");
	if (access("/usr/sbin/rrdcached", X_OK) == 0)
		return ("/usr/sbin/rrdcached");
	return (NULL);
}

/* Starts rrdcached in the foreground and waits until it listens. */
static pid_t
rrdcached_spawn(const char *bin)
{
	struct sockaddr_un	 sun;
	char			 listen[300], pidf[300], dir[300];
	pid_t			 pid;
	msec_t			 end;
	int			 fd, up = 0, null;

	snprintf(listen, sizeof(listen), "unix:%s/rrdcached.sock", tmpdir);
	snprintf(pidf, sizeof(pidf), "%s/rrdcached.pid", tmpdir);
	snprintf(dir, sizeof(dir), "%s/cached", tmpdir);
	mkdir(dir, 0755);
	if ((pid = fork()) == 0) {
		if ((null = open("/dev/null", O_RDWR)) != -1) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execl(bin, "rrdcached", "-g", "-l", listen, "-p", pidf,
		    "-b", dir, "-F", (char *)NULL);
		_exit(127);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(listen + 5) >= sizeof(sun.sun_path))
		fatalx("socket path too long");
	memcpy(sun.sun_path, listen + 5, strlen(listen + 5) + 1);
	for (end = clock_mono() + 5000; !up && clock_mono() < end;) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		up = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
		close(fd);
		if (!up)
			usleep(10000);
	}
	if (!up) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return (-1);
	}
	return (pid);
}

static int
rrdcached_kill(pid_t pid)
{
	int	 status;

	if (pid <= 0)
		return (0);
	kill(pid, SIGTERM);
	return (waitpid(pid, &status, 0) == pid);
}

/* Create, update and flush through a real rrdcached; returns a store. */
static struct store *
test_rrdcached(pid_t pid, time_t T)
{
	struct store		*s;
	struct store_file	*f;
	char			 addr[300];
	const char		*p = path_of("cached/x/y/g.rrd");
	msec_t			 end;
	int			 i;

	ok(pid > 0, "rrdcached started");
	snprintf(addr, sizeof(addr), "unix:%s/rrdcached.sock", tmpdir);
	s = new_store(addr, 64, BIG_DELAY, 1);	/* written at 32 queued */
	f = store_file_get(s, p, TALLY_GAUGE, &ret_sec);
	mark();
	for (i = 0; i < 30; i++)
		store_put(s, f, T + i, i * 1.5);
	is_int(flush(s, f, NULL), 0, "flush through rrdcached");
	is_int(delta(STAT_FILES_CREATED), 1, "created by CREATE");
	is_int(delta(STAT_STORE_UPDATES), 1, "one UPDATE line");
	is_int(delta(STAT_VALUES_WRITTEN), 30, "30 values handed over");
	is_int(info_num(p, "step"), 1, "its step");
	is_int(last_of(p), T + 29, "FLUSH put them in the file");
	ok(fetch_at(p, "AVERAGE", T, 1) == 0 &&
	    fetch_at(p, "AVERAGE", T + 29, 1) == 29 * 1.5, "values read back");

	mark();
	for (i = 30; i < 62; i++)
		store_put(s, f, T + i, i);
	for (end = clock_mono() + 5000; delta(STAT_VALUES_WRITTEN) < 32 &&
	    clock_mono() < end;)
		run_until(NULL, 10);
	is_int(delta(STAT_VALUES_WRITTEN), 32, "half of queue_max: sent");
	is_int(last_of(p), T + 29, "rrdcached holds them");
	is_int(flush(s, NULL, NULL), 0, "flush all through rrdcached");
	is_int(last_of(p), T + 61, "now in the file");
	for (i = 62; i < 67; i++)
		store_put(s, f, T + i, i);
	store_free(s);	/* hands them over, unflushed */

	s = new_store(addr, 100000, 0, 1);
	f = store_file_get(s, p, TALLY_GAUGE, &ret_sec);
	mark();
	store_put(s, f, T + 66, 1);
	store_put(s, f, T + 67, 67);
	is_int(flush(s, f, NULL), 0, "flush from a new store");
	is_int(delta(STAT_VALUES_STALE), 1, "its last update came via FLUSH");
	is_int(last_of(p), T + 67, "and the new value is in");
	return (s);
}

/* rrdcached goes away and comes back: values lost meanwhile are counted. */
static void
test_rrdcached_restart(const char *bin, time_t T, struct store *s, pid_t pid)
{
	struct store_file	*f;
	const char		*p = path_of("cached/x/y/g.rrd");
	msec_t			 end;
	int			 i, r, n0 = 0;

	f = store_file_get(s, p, TALLY_GAUGE, &ret_sec);
	ok(rrdcached_kill(pid), "rrdcached stopped");
	mark();
	for (i = 68; i < 71; i++)
		store_put(s, f, T + i, i);
	is_int(flush(s, f, NULL), -1, "flush fails while it is down");
	ok(delta(STAT_STORE_ERRORS) >= 3, "three values failed, counted");
	ok((pid = rrdcached_spawn(bin)) > 0, "rrdcached started again");
	for (r = -1, i = 80, end = clock_mono() + 5000;
	    r != 0 && clock_mono() < end; i++) {
		store_put(s, f, T + i, i);
		if ((r = flush(s, f, NULL)) != 0)
			run_until(NULL, 100);
		n0 = i;
	}
	is_int(r, 0, "reconnected after the backoff");
	is_int(last_of(p), T + n0, "values reach the file again");
	ok(fetch_at(p, "AVERAGE", T + 68, 1) == 68 &&
	    fetch_at(p, "AVERAGE", T + 70, 1) == 70, "the values put while it "
	    "was down were kept and written");
	store_free(s);
	ok(pid > 0 && rrdcached_kill(pid), "rrdcached stopped at the end");
}

/*
 * rrdcached is killed -9 (and started again) while it holds values we sent
 * but it never wrote: the first flush that succeeds afterwards must mean
 * they are in the file.  The new connection is a new rrdcached that lost
 * them: they must be sent again before anything newer (which would make
 * them stale) and before any FLUSH is taken as covering them.
 */
static void
test_rrdcached_killed(const char *bin, time_t T)
{
	struct store		*s;
	struct store_file	*fa, *fb, *fc;
	char			 addr[300], path[300];
	const char		*pa = path_of("cached/k/a.rrd");
	const char		*pb = path_of("cached/k/b.rrd");
	const char		*pc = path_of("cached/k/c.rrd");
	msec_t			 end;
	pid_t			 pid;
	int			 i, r, status, lost = 0;

	ok((pid = rrdcached_spawn(bin)) > 0, "rrdcached started (kill test)");
	snprintf(addr, sizeof(addr), "unix:%s/rrdcached.sock", tmpdir);
	s = new_store(addr, 100000, 0, 1);
	fa = store_file_get(s, pa, TALLY_GAUGE, &ret_sec);
	fb = store_file_get(s, pb, TALLY_GAUGE, &ret_sec);
	fc = store_file_get(s, pc, TALLY_GAUGE, &ret_sec);
	mark();
	for (i = 0; i < 10; i++) {
		store_put(s, fa, T + i, 2 * i + 1);
		store_put(s, fc, T + i, 3 * i);	/* c: nothing after */
	}
	store_put(s, fb, T, 1);
	is_int(flush(s, fb, NULL), 0, "flush of the other file");
	for (end = clock_mono() + 5000; delta(STAT_VALUES_WRITTEN) < 21 &&
	    clock_mono() < end;)
		run_until(NULL, 10);
	is_int(delta(STAT_VALUES_WRITTEN), 21, "all sent to rrdcached");
	ok(last_of(pa) < T + 9 && last_of(pc) < T + 9, "rrdcached holds the "
	    "values of a and c, unwritten");

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	snprintf(path, sizeof(path), "%s/rrdcached.sock", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/rrdcached.pid", tmpdir);
	unlink(path);
	ok((pid = rrdcached_spawn(bin)) > 0, "rrdcached killed -9, started "
	    "again");
	store_put(s, fa, T + 10, 100);
	for (r = -1, end = clock_mono() + 8000; r != 0 && clock_mono() < end;)
		if ((r = flush(s, NULL, NULL)) != 0)
			run_until(NULL, 100);
	is_int(r, 0, "a flush of all succeeds again");
	for (i = 0; i < 10; i++) {
		if (fetch_at(pa, "AVERAGE", T + i, 1) != 2 * i + 1)
			lost++;
		if (fetch_at(pc, "AVERAGE", T + i, 1) != 3 * i)
			lost++;
	}
	is_int(lost, 0, "the values the killed rrdcached held are in the "
	    "file once a flush of all answered");
	is_int(last_of(pa), T + 10, "and the newer one after them");
	store_free(s);
	ok(rrdcached_kill(pid), "rrdcached stopped (kill test)");
}

static void
skip(int n, const char *why)
{
	while (n-- > 0)
		printf("ok %d # SKIP %s\n", ++tap_n, why);
}

/* Figures for the report: put cost and values/s, 1000 files x 60 values. */
static void
bench(const char *rrdcached, const char *sub, time_t T)
{
	struct store		*s;
	struct store_file	*f[1000];
	char			 name[64];
	msec_t			 t0, t1, t2;
	int			 i, j;

	s = new_store(rrdcached, 10000000, BIG_DELAY, 0);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "%s/%d/%d.rrd", sub, i / 100, i);
		f[i] = store_file_get(s, path_of(name), TALLY_GAUGE, &ret_sec);
		store_put(s, f[i], T - 1, 0);
	}
	store_start(s);
	t0 = clock_mono();
	flush(s, NULL, NULL);
	t1 = clock_mono();
	printf("# bench %s: create 1000 files: %lld ms\n", sub,
	    (long long)(t1 - t0));
	mark();
	t0 = clock_mono();
	for (j = 0; j < 60; j++)
		for (i = 0; i < 1000; i++)
			store_put(s, f[i], T + j, j);
	t1 = clock_mono();
	flush(s, NULL, NULL);
	t2 = clock_mono();
	printf("# bench %s: 60000 puts: %.0f ns/put; write %lld ms "
	    "(%.0f values/s), %lld updates, %lld written, %lld errors\n", sub,
	    (t1 - t0) * 1e6 / 60000, (long long)(t2 - t1),
	    60000 / ((t2 - t1 + 0.5) / 1000), delta(STAT_STORE_UPDATES),
	    delta(STAT_VALUES_WRITTEN), delta(STAT_STORE_ERRORS));
	store_free(s);
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return (remove(path));
}

int
main(void)
{
	struct store	*s;
	const char	*bin;
	time_t		 T = time(NULL) - 600;
	pid_t		 pid;
	char		 addr[300];

	signal(SIGPIPE, SIG_IGN);
	log_init(1, 0, "test_store");
	if (evthread_use_pthreads() != 0 || (base = event_base_new()) == NULL)
		fatalx("libevent setup failed");
	main_thread = pthread_self();
	if (mkdtemp(tmpdir) == NULL)
		fatal("mkdtemp");

	test_basic(T);
	test_stale(T);
	test_rewrite(T + 1000);
	test_failure_keeps(T + 2000);
	test_existing(T);
	test_kinds(T + 100);
	test_backfill();
	test_delay(T + 200);
	test_nodelay(T);
	test_quiet(T);
	test_queue_max(T);
	test_rrdcached_down(T);
	if ((bin = rrdcached_bin()) != NULL) {
		pid = rrdcached_spawn(bin);
		s = test_rrdcached(pid, T + 300);
		test_rrdcached_restart(bin, T + 300, s, pid);
		test_rrdcached_killed(bin, T + 400);
	} else
		skip(RRDCACHED_TESTS + KILLED_TESTS, "rrdcached not found");

	if (getenv("TALLY_STORE_BENCH") != NULL) {
		bench(NULL, "bench-direct", T);
		if (bin != NULL && (pid = rrdcached_spawn(bin)) > 0) {
			snprintf(addr, sizeof(addr),
			    "unix:%s/rrdcached.sock", tmpdir);
			bench(addr, "cached/bench", T);
			rrdcached_kill(pid);
		}
	}

	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	event_base_free(base);
	libevent_global_shutdown();
	return (tap_done());
}
