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

#endif
