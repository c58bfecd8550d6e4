/*
 * command.c - the commands themselves, apart from their transports (see
 * command.h).  PUT and LIST live here; the protocol and the HTTP gateway
 * only read their syntax into a request and write the reply.  Every value
 * a client sends (PUT, /api/v1/put, Graphite lines) goes in through
 * command_submit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command.h"
#include "journal.h"
#include "names.h"
#include "proto.h"
#include "series.h"
#include "xmalloc.h"

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
