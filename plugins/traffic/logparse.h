/*
 * logparse.h - the traffic plugin's access-log line scanner: a log format
 * (nginx-style "$variable" string, or "combined"/"common") compiled once
 * into a list of fields and literals, then a hand-written scanner that
 * cuts a line into fields without copying or allocating.
 *
 * Pointers in a parsed record point into the caller's line buffer and are
 * valid as long as that buffer is.
 */
#ifndef TRAFFIC_LOGPARSE_H
#define TRAFFIC_LOGPARSE_H

#include <stddef.h>
#include <stdint.h>

#define TP_ITEMS_MAX	32	/* fields plus literals in a format */
#define TP_LIT_MAX	16	/* longest literal between two fields */

/* Fields the scanner knows; anything else in a format is skipped. */
enum tp_field {
	TP_F_LITERAL = 0,
	TP_F_ADDR,			/* $remote_addr */
	TP_F_USER,			/* $remote_user */
	TP_F_TIME_LOCAL,	/* $time_local: 10/Oct/2000:13:55:36 -0700 */
	TP_F_TIME_ISO,		/* $time_iso8601: 2000-10-10T13:55:36-07:00 */
	TP_F_MSEC,			/* $msec: 971211336.123 */
	TP_F_REQUEST,			/* $request: GET /path HTTP/1.1 */
	TP_F_METHOD,			/* $request_method */
	TP_F_URI,			/* $request_uri, $uri */
	TP_F_STATUS,			/* $status */
	TP_F_BYTES,			/* $body_bytes_sent, $bytes_sent */
	TP_F_REFERER,			/* $http_referer */
	TP_F_AGENT,			/* $http_user_agent */
	TP_F_SKIP			/* any other $variable */
};

struct tp_item {
	int		 field;		/* enum tp_field */
	char		 lit[TP_LIT_MAX];
	uint8_t		 litlen;
	char		 delim;		/* field: char ending it, 0 = EOL */
	uint8_t		 quoted;	/* field: after a '"' literal */
};

struct tp_format {
	struct tp_item	 items[TP_ITEMS_MAX];
	size_t		 nitems;
	unsigned int	 have;		/* bit (1 << field) per field */
};

/* Scanner modes. */
#define TP_LENIENT	0x01	/* GoAccess rules: see docs/TRAFFIC.md */

/* Why a line was refused; also indexes the plugin's malformed counts. */
enum tp_error {
	TP_OK = 0,
	TP_E_BINARY,		/* control or NUL bytes */
	TP_E_SHORT,		/* ends before a required field */
	TP_E_LITERAL,		/* text between fields does not match */
	TP_E_ADDR,		/* client address is not an IP address */
	TP_E_TIME,		/* unreadable or impossible time stamp */
	TP_E_REQUEST,		/* no request */
	TP_E_STATUS,		/* status not a number in 100..599 */
	TP_E_BYTES,		/* size not a number or "-" */
	TP_E_OVERLONG,		/* longer than the configured limit */
	TP_E_FUTURE,		/* time stamp ahead of the clock */
	TP_E_ORDER,		/* much older than lines already read */
	TP_E_COUNT,
	TP_IGNORE		/* blank line or comment: no request */
};

/* One parsed line; strings are not NUL-terminated. */
struct tp_rec {
	const char	*addr;
	const char	*agent;
	const char	*method;
	const char	*path;		/* without the query string */
	size_t		 addrlen, agentlen, methodlen, pathlen;
	int64_t		 when;		/* seconds since the epoch */
	int32_t		 date;		/* local date, YYYYMMDD */
	int32_t		 tzoff;		/* local time minus UTC, seconds */
	int		 status;	/* 0 when the line has none */
	uint64_t	 bytes;
};

/* A cache of the last date seen, so most lines skip the calendar maths. */
struct tp_clock {
	char		 text[11];	/* "10/Oct/2000" */
	int64_t		 days;		/* of text, since 1970-01-01 */
	int32_t		 date;
};

int		 tp_format_compile(struct tp_format *, const char *spec,
		    char *err, size_t errlen);
enum tp_error	 tp_parse(const struct tp_format *, struct tp_clock *,
		    const char *line, size_t len, int mode, struct tp_rec *);
const char	*tp_error_name(enum tp_error);

int		 tp_is_ip(const char *, size_t);
int		 tp_is_static(const char *path, size_t len);
int		 tp_is_crawler(const char *agent, size_t len);
int		 tp_is_pageview(const struct tp_rec *);
int64_t		 tp_days_from_civil(int y, int m, int d);
int		 tp_parse_time_local(const char *, size_t, struct tp_clock *,
		    int64_t *when, int32_t *date, int32_t *tzoff, int lenient);

#endif
