/*
 * tally-nc.c - a tiny socket client for the integration tests (netcat is
 * not on every machine and cannot talk to a unix socket everywhere).
 *
 *	tally-nc -U PATH | -T HOST:PORT [-d MS] [-w MS] [-c] [-n] [-k MS]
 *
 * Copies stdin to the socket and the socket to stdout.  -d sleeps MS
 * between bytes sent (a slow client); -w waits up to MS after stdin ends
 * for the server to finish (default 5000); -c closes right after sending,
 * without reading (a client that vanishes); -n never reads (a client that
 * does not read its answers) and waits -w MS; -k ignores stdin and sends
 * PING every MS until killed (a busy client the idle timeout never closes).
 * Exit 0 if the server closed
 * or the wait ended, 1 on a connection error.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int
nc_connect(const char *unix_path, const char *tcp)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *ai;
	char			 host[256], *port;
	int			 fd;

	if (unix_path != NULL) {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(unix_path) >= sizeof(sun.sun_path))
			return (-1);
		strcpy(sun.sun_path, unix_path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			return (-1);
		return (fd);
	}
	snprintf(host, sizeof(host), "%s", tcp);
	if ((port = strrchr(host, ':')) == NULL)
		return (-1);
	*port++ = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return (-1);
	fd = socket(ai->ai_family, ai->ai_socktype, 0);
	if (fd == -1 || connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		freeaddrinfo(ai);
		return (-1);
	}
	freeaddrinfo(ai);
	return (fd);
}

static long long
nc_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int
main(int argc, char *argv[])
{
	struct pollfd	 pfd[2];
	struct timespec	 ts;
	const char	*unix_path = NULL, *tcp = NULL;
	char		 buf[65536];
	long long	 deadline = -1;
	ssize_t		 n, i;
	int		 ch, fd, delay = 0, wait_ms = 5000, vanish = 0, in_open = 1;
	int		 noread = 0, keep = 0;
	long long	 next_ping = 0, left;

	while ((ch = getopt(argc, argv, "U:T:d:w:cnk:")) != -1) {
		switch (ch) {
		case 'U': unix_path = optarg; break;
		case 'T': tcp = optarg; break;
		case 'd': delay = atoi(optarg); break;
		case 'w': wait_ms = atoi(optarg); break;
		case 'c': vanish = 1; break;
		case 'n': noread = 1; break;
		case 'k': keep = atoi(optarg); break;
		default: return (2);
		}
	}
	if ((unix_path == NULL) == (tcp == NULL))
		return (2);
	signal(SIGPIPE, SIG_IGN);
	if ((fd = nc_connect(unix_path, tcp)) == -1) {
		perror("tally-nc: connect");
		return (1);
	}
	for (;;) {
		if (keep > 0) {
			if (nc_now() >= next_ping) {
				if (write(fd, "PING\n", 5) != 5)
					break;
				next_ping = nc_now() + keep;
			}
			deadline = next_ping;
		}
		pfd[0].fd = in_open && keep == 0 ? 0 : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = (vanish && !in_open) || noread ? -1 : fd;
		pfd[1].events = POLLIN;
		if (!in_open && vanish)
			break;
		if (!in_open && deadline < 0)
			deadline = nc_now() + wait_ms;
		if (keep == 0 && deadline >= 0 && nc_now() >= deadline)
			break;
		left = deadline >= 0 ? deadline - nc_now() : -1;
		if (poll(pfd, 2, deadline >= 0 && left < 0 ? 0 : (int)left) ==
		    -1)
			return (1);
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			if ((n = read(0, buf, sizeof(buf))) <= 0) {
				in_open = 0;
				if (!vanish)
					shutdown(fd, SHUT_WR);
			}
			for (i = 0; n > 0 && i < n; i += delay ? 1 : n) {
				if (write(fd, buf + i, delay ? 1 : n) <= 0) {
					/* The server stopped reading: still
					 * print what it said. */
					in_open = 0;
					break;
				}
				if (delay) {
					ts.tv_sec = delay / 1000;
					ts.tv_nsec = (delay % 1000) * 1000000L;
					nanosleep(&ts, NULL);
				}
			}
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((n = read(fd, buf, sizeof(buf))) <= 0)
				break;
			if (write(1, buf, n) != n)
				return (1);
		}
	}
	close(fd);
	return (0);
}
