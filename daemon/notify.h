/*
 * notify.h - telling people about alerts.  Every notice is logged; then
 * it goes to each [notify NAME] section its rule names: exec (a program
 * run without a shell, the alert in TALLY_ALERT_* environment variables,
 * in a worker thread, with a timeout) or webhook (an HTTP POST of a JSON
 * document from the loop, asynchronous).  A failed delivery is logged and
 * retried with exponential backoff; none ever blocks the loop.  What is
 * not delivered at a stop is kept for the next start.
 */
#ifndef TALLY_NOTIFY_H
#define TALLY_NOTIFY_H

#include <stddef.h>
#include <time.h>

struct config;
struct config_section;
struct event_base;
struct evbuffer;

enum notify_type {
	NOTIFY_LOG,
	NOTIFY_EXEC,
	NOTIFY_WEBHOOK
};

/* One [notify NAME] section (notify_section registers them). */
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
};

extern const struct config_section notify_section;

/* One notice.  Strings are borrowed for the call; notify copies them. */
struct notify_event {
	const char	*rule;
	const char	*metric;
	const char	*kind;
	const char	*event;		/* fire raise lower resolve repeat */
	const char	*level;		/* ok warning critical */
	const char	*previous;
	const char	*message;
	double		 value;		/* NAN: unknown */
	double		 threshold;	/* of level; NAN for ok */
	time_t		 time;		/* of the evaluation */
	time_t		 since;		/* when the level began */
};

/* Loop thread. */
void	notify_start(struct event_base *, const struct config *);
void	notify_reload(const struct config *);
/* Log the notice and deliver it to the notifiers called names[0..n). */
void	notify_send(const struct notify_event *, char *const *names,
	    size_t n);
/* Log it and only queue it: we are stopping; the next start delivers. */
void	notify_hold(const struct notify_event *, char *const *names,
	    size_t n);
/* Deliveries not finished (running, or waiting to retry). */
int	notify_pending(void);
/* Queue what is left for the next start (statedir/notify.queue), free
 * everything. */
void	notify_stop(void);

/* Pure helpers, for config.c and the tests. */
struct notify_url {
	int		 tls;		/* https:// */
	char		 host[256];	/* without brackets */
	char		 hosthdr[272];	/* Host: header */
	int		 port;
	char		 path[1024];	/* with the query */
};
/* http[s]://host[:port][/path]; out may be NULL to only check.  -1 and
 * why. */
int	 notify_url_parse(const char *, struct notify_url *out, char *why,
	    size_t len);
/* Words split at spaces, "double quotes" keep spaces; argv[0] absolute. */
int	 notify_argv_split(const char *, char ***argv, char *why, size_t len);
void	 notify_argv_free(char **);
/* The webhook's document (docs/ALERTS.md); the caller frees it. */
char	*notify_json(const struct notify_event *, const char *host);
/* The exec environment: TALLY_ALERT_* then keep[] (NULL-terminated). */
char	**notify_envp(const struct notify_event *, char *const *keep);
/* A notice as one queue line (tab-separated, newline-terminated) and
 * back; parse cuts line in place, ev's strings point into it. */
char	*notify_record_fmt(const struct notify_event *);
int	 notify_record_parse(char *line, struct notify_event *);

#endif
