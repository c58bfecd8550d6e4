/*
 * import.c - archive import on two threads.
 *
 * DESIGN
 *
 * Threads.  import_start makes one worker thread for one run of an import
 * (at most import_time); import_finish joins it.  While it runs the worker
 * owns the struct archive alone (plan, open file, offsets, done keys) and
 * the read thread touches it not at all; the read thread owns the counting
 * state (struct tstats) alone.  The worker reads, decompresses and parses
 * (the costly part of a line), reduces each line to a struct ts_fact
 * (ts_fact_of: crawler test and visitor fingerprint included) and hands
 * batches of facts over a ring of IMPORT_RING; the read thread counts them
 * in order.  So an import uses both cores, whether there are several
 * archives or one.
 *
 * Consistency.  The archive's offsets always describe what the worker has
 * read; they describe what was counted only once every batch made is
 * counted.  So import_stop asks the worker to stop after its current
 * batch, the read thread counts the batches still in the ring, and only
 * after import_finish (join) is the archive's position saved with the
 * counts: the checkpoint never gets ahead of the counting.
 *
 * Locks.  lock guards head, count, stop, done, rc and err; the batches in
 * the ring belong to the read thread from import_next until
 * import_release, to the worker otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

/* A line the worker reads (tail_line_cb): parse and reduce it. */
static void
import_line(void *arg, const char *line, size_t len, struct tail_file *f)
{
	struct import		*im = arg;
	struct import_batch	*b = im->fill;
	struct ts_fact		*fact, *nf;
	struct import_bad	*bad;
	struct tp_rec		 r;
	enum tp_error		 e;
	size_t			 i, n;

	if (line == NULL)
		e = TP_E_OVERLONG;
	else if ((e = tp_parse(im->fmt, &im->clock, line, len, im->mode,
	    &r)) == TP_IGNORE)
		return;
	if (b->n == b->cap) {
		n = b->cap ? b->cap * 2 : 8192;
		if ((nf = reallocarray(b->facts, n, sizeof(*nf))) == NULL)
			return;		/* out of memory: the line is lost */
		b->facts = nf;
		b->cap = n;
	}
	fact = &b->facts[b->n];
	if (e == TP_OK)
		ts_fact_of(im->seed, im->profile, im->agents, &r, fact);
	else {
		memset(fact, 0, sizeof(*fact));
		fact->status = (int16_t)-e;
		if (b->nbad < IMPORT_BAD) {
			bad = &b->bad[b->nbad++];
			bad->idx = b->n;
			bad->file = f->name;
			bad->lineno = f->lines;
			for (i = n = 0; line != NULL && i < len && n <
			    sizeof(bad->text) - 1; i++)
				bad->text[n++] = line[i] >= 0x20 &&
				    line[i] < 0x7f ? line[i] : '?';
			bad->text[n] = '\0';
		}
	}
	fact->first = f->lines == 1;
	b->n++;
}

static void *
import_main(void *arg)
{
	struct import	*im = arg;
	char		 err[512];
	size_t		 slot;
	int		 rc;
	int		 stop;

	for (;;) {
		pthread_mutex_lock(&im->lock);
		while (im->count == IMPORT_RING && !im->stop)
			pthread_cond_wait(&im->cond, &im->lock);
		stop = im->stop;
		slot = (im->head + im->count) % IMPORT_RING;
		pthread_mutex_unlock(&im->lock);
		if (stop)
			break;
		im->fill = &im->ring[slot];
		im->fill->n = im->fill->nbad = 0;
		err[0] = '\0';
		rc = archive_read(im->arch, im->chunk, import_line, im, err,
		    sizeof(err));
		pthread_mutex_lock(&im->lock);
		if (im->fill->n > 0)
			im->count++;
		im->rc = rc;
		if (rc == -1)
			memcpy(im->err, err, sizeof(err));
		pthread_cond_broadcast(&im->cond);
		pthread_mutex_unlock(&im->lock);
		if (rc != 1)
			break;
	}
	pthread_mutex_lock(&im->lock);
	im->done = 1;
	pthread_cond_broadcast(&im->cond);
	pthread_mutex_unlock(&im->lock);
	return (NULL);
}

/* Start the worker on the archive's plan; -1 if no thread. */
int
import_start(struct import *im)
{
	im->head = im->count = 0;
	im->stop = im->done = 0;
	im->rc = 1;
	im->err[0] = '\0';
	memset(&im->clock, 0, sizeof(im->clock));
	if (pthread_mutex_init(&im->lock, NULL) != 0)
		return (-1);
	if (pthread_cond_init(&im->cond, NULL) != 0) {
		pthread_mutex_destroy(&im->lock);
		return (-1);
	}
	if (pthread_create(&im->thread, NULL, import_main, im) != 0) {
		pthread_cond_destroy(&im->cond);
		pthread_mutex_destroy(&im->lock);
		return (-1);
	}
	return (0);
}

/* The next batch to count, in order; NULL once the worker has ended. */
struct import_batch *
import_next(struct import *im)
{
	struct import_batch	*b = NULL;

	pthread_mutex_lock(&im->lock);
	while (im->count == 0 && !im->done)
		pthread_cond_wait(&im->cond, &im->lock);
	if (im->count > 0)
		b = &im->ring[im->head];
	pthread_mutex_unlock(&im->lock);
	return (b);
}

/* The batch from import_next is counted: the worker may refill it. */
void
import_release(struct import *im)
{
	pthread_mutex_lock(&im->lock);
	im->head = (im->head + 1) % IMPORT_RING;
	im->count--;
	pthread_cond_broadcast(&im->cond);
	pthread_mutex_unlock(&im->lock);
}

/* Ask the worker to stop after the batch it is making. */
void
import_stop(struct import *im)
{
	pthread_mutex_lock(&im->lock);
	im->stop = 1;
	pthread_cond_broadcast(&im->cond);
	pthread_mutex_unlock(&im->lock);
}

/*
 * Join the worker once every batch was counted.  Returns what the last
 * archive_read said: 1 more to read (stopped), 0 the plan is done, -1 an
 * error (in err).
 */
int
import_finish(struct import *im, char *err, size_t errlen)
{
	int	 rc;

	pthread_join(im->thread, NULL);
	rc = im->rc;
	snprintf(err, errlen, "%s", im->err);
	pthread_cond_destroy(&im->cond);
	pthread_mutex_destroy(&im->lock);
	return (rc);
}

/* Free the batches' memory (no worker running). */
void
import_free(struct import *im)
{
	size_t	 i;

	for (i = 0; i < IMPORT_RING; i++) {
		free(im->ring[i].facts);
		memset(&im->ring[i], 0, sizeof(im->ring[i]));
	}
}
