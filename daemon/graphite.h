/*
 * graphite.h - the Graphite plaintext listener ([graphite]): lines
 * "path value timestamp" from collectd's write_graphite, statsd,
 * carbon-c-relay and scripts, over TCP (and UDP if asked), stored through
 * command.c as PUT's values are.  docs/GRAPHITE.md is the spec.
 */
#ifndef TALLY_GRAPHITE_H
#define TALLY_GRAPHITE_H

#include <stddef.h>

#include "plaintext.h"

#define GRAPHITE_MAPS_MAX	32	/* instance = PREFIX NAME lines */

struct config;
struct config_section;
struct event_base;

/* The [graphite] section (graphite_section registers it). */
struct graphite_conf {
	char			*listen;	/* TCP host:port; NULL: off */
	char			*udp;		/* UDP host:port; NULL: off */
	char			 plugin[NAMES_PART_MAX + 1]; /* "": graphite */
	char			*retention;	/* NULL: [storage]'s default */
	unsigned long		 max_series;
	int			 max_clients;
	unsigned long		 max_line;	/* bytes */
	unsigned long		 timeout;	/* ms idle */
	int			 lines_per_wake;
	int			 max_depth;
	unsigned long		 future;	/* seconds */
	unsigned long		 reorder;	/* ms a series' values wait */
	struct plaintext_map	 maps[GRAPHITE_MAPS_MAX];
	size_t			 nmaps;
};

extern const struct config_section graphite_section;

/*
 * Bind [graphite] listen and udp (before daemonizing, so errors reach the
 * shell).  0 if neither is set; -1 after printing why to stderr.
 */
int	graphite_open(const struct config *);
/* Loop thread: serve on what graphite_open bound; no-op if nothing. */
void	graphite_start(struct event_base *, const struct config *);
/* Rules and limits of the config in force from now on. */
void	graphite_set_config(const struct config *);
/* Close the listeners and every connection. */
void	graphite_stop(void);

#endif
