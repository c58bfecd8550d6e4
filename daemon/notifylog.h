/*
 * notifylog.h - the journal of alert notices not yet delivered,
 * statedir/notify.journal: one line a record, each led by the CRC-32 of
 * the rest of its line in hex.
 *
 *	CRC N SEQ NOTIFIER<TAB>NOTICE	a notice to deliver through NOTIFIER
 *	CRC D SEQ NOTIFIER		it was delivered, or given up
 *
 * NOTICE is notify_record_fmt's line.  A notice is pending while its N has
 * no D.  Appends are fsynced before they return; a rewrite (compaction)
 * goes through a temporary file and a rename.  Thread-safe: one mutex
 * orders appends and rewrites, so a compaction never loses an append.
 */
#ifndef TALLY_NOTIFYLOG_H
#define TALLY_NOTIFYLOG_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define NOTIFYLOG_FILE	"notify.journal"
#define NOTIFYLOG_HEAD	"# tallyd notify journal 1\n"
#define NOTIFYLOG_MAX	(64 * 1024 * 1024)	/* bytes read at start */

struct notifylog_entry {
	uint64_t	 seq;
	char		*notifier;
	char		*notice;	/* notify_record_parse's input */
};

/* The journal's path (copied); NULL forgets it. */
void	notifylog_set_path(const char *);
/* Append one record's line to b. */
void	notifylog_fmt_add(struct evbuffer *b, uint64_t seq,
	    const char *notifier, const char *notice);
void	notifylog_fmt_done(struct evbuffer *b, uint64_t seq,
	    const char *notifier);
/* Append lines and fsync; -1 with why in err. */
int	notifylog_append(const char *data, size_t len, char *err,
	    size_t errlen);
/* Replace the journal with a header and these lines. */
int	notifylog_replace(const char *data, size_t len, char *err,
	    size_t errlen);
/* Rewrite the journal with only its pending notices. */
int	notifylog_compact(char *err, size_t errlen);
/*
 * The pending notices of the journal, in file order.  A torn last line
 * or a line whose checksum or form is bad is skipped and, if loud,
 * logged with its offset.  -1 with errno if the file cannot be read
 * (ENOENT: there is none).
 */
int	notifylog_read(int loud, struct notifylog_entry **, size_t *n);
/* The same from text (modified in place; entries copy what they keep). */
void	notifylog_parse(char *text, size_t len, const char *name, int loud,
	    struct notifylog_entry **, size_t *n);
void	notifylog_entries_free(struct notifylog_entry *, size_t n);

#endif
