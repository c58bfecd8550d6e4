/*
 * plaintext.h - Graphite's plaintext protocol: one "path value timestamp"
 * line to a series name, a time and a value, by the rules of docs/GRAPHITE.md.
 * Pure: no I/O, no allocation, no state; the listener is graphite.c.
 */
#ifndef TALLY_PLAINTEXT_H
#define TALLY_PLAINTEXT_H

#include <stddef.h>
#include <time.h>

#include "names.h"

#define PLAINTEXT_PREFIX_MAX	255	/* bytes of a mapped path prefix */
#define PLAINTEXT_DEPTH_MAX	16	/* path components of a metric */
#define PLAINTEXT_TIME_MIN	((time_t)946684800)	/* 2000-01-01 UTC */

/* Paths starting with prefix (whole components) go to instance. */
struct plaintext_map {
	char	prefix[PLAINTEXT_PREFIX_MAX + 1];
	char	instance[NAMES_PART_MAX + 1];
};

struct plaintext_rules {
	const char			*plugin;	/* a valid name part */
	const struct plaintext_map	*maps;
	size_t				 nmaps;
	int				 max_depth;	/* of the metric */
	time_t				 future;	/* seconds ahead */
};

struct plaintext_value {
	char	 name[NAMES_SERIES_MAX + 1];
	time_t	 when;
	double	 value;
};

/*
 * Parse line (len bytes, without its newline; it may hold any byte).
 * Returns 1 with *out filled, 0 for a blank line (nothing to store), or -1
 * with *why a constant reason.  now is what "-1" and "N" mean.
 */
int	plaintext_parse(const struct plaintext_rules *, const char *line,
	    size_t len, time_t now, struct plaintext_value *out,
	    const char **why);

/*
 * Check a map's prefix as the config gives it: dotted components, none
 * empty.  1 if usable.
 */
int	plaintext_prefix_valid(const char *);

#endif
