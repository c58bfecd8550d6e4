/*
 * command.h - what a command does, whatever the transport.  A front end
 * (the line protocol in cmd.c, the HTTP gateway in http.c, the Graphite
 * listener in graphite.c) fills a request with typed arguments from
 * its own syntax and renders the reply its own way through callbacks, so
 * the work itself is written once.  Loop thread.
 */
#ifndef TALLY_COMMAND_H
#define TALLY_COMMAND_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

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

#endif
