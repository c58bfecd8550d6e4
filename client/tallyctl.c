/*
 * tallyctl.c - the command-line client of tallyd's socket protocol
 * (docs/PROTOCOL.md).  One subcommand per protocol command: arguments go
 * out as protocol words (quoted when needed), answers are read strictly
 * (conn.c) and printed for people (tables) or programs (CSV, JSON, raw).
 *
 * Exit status: 0 done; 1 the server answered ERR; 2 usage; 3 no usable
 * answer (cannot connect, closed early, timeout, malformed response) or
 * the output could not be written.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conn.h"
#include "output.h"
#include "req.h"
#include "when.h"

#ifndef TALLY_RUNSTATEDIR
#define TALLY_RUNSTATEDIR	"/run"
#endif
#define CTL_SOCKET_DEFAULT	TALLY_RUNSTATEDIR "/tallyd.sock"
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION		"unknown"
#endif

#define CTL_EXIT_OK		0	/* done */
#define CTL_EXIT_ERR		1	/* the server answered ERR */
#define CTL_EXIT_USAGE		2	/* bad command line */
#define CTL_EXIT_CONN		3	/* no usable answer, or output failed */

#define CTL_TIMEOUT_DEFAULT	30	/* seconds */

struct ctl {
	const char	*socket;
	const char	*hostport;
	char		*token;
	int		 timeout_ms;	/* < 0: none */
	int		 utc;		/* --utc: times in and out in UTC */
	struct conn	*conn;
};

struct ctl_cmd;
typedef int (*ctl_exec_fn)(struct ctl *, const struct ctl_cmd *, int,
    char **);

/* A subcommand: its protocol verb, argument counts and handler. */
struct ctl_cmd {
	const char	*name;
	const char	*verb;		/* protocol command */
	int		 min_args;
	int		 max_args;	/* -1: any number */
	int		 flags;
#define CTL_F_TEXT	0x1		/* print the status text (PONG) */
#define CTL_F_ALERTS	0x2		/* ALERTS lines: dates, numbers */
#define CTL_F_EVENTS	0x4		/* event lines: dates, numbers */
	ctl_exec_fn	 exec;
	const char	*usage;
};

static int	ctl_simple(struct ctl *, const struct ctl_cmd *, int, char **);
static int	ctl_fetch(struct ctl *, const struct ctl_cmd *, int, char **);
static int	ctl_graph(struct ctl *, const struct ctl_cmd *, int, char **);
static int	ctl_alert(struct ctl *, const struct ctl_cmd *, int, char **);
static int	ctl_report(struct ctl *, const struct ctl_cmd *, int, char **);
static int	ctl_raw(struct ctl *, const struct ctl_cmd *, int, char **);
static int	ctl_usage_error(const struct ctl_cmd *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static const struct ctl_cmd ctl_cmds[] = {
	{ "ping", "PING", 0, 0, CTL_F_TEXT, ctl_simple, "ping" },
	{ "help", "HELP", 0, 0, 0, ctl_simple, "help" },
	{ "list", "LIST", 0, 1, 0, ctl_simple, "list [glob]" },
	{ "info", "INFO", 1, 1, 0, ctl_simple, "info metric" },
	{ "last", "LAST", 1, 1, 0, ctl_simple, "last metric" },
	{ "fetch", "FETCH", 3, 5, 0, ctl_fetch,
	  "fetch metric start end [cf] [resolution] [--csv | --json]" },
	{ "put", "PUT", 2, -1, CTL_F_TEXT, ctl_simple,
	  "put metric time:value ..." },
	{ "flush", "FLUSH", 0, 1, CTL_F_TEXT, ctl_simple, "flush [metric]" },
	{ "graph", "GRAPH", 1, -1, 0, ctl_graph,
	  "graph [-o file] key=value ..." },
	{ "plugins", "PLUGINS", 0, 0, 0, ctl_simple, "plugins" },
	{ "stats", "STATS", 0, 0, 0, ctl_simple, "stats" },
	{ "alerts", "ALERTS", 0, 0, CTL_F_ALERTS, ctl_simple, "alerts" },
	{ "alert", "ALERT", 1, 4, 0, ctl_alert,
	  "alert history [name] | alert test name --from date" },
	{ "report", "REPORT", 0, 8, 0, ctl_report,
	  "report [--from year] [--to year] [--format text|csv|xlsx] "
	  "[-o file]" },
	{ "raw", NULL, 1, -1, 0, ctl_raw, "raw line" },
};

static char	ctl_line[REQ_LINE_MAX + 1];

static const struct option ctl_longopts[] = {
	{ "utc", no_argument, NULL, 'u' },
	{ NULL, 0, NULL, 0 }
};

static void __attribute__((noreturn))
usage(int status)
{
	size_t	 i;
	FILE	*fp = status ? stderr : stdout;

	fprintf(fp, "usage: tallyctl [-huV] [-s socket | -H host:port] "
	    "[-t token] [-T timeout] command ...\n"
	    "  -s socket   unix socket (default $TALLY_SOCKET or %s)\n"
	    "  -H h:port   connect over TCP instead\n"
	    "  -t token    AUTH token if the server wants one "
	    "(default $TALLY_TOKEN)\n"
	    "  -T seconds  give up on an answer after this long "
	    "(default %d, 0: never)\n"
	    "  -u, --utc   times typed and shown in UTC, not local time\n"
	    "commands:\n", CTL_SOCKET_DEFAULT, CTL_TIMEOUT_DEFAULT);
	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		fprintf(fp, "  %s\n", ctl_cmds[i].usage);
	exit(status);
}

/* Complain about the command line, show the command's usage, return 2. */
static int
ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	va_list	 ap;

	fputs("tallyctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd != NULL)
		fprintf(stderr, "usage: tallyctl [options] %s\n", cmd->usage);
	return (CTL_EXIT_USAGE);
}

/* Print text from the server with control bytes made harmless. */
static void
ctl_print_safe(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, fp);
}

/* "tallyctl: ERR code message" on stderr, with a hint for auth; 1. */
static int
ctl_print_err(const struct ctl *ctl, const struct resp *r)
{
	fprintf(stderr, "tallyctl: ERR %s", r->code);
	if (*r->text != '\0') {
		fputc(' ', stderr);
		ctl_print_safe(stderr, r->text);
	}
	fputc('\n', stderr);
	if (strcmp(r->code, "auth") == 0 && ctl->token == NULL)
		fprintf(stderr, "tallyctl: the server wants a token: use -t "
		    "or TALLY_TOKEN\n");
	return (CTL_EXIT_ERR);
}

/*
 * Read the greeting and authenticate if the server asks and we can.  The
 * command's request already waits in ctl_line, so AUTH has its own line.
 */
static int
ctl_greet(struct ctl *ctl)
{
	static char	 line[REQ_LINE_MAX + 1];
	struct resp	 r;
	char		 err[CONN_ERR_MAX];
	int		 auth, rc;

	if (conn_response(ctl->conn, &r) == -1) {
		fprintf(stderr, "tallyctl: greeting: %s\n",
		    conn_error(ctl->conn));
		return (CTL_EXIT_CONN);
	}
	if (r.type == RESP_ERR) {
		rc = ctl_print_err(ctl, &r);
		resp_free(&r);
		return (rc);
	}
	rc = resp_check_greeting(&r, &auth, err, sizeof(err));
	resp_free(&r);
	if (rc == -1) {
		fprintf(stderr, "tallyctl: %s\n", err);
		return (CTL_EXIT_CONN);
	}
	if (!auth || ctl->token == NULL)
		return (CTL_EXIT_OK);
	if (req_build(line, "AUTH", 1, &ctl->token, err, sizeof(err)) == -1)
		return (ctl_usage_error(NULL, "token: %s", err));
	if (conn_send(ctl->conn, line) == -1 ||
	    conn_response(ctl->conn, &r) == -1) {
		fprintf(stderr, "tallyctl: AUTH: %s\n", conn_error(ctl->conn));
		return (CTL_EXIT_CONN);
	}
	rc = CTL_EXIT_OK;
	if (r.type == RESP_ERR)
		rc = ctl_print_err(ctl, &r);
	else if (r.type != RESP_OK) {
		fprintf(stderr, "tallyctl: AUTH: unexpected answer\n");
		rc = CTL_EXIT_CONN;
	}
	resp_free(&r);
	return (rc);
}

/* Connect to the socket or -H address, then greet; an exit status. */
static int
ctl_connect(struct ctl *ctl)
{
	char	 err[CONN_ERR_MAX];
	int	 rc;

	if (ctl->hostport != NULL)
		ctl->conn = conn_open_tcp(ctl->hostport, ctl->timeout_ms, err,
		    sizeof(err));
	else
		ctl->conn = conn_open_unix(ctl->socket, ctl->timeout_ms, err,
		    sizeof(err));
	if (ctl->conn == NULL) {
		fprintf(stderr, "tallyctl: %s\n", err);
		return (CTL_EXIT_CONN);
	}
	if ((rc = ctl_greet(ctl)) != CTL_EXIT_OK) {
		conn_free(ctl->conn);
		ctl->conn = NULL;
	}
	return (rc);
}

/*
 * Send ctl_line and read the answer into r (freed by the caller in every
 * case).  An ERR answer is printed here.  Returns an exit status.
 */
static int
ctl_call(struct ctl *ctl, struct resp *r)
{
	int	 rc;

	memset(r, 0, sizeof(*r));
	r->text = "";
	if (ctl->conn == NULL && (rc = ctl_connect(ctl)) != CTL_EXIT_OK)
		return (rc);
	if (conn_send(ctl->conn, ctl_line) == -1 ||
	    conn_response(ctl->conn, r) == -1) {
		fprintf(stderr, "tallyctl: %s\n", conn_error(ctl->conn));
		return (CTL_EXIT_CONN);
	}
	if (r->type == RESP_ERR)
		return (ctl_print_err(ctl, r));
	return (CTL_EXIT_OK);
}

/* Complain about an answer of the wrong kind (DATA for LIST, say). */
static int
ctl_unexpected(const struct resp *r)
{
	fprintf(stderr, "tallyctl: malformed response: unexpected \"");
	ctl_print_safe(stderr, r->status);
	fprintf(stderr, "\"\n");
	return (CTL_EXIT_CONN);
}

/* Flush stdout and turn a write error into exit status 3. */
static int
ctl_finish(int rc)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "tallyctl: stdout: %s\n", strerror(errno));
		return (rc == CTL_EXIT_OK ? CTL_EXIT_CONN : rc);
	}
	return (rc);
}

/* Arguments in [min, max]? */
static int
ctl_check_args(const struct ctl_cmd *cmd, int argc)
{
	if (argc < cmd->min_args)
		return (ctl_usage_error(cmd, "%s: too few arguments",
		    cmd->name));
	if (cmd->max_args >= 0 && argc > cmd->max_args)
		return (ctl_usage_error(cmd, "%s: too many arguments",
		    cmd->name));
	return (CTL_EXIT_OK);
}

/* Send ctl_line, expect OK and print its lines (and text if asked). */
static int
ctl_run_ok(struct ctl *ctl, int flags)
{
	static const int	 words[][2] = { { 2, 3 }, { 0, 5 } };
	struct resp	 r;
	size_t		 i;
	int		 rc;

	if ((rc = ctl_call(ctl, &r)) == CTL_EXIT_OK) {
		if (r.type != RESP_OK)
			rc = ctl_unexpected(&r);
		else {
			if ((flags & CTL_F_TEXT) && *r.text != '\0')
				printf("%s\n", r.text);
			for (i = 0; i < r.count; i++) {
				if (flags & (CTL_F_ALERTS | CTL_F_EVENTS))
					output_alert_line(stdout, r.lines[i],
					    words[!!(flags & CTL_F_EVENTS)][0],
					    words[!!(flags & CTL_F_EVENTS)][1],
					    ctl->utc);
				else
					printf("%s\n", r.lines[i]);
			}
		}
	}
	resp_free(&r);
	return (ctl_finish(rc));
}

/* Commands whose words go out as they are and whose answer is OK. */
static int
ctl_simple(struct ctl *ctl, const struct ctl_cmd *cmd, int argc,
    char **argv)
{
	char	 err[CONN_ERR_MAX];
	int	 i, n = 0, rc;

	/* alerts shows times: --utc may follow it, as it may fetch. */
	for (i = 0; i < argc; i++) {
		if ((cmd->flags & CTL_F_ALERTS) && strcmp(argv[i], "--utc") == 0)
			ctl->utc = 1;
		else
			argv[n++] = argv[i];
	}
	argc = n;
	if ((rc = ctl_check_args(cmd, argc)) != CTL_EXIT_OK)
		return (rc);
	if (req_build(ctl_line, cmd->verb, argc, argv, err, sizeof(err)) ==
	    -1)
		return (ctl_usage_error(cmd, "%s", err));
	return (ctl_run_ok(ctl, cmd->flags));
}

/* fetch: --csv and --json may stand anywhere after the command. */
static int
ctl_fetch(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct fetch_result	 f;
	struct resp		 r;
	char			 err[CONN_ERR_MAX], start[WHEN_ARG_MAX];
	char			 end[WHEN_ARG_MAX];
	int			 i, n = 0, rc, csv = 0, json = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--utc") == 0)
			ctl->utc = 1;
		else if (strcmp(argv[i], "--csv") == 0)
			csv = 1;
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strncmp(argv[i], "--", 2) == 0)
			return (ctl_usage_error(cmd, "fetch: unknown option "
			    "%s", argv[i]));
		else
			argv[n++] = argv[i];
	}
	if (csv && json)
		return (ctl_usage_error(cmd, "fetch: --csv or --json, not "
		    "both"));
	if ((rc = ctl_check_args(cmd, n)) != CTL_EXIT_OK)
		return (rc);
	argv[1] = when_arg(argv[1], ctl->utc, start, sizeof(start));
	argv[2] = when_arg(argv[2], ctl->utc, end, sizeof(end));
	if (req_build(ctl_line, cmd->verb, n, argv, err, sizeof(err)) == -1)
		return (ctl_usage_error(cmd, "%s", err));
	if ((rc = ctl_call(ctl, &r)) == CTL_EXIT_OK) {
		if (output_fetch_parse(&r, &f, err, sizeof(err)) == -1) {
			fprintf(stderr, "tallyctl: %s\n", err);
			rc = CTL_EXIT_CONN;
		} else {
			if (csv)
				output_fetch_csv(stdout, &f);
			else if (json)
				output_fetch_json(stdout, argv[0], &f);
			else
				output_fetch_table(stdout, &f, ctl->utc);
			output_fetch_free(&f);
		}
	}
	resp_free(&r);
	return (ctl_finish(rc));
}

static int
ctl_write_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += w;
		n -= w;
	}
	return (0);
}

/* Write an image to path ("-" or NULL: standard output). */
static int
ctl_write_image(const char *path, const struct resp *r)
{
	int	 fd = STDOUT_FILENO;

	if (path != NULL && strcmp(path, "-") != 0 &&
	    (fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0666)) == -1) {
		fprintf(stderr, "tallyctl: %s: %s\n", path, strerror(errno));
		return (CTL_EXIT_CONN);
	}
	if (ctl_write_all(fd, r->data, r->count) == -1 ||
	    (fd != STDOUT_FILENO && close(fd) == -1)) {
		fprintf(stderr, "tallyctl: %s: %s\n",
		    fd == STDOUT_FILENO ? "stdout" : path, strerror(errno));
		if (fd != STDOUT_FILENO)
			close(fd);
		return (CTL_EXIT_CONN);
	}
	return (CTL_EXIT_OK);
}

/*
 * graph [-o file] key=value...: refuse a terminal before connecting, and
 * create the file only once the whole image has arrived.
 */
static int
ctl_graph(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct resp	 r;
	char		 err[CONN_ERR_MAX], times[2][WHEN_ARG_MAX + 6];
	char		 when[WHEN_ARG_MAX];
	const char	*out = NULL;
	int		 i, n = 0, rc, k;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-o") == 0) {
			if (++i == argc)
				return (ctl_usage_error(cmd, "graph: -o needs "
				    "a file"));
			out = argv[i];
		} else if (strncmp(argv[i], "-o", 2) == 0)
			out = argv[i] + 2;
		else if (strcmp(argv[i], "--utc") == 0)
			ctl->utc = 1;
		else if (argv[i][0] == '-' || strchr(argv[i], '=') == NULL)
			return (ctl_usage_error(cmd, "graph: expected "
			    "key=value, not \"%s\"", argv[i]));
		else
			argv[n++] = argv[i];
	}
	/* start= and end= are times as the user writes them. */
	for (i = 0; i < n; i++) {
		k = strncmp(argv[i], "start=", 6) == 0 ? 0 :
		    strncmp(argv[i], "end=", 4) == 0 ? 1 : -1;
		if (k == -1)
			continue;
		if (when_arg(strchr(argv[i], '=') + 1, ctl->utc, when,
		    sizeof(when)) != when)
			continue;
		snprintf(times[k], sizeof(times[k]), "%s%s", k == 0 ?
		    "start=" : "end=", when);
		argv[i] = times[k];
	}
	if ((rc = ctl_check_args(cmd, n)) != CTL_EXIT_OK)
		return (rc);
	if (out == NULL && isatty(STDOUT_FILENO))
		return (ctl_usage_error(cmd, "graph: not writing an image to "
		    "a terminal; use -o file or redirect the output"));
	if (req_build(ctl_line, cmd->verb, n, argv, err, sizeof(err)) == -1)
		return (ctl_usage_error(cmd, "%s", err));
	if ((rc = ctl_call(ctl, &r)) == CTL_EXIT_OK) {
		if (r.type != RESP_DATA)
			rc = ctl_unexpected(&r);
		else
			rc = ctl_write_image(out, &r);
	}
	resp_free(&r);
	return (rc);
}

/* The value of option name at argv[*i] ("--name v" or "--name=v"). */
static const char *
ctl_opt(int argc, char **argv, int *i, const char *name)
{
	size_t	 n = strlen(name);

	if (strcmp(argv[*i], name) == 0 && *i + 1 < argc)
		return (argv[++*i]);
	if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
		return (argv[*i] + n + 1);
	return (NULL);
}

/*
 * report [--from Y] [--to Y] [--format text|csv|xlsx] [-o file]: the
 * annual report; a spreadsheet is not written to a terminal.
 */
static int
ctl_report(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct resp	 r;
	char		 err[CONN_ERR_MAX], *words[3];
	const char	*v, *out = NULL;
	int		 i, rc;

	words[0] = words[1] = (char *)(uintptr_t)"-";
	words[2] = (char *)(uintptr_t)"text";
	for (i = 0; i < argc; i++) {
		if ((v = ctl_opt(argc, argv, &i, "--from")) != NULL)
			words[0] = (char *)(uintptr_t)v;
		else if ((v = ctl_opt(argc, argv, &i, "--to")) != NULL)
			words[1] = (char *)(uintptr_t)v;
		else if ((v = ctl_opt(argc, argv, &i, "--format")) != NULL)
			words[2] = (char *)(uintptr_t)v;
		else if ((v = ctl_opt(argc, argv, &i, "-o")) != NULL)
			out = v;
		else
			return (ctl_usage_error(cmd, "report: unexpected "
			    "\"%s\"", argv[i]));
	}
	if (strcmp(words[2], "xlsx") == 0 && (out == NULL ||
	    strcmp(out, "-") == 0) && isatty(STDOUT_FILENO))
		return (ctl_usage_error(cmd, "report: not writing a "
		    "spreadsheet to a terminal; use -o file or redirect the "
		    "output"));
	if (req_build(ctl_line, cmd->verb, 3, words, err, sizeof(err)) == -1)
		return (ctl_usage_error(cmd, "%s", err));
	if ((rc = ctl_call(ctl, &r)) == CTL_EXIT_OK) {
		if (r.type != RESP_DATA)
			rc = ctl_unexpected(&r);
		else
			rc = ctl_write_image(out, &r);
	}
	resp_free(&r);
	return (rc);
}

/* alert history [name] | alert test name --from date */
static int
ctl_alert(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	char	*words[2], *from = NULL, err[CONN_ERR_MAX];
	char	 when[WHEN_ARG_MAX];
	int	 i, n = 0, rc;

	if ((rc = ctl_check_args(cmd, argc)) != CTL_EXIT_OK)
		return (rc);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--utc") == 0)
			ctl->utc = 1;
		else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strncmp(argv[i], "--from=", 7) == 0)
			from = argv[i] + 7;
		else if (strncmp(argv[i], "--", 2) == 0 || n == 1)
			return (ctl_usage_error(cmd, "alert: unexpected "
			    "\"%s\"", argv[i]));
		else
			words[n++] = argv[i];
	}
	if (strcasecmp(argv[0], "history") == 0 && from == NULL) {
		if (req_build(ctl_line, "ALERT HISTORY", n, words, err,
		    sizeof(err)) == -1)
			return (ctl_usage_error(cmd, "%s", err));
		return (ctl_run_ok(ctl, CTL_F_EVENTS));
	}
	if (strcasecmp(argv[0], "test") != 0 || n != 1 || from == NULL)
		return (ctl_usage_error(cmd, "alert: expected history [name] "
		    "or test name --from date"));
	words[1] = when_arg(from, ctl->utc, when, sizeof(when));
	if (req_build(ctl_line, "ALERT TEST", 2, words, err, sizeof(err)) ==
	    -1)
		return (ctl_usage_error(cmd, "%s", err));
	return (ctl_run_ok(ctl, CTL_F_EVENTS));
}

/* Print a whole response as it came; an image only if not to a tty. */
static int
ctl_print_raw(const struct resp *r)
{
	size_t	 i;

	printf("%s\n", r->status);
	for (i = 0; r->type == RESP_OK && i < r->count; i++)
		printf("%s\n", r->lines[i]);
	if (r->type != RESP_DATA)
		return (CTL_EXIT_OK);
	if (fflush(stdout) == EOF)
		return (CTL_EXIT_CONN);
	if (isatty(STDOUT_FILENO)) {
		fprintf(stderr, "tallyctl: %zu bytes of %s not written to a "
		    "terminal\n", r->count, r->text);
		return (CTL_EXIT_OK);
	}
	return (ctl_write_image(NULL, r));
}

/* Send the arguments, joined by spaces, as one request line verbatim. */
static int
ctl_raw(struct ctl *ctl, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct resp	 r;
	size_t		 len = 0, n;
	int		 i, rc;

	if ((rc = ctl_check_args(cmd, argc)) != CTL_EXIT_OK)
		return (rc);
	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (strpbrk(argv[i], "\r\n") != NULL)
			return (ctl_usage_error(cmd, "raw: a line cannot hold "
			    "a newline"));
		if (len + (i > 0) + n > REQ_LINE_MAX)
			return (ctl_usage_error(cmd, "raw: request longer "
			    "than %d bytes", REQ_LINE_MAX));
		if (i > 0)
			ctl_line[len++] = ' ';
		memcpy(ctl_line + len, argv[i], n);
		len += n;
	}
	ctl_line[len] = '\0';
	if ((rc = ctl_call(ctl, &r)) == CTL_EXIT_OK)
		rc = ctl_print_raw(&r);
	resp_free(&r);
	return (ctl_finish(rc));
}

static const struct ctl_cmd *
ctl_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++) {
		if (strcasecmp(ctl_cmds[i].name, name) == 0)
			return (&ctl_cmds[i]);
	}
	return (NULL);
}

/* -T seconds: 0 means wait forever. */
static int
ctl_parse_timeout(const char *s, int *ms)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || v < 0 ||
	    v > INT_MAX / 1000)
		return (-1);
	*ms = v == 0 ? -1 : (int)v * 1000;
	return (0);
}

int
main(int argc, char *argv[])
{
	const struct ctl_cmd	*cmd;
	struct ctl		 ctl;
	int			 ch, rc;

	memset(&ctl, 0, sizeof(ctl));
	ctl.timeout_ms = CTL_TIMEOUT_DEFAULT * 1000;
	ctl.token = getenv("TALLY_TOKEN");
	if (ctl.token != NULL && *ctl.token == '\0')
		ctl.token = NULL;
	while ((ch = getopt_long(argc, argv, "+hH:s:t:T:uV", ctl_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'u':
			ctl.utc = 1;
			break;
		case 'H':
			ctl.hostport = optarg;
			break;
		case 's':
			ctl.socket = optarg;
			break;
		case 't':
			ctl.token = optarg;
			break;
		case 'T':
			if (ctl_parse_timeout(optarg, &ctl.timeout_ms) == -1)
				return (ctl_usage_error(NULL, "-T %s: expected "
				    "seconds, 0 for none", optarg));
			break;
		case 'V':
			printf("tallyctl %s (protocol %s)\n", PACKAGE_VERSION,
			    CONN_PROTOCOL);
			return (CTL_EXIT_OK);
		case 'h':
			usage(CTL_EXIT_OK);
		default:
			usage(CTL_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(CTL_EXIT_USAGE);
	if (ctl.socket != NULL && ctl.hostport != NULL)
		return (ctl_usage_error(NULL, "-s and -H exclude each other"));
	if (ctl.socket == NULL && (ctl.socket = getenv("TALLY_SOCKET")) ==
	    NULL)
		ctl.socket = CTL_SOCKET_DEFAULT;
	if ((cmd = ctl_find(argv[0])) == NULL)
		return (ctl_usage_error(NULL, "unknown command \"%s\" (see "
		    "tallyctl -h)", argv[0]));
	rc = cmd->exec(&ctl, cmd, argc - 1, argv + 1);
	conn_free(ctl.conn);
	return (rc);
}
