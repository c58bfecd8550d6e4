/* util.c - small filesystem helpers shared by the core. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "util.h"
#include "xmalloc.h"

int
util_mkdirs(const char *path, mode_t mode)
{
	char	 buf[PATH_MAX], *p;

	if (strlen(path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	strcpy(buf, path);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			return (-1);
		*p = '/';
	}
	if (mkdir(buf, mode) == -1 && errno != EEXIST)
		return (-1);
	return (0);
}

/* Split "host:port" or "[v6]:port"; -1 if it is neither. */
static int
util_split_hostport(const char *addr, char *host, size_t hlen, char *port,
    size_t plen)
{
	const char	*colon, *h = addr;
	size_t		 n;

	if (*addr == '[') {
		if ((colon = strstr(addr, "]:")) == NULL)
			return (-1);
		h = addr + 1;
		n = colon - h;
		colon++;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL)
			return (-1);
		n = colon - addr;
	}
	if (n == 0 || n >= hlen || colon[1] == '\0' ||
	    strlen(colon + 1) >= plen)
		return (-1);
	memcpy(host, h, n);
	host[n] = '\0';
	snprintf(port, plen, "%s", colon + 1);
	return (0);
}

int
util_tcp_listen(const char *key, const char *addr)
{
	struct addrinfo	 hints, *ai;
	char		 host[256], port[32];
	int		 fd, on = 1, error;

	if (util_split_hostport(addr, host, sizeof(host), port,
	    sizeof(port)) == -1) {
		fprintf(stderr, "tallyd: %s = %s: want host:port\n", key, addr);
		return (-1);
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((error = getaddrinfo(host, port, &hints, &ai)) != 0) {
		fprintf(stderr, "tallyd: %s = %s: %s\n", key, addr,
		    gai_strerror(error));
		return (-1);
	}
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
	    sizeof(on)) == -1 || bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, SOMAXCONN) == -1) {	/* a crowd must not fill it */
		fprintf(stderr, "tallyd: %s = %s: %s\n", key, addr,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return (fd);
}

void
util_fmt_number(char *buf, size_t len, double v)
{
	if (!isfinite(v)) {
		snprintf(buf, len, "U");
		return;
	}
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
}

char *
util_evbuffer_string(struct evbuffer *b)
{
	size_t	 len = evbuffer_get_length(b);
	char	*s = xmalloc(len + 1);

	evbuffer_remove(b, s, len);
	s[len] = '\0';
	return (s);
}
