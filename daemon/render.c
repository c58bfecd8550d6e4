/*
 * render.c - graph rendering in a small pool of helper processes.
 *
 * DESIGN
 * librrd 1.7's rrd_graph is not thread-safe (a shared font cache and
 * file-static parser state) and leaks a little on every call, so no
 * render runs in tallyd: up to `procs` tally-render helpers render one
 * graph at a time each, and a helper is replaced after `recycle` renders
 * or once its resident size (it reports it with every answer) passes
 * rss_max.  Everything here is loop-thread state: no threads, no locks.
 *
 * A job is its argv, serialized at submit.  It waits in the queue until
 * a helper is idle; helpers are spawned on demand with posix_spawn (no
 * shell, a few environment variables and no RRDCACHED_ADDRESS, nothing
 * open but the socket on fd 0, stdout on /dev/null and our stderr, its
 * own process group) and answer over a socketpair read by a bufferevent,
 * so the loop never blocks.  A render running past `timeout` gets
 * SIGKILL.  A helper that dies, hangs or answers garbage fails its own
 * job only ("render failed"), is logged and replaced; losses in a row
 * back off from 100 ms, doubling, to 10 s, and an answer resets that.  A
 * queued job fails once it has waited `timeout`.
 *
 * Children are reaped by pid (waitpid(pid, WNOHANG) on a timer that runs
 * only while there is something to reap), never with waitpid(-1), and no
 * SIGCHLD handler is set: notify.c and the exec plugin spawn and reap
 * their own children.  A helper whose socket we closed and that is still
 * there RENDER_GRACE_MS later gets SIGKILL.  Callbacks never run inside
 * render_submit; a failure found there is answered on the next turn.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <arpa/inet.h>

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "compat.h"
#include "log.h"
#include "render.h"
#include "spawn.h"
#include "xmalloc.h"

#define RENDER_QUEUE_MAX	1024	/* jobs waiting at most */
#define RENDER_TICK_MS		50	/* reaping, queue deadlines */
#define RENDER_GRACE_MS		2000	/* a closed helper's time to go */
#define RENDER_STOP_MS		1000	/* the same at shutdown */
#define RENDER_BACKOFF_MIN	100	/* ms, from the second loss in a row */
#define RENDER_BACKOFF_MAX	10000
#define RENDER_HDR		12	/* status, resident KiB, length */
#define RENDER_READ_MAX		(256 * 1024)	/* per read(2) */
#define RENDER_LOG_BURST	10	/* warnings a minute at most */

/*
 * What a helper may see of our environment: time zone, fonts, and the
 * sanitizers' settings of a test build.
 */
static const char *const render_env_keep[] = {
	"TZ", "HOME", "LANG", "LC_ALL", "XDG_CACHE_HOME", "XDG_CONFIG_HOME",
	"XDG_DATA_HOME", "FONTCONFIG_FILE", "FONTCONFIG_PATH",
	"RRD_DEFAULT_FONT", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS",
	"LOCPATH", NULL
};

struct render_job {
	TAILQ_ENTRY(render_job)	 entry;
	struct evbuffer		*req;
	msec_t			 queued;
	render_cb		 cb;
	void			*arg;
	struct render_pool	*pool;
	struct render_result	 res;
};

struct render_helper {
	TAILQ_ENTRY(render_helper) entry;
	struct render_pool	*pool;
	pid_t			 pid;
	struct bufferevent	*bev;
	struct event		*deadline;
	struct render_job	*job;		/* NULL: idle */
	unsigned long		 renders;
};

/* A helper out of the pool, waiting to be reaped by its pid. */
struct render_zombie {
	TAILQ_ENTRY(render_zombie) entry;
	pid_t			 pid;
	msec_t			 kill_at;	/* SIGKILL if still there */
	int			 killed;
	int			 expected;	/* told to go: exit 0 is no news */
	char			 why[96];
};

struct render_pool {
	struct event_base		*base;
	char				*helper;
	char				**envp;
	int				 procs;
	unsigned long			 recycle;
	unsigned long			 rss_max;
	msec_t				 timeout;
	TAILQ_HEAD(, render_helper)	 helpers;
	TAILQ_HEAD(, render_job)	 queue;
	TAILQ_HEAD(, render_zombie)	 zombies;
	struct event			*tick;
	struct event			*respawn;
	int				 fails;		/* losses in a row */
	msec_t				 spawn_after;	/* backoff */
	int				 closing;
	time_t				 log_start;	/* this minute's */
	int				 log_n;		/* warnings in it */
	unsigned long			 log_dropped;
	struct render_stats		 st;
};

static void	render_dispatch(struct render_pool *);

static void
render_tv(struct timeval *tv, msec_t ms)
{
	if (ms < 0)
		ms = 0;
	tv->tv_sec = ms / 1000;
	tv->tv_usec = (ms % 1000) * 1000;
}

/* ---- jobs */

static void
render_job_free(struct render_job *job)
{
	evbuffer_free(job->req);
	free(job->res.image);
	free(job);
}

static void
render_job_answer(struct render_job *job)
{
	job->cb(&job->res, job->arg);
	job->res.image = NULL;		/* the callback took it */
	render_job_free(job);
}

static void
render_answer_cb(evutil_socket_t fd, short ev, void *arg)
{
	render_job_answer(arg);
}

/* Fail a job: on the next turn, or at once while the pool closes. */
static void
render_job_fail(struct render_job *job, const char *why)
{
	struct render_pool	*rp = job->pool;

	rp->st.failed++;
	job->res.error = 1;
	snprintf(job->res.msg, sizeof(job->res.msg), "render failed: %s", why);
	if (rp->closing)
		render_job_answer(job);
	else if (event_base_once(rp->base, -1, EV_TIMEOUT, render_answer_cb,
	    job, NULL) == -1)
		fatalx("render: event_base_once failed");
}

/* The request bytes of argv, checked against the helper's limits. */
static struct evbuffer *
render_request(char *const *argv)
{
	struct evbuffer	*b;
	size_t		 total = 0, len;
	uint32_t	 n;
	int		 argc, i;

	for (argc = 0; argv[argc] != NULL; argc++)
		total += strlen(argv[argc]);
	if (argc < 2 || argc > RENDER_ARGS_MAX || total > RENDER_REQUEST_MAX)
		return (NULL);
	if ((b = evbuffer_new()) == NULL)
		fatalx("render: evbuffer_new failed");
	n = htonl((uint32_t)argc);
	evbuffer_add(b, &n, sizeof(n));
	for (i = 0; i < argc; i++) {
		len = strlen(argv[i]);
		n = htonl((uint32_t)len);
		evbuffer_add(b, &n, sizeof(n));
		evbuffer_add(b, argv[i], len);
	}
	return (b);
}

/* ---- reaping */

static void
render_tick_arm(struct render_pool *rp)
{
	struct timeval	 tv;

	if (rp->closing || evtimer_pending(rp->tick, NULL))
		return;
	render_tv(&tv, RENDER_TICK_MS);
	evtimer_add(rp->tick, &tv);
}

/*
 * At most RENDER_LOG_BURST warnings a minute, so a request that kills
 * helpers cannot flood the log; the next line after a quiet spell says
 * how many were left out, in buf.
 */
static int
render_log_ok(struct render_pool *rp, char *buf, size_t len)
{
	time_t	 now = time(NULL);

	buf[0] = '\0';
	if (now - rp->log_start >= 60) {
		if (rp->log_dropped > 0)
			snprintf(buf, len, " (%lu like it not logged)",
			    rp->log_dropped);
		rp->log_start = now;
		rp->log_n = 0;
		rp->log_dropped = 0;
	}
	if (rp->log_n >= RENDER_LOG_BURST) {
		rp->log_dropped++;
		return (0);
	}
	rp->log_n++;
	return (1);
}

static void
render_zombie_log(struct render_pool *rp, struct render_zombie *z,
    int status)
{
	char		 how[64], more[48];

	if (WIFEXITED(status))
		snprintf(how, sizeof(how), "exited with %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "was killed by signal %d",
		    WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "ended (status %#x)", status);
	if (z->expected && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_debug("render: helper %d %s, %s", (int)z->pid, z->why, how);
	else if (z->expected)
		log_info("render: helper %d %s, %s", (int)z->pid, z->why, how);
	else if (render_log_ok(rp, more, sizeof(more)))
		log_warnx("render: helper %d %s, %s; replaced%s", (int)z->pid,
		    z->why, how, more);
}

/* Reap what has exited; SIGKILL what overstays its grace. */
static void
render_reap(struct render_pool *rp, msec_t now)
{
	struct render_zombie	*z, *zt;
	pid_t			 r;
	int			 status;

	TAILQ_FOREACH_SAFE(z, &rp->zombies, entry, zt) {
		while ((r = waitpid(z->pid, &status, WNOHANG)) == -1 &&
		    errno == EINTR)
			;
		if (r == 0) {
			if (!z->killed && now >= z->kill_at) {
				kill(z->pid, SIGKILL);
				z->killed = 1;
			}
			continue;
		}
		if (r == -1)
			log_warn("render: waitpid %d", (int)z->pid);
		else
			render_zombie_log(rp, z, status);
		TAILQ_REMOVE(&rp->zombies, z, entry);
		free(z);
	}
}

/* Queued jobs that waited too long fail; nothing else would end them. */
static void
render_expire(struct render_pool *rp, msec_t now)
{
	struct render_job	*job;
	char			 more[48];

	while ((job = TAILQ_FIRST(&rp->queue)) != NULL &&
	    now - job->queued >= rp->timeout) {
		TAILQ_REMOVE(&rp->queue, job, entry);
		rp->st.queued--;
		if (render_log_ok(rp, more, sizeof(more)))
			log_warnx("render: a graph waited %lld ms for a "
			    "helper and failed%s", (long long)rp->timeout,
			    more);
		render_job_fail(job, "no helper was free in time");
	}
}

static void
render_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct render_pool	*rp = arg;
	msec_t			 now = clock_mono();

	render_reap(rp, now);
	render_expire(rp, now);
	if (!TAILQ_EMPTY(&rp->zombies) || !TAILQ_EMPTY(&rp->queue))
		render_tick_arm(rp);
}

/* ---- helpers */

/*
 * Take h out of the pool: close its socket (it exits on EOF) and reap it
 * later.  Its job, if any, is the caller's.
 */
static void
render_helper_close(struct render_helper *h, int expected, const char *why)
{
	struct render_pool	*rp = h->pool;
	struct render_zombie	*z;
	evutil_socket_t		 fd;

	TAILQ_REMOVE(&rp->helpers, h, entry);
	rp->st.helpers--;
	if (h->job != NULL)
		rp->st.busy--;
	/*
	 * libevent closes a freed bufferevent's fd on a later loop turn (none
	 * comes at shutdown); shutdown(2) gives the helper its EOF now and
	 * keeps the fd number from being reused before libevent lets go.
	 */
	if ((fd = bufferevent_getfd(h->bev)) != -1)
		shutdown(fd, SHUT_RDWR);
	bufferevent_free(h->bev);
	event_free(h->deadline);
	z = xcalloc(1, sizeof(*z));
	z->pid = h->pid;
	z->kill_at = clock_mono() + RENDER_GRACE_MS;
	z->expected = expected;
	snprintf(z->why, sizeof(z->why), "%s", why);
	TAILQ_INSERT_TAIL(&rp->zombies, z, entry);
	free(h);
	render_tick_arm(rp);
}

/* A helper failed us: fail its job, replace it, back off if it repeats. */
static void
render_helper_lost(struct render_helper *h, const char *why)
{
	struct render_pool	*rp = h->pool;
	struct render_job	*job = h->job;
	char			 what[96];
	msec_t			 delay = 0;
	int			 shift;

	snprintf(what, sizeof(what), "%s %s", why, job != NULL ?
	    "while rendering" : "while idle");
	render_helper_close(h, 0, what);
	rp->st.lost++;
	if (++rp->fails > 1) {
		shift = rp->fails - 2 > 7 ? 7 : rp->fails - 2;
		delay = (msec_t)RENDER_BACKOFF_MIN << shift;
		if (delay > RENDER_BACKOFF_MAX)
			delay = RENDER_BACKOFF_MAX;
	}
	rp->spawn_after = clock_mono() + delay;
	if (job != NULL) {
		snprintf(what, sizeof(what), "helper %s", why);
		render_job_fail(job, what);
	}
	render_dispatch(rp);
}

/* A render past the timeout: kill the helper, fail the job. */
static void
render_deadline_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct render_helper	*h = arg;
	char			 why[64];

	kill(h->pid, SIGKILL);
	snprintf(why, sizeof(why), "took over %lld ms",
	    (long long)h->pool->timeout);
	render_helper_lost(h, why);
}

/* EOF or an error on a helper's socket: it died (or was killed). */
static void
render_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct render_helper	*h = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		render_helper_lost(h, "died");
}

/* An answer's error text goes into a protocol line: printable only. */
static void
render_msg_clean(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	}
}

/*
 * Take a whole answer off h's input into its job's result.  1 if one was
 * there, 0 if more bytes are needed, -1 if the helper broke the protocol.
 */
static int
render_take(struct render_helper *h, uint32_t *rss_kib)
{
	struct evbuffer		*in = bufferevent_get_input(h->bev);
	struct render_result	*res;
	uint32_t		 hdr[3], status, len;
	size_t			 n;

	if (evbuffer_get_length(in) < RENDER_HDR)
		return (0);
	if (h->job == NULL)
		return (-1);
	evbuffer_copyout(in, hdr, sizeof(hdr));
	status = ntohl(hdr[0]);
	*rss_kib = ntohl(hdr[1]);
	len = ntohl(hdr[2]);
	if ((status != RENDER_OK && status != RENDER_ERR) ||
	    len > RENDER_REPLY_MAX)
		return (-1);
	if (evbuffer_get_length(in) < RENDER_HDR + (size_t)len)
		return (0);
	if (evbuffer_get_length(in) > RENDER_HDR + (size_t)len)
		return (-1);
	evbuffer_drain(in, RENDER_HDR);
	res = &h->job->res;
	if (status == RENDER_OK) {
		res->image = xmalloc(len > 0 ? len : 1);
		evbuffer_remove(in, res->image, len);
		res->len = len;
		return (1);
	}
	res->error = res->rrd_error = 1;
	n = len < sizeof(res->msg) - 1 ? len : sizeof(res->msg) - 1;
	evbuffer_remove(in, res->msg, n);
	res->msg[n] = '\0';
	evbuffer_drain(in, len - n);
	render_msg_clean(res->msg);
	return (1);
}

/* An answer: hand it over; a worn-out helper is replaced first. */
static void
render_read_cb(struct bufferevent *bev, void *arg)
{
	struct render_helper	*h = arg;
	struct render_pool	*rp = h->pool;
	struct render_job	*job;
	uint32_t		 rss_kib = 0;
	char			 why[96];
	int			 r;

	if ((r = render_take(h, &rss_kib)) == 0)
		return;
	if (r == -1) {
		kill(h->pid, SIGKILL);
		render_helper_lost(h, "answered out of protocol");
		return;
	}
	job = h->job;
	h->job = NULL;
	rp->st.busy--;
	evtimer_del(h->deadline);
	rp->st.renders++;
	rp->fails = 0;
	if (++h->renders >= rp->recycle) {
		snprintf(why, sizeof(why), "retired after %lu renders",
		    h->renders);
		rp->st.recycled++;
		render_helper_close(h, 1, why);
	} else if (rp->rss_max > 0 &&
	    (unsigned long long)rss_kib * 1024 > rp->rss_max) {
		snprintf(why, sizeof(why), "retired at %lu KiB resident after "
		    "%lu renders", (unsigned long)rss_kib, h->renders);
		rp->st.recycled++;
		render_helper_close(h, 1, why);
	}
	render_job_answer(job);
	render_dispatch(rp);
}

/* Spawn a helper on a socketpair; NULL with errno set. */
static struct render_helper *
render_spawn(struct render_pool *rp)
{
	struct render_helper	*h;
	char			 arg0[] = "tally-render";
	char			*argv[] = { arg0, NULL };
	pid_t			 pid;
	int			 sv[2], error;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		return (NULL);
	/* stderr stays ours: a helper's complaint belongs in our log. */
	error = spawn_process(&pid, rp->helper, argv, rp->envp, sv[1], -1, 2);
	close(sv[1]);
	if (error != 0) {
		close(sv[0]);
		errno = error;
		return (NULL);
	}
	if (evutil_make_socket_nonblocking(sv[0]) == -1)
		fatal("render: nonblocking socket");
	h = xcalloc(1, sizeof(*h));
	h->pool = rp;
	h->pid = pid;
	if ((h->bev = bufferevent_socket_new(rp->base, sv[0],
	    BEV_OPT_CLOSE_ON_FREE)) == NULL ||
	    (h->deadline = evtimer_new(rp->base, render_deadline_cb, h)) ==
	    NULL)
		fatalx("render: cannot watch a helper");
	bufferevent_set_max_single_read(h->bev, RENDER_READ_MAX);
	bufferevent_setcb(h->bev, render_read_cb, NULL, render_event_cb, h);
	bufferevent_enable(h->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&rp->helpers, h, entry);
	rp->st.helpers++;
	rp->st.spawned++;
	log_debug("render: helper %d started", (int)pid);
	return (h);
}

/* No helper could be started: jobs fail unless one is still alive. */
static void
render_spawn_failed(struct render_pool *rp)
{
	struct render_job	*job;
	char			 more[48];
	int			 saved = errno;

	if (render_log_ok(rp, more, sizeof(more))) {
		errno = saved;
		log_warn("render: cannot start %s%s", rp->helper, more);
	}
	rp->fails++;
	rp->spawn_after = clock_mono() + RENDER_BACKOFF_MAX / 10;
	if (!TAILQ_EMPTY(&rp->helpers))
		return;
	while ((job = TAILQ_FIRST(&rp->queue)) != NULL) {
		TAILQ_REMOVE(&rp->queue, job, entry);
		rp->st.queued--;
		render_job_fail(job, "cannot start a render helper");
	}
}

/* Give h a job: the request goes out as the socket takes it. */
static void
render_send(struct render_helper *h, struct render_job *job)
{
	struct render_pool	*rp = h->pool;
	struct timeval		 tv;

	h->job = job;
	rp->st.busy++;
	if (bufferevent_write_buffer(h->bev, job->req) == -1)
		fatalx("render: cannot queue a request");
	render_tv(&tv, rp->timeout);
	evtimer_add(h->deadline, &tv);
	log_debug("render: job to helper %d", (int)h->pid);
}

static void
render_respawn_cb(evutil_socket_t fd, short ev, void *arg)
{
	render_dispatch(arg);
}

/* Give queued jobs to idle helpers, spawning up to procs of them. */
static void
render_dispatch(struct render_pool *rp)
{
	struct render_helper	*h;
	struct render_job	*job;
	struct timeval		 tv;
	msec_t			 now;

	while (!rp->closing && (job = TAILQ_FIRST(&rp->queue)) != NULL) {
		TAILQ_FOREACH(h, &rp->helpers, entry) {
			if (h->job == NULL)
				break;
		}
		if (h == NULL) {
			if (rp->st.helpers >= rp->procs)
				break;
			now = clock_mono();
			if (now < rp->spawn_after) {
				render_tv(&tv, rp->spawn_after - now);
				if (!evtimer_pending(rp->respawn, NULL))
					evtimer_add(rp->respawn, &tv);
				break;
			}
			if ((h = render_spawn(rp)) == NULL) {
				render_spawn_failed(rp);
				continue;
			}
		}
		TAILQ_REMOVE(&rp->queue, job, entry);
		rp->st.queued--;
		render_send(h, job);
	}
	if (!TAILQ_EMPTY(&rp->queue))
		render_tick_arm(rp);
}

/* ---- the pool */

/*
 * The helper's environment: what it may see of ours, and the locale it
 * draws in (TALLY_RENDER_LOCALE), if this system has it; else it is
 * said once here and the helper draws in C.
 */
static char **
render_env(const char *locale)
{
	char		**envp;
	const char	*v;
	size_t		  i, n = 0;
	locale_t	  l;

	envp = xcalloc(sizeof(render_env_keep) / sizeof(render_env_keep[0]) +
	    1, sizeof(*envp));
	for (i = 0; render_env_keep[i] != NULL; i++) {
		if ((v = getenv(render_env_keep[i])) != NULL)
			xasprintf(&envp[n++], "%s=%s", render_env_keep[i], v);
	}
	if (locale == NULL)
		return (envp);
	if ((l = newlocale(LC_ALL_MASK, locale, (locale_t)0)) == (locale_t)0) {
		log_warnx("render: graph_locale %s is not installed (e.g. "
		    "locale-gen %s); graphs are drawn in C: decimal points, "
		    "English weekdays", locale, locale);
		return (envp);
	}
	freelocale(l);
	xasprintf(&envp[n++], "TALLY_RENDER_LOCALE=%s", locale);
	return (envp);
}

struct render_pool *
render_pool_new(struct event_base *base, const struct render_opts *o)
{
	struct render_pool	*rp;

	rp = xcalloc(1, sizeof(*rp));
	rp->base = base;
	rp->helper = xstrdup(o->helper);
	rp->procs = o->procs > 0 ? o->procs : 1;
	rp->envp = render_env(o->locale);
	TAILQ_INIT(&rp->helpers);
	TAILQ_INIT(&rp->queue);
	TAILQ_INIT(&rp->zombies);
	if ((rp->tick = evtimer_new(base, render_tick_cb, rp)) == NULL ||
	    (rp->respawn = evtimer_new(base, render_respawn_cb, rp)) == NULL)
		fatalx("render: cannot make timers");
	render_pool_set(rp, o);
	if (access(rp->helper, X_OK) == -1)
		log_warn("render: %s; GRAPH will fail until it can run",
		    rp->helper);
	return (rp);
}

void
render_pool_set(struct render_pool *rp, const struct render_opts *o)
{
	rp->recycle = o->recycle > 0 ? o->recycle : 1;
	rp->rss_max = o->rss_max;
	rp->timeout = o->timeout > 0 ? o->timeout : 1;
}

void
render_submit(struct render_pool *rp, char *const *argv, render_cb cb,
    void *arg)
{
	struct render_job	*job;

	job = xcalloc(1, sizeof(*job));
	job->pool = rp;
	job->cb = cb;
	job->arg = arg;
	job->queued = clock_mono();
	if ((job->req = render_request(argv)) == NULL) {
		if ((job->req = evbuffer_new()) == NULL)
			fatalx("render: evbuffer_new failed");
		render_job_fail(job, "too many graph arguments");
		return;
	}
	if (rp->st.queued >= RENDER_QUEUE_MAX) {
		render_job_fail(job, "too many graphs waiting");
		return;
	}
	TAILQ_INSERT_TAIL(&rp->queue, job, entry);
	rp->st.queued++;
	render_dispatch(rp);
}

/* Shutdown: wait a little for closed helpers to go, then kill them. */
static void
render_reap_all(struct render_pool *rp)
{
	struct render_zombie	*z;
	struct timespec		 ts = { 0, 10 * 1000 * 1000 };
	msec_t			 start = clock_mono(), now;

	TAILQ_FOREACH(z, &rp->zombies, entry) {
		if (z->kill_at > start + RENDER_STOP_MS)
			z->kill_at = start + RENDER_STOP_MS;
	}
	while (!TAILQ_EMPTY(&rp->zombies)) {
		now = clock_mono();
		render_reap(rp, now);
		if (TAILQ_EMPTY(&rp->zombies))
			break;
		if (now > start + 2 * RENDER_STOP_MS) {
			log_warnx("render: helper %d would not go",
			    (int)TAILQ_FIRST(&rp->zombies)->pid);
			break;
		}
		nanosleep(&ts, NULL);
	}
	while ((z = TAILQ_FIRST(&rp->zombies)) != NULL) {
		TAILQ_REMOVE(&rp->zombies, z, entry);
		free(z);
	}
}

void
render_pool_free(struct render_pool *rp)
{
	struct render_helper	*h;
	struct render_job	*job;
	size_t			 i;

	if (rp == NULL)
		return;
	rp->closing = 1;
	while ((job = TAILQ_FIRST(&rp->queue)) != NULL) {
		TAILQ_REMOVE(&rp->queue, job, entry);
		rp->st.queued--;
		render_job_fail(job, "shutting down");
	}
	while ((h = TAILQ_FIRST(&rp->helpers)) != NULL) {
		job = h->job;
		render_helper_close(h, 1, "stopped");
		if (job != NULL)
			render_job_fail(job, "shutting down");
	}
	render_reap_all(rp);
	event_free(rp->tick);
	event_free(rp->respawn);
	for (i = 0; rp->envp[i] != NULL; i++)
		free(rp->envp[i]);
	free(rp->envp);
	free(rp->helper);
	free(rp);
}

void
render_pool_stats(const struct render_pool *rp, struct render_stats *st)
{
	*st = rp->st;
}

int
render_pool_pids(const struct render_pool *rp, pid_t *pids, int max)
{
	const struct render_helper	*h;
	int				 n = 0;

	TAILQ_FOREACH(h, &rp->helpers, entry) {
		if (n == max)
			break;
		pids[n++] = h->pid;
	}
	return (n);
}
