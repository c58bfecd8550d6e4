/*
 * render.h - graph rendering in a small pool of helper processes.
 *
 * librrd's rrd_graph is not thread-safe and leaks a little on every call,
 * so renders run in helper processes (tally-render), one at a time each,
 * and a helper is replaced after a number of renders or once it grows
 * past a size.  The pool lives on the loop thread: submit there, and the
 * callback runs there, never inside render_submit.
 *
 * The helper protocol, on a socketpair (integers 32-bit big-endian):
 *	request	argc, then argc times: length, bytes (rrd_graph's argv)
 *	reply	status (RENDER_OK: image; RENDER_ERR: librrd's error text),
 *		the helper's resident size in KiB, length, bytes
 */
#ifndef TALLY_RENDER_H
#define TALLY_RENDER_H

#include <sys/types.h>

#include <stddef.h>

#include "clock.h"

#define RENDER_OK		0
#define RENDER_ERR		1
#define RENDER_ARGS_MAX		256		/* argc at most */
#define RENDER_REQUEST_MAX	(1024 * 1024)	/* argument bytes at most */
#define RENDER_REPLY_MAX	(64 * 1024 * 1024)	/* image bytes at most */

struct event_base;
struct render_pool;

struct render_opts {
	const char	*helper;	/* path of tally-render */
	const char	*locale;	/* graphs drawn in it; NULL: C */
	int		 procs;		/* helpers at most, 1.. */
	unsigned long	 recycle;	/* renders before a helper is replaced */
	unsigned long	 rss_max;	/* bytes; a bigger helper is replaced */
	msec_t		 timeout;	/* a render, or a wait in the queue */
};

struct render_result {
	int		 error;		/* 1: msg says why, image is NULL */
	int		 rrd_error;	/* the error is librrd's, not the pool's */
	char		 msg[256];
	unsigned char	*image;		/* the callback takes it: free it */
	size_t		 len;
};

/* Runs on the loop, on a later turn than the submit. */
typedef void (*render_cb)(struct render_result *, void *arg);

struct render_stats {
	unsigned long	 renders;	/* answers from helpers, images or not */
	unsigned long	 failed;	/* jobs the pool failed (helper died...) */
	unsigned long	 spawned;
	unsigned long	 recycled;	/* replaced after recycle or rss_max */
	unsigned long	 lost;		/* died, hung or answered garbage */
	int		 helpers;	/* alive now */
	int		 busy;
	int		 queued;
};

/* Helpers are spawned on demand, so a pool that never renders has none. */
struct render_pool	*render_pool_new(struct event_base *,
			    const struct render_opts *);
/* Reload: recycle, rss_max and timeout change; helper and procs do not. */
void			 render_pool_set(struct render_pool *,
			    const struct render_opts *);
/*
 * Fail every queued and running job (callbacks run from here), close the
 * helpers and reap them, killing any still there after a second.
 */
void			 render_pool_free(struct render_pool *);

/* argv is NULL-terminated and copied before this returns. */
void			 render_submit(struct render_pool *,
			    char *const *argv, render_cb, void *arg);

void			 render_pool_stats(const struct render_pool *,
			    struct render_stats *);
/* The helpers' pids (alive, not reaped), at most max; returns how many. */
int			 render_pool_pids(const struct render_pool *,
			    pid_t *pids, int max);

#endif
