/*
 * archive.c - import rotated access logs once each, oldest first.
 *
 * archive_plan globs the configured patterns, reads the first line of
 * every file it has not seen (zlib reads gzip and plain files alike) and
 * lists those whose first-line hash is not done yet, ordered by the time of
 * their first dated line, not by name.  When two names hold the same first
 * line (logrotate compressing ".1" into ".2.gz" is in progress), the plain
 * one is read: the compressed one may still be being written.
 *
 * archive_read reads lines of the plan through the plugin's line callback,
 * at most budget bytes of text per call.  Where it stands (the key of the
 * file being read and the bytes of its text consumed) and the done keys go
 * into the plugin's state file, so a restart resumes in the middle of a
 * file, even one that was renamed or compressed in the meantime.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"

#define ARCHIVE_HEAD	(64 * 1024)	/* read to find the first line */
#define ARCHIVE_BUF	(1024 * 1024)
#define ARCHIVE_SEED	0x7472616666696321ULL

int
archive_init(struct archive *a, size_t max_line)
{
	memset(a, 0, sizeof(*a));
	a->max_line = max_line;
	a->bufsize = max_line + ARCHIVE_BUF;
	a->f.fd = -1;
	return (0);
}

int
archive_add_glob(struct archive *a, const char *pattern)
{
	if (a->nglobs == ARCHIVE_GLOBS)
		return (-1);
	if ((a->globs[a->nglobs] = strdup(pattern)) == NULL)
		return (-1);
	a->nglobs++;
	return (0);
}

static void
archive_close(struct archive *a)
{
	if (a->gz != NULL)
		gzclose_r(a->gz);
	a->gz = NULL;
}

void
archive_free(struct archive *a)
{
	size_t	 i;

	archive_close(a);
	for (i = 0; i < a->nglobs; i++)
		free(a->globs[i]);
	for (i = 0; i < a->ncache; i++)
		free(a->cache[i].path);
	free(a->cache);
	free(a->plan);
	free(a->buf);
	tset_free(&a->done);
	tset_free(&a->failed);
	memset(a, 0, sizeof(*a));
}

/* The identity of a file's content: a hash of its first line, never 0. */
uint64_t
archive_key(const char *line, size_t len)
{
	uint64_t	 k;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	k = th_hash(line, len, ARCHIVE_SEED);
	return (k != 0 ? k : 1);
}

void
archive_mark(struct archive *a, uint64_t key)
{
	(void)tset_add(&a->done, key);
}

/*
 * Read the head of a file: the key of its first complete line (0 if it has
 * none yet) and, through timeof, the time of its first dated line.
 */
static int
archive_head(const char *path, size_t max_line, archive_time_cb timeof,
    void *arg, uint64_t *key, int64_t *first)
{
	gzFile		 gz;
	char		*buf, *p, *nl, *end;
	size_t		 cap = max_line + 1 < ARCHIVE_HEAD ? ARCHIVE_HEAD :
			    max_line + 1;
	int		 n;
	int64_t		 t;

	*key = 0;
	*first = -1;
	if ((gz = gzopen(path, "rb")) == NULL)
		return (-1);
	if ((buf = malloc(cap)) == NULL) {
		gzclose_r(gz);
		return (-1);
	}
	n = gzread(gz, buf, (unsigned)cap);
	gzclose_r(gz);
	if (n < 0) {
		free(buf);
		errno = EIO;
		return (-1);
	}
	end = buf + n;
	for (p = buf; p < end && (nl = memchr(p, '\n', (size_t)(end - p))) !=
	    NULL; p = nl + 1) {
		if (*key == 0)
			*key = archive_key(p, (size_t)(nl - p));
		if (timeof == NULL)
			break;
		if ((t = timeof(arg, p, (size_t)(nl - p))) != -1) {
			*first = t;
			break;
		}
	}
	free(buf);
	return (0);
}

/* The key of a live log's first line and its identity (0 if none yet). */
int
archive_first_key(const char *path, size_t max_line, uint64_t *key,
    dev_t *dev, ino_t *ino)
{
	struct stat	 st;
	int64_t		 first;

	if (stat(path, &st) == -1)
		return (-1);
	*dev = st.st_dev;
	*ino = st.st_ino;
	return (archive_head(path, max_line, NULL, NULL, key, &first));
}

/* Whether a path is one of the live logs. */
static int
archive_is_live(const struct archive *a, const char *path)
{
	size_t	 i;

	for (i = 0; i < a->nlive; i++) {
		if (strcmp(a->live[i], path) == 0)
			return (1);
	}
	return (0);
}

/* The cache entry of a file, read anew when it changed; NULL if unusable. */
static struct archive_file *
archive_lookup(struct archive *a, const char *path, char *err, size_t errlen)
{
	struct archive_file	*c, *nc;
	struct stat		 st;
	size_t			 i;

	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return (NULL);
	for (i = 0; i < a->ncache; i++) {
		c = &a->cache[i];
		if (c->dev == st.st_dev && c->ino == st.st_ino)
			break;
	}
	if (i == a->ncache) {
		if ((nc = reallocarray(a->cache, a->ncache + 1,
		    sizeof(*nc))) == NULL)
			return (NULL);
		a->cache = nc;
		c = &a->cache[a->ncache++];
		memset(c, 0, sizeof(*c));
		c->dev = st.st_dev;
		c->ino = st.st_ino;
		c->size = -1;
	}
	if (c->path == NULL || strcmp(c->path, path) != 0) {
		free(c->path);
		if ((c->path = strdup(path)) == NULL)
			return (NULL);
	}
	if (c->size != st.st_size || c->mtime != st.st_mtime || c->key == 0) {
		c->size = st.st_size;
		c->mtime = st.st_mtime;
		if (archive_head(path, a->max_line, a->timeof, a->timearg,
		    &c->key, &c->first) == -1) {
			snprintf(err, errlen, "%s: cannot read: %s", path,
			    strerror(errno));
			c->key = 0;
		}
	}
	return (c->key != 0 ? c : NULL);
}

/* Whether a file name ends in ".gz". */
static int
archive_is_gz(const char *path)
{
	size_t	 n = strlen(path);

	return (n > 3 && strcmp(path + n - 3, ".gz") == 0);
}

/* Oldest first line first; the file being read before all others. */
static int
archive_cmp(const void *x, const void *y, void *arg)
{
	const struct archive		*ar = arg;
	const struct archive_file	*a = &ar->cache[*(const size_t *)x];
	const struct archive_file	*b = &ar->cache[*(const size_t *)y];

	if ((a->key == ar->curkey) != (b->key == ar->curkey))
		return (a->key == ar->curkey ? -1 : 1);
	if (a->first != b->first)
		return (a->first < b->first ? -1 : 1);
	return (strcmp(a->path, b->path));
}

/*
 * List the archives still to import, oldest first.  Returns how many; err
 * holds the last file that could not be read, if any.
 */
int
archive_plan(struct archive *a, char *err, size_t errlen)
{
	struct archive_file	*c, *o;
	glob_t			 g;
	size_t			 i, j, k, *np;
	int			 dup;

	err[0] = '\0';
	a->nplan = a->next = 0;
	for (i = 0; i < a->nglobs; i++) {
		memset(&g, 0, sizeof(g));
		if (glob(a->globs[i], 0, NULL, &g) != 0) {
			globfree(&g);
			continue;
		}
		for (j = 0; j < g.gl_pathc; j++) {
			if (archive_is_live(a, g.gl_pathv[j]) ||
			    (c = archive_lookup(a, g.gl_pathv[j], err,
			    errlen)) == NULL || tset_has(&a->done, c->key) ||
			    tset_has(&a->failed, c->key))
				continue;
			k = (size_t)(c - a->cache);
			for (dup = 0, np = a->plan; np != NULL && np < a->plan +
			    a->nplan; np++) {
				o = &a->cache[*np];
				if (*np == k || o->key != c->key)
					continue;
				dup = 1;	/* the plain one is complete */
				if (archive_is_gz(o->path) &&
				    !archive_is_gz(c->path))
					*np = k;
			}
			if (dup)
				continue;
			if ((np = reallocarray(a->plan, a->nplan + 1,
			    sizeof(*np))) == NULL) {
				globfree(&g);
				snprintf(err, errlen, "out of memory");
				return (-1);
			}
			a->plan = np;
			a->plan[a->nplan++] = k;
		}
		globfree(&g);
	}
	/* qsort_r: instances plan on different threads at once */
	qsort_r(a->plan, a->nplan, sizeof(*a->plan), archive_cmp, a);
	return ((int)a->nplan);
}

/*
 * Open the next file of the plan, at the offset reached if resuming; 1 if
 * it is no longer at its name.
 */
static int
archive_open(struct archive *a, char *err, size_t errlen)
{
	struct archive_file	*c = &a->cache[a->plan[a->next]];
	struct stat		 st;
	int			 fd;

	if (a->buf == NULL && (a->buf = malloc(a->bufsize)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	if ((fd = open(c->path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || st.st_dev != c->dev || st.st_ino !=
	    c->ino) {
		/* renamed since the plan was made: plan again */
		if (fd != -1)
			close(fd);
		return (1);
	}
	if ((a->gz = gzdopen(fd, "rb")) == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", c->path,
		    strerror(errno));
		close(fd);
		(void)tset_add(&a->failed, c->key);
		a->next++;
		return (-1);
	}
	(void)gzbuffer(a->gz, 256 * 1024);
	a->have = 0;
	a->f.skipping = 0;
	a->f.name = c->path;
	if (c->key == a->curkey && a->curoff > 0) {
		if (gzseek(a->gz, (z_off_t)a->curoff, SEEK_SET) == -1) {
			snprintf(err, errlen, "%s: cannot skip to %" PRIu64
			    " (file changed?); skipped until a restart",
			    c->path, a->curoff);
			archive_close(a);
			(void)tset_add(&a->failed, c->key);
			a->next++;
			return (-1);
		}
	} else {
		a->curkey = c->key;
		a->curoff = 0;
		a->f.lines = 0;
		a->f.newest = 0;
	}
	return (0);
}

/* zlib's error text without the "<fd:N>: " it puts first. */
static const char *
archive_gzerror(gzFile gz)
{
	const char	*m, *p;
	int		 zerr;

	m = gzerror(gz, &zerr);
	if (strncmp(m, "<fd:", 4) == 0 && (p = strstr(m, ": ")) != NULL)
		m = p + 2;
	return (m);
}

/* Hand over the complete lines in the buffer; keep a partial one. */
static void
archive_lines(struct archive *a, tail_line_cb cb, void *arg, int eof)
{
	char	*p = a->buf, *end = a->buf + a->have, *nl;
	size_t	 len;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		len = (size_t)(nl - p);
		a->f.lines++;
		a->lines++;
		if (a->f.skipping)
			a->f.skipping = 0;	/* end of an overlong line */
		else
			cb(arg, len > a->max_line ? NULL : p, len, &a->f);
		a->curoff += len + 1;
		p = nl + 1;
	}
	len = (size_t)(end - p);
	if (eof && len > 0) {
		a->f.lines++;
		a->lines++;
		if (!a->f.skipping)
			cb(arg, len > a->max_line ? NULL : p, len, &a->f);
		a->curoff += len;
		len = 0;
	} else if (len > a->max_line) {
		if (!a->f.skipping) {
			a->f.lines++;
			a->lines++;
			cb(arg, NULL, len, &a->f);
		}
		a->f.skipping = 1;
		a->curoff += len;
		len = 0;
	}
	memmove(a->buf, p, len);
	a->have = len;
}

/*
 * Import up to budget bytes of text.  Returns 1 if the plan has more, 0
 * once it is done, -1 on an error (in err): a file that cannot be opened
 * is left for the next start, a damaged one is done with what it gave.
 */
int
archive_read(struct archive *a, size_t budget, tail_line_cb cb, void *arg,
    char *err, size_t errlen)
{
	struct archive_file	*c;
	size_t			 got = 0;
	int			 n, zerr, rc;

	while (got < budget) {
		if (a->gz == NULL) {
			if (a->next >= a->nplan)
				return (0);
			if ((rc = archive_open(a, err, errlen)) == -1)
				return (-1);
			if (rc == 1) {
				a->nplan = a->next = 0;	/* renamed */
				return (0);
			}
		}
		n = gzread(a->gz, a->buf + a->have, (unsigned)(a->bufsize -
		    a->have));
		if (n == 0)	/* a cut gzip file ends without an error */
			(void)gzerror(a->gz, &zerr);
		if (n < 0 || (n == 0 && zerr != Z_OK)) {
			/*
			 * A damaged file: what was read is counted, the rest
			 * cannot be; it is done, so a restart does not count
			 * its first part twice.
			 */
			c = &a->cache[a->plan[a->next]];
			snprintf(err, errlen, "%s: after line %" PRIu64 ": %s; "
			    "the rest of the file is skipped", c->path,
			    a->f.lines, archive_gzerror(a->gz));
			archive_close(a);
			archive_mark(a, a->curkey);
			a->curkey = 0;
			a->curoff = 0;
			a->files_done++;
			a->bytes_done += (uint64_t)c->size;
			a->next++;
			return (-1);
		}
		a->have += (size_t)n;
		got += (size_t)n;
		archive_lines(a, cb, arg, n == 0);
		if (n == 0) {
			c = &a->cache[a->plan[a->next]];
			archive_close(a);
			archive_mark(a, a->curkey);
			a->curkey = 0;
			a->curoff = 0;
			a->files_done++;
			a->bytes_done += (uint64_t)c->size;
			a->next++;
		}
	}
	return (a->next < a->nplan ? 1 : 0);
}

void
archive_save(const struct archive *a, FILE *f)
{
	size_t	 i;

	for (i = 0; i < a->done.cap; i++) {
		if (a->done.keys[i] != 0)
			fprintf(f, "archive %" PRIx64 "\n", a->done.keys[i]);
	}
	if (a->curkey != 0)
		fprintf(f, "archivecur %" PRIx64 " %" PRIu64 " %" PRIu64 " %"
		    PRId64 "\n", a->curkey, a->curoff, a->f.lines,
		    a->f.newest);
}

/* Take a state line if it is ours: 1 taken, 0 not ours, -1 broken. */
int
archive_load_line(struct archive *a, const char *line)
{
	unsigned long long	 k, off, lines;
	long long		 newest;
	int			 end = -1;

	if (strncmp(line, "archive ", 8) == 0) {
		if (sscanf(line + 8, "%llx%n", &k, &end) != 1 || end < 0 ||
		    line[8 + end] != '\0' || k == 0 || tset_add(&a->done, k) ==
		    -1)
			return (-1);
		return (1);
	}
	if (strncmp(line, "archivecur ", 11) == 0) {
		if (sscanf(line + 11, "%llx %llu %llu %lld%n", &k, &off,
		    &lines, &newest, &end) != 4 || end < 0 ||
		    line[11 + end] != '\0' || k == 0)
			return (-1);
		a->curkey = k;
		a->curoff = off;
		a->f.lines = lines;
		a->f.newest = newest;
		return (1);
	}
	return (0);
}
