/*
 * httpconn.h - the HTTP gateway's connections: how many are open
 * ([http] max_connections), how long one may take to send a request
 * (header_timeout, however slowly it trickles), and which one gives way
 * when a new one comes to a full house (the one idle longest).  evhttp
 * 2.1 has no connection limit of its own.
 */
#ifndef TALLY_HTTPCONN_H
#define TALLY_HTTPCONN_H

struct event_base;
struct evhttp;
struct evhttp_bound_socket;
struct evhttp_request;

/* Loop thread.  Track every connection evhttp accepts on bound. */
void	httpconn_start(struct event_base *, struct evhttp *,
	    struct evhttp_bound_socket *bound);
void	httpconn_set_limits(int max, unsigned long header_ms);
/* A request arrived: its connection is busy until the answer is sent. */
void	httpconn_request(struct evhttp_request *);
/* After evhttp_free: let go of every connection. */
void	httpconn_stop(void);
int	httpconn_count(void);

#endif
