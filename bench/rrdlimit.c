/*
 * rrdlimit.c - the limit of bench/ingest.sh: what librrd alone does with
 * the same files and values, in one thread, with no daemon and no socket.
 *
 *	rrdlimit -d DIR -s S -u U -t T0 [-r ROWS] [-b HEARTBEAT]
 *
 * For each series k it makes DIR/bench/sK/v.rrd with the layout bench
 * gives tallyd and collectd (step 1, one GAUGE "value", AVERAGE, MIN and
 * MAX at one row a step, xff 0.1; the start one step before T0), then
 * writes its U values (see putload.c) with one rrd_update_r call.  Prints
 * "key value" lines: seconds in mkdir+create, in update, in all, the
 * values written, CPU seconds and peak RSS (KiB).
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rrd.h>

#include "benchlib.h"

static void
rl_mkdir(const char *path)
{
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		err(1, "mkdir %s", path);
}

static void
rl_usage(void)
{
	fprintf(stderr, "usage: rrdlimit -d dir -s S -u U -t T0 [-r rows] "
	    "[-b heartbeat]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct rusage	 ru;
	const char	*dir = NULL, **av, *spec[4];
	char		 path[4096], ds[64], rra[3][64], *text;
	double		 t, t_create = 0, t_update = 0, t_all;
	long		 series = 0, values = 0, rows = 3600, hb = 10, k, i;
	long long	 t0 = 0;
	size_t		 off;
	int		 ch;

	while ((ch = getopt(argc, argv, "d:s:u:t:r:b:")) != -1) {
		switch (ch) {
		case 'd':
			dir = optarg;
			break;
		case 's':
			series = atol(optarg);
			break;
		case 'u':
			values = atol(optarg);
			break;
		case 't':
			t0 = atoll(optarg);
			break;
		case 'r':
			rows = atol(optarg);
			break;
		case 'b':
			hb = atol(optarg);
			break;
		default:
			rl_usage();
		}
	}
	if (dir == NULL || series < 1 || values < 1 || t0 < 1)
		rl_usage();
	snprintf(ds, sizeof(ds), "DS:value:GAUGE:%ld:U:U", hb);
	snprintf(rra[0], sizeof(rra[0]), "RRA:AVERAGE:0.1:1:%ld", rows);
	snprintf(rra[1], sizeof(rra[1]), "RRA:MIN:0.1:1:%ld", rows);
	snprintf(rra[2], sizeof(rra[2]), "RRA:MAX:0.1:1:%ld", rows);
	spec[0] = ds;
	spec[1] = rra[0];
	spec[2] = rra[1];
	spec[3] = rra[2];
	if ((av = calloc(values, sizeof(*av))) == NULL ||
	    (text = malloc(values * 48)) == NULL)
		err(1, "malloc");
	t_all = bench_mono();
	for (k = 0; k < series; k++) {
		/* Made as the daemon would: formatting is part of the cost. */
		for (i = 0, off = 0; i < values; i++) {
			av[i] = text + off;
			off += snprintf(text + off, 48, "%lld:%g", t0 + i,
			    bench_value(k, i)) + 1;
		}
		t = bench_mono();
		snprintf(path, sizeof(path), "%s/bench", dir);
		rl_mkdir(path);
		snprintf(path, sizeof(path), "%s/bench/s%ld", dir, k);
		rl_mkdir(path);
		snprintf(path, sizeof(path), "%s/bench/s%ld/v.rrd", dir, k);
		rrd_clear_error();
		if (rrd_create_r2(path, 1, t0 - 1, 1, NULL, NULL, 4, spec) != 0)
			errx(1, "create %s: %s", path, rrd_get_error());
		t_create += bench_mono() - t;
		t = bench_mono();
		if (rrd_update_r(path, NULL, (int)values, av) != 0)
			errx(1, "update %s: %s", path, rrd_get_error());
		t_update += bench_mono() - t;
	}
	t_all = bench_mono() - t_all;
	getrusage(RUSAGE_SELF, &ru);
	printf("create %.6f\nupdate %.6f\nall %.6f\nvalues %ld\ncpu %.3f\n"
	    "hwm_kb %ld\n", t_create, t_update, t_all, series * values,
	    ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6, ru.ru_maxrss);
	return (0);
}
