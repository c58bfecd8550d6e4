/*
 * queryload.c - the query load of bench/query.sh.
 *
 *	queryload last|fetch -U SOCK -n N [-c C] [-d DEPTH] [-D SECONDS]
 *	    [-a START -b END]
 *	queryload graph -U SOCK -m METRIC -a START -b END [-w W] [-H H]
 *	    [-N COUNT] [-v]
 *	queryload rrdgraph -f FILE -m METRIC -a START -b END [-w W] [-H H]
 *	    [-N COUNT] [-v]
 *	queryload rrdlast|rrdfetch -f PATTERN -n N [-D SECONDS] [-a START
 *	    -b END]
 *	queryload stall -U SOCK -m METRIC -a START -b END [-N COUNT]
 *	    [-D SECONDS]
 *
 * last, fetch: C connections to tallyd, each with DEPTH requests in flight
 * (1: no pipelining), over series bench.s0.v .. bench.s(N-1).v in turn,
 * for SECONDS; FETCH asks START..END, AVERAGE, resolution 1.  Prints
 * "requests R seconds S rate R/S errors E".
 *
 * graph: COUNT GRAPH requests one after the other on one connection, all
 * the same (cached after the first) or, with -v, the width one pixel more
 * each time (no two alike: every one is rendered).  rrdgraph: the same
 * graph drawn by "rrdtool graph" run as a process, COUNT times (-v as
 * above), with the arguments tallyd gives librrd.  Both print the latency
 * p50, p99, mean, min and max in ms.
 *
 * rrdlast, rrdfetch: rrd_lastupdate_r or rrd_fetch_r in a loop in this
 * process, one thread, over the files of PATTERN (one %ld): what librrd
 * alone does, the ceiling of one query thread.
 *
 * stall: how long the daemon's loop stops for others while it answers
 * big FETCHes.  One connection PINGs every 2 ms for SECONDS with nothing
 * else going on (the baseline), then again while a second process asks
 * COUNT times for FETCH METRIC START END AVERAGE 1 and reads every row.
 * Prints the PING latency of both phases and the rows per second.
 */
#define _GNU_SOURCE	/* memrchr */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "benchlib.h"

#define QL_CONNS_MAX	256
#define QL_RRDGRAPH_ARGS	17

extern char	**environ;

struct ql_opts {
	const char	*mode;
	const char	*sock;
	const char	*file;
	const char	*metric;
	long		 series;
	int		 conns;
	int		 depth;
	double		 seconds;
	long long	 start;
	long long	 end;
	int		 width;
	int		 height;
	long		 count;
	int		 vary;
};

struct ql_conn {
	int		 fd;
	long		 next;		/* request number */
	int		 inflight;
	long		 skip;		/* lines left to skip */
	char		 in[65536];
	size_t		 inlen;
};

static long	ql_done, ql_errors;

/* Reads exactly len bytes, or one line when line is set. */
static size_t
ql_read(int fd, char *buf, size_t len, int line)
{
	size_t	 n = 0;
	ssize_t	 r;

	while (n < len) {
		r = read(fd, buf + n, line ? 1 : len - n);
		if (r <= 0)
			errx(1, "server closed");
		n += r;
		if (line && buf[n - 1] == '\n') {
			buf[n - 1] = '\0';
			break;
		}
	}
	return (n);
}

/* Sends connection c's next request. */
static void
ql_send(const struct ql_opts *o, struct ql_conn *c, int i)
{
	char	 req[256];
	long	 k = (c->next++ * o->conns + i) % o->series;
	int	 n;

	if (o->mode[0] == 'l')
		n = snprintf(req, sizeof(req), "LAST bench.s%ld.v\n", k);
	else
		n = snprintf(req, sizeof(req), "FETCH bench.s%ld.v %lld %lld "
		    "AVERAGE 1\n", k, o->start, o->end);
	/* Requests are small and answers are read: the socket has room. */
	if (write(c->fd, req, n) != n)
		err(1, "write");
	c->inflight++;
}

/*
 * Newlines in p[0, n), 16 bytes a step where SSE2 is (x86-64): one
 * memchr a row, then a byte loop, were most of this client's CPU a FETCH.
 */
static size_t
ql_count_nl(const char *p, size_t n)
{
	size_t	 i = 0, k = 0;
#ifdef __SSE2__
	const __m128i	 nl = _mm_set1_epi8('\n');

	for (; i + 16 <= n; i += 16)
		k += (size_t)__builtin_popcount((unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(p + i)),
		    nl)));
#endif
	for (; i < n; i++)
		k += p[i] == '\n';
	return (k);
}

/* Answer lines of c; a status line ends one request. */
static void
ql_lines(struct ql_conn *c)
{
	char	*p = c->in, *nl, *end = c->in + c->inlen;
	size_t	 k;
	long	 n;

	for (;;) {
		/* rows to skip: at once, when the buffer holds no more */
		if (c->skip > 0 && (k = ql_count_nl(p, (size_t)(end - p))) <=
		    (size_t)c->skip) {
			if (k == 0)
				break;
			c->skip -= (long)k;
			p = (char *)memrchr(p, '\n', (size_t)(end - p)) + 1;
			continue;
		}
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			break;
		*nl = '\0';
		if (c->skip > 0)
			c->skip--;
		else {
			if (sscanf(p, "OK %ld", &n) == 1)
				c->skip = n;
			else
				ql_errors++;
			c->inflight--;
			ql_done++;
		}
		p = nl + 1;
	}
	c->inlen -= p - c->in;
	memmove(c->in, p, c->inlen);
}

static void
ql_rate(const struct ql_opts *o)
{
	struct ql_conn	*c;
	struct epoll_event ev, evs[QL_CONNS_MAX];
	double		 t0, t;
	struct rusage	 ru;
	ssize_t		 r;
	int		 i, j, k, n, ep;

	if ((c = calloc(o->conns, sizeof(*c))) == NULL)
		err(1, "calloc");
	/* epoll: a poll of 32 descriptors a wake-up was this client's CPU */
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
	for (i = 0; i < o->conns; i++) {
		c[i].fd = bench_connect(o->sock);
		/* The greeting. */
		ql_read(c[i].fd, c[i].in, sizeof(c[i].in), 1);
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev) == -1)
			err(1, "epoll_ctl");
	}
	t0 = bench_mono();
	for (i = 0; i < o->conns; i++)
		for (j = 0; j < o->depth; j++)
			ql_send(o, &c[i], i);
	while ((t = bench_mono()) - t0 < o->seconds) {
		if ((n = epoll_wait(ep, evs, o->conns, 10000)) <= 0)
			errx(1, "no answer for 10 s");
		for (k = 0; k < n; k++) {
			i = (int)evs[k].data.u32;
			r = read(c[i].fd, c[i].in + c[i].inlen,
			    sizeof(c[i].in) - c[i].inlen);
			if (r <= 0)
				errx(1, "server closed connection %d", i);
			c[i].inlen += r;
			ql_lines(&c[i]);
			while (c[i].inflight < o->depth)
				ql_send(o, &c[i], i);
		}
	}
	close(ep);
	/* Its own CPU: on 2 cores the load generator bounds the rate too. */
	getrusage(RUSAGE_SELF, &ru);
	printf("requests %ld seconds %.3f rate %.0f errors %ld client_us %.1f\n",
	    ql_done, t - t0, ql_done / (t - t0), ql_errors,
	    ql_done > 0 ? (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6) * 1e6 /
	    ql_done : 0);
}

static int
ql_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static void
ql_latency(double *lat, long n)
{
	double	 sum = 0;
	long	 i;

	qsort(lat, n, sizeof(*lat), ql_cmp);
	for (i = 0; i < n; i++)
		sum += lat[i];
	printf("count %ld p50 %.2f p99 %.2f mean %.2f min %.2f max %.2f "
	    "errors %ld\n", n, lat[n / 2] * 1e3, lat[(n * 99) / 100] * 1e3,
	    sum / n * 1e3, lat[0] * 1e3, lat[n - 1] * 1e3, ql_errors);
}

/* GRAPH requests in turn on one connection. */
static void
ql_graph(const struct ql_opts *o, double *lat)
{
	char	 req[512], line[512], *img;
	size_t	 len;
	double	 t;
	long	 i;
	int	 fd, n;

	fd = bench_connect(o->sock);
	ql_read(fd, line, sizeof(line), 1);
	if ((img = malloc(1 << 24)) == NULL)
		err(1, "malloc");
	for (i = 0; i < o->count; i++) {
		n = snprintf(req, sizeof(req), "GRAPH metric=%s start=%lld "
		    "end=%lld width=%ld height=%d\n", o->metric, o->start,
		    o->end, o->width + (o->vary ? i : 0), o->height);
		t = bench_mono();
		if (write(fd, req, n) != n)
			err(1, "write");
		ql_read(fd, line, sizeof(line), 1);
		if (sscanf(line, "DATA %zu", &len) != 1 || len > 1 << 24) {
			if (ql_errors++ == 0)
				fprintf(stderr, "queryload: %s\n", line);
		} else
			ql_read(fd, img, len, 0);
		lat[i] = bench_mono() - t;
	}
	free(img);
}

/* PINGs every 2 ms on fd until the child exits (or seconds pass). */
static long
ql_pings(int fd, double seconds, pid_t child, double *lat, long max)
{
	struct timespec	 gap = { 0, 2000000 };
	char		 line[256];
	double		 t, t0 = bench_mono();
	long		 n = 0;
	int		 status;

	while (n < max) {
		if (child > 0 ? waitpid(child, &status, WNOHANG) == child :
		    bench_mono() - t0 >= seconds)
			break;
		t = bench_mono();
		if (write(fd, "PING\n", 5) != 5)
			err(1, "write");
		ql_read(fd, line, sizeof(line), 1);
		lat[n++] = bench_mono() - t;
		nanosleep(&gap, NULL);
	}
	if (child > 0 && n == max)
		waitpid(child, &status, 0);
	return (n);
}

/* The big FETCHes, in a child: every row read, then rows per second. */
static void
ql_fetcher(const struct ql_opts *o)
{
	char	 req[512], line[512];
	double	 t0 = bench_mono();
	long	 i, rows, total = 0, r;
	FILE	*fp;
	int	 fd, n;

	fd = bench_connect(o->sock);
	if ((fp = fdopen(fd, "r")) == NULL || fgets(line, sizeof(line), fp) ==
	    NULL)
		err(1, "greeting");
	for (i = 0; i < o->count; i++) {
		n = snprintf(req, sizeof(req), "FETCH %s %lld %lld AVERAGE 1\n",
		    o->metric, o->start, o->end);
		if (write(fd, req, n) != n)
			err(1, "write");
		if (fgets(line, sizeof(line), fp) == NULL ||
		    sscanf(line, "OK %ld", &rows) != 1)
			errx(1, "FETCH: %s", line);
		for (r = 0; r < rows; r++)
			if (fgets(line, sizeof(line), fp) == NULL)
				errx(1, "FETCH: %ld of %ld rows", r, rows);
		total += rows;
	}
	printf("fetches %ld rows %ld seconds %.3f rows/s %.0f\n", o->count,
	    total, bench_mono() - t0, total / (bench_mono() - t0));
	fflush(stdout);
	_exit(0);
}

static void
ql_stall(const struct ql_opts *o)
{
	double	*lat;
	long	 max = 1000000, n;
	char	 line[256];
	pid_t	 pid;
	int	 fd;

	if ((lat = calloc(max, sizeof(*lat))) == NULL)
		err(1, "calloc");
	fd = bench_connect(o->sock);
	ql_read(fd, line, sizeof(line), 1);
	n = ql_pings(fd, o->seconds, 0, lat, max);
	printf("idle:        ");
	ql_latency(lat, n);
	fflush(stdout);
	if ((pid = fork()) == -1)
		err(1, "fork");
	if (pid == 0)
		ql_fetcher(o);
	n = ql_pings(fd, 0, pid, lat, max);
	printf("during FETCH:");
	ql_latency(lat, n);
	free(lat);
	close(fd);
}

/* The arguments of "rrdtool graph" for request i, as tallyd gives them. */
static void
ql_rrdgraph_args(const struct ql_opts *o, long i, char a[][4096],
    char **av)
{
	long	 w = o->width + (o->vary ? i : 0);
	int	 n = 0;

	snprintf(a[n++], 4096, "rrdtool");
	snprintf(a[n++], 4096, "graph");
	snprintf(a[n++], 4096, "-");
	snprintf(a[n++], 4096, "--imgformat");
	snprintf(a[n++], 4096, "PNG");
	snprintf(a[n++], 4096, "--start");
	snprintf(a[n++], 4096, "%lld", o->start);
	snprintf(a[n++], 4096, "--end");
	snprintf(a[n++], 4096, "%lld", o->end);
	snprintf(a[n++], 4096, "--width");
	snprintf(a[n++], 4096, "%ld", w);
	snprintf(a[n++], 4096, "--height");
	snprintf(a[n++], 4096, "%d", o->height);
	snprintf(a[n++], 4096, "--full-size-mode");
	snprintf(a[n++], 4096, "--slope-mode");
	snprintf(a[n++], 4096, "DEF:m0=%s:value:AVERAGE", o->file);
	snprintf(a[n++], 4096, "LINE2:m0#1f77b4:legend=%s", o->metric);
	for (i = 0; i < n; i++)
		av[i] = a[i];
	av[n] = NULL;
}

/* The same graphs from "rrdtool graph" processes, output thrown away. */
static void
ql_rrdgraph(const struct ql_opts *o, double *lat)
{
	posix_spawn_file_actions_t	 fa;
	static char			 a[QL_RRDGRAPH_ARGS][4096];
	char				*av[QL_RRDGRAPH_ARGS + 1];
	double				 t;
	pid_t				 pid;
	long				 i;
	int				 st;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	for (i = 0; i < o->count; i++) {
		ql_rrdgraph_args(o, i, a, av);
		t = bench_mono();
		if (posix_spawnp(&pid, "rrdtool", &fa, NULL, av, environ) != 0)
			err(1, "spawn rrdtool");
		if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			ql_errors++;
		lat[i] = bench_mono() - t;
	}
	posix_spawn_file_actions_destroy(&fa);
}

/* librrd alone: LAST or FETCH of each file in turn, one thread. */
static void
ql_rrd(const struct ql_opts *o)
{
	char		 path[4096], **names, **vals;
	rrd_value_t	*data;
	unsigned long	 nds, step, j;
	time_t		 last, s, e;
	double		 t0, t;
	long		 k;

	t0 = bench_mono();
	for (k = 0; (t = bench_mono()) - t0 < o->seconds; k++) {
		bench_path(path, sizeof(path), o->file, k % o->series);
		rrd_clear_error();
		if (strcmp(o->mode, "rrdlast") == 0) {
			if (rrd_lastupdate_r(path, &last, &nds, &names,
			    &vals) != 0)
				errx(1, "%s: %s", path, rrd_get_error());
			for (j = 0; j < nds; j++) {
				rrd_freemem(names[j]);
				rrd_freemem(vals[j]);
			}
			rrd_freemem(vals);
		} else {
			s = o->start;
			e = o->end;
			step = 1;
			if (rrd_fetch_r(path, "AVERAGE", &s, &e, &step, &nds,
			    &names, &data) != 0)
				errx(1, "%s: %s", path, rrd_get_error());
			for (j = 0; j < nds; j++)
				rrd_freemem(names[j]);
			rrd_freemem(data);
		}
		rrd_freemem(names);
		ql_done++;
	}
	printf("requests %ld seconds %.3f rate %.0f errors 0\n", ql_done,
	    t - t0, ql_done / (t - t0));
}

static void
ql_usage(void)
{
	fprintf(stderr, "usage: queryload last|fetch|graph|rrdgraph|rrdlast|"
	    "rrdfetch|stall [-U sock] [-f file] [-m metric] [-n series] [-c conns] "
	    "[-d depth] [-D seconds] [-a start -b end] [-w width] [-H height] "
	    "[-N count] [-v]\n");
	exit(2);
}

static void
ql_args(int argc, char *argv[], struct ql_opts *o)
{
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->mode = argv[1];
	o->conns = o->depth = 1;
	o->seconds = 5;
	o->width = 600;
	o->height = 200;
	o->count = 100;
	optind = 2;
	while ((ch = getopt(argc, argv, "U:f:m:n:c:d:D:a:b:w:H:N:v")) != -1) {
		switch (ch) {
		case 'U':
			o->sock = optarg;
			break;
		case 'f':
			o->file = optarg;
			break;
		case 'm':
			o->metric = optarg;
			break;
		case 'n':
			o->series = atol(optarg);
			break;
		case 'c':
			o->conns = atoi(optarg);
			break;
		case 'd':
			o->depth = atoi(optarg);
			break;
		case 'D':
			o->seconds = atof(optarg);
			break;
		case 'a':
			o->start = atoll(optarg);
			break;
		case 'b':
			o->end = atoll(optarg);
			break;
		case 'w':
			o->width = atoi(optarg);
			break;
		case 'H':
			o->height = atoi(optarg);
			break;
		case 'N':
			o->count = atol(optarg);
			break;
		case 'v':
			o->vary = 1;
			break;
		default:
			ql_usage();
		}
	}
	if (o->conns < 1 || o->conns > QL_CONNS_MAX || o->depth < 1 ||
	    o->count < 1)
		ql_usage();
}

int
main(int argc, char *argv[])
{
	struct ql_opts	 o;
	double		*lat;

	if (argc < 2)
		ql_usage();
	ql_args(argc, argv, &o);
	if ((lat = calloc(o.count, sizeof(*lat))) == NULL)
		err(1, "calloc");
	if ((strcmp(o.mode, "last") == 0 || strcmp(o.mode, "fetch") == 0) &&
	    o.sock != NULL && o.series > 0)
		ql_rate(&o);
	else if (strcmp(o.mode, "graph") == 0 && o.sock != NULL &&
	    o.metric != NULL) {
		ql_graph(&o, lat);
		ql_latency(lat, o.count);
	} else if (strcmp(o.mode, "rrdgraph") == 0 && o.file != NULL &&
	    o.metric != NULL) {
		ql_rrdgraph(&o, lat);
		ql_latency(lat, o.count);
	} else if (strncmp(o.mode, "rrd", 3) == 0 && o.file != NULL &&
	    o.series > 0)
		ql_rrd(&o);
	else if (strcmp(o.mode, "stall") == 0 && o.sock != NULL &&
	    o.metric != NULL)
		ql_stall(&o);
	else
		ql_usage();
	return (0);
}
