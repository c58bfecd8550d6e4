/*
 * conn.c - a blocking-style client connection built on poll: the socket is
 * non-blocking and every wait is a poll bounded by the deadline, so a
 * silent or trickling server costs at most the timeout.  Responses are read
 * strictly: a status line, then exactly the lines or bytes it announces,
 * each bounded before anything is allocated.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL	0	/* SO_NOSIGPIPE instead, see conn_new */
#endif

#define CONN_BUF_SIZE	(CONN_LINE_MAX + 2)	/* a line, "\r" and "\n" */

struct conn {
	int		 fd;
	int		 timeout_ms;	/* < 0: none */
	int64_t		 deadline;	/* monotonic ms */
	char		*buf;		/* CONN_BUF_SIZE bytes */
	size_t		 off;		/* unread bytes start here */
	size_t		 len;		/* and this many are buffered */
	char		 err[CONN_ERR_MAX];
};

static void	conn_fail(struct conn *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int64_t
conn_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
conn_fail(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
}

static void
conn_restart_deadline(struct conn *c)
{
	if (c->timeout_ms >= 0)
		c->deadline = conn_now() + c->timeout_ms;
}

/* Wait until fd is ready for events or the deadline passes: 0 or -1. */
static int
conn_wait(int fd, short events, int timeout_ms, int64_t deadline)
{
	struct pollfd	 pfd;
	int64_t		 left;
	int		 n;

	for (;;) {
		left = -1;
		if (timeout_ms >= 0) {
			if ((left = deadline - conn_now()) <= 0) {
				errno = ETIMEDOUT;
				return (-1);
			}
			if (left > INT_MAX)
				left = INT_MAX;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return (0);
		if (n == -1 && errno != EINTR)
			return (-1);
	}
}

struct conn *
conn_new(int fd, int timeout_ms)
{
	struct conn	*c;
	int		 flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return (NULL);
#if defined(SO_NOSIGPIPE)
	flags = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &flags, sizeof(flags));
#endif
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	if ((c->buf = malloc(CONN_BUF_SIZE)) == NULL) {
		free(c);
		return (NULL);
	}
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	conn_restart_deadline(c);
	return (c);
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	free(c->buf);
	free(c);
}

const char *
conn_error(const struct conn *c)
{
	return (c->err);
}

/* Wrap fd, or close it and explain why not. */
static struct conn *
conn_wrap(int fd, int timeout_ms, char *err, size_t errlen)
{
	struct conn	*c;

	if ((c = conn_new(fd, timeout_ms)) == NULL) {
		snprintf(err, errlen, "cannot set up the connection: %s",
		    strerror(errno));
		close(fd);
	}
	return (c);
}

struct conn *
conn_open_unix(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", path);
		return (NULL);
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return (NULL);
	}
	/* A unix connect cannot be polled; bound it where it can block. */
	if (timeout_ms > 0) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "cannot connect to %s: %s", path,
		    strerror(errno));
		close(fd);
		return (NULL);
	}
	return (conn_wrap(fd, timeout_ms, err, errlen));
}

/* Split "host:port" or "[host]:port" into its two halves. */
static int
conn_split_hostport(const char *hostport, char *host, size_t hostlen,
    const char **port)
{
	const char	*colon, *h = hostport;
	size_t		 n;

	if (*h == '[') {
		if ((colon = strchr(h, ']')) == NULL || colon[1] != ':')
			return (-1);
		h++;
		n = colon - h;
		colon++;
	} else {
		if ((colon = strchr(h, ':')) == NULL ||
		    strchr(colon + 1, ':') != NULL)
			return (-1);
		n = colon - h;
	}
	if (n == 0 || n >= hostlen || colon[1] == '\0')
		return (-1);
	memcpy(host, h, n);
	host[n] = '\0';
	*port = colon + 1;
	return (0);
}

/* Start a non-blocking connect to one address; wait for it to finish. */
static int
conn_connect_one(const struct addrinfo *ai, int timeout_ms, int64_t deadline)
{
	socklen_t	 len;
	int		 fd, flags, error;

	if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) ==
	    -1)
		return (-1);
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return (fd);
	if (errno != EINPROGRESS && errno != EINTR)
		goto fail;
	if (conn_wait(fd, POLLOUT, timeout_ms, deadline) == -1)
		goto fail;
	len = sizeof(error);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == -1)
		goto fail;
	if (error != 0) {
		errno = error;
		goto fail;
	}
	return (fd);
fail:
	error = errno;
	close(fd);
	errno = error;
	return (-1);
}

struct conn *
conn_open_tcp(const char *hostport, int timeout_ms, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	char		 host[256];
	const char	*port;
	int64_t		 deadline = conn_now() + timeout_ms;
	int		 fd = -1, error, saved = 0;

	if (conn_split_hostport(hostport, host, sizeof(host), &port) == -1) {
		snprintf(err, errlen, "%s: expected host:port", hostport);
		return (NULL);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((error = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", hostport, gai_strerror(error));
		return (NULL);
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		if ((fd = conn_connect_one(ai, timeout_ms, deadline)) == -1)
			saved = errno;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		snprintf(err, errlen, "cannot connect to %s: %s", hostport,
		    strerror(saved));
		return (NULL);
	}
	return (conn_wrap(fd, timeout_ms, err, errlen));
}

int
conn_send(struct conn *c, const char *line)
{
	size_t	 len = strlen(line), done = 0;
	ssize_t	 n;
	char	*msg;

	conn_restart_deadline(c);
	if ((msg = malloc(len + 1)) == NULL) {
		conn_fail(c, "out of memory");
		return (-1);
	}
	memcpy(msg, line, len);
	msg[len++] = '\n';
	while (done < len) {
		n = send(c->fd, msg + done, len - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN &&
		    conn_wait(c->fd, POLLOUT, c->timeout_ms, c->deadline) == 0)
			continue;
		if (errno == ETIMEDOUT)
			conn_fail(c, "timed out sending the request");
		else if (errno == EPIPE || errno == ECONNRESET)
			conn_fail(c, "connection closed by the server");
		else
			conn_fail(c, "send: %s", strerror(errno));
		free(msg);
		return (-1);
	}
	free(msg);
	return (0);
}

/* Read more bytes into the buffer (at least one) or fail. */
static int
conn_fill(struct conn *c)
{
	ssize_t	 n;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len);
		c->off = 0;
	}
	for (;;) {
		n = read(c->fd, c->buf + c->len, CONN_BUF_SIZE - c->len);
		if (n > 0) {
			c->len += n;
			return (0);
		}
		if (n == 0) {
			conn_fail(c, "connection closed by the server");
			return (-1);
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			conn_fail(c, "read: %s", strerror(errno));
			return (-1);
		}
		if (conn_wait(c->fd, POLLIN, c->timeout_ms, c->deadline) ==
		    -1) {
			if (errno == ETIMEDOUT && c->timeout_ms % 1000 == 0)
				conn_fail(c, "timed out after %d s waiting "
				    "for the server", c->timeout_ms / 1000);
			else if (errno == ETIMEDOUT)
				conn_fail(c, "timed out after %d ms waiting "
				    "for the server", c->timeout_ms);
			else
				conn_fail(c, "poll: %s", strerror(errno));
			return (-1);
		}
	}
}

/*
 * Read one line; *line points into the buffer (NUL-terminated, without
 * "\r\n") and stays valid until the next read.
 */
static int
conn_read_line(struct conn *c, char **line, size_t *linelen)
{
	char	*start, *nl;
	size_t	 n;

	for (;;) {
		start = c->buf + c->off;
		if ((nl = memchr(start, '\n', c->len)) != NULL)
			break;
		if (c->len == CONN_BUF_SIZE) {
			conn_fail(c, "malformed response: a line is longer "
			    "than %d bytes", CONN_LINE_MAX);
			return (-1);
		}
		if (conn_fill(c) == -1)
			return (-1);
	}
	n = nl - start;
	c->off += n + 1;
	c->len -= n + 1;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	start[n] = '\0';
	if (n > CONN_LINE_MAX) {
		conn_fail(c, "malformed response: a line is longer than %d "
		    "bytes", CONN_LINE_MAX);
		return (-1);
	}
	if (memchr(start, '\0', n) != NULL) {
		conn_fail(c, "malformed response: NUL byte in a line");
		return (-1);
	}
	*line = start;
	*linelen = n;
	return (0);
}

/* Read the n lines that follow an OK status line. */
static int
conn_read_lines(struct conn *c, struct resp *r)
{
	size_t	 i, cap = 0, total = 0, n;
	char	*line, **tmp;

	for (i = 0; i < r->count; i++) {
		if (conn_read_line(c, &line, &n) == -1)
			return (-1);
		if ((total += n + 1) > CONN_TEXT_MAX) {
			conn_fail(c, "malformed response: more than %d bytes "
			    "of lines", CONN_TEXT_MAX);
			return (-1);
		}
		if (i == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			if ((tmp = realloc(r->lines, cap * sizeof(*tmp))) ==
			    NULL)
				goto nomem;
			r->lines = tmp;
			memset(r->lines + i, 0, (cap - i) * sizeof(*tmp));
		}
		if ((r->lines[i] = strdup(line)) == NULL)
			goto nomem;
	}
	return (0);
nomem:
	conn_fail(c, "out of memory reading %zu lines", r->count);
	return (-1);
}

/* Read the n bytes that follow a DATA status line. */
static int
conn_read_data(struct conn *c, struct resp *r)
{
	char	 why[CONN_ERR_MAX];
	size_t	 done = 0, n;

	if ((r->data = malloc(r->count > 0 ? r->count : 1)) == NULL) {
		conn_fail(c, "out of memory for %zu bytes", r->count);
		return (-1);
	}
	while (done < r->count) {
		if (c->len == 0 && conn_fill(c) == -1) {
			memcpy(why, c->err, sizeof(why));
			conn_fail(c, "%s (%zu of %zu bytes of data read)", why,
			    done, r->count);
			return (-1);
		}
		n = r->count - done < c->len ? r->count - done : c->len;
		memcpy(r->data + done, c->buf + c->off, n);
		c->off += n;
		c->len -= n;
		done += n;
	}
	return (0);
}

int
conn_response(struct conn *c, struct resp *r)
{
	char	*line, *copy;
	size_t	 n;

	memset(r, 0, sizeof(*r));
	r->text = "";
	if (conn_read_line(c, &line, &n) == -1)
		return (-1);
	if ((copy = strdup(line)) == NULL) {
		conn_fail(c, "out of memory");
		return (-1);
	}
	if (resp_parse_status(copy, r, c->err, sizeof(c->err)) == -1)
		return (-1);
	if (r->type == RESP_OK)
		return (conn_read_lines(c, r));
	if (r->type == RESP_DATA)
		return (conn_read_data(c, r));
	return (0);
}

void
resp_free(struct resp *r)
{
	size_t	 i;

	if (r->lines != NULL) {
		for (i = 0; i < r->count && r->lines[i] != NULL; i++)
			free(r->lines[i]);
	}
	free(r->lines);
	free(r->data);
	free(r->status);
	memset(r, 0, sizeof(*r));
	r->text = "";
}

/* Parse the decimal count of a status line, at most max; end after it. */
static int
resp_parse_count(const char *s, size_t max, size_t *out, const char **end)
{
	size_t	 v = 0;

	if (*s < '0' || *s > '9')
		return (-1);
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (max - (*s - '0')) / 10)
			return (-1);
		v = v * 10 + (*s - '0');
	}
	*out = v;
	*end = s;
	return (0);
}

/* The ERR part of resp_parse_status: "code[ message]". */
static int
resp_parse_err(const char *p, struct resp *r)
{
	size_t	 n;

	n = strcspn(p, " ");
	if (n == 0 || n >= sizeof(r->code) ||
	    strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-") < n)
		return (-1);
	memcpy(r->code, p, n);
	r->code[n] = '\0';
	r->text = p[n] == ' ' ? p + n + 1 : p + n;
	return (0);
}

int
resp_parse_status(char *line, struct resp *r, char *err, size_t errlen)
{
	const char	*p;
	size_t		 max;

	r->status = line;
	r->text = "";
	if (strncmp(line, "ERR ", 4) == 0) {
		r->type = RESP_ERR;
		if (resp_parse_err(line + 4, r) == -1)
			goto bad;
		return (0);
	}
	if (strncmp(line, "OK ", 3) == 0) {
		r->type = RESP_OK;
		p = line + 3;
		max = CONN_TEXT_MAX;
	} else if (strncmp(line, "DATA ", 5) == 0) {
		r->type = RESP_DATA;
		p = line + 5;
		max = SIZE_MAX;
	} else
		goto bad;
	if (resp_parse_count(p, max, &r->count, &p) == -1 ||
	    (*p != '\0' && *p != ' '))
		goto bad;
	r->text = *p == ' ' ? p + 1 : p;
	if (r->type == RESP_DATA && *r->text == '\0')
		goto bad;
	if (r->type == RESP_DATA && r->count > CONN_DATA_MAX) {
		snprintf(err, errlen, "malformed response: %zu bytes of data, "
		    "more than the %d MiB limit", r->count,
		    CONN_DATA_MAX / (1024 * 1024));
		return (-1);
	}
	return (0);
bad:
	snprintf(err, errlen, "malformed response: bad status line \"%.80s\"",
	    line);
	return (-1);
}

int
resp_check_greeting(const struct resp *r, int *auth, char *err,
    size_t errlen)
{
	const char	*p = r->text, *version = NULL;
	size_t		 n;

	*auth = 0;
	while (*p != '\0') {
		n = strcspn(p, " ");
		if (n == 8 && strncmp(p, "protocol", 8) == 0 && p[n] == ' ')
			version = p + n + 1;
		else if (n == 13 && strncmp(p, "auth=required", 13) == 0)
			*auth = 1;
		p += n;
		p += strspn(p, " ");
	}
	if (r->type != RESP_OK || version == NULL) {
		snprintf(err, errlen, "not a tallyd greeting: \"%.80s\"",
		    r->status != NULL ? r->status : "");
		return (-1);
	}
	n = strcspn(version, " ");
	if (n != strlen(CONN_PROTOCOL) ||
	    strncmp(version, CONN_PROTOCOL, n) != 0) {
		snprintf(err, errlen, "the server speaks protocol %.*s, "
		    "tallyctl speaks %s", (int)(n > 20 ? 20 : n), version,
		    CONN_PROTOCOL);
		return (-1);
	}
	return (0);
}
