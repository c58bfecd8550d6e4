/*
 * tail.c - follow an access log through rename and copy-truncate rotation.
 *
 * Reading is pread() in large chunks into one buffer per log; lines are cut
 * with memchr() and handed to a callback in place.  A partial line at the
 * end of the data is not consumed: the offset stays at its start, so the
 * next poll (or the next run, from the checkpoint) reads it whole.  A file
 * that has been rotated away is the exception: once it stops growing its
 * last partial line is passed on as it is.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tail.h"
#include "tset.h"

#define TAIL_BUF	(1024 * 1024)
#define TAIL_LOG_ERR	3
#define TAIL_LOG_WARN	4
#define TAIL_LOG_NOTICE	5
#define TAIL_LOG_INFO	6

/* Forget an open file and its identity. */
static void
tail_file_reset(struct tail_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

int
tail_init(struct tail *t, const char *path, const char *suffix,
    size_t max_line)
{
	memset(t, 0, sizeof(*t));
	t->cur.fd = t->old.fd = -1;
	t->max_line = max_line;
	t->budget = 256 * 1024 * 1024;
	t->bufsize = max_line + 1 > TAIL_BUF ? max_line + 1 : TAIL_BUF;
	if ((t->path = strdup(path)) == NULL || asprintf(&t->rotated, "%s%s",
	    path, suffix) == -1 || (t->buf = malloc(t->bufsize)) == NULL) {
		free(t->path);
		t->rotated = t->path = NULL;
		return (-1);
	}
	return (0);
}

void
tail_free(struct tail *t)
{
	tail_file_reset(&t->cur);
	tail_file_reset(&t->old);
	free(t->path);
	free(t->rotated);
	free(t->buf);
	t->path = t->rotated = t->buf = NULL;
}

/* Whether f is the file st describes. */
static int
tail_same(const struct tail_file *f, const struct stat *st)
{
	return (f->known && f->dev == st->st_dev && f->ino == st->st_ino);
}

/*
 * 1 if fd's first f->headlen bytes hash as recorded (and, with extend,
 * hash more of the head as the file grows), 0 if they changed, -1 on error.
 */
static int
tail_head_same(struct tail_file *f, int fd, int extend)
{
	char	 hb[TAIL_HEAD];
	ssize_t	 n;

	if ((n = pread(fd, hb, sizeof(hb), 0)) == -1)
		return (-1);
	if ((size_t)n < f->headlen || th_hash(hb, f->headlen, 0) !=
	    f->headhash)
		return (0);
	if (extend && (size_t)n > f->headlen) {
		f->headlen = (size_t)n;
		f->headhash = th_hash(hb, f->headlen, 0);
	}
	return (1);
}

/* Hand every complete line in buf[0..len) to cb; returns bytes consumed. */
static size_t
tail_cut(struct tail *t, struct tail_file *f, size_t len, tail_line_cb cb,
    void *arg)
{
	char	*p = t->buf, *end = t->buf + len, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		f->lines++;
		if (f->skipping)
			f->skipping = 0;
		else if ((size_t)(nl - p) > t->max_line)
			cb(arg, NULL, (size_t)(nl - p), f);
		else
			cb(arg, p, (size_t)(nl - p), f);
		p = nl + 1;
	}
	return ((size_t)(p - t->buf));
}

/* Pass on what is left after the last newline of a finished file. */
static void
tail_last(struct tail *t, struct tail_file *f, size_t have, tail_line_cb cb,
    void *arg)
{
	if (have > 0)
		f->lines++;
	if (have > 0 && !f->skipping)
		cb(arg, have > t->max_line ? NULL : t->buf, have, f);
	f->off += (off_t)have;
	f->skipping = 0;
}

/*
 * Read f from its offset to the end (final: also its last partial line).
 * Returns 0 at the end, 1 when the budget ran out first, -1 on error.
 */
static int
tail_scan(struct tail *t, struct tail_file *f, tail_line_cb cb, void *arg,
    int final, size_t *budget)
{
	size_t	 have = 0, used;
	ssize_t	 n;

	for (;;) {
		if (*budget == 0)
			return (1);
		n = pread(f->fd, t->buf + have, t->bufsize - have, f->off +
		    (off_t)have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*budget -= (size_t)n < *budget ? (size_t)n : *budget;
		have += (size_t)n;
		used = tail_cut(t, f, have, cb, arg);
		f->off += (off_t)used;
		have -= used;
		if (have == t->bufsize) {	/* a full buffer, no newline */
			if (!f->skipping)
				cb(arg, NULL, have, f);
			f->skipping = 1;
			f->off += (off_t)have;
			have = 0;
		} else if (used > 0)
			memmove(t->buf, t->buf + used, have);
	}
	if (n == -1)
		return (-1);
	if (final)
		tail_last(t, f, have, cb, arg);
	return (0);
}

/* Open path as a new file f, from its start (or its end if at_end). */
static int
tail_open(const char *path, struct tail_file *f, int at_end)
{
	struct stat	 st;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1) {
		close(fd);
		return (-1);
	}
	tail_file_reset(f);
	f->fd = fd;
	f->known = 1;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->off = at_end ? st.st_size : 0;
	f->size = st.st_size;
	f->name = path;
	(void)tail_head_same(f, fd, 1);
	return (0);
}

/* Open the file at path only if it is f (same device and inode). */
static int
tail_reopen(const char *path, struct tail_file *f)
{
	struct stat	 st;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1 || !tail_same(f, &st)) {
		close(fd);
		return (-1);
	}
	f->fd = fd;
	f->size = st.st_size;
	f->name = path;
	return (0);
}

/* After a restart: find the file being finished at the rotated name. */
static void
tail_attach_old(struct tail *t)
{
	if (tail_reopen(t->rotated, &t->old) == 0) {
		t->old.size = -1;
		return;
	}
	t->log(t->logarg, TAIL_LOG_WARN, "%s: rotated file (inode %ju) is "
	    "gone; lines written to it after offset %jd may be lost", t->path,
	    (uintmax_t)t->old.ino, (intmax_t)t->old.off);
	tail_file_reset(&t->old);
}

/*
 * After a restart: find the checkpointed file at path, or at the rotated
 * name if it was rotated while we were stopped.
 */
static void
tail_attach_cur(struct tail *t)
{
	if (tail_reopen(t->path, &t->cur) == 0)
		return;
	if (t->old.fd < 0 && tail_reopen(t->rotated, &t->cur) == 0) {
		t->old = t->cur;
		t->old.idle = 0;
		t->old.size = -1;	/* no poll without growth yet */
		t->old.name = t->rotated;
		t->cur.fd = -1;
		tail_file_reset(&t->cur);
		t->rotations++;
		return;
	}
	t->log(t->logarg, TAIL_LOG_WARN, "%s: the file read last (inode %ju) "
	    "is gone; lines written to it after offset %jd may be lost",
	    t->path, (uintmax_t)t->cur.ino, (intmax_t)t->cur.off);
	tail_file_reset(&t->cur);
}

/* Read the rotated file to its end, last partial line included, and close. */
static int
tail_finish_old(struct tail *t, tail_line_cb cb, void *arg, size_t *budget)
{
	size_t	 unlimited = SIZE_MAX;
	int	 rc;

	(void)budget;
	rc = tail_scan(t, &t->old, cb, arg, 1, &unlimited);
	tail_file_reset(&t->old);
	return (rc == -1 ? -1 : 0);
}

/* Follow a rename: the file we read is no longer at path. */
static int
tail_check_rename(struct tail *t, tail_line_cb cb, void *arg, size_t *budget)
{
	struct stat	 st;

	if (t->cur.fd < 0 || stat(t->path, &st) == -1 || tail_same(&t->cur,
	    &st))
		return (0);
	if (t->old.fd >= 0 && tail_finish_old(t, cb, arg, budget) == -1)
		return (-1);
	t->old = t->cur;
	t->old.idle = 0;
	t->old.size = -1;
	t->old.name = t->rotated;
	t->cur.fd = -1;
	tail_file_reset(&t->cur);
	t->rotations++;
	t->log(t->logarg, TAIL_LOG_INFO, "%s: renamed away; finishing the "
	    "old file before the new one", t->path);
	return (0);
}

/* Read the old file's new lines; close it after two polls without growth. */
static int
tail_poll_old(struct tail *t, tail_line_cb cb, void *arg, size_t *budget)
{
	struct stat	 st;
	int		 rc;

	if (t->old.fd < 0)
		return (0);
	if ((rc = tail_scan(t, &t->old, cb, arg, 0, budget)) != 0)
		return (rc);
	if (fstat(t->old.fd, &st) == -1)
		return (-1);
	if (st.st_size < t->old.off || tail_head_same(&t->old, t->old.fd, 0) !=
	    1) {			/* rewritten, e.g. by cp */
		tail_file_reset(&t->old);
		return (0);
	}
	if (st.st_size != t->old.size) {
		t->old.size = st.st_size;
		t->old.idle = 0;
	} else if (++t->old.idle >= 2)
		return (tail_finish_old(t, cb, arg, budget));
	return (0);
}

/* Read the unread end of a truncated file from its copy, if it is there. */
static void
tail_recover_copy(struct tail *t, tail_line_cb cb, void *arg)
{
	struct tail_file	 copy = t->cur;
	struct stat		 st;
	size_t			 unlimited = SIZE_MAX;

	copy.name = t->rotated;
	copy.fd = open(t->rotated, O_RDONLY | O_CLOEXEC);
	if (copy.fd == -1 || fstat(copy.fd, &st) == -1 || tail_same(&t->cur,
	    &st) || st.st_size < t->cur.off ||
	    tail_head_same(&copy, copy.fd, 0) != 1) {
		if (copy.fd != -1)
			close(copy.fd);
		t->log(t->logarg, TAIL_LOG_NOTICE, "%s: truncated at offset "
		    "%jd and no copy at %s: lines written since the last read "
		    "may be lost", t->path, (intmax_t)t->cur.off, t->rotated);
		return;
	}
	(void)tail_scan(t, &copy, cb, arg, 1, &unlimited);
	close(copy.fd);
	t->cur.newest = copy.newest;
}

/* Follow a truncation: the file shrank below our offset or its head changed. */
static int
tail_check_truncate(struct tail *t, tail_line_cb cb, void *arg)
{
	struct stat	 st;
	int		 same;

	if (t->cur.fd < 0)
		return (0);
	if (fstat(t->cur.fd, &st) == -1 || (same = tail_head_same(&t->cur,
	    t->cur.fd, 0)) == -1)
		return (-1);
	if (st.st_size >= t->cur.off && same)
		return (0);
	tail_recover_copy(t, cb, arg);
	t->cur.off = 0;
	t->cur.headlen = 0;
	t->cur.headhash = th_hash("", 0, 0);
	t->cur.skipping = 0;
	t->cur.lines = 0;
	t->truncations++;
	t->log(t->logarg, TAIL_LOG_INFO, "%s: truncated; reading it from "
	    "the start", t->path);
	return (0);
}

/*
 * Read whatever is new: the rotated file first, then the file at path.
 * Returns 0, or -1 on a read error (the checkpoint stays consistent).
 */
int
tail_poll(struct tail *t, tail_line_cb cb, void *arg)
{
	size_t	 budget = t->budget;
	int	 rc;

	if (t->old.known && t->old.fd < 0)
		tail_attach_old(t);
	if (t->cur.known && t->cur.fd < 0)
		tail_attach_cur(t);
	if (tail_check_rename(t, cb, arg, &budget) == -1 ||
	    (rc = tail_poll_old(t, cb, arg, &budget)) == -1)
		return (-1);
	if (rc == 1)
		return (0);	/* finish the old file first */
	if (tail_check_truncate(t, cb, arg) == -1)
		return (-1);
	if (t->cur.fd < 0) {
		if (tail_open(t->path, &t->cur, t->start_at_end) == -1) {
			if (errno != ENOENT || !t->missing_logged)
				t->log(t->logarg, TAIL_LOG_WARN, "%s: %s",
				    t->path, errno == ENOENT ? "does not exist "
				    "(yet)" : "cannot be opened");
			t->missing_logged = 1;
			return (errno == ENOENT ? 0 : -1);
		}
		t->missing_logged = 0;
	}
	t->start_at_end = 0;
	if (tail_scan(t, &t->cur, cb, arg, 0, &budget) == -1 ||
	    tail_head_same(&t->cur, t->cur.fd, 1) == -1)
		return (-1);
	return (0);
}

/* One checkpoint line: "file IDX cur|old DEV INO OFF HEADLEN HASH ...". */
static void
tail_save_file(const struct tail_file *f, size_t idx, const char *which,
    FILE *out)
{
	if (!f->known)
		return;
	fprintf(out, "file %zu %s %ju %ju %jd %zu %" PRIx64 " %" PRId64
	    " %d %" PRIu64 "\n", idx, which, (uintmax_t)f->dev,
	    (uintmax_t)f->ino, (intmax_t)f->off, f->headlen, f->headhash,
	    f->newest, f->skipping, f->lines);
}

/*
 * The checkpoint of both files.  A rotated file that has already sat at its
 * end for a whole poll is taken as finished: its writer has moved on.
 */
void
tail_save(const struct tail *t, size_t idx, FILE *out)
{
	if (t->old.idle < 1)
		tail_save_file(&t->old, idx, "old", out);
	tail_save_file(&t->cur, idx, "cur", out);
}

/* Take a "file" line for log number idx: 1 taken, 0 not ours, -1 broken. */
int
tail_load_line(struct tail *t, size_t idx, const char *line)
{
	struct tail_file	*f;
	char			 which[4];
	uintmax_t		 dev, ino;
	intmax_t		 off;
	size_t			 i, hl;
	uint64_t		 hh;
	int64_t			 newest;
	int			 skip;
	uint64_t		 lines;

	if (sscanf(line, "file %zu %3s %ju %ju %jd %zu %" SCNx64 " %" SCNd64
	    " %d %" SCNu64, &i, which, &dev, &ino, &off, &hl, &hh, &newest,
	    &skip, &lines) != 10)
		return (strncmp(line, "file ", 5) == 0 ? -1 : 0);
	if (i != idx)
		return (0);
	if (strcmp(which, "cur") == 0)
		f = &t->cur;
	else if (strcmp(which, "old") == 0)
		f = &t->old;
	else
		return (-1);
	tail_file_reset(f);
	f->known = 1;
	f->dev = (dev_t)dev;
	f->ino = (ino_t)ino;
	f->off = (off_t)off;
	f->headlen = hl > TAIL_HEAD ? TAIL_HEAD : hl;
	f->headhash = hh;
	f->newest = newest;
	f->skipping = skip != 0;
	f->lines = lines;
	return (1);
}
