/*
 * retention.h - retention presets: how an RRD file is laid out.  Owns the
 * [retention NAME] sections of the config and the built-in presets.
 */
#ifndef TALLY_RETENTION_H
#define TALLY_RETENTION_H

#include <stddef.h>

struct config;
struct config_section;

/* One archive of a retention preset. */
struct retention_rra {
	char		 cf[8];		/* AVERAGE, MIN, MAX, LAST */
	double		 xff;
	unsigned long	 steps;		/* primary points per row */
	unsigned long	 rows;
};

/* A retention preset. */
struct retention {
	char			*name;
	unsigned long		 step;		/* seconds */
	unsigned long		 heartbeat;	/* seconds */
	struct retention_rra	*rra;
	size_t			 nrra;
	int			 builtin;
	int			 line;		/* 0 for built-ins */
};

extern const struct config_section retention_section;

/* The preset called name, built-in or from the file, or NULL. */
const struct retention	*retention_find(const struct config *,
			    const char *name);

#endif
