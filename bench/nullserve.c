/*
 * nullserve.c - the ceiling of any FETCH server on this machine: a unix
 * socket server that answers every request line with one answer it asked
 * tallyd for once, byte for byte, doing nothing else.
 *
 *	nullserve -U SOCK -t TALLYD_SOCK -r 'FETCH bench.s0.v A B AVERAGE 1'
 *
 * Asks TALLYD_SOCK the request, keeps its status line and rows, then
 * listens on SOCK: a greeting line, then the kept answer for each line a
 * client sends, in order.  One thread, epoll, non-blocking writes: what
 * is left is the kernel's part of a request (wake-ups, socket copies,
 * scheduling) and the client's, which bench/query.sh then compares with
 * tallyd's rate on the same files and with librrd alone.
 */
#define _GNU_SOURCE	/* accept4 */

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchlib.h"


struct ns_conn {
	int	 fd;
	char	 in[4096];
	size_t	 inlen;
	char	*out;		/* answers not yet written */
	size_t	 outlen, outcap, outoff;
};

static char	*ns_answer;
static size_t	 ns_answerlen;

/* A listening unix socket at path. */
static int
ns_listen(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		errx(1, "%s: path too long", path);
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		err(1, "socket");
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 128) == -1)
		err(1, "listen %s", path);
	return (fd);
}

/* One line of fp into the answer; its length. */
static size_t
ns_keep_line(FILE *fp)
{
	char	*line = NULL;
	size_t	 cap = 0;
	ssize_t	 n;

	if ((n = getline(&line, &cap, fp)) <= 0 || line[n - 1] != '\n')
		errx(1, "tallyd closed mid-answer");
	if ((ns_answer = realloc(ns_answer, ns_answerlen + n)) == NULL)
		err(1, "realloc");
	memcpy(ns_answer + ns_answerlen, line, n);
	ns_answerlen += n;
	free(line);
	return ((size_t)n);
}

/* The answer tallyd gives to req: "OK n" and n lines. */
static void
ns_capture(const char *sock, const char *req)
{
	FILE	*fp;
	long	 n;
	int	 fd = bench_connect(sock);

	if ((fp = fdopen(fd, "r+")) == NULL)
		err(1, "fdopen");
	ns_keep_line(fp);		/* the greeting, dropped below */
	ns_answerlen = 0;
	fprintf(fp, "%s\n", req);
	fflush(fp);
	ns_keep_line(fp);
	if (sscanf(ns_answer, "OK %ld", &n) != 1)
		errx(1, "%s: %.*s", req, (int)ns_answerlen, ns_answer);
	while (n-- > 0)
		ns_keep_line(fp);
	fclose(fp);
}

/* Writes what c holds; 0, or -1 when the client is gone. */
static int
ns_flush(struct ns_conn *c)
{
	ssize_t	 w;

	while (c->outoff < c->outlen) {
		w = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (w == -1 && errno == EAGAIN)
			return (0);
		if (w <= 0)
			return (-1);
		c->outoff += (size_t)w;
	}
	c->outoff = c->outlen = 0;
	return (0);
}

static void
ns_queue(struct ns_conn *c, const char *p, size_t n)
{
	if (c->outlen + n > c->outcap) {
		c->outcap = (c->outlen + n) * 2;
		if ((c->out = realloc(c->out, c->outcap)) == NULL)
			err(1, "realloc");
	}
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
}

/*
 * Reads c's requests once and queues an answer to each: 1 if it read, 0
 * when nothing was there, -1 when the client is gone.
 */
static int
ns_read(struct ns_conn *c)
{
	ssize_t	 r;
	char	*p, *nl;

	if ((r = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen)) <= 0)
		return (r == -1 && errno == EAGAIN ? 0 : -1);
	c->inlen += (size_t)r;
	p = c->in;
	while ((nl = memchr(p, '\n', c->inlen - (size_t)(p - c->in))) !=
	    NULL) {
		ns_queue(c, ns_answer, ns_answerlen);
		p = nl + 1;
	}
	c->inlen -= (size_t)(p - c->in);
	memmove(c->in, p, c->inlen);
	if (c->inlen == sizeof(c->in))
		return (-1);		/* a line longer than any request */
	return (ns_flush(c) == 0 ? 1 : -1);
}

int
main(int argc, char **argv)
{
	static const char	 greet[] = "OK nullserve\n";
	struct epoll_event	 ev, evs[64];
	struct ns_conn		*c;
	const char		*sock = NULL, *tsock = NULL, *req = NULL;
	int			 ch, lfd, ep, n, i, fd;

	while ((ch = getopt(argc, argv, "U:t:r:")) != -1) {
		switch (ch) {
		case 'U': sock = optarg; break;
		case 't': tsock = optarg; break;
		case 'r': req = optarg; break;
		default: goto usage;
		}
	}
	if (sock == NULL || tsock == NULL || req == NULL)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	ns_capture(tsock, req);
	lfd = ns_listen(sock);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1)
		err(1, "epoll_ctl");
	printf("answer %zu bytes\n", ns_answerlen);
	fflush(stdout);
	for (;;) {
		if ((n = epoll_wait(ep, evs, 64, -1)) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "epoll_wait");
		}
		for (i = 0; i < n; i++) {
			if ((c = evs[i].data.ptr) == NULL) {
				if ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
					continue;
				if ((c = calloc(1, sizeof(*c))) == NULL)
					err(1, "calloc");
				c->fd = fd;
				ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
				ev.data.ptr = c;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1)
					err(1, "epoll_ctl");
				ns_queue(c, greet, sizeof(greet) - 1);
				if (ns_flush(c) == 0)
					continue;
			} else {
				int rc = 0;

				if (evs[i].events & EPOLLOUT)
					rc = ns_flush(c);
				/* Edge-triggered: read until it would block. */
				if (rc == 0 && (evs[i].events & EPOLLIN))
					while ((rc = ns_read(c)) == 1)
						;
				if (rc == 0 && !(evs[i].events & (EPOLLHUP |
				    EPOLLERR)))
					continue;
			}
			close(c->fd);
			free(c->out);
			free(c);
		}
	}
usage:
	fprintf(stderr, "usage: nullserve -U sock -t tallyd_sock -r request\n");
	return (2);
}
