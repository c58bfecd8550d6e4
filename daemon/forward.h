/*
 * forward.h - [forward NAME]: every value stored, sent on to another
 * engine (VictoriaMetrics, Graphite), with the journal as the outbox.
 * See the design block in forward.c and docs/SCALING.md.
 */
#ifndef TALLY_FORWARD_H
#define TALLY_FORWARD_H

#include <stddef.h>

struct config;
struct config_section;
struct evbuffer;
struct journal;

enum forward_type {
	FORWARD_VM = 0,		/* /api/v1/import/prometheus */
	FORWARD_GRAPHITE	/* plaintext over TCP */
};

/* One [forward NAME] section. */
struct forward_conf {
	char		*name;
	int		 line;
	int		 type;		/* enum forward_type */
	char		*url;		/* victoriametrics */
	char		*address;	/* graphite: host:port */
	char		*prefix;	/* graphite; NULL: none */
	char		**match;	/* globs; none: every series */
	size_t		 nmatch;
	unsigned long	 max_backlog;	/* bytes */
	unsigned long	 batch;		/* values a request at most */
	unsigned long	 timeout;	/* ms */
};

extern const struct config_section forward_section;

/*
 * Before journal_start: read each forwarder's cursor from
 * STATEDIR/forward/, hold the journal's segments from there on, and
 * start one thread per forwarder.  0, or -1 after logging why.
 */
int	forward_start(const struct config *, struct journal *);
/* Reload: sections are read at start; a change is logged, not applied. */
void	forward_reload(const struct config *);
/* Stop the threads (before journal_close); cursors are on disk. */
void	forward_stop(void);
/* The forwarders' figures as Prometheus text, for /metrics. */
void	forward_metrics(struct evbuffer *);

#endif
