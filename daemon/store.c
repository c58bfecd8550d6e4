/*
 * store.c - the bounded queue and the one writer of RRD files.
 *
 * DESIGN
 *
 * Threads.  store_put may run on any thread (read workers, the loop); every
 * other public function runs on the loop thread.  One writer thread, made
 * by store_start, makes every librrd call on RRD files (rrd_info_r,
 * rrd_create_r2, rrd_update_r) and owns the rrdcached connection: librrd
 * does not protect one file against two updaters, and batching needs one
 * owner anyway.  Only _r calls with numeric times are used, so the writer
 * never reaches librrd's time parser.
 *
 * Queue.  store_put appends {file, time, value} to an array under s->lock
 * and returns; no clock read (except when the queue was empty), no
 * allocation but the array's doubling, no system call unless it wakes an
 * idle writer.  The writer swaps the whole array for a spare one and works
 * unlocked.  s->depth counts values accepted and not yet finished (queued,
 * or pending in the writer); it is STAT_QUEUE_DEPTH and it is what
 * queue_max bounds, so memory is bounded even while values wait for
 * write_delay.  When depth reaches queue_max, store_put refuses the value
 * (-1, STAT_VALUES_DROPPED, a warning at most once a minute): drop newest,
 * because what is queued was accepted first and its caller was told so,
 * while a refused caller learns it at once.  When depth reaches half of
 * queue_max the writer writes everything at once, ignoring write_delay.
 *
 * Batches.  The writer moves values into their file's pending array.  A
 * file is due write_delay ms after the first of its values reached the
 * queue; files wait in s->dirty, which is in due order because the delay
 * is the same for all.  A file is written early by store_flush (its file
 * or all), store_stop, or the half-full mark.  Writing sorts the file's
 * values by time (stable, so of two equal times the first put wins), drops
 * those not newer than the file's last update and duplicates
 * (STAT_VALUES_STALE, one complaint per file a minute) and passes the rest
 * in one rrd_update_r call.  With rrdcached all due files go in one BATCH:
 * CREATE where needed, then UPDATE lines of at most RRDCACHED_LINE_MAX
 * bytes, then FLUSH for the files a store_flush asked for (all files sent
 * since their last FLUSH for a NULL flush; FLUSHALL would answer before
 * the data is on disk).  store_stop's last round FLUSHes every file sent.
 *
 * Files.  On first sight the writer reads an existing file's last update
 * and layout (rrd_info_r; with rrdcached FLUSH then INFO, so a restart of
 * tallyd with values still in rrdcached's cache sees the true last update),
 * or creates it with its start one step before its earliest value, so
 * backfilled history lands (from "earliest - 1", the first step would lie
 * mostly before the start, so librrd would make it unknown).  A file whose
 * layout differs from its retention is kept as it is and reported once.
 * After a failed update the file is read again before its next write.
 *
 * Failures keep values.  A file whose create, update, read or rrdcached
 * exchange failed keeps its pending values and waits in s->retry, tried
 * again after a backoff (1 s doubling to 30 s; at once for a flush or
 * the stop), still counted in depth, so a long outage ends in "busy",
 * never in loss.  Values a retry finds already in the file (an UPDATE
 * that rrdcached applied before the connection broke) are dropped by the
 * usual last-update check.  A failed rewrite waits in s->redo the same
 * way.  STAT_STORE_ERRORS counts failed attempts per value.
 *
 * rrdcached forgets.  Values rrdcached accepted are only in its memory
 * until it writes them (FLUSH, or its own timer); if it dies they are
 * gone.  So each file keeps the values sent since its last FLUSH answered
 * (f->unfl); a FLUSH counts once the file's header shows the newest of
 * them (rrdcached answers a FLUSH at once while its write thread still
 * writes the values it took: store_flush_landed).  When the connection is
 * a new one (rrdcached may have restarted), every such file takes them
 * back as pending, is read again (FLUSH, INFO) and joins the round's
 * batch, so what its file lacks is sent before any newer value (which
 * would make it stale) and before the round's FLUSH lines.  A restarted
 * rrdcached (its socket is a new file) may have died mid-update, tearing
 * the file (see Interrupted updates): each such file's header, kept from
 * before those values were first sent (store_base_save), is written back
 * first, so the values land on the file as it was.  rrdcached.c
 * never repeats a failed exchange on a new connection by itself, and a
 * connection that changes while the round reads files ends the round:
 * nothing is sent on a new connection before the values the old one held.
 * The journal keeps a segment until a FLUSH of every file answered, so a
 * crash of both is covered too.
 *
 * fsync.  With opts.fsync a flush of all files (the journal's checkpoint)
 * also fsyncs every file written since the last one (through rrdcached
 * too, when the file is local), so a journal segment is removed only when
 * its values would survive a power cut.  A flush
 * answers an error with the file's last failure while anything it asked
 * for is still pending.
 *
 * Interrupted updates.  librrd's update is not atomic: it writes the new
 * rows, then last_update, the consolidation state and each archive's
 * current row, all in place; a kill -9 between those writes leaves a file
 * whose rows no longer match their times (we saw every older row shifted
 * by one).  So before each rrd_update_r the writer copies the file's
 * header (everything before the first row) into STATEDIR/store.undo with
 * a crc, and clears the copy after; at the next start a valid copy is
 * written back, returning the file to its state before that update, and
 * the journal replays the values.  Rows the torn update wrote lie after
 * the restored current row and are written again by the replay.  A new
 * file is created aside and renamed into place, so it is whole or absent.
 *
 * Backends.  How the writer reaches the files is a struct store_backend
 * (OpenSMTPD's queue backends are the model): direct (librrd on the files)
 * or rrdcached (one BATCH a round on our own connection), chosen once by
 * store_new.  Each learns a file's last update and layout (sync), writes
 * the selected files of a round (write) and lets go of a file a rewrite
 * replaces (forget); a third (a journal's replay, a forwarder) plugs in
 * the same way.
 *
 * Completions.  store_flush queues a request; the writer answers it after
 * the cycle that wrote the file by appending it to s->done and activating
 * s->ev_done, whose callback runs the completions on the loop thread.
 *
 * Locks.  s->lock guards the queue, depth, the request and done lists and
 * the writer's waiting flags; it is a leaf: no other lock is taken and no
 * log or libevent call is made while it is held.  A store_file's fields
 * above "writer only" are immutable once made (read by the writer), but
 * for put_seq (under s->lock) and the flush record (loop only); those
 * below are touched by the writer thread alone.  s->files is loop only.
 *
 * Quiet files.  A file with no value or rewrite queued since a flush of
 * it answered is flushed without the writer (store_flush): put_seq
 * counts what was queued for it, and the loop notes how far the last
 * answered flush reached.
 */
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <rrd.h>
#include <unistd.h>
#include <zlib.h>

#include "clock.h"
#include "retention.h"
#include "hmap.h"
#include "log.h"
#include "numfmt.h"
#include "rrdcached.h"
#include "rrdread.h"
#include "stats.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define STORE_QUEUE_FIRST	1024	/* first size of the queue array */
#define STORE_PEND_KEEP		64	/* pending array kept between writes */
#define STORE_LOG_EVERY		60	/* s between repeats of a complaint */
#define STORE_TIME_MIN		315360000 /* librrd: no start before 1980 */
#define STORE_NUM_MAX		400	/* "time:value", even "%.0f" of 1e308 */
#define STORE_RETRY_MIN		1000	/* ms before a failed file is retried */
#define STORE_RETRY_MAX		30000
#define STORE_SYNCFS_MIN	16	/* more files written: one syncfs */

/* A value in the queue. */
struct store_value {
	struct store_file	*file;
	time_t			 when;
	double			 value;
};

/* A value pending in the writer; seq keeps the sort stable. */
struct store_pv {
	time_t		 when;
	double		 value;
	size_t		 seq;
};

enum store_state {
	STORE_UNKNOWN,		/* not looked at since start or an error */
	STORE_EXISTS,		/* last is its last update */
	STORE_MISSING		/* to be created, starting at last */
};

struct store_file {
	char			*path;
	enum tally_kind		 kind;
	unsigned long		 step;
	unsigned long		 heartbeat;
	struct retention_rra	*rra;
	size_t			 nrra;

	/* Values and rewrites queued for it (under s->lock). */
	unsigned long		 put_seq;
	/* Loop only: the put_seq that the last answered flush covered. */
	unsigned long		 flushed_seq;
	int			 flushed_known;

	/* Writer only. */
	enum store_state	 state;
	time_t			 last;
	struct store_pv		*pend;
	size_t			 npend;
	size_t			 pendsize;
	size_t			 nsel;		/* pending when selected */
	struct store_pv		*unfl;		/* sent, not FLUSHed */
	size_t			 nunfl;
	unsigned char		*base;		/* header before unfl */
	size_t			 nbase;
	size_t			 unflsize;
	msec_t			 due;
	msec_t			 backoff;	/* of its retries */
	char			 err[256];	/* its last failure */
	time_t			 rewrite_last;	/* last point of the rewrite */
	int			 flags;
#define STORE_F_DIRTY	0x1	/* in s->dirty */
#define STORE_F_FLUSH	0x2	/* a store_flush asked for it */
#define STORE_F_FAILED	0x4	/* something failed in this cycle */
#define STORE_F_CACHED	0x8	/* in s->cached: sent, not FLUSHed */
#define STORE_F_LAYOUT	0x10	/* layout difference reported */
#define STORE_F_REWRITE	0x20	/* a rewrite came with this queue */
#define STORE_F_RETRY	0x40	/* in s->retry (and DIRTY) */
#define STORE_F_UNSYNC	0x80	/* in s->unsynced: written, no fsync */
#define STORE_LANDED_TRIES 2000	/* ms a FLUSHed write may take to land */
#define STORE_F_BATCH	0x100	/* in s->batch this round */
	size_t			 rewrite_qpos;	/* values before it: superseded */
	char			*qpath;	/* quoted for rrdcached */
	struct log_limit	 ll_stale;
	struct log_limit	 ll_err;
	TAILQ_ENTRY(store_file)	 dirty_entry;
	TAILQ_ENTRY(store_file)	 cached_entry;
	TAILQ_ENTRY(store_file)	 unsync_entry;
};
TAILQ_HEAD(store_files, store_file);

struct store_req {
	struct store_file	*file;	/* NULL: all */
	unsigned long		 seq;	/* file->put_seq when asked */
	store_done_cb		 done;
	void			*arg;
	int			 error;
	char			 why[256];
	struct store_pv		*points;	/* a rewrite: the new history */
	size_t			 npoints;
	size_t			 qpos;		/* queue length when asked */
	TAILQ_ENTRY(store_req)	 entry;
};
TAILQ_HEAD(store_reqs, store_req);

/* A command of an rrdcached batch, to match the error lines. */
struct store_cmd {
	enum {
		STORE_CMD_CREATE,
		STORE_CMD_UPDATE,
		STORE_CMD_FLUSH
	}			 type;
	struct store_file	*file;
	size_t			 n;	/* values in an UPDATE */
	size_t			 first;	/* index of its first in pend */
	time_t			 last;	/* last of them */
	int			 failed;
};

/* The layout of an existing file, from rrd_info_r or INFO. */
struct store_layout {
	time_t		 last;
	int		 have_last;
	unsigned long	 step;
	unsigned long	 heartbeat;
	char		 type[16];
	size_t		 nds;
	size_t		 nrra;
	int		 rra_differs;
};

struct store {
	struct event_base	*base;	/* loop */
	struct event		*ev_done;
	struct store_opts	 opts;
	unsigned long		 hiwat;
	struct hmap		*files;	/* loop only */
	pthread_t		 thread;
	int			 started;
	int			 joined;

	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;	/* writer waits on it */
	struct store_value	*q;
	size_t			 nq;
	size_t			 qsize;
	struct store_value	*spare;
	size_t			 sparesize;
	msec_t			 q_first;	/* when q became non-empty */
	unsigned long		 depth;
	int			 stopping;
	int			 waiting;
	int			 has_deadline;
	struct store_reqs	 reqs;
	struct store_reqs	 done;
	struct log_limit	 ll_drop;

	/* Writer only. */
	struct store_files	 dirty;
	struct store_files	 retry;
	struct store_files	 unsynced;	/* fsync at the next flush all */
	struct store_reqs	 redo;		/* failed rewrites */
	struct store_files	 cached;
	struct store_file	**batch;
	size_t			 nbatch;
	size_t			 batchsize;
	unsigned long		 finished;
	int			 failed;	/* in this cycle */
	int			 lost;		/* rrdcached failed in it */
	char			 why[256];	/* first failure of the cycle */
	char			*text;		/* formatted values */
	size_t			 textsize;
	size_t			*offs;
	const char		**argv;
	size_t			 argvsize;
	char			 line[RRDCACHED_LINE_MAX];
	struct store_cmd	*cmds;
	size_t			 ncmds;
	size_t			 cmdsize;
	const struct store_backend *be;
	struct rrdcached	*rc;
	unsigned long		 rc_gen;	/* connection values went to */
	int			 undo_fd;	/* -1: no undo copies */
	int			 bases_fd;	/* -1: no bases log */
	size_t			 bases_len;
	unsigned char		*undo;
	size_t			 undosize;
	int			 rc_down;
	struct log_limit	 ll_rc;
};

/* How the writer reaches the files (see Backends above). */
struct store_backend {
	const char	*name;
	/* Find whether f exists, its last update and layout; 0 or -1. */
	int		 (*sync)(struct store *, struct store_file *);
	/* Write s->batch; all: also flush all the backend holds. */
	void		 (*write)(struct store *, int all);
	/* f is about to be replaced on disk: drop what is held of it. */
	void		 (*forget)(struct store *, struct store_file *);
};
static const struct store_backend store_direct, store_cached;

static void	*store_writer_main(void *);
static void	 store_reply_cb(evutil_socket_t, short, void *);
static void	 store_unsynced(struct store *, struct store_file *);
static void	 store_batch_add(struct store *, struct store_file *);

static const char *
store_kind_name(enum tally_kind kind)
{
	switch (kind) {
	case TALLY_COUNTER:
		return ("COUNTER");
	case TALLY_DERIVE:
		return ("DERIVE");
	default:
		return ("GAUGE");
	}
}

static void
store_file_free(void *p)
{
	struct store_file	*f = p;

	free(f->path);
	free(f->rra);
	free(f->pend);
	free(f->unfl);
	free(f->base);
	free(f->qpath);
	free(f);
}

#define STORE_UNDO_MAGIC	"tundo1\n"
#define STORE_UNDO_HDR		20	/* magic, path length, size, crc */

/*
 * Start-up: a valid undo copy means an update was interrupted; write the
 * saved header back so the file is as it was before it.
 */
static void
store_undo_restore(const char *undo)
{
	unsigned char	*buf;
	char		*path;
	size_t		 len;
	uint32_t	 plen, n, crc;
	struct stat	 sb;
	int		 fd;

	if ((fd = open(undo, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &sb) == -1 || sb.st_size < STORE_UNDO_HDR) {
		close(fd);
		return;
	}
	len = (size_t)sb.st_size;
	buf = xmalloc(len + 1);
	if (pread(fd, buf, len, 0) != (ssize_t)len ||
	    memcmp(buf, STORE_UNDO_MAGIC, 8) != 0) {
		close(fd);
		free(buf);
		return;
	}
	close(fd);
	memcpy(&plen, buf + 8, 4);
	memcpy(&n, buf + 12, 4);
	memcpy(&crc, buf + 16, 4);
	if (plen == 0 || (size_t)plen + n > len - STORE_UNDO_HDR ||
	    crc32(0L, buf + STORE_UNDO_HDR, plen + n) != crc) {
		free(buf);
		return;
	}
	path = xstrndup((char *)buf + STORE_UNDO_HDR, plen);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1 ||
	    pwrite(fd, buf + STORE_UNDO_HDR + plen, n, 0) != (ssize_t)n ||
	    fsync(fd) == -1)
		log_warn("store: %s: restore its header after an interrupted "
		    "update", path);
	else
		log_warnx("store: %s: an update was interrupted; header "
		    "restored (%u bytes), the journal writes its values again",
		    path, n);
	if (fd != -1)
		close(fd);
	if (truncate(undo, 0) == -1)
		log_warn("store: %s", undo);
	free(path);
	free(buf);
}

/* Bytes before the first row of an RRD file (librrd 1.x layout). */
static size_t
store_undo_size(const unsigned char *head, size_t len)
{
	uint64_t	 ds, rra;

	if (len < 40)
		return (len);
	memcpy(&ds, head + 24, 8);
	memcpy(&rra, head + 32, 8);
	if (ds > 1000 || rra > 1000)
		return (len);
	/* stat, ds and rra defs, live head, pdp and cdp prep, rra ptrs */
	return (128 + 120 * ds + 120 * rra + 16 + 112 * ds + 80 * rra * ds +
	    8 * rra);
}

/* Writer: save f's header before an update; -1 if it could not be. */
static int
store_undo_save(struct store *s, struct store_file *f)
{
	unsigned char	 head[40];
	size_t		 plen = strlen(f->path), n, len;
	uint32_t	 u, crc;
	ssize_t		 r;
	int		 fd;

	if (s->undo_fd == -1)
		return (0);
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if ((r = pread(fd, head, sizeof(head), 0)) < 0) {
		close(fd);
		return (-1);
	}
	n = store_undo_size(head, (size_t)r);
	len = STORE_UNDO_HDR + plen + n;
	if (len > s->undosize) {
		s->undo = xreallocarray(s->undo, 1, len);
		s->undosize = len;
	}
	r = pread(fd, s->undo + STORE_UNDO_HDR + plen, n, 0);
	close(fd);
	if (r < 0)
		return (-1);
	n = (size_t)r;
	len = STORE_UNDO_HDR + plen + n;
	memcpy(s->undo, STORE_UNDO_MAGIC, 8);
	u = (uint32_t)plen;
	memcpy(s->undo + 8, &u, 4);
	u = (uint32_t)n;
	memcpy(s->undo + 12, &u, 4);
	memcpy(s->undo + STORE_UNDO_HDR, f->path, plen);
	crc = (uint32_t)crc32(0L, s->undo + STORE_UNDO_HDR, (uInt)(plen + n));
	memcpy(s->undo + 16, &crc, 4);
	if (pwrite(s->undo_fd, s->undo, len, 0) != (ssize_t)len)
		return (-1);
	return (0);
}

/* Writer: the update is whole; the copy must not be restored. */
static void
store_undo_clear(struct store *s)
{
	static const char	 zero[8];

	if (s->undo_fd != -1 && pwrite(s->undo_fd, zero, sizeof(zero), 0) !=
	    (ssize_t)sizeof(zero))
		log_warn("store: clear the undo copy");
}

/*
 * rrdcached writes our files itself, and a kill -9 of it mid-update tears
 * a file just as one of ours would.  So a local file's header is kept from
 * before the first value sent since its last FLUSH landed (rrdcached then
 * holds nothing of it: the file is quiet); when tallyd reaches a restarted
 * rrdcached, the header is written back before those values are sent
 * again (store_unfl_requeue).  The headers are also appended to a log,
 * STATEDIR/store.bases, with each landing and the identity of each
 * rrdcached connected to: after a kill -9 of tallyd, the next start
 * writes them back if rrdcached restarted meanwhile (store_bases_recover),
 * before the journal sends the values again.  Records: length, crc32,
 * type ('B' header, 'L' landed, 'S' rrdcached's identity), path, data.
 */
#define STORE_BASES_MAX	(16UL << 20)	/* log bytes before a rewrite */

static void
store_bases_append(struct store *s, int type, const char *path,
    const void *data, size_t n)
{
	unsigned char	*buf;
	size_t		 plen = strlen(path), len = 5 + plen + n;
	uint32_t	 u;

	if (s->bases_fd == -1)
		return;
	buf = xmalloc(8 + len);
	u = (uint32_t)len;
	memcpy(buf, &u, 4);
	buf[8] = (unsigned char)type;
	u = (uint32_t)plen;
	memcpy(buf + 9, &u, 4);
	memcpy(buf + 13, path, plen);
	if (n > 0)
		memcpy(buf + 13 + plen, data, n);
	u = (uint32_t)crc32(0L, buf + 8, (uInt)len);
	memcpy(buf + 4, &u, 4);
	if (write(s->bases_fd, buf, 8 + len) != (ssize_t)(8 + len))
		log_warn("store: %s", "append to store.bases");
	else
		s->bases_len += 8 + len;
	free(buf);
}

/* Writer: the log holds only what is current once it grows large. */
static void
store_bases_compact(struct store *s)
{
	struct store_file	*f;

	if (s->bases_fd == -1 || s->bases_len < STORE_BASES_MAX)
		return;
	if (ftruncate(s->bases_fd, 0) == -1) {
		log_warn("store: truncate store.bases");
		return;
	}
	s->bases_len = 0;
	if (rrdcached_id(s->rc)[0] != '\0')
		store_bases_append(s, 'S', rrdcached_id(s->rc), NULL, 0);
	TAILQ_FOREACH(f, &s->cached, cached_entry)
		if (f->base != NULL)
			store_bases_append(s, 'B', f->path, f->base,
			    f->nbase);
}

static void
store_base_save(struct store *s, struct store_file *f)
{
	unsigned char	 head[40];
	ssize_t		 r;
	size_t		 n;
	int		 fd;

	/* Only where a restart can be told: a unix socket (rrdcached_id). */
	if (f->base != NULL || f->path[0] != '/' ||
	    rrdcached_id(s->rc)[0] == '\0' ||
	    (fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if ((r = pread(fd, head, sizeof(head), 0)) > 0) {
		n = store_undo_size(head, (size_t)r);
		f->base = xmalloc(n);
		if (pread(fd, f->base, n, 0) == (ssize_t)n) {
			f->nbase = n;
			store_bases_append(s, 'B', f->path, f->base, n);
		} else {
			free(f->base);
			f->base = NULL;
		}
	}
	close(fd);
}

/* The file's FLUSH landed: nothing of it is left in rrdcached. */
static void
store_base_drop(struct store *s, struct store_file *f)
{
	if (f->base == NULL)
		return;
	free(f->base);
	f->base = NULL;
	store_bases_append(s, 'L', f->path, NULL, 0);
}

static int
store_header_write(const char *path, const void *head, size_t n)
{
	int	 fd, r = -1;

	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (pwrite(fd, head, n, 0) == (ssize_t)n && fsync(fd) == 0)
		r = 0;
	close(fd);
	return (r);
}

struct store_base_rec {
	unsigned char	*head;
	size_t		 n;
};

static void
store_base_rec_free(void *arg)
{
	struct store_base_rec	*b = arg;

	if (b == NULL)
		return;
	free(b->head);
	free(b);
}

static int
store_base_rec_write(const char *path, void *value, void *arg)
{
	struct store_base_rec	*b = value;

	if (store_header_write(path, b->head, b->n) == 0)
		(*(unsigned long *)arg)++;
	else
		log_warn("store: %s: write back its header", path);
	return (0);
}

/*
 * Start-up with rrdcached: the headers of files a killed tallyd had values
 * in rrdcached for.  If rrdcached is not the one it last reached (a new
 * socket file, or none: whatever starts is new), it may have died writing
 * them: write them back.  Else it lived on and writes them itself.
 */
static void
store_bases_recover(const char *log, const char *address)
{
	struct hmap		*m = hmap_new();
	struct store_base_rec	*b;
	unsigned char		*buf = NULL, hdr[8];
	char			*path, last[RRDCACHED_ID_LEN] = "",
				 now[RRDCACHED_ID_LEN];
	unsigned long		 restored = 0;
	uint32_t		 len, crc, plen;
	int			 fd;

	if ((fd = open(log, O_RDONLY | O_CLOEXEC)) == -1) {
		hmap_free(m, NULL);
		return;
	}
	/* Records up to the first torn or damaged one. */
	while (read(fd, hdr, 8) == 8) {
		memcpy(&len, hdr, 4);
		memcpy(&crc, hdr + 4, 4);
		if (len < 5 || len > (64U << 20) ||
		    (buf = realloc(buf, len + 1)) == NULL ||
		    read(fd, buf, len) != (ssize_t)len ||
		    (uint32_t)crc32(0L, buf, len) != crc)
			break;
		memcpy(&plen, buf + 1, 4);
		if (plen == 0 || plen > len - 5)
			break;
		path = xstrndup((char *)buf + 5, plen);
		if (buf[0] == 'S')
			snprintf(last, sizeof(last), "%s", path);
		else if (buf[0] == 'L')
			store_base_rec_free(hmap_del(m, path));
		else if (buf[0] == 'B') {
			b = xcalloc(1, sizeof(*b));
			b->n = len - 5 - plen;
			b->head = xmalloc(b->n > 0 ? b->n : 1);
			memcpy(b->head, buf + 5 + plen, b->n);
			store_base_rec_free(hmap_put(m, path, b));
		}
		free(path);
	}
	close(fd);
	free(buf);
	if (hmap_count(m) > 0 && last[0] != '\0' &&
	    (rrdcached_socket_id(address, now, sizeof(now)) == -1 ||
	    strcmp(now, last) != 0)) {
		hmap_foreach(m, store_base_rec_write, &restored);
		log_warnx("store: rrdcached restarted while tallyd was down; "
		    "%lu files' headers written back to before the values "
		    "the journal sends again", restored);
	}
	hmap_free(m, store_base_rec_free);
	if (truncate(log, 0) == -1 && errno != ENOENT)
		log_warn("store: %s", log);
}

/* The store and its completion event; the writer starts in store_start. */
struct store *
store_new(struct event_base *base, const struct store_opts *opts)
{
	struct store		*s;
	pthread_condattr_t	 ca;

	s = xcalloc(1, sizeof(*s));
	if (opts->rrdcached != NULL &&
	    (s->rc = rrdcached_new(opts->rrdcached)) == NULL) {
		log_warnx("store: bad rrdcached address \"%s\"",
		    opts->rrdcached);
		free(s);
		return (NULL);
	}
	s->be = s->rc != NULL ? &store_cached : &store_direct;
	s->base = base;
	s->opts = *opts;
	s->opts.rrdcached = NULL;	/* not ours; s->rc has a copy */
	s->opts.undo = NULL;
	s->opts.bases = NULL;
	s->undo_fd = s->bases_fd = -1;
	if (opts->bases != NULL && s->rc != NULL) {
		store_bases_recover(opts->bases, opts->rrdcached);
		if ((s->bases_fd = open(opts->bases, O_WRONLY | O_CREAT |
		    O_APPEND | O_CLOEXEC, 0600)) == -1)
			log_warn("store: %s", opts->bases);
	}
	if (opts->undo != NULL && s->rc == NULL) {
		store_undo_restore(opts->undo);
		if ((s->undo_fd = open(opts->undo, O_RDWR | O_CREAT |
		    O_CLOEXEC, 0600)) == -1)
			log_warn("store: %s", opts->undo);
	}
	s->hiwat = opts->queue_max / 2 > 0 ? opts->queue_max / 2 : 1;
	s->files = hmap_new();
	if ((s->ev_done = event_new(base, -1, 0, store_reply_cb, s)) == NULL)
		fatalx("store: event_new failed");
	if (pthread_mutex_init(&s->lock, NULL) != 0 ||
	    pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&s->cond, &ca) != 0)
		fatalx("store: cannot make the queue lock");
	pthread_condattr_destroy(&ca);
	TAILQ_INIT(&s->reqs);
	TAILQ_INIT(&s->done);
	TAILQ_INIT(&s->dirty);
	TAILQ_INIT(&s->retry);
	TAILQ_INIT(&s->unsynced);
	TAILQ_INIT(&s->redo);
	TAILQ_INIT(&s->cached);
	return (s);
}

/* Starts the writer with all signals blocked: they belong to the loop. */
int
store_start(struct store *s)
{
	sigset_t	 all, old;
	int		 e;

	if (s->started)
		return (0);
	if (s->stopping)
		return (-1);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&s->thread, NULL, store_writer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		errno = e;
		log_warn("store: cannot start the writer");
		return (-1);
	}
	s->started = 1;
	return (0);
}

struct store_file *
store_file_get(struct store *s, const char *path, enum tally_kind kind,
    const struct retention *ret)
{
	struct store_file	*f;

	if ((f = hmap_get(s->files, path)) != NULL)
		return (f);
	f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->kind = kind;
	f->step = ret->step;
	f->heartbeat = ret->heartbeat;
	f->nrra = ret->nrra;
	if (f->nrra > 0) {
		f->rra = xreallocarray(NULL, f->nrra, sizeof(*f->rra));
		memcpy(f->rra, ret->rra, f->nrra * sizeof(*f->rra));
	}
	f->state = STORE_UNKNOWN;
	hmap_put(s->files, path, f);
	return (f);
}

const char *
store_file_path(const struct store_file *f)
{
	return (f->path);
}

/* Grows the queue array; called with s->lock held, rarely (doubling). */
static void
store_queue_grow(struct store *s)
{
	size_t	 size;

	size = s->qsize == 0 ? STORE_QUEUE_FIRST : s->qsize * 2;
	if (size > s->opts.queue_max)
		size = s->opts.queue_max;
	s->q = xreallocarray(s->q, size, sizeof(*s->q));
	s->qsize = size;
}

/* The refused path of store_put, kept out of the hot one. */
static int
store_refuse(struct store *s)
{
	unsigned long	 suppressed = 0;
	int		 warn;

	warn = log_limit_ok(&s->ll_drop, time(NULL), STORE_LOG_EVERY,
	    &suppressed);
	pthread_mutex_unlock(&s->lock);
	stats_add(STAT_VALUES_DROPPED, 1);
	if (warn && s->stopping)
		log_warnx("store: value after stop dropped");
	else if (warn)
		log_warnx("store: queue full (%lu values), dropping new "
		    "values (%lu more since the last warning)",
		    s->opts.queue_max, suppressed);
	return (-1);
}

/* The hot path: one lock, an append, a signal only to wake an idle writer. */
int
store_put(struct store *s, struct store_file *f, time_t when, double value)
{
	struct store_value	*v;
	int			 wake;

	pthread_mutex_lock(&s->lock);
	if (s->depth >= s->opts.queue_max || s->stopping)
		return (store_refuse(s));	/* unlocks */
	if (s->nq == s->qsize)
		store_queue_grow(s);
	v = &s->q[s->nq++];
	v->file = f;
	v->when = when;
	v->value = value;
	f->put_seq++;
	s->depth++;
	stats_add(STAT_QUEUE_DEPTH, 1);
	wake = s->depth == s->hiwat;
	if (s->nq == 1) {
		if (s->opts.write_delay != 0)
			s->q_first = clock_mono();
		if (s->opts.write_delay == 0 || !s->has_deadline)
			wake = 1;
	}
	if (wake && s->waiting)
		pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return (0);
}

/* As store_put for n values of one file, all or none. */
int
store_put_many(struct store *s, struct store_file *f, size_t n,
    const time_t *when, const double *value)
{
	struct store_value	*v;
	size_t			 i;
	int			 wake;

	pthread_mutex_lock(&s->lock);
	if (s->depth + n > s->opts.queue_max || s->stopping) {
		pthread_mutex_unlock(&s->lock);
		stats_add(STAT_VALUES_DROPPED, n);
		return (-1);
	}
	while (s->nq + n > s->qsize) {
		s->qsize = s->qsize == 0 ? STORE_QUEUE_FIRST : s->qsize * 2;
		s->q = xreallocarray(s->q, s->qsize, sizeof(*s->q));
	}
	for (i = 0; i < n; i++) {
		v = &s->q[s->nq++];
		v->file = f;
		v->when = when[i];
		v->value = value[i];
	}
	f->put_seq++;		/* news for store_quiet */
	wake = s->depth < s->hiwat && s->depth + n >= s->hiwat;
	s->depth += n;
	stats_add(STAT_QUEUE_DEPTH, n);
	if (s->nq == n) {
		if (s->opts.write_delay != 0)
			s->q_first = clock_mono();
		if (s->opts.write_delay == 0 || !s->has_deadline)
			wake = 1;
	}
	if (wake && s->waiting)
		pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	return (0);
}

/*
 * Hand a request to the writer, recording how much of the queue came
 * before it; a store already stopped answers it at once (with an error).
 */
static void
store_req_push(struct store *s, struct store_req *r)
{
	int	 dead;

	pthread_mutex_lock(&s->lock);
	r->qpos = s->nq;
	if (r->file != NULL) {
		if (r->points != NULL)
			r->file->put_seq++;	/* a rewrite is news too */
		r->seq = r->file->put_seq;
	}
	if ((dead = s->stopping))
		TAILQ_INSERT_TAIL(&s->done, r, entry);
	else {
		TAILQ_INSERT_TAIL(&s->reqs, r, entry);
		if (s->waiting)
			pthread_cond_signal(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	if (dead)
		event_active(s->ev_done, EV_READ, 0);
}

static struct store_req *
store_req_new(struct store_file *f, store_done_cb done, void *arg)
{
	struct store_req	*r;

	r = xcalloc(1, sizeof(*r));
	r->file = f;
	r->done = done;
	r->arg = arg;
	r->error = -1;
	return (r);
}

/* A flush with nothing to do, answered on the loop's next turn. */
static void
store_flushed_cb(evutil_socket_t fd, short events, void *arg)
{
	struct store_req	*r = arg;

	(void)fd;
	(void)events;
	r->done(r->arg, 0, NULL);
	free(r);
}

/*
 * A file that had neither a value nor a rewrite since a flush of it
 * answered holds everything: answer without waking the writer (a round
 * trip through its thread, the larger part of a small FETCH).  A file
 * goes through the writer once first: with rrdcached, values of an
 * earlier run may wait in rrdcached's cache.
 */
int
store_quiet(struct store *s, struct store_file *f)
{
	int	 quiet;

	if (f == NULL || !f->flushed_known)
		return (0);
	pthread_mutex_lock(&s->lock);
	quiet = f->put_seq == f->flushed_seq && !s->stopping;
	pthread_mutex_unlock(&s->lock);
	return (quiet);
}

void
store_flush(struct store *s, struct store_file *f, store_done_cb done,
    void *arg)
{
	struct store_req	*r = store_req_new(f, done, arg);

	if (done != NULL && store_quiet(s, f) && event_base_once(s->base, -1,
	    EV_TIMEOUT, store_flushed_cb, r, NULL) == 0)
		return;
	store_req_push(s, r);
}

void
store_rewrite(struct store *s, struct store_file *f, size_t n,
    const time_t *when, const double *value, store_done_cb done, void *arg)
{
	struct store_req	*r = store_req_new(f, done, arg);
	size_t			 i;

	r->points = xreallocarray(NULL, n, sizeof(*r->points));
	for (i = 0; i < n; i++) {
		r->points[i].when = when[i];
		r->points[i].value = value[i];
		r->points[i].seq = i;
	}
	r->npoints = n;
	store_req_push(s, r);
}

/* Loop thread: runs the completions the writer has finished. */
static void
store_reply_cb(evutil_socket_t fd, short events, void *arg)
{
	struct store		*s = arg;
	struct store_reqs	 list;
	struct store_req	*r;

	(void)fd;
	(void)events;
	TAILQ_INIT(&list);
	pthread_mutex_lock(&s->lock);
	TAILQ_CONCAT(&list, &s->done, entry);
	pthread_mutex_unlock(&s->lock);
	while ((r = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, r, entry);
		/* what this flush covered is in the file */
		if (r->file != NULL && r->error == 0 && (!r->file->flushed_known ||
		    (long)(r->seq - r->file->flushed_seq) > 0)) {
			r->file->flushed_seq = r->seq;
			r->file->flushed_known = 1;
		}
		if (r->done != NULL)
			r->done(r->arg, r->error, r->error ? (r->why[0] != '\0' ?
			    r->why : "store stopped") : NULL);
		free(r->points);
		free(r);
	}
}

/*
 * Stops the writer after its last cycle and runs every completion left.  A
 * store never started drops what was queued (counted as dropped).
 */
unsigned long
store_stop(struct store *s)
{
	unsigned long	 lost = 0, left;

	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (s->started && !s->joined) {
		if ((errno = pthread_join(s->thread, NULL)) != 0)
			fatal("store: join the writer");
		s->joined = 1;
	}
	pthread_mutex_lock(&s->lock);
	TAILQ_CONCAT(&s->done, &s->reqs, entry);
	if (!s->started) {
		lost = s->depth;
		s->depth = s->nq = 0;
		stats_sub(STAT_QUEUE_DEPTH, lost);
	}
	left = s->depth + (TAILQ_EMPTY(&s->redo) ? 0 : 1);
	pthread_mutex_unlock(&s->lock);
	stats_add(STAT_VALUES_DROPPED, lost);
	store_reply_cb(-1, 0, s);
	return (left);
}

/* Stops if needed, runs completions left, frees every record. */
void
store_free(struct store *s)
{
	struct store_req	*r;

	if (s == NULL)
		return;
	store_stop(s);
	while (!TAILQ_EMPTY(&s->done))
		store_reply_cb(-1, 0, s);
	event_free(s->ev_done);
	hmap_free(s->files, store_file_free);
	rrdcached_free(s->rc);
	if (s->undo_fd != -1)
		close(s->undo_fd);
	if (s->bases_fd != -1)
		close(s->bases_fd);
	free(s->undo);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s->q);
	free(s->spare);
	free(s->batch);
	free(s->text);
	free(s->offs);
	free(s->argv);
	free(s->cmds);
	while ((r = TAILQ_FIRST(&s->redo)) != NULL) {
		TAILQ_REMOVE(&s->redo, r, entry);
		free(r->points);
		free(r);
	}
	free(s);
}

/* Writer: the earliest retry due, or -1. */
static msec_t
store_retry_due(struct store *s)
{
	struct store_file	*f;
	struct store_req	*r;
	msec_t			 due = -1;

	TAILQ_FOREACH(f, &s->retry, dirty_entry) {
		if (due == -1 || f->due < due)
			due = f->due;
	}
	TAILQ_FOREACH(r, &s->redo, entry) {
		if (due == -1 || r->file->due < due)
			due = r->file->due;
	}
	return (due);
}

/* Writer, s->lock held: sleeps until a flush, a stop or a due file. */
static void
store_writer_wait(struct store *s)
{
	struct timespec	 ts;
	msec_t		 deadline, now, retry;
	int		 has;

	for (;;) {
		if (s->stopping || !TAILQ_EMPTY(&s->reqs) ||
		    (s->nq > 0 && s->depth >= s->hiwat))
			return;
		deadline = -1;
		if (s->nq > 0)
			deadline = s->q_first + s->opts.write_delay;
		if (!TAILQ_EMPTY(&s->dirty) && (deadline == -1 ||
		    TAILQ_FIRST(&s->dirty)->due < deadline))
			deadline = TAILQ_FIRST(&s->dirty)->due;
		/* A put wakes us only if no queue deadline is set. */
		has = deadline != -1;
		retry = store_retry_due(s);
		if (retry != -1 && (deadline == -1 || retry < deadline))
			deadline = retry;
		now = clock_mono();
		if (deadline != -1 && deadline <= now)
			return;
		s->waiting = 1;
		s->has_deadline = has;
		if (deadline == -1)
			pthread_cond_wait(&s->cond, &s->lock);
		else {
			ts.tv_sec = deadline / 1000;
			ts.tv_nsec = (deadline % 1000) * 1000000;
			pthread_cond_timedwait(&s->cond, &s->lock, &ts);
		}
		s->waiting = 0;
	}
}

/* Writer: moves queued values to their files' pending arrays. */
static void
store_distribute(struct store *s, struct store_value *q, size_t nq,
    msec_t due)
{
	struct store_file	*f;
	struct store_pv		*pv;
	size_t			 i;

	for (i = 0; i < nq; i++) {
		f = q[i].file;
		if ((f->flags & STORE_F_REWRITE) && i < f->rewrite_qpos &&
		    q[i].when <= f->rewrite_last) {
			s->finished++;		/* superseded by the rewrite */
			stats_add(STAT_VALUES_STALE, 1);
			continue;
		}
		if (f->npend == f->pendsize) {
			f->pendsize = f->pendsize == 0 ? 16 : f->pendsize * 2;
			f->pend = xreallocarray(f->pend, f->pendsize,
			    sizeof(*f->pend));
		}
		pv = &f->pend[f->npend];
		pv->when = q[i].when;
		pv->value = q[i].value;
		pv->seq = f->npend++;
		if (!(f->flags & STORE_F_DIRTY)) {
			f->flags |= STORE_F_DIRTY;
			f->due = due;
			TAILQ_INSERT_TAIL(&s->dirty, f, dirty_entry);
		}
	}
}

/* Complains about f at most once a minute; the cause is borrowed. */
static void
store_complain(struct store_file *f, const char *what, const char *cause)
{
	unsigned long	 suppressed;

	snprintf(f->err, sizeof(f->err), "%s %s: %s", what, f->path, cause);
	if (log_limit_ok(&f->ll_err, time(NULL), STORE_LOG_EVERY, &suppressed))
		log_warnx("store: %s %s: %s%s", what, f->path, cause,
		    suppressed > 0 ? " (and more)" : "");
}

static void
store_complain_errno(struct store_file *f, const char *what, int e)
{
	char	 buf[128];

	store_complain(f, what, strerror_r(e, buf, sizeof(buf)));
}

/* n values of f failed this time; they stay pending. */
static void
store_fail(struct store *s, struct store_file *f, size_t n)
{
	stats_add(STAT_STORE_ERRORS, n);
	f->flags |= STORE_F_FAILED;
	if (!s->failed && f->err[0] != '\0')
		snprintf(s->why, sizeof(s->why), "%s", f->err);
	s->failed = 1;
}

static int
store_pv_cmp(const void *a, const void *b)
{
	const struct store_pv	*x = a, *y = b;

	if (x->when != y->when)
		return (x->when < y->when ? -1 : 1);
	return (x->seq < y->seq ? -1 : x->seq > y->seq);
}

/* Sorts f's pending values by time unless they already are. */
static void
store_sort(struct store_file *f)
{
	size_t	 i;

	for (i = 1; i < f->npend; i++) {
		if (f->pend[i].when < f->pend[i - 1].when) {
			qsort(f->pend, f->npend, sizeof(*f->pend),
			    store_pv_cmp);
			return;
		}
	}
}

/* Drops values not newer than f->last and duplicates; returns the rest. */
static size_t
store_filter(struct store_file *f)
{
	unsigned long	 suppressed;
	time_t		 last = f->last;
	size_t		 i, n = 0, stale;

	for (i = 0; i < f->npend; i++) {
		if (f->pend[i].when <= last)
			continue;
		last = f->pend[i].when;
		f->pend[n++] = f->pend[i];
	}
	stale = f->npend - n;
	f->npend = n;
	if (stale == 0)
		return (n);
	stats_add(STAT_VALUES_STALE, stale);
	if (log_limit_ok(&f->ll_stale, time(NULL), STORE_LOG_EVERY,
	    &suppressed))
		log_warnx("store: %s: %zu values not newer than its last "
		    "update %lld or repeated, dropped%s", f->path, stale,
		    (long long)f->last, suppressed > 0 ? " (and more)" : "");
	return (n);
}

/* Records one item of a file's info in l, comparing with f's retention. */
static void
store_layout_add(struct store_layout *l, const struct store_file *f,
    const char *key, const char *val)
{
	unsigned long	 n, i;
	char		*end;

	n = strtoul(val, NULL, 10);
	if (strcmp(key, "last_update") == 0) {
		l->last = (time_t)strtoll(val, NULL, 10);
		l->have_last = 1;
	} else if (strcmp(key, "step") == 0)
		l->step = n;
	else if (strcmp(key, "ds[value].type") == 0)
		snprintf(l->type, sizeof(l->type), "%s", val);
	else if (strcmp(key, "ds[value].minimal_heartbeat") == 0)
		l->heartbeat = n;
	else if (strncmp(key, "ds[", 3) == 0 && strstr(key, "].index") != NULL)
		l->nds++;
	else if (strncmp(key, "rra[", 4) == 0) {
		i = strtoul(key + 4, &end, 10);
		if (end[0] != ']' || end[1] != '.')
			return;
		if (i >= l->nrra)
			l->nrra = i + 1;
		if (i >= f->nrra)
			return;
		if ((strcmp(end + 2, "cf") == 0 && strcmp(val, f->rra[i].cf)) ||
		    (strcmp(end + 2, "rows") == 0 && n != f->rra[i].rows) ||
		    (strcmp(end + 2, "pdp_per_row") == 0 &&
		    n != f->rra[i].steps))
			l->rra_differs = 1;
	}
}

/* Takes the last update from l and reports (once) a foreign layout. */
static int
store_layout_check(struct store_file *f, const struct store_layout *l)
{
	if (!l->have_last) {
		store_complain(f, "read", "no last_update in its info");
		return (-1);
	}
	f->last = l->last;
	f->state = STORE_EXISTS;
	if (f->flags & STORE_F_LAYOUT)
		return (0);
	if (l->step != f->step || l->heartbeat != f->heartbeat ||
	    strcmp(l->type, store_kind_name(f->kind)) != 0 || l->nds != 1 ||
	    l->nrra != f->nrra || l->rra_differs) {
		log_info("store: %s: layout differs from its retention "
		    "(step %lu, type %s, %zu archives); keeping the file",
		    f->path, l->step, l->type[0] != '\0' ? l->type : "?",
		    l->nrra);
		f->flags |= STORE_F_LAYOUT;
	}
	return (0);
}

/* Finds whether f exists, and its last update and layout, with librrd. */
static int
store_sync_direct(struct store *s, struct store_file *f)
{
	struct store_layout	 l;
	struct stat		 sb;
	rrd_info_t		*info, *i;
	char			 num[32];

	(void)s;
	if (stat(f->path, &sb) == -1) {
		if (errno == ENOENT) {
			f->state = STORE_MISSING;
			return (0);
		}
		store_complain_errno(f, "stat", errno);
		return (-1);
	}
	rrd_clear_error();
	if ((info = rrd_info_r(f->path)) == NULL) {
		store_complain(f, "read", rrd_get_error());
		return (-1);
	}
	memset(&l, 0, sizeof(l));
	for (i = info; i != NULL; i = i->next) {
		if (i->type == RD_I_CNT) {
			snprintf(num, sizeof(num), "%lu", i->value.u_cnt);
			store_layout_add(&l, f, i->key, num);
		} else if (i->type == RD_I_STR)
			store_layout_add(&l, f, i->key, i->value.u_str);
	}
	rrd_info_free(info);
	return (store_layout_check(f, &l));
}

static const char *
store_qpath(struct store_file *f)
{
	if (f->qpath == NULL)
		f->qpath = rrdcached_quote(f->path);
	return (f->qpath);
}

/* Notes that rrdcached cannot be reached, at most once a minute. */
static void
store_rc_down(struct store *s, const char *err)
{
	unsigned long	 suppressed;

	s->rc_down = 1;
	if (log_limit_ok(&s->ll_rc, time(NULL), STORE_LOG_EVERY, &suppressed))
		log_warnx("store: rrdcached %s: %s; values wait for it",
		    rrdcached_address(s->rc), err);
	snprintf(s->why, sizeof(s->why), "rrdcached %s: %s",
	    rrdcached_address(s->rc), err);
}

struct store_info_arg {
	struct store_layout	*layout;
	const struct store_file	*file;
};

/* One "key type value" line of rrdcached's INFO reply. */
static void
store_info_line(void *arg, unsigned long cmd, const char *line)
{
	struct store_info_arg	*a = arg;
	const char		*sp, *val;
	char			 key[128];

	(void)cmd;
	if ((sp = strchr(line, ' ')) == NULL || (size_t)(sp - line) >=
	    sizeof(key) || (val = strchr(sp + 1, ' ')) == NULL)
		return;
	memcpy(key, line, sp - line);
	key[sp - line] = '\0';
	store_layout_add(a->layout, a->file, key, val + 1);
}

/* As store_sync_direct, through rrdcached: FLUSH, then INFO. */
static int
store_sync_cached(struct store *s, struct store_file *f)
{
	struct store_layout	 l;
	struct store_info_arg	 a = { &l, f };
	char			 err[512];
	int			 r;

	memset(&l, 0, sizeof(l));
	if ((size_t)snprintf(s->line, sizeof(s->line), "FLUSH %s",
	    store_qpath(f)) >= sizeof(s->line)) {
		store_complain(f, "read", "path too long for rrdcached");
		return (-1);
	}
	r = rrdcached_command(s->rc, s->line, NULL, NULL, err, sizeof(err));
	if (r == -2) {
		store_rc_down(s, err);
		return (-1);
	}
	snprintf(s->line, sizeof(s->line), "INFO %s", store_qpath(f));
	r = rrdcached_command(s->rc, s->line, store_info_line, &a, err,
	    sizeof(err));
	if (r == -2) {
		store_rc_down(s, err);
		return (-1);
	}
	if (r == -1 && strstr(err, "No such file") != NULL) {
		f->state = STORE_MISSING;
		return (0);
	}
	if (r == -1) {
		store_complain(f, "read", err);
		return (-1);
	}
	return (store_layout_check(f, &l));
}

/*
 * Sorts and filters f's pending values, first finding its last update if
 * unknown; returns how many are left to write (also in f->npend).
 */
static size_t
store_prepare(struct store *s, struct store_file *f)
{
	int	 r;

	if (f->npend == 0)
		return (0);
	store_sort(f);
	if (f->state == STORE_UNKNOWN) {
		r = s->be->sync(s, f);
		if (r == -1) {
			store_fail(s, f, f->npend);
			return (0);
		}
	}
	if (f->state == STORE_MISSING) {
		f->last = f->pend[0].when - (time_t)(f->step > 0 ? f->step : 1);
		if (f->last < STORE_TIME_MIN)
			f->last = STORE_TIME_MIN;
	}
	return (store_filter(f));
}

/* Formats f's first n pending values as "time:value" into s->argv. */
static void
store_format(struct store *s, const struct store_file *f, size_t n)
{
	char		 buf[STORE_NUM_MAX];
	double		 v;
	size_t		 i, off = 0;
	int		 len, t;

	if (n > s->argvsize) {
		s->argv = xreallocarray(s->argv, n, sizeof(*s->argv));
		s->offs = xreallocarray(s->offs, n, sizeof(*s->offs));
		s->argvsize = n;
	}
	for (i = 0; i < n; i++) {
		v = f->pend[i].value == 0 ? 0 : f->pend[i].value; /* no -0 */
		t = numfmt_ulong(buf, (unsigned long long)f->pend[i].when);
		buf[t++] = ':';
		if (!isfinite(v))
			len = t + snprintf(buf + t, sizeof(buf) - t, "U");
		else if (f->kind == TALLY_GAUGE)
			len = t + numfmt_rrd(buf + t, sizeof(buf) - t, v);
		else
			len = t + snprintf(buf + t, sizeof(buf) - t, "%.0f", v);
		if (off + len + 1 > s->textsize) {
			s->textsize = s->textsize == 0 ? 65536 : s->textsize;
			while (off + len + 1 > s->textsize)
				s->textsize *= 2;
			s->text = xreallocarray(s->text, 1, s->textsize);
		}
		memcpy(s->text + off, buf, len + 1);
		s->offs[i] = off;
		off += len + 1;
	}
	for (i = 0; i < n; i++)
		s->argv[i] = s->text + s->offs[i];
}

/* The DS and RRA definitions of f's retention, space separated. */
static char *
store_create_spec(const struct store_file *f)
{
	char	*spec, *more;
	size_t	 i;

	xasprintf(&spec, "DS:value:%s:%lu:U:U", store_kind_name(f->kind),
	    f->heartbeat);
	for (i = 0; i < f->nrra; i++) {
		xasprintf(&more, "%s RRA:%s:%g:%lu:%lu", spec, f->rra[i].cf,
		    f->rra[i].xff, f->rra[i].steps, f->rra[i].rows);
		free(spec);
		spec = more;
	}
	return (spec);
}

/* mkdir -p of the directory holding path; 0 or -1 with errno. */
static int
store_mkdir_parent(const char *path)
{
	char	*dir, *p;
	int	 r = 0;

	dir = xstrdup(path);
	if ((p = strrchr(dir, '/')) != NULL && p != dir) {
		*p = '\0';
		/* Usually it is there, or only its last part is missing. */
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			r = util_mkdirs(dir, 0755);
	}
	free(dir);
	return (r);
}

/*
 * librrd gave no reason for a failed create (its last write failed and
 * errno is not kept): say how much room its file system has left.
 */
static void
store_complain_space(struct store_file *f, const char *tmp)
{
	struct statvfs	 sv;
	char		 buf[160], *dir, *slash;

	dir = xstrdup(tmp);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (statvfs(dir, &sv) == 0)
		snprintf(buf, sizeof(buf), "librrd could not write it, "
		    "with %llu kB free on its file system (full?)",
		    (unsigned long long)sv.f_bavail * sv.f_frsize / 1024);
	else
		snprintf(buf, sizeof(buf), "librrd could not write it");
	free(dir);
	store_complain(f, "create", buf);
}

/* Creates f with librrd, its start at f->last; never overwrites. */
static int
store_create_direct(struct store_file *f)
{
	const char	**argv;
	char		 *spec, *p, *tmp;
	int		  argc = 0, r;

	if (store_mkdir_parent(f->path) == -1) {
		store_complain_errno(f, "create directory for", errno);
		return (-1);
	}
	spec = store_create_spec(f);
	argv = xcalloc(f->nrra + 1, sizeof(*argv));
	for (p = spec; p != NULL && argc < (int)f->nrra + 1;)
		argv[argc++] = strsep(&p, " ");
	/* Aside, then renamed: a crash never leaves half a file. */
	xasprintf(&tmp, "%s.create", f->path);
	(void)unlink(tmp);
	rrd_clear_error();
	errno = 0;
	r = rrd_create_r2(tmp, f->step, f->last, 1, NULL, NULL, argc,
	    argv);
	/* librrd says nothing when its last write fails (a full disk). */
	if (r != 0 && *rrd_get_error() == '\0')
		store_complain_space(f, tmp);
	else if (r != 0)
		store_complain(f, "create", rrd_get_error());
	else if ((r = link(tmp, f->path)) == -1)
		store_complain_errno(f, "create", errno);
	(void)unlink(tmp);
	free(tmp);
	if (r == 0) {
		stats_add(STAT_FILES_CREATED, 1);
		f->state = STORE_EXISTS;
		log_debug("%s: created %s from %lld", __func__, f->path,
		    (long long)f->last);
	}
	free(argv);
	free(spec);
	return (r == 0 ? 0 : -1);
}

/* Writes f's pending values with one rrd_update_r call. */
static void
store_write_direct(struct store *s, struct store_file *f)
{
	size_t	 n;

	if ((n = store_prepare(s, f)) == 0)
		return;
	if (f->state == STORE_MISSING && store_create_direct(f) == -1) {
		store_fail(s, f, n);
		f->state = STORE_UNKNOWN;
		return;
	}
	store_format(s, f, n);
	if (store_undo_save(s, f) == -1) {
		store_complain_errno(f, "save the header of", errno);
		store_fail(s, f, n);
		f->state = STORE_UNKNOWN;
		return;
	}
	stats_add(STAT_STORE_UPDATES, 1);
	rrd_clear_error();
	if (rrd_update_r(f->path, NULL, (int)n, s->argv) != 0) {
		store_undo_clear(s);
		store_complain(f, "update", rrd_get_error());
		store_fail(s, f, n);
		f->state = STORE_UNKNOWN;	/* read it again */
		return;
	}
	store_undo_clear(s);
	store_unsynced(s, f);
	stats_add(STAT_VALUES_WRITTEN, n);
	f->last = f->pend[n - 1].when;
}

/* The direct backend's round: each file in one rrd_update_r call. */
static void
store_write_direct_all(struct store *s, int all)
{
	size_t	 i;

	(void)all;	/* nothing held: every write is on disk */
	for (i = 0; i < s->nbatch; i++)
		store_write_direct(s, s->batch[i]);
}

/* Nothing is held between rounds. */
static void
store_forget_direct(struct store *s, struct store_file *f)
{
	(void)s;
	(void)f;
}

/* Adds s->line to the batch, remembering what it was for. */
static void
store_cmd(struct store *s, int type, struct store_file *f, size_t n,
    time_t last)
{
	struct store_cmd	*c;
	unsigned long		 no;

	if ((no = rrdcached_batch_add(s->rc, "%s", s->line)) == 0) {
		store_complain(f, "send", "command too long for rrdcached");
		if (type == STORE_CMD_UPDATE)
			store_fail(s, f, n);
		return;
	}
	if (no > s->cmdsize) {
		s->cmdsize = s->cmdsize == 0 ? 256 : s->cmdsize * 2;
		s->cmds = xreallocarray(s->cmds, s->cmdsize, sizeof(*s->cmds));
	}
	c = &s->cmds[no - 1];
	c->type = type;
	c->file = f;
	c->n = n;
	c->last = last;
	c->failed = 0;
	s->ncmds = no;
	if (type == STORE_CMD_UPDATE)
		stats_add(STAT_STORE_UPDATES, 1);
}

/* Adds f's CREATE if new, then its values as UPDATE lines, to the batch. */
static void
store_batch_file(struct store *s, struct store_file *f, size_t n)
{
	char	*spec;
	size_t	 i, j, len, vlen, max = sizeof(s->line) - 1;

	if (f->state == STORE_MISSING) {
		/*
		 * Best effort: rrdcached may not see our file system.  A
		 * relative path is in a shared rrdcached's base directory,
		 * made there (its -R).
		 */
		if (f->path[0] == '/')
			(void)store_mkdir_parent(f->path);
		spec = store_create_spec(f);
		if ((size_t)snprintf(s->line, sizeof(s->line),
		    "CREATE %s -s %lu -b %lld -O %s", store_qpath(f), f->step,
		    (long long)f->last, spec) < sizeof(s->line))
			store_cmd(s, STORE_CMD_CREATE, f, 0, 0);
		free(spec);
	} else if (f->nunfl == 0)
		store_base_save(s, f);
	store_format(s, f, n);
	for (i = 0; i < n; i = j) {
		len = snprintf(s->line, sizeof(s->line), "UPDATE %s",
		    store_qpath(f));
		for (j = i; j < n && len < max; j++) {
			vlen = strlen(s->argv[j]);
			if (len + 1 + vlen >= max)
				break;
			s->line[len++] = ' ';
			memcpy(s->line + len, s->argv[j], vlen + 1);
			len += vlen;
		}
		if (j == i) {
			store_complain(f, "update", "path too long for "
			    "rrdcached");
			store_fail(s, f, n - i);
			return;
		}
		store_cmd(s, STORE_CMD_UPDATE, f, j - i, f->pend[j - 1].when);
		if (s->ncmds > 0 && s->cmds[s->ncmds - 1].file == f)
			s->cmds[s->ncmds - 1].first = i;
	}
	if (!(f->flags & STORE_F_CACHED)) {
		f->flags |= STORE_F_CACHED;
		TAILQ_INSERT_TAIL(&s->cached, f, cached_entry);
	}
}

/* An error line of the batch: marks its command failed. */
static void
store_batch_error(void *arg, unsigned long no, const char *msg)
{
	static const char	*what[] = { "create", "update", "flush" };
	struct store		*s = arg;
	struct store_cmd	*c;

	if (no == 0 || no > s->ncmds)
		return;
	c = &s->cmds[no - 1];
	if (!c->failed)
		store_complain(c->file, what[c->type], msg);
	c->failed = 1;
}

/* Writer: f was written; fsync it at the next flush of all files. */
static void
store_unsynced(struct store *s, struct store_file *f)
{
	if (!s->opts.fsync || (f->flags & STORE_F_UNSYNC))
		return;
	f->flags |= STORE_F_UNSYNC;
	TAILQ_INSERT_TAIL(&s->unsynced, f, unsync_entry);
}

/*
 * Writer: fsync every file written since the last call.  Past a few
 * files one syncfs of their file system is much cheaper than an fsync
 * each (thousands of files: seconds); the files are all under datadir.
 */
static void
store_fsync_all(struct store *s)
{
	struct store_file	*f;
	size_t			 n = 0;
	int			 fd, fs = -1;

	TAILQ_FOREACH(f, &s->unsynced, unsync_entry)
		n++;
	while ((f = TAILQ_FIRST(&s->unsynced)) != NULL) {
		TAILQ_REMOVE(&s->unsynced, f, unsync_entry);
		f->flags &= ~STORE_F_UNSYNC;
		if (fs == 1)
			continue;	/* its file system was synced */
		if ((fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1) {
			if (errno == ENOENT && s->rc != NULL)
				continue;	/* rrdcached's, not here */
		} else if (n > STORE_SYNCFS_MIN && fs == -1) {
			if (syncfs(fd) == 0) {
				fs = 1;
				close(fd);
				continue;
			}
		} else if (fsync(fd) == 0) {
			close(fd);
			continue;
		}
		store_complain_errno(f, "fsync", errno);
		store_fail(s, f, 0);
		if (fd != -1)
			close(fd);
	}
}

/* Writer: n values of f from pend[first] are in rrdcached's memory. */
static void
store_unfl_add(struct store_file *f, size_t first, size_t n)
{
	if (first + n > f->npend)
		return;
	if (f->nunfl + n > f->unflsize) {
		f->unflsize = f->unflsize == 0 ? 64 : f->unflsize;
		while (f->nunfl + n > f->unflsize)
			f->unflsize *= 2;
		f->unfl = xreallocarray(f->unfl, f->unflsize,
		    sizeof(*f->unfl));
	}
	memcpy(f->unfl + f->nunfl, f->pend + first, n * sizeof(*f->unfl));
	f->nunfl += n;
}

/*
 * Writer: the connection is new, so rrdcached may have lost what it had
 * not written: every file sent since its last FLUSH takes those values
 * back as pending, is read again and joins this round's batch, so they
 * are sent before anything newer of it (which would make them stale) and
 * before a FLUSH of this round can be taken as covering them.
 */
static void
store_unfl_requeue(struct store *s)
{
	struct store_file	*f;
	unsigned long		 n = 0, restored = 0;
	size_t			 i;
	int			 restart = rrdcached_restarted(s->rc);

	TAILQ_FOREACH(f, &s->cached, cached_entry) {
		/*
		 * Every file sent since its last landed FLUSH, its values
		 * acknowledged (unfl) or in the batch the old one died in
		 * (pending again): read again before its next write.
		 */
		if (restart && f->base != NULL) {
			if (store_header_write(f->path, f->base,
			    f->nbase) == 0)
				restored++;
			else
				log_warn("store: %s: write back its header "
				    "from before rrdcached restarted", f->path);
			f->state = STORE_UNKNOWN;
		}
		if (f->nunfl == 0)
			continue;
		for (i = 0; i < f->nunfl; i++) {
			if (f->npend == f->pendsize) {
				f->pendsize = f->pendsize == 0 ? 16 :
				    f->pendsize * 2;
				f->pend = xreallocarray(f->pend, f->pendsize,
				    sizeof(*f->pend));
			}
			f->pend[f->npend] = f->unfl[i];
			f->pend[f->npend].seq = f->npend;
			f->npend++;
		}
		n += f->nunfl;
		f->nunfl = 0;
		f->state = STORE_UNKNOWN;
		if (f->flags & STORE_F_BATCH) {
			f->nsel = f->npend;	/* counted in depth below */
			continue;
		}
		if (f->flags & STORE_F_RETRY)
			TAILQ_REMOVE(&s->retry, f, dirty_entry);
		else if (f->flags & STORE_F_DIRTY)
			TAILQ_REMOVE(&s->dirty, f, dirty_entry);
		store_batch_add(s, f);
	}
	if (n == 0 && restored == 0)
		return;
	log_warnx("store: rrdcached %s: a new connection%s; sending again %lu "
	    "values it may not have written (%lu files' headers written back "
	    "to before them)", rrdcached_address(s->rc), restart ?
	    " to a restarted rrdcached" : "", n, restored);
	pthread_mutex_lock(&s->lock);
	s->depth += n;
	stats_add(STAT_QUEUE_DEPTH, n);
	pthread_mutex_unlock(&s->lock);
}

static int
store_landed_err(struct store_file *f, const char *why)
{
	snprintf(f->err, sizeof(f->err), "reading its last update after "
	    "FLUSH: %s", why);
	return (-1);
}

/*
 * Writer: rrdcached answered FLUSH for f; are f's values in the file?
 * rrdcached answers a FLUSH at once when its write thread has already
 * taken the file's values but not yet written them (rrd_daemon.c's
 * flush_file finds nothing cached), so for a file on this machine the
 * header's last update must reach the newest value sent; it is polled
 * while that write ends (milliseconds).  0 if it did (or the file is not
 * ours to read: a shared rrdcached's), -1 with f->err if not.
 */
static int
store_flush_landed(struct store_file *f)
{
	struct timespec	 ts = { 0, 1000000 };
	time_t		 want = 0, last = 0;
	size_t		 i;
	int		 tries;

	if (f->path[0] != '/' || f->nunfl == 0)
		return (0);
	for (i = 0; i < f->nunfl; i++)
		if (f->unfl[i].when > want)
			want = f->unfl[i].when;
	for (tries = 0; tries < STORE_LANDED_TRIES; tries++) {
		if (rrdread_last(f->path, &last) == -1)
			return (errno == ENOENT ? 0 : store_landed_err(f,
			    strerror(errno)));
		if (last >= want)
			return (0);
		nanosleep(&ts, NULL);
	}
	snprintf(f->err, sizeof(f->err), "rrdcached answered FLUSH but the "
	    "file's last update is %lld, not %lld yet", (long long)last,
	    (long long)want);
	return (-1);
}

/* Applies the outcome of each command of the batch; lost: all failed. */
static void
store_batch_results(struct store *s, int lost)
{
	struct store_cmd	*c;
	struct store_file	*f;
	size_t			 i;

	for (i = 0; i < s->ncmds; i++) {
		c = &s->cmds[i];
		f = c->file;
		if (lost || c->failed) {
			if (lost)
				snprintf(f->err, sizeof(f->err), "%s", s->why);
			if (c->type == STORE_CMD_UPDATE)
				store_fail(s, f, c->n);
			f->flags |= STORE_F_FAILED;
			s->failed = 1;
			f->state = STORE_UNKNOWN;
			continue;
		}
		if (c->type == STORE_CMD_CREATE) {
			stats_add(STAT_FILES_CREATED, 1);
			f->state = STORE_EXISTS;
		} else if (c->type == STORE_CMD_UPDATE) {
			stats_add(STAT_VALUES_WRITTEN, c->n);
			if (c->last > f->last)
				f->last = c->last;
			store_unfl_add(f, c->first, c->n);
			store_unsynced(s, f);
		} else if (f->flags & STORE_F_CACHED) {
			if (store_flush_landed(f) == -1) {
				f->flags |= STORE_F_FAILED;
				s->failed = 1;
				f->state = STORE_UNKNOWN;
				continue;
			}
			f->flags &= ~STORE_F_CACHED;
			TAILQ_REMOVE(&s->cached, f, cached_entry);
			f->nunfl = 0;
			store_base_drop(s, f);
		}
	}
}

/* Writer: nothing of this round reached rrdcached; all is kept. */
static void
store_fail_round(struct store *s)
{
	size_t	 i;

	for (i = 0; i < s->nbatch; i++) {
		snprintf(s->batch[i]->err, sizeof(s->batch[i]->err), "%s",
		    s->why);
		s->batch[i]->state = STORE_UNKNOWN;
		store_fail(s, s->batch[i], s->batch[i]->npend);
	}
	s->failed = s->lost = 1;
}

/*
 * Sends the due files in one BATCH, with FLUSH lines for flushes.  On a
 * new connection the values the last rrdcached may have lost come first;
 * a connection that changes while the files are read (one broke, the
 * next read made a new one) ends the round, so that the next one starts
 * with them.
 */
static void
store_write_cached(struct store *s, int all)
{
	struct store_file	*f;
	char			 err[512];
	size_t			 i;
	int			 r;

	if (s->nbatch == 0 && TAILQ_EMPTY(&s->cached))
		return;
	if (rrdcached_connect(s->rc, err, sizeof(err)) == -1) {
		store_rc_down(s, err);
		store_fail_round(s);
		return;
	}
	if (rrdcached_generation(s->rc) != s->rc_gen) {
		if (s->rc_gen != 0)
			store_unfl_requeue(s);
		s->rc_gen = rrdcached_generation(s->rc);
		if (rrdcached_id(s->rc)[0] != '\0')
			store_bases_append(s, 'S', rrdcached_id(s->rc), NULL,
			    0);
	}
	store_bases_compact(s);
	for (i = 0; i < s->nbatch; i++)
		store_prepare(s, s->batch[i]);
	if (rrdcached_generation(s->rc) != s->rc_gen) {
		if (s->why[0] == '\0')
			snprintf(s->why, sizeof(s->why), "rrdcached %s: "
			    "connection lost", rrdcached_address(s->rc));
		store_fail_round(s);
		return;
	}
	rrdcached_batch_begin(s->rc);
	s->ncmds = 0;
	for (i = 0; i < s->nbatch; i++) {
		if (s->batch[i]->npend > 0 &&
		    !(s->batch[i]->flags & STORE_F_FAILED))
			store_batch_file(s, s->batch[i], s->batch[i]->npend);
	}
	TAILQ_FOREACH(f, &s->cached, cached_entry) {
		if (!all && !(f->flags & STORE_F_FLUSH))
			continue;
		snprintf(s->line, sizeof(s->line), "FLUSH %s", store_qpath(f));
		store_cmd(s, STORE_CMD_FLUSH, f, 0, 0);
	}
	if (s->ncmds == 0)
		return;
	r = rrdcached_batch_end(s->rc, store_batch_error, s, err, sizeof(err));
	if (r == -1) {
		store_rc_down(s, err);
		s->lost = 1;
	} else if (s->rc_down) {
		log_info("store: rrdcached %s: connected again",
		    rrdcached_address(s->rc));
		s->rc_down = 0;
	}
	store_batch_results(s, r == -1);
}

/* rrdcached's cached values of f go to the file before it is replaced. */
static void
store_forget_cached(struct store *s, struct store_file *f)
{
	char	 err[256];

	if (rrdcached_connect(s->rc, err, sizeof(err)) == 0) {
		snprintf(s->line, sizeof(s->line), "FLUSH %s", store_qpath(f));
		(void)rrdcached_command(s->rc, s->line, NULL, NULL, err,
		    sizeof(err));
	}
}

static const struct store_backend store_direct = {
	"direct", store_sync_direct, store_write_direct_all,
	store_forget_direct
};
static const struct store_backend store_cached = {
	"rrdcached", store_sync_cached, store_write_cached, store_forget_cached
};

static void
store_batch_add(struct store *s, struct store_file *f)
{
	f->flags &= ~(STORE_F_DIRTY | STORE_F_RETRY | STORE_F_FAILED);
	f->flags |= STORE_F_BATCH;
	if (s->nbatch == s->batchsize) {
		s->batchsize = s->batchsize == 0 ? 64 : s->batchsize * 2;
		s->batch = xreallocarray(s->batch, s->batchsize,
		    sizeof(*s->batch));
	}
	s->batch[s->nbatch++] = f;
	f->nsel = f->npend;
}

/*
 * Picks the files to write now: due ones, flushed ones, or all (all, or
 * flushall: failed ones too).
 */
static void
store_select(struct store *s, int all, int flushall)
{
	struct store_file	*f, *next;
	msec_t			 now = clock_mono();

	s->nbatch = 0;
	for (f = TAILQ_FIRST(&s->dirty); f != NULL; f = next) {
		next = TAILQ_NEXT(f, dirty_entry);
		if (!all && f->due > now && !(f->flags & STORE_F_FLUSH))
			continue;
		TAILQ_REMOVE(&s->dirty, f, dirty_entry);
		store_batch_add(s, f);
	}
	/* A failed file waits for its backoff, unless a flush asks. */
	for (f = TAILQ_FIRST(&s->retry); f != NULL; f = next) {
		next = TAILQ_NEXT(f, dirty_entry);
		if (f->due > now && !flushall && !(f->flags & STORE_F_FLUSH))
			continue;
		TAILQ_REMOVE(&s->retry, f, dirty_entry);
		store_batch_add(s, f);
	}
}

/* Hands answered requests to the loop. */
static void
store_answer(struct store *s, struct store_reqs *reqs)
{
	struct store_req	*r;

	if (TAILQ_EMPTY(reqs))
		return;
	TAILQ_FOREACH(r, reqs, entry) {
		if (r->points != NULL) {
			r->error = 0;
			continue;
		}
		if (r->file == NULL || s->lost) {
			r->error = s->failed || s->lost ||
			    !TAILQ_EMPTY(&s->redo) ? -1 : 0;
			snprintf(r->why, sizeof(r->why), "%s", s->why[0] !=
			    '\0' ? s->why : "a history rewrite is pending");
		} else {
			r->error = r->file->flags & STORE_F_FAILED ? -1 : 0;
			snprintf(r->why, sizeof(r->why), "%s",
			    r->file->err[0] != '\0' ? r->file->err :
			    "write failed");
		}
	}
	TAILQ_FOREACH(r, reqs, entry) {
		if (r->file != NULL)
			r->file->flags &= ~STORE_F_FLUSH;
	}
	pthread_mutex_lock(&s->lock);
	TAILQ_CONCAT(&s->done, reqs, entry);
	pthread_mutex_unlock(&s->lock);
	event_active(s->ev_done, EV_READ, 0);
}

/*
 * Writer: a rewrite supersedes the values of its file that came before it
 * and are not newer than its last point, those pending from earlier
 * rounds and those queued ahead of it; newer ones are written after it.
 */
static void
store_mark_rewrites(struct store *s, struct store_reqs *reqs)
{
	struct store_req	*r;
	struct store_file	*f;
	size_t			 i, keep;

	TAILQ_FOREACH(r, reqs, entry) {
		if (r->points == NULL)
			continue;
		f = r->file;
		f->flags |= STORE_F_REWRITE;
		f->rewrite_qpos = r->qpos;
		f->rewrite_last = r->points[r->npoints - 1].when;
		for (i = keep = 0; i < f->npend; i++) {
			if (f->pend[i].when > f->rewrite_last)
				f->pend[keep++] = f->pend[i];
		}
		s->finished += f->npend - keep;
		stats_add(STAT_VALUES_STALE, f->npend - keep);
		f->npend = keep;
	}
}

/*
 * Writer: build the file of a rewrite aside (PATH.rewrite), then rename it
 * over the old one, so readers see the old file or the new, never half.
 * With rrdcached, its cached values of the file are flushed first.
 */
static int
store_rebuild(struct store *s, struct store_req *r)
{
	struct store_file	*f = r->file;
	struct store_pv		*pend = f->pend;
	size_t			 npend = f->npend, n = r->npoints;
	char			*path = f->path, *tmp;
	int			 ok = 0;

	f->flags &= ~STORE_F_REWRITE;
	if (path[0] != '/') {
		/* A shared rrdcached's file: not on a disk of ours. */
		store_complain(f, "rewrite", "a history is rewritten only in "
		    "files on this machine, not through a shared rrdcached");
		return (0);	/* never possible: not kept for a retry */
	}
	s->be->forget(s, f);
	xasprintf(&tmp, "%s.rewrite", path);
	(void)unlink(tmp);
	f->path = tmp;
	f->pend = r->points;
	f->npend = n;
	f->last = r->points[0].when - (time_t)f->step;
	if (store_create_direct(f) == 0) {
		store_format(s, f, n);
		rrd_clear_error();
		if (rrd_update_r(tmp, NULL, (int)n, s->argv) != 0)
			store_complain(f, "rewrite", rrd_get_error());
		else if (rename(tmp, path) == -1)
			store_complain_errno(f, "rename", errno);
		else {
			rrdread_forget(path);	/* the kept one is the old */
			ok = 1;
		}
	}
	if (!ok)
		(void)unlink(tmp);
	f->path = path;
	f->pend = pend;
	f->npend = npend;
	free(tmp);
	if (ok) {
		f->state = STORE_EXISTS;
		f->last = r->points[n - 1].when;
		stats_add(STAT_VALUES_WRITTEN, n);
		stats_add(STAT_STORE_UPDATES, 1);
		log_info("store: %s: history rewritten, %zu points", path, n);
	} else {
		f->state = STORE_UNKNOWN;
		f->flags |= STORE_F_FAILED;
	}
	return (ok ? 0 : -1);
}

static int
flushall_asked(struct store_reqs *reqs)
{
	struct store_req	*r;

	TAILQ_FOREACH(r, reqs, entry) {
		if (r->file == NULL)
			return (1);
	}
	return (0);
}

/* Writer: keeps a copy of a failed rewrite to try again later. */
static void
store_redo_keep(struct store *s, struct store_req *r)
{
	struct store_req	*k = xcalloc(1, sizeof(*k));
	struct store_file	*f = r->file;

	k->file = f;
	k->points = r->points;
	k->npoints = r->npoints;
	r->points = NULL;
	f->backoff = f->backoff == 0 ? STORE_RETRY_MIN : f->backoff * 2 >
	    STORE_RETRY_MAX ? STORE_RETRY_MAX : f->backoff * 2;
	f->due = clock_mono() + f->backoff;
	TAILQ_INSERT_TAIL(&s->redo, k, entry);
}

/* Writer: tries again the failed rewrites that are due (all: every one). */
static void
store_redo(struct store *s, int all)
{
	struct store_req	*r, *next;
	msec_t			 now = clock_mono();

	for (r = TAILQ_FIRST(&s->redo); r != NULL; r = next) {
		next = TAILQ_NEXT(r, entry);
		if (!all && r->file->due > now)
			continue;
		if (store_rebuild(s, r) == -1) {
			r->file->backoff = r->file->backoff * 2 >
			    STORE_RETRY_MAX ? STORE_RETRY_MAX :
			    r->file->backoff * 2;
			r->file->due = now + r->file->backoff;
			continue;
		}
		TAILQ_REMOVE(&s->redo, r, entry);
		free(r->points);
		free(r);
	}
}

/*
 * One round of the writer: write what is due or asked for, answer.  The
 * last round (stop) also has rrdcached FLUSH every file we sent it, so the
 * values are on disk when tallyd exits.
 */
static void
store_cycle(struct store *s, struct store_reqs *reqs, int force, int stop)
{
	struct store_req	*r;
	struct store_file	*f;
	size_t			 i;
	int			 flushall = 0;

	s->failed = s->lost = 0;
	s->why[0] = '\0';
	store_redo(s, stop || flushall_asked(reqs));
	TAILQ_FOREACH(r, reqs, entry) {
		if (r->points != NULL && store_rebuild(s, r) == -1)
			store_redo_keep(s, r);
	}
	TAILQ_FOREACH(r, reqs, entry) {
		if (r->file == NULL)
			flushall = 1;
		else if (r->points == NULL) {
			r->file->flags |= STORE_F_FLUSH;
			r->file->flags &= ~STORE_F_FAILED;
		}
	}
	store_select(s, force || flushall, flushall || stop);
	s->be->write(s, flushall || stop);
	if (flushall || stop)
		store_fsync_all(s);
	for (i = 0; i < s->nbatch; i++) {
		f = s->batch[i];
		f->flags &= ~STORE_F_BATCH;
		if ((f->flags & STORE_F_FAILED) && f->npend > 0) {
			/* Kept: tried again after a backoff. */
			s->finished += f->nsel - f->npend;
			f->backoff = f->backoff == 0 ? STORE_RETRY_MIN :
			    f->backoff * 2 > STORE_RETRY_MAX ?
			    STORE_RETRY_MAX : f->backoff * 2;
			f->due = clock_mono() + f->backoff;
			f->flags |= STORE_F_DIRTY | STORE_F_RETRY;
			TAILQ_INSERT_TAIL(&s->retry, f, dirty_entry);
			continue;
		}
		s->finished += f->nsel;
		f->backoff = 0;
		f->npend = 0;
		if (f->pendsize > STORE_PEND_KEEP) {
			free(f->pend);
			f->pend = NULL;
			f->pendsize = 0;
		}
	}
	pthread_mutex_lock(&s->lock);
	s->depth -= s->finished;
	stats_sub(STAT_QUEUE_DEPTH, s->finished);
	pthread_mutex_unlock(&s->lock);
	s->finished = 0;
	store_answer(s, reqs);
}

/* The writer thread: take the queue, write, until stopped. */
static void *
store_writer_main(void *arg)
{
	struct store		*s = arg;
	struct store_reqs	 reqs;
	struct store_value	*q;
	size_t			 nq, qsize;
	msec_t			 due;
	int			 force, stop;

	pthread_mutex_lock(&s->lock);
	do {
		store_writer_wait(s);
		q = s->q;
		nq = s->nq;
		qsize = s->qsize;
		due = s->q_first + s->opts.write_delay;
		s->q = s->spare;
		s->qsize = s->sparesize;
		s->nq = 0;
		s->spare = NULL;
		s->sparesize = 0;
		TAILQ_INIT(&reqs);
		TAILQ_CONCAT(&reqs, &s->reqs, entry);
		stop = s->stopping;
		force = stop || s->depth >= s->hiwat;
		pthread_mutex_unlock(&s->lock);

		store_mark_rewrites(s, &reqs);
		store_distribute(s, q, nq, due);
		store_cycle(s, &reqs, force, stop);

		pthread_mutex_lock(&s->lock);
		s->spare = q;
		s->sparesize = qsize;
	} while (!stop);
	pthread_mutex_unlock(&s->lock);
	return (NULL);
}
