/*
 * alertdb.c - the alert engine's files: whole-file replacement that a
 * crash cannot half-do, fsynced appends, and the text of state and event
 * lines.  Thread-safe (no static state; errno text from strerror_r).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertdb.h"
#include "alertrule.h"
#include "numfmt.h"
#include "util.h"
#include "xmalloc.h"

/* "what path: why" into err, from errno. */
static int
alertdb_fail(char *err, size_t len, const char *what, const char *path)
{
	char	 ebuf[128];
	int	 saved = errno;

	snprintf(err, len, "%s %s: %s", what, path, strerror_r(saved, ebuf,
	    sizeof(ebuf)));
	errno = saved;
	return (-1);
}

static int
alertdb_write_all(int fd, const char *data, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, data, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		data += n;
		len -= n;
	}
	return (0);
}

/* fsync the directory holding path, so a rename in it is durable. */
static int
alertdb_sync_dir(const char *path)
{
	char	 dir[PATH_MAX], *slash;
	int	 fd, rv;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return (-1);
	rv = fsync(fd);
	close(fd);
	return (rv);
}

int
alertdb_replace(const char *path, const char *data, size_t len, char *err,
    size_t errlen)
{
	char	 tmp[PATH_MAX];
	int	 fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (alertdb_fail(err, errlen, "write", path));
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return (alertdb_fail(err, errlen, "create", tmp));
	if (alertdb_write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		alertdb_fail(err, errlen, "write", tmp);
		close(fd);
		unlink(tmp);
		return (-1);
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		alertdb_fail(err, errlen, "rename to", path);
		unlink(tmp);
		return (-1);
	}
	if (alertdb_sync_dir(path) == -1)
		return (alertdb_fail(err, errlen, "fsync the directory of",
		    path));
	return (0);
}

int
alertdb_append(const char *path, const char *data, size_t len, char *err,
    size_t errlen)
{
	int	 fd, created;
	struct stat sb;

	created = stat(path, &sb) == -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) == -1)
		return (alertdb_fail(err, errlen, "open", path));
	if (alertdb_write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		alertdb_fail(err, errlen, "append to", path);
		close(fd);
		return (-1);
	}
	if (close(fd) == -1)
		return (alertdb_fail(err, errlen, "close", path));
	if (created && alertdb_sync_dir(path) == -1)
		return (alertdb_fail(err, errlen, "fsync the directory of",
		    path));
	return (0);
}

char *
alertdb_read(const char *path, size_t max)
{
	struct stat	 sb;
	char		*buf;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return (NULL);
	}
	if ((size_t)sb.st_size > max) {
		close(fd);
		errno = EFBIG;
		return (NULL);
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size) {
		if ((n = read(fd, buf + got, sb.st_size - got)) == -1 &&
		    errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return (buf);
}

/* Message text safe on one line: control bytes become spaces. */
static void
alertdb_clean(char *dst, size_t len, const char *src)
{
	size_t	 i;

	snprintf(dst, len, "%s", src);
	for (i = 0; dst[i] != '\0'; i++) {
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = ' ';
	}
}

void
alertdb_state_fmt(char *buf, size_t len, const char *rule,
    const char *metric, const struct alert_state *st)
{
	char	 num[32], msg[ALERT_MSG_MAX];

	numfmt_double(num, sizeof(num), st->value);
	alertdb_clean(msg, sizeof(msg), st->msg);
	snprintf(buf, len, "%s %s %s %lld %lld %lld %d %d %s %s\n", rule,
	    metric, alertrule_level_name(st->level), (long long)st->since,
	    (long long)st->evaluated, (long long)st->notified,
	    st->count[ALERT_WARNING], st->count[ALERT_CRITICAL], num, msg);
}

/* The next space-separated word of *s (cut in place), or NULL. */
static char *
alertdb_word(char **s)
{
	char	*w = *s, *e;

	if (w == NULL || *w == '\0')
		return (NULL);
	if ((e = strchr(w, ' ')) != NULL) {
		*e = '\0';
		*s = e + 1;
	} else
		*s = w + strlen(w);
	return (w);
}

static int
alertdb_level(const char *s)
{
	int	 l;

	for (l = 0; l < ALERT_NLEVELS; l++) {
		if (strcmp(s, alertrule_level_name(l)) == 0)
			return (l);
	}
	return (-1);
}

/* A decimal number that fills the word, within [lo, hi]. */
static int
alertdb_num(const char *w, long long lo, long long hi, long long *out)
{
	char	*end;

	if (w == NULL || *w == '\0')
		return (-1);
	errno = 0;
	*out = strtoll(w, &end, 10);
	return (*end != '\0' || errno != 0 || *out < lo || *out > hi ? -1 : 0);
}

int
alertdb_state_parse(char *line, char **rule, char **metric,
    struct alert_state *st)
{
	char		*s = line, *w[9];
	long long	 n[5];
	int		 i;

	for (i = 0; i < 9; i++) {
		if ((w[i] = alertdb_word(&s)) == NULL)
			return (-1);
	}
	memset(st, 0, sizeof(*st));
	if ((st->level = alertdb_level(w[2])) == -1 ||
	    alertdb_num(w[3], 0, LLONG_MAX, &n[0]) == -1 ||
	    alertdb_num(w[4], 0, LLONG_MAX, &n[1]) == -1 ||
	    alertdb_num(w[5], 0, LLONG_MAX, &n[2]) == -1 ||
	    alertdb_num(w[6], 0, INT_MAX, &n[3]) == -1 ||
	    alertdb_num(w[7], 0, INT_MAX, &n[4]) == -1)
		return (-1);
	st->since = (time_t)n[0];
	st->evaluated = (time_t)n[1];
	st->notified = (time_t)n[2];
	st->count[ALERT_WARNING] = (int)n[3];
	st->count[ALERT_CRITICAL] = (int)n[4];
	if (strcmp(w[8], "U") == 0)
		st->value = NAN;
	else if (util_number(w[8], &st->value, NULL) == -1)
		return (-1);
	snprintf(st->msg, sizeof(st->msg), "%s", s);
	*rule = w[0];
	*metric = w[1];
	return (0);
}

void
alertdb_event_fmt(char *buf, size_t len, time_t t, const char *rule,
    const char *metric, int from, int to, double value, const char *msg)
{
	char	 num[32], clean[ALERT_MSG_MAX];

	numfmt_double(num, sizeof(num), value);
	alertdb_clean(clean, sizeof(clean), msg);
	snprintf(buf, len, "%lld %s %s %s %s %s %s", (long long)t, rule,
	    metric, alertrule_level_name(from), alertrule_level_name(to), num,
	    clean);
}

int
alertdb_event_rule(const char *line, char *buf, size_t len)
{
	const char	*a, *b;

	if ((a = strchr(line, ' ')) == NULL)
		return (-1);
	a++;
	if ((b = strchr(a, ' ')) == NULL || (size_t)(b - a) >= len)
		return (-1);
	memcpy(buf, a, b - a);
	buf[b - a] = '\0';
	return (0);
}
