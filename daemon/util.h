/* util.h - small filesystem helpers shared by the core. */
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
/* What b holds as a NUL-terminated string (the caller frees it); b is
 * emptied, not freed. */
char	*util_evbuffer_string(struct evbuffer *b);

#endif
