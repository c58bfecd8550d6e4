/*
 * accept.c - pause a listener after an accept error, resume it later.
 *
 * libevent calls the error callback when accept(2) fails with anything
 * but EAGAIN/EINTR/ECONNABORTED and leaves the listener enabled, so with
 * no descriptors left the loop would spin on the pending connection.  We
 * disable it for ACCEPT_PAUSE_MS; the pending connections wait in the
 * kernel's backlog meanwhile.  A guard with a spare descriptor first
 * trades it for one connection (the unix socket's operator).
 */
#include <sys/queue.h>

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "accept.h"
#include "log.h"
#include "xmalloc.h"

#define ACCEPT_PAUSE_MS	1000

struct accept_guard {
	struct evconnlistener	*lev;
	struct event		*resume_ev;
	char			*what;
	int			 paused;	/* after an error */
	int			 held;		/* by the owner */
	unsigned long		 errors;
	accept_spare_cb		 spare_cb;
	void			*spare_arg;
	int			 spare;		/* -1: none held */
	struct log_limit	 ll;
	TAILQ_ENTRY(accept_guard) entry;
};

/* The error callback gets the listener's argument, not ours: look it up. */
static TAILQ_HEAD(, accept_guard) accept_guards =
    TAILQ_HEAD_INITIALIZER(accept_guards);

static void
accept_guard_apply(struct accept_guard *g)
{
	if (g->paused || g->held)
		evconnlistener_disable(g->lev);
	else
		evconnlistener_enable(g->lev);
}

static void
accept_spare_take(struct accept_guard *g)
{
	if (g->spare_cb != NULL && g->spare == -1)
		g->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Out of descriptors: use the spare for one connection.  1 if served. */
static int
accept_spare(struct accept_guard *g)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	int			 fd;

	if (g->spare == -1)
		return (0);
	close(g->spare);
	g->spare = -1;
	fd = accept4(evconnlistener_get_fd(g->lev), (struct sockaddr *)&ss,
	    &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		accept_spare_take(g);
		return (0);
	}
	g->spare_cb(g->lev, fd, (struct sockaddr *)&ss, (int)len,
	    g->spare_arg);
	accept_spare_take(g);	/* fails until a descriptor is free */
	return (1);
}

static void
accept_resume_cb(evutil_socket_t fd, short events, void *arg)
{
	struct accept_guard	*g = arg;

	g->paused = 0;
	accept_spare_take(g);
	accept_guard_apply(g);
}

static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct accept_guard	*g;
	struct timeval		 tv = { ACCEPT_PAUSE_MS / 1000,
				    (ACCEPT_PAUSE_MS % 1000) * 1000 };
	unsigned long		 n;
	int			 err = EVUTIL_SOCKET_ERROR();

	TAILQ_FOREACH(g, &accept_guards, entry)
		if (g->lev == lev)
			break;
	if (g == NULL) {		/* not ours: cannot happen */
		evconnlistener_disable(lev);
		return;
	}
	g->errors++;
	if (g->spare_cb != NULL && (err == EMFILE || err == ENFILE) &&
	    accept_spare(g))
		return;
	if (log_limit_ok(&g->ll, time(NULL), 60, &n))
		log_warnx("%s: accept: %s; not accepting for %d ms (%lu more "
		    "such errors)", g->what, strerror(err), ACCEPT_PAUSE_MS,
		    n);
	g->paused = 1;
	accept_guard_apply(g);
	evtimer_add(g->resume_ev, &tv);
}

struct accept_guard *
accept_guard_new(struct event_base *base, struct evconnlistener *lev,
    const char *what, accept_spare_cb spare_cb, void *spare_arg)
{
	struct accept_guard	*g;

	g = xcalloc(1, sizeof(*g));
	g->lev = lev;
	g->spare = -1;
	g->spare_cb = spare_cb;
	g->spare_arg = spare_arg;
	accept_spare_take(g);
	g->what = xstrdup(what);
	if ((g->resume_ev = evtimer_new(base, accept_resume_cb, g)) == NULL)
		fatalx("%s: cannot make a timer", what);
	evconnlistener_set_error_cb(lev, accept_error_cb);
	TAILQ_INSERT_TAIL(&accept_guards, g, entry);
	return (g);
}

void
accept_guard_free(struct accept_guard *g)
{
	if (g == NULL)
		return;
	TAILQ_REMOVE(&accept_guards, g, entry);
	if (g->spare != -1)
		close(g->spare);
	event_free(g->resume_ev);
	free(g->what);
	free(g);
}

void
accept_guard_hold(struct accept_guard *g, int hold)
{
	if (g->held == hold)
		return;
	g->held = hold;
	accept_guard_apply(g);
}

unsigned long
accept_guard_errors(const struct accept_guard *g)
{
	return (g->errors);
}
