/*
 * config.h - the configuration file, parsed with inih into typed structs.
 *
 * config.c is a sink: it reads the file, knows the value types, reports
 * errors as "file:line: message", diffs configs on reload and prints
 * `tallyd --help-config`; it knows no subsystem.  [daemon] and [storage]
 * are its own; every other section is registered by its owner (a table of
 * keys, the same kind config.c keeps for its own, plus begin, end, check
 * and free callbacks): [http] in http.c, [retention] in retention.c,
 * [plugin] in plugin.c, [alert] in alertrule.c, [notify] in notify.c.
 * Loading never touches live state: config_load() returns a fresh struct
 * config or NULL with every error collected.
 */
#ifndef TALLY_CONFIG_H
#define TALLY_CONFIG_H

#include <sys/queue.h>
#include <stddef.h>
#include <stdio.h>

/* Error list: each entry is a complete "file:line: message" string. */
struct config_errors {
	char		**msg;
	size_t		  n;
};
void	config_error(struct config_errors *, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	config_errors_clear(struct config_errors *);

enum config_type {
	CONFIG_STRING,			/* char * */
	CONFIG_PATH,			/* char *, made absolute */
	CONFIG_BOOL,			/* int */
	CONFIG_INT,			/* int */
	CONFIG_COUNT,			/* unsigned long; k, M, G suffixes */
	CONFIG_DURATION,		/* unsigned long, ms (or seconds) */
	CONFIG_ENUM,			/* int: index in choices */
	CONFIG_FRACTION,		/* double in [0, 1) */
	CONFIG_NUMBER,			/* double, any finite number */
	CONFIG_OWN			/* the section's value callback */
};

#define CONFIG_RELOAD	0x01		/* may change on reload */
#define CONFIG_NONE_OK	0x02		/* empty means none: stored as NULL */
#define CONFIG_SECONDS	0x04		/* duration kept in whole seconds */
#define CONFIG_MULTI	0x08		/* may be repeated */
#define CONFIG_METRIC	0x20		/* a series name, or empty */
#define CONFIG_HOSTPORT	0x40		/* host:port to listen on, or empty */
#define CONFIG_OCTAL	0x80		/* a mode: a leading 0 is octal */

#define CONFIG_MS_S		1000ULL
#define CONFIG_MS_H		(3600 * CONFIG_MS_S)
#define CONFIG_MS_D		(24 * CONFIG_MS_H)
#define CONFIG_MS_Y		(365 * CONFIG_MS_D)

/* One key of a section. */
struct config_key {
	const char		*name;
	enum config_type	 type;
	unsigned long long	 min;		/* durations in ms */
	unsigned long long	 max;
	const char		*def;		/* parsed as values are */
	const char		*defshow;	/* shown instead of def */
	const char *const	*choices;	/* CONFIG_ENUM; NULL ends */
	const char		*ref;		/* names a [ref NAME] section */
	const char		*own;		/* CONFIG_OWN: its syntax */
	int			 flags;
	size_t			 off;		/* in the section's struct */
	const char		*help;
};

/* A section the file does not hold but every config has (a preset). */
struct config_builtin {
	const char	*name;
	const char	*about;
	const char	*keys[8][2];
};

struct config;
struct config_parse;			/* one load in progress */
struct config_item;			/* one section of a loaded config */

/* A kind of section, registered by its owner. */
struct config_section {
	const char		*word;		/* [word ...] */
	int			 minw, maxw;	/* words in the header */
	const char		*usage;		/* "[alert NAME]" */
	const char		*head;		/* --help-config heading */
	const char		*noun[2];	/* "plugin": "bad plugin name" */
	const char		*reftype;	/* what keys naming one
						   are: "retention preset" */
	const struct config_key	*keys;
	size_t			 nkeys;
	const struct config_builtin *builtins;
	size_t			 nbuiltins;
	/*
	 * A single section ([http]): size bytes, allocated with every
	 * config and filled with defaults; its keys without CONFIG_RELOAD
	 * keep their old values on reload.  Otherwise named sections: begin
	 * makes the struct keys go into (NULL if the header is refused),
	 * end finishes it when the section ends and returns what the config
	 * keeps (base itself, or what was built from it).
	 */
	size_t			 size;
	void			*(*begin)(struct config_parse *,
				    const char *name, const char *instance);
	/* CONFIG_OWN keys, and keys not in the table: -1 if unknown. */
	int			 (*value)(struct config_parse *, void *base,
				    const char *key, const char *value);
	void			*(*end)(struct config_parse *, void *base);
	/* After the whole file: checks across sections. */
	void			 (*check)(struct config_parse *);
	/* Frees one section's data, its table's strings too. */
	void			 (*free)(void *);
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
	int		 max_clients;		/* TCP */
	int		 max_local_clients;	/* unix socket */
	unsigned long	 auth_timeout;		/* ms to AUTH on TCP */
	unsigned long	 client_timeout;	/* ms idle before closing */
	unsigned long	 max_output;		/* bytes pending per client */
	unsigned long	 max_output_total;	/* bytes pending, all clients */
	unsigned long	 max_future;		/* ms a PUT time may be ahead */
	int		 max_series;		/* series clients may create */
	int		 requests_per_wake;
	unsigned long	 graph_cache;		/* ms a render is reused */
	char		*render_helper;		/* tally-render's path */
	char		*graph_locale;		/* NULL: C */
	int		 render_procs;		/* graph helpers at most */
	unsigned long	 render_recycle;	/* renders before a new helper */
	unsigned long	 render_rss_max;	/* bytes; bigger: a new helper */
	unsigned long	 render_timeout;	/* ms a render may take */

	/* [storage] */
	char		*datadir;
	char		*rrdcached;		/* NULL: write files directly */
	char		*rrdcached_prefix;	/* relative; NULL: datadir */
	unsigned long	 queue_max;		/* values */
	unsigned long	 write_delay;		/* ms a value may wait to batch */
	int		 durability;		/* enum journal_mode */
	unsigned long	 journal_max;		/* bytes */
	char		*default_retention;

	TAILQ_HEAD(, config_item) items;	/* sections, in file order */
	void		*single[16];		/* by registration */
};

/*
 * Register a kind of section before any config_load; --help-config shows
 * them in this order, after [daemon] and [storage].
 */
void		 config_register(const struct config_section *);

/*
 * Parse path into a new config.  On any error returns NULL and appends every
 * error found to errs.  Relative paths in the file are taken relative to the
 * directory of the config file.
 */
struct config	*config_load(const char *path, struct config_errors *errs);
/*
 * The same, but the config is returned with its errors (NULL only if the
 * file cannot be read), so tallyd -t can check what depends on it too
 * (plugins) and report every error at once.  Never to be run.
 */
struct config	*config_load_all(const char *path,
		    struct config_errors *errs);
void		 config_free(struct config *);

/* The sections of a kind in file order (built-ins first); NULL after. */
struct config_item *config_next(const struct config *,
		    const struct config_section *, struct config_item *);
#define CONFIG_FOREACH(it, cf, sec)					\
	for ((it) = config_next((cf), (sec), NULL); (it) != NULL;	\
	    (it) = config_next((cf), (sec), (it)))
void		*config_data(const struct config_item *);
int		 config_builtin(const struct config_item *);
/* The data of [word name], or NULL. */
void		*config_find(const struct config *, const char *word,
		    const char *name);
/* The data of a single section (section.size), or NULL if unregistered. */
void		*config_single(const struct config *,
		    const struct config_section *);

/* For sections' callbacks: the load in progress. */
void		 config_perr(struct config_parse *, int line, const char *,
		    ...) __attribute__((format(printf, 3, 4)));
int		 config_line(const struct config_parse *);
const char	*config_secname(const struct config_parse *);
struct config	*config_loading(const struct config_parse *);
size_t		 config_nerrors(const struct config_parse *);
/* Line of a key of this section: 0 if unset, negative if it was bad. */
int		 config_seen(const struct config_parse *, const char *key);
/* Free the strings a section's table put into base. */
void		 config_free_keys(const struct config_section *, void *base);

/*
 * The directory series files are named under: rrdcached_prefix (relative
 * to a shared rrdcached's base directory) if set, else datadir.
 */
const char	*config_rrd_dir(const struct config *);

/* Names of core keys that differ and cannot change on reload; or NULL. */
char		*config_unreloadable(const struct config *old,
		    const struct config *new);
/* Copy the keys that cannot change on reload from old into new. */
void		 config_keep_unreloadable(struct config *new,
		    const struct config *old);
/* Print every key with its type, range, default and help. */
void		 config_print_help(FILE *);

#endif
