/*
 * putload.c - the ingest load of bench/ingest.sh: S series of U values
 * each, sent over C concurrent unix-socket connections, to tallyd (PUT) or
 * to collectd's unixsock plugin (PUTVAL).
 *
 *	putload -U SOCK [-p tallyd|collectd] -s S -u U -t T0 [-c C]
 *	    [-l LINEMAX] [-f]
 *
 * Series k (0 <= k < S) goes to connection k % C; its value i (0 <= i < U)
 * is at time T0 + i and is ((7k + i) % 4000) / 4, exact in binary and in
 * decimal, so that bench/rrdcheck.c can check every stored point.  A series
 * is one request line, or several when it would pass LINEMAX bytes (tallyd
 * takes 65536, collectd's unixsock 1024).  Every line is made before the
 * clock starts; then all connections are written and read at once
 * (pipelined, one poll loop) until every request is answered.  -f then
 * sends FLUSH (tallyd: all files; collectd: the rrdtool plugin) and waits
 * for its answer.  Prints "key value" lines: start, answered, flushed
 * (epoch seconds), requests, accepted, refused, errors.
 */

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchlib.h"

#define PL_TALLYD	0
#define PL_COLLECTD	1

struct pl_conn {
	int		 fd;
	char		*out;		/* all its requests */
	size_t		 outlen;
	size_t		 sent;
	size_t		 nreq;		/* requests in out */
	size_t		 nans;		/* answered so far */
	char		 in[65536];	/* a partial answer line */
	size_t		 inlen;
	long		 skip;		/* lines left to skip */
};

struct pl_opts {
	const char	*sock;
	int		 proto;
	long		 series;
	long		 values;
	long long	 t0;
	int		 conns;
	size_t		 linemax;
	int		 flush;
};

static unsigned long	pl_accepted, pl_refused, pl_errors;

/* Appends len bytes to c's request text. */
static void
pl_append(struct pl_conn *c, size_t *size, const char *p, size_t len)
{
	while (c->outlen + len + 1 > *size) {
		*size = *size == 0 ? 1 << 20 : *size * 2;
		if ((c->out = realloc(c->out, *size)) == NULL)
			err(1, "realloc");
	}
	memcpy(c->out + c->outlen, p, len);
	c->outlen += len;
}

/* The request lines of series k, appended to c. */
static void
pl_series(const struct pl_opts *o, struct pl_conn *c, size_t *size, long k)
{
	char	 head[128], val[64], line[65536];
	size_t	 len = 0, hlen, vlen;
	long	 i;

	if (o->proto == PL_TALLYD)
		hlen = snprintf(head, sizeof(head), "PUT bench.s%ld.v", k);
	else
		hlen = snprintf(head, sizeof(head),
		    "PUTVAL bench/b-s%ld/gauge-v interval=1", k);
	for (i = 0; i < o->values; i++) {
		vlen = snprintf(val, sizeof(val), " %lld:%g", o->t0 + i,
		    bench_value(k, i));
		if (len > 0 && len + vlen + 1 > o->linemax) {
			line[len++] = '\n';
			pl_append(c, size, line, len);
			c->nreq++;
			len = 0;
		}
		if (len == 0) {
			memcpy(line, head, hlen);
			len = hlen;
		}
		memcpy(line + len, val, vlen);
		len += vlen;
	}
	line[len++] = '\n';
	pl_append(c, size, line, len);
	c->nreq++;
}

/* One answer line: a status line, or a line that follows one. */
static void
pl_answer_line(const struct pl_opts *o, struct pl_conn *c, const char *l)
{
	unsigned long	 a, r;
	long		 n;

	if (c->skip > 0) {
		c->skip--;
		return;
	}
	c->nans++;
	if (o->proto == PL_COLLECTD) {
		if (strncmp(l, "0 ", 2) == 0 &&
		    sscanf(l, "0 Success: %lu", &a) == 1)
			pl_accepted += a;
		else
			pl_errors++;
		return;
	}
	if (sscanf(l, "OK %ld accepted=%lu refused=%lu", &n, &a, &r) == 3) {
		pl_accepted += a;
		pl_refused += r;
		c->skip = n;
	} else if (sscanf(l, "OK %ld", &n) == 1)
		c->skip = n;
	else
		pl_errors++;
	if (pl_errors + pl_refused > 0 && pl_errors + pl_refused < 4)
		fprintf(stderr, "putload: %s\n", l);
}

/* Reads what c has, splitting lines; -1 when the server closed. */
static int
pl_read(const struct pl_opts *o, struct pl_conn *c)
{
	ssize_t	 n;
	char	*nl, *p;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return (0);
	if (n <= 0)
		return (-1);
	c->inlen += n;
	c->in[c->inlen] = '\0';
	p = c->in;
	while ((nl = strchr(p, '\n')) != NULL) {
		*nl = '\0';
		pl_answer_line(o, c, p);
		p = nl + 1;
	}
	c->inlen -= p - c->in;
	memmove(c->in, p, c->inlen);
	if (c->inlen == sizeof(c->in) - 1)
		errx(1, "answer line too long");
	return (0);
}

/* Writes and reads every connection until all requests are answered. */
static void
pl_run(const struct pl_opts *o, struct pl_conn *c)
{
	struct pollfd	 pfd[64];
	ssize_t		 n;
	int		 i, left;

	for (;;) {
		left = 0;
		for (i = 0; i < o->conns; i++) {
			pfd[i].fd = c[i].nans < c[i].nreq ? c[i].fd : -1;
			pfd[i].events = POLLIN |
			    (c[i].sent < c[i].outlen ? POLLOUT : 0);
			left += c[i].nans < c[i].nreq;
		}
		if (left == 0)
			return;
		if (poll(pfd, o->conns, 60000) <= 0)
			errx(1, "no answer for 60 s");
		for (i = 0; i < o->conns; i++) {
			if (pfd[i].revents & POLLOUT) {
				n = write(c[i].fd, c[i].out + c[i].sent,
				    c[i].outlen - c[i].sent);
				if (n == -1 && errno != EAGAIN)
					err(1, "write");
				if (n > 0)
					c[i].sent += n;
			}
			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    pl_read(o, &c[i]) == -1)
				errx(1, "connection %d closed by the server "
				    "after %zu answers", i, c[i].nans);
		}
	}
}

static void
pl_usage(void)
{
	fprintf(stderr, "usage: putload -U sock [-p tallyd|collectd] -s S "
	    "-u U -t T0 [-c C] [-l linemax] [-f]\n");
	exit(2);
}

static void
pl_args(int argc, char *argv[], struct pl_opts *o)
{
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->conns = 4;
	while ((ch = getopt(argc, argv, "U:p:s:u:t:c:l:f")) != -1) {
		switch (ch) {
		case 'U':
			o->sock = optarg;
			break;
		case 'p':
			o->proto = strcmp(optarg, "collectd") == 0;
			break;
		case 's':
			o->series = atol(optarg);
			break;
		case 'u':
			o->values = atol(optarg);
			break;
		case 't':
			o->t0 = atoll(optarg);
			break;
		case 'c':
			o->conns = atoi(optarg);
			break;
		case 'l':
			o->linemax = strtoul(optarg, NULL, 10);
			break;
		case 'f':
			o->flush = 1;
			break;
		default:
			pl_usage();
		}
	}
	if (o->sock == NULL || o->series < 1 || o->values < 1 || o->t0 < 1 ||
	    o->conns < 1 || o->conns > 64)
		pl_usage();
	if (o->linemax == 0)
		o->linemax = o->proto == PL_TALLYD ? 65000 : 1000;
	if (o->linemax < 200 || o->linemax > 65000)
		errx(2, "linemax from 200 to 65000");
}

int
main(int argc, char *argv[])
{
	struct pl_opts	 o;
	struct pl_conn	*c;
	const char	*req;
	size_t		*size, nreq = 0;
	char		 buf[1024];
	double		 t_start, t_ans, t_flush = 0;
	long		 k;
	int		 i;

	pl_args(argc, argv, &o);
	if ((c = calloc(o.conns, sizeof(*c))) == NULL ||
	    (size = calloc(o.conns, sizeof(*size))) == NULL)
		err(1, "calloc");
	for (k = 0; k < o.series; k++)
		pl_series(&o, &c[k % o.conns], &size[k % o.conns], k);
	for (i = 0; i < o.conns; i++) {
		c[i].fd = bench_connect(o.sock);
		if (o.proto == PL_TALLYD)	/* the greeting */
			bench_line(c[i].fd, buf, sizeof(buf));
		nreq += c[i].nreq;
	}
	for (i = 0; i < o.conns; i++)
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
	t_start = bench_now();
	pl_run(&o, c);
	t_ans = bench_now();
	if (o.flush) {
		fcntl(c[0].fd, F_SETFL, 0);
		req = o.proto == PL_TALLYD ? "FLUSH\n" :
		    "FLUSH plugin=rrdtool\n";
		if (write(c[0].fd, req, strlen(req)) != (ssize_t)strlen(req))
			err(1, "write FLUSH");
		bench_line(c[0].fd, buf, sizeof(buf));
		t_flush = bench_now();
		if (strncmp(buf, o.proto == PL_TALLYD ? "OK" : "0 ", 2) != 0)
			errx(1, "FLUSH: %s", buf);
	}
	printf("start %.6f\nanswered %.6f\nflushed %.6f\nrequests %zu\n"
	    "accepted %lu\nrefused %lu\nerrors %lu\n", t_start, t_ans,
	    t_flush, nreq, pl_accepted, pl_refused, pl_errors);
	return (0);
}
