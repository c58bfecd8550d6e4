/*
 * work.h - worker thread pools with completions run on the event loop.
 *
 * The loop submits a job; a worker runs job->run; then job->done runs on
 * the loop thread.  Ownership of the job passes to the pool at submit and
 * comes back at done: nobody else may touch it in between.
 */
#ifndef TALLY_WORK_H
#define TALLY_WORK_H

#include <sys/queue.h>

#include "clock.h"

struct event_base;
struct work_pool;

struct work_job {
	TAILQ_ENTRY(work_job)	 entry;
	void			(*run)(struct work_job *);	/* worker */
	void			(*done)(struct work_job *);	/* loop */
};

struct work_pool	*work_pool_new(struct event_base *, const char *name,
			    int nthreads);
void			 work_submit(struct work_pool *, struct work_job *);
/*
 * A job is stuck past its deadline: lend the pool one more thread so the
 * others keep their pace; give it back once the job completes.
 */
void			 work_lend_thread(struct work_pool *);
void			 work_return_thread(struct work_pool *);
int			 work_threads(struct work_pool *);
/* Jobs submitted and not yet completed on the loop. */
int			 work_pending(struct work_pool *);
/*
 * Loop thread: run completions until no job is pending or timeout ms pass.
 * Returns the number of jobs still pending.
 */
int			 work_drain(struct work_pool *, msec_t timeout);
/*
 * Stops the threads.  If jobs are still stuck in a worker, the pool is left
 * allocated for them (the process is about to exit) and 1 is returned.
 */
int			 work_pool_free(struct work_pool *);

#endif
