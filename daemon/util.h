/* util.h - small helpers shared by the core: files, sockets, the text of
 * durations, counts and numbers.  A leaf. */
#ifndef TALLY_UTIL_H
#define TALLY_UTIL_H

#include <sys/types.h>

struct evbuffer;

/* mkdir -p with mode for every directory made; 0 or -1 with errno. */
int	util_mkdirs(const char *path, mode_t mode);
/*
 * A listening TCP socket (non-blocking, close-on-exec) for "host:port" or
 * "[v6]:port"; -1 after printing "tallyd: KEY = ADDR: why" to stderr.
 * For start-up, before the daemon forks.
 */
int	util_tcp_listen(const char *key, const char *addr);
/* The same for a bound UDP socket. */
int	util_udp_bind(const char *key, const char *addr);
/* Split "host:port" or "[v6]:port"; -1 if it is neither. */
int	util_split_hostport(const char *addr, char *host, size_t hlen,
	    char *port, size_t plen);
/* "host:port" or "[v6]:port", port 1..65535; -1 and why if not. */
int	util_hostport_valid(const char *addr, char *why, size_t len);
/* The same, and its host resolves (tallyd -t); binds nothing. */
int	util_hostport_resolve(const char *addr, char *why, size_t len);
/* What b holds as a NUL-terminated string (the caller frees it); b is
 * emptied, not freed. */
char	*util_evbuffer_string(struct evbuffer *b);

/*
 * Parse a duration: seconds, or numbers with units ms, s, m, h, d, w, y
 * (365d), e.g. "90", "1h30m".  Returns milliseconds; on error returns 0 and
 * sets *errstr to why (strtonum(3) style), else sets it to NULL.
 */
unsigned long long util_duration(const char *, const char **errstr);
/* ms in the largest unit that divides it: "90s", "8d", "1y". */
void	util_fmt_duration(char *buf, size_t len, unsigned long long ms);
/*
 * A decimal count (a leading 0: octal, as for chmod), with k, M or G
 * (thousands) if suffixes is set; errors as util_duration.
 */
unsigned long long util_count(const char *, int suffixes, int octal,
	    const char **);
/*
 * A finite decimal number (no nan, inf or hex); with pct, "N%" too, and
 * *pct says whether it was one.  0, or -1 if s is not such a number.
 */
int	util_number(const char *s, double *out, int *pct);
/* 1 if both are NULL or both the same string. */
int	util_streq(const char *, const char *);

#endif
