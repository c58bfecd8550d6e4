/*
 * test_traffic_stats.c - the traffic plugin's counting rules: visits with a
 * 30-minute idle timeout, who counts as a visitor in each profile, days,
 * months and years, time stamps refused, visitors online, and saving and
 * loading everything (state lines and visitor set files).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tstats.h"
#include "tap.h"

static struct tp_format	 comb;
static struct tp_clock	 clk;
static int64_t		 newest;

/* 2023-10-10 17:00 UTC, which is 2023-10-11 00:00 +0700. */
#define T0	1696957200
#define NOW	(T0 + 120 * 86400)

/* Count a combined line built from its parts; returns ts_add's result. */
static enum tp_error
add(struct tstats *s, const char *ip, const char *stamp, const char *req,
    int status, const char *ua)
{
	char		 line[512];
	struct tp_rec	 r;
	enum tp_error	 e;

	snprintf(line, sizeof(line), "%s - - [%s] \"%s\" %d 100 \"-\" \"%s\"",
	    ip, stamp, req, status, ua);
	if ((e = tp_parse(&comb, &clk, line, strlen(line), 0, &r)) != TP_OK)
		return (e);
	return (ts_add(s, &r, NOW, &newest));
}

static void
test_visits(void)
{
	struct tstats	 s;

	ts_init(&s, TS_DEFAULT);
	s.max_future = 0;
	newest = 0;
	add(&s, "1.1.1.1", "11/Oct/2023:08:00:00 +0700", "GET / HTTP/1.1",
	    200, "Firefox");
	add(&s, "1.1.1.1", "11/Oct/2023:08:20:00 +0700", "GET /a HTTP/1.1",
	    200, "Firefox");
	add(&s, "1.1.1.1", "11/Oct/2023:08:49:59 +0700", "GET /b HTTP/1.1",
	    200, "Firefox");
	is_int(s.tot.visits, 1, "page views 20 and 29 min apart: one visit");
	add(&s, "1.1.1.1", "11/Oct/2023:09:20:00 +0700", "GET /c HTTP/1.1",
	    200, "Firefox");
	is_int(s.tot.visits, 2, "30 min 1 s idle: a second visit");
	add(&s, "1.1.1.1", "11/Oct/2023:09:21:00 +0700", "GET /c HTTP/1.1",
	    200, "Chrome");
	is_int(s.tot.visits, 3, "same address, other agent: another visitor");
	add(&s, "1.1.1.2", "11/Oct/2023:09:22:00 +0700", "GET /c HTTP/1.1",
	    200, "Googlebot/2.1");
	add(&s, "1.1.1.3", "11/Oct/2023:09:22:00 +0700", "GET /x.css HTTP/1.1",
	    200, "Firefox");
	add(&s, "1.1.1.4", "11/Oct/2023:09:22:00 +0700", "GET /nope HTTP/1.1",
	    404, "Firefox");
	is_int(s.tot.visits, 3, "crawler, asset, 404: no visit");
	is_int(s.tot.hits, 8, "... but every line is a hit");
	is_int(s.tot.crawlers, 1, "one crawler hit");
	is_int(s.tot.pageviews, 5, "five page views");
	is_int(ts_unique(&s, TS_DAY), 2, "two visitors that day");
	is_int(s.tot.status[4], 1, "one 4xx");
	is_int(ts_online(&s, T0 + 9 * 3600 + 22 * 60, 5 * 60), 2,
	    "online: two visitors with a page view in the last 5 min");
	is_int(ts_online(&s, T0 + 9 * 3600 + 30 * 60, 5 * 60), 0,
	    "... none 8 min later");
	ts_free(&s);
}

static void
test_goaccess_profile(void)
{
	struct tstats	 s;

	ts_init(&s, TS_GOACCESS);
	newest = 0;
	add(&s, "2.2.2.1", "11/Oct/2023:08:00:00 +0700", "GET /a.css HTTP/1.1",
	    200, "Firefox");
	add(&s, "2.2.2.2", "11/Oct/2023:08:00:00 +0700", "GET / HTTP/1.1",
	    200, "Googlebot/2.1");
	add(&s, "2.2.2.3", "11/Oct/2023:08:00:00 +0700", "GET / HTTP/1.1",
	    404, "Firefox");
	add(&s, "2.2.2.3", "11/Oct/2023:08:00:01 +0700", "GET / HTTP/1.1",
	    500, "Firefox");
	add(&s, "2.2.2.4", "11/Oct/2023:08:00:00 +0700", "GET / HTTP/1.1",
	    403, "Firefox");
	is_int(ts_unique(&s, TS_DAY), 3,
	    "GoAccess: assets and crawlers count, 4xx-only clients do not");
	add(&s, "2.2.2.1", "12/Oct/2023:08:00:00 +0700", "GET /a.css HTTP/1.1",
	    200, "Firefox");
	is_int(ts_unique(&s, TS_DAY), 1, "a new day starts a new set");
	is_int(ts_unique(&s, TS_MONTH), 3, "... the month keeps its visitors");
	is_int(ts_day_find(&s, 20231011)->visitors, 3, "day row 11 Oct");
	is_int(ts_day_find(&s, 20231012)->visitors, 1, "day row 12 Oct");
	ts_free(&s);
}

static void
test_periods_and_time(void)
{
	struct tstats	 s;

	ts_init(&s, TS_DEFAULT);
	newest = 0;
	add(&s, "3.3.3.1", "31/Dec/2023:23:50:00 +0700", "GET / HTTP/1.1",
	    200, "A");
	add(&s, "3.3.3.2", "01/Jan/2024:00:10:00 +0700", "GET / HTTP/1.1",
	    200, "A");
	is_int(ts_unique(&s, TS_YEAR), 1, "new year: a new year set");
	is_int(s.prev[TS_YEAR].id, 2023, "... the old year is the previous");
	add(&s, "3.3.3.3", "31/Dec/2023:23:59:00 +0700", "GET / HTTP/1.1",
	    200, "A");
	is_int(s.prev[TS_DAY].set.n, 2, "a late line counts for yesterday");
	is_int(ts_day_find(&s, 20231231)->visitors, 2, "... in its day row");
	is_int(add(&s, "3.3.3.4", "31/Dec/2023:22:00:00 +0700", "GET / "
	    "HTTP/1.1", 200, "A"), TP_E_ORDER, "2 h10 behind: out of order");
	is_int(add(&s, "3.3.3.4", "01/Jan/2099:00:00:00 +0700", "GET / "
	    "HTTP/1.1", 200, "A"), TP_E_FUTURE, "2099: from the future");
	is_int(s.tot.malformed, 2, "both counted as malformed");
	is_int(s.tot.bad[TP_E_ORDER] + s.tot.bad[TP_E_FUTURE], 2,
	    "... by reason");
	is_int(s.tot.hits, 3, "... not as hits");
	ts_free(&s);
	ts_init(&s, TS_GOACCESS);
	newest = 0;
	add(&s, "3.3.3.4", "01/Jan/2099:00:00:00 +0700", "GET / HTTP/1.1",
	    200, "A");
	add(&s, "3.3.3.4", "01/Jan/2000:00:00:00 +0700", "GET / HTTP/1.1",
	    200, "A");
	is_int(s.tot.hits, 2, "GoAccess profile takes any time stamp");
	ts_free(&s);
}

/* Count the files named visitors.* in dir. */
static int
count_sets(const char *dir)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	int		 n = 0;

	while (d != NULL && (de = readdir(d)) != NULL)
		n += strncmp(de->d_name, "visitors.", 9) == 0;
	if (d != NULL)
		closedir(d);
	return (n);
}

/* Save s to a memory file and load it into t line by line. */
static int
roundtrip(struct tstats *s, struct tstats *t)
{
	char	*buf = NULL, *line, *save = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);
	int	 bad = 0;

	ts_save(s, f);
	fclose(f);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		bad += ts_load_line(t, line) != 1;
	free(buf);
	return (bad);
}

static void
test_persistence(void)
{
	struct tstats	 s, t;
	char		 dir[] = "/tmp/traffic-stats.XXXXXX";
	char		 path[256];

	ts_init(&s, TS_DEFAULT);
	ts_init(&t, TS_DEFAULT);
	s.seed = 42;
	newest = 0;
	add(&s, "4.4.4.1", "10/Oct/2023:08:00:00 +0700", "GET / HTTP/1.1",
	    200, "A");
	add(&s, "4.4.4.2", "11/Oct/2023:08:00:00 +0700", "GET / HTTP/1.1",
	    200, "A");
	add(&s, "4.4.4.3", "11/Oct/2023:08:01:00 +0700", "GET / HTTP/1.1",
	    500, "A");
	ok(mkdtemp(dir) != NULL, "temp dir");
	is_int(ts_flush_sets(&s, dir), 0, "visitor sets flushed");
	is_int(count_sets(dir), 4, "... day 10, day 11, month, year: 4 files");
	is_int(roundtrip(&s, &t), 0, "every saved line loads back");
	ok(t.tot.hits == 3 && t.tot.visits == 2 && t.tot.status[5] == 1 &&
	    t.seed == 42 && t.newest == s.newest, "totals, seed, newest");
	ok(t.ndays == 2 && t.days[1].date == 20231011 && t.days[1].hits == 2 &&
	    t.days[1].visitors == 1, "day rows");
	is_int(tseen_get(&t.seen, th_visitor(42, "4.4.4.2", 7, "A", 1)),
	    s.newest - 60, "visit map entries");
	is_int(ts_load_sets(&t, dir), 0, "sets load back");
	is_int(ts_unique(&t, TS_MONTH), 2, "... month set has both visitors");
	newest = 0;
	add(&t, "4.4.4.2", "11/Oct/2023:09:00:00 +0700", "GET / HTTP/1.1",
	    200, "A");
	is_int(ts_unique(&t, TS_DAY), 1, "a replayed visitor is not new");
	add(&t, "4.4.4.9", "13/Oct/2023:09:00:00 +0700", "GET / HTTP/1.1",
	    200, "A");
	is_int(ts_flush_sets(&t, dir), 0, "flush after a day change");
	ts_forget_closed(&t, dir);
	is_int(count_sets(dir), 4, "the closed day's file is deleted");
	snprintf(path, sizeof(path), "%s/visitors.day.20231010", dir);
	ok(access(path, F_OK) == -1, "... it was 10 October's");
	ok(ts_load_line(&t, "totals 1 2 x") == -1 && ts_load_line(&t,
	    "file 0 cur") == 0, "broken line refused, foreign line left");
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	ok(system(path) == 0, "cleanup");
	ts_free(&s);
	ts_free(&t);
}

static void
test_sets(void)
{
	struct tset	 set;
	struct tseen	 m;
	uint64_t	 i;
	int		 fresh = 0, again = 0;

	memset(&set, 0, sizeof(set));
	memset(&m, 0, sizeof(m));
	for (i = 0; i < 100000; i++)
		fresh += tset_add(&set, th_hash(&i, sizeof(i), 7)) == 1;
	for (i = 0; i < 100000; i++)
		again += tset_add(&set, th_hash(&i, sizeof(i), 7)) == 1;
	ok(fresh == 100000 && again == 0 && set.n == 100000,
	    "100000 distinct keys, each added once");
	ok(tset_has(&set, th_hash(&i, sizeof(i), 7)) == 0, "absent key");
	for (i = 1; i <= 5000; i++)
		tseen_put(&m, i, (int64_t)i);
	is_int(tseen_count_since(&m, 4001), 1000, "count since");
	tseen_expire(&m, 4001);
	ok(m.n == 1000 && tseen_get(&m, 4000) == 0 && tseen_get(&m, 4001) ==
	    4001, "expire keeps only recent visitors");
	ok(th_visitor(1, "a", 1, "bc", 2) != th_visitor(1, "ab", 2, "c", 1),
	    "address and agent boundaries matter");
	tset_free(&set);
	tseen_free(&m);
}

int
main(void)
{
	char	 err[64];

	tp_format_compile(&comb, "combined", err, sizeof(err));
	test_visits();
	test_goaccess_profile();
	test_periods_and_time();
	test_persistence();
	test_sets();
	return (tap_done());
}
