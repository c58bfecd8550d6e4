/*
 * fuzz_promql.c - libFuzzer target for the PromQL parser and evaluator.
 * The input is a query.  A parse error must name a byte inside the
 * query and end its message; a tree must be well typed (a range vector
 * only as a function's argument or the whole query) and is evaluated
 * over a few steps of two small in-memory series, and at one instant,
 * so the evaluator meets every shape the parser accepts.  Build: tests/fuzz/build.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "promql.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct promql_labels	 fz_labels[2];

static int
fz_read(void *arg, size_t i, const char *cf, long long from, long long to,
    long long hint, long long range, struct promql_samples *out, char *err,
    size_t errlen)
{
	long long	 t;
	size_t		 n = 0;

	(void)arg; (void)cf; (void)hint; (void)range; (void)err; (void)errlen;
	memset(out, 0, sizeof(*out));
	out->res = 60000;
	out->t = malloc(64 * sizeof(*out->t));
	out->v = malloc(64 * sizeof(*out->v));
	if (out->t == NULL || out->v == NULL)
		abort();
	for (t = 0; t <= 1200000 && n < 64; t += 60000) {
		if (t <= from || t > to)
			continue;
		out->t[n] = t;
		out->v[n++] = i == 0 ? (double)(t / 60000) : (t % 7) - 3;
	}
	out->n = n;
	return (0);
}

/* The type rules promql_eval relies on. */
static void
check_tree(const struct promql_node *n, int arg_of_call)
{
	if (n == NULL)
		return;
	if (n->type == PQT_MATRIX && !(n->kind == PQ_SELECTOR && n->range > 0))
		abort();
	if (n->kind == PQ_SELECTOR && n->range > 0 && !arg_of_call &&
	    n->type != PQT_MATRIX)
		abort();
	if (n->kind == PQ_BINARY && (n->arg[0] == NULL || n->arg[1] == NULL ||
	    n->arg[0]->type == PQT_MATRIX || n->arg[1]->type == PQT_MATRIX))
		abort();
	check_tree(n->arg[0], n->kind == PQ_CALL);
	check_tree(n->arg[1], 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct promql_error	 err;
	struct promql_node	*n;
	struct promql_eval	 ev;
	struct promql_result	 res;
	char			*q;

	if ((q = malloc(size + 1)) == NULL)
		return (0);
	memcpy(q, data, size);
	q[size] = '\0';
	if ((n = promql_parse(q, &err)) == NULL) {
		if (err.pos < 0 || (size_t)err.pos > strlen(q) ||
		    memchr(err.msg, '\0', sizeof(err.msg)) == NULL ||
		    err.msg[0] == '\0')
			abort();
		free(q);
		return (0);
	}
	check_tree(n, 0);
	if (fz_labels[0].n == 0) {
		promql_labels_set(&fz_labels[0], "__name__", "tally_a_b");
		promql_labels_set(&fz_labels[0], "instance", "x");
		promql_labels_set(&fz_labels[1], "__name__", "tally_a_b");
		promql_labels_set(&fz_labels[1], "instance", "y");
	}
	memset(&ev, 0, sizeof(ev));
	ev.start = 300000;
	ev.end = 900000;
	ev.step = 120000;
	ev.lookback = 300000;
	ev.series = fz_labels;
	ev.nseries = 2;
	ev.read = fz_read;
	ev.limits.series_max = 2;
	ev.limits.points_max = 10000;
	promql_eval(n, &ev, &res);
	if (res.errtype == PQE_NONE && res.nrows > 0 && res.nsteps != 6)
		abort();
	promql_result_free(&res);
	/* and as an instant query: a bare range vector answers samples */
	ev.start = ev.end = 600000;
	promql_eval(n, &ev, &res);
	if (res.errtype == PQE_NONE && res.type != n->type)
		abort();
	promql_result_free(&res);
	promql_free(n);
	free(q);
	return (0);
}
