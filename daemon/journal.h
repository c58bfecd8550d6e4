/*
 * journal.h - the write-ahead journal of accepted values.
 *
 * Every value (and history rewrite) the core accepts is appended here
 * before it is acknowledged, so a crash loses nothing that was answered
 * "accepted": at the next start the journal is replayed into the store.
 * Segments are removed once the store says everything in them is in the
 * files and no reader (a forwarder) still holds them.  See the design
 * block in journal.c.
 */
#ifndef TALLY_JOURNAL_H
#define TALLY_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct event_base;
struct journal;

enum journal_mode {
	JOURNAL_FSYNC = 0,	/* acknowledged once fdatasync returned */
	JOURNAL_OS,		/* acknowledged once write returned */
	JOURNAL_MEMORY		/* no journal: acknowledged when queued */
};

enum journal_type {
	JOURNAL_VALUE = 1,	/* one value of a series */
	JOURNAL_REWRITE = 2	/* a series' whole new history */
};

/* One record as appended and as replayed; strings borrowed. */
struct journal_rec {
	enum journal_type	 type;
	int			 kind;		/* enum tally_kind */
	const char		*name;		/* plugin.instance.metric */
	const char		*preset;	/* retention preset */
	size_t			 n;
	const time_t		*when;
	const double		*value;
};

/* Where journal_parse puts a record's strings, times and values. */
struct journal_scratch {
	char		 name[256];
	char		 preset[256];
	time_t		*when;
	double		*value;
	size_t		 cap;
};

#define JOURNAL_MAGIC_SIZE	8	/* a segment's records start here */

/* Appending: 0, or why it was refused. */
#define JOURNAL_OK	0
#define JOURNAL_FULL	(-1)	/* journal_max reached: busy */
#define JOURNAL_FAILED	(-2)	/* the disk refused a write (full?) */
#define JOURNAL_PUT	(-3)	/* the put callback refused (queue full) */

/*
 * Asks the owner to make everything accepted so far durable in storage
 * (store_flush of all files) and to call journal_stored with token and
 * the outcome.  Called from the journal thread.
 */
typedef void	(*journal_sync_fn)(void *arg, uint64_t token);
/* Runs, under the journal lock, the store side of an append. */
typedef int	(*journal_put_fn)(void *arg);
/* A deferred acknowledgement on the loop: error 0 or -1, and why. */
typedef void	(*journal_done_fn)(void *arg, int error, const char *why);
/* One replayed record. */
typedef void	(*journal_replay_fn)(void *arg, const struct journal_rec *);

/*
 * Open (make) the journal directory.  max bounds the bytes of all
 * segments; seg is the size at which a segment is closed (0: max / 8,
 * at most 64 MiB).  NULL with the reason in err.
 */
struct journal	*journal_open(const char *dir, enum journal_mode,
		    uint64_t max, uint64_t seg, char *err, size_t errlen);
/*
 * Read every segment left by an earlier run, oldest first, calling fn for
 * each intact record.  A torn or damaged record is logged with its
 * segment and offset; the rest of that segment is ignored.  Returns the
 * number of records replayed.  Before journal_start.
 */
size_t		 journal_replay(struct journal *, journal_replay_fn, void *);
/* The token covering every replayed segment (for journal_stored). */
uint64_t	 journal_replayed(const struct journal *);
/*
 * Start the journal thread.  base runs deferred acknowledgements; sync is
 * how the journal asks for its segments to be stored.
 */
int		 journal_start(struct journal *, struct event_base *,
		    journal_sync_fn sync, void *arg);

/*
 * Any thread: append rec; put (may be NULL) runs under the journal lock
 * so that the store sees values in journal order and a segment is never
 * closed before what is in it was handed to the store.  If put fails the
 * record is taken back.  *lsn is what to wait for.  JOURNAL_* codes.
 */
int		 journal_append(struct journal *, const struct journal_rec *,
		    journal_put_fn put, void *putarg, uint64_t *lsn);
/* Why the last append was refused (JOURNAL_FAILED, JOURNAL_FULL). */
const char	*journal_error(struct journal *);

/* Any thread but the loop: block until lsn is durable.  0 or -1. */
int		 journal_wait(struct journal *, uint64_t lsn);
/* Loop: call done on the loop once lsn is durable (at once if it is). */
void		 journal_notify(struct journal *, uint64_t lsn,
		    journal_done_fn done, void *arg);
/* Any thread: the outcome of a sync request (0: all in the files). */
void		 journal_stored(struct journal *, uint64_t token, int error);

/*
 * Stop the thread after writing what is buffered; with clean (everything
 * accepted is in the files) every segment is removed.  Frees.
 */
void		 journal_close(struct journal *, int clean);

/*
 * Pure: the record at p, of which len bytes are at hand: its whole
 * length (header included) with rec filled (pointing into sc); 0 if p
 * holds less than a whole record; -1 if it is damaged (why says how).
 */
long		 journal_parse(const unsigned char *p, size_t len,
		    struct journal_rec *rec, struct journal_scratch *sc,
		    const char **why);
void		 journal_scratch_free(struct journal_scratch *);

/*
 * Readers (forwarders) read the segment files up to the durable end.
 * Before journal_start: journal_floor makes the next segment's number
 * greater than seq (a cursor's, whose segment may be gone);
 * journal_reader registers a reader holding every segment >= seq and
 * returns its id (-1: too many).  journal_hold moves its hold on.
 */
void		 journal_floor(struct journal *, uint64_t seq);
int		 journal_reader(struct journal *, uint64_t seq);
void		 journal_hold(struct journal *, int id, uint64_t seq);
/*
 * The durable end into *tseq (the open segment) and *tsize (its bytes
 * written and, with fsync, synced); waits up to ms for it to differ from
 * seq/size.  1 if it differs.
 */
int		 journal_tail(struct journal *, uint64_t seq, uint64_t size,
		    unsigned long ms, uint64_t *tseq, uint64_t *tsize);
/* Wakes readers waiting in journal_tail (they are stopping). */
void		 journal_wake(struct journal *);
/* A read-only descriptor of segment seq (.jnl or .fwd); -1 with errno. */
int		 journal_segopen(const struct journal *, uint64_t seq);

enum journal_mode journal_mode(const struct journal *);
uint64_t	 journal_bytes(struct journal *);

#endif
