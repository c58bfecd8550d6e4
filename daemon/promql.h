/*
 * promql.h - a PromQL subset: parser and evaluator (docs/PROMETHEUS.md).
 *
 * promql_parse turns a query into a tree or an error with its byte
 * position; the tree is type-checked as Prometheus does (a range vector
 * only as a function's argument, and so on).  promql_eval runs a tree
 * over a span of steps, reading samples through a caller's reader, so
 * the evaluator knows nothing of RRD files and runs on any thread.
 */
#ifndef TALLY_PROMQL_H
#define TALLY_PROMQL_H

#include <regex.h>
#include <stddef.h>

#define PROMQL_QUERY_MAX	8192	/* bytes of a query */
#define PROMQL_DEPTH_MAX	64	/* nesting of a query */
#define PROMQL_HEIGHT_MAX	256	/* nodes from the root to a leaf */
#define PROMQL_LABELS_MAX	8	/* labels of a series, __name__ too */
#define PROMQL_MATCHERS_MAX	16	/* matchers of one selector */

enum promql_type { PQT_SCALAR, PQT_VECTOR, PQT_MATRIX };

enum promql_kind {
	PQ_NUMBER, PQ_SELECTOR, PQ_CALL, PQ_AGGR, PQ_BINARY, PQ_NEG
};

enum promql_op { PQO_ADD, PQO_SUB, PQO_MUL, PQO_DIV };

enum promql_func {
	PQF_RATE, PQF_INCREASE, PQF_DELTA, PQF_AVG_OVER_TIME,
	PQF_MIN_OVER_TIME, PQF_MAX_OVER_TIME, PQF_LAST_OVER_TIME,
	PQF_SUM, PQF_AVG, PQF_MIN, PQF_MAX, PQF_COUNT, PQF_TOPK
};

enum promql_match { PQM_EQ, PQM_NE, PQM_RE, PQM_NRE };

struct promql_matcher {
	char			*name;
	enum promql_match	 op;
	char			*value;
	regex_t			 re;	/* =~ !~: anchored ^(?:value)$ */
	int			 compiled;
};

struct promql_node {
	enum promql_kind	 kind;
	enum promql_type	 type;
	int			 pos;		/* byte offset in the query */

	double			 number;	/* PQ_NUMBER */

	/* PQ_SELECTOR: metric name (if given) is also a matcher */
	struct promql_matcher	 m[PROMQL_MATCHERS_MAX];
	int			 nm;
	long long		 range;		/* ms; > 0: a range selector */
	long long		 offset;	/* ms */

	/* PQ_CALL, PQ_AGGR: args; PQ_AGGR: by/without labels */
	enum promql_func	 func;
	struct promql_node	*arg[2];
	char			*grouping[PROMQL_LABELS_MAX];
	int			 ngrouping;
	int			 without;

	/* PQ_BINARY (arg[0] op arg[1]), PQ_NEG (arg[0]) */
	enum promql_op		 op;
};

struct promql_error {
	int	 pos;			/* byte offset, 0-based */
	char	 msg[256];
};

/* The tree of query, or NULL with err filled. */
struct promql_node	*promql_parse(const char *query,
			    struct promql_error *err);
void			 promql_free(struct promql_node *);
/* A duration as PromQL writes it (1h30m, 5m, 1y) into ms; 0 or -1. */
int			 promql_parse_duration(const char *, long long *ms);
const char		*promql_func_name(enum promql_func);

/* A label set: sorted by name, __name__ first when present. */
struct promql_labels {
	int	 n;
	char	 name[PROMQL_LABELS_MAX][32];
	char	 value[PROMQL_LABELS_MAX][208];	/* tally_ + 64 + _ + 128 */
};

const char	*promql_label(const struct promql_labels *, const char *name);
int		 promql_labels_set(struct promql_labels *, const char *name,
		    const char *value);
/* Do the selector's matchers accept ls? */
int		 promql_selector_match(const struct promql_node *,
		    const struct promql_labels *);

/* Samples of one series: t[] in ms, increasing, no unknowns. */
struct promql_samples {
	long long	*t;
	double		*v;
	size_t		 n;
	long long	 res;		/* ms a row of what was read */
};

/*
 * The reader: samples of series i (an index into the series list given
 * to promql_eval) in (from, to] ms.  hint is the step, in ms, that the
 * caller would like rows of; range the function's window (0 for an
 * instant selector, which looks back at least one row: then the reader
 * starts one row of what it reads before from); cf the consolidation
 * that suits the function (AVERAGE, MIN, MAX, LAST).  0, or -1 with err
 * filled, or -2 (err filled) when the store is too busy to read now: the
 * query fails as "unavailable", which a client may try again.
 */
typedef int (*promql_read_fn)(void *arg, size_t series, const char *cf,
    long long from, long long to, long long hint, long long range,
    struct promql_samples *out, char *err, size_t errlen);

struct promql_limits {
	size_t		 series_max;	/* series read by one query */
	size_t		 points_max;	/* points of an answer */
	long long	 deadline_ms;	/* CLOCK_MONOTONIC ms, or 0 */
};

struct promql_eval {
	long long			 start, end, step;	/* ms */
	long long			 lookback;	/* ms, at least */
	const struct promql_labels	*series;	/* what exists */
	size_t				 nseries;
	promql_read_fn			 read;
	void				*read_arg;
	struct promql_limits		 limits;
};

/* One series of a result: a value for each step, if have[k]. */
struct promql_row {
	struct promql_labels	 ls;
	double			*v;
	unsigned char		*have;
	/* a matrix (a bare range selector, instant query): raw samples */
	long long		*t;		/* ms; v holds their values */
	size_t			 nsamples;
};

enum promql_errtype {
	PQE_NONE, PQE_BAD_DATA, PQE_EXECUTION, PQE_TIMEOUT, PQE_INTERNAL,
	PQE_UNAVAILABLE
};

struct promql_result {
	/* scalar: rows[0], no labels; matrix: rows of raw samples */
	enum promql_type	 type;
	struct promql_row	*rows;
	size_t			 nrows;
	size_t			 nsteps;
	enum promql_errtype	 errtype;
	char			 error[256];
};

/* Evaluate; on failure res->errtype is set and res has no rows. */
void	promql_eval(const struct promql_node *, const struct promql_eval *,
	    struct promql_result *res);
void	promql_result_free(struct promql_result *);
const char *promql_errtype_name(enum promql_errtype);

#endif
