/*
 * listen.h - the protocol's listeners and connections: unix socket and
 * TCP, line framing, limits (line length, pending output, idle time,
 * connection count, requests per wake-up) and the order of answers.
 * What a request means is the business of the request callback (main
 * passes cmd.c's); listen.c owns connections only.
 */
#ifndef TALLY_LISTEN_H
#define TALLY_LISTEN_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct event_base;
struct evbuffer;
struct client;

/*
 * One request line of a client (NUL-terminated, len bytes): answered into
 * client_output, or later through client_resume if it returns nonzero, in
 * which case the client's later requests wait.
 */
typedef int	(*listen_request_cb)(struct client *, char *line, size_t len);

/*
 * Bind the sockets named by conf (before daemonizing, so errors reach
 * the shell).  Returns -1 after printing why to stderr.
 */
int		 listen_open(const struct config *);
void		 listen_start(struct event_base *, const struct config *,
		    listen_request_cb);
/* Limits and the token may change on reload: conf is read from now on. */
void		 listen_set_config(const struct config *);
/* Close listeners and every connection; remove the unix socket. */
void		 listen_stop(void);
int		 listen_clients(void);
/* Answers waiting for clients: for STATS. */
struct listen_output {
	size_t		 bytes;		/* text unread, and what streams hold */
	int		 streams;	/* long answers being sent */
	unsigned long	 refused;	/* over max_output or max_output_total */
};
void		 listen_output(struct listen_output *);

/* For the request callback: the connection a request came on. */
uint64_t	 client_id(const struct client *);
struct evbuffer	*client_output(struct client *);
int		 client_authed(const struct client *);
void		 client_set_authed(struct client *);
/* Close once the answer is sent (QUIT). */
void		 client_close_after(struct client *);
/*
 * An asynchronous answer for the client with this id: append out (moved)
 * and go on with its next requests.  Dropped if the client has gone.
 */
void		 client_resume(uint64_t id, struct evbuffer *out);
/*
 * A long answer for the client with this id, sent in parts as the client
 * reads, so it is never held whole as text: fill(arg, out) appends the
 * next part (about LISTEN_PART bytes) and returns nonzero while more
 * remain; release(arg) is called once, when the last part is out or the
 * client has gone.  held is what arg keeps in memory meanwhile, counted
 * with the answers waiting for all clients (max_output_total): past it
 * the client gets ERR busy instead.  The client's later requests wait
 * until the last part.
 */
#define LISTEN_PART	65536
typedef int	(*client_fill_cb)(void *arg, struct evbuffer *out);
void		 client_stream(uint64_t id, size_t held, client_fill_cb fill,
		    void (*release)(void *), void *arg);
/*
 * An answer that waits until lsn is durable (PUT): write it into the
 * buffer returned; later answers queue behind it, and the client's next
 * requests are served meanwhile.  client_release(id, lsn, NULL) sends it
 * (and what waits behind it); with error, that line replaces it.
 */
struct evbuffer	*client_hold(struct client *, uint64_t lsn);
void		 client_release(uint64_t id, uint64_t lsn, const char *error);

#endif
