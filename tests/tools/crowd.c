/*
 * crowd.c - many hostile connections at once, for the limits tests and
 * bench/slowloris.sh.
 *
 *	crowd -T HOST:PORT -n COUNT -m http|proto [-d MS] [-t SECONDS]
 *	    [-r RATE]
 *
 * Opens COUNT TCP connections (at most RATE new ones a second, default
 * 1000) and keeps them busy without ever finishing anything:
 * "http" sends a request line and then one header byte per connection
 * every MS (default 1000), never the blank line; "proto" sends PING
 * every MS and never AUTH.  A connection the server closes is opened
 * again.  After SECONDS (default 10) it prints
 *	opened N closed N open N failed N
 * (connections made, closed by the server, open at the end, connects
 * that failed) and exits 0.  Reads and discards whatever comes back.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct conn {
	int	 fd;		/* -1: to open */
	long	 next;		/* ms: when to send next */
	int	 started;	/* request line sent */
};

static struct sockaddr_in	 sin4;
static int			 http_mode;
static unsigned long		 opened, closed, failed;

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1000L + ts.tv_nsec / 1000000);
}

static void
conn_open(struct conn *c, long now, long spread)
{
	int	 fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		failed++;
		return;
	}
	if (connect(fd, (struct sockaddr *)&sin4, sizeof(sin4)) == -1 &&
	    errno != EINPROGRESS) {
		close(fd);
		failed++;
		return;
	}
	c->fd = fd;
	c->started = 0;
	c->next = now + (spread > 0 ? random() % spread : 0);
	opened++;
}

static void
conn_send(struct conn *c, long now, long every)
{
	static const char line[] = "GET /api/v1/metrics HTTP/1.1\r\n"
	    "Host: x\r\nX-Slow: ";
	const char	*p;
	size_t		 n;

	if (http_mode) {
		p = c->started ? "a" : line;
		n = c->started ? 1 : sizeof(line) - 1;
	} else {
		p = "PING\n";
		n = 5;
	}
	if (write(c->fd, p, n) == (ssize_t)n)
		c->started = 1;
	c->next = now + every;
}

int
main(int argc, char **argv)
{
	struct conn	*cs;
	struct pollfd	*pfd;
	struct rlimit	 rl;
	char		*target = NULL, *colon, buf[4096];
	long		 every = 1000, secs = 10, rate = 1000, now, end, t0;
	long		 budget;
	int		 n = 0, i, ch, open_now;

	while ((ch = getopt(argc, argv, "T:n:m:d:t:r:")) != -1) {
		switch (ch) {
		case 'T': target = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'm': http_mode = strcmp(optarg, "http") == 0; break;
		case 'd': every = atol(optarg); break;
		case 't': secs = atol(optarg); break;
		case 'r': rate = atol(optarg); break;
		default: goto usage;
		}
	}
	if (target == NULL || n <= 0 || every <= 0 || rate <= 0 ||
	    (colon = strrchr(target, ':')) == NULL)
		goto usage;
	*colon = '\0';
	memset(&sin4, 0, sizeof(sin4));
	sin4.sin_family = AF_INET;
	sin4.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, target, &sin4.sin_addr) != 1)
		goto usage;
	/* our own descriptors: the crowd must not run out before tallyd */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	srandom((unsigned)getpid());
	cs = calloc((size_t)n, sizeof(*cs));
	pfd = calloc((size_t)n, sizeof(*pfd));
	if (cs == NULL || pfd == NULL)
		return (2);
	for (i = 0; i < n; i++)
		cs[i].fd = -1;
	t0 = now_ms();
	end = t0 + secs * 1000;
	while ((now = now_ms()) < end) {
		/* open what is missing, at most rate a second overall */
		budget = (now - t0) * rate / 1000 + 1 - (long)opened;
		for (i = 0; i < n && budget > 0; i++) {
			if (cs[i].fd == -1) {
				conn_open(&cs[i], now, every);
				budget--;
			}
		}
		for (i = 0; i < n; i++) {
			if (cs[i].fd != -1 && cs[i].next <= now)
				conn_send(&cs[i], now, every);
			pfd[i].fd = cs[i].fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)n, 20) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (cs[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if (read(cs[i].fd, buf, sizeof(buf)) <= 0) {
				close(cs[i].fd);
				cs[i].fd = -1;
				closed++;
			}
		}
	}
	open_now = 0;
	for (i = 0; i < n; i++)
		open_now += cs[i].fd != -1;
	printf("opened %lu closed %lu open %d failed %lu\n", opened, closed,
	    open_now, failed);
	fflush(stdout);
	for (i = 0; i < n; i++)
		if (cs[i].fd != -1)
			close(cs[i].fd);
	free(cs);
	free(pfd);
	return (0);
usage:
	fprintf(stderr, "usage: crowd -T HOST:PORT -n COUNT -m http|proto "
	    "[-d MS] [-t SECONDS] [-r RATE]\n");
	return (2);
}
