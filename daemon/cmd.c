/*
 * cmd.c - the protocol's commands: each request line read into a request
 * and its answer written (docs/PROTOCOL.md); PUT, LIST, FETCH, GRAPH and
 * STATS do their work in command.c, shared with the HTTP gateway.
 * listen.c hands each request line over through the callback main gives
 * it.
 *
 * THREADS
 * Everything here runs on the loop but cmd_fetch_format, which a query
 * worker runs to format a short FETCH's rows off the loop (it touches only
 * the result it is given; query.c runs it on the loop for one it read
 * there).  A long FETCH is sent in parts by the loop as the client reads
 * (client_stream): its rows are held, never its whole text.
 * Anything that reads files goes through query.c
 * and answers later by client id; an answer for a client that has gone is
 * dropped by client_resume.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>

#include "alert.h"
#include "clock.h"
#include "cmd.h"
#include "command.h"
#include "config.h"
#include "graph.h"
#include "journal.h"
#include "listen.h"
#include "log.h"
#include "names.h"
#include "numfmt.h"
#include "plugin.h"
#include "proto.h"
#include "query.h"
#include "report.h"
#include "series.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

#define CMD_NAME_RULE	"metric names are plugin.instance.metric of [a-z0-9_-]"
#define CMD_FETCH_WHOLE	4096	/* FETCH rows answered whole, at most */
#define CMD_FETCH_PART	1024	/* rows a part of a longer one: < 40 kB */

static const struct config *cmd_cf;	/* in force: main's */
static struct store	*cmd_store;
static struct journal	*cmd_journal;

void
cmd_set_config(const struct config *conf)
{
	cmd_cf = conf;
}

void
cmd_set_store(struct store *store)
{
	cmd_store = store;
}

void
cmd_set_journal(struct journal *j)
{
	cmd_journal = j;
}

void
cmd_shutdown(void)
{
	cmd_cf = NULL;
}

static enum cmd_result
cmd_err(struct evbuffer *out, enum proto_err code, const char *msg)
{
	evbuffer_add_printf(out, "ERR %s %s\n", proto_err_name(code), msg);
	return (CMD_DONE);
}

/* ---- synchronous commands */

static enum cmd_result
cmd_help(struct client *c, struct proto_req *req, struct evbuffer *out)
{
	const struct proto_cmd_entry	*e;
	size_t				 n, i;

	e = proto_commands(&n);
	evbuffer_add_printf(out, "OK %zu commands\n", n);
	for (i = 0; i < n; i++)
		evbuffer_add_printf(out, "%s - %s\n", e[i].usage, e[i].help);
	return (CMD_DONE);
}

static enum cmd_result
cmd_auth(struct client *c, struct proto_req *req, struct evbuffer *out)
{
	const char	*t = req->argv[0];
	size_t		 i, n, m;
	unsigned char	 diff = 0;

	if (cmd_cf->token == NULL) {
		client_set_authed(c);
		evbuffer_add_printf(out, "OK 0 no token needed\n");
		return (CMD_DONE);
	}
	/* Compare in time independent of where they differ. */
	n = strlen(cmd_cf->token);
	m = strlen(t);
	diff = n != m;
	for (i = 0; i < n; i++)
		diff |= cmd_cf->token[i] ^ (i < m ? t[i] : 0);
	if (diff != 0)
		return (cmd_err(out, PERR_AUTH, "wrong token"));
	client_set_authed(c);
	evbuffer_add_printf(out, "OK 0 authenticated\n");
	return (CMD_DONE);
}

static enum cmd_result
cmd_list(struct client *c, struct proto_req *req, struct evbuffer *out)
{
	struct series	**list;
	size_t		  n, i;

	n = command_list(req->argc > 0 ? req->argv[0] : NULL, &list);
	evbuffer_add_printf(out, "OK %zu series\n", n);
	for (i = 0; i < n; i++)
		evbuffer_add_printf(out, "%s %s\n", series_name(list[i]),
		    series_kind_name(series_kind(list[i])));
	free(list);
	return (CMD_DONE);
}

struct cmd_put_wait {
	uint64_t	 id;
	uint64_t	 lsn;
};

/* The journal has PUT's values on disk (or failed to): answer. */
static void
cmd_put_durable(void *arg, int error, const char *why)
{
	struct cmd_put_wait	*w = arg;
	char			 line[512];

	if (error)
		snprintf(line, sizeof(line), "ERR %s values not made durable: "
		    "%s", proto_err_name(PERR_STORE), why);
	client_release(w->id, w->lsn, error ? line : NULL);
	free(w);
}

/* A refused PUT value: "VALUE reason" lines after the OK line. */
static void
cmd_put_refused(void *arg, const char *value, int bad_value, const char *why)
{
	struct evbuffer	*refused = arg;

	evbuffer_add_printf(refused, "%s %s%s\n", value,
	    bad_value ? "bad-value " : "", why);
}

/*
 * PUT: each value accepted or refused on its own, with the reason.  With
 * a journal the answer is held until the accepted values are durable in
 * it (the client's next requests are served meanwhile); then "accepted"
 * is a promise (docs/PROTOCOL.md).
 */
static enum cmd_result
cmd_put(struct client *c, struct proto_req *req, struct evbuffer *out)
{
	struct command_put	 put;
	struct command_put_reply reply;
	struct cmd_put_wait	*w;
	struct evbuffer		*refused, *answer;
	char			 why[256];
	uint64_t		 lsn = 0;
	int			 nok, nbad;

	put.metric = req->argv[0];
	put.values = (const char *const *)req->argv + 1;
	put.nvalues = (size_t)req->argc - 1;
	put.now = time(NULL);
	put.retention = cmd_cf->default_retention;
	refused = evbuffer_new();
	reply.refused = cmd_put_refused;
	reply.arg = refused;
	if ((nok = command_put(&put, &reply, &lsn, why, sizeof(why))) < 0) {
		evbuffer_free(refused);
		/* -2: max_series */
		return (cmd_err(out, nok == -2 ? PERR_LIMIT : PERR_NAME,
		    why[0] != '\0' ? why : CMD_NAME_RULE));
	}
	if (cmd_journal == NULL)
		lsn = 0;
	nbad = (int)put.nvalues - nok;
	answer = lsn != 0 ? client_hold(c, lsn) : out;
	evbuffer_add_printf(answer, "OK %d accepted=%d refused=%d\n", nbad,
	    nok, nbad);
	evbuffer_add_buffer(answer, refused);
	evbuffer_free(refused);
	if (lsn != 0) {
		w = xcalloc(1, sizeof(*w));
		w->id = client_id(c);
		w->lsn = lsn;
		journal_notify(cmd_journal, lsn, cmd_put_durable, w);
	}
	return (CMD_DONE);
}

static enum cmd_result
cmd_plugins(struct client *c, struct proto_req *req, struct evbuffer *out)
{
	char	**lines;
	size_t	  n, i;

	n = plugins_describe(&lines);
	evbuffer_add_printf(out, "OK %zu instances\n", n);
	for (i = 0; i < n; i++) {
		evbuffer_add_printf(out, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	return (CMD_DONE);
}

struct cmd_figures {
	struct evbuffer	*b;
	size_t		 n;
};

static void
cmd_stats_figure(void *arg, const char *name, double v)
{
	struct cmd_figures	*f = arg;
	char			 num[NUMFMT_LEN];

	numfmt_double(num, sizeof(num), v);
	evbuffer_add_printf(f->b, "%s %s\n", name, num);
	f->n++;
}

static enum cmd_result
cmd_stats(struct client *c, struct proto_req *req, struct evbuffer *out)
{
	struct cmd_figures	 f = { evbuffer_new(), 0 };

	command_stats(cmd_stats_figure, &f);
	evbuffer_add_printf(out, "OK %zu figures\n", f.n);
	evbuffer_add_buffer(out, f.b);
	evbuffer_free(f.b);
	return (CMD_DONE);
}

/* ---- asynchronous commands: answered by client id */

struct cmd_wait {
	uint64_t	 id;
	char		*metric;
};

static struct cmd_wait *
cmd_wait_new(struct client *c, const char *metric)
{
	struct cmd_wait	*w = xcalloc(1, sizeof(*w));

	w->id = client_id(c);
	w->metric = metric != NULL ? xstrdup(metric) : NULL;
	return (w);
}

/* Send an answer made off the loop; the wait is done with. */
static void
cmd_answer(struct cmd_wait *w, struct evbuffer *b)
{
	client_resume(w->id, b);
	free(w->metric);
	free(w);
}

static int
cmd_failed(const struct query_result *res, struct evbuffer *b)
{
	if (!res->error)
		return (0);
	evbuffer_add_printf(b, "ERR %s %s\n", proto_err_name(res->code),
	    res->msg);
	return (1);
}

static void
cmd_info_done(const struct query_result *res, void *arg)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 i;

	if (!cmd_failed(res, b)) {
		evbuffer_add_printf(b, "OK %zu lines\n", res->nlines);
		for (i = 0; i < res->nlines; i++)
			evbuffer_add_printf(b, "%s\n", res->lines[i]);
	}
	cmd_answer(arg, b);
}

static void
cmd_last_done(const struct query_result *res, void *arg)
{
	struct evbuffer	*b = evbuffer_new();
	char		 num[64];

	if (!cmd_failed(res, b)) {
		numfmt_double(num, sizeof(num), res->last_value);
		evbuffer_add_printf(b, "OK 1 last\n%lld %s\n",
		    (long long)res->last_time, num);
	}
	cmd_answer(arg, b);
}

/*
 * FETCH's rows [from, to) as text: "TIME VALUE" lines written into a
 * chunk and the chunk added whole (one evbuffer call for a hundred rows,
 * no printf).  Times are start + (i + 1) step, kept as hi * 10^4 + lo:
 * hi's digits written once and copied, lo's four from a table.
 */
static void
cmd_fetch_rows(struct evbuffer *b, time_t start, unsigned long step,
    const double *rows, size_t from, size_t to)
{
	char			 chunk[8192], hs[NUMFMT_LEN + 16];
	unsigned long long	 t, hi, lo;
	size_t			 i, n = 0, hlen = 0;

	t = (unsigned long long)start + (from + 1) * (unsigned long long)step;
	hi = t / 10000;
	lo = t % 10000;
	if (hi > 0)
		hlen = (size_t)numfmt_ulong(hs, hi);
	for (i = from; i < to; i++) {
		/* a row: 24 digits, a space, NUMFMT_LEN, a newline */
		if (sizeof(chunk) - n < NUMFMT_LEN + 32 + sizeof(hs)) {
			evbuffer_add(b, chunk, n);
			n = 0;
		}
		if (hi > 0) {
			memcpy(chunk + n, hs, sizeof(hs));
			n += hlen;
			memcpy(chunk + n, numfmt_pairs + (lo / 100) * 2, 2);
			memcpy(chunk + n + 2, numfmt_pairs + (lo % 100) * 2, 2);
			n += 4;
		} else
			n += (size_t)numfmt_ulong(chunk + n, lo);
		chunk[n++] = ' ';
		n += (size_t)numfmt_double(chunk + n, NUMFMT_LEN, rows[i]);
		chunk[n++] = '\n';
		if ((lo += step) >= 10000) {
			hi += lo / 10000;
			lo %= 10000;
			hlen = (size_t)numfmt_ulong(hs, hi);
		}
	}
	evbuffer_add(b, chunk, n);
}

/* "OK ROWS step=STEP cf=CF", made without printf (every FETCH has one). */
static void
cmd_fetch_head(struct evbuffer *b, const struct query_result *res)
{
	char	 line[3 + NUMFMT_LEN + 6 + NUMFMT_LEN + 4 + 8 + 2];
	size_t	 n, cl = strnlen(res->cf, 8);

	memcpy(line, "OK ", 3);
	n = 3 + (size_t)numfmt_ulong(line + 3, res->nrows);
	memcpy(line + n, " step=", 6);
	n += 6;
	n += (size_t)numfmt_ulong(line + n, res->step);
	memcpy(line + n, " cf=", 4);
	n += 4;
	memcpy(line + n, res->cf, cl);
	n += cl;
	line[n++] = '\n';
	evbuffer_add(b, line, n);
}

/*
 * A short FETCH's answer, whole: on a worker, or on the loop when it read
 * the rows itself (query.c).  A longer one is left to cmd_fetch_done,
 * which sends it in parts.
 */
static void
cmd_fetch_format(struct query_result *res)
{
	if (res->nrows > CMD_FETCH_WHOLE)
		return;
	if ((res->text = evbuffer_new()) == NULL)
		fatalx("cmd: evbuffer_new failed");
	cmd_fetch_head(res->text, res);
	cmd_fetch_rows(res->text, res->start, res->step, res->rows, 0,
	    res->nrows);
}

/* A long FETCH being sent: its rows, and how far the parts have come. */
struct cmd_stream {
	struct query_result	 head;		/* start, step, cf, nrows */
	double			*rows;
	size_t			 next;
};

static int
cmd_fetch_fill(void *arg, struct evbuffer *out)
{
	struct cmd_stream	*s = arg;
	size_t			 to;

	if (s->next == 0)
		cmd_fetch_head(out, &s->head);
	to = s->head.nrows - s->next < CMD_FETCH_PART ? s->head.nrows :
	    s->next + CMD_FETCH_PART;
	cmd_fetch_rows(out, s->head.start, s->head.step, s->rows, s->next,
	    to);
	s->next = to;
	return (s->next < s->head.nrows);
}

static void
cmd_fetch_release(void *arg)
{
	struct cmd_stream	*s = arg;

	free(s->rows);
	free(s);
}

static void
cmd_fetch_done(const struct query_result *res, void *arg)
{
	struct cmd_wait		*w = arg;
	struct cmd_stream	*s;
	struct evbuffer		*b = evbuffer_new();

	if (cmd_failed(res, b) || (res->text != NULL &&
	    evbuffer_add_buffer(b, res->text) == 0)) {
		cmd_answer(w, b);
		return;
	}
	if (res->text != NULL)
		fatalx("cmd: cannot move a FETCH answer");
	evbuffer_free(b);
	s = xcalloc(1, sizeof(*s));
	s->head.start = res->start;
	s->head.step = res->step;
	s->head.nrows = res->nrows;
	memcpy(s->head.cf, res->cf, sizeof(s->head.cf));
	s->rows = query_take_rows(res);
	/* The rows it holds while sent count as its size (max_output). */
	client_stream(w->id, res->nrows * sizeof(double), cmd_fetch_fill,
	    cmd_fetch_release, s);
	free(w->metric);
	free(w);
}

static void
cmd_graph_done(const struct query_result *res, void *arg)
{
	struct evbuffer	*b = evbuffer_new();

	if (!cmd_failed(res, b)) {
		evbuffer_add_printf(b, "DATA %zu %s\n", res->image_len,
		    res->mime);
		evbuffer_add(b, res->image, res->image_len);
	}
	cmd_answer(arg, b);
}

static void
cmd_flush_done(void *arg, int error, const char *why)
{
	struct evbuffer	*b = evbuffer_new();

	if (error)
		evbuffer_add_printf(b, "ERR store not every accepted value is "
		    "in its file yet (kept, retried): %s\n", why);
	else
		evbuffer_add_printf(b, "OK 0 flushed\n");
	cmd_answer(arg, b);
}

static enum cmd_result
cmd_metric_check(const char *name, struct evbuffer *out)
{
	if (!names_series_valid(name)) {
		cmd_err(out, PERR_NAME, CMD_NAME_RULE);
		return (CMD_DONE);
	}
	return (CMD_WAIT);
}

/* INFO and LAST: one metric, checked, then its query off the loop. */
static enum cmd_result
cmd_one_metric(struct client *c, struct proto_req *req, struct evbuffer *out,
    void (*query)(const char *, query_cb, void *), query_cb done)
{
	if (cmd_metric_check(req->argv[0], out) == CMD_DONE)
		return (CMD_DONE);
	query(req->argv[0], done, cmd_wait_new(c, NULL));
	return (CMD_WAIT);
}

static enum cmd_result
cmd_fetch(struct client *c, struct proto_req *req, struct evbuffer *out)
{
	struct command_fetch		 f = { .max_rows = 0 };
	struct command_fetch_reply	 reply = { .format = cmd_fetch_format,
	    .done = cmd_fetch_done };
	struct proto_error		 err;

	if (proto_fetch_args(req, time(NULL), &f.f, &err) == -1)
		return (cmd_err(out, err.code, err.msg));
	reply.arg = cmd_wait_new(c, NULL);
	if (command_fetch(&f, &reply, &err) == -1) {
		free(reply.arg);
		return (cmd_err(out, PERR_NAME, CMD_NAME_RULE));
	}
	return (CMD_WAIT);
}

static enum cmd_result
cmd_graph(struct client *c, struct proto_req *req, struct evbuffer *out)
{
	struct graph_spec	*spec;
	struct proto_error	 err;

	spec = xcalloc(1, sizeof(*spec));
	if (graph_spec_parse(req, time(NULL), spec, &err) == -1) {
		free(spec);
		return (cmd_err(out, err.code, err.msg));
	}
	command_graph(spec, cmd_graph_done, cmd_wait_new(c, NULL));
	free(spec);
	return (CMD_WAIT);
}

static void
cmd_report_done(struct report *r, struct evbuffer *data, const char *mime,
    const char *err, void *arg)
{
	struct evbuffer	*b = evbuffer_new();

	if (data == NULL)
		evbuffer_add_printf(b, "ERR %s %s\n", r->nind == 0 ?
		    "not-found" : "store", err);
	else {
		evbuffer_add_printf(b, "DATA %zu %s\n",
		    evbuffer_get_length(data), mime);
		evbuffer_add_buffer(b, data);
	}
	report_free(r);
	cmd_answer(arg, b);
}

/* REPORT [from|-] [to|-] [format]: the annual report, as DATA. */
static enum cmd_result
cmd_report(struct client *c, struct proto_req *req, struct evbuffer *out)
{
	enum report_format	 f;
	const char		*a[3] = { NULL, NULL, NULL };
	char			 err[160];
	int			 i, from, to;

	for (i = 0; i < req->argc; i++)
		a[i] = strcmp(req->argv[i], "-") == 0 ? NULL : req->argv[i];
	if (report_format_parse(a[2], &f) == -1)
		return (cmd_err(out, PERR_ARGS, "format is text, csv or xlsx"));
	if (report_years(a[0], a[1], &from, &to, err, sizeof(err)) == -1)
		return (cmd_err(out, PERR_ARGS, err));
	report_run(from, to, f, cmd_report_done, cmd_wait_new(c, NULL));
	return (CMD_WAIT);
}

static enum cmd_result
cmd_flush(struct client *c, struct proto_req *req, struct evbuffer *out)
{
	struct series	*s = NULL;

	if (req->argc > 0) {
		if (cmd_metric_check(req->argv[0], out) == CMD_DONE)
			return (CMD_DONE);
		if ((s = series_find(req->argv[0])) == NULL)
			return (cmd_err(out, PERR_NOTFOUND, "no such series"));
	}
	store_flush(cmd_store, s != NULL ? series_file(s) : NULL,
	    cmd_flush_done, cmd_wait_new(c, NULL));
	return (CMD_WAIT);
}

/* ALERTS, ALERT HISTORY [name], ALERT TEST name from: the alert engine. */
static enum cmd_result
cmd_alert(struct client *c, struct proto_req *req, struct evbuffer *out)
{
	struct proto_error	 err;
	time_t			 now = time(NULL), from;

	if (req->entry->cmd == PROTO_ALERTS) {
		alert_list(out);
		return (CMD_DONE);
	}
	if (strcasecmp(req->argv[0], "HISTORY") == 0) {
		if (alert_history(req->argc > 1 ? req->argv[1] : NULL,
		    out) == -1)
			return (cmd_err(out, PERR_NOTFOUND, "no such alert "
			    "rule"));
		return (CMD_DONE);
	}
	if (proto_time(req->argv[2], now, &from, &err) == -1)
		return (cmd_err(out, err.code, err.msg));
	if (from >= now)
		return (cmd_err(out, PERR_TIME, "from must be in the past"));
	if (alert_test(req->argv[1], from, client_resume, client_id(c)) == -1)
		return (cmd_err(out, PERR_NOTFOUND, "no such alert rule"));
	return (CMD_WAIT);
}

/* ---- dispatch */

static enum cmd_result
cmd_simple(struct client *c, struct proto_req *req, struct evbuffer *out)
{
	switch (req->entry->cmd) {
	case PROTO_PING:
		evbuffer_add_printf(out, "OK 0 PONG\n");
		break;
	case PROTO_QUIT:
		evbuffer_add_printf(out, "OK 0 bye\n");
		client_close_after(c);
		break;
	case PROTO_ALERTS:
	case PROTO_ALERT:
		return (cmd_alert(c, req, out));
	default:
		return (cmd_err(out, PERR_INTERNAL, "no handler"));
	}
	return (CMD_DONE);
}

enum cmd_result
cmd_exec(struct client *c, char *line, size_t len)
{
	static struct proto_req	*req;
	struct proto_error	 err;
	struct evbuffer		*out = client_output(c);

	/* Thousands of argv pointers: too big for the stack, kept. */
	if (req == NULL)
		req = xmalloc(sizeof(*req));
	if (proto_parse(line, len, req, &err) == -1)
		return (cmd_err(out, err.code, err.msg));
	if (!client_authed(c) && cmd_cf->token != NULL &&
	    !(req->entry->flags & PROTO_F_NOAUTH))
		return (cmd_err(out, PERR_AUTH, "authenticate first: AUTH "
		    "token"));
	switch (req->entry->cmd) {
	case PROTO_HELP:
		return (cmd_help(c, req, out));
	case PROTO_AUTH:
		return (cmd_auth(c, req, out));
	case PROTO_LIST:
		return (cmd_list(c, req, out));
	case PROTO_INFO:
		return (cmd_one_metric(c, req, out, query_info, cmd_info_done));
	case PROTO_LAST:
		return (cmd_one_metric(c, req, out, query_last, cmd_last_done));
	case PROTO_FETCH:
		return (cmd_fetch(c, req, out));
	case PROTO_PUT:
		return (cmd_put(c, req, out));
	case PROTO_FLUSH:
		return (cmd_flush(c, req, out));
	case PROTO_GRAPH:
		return (cmd_graph(c, req, out));
	case PROTO_PLUGINS:
		return (cmd_plugins(c, req, out));
	case PROTO_STATS:
		return (cmd_stats(c, req, out));
	case PROTO_REPORT:
		return (cmd_report(c, req, out));
	default:
		return (cmd_simple(c, req, out));
	}
}
