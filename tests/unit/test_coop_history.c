/*
 * test_coop_history.c - bringing readings into storage through a fake
 * host: new periods submitted once and in order, nothing again after a
 * restart, a corrected past figure rewritten whole, kept and missing
 * periods left alone, periods not yet ended held back, a core without
 * rewrite, a damaged state file, a refused submit.
 */
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "history.h"
#include "tap.h"

#define Y(y)	((time_t)((y) - 1970) * 31556952)	/* roughly a year */

static struct fake {
	char	 calls[8192];	/* "s metric when value;" "r metric n;" */
	size_t	 n;
	int	 refuse;	/* submits to refuse from this one on, 0 none */
	int	 nsubmit;
	char	 log[512];
} fk;

static int
fake_submit(struct tally_ctx *ctx, const char *metric, time_t when,
    double value)
{
	if (fk.refuse != 0 && ++fk.nsubmit >= fk.refuse)
		return (-1);
	fk.n += (size_t)snprintf(fk.calls + fk.n, sizeof(fk.calls) - fk.n,
	    "s %s %lld %g;", metric, (long long)when, value);
	return (0);
}

static int
fake_rewrite(struct tally_ctx *ctx, const char *metric, size_t n,
    const time_t *when, const double *value)
{
	size_t	 i;

	fk.n += (size_t)snprintf(fk.calls + fk.n, sizeof(fk.calls) - fk.n,
	    "r %s", metric);
	for (i = 0; i < n; i++)
		fk.n += (size_t)snprintf(fk.calls + fk.n, sizeof(fk.calls) -
		    fk.n, " %g", value[i]);
	fk.n += (size_t)snprintf(fk.calls + fk.n, sizeof(fk.calls) - fk.n,
	    ";");
	return (0);
}

static void
fake_log(struct tally_ctx *ctx, int prio, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(fk.log, sizeof(fk.log), fmt, ap);
	va_end(ap);
}

static struct tally_host	 host = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_host),
	.submit = fake_submit,
	.log = fake_log,
	.rewrite = fake_rewrite,
};
static struct tally_ctx		*ctx = (struct tally_ctx *)&fk;

/* A one-metric table over years y0.., values from v (NAN: none). */
static void
table(struct history_table *t, int y0, size_t n, const double *v,
    const unsigned char *keep)
{
	size_t	 i;

	history_table_init(t, 1, n);
	t->metric[0] = strdup("m");
	for (i = 0; i < n; i++) {
		t->when[i] = Y(y0 + (int)i + 1);
		t->value[i] = v[i];
		t->keep[i] = keep != NULL ? keep[i] : 0;
	}
}

/* Applies a reading and returns the calls it made. */
static const char *
apply(struct history *h, int y0, size_t n, const double *v,
    const unsigned char *keep, time_t now, struct history_stats *st)
{
	struct history_table	 t;
	static char		 out[8192];

	fk.n = 0;
	fk.calls[0] = '\0';
	table(&t, y0, n, v, keep);
	history_apply(h, ctx, &host, &t, now, st);
	history_table_free(&t);
	snprintf(out, sizeof(out), "%s", fk.calls);
	return (out);
}

static void
test_flow(const char *path)
{
	static const double	 v1[] = { 10, 20, 30 }, v2[] = { 10, 25, 30 },
				 v3[] = { 10, 99, 30, 40 }, v4[] = { 50 };
	static const unsigned char keep[] = { 0, 1, 0, 0 };
	struct history		*h = history_new(), *h2 = history_new();
	struct history_stats	 st;
	char			 err[256], want[256];
	time_t			 now = Y(2030);
	const time_t		*when;
	const double		*value;
	size_t			 n;

	snprintf(want, sizeof(want), "s m %lld 10;s m %lld 20;s m %lld 30;",
	    (long long)Y(2013), (long long)Y(2014), (long long)Y(2015));
	is_str(apply(h, 2012, 3, v1, NULL, now, &st), want,
	    "first reading: every period submitted in order");
	is_int(st.added, 3, "3 added");
	is_str(apply(h, 2012, 3, v1, NULL, now, &st), "",
	    "same reading again: nothing submitted");
	ok(history_save(h, path, err, sizeof(err)) == 0, "state saved");
	ok(history_load(h2, path, err, sizeof(err)) == 0, "state loaded");
	is_str(apply(h2, 2012, 3, v1, NULL, now, &st), "",
	    "after a restart: nothing submitted");
	is_str(apply(h2, 2012, 3, v2, NULL, now, &st), "r m 10 25 30;",
	    "corrected past figure: the whole history rewritten");
	is_int(st.corrected, 1, "1 metric corrected");
	ok(strstr(fk.log, "20 -> 25") != NULL, "the correction is logged");
	snprintf(want, sizeof(want), "s m %lld 40;", (long long)Y(2016));
	is_str(apply(h2, 2012, 4, v3, keep, now, &st), want,
	    "kept period: old figure stands, no rewrite; the new year added");
	snprintf(want, sizeof(want), "s m %lld 50;", (long long)Y(2021));
	is_str(apply(h2, 2020, 1, v4, NULL, now, &st), want,
	    "a reading of later years only: no rewrite");
	n = history_points(h2, "m", &when, &value);
	ok(n == 5 && value[0] == 10 && value[1] == 25 && value[3] == 40 &&
	    value[4] == 50, "older points stay (%zu points)", n);
	history_free(h);
	history_free(h2);
}

static void
test_edges(const char *path)
{
	static const double	 v[] = { 1, 2, 3 }, gap[] = { 1, NAN, 3 };
	static const double	 ends[] = { NAN, 2, NAN };
	struct history		*h = history_new(), *h2 = NULL;
	struct history_stats	 st;
	const time_t		*pw;
	const double		*pv;
	FILE			*f;
	char			 err[256], calls[256];

	snprintf(calls, sizeof(calls), "%s", apply(h, 2012, 3, gap, NULL,
	    Y(2030), &st));
	is_int(st.added, 3, "a period without a figure between two is "
	    "stored as unknown");
	ok(strstr(calls, "nan;") != NULL, "submitted as NaN: %s", calls);
	ok(history_save(h, path, err, sizeof(err)) == 0 &&
	    (h2 = history_new()) != NULL && history_load(h2, path, err,
	    sizeof(err)) == 0 && history_points(h2, "m", &pw, &pv) == 3 &&
	    isnan(pv[1]) && pv[2] == 3, "the unknown is saved and loaded");
	history_free(h2);
	is_str(apply(h, 2012, 3, gap, NULL, Y(2030), &st), "",
	    "read again: nothing to do");
	is_str(apply(h, 2012, 3, v, NULL, Y(2030), &st), "r m 1 2 3;",
	    "a figure for it later: rewritten");
	history_free(h);

	h = history_new();
	apply(h, 2012, 3, ends, NULL, Y(2030), &st);
	is_int(st.added, 1, "no unknown before the first figure or after "
	    "the last");
	history_free(h);

	/* Over a stored year, a reading without its figure keeps it. */
	h = history_new();
	apply(h, 2012, 3, v, NULL, Y(2030), &st);
	is_str(apply(h, 2012, 3, gap, NULL, Y(2030), &st), "",
	    "a stored year without a figure in the reading stays");
	history_free(h);

	h = history_new();
	apply(h, 2012, 3, v, NULL, Y(2014) + 1, &st);
	is_int(st.added, 2, "future period held back");
	is_int(st.held, 1, "1 held");
	apply(h, 2012, 3, v, NULL, Y(2016), &st);
	is_int(st.added, 1, "held period submitted once it ended");
	history_free(h);

	h = history_new();
	host.size = offsetof(struct tally_host, rewrite);
	apply(h, 2012, 2, v, NULL, Y(2030), &st);
	apply(h, 2012, 2, gap + 1, NULL, Y(2030), &st);
	ok(st.unfixed == 1 && strstr(fk.calls, "r ") == NULL,
	    "no rewrite in the core: correction not stored, counted");
	ok(strstr(fk.log, "cannot rewrite") != NULL, "and logged");
	host.size = sizeof(struct tally_host);
	history_free(h);

	h = history_new();
	fk.refuse = 2;
	fk.nsubmit = 0;
	ok(history_apply(h, ctx, &host, &(struct history_table){ 0 }, 0,
	    &st) == 0, "empty table");
	apply(h, 2012, 3, v, NULL, Y(2030), &st);
	is_int(st.added, 1, "refused submit stops the metric");
	fk.refuse = 0;
	apply(h, 2012, 3, v, NULL, Y(2030), &st);
	is_int(st.added, 2, "the rest goes next time, nothing twice");
	history_free(h);

	f = fopen(path, "w");
	fprintf(f, "tallyd-history 1\nm 100 1\nm 50 2\n");
	fclose(f);
	h = history_new();
	ok(history_load(h, path, err, sizeof(err)) == -1 &&
	    strstr(err, ":3: times of m not increasing") != NULL,
	    "damaged state reported with its line");
	is_str(apply(h, 2012, 2, v, NULL, Y(2030), &st), "r m 1 2;",
	    "damaged state: history rewritten whole");
	history_free(h);
}

int
main(void)
{
	char	 dir[] = "/tmp/test_coop_history.XXXXXX", path[256];

	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(path, sizeof(path), "%s/history", dir);
	test_flow(path);
	test_edges(path);
	unlink(path);
	rmdir(dir);
	return (tap_done());
}
