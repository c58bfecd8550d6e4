/*
 * listen.c - protocol listeners and connections.
 *
 * DESIGN
 * Loop thread only.  Each connection is a bufferevent; its input high
 * watermark is one maximal line, so a client can never make us buffer
 * more than that however fast it sends.  Lines are handed to cmd_exec in
 * order; a request answered off the loop (CMD_WAIT) parks the connection
 * until client_resume, and later lines wait in the input buffer, so
 * answers keep request order.  At most requests_per_wake requests are
 * served per turn, then the connection yields (an event made active) so
 * one busy client cannot starve others.  A client that asks for more
 * while past max_output bytes of answers unread is cut off, and one that
 * reads nothing for client_timeout while answers wait is closed.
 * Asynchronous answers find their client by id; a client that left is
 * simply not found.
 *
 * Streams.  A long answer (a FETCH of many rows) is not made whole: the
 * caller hands over a fill callback, and the next part is made when the
 * client's output has drained to LISTEN_PART bytes (the write low
 * watermark), after any held answers before it.  So one big answer costs
 * its caller's compact form (8 bytes a row) and a part or two of text,
 * and other clients are served between parts.
 *
 * Held answers.  A PUT's answer must wait until its values are durable in
 * the journal, but the client's next lines need not: the answer goes into
 * a hold (client_hold) and the connection keeps being served, so one
 * pipelining client fills a group commit by itself.  Answers made while
 * holds wait go into a plain hold behind them; holds leave for the
 * socket strictly in order, a PUT's once client_release says its LSN is
 * durable (or replaces it with the error).  A client is not closed while
 * holds wait, and one with LISTEN_HOLD_MAX of them is not served until
 * some are released (a stalled disk must not grow them without bound).
 *
 * Timeouts.  No timer per connection: reads and writes would re-arm it
 * on every request (a timerfd call each).  A client records when it last
 * sent something and when its output last drained; one sweep a second
 * closes those idle for client_timeout (waiting for nothing of ours), and
 * those whose answers have waited unread that long.  An answer made off
 * the loop is written to the socket at once when nothing is queued
 * before it, sparing the write event's epoll calls and a loop turn.
 *
 * Limits that keep one crowd from hurting others: each listener counts
 * its own connections (max_local_clients for the unix socket, max_clients
 * for TCP), so TCP clients never lock an operator out of the socket; a
 * TCP client that has not sent AUTH within auth_timeout (when a token is
 * set) is closed however often it pings; an answer bigger than max_output
 * is refused, and one that would take the answers waiting for all
 * clients (and what streams hold) past max_output_total is refused with
 * ERR busy.  Accept errors (no descriptors left) pause a listener instead
 * of spinning (accept.c); the unix socket keeps a spare descriptor for
 * one more operator.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "accept.h"
#include "clock.h"
#include "compat.h"
#include "config.h"
#include "hmap.h"
#include "listen.h"
#include "log.h"
#include "numfmt.h"
#include "proto.h"
#include "util.h"
#include "xmalloc.h"

struct client {
	uint64_t		 id;
	struct listener		*ls;
	struct bufferevent	*bev;
	struct event		*more_ev;	/* yield: serve more next turn */
	struct event		*auth_ev;	/* TCP: AUTH deadline */
	int			 tcp;
	int			 authed;
	int			 waiting;	/* an answer is being made */
	int			 closing;	/* close once output is sent */
	int			 eof;		/* it sent all it will send */
	msec_t			 heard;		/* it last sent something */
	msec_t			 drained;	/* its output last shrank */
	struct evbuffer_cb_entry *drained_cb;
	char			 peer[64];
	client_fill_cb		 fill;		/* a stream is being sent */
	void			(*release)(void *);
	void			*fill_arg;
	size_t			 held;		/* the stream's, parts included */
	TAILQ_HEAD(client_held_q, client_held) holds;
	int			 nholds;
	TAILQ_ENTRY(client)	 entry;
};

struct client_held {
	uint64_t		 lsn;	/* 0: plain answers, go when first */
	int			 done;
	struct evbuffer		*b;
	TAILQ_ENTRY(client_held) entry;
};

struct listener {
	int			 fd;
	int			 tcp;
	char			*path;		/* unix socket to remove */
	struct evconnlistener	*ev;
	struct accept_guard	*guard;
	int			 nclients;
	struct log_limit	 ll_full;
};

static struct listener		 listen_socks[2];
static int			 listen_nsocks;
static TAILQ_HEAD(, client)	 listen_list = TAILQ_HEAD_INITIALIZER(listen_list);
static struct hmap		*listen_ids;
static struct event_base	*listen_base;
static struct event		*listen_sweep_ev;	/* timeouts, each second */
static uint64_t			 listen_next_id = 1;
static int			 listen_nclients;
static const struct config	*listen_cf;	/* in force: main's */
static listen_request_cb	 listen_request;
static struct log_limit		 listen_ll_busy;
static int			 listen_nstreams;
static unsigned long		 listen_refused;

#define LISTEN_HOLD_MAX	4096	/* answers held per client at most */

static void	client_process(struct client *);
static void	client_pump(struct client *);

/* The stream is done with (sent, or its client gone). */
static void
client_stream_end(struct client *c)
{
	void	(*release)(void *) = c->release;
	void	*arg = c->fill_arg;

	listen_nstreams--;
	c->fill = NULL;
	c->release = NULL;
	c->fill_arg = NULL;
	c->held = 0;
	release(arg);
}

/* Bind a unix socket; a stale one (nobody answers) is replaced. */
static int
listen_unix(const struct config *conf)
{
	struct sockaddr_un	 sun;
	struct group		 gr, *res;
	char			 buf[4096];
	int			 fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(conf->socket) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "tallyd: socket path too long: %s\n",
		    conf->socket);
		return (-1);
	}
	memcpy(sun.sun_path, conf->socket, strlen(conf->socket) + 1);
	if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) != -1) {
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			fprintf(stderr, "tallyd: socket %s is in use by "
			    "another process\n", conf->socket);
			close(probe);
			return (-1);
		}
		close(probe);
	}
	(void)unlink(conf->socket);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(conf->socket, (mode_t)conf->socket_mode) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {
		fprintf(stderr, "tallyd: socket %s: %s\n", conf->socket,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	if (conf->socket_group != NULL) {
		if (getgrnam_r(conf->socket_group, &gr, buf, sizeof(buf),
		    &res) != 0 || res == NULL ||
		    chown(conf->socket, (uid_t)-1, gr.gr_gid) == -1) {
			fprintf(stderr, "tallyd: socket group %s: %s\n",
			    conf->socket_group, res == NULL ? "no such group" :
			    strerror(errno));
			close(fd);
			return (-1);
		}
	}
	listen_socks[listen_nsocks].fd = fd;
	listen_socks[listen_nsocks].tcp = 0;
	listen_socks[listen_nsocks].path = xstrdup(conf->socket);
	listen_nsocks++;
	return (0);
}

static int
listen_tcp(const struct config *conf)
{
	int	 fd;

	if ((fd = util_tcp_listen("listen", conf->listen)) == -1)
		return (-1);
	listen_socks[listen_nsocks].fd = fd;
	listen_socks[listen_nsocks].tcp = 1;
	listen_socks[listen_nsocks].path = NULL;
	listen_nsocks++;
	return (0);
}

int
listen_open(const struct config *conf)
{
	if (conf->socket != NULL && listen_unix(conf) == -1)
		return (-1);
	if (conf->listen != NULL && listen_tcp(conf) == -1)
		return (-1);
	return (0);
}

void
listen_set_config(const struct config *conf)
{
	listen_cf = conf;
}

static void
client_free(struct client *c)
{
	struct client_held	*h;
	char			 key[32];

	numfmt_ulong(key, c->id);
	hmap_del(listen_ids, key);
	TAILQ_REMOVE(&listen_list, c, entry);
	listen_nclients--;
	while ((h = TAILQ_FIRST(&c->holds)) != NULL) {
		TAILQ_REMOVE(&c->holds, h, entry);
		evbuffer_free(h->b);
		free(h);
	}
	c->ls->nclients--;
	if (c->fill != NULL)
		client_stream_end(c);
	evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->drained_cb);
	bufferevent_free(c->bev);
	event_free(c->more_ev);
	if (c->auth_ev != NULL)
		event_free(c->auth_ev);
	log_debug("client %llu (%s): closed", (unsigned long long)c->id,
	    c->peer);
	free(c);
}

/*
 * Before serving another request: a client that does not read its answers
 * is cut off, not waited for.
 */
static int
client_check_output(struct client *c)
{
	size_t	 n = evbuffer_get_length(bufferevent_get_output(c->bev));

	if (n <= listen_cf->max_output)
		return (0);
	log_warnx("client %llu (%s): %zu bytes of answers unread; cut off",
	    (unsigned long long)c->id, c->peer, n);
	client_free(c);
	return (-1);
}

static void
client_line_too_long(struct client *c)
{
	evbuffer_add_printf(bufferevent_get_output(c->bev), "ERR limit line "
	    "longer than %d bytes; closing\n", PROTO_LINE_MAX);
	client_close_after(c);
}

/* Serve the client's complete lines, at most requests_per_wake of them. */
static void
client_process(struct client *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	char		*line;
	size_t		 len;
	int		 n = 0;

	while (!c->waiting && !c->closing && c->nholds < LISTEN_HOLD_MAX) {
		if (n == listen_cf->requests_per_wake) {
			if (evbuffer_get_length(in) > 0)
				event_active(c->more_ev, EV_TIMEOUT, 0);
			break;
		}
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (line == NULL) {
			if (evbuffer_get_length(in) > PROTO_LINE_MAX + 1)
				client_line_too_long(c);
			else if (c->eof)
				client_close_after(c);	/* all answered */
			break;
		}
		n++;
		if (len > PROTO_LINE_MAX + 1) {
			free(line);
			client_line_too_long(c);
			break;
		}
		if (client_check_output(c) == -1) {
			free(line);
			return;
		}
		if (listen_request(c, line, len))
			c->waiting = 1;
		free(line);
	}
	if (c->closing && TAILQ_EMPTY(&c->holds) &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_free(c);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;

	c->heard = clock_mono();
	client_process(c);
}

/*
 * The output shrank (the client reads), or answers start to wait in an
 * empty one: the unread-answers timeout counts from then.
 */
static void
client_drained_cb(struct evbuffer *b, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct client	*c = arg;

	if (info->n_deleted > 0 || info->orig_size == 0)
		c->drained = clock_mono();
}

/*
 * Write an answer straight to the socket when nothing waits before it
 * (no write event to arm, no loop turn); what the socket does not take
 * is queued as usual.  Errors are the bufferevent's to find.
 */
static void
client_send(struct client *c, struct evbuffer *b)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	if (evbuffer_get_length(out) == 0 && evbuffer_get_length(b) > 0 &&
	    evbuffer_write(b, bufferevent_getfd(c->bev)) > 0)
		c->drained = clock_mono();
	evbuffer_add_buffer(out, b);
}

/*
 * Once a second: close clients idle for client_timeout (nothing sent,
 * nothing of ours pending) and those that have read none of their
 * waiting answers for as long.
 */
static void
listen_sweep_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c, *next;
	msec_t		 now = clock_mono(), limit = listen_cf->client_timeout;
	size_t		 n;

	for (c = TAILQ_FIRST(&listen_list); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		n = evbuffer_get_length(bufferevent_get_output(c->bev));
		if (n > 0 && now - c->drained >= limit)
			/* a slow reader, worth a line: idle ones are not */
			log_info("client %llu (%s): %zu bytes of answers unread "
			    "for %lld ms; closing", (unsigned long long)c->id,
			    c->peer, n, (long long)(now - c->drained));
		else if (n == 0 && !c->waiting && TAILQ_EMPTY(&c->holds) &&
		    !c->eof && now - c->heard >= limit)
			log_debug("client %llu (%s): idle; closing",
			    (unsigned long long)c->id, c->peer);
		else
			continue;
		client_free(c);
	}
}

static void
client_more_cb(evutil_socket_t fd, short events, void *arg)
{
	client_process(arg);
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct client	*c = arg;

	if (c->fill != NULL) {
		client_pump(c);
		return;
	}
	if (c->closing && TAILQ_EMPTY(&c->holds) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		client_free(c);
}

/*
 * The end of a client's input is not the end of the conversation: a
 * client may send its requests and shut its side, then read the answers.
 * Errors do end it.
 */
static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct client	*c = arg;

	if ((what & BEV_EVENT_EOF) && (what & BEV_EVENT_READING) &&
	    !(what & BEV_EVENT_ERROR)) {
		c->eof = 1;
		bufferevent_disable(bev, EV_READ);
		client_process(c);
		return;
	}
	client_free(c);
}

/* A TCP client that has not authenticated in time is closed. */
static void
client_auth_cb(evutil_socket_t fd, short events, void *arg)
{
	struct client	*c = arg;

	if (c->authed || c->closing)
		return;
	log_debug("client %llu (%s): no AUTH within %lu ms; closing",
	    (unsigned long long)c->id, c->peer, listen_cf->auth_timeout);
	evbuffer_add_printf(bufferevent_get_output(c->bev), "ERR auth no AUTH "
	    "within %lu s; closing\n", listen_cf->auth_timeout / 1000);
	client_close_after(c);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		client_free(c);
}

static void
listen_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener	*ls = arg;
	struct client	*c;
	struct timeval	 tv;
	char		 key[32];
	unsigned long	 n;
	int		 max = ls->tcp ? listen_cf->max_clients :
			    listen_cf->max_local_clients;
	static const char full[] = "ERR limit too many connections\n";

	if (ls->nclients >= max) {
		if (log_limit_ok(&ls->ll_full, time(NULL), 60, &n))
			log_warnx("listen: %d %s connections: refusing more "
			    "(%lu more refused)", ls->nclients, ls->tcp ?
			    "TCP" : "unix socket", n);
		(void)!write(fd, full, sizeof(full) - 1);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	TAILQ_INIT(&c->holds);
	c->id = listen_next_id++;
	c->ls = ls;
	c->tcp = ls->tcp;
	if (ls->tcp && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr,
		    c->peer, sizeof(c->peer));
	else if (ls->tcp && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr,
		    c->peer, sizeof(c->peer));
	else
		snprintf(c->peer, sizeof(c->peer), "unix");
	c->bev = bufferevent_socket_new(listen_base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->more_ev = event_new(listen_base, -1, 0, client_more_cb, c);
	if (c->bev == NULL || c->more_ev == NULL)
		fatalx("listen: cannot make a connection's events");
	bufferevent_setcb(c->bev, client_read_cb, client_write_cb,
	    client_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, PROTO_LINE_MAX + 2);
	c->heard = c->drained = clock_mono();
	if ((c->drained_cb = evbuffer_add_cb(bufferevent_get_output(c->bev),
	    client_drained_cb, c)) == NULL)
		fatalx("listen: cannot watch a connection's output");
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (c->tcp && listen_cf->token != NULL) {
		if ((c->auth_ev = evtimer_new(listen_base, client_auth_cb,
		    c)) == NULL)
			fatalx("listen: cannot make a connection's timer");
		tv.tv_sec = listen_cf->auth_timeout / 1000;
		tv.tv_usec = (listen_cf->auth_timeout % 1000) * 1000;
		evtimer_add(c->auth_ev, &tv);
	}
	TAILQ_INSERT_TAIL(&listen_list, c, entry);
	listen_nclients++;
	ls->nclients++;
	numfmt_ulong(key, c->id);
	hmap_put(listen_ids, key, c);
	evbuffer_add_printf(bufferevent_get_output(c->bev), "OK 0 tallyd %s "
	    "protocol %d auth=%s\n", PACKAGE_VERSION, PROTO_VERSION,
	    c->tcp && listen_cf->token != NULL ? "required" : "none");
	log_debug("client %llu (%s): connected", (unsigned long long)c->id,
	    c->peer);
}

void
listen_start(struct event_base *base, const struct config *conf,
    listen_request_cb request)
{
	struct timeval	 sweep = { 1, 0 };
	int		 i;

	listen_base = base;
	listen_request = request;
	listen_ids = hmap_new();
	listen_set_config(conf);
	if ((listen_sweep_ev = event_new(base, -1, EV_PERSIST,
	    listen_sweep_cb, NULL)) == NULL ||
	    event_add(listen_sweep_ev, &sweep) == -1)
		fatalx("listen: cannot make the timeout sweep");
	for (i = 0; i < listen_nsocks; i++) {
		listen_socks[i].ev = evconnlistener_new(base, listen_accept_cb,
		    &listen_socks[i], LEV_OPT_CLOSE_ON_FREE |
		    LEV_OPT_CLOSE_ON_EXEC, -1, listen_socks[i].fd);
		if (listen_socks[i].ev == NULL)
			fatalx("listen: cannot watch the listening socket");
		listen_socks[i].guard = accept_guard_new(base,
		    listen_socks[i].ev, listen_socks[i].tcp ? "listen (TCP)" :
		    "listen (unix socket)", listen_socks[i].tcp ? NULL :
		    listen_accept_cb, &listen_socks[i]);
	}
}

void
listen_stop(void)
{
	struct client	*c;
	int		 i;

	while ((c = TAILQ_FIRST(&listen_list)) != NULL)
		client_free(c);
	if (listen_sweep_ev != NULL) {
		event_free(listen_sweep_ev);
		listen_sweep_ev = NULL;
	}
	for (i = 0; i < listen_nsocks; i++) {
		accept_guard_free(listen_socks[i].guard);
		listen_socks[i].guard = NULL;
		if (listen_socks[i].ev != NULL)
			evconnlistener_free(listen_socks[i].ev);
		else
			close(listen_socks[i].fd);
		if (listen_socks[i].path != NULL) {
			(void)unlink(listen_socks[i].path);
			free(listen_socks[i].path);
		}
	}
	listen_nsocks = 0;
	hmap_free(listen_ids, NULL);
	listen_ids = NULL;
}

int
listen_clients(void)
{
	return (listen_nclients);
}

/*
 * What a client's answers take: its unread text, or for a stream what it
 * holds and the two parts it may have out (past those, the text too).
 */
static size_t
client_bytes(const struct client *c)
{
	size_t	 n = evbuffer_get_length(bufferevent_get_output(c->bev));

	if (c->fill == NULL)
		return (n);
	return (c->held + (n > 2 * LISTEN_PART ? n - 2 * LISTEN_PART : 0));
}

void
listen_output(struct listen_output *o)
{
	struct client	*c;

	o->bytes = 0;
	TAILQ_FOREACH(c, &listen_list, entry)
		o->bytes += client_bytes(c);
	o->streams = listen_nstreams;
	o->refused = listen_refused;
}

uint64_t
client_id(const struct client *c)
{
	return (c->id);
}

static struct client_held *
client_held_new(struct client *c, uint64_t lsn)
{
	struct client_held	*h = xcalloc(1, sizeof(*h));

	h->lsn = lsn;
	if ((h->b = evbuffer_new()) == NULL)
		fatalx("listen: evbuffer_new failed");
	TAILQ_INSERT_TAIL(&c->holds, h, entry);
	c->nholds++;
	return (h);
}

struct evbuffer *
client_output(struct client *c)
{
	struct client_held	*h;

	if (TAILQ_EMPTY(&c->holds))
		return (bufferevent_get_output(c->bev));
	if ((h = TAILQ_LAST(&c->holds, client_held_q))->lsn != 0)
		h = client_held_new(c, 0);
	return (h->b);
}

struct evbuffer *
client_hold(struct client *c, uint64_t lsn)
{
	return (client_held_new(c, lsn)->b);
}

static struct client *
client_find(uint64_t id)
{
	char	 key[32];

	numfmt_ulong(key, id);
	return (listen_ids == NULL ? NULL : hmap_get(listen_ids, key));
}

void
client_release(uint64_t id, uint64_t lsn, const char *error)
{
	struct client		*c;
	struct client_held	*h;
	struct evbuffer		*out;
	int			 paused;

	if ((c = client_find(id)) == NULL)
		return;
	TAILQ_FOREACH(h, &c->holds, entry) {
		if (h->lsn == lsn && !h->done) {
			h->done = 1;
			if (error != NULL) {
				evbuffer_drain(h->b, evbuffer_get_length(h->b));
				evbuffer_add_printf(h->b, "%s\n", error);
			}
			break;
		}
	}
	out = bufferevent_get_output(c->bev);
	paused = c->nholds >= LISTEN_HOLD_MAX;
	while ((h = TAILQ_FIRST(&c->holds)) != NULL &&
	    (h->lsn == 0 || h->done)) {
		TAILQ_REMOVE(&c->holds, h, entry);
		c->nholds--;
		client_send(c, h->b);
		evbuffer_free(h->b);
		free(h);
	}
	if (c->fill != NULL) {
		client_pump(c);		/* it waited for the holds */
		return;
	}
	if (c->closing && TAILQ_EMPTY(&c->holds) &&
	    evbuffer_get_length(out) == 0)
		client_free(c);
	else if (paused && c->nholds < LISTEN_HOLD_MAX)
		client_process(c);	/* its next lines waited for room */
}

int
client_authed(const struct client *c)
{
	return (!c->tcp || c->authed);
}

void
client_set_authed(struct client *c)
{
	c->authed = 1;
	if (c->auth_ev != NULL)
		evtimer_del(c->auth_ev);
}

void
client_close_after(struct client *c)
{
	c->closing = 1;
	bufferevent_disable(c->bev, EV_READ);
}

/*
 * An answer made off the loop meets the output limits before it is
 * queued: one larger than max_output, or one that would take the answers
 * waiting for all clients past max_output_total, is replaced by an error
 * (the client may ask again for less, or later).  len is the answer's
 * text, or what a stream holds; 0 if it is refused, the error in out.
 */
static int
listen_budget(struct client *c, size_t len, struct evbuffer *out)
{
	struct client	*o;
	size_t		 total = 0;
	unsigned long	 n;

	if (len <= 256)
		return (1);
	if (len > listen_cf->max_output) {
		listen_refused++;
		evbuffer_drain(out, evbuffer_get_length(out));
		evbuffer_add_printf(out, "ERR limit answer of %zu bytes is over "
		    "max_output (%lu): ask for a shorter span or a coarser "
		    "resolution\n", len, listen_cf->max_output);
		return (0);
	}
	TAILQ_FOREACH(o, &listen_list, entry)
		total += client_bytes(o);
	if (total + len <= listen_cf->max_output_total)
		return (1);
	listen_refused++;
	if (log_limit_ok(&listen_ll_busy, time(NULL), 60, &n))
		log_warnx("listen: %zu bytes of answers wait for clients; "
		    "refusing a %zu-byte answer to client %llu (%s) (%lu more "
		    "refused)", total, len, (unsigned long long)c->id,
		    c->peer, n);
	evbuffer_drain(out, evbuffer_get_length(out));
	evbuffer_add_printf(out, "ERR busy %zu bytes of answers wait for slow "
	    "clients (max_output_total %lu); try later\n", total,
	    listen_cf->max_output_total);
	return (0);
}

void
client_resume(uint64_t id, struct evbuffer *out)
{
	struct client	*c;

	if ((c = client_find(id)) == NULL) {
		evbuffer_free(out);	/* it left; nobody to answer */
		return;
	}
	listen_budget(c, evbuffer_get_length(out), out);
	if (TAILQ_EMPTY(&c->holds))
		client_send(c, out);
	else
		evbuffer_add_buffer(client_output(c), out);
	evbuffer_free(out);
	c->waiting = 0;
	client_process(c);
}

/*
 * Send the stream's next parts while the client's output is short, once
 * no held answer is before it; the last part lets its next requests in.
 */
static void
client_pump(struct client *c)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);

	if (!TAILQ_EMPTY(&c->holds))
		return;
	while (evbuffer_get_length(out) < LISTEN_PART) {
		if (c->fill(c->fill_arg, out))
			continue;
		client_stream_end(c);
		bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
		c->waiting = 0;
		client_process(c);
		return;
	}
}

void
client_stream(uint64_t id, size_t held, client_fill_cb fill,
    void (*release)(void *), void *arg)
{
	struct client	*c;
	struct evbuffer	*err;

	if ((c = client_find(id)) == NULL) {
		release(arg);
		return;
	}
	if ((err = evbuffer_new()) == NULL)
		fatalx("listen: evbuffer_new failed");
	held += 2 * LISTEN_PART;	/* the text out at a time, at most */
	if (!listen_budget(c, held, err)) {
		release(arg);
		client_resume(id, err);
		return;
	}
	evbuffer_free(err);
	c->fill = fill;
	c->release = release;
	c->fill_arg = arg;
	c->held = held;
	listen_nstreams++;
	/* The write callback comes when the output is down to a part. */
	bufferevent_setwatermark(c->bev, EV_WRITE, LISTEN_PART, 0);
	client_pump(c);
}
