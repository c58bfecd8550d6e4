/*
 * config.h - the configuration file, parsed with inih into typed structs.
 *
 * Every core key is described once in a table (section, name, type, range,
 * default, reloadable, help); the same table checks unknown keys, fills
 * defaults and prints `tallyd --help-config`.  Loading never touches live
 * state: config_load() returns a fresh struct config or NULL with every
 * error collected as "file:line: message".
 */
#ifndef TALLY_CONFIG_H
#define TALLY_CONFIG_H

#include <sys/queue.h>
#include <stdio.h>

/* Error list: each entry is a complete "file:line: message" string. */
struct config_errors {
	char		**msg;
	size_t		  n;
};
void	config_error(struct config_errors *, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	config_errors_clear(struct config_errors *);

/* One archive of a retention preset. */
struct retention_rra {
	char		 cf[8];		/* AVERAGE, MIN, MAX, LAST */
	double		 xff;
	unsigned long	 steps;		/* primary points per row */
	unsigned long	 rows;
};

/* A retention preset: how an RRD file is laid out. */
struct retention {
	char			*name;
	unsigned long		 step;		/* seconds */
	unsigned long		 heartbeat;	/* seconds */
	struct retention_rra	*rra;
	size_t			 nrra;
	int			 builtin;
	int			 line;		/* 0 for built-ins */
	TAILQ_ENTRY(retention)	 entry;
};

/* A key of a plugin section that goes to the plugin's configure. */
struct plugin_opt {
	char		*key;
	char		*value;
	int		 line;
};

/* One [plugin NAME INSTANCE] section. */
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
	TAILQ_ENTRY(plugin_conf) entry;
};

struct config {
	char		*path;

	/* [daemon]; paths are absolute */
	char		*pidfile;		/* NULL: write none */
	char		*user;			/* NULL: do not switch user */
	char		*plugin_dir;
	char		*statedir;
	int		 verbose;		/* log_level: 0 info, 1 debug */
	int		 read_threads;
	unsigned long	 shutdown_timeout;	/* ms */
	char		*socket;		/* NULL: no unix socket */
	char		*socket_group;		/* NULL: the daemon's group */
	unsigned long	 socket_mode;		/* permission bits */
	char		*listen;		/* TCP host:port; NULL: none */
	char		*token;			/* NULL: TCP needs no AUTH */
	int		 max_clients;
	unsigned long	 client_timeout;	/* ms idle before closing */
	unsigned long	 max_output;		/* bytes pending per client */
	int		 requests_per_wake;
	unsigned long	 graph_cache;		/* ms a render is reused */

	/* [storage] */
	char		*datadir;
	char		*rrdcached;		/* NULL: write files directly */
	unsigned long	 queue_max;		/* values */
	unsigned long	 write_delay;		/* ms a value may wait to batch */
	char		*default_retention;

	TAILQ_HEAD(, retention)	  retentions;	/* built-ins first */
	TAILQ_HEAD(, plugin_conf) plugins;	/* in file order */
};

/*
 * Parse path into a new config.  On any error returns NULL and appends every
 * error found to errs.  Relative paths in the file are taken relative to the
 * directory of the config file.
 */
struct config	*config_load(const char *path, struct config_errors *errs);
void		 config_free(struct config *);

const struct retention	*config_retention(const struct config *,
			    const char *name);
/* 1 if two plugin sections would run the same way (same keys, values). */
int		 config_plugin_same(const struct plugin_conf *,
		    const struct plugin_conf *);
/* Names of core keys that differ and cannot change on reload; or NULL. */
char		*config_unreloadable(const struct config *old,
		    const struct config *new);
/* Copy the keys that cannot change on reload from old into new. */
void		 config_keep_unreloadable(struct config *new,
		    const struct config *old);
/*
 * Parse a duration: seconds, or numbers with units ms, s, m, h, d, w, y
 * (365d), e.g. "90", "1h30m".  Returns milliseconds; on error returns 0 and
 * sets *errstr to why (strtonum(3) style), else sets it to NULL.
 */
unsigned long long config_duration(const char *, const char **errstr);
/* Print every key with its type, range, default and help. */
void		 config_print_help(FILE *);

#endif
