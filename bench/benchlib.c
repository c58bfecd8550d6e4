/*
 * benchlib.c - the helpers the benchmark programs share (benchlib.h);
 * bench/common.sh's bench_build links it into each.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <err.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"

/* Wall-clock seconds (times sent as values are wall-clock times). */
double
bench_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* Seconds for intervals, which a clock step must not stretch. */
double
bench_mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

/* A blocking stream connected to the unix socket path; exits if none. */
int
bench_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		errx(1, "socket path too long: %s", path);
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "connect %s", path);
	return (fd);
}

/*
 * One line from a blocking fd, byte by byte so that nothing after it is
 * taken (a greeting, a FLUSH answer), without its newline.
 */
void
bench_line(int fd, char *buf, size_t len)
{
	size_t	 n = 0;

	while (n + 1 < len) {
		if (read(fd, buf + n, 1) != 1)
			errx(1, "server closed");
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
}

/* The file of series k: pattern has exactly one %ld (the scripts' own). */
void
bench_path(char *buf, size_t len, const char *pattern, long k)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(buf, len, pattern, k);
#pragma GCC diagnostic pop
}

/*
 * The value of series k at T0 + i: ((7k + i) % 4000) / 4, exact in binary
 * and in decimal, different for neighbouring series and times, so a value
 * stored in the wrong place or time is seen.
 */
double
bench_value(long k, long i)
{
	return (((7 * k + i) % 4000) / 4.0);
}
