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

#include "alertrule.h"

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

/* One [alert NAME] section (alert.c, alertrule.h). */
struct alert_conf {
	char			*name;
	char			*metric;	/* a series name or a glob */
	int			 enabled;
	struct alertrule	 rule;		/* complete once loaded */
	char			**notify;	/* [notify NAME]s to tell */
	size_t			 nnotify;
	int			 line;		/* of the section header */
	/* as written; parsed into rule when the section ends */
	char			*window, *compare, *per, *period;
	char			*deadline, *warning, *critical, *hysteresis;
	char			*notify_list;
	int			 notify_line;
	double			 clear_below, clear_above;
	TAILQ_ENTRY(alert_conf)	 entry;
};

enum notify_type {
	NOTIFY_LOG,
	NOTIFY_EXEC,
	NOTIFY_WEBHOOK
};

/* One [notify NAME] section (notify.c). */
struct notify_conf {
	char			*name;
	int			 type;		/* enum notify_type */
	char			*command;	/* exec: argv, no shell */
	char			*url;		/* webhook: http(s)://... */
	char			*ca_file;	/* webhook: CAs for https */
	unsigned long		 timeout;	/* ms */
	int			 retries;
	unsigned long		 backoff;	/* ms before the first retry */
	int			 line;
	TAILQ_ENTRY(notify_conf) entry;
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
	int		 render_procs;		/* graph helpers at most */
	unsigned long	 render_recycle;	/* renders before a new helper */
	unsigned long	 render_rss_max;	/* bytes; bigger: a new helper */
	unsigned long	 render_timeout;	/* ms a render may take */

	/* [storage] */
	char		*datadir;
	char		*rrdcached;		/* NULL: write files directly */
	unsigned long	 queue_max;		/* values */
	unsigned long	 write_delay;		/* ms a value may wait to batch */
	char		*default_retention;

	/* [http] */
	char		*http_listen;		/* host:port; NULL: no gateway */
	char		*http_token;		/* NULL: read-only gateway */
	unsigned long	 http_max_headers;	/* bytes: request line, headers */
	unsigned long	 http_max_body;		/* bytes */
	int		 http_max_requests;	/* waiting on queries at once */
	int		 http_max_connections;
	unsigned long	 http_header_timeout;	/* ms to send a request */
	unsigned long	 http_timeout;		/* ms */
	char		*http_dashboard_dir;
	char		*http_counter_total;	/* metric; NULL: no counter */
	char		*http_counter_online;	/* metric; NULL: none */

	TAILQ_HEAD(, retention)	  retentions;	/* built-ins first */
	TAILQ_HEAD(, plugin_conf) plugins;	/* in file order */
	TAILQ_HEAD(, alert_conf)  alerts;	/* in file order */
	TAILQ_HEAD(, notify_conf) notifiers;
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
