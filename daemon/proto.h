/*
 * proto.h - the socket protocol's pure parser: request lines in, typed
 * requests out.  No sockets, no clocks (callers pass "now"), no daemon
 * state, so it is unit-tested and fuzzed alone.  docs/PROTOCOL.md is the
 * spec.
 */
#ifndef TALLY_PROTO_H
#define TALLY_PROTO_H

#include <stddef.h>
#include <time.h>

#define PROTO_VERSION		1
#define PROTO_LINE_MAX		65536	/* bytes, without the newline */
#define PROTO_ARGS_MAX		4096	/* words in one request */

enum proto_cmd {
	PROTO_HELP,
	PROTO_PING,
	PROTO_AUTH,
	PROTO_QUIT,
	PROTO_LIST,
	PROTO_INFO,
	PROTO_LAST,
	PROTO_FETCH,
	PROTO_PUT,
	PROTO_FLUSH,
	PROTO_GRAPH,
	PROTO_PLUGINS,
	PROTO_STATS,
	PROTO_ALERTS,
	PROTO_ALERT,		/* ALERT HISTORY [name] | ALERT TEST name from */
	PROTO__MAX
};

/* Stable error codes: the word after ERR on a status line. */
enum proto_err {
	PERR_SYNTAX,		/* "syntax": unbalanced quote, control byte */
	PERR_UNKNOWN,		/* "unknown-command" */
	PERR_ARGS,		/* "bad-args": count or value of arguments */
	PERR_TIME,		/* "bad-time" */
	PERR_NAME,		/* "bad-name": metric name breaks the rules */
	PERR_NOTFOUND,		/* "not-found": no such metric */
	PERR_AUTH,		/* "auth": authenticate first, or bad token */
	PERR_LIMIT,		/* "limit": line too long, too many clients */
	PERR_BUSY,		/* "busy": queue full, try later */
	PERR_STORE,		/* "store": librrd or rrdcached failed */
	PERR_INTERNAL,		/* "internal" */
	PERR__MAX
};

/* Command table entry: name, argument counts, flags. */
#define PROTO_F_NOAUTH	0x1	/* allowed before AUTH on TCP */
#define PROTO_F_ASYNC	0x2	/* answered later, off the loop */
struct proto_cmd_entry {
	const char	*name;
	enum proto_cmd	 cmd;
	int		 min_args;
	int		 max_args;	/* -1: up to PROTO_ARGS_MAX */
	int		 flags;
	const char	*usage;		/* "FETCH metric start end [cf] [res]" */
	const char	*help;		/* one line */
};

struct proto_req {
	const struct proto_cmd_entry	*entry;
	int				 argc;	/* arguments after the command */
	char				*argv[PROTO_ARGS_MAX];
};

struct proto_error {
	enum proto_err	 code;
	char		 msg[256];
};

/*
 * Split line (modified in place; argv points into it) into a command and
 * its arguments.  Words are separated by spaces or tabs; a word may be
 * "double quoted" with \" and \\ escapes, so a title may hold spaces.
 * Command names are case-insensitive.  Control bytes (other than tab) are
 * a syntax error.  line must have room for len + 1 bytes (line[len] is
 * overwritten with a NUL); one trailing \r is ignored.  Returns 0, or -1
 * with err filled (req->entry is set once the command is known, so a
 * PERR_ARGS answer can quote its usage).
 */
int		 proto_parse(char *line, size_t len, struct proto_req *,
		    struct proto_error *err);
const struct proto_cmd_entry *proto_commands(size_t *n);
const char	*proto_err_name(enum proto_err);

/* Fill err (if not NULL) with code and a formatted message; returns -1. */
int		 proto_error_set(struct proto_error *err, enum proto_err code,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/*
 * Client text made safe for a message: at most max bytes of s, printable
 * ASCII kept, anything else (and " and \) as \xNN, "..." if cut.  buf
 * should hold 4 * max + 4 bytes; the result is always NUL-terminated.
 */
void		 proto_quote(char *buf, size_t len, const char *s,
		    size_t max);
/* A consolidation function, any case: cf gets AVERAGE, MIN, MAX or LAST. */
int		 proto_cf(const char *s, char cf[8]);

/*
 * A time: epoch seconds, "now", relative to now ("-1h", "-7d", "-10y",
 * "+30m"; units s m h d w y(=365d)), or ISO-8601 in UTC unless an offset is
 * given ("2021-12-31", "2021-12-31T23:59:59Z", "2021-12-31T23:59+07:00").
 */
int		 proto_time(const char *s, time_t now, time_t *out,
		    struct proto_error *err);
/* A duration "300", "5m", "1h", "7d", "1y": seconds > 0. */
int		 proto_duration(const char *s, long *out,
		    struct proto_error *err);

/* One PUT value "TIME:VALUE": TIME epoch or N (now), VALUE a number or U. */
int		 proto_put_value(const char *s, time_t now, time_t *when,
		    double *value, struct proto_error *err);

/* FETCH metric start end [cf] [resolution] */
struct proto_fetch {
	const char	*metric;
	time_t		 start, end;
	char		 cf[8];		/* AVERAGE (default), MIN, MAX, LAST */
	long		 resolution;	/* seconds, 0 = finest available */
};
int		 proto_fetch_args(const struct proto_req *, time_t now,
		    struct proto_fetch *, struct proto_error *err);
/* The same from typed arguments (cf, resolution may be NULL): HTTP's. */
int		 proto_fetch_parse(const char *metric, const char *start,
		    const char *end, const char *cf, const char *resolution,
		    time_t now, struct proto_fetch *, struct proto_error *err);

/*
 * Shell-style glob for LIST: * ? [abc] [a-z] [!abc]; 1 if name matches.
 * A pattern longer than PROTO_GLOB_MAX bytes matches nothing, which with
 * a length check bounds the work per name (LIST runs it on every series).
 */
#define PROTO_GLOB_MAX		1024
int		 proto_glob(const char *pattern, const char *name);

#endif
