/*
 * journal.c - the write-ahead journal of accepted values.
 *
 * DESIGN
 *
 * Files.  STATEDIR/journal/NNNNNNNNNNNNNNNNNNNN.jnl, numbered in order.
 * A segment starts with JOURNAL_MAGIC, then records: u32 length, u32
 * crc32 (zlib) of the payload, payload = type, kind, name length, preset
 * length (u8 each), n (u32), name, preset, n times (i64 time, f64 value),
 * native byte order (a journal is replayed on the machine that wrote it).
 * A record whose length runs past the end or whose crc differs ends the
 * segment: logged with its offset and ignored (a torn tail after a crash).
 *
 * Appending (any thread).  journal_append encodes the record into j->buf
 * under j->lock, runs the caller's put (the store queue) under the same
 * lock, and hands back the record's end, its LSN (bytes appended since
 * start).  Holding the lock across put keeps the store's order the
 * journal's and means that when the thread takes the buffer, every
 * value in it is already queued in the store.  j->total counts the bytes
 * of every segment on disk plus the buffer; past journal_max an append is
 * refused (JOURNAL_FULL: busy), so nothing accepted is ever dropped.
 *
 * Group commit (the journal thread, one).  It sleeps until the buffer is
 * not empty, swaps it for a spare, writes it with one write and (fsync
 * mode) one fdatasync, then marks everything up to the buffer's end
 * durable: blocked waiters (journal_wait, plugin reads) are woken by a
 * broadcast, loop waiters (journal_notify: PUT, HTTP put) are moved to
 * j->done and run on the loop by ev_done.  Callers that append while a
 * sync runs share the next one.  A failed write is cut off again
 * (ftruncate), its waiters get an error, and appends are refused for a
 * second with the reason (disk full), so the loss is the caller's answer,
 * never a value that was acknowledged.
 *
 * Segments.  After a write that takes the segment past j->segmax the
 * thread closes it and opens the next.  A closed segment is removed only
 * after the owner's sync (store_flush of all files: in the files, or
 * FLUSHed by rrdcached) reported success for a token not older than it;
 * a failed sync is asked again after a backoff (1 s doubling to 30 s).
 * At start journal_replay reads every segment left, oldest first, and the
 * segments stay closed until the first sync after the replay succeeds.
 * Replay is idempotent: the store drops values not newer than a file's
 * last update.  A clean stop with nothing pending removes every segment.
 *
 * Readers (forwarders, forward.c) read segments as files, never the
 * buffer: only up to the durable end (journal_tail: the open segment and
 * how much of it is written and synced), so what they send was
 * acknowledged.  Each reader holds the segments from its cursor on
 * (journal_hold).  A closed segment the store has and no reader holds is
 * removed; one the store has but a reader still holds is renamed
 * NNN.jnl -> NNN.fwd: it is no longer replayed at start, and it no longer
 * counts in journal_max, so a receiver that is gone never makes the
 * journal refuse values (each forwarder bounds what it holds with its
 * own max_backlog).  Segment numbers are never reused while a reader's
 * cursor names one (journal_floor), so a cursor cannot point into a
 * newer segment of the same number.
 *
 * Locks.  j->lock guards the buffer, LSNs, totals, waiters, the sync
 * state, failure marks, the durable end and the readers' holds; it is
 * taken before the store's lock (put) and
 * nothing else.  The fd, segment list and spare buffer are the thread's
 * (and journal_replay's, before the thread starts).
 */
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <zlib.h>

#include "clock.h"
#include "journal.h"
#include "log.h"
#include "util.h"
#include "xmalloc.h"

#define JOURNAL_MAGIC		"tallyj1\n"
#define JOURNAL_MAGIC_LEN	8
#define JOURNAL_HDR		8		/* length + crc */
#define JOURNAL_FIXED		8		/* type..n */
#define JOURNAL_REC_MAX		(64u << 20)
#define JOURNAL_SEG_MAX		(64ull << 20)
#define JOURNAL_SEG_MIN		4096
#define JOURNAL_FAILS		32		/* failed ranges remembered */
#define JOURNAL_FAIL_PAUSE	1000		/* ms appends stay refused */
#define JOURNAL_RETRY_MIN	1000		/* ms before a sync is asked again */
#define JOURNAL_RETRY_MAX	30000
#define JOURNAL_READERS		16

struct journal_seg {
	uint64_t		 seq;
	uint64_t		 size;
	int			 held;		/* NNN.fwd: stored, a reader's */
	TAILQ_ENTRY(journal_seg) entry;
};
TAILQ_HEAD(journal_segs, journal_seg);

struct journal_waiter {
	uint64_t		 lsn;
	journal_done_fn		 done;
	void			*arg;
	int			 error;
	TAILQ_ENTRY(journal_waiter) entry;
};
TAILQ_HEAD(journal_waiters, journal_waiter);

struct journal {
	char			*dir;
	enum journal_mode	 mode;
	uint64_t		 max;
	uint64_t		 segmax;
	struct event_base	*base;
	struct event		*ev_done;
	journal_sync_fn		 sync;
	void			*syncarg;
	pthread_t		 thread;
	int			 started;

	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;		/* the thread waits on it */
	pthread_cond_t		 durable;	/* journal_wait waits on it */
	char			*buf;
	size_t			 len;
	size_t			 size;
	uint64_t		 lsn;		/* end of the last append */
	uint64_t		 done_lsn;	/* written (or failed) up to */
	uint64_t		 fail_lo[JOURNAL_FAILS];
	uint64_t		 fail_hi[JOURNAL_FAILS];
	unsigned		 nfail;
	uint64_t		 total;		/* segments + buffer */
	msec_t			 refuse_until;
	char			 why[256];
	int			 stopping;
	uint64_t		 stored;	/* sync answered ok up to token */
	int			 asked;		/* a sync is outstanding */
	uint64_t		 replayed;	/* last segment replayed */
	uint64_t		 tail_seq;	/* the durable end: segment */
	uint64_t		 tail_size;	/* and its bytes on disk */
	uint64_t		 hold[JOURNAL_READERS];	/* readers keep >= */
	int			 nreaders;
	msec_t			 retry_at;
	msec_t			 backoff;
	struct journal_waiters	 waiters;
	struct journal_waiters	 done;

	/* The thread's (journal_replay's before it starts). */
	int			 fd;
	uint64_t		 seq;		/* of the open segment */
	uint64_t		 cursize;
	struct journal_segs	 closed;
	char			*spare;
	size_t			 sparesize;
};

static void	*journal_main(void *);
static void	 journal_segments(struct journal *);
static void	 journal_done_cb(evutil_socket_t, short, void *);

static void
journal_segpath(const struct journal *j, uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%020" PRIu64 ".jnl", j->dir, seq);
}

int
journal_segopen(const struct journal *j, uint64_t seq)
{
	char	 path[4096];
	int	 fd, i;

	/* Renamed between the two tries: try again once. */
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%020" PRIu64 ".jnl", j->dir,
		    seq);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1 ||
		    errno != ENOENT)
			return (fd);
		snprintf(path, sizeof(path), "%s/%020" PRIu64 ".fwd", j->dir,
		    seq);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1 ||
		    errno != ENOENT)
			return (fd);
	}
	return (-1);
}

/* The file of a closed segment, whichever its name now. */
static void
journal_segpath_of(const struct journal *j, const struct journal_seg *s,
    char *buf, size_t len)
{
	snprintf(buf, len, "%s/%020" PRIu64 ".%s", j->dir, s->seq,
	    s->held ? "fwd" : "jnl");
}

/* fsync of the directory, so a new or removed segment is on disk. */
static void
journal_syncdir(struct journal *j)
{
	int	 fd;

	if (j->mode != JOURNAL_FSYNC)
		return;
	if ((fd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

/* Opens segment j->seq for appending, writing its magic. 0 or -1. */
static int
journal_seg_open(struct journal *j)
{
	char	 path[4096];

	journal_segpath(j, j->seq, path, sizeof(path));
	if ((j->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC, 0600)) == -1)
		return (-1);
	if (write(j->fd, JOURNAL_MAGIC, JOURNAL_MAGIC_LEN) !=
	    JOURNAL_MAGIC_LEN) {
		close(j->fd);
		j->fd = -1;
		(void)unlink(path);
		errno = errno != 0 ? errno : EIO;
		return (-1);
	}
	j->cursize = JOURNAL_MAGIC_LEN;
	journal_syncdir(j);
	return (0);
}

struct journal *
journal_open(const char *dir, enum journal_mode mode, uint64_t max,
    uint64_t seg, char *err, size_t errlen)
{
	struct journal		*j;
	pthread_condattr_t	 ca;

	if (mode != JOURNAL_MEMORY && util_mkdirs(dir, 0700) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return (NULL);
	}
	j = xcalloc(1, sizeof(*j));
	j->dir = xstrdup(dir);
	j->mode = mode;
	j->max = max;
	if (seg == 0)
		seg = max / 8;
	if (seg > JOURNAL_SEG_MAX)
		seg = JOURNAL_SEG_MAX;
	if (seg < JOURNAL_SEG_MIN)
		seg = JOURNAL_SEG_MIN;
	j->segmax = seg;
	j->fd = -1;
	j->backoff = JOURNAL_RETRY_MIN;
	TAILQ_INIT(&j->waiters);
	TAILQ_INIT(&j->done);
	TAILQ_INIT(&j->closed);
	if (pthread_mutex_init(&j->lock, NULL) != 0 ||
	    pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&j->cond, &ca) != 0 ||
	    pthread_cond_init(&j->durable, &ca) != 0)
		fatalx("journal: cannot make its locks");
	pthread_condattr_destroy(&ca);
	return (j);
}

enum journal_mode
journal_mode(const struct journal *j)
{
	return (j->mode);
}

uint64_t
journal_bytes(struct journal *j)
{
	uint64_t	 n;

	pthread_mutex_lock(&j->lock);
	n = j->total;
	pthread_mutex_unlock(&j->lock);
	return (n);
}

/* ---- replay */

/* Decodes one payload into rec, times and values into sc. */
static int
journal_decode(const unsigned char *p, size_t len, struct journal_rec *rec,
    struct journal_scratch *sc)
{
	size_t		 nl, pl, n, i;
	int64_t		 t;

	if (len < JOURNAL_FIXED)
		return (-1);
	nl = p[2];
	pl = p[3];
	n = (size_t)p[4] | (size_t)p[5] << 8 | (size_t)p[6] << 16 |
	    (size_t)p[7] << 24;
	if (n > JOURNAL_REC_MAX / 16 ||
	    len != JOURNAL_FIXED + nl + pl + n * 16 || nl == 0 ||
	    (p[0] != JOURNAL_VALUE && p[0] != JOURNAL_REWRITE) ||
	    memchr(p + JOURNAL_FIXED, '\0', nl + pl) != NULL)
		return (-1);
	memcpy(sc->name, p + JOURNAL_FIXED, nl);
	sc->name[nl] = '\0';
	memcpy(sc->preset, p + JOURNAL_FIXED + nl, pl);
	sc->preset[pl] = '\0';
	if (n > sc->cap) {
		sc->when = xreallocarray(sc->when, n, sizeof(*sc->when));
		sc->value = xreallocarray(sc->value, n, sizeof(*sc->value));
		sc->cap = n;
	}
	rec->type = (enum journal_type)p[0];
	rec->kind = p[1];
	rec->name = sc->name;
	rec->preset = sc->preset;
	p += JOURNAL_FIXED + nl + pl;
	for (i = 0; i < n; i++, p += 16) {
		memcpy(&t, p, 8);
		sc->when[i] = (time_t)t;
		memcpy(&sc->value[i], p + 8, 8);
	}
	rec->n = n;
	rec->when = sc->when;
	rec->value = sc->value;
	return (0);
}

long
journal_parse(const unsigned char *p, size_t len, struct journal_rec *rec,
    struct journal_scratch *sc, const char **why)
{
	uint32_t	 rlen, crc;

	*why = NULL;
	if (len < JOURNAL_HDR)
		return (0);
	memcpy(&rlen, p, 4);
	memcpy(&crc, p + 4, 4);
	if (rlen > JOURNAL_REC_MAX) {
		*why = "a record longer than any";
		return (-1);
	}
	if (rlen > len - JOURNAL_HDR)
		return (0);
	if (crc32(0L, p + JOURNAL_HDR, rlen) != crc) {
		*why = "checksum mismatch";
		return (-1);
	}
	memset(rec, 0, sizeof(*rec));
	if (journal_decode(p + JOURNAL_HDR, rlen, rec, sc) == -1) {
		*why = "a malformed record";
		return (-1);
	}
	return ((long)(JOURNAL_HDR + rlen));
}

void
journal_scratch_free(struct journal_scratch *sc)
{
	free(sc->when);
	free(sc->value);
	sc->when = NULL;
	sc->value = NULL;
	sc->cap = 0;
}

/* Reads a whole segment into memory; NULL with errno. */
static unsigned char *
journal_slurp(const char *path, size_t *len)
{
	struct stat	 sb;
	unsigned char	*buf;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return (NULL);
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (off < (size_t)sb.st_size) {
		if ((n = read(fd, buf + off, (size_t)sb.st_size - off)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		off += (size_t)n;
	}
	close(fd);
	*len = off;
	return (buf);
}

/* Replays one segment; returns records replayed. */
static size_t
journal_replay_seg(struct journal *j, const char *path, int last,
    journal_replay_fn fn, void *arg)
{
	struct journal_rec	 rec;
	struct journal_scratch	 sc;
	unsigned char		*buf;
	const char		*why = NULL;
	size_t			 len, off, count = 0;
	long			 n;

	if ((buf = journal_slurp(path, &len)) == NULL) {
		log_warn("journal: %s", path);
		return (0);
	}
	if (len < JOURNAL_MAGIC_LEN || memcmp(buf, JOURNAL_MAGIC,
	    JOURNAL_MAGIC_LEN) != 0) {
		if (len > 0)
			log_warnx("journal: %s: not a journal segment; "
			    "ignored", path);
		free(buf);
		return (0);
	}
	memset(&sc, 0, sizeof(sc));
	for (off = JOURNAL_MAGIC_LEN; off < len; off += (size_t)n) {
		if ((n = journal_parse(buf + off, len - off, &rec, &sc,
		    &why)) <= 0) {
			if (n == 0)
				why = "a record cut short";
			break;
		}
		fn(arg, &rec);
		count++;
	}
	if (why != NULL) {
		if (last)
			log_warnx("journal: %s: torn tail at offset %zu (%s); "
			    "its last %zu bytes ignored", path, off, why,
			    len - off);
		else
			log_warnx("journal: %s: %s at offset %zu; the last "
			    "%zu bytes of this segment ignored", path, why,
			    off, len - off);
	}
	journal_scratch_free(&sc);
	free(buf);
	return (count);
}

static int
journal_seq_cmp(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y ? -1 : x > y);
}

size_t
journal_replay(struct journal *j, journal_replay_fn fn, void *arg)
{
	struct journal_seg	*s;
	struct dirent		*de;
	struct stat		 sb;
	DIR			*d;
	uint64_t		*seqs = NULL, seq;
	char			 path[4096], *end;
	size_t			 n = 0, i, count = 0, nj = 0;
	int			 held;

	/* Even in memory mode: an earlier run may have left segments. */
	if ((d = opendir(j->dir)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		errno = 0;
		seq = strtoull(de->d_name, &end, 10);
		if (end == de->d_name || errno != 0 || seq >= (1ULL << 62) ||
		    (strcmp(end, ".jnl") != 0 && strcmp(end, ".fwd") != 0))
			continue;
		/* Bit 63 marks a segment kept for readers (.fwd). */
		seqs = xreallocarray(seqs, n + 1, sizeof(*seqs));
		seqs[n++] = seq | (strcmp(end, ".fwd") == 0 ? 1ULL << 63 : 0);
	}
	closedir(d);
	for (i = 0; i < n; i++)		/* sort by number, not by mark */
		seqs[i] = (seqs[i] & ~(1ULL << 63)) << 1 | seqs[i] >> 63;
	if (n > 0)
		qsort(seqs, n, sizeof(*seqs), journal_seq_cmp);
	for (i = 0; i < n; i++) {
		held = (int)(seqs[i] & 1);
		seq = seqs[i] >> 1;
		s = xcalloc(1, sizeof(*s));
		s->seq = seq;
		s->held = held;
		journal_segpath_of(j, s, path, sizeof(path));
		if (!held) {
			count += journal_replay_seg(j, path, i == n - 1, fn,
			    arg);
			nj++;
		}
		s->size = stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
		if (!held)
			j->total += s->size;
		TAILQ_INSERT_TAIL(&j->closed, s, entry);
		if (seq > j->seq)
			j->seq = seq;
	}
	free(seqs);
	if (nj > 0)
		log_info("journal: replayed %zu records from %zu segments",
		    count, nj);
	j->replayed = j->seq;
	return (count);
}

uint64_t
journal_replayed(const struct journal *j)
{
	return (j->replayed);
}

void
journal_floor(struct journal *j, uint64_t seq)
{
	if (seq > j->seq)
		j->seq = seq;
}

int
journal_reader(struct journal *j, uint64_t seq)
{
	int	 id;

	pthread_mutex_lock(&j->lock);
	if ((id = j->nreaders) < JOURNAL_READERS) {
		j->hold[id] = seq;
		j->nreaders++;
	} else
		id = -1;
	pthread_mutex_unlock(&j->lock);
	return (id);
}

void
journal_hold(struct journal *j, int id, uint64_t seq)
{
	pthread_mutex_lock(&j->lock);
	if (id >= 0 && id < j->nreaders)
		j->hold[id] = seq;
	pthread_mutex_unlock(&j->lock);
}

/* Lock held: the oldest segment a reader still needs. */
static uint64_t
journal_held(const struct journal *j)
{
	uint64_t	 min = UINT64_MAX;
	int		 i;

	for (i = 0; i < j->nreaders; i++)
		if (j->hold[i] < min)
			min = j->hold[i];
	return (min);
}

int
journal_tail(struct journal *j, uint64_t seq, uint64_t size,
    unsigned long ms, uint64_t *tseq, uint64_t *tsize)
{
	struct timespec	 ts;
	msec_t		 until = clock_mono() + ms;

	pthread_mutex_lock(&j->lock);
	while (ms > 0 && j->tail_seq == seq && j->tail_size == size &&
	    !j->stopping && clock_mono() < until) {
		ts.tv_sec = until / 1000;
		ts.tv_nsec = (until % 1000) * 1000000;
		pthread_cond_timedwait(&j->durable, &j->lock, &ts);
	}
	*tseq = j->tail_seq;
	*tsize = j->tail_size;
	pthread_mutex_unlock(&j->lock);
	return (*tseq != seq || *tsize != size);
}

void
journal_wake(struct journal *j)
{
	pthread_mutex_lock(&j->lock);
	pthread_cond_broadcast(&j->durable);
	pthread_mutex_unlock(&j->lock);
}

/* ---- the thread */

int
journal_start(struct journal *j, struct event_base *base,
    journal_sync_fn sync, void *arg)
{
	sigset_t	 all, old;
	int		 e;

	j->base = base;
	j->sync = sync;
	j->syncarg = arg;
	if ((j->ev_done = event_new(base, -1, 0, journal_done_cb, j)) == NULL)
		fatalx("journal: event_new failed");
	if (j->mode == JOURNAL_MEMORY) {
		/* Segments of an earlier run go once the replay is stored. */
		j->sync = NULL;
		journal_segments(j);
		return (0);
	}
	j->seq++;
	if (journal_seg_open(j) == -1) {
		log_warn("journal: open a segment in %s", j->dir);
		return (-1);
	}
	j->total += j->cursize;
	j->tail_seq = j->seq;
	j->tail_size = j->cursize;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&j->thread, NULL, journal_main, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		errno = e;
		log_warn("journal: pthread_create");
		return (-1);
	}
	j->started = 1;
	return (0);
}

/* Thread, lock held: was lsn's record in a batch that failed? */
static int
journal_failed(const struct journal *j, uint64_t lsn)
{
	unsigned	 i, n = j->nfail < JOURNAL_FAILS ? j->nfail :
			    JOURNAL_FAILS;

	for (i = 0; i < n; i++) {
		if (lsn > j->fail_lo[i] && lsn <= j->fail_hi[i])
			return (1);
	}
	return (0);
}

/* Writes n bytes whole; 0 or -1 with errno. */
static int
journal_write_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += w;
		n -= (size_t)w;
	}
	return (0);
}

/* Thread: closes the open segment and opens the next. */
static void
journal_rotate(struct journal *j)
{
	struct journal_seg	*s;
	uint64_t		 size = j->cursize;
	int			 oldfd = j->fd;

	j->seq++;
	if (journal_seg_open(j) == -1) {
		/* Go on in the old one; try again after the next write. */
		log_warn("journal: open segment %" PRIu64, j->seq);
		j->seq--;
		j->fd = oldfd;
		j->cursize = size;
		return;
	}
	if (j->mode == JOURNAL_OS)
		(void)fdatasync(oldfd);	/* a closed segment is whole */
	close(oldfd);
	s = xcalloc(1, sizeof(*s));
	s->seq = j->seq - 1;
	s->size = size;
	TAILQ_INSERT_TAIL(&j->closed, s, entry);
	pthread_mutex_lock(&j->lock);
	j->total += j->cursize;
	j->tail_seq = j->seq;
	j->tail_size = j->cursize;
	pthread_cond_broadcast(&j->durable);
	pthread_mutex_unlock(&j->lock);
}

/*
 * Thread: removes closed segments that are stored and no reader holds,
 * renames those a reader holds to .fwd; asks for a sync of the rest.
 */
static void
journal_segments(struct journal *j)
{
	struct journal_seg	*s, *next;
	char			 path[4096], to[4096];
	uint64_t		 stored, hold, token = 0, freed = 0;
	msec_t			 now = clock_mono();
	int			 ask = 0, changed = 0;

	pthread_mutex_lock(&j->lock);
	stored = j->stored;
	hold = journal_held(j);
	pthread_mutex_unlock(&j->lock);
	/* .fwd segments are stored already, and come before the rest. */
	for (s = TAILQ_FIRST(&j->closed); s != NULL && (s->held ||
	    s->seq <= stored); s = next) {
		next = TAILQ_NEXT(s, entry);
		journal_segpath_of(j, s, path, sizeof(path));
		if (s->seq < hold) {
			if (unlink(path) == -1 && errno != ENOENT)
				log_warn("journal: remove %s", path);
			if (!s->held)
				freed += s->size;
			TAILQ_REMOVE(&j->closed, s, entry);
			free(s);
			changed = 1;
		} else if (!s->held) {
			s->held = 1;
			journal_segpath_of(j, s, to, sizeof(to));
			if (rename(path, to) == -1) {
				log_warn("journal: rename %s", path);
				s->held = 0;
				continue;
			}
			freed += s->size;
			changed = 1;
		}
	}
	if (changed)
		journal_syncdir(j);
	if ((s = TAILQ_LAST(&j->closed, journal_segs)) != NULL)
		token = s->seq;
	pthread_mutex_lock(&j->lock);
	j->total -= freed;
	if (token > stored && !j->asked && now >= j->retry_at &&
	    j->sync != NULL) {
		j->asked = 1;
		ask = 1;
	}
	pthread_mutex_unlock(&j->lock);
	if (ask)
		j->sync(j->syncarg, token);
}

void
journal_stored(struct journal *j, uint64_t token, int error)
{
	pthread_mutex_lock(&j->lock);
	j->asked = 0;
	if (error == 0) {
		if (token > j->stored)
			j->stored = token;
		j->backoff = JOURNAL_RETRY_MIN;
		j->retry_at = 0;
	} else {
		j->retry_at = clock_mono() + j->backoff;
		j->backoff = j->backoff * 2 > JOURNAL_RETRY_MAX ?
		    JOURNAL_RETRY_MAX : j->backoff * 2;
	}
	pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

/* Thread, lock held: moves loop waiters up to lsn to done. */
static int
journal_release(struct journal *j, uint64_t lsn, int error)
{
	struct journal_waiter	*w;
	int			 any = 0;

	while ((w = TAILQ_FIRST(&j->waiters)) != NULL && w->lsn <= lsn) {
		TAILQ_REMOVE(&j->waiters, w, entry);
		w->error = error;
		TAILQ_INSERT_TAIL(&j->done, w, entry);
		any = 1;
	}
	return (any);
}

/* Thread, lock held: sleeps until there is work, at most a second. */
static void
journal_sleep(struct journal *j)
{
	struct timespec	 ts;
	msec_t		 until;

	if (j->len > 0 || j->stopping)
		return;
	until = clock_mono() + 1000;
	ts.tv_sec = until / 1000;
	ts.tv_nsec = (until % 1000) * 1000000;
	pthread_cond_timedwait(&j->cond, &j->lock, &ts);
}

static void *
journal_main(void *arg)
{
	struct journal	*j = arg;
	char		*buf, ebuf[128];
	size_t		 len, size;
	uint64_t	 end;
	int		 ok, e = 0, wake;

	pthread_mutex_lock(&j->lock);
	for (;;) {
		journal_sleep(j);
		if (j->len == 0 && j->stopping)
			break;
		buf = j->buf;
		len = j->len;
		size = j->size;
		end = j->lsn;
		j->buf = j->spare;
		j->size = j->sparesize;
		j->len = 0;
		pthread_mutex_unlock(&j->lock);

		ok = 1;
		if (len > 0) {
			ok = journal_write_all(j->fd, buf, len) == 0 &&
			    (j->mode != JOURNAL_FSYNC || fdatasync(j->fd) == 0);
			e = errno;
			if (!ok && ftruncate(j->fd, (off_t)j->cursize) == -1)
				log_warn("journal: cut a failed write");
			if (ok)
				j->cursize += len;
		}

		pthread_mutex_lock(&j->lock);
		j->spare = buf;
		j->sparesize = size;
		if (!ok) {
			j->fail_lo[j->nfail % JOURNAL_FAILS] = end - len;
			j->fail_hi[j->nfail % JOURNAL_FAILS] = end;
			j->nfail++;
			j->total -= len;
			j->refuse_until = clock_mono() + JOURNAL_FAIL_PAUSE;
			snprintf(j->why, sizeof(j->why), "journal write "
			    "failed: %s", strerror_r(e, ebuf, sizeof(ebuf)));
		}
		if (end > j->done_lsn)
			j->done_lsn = end;
		if (ok)
			j->tail_size = j->cursize;
		wake = journal_release(j, end, ok ? 0 : -1);
		pthread_cond_broadcast(&j->durable);
		pthread_mutex_unlock(&j->lock);
		if (!ok)
			log_warnx("journal: %s: %s; %zu bytes of values "
			    "refused", j->dir, strerror_r(e, ebuf,
			    sizeof(ebuf)), len);
		if (wake)
			event_active(j->ev_done, EV_READ, 0);
		if (ok && j->cursize >= j->segmax)
			journal_rotate(j);
		journal_segments(j);
		pthread_mutex_lock(&j->lock);
	}
	pthread_mutex_unlock(&j->lock);
	return (NULL);
}

/* ---- appending and waiting */

/* Lock held: room for n more bytes in the buffer. */
static char *
journal_room(struct journal *j, size_t n)
{
	if (j->len + n > j->size) {
		if (j->size == 0)
			j->size = 65536;
		while (j->len + n > j->size)
			j->size *= 2;
		j->buf = xreallocarray(j->buf, 1, j->size);
	}
	return (j->buf + j->len);
}

int
journal_append(struct journal *j, const struct journal_rec *rec,
    journal_put_fn put, void *putarg, uint64_t *lsn)
{
	unsigned char	*p;
	size_t		 nl, pl, plen, i;
	uint32_t	 len32, crc, n32;
	int64_t		 t;

	*lsn = 0;
	if (j->mode == JOURNAL_MEMORY)
		return (put == NULL || put(putarg) == 0 ? JOURNAL_OK :
		    JOURNAL_PUT);
	nl = strlen(rec->name);
	pl = rec->preset != NULL ? strlen(rec->preset) : 0;
	if (nl > 255)
		nl = 255;
	if (pl > 255)
		pl = 255;
	plen = JOURNAL_FIXED + nl + pl + rec->n * 16;
	if (plen > JOURNAL_REC_MAX) {
		pthread_mutex_lock(&j->lock);
		snprintf(j->why, sizeof(j->why), "record too large for the "
		    "journal");
		pthread_mutex_unlock(&j->lock);
		return (JOURNAL_FULL);
	}
	pthread_mutex_lock(&j->lock);
	if (j->refuse_until != 0 && clock_mono() < j->refuse_until) {
		pthread_mutex_unlock(&j->lock);
		return (JOURNAL_FAILED);
	}
	if (j->total + JOURNAL_HDR + plen > j->max) {
		snprintf(j->why, sizeof(j->why), "journal full (journal_max "
		    "%" PRIu64 " bytes): values wait for storage", j->max);
		pthread_mutex_unlock(&j->lock);
		return (JOURNAL_FULL);
	}
	p = (unsigned char *)journal_room(j, JOURNAL_HDR + plen);
	p[8] = (unsigned char)rec->type;
	p[9] = (unsigned char)rec->kind;
	p[10] = (unsigned char)nl;
	p[11] = (unsigned char)pl;
	n32 = (uint32_t)rec->n;
	p[12] = n32 & 0xff;
	p[13] = (n32 >> 8) & 0xff;
	p[14] = (n32 >> 16) & 0xff;
	p[15] = (n32 >> 24) & 0xff;
	memcpy(p + 16, rec->name, nl);
	memcpy(p + 16 + nl, rec->preset, pl);
	for (i = 0; i < rec->n; i++) {
		t = (int64_t)rec->when[i];
		memcpy(p + 16 + nl + pl + i * 16, &t, 8);
		memcpy(p + 16 + nl + pl + i * 16 + 8, &rec->value[i], 8);
	}
	len32 = (uint32_t)plen;
	crc = (uint32_t)crc32(0L, p + JOURNAL_HDR, (uInt)plen);
	memcpy(p, &len32, 4);
	memcpy(p + 4, &crc, 4);
	if (put != NULL && put(putarg) != 0) {
		pthread_mutex_unlock(&j->lock);
		return (JOURNAL_PUT);
	}
	j->len += JOURNAL_HDR + plen;
	j->total += JOURNAL_HDR + plen;
	j->lsn += JOURNAL_HDR + plen;
	*lsn = j->lsn;
	if (j->len == JOURNAL_HDR + plen)
		pthread_cond_signal(&j->cond);
	pthread_mutex_unlock(&j->lock);
	return (JOURNAL_OK);
}

const char *
journal_error(struct journal *j)
{
	return (j->why[0] != '\0' ? j->why : "journal refused the value");
}

int
journal_wait(struct journal *j, uint64_t lsn)
{
	int	 r;

	if (j == NULL || j->mode == JOURNAL_MEMORY || lsn == 0)
		return (0);
	pthread_mutex_lock(&j->lock);
	while (j->done_lsn < lsn && j->started)
		pthread_cond_wait(&j->durable, &j->lock);
	r = j->done_lsn >= lsn && !journal_failed(j, lsn) ? 0 : -1;
	pthread_mutex_unlock(&j->lock);
	return (r);
}

void
journal_notify(struct journal *j, uint64_t lsn, journal_done_fn done,
    void *arg)
{
	struct journal_waiter	*w = xcalloc(1, sizeof(*w));

	w->lsn = lsn;
	w->done = done;
	w->arg = arg;
	pthread_mutex_lock(&j->lock);
	if (j->mode == JOURNAL_MEMORY || lsn <= j->done_lsn || !j->started) {
		w->error = lsn != 0 && journal_failed(j, lsn) ? -1 : 0;
		TAILQ_INSERT_TAIL(&j->done, w, entry);
		pthread_mutex_unlock(&j->lock);
		event_active(j->ev_done, EV_READ, 0);
		return;
	}
	TAILQ_INSERT_TAIL(&j->waiters, w, entry);
	pthread_mutex_unlock(&j->lock);
}

/* Loop: runs the acknowledgements the thread released. */
static void
journal_done_cb(evutil_socket_t fd, short events, void *arg)
{
	struct journal		*j = arg;
	struct journal_waiters	 list;
	struct journal_waiter	*w;
	char			 why[256];

	(void)fd;
	(void)events;
	TAILQ_INIT(&list);
	pthread_mutex_lock(&j->lock);
	TAILQ_CONCAT(&list, &j->done, entry);
	snprintf(why, sizeof(why), "%s", journal_error(j));
	pthread_mutex_unlock(&j->lock);
	while ((w = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, w, entry);
		w->done(w->arg, w->error, w->error ? why : NULL);
		free(w);
	}
}

void
journal_close(struct journal *j, int clean)
{
	struct journal_seg	*s;
	struct journal_waiter	*w;
	char			 path[4096], to[4096];
	uint64_t		 hold;

	if (j == NULL)
		return;
	pthread_mutex_lock(&j->lock);
	j->stopping = 1;
	pthread_cond_signal(&j->cond);
	pthread_cond_broadcast(&j->durable);
	hold = journal_held(j);
	pthread_mutex_unlock(&j->lock);
	if (j->started) {
		if ((errno = pthread_join(j->thread, NULL)) != 0)
			fatal("journal: join");
		j->started = 0;
	}
	if (j->fd != -1)
		close(j->fd);
	if (clean && j->mode != JOURNAL_MEMORY) {
		/* Everything is stored: keep only what readers hold. */
		while ((s = TAILQ_FIRST(&j->closed)) != NULL) {
			journal_segpath_of(j, s, path, sizeof(path));
			if (s->seq < hold)
				(void)unlink(path);
			else if (!s->held) {
				s->held = 1;
				journal_segpath_of(j, s, to, sizeof(to));
				(void)rename(path, to);
			}
			TAILQ_REMOVE(&j->closed, s, entry);
			free(s);
		}
		if (j->seq != 0) {
			journal_segpath(j, j->seq, path, sizeof(path));
			snprintf(to, sizeof(to), "%s/%020" PRIu64 ".fwd",
			    j->dir, j->seq);
			if (j->seq < hold)
				(void)unlink(path);
			else
				(void)rename(path, to);
		}
		journal_syncdir(j);
	}
	while ((s = TAILQ_FIRST(&j->closed)) != NULL) {
		TAILQ_REMOVE(&j->closed, s, entry);
		free(s);
	}
	while ((w = TAILQ_FIRST(&j->waiters)) != NULL) {
		TAILQ_REMOVE(&j->waiters, w, entry);
		free(w);
	}
	while ((w = TAILQ_FIRST(&j->done)) != NULL) {
		TAILQ_REMOVE(&j->done, w, entry);
		free(w);
	}
	if (j->ev_done != NULL)
		event_free(j->ev_done);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	pthread_cond_destroy(&j->durable);
	free(j->buf);
	free(j->spare);
	free(j->dir);
	free(j);
}
