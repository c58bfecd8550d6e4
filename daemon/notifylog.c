/*
 * notifylog.c - the journal of alert notices not yet delivered: CRC-32'd
 * lines, fsynced appends, compaction by rewrite.  See notifylog.h.
 *
 * Threads: the alert engine's writer appends notices (alert.c), the
 * notifier's journal worker appends deliveries and compacts (notify.c),
 * the loop reads and replaces at start and stop.  notifylog_lock orders
 * every write and rewrite of the file; it is a leaf (only logging, which
 * takes no lock of ours, happens under it).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <zlib.h>

#include "alertdb.h"
#include "hmap.h"
#include "log.h"
#include "notifylog.h"
#include "util.h"
#include "xmalloc.h"

static pthread_mutex_t	 notifylog_lock = PTHREAD_MUTEX_INITIALIZER;
static char		*notifylog_path;

void
notifylog_set_path(const char *path)
{
	pthread_mutex_lock(&notifylog_lock);
	free(notifylog_path);
	notifylog_path = path != NULL ? xstrdup(path) : NULL;
	pthread_mutex_unlock(&notifylog_lock);
}

/* One line: the CRC of body, a space, body, a newline. */
static void
notifylog_line(struct evbuffer *b, const char *body, size_t len)
{
	uLong	 crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, (const Bytef *)body, (uInt)len);
	evbuffer_add_printf(b, "%08lx ", (unsigned long)crc);
	evbuffer_add(b, body, len);
	evbuffer_add(b, "\n", 1);
}

void
notifylog_fmt_add(struct evbuffer *b, uint64_t seq, const char *notifier,
    const char *notice)
{
	char	*body;
	size_t	 len = strcspn(notice, "\n");
	int	 n;

	if ((n = asprintf(&body, "N %" PRIu64 " %s\t%.*s", seq, notifier,
	    (int)len, notice)) == -1)
		fatalx("%s: out of memory", __func__);
	notifylog_line(b, body, (size_t)n);
	free(body);
}

void
notifylog_fmt_done(struct evbuffer *b, uint64_t seq, const char *notifier)
{
	char	 body[512];
	int	 n;

	n = snprintf(body, sizeof(body), "D %" PRIu64 " %s", seq, notifier);
	if (n < 0 || (size_t)n >= sizeof(body))
		fatalx("%s: notifier name too long", __func__);
	notifylog_line(b, body, (size_t)n);
}

int
notifylog_append(const char *data, size_t len, char *err, size_t errlen)
{
	int	 rv;

	pthread_mutex_lock(&notifylog_lock);
	if (notifylog_path == NULL) {
		snprintf(err, errlen, "no journal");
		rv = -1;
	} else
		rv = alertdb_append(notifylog_path, data, len, err, errlen);
	pthread_mutex_unlock(&notifylog_lock);
	return (rv);
}

/* With the lock held. */
static int
notifylog_replace_locked(const char *data, size_t len, char *err,
    size_t errlen)
{
	struct evbuffer	*b;
	int		 rv;

	if (notifylog_path == NULL) {
		snprintf(err, errlen, "no journal");
		return (-1);
	}
	if ((b = evbuffer_new()) == NULL)
		fatalx("%s: out of memory", __func__);
	evbuffer_add(b, NOTIFYLOG_HEAD, strlen(NOTIFYLOG_HEAD));
	evbuffer_add(b, data, len);
	rv = alertdb_replace(notifylog_path, (const char *)evbuffer_pullup(b,
	    -1), evbuffer_get_length(b), err, errlen);
	evbuffer_free(b);
	return (rv);
}

int
notifylog_replace(const char *data, size_t len, char *err, size_t errlen)
{
	int	 rv;

	pthread_mutex_lock(&notifylog_lock);
	rv = notifylog_replace_locked(data, len, err, errlen);
	pthread_mutex_unlock(&notifylog_lock);
	return (rv);
}

void
notifylog_entries_free(struct notifylog_entry *e, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(e[i].notifier);
		free(e[i].notice);
	}
	free(e);
}

/* "SEQ NOTIFIER" of a record body after its type; -1 if malformed. */
static int
notifylog_key(char *s, uint64_t *seq, char **notifier)
{
	char	*end;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	*seq = strtoull(s, &end, 10);
	if (errno != 0 || *end != ' ' || end[1] == '\0')
		return (-1);
	*notifier = end + 1;
	return (0);
}

void
notifylog_parse(char *text, size_t len, const char *name, int loud,
    struct notifylog_entry **out, size_t *nout)
{
	struct notifylog_entry	*e = NULL;
	struct hmap		*idx = hmap_new();
	char			*line, *nl, *body, *notifier, *tab = NULL, *end;
	char			 key[320];
	size_t			 n = 0, i, j, off, blen;
	uintptr_t		 at;
	unsigned long		 crc, want;
	uint64_t		 seq;

	for (line = text; line < text + len; line = nl + 1) {
		off = (size_t)(line - text);
		if ((nl = memchr(line, '\n', len - off)) == NULL) {
			if (loud)
				log_warnx("notify: %s: torn last record at "
				    "offset %zu (%zu bytes) ignored", name, off,
				    len - off);
			break;
		}
		*nl = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		if (nl - line < 11 || line[8] != ' ') {
			if (loud)
				log_warnx("notify: %s: offset %zu: not a "
				    "journal record; skipped", name, off);
			continue;
		}
		errno = 0;
		want = strtoul(line, &end, 16);
		body = line + 9;
		blen = (size_t)(nl - body);
		crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)body,
		    (uInt)blen);
		if (errno != 0 || end != line + 8 || crc != want) {
			if (loud)
				log_warnx("notify: %s: offset %zu: checksum "
				    "mismatch; record skipped", name, off);
			continue;
		}
		if ((body[0] != 'N' && body[0] != 'D') || body[1] != ' ' ||
		    (body[0] == 'N' && (tab = strchr(body, '\t')) == NULL)) {
			if (loud)
				log_warnx("notify: %s: offset %zu: unknown "
				    "record; skipped", name, off);
			continue;
		}
		if (body[0] == 'N')
			*tab = '\0';
		if (notifylog_key(body + 2, &seq, &notifier) == -1 ||
		    strlen(notifier) > 256) {
			if (loud)
				log_warnx("notify: %s: offset %zu: bad record "
				    "key; skipped", name, off);
			continue;
		}
		snprintf(key, sizeof(key), "%" PRIu64 " %s", seq, notifier);
		if (body[0] == 'D') {
			if ((at = (uintptr_t)hmap_del(idx, key)) != 0) {
				free(e[at - 1].notifier);
				e[at - 1].notifier = NULL;
			}
			continue;
		}
		if (hmap_get(idx, key) != NULL)
			continue;	/* written twice: once is enough */
		e = xreallocarray(e, n + 1, sizeof(*e));
		e[n].seq = seq;
		e[n].notifier = xstrdup(notifier);
		e[n].notice = xstrdup(tab + 1);
		n++;
		hmap_put(idx, key, (void *)(uintptr_t)n);
	}
	hmap_free(idx, NULL);
	for (i = j = 0; i < n; i++) {
		if (e[i].notifier == NULL) {
			free(e[i].notice);
			continue;
		}
		e[j++] = e[i];
	}
	*out = e;
	*nout = j;
}

/* With the lock held. */
static int
notifylog_read_locked(int loud, struct notifylog_entry **e, size_t *n)
{
	char	*text;

	*e = NULL;
	*n = 0;
	if (notifylog_path == NULL) {
		errno = ENOENT;
		return (-1);
	}
	if ((text = alertdb_read(notifylog_path, NOTIFYLOG_MAX)) == NULL)
		return (-1);
	notifylog_parse(text, strlen(text), notifylog_path, loud, e, n);
	free(text);
	return (0);
}

int
notifylog_read(int loud, struct notifylog_entry **e, size_t *n)
{
	int	 rv;

	pthread_mutex_lock(&notifylog_lock);
	rv = notifylog_read_locked(loud, e, n);
	pthread_mutex_unlock(&notifylog_lock);
	return (rv);
}

int
notifylog_compact(char *err, size_t errlen)
{
	struct notifylog_entry	*e;
	struct evbuffer		*b;
	size_t			 n, i;
	char			 ebuf[128];
	int			 rv;

	pthread_mutex_lock(&notifylog_lock);
	if (notifylog_read_locked(0, &e, &n) == -1) {
		rv = errno == ENOENT ? 0 : -1;
		if (rv == -1)
			snprintf(err, errlen, "read %s: %s", notifylog_path,
			    strerror_r(errno, ebuf, sizeof(ebuf)));
		pthread_mutex_unlock(&notifylog_lock);
		return (rv);
	}
	if ((b = evbuffer_new()) == NULL)
		fatalx("%s: out of memory", __func__);
	for (i = 0; i < n; i++)
		notifylog_fmt_add(b, e[i].seq, e[i].notifier, e[i].notice);
	rv = notifylog_replace_locked((const char *)evbuffer_pullup(b, -1),
	    evbuffer_get_length(b), err, errlen);
	pthread_mutex_unlock(&notifylog_lock);
	evbuffer_free(b);
	notifylog_entries_free(e, n);
	return (rv);
}
