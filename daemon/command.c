/*
 * command.c - the commands themselves, apart from their transports (see
 * command.h).  PUT and LIST live here; the protocol and the HTTP gateway
 * only read their syntax into a request and write the reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "command.h"
#include "names.h"
#include "proto.h"
#include "series.h"
#include "xmalloc.h"

int
command_put(const struct command_put *req,
    const struct command_put_reply *reply, char *why, size_t len)
{
	struct proto_error	 err;
	struct series		*s;
	enum series_rc		 rc;
	time_t			 when;
	double			 v;
	size_t			 i;
	int			 nok = 0, limit;

	if (!names_series_valid(req->metric)) {
		if (len > 0)
			why[0] = '\0';
		return (-1);
	}
	if ((s = series_client(req->metric, req->retention, &limit, why,
	    len)) == NULL)
		return (limit ? -2 : -1);
	for (i = 0; i < req->nvalues; i++) {
		if (proto_put_value(req->values[i], req->now, &when, &v,
		    &err) == -1)
			reply->refused(reply->arg, req->values[i], 1, err.msg);
		else if (!series_client_when(when, req->now))
			reply->refused(reply->arg, req->values[i], 0,
			    "future: more than max_future ahead");
		else if ((rc = series_submit(s, when, v)) != SERIES_OK)
			reply->refused(reply->arg, req->values[i], 0,
			    series_rc_name(rc));
		else
			nok++;
	}
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
