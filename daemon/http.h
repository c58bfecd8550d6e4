/*
 * http.h - the HTTP gateway: graphs, JSON, Prometheus text, a visitor
 * counter and the dashboard, served by evhttp on the main loop over the
 * same query layer as the socket protocol.  docs/HTTP.md is the spec.
 */
#ifndef TALLY_HTTP_H
#define TALLY_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct config;
struct config_errors;
struct config_section;
struct event_base;
struct evbuffer;
struct evhttp_request;
struct evkeyvalq;
struct graph_spec;
struct proto_error;
struct proto_fetch;

/* The [http] section (http_section registers it). */
struct http_conf {
	char		*listen;		/* host:port; NULL: no gateway */
	char		*token;			/* NULL: read-only gateway */
	unsigned long	 max_headers;		/* bytes: request line, headers */
	unsigned long	 max_body;		/* bytes */
	int		 max_requests;		/* waiting on queries at once */
	int		 max_connections;	/* open at once */
	unsigned long	 header_timeout;	/* ms to send a whole request */
	unsigned long	 timeout;		/* ms */
	char		*dashboard_dir;
	char		*counter_total;		/* metric; NULL: no counter */
	char		*counter_online;	/* metric; NULL: none */
};

extern const struct config_section http_section;

/*
 * Bind [http] listen and read the dashboard files (before daemonizing, so
 * errors reach the shell).  Returns 0 when [http] listen is empty (no
 * gateway), or -1 after printing why to stderr.
 */
int	http_open(const struct config *);
/* tallyd -t: [http] listen resolves, the dashboard files are readable. */
void	http_check(const struct config *, struct config_errors *);
/* Loop thread: serve on the socket http_open bound; no-op if none. */
void	http_start(struct event_base *, const struct config *);
/* Limits, token, counter metrics and the dashboard files may change. */
void	http_reload(const struct config *);
/*
 * Answer waiting requests with 503, close every connection and the
 * listener.  Query answers that arrive later find nothing and are dropped.
 */
void	http_stop(void);
/* A put answers once its values are durable in j (NULL: at once). */
struct journal;
void	http_set_journal(struct journal *);

/*
 * For the Prometheus API (prom.c), on the loop.  http_hold keeps req
 * while a worker answers and returns its id, or 0 when max_requests are
 * waiting (Retry-After is set; the caller answers).  http_release ends
 * the hold: the request to answer, or NULL if its client left.
 * http_reply sends a JSON body (taken) that no cache keeps.
 */
/*
 * Another module's paths (prom.c): fn answers req and returns 1, or
 * returns 0 and the gateway's own routes go on.  One router at most.
 */
typedef int		(*http_router)(struct evhttp_request *,
			    const char *path);
void			 http_set_router(http_router fn);
uint64_t		 http_hold(struct evhttp_request *, int head);
struct evhttp_request	*http_release(uint64_t id, int *head);
void			 http_reply(struct evhttp_request *, int head,
			    int status, struct evbuffer *body);

/*
 * Pure parts of a request, for the handlers and the fuzzer: the query
 * string into parameters (at most 64, no NUL); only the names given, each
 * once but multi; /api/v1/series's and /graph's parameters as FETCH and
 * GRAPH arguments.  -1 with why or err.
 */
int	http_query_parse(const char *, struct evkeyvalq *, char *why,
	    size_t len);
int	http_params_known(const struct evkeyvalq *, const char *const *names,
	    const char *multi, char *why, size_t len);
int	http_series_args(const struct evkeyvalq *, time_t now,
	    struct proto_fetch *, struct proto_error *);
int	http_graph_args(const struct evkeyvalq *, time_t now,
	    struct graph_spec *, struct proto_error *);

#endif
