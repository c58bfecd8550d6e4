/*
 * rrdcheck.c - what reached the RRD files in bench/ingest.sh.
 *
 *	rrdcheck count -P PATTERN -s S -u U -t T0
 *	rrdcheck wait -P PATTERN -s S -u U -t T0 [-F SOCK] [-q SECONDS]
 *
 * PATTERN is a file name with one %ld for the series number.  count reads
 * each file with rrd_fetch_r (AVERAGE, step 1, over T0 .. T0+U-1) and
 * counts the points that hold the value putload.c sent there; prints
 * "key value" lines: files, files_complete, files_missing, points,
 * points_expected, points_wrong (known but not the value sent).
 *
 * wait is for a writer that gives no "written" answer (collectd): every
 * 0.25 s it sends "FLUSH plugin=rrdtool" on SOCK (collectd's unixsock,
 * when given), looks at the files whose mtime changed and reads their
 * last update, until every file's last update is T0+U-1 or no file changed
 * for -q seconds (default 5).  Prints: done (epoch seconds, the newest
 * mtime: when the last value reached a file), files_complete, timed_out.
 */
#include <sys/stat.h>

#include <err.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rrd.h>

#include "benchlib.h"

struct rc_opts {
	const char	*pattern;
	const char	*sock;
	long		 series;
	long		 values;
	long long	 t0;
	double		 quiet;
};

/* Points of series k that hold the value sent; *wrong: other known. */
static long
rc_count_file(const struct rc_opts *o, long k, long *wrong, int *missing)
{
	char		 path[4096], **names;
	rrd_value_t	*data;
	time_t		 start = o->t0 - 1, t;
	time_t		 end = o->t0 + o->values - 1;
	unsigned long	 step = 1, nds, i;
	long		 good = 0, idx;
	double		 want;

	bench_path(path, sizeof(path), o->pattern, k);
	*missing = 0;
	if (access(path, F_OK) == -1) {
		*missing = 1;
		return (0);
	}
	rrd_clear_error();
	if (rrd_fetch_r(path, "AVERAGE", &start, &end, &step, &nds, &names,
	    &data) != 0)
		errx(1, "fetch %s: %s", path, rrd_get_error());
	for (i = 0; nds == 1 && start + (time_t)((i + 1) * step) <= end; i++) {
		t = start + (time_t)((i + 1) * step);
		idx = (long)(t - o->t0);
		if (idx < 0 || idx >= o->values || isnan(data[i]))
			continue;
		want = bench_value(k, idx);
		if (fabs(data[i] - want) < 1e-9)
			good++;
		else
			(*wrong)++;
	}
	for (i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return (good);
}

static void
rc_count(const struct rc_opts *o)
{
	long	 k, n, points = 0, wrong = 0, complete = 0, nmissing = 0;
	int	 missing;

	for (k = 0; k < o->series; k++) {
		n = rc_count_file(o, k, &wrong, &missing);
		points += n;
		complete += n == o->values;
		nmissing += missing;
	}
	printf("files %ld\nfiles_complete %ld\nfiles_missing %ld\npoints %ld\n"
	    "points_expected %ld\npoints_wrong %ld\n", o->series, complete,
	    nmissing, points, o->series * o->values, wrong);
}

/* Asks collectd to hand its cached values to its writer; waits the answer. */
static void
rc_flush(int fd)
{
	static const char	 req[] = "FLUSH plugin=rrdtool\n";
	char			 c;

	if (write(fd, req, sizeof(req) - 1) != (ssize_t)sizeof(req) - 1)
		err(1, "write FLUSH");
	do {
		if (read(fd, &c, 1) != 1)
			errx(1, "collectd closed the socket");
	} while (c != '\n');
}

/* One look at every file not yet complete; returns whether any changed. */
static int
rc_scan(const struct rc_opts *o, double *mtime, char *done, double *newest,
    long *ndone)
{
	struct stat	 sb;
	char		 path[4096];
	double		 m;
	long		 k;
	int		 changed = 0;

	for (k = 0; k < o->series; k++) {
		if (done[k])
			continue;
		bench_path(path, sizeof(path), o->pattern, k);
		if (stat(path, &sb) == -1)
			continue;
		m = sb.st_mtim.tv_sec + sb.st_mtim.tv_nsec / 1e9;
		if (m == mtime[k])
			continue;
		changed = 1;
		mtime[k] = m;
		if (m > *newest)
			*newest = m;
		rrd_clear_error();
		if (rrd_last_r(path) == o->t0 + o->values - 1) {
			done[k] = 1;
			(*ndone)++;
		}
	}
	return (changed);
}

static void
rc_wait(const struct rc_opts *o)
{
	double	*mtime, newest = 0, last_change = bench_now();
	char	*done;
	long	 ndone = 0;
	int	 fd = -1;

	if ((mtime = calloc(o->series, sizeof(*mtime))) == NULL ||
	    (done = calloc(o->series, 1)) == NULL)
		err(1, "calloc");
	if (o->sock != NULL)
		fd = bench_connect(o->sock);
	while (ndone < o->series && bench_now() - last_change < o->quiet) {
		if (fd != -1)
			rc_flush(fd);
		if (rc_scan(o, mtime, done, &newest, &ndone))
			last_change = bench_now();
		if (ndone < o->series)
			usleep(250000);
	}
	printf("done %.6f\nfiles_complete %ld\ntimed_out %d\n", newest, ndone,
	    ndone < o->series);
}

static void
rc_usage(void)
{
	fprintf(stderr, "usage: rrdcheck count|wait -P pattern -s S -u U "
	    "-t T0 [-F sock] [-q seconds]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct rc_opts	 o;
	int		 ch;

	if (argc < 2)
		rc_usage();
	memset(&o, 0, sizeof(o));
	o.quiet = 5;
	optind = 2;
	while ((ch = getopt(argc, argv, "P:s:u:t:F:q:")) != -1) {
		switch (ch) {
		case 'P':
			o.pattern = optarg;
			break;
		case 's':
			o.series = atol(optarg);
			break;
		case 'u':
			o.values = atol(optarg);
			break;
		case 't':
			o.t0 = atoll(optarg);
			break;
		case 'F':
			o.sock = optarg;
			break;
		case 'q':
			o.quiet = atof(optarg);
			break;
		default:
			rc_usage();
		}
	}
	if (o.pattern == NULL || strstr(o.pattern, "%ld") == NULL ||
	    o.series < 1 || o.values < 1 || o.t0 < 1)
		rc_usage();
	if (strcmp(argv[1], "count") == 0)
		rc_count(&o);
	else if (strcmp(argv[1], "wait") == 0)
		rc_wait(&o);
	else
		rc_usage();
	return (0);
}
