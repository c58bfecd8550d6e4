/*
 * work.c - worker pools; the only file with pthread condition variables.
 *
 * DESIGN
 * Each pool has a job queue (todo) and a completion list (done), each under
 * the pool's one mutex.  Workers sleep on a condition variable, take a job,
 * run it unlocked, append it to done and write one byte to a non-blocking
 * pipe only if done was empty.  The loop's persistent EV_READ event drains
 * the pipe, swaps the done list out under the lock and runs completions
 * unlocked.  So workers never touch loop state, and a burst of completions
 * costs one wake-up.
 *
 * Threads are detached: a read stuck in a plugin cannot be joined or
 * cancelled safely, so the pool counts live threads instead and, when a job
 * overruns, lends itself an extra thread (work_lend_thread) so that a hung
 * plugin never starves the others.  A worker exits when the pool holds more
 * threads than it wants.
 *
 * Lock order: only wp->lock exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "work.h"
#include "xmalloc.h"

TAILQ_HEAD(work_list, work_job);

struct work_pool {
	char			*name;
	struct event_base	*base;
	struct event		*wake_ev;
	int			 wakefd[2];

	pthread_mutex_t		 lock;
	pthread_cond_t		 todo_cond;	/* todo non-empty or stop */
	pthread_cond_t		 exit_cond;	/* a thread exited */
	struct work_list	 todo;
	struct work_list	 done;
	int			 want;		/* threads wanted */
	int			 live;		/* threads alive */
	int			 stopping;
	int			 pending;	/* loop only: submitted, not done */
};

static void	*work_main(void *);

static void
work_spawn(struct work_pool *wp)
{
	pthread_t	 t;
	pthread_attr_t	 attr;
	int		 error;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if ((error = pthread_create(&t, &attr, work_main, wp)) != 0) {
		errno = error;
		fatal("%s: pthread_create", wp->name);
	}
	pthread_attr_destroy(&attr);
	wp->live++;
}

/* Worker side: hand a finished job to the loop, waking it if it sleeps. */
static void
work_finish(struct work_pool *wp, struct work_job *job)
{
	int	 was_empty;

	was_empty = TAILQ_EMPTY(&wp->done);
	TAILQ_INSERT_TAIL(&wp->done, job, entry);
	if (was_empty && write(wp->wakefd[1], "", 1) == -1 &&
	    errno != EAGAIN)
		fatal("%s: wake loop", wp->name);
}

static void *
work_main(void *arg)
{
	struct work_pool	*wp = arg;
	struct work_job		*job;

	pthread_mutex_lock(&wp->lock);
	for (;;) {
		while (TAILQ_EMPTY(&wp->todo) && !wp->stopping &&
		    wp->live <= wp->want)
			pthread_cond_wait(&wp->todo_cond, &wp->lock);
		if (wp->stopping || wp->live > wp->want)
			break;
		job = TAILQ_FIRST(&wp->todo);
		TAILQ_REMOVE(&wp->todo, job, entry);
		pthread_mutex_unlock(&wp->lock);
		job->run(job);
		pthread_mutex_lock(&wp->lock);
		work_finish(wp, job);
	}
	wp->live--;
	pthread_cond_broadcast(&wp->exit_cond);
	pthread_mutex_unlock(&wp->lock);
	return (NULL);
}

/* Loop side: run every completion that has arrived. */
static void
work_complete(struct work_pool *wp)
{
	struct work_list	 list;
	struct work_job		*job;
	char			 buf[64];

	while (read(wp->wakefd[0], buf, sizeof(buf)) > 0)
		;
	TAILQ_INIT(&list);
	pthread_mutex_lock(&wp->lock);
	TAILQ_CONCAT(&list, &wp->done, entry);
	pthread_mutex_unlock(&wp->lock);
	while ((job = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, job, entry);
		wp->pending--;
		job->done(job);
	}
}

static void
work_wake_cb(evutil_socket_t fd, short events, void *arg)
{
	work_complete(arg);
}

struct work_pool *
work_pool_new(struct event_base *base, const char *name, int nthreads)
{
	struct work_pool	*wp;
	int			 i;

	wp = xcalloc(1, sizeof(*wp));
	wp->name = xstrdup(name);
	wp->base = base;
	if (pipe2(wp->wakefd, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("%s: pipe", name);
	wp->wake_ev = event_new(base, wp->wakefd[0], EV_READ | EV_PERSIST,
	    work_wake_cb, wp);
	if (wp->wake_ev == NULL || event_add(wp->wake_ev, NULL) == -1)
		fatalx("%s: cannot add wake event", name);
	pthread_mutex_init(&wp->lock, NULL);
	pthread_cond_init(&wp->todo_cond, NULL);
	pthread_cond_init(&wp->exit_cond, NULL);
	TAILQ_INIT(&wp->todo);
	TAILQ_INIT(&wp->done);
	wp->want = nthreads < 1 ? 1 : nthreads;
	pthread_mutex_lock(&wp->lock);
	for (i = 0; i < wp->want; i++)
		work_spawn(wp);
	pthread_mutex_unlock(&wp->lock);
	return (wp);
}

void
work_submit(struct work_pool *wp, struct work_job *job)
{
	wp->pending++;
	pthread_mutex_lock(&wp->lock);
	TAILQ_INSERT_TAIL(&wp->todo, job, entry);
	pthread_cond_signal(&wp->todo_cond);
	pthread_mutex_unlock(&wp->lock);
}

void
work_lend_thread(struct work_pool *wp)
{
	pthread_mutex_lock(&wp->lock);
	wp->want++;
	if (wp->live < wp->want)
		work_spawn(wp);
	pthread_mutex_unlock(&wp->lock);
}

void
work_return_thread(struct work_pool *wp)
{
	pthread_mutex_lock(&wp->lock);
	if (wp->want > 1)
		wp->want--;
	pthread_cond_broadcast(&wp->todo_cond);	/* an idle one may go */
	pthread_mutex_unlock(&wp->lock);
}

int
work_threads(struct work_pool *wp)
{
	int	 n;

	pthread_mutex_lock(&wp->lock);
	n = wp->live;
	pthread_mutex_unlock(&wp->lock);
	return (n);
}

int
work_pending(struct work_pool *wp)
{
	return (wp->pending);
}

int
work_drain(struct work_pool *wp, msec_t timeout)
{
	msec_t		 end = clock_mono() + timeout;
	struct timespec	 ts;

	for (;;) {
		work_complete(wp);
		if (wp->pending == 0 || clock_mono() >= end)
			break;
		/* Sleep until a completion or the deadline: 10 ms slices. */
		ts.tv_sec = 0;
		ts.tv_nsec = 10 * 1000 * 1000;
		nanosleep(&ts, NULL);
	}
	return (wp->pending);
}

int
work_pool_free(struct work_pool *wp)
{
	struct timespec	 ts;
	int		 stuck;

	if (wp == NULL)
		return (0);
	pthread_mutex_lock(&wp->lock);
	wp->stopping = 1;
	pthread_cond_broadcast(&wp->todo_cond);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	while (wp->live > 0) {
		if (pthread_cond_timedwait(&wp->exit_cond, &wp->lock,
		    &ts) == ETIMEDOUT)
			break;
	}
	stuck = wp->live;
	pthread_mutex_unlock(&wp->lock);
	if (stuck > 0) {
		log_warnx("%s: %d thread(s) still stuck in a job; leaving "
		    "them", wp->name, stuck);
		return (1);
	}
	event_free(wp->wake_ev);
	close(wp->wakefd[0]);
	close(wp->wakefd[1]);
	pthread_mutex_destroy(&wp->lock);
	pthread_cond_destroy(&wp->todo_cond);
	pthread_cond_destroy(&wp->exit_cond);
	free(wp->name);
	free(wp);
	return (0);
}
