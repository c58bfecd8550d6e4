/*
 * rrdcached.h - a minimal client of rrdcached's text protocol.
 *
 * One connection of our own (librrd's client is one global connection and
 * Debian's librrd does not export what we need).  Used by the store's
 * writer thread only, so nothing here is locked.  Every call blocks, with
 * a timeout; a broken connection is closed and opened again on the next
 * call, no sooner than a backoff that doubles on each failed attempt.
 */
#ifndef TALLY_RRDCACHED_H
#define TALLY_RRDCACHED_H

#include <stddef.h>

/* Longest command line rrdcached handles whole, '\n' included. */
#define RRDCACHED_LINE_MAX	4096

struct rrdcached;

/* An error line of a batch: cmd counts from 1, the first after BATCH. */
typedef void (*rrdcached_error_cb)(void *arg, unsigned long cmd,
    const char *msg);

/*
 * address is "unix:/path", "/path", "host:port", "[v6addr]:port" or "host"
 * (port 42217).  Returns NULL if it cannot be parsed; nothing is connected
 * until the first command.
 */
struct rrdcached	*rrdcached_new(const char *address);
void			 rrdcached_free(struct rrdcached *);
const char		*rrdcached_address(const struct rrdcached *);

/*
 * Connect unless connected.  0, or -1 with a cause in err (also while a
 * backoff after a failure runs).
 */
int			 rrdcached_connect(struct rrdcached *, char *err,
			    size_t errlen);

/*
 * Connections made so far.  A new one may be to a restarted rrdcached
 * that lost what it had not written: its caller sends that again.
 */
unsigned long		 rrdcached_generation(const struct rrdcached *);
/*
 * The last connection reached another rrdcached than the one before (its
 * unix socket is a new file): the old one is gone, and with it whatever
 * it was writing.  0 when unknown (TCP).
 */
int			 rrdcached_restarted(const struct rrdcached *);
/*
 * Which rrdcached a unix socket address reaches now: its socket file's
 * identity as text, 0; -1 for TCP or no socket.  rrdcached_id: the one
 * of the last connection ("" if unknown).
 */
#define RRDCACHED_ID_LEN	80
int			 rrdcached_socket_id(const char *address, char *buf,
			    size_t len);
const char		*rrdcached_id(const struct rrdcached *);

/*
 * Send one command line (without '\n') and read its reply.  Returns the
 * status (>= 0: success, the lines that followed are skipped unless cb is
 * set, then each is passed to cb with cmd 0), -1 if rrdcached refused the
 * command (its message in err), or -2 if the connection failed (err says
 * why; the connection is closed).
 */
int			 rrdcached_command(struct rrdcached *, const char *line,
			    rrdcached_error_cb cb, void *arg, char *err,
			    size_t errlen);

/*
 * A batch: begin, add commands, end.  add returns the command's number, or
 * 0 if the line would be longer than RRDCACHED_LINE_MAX (not added).  end
 * sends it all, calls cb for each error line and returns how many lines
 * rrdcached reported (0: all succeeded), or -1 if the connection failed
 * (nothing is known of what rrdcached did; err says why).
 */
void			 rrdcached_batch_begin(struct rrdcached *);
unsigned long		 rrdcached_batch_add(struct rrdcached *,
			    const char *fmt, ...)
			    __attribute__((format(printf, 2, 3)));
int			 rrdcached_batch_end(struct rrdcached *,
			    rrdcached_error_cb cb, void *arg, char *err,
			    size_t errlen);

/*
 * Quote a file name for a command line: rrdcached splits on spaces and
 * takes a backslash as escape.  Returns an allocated string.
 */
char			*rrdcached_quote(const char *);

#endif
