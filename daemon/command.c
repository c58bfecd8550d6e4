/*
 * command.c - the commands themselves, apart from their transports (see
 * command.h).  PUT, LIST, FETCH, GRAPH and STATS live here; the protocol
 * and the HTTP gateway only read their syntax into a request and write
 * the reply.  Every value a client sends (PUT, /api/v1/put, Graphite
 * lines) goes in through command_submit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert.h"
#include "command.h"
#include "journal.h"
#include "listen.h"
#include "names.h"
#include "notify.h"
#include "proto.h"
#include "query.h"
#include "render.h"
#include "series.h"
#include "stats.h"
#include "xmalloc.h"

#define COMMAND_RRAS_MAX	64	/* archives of a file counted for FETCH */

static struct journal	*command_journal;

void
command_set_journal(struct journal *j)
{
	command_journal = j;
}

struct series *
command_series(const char *metric, const char *retention, char *why,
    size_t len)
{
	struct series	*s;

	if (!names_series_valid(metric)) {
		if (len > 0)
			why[0] = '\0';
		return (NULL);
	}
	if ((s = series_find(metric)) == NULL)
		s = series_declare(metric, TALLY_GAUGE, "", retention, why,
		    len);
	return (s);
}

int
command_submit(struct series *s, time_t when, double value, uint64_t *lsn)
{
	return (series_submit(s, when, value, lsn));
}

/* Why a value was not stored, in the words PUT answers with. */
static void
command_refusal(char *buf, size_t len, enum series_rc rc)
{
	if (rc == SERIES_DISK && command_journal != NULL)
		snprintf(buf, len, "disk %s", journal_error(command_journal));
	else
		snprintf(buf, len, "%s", series_rc_name(rc));
}

int
command_put(const struct command_put *req,
    const struct command_put_reply *reply, uint64_t *lsn, char *why,
    size_t len)
{
	struct proto_error	 err;
	struct series		*s;
	enum series_rc		*rc;
	time_t			*when;
	double			*v;
	char			 reason[256];
	size_t			 i, n = 0;
	int			 nok = 0, limit, *bad;

	*lsn = 0;
	if (!names_series_valid(req->metric)) {
		if (len > 0)
			why[0] = '\0';
		return (-1);
	}
	if ((s = series_client(req->metric, req->retention, &limit, why,
	    len)) == NULL)
		return (limit ? -2 : -1);
	/* Parse all, then submit the good ones as one journal record. */
	when = xreallocarray(NULL, req->nvalues + 1, sizeof(*when));
	v = xreallocarray(NULL, req->nvalues + 1, sizeof(*v));
	rc = xreallocarray(NULL, req->nvalues + 1, sizeof(*rc));
	bad = xcalloc(req->nvalues + 1, sizeof(*bad));
	for (i = 0; i < req->nvalues; i++) {
		if (proto_put_value(req->values[i], req->now, &when[n], &v[n],
		    &err) == -1)
			bad[i] = 1;
		else if (!series_client_when(when[n], req->now))
			bad[i] = 2;
		else
			n++;
	}
	if (n > 0)
		(void)series_submit_many(s, n, when, v, rc, lsn);
	/* Refusals in the order of the values. */
	for (i = 0, n = 0; i < req->nvalues; i++) {
		if (bad[i] == 1) {
			(void)proto_put_value(req->values[i], req->now,
			    &when[0], &v[0], &err);
			reply->refused(reply->arg, req->values[i], 1, err.msg);
			continue;
		}
		if (bad[i] == 2) {
			reply->refused(reply->arg, req->values[i], 0,
			    "future: more than max_future ahead");
			continue;
		}
		if (rc[n] != SERIES_OK) {
			command_refusal(reason, sizeof(reason), rc[n]);
			reply->refused(reply->arg, req->values[i], 0, reason);
		} else
			nok++;
		n++;
	}
	free(when);
	free(v);
	free(rc);
	free(bad);
	return (nok);
}

struct command_listing {
	const char	 *glob;
	struct series	**s;
	size_t		  n;
};

static void
command_list_cb(struct series *s, void *arg)
{
	struct command_listing	*l = arg;

	if (l->glob != NULL && !proto_glob(l->glob, series_name(s)))
		return;
	l->s = xreallocarray(l->s, l->n + 1, sizeof(*l->s));
	l->s[l->n++] = s;
}

static int
command_list_cmp(const void *a, const void *b)
{
	return (strcmp(series_name(*(struct series *const *)a),
	    series_name(*(struct series *const *)b)));
}

size_t
command_list(const char *glob, struct series ***list)
{
	struct command_listing	 l = { glob, NULL, 0 };

	series_foreach(command_list_cb, &l);
	if (l.n > 0)
		qsort(l.s, l.n, sizeof(*l.s), command_list_cmp);
	*list = l.s;
	return (l.n);
}

/* A FETCH waiting for its file's archives (INFO) to count its rows. */
struct command_fetching {
	struct command_fetch		 req;
	struct command_fetch_reply	 reply;
	char				*metric;
};

/* query.c's INFO lines (our text, not a client's) into archives. */
static int
command_rras(const struct query_result *res, long long *last,
    struct query_rra *rra, int max)
{
	char		 key[16], val[16];
	long long	 v;
	size_t		 i;
	int		 n = 0, k;

	*last = 0;
	for (i = 0; i < res->nlines; i++) {
		if (sscanf(res->lines[i], "last_update %lld", &v) == 1)
			*last = v;
		if (sscanf(res->lines[i], "rra[%d] %15s %15s", &k, key,
		    val) != 3 || k < 0 || k >= max)
			continue;
		n = k + 1 > n ? k + 1 : n;
		if (strcmp(key, "cf") == 0)
			snprintf(rra[k].cf, sizeof(rra[k].cf), "%.7s", val);
		else if (strcmp(key, "rows") == 0)
			rra[k].rows = strtoll(val, NULL, 10);
		else if (strcmp(key, "resolution") == 0)
			rra[k].res = strtoll(val, NULL, 10);
	}
	return (n);
}

/* INFO came back: read the rows if they are not too many. */
static void
command_fetch_info(const struct query_result *res, void *arg)
{
	struct command_fetching		*p = arg;
	const struct command_fetch_reply *r = &p->reply;
	struct query_rra		 rra[COMMAND_RRAS_MAX];
	long long			 last, rows;
	int				 n;

	if (r->waiting != NULL && !r->waiting(r->arg))
		goto out;		/* nobody to answer: no fetch */
	if (res->error) {
		r->done(res, r->arg);
		goto out;
	}
	memset(rra, 0, sizeof(rra));
	n = command_rras(res, &last, rra, COMMAND_RRAS_MAX);
	if ((rows = query_fetch_rows(rra, n, last, &p->req.f)) >
	    p->req.max_rows) {
		r->too_many(r->arg, rows);
		goto out;
	}
	query_fetch(&p->req.f, r->format, r->done, r->arg);
out:
	free(p->metric);
	free(p);
}

int
command_fetch(const struct command_fetch *req,
    const struct command_fetch_reply *reply, struct proto_error *err)
{
	struct command_fetching	*p;

	if (!names_series_valid(req->f.metric)) {
		err->code = PERR_NAME;
		err->msg[0] = '\0';
		return (-1);
	}
	if (req->max_rows <= 0) {
		query_fetch(&req->f, reply->format, reply->done, reply->arg);
		return (0);
	}
	p = xcalloc(1, sizeof(*p));
	p->req = *req;
	p->reply = *reply;
	p->metric = xstrdup(req->f.metric);
	p->req.f.metric = p->metric;
	query_info(p->metric, command_fetch_info, p);
	return (0);
}

void
command_graph(const struct graph_spec *spec, query_cb done, void *arg)
{
	query_graph(spec, done, arg);
}

struct command_figures {
	void	(*figure)(void *, const char *, double);
	void	 *arg;
};

static void
command_stats_cb(void *arg, const char *name, enum tally_kind kind,
    double v)
{
	struct command_figures	*f = arg;

	f->figure(f->arg, name, v);
}

void
command_stats(void (*figure)(void *, const char *, double), void *arg)
{
	struct command_figures	 f = { figure, arg };
	struct render_stats	 rs;
	struct listen_output	 lo;
	unsigned long		 renders, hits;
	int			 warning, critical;

	stats_foreach(command_stats_cb, &f);
	query_stats(&renders, &hits);
	query_render_stats(&rs);
	figure(arg, "series", (double)series_count());
	figure(arg, "clients", listen_clients());
	listen_output(&lo);
	figure(arg, "output.bytes", (double)lo.bytes);
	figure(arg, "output.streams", lo.streams);
	figure(arg, "output.refused", (double)(lo.refused + query_busy()));
	figure(arg, "output.reading", (double)query_reading());
	figure(arg, "graph.renders", renders);
	figure(arg, "graph.cache_hits", hits);
	figure(arg, "render.helpers", rs.helpers);
	figure(arg, "render.busy", rs.busy);
	figure(arg, "render.queued", rs.queued);
	figure(arg, "render.done", rs.renders);
	figure(arg, "render.failed", rs.failed);
	figure(arg, "render.spawned", rs.spawned);
	figure(arg, "render.recycled", rs.recycled);
	figure(arg, "render.lost", rs.lost);
	if (command_journal != NULL &&
	    journal_mode(command_journal) != JOURNAL_MEMORY)
		figure(arg, "journal.bytes",
		    (double)journal_bytes(command_journal));
	alert_counts(&warning, &critical);
	figure(arg, "alert.warning", warning);
	figure(arg, "alert.critical", critical);
	figure(arg, "notify.pending", notify_pending());
}
