/*
 * tstats_io.c - save and load the traffic figures.
 *
 * The figures are lines of text ("totals ...", "day ...", "seen ...") that
 * the plugin writes into its state file beside the log offsets, so both are
 * replaced in one rename.  Visitor sets are too large to rewrite every
 * minute: each is a file of raw 8-byte fingerprints, visitors.GRAN.ID, that
 * only ever grows by appends, and is deleted once its period is closed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tstats.h"

#define TS_NUMS_MAX	16

/* Write the figures as "key numbers..." lines. */
void
ts_save(const struct tstats *s, FILE *f)
{
	const struct ts_day	*d;
	size_t			 i;
	int			 g;

	fprintf(f, "seed %" PRIx64 "\nnewest %" PRId64 "\n", s->seed,
	    s->newest);
	fprintf(f, "totals %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
	    " %" PRIu64 " %" PRIu64 "\n", s->tot.hits, s->tot.pageviews,
	    s->tot.bytes, s->tot.crawlers, s->tot.visits, s->tot.malformed);
	fprintf(f, "status");
	for (i = 0; i < 6; i++)
		fprintf(f, " %" PRIu64, s->tot.status[i]);
	fprintf(f, "\nbad");
	for (i = 1; i < TP_E_COUNT; i++)
		fprintf(f, " %" PRIu64, s->tot.bad[i]);
	fprintf(f, "\n");
	for (g = 0; g < TS_NGRAN; g++) {
		fprintf(f, "period %d %" PRId32 " %" PRId32 "\n", g,
		    s->cur[g].id, s->prev[g].id);
		/* keys of the set files that belong to this checkpoint */
		fprintf(f, "setlen %d %" PRIu64 " %" PRIu64 "\n", g,
		    s->cur[g].nfile, s->prev[g].nfile);
	}
	for (i = 0; i < s->ndays; i++) {
		d = &s->days[i];
		fprintf(f, "day %" PRId32 " %" PRIu64 " %" PRIu64 " %" PRIu64
		    " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		    " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", d->date, d->hits,
		    d->pageviews, d->bytes, d->crawlers, d->visitors,
		    d->status[0], d->status[1], d->status[2], d->status[3],
		    d->status[4], d->status[5]);
	}
	for (i = 0; i < s->seen.cap; i++) {
		if (s->seen.keys[i] != 0)
			fprintf(f, "seen %" PRIx64 " %" PRId64 "\n",
			    s->seen.keys[i], s->seen.when[i]);
	}
	tb_save(s, f);
}

/* Parse up to max numbers (base 10, or 16 if hex) after a keyword. */
static size_t
ts_nums(const char *s, uint64_t *v, size_t max, int base)
{
	char		*end;
	size_t		 n = 0;
	int		 neg;

	while (n < max) {
		while (*s == ' ')
			s++;
		if (*s == '\0' || *s == '\n')
			break;
		neg = *s == '-';
		errno = 0;
		v[n] = strtoull(s + neg, &end, n == 0 ? base : 10);
		if (end == s + neg || errno != 0 || (*end != ' ' &&
		    *end != '\0' && *end != '\n'))
			return (SIZE_MAX);
		if (neg)
			v[n] = (uint64_t)-(int64_t)v[n];
		n++;
		s = end;
	}
	return (n);
}

/* Load a "day" line into a new row at the end. */
static int
ts_load_day(struct tstats *s, const uint64_t *v)
{
	struct ts_day	*d, *nd;
	size_t		 ncap, i;

	if (s->ndays == s->capdays) {
		ncap = s->capdays ? s->capdays * 2 : 64;
		if ((nd = realloc(s->days, ncap * sizeof(*nd))) == NULL)
			return (-1);
		s->days = nd;
		s->capdays = ncap;
	}
	d = &s->days[s->ndays++];
	d->date = (int32_t)v[0];
	d->hits = v[1];
	d->pageviews = v[2];
	d->bytes = v[3];
	d->crawlers = v[4];
	d->visitors = v[5];
	for (i = 0; i < 6; i++)
		d->status[i] = v[6 + i];
	return (0);
}

/* Load the "totals", "status" and "bad" lines. */
static int
ts_load_totals(struct tstats *s, const char *kw, const uint64_t *v, size_t n)
{
	size_t	 i;

	if (strcmp(kw, "totals") == 0 && n == 6) {
		s->tot.hits = v[0];
		s->tot.pageviews = v[1];
		s->tot.bytes = v[2];
		s->tot.crawlers = v[3];
		s->tot.visits = v[4];
		s->tot.malformed = v[5];
	} else if (strcmp(kw, "status") == 0 && n == 6) {
		for (i = 0; i < 6; i++)
			s->tot.status[i] = v[i];
	} else if (strcmp(kw, "bad") == 0 && n <= TP_E_COUNT - 1) {
		for (i = 0; i < n; i++)
			s->tot.bad[i + 1] = v[i];
	} else
		return (-1);
	return (0);
}

/*
 * Take one state line if it is ours: 1 if taken, 0 if not ours, -1 if ours
 * but broken.
 */
int
ts_load_line(struct tstats *s, const char *line)
{
	uint64_t	 v[TS_NUMS_MAX];
	char		 kw[16];
	size_t		 kl = strcspn(line, " \n"), n;

	int		 rc;

	if ((rc = tb_load_line(s, line)) != 0)
		return (rc);
	if (kl == 0 || kl >= sizeof(kw))
		return (0);
	memcpy(kw, line, kl);
	kw[kl] = '\0';
	if (strcmp(kw, "seed") != 0 && strcmp(kw, "newest") != 0 &&
	    strcmp(kw, "totals") != 0 && strcmp(kw, "status") != 0 &&
	    strcmp(kw, "bad") != 0 && strcmp(kw, "period") != 0 &&
	    strcmp(kw, "day") != 0 && strcmp(kw, "seen") != 0 &&
	    strcmp(kw, "setlen") != 0)
		return (0);
	n = ts_nums(line + kl, v, TS_NUMS_MAX, strcmp(kw, "seed") == 0 ||
	    strcmp(kw, "seen") == 0 ? 16 : 10);
	if (n == SIZE_MAX)
		return (-1);
	if (strcmp(kw, "seed") == 0 && n == 1)
		s->seed = v[0];
	else if (strcmp(kw, "newest") == 0 && n == 1)
		s->newest = (int64_t)v[0];
	else if (strcmp(kw, "period") == 0 && n == 3 && v[0] < TS_NGRAN) {
		s->cur[v[0]].id = (int32_t)v[1];
		s->prev[v[0]].id = (int32_t)v[2];
	} else if (strcmp(kw, "setlen") == 0 && n == 3 && v[0] < TS_NGRAN) {
		s->cur[v[0]].nfile = v[1];
		s->prev[v[0]].nfile = v[2];
		s->cur[v[0]].limit = s->prev[v[0]].limit = 1;
	} else if (strcmp(kw, "day") == 0 && n == 12)
		return (ts_load_day(s, v) == -1 ? -1 : 1);
	else if (strcmp(kw, "seen") == 0 && n == 2)
		return (tseen_put(&s->seen, v[0], (int64_t)v[1]) == -1 ? -1 :
		    1);
	else
		return (ts_load_totals(s, kw, v, n) == -1 ? -1 : 1);
	return (1);
}

/* Path of a period's set file. */
static void
ts_set_path(char *buf, size_t len, const char *dir, int g, int32_t id)
{
	snprintf(buf, len, "%s/visitors.%s.%" PRId32, dir, ts_gran_name(g),
	    id);
}

/* Append a period's new keys to its file; -1 with errno on failure. */
static int
ts_flush_period(struct ts_period *p, const char *dir, int g)
{
	char	 path[4096];
	size_t	 len = p->npending * sizeof(*p->pending), off = 0;
	ssize_t	 w;
	int	 fd;

	if (p->id == 0 || p->npending == 0)
		return (0);
	ts_set_path(path, sizeof(path), dir, g, p->id);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1)
		return (-1);
	while (off < len) {
		if ((w = write(fd, (char *)p->pending + off, len - off)) ==
		    -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return (-1);
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1) {
		close(fd);
		return (-1);
	}
	close(fd);
	p->nfile += p->npending;
	p->npending = 0;
	p->dirty = 0;
	return (0);
}

/* Append every set's new keys to its file; -1 with errno on failure. */
int
ts_flush_sets(struct tstats *s, const char *dir)
{
	int	 g;

	for (g = 0; g < TS_NGRAN; g++) {
		if (ts_flush_period(&s->cur[g], dir, g) == -1 ||
		    ts_flush_period(&s->prev[g], dir, g) == -1)
			return (-1);
	}
	return (0);
}

/*
 * Read a period's set back from its file; a missing file is an empty set.
 * Keys appended after the checkpoint's count (a crash between the flush
 * and the state file's rename) are cut off: the lines that added them are
 * read again and must find them new, or the day would lose visitors.
 */
static int
ts_load_period(struct ts_period *p, const char *dir, int g)
{
	char		 path[4096];
	uint64_t	 buf[4096];
	ssize_t		 r = 0;
	size_t		 i;
	uint64_t	 n = 0;
	int		 fd;

	if (p->id == 0)
		return (0);
	ts_set_path(path, sizeof(path), dir, g, p->id);
	if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
		return (errno == ENOENT ? 0 : -1);
	while ((!p->limit || n < p->nfile) && (r = read(fd, buf,
	    sizeof(buf))) > 0) {
		for (i = 0; i < (size_t)r / sizeof(buf[0]) && (!p->limit ||
		    n < p->nfile); i++, n++) {
			if (tset_add(&p->set, buf[i]) == -1) {
				close(fd);
				return (-1);
			}
		}
	}
	if ((p->limit && ftruncate(fd, (off_t)(n * sizeof(buf[0]))) == -1) ||
	    (!p->limit && r == -1)) {
		close(fd);
		return (-1);
	}
	close(fd);
	p->nfile = n;
	return (0);
}

int
ts_load_sets(struct tstats *s, const char *dir)
{
	int	 g;

	for (g = 0; g < TS_NGRAN; g++) {
		if (ts_load_period(&s->cur[g], dir, g) == -1 ||
		    ts_load_period(&s->prev[g], dir, g) == -1)
			return (-1);
	}
	return (0);
}

/* Whether a set file name belongs to a period still open. */
static int
ts_set_wanted(const struct tstats *s, const char *name)
{
	const char	*dot;
	long		 id;
	int		 g;

	for (g = 0; g < TS_NGRAN; g++) {
		dot = name + strlen("visitors.");
		if (strncmp(dot, ts_gran_name(g), strlen(ts_gran_name(g)))
		    != 0 || dot[strlen(ts_gran_name(g))] != '.')
			continue;
		id = strtol(dot + strlen(ts_gran_name(g)) + 1, NULL, 10);
		return (id != 0 && (id == s->cur[g].id || id ==
		    s->prev[g].id));
	}
	return (0);
}

/* Delete the set files of closed periods (after the state was saved). */
void
ts_forget_closed(struct tstats *s, const char *dir)
{
	DIR		*d;
	struct dirent	*de;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "visitors.", 9) == 0 &&
		    !ts_set_wanted(s, de->d_name))
			(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	closedir(d);
}

/* The day rows as a table for people and tests. */
void
ts_write_days(const struct tstats *s, FILE *f)
{
	const struct ts_day	*d;
	size_t			 i;

	fprintf(f, "# date hits pageviews visitors bytes crawlers "
	    "1xx 2xx 3xx 4xx 5xx\n");
	for (i = 0; i < s->ndays; i++) {
		d = &s->days[i];
		fprintf(f, "%" PRId32 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %"
		    PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %"
		    PRIu64 " %" PRIu64 "\n", d->date, d->hits, d->pageviews,
		    d->visitors, d->bytes, d->crawlers, d->status[1],
		    d->status[2], d->status[3], d->status[4], d->status[5]);
	}
}
