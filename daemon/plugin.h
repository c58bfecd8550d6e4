/*
 * plugin.h - loading plugins and running their instances.
 *
 * A module is one dlopen()ed .so; an instance is one [plugin NAME INSTANCE]
 * section bound to a module, with its own data, state directory and
 * schedule.  Reads run on a worker pool; everything else on the loop.
 */
#ifndef TALLY_PLUGIN_INTERNAL_H
#define TALLY_PLUGIN_INTERNAL_H

#include <stddef.h>

#include "clock.h"

struct config;
struct config_errors;
struct config_section;
struct event_base;

/* A key of a plugin section that goes to the plugin's configure. */
struct plugin_opt {
	char		*key;
	char		*value;
	int		 line;
};

/* One [plugin NAME INSTANCE] section (plugin_section registers them). */
struct plugin_conf {
	char			*plugin;	/* NAME */
	char			*instance;	/* INSTANCE, "default" if omitted */
	char			*file;		/* .so path; NULL: plugin_dir/NAME.so */
	unsigned long		 interval;	/* ms */
	unsigned long		 jitter;	/* ms; max random offset */
	unsigned long		 timeout;	/* ms; read deadline */
	unsigned long		 max_backoff;	/* ms */
	char			*retention;	/* preset of its metrics;
						   NULL: [storage] retention */
	struct plugin_opt	*opts;
	size_t			 nopts;
	int			 line;		/* of the section header */
};

extern const struct config_section plugin_section;

/* 1 if two plugin sections would run the same way (same keys, values). */
int	plugin_conf_same(const struct plugin_conf *,
	    const struct plugin_conf *);

/*
 * `tallyd -t`: load every plugin a config names, check its ABI and run
 * create and configure on each section's keys.  Errors go to errs as
 * "file:line: message".  Returns the number of errors added.
 */
int	plugins_check(const struct config *, struct config_errors *errs);

/* Start every instance of conf (loop thread). */
struct journal;
struct store;
/* Where host sync and stored_last look; before plugins_start. */
void	plugins_set_storage(struct store *, struct journal *);
/*
 * The configured instances own their names' prefixes: clients may not
 * write them, and a replayed series there waits for its plugin.  Before
 * the journal's replay, and again by plugins_start and reload.
 */
void	plugins_set_owners(const struct config *);
void	plugins_start(struct event_base *, const struct config *);
/*
 * Apply a new config: instances whose section is unchanged keep running
 * untouched; removed ones stop, changed ones restart, new ones start.
 */
void	plugins_reload(const struct config *);
/*
 * Stop scheduling, wait up to timeout ms for running reads, destroy the
 * instances.  Returns the number of reads still stuck.
 */
int	plugins_stop(msec_t timeout);
int	plugins_count(void);
/*
 * One line per running instance, for PLUGINS:
 * "NAME file=PATH interval=MS runs=N failed=N skipped=N late=N last_ms=N
 * running=0|1[ status=TEXT]", TEXT (the rest of the line) as the instance
 * last set it.  Returns the count; *lines is malloc'd, each line too.
 */
size_t	plugins_describe(char ***lines);

/* One running instance, for /api/v1/plugins; strings malloc'd. */
struct plugin_info {
	char			*name;		/* "plugin.instance" */
	unsigned long long	 runs, failed;
	char			*status;	/* NULL: none set */
};
size_t	plugins_info(struct plugin_info **);
void	plugins_info_free(struct plugin_info *, size_t);

#endif
