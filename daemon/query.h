/*
 * query.h - the query layer shared by the socket protocol and HTTP:
 * FETCH, INFO, LAST and GRAPH run off the loop on worker threads, and
 * their results come back to a callback on the loop.  Files are flushed
 * by the store before they are read, so answers include every accepted
 * value.  Graphs are rendered in helper processes (render.h: librrd's
 * rrd_graph is not thread-safe) and identical requests share one render
 * for a while.
 */
#ifndef TALLY_QUERY_H
#define TALLY_QUERY_H

#include <stddef.h>
#include <time.h>

#include "proto.h"

struct config;
struct event_base;
struct evbuffer;
struct graph_spec;
struct store;

struct query_result {
	enum proto_err	 code;		/* valid if error */
	int		 error;
	char		 msg[256];

	/* FETCH: row i covers (start + i * step, start + (i + 1) * step] */
	time_t		 start;
	unsigned long	 step;
	char		 cf[8];
	size_t		 nrows;
	double		*rows;
	size_t		 counted;	/* rows' bytes in query_rows_held */
	struct evbuffer	*text;		/* what the query_fmt made, or NULL */

	/* INFO: "key value" lines */
	char		**lines;
	size_t		 nlines;

	/* LAST */
	time_t		 last_time;
	double		 last_value;

	/* GRAPH: borrowed from the render cache for the callback only */
	const unsigned char *image;
	size_t		 image_len;
	const char	*mime;
};

/* Runs on the loop; the result is freed when it returns. */
typedef void (*query_cb)(const struct query_result *, void *arg);
/*
 * Runs on the worker once FETCH's rows are read (not on an error): turns
 * them into res->text, so a long answer is not formatted on the loop.
 */
typedef void (*query_fmt)(struct query_result *);

void	query_init(struct event_base *, struct store *);
/* The config in force (datadir, graph_cache, render_*); start and reload. */
void	query_set_config(const struct config *);
/*
 * Shutdown begins: flushes the store answers from now on (store_stop runs
 * them) fail their jobs at once instead of queueing work the stopped loop
 * would never finish.
 */
void	query_stop(void);
void	query_shutdown(void);

/* Each validates the metric names (bad-name, not-found) itself. */
void	query_fetch(const struct proto_fetch *, query_fmt, query_cb,
	    void *arg);
/*
 * In a FETCH's callback: its rows become the caller's (free() them), so
 * they can outlive the result (an answer sent in parts).
 */
double	*query_take_rows(const struct query_result *);
void	query_info(const char *metric, query_cb, void *arg);
void	query_last(const char *metric, query_cb, void *arg);
void	query_graph(const struct graph_spec *, query_cb, void *arg);

/* One archive of a file, as INFO describes it. */
struct query_rra {
	char		 cf[8];
	long long	 res;		/* seconds a row */
	long long	 rows;
};

/*
 * The rows rrd_fetch would return for f from a file with these archives
 * and last update: librrd allocates a row for every step of the span, so
 * a fine archive over years would cost gigabytes.  Callers check first.
 */
long long query_fetch_rows(const struct query_rra *, int n, long long last,
	    const struct proto_fetch *f);

/* Rows a FETCH may return at most (protocol; HTTP caps lower). */
#define QUERY_ROWS_MAX	2000000

/*
 * The archives of the file at path (worker side), read through the
 * rrdcached at rc if not NULL; -1 on error.
 */
int	query_file_rras(const char *rc, const char *path, struct query_rra *,
	    int max, long long *last);
/*
 * Worker side: the rows of f (f->metric unused) from path (through the
 * rrdcached at rc if not NULL) into res
 * (start, step, cf, rows); -1 with res->error and msg set.
 */
int	query_read_rows(const char *rc, const char *path,
	    const struct proto_fetch *f, struct query_result *res);
/*
 * Frees the rows query_read_rows read into res and gives back what they
 * counted against max_output_total: every caller, whatever it returned.
 */
void	query_rows_free(struct query_result *);
void	query_fail(struct query_result *, enum proto_err, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Flush the files of the named series (those the registry knows), then
 * run run(arg) on a query worker, then done(arg) on the loop.  For jobs
 * that read many files (the Prometheus API); run reads with the
 * functions above and must not touch loop state.  At shutdown done may
 * come without run.
 */
typedef void (*query_exec_fn)(void *arg);
void	query_exec(const char *const *names, size_t n, query_exec_fn run,
	    query_exec_fn done, void *arg);
/*
 * Where series' files are named (names_series_path): DATADIR, or with a
 * shared rrdcached its prefix, and that rrdcached (else NULL), through
 * which they are read.  Loop side.
 */
const char *query_datadir_path(void);
const char *query_shared_rrdcached(void);

struct render_stats;
/* The graph helper pool's figures (zeros before the first render). */
void	query_render_stats(struct render_stats *);

/* FETCHes refused before reading: rows in flight past max_output_total. */
unsigned long	 query_busy(void);
/* Bytes of rows being read for clients now (counted before reading). */
size_t		 query_reading(void);
/* Render cache figures, for STATS. */
void	query_stats(unsigned long *renders, unsigned long *hits);

#endif
