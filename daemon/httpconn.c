/*
 * httpconn.c - count, limit and time the HTTP gateway's connections.
 *
 * DESIGN
 * Loop thread only.  evhttp makes each connection's bufferevent through
 * our callback (evhttp_set_bevcb), so we see every accept, and keep a
 * reference of our own, so the bufferevent outlives the connection: when
 * evhttp has let go its callbacks are all NULL, which a sweep every
 * HTTPCONN_SWEEP_MS notices, and our reference goes, closing the socket.
 * (The socket so lingers up to that long after evhttp's shutdown: a
 * close right after an error answer, with the client's request still
 * unread, would reset the connection and lose the answer.)  The list is in order of last activity (accept,
 * request, answer sent).  A connection with no request under way that
 * has not sent a whole request for header_timeout is shut down, which
 * evhttp sees as the end of its input; when a new connection would pass
 * max_connections, the idle one at the head gives way at once.  Only if
 * evictions cannot keep up (every connection busy) does the listener
 * stop accepting, until the sweep finds room; accept errors pause it too
 * (accept.c), so running out of descriptors never spins the loop.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "accept.h"
#include "clock.h"
#include "hmap.h"
#include "httpconn.h"
#include "log.h"
#include "xmalloc.h"

#define HTTPCONN_SWEEP_MS	250
#define HTTPCONN_HELD_MS	10	/* the sweep while not accepting */
#define HTTPCONN_SLACK		256	/* evicted but not yet closed */

struct httpconn {
	struct bufferevent	*bev;
	msec_t			 last;		/* of the last activity */
	int			 busy;		/* requests being answered */
	int			 closing;	/* shut down by us */
	TAILQ_ENTRY(httpconn)	 entry;
};

static TAILQ_HEAD(, httpconn)	 httpconn_list =
    TAILQ_HEAD_INITIALIZER(httpconn_list);
static struct hmap		*httpconn_map;	/* "%p" of bev */
static struct event		*httpconn_sweep_ev;
static struct accept_guard	*httpconn_guard;
static int			 httpconn_n;
static int			 httpconn_nclosing;
static int			 httpconn_max = 2048;
static unsigned long		 httpconn_header_ms = 10000;
static struct log_limit		 httpconn_ll;
static struct log_limit		 httpconn_ll_full;

static void
httpconn_key(char *buf, size_t len, const struct bufferevent *bev)
{
	snprintf(buf, len, "%p", (const void *)bev);
}

static struct httpconn *
httpconn_find(const struct bufferevent *bev)
{
	char	 key[32];

	httpconn_key(key, sizeof(key), bev);
	return (httpconn_map != NULL ? hmap_get(httpconn_map, key) : NULL);
}

static void
httpconn_touch(struct httpconn *hc)
{
	hc->last = clock_mono();
	TAILQ_REMOVE(&httpconn_list, hc, entry);
	TAILQ_INSERT_TAIL(&httpconn_list, hc, entry);
}

/* End a connection: evhttp reads EOF and drops it. */
static void
httpconn_shut(struct httpconn *hc)
{
	int	 fd = bufferevent_getfd(hc->bev);

	hc->closing = 1;
	httpconn_nclosing++;
	if (fd != -1)
		(void)shutdown(fd, SHUT_RDWR);
}

static void
httpconn_free(struct httpconn *hc)
{
	char	 key[32];

	httpconn_key(key, sizeof(key), hc->bev);
	hmap_del(httpconn_map, key);
	TAILQ_REMOVE(&httpconn_list, hc, entry);
	bufferevent_decref(hc->bev);
	httpconn_n--;
	if (hc->closing)
		httpconn_nclosing--;
	free(hc);
}

/* The next sweep: soon while the listener is held, else in a while. */
static void
httpconn_arm(int held)
{
	struct timeval	 tv = { 0, (held ? HTTPCONN_HELD_MS :
			    HTTPCONN_SWEEP_MS) * 1000 };

	if (httpconn_sweep_ev == NULL)
		return;
	if (held || !evtimer_pending(httpconn_sweep_ev, NULL))
		evtimer_add(httpconn_sweep_ev, &tv);
}

static void
httpconn_sweep_cb(evutil_socket_t fd, short events, void *arg)
{
	struct httpconn	*hc, *next;
	bufferevent_data_cb	 r, w;
	bufferevent_event_cb	 e;
	msec_t		 now = clock_mono();
	unsigned long	 expired = 0, n;
	int		 held;

	for (hc = TAILQ_FIRST(&httpconn_list); hc != NULL; hc = next) {
		next = TAILQ_NEXT(hc, entry);
		bufferevent_getcb(hc->bev, &r, &w, &e, NULL);
		if (r == NULL && w == NULL && e == NULL) {
			httpconn_free(hc);	/* evhttp has let go */
			continue;
		}
		if (!hc->busy && !hc->closing &&
		    now - hc->last > (msec_t)httpconn_header_ms) {
			httpconn_shut(hc);
			expired++;
		}
	}
	if (expired > 0 && log_limit_ok(&httpconn_ll, time(NULL), 60, &n))
		log_info("http: %lu connections sent no whole request in "
		    "%lu ms; closed (%lu more such notes)", expired,
		    httpconn_header_ms, n);
	held = httpconn_n >= httpconn_max + HTTPCONN_SLACK;
	if (httpconn_guard != NULL)
		accept_guard_hold(httpconn_guard, held);
	if (httpconn_n > 0)
		httpconn_arm(held);
}

/* A new connection to a full house: the longest idle one gives way. */
static void
httpconn_evict(void)
{
	struct httpconn	*hc;
	unsigned long	 n;

	TAILQ_FOREACH(hc, &httpconn_list, entry) {
		if (!hc->busy && !hc->closing &&
		    bufferevent_getfd(hc->bev) != -1)
			break;
	}
	if (log_limit_ok(&httpconn_ll_full, time(NULL), 60, &n))
		log_warnx("http: %d connections (max_connections): %s (%lu "
		    "more such notes)", httpconn_max, hc != NULL ? "the "
		    "longest idle gives way" : "all are busy; none gives "
		    "way", n);
	if (hc != NULL)
		httpconn_shut(hc);
}

static struct bufferevent *
httpconn_bev_cb(struct event_base *base, void *arg)
{
	struct httpconn	*hc;
	struct bufferevent *bev;
	char		 key[32];

	if ((bev = bufferevent_socket_new(base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		return (NULL);
	bufferevent_incref(bev);
	hc = xcalloc(1, sizeof(*hc));
	hc->bev = bev;
	hc->last = clock_mono();
	TAILQ_INSERT_TAIL(&httpconn_list, hc, entry);
	httpconn_key(key, sizeof(key), bev);
	hmap_put(httpconn_map, key, hc);
	httpconn_n++;
	if (httpconn_n - httpconn_nclosing > httpconn_max)
		httpconn_evict();
	if (httpconn_n >= httpconn_max + HTTPCONN_SLACK) {
		accept_guard_hold(httpconn_guard, 1);
		httpconn_arm(1);
	} else
		httpconn_arm(0);
	return (bev);
}

static void
httpconn_done_cb(struct evhttp_request *req, void *arg)
{
	struct httpconn	*hc = httpconn_find(arg);

	if (hc == NULL)
		return;
	if (hc->busy > 0)
		hc->busy--;
	httpconn_touch(hc);
}

void
httpconn_request(struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent	*bev;
	struct httpconn		*hc;

	if (evcon == NULL ||
	    (bev = evhttp_connection_get_bufferevent(evcon)) == NULL ||
	    (hc = httpconn_find(bev)) == NULL)
		return;
	hc->busy++;
	httpconn_touch(hc);
	evhttp_request_set_on_complete_cb(req, httpconn_done_cb, bev);
}

void
httpconn_start(struct event_base *base, struct evhttp *http,
    struct evhttp_bound_socket *bound)
{
	httpconn_map = hmap_new();
	if ((httpconn_sweep_ev = evtimer_new(base, httpconn_sweep_cb,
	    NULL)) == NULL)
		fatalx("http: cannot make a timer");
	evhttp_set_bevcb(http, httpconn_bev_cb, NULL);
	httpconn_guard = accept_guard_new(base,
	    evhttp_bound_socket_get_listener(bound), "http", NULL, NULL);
}

void
httpconn_set_limits(int max, unsigned long header_ms)
{
	httpconn_max = max;
	httpconn_header_ms = header_ms;
}

void
httpconn_stop(void)
{
	struct httpconn	*hc;

	while ((hc = TAILQ_FIRST(&httpconn_list)) != NULL)
		httpconn_free(hc);
	if (httpconn_sweep_ev != NULL)
		event_free(httpconn_sweep_ev);
	httpconn_sweep_ev = NULL;
	accept_guard_free(httpconn_guard);
	httpconn_guard = NULL;
	hmap_free(httpconn_map, NULL);
	httpconn_map = NULL;
}

int
httpconn_count(void)
{
	return (httpconn_n);
}
