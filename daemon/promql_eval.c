/*
 * promql_eval.c - evaluating a PromQL tree over the steps of a span.
 *
 * Values are columns: a series of the result has one value per step
 * (start + k * step) and a presence flag, so absent points stay absent
 * (never NaN, which is a value).  Selectors ask the caller's reader for
 * the samples of each matching series once for the whole span, then walk
 * the steps: an instant selector takes the newest sample in the lookback
 * window, a range function the samples in (t - range, t].  Functions
 * follow Prometheus (rate and increase extrapolate as its
 * extrapolatedRate does).  Pure: no clock but the deadline, no I/O but
 * the reader; it runs on a query worker.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promql.h"
#include "xmalloc.h"

struct promql_ctx {
	const struct promql_eval	*ev;
	struct promql_result		*res;	/* for the error */
	size_t				 nsteps;
	size_t				 points;	/* held so far */
	int				 failed;
};

static void	promql_eval_fail(struct promql_ctx *, enum promql_errtype,
		    const char *, ...) __attribute__((format(printf, 3, 4)));

static void
promql_eval_fail(struct promql_ctx *c, enum promql_errtype type,
    const char *fmt, ...)
{
	va_list	 ap;

	if (c->failed)
		return;
	c->failed = 1;
	c->res->errtype = type;
	va_start(ap, fmt);
	vsnprintf(c->res->error, sizeof(c->res->error), fmt, ap);
	va_end(ap);
}

const char *
promql_errtype_name(enum promql_errtype t)
{
	switch (t) {
	case PQE_NONE:
		return ("none");
	case PQE_BAD_DATA:
		return ("bad_data");
	case PQE_EXECUTION:
		return ("execution");
	case PQE_TIMEOUT:
		return ("timeout");
	case PQE_UNAVAILABLE:
		return ("unavailable");
	case PQE_INTERNAL:
		break;
	}
	return ("internal");
}

/* ---- labels */

const char *
promql_label(const struct promql_labels *ls, const char *name)
{
	int	 i;

	for (i = 0; i < ls->n; i++)
		if (strcmp(ls->name[i], name) == 0)
			return (ls->value[i]);
	return ("");
}

/* Set (or with an empty value, remove) a label, keeping the order. */
int
promql_labels_set(struct promql_labels *ls, const char *name,
    const char *value)
{
	int	 i, j;

	if (strlen(name) >= sizeof(ls->name[0]) ||
	    strlen(value) >= sizeof(ls->value[0]))
		return (-1);
	for (i = 0; i < ls->n; i++) {
		if (strcmp(ls->name[i], name) == 0) {
			if (*value == '\0') {
				for (j = i; j + 1 < ls->n; j++) {
					memcpy(ls->name[j], ls->name[j + 1],
					    sizeof(ls->name[j]));
					memcpy(ls->value[j], ls->value[j + 1],
					    sizeof(ls->value[j]));
				}
				ls->n--;
			} else
				snprintf(ls->value[i], sizeof(ls->value[i]),
				    "%s", value);
			return (0);
		}
		if (strcmp(ls->name[i], name) > 0)
			break;
	}
	if (*value == '\0')
		return (0);
	if (ls->n >= PROMQL_LABELS_MAX)
		return (-1);
	for (j = ls->n; j > i; j--) {
		memcpy(ls->name[j], ls->name[j - 1], sizeof(ls->name[j]));
		memcpy(ls->value[j], ls->value[j - 1], sizeof(ls->value[j]));
	}
	snprintf(ls->name[i], sizeof(ls->name[i]), "%s", name);
	snprintf(ls->value[i], sizeof(ls->value[i]), "%s", value);
	ls->n++;
	return (0);
}

static int
promql_labels_equal(const struct promql_labels *a,
    const struct promql_labels *b)
{
	int	 i;

	if (a->n != b->n)
		return (0);
	for (i = 0; i < a->n; i++)
		if (strcmp(a->name[i], b->name[i]) != 0 ||
		    strcmp(a->value[i], b->value[i]) != 0)
			return (0);
	return (1);
}

int
promql_selector_match(const struct promql_node *sel,
    const struct promql_labels *ls)
{
	const struct promql_matcher	*m;
	const char			*v;
	int				 i, hit;

	for (i = 0; i < sel->nm; i++) {
		m = &sel->m[i];
		v = promql_label(ls, m->name);
		switch (m->op) {
		case PQM_EQ:
			hit = strcmp(v, m->value) == 0;
			break;
		case PQM_NE:
			hit = strcmp(v, m->value) != 0;
			break;
		case PQM_RE:
			hit = regexec(&m->re, v, 0, NULL, 0) == 0;
			break;
		default:
			hit = regexec(&m->re, v, 0, NULL, 0) != 0;
			break;
		}
		if (!hit)
			return (0);
	}
	return (1);
}

/* ---- results */

static void
promql_rows_free(struct promql_row *rows, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(rows[i].v);
		free(rows[i].have);
		free(rows[i].t);
	}
	free(rows);
}

void
promql_result_free(struct promql_result *res)
{
	promql_rows_free(res->rows, res->nrows);
	res->rows = NULL;
	res->nrows = 0;
}

/* A value: its rows, type and count. */
struct promql_value {
	enum promql_type	 type;
	struct promql_row	*rows;
	size_t			 n;
};

static void
promql_value_free(struct promql_value *v)
{
	promql_rows_free(v->rows, v->n);
	v->rows = NULL;
	v->n = 0;
}

/* A new empty row at the end of v; NULL past the points limit. */
static struct promql_row *
promql_row_add(struct promql_ctx *c, struct promql_value *v,
    const struct promql_labels *ls)
{
	struct promql_row	*r;

	c->points += c->nsteps;
	if (c->ev->limits.points_max > 0 &&
	    c->points > c->ev->limits.points_max * 4) {
		promql_eval_fail(c, PQE_EXECUTION, "query needs more than %zu "
		    "points: narrow the selectors or raise the step",
		    c->ev->limits.points_max * 4);
		return (NULL);
	}
	v->rows = xreallocarray(v->rows, v->n + 1, sizeof(*v->rows));
	r = &v->rows[v->n++];
	memset(r, 0, sizeof(*r));
	if (ls != NULL)
		r->ls = *ls;
	r->v = xcalloc(c->nsteps, sizeof(*r->v));
	r->have = xcalloc(c->nsteps, 1);
	return (r);
}

static int
promql_deadline(struct promql_ctx *c)
{
	struct timespec	 ts;
	long long	 now;

	if (c->ev->limits.deadline_ms <= 0 || c->failed)
		return (c->failed);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now > c->ev->limits.deadline_ms)
		promql_eval_fail(c, PQE_TIMEOUT, "query timed out in query "
		    "execution");
	return (c->failed);
}

static long long
promql_step_time(const struct promql_ctx *c, size_t k)
{
	return (c->ev->start + (long long)k * c->ev->step);
}

/* ---- selectors and range functions */

/* The consolidation that suits a range function. */
static const char *
promql_cf(enum promql_func f)
{
	switch (f) {
	case PQF_MIN_OVER_TIME:
		return ("MIN");
	case PQF_MAX_OVER_TIME:
		return ("MAX");
	case PQF_LAST_OVER_TIME:
		return ("LAST");
	default:
		return ("AVERAGE");
	}
}

/*
 * Prometheus' extrapolatedRate over the samples [a, b) of s in the
 * window (from, to]: rate, increase (counter resets added back) or delta.
 */
static int
promql_rate(const struct promql_samples *s, size_t a, size_t b,
    long long from, long long to, enum promql_func f, double *out)
{
	double	 result, dstart, dend, sampled, avg, zero, interval, thr;
	double	 first, last, prev;
	int	 counter = f != PQF_DELTA;
	size_t	 i;

	if (b - a < 2)
		return (0);
	first = s->v[a];
	last = s->v[b - 1];
	result = last - first;
	if (counter) {
		prev = first;
		for (i = a + 1; i < b; i++) {
			if (s->v[i] < prev)
				result += prev;
			prev = s->v[i];
		}
	}
	dstart = (double)(s->t[a] - from) / 1000;
	dend = (double)(to - s->t[b - 1]) / 1000;
	sampled = (double)(s->t[b - 1] - s->t[a]) / 1000;
	avg = sampled / (double)(b - a - 1);
	if (counter && result > 0 && first >= 0) {
		zero = sampled * (first / result);
		if (zero < dstart)
			dstart = zero;
	}
	thr = avg * 1.1;
	interval = sampled;
	interval += dstart < thr ? dstart : avg / 2;
	interval += dend < thr ? dend : avg / 2;
	result *= interval / sampled;
	if (f == PQF_RATE)
		result /= (double)(to - from) / 1000;
	*out = result;
	return (1);
}

/* A range function over the samples [a, b) of the window (from, to]. */
static int
promql_over_time(const struct promql_samples *s, size_t a, size_t b,
    long long from, long long to, enum promql_func f, double *out)
{
	double	 acc;
	size_t	 i;

	if (f == PQF_RATE || f == PQF_INCREASE || f == PQF_DELTA)
		return (promql_rate(s, a, b, from, to, f, out));
	if (b <= a)
		return (0);
	acc = s->v[a];
	for (i = a + 1; i < b; i++) {
		switch (f) {
		case PQF_AVG_OVER_TIME:
			acc += s->v[i];
			break;
		case PQF_MIN_OVER_TIME:
			if (s->v[i] < acc || isnan(acc))
				acc = s->v[i];
			break;
		case PQF_MAX_OVER_TIME:
			if (s->v[i] > acc || isnan(acc))
				acc = s->v[i];
			break;
		default:
			acc = s->v[i];
			break;
		}
	}
	if (f == PQF_AVG_OVER_TIME)
		acc /= (double)(b - a);
	*out = acc;
	return (1);
}

/*
 * Each series the selector matches, read once for the span and walked
 * step by step.  fn is -1 for an instant selector, else the function
 * applied to the range.
 */
static void
promql_select(struct promql_ctx *c, const struct promql_node *sel, int fn,
    struct promql_value *out)
{
	const struct promql_eval	*ev = c->ev;
	struct promql_samples		 s;
	struct promql_row		*r;
	struct promql_labels		 ls;
	long long			 from, to, win, t, lb, hint;
	char				 err[256];
	size_t				 i, j, k, a, b, matched = 0;
	int				 any, rc;

	out->type = PQT_VECTOR;
	win = sel->range > 0 ? sel->range : ev->lookback;
	from = ev->start - sel->offset - win;
	to = promql_step_time(c, c->nsteps - 1) - sel->offset;
	hint = ev->step;
	for (i = 0; i < ev->nseries && !c->failed; i++) {
		if (!promql_selector_match(sel, &ev->series[i]))
			continue;
		if (++matched > ev->limits.series_max &&
		    ev->limits.series_max > 0) {
			promql_eval_fail(c, PQE_EXECUTION, "the selector at "
			    "char %d matches more than %zu series", sel->pos +
			    1, ev->limits.series_max);
			return;
		}
		ls = ev->series[i];
		if (fn != -1)
			promql_labels_set(&ls, "__name__", "");
		for (j = 0; j < out->n; j++)
			if (promql_labels_equal(&out->rows[j].ls, &ls))
				break;
		if (j < out->n) {
			promql_eval_fail(c, PQE_EXECUTION, "vector cannot "
			    "contain metrics with the same labelset");
			return;
		}
		if (promql_deadline(c))
			return;
		memset(&s, 0, sizeof(s));
		memset(err, 0, sizeof(err));
		if ((rc = ev->read(ev->read_arg, i, fn == -1 ? "AVERAGE" :
		    promql_cf((enum promql_func)fn), from, to, hint,
		    sel->range, &s, err, sizeof(err))) < 0) {
			promql_eval_fail(c, rc == -2 ? PQE_UNAVAILABLE :
			    PQE_EXECUTION, "%s", err);
			return;
		}
		if ((r = promql_row_add(c, out, &ls)) == NULL) {
			free(s.t);
			free(s.v);
			return;
		}
		/* An instant selector looks back at least one row. */
		lb = ev->lookback > s.res ? ev->lookback : s.res;
		any = 0;
		for (k = 0, a = 0, b = 0; k < c->nsteps; k++) {
			/* a long window over many steps takes a while */
			if (fn != -1 && k % 64 == 63 && promql_deadline(c))
				break;
			t = promql_step_time(c, k) - sel->offset;
			while (b < s.n && s.t[b] <= t)
				b++;
			if (fn == -1) {
				if (b > 0 && s.t[b - 1] > t - lb) {
					r->v[k] = s.v[b - 1];
					r->have[k] = any = 1;
				}
				continue;
			}
			while (a < b && s.t[a] <= t - sel->range)
				a++;
			if (promql_over_time(&s, a, b, t - sel->range, t,
			    (enum promql_func)fn, &r->v[k]))
				r->have[k] = any = 1;
		}
		free(s.t);
		free(s.v);
		if (!any) {	/* no point at all: not in the answer */
			free(r->v);
			free(r->have);
			out->n--;
			c->points -= c->nsteps;
		}
	}
}

/*
 * A bare range selector, the whole query of an instant query: the raw
 * samples of each series in (t - range, t] (Prometheus' matrix).
 */
static void
promql_raw(struct promql_ctx *c, const struct promql_node *sel,
    struct promql_value *out)
{
	const struct promql_eval	*ev = c->ev;
	struct promql_samples		 s;
	struct promql_row		*r;
	char				 err[256];
	long long			 t = ev->start - sel->offset;
	size_t				 i, matched = 0;
	int				 rc;

	out->type = PQT_MATRIX;
	if (c->nsteps != 1) {
		promql_eval_fail(c, PQE_BAD_DATA, "invalid expression type "
		    "\"range vector\" for range query, must be Scalar or "
		    "instant Vector");
		return;
	}
	for (i = 0; i < ev->nseries && !promql_deadline(c); i++) {
		if (!promql_selector_match(sel, &ev->series[i]))
			continue;
		if (++matched > ev->limits.series_max &&
		    ev->limits.series_max > 0) {
			promql_eval_fail(c, PQE_EXECUTION, "the selector at "
			    "char %d matches more than %zu series", sel->pos +
			    1, ev->limits.series_max);
			return;
		}
		memset(&s, 0, sizeof(s));
		memset(err, 0, sizeof(err));
		/* hint 1 s: the finest rows that reach back */
		if ((rc = ev->read(ev->read_arg, i, "AVERAGE", t - sel->range,
		    t, 1000, sel->range, &s, err, sizeof(err))) < 0) {
			promql_eval_fail(c, rc == -2 ? PQE_UNAVAILABLE :
			    PQE_EXECUTION, "%s", err);
			return;
		}
		if (s.n == 0) {
			free(s.t);
			free(s.v);
			continue;
		}
		c->points += s.n;
		if (ev->limits.points_max > 0 && c->points >
		    ev->limits.points_max) {
			free(s.t);
			free(s.v);
			promql_eval_fail(c, PQE_EXECUTION, "more than %zu "
			    "samples: shorten the range", ev->limits.points_max);
			return;
		}
		out->rows = xreallocarray(out->rows, out->n + 1,
		    sizeof(*out->rows));
		r = &out->rows[out->n++];
		memset(r, 0, sizeof(*r));
		r->ls = ev->series[i];
		r->t = s.t;
		r->v = s.v;
		r->nsamples = s.n;
	}
}

/* ---- aggregation */

/* The labels a row is grouped by. */
static void
promql_group_labels(const struct promql_node *n,
    const struct promql_labels *in, struct promql_labels *out)
{
	int	 i, j, keep;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < in->n; i++) {
		keep = n->without;
		for (j = 0; j < n->ngrouping; j++)
			if (strcmp(in->name[i], n->grouping[j]) == 0)
				keep = !n->without;
		if (strcmp(in->name[i], "__name__") == 0 && n->without)
			keep = 0;
		if (keep)
			promql_labels_set(out, in->name[i], in->value[i]);
	}
}

static void
promql_eval_node(struct promql_ctx *, const struct promql_node *,
    struct promql_value *);

/* Each row's group: the index of the first row with its labels. */
static size_t *
promql_groups(const struct promql_node *n, const struct promql_value *in)
{
	struct promql_labels	*g;
	size_t			*grp, i, j;

	g = xreallocarray(NULL, in->n + 1, sizeof(*g));
	grp = xreallocarray(NULL, in->n + 1, sizeof(*grp));
	for (i = 0; i < in->n; i++) {
		promql_group_labels(n, &in->rows[i].ls, &g[i]);
		for (j = 0; j < i && !promql_labels_equal(&g[j], &g[i]); j++)
			;
		grp[i] = j < i ? grp[j] : i;
	}
	free(g);
	return (grp);
}

/* Sort for topk: group, then value descending (NaN last), then row. */
struct promql_rank {
	size_t	 group;
	size_t	 row;
	double	 v;
};

static int
promql_rank_cmp(const void *a, const void *b)
{
	const struct promql_rank	*x = a, *y = b;

	if (x->group != y->group)
		return (x->group < y->group ? -1 : 1);
	if (isnan(x->v) != isnan(y->v))
		return (isnan(x->v) ? 1 : -1);
	if (!isnan(x->v) && x->v != y->v)
		return (x->v > y->v ? -1 : 1);
	return (x->row < y->row ? -1 : x->row > y->row);
}

/* topk: per step, the k largest of each group; rows keep their labels. */
static void
promql_topk(struct promql_ctx *c, const struct promql_node *n,
    const struct promql_value *in, const struct promql_value *param,
    struct promql_value *out)
{
	struct promql_rank	*rk;
	size_t			*grp, i, k, m, taken;
	double			 kf;

	for (i = 0; i < in->n && !c->failed; i++)
		if (promql_row_add(c, out, &in->rows[i].ls) == NULL)
			return;
	grp = promql_groups(n, in);
	rk = xreallocarray(NULL, in->n + 1, sizeof(*rk));
	for (k = 0; k < c->nsteps && !promql_deadline(c); k++) {
		kf = param->rows[0].v[k];
		if (!param->rows[0].have[k] || isnan(kf) || kf < 1)
			continue;
		for (i = 0, m = 0; i < in->n; i++) {
			if (!in->rows[i].have[k])
				continue;
			rk[m].group = grp[i];
			rk[m].row = i;
			rk[m++].v = in->rows[i].v[k];
		}
		qsort(rk, m, sizeof(*rk), promql_rank_cmp);
		for (i = 0, taken = 0; i < m; i++) {
			if (i > 0 && rk[i].group != rk[i - 1].group)
				taken = 0;
			if ((double)taken++ >= kf)
				continue;
			out->rows[rk[i].row].v[k] = rk[i].v;
			out->rows[rk[i].row].have[k] = 1;
		}
	}
	free(rk);
	free(grp);
}

/* sum, avg, min, max, count by/without. */
static void
promql_aggregate(struct promql_ctx *c, const struct promql_node *n,
    const struct promql_value *in, struct promql_value *out)
{
	struct promql_labels	 g;
	struct promql_row	*r;
	double			*cnt = NULL, v;
	size_t			*grp, *slot, i, j, k;

	grp = promql_groups(n, in);
	slot = xreallocarray(NULL, in->n + 1, sizeof(*slot));
	for (i = 0; i < in->n && !promql_deadline(c); i++) {
		if (grp[i] == i) {	/* the first of its group */
			promql_group_labels(n, &in->rows[i].ls, &g);
			if (promql_row_add(c, out, &g) == NULL)
				break;
			slot[i] = out->n - 1;
			cnt = xreallocarray(cnt, out->n * c->nsteps,
			    sizeof(*cnt));
			memset(cnt + slot[i] * c->nsteps, 0, c->nsteps *
			    sizeof(*cnt));
		}
		j = slot[grp[i]];
		r = &out->rows[j];
		for (k = 0; k < c->nsteps; k++) {
			if (!in->rows[i].have[k])
				continue;
			v = in->rows[i].v[k];
			if (!r->have[k]) {
				r->v[k] = n->func == PQF_COUNT ? 1 : v;
				r->have[k] = 1;
			} else if (n->func == PQF_SUM || n->func == PQF_AVG)
				r->v[k] += v;
			else if (n->func == PQF_COUNT)
				r->v[k] += 1;
			else if (n->func == PQF_MIN && (v < r->v[k] ||
			    isnan(r->v[k])))
				r->v[k] = v;
			else if (n->func == PQF_MAX && (v > r->v[k] ||
			    isnan(r->v[k])))
				r->v[k] = v;
			cnt[j * c->nsteps + k] += 1;
		}
	}
	if (n->func == PQF_AVG && !c->failed)
		for (j = 0; j < out->n; j++)
			for (k = 0; k < c->nsteps; k++)
				if (out->rows[j].have[k])
					out->rows[j].v[k] /=
					    cnt[j * c->nsteps + k];
	free(cnt);
	free(slot);
	free(grp);
}

/* ---- arithmetic */

static double
promql_arith(enum promql_op op, double a, double b)
{
	switch (op) {
	case PQO_ADD:
		return (a + b);
	case PQO_SUB:
		return (a - b);
	case PQO_MUL:
		return (a * b);
	default:
		return (a / b);
	}
}

/* The labels vectors are matched on: all but __name__. */
static void
promql_signature(const struct promql_labels *in, struct promql_labels *out)
{
	*out = *in;
	promql_labels_set(out, "__name__", "");
}

/* vector op vector, one-to-one on every label but the name. */
static void
promql_vector_vector(struct promql_ctx *c, enum promql_op op,
    const struct promql_value *l, const struct promql_value *r,
    struct promql_value *out)
{
	struct promql_labels	 sl, *sr;
	struct promql_row	*o;
	size_t			 i, j, j2, k;

	sr = xreallocarray(NULL, r->n + 1, sizeof(*sr));
	for (j = 0; j < r->n; j++)
		promql_signature(&r->rows[j].ls, &sr[j]);
	for (i = 0; i < l->n && !promql_deadline(c); i++) {
		promql_signature(&l->rows[i].ls, &sl);
		for (j = 0; j < r->n && !promql_labels_equal(&sl, &sr[j]); j++)
			;
		if (j == r->n)
			continue;
		for (j2 = j + 1; j2 < r->n; j2++)
			if (promql_labels_equal(&sl, &sr[j2])) {
				promql_eval_fail(c, PQE_EXECUTION, "found "
				    "duplicate series for the match group on "
				    "the right hand-side of the operation: "
				    "many-to-many matching not allowed");
				goto done;
			}
		for (j2 = 0; j2 < out->n; j2++)
			if (promql_labels_equal(&out->rows[j2].ls, &sl)) {
				promql_eval_fail(c, PQE_EXECUTION, "multiple "
				    "matches for labels: many-to-one matching "
				    "must be explicit (group_left/"
				    "group_right)");
				goto done;
			}
		if ((o = promql_row_add(c, out, &sl)) == NULL)
			goto done;
		for (k = 0; k < c->nsteps; k++) {
			if (!l->rows[i].have[k] || !r->rows[j].have[k])
				continue;
			o->v[k] = promql_arith(op, l->rows[i].v[k],
			    r->rows[j].v[k]);
			o->have[k] = 1;
		}
	}
done:
	free(sr);
}

static void
promql_binary(struct promql_ctx *c, const struct promql_node *n,
    struct promql_value *out)
{
	struct promql_value	 l, r;
	const struct promql_value *vec, *sc;
	struct promql_labels	 ls;
	struct promql_row	*o;
	size_t			 i, k;
	double			 a, b;

	memset(&l, 0, sizeof(l));
	memset(&r, 0, sizeof(r));
	promql_eval_node(c, n->arg[0], &l);
	promql_eval_node(c, n->arg[1], &r);
	out->type = n->type;
	if (c->failed)
		goto done;
	if (l.type == PQT_VECTOR && r.type == PQT_VECTOR) {
		promql_vector_vector(c, n->op, &l, &r, out);
		goto done;
	}
	vec = l.type == PQT_VECTOR ? &l : r.type == PQT_VECTOR ? &r : NULL;
	sc = vec == &l ? &r : &l;
	if (vec == NULL) {	/* scalar op scalar */
		if ((o = promql_row_add(c, out, NULL)) == NULL)
			goto done;
		for (k = 0; k < c->nsteps; k++) {
			o->v[k] = promql_arith(n->op, l.rows[0].v[k],
			    r.rows[0].v[k]);
			o->have[k] = 1;
		}
		goto done;
	}
	for (i = 0; i < vec->n && !c->failed; i++) {
		promql_signature(&vec->rows[i].ls, &ls);
		if ((o = promql_row_add(c, out, &ls)) == NULL)
			break;
		for (k = 0; k < c->nsteps; k++) {
			if (!vec->rows[i].have[k])
				continue;
			a = vec == &l ? vec->rows[i].v[k] : sc->rows[0].v[k];
			b = vec == &l ? sc->rows[0].v[k] : vec->rows[i].v[k];
			o->v[k] = promql_arith(n->op, a, b);
			o->have[k] = 1;
		}
	}
done:
	promql_value_free(&l);
	promql_value_free(&r);
}

/* ---- the tree */

static void
promql_eval_node(struct promql_ctx *c, const struct promql_node *n,
    struct promql_value *out)
{
	struct promql_value	 in, param;
	struct promql_row	*r;
	size_t			 i, k;

	memset(out, 0, sizeof(*out));
	out->type = n->type;
	if (c->failed)
		return;
	switch (n->kind) {
	case PQ_NUMBER:
		if ((r = promql_row_add(c, out, NULL)) == NULL)
			return;
		for (k = 0; k < c->nsteps; k++) {
			r->v[k] = n->number;
			r->have[k] = 1;
		}
		break;
	case PQ_SELECTOR:
		if (n->range > 0)
			promql_raw(c, n, out);
		else
			promql_select(c, n, -1, out);
		break;
	case PQ_CALL:
		promql_select(c, n->arg[0], (int)n->func, out);
		break;
	case PQ_AGGR:
		memset(&in, 0, sizeof(in));
		memset(&param, 0, sizeof(param));
		if (n->func == PQF_TOPK) {
			promql_eval_node(c, n->arg[0], &param);
			promql_eval_node(c, n->arg[1], &in);
			if (!c->failed)
				promql_topk(c, n, &in, &param, out);
		} else {
			promql_eval_node(c, n->arg[0], &in);
			if (!c->failed)
				promql_aggregate(c, n, &in, out);
		}
		promql_value_free(&in);
		promql_value_free(&param);
		out->type = PQT_VECTOR;
		break;
	case PQ_BINARY:
		promql_binary(c, n, out);
		break;
	case PQ_NEG:
		promql_eval_node(c, n->arg[0], out);
		for (i = 0; i < out->n; i++) {
			if (n->type == PQT_VECTOR)
				promql_labels_set(&out->rows[i].ls,
				    "__name__", "");
			for (k = 0; k < c->nsteps; k++)
				out->rows[i].v[k] = -out->rows[i].v[k];
		}
		break;
	}
}

void
promql_eval(const struct promql_node *n, const struct promql_eval *ev,
    struct promql_result *res)
{
	struct promql_ctx	 c;
	struct promql_value	 v;
	size_t			 i, k, keep, points = 0;

	memset(res, 0, sizeof(*res));
	memset(&c, 0, sizeof(c));
	c.ev = ev;
	c.res = res;
	if (ev->step <= 0 || ev->end < ev->start) {
		promql_eval_fail(&c, PQE_BAD_DATA, "end before start, or a "
		    "step of zero");
		return;
	}
	c.nsteps = (size_t)((ev->end - ev->start) / ev->step) + 1;
	promql_eval_node(&c, n, &v);
	if (c.failed) {
		promql_value_free(&v);
		return;
	}
	/* Rows with no point at all are not part of the answer. */
	for (i = 0, keep = 0; i < v.n && v.type == PQT_MATRIX; i++)
		points += v.rows[i].nsamples;
	for (i = 0, keep = 0; i < v.n && v.type != PQT_MATRIX; i++) {
		for (k = 0; k < c.nsteps; k++)
			points += v.rows[i].have[k];
		for (k = 0; k < c.nsteps && !v.rows[i].have[k]; k++)
			;
		if (k == c.nsteps && v.type == PQT_VECTOR) {
			free(v.rows[i].v);
			free(v.rows[i].have);
			continue;
		}
		v.rows[keep++] = v.rows[i];
	}
	if (v.type == PQT_MATRIX)
		keep = v.n;	/* rows without samples were never added */
	res->type = v.type;
	res->rows = v.rows;
	res->nrows = keep;
	res->nsteps = c.nsteps;
	if (ev->limits.points_max > 0 && points > ev->limits.points_max) {
		promql_result_free(res);
		promql_eval_fail(&c, PQE_EXECUTION, "an answer of %zu points "
		    "(at most %zu): narrow the query or raise the step",
		    points, ev->limits.points_max);
	}
}
