/*
 * command.h - what a command does, whatever the transport.  A front end
 * (the line protocol in cmd.c, the HTTP gateway in http.c, and the coming
 * Prometheus and Graphite ones) fills a request with typed arguments from
 * its own syntax and renders the reply its own way through callbacks, so
 * the work itself is written once.  Loop thread.
 */
#ifndef TALLY_COMMAND_H
#define TALLY_COMMAND_H

#include <stddef.h>
#include <time.h>

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
 * max_future included.  Returns how many were accepted, -1 if the metric
 * is refused (an invalid name: why is empty, the front end says it its
 * way; else why from series_client: a plugin's name), or -2 with why if
 * clients have made max_series series.
 */
int	command_put(const struct command_put *,
	    const struct command_put_reply *, char *why, size_t len);

struct series;

/*
 * LIST: the series whose names match glob (NULL: all), sorted by name, in
 * *list (the caller frees the array; series are never freed while the
 * daemon runs).  Returns how many.
 */
size_t	command_list(const char *glob, struct series ***list);

#endif
