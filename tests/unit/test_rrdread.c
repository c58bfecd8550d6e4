/*
 * test_rrdread.c - rrdread_fetch against librrd's rrd_fetch_r on real
 * files made by rrd_create_r and rrd_update_r: archives of several CFs,
 * steps and DS counts, rings wrapped many times, and random spans before,
 * across and after the data, with every CF and resolution.  Start, end,
 * step and every value must be the same bits.  Then the errors: a missing
 * file, one that is no RRD, a truncated one, a file renamed over the path
 * (read anew, not from the old descriptor), and the span check.
 */
#include <sys/stat.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stddef.h>

#define RRD_EXPORT_DEPRECATED	/* rrd_format.h: to damage a header */
#include <rrd.h>

#include "../../daemon/rrdread.h"
#include "tap.h"

static long	 values;		/* numbers (not NaN) compared */
static char	 dir[] = "/tmp/test_rrdread.XXXXXX";

static const char *const cfs[] = { "AVERAGE", "MIN", "MAX", "LAST" };

static void
mkrrd(const char *path, unsigned long step, time_t t0, int argc,
    const char **argv)
{
	rrd_clear_error();
	if (rrd_create_r(path, step, t0, argc, argv) != 0) {
		printf("Bail out! rrd_create_r %s: %s\n", path,
		    rrd_get_error());
		exit(1);
	}
}

/* n updates of nds values each, every step seconds after *t. */
static void
feed(const char *path, int nds, unsigned long step, time_t *t, int n)
{
	char		 buf[256];
	const char	*argv[1];
	int		 i, k, len;

	for (i = 0; i < n; i++) {
		*t += step;
		len = snprintf(buf, sizeof(buf), "%lld", (long long)*t);
		for (k = 0; k < nds; k++) {
			if (random() % 17 == 0)
				len += snprintf(buf + len, sizeof(buf) - len,
				    ":U");
			else
				len += snprintf(buf + len, sizeof(buf) - len,
				    ":%.6g", (random() % 100000) / 7.0 - 3000);
		}
		argv[0] = buf;
		rrd_clear_error();
		if (rrd_update_r(path, NULL, 1, argv) != 0) {
			printf("Bail out! rrd_update_r: %s\n",
			    rrd_get_error());
			exit(1);
		}
	}
}

static int
same(double a, double b)
{
	return ((isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof(a)) == 0);
}

/* One query both ways; 1 if they agree (else prints why). */
static int
compare(const char *path, const char *cf, time_t start, time_t end,
    unsigned long step)
{
	struct rrdread_rows	 rr;
	time_t			 s = start, e = end;
	unsigned long		 st = step, nds = 0, i, n;
	char			**names = NULL, err[256];
	rrd_value_t		*data = NULL;
	int			 a, b, errnum, agree = 1;

	rrd_clear_error();
	a = rrd_fetch_r(path, cf, &s, &e, &st, &nds, &names, &data);
	b = rrdread_fetch(path, cf, start, end, step, 0, &rr, NULL, NULL, err,
	    sizeof(err), &errnum);
	if (a != b) {
		printf("# %s %s %lld %lld %lu: librrd %d (%s), rrdread %d "
		    "(%s)\n", path, cf, (long long)start, (long long)end, step,
		    a, rrd_get_error(), b, b == 0 ? "" : err);
		agree = 0;
	} else if (a == 0) {
		n = st > 0 && e > s ? (unsigned long)(e - s) / st : 0;
		if (s != rr.start || e != rr.end || st != rr.step ||
		    nds != rr.nds || n != rr.nrows) {
			printf("# %s %s %lld %lld %lu: librrd %lld %lld %lu "
			    "%lu, rrdread %lld %lld %lu %lu\n", path, cf,
			    (long long)start, (long long)end, step,
			    (long long)s, (long long)e, st, n,
			    (long long)rr.start, (long long)rr.end, rr.step,
			    rr.nrows);
			agree = 0;
		}
		for (i = 0; agree && i < n; i++) {
			values += !isnan(rr.data[i]);
			if (!same(data[i * nds], rr.data[i])) {
				printf("# %s %s %lld %lld %lu: row %lu: %g vs "
				    "%g\n", path, cf, (long long)start,
				    (long long)end, step, i, data[i * nds],
				    rr.data[i]);
				agree = 0;
			}
		}
	}
	if (a == 0) {
		for (i = 0; i < nds; i++)
			rrd_freemem(names[i]);
		rrd_freemem(names);
		rrd_freemem(data);
	}
	if (b == 0)
		free(rr.data);
	return (agree);
}

/* count random queries around [t0, t]; how many agreed. */
static int
queries(const char *path, time_t t0, time_t t, int count)
{
	static const unsigned long steps[] = { 0, 1, 5, 10, 30, 60, 61, 120,
	    300, 600, 3600 };
	time_t	 span = t - t0, start, end;
	int	 i, good = 0;

	for (i = 0; i < count; i++) {
		start = t0 - span / 2 + random() % (2 * span);
		end = start + 1 + random() % (span + 1);
		if (random() % 8 == 0)
			end = t - random() % 30;	/* near the last row */
		if (end <= start)
			end = start + 1;
		good += compare(path, cfs[random() % 4], start, end,
		    steps[random() % (sizeof(steps) / sizeof(steps[0]))]);
	}
	return (good);
}

/*
 * Whether path reads with nds DS (a FETCH of the 100 s before t) within
 * 3 s: a file replaced behind rrdread is seen at its once-a-second check.
 */
static int
wait_nds(const char *path, time_t t, unsigned long nds)
{
	struct rrdread_rows	 rr;
	char			 err[256];
	time_t			 until = time(NULL) + 3;
	int			 r, errnum;

	do {
		r = rrdread_fetch(path, "AVERAGE", t - 100, t, 1, 0, &rr, NULL,
		    NULL, err, sizeof(err), &errnum);
		if (r == 0)
			free(rr.data);
		if (r == 0 && rr.nds == nds)
			return (1);
		usleep(20000);
	} while (time(NULL) < until);
	printf("# %s: %s, %lu DS\n", path, r == 0 ? "read" : err,
	    r == 0 ? (unsigned long)rr.nds : 0UL);
	return (0);
}

static int
refuse(const struct rrdread_rows *rr, void *arg)
{
	*(unsigned long *)arg = rr->step;
	return (-1);
}

int
main(void)
{
	const char	*a_rra[] = { "DS:v:GAUGE:100:U:U",
	    "RRA:AVERAGE:0.5:1:50", "RRA:AVERAGE:0.5:6:20",
	    "RRA:MIN:0.5:1:50", "RRA:MAX:0.5:6:30", "RRA:LAST:0.5:12:10",
	    "RRA:HWPREDICT:40:0.1:0.0035:12" };
	const char	*b_rra[] = { "DS:x:GAUGE:5:U:U", "DS:y:GAUGE:5:U:U",
	    "DS:z:GAUGE:5:0:100", "RRA:AVERAGE:0.5:1:100",
	    "RRA:MAX:0.5:5:40", "RRA:MIN:0.9:5:40" };
	const char	*c_rra[] = { "DS:v:GAUGE:10:U:U",
	    "RRA:AVERAGE:0.1:1:3600", "RRA:MIN:0.1:1:3600",
	    "RRA:MAX:0.1:1:3600" };
	struct rrdread_rows rr;
	char		 a[256], b[256], c[256], p[256], err[256];
	time_t		 t0 = 1700000000, ta = t0, tb = t0, tc = t0;
	unsigned long	 got = 0;
	FILE		*fp;
	int		 round, n, errnum;

	srandom(14);
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return (1);
	}
	snprintf(a, sizeof(a), "%s/a.rrd", dir);
	snprintf(b, sizeof(b), "%s/b.rrd", dir);
	snprintf(c, sizeof(c), "%s/c.rrd", dir);
	mkrrd(a, 10, t0, sizeof(a_rra) / sizeof(a_rra[0]), a_rra);
	mkrrd(b, 1, t0, sizeof(b_rra) / sizeof(b_rra[0]), b_rra);
	mkrrd(c, 1, t0, sizeof(c_rra) / sizeof(c_rra[0]), c_rra);

	/* Empty files first, then rings filling and wrapping. */
	n = 2000;
	is_int(queries(a, t0 - 600, t0 + 600, n), n, "empty a: as librrd");
	for (round = 0; round < 6; round++) {
		feed(a, 1, 10, &ta, 37 + round * 41);
		feed(b, 3, 1, &tb, 29 + round * 53);
		is_int(queries(a, t0, ta, n), n, "a (1 DS, 6 RRAs, "
		    "step 10): as librrd");
		is_int(queries(b, t0, tb, n), n, "b (3 DS, step 1): as librrd");
	}
	feed(c, 1, 1, &tc, 4000);
	is_int(queries(c, t0, tc, n), n, "c (the bench layout, wrapped): as "
	    "librrd");
	ok(compare(c, "AVERAGE", tc - 300, tc, 1), "c: the last 300 s");
	ok(compare(c, "MAX", tc - 3599, tc + 1, 1), "c: the whole ring");
	ok(values > 100000, "%ld values (not NaN) compared", values);

	/* rrdread_last: the header's last update, as librrd's rrd_last_r. */
	{
		time_t	 last = 0;

		ok(rrdread_last(c, &last) == 0 && last == rrd_last_r(c) &&
		    last == tc, "rrdread_last: %lld, as rrd_last_r",
		    (long long)last);
		snprintf(p, sizeof(p), "%s/nothere.rrd", dir);
		ok(rrdread_last(p, &last) == -1 && errno == ENOENT,
		    "rrdread_last of a missing file: ENOENT");
	}

	/* rrdread_lastds: LAST from a file, as rrd_lastupdate_r gives it. */
	{
		time_t		 last = 0, rlast = 0;
		unsigned long	 nds = 0, k;
		char		**names = NULL, **vals = NULL, ds[64] = "";
		int		 rr_ok;

		rr_ok = rrd_lastupdate_r(c, &rlast, &nds, &names, &vals) == 0 &&
		    nds >= 1 && rrdread_lastds(c, 0, &last, ds, sizeof(ds)) == 0;
		ok(rr_ok && last == rlast && strcmp(ds, vals[0]) == 0,
		    "rrdread_lastds: %lld \"%s\", as rrd_lastupdate_r (%lld "
		    "\"%s\")", (long long)last, ds, (long long)rlast,
		    rr_ok ? vals[0] : "?");
		for (k = 0; k < nds; k++) {
			rrd_freemem(names[k]);
			rrd_freemem(vals[k]);
		}
		rrd_freemem(names);
		rrd_freemem(vals);
		snprintf(p, sizeof(p), "%s/nothere.rrd", dir);
		ok(rrdread_lastds(p, 0, &last, ds, sizeof(ds)) == -1 &&
		    errno == ENOENT, "rrdread_lastds of a missing file: ENOENT");
		ok(rrdread_lastds(p, RRDREAD_NOWAIT, &last, ds, sizeof(ds)) ==
		    -1 && errno == EAGAIN, "rrdread_lastds, NOWAIT, not open: "
		    "EAGAIN");
	}

	/* Errors. */
	snprintf(p, sizeof(p), "%s/missing.rrd", dir);
	ok(rrdread_fetch(p, "AVERAGE", t0, t0 + 10, 1, 0, &rr, NULL, NULL, err,
	    sizeof(err), &errnum) == -1 && errnum == ENOENT,
	    "missing file: ENOENT");
	snprintf(p, sizeof(p), "%s/text.rrd", dir);
	if ((fp = fopen(p, "w")) != NULL) {
		fputs("this is not an rrd file, not even close to one\n", fp);
		fclose(fp);
	}
	ok(rrdread_fetch(p, "AVERAGE", t0, t0 + 10, 1, 0, &rr, NULL, NULL, err,
	    sizeof(err), &errnum) == -1 && strstr(err, "not an RRD") != NULL,
	    "a text file: not an RRD file (%s)", err);
	ok(compare(p, "AVERAGE", t0, t0 + 10, 1), "a text file: librrd "
	    "fails too");
	snprintf(p, sizeof(p), "%s/short.rrd", dir);
	{
		char	 cmd[600];

		snprintf(cmd, sizeof(cmd), "head -c 20000 %s > %s", c, p);
		ok(system(cmd) == 0, "a truncated copy made");
	}
	ok(rrdread_fetch(p, "AVERAGE", t0, t0 + 10, 1, 0, &rr, NULL, NULL, err,
	    sizeof(err), &errnum) == -1 && strstr(err, "too small") != NULL,
	    "a truncated file: too small (%s)", err);
	ok(compare(p, "AVERAGE", t0, t0 + 10, 1), "a truncated file: librrd "
	    "fails too");

	unlink(p);

	/* A row of 0 PDPs: librrd would divide by zero; refused. */
	snprintf(p, sizeof(p), "%s/zero.rrd", dir);
	{
		char		 cmd[600];
		unsigned long	 zero = 0;
		FILE		*zf;

		snprintf(cmd, sizeof(cmd), "cp %s %s", c, p);
		ok(system(cmd) == 0 && (zf = fopen(p, "r+")) != NULL &&
		    fseek(zf, (long)(sizeof(stat_head_t) + sizeof(ds_def_t) +
		    offsetof(rra_def_t, pdp_cnt)), SEEK_SET) == 0 &&
		    fwrite(&zero, sizeof(zero), 1, zf) == 1 && fclose(zf) == 0,
		    "a copy with 0 PDPs a row made");
	}
	ok(rrdread_fetch(p, "AVERAGE", tc - 10, tc, 1, 0, &rr, NULL, NULL, err,
	    sizeof(err), &errnum) == -1 && strstr(err, "damaged") != NULL,
	    "0 PDPs a row: a damaged header (%s)", err);
	unlink(p);

	/*
	 * a is open in the table: another program renames b over it.  The
	 * kept descriptor is checked once a second: a reads as b within
	 * two seconds at most.
	 */
	ok(compare(a, "AVERAGE", t0, ta, 10), "a read (kept open)");
	ok(rename(b, a) == 0, "b renamed over a");
	ok(wait_nds(a, tb, 3), "a has b's 3 DS within 3 s");
	ok(compare(a, "MAX", t0, tb, 5), "a is now b's content");
	/* a copied over in place (cp: the same inode, another size): seen too */
	{
		char	 cmd[1200];

		snprintf(cmd, sizeof(cmd), "cp %s %s.b && cp %s %s", a, a, c, a);
		ok(system(cmd) == 0, "c copied over a in place");
		ok(wait_nds(a, tc, 1) && compare(a, "AVERAGE", tc - 300, tc, 1),
		    "a reads as c within 3 s");
		snprintf(cmd, sizeof(cmd), "%s.b", a);
		ok(rename(cmd, a) == 0, "b's copy renamed back over a");
	}
	/* Our own rename is followed by rrdread_forget: seen at once. */
	{
		char	 cmd[1200], tmp[300];

		snprintf(tmp, sizeof(tmp), "%s.new", a);
		snprintf(cmd, sizeof(cmd), "cp %s %s", c, tmp);
		ok(system(cmd) == 0 && rename(tmp, a) == 0, "c's copy renamed "
		    "over a");
		rrdread_forget(a);
		ok(compare(a, "AVERAGE", tc - 300, tc, 1) &&
		    rrdread_fetch(a, "AVERAGE", tc - 100, tc, 1, 0, &rr, NULL,
		    NULL, err, sizeof(err), &errnum) == 0 && rr.nds == 1,
		    "forgotten: a reads as c at once");
		free(rr.data);
	}

	/* The check sees the span before any row is read, and stops it. */
	ok(rrdread_fetch(c, "AVERAGE", tc - 100, tc, 1, 0, &rr, refuse, &got,
	    err, sizeof(err), &errnum) == -1 && got == 1 && rr.data == NULL,
	    "the check stops the read");

	/* NOWAIT: a file not open yet is not opened; once open, it reads. */
	rrdread_close_all();
	ok(rrdread_fetch(c, "AVERAGE", tc - 300, tc, 1, RRDREAD_NOWAIT, &rr,
	    NULL, NULL, err, sizeof(err), &errnum) == -1 && errnum == EAGAIN,
	    "NOWAIT, not open: EAGAIN");
	ok(compare(c, "AVERAGE", tc - 300, tc, 1), "read once, kept open");
	/* librrd reseeds random() (rrd_create), so any row may be U: compare. */
	{
		struct rrdread_rows	 want;
		unsigned long		 k, same_rows = 0;

		ok(rrdread_fetch(c, "AVERAGE", tc - 300, tc, 1, 0, &want, NULL,
		    NULL, err, sizeof(err), &errnum) == 0, "read without NOWAIT");
		n = rrdread_fetch(c, "AVERAGE", tc - 300, tc, 1, RRDREAD_NOWAIT,
		    &rr, NULL, NULL, err, sizeof(err), &errnum);
		if (n == 0 && rr.nrows == want.nrows && rr.start == want.start)
			for (k = 0; k < rr.nrows; k++)
				same_rows += same(rr.data[k], want.data[k]);
		ok(n == 0 && rr.nrows == 301 && same_rows == 301,
		    "NOWAIT, open and cached: the same 301 rows (n %d, "
		    "%lu rows, %lu the same: %s)", n, (unsigned long)rr.nrows,
		    same_rows, err);
		if (n == 0)
			free(rr.data);
		free(want.data);
	}

	rrdread_close_all();
	unlink(a);
	unlink(c);
	unlink(p);
	snprintf(p, sizeof(p), "%s/text.rrd", dir);
	unlink(p);
	rmdir(dir);
	return (tap_done());
}
