/*
 * alertdb.h - the alert engine's files under [daemon] statedir: the state
 * of every alert (alert.state, rewritten whole: temp file, fsync, rename)
 * and the history of state changes (alert.history, appended, compacted
 * when it passes its cap).  Lines are text, one record each; the formats
 * are also the protocol's (docs/PROTOCOL.md).  Blocking: call from a
 * worker, or at start and stop.
 */
#ifndef TALLY_ALERTDB_H
#define TALLY_ALERTDB_H

#include <stddef.h>
#include <time.h>

#include "alertrule.h"

#define ALERTDB_STATE		"alert.state"
#define ALERTDB_HISTORY		"alert.history"
#define ALERTDB_LINE_MAX	1024

/* Replace path with data: temp file, fsync, rename, fsync the directory. */
int	 alertdb_replace(const char *path, const char *data, size_t len,
	    char *err, size_t errlen);
/* Append data to path (made if missing) and fsync it. */
int	 alertdb_append(const char *path, const char *data, size_t len,
	    char *err, size_t errlen);
/* The whole file, NUL-terminated; NULL with errno (ENOENT: none yet). */
char	*alertdb_read(const char *path, size_t max);

/* "RULE METRIC LEVEL SINCE EVALUATED NOTIFIED COUNTW COUNTC VALUE MSG" */
void	 alertdb_state_fmt(char *buf, size_t len, const char *rule,
	    const char *metric, const struct alert_state *);
/* Parse one state line; rule and metric point into line (modified). */
int	 alertdb_state_parse(char *line, char **rule, char **metric,
	    struct alert_state *);

/* "TIME RULE METRIC FROM TO VALUE MESSAGE" */
void	 alertdb_event_fmt(char *buf, size_t len, time_t t, const char *rule,
	    const char *metric, int from, int to, double value,
	    const char *msg);
/* The rule of an event line (its second word) into buf; -1 if bad. */
int	 alertdb_event_rule(const char *line, char *buf, size_t len);

#endif
