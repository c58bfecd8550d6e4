/* util.c - small helpers shared by the core. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <ctype.h>
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

int
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
util_hostport_valid(const char *addr, char *why, size_t len)
{
	char		 host[256], port[32], *end;
	unsigned long	 n;

	if (util_split_hostport(addr, host, sizeof(host), port,
	    sizeof(port)) == -1) {
		snprintf(why, len, "want host:port (127.0.0.1:8080, "
		    "[::1]:8080), not a port alone");
		return (-1);
	}
	n = strtoul(port, &end, 10);
	if (*port < '0' || *port > '9' || *end != '\0' || n < 1 ||
	    n > 65535) {
		snprintf(why, len, "port '%s' is not a number from 1 to "
		    "65535", port);
		return (-1);
	}
	return (0);
}

int
util_hostport_resolve(const char *addr, char *why, size_t len)
{
	struct addrinfo	 hints, *ai;
	char		 host[256], port[32];
	int		 error;

	if (util_hostport_valid(addr, why, len) == -1)
		return (-1);
	util_split_hostport(addr, host, sizeof(host), port, sizeof(port));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((error = getaddrinfo(host, port, &hints, &ai)) != 0) {
		snprintf(why, len, "%s", gai_strerror(error));
		return (-1);
	}
	freeaddrinfo(ai);
	return (0);
}

/* A bound socket of type for "host:port"; listening if a stream. */
static int
util_bind(const char *key, const char *addr, int type)
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
	hints.ai_socktype = type;
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
	    (type == SOCK_STREAM && listen(fd, SOMAXCONN) == -1)) {
		fprintf(stderr, "tallyd: %s = %s: %s\n", key, addr,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return (fd);
}

int
util_tcp_listen(const char *key, const char *addr)
{
	return (util_bind(key, addr, SOCK_STREAM));
}

int
util_udp_bind(const char *key, const char *addr)
{
	return (util_bind(key, addr, SOCK_DGRAM));
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

#define UTIL_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define UTIL_MS_S	1000ULL
#define UTIL_MS_H	(3600 * UTIL_MS_S)
#define UTIL_MS_D	(24 * UTIL_MS_H)

/* Duration units, smallest first. */
static const struct util_unit {
	const char		*name;
	unsigned long long	 ms;
} util_units[] = {
	{ "ms", 1 }, { "s", UTIL_MS_S }, { "m", 60 * UTIL_MS_S },
	{ "h", UTIL_MS_H }, { "d", UTIL_MS_D }, { "w", 7 * UTIL_MS_D },
	{ "y", 365 * UTIL_MS_D },
};

/* Sum "<number><unit>" groups; a lone number is seconds. */
unsigned long long
util_duration(const char *s, const char **errstr)
{
	unsigned long long	 total = 0, n, mul;
	const struct util_unit	*u;
	char			*end;
	size_t			 len;
	int			 groups;

	*errstr = NULL;
	for (groups = 0; *s != '\0' || groups == 0; groups++) {
		if (*s == '-' || *s == '\0' || !isdigit((unsigned char)*s)) {
			*errstr = *s == '-' ? "must not be negative" :
			    "not a duration (a number with ms, s, m, h, d, w "
			    "or y)";
			return (0);
		}
		errno = 0;
		n = strtoull(s, &end, 10);
		s = end;
		mul = (*s == '\0' && groups == 0) ? UTIL_MS_S : 0;
		for (u = util_units; mul == 0 && u < util_units +
		    UTIL_NITEMS(util_units); u++) {
			len = strlen(u->name);
			if (strncmp(s, u->name, len) == 0 &&
			    !isalpha((unsigned char)s[len])) {
				mul = u->ms;
				s += len;
			}
		}
		if (mul == 0) {
			*errstr = "unknown unit (use ms, s, m, h, d, w or y)";
			return (0);
		}
		if (errno == ERANGE || n > (ULLONG_MAX - total) / mul) {
			*errstr = "too large";
			return (0);
		}
		total += n * mul;
	}
	return (total);
}

void
util_fmt_duration(char *buf, size_t len, unsigned long long ms)
{
	size_t	 i;

	if (ms == 0) {
		snprintf(buf, len, "0");
		return;
	}
	for (i = UTIL_NITEMS(util_units) - 1; i > 0; i--) {
		if (ms % util_units[i].ms == 0)
			break;
	}
	snprintf(buf, len, "%llu%s", ms / util_units[i].ms,
	    util_units[i].name);
}

unsigned long long
util_count(const char *s, int suffixes, int octal, const char **errstr)
{
	unsigned long long	 v, mul = 1;
	char			*end;

	*errstr = NULL;
	if (*s == '-') {
		*errstr = "must not be negative";
		return (0);
	}
	if (!isdigit((unsigned char)*s)) {
		*errstr = "not a number";
		return (0);
	}
	errno = 0;
	/* With octal, a leading 0 means octal, as for chmod: 0660. */
	v = strtoull(s, &end, octal && s[0] == '0' && s[1] != '\0' ? 8 : 10);
	if (suffixes && end[0] != '\0' && end[1] == '\0' &&
	    strchr("kMG", end[0]) != NULL) {
		mul = end[0] == 'k' ? 1000 : end[0] == 'M' ? 1000000 :
		    1000000000;
		end++;
	}
	if (*end != '\0') {
		*errstr = suffixes ? "not a number (k, M and G may follow)" :
		    "not a number";
		return (0);
	}
	if (errno == ERANGE || v > ULLONG_MAX / mul) {
		*errstr = "too large";
		return (0);
	}
	return (v * mul);
}

int
util_number(const char *s, double *out, int *pct)
{
	char	*end;
	size_t	 n = strlen(s);
	double	 d;

	if (pct != NULL)
		*pct = n > 1 && s[n - 1] == '%';
	if (n == 0 || strspn(s, "0123456789+-.eE") < n - (pct != NULL &&
	    *pct))
		return (-1);
	d = strtod(s, &end);
	if (end == s || (*end != '\0' && !(pct != NULL && *pct &&
	    end == s + n - 1)) || !isfinite(d))
		return (-1);
	*out = d;
	return (0);
}

int
util_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}
