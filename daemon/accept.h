/*
 * accept.h - a listener that survives running out of descriptors: on an
 * accept error (EMFILE, ENFILE, ENOBUFS, ...) it stops accepting for a
 * second instead of failing again at once in a busy loop, and says so at
 * most once a minute.  A listener may also be held (its owner is full).
 */
#ifndef TALLY_ACCEPT_H
#define TALLY_ACCEPT_H

struct event_base;
struct sockaddr;
struct evconnlistener;
struct accept_guard;

/*
 * Loop thread.  what names the listener in the log.  With spare_cb, one
 * descriptor is kept in reserve: when the process has none left, it is
 * given up to accept one connection, handed to spare_cb as libevent would
 * (so a local operator still gets in), and taken back when possible.
 */
typedef void (*accept_spare_cb)(struct evconnlistener *, int fd,
    struct sockaddr *, int socklen, void *);
struct accept_guard	*accept_guard_new(struct event_base *,
			    struct evconnlistener *, const char *what,
			    accept_spare_cb spare_cb, void *spare_arg);
void			 accept_guard_free(struct accept_guard *);
/* Stop (1) or resume (0) accepting for the owner's own reasons. */
void			 accept_guard_hold(struct accept_guard *, int);
/* Accept errors so far (for tests and stats). */
unsigned long		 accept_guard_errors(const struct accept_guard *);

#endif
