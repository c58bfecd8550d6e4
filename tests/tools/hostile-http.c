/*
 * hostile-http.c - an HTTP server that never gives a proper answer, for
 * the tests of clients that must bound what they read.
 *
 *	hostile-http -p PORTFILE -m headers|body|trickle [-c COUNTFILE]
 *
 * Listens on 127.0.0.1 at a free port (written to PORTFILE once it
 * listens).  Each connection is served by a child process: it reads the
 * request head, then
 *   headers: a status line and header lines without end;
 *   body:    a complete 200 head with no length, then bytes without end;
 *   trickle: "HTTP/1.1 200 OK\r\n..." one byte a second.
 * until the client goes (a write fails).  -c: one line per connection is
 * appended to COUNTFILE.  Runs until killed.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int
hostile_write(int fd, const char *s, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, s, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		s += n;
		len -= n;
	}
	return (0);
}

/* Read until the end of the request head (or 2 s, or 64 KB). */
static void
hostile_read_head(int fd)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	char		 buf[65536];
	size_t		 used = 0;
	ssize_t		 n;

	while (used < sizeof(buf) - 1 && poll(&pfd, 1, 2000) == 1) {
		if ((n = read(fd, buf + used, sizeof(buf) - 1 - used)) <= 0)
			return;
		used += n;
		buf[used] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return;
	}
}

static void
hostile_serve(int fd, const char *mode)
{
	static const char	 head[] = "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/plain\r\nX-Trickle: ";
	char			 buf[4096];
	struct timespec		 sec = { 1, 0 };
	unsigned long		 i;

	hostile_read_head(fd);
	if (strcmp(mode, "headers") == 0) {
		if (hostile_write(fd, "HTTP/1.1 200 OK\r\n", 17) == -1)
			return;
		for (i = 0;; i++) {
			snprintf(buf, sizeof(buf), "X-Pad-%lu: %0200lu\r\n", i,
			    i);
			if (hostile_write(fd, buf, strlen(buf)) == -1)
				return;
		}
	} else if (strcmp(mode, "body") == 0) {
		snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nContent-Type: "
		    "text/plain\r\nConnection: close\r\n\r\n");
		if (hostile_write(fd, buf, strlen(buf)) == -1)
			return;
		memset(buf, 'a', sizeof(buf));
		for (;;) {
			if (hostile_write(fd, buf, sizeof(buf)) == -1)
				return;
		}
	} else {
		for (i = 0;; i++) {
			if (hostile_write(fd, i < sizeof(head) - 1 ? head + i :
			    "x", 1) == -1)
				return;
			nanosleep(&sec, NULL);
		}
	}
}

static void
hostile_port(const char *path, int port)
{
	char	 tmp[4096];
	FILE	*fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL || fprintf(fp, "%d\n", port) < 0 ||
	    fclose(fp) == EOF || rename(tmp, path) == -1) {
		perror(path);
		exit(1);
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	const char		*portfile = NULL, *mode = NULL, *count = NULL;
	FILE			*fp;
	int			 ch, s, c, one = 1;

	while ((ch = getopt(argc, argv, "c:m:p:")) != -1) {
		switch (ch) {
		case 'c':
			count = optarg;
			break;
		case 'm':
			mode = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (portfile == NULL || mode == NULL || (strcmp(mode, "headers") !=
	    0 && strcmp(mode, "body") != 0 && strcmp(mode, "trickle") != 0))
		goto usage;
	signal(SIGCHLD, SIG_IGN);	/* children reap themselves */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 64) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1) {
		perror("hostile-http: listen");
		return (1);
	}
	hostile_port(portfile, ntohs(sin.sin_port));
	for (;;) {
		if ((c = accept(s, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("hostile-http: accept");
			return (1);
		}
		if (count != NULL && (fp = fopen(count, "a")) != NULL) {
			fprintf(fp, "connection %lld\n", (long long)time(NULL));
			fclose(fp);
		}
		switch (fork()) {
		case -1:
			perror("hostile-http: fork");
			break;
		case 0:
			close(s);
			hostile_serve(c, mode);
			_exit(0);
		}
		close(c);
	}
usage:
	fprintf(stderr, "usage: hostile-http -p portfile -m "
	    "headers|body|trickle [-c countfile]\n");
	return (2);
}
