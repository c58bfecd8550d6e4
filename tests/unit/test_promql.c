/*
 * test_promql.c - the PromQL subset: every operator and its precedence,
 * selectors and matchers, functions, errors with their positions; and
 * the evaluator over in-memory samples (rate as Prometheus extrapolates,
 * aggregations, vector matching, offset, lookback, limits).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promql.h"
#include "tap.h"

/* ---- the tree, printed fully parenthesised */

static void
show(const struct promql_node *n, char *buf, size_t len)
{
	static const char *const ops = "+-*/";
	static const char *const mops[] = { "=", "!=", "=~", "!~" };
	char	 a[400], b[400];
	size_t	 o;
	int	 i;

	switch (n->kind) {
	case PQ_NUMBER:
		snprintf(buf, len, "%g", n->number);
		break;
	case PQ_SELECTOR:
		o = snprintf(buf, len, "{");
		for (i = 0; i < n->nm && o < len; i++)
			o += snprintf(buf + o, len - o, "%s%s%s\"%s\"",
			    i ? "," : "", n->m[i].name, mops[n->m[i].op],
			    n->m[i].value);
		o += snprintf(buf + o, len - o, "}");
		if (n->range && o < len)
			o += snprintf(buf + o, len - o, "[%lldms]", n->range);
		if (n->offset && o < len)
			snprintf(buf + o, len - o, " offset %lldms",
			    n->offset);
		break;
	case PQ_CALL:
		show(n->arg[0], a, sizeof(a));
		snprintf(buf, len, "%s(%s)", promql_func_name(n->func), a);
		break;
	case PQ_AGGR:
		o = snprintf(buf, len, "%s", promql_func_name(n->func));
		if (n->ngrouping || n->without) {
			o += snprintf(buf + o, len - o, " %s(",
			    n->without ? "without" : "by");
			for (i = 0; i < n->ngrouping && o < len; i++)
				o += snprintf(buf + o, len - o, "%s%s",
				    i ? "," : "", n->grouping[i]);
			o += snprintf(buf + o, len - o, ")");
		}
		show(n->arg[0], a, sizeof(a));
		if (n->arg[1] != NULL && o < len) {
			show(n->arg[1], b, sizeof(b));
			snprintf(buf + o, len - o, "(%s, %s)", a, b);
		} else if (o < len)
			snprintf(buf + o, len - o, "(%s)", a);
		break;
	case PQ_BINARY:
		show(n->arg[0], a, sizeof(a));
		show(n->arg[1], b, sizeof(b));
		snprintf(buf, len, "(%s %c %s)", a, ops[n->op], b);
		break;
	case PQ_NEG:
		show(n->arg[0], a, sizeof(a));
		snprintf(buf, len, "-(%s)", a);
		break;
	}
}

/* q as a TAP description: one line, no '#' (a TAP directive). */
static const char *
label(const char *q)
{
	static char	 buf[128];
	size_t		 i;

	for (i = 0; q[i] != '\0' && i < sizeof(buf) - 1; i++)
		buf[i] = q[i] == '#' || (unsigned char)q[i] < 0x20 ||
		    (unsigned char)q[i] >= 0x7f ? '?' : q[i];
	buf[i] = '\0';
	return (buf);
}

static void
parses(const char *q, const char *want)
{
	struct promql_error	 err;
	struct promql_node	*n;
	char			 got[2048];

	if ((n = promql_parse(q, &err)) == NULL) {
		ok(0, "parses: %s", label(q));
		printf("#   error at %d: %s\n", err.pos, err.msg);
		return;
	}
	show(n, got, sizeof(got));
	is_str(got, want, label(q));
	promql_free(n);
}

static void
fails(const char *q, int pos, const char *msg)
{
	struct promql_error	 err;
	struct promql_node	*n;

	n = promql_parse(q, &err);
	ok(n == NULL && err.pos == pos && strstr(err.msg, msg) != NULL,
	    "refused at %d: %s", pos, label(q));
	if (n != NULL)
		promql_free(n);
	else if (err.pos != pos || strstr(err.msg, msg) == NULL)
		printf("#   got %d \"%s\"\n", err.pos, err.msg);
}

static void
test_parse(void)
{
	/* numbers, arithmetic, precedence, associativity */
	parses("1+1", "(1 + 1)");
	parses("1 + 2 * 3", "(1 + (2 * 3))");
	parses("1 * 2 + 3", "((1 * 2) + 3)");
	parses("(1 + 2) * 3", "((1 + 2) * 3)");
	parses("8 / 4 / 2", "((8 / 4) / 2)");
	parses("8 - 4 - 2", "((8 - 4) - 2)");
	parses("1 - 2 + 3", "((1 - 2) + 3)");
	parses("6 / 2 * 3", "((6 / 2) * 3)");
	parses("-1 * 2", "(-1 * 2)");
	parses("- x * 2", "(-({__name__=\"x\"}) * 2)");
	parses("2 * -x", "(2 * -({__name__=\"x\"}))");
	parses("+3", "3");
	parses("1e3 + 0x10 + .5 + 2.5e-1", "(((1000 + 16) + 0.5) + 0.25)");
	parses("Inf - -Inf", "(inf - -inf)");
	parses("NaN", "nan");
	parses("1 # a comment\n+ 2", "(1 + 2)");
	/* selectors and matchers */
	parses("tally_coop_members", "{__name__=\"tally_coop_members\"}");
	parses("m{instance=\"a\", job!='b', x=~\"c.*\", y!~`d|e`}",
	    "{__name__=\"m\",instance=\"a\",job!=\"b\",x=~\"c.*\","
	    "y!~\"d|e\"}");
	parses("{__name__=~\"tally_.*\"}", "{__name__=~\"tally_.*\"}");
	parses("m{a=\"\\\"q\\\\\"}", "{__name__=\"m\",a=\"\"q\\\"}");
	parses("m{a=\"b\",}", "{__name__=\"m\",a=\"b\"}");
	parses("m[5m]", "{__name__=\"m\"}[300000ms]");
	parses("m[1h30m]", "{__name__=\"m\"}[5400000ms]");
	parses("m[100ms]", "{__name__=\"m\"}[100ms]");
	parses("m offset 1y", "{__name__=\"m\"} offset 31536000000ms");
	parses("m offset -1d", "{__name__=\"m\"} offset -86400000ms");
	parses("m[5m] offset 1w", "{__name__=\"m\"}[300000ms] offset "
	    "604800000ms");
	parses("m OFFSET 1m", "{__name__=\"m\"} offset 60000ms");
	/* functions and aggregations */
	parses("rate(m[5m])", "rate({__name__=\"m\"}[300000ms])");
	parses("increase(m[1h])", "increase({__name__=\"m\"}[3600000ms])");
	parses("delta(m[1h])", "delta({__name__=\"m\"}[3600000ms])");
	parses("avg_over_time(m[1d]) + min_over_time(m[1d]) - "
	    "max_over_time(m[1d]) * last_over_time(m[1d])",
	    "((avg_over_time({__name__=\"m\"}[86400000ms]) + "
	    "min_over_time({__name__=\"m\"}[86400000ms])) - "
	    "(max_over_time({__name__=\"m\"}[86400000ms]) * "
	    "last_over_time({__name__=\"m\"}[86400000ms])))");
	parses("sum(m)", "sum({__name__=\"m\"})");
	parses("sum by (instance) (m)", "sum by(instance)({__name__=\"m\"})");
	parses("sum(m) by (a, b)", "sum by(a,b)({__name__=\"m\"})");
	parses("avg without (instance) (m)",
	    "avg without(instance)({__name__=\"m\"})");
	parses("min(m) + max(m)", "(min({__name__=\"m\"}) + "
	    "max({__name__=\"m\"}))");
	parses("count by () (m)", "count({__name__=\"m\"})");
	parses("topk(3, rate(m[5m]))",
	    "topk(3, rate({__name__=\"m\"}[300000ms]))");
	parses("sum(rate(m[5m])) by (instance) / 2",
	    "(sum by(instance)(rate({__name__=\"m\"}[300000ms])) / 2)");
	parses("m / m offset 1y", "({__name__=\"m\"} / {__name__=\"m\"} "
	    "offset 31536000000ms)");
	parses("sum", "{__name__=\"sum\"}");
	parses("rate", "{__name__=\"rate\"}");

	/* errors, each at its byte */
	fails("", 0, "no expression");
	fails("1 +", 3, "unexpected end of input");
	fails("1 + * 2", 4, "unexpected \"*\"");
	fails("(1 + 2", 6, "expected \")\"");
	fails("1 % 2", 2, "operator \"%\" is not supported");
	fails("1 ^ 2", 2, "operator \"^\" is not supported");
	fails("m > 1", 2, "operator \">\" is not supported");
	fails("m == 1", 2, "operator \"==\" is not supported");
	fails("m and n", 2, "operator \"and\" is not supported");
	fails("m or n", 2, "operator \"or\" is not supported");
	fails("m + on(a) n", 4, "vector matching modifier");
	fails("m + bool n", 4, "vector matching modifier");
	fails("histogram_quantile(0.9, m)", 0, "function "
	    "\"histogram_quantile\" is not supported");
	fails("rate(m)", 5, "expected type range vector in call to function "
	    "\"rate\", got instant vector");
	fails("sum(m[5m])", 4, "expected type instant vector");
	fails("topk(m, n)", 5, "expected type scalar");
	fails("topk(3)", 6, "topk takes 2 arguments, got 1");
	fails("rate(m[5m], 1)", 12, "too many arguments");
	fails("m[5m] + 1", 6, "binary expression must contain only scalar "
	    "and instant vector");
	fails("m[5m:1m]", 4, "subqueries are not supported");
	fails("m[0s]", 2, "greater than 0");
	fails("m[5x]", 2, "bad number or duration");
	fails("m[5]", 2, "expected a duration");
	fails("(m)[5m]", 3, "ranges only allowed for vector selectors");
	fails("sum(m) offset 1h", 7, "offset modifier must be preceded");
	fails("m offset 1h offset 1h", 12, "offset may not be set multiple");
	fails("m offset", 8, "expected a duration after offset");
	fails("m @ 100", 2, "@ modifier is not supported");
	fails("m{a=\"b\"", 7, "expected \",\" or \"}\"");
	fails("m{a=b}", 4, "expected a quoted string");
	fails("m{a~\"b\"}", 3, "unexpected character '~'");
	fails("m{=\"b\"}", 2, "expected a label name");
	fails("m{a==\"b\"}", 3, "expected one of =, !=, =~, !~");
	fails("m{a=~\"(\"}", 5, "bad regular expression");
	fails("m{a=~\"q.++\"}", 5, "invalid nested repetition");
	fails("m{a=~\"(a{999}){999}\"}", 5, "at most 1000 in all");
	fails("m{a=~\"a{1001}\"}", 5, "at most 1000");
	parses("m{a=~\"[+*]+\\\\++\"}", "{__name__=\"m\",a=~\"[+*]+\\++\"}");
	fails("{a=\"\"}", 0, "at least one non-empty matcher");
	fails("{a=~\".*\"}", 0, "at least one non-empty matcher");
	fails("m{__name__=\"n\"}", 0, "metric name must not be set twice");
	fails("m{a=\"b\\q\"}", 6, "unknown escape sequence");
	fails("m{a=\"b}", 4, "unterminated string");
	fails("\"str\"", 0, "string literals are not supported");
	fails("5m", 0, "durations go in");
	fails("1 2", 2, "unexpected \"2\" after the expression");
	fails("m $", 2, "unexpected character '$'");
	fails("m !", 2, "unexpected character '!'");
	fails("rate by (a) (m[5m])", 5, "unexpected \"by\" after");
	fails("sum by (a) (m) by (b)", 15, "grouping given twice");
	fails("sum by (1) (m)", 8, "expected a label name");
	fails("1 + 1 and", 6, "\"and\" is not supported");
	fails("- m[5m]", 0, "unary expression only allowed");
	fails("m\xff", 1, "unexpected byte 0xff");
	{
		char	 deep[400];
		int	 i;

		for (i = 0; i < 150; i++)
			deep[i] = '(';
		deep[i++] = '1';
		deep[i] = '\0';
		fails(deep, 64, "nested deeper than 64");
	}
	{
		/*
		 * A chain of operators nests no parenthesis but is a tree
		 * as deep: 4,000 overflowed the evaluator's stack (found by
		 * fuzz_promql); 200 is a query like any other.
		 */
		struct promql_error	 err;
		struct promql_node	*n;
		char			 chain[8200];
		int			 i, k;

		for (k = 0, i = 0; k < 4000; k++) {
			chain[i++] = '1';
			chain[i++] = '+';
		}
		chain[i - 1] = '\0';
		n = promql_parse(chain, &err);
		ok(n == NULL && strstr(err.msg, "more than 256 operators") !=
		    NULL && err.pos > 0 && err.pos < i,
		    "a chain of 4000 operators refused (%d: %s)", err.pos,
		    err.msg);
		promql_free(n);
		chain[2 * 200 - 1] = '\0';
		n = promql_parse(chain, &err);
		ok(n != NULL, "a chain of 200 parsed (%s)", n == NULL ?
		    err.msg : "");
		promql_free(n);
	}
}

/* ---- the evaluator over in-memory series */

#define NS	3
static struct promql_labels	 ts_labels[NS];
static long long		 ts_t[NS][64];
static double			 ts_v[NS][64];
static size_t			 ts_n[NS];
static int			 ts_reads;
static int			 ts_busy;	/* the reader says busy */

static int
fake_read(void *arg, size_t i, const char *cf, long long from, long long to,
    long long hint, long long range, struct promql_samples *out, char *err,
    size_t errlen)
{
	size_t	 k;

	(void)arg; (void)cf; (void)hint; (void)range;
	ts_reads++;
	memset(out, 0, sizeof(*out));
	out->t = calloc(64, sizeof(*out->t));
	out->v = calloc(64, sizeof(*out->v));
	out->res = 60000;
	if ((i == 2 && ts_n[2] == 0) || ts_busy) {
		snprintf(err, errlen, ts_busy ? "try later" :
		    "the file is gone");
		free(out->t);
		free(out->v);
		return (ts_busy ? -2 : -1);
	}
	for (k = 0; k < ts_n[i]; k++) {
		if (ts_t[i][k] <= from || ts_t[i][k] > to)
			continue;
		out->t[out->n] = ts_t[i][k];
		out->v[out->n++] = ts_v[i][k];
	}
	return (0);
}

/* Series 0, 1: tally_web_hits{instance=a|b}; a counter every minute. */
static void
fixture(void)
{
	size_t	 k;

	memset(ts_labels, 0, sizeof(ts_labels));
	promql_labels_set(&ts_labels[0], "__name__", "tally_web_hits");
	promql_labels_set(&ts_labels[0], "instance", "a");
	promql_labels_set(&ts_labels[1], "instance", "b");
	promql_labels_set(&ts_labels[1], "__name__", "tally_web_hits");
	promql_labels_set(&ts_labels[2], "__name__", "tally_web_temp");
	promql_labels_set(&ts_labels[2], "instance", "a");
	for (k = 0; k < 20; k++) {
		ts_t[0][k] = ts_t[1][k] = ts_t[2][k] = 60000 * (long long)k;
		ts_v[0][k] = 10.0 * (double)k;	/* +10 a minute */
		ts_v[1][k] = (double)k;		/* +1 a minute */
		ts_v[2][k] = k == 7 ? 100 : 5;
	}
	ts_v[1][10] = 0;		/* a counter reset: 9 -> 0 -> 11 */
	ts_n[0] = ts_n[1] = ts_n[2] = 20;
}

static int
eval(const char *q, long long start, long long end, long long step,
    struct promql_result *res)
{
	struct promql_error	 err;
	struct promql_node	*n;
	struct promql_eval	 ev;

	memset(res, 0, sizeof(*res));
	if ((n = promql_parse(q, &err)) == NULL) {
		printf("# parse %s: %s\n", q, err.msg);
		return (-1);
	}
	memset(&ev, 0, sizeof(ev));
	ev.start = start;
	ev.end = end;
	ev.step = step;
	ev.lookback = 300000;
	ev.series = ts_labels;
	ev.nseries = NS;
	ev.read = fake_read;
	ev.limits.series_max = 10;
	ev.limits.points_max = 1000;
	promql_eval(n, &ev, res);
	promql_free(n);
	if (res->errtype != PQE_NONE)
		printf("# eval %s: %s\n", q, res->error);
	return (res->errtype == PQE_NONE ? 0 : -1);
}

/* The value of the row whose label l is v (or the only row), step k. */
static double
val(const struct promql_result *res, const char *l, const char *v, size_t k)
{
	size_t	 i;

	for (i = 0; i < res->nrows; i++)
		if (l == NULL || strcmp(promql_label(&res->rows[i].ls, l),
		    v) == 0)
			return (res->rows[i].have[k] ? res->rows[i].v[k] :
			    -12345);
	return (-99999);
}

static int
near(double a, double b)
{
	return (fabs(a - b) < 1e-9 * (fabs(b) > 1 ? fabs(b) : 1));
}

static void
test_eval(void)
{
	struct promql_result	 r;

	fixture();
	ok(eval("1 + 2 * 3 - 4 / 2", 0, 0, 1000, &r) == 0 &&
	    r.type == PQT_SCALAR && near(val(&r, NULL, NULL, 0), 5),
	    "scalar arithmetic with precedence: 5");
	promql_result_free(&r);
	ok(eval("-2 * 3", 0, 0, 1000, &r) == 0 && near(val(&r, NULL, NULL,
	    0), -6), "unary minus");
	promql_result_free(&r);

	/* instant selector: newest sample in the lookback, per step */
	ok(eval("tally_web_hits", 300000, 420000, 60000, &r) == 0 &&
	    r.nrows == 2 && r.nsteps == 3 && near(val(&r, "instance", "a",
	    0), 50) && near(val(&r, "instance", "a", 2), 70) &&
	    strcmp(promql_label(&r.rows[0].ls, "__name__"),
	    "tally_web_hits") == 0, "selector: values at each step, name kept");
	promql_result_free(&r);
	ok(eval("tally_web_hits{instance=\"a\"}", 330000, 330000, 1000,
	    &r) == 0 && r.nrows == 1 && near(val(&r, NULL, NULL, 0), 50),
	    "between samples: the older one");
	promql_result_free(&r);
	ok(eval("tally_web_hits{instance=\"a\"}", 1500000, 1500000, 1000,
	    &r) == 0 && r.nrows == 0, "past the lookback: absent, not NaN");
	promql_result_free(&r);
	ok(eval("tally_web_hits{instance!=\"a\"}", 60000, 60000, 1000,
	    &r) == 0 && r.nrows == 1 && near(val(&r, "instance", "b", 0),
	    1), "!= matcher");
	promql_result_free(&r);
	ok(eval("{__name__=~\"tally_web_.*\",instance=~\"a\"}", 60000, 60000,
	    1000, &r) == 0 && r.nrows == 2, "=~ anchored: a, not b");
	promql_result_free(&r);
	ok(eval("{__name__=~\"web\"}", 60000, 60000, 1000, &r) == 0 &&
	    r.nrows == 0, "=~ is anchored: \"web\" matches no name");
	promql_result_free(&r);
	ok(eval("tally_web_hits{instance!~\"a|c\"}", 60000, 60000, 1000,
	    &r) == 0 && r.nrows == 1, "!~ matcher");
	promql_result_free(&r);
	ok(eval("tally_web_hits{instance=\"a\"} offset 2m", 300000, 300000,
	    1000, &r) == 0 && near(val(&r, NULL, NULL, 0), 30), "offset");
	promql_result_free(&r);

	/* range functions */
	ok(eval("rate(tally_web_hits{instance=\"a\"}[5m])", 600000, 600000,
	    1000, &r) == 0 && near(val(&r, NULL, NULL, 0), 10.0 / 60) &&
	    *promql_label(&r.rows[0].ls, "__name__") == '\0',
	    "rate: 10 a minute, extrapolated; name dropped");
	promql_result_free(&r);
	ok(eval("increase(tally_web_hits{instance=\"a\"}[5m])", 600000,
	    600000, 1000, &r) == 0 && near(val(&r, NULL, NULL, 0), 50),
	    "increase over 5m: 50");
	promql_result_free(&r);
	/* samples 6..10 of b: 6 7 8 9 0; reset adds 9: 0-6+9 = 3 over 4m */
	ok(eval("increase(tally_web_hits{instance=\"b\"}[5m])", 600000,
	    600000, 1000, &r) == 0 && near(val(&r, NULL, NULL, 0),
	    3.0 * 300 / 240), "increase counts a counter reset");
	promql_result_free(&r);
	ok(eval("delta(tally_web_hits{instance=\"b\"}[5m])", 600000, 600000,
	    1000, &r) == 0 && near(val(&r, NULL, NULL, 0), -6.0 * 300 / 240),
	    "delta does not");
	promql_result_free(&r);
	ok(eval("avg_over_time(tally_web_temp[10m])", 600000, 600000, 1000,
	    &r) == 0 && near(val(&r, NULL, NULL, 0), (9 * 5 + 100) / 10.0),
	    "avg_over_time");
	promql_result_free(&r);
	ok(eval("max_over_time(tally_web_temp[10m]) - "
	    "min_over_time(tally_web_temp[10m])", 600000, 600000, 1000,
	    &r) == 0 && near(val(&r, NULL, NULL, 0), 95), "max - min over "
	    "time");
	promql_result_free(&r);
	ok(eval("last_over_time(tally_web_temp[10m])", 420000, 420000, 1000,
	    &r) == 0 && near(val(&r, NULL, NULL, 0), 100), "last_over_time");
	promql_result_free(&r);
	ok(eval("rate(tally_web_hits[1m])", 600000, 600000, 1000, &r) == 0 &&
	    r.nrows == 0, "one sample in the window: no rate");
	promql_result_free(&r);

	/* aggregations */
	ok(eval("sum(tally_web_hits)", 120000, 120000, 1000, &r) == 0 &&
	    r.nrows == 1 && r.rows[0].ls.n == 0 && near(val(&r, NULL, NULL,
	    0), 22), "sum: 20 + 2");
	promql_result_free(&r);
	ok(eval("sum by (instance) ({__name__=~\"tally_web_.*\"})", 120000,
	    120000, 1000, &r) == 0 && r.nrows == 2 && near(val(&r,
	    "instance", "a", 0), 25) && near(val(&r, "instance", "b", 0), 2),
	    "sum by (instance)");
	promql_result_free(&r);
	ok(eval("count without (instance) ({__name__=~\"tally_web_.*\"})",
	    120000, 120000, 1000, &r) == 0 && r.nrows == 1 && near(val(&r, NULL,
	    NULL, 0), 3), "count without (instance): the name goes too, one "
	    "group");
	promql_result_free(&r);
	ok(eval("avg(tally_web_hits)", 120000, 120000, 1000, &r) == 0 &&
	    near(val(&r, NULL, NULL, 0), 11), "avg");
	promql_result_free(&r);
	ok(eval("min(tally_web_hits) + max(tally_web_hits)", 120000, 120000,
	    1000, &r) == 0 && near(val(&r, NULL, NULL, 0), 22), "min + max");
	promql_result_free(&r);
	ok(eval("topk(1, tally_web_hits)", 120000, 120000, 1000, &r) == 0 &&
	    r.nrows == 1 && strcmp(promql_label(&r.rows[0].ls, "instance"),
	    "a") == 0 && strcmp(promql_label(&r.rows[0].ls, "__name__"),
	    "tally_web_hits") == 0, "topk keeps the labels");
	promql_result_free(&r);
	ok(eval("topk(1, -tally_web_hits)", 120000, 180000, 60000, &r) ==
	    0 && r.nrows == 1 && near(val(&r, "instance", "b", 1), -3),
	    "topk per step");
	promql_result_free(&r);

	/* vector matching */
	ok(eval("tally_web_hits / tally_web_hits", 120000, 120000, 1000,
	    &r) == 0 && r.nrows == 2 && near(val(&r, "instance", "a", 0), 1),
	    "vector / vector one-to-one");
	promql_result_free(&r);
	ok(eval("tally_web_temp - tally_web_hits", 120000, 120000, 1000,
	    &r) == 0 && r.nrows == 1 && near(val(&r, NULL, NULL, 0), 5 - 20),
	    "matched on all labels but the name; unmatched dropped");
	promql_result_free(&r);
	ok(eval("tally_web_hits * 2 + 1", 120000, 120000, 1000, &r) == 0 &&
	    near(val(&r, "instance", "a", 0), 41), "vector * scalar + scalar");
	promql_result_free(&r);
	ok(eval("100 / tally_web_hits{instance=\"a\"}", 0, 0, 1000, &r) ==
	    0 && isinf(r.rows[0].v[0]), "scalar / vector: +Inf is a value");
	promql_result_free(&r);
	ok(eval("tally_web_hits - tally_web_hits offset 1m", 120000,
	    120000, 1000, &r) == 0 && near(val(&r, "instance", "a", 0), 10),
	    "x - x offset 1m");
	promql_result_free(&r);
	ok(eval("sum(tally_web_hits) / count(tally_web_hits)", 120000,
	    120000, 1000, &r) == 0 && near(val(&r, NULL, NULL, 0), 11),
	    "empty label sets match");
	promql_result_free(&r);

	/* errors and limits */
	ok(eval("{__name__=~\"tally_web_.*\"} - "
	    "{__name__=~\"tally_web_hits\"}", 120000, 120000, 1000, &r) == -1 &&
	    r.errtype == PQE_EXECUTION && strstr(r.error, "many") != NULL,
	    "duplicate match group refused");
	ok(eval("rate({__name__=~\"tally_web_.*\"}[5m])", 120000, 120000, 1000,
	    &r) == -1, "rate over duplicate label sets: refused");
	ts_n[2] = 0;
	ok(eval("tally_web_temp", 120000, 120000, 1000, &r) == -1 &&
	    r.errtype == PQE_EXECUTION && strstr(r.error, "gone") != NULL,
	    "a reader's error is the query's");
	ts_busy = 1;
	ok(eval("tally_web_temp", 120000, 120000, 1000, &r) == -1 &&
	    r.errtype == PQE_UNAVAILABLE && strcmp(promql_errtype_name(
	    r.errtype), "unavailable") == 0, "a busy reader: unavailable");
	ok(eval("rate(tally_web_temp[5m])", 120000, 120000, 1000, &r) == -1 &&
	    r.errtype == PQE_UNAVAILABLE, "and so in a range selector");
	ok(eval("tally_web_temp[5m]", 120000, 120000, 1000, &r) == -1 &&
	    r.errtype == PQE_UNAVAILABLE, "and in a raw range");
	ts_busy = 0;
	fixture();
	ok(eval("tally_web_hits", 0, 1140000, 1000, &r) == -1 &&
	    strstr(r.error, "points") != NULL, "points limit");
	ok(eval("tally_web_hits", 10, 0, 1000, &r) == -1 &&
	    r.errtype == PQE_BAD_DATA, "end before start");
	ok(eval("tally_web_hits[5m]", 0, 60000, 60000, &r) == -1 &&
	    r.errtype == PQE_BAD_DATA && strstr(r.error, "range query") !=
	    NULL, "a bare range vector in a range query is refused");
	ok(eval("tally_web_hits{instance=\"a\"}[3m]", 600000, 600000, 1000,
	    &r) == 0 && r.type == PQT_MATRIX && r.nrows == 1 &&
	    r.rows[0].nsamples == 3 && r.rows[0].t[0] == 480000 &&
	    r.rows[0].v[2] == 100 && strcmp(promql_label(&r.rows[0].ls,
	    "__name__"), "tally_web_hits") == 0,
	    "instant x[3m]: the raw samples in (t - 3m, t], name kept");
	promql_result_free(&r);
	ok(eval("tally_web_hits[1m] offset 5m", 600000, 600000, 1000, &r) ==
	    0 && r.nrows == 2 && r.rows[0].nsamples == 1 &&
	    r.rows[0].t[0] == 300000, "with offset: samples at their times");
	promql_result_free(&r);
	ts_reads = 0;
	ok(eval("tally_web_hits", 0, 600000, 60000, &r) == 0 &&
	    ts_reads == 2, "one read a series for the whole span");
	promql_result_free(&r);
}

static void
test_duration(void)
{
	long long	 ms;

	ok(promql_parse_duration("1h30m", &ms) == 0 && ms == 5400000,
	    "1h30m");
	ok(promql_parse_duration("1y", &ms) == 0 && ms == 31536000000LL,
	    "1y is 365 days");
	ok(promql_parse_duration("30m1h", &ms) == -1, "units out of order");
	ok(promql_parse_duration("1m1m", &ms) == -1, "unit twice");
	ok(promql_parse_duration("5", &ms) == -1, "no unit");
	ok(promql_parse_duration("5M", &ms) == -1, "no unit M (fuzz)");
	ok(promql_parse_duration("5ms", &ms) == 0 && ms == 5, "5ms");
	ok(promql_parse_duration("99999999999999999999y", &ms) == -1,
	    "overflow");
}

int
main(void)
{
	test_parse();
	test_eval();
	test_duration();
	return (tap_done());
}
