/*
 * rrdcached.c - a minimal client of rrdcached's text protocol.
 *
 * The protocol (rrdcached(1), "PROTOCOL"): one command per line; the reply
 * starts with "<status> <message>", a negative status is an error, a
 * positive one counts the lines that follow.  Inside BATCH ... "." nothing
 * is answered until the dot; then "<n> errors" and n lines "<cmd> <message>"
 * (a message may spill onto a line of its own, without a number).
 *
 * A command is written whole, then its reply read, each step bounded by
 * RRDCACHED_TIMEOUT of silence.  rrdcached reads while it runs a batch and
 * answers only at the end, so writing a large batch before reading cannot
 * dead-lock.  A failed exchange is never tried again here on a new
 * connection: a new connection may reach a new rrdcached that lost what
 * the old one held unwritten, and the caller must send that again before
 * anything newer (rrdcached_generation tells it the connection is new).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "rrdcached.h"
#include "xmalloc.h"

#define RRDCACHED_PORT		"42217"
#define RRDCACHED_TIMEOUT	60000	/* ms of silence before giving up */
#define RRDCACHED_BACKOFF_MIN	500	/* ms after the first failed connect */
#define RRDCACHED_BACKOFF_MAX	30000
#define RRDCACHED_RBUF		8192

struct rrdcached {
	char		*address;
	char		*path;		/* unix socket, or NULL */
	char		*host;
	char		*port;

	int		 fd;
	unsigned long	 generation;	/* connections made */
	char		 sock_id[RRDCACHED_ID_LEN];	/* at the last */
	int		 restarted;	/* connection: a new socket file */
	msec_t		 next_try;
	msec_t		 backoff;

	char		*out;		/* the command or batch to send */
	size_t		 outlen;
	size_t		 outsize;
	unsigned long	 ncmd;

	char		 rbuf[RRDCACHED_RBUF];
	size_t		 rpos;
	size_t		 rlen;
};

/* What to do with the reply of an exchange. */
struct rrdcached_reply {
	rrdcached_error_cb	 cb;
	void			*arg;
	char			*err;
	size_t			 errlen;
};

static void	rrdcached_close(struct rrdcached *);

/* Puts "what: strerror(e)" into err; strerror_r as this runs in a thread. */
static void
rrdcached_errno(char *err, size_t errlen, const char *what, int e)
{
	char	 buf[128];

	snprintf(err, errlen, "%s%s%s", what, *what != '\0' ? ": " : "",
	    strerror_r(e, buf, sizeof(buf)));
}

/* Splits "host:port", "[addr]:port" or "host"; 0, or -1 if malformed. */
static int
rrdcached_parse_inet(struct rrdcached *rc, const char *a)
{
	const char	*p, *port = RRDCACHED_PORT;
	size_t		 len;

	if (*a == '[') {
		if ((p = strchr(a, ']')) == NULL || p == a + 1)
			return (-1);
		if (p[1] == ':')
			port = p + 2;
		else if (p[1] != '\0')
			return (-1);
		a++;
		len = p - a;
	} else if ((p = strrchr(a, ':')) != NULL) {
		if (strchr(a, ':') != p)
			return (-1);	/* a bare IPv6 address needs [] */
		port = p + 1;
		len = p - a;
	} else
		len = strlen(a);
	if (len == 0 || *port == '\0')
		return (-1);
	rc->host = xstrndup(a, len);
	rc->port = xstrdup(port);
	return (0);
}

struct rrdcached *
rrdcached_new(const char *address)
{
	struct rrdcached	*rc;
	int			 bad = 0;

	rc = xcalloc(1, sizeof(*rc));
	rc->fd = -1;
	rc->address = xstrdup(address);
	if (strncmp(address, "unix:", 5) == 0)
		rc->path = xstrdup(address + 5);
	else if (*address == '/')
		rc->path = xstrdup(address);
	else
		bad = rrdcached_parse_inet(rc, address);
	if (bad || (rc->path != NULL &&
	    strlen(rc->path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) ||
	    (rc->path != NULL && *rc->path != '/')) {
		rrdcached_free(rc);
		return (NULL);
	}
	return (rc);
}

void
rrdcached_free(struct rrdcached *rc)
{
	if (rc == NULL)
		return;
	rrdcached_close(rc);
	free(rc->address);
	free(rc->path);
	free(rc->host);
	free(rc->port);
	free(rc->out);
	free(rc);
}

const char *
rrdcached_address(const struct rrdcached *rc)
{
	return (rc->address);
}

static void
rrdcached_close(struct rrdcached *rc)
{
	if (rc->fd != -1)
		close(rc->fd);
	rc->fd = -1;
	rc->rpos = rc->rlen = 0;
}

/* Waits until fd is ready for events; 0, or -1 with errno (ETIMEDOUT). */
static int
rrdcached_wait(int fd, short events)
{
	struct pollfd	 pfd;
	int		 n;

	pfd.fd = fd;
	pfd.events = events;
	do
		n = poll(&pfd, 1, RRDCACHED_TIMEOUT);
	while (n == -1 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return (n == 1 ? 0 : -1);
}

/* A non-blocking connect bounded by the timeout; 0, or -1 with errno. */
static int
rrdcached_connect_fd(int fd, const struct sockaddr *sa, socklen_t len)
{
	int		 soerr;
	socklen_t	 sl = sizeof(soerr);

	if (connect(fd, sa, len) == 0)
		return (0);
	if (errno != EINPROGRESS)
		return (-1);
	if (rrdcached_wait(fd, POLLOUT) == -1)
		return (-1);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
		return (-1);
	if (soerr != 0) {
		errno = soerr;
		return (-1);
	}
	return (0);
}

/* Connects to the unix socket; fd, or -1 with errno. */
static int
rrdcached_open_unix(struct rrdcached *rc)
{
	struct sockaddr_un	 sun;
	int			 fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, rc->path, sizeof(sun.sun_path) - 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	if (rrdcached_connect_fd(fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

/* Tries each address of host:port in turn; fd, or -1 with a cause. */
static int
rrdcached_open_inet(struct rrdcached *rc, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	int		 fd = -1, e, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(rc->host, rc->port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s", gai_strerror(e));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		if (rrdcached_connect_fd(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	freeaddrinfo(res);
	if (fd == -1)
		rrdcached_errno(err, errlen, "", errno);
	else
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	return (fd);
}

/* Opens the connection unless open or backing off after a failure. */
int
rrdcached_connect(struct rrdcached *rc, char *err, size_t errlen)
{
	char		 id[RRDCACHED_ID_LEN];
	msec_t		 now;

	if (rc->fd != -1)
		return (0);
	now = clock_mono();
	if (now < rc->next_try) {
		snprintf(err, errlen, "not connected, next try in %lld ms",
		    (long long)(rc->next_try - now));
		return (-1);
	}
	if (rc->path != NULL) {
		if ((rc->fd = rrdcached_open_unix(rc)) == -1)
			rrdcached_errno(err, errlen, "", errno);
	} else
		rc->fd = rrdcached_open_inet(rc, err, errlen);
	if (rc->fd == -1) {
		if (rc->backoff == 0)
			rc->backoff = RRDCACHED_BACKOFF_MIN;
		else if ((rc->backoff *= 2) > RRDCACHED_BACKOFF_MAX)
			rc->backoff = RRDCACHED_BACKOFF_MAX;
		rc->next_try = now + rc->backoff;
		return (-1);
	}
	rc->backoff = 0;
	rc->rpos = rc->rlen = 0;
	rc->generation++;
	/*
	 * A new rrdcached binds a new socket file: that tells a restart from
	 * a connection that only broke (the old one may live on, with values
	 * still to write).
	 */
	rc->restarted = 0;
	if (rrdcached_socket_id(rc->address, id, sizeof(id)) == 0) {
		rc->restarted = rc->generation > 1 &&
		    strcmp(id, rc->sock_id) != 0;
		memcpy(rc->sock_id, id, sizeof(id));
	} else
		rc->sock_id[0] = '\0';
	return (0);
}

int
rrdcached_restarted(const struct rrdcached *rc)
{
	return (rc->restarted);
}

const char *
rrdcached_id(const struct rrdcached *rc)
{
	return (rc->sock_id);
}

/*
 * The unix socket file's device, inode and change time (an inode number
 * is soon reused, a ctime to the nanosecond is not); -1 for TCP or when
 * there is no socket file.
 */
int
rrdcached_socket_id(const char *address, char *buf, size_t len)
{
	struct stat	 sb;
	const char	*path;

	if (strncmp(address, "unix:", 5) == 0)
		path = address + 5;
	else if (address[0] == '/')
		path = address;
	else
		return (-1);
	if (stat(path, &sb) == -1)
		return (-1);
	snprintf(buf, len, "%llu %llu %lld.%09ld", (unsigned long long)sb.st_dev,
	    (unsigned long long)sb.st_ino, (long long)sb.st_ctim.tv_sec,
	    sb.st_ctim.tv_nsec);
	return (0);
}

unsigned long
rrdcached_generation(const struct rrdcached *rc)
{
	return (rc->generation);
}

/* Writes rc->out whole, waiting while the socket is full. */
static int
rrdcached_write(struct rrdcached *rc, char *err, size_t errlen)
{
	size_t	 off = 0;
	ssize_t	 n;

	while (off < rc->outlen) {
		n = send(rc->fd, rc->out + off, rc->outlen - off,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN &&
		    rrdcached_wait(rc->fd, POLLOUT) == 0)
			continue;
		if (n == -1) {
			rrdcached_errno(err, errlen, "write", errno);
			return (-1);
		}
		off += n;
	}
	return (0);
}

/* Reads one reply line into *line (valid until the next read); 0 or -1. */
static int
rrdcached_read_line(struct rrdcached *rc, char **line, char *err,
    size_t errlen)
{
	char	*nl;
	ssize_t	 n;

	for (;;) {
		nl = memchr(rc->rbuf + rc->rpos, '\n', rc->rlen - rc->rpos);
		if (nl != NULL) {
			*nl = '\0';
			if (nl > rc->rbuf + rc->rpos && nl[-1] == '\r')
				nl[-1] = '\0';
			*line = rc->rbuf + rc->rpos;
			rc->rpos = nl - rc->rbuf + 1;
			return (0);
		}
		memmove(rc->rbuf, rc->rbuf + rc->rpos, rc->rlen - rc->rpos);
		rc->rlen -= rc->rpos;
		rc->rpos = 0;
		if (rc->rlen == sizeof(rc->rbuf)) {
			snprintf(err, errlen, "reply line too long");
			return (-1);
		}
		n = recv(rc->fd, rc->rbuf + rc->rlen,
		    sizeof(rc->rbuf) - rc->rlen, 0);
		if (n > 0)
			rc->rlen += n;
		else if (n == 0) {
			snprintf(err, errlen, "connection closed by rrdcached");
			return (-1);
		} else if (errno == EAGAIN) {
			if (rrdcached_wait(rc->fd, POLLIN) == -1) {
				rrdcached_errno(err, errlen, "read", errno);
				return (-1);
			}
		} else if (errno != EINTR) {
			rrdcached_errno(err, errlen, "read", errno);
			return (-1);
		}
	}
}

/* Reads a status line: 0 with *status and *msg set, or -1. */
static int
rrdcached_read_status(struct rrdcached *rc, long *status, char **msg,
    char *err, size_t errlen)
{
	char	*line, *end;

	if (rrdcached_read_line(rc, &line, err, errlen) == -1)
		return (-1);
	errno = 0;
	*status = strtol(line, &end, 10);
	if (end == line || errno != 0) {
		snprintf(err, errlen, "unexpected reply \"%.64s\"", line);
		return (-1);
	}
	while (*end == ' ')
		end++;
	*msg = end;
	return (0);
}

/*
 * Writes rc->out and reads the reply with fn.  Returns what fn returns, or
 * -2 if the connection failed (then closed: the next connect is new).
 */
static int
rrdcached_exchange(struct rrdcached *rc,
    int (*fn)(struct rrdcached *, struct rrdcached_reply *),
    struct rrdcached_reply *r)
{
	int	 ret;

	if (rrdcached_connect(rc, r->err, r->errlen) == -1)
		return (-2);
	if (rrdcached_write(rc, r->err, r->errlen) == 0 &&
	    (ret = fn(rc, r)) != -2)
		return (ret);
	rrdcached_close(rc);
	return (-2);
}

/* Reads a status line and the lines it announces. */
static int
rrdcached_command_reply(struct rrdcached *rc, struct rrdcached_reply *r)
{
	char	*msg, *line;
	long	 status, i;

	if (rrdcached_read_status(rc, &status, &msg, r->err, r->errlen) == -1)
		return (-2);
	if (status < 0) {
		snprintf(r->err, r->errlen, "%s", msg);
		return (-1);
	}
	for (i = 0; i < status; i++) {
		if (rrdcached_read_line(rc, &line, r->err, r->errlen) == -1)
			return (-2);
		if (r->cb != NULL)
			r->cb(r->arg, 0, line);
	}
	return (status > INT32_MAX ? INT32_MAX : (int)status);
}

/* Makes room for len more bytes in the output buffer. */
static void
rrdcached_reserve(struct rrdcached *rc, size_t len)
{
	size_t	 size;

	if (rc->outsize - rc->outlen >= len)
		return;
	size = rc->outsize == 0 ? 65536 : rc->outsize;
	while (size - rc->outlen < len)
		size *= 2;
	rc->out = xreallocarray(rc->out, 1, size);
	rc->outsize = size;
}

static void
rrdcached_append(struct rrdcached *rc, const char *s)
{
	size_t	 len = strlen(s);

	rrdcached_reserve(rc, len);
	memcpy(rc->out + rc->outlen, s, len);
	rc->outlen += len;
}

int
rrdcached_command(struct rrdcached *rc, const char *line,
    rrdcached_error_cb cb, void *arg, char *err, size_t errlen)
{
	struct rrdcached_reply	 r = { cb, arg, err, errlen };

	rc->outlen = 0;
	rrdcached_append(rc, line);
	rrdcached_append(rc, "\n");
	return (rrdcached_exchange(rc, rrdcached_command_reply, &r));
}

void
rrdcached_batch_begin(struct rrdcached *rc)
{
	rc->outlen = 0;
	rc->ncmd = 0;
	rrdcached_append(rc, "BATCH\n");
}

unsigned long
rrdcached_batch_add(struct rrdcached *rc, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	rrdcached_reserve(rc, RRDCACHED_LINE_MAX);
	va_start(ap, fmt);
	n = vsnprintf(rc->out + rc->outlen, RRDCACHED_LINE_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= RRDCACHED_LINE_MAX - 1)
		return (0);
	rc->out[rc->outlen + n] = '\n';
	rc->outlen += n + 1;
	return (++rc->ncmd);
}

/* Reads the answer to BATCH and, after the dot, the error lines. */
static int
rrdcached_batch_reply(struct rrdcached *rc, struct rrdcached_reply *r)
{
	char		*msg, *line, *end;
	long		 status, i;
	unsigned long	 cmd = 0, n;

	if (rrdcached_read_status(rc, &status, &msg, r->err, r->errlen) == -1)
		return (-2);
	if (status < 0) {
		snprintf(r->err, r->errlen, "BATCH refused: %s", msg);
		return (-2);
	}
	if (rrdcached_read_status(rc, &status, &msg, r->err, r->errlen) == -1)
		return (-2);
	for (i = 0; i < status; i++) {
		if (rrdcached_read_line(rc, &line, r->err, r->errlen) == -1)
			return (-2);
		n = strtoul(line, &end, 10);
		if (end != line && *end == ' ') {
			cmd = n;
			line = end + 1;
		}
		if (r->cb != NULL && cmd != 0)
			r->cb(r->arg, cmd, line);
	}
	return (status > INT32_MAX ? INT32_MAX : (int)status);
}

int
rrdcached_batch_end(struct rrdcached *rc, rrdcached_error_cb cb, void *arg,
    char *err, size_t errlen)
{
	struct rrdcached_reply	 r = { cb, arg, err, errlen };
	int			 ret;

	rrdcached_append(rc, ".\n");
	ret = rrdcached_exchange(rc, rrdcached_batch_reply, &r);
	return (ret < 0 ? -1 : ret);
}

char *
rrdcached_quote(const char *s)
{
	char	*q, *p;

	p = q = xmalloc(2 * strlen(s) + 1);
	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\\')
			*p++ = '\\';
		*p++ = *s;
	}
	*p = '\0';
	return (q);
}
