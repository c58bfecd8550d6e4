/*
 * fwdenc.h - what a forwarder writes and keeps, as pure functions: the
 * lines for VictoriaMetrics (Prometheus text with millisecond times) and
 * for Graphite (plaintext), the match globs, and the cursor file.  Pure:
 * unit-tested and fuzzed without a daemon.
 */
#ifndef TALLY_FWDENC_H
#define TALLY_FWDENC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A growing text buffer. */
struct fwdenc_buf {
	char	*p;
	size_t	 len;
	size_t	 size;
};

void	fwdenc_reset(struct fwdenc_buf *);
void	fwdenc_free(struct fwdenc_buf *);

/*
 * One line for /api/v1/import/prometheus: the series' Prometheus name and
 * instance label (names_prom, as /metrics and the query API name it),
 * value, time in milliseconds.  -1 (nothing added) for an invalid name or
 * a value that is not finite (an RRD's unknown is not a value).
 */
int	fwdenc_prom(struct fwdenc_buf *, const char *series, time_t, double);
/* One plaintext line: [prefix.]series value time.  -1 as above. */
int	fwdenc_graphite(struct fwdenc_buf *, const char *prefix,
	    const char *series, time_t, double);

/* A match glob: 1-255 bytes of the name set plus * ? [ ] !.  1 if valid. */
int	fwdenc_glob_valid(const char *);
/* 1 if series matches one of the n globs (n == 0: every series). */
int	fwdenc_match(char *const *globs, size_t n, const char *series);

/*
 * The cursor file: "tallyfwd1 SEQ OFFSET\n", the next byte to send.
 * parse: 0, or -1 if buf is not exactly that (with seq >= 1, offset >= 8).
 */
#define FWDENC_CURSOR_MAX	64
int	fwdenc_cursor_parse(const char *buf, size_t len, uint64_t *seq,
	    uint64_t *off);
int	fwdenc_cursor_format(char *buf, size_t len, uint64_t seq,
	    uint64_t off);

#endif
