/*
 * command.h - what a command does, whatever the transport.  A front end
 * (the line protocol in cmd.c, the HTTP gateway in http.c, the Graphite
 * listener in graphite.c) fills a request with typed arguments from
 * its own syntax and renders the reply its own way through callbacks, so
 * the work itself is written once: PUT, LIST, FETCH, GRAPH and STATS.
 * Loop thread, but for a FETCH's format callback (a query worker).
 */
#ifndef TALLY_COMMAND_H
#define TALLY_COMMAND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto.h"
#include "query.h"

struct graph_spec;
struct journal;
struct series;

/* Values are journaled (series.c); a DISK refusal says the journal's why. */
void	command_set_journal(struct journal *);

/* PUT: values of one metric, each "TIME:VALUE" as proto_put_value reads. */
struct command_put {
	const char		*metric;
	const char *const	*values;
	size_t			 nvalues;
	time_t			 now;		/* what N means */
	const char		*retention;	/* preset of a new series */
};

/* How a PUT is answered. */
struct command_put_reply {
	/*
	 * A value not stored, in request order: bad_value if it does not
	 * parse (why is the parser's), else why is the series' refusal
	 * (stale, kind, busy).
	 */
	void	(*refused)(void *arg, const char *value, int bad_value,
		    const char *why);
	void	*arg;
};

/*
 * Store the values: each accepted or refused on its own, a time past
 * max_future included; the accepted ones as one journal record.  Returns
 * how many were accepted, -1 if the metric is refused (an invalid name:
 * why is empty, the front end says it its way; else why from
 * series_client: a plugin's name), or -2 with why if clients have made
 * max_series series.  *lsn is the journal position the answer must wait
 * for (journal_notify) before it says "accepted", or 0 if there is
 * nothing to wait for.
 */
int	command_put(const struct command_put *,
	    const struct command_put_reply *, uint64_t *lsn, char *why,
	    size_t len);

/*
 * The series named metric, declared as a GAUGE of preset retention if it
 * is new.  NULL if refused: an invalid name (why is empty, the front end
 * says it its way), else why from series_declare.
 */
struct series	*command_series(const char *metric, const char *retention,
		    char *why, size_t len);
/*
 * Store one value of a client (/api/v1/put's values, Graphite lines).
 * SERIES_OK (0) or the enum series_rc of its refusal; *lsn (if not NULL)
 * as in command_put.
 */
int		 command_submit(struct series *, time_t when, double value,
		    uint64_t *lsn);

/*
 * LIST: the series whose names match glob (NULL: all), sorted by name, in
 * *list (the caller frees the array; series are never freed while the
 * daemon runs).  Returns how many.
 */
size_t	command_list(const char *glob, struct series ***list);

/* FETCH: the rows of one metric over a span (proto_fetch_parse's). */
struct command_fetch {
	struct proto_fetch	 f;
	/*
	 * Refuse a span of more rows than this (0: no limit) before reading
	 * them: librrd allocates a row for every step of the span, so a fine
	 * archive over years would cost gigabytes.  The file's archives
	 * (INFO) say how many rows rrd_fetch would return.
	 */
	long long		 max_rows;
};

/* How a FETCH is answered. */
struct command_fetch_reply {
	query_fmt	  format;	/* rows to text on the worker, or NULL */
	query_cb	  done;		/* the rows, or why there are none */
	/*
	 * With max_rows, before the rows are read: whether the answer is
	 * still awaited (NULL: always).  If not, the front end forgets arg
	 * there and then; nothing else is called.
	 */
	int		(*waiting)(void *arg);
	/* With max_rows: about rows would be read; nothing was. */
	void		(*too_many)(void *arg, long long rows);
	void		 *arg;
};

/*
 * Read the rows off the loop; the answer comes through reply.  -1 with
 * err if the metric name is invalid (PERR_NAME, err->msg empty: the
 * front end says it its way); nothing is called then.
 */
int	command_fetch(const struct command_fetch *,
	    const struct command_fetch_reply *, struct proto_error *err);

/* GRAPH: render spec (graph.c's) off the loop; done gets the image. */
void	command_graph(const struct graph_spec *, query_cb done, void *arg);

/*
 * STATS: every figure of the daemon, in a fixed order (the counters of
 * stats.c first, then the registry's, the clients', the graph cache's,
 * the render helpers', the journal's and the alert engine's), each
 * through figure.
 */
void	command_stats(void (*figure)(void *arg, const char *name,
	    double value), void *arg);

#endif
