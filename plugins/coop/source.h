/*
 * source.h - where a plugin's CSV comes from (a file or an http:// URL),
 * fetched whole and only when it changed.  Shared by the coop and
 * creditfund plugins.
 */
#ifndef COOP_SOURCE_H
#define COOP_SOURCE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <tally/plugin.h>

#define SOURCE_MAX	(256UL * 1024 * 1024)	/* largest source, bytes */

struct source {
	char		*where;		/* absolute path or http:// URL */
	int		 http;
	int		 timeout;	/* seconds, for http */

	/* The reading last processed, and the one just fetched. */
	int		 have;
	struct timespec	 mtime, new_mtime;
	off_t		 size, new_size;
	uint64_t	 hash, new_hash;
	char		*etag, *new_etag;
	char		*lastmod, *new_lastmod;
	int		 status;	/* HTTP status of the last fetch */
};

int		 source_set(struct source *, const char *, const char *, char *,
		    size_t);
const char	*source_base(struct tally_ctx *, const struct tally_host *);
int		 source_fetch(struct source *, char **, size_t *, char *,
		    size_t);
void		 source_commit(struct source *);
void		 source_free(struct source *);
const char	*source_label(const struct source *);
uint64_t	 source_hash(const char *, size_t);

#endif
