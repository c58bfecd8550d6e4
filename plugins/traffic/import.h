/*
 * import.h - archive import on two threads: a worker reads, decompresses
 * and parses archives (archive.c, logparse.c, ts_fact_of) into batches of
 * facts, ahead of the plugin's read thread, which counts them in order.
 */
#ifndef TRAFFIC_IMPORT_H
#define TRAFFIC_IMPORT_H

#include <pthread.h>

#include "archive.h"
#include "logparse.h"
#include "tstats.h"

#define IMPORT_RING	3	/* batches parsed ahead at most */
#define IMPORT_BAD	8	/* malformed lines kept as text per batch */

struct import_bad {
	size_t		 idx;		/* its fact */
	const char	*file;
	uint64_t	 lineno;
	char		 text[81];
};

struct import_batch {
	struct ts_fact	*facts;
	size_t		 n, cap;
	struct import_bad bad[IMPORT_BAD];
	size_t		 nbad;
};

struct import {
	/* set before import_start, read by the worker */
	struct archive	*arch;
	const struct tp_format *fmt;
	int		 mode;
	uint64_t	 seed;
	int		 profile;
	size_t		 chunk;		/* bytes of text per batch */
	/* the worker's own */
	struct tp_clock	 clock;
	uint64_t	 agents[TS_AGENTS];
	struct import_batch *fill;
	/* shared, under lock */
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	struct import_batch ring[IMPORT_RING];
	size_t		 head, count;	/* full batches */
	int		 stop;		/* main: stop after this batch */
	int		 done;		/* worker: no more batches */
	int		 rc;		/* worker: archive_read's last */
	char		 err[512];
};

int			 import_start(struct import *);
struct import_batch	*import_next(struct import *);
void			 import_release(struct import *);
void			 import_stop(struct import *);
int			 import_finish(struct import *, char *err, size_t);
void			 import_free(struct import *);

#endif
