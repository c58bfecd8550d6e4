/*
 * conn.h - tallyctl's end of a connection to tallyd: connect over a unix
 * socket or TCP, send one request line, read one response framed exactly
 * as docs/PROTOCOL.md says.  Every wait is a poll bounded by a deadline
 * that starts when the connection opens and again at each request.
 */
#ifndef TALLYCTL_CONN_H
#define TALLYCTL_CONN_H

#include <stddef.h>

#define CONN_PROTOCOL	"1"			/* the version we speak */
#define CONN_LINE_MAX	65536			/* a line, without "\n" */
#define CONN_DATA_MAX	(64 * 1024 * 1024)	/* bytes after DATA */
#define CONN_TEXT_MAX	(64 * 1024 * 1024)	/* all lines after OK */
#define CONN_CODE_MAX	32			/* an ERR code word + NUL */
#define CONN_ERR_MAX	512			/* an error message + NUL */

enum resp_type {
	RESP_OK,		/* OK n text: n lines follow */
	RESP_DATA,		/* DATA n type: n bytes follow */
	RESP_ERR		/* ERR code message: nothing follows */
};

/* One response; resp_free releases what conn_response filled in. */
struct resp {
	enum resp_type	 type;
	size_t		 count;		/* OK: lines; DATA: bytes */
	char		 code[CONN_CODE_MAX];	/* ERR: the code word */
	char		*status;	/* the status line, no newline */
	const char	*text;		/* in status: OK text, DATA type or
					   ERR message; "" if none */
	char		**lines;	/* OK: count lines, no newlines */
	char		*data;		/* DATA: count bytes */
};

struct conn;

/*
 * Connect to a unix socket path or a TCP "host:port" ("[v6addr]:port").
 * timeout_ms < 0 waits forever.  NULL with err filled on failure.
 */
struct conn	*conn_open_unix(const char *path, int timeout_ms, char *err,
		    size_t errlen);
struct conn	*conn_open_tcp(const char *hostport, int timeout_ms, char *err,
		    size_t errlen);
/* Wrap a connected socket (takes fd; tests use socketpairs). */
struct conn	*conn_new(int fd, int timeout_ms);
void		 conn_free(struct conn *);
/* Why the last conn_send or conn_response failed. */
const char	*conn_error(const struct conn *);

/* Send line (no newline in it) and "\n"; restarts the deadline. 0 or -1. */
int		 conn_send(struct conn *, const char *line);
/*
 * Read one whole response into r.  -1 on a transport or framing error:
 * closed early, timeout, malformed or oversized.  An ERR response is a
 * success here (r->type says so).
 */
int		 conn_response(struct conn *, struct resp *r);
void		 resp_free(struct resp *);

/* Parse a status line (taken: r->status = line).  0, or -1 with err. */
int		 resp_parse_status(char *line, struct resp *r, char *err,
		    size_t errlen);
/*
 * Check a greeting ("OK 0 tallyd 0.1.0 protocol 1 auth=none"): the
 * protocol version must be ours.  Sets *auth to 1 for auth=required.
 */
int		 resp_check_greeting(const struct resp *, int *auth, char *err,
		    size_t errlen);

#endif
