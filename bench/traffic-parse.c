/*
 * traffic-parse.c - the traffic plugin's parser and counters over one file,
 * timed: what bench/traffic-parse.sh compares with GoAccess.
 *
 *	traffic-parse [-p default|goaccess] [-f format] [-d] FILE
 *
 * Reads FILE in 1 MiB chunks, parses and counts every line as the plugin
 * does (no daemon, no RRD), then prints "lines N seconds S rate R" and the
 * totals; -d also prints the day table.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "logparse.h"
#include "tstats.h"

#define BUFSZ	(1024 * 1024)

struct bench {
	struct tp_format	 fmt;
	struct tp_clock		 clock;
	struct tstats		 st;
	int			 mode;
	int64_t			 newest;
	uint64_t		 lines;
};

/* Parse and count one line. */
static void
bench_line(struct bench *b, const char *s, size_t n)
{
	struct tp_rec	 r;
	enum tp_error	 e;

	b->lines++;
	if ((e = tp_parse(&b->fmt, &b->clock, s, n, b->mode, &r)) == TP_OK)
		(void)ts_add(&b->st, &r, INT64_MAX / 2, &b->newest);
	else if (e != TP_IGNORE)
		ts_bad(&b->st, e);
}

/* Feed a whole file through bench_line; -1 on a read error. */
static int
bench_file(struct bench *b, int fd)
{
	static char	 buf[BUFSZ];
	size_t		 have = 0, used;
	ssize_t		 n;
	char		*p, *nl;

	while ((n = read(fd, buf + have, sizeof(buf) - have)) > 0) {
		have += (size_t)n;
		for (p = buf; (nl = memchr(p, '\n', (size_t)(buf + have - p)))
		    != NULL; p = nl + 1)
			bench_line(b, p, (size_t)(nl - p));
		used = (size_t)(p - buf);
		if (used == 0 && have == sizeof(buf)) {
			ts_bad(&b->st, TP_E_OVERLONG);
			used = have;
		}
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	if (have > 0)
		bench_line(b, buf, have);
	return (n == -1 ? -1 : 0);
}

int
main(int argc, char **argv)
{
	static struct bench	 b;
	struct timespec		 t0, t1;
	const char		*format = "combined";
	char			 err[256];
	double			 secs;
	int			 ch, fd, profile = TS_DEFAULT, days = 0;

	while ((ch = getopt(argc, argv, "p:f:d")) != -1) {
		if (ch == 'p')
			profile = strcmp(optarg, "goaccess") == 0 ?
			    TS_GOACCESS : TS_DEFAULT;
		else if (ch == 'f')
			format = optarg;
		else if (ch == 'd')
			days = 1;
		else
			return (2);
	}
	if (optind + 1 != argc || tp_format_compile(&b.fmt, format, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "usage: traffic-parse [-p profile] [-f format] "
		    "[-d] FILE\n");
		return (2);
	}
	ts_init(&b.st, profile);
	b.st.max_future = b.st.max_lag = 0;
	b.mode = profile == TS_GOACCESS ? TP_LENIENT : 0;
	if ((fd = open(argv[optind], O_RDONLY)) == -1) {
		perror(argv[optind]);
		return (1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (bench_file(&b, fd) == -1) {
		perror(argv[optind]);
		return (1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec -
	    t0.tv_nsec) / 1e9;
	printf("lines %" PRIu64 " seconds %.3f rate %.0f\n", b.lines, secs,
	    secs > 0 ? (double)b.lines / secs : 0.0);
	printf("hits %" PRIu64 " malformed %" PRIu64 " bytes %" PRIu64
	    " visits %" PRIu64 "\n", b.st.tot.hits, b.st.tot.malformed,
	    b.st.tot.bytes, b.st.tot.visits);
	if (days)
		ts_write_days(&b.st, stdout);
	ts_free(&b.st);
	return (0);
}
