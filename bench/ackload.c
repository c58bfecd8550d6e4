/*
 * ackload.c - acknowledged values, for bench/crashloss.sh and
 * bench/writedelay.sh: sends values to tallyd (PUT), rrdcached (UPDATE) or
 * collectd's unixsock plugin (PUTVAL), records exactly which ones the
 * daemon acknowledged, and checks which of those reached the RRD files.
 *
 *	ackload send -p PROTO -U SOCK -P PATTERN -s S -n N -v V -t T0
 *	    [-c C] [-w W] [-k PID -K K]
 *	ackload steady -p PROTO -U SOCK -P PATTERN -s S -d D -t T0 [-c C]
 *	ackload create -P PATTERN -s S -t T0
 *	ackload check -P PATTERN -s S -n N -v V -t T0 < ACKED
 *
 * PROTO is tallyd, rrdcached or collectd.  Series k is named bench.sK.v
 * (tallyd), PATTERN with k (rrdcached: the file) or bench/b-sK/gauge-v
 * (collectd); PATTERN (one %ld) is always the file of series k.  Its
 * value at T0 + i is ((7k + i) % 4000) / 4: exact in binary and decimal,
 * unique enough that a value in the wrong second shows.
 *
 * send: N requests, request j for series j % S with V values, times
 * T0 + (j / S) * V + 0 .. V-1.  Series k goes to connection k % C, so one
 * series' values are in time order on one connection; each connection
 * keeps at most W requests unanswered (pipelined).  Every value whose
 * request is answered as a success is printed "k t value" on stdout:
 * tallyd "OK n accepted=A refused=R" minus the n refused values listed,
 * rrdcached "0 errors, enqueued ...", collectd "0 Success: ...".  With -k,
 * once K requests are answered the daemon PID gets SIGKILL; the answers
 * already on their way are still read, until every connection is closed.
 * stderr gets "key value" lines: requests, answered, acked, killed_after.
 *
 * steady: for D seconds of wall clock, at each second t from T0 (T0 is
 * the next second, or later), one value at t for each of the S series:
 * a value a series a second, as agents send.  Prints "key value" lines:
 * values, answered, errors, late_max (seconds the sending fell behind).
 *
 * create: the files of rrdcached (PATTERN, S of them), step 1, GAUGE with
 * heartbeat 10, AVERAGE/MIN/MAX of 3600 rows: the layout of every bench.
 *
 * check: reads every file with rrd_fetch_r (AVERAGE, step 1) and counts
 * the acknowledged values not stored as sent: "acked", "lost" (unknown),
 * "wrong" (another value), "unacked_stored" (values stored that were
 * never acknowledged: sent and written, answer lost to the kill).
 */

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>

#include "benchlib.h"

#define AL_TALLYD	0
#define AL_RRDCACHED	1
#define AL_COLLECTD	2
#define AL_CONNS	64
#define AL_REFUSED	64

struct al_conn {
	int		 fd;
	char		*out;		/* all its requests */
	size_t		 outlen;
	size_t		 outsize;
	size_t		 sent;
	size_t		*end;		/* where each request ends in out */
	long		*req;		/* request numbers, in order */
	size_t		 nreq;
	size_t		 reqsize;
	size_t		 nans;
	char		 in[65536];
	size_t		 inlen;
	long		 skip;		/* lines to read after a status */
	long long	 refused[AL_REFUSED];	/* times, this answer */
	long		 nrefused;
	int		 fail;		/* this answer acknowledges nothing */
	int		 closed;
};

struct al_opts {
	int		 proto;
	const char	*sock;
	const char	*pattern;
	long		 series;
	long		 nreq;
	long		 values;
	long long	 t0;
	int		 conns;
	size_t		 window;
	pid_t		 kill_pid;
	long		 kill_after;
	long		 duration;
};

static unsigned long	al_answered, al_acked, al_errors, al_refused;
static int		al_print_acked = 1;
static long		al_killed_after = -1;

static void
al_open(const struct al_opts *o, struct al_conn *c)
{
	char	 buf[1024];
	int	 i;

	for (i = 0; i < o->conns; i++) {
		c[i].fd = bench_connect(o->sock);
		if (o->proto == AL_TALLYD)
			bench_line(c[i].fd, buf, sizeof(buf));
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
	}
}

/* Appends request j (series k, first value index i0, nv values) to c. */
static void
al_request(const struct al_opts *o, struct al_conn *c, long j, long k,
    long i0, long nv)
{
	char	 line[8192], path[4096];
	size_t	 len;
	long	 i;

	if (o->proto == AL_TALLYD)
		len = snprintf(line, sizeof(line), "PUT bench.s%ld.v", k);
	else if (o->proto == AL_RRDCACHED) {
		bench_path(path, sizeof(path), o->pattern, k);
		len = snprintf(line, sizeof(line), "UPDATE %s", path);
	} else
		len = snprintf(line, sizeof(line),
		    "PUTVAL bench/b-s%ld/gauge-v interval=1", k);
	for (i = i0; i < i0 + nv && len < sizeof(line) - 64; i++)
		len += snprintf(line + len, sizeof(line) - len, " %lld:%g",
		    o->t0 + i, bench_value(k, i));
	line[len++] = '\n';
	if (o->proto == AL_COLLECTD && len > 1000)
		errx(2, "PUTVAL line over 1000 bytes (unixsock reads 1024)");
	while (c->outlen + len > c->outsize) {
		c->outsize = c->outsize == 0 ? 1 << 16 : c->outsize * 2;
		if ((c->out = realloc(c->out, c->outsize)) == NULL)
			err(1, "realloc");
	}
	memcpy(c->out + c->outlen, line, len);
	c->outlen += len;
	if (c->nreq == c->reqsize) {
		c->reqsize = c->reqsize == 0 ? 1024 : c->reqsize * 2;
		if ((c->end = reallocarray(c->end, c->reqsize,
		    sizeof(*c->end))) == NULL ||
		    (c->req = reallocarray(c->req, c->reqsize,
		    sizeof(*c->req))) == NULL)
			err(1, "reallocarray");
	}
	c->end[c->nreq] = c->outlen;
	c->req[c->nreq++] = j;
}

/* Prints the values of request j but those c saw refused (tallyd). */
static void
al_print(const struct al_opts *o, const struct al_conn *c, long j)
{
	long	 k = j % o->series, i0 = j / o->series * o->values, i, r;

	for (i = i0; i < i0 + o->values; i++) {
		for (r = 0; r < c->nrefused && c->refused[r] != o->t0 + i; r++)
			;
		if (r < c->nrefused)
			continue;
		if (al_print_acked)
			printf("%ld %lld %g\n", k, o->t0 + i, bench_value(k, i));
		al_acked++;
	}
}

/* The answer to c's oldest request is complete. */
static void
al_done(const struct al_opts *o, struct al_conn *c)
{
	long	 j = c->req[c->nans++];

	al_answered++;
	if (!c->fail)
		al_print(o, c, j);
	c->fail = 0;
	c->nrefused = 0;
	if (o->kill_pid > 0 && al_killed_after < 0 &&
	    (long)al_answered >= o->kill_after) {
		kill(o->kill_pid, SIGKILL);
		al_killed_after = al_answered;
	}
}

/*
 * One answer line of c: tallyd "OK n accepted=A refused=R" then n lines
 * "time:value reason"; rrdcached "0 ..." or "N message" then N error
 * lines (nothing acknowledged) or "-1 message"; collectd "0 Success...".
 */
static void
al_answer(const struct al_opts *o, struct al_conn *c, const char *l)
{
	unsigned long	 a, r;
	long		 n;

	if (c->skip > 0) {
		if (c->nrefused < AL_REFUSED)
			c->refused[c->nrefused++] = atoll(l);
		else
			c->fail = 1;	/* counted as not acknowledged */
		if (--c->skip == 0)
			al_done(o, c);
		return;
	}
	if (c->nans >= c->nreq)
		errx(1, "an answer nobody asked for: %s", l);
	if (o->proto == AL_TALLYD && sscanf(l, "OK %ld accepted=%lu "
	    "refused=%lu", &n, &a, &r) == 3) {
		if (n > 0) {
			al_refused += n;
			c->skip = n;
			return;
		}
	} else if (o->proto != AL_TALLYD && strncmp(l, "0 ", 2) == 0)
		;
	else {
		if (al_errors++ < 3)
			fprintf(stderr, "ackload: %s\n", l);
		c->fail = 1;
		if (o->proto == AL_RRDCACHED && (n = atol(l)) > 0) {
			c->skip = n;
			return;
		}
	}
	al_done(o, c);
}

/* Reads what c has; marks it closed at EOF or error. */
static void
al_read(const struct al_opts *o, struct al_conn *c)
{
	ssize_t	 n;
	char	*nl, *p;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		c->closed = 1;
		return;
	}
	c->inlen += n;
	c->in[c->inlen] = '\0';
	p = c->in;
	while ((nl = strchr(p, '\n')) != NULL) {
		*nl = '\0';
		al_answer(o, c, p);
		p = nl + 1;
	}
	c->inlen -= p - c->in;
	memmove(c->in, p, c->inlen);
	if (c->inlen == sizeof(c->in) - 1)
		errx(1, "answer line too long");
}

/*
 * Writes and reads every connection until all its requests are answered
 * or it is closed; a connection sends up to the end of request
 * nans + window.  Returns when nothing is left, or after timeout seconds
 * with nothing to read.
 */
static void
al_run(const struct al_opts *o, struct al_conn *c, int timeout)
{
	struct pollfd	 pfd[AL_CONNS];
	size_t		 lim, w;
	ssize_t		 n;
	int		 i, left;

	for (;;) {
		left = 0;
		for (i = 0; i < o->conns; i++) {
			w = c[i].nans + o->window;
			lim = w >= c[i].nreq ? c[i].outlen : c[i].end[w - 1];
			pfd[i].fd = !c[i].closed && c[i].nans < c[i].nreq ?
			    c[i].fd : -1;
			pfd[i].events = POLLIN |
			    (c[i].sent < lim ? POLLOUT : 0);
			left += pfd[i].fd != -1;
		}
		if (left == 0)
			return;
		if (poll(pfd, o->conns, timeout * 1000) <= 0)
			errx(1, "no answer for %d s", timeout);
		for (i = 0; i < o->conns; i++) {
			if (pfd[i].revents & POLLOUT) {
				w = c[i].nans + o->window;
				lim = w >= c[i].nreq ? c[i].outlen :
				    c[i].end[w - 1];
				n = write(c[i].fd, c[i].out + c[i].sent,
				    lim - c[i].sent);
				if (n > 0)
					c[i].sent += n;
				else if (n == -1 && errno != EAGAIN)
					c[i].closed = 1;
			}
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				al_read(o, &c[i]);
		}
	}
}

static void
al_send(struct al_opts *o, struct al_conn *c)
{
	long	 j, k;
	int	 i;

	for (j = 0; j < o->nreq; j++) {
		k = j % o->series;
		al_request(o, &c[k % o->conns], j, k, j / o->series * o->values,
		    o->values);
	}
	al_open(o, c);
	al_run(o, c, 120);
	fflush(stdout);
	for (i = 0; i < o->conns; i++)
		close(c[i].fd);
	fprintf(stderr, "requests %ld\nanswered %lu\nacked %lu\nrefused %lu\n"
	    "errors %lu\nkilled_after %ld\n", o->nreq, al_answered, al_acked,
	    al_refused, al_errors, al_killed_after);
}

static void
al_steady(struct al_opts *o, struct al_conn *c)
{
	struct timespec	 ts;
	double		 late, late_max = 0;
	long		 i, k;
	int		 n;

	o->values = 1;
	al_print_acked = 0;
	o->window = (size_t)-1 / 2;
	al_open(o, c);
	for (i = 0; i < o->duration; i++) {
		late = bench_now() - (o->t0 + i);
		if (late < 0) {
			ts.tv_sec = (time_t)-late;
			ts.tv_nsec = (long)((-late - ts.tv_sec) * 1e9);
			nanosleep(&ts, NULL);
		} else if (late > late_max)
			late_max = late;
		for (n = 0; n < o->conns; n++)
			c[n].nreq = c[n].nans = c[n].outlen = c[n].sent = 0;
		for (k = 0; k < o->series; k++)
			al_request(o, &c[k % o->conns], i * o->series + k, k,
			    i, 1);
		al_run(o, c, 120);
		for (n = 0; n < o->conns; n++)
			if (c[n].closed)
				errx(1, "connection %d closed", n);
	}
	printf("values %ld\nanswered %lu\nacked %lu\nrefused %lu\n"
	    "errors %lu\nlate_max %.3f\n", o->series * o->duration,
	    al_answered, al_acked, al_refused, al_errors, late_max);
}

static void
al_create(const struct al_opts *o)
{
	const char	*spec[] = { "DS:v:GAUGE:10:U:U",
	    "RRA:AVERAGE:0.1:1:3600", "RRA:MIN:0.1:1:3600",
	    "RRA:MAX:0.1:1:3600" };
	char		 path[4096];
	long		 k;

	for (k = 0; k < o->series; k++) {
		bench_path(path, sizeof(path), o->pattern, k);
		rrd_clear_error();
		if (rrd_create_r2(path, 1, o->t0 - 1, 1, NULL, NULL, 4,
		    spec) != 0)
			errx(1, "create %s: %s", path, rrd_get_error());
	}
}

static void
al_check(const struct al_opts *o)
{
	char		 path[4096], **names;
	rrd_value_t	*data;
	unsigned char	*acked;
	unsigned long	 step, nds, r;
	time_t		 start, end, t;
	long		 per, k, i, nacked = 0, lost = 0, wrong = 0, extra = 0;
	int		 shown = 0;
	long long	 tt;
	double		 v;

	per = (o->nreq + o->series - 1) / o->series * o->values;
	if ((acked = calloc(o->series, per)) == NULL)
		err(1, "calloc");
	while (scanf("%ld %lld %lf", &k, &tt, &v) == 3) {
		i = (long)(tt - o->t0);
		if (k < 0 || k >= o->series || i < 0 || i >= per)
			errx(1, "acked value out of range: %ld %lld", k, tt);
		acked[k * per + i] = 1;
		nacked++;
	}
	for (k = 0; k < o->series; k++) {
		bench_path(path, sizeof(path), o->pattern, k);
		start = o->t0 - 1;
		end = o->t0 + per - 1;
		step = 1;
		rrd_clear_error();
		if (access(path, F_OK) == -1 || rrd_fetch_r(path, "AVERAGE",
		    &start, &end, &step, &nds, &names, &data) != 0) {
			for (i = 0; i < per; i++)	/* no file */
				lost += acked[k * per + i];
			if (shown++ < 3)
				fprintf(stderr, "ackload: no file %s\n", path);
			continue;
		}
		for (i = 0; i < per; i++) {
			t = o->t0 + i;
			r = (unsigned long)(t - start) / step - 1;
			v = t > start && t <= end && nds == 1 ? data[r] : NAN;
			if (!acked[k * per + i])
				extra += !isnan(v) && v == bench_value(k, i);
			else if (isnan(v) || fabs(v - bench_value(k, i)) > 1e-9) {
				if (shown++ < 3)
					fprintf(stderr, "ackload: acked, not "
					    "stored: series %ld time %lld "
					    "(file: %g)\n", k, (long long)t,
					    v);
				if (isnan(v))
					lost++;
				else
					wrong++;
			}
		}
		for (r = 0; r < nds; r++)
			rrd_freemem(names[r]);
		rrd_freemem(names);
		rrd_freemem(data);
	}
	printf("acked %ld\nlost %ld\nwrong %ld\nunacked_stored %ld\n", nacked,
	    lost, wrong, extra);
	free(acked);
}

static void
al_usage(void)
{
	fprintf(stderr, "usage: ackload send|steady|create|check -p proto "
	    "-U sock -P pattern -s S -n N -v V -t T0 [-c C] [-w W] [-d D] "
	    "[-k pid -K K]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct al_opts	 o;
	struct al_conn	*c;
	const char	*cmd;
	int		 ch;

	if (argc < 2)
		al_usage();
	cmd = argv[1];
	argc--;
	argv++;
	memset(&o, 0, sizeof(o));
	o.conns = 4;
	o.window = 32;
	o.values = 10;
	while ((ch = getopt(argc, argv, "p:U:P:s:n:v:t:c:w:d:k:K:")) != -1) {
		switch (ch) {
		case 'p':
			if (strcmp(optarg, "tallyd") == 0)
				o.proto = AL_TALLYD;
			else if (strcmp(optarg, "rrdcached") == 0)
				o.proto = AL_RRDCACHED;
			else if (strcmp(optarg, "collectd") == 0)
				o.proto = AL_COLLECTD;
			else
				al_usage();
			break;
		case 'U':
			o.sock = optarg;
			break;
		case 'P':
			o.pattern = optarg;
			break;
		case 's':
			o.series = atol(optarg);
			break;
		case 'n':
			o.nreq = atol(optarg);
			break;
		case 'v':
			o.values = atol(optarg);
			break;
		case 't':
			o.t0 = atoll(optarg);
			break;
		case 'c':
			o.conns = atoi(optarg);
			break;
		case 'w':
			o.window = strtoul(optarg, NULL, 10);
			break;
		case 'd':
			o.duration = atol(optarg);
			break;
		case 'k':
			o.kill_pid = atoi(optarg);
			break;
		case 'K':
			o.kill_after = atol(optarg);
			break;
		default:
			al_usage();
		}
	}
	if (o.pattern == NULL || o.series < 1 || o.t0 < 1 || o.values < 1 ||
	    o.conns < 1 || o.conns > AL_CONNS || o.window < 1)
		al_usage();
	signal(SIGPIPE, SIG_IGN);
	if ((c = calloc(o.conns, sizeof(*c))) == NULL)
		err(1, "calloc");
	if (strcmp(cmd, "send") == 0 && o.sock != NULL && o.nreq > 0)
		al_send(&o, c);
	else if (strcmp(cmd, "steady") == 0 && o.sock != NULL &&
	    o.duration > 0)
		al_steady(&o, c);
	else if (strcmp(cmd, "create") == 0)
		al_create(&o);
	else if (strcmp(cmd, "check") == 0 && o.nreq > 0)
		al_check(&o);
	else
		al_usage();
	return (0);
}
