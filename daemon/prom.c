/*
 * prom.c - the Prometheus HTTP query API (docs/PROMETHEUS.md): query,
 * query_range, labels, label values, series, metadata, buildinfo, in
 * Prometheus' JSON envelope, so that Grafana's Prometheus data source
 * reads tallyd.
 *
 * DESIGN
 * Requests arrive on the loop (http.c routes them here: prom_start
 * registers prom_route, so http.c knows nothing of this module).  Parameters
 * come from the query string and, for POST, a form-encoded body.  The
 * catalogue endpoints answer from the series registry on the loop.  A
 * query is parsed on the loop (promql.c); the series its selectors match
 * are listed with their labels and paths, and the request is held by
 * http.c (http_hold: an id, never a pointer).  query_exec flushes those
 * files and runs prom_job_run on a query worker: the evaluator
 * (promql_eval.c) reads the files through prom_read, and the JSON answer
 * is made there too, so a long answer costs the loop nothing.  The job
 * owns copies of everything it reads; on the loop prom_job_done sends
 * the answer if the client is still there, then frees the job.
 *
 * Names: series plugin.instance.metric is tally_PLUGIN_METRIC ('.' and
 * '-' as '_') with the label instance="INSTANCE" (names_prom, which
 * /metrics uses too).  The mapping is read
 * back through the registry: two series that map to one label set make
 * the query fail, as Prometheus does for a duplicate label set.
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <rrd.h>

#include "clock.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "names.h"
#include "numfmt.h"
#include "prom.h"
#include "promql.h"
#include "proto.h"
#include "query.h"
#include "series.h"
#include "xmalloc.h"

#define PROM_STEPS_MAX		11000	/* points a series, as Prometheus */
#define PROM_SERIES_MAX		1000	/* series one query reads */
#define PROM_POINTS_MAX		500000	/* points of an answer */
#define PROM_SAMPLES_MAX	5000000	/* rows one query reads */
#define PROM_TIMEOUT_MS		30000	/* a query's time, at most */
#define PROM_LOOKBACK_MS	300000	/* instant selectors look back 5m */
#define PROM_PARAMS_MAX		256	/* parameters of a request */
#define PROM_MATCH_MAX		32	/* match[] of a request */
#define PROM_API_VERSION	"2.40.0" /* the Prometheus API we follow */

/* A request's parameters: query string and form body. */
struct prom_req {
	struct evhttp_request	*req;
	int			 head;
	struct evkeyvalq	 params;
};

/* A query on its way to a worker and back. */
struct prom_job {
	uint64_t		 id;		/* http_hold's */
	int			 range;		/* query_range */
	struct promql_node	*tree;
	struct promql_eval	 ev;
	struct promql_labels	*labels;
	char			**names;
	char			**paths;
	char			*rc;		/* a shared rrdcached, or NULL */
	size_t			 n;
	long long		 samples;	/* rows read so far */
	int			 status;
	struct evbuffer		*out;
};

/* ---- names */

int
prom_series_labels(const char *series, struct promql_labels *ls)
{
	char		 name[NAMES_SERIES_MAX + 8], inst[NAMES_PART_MAX + 1];
	const char	*d1, *d2;

	if (names_prom(name, sizeof(name), NULL, 0, series) == -1)
		return (-1);
	d1 = strchr(series, '.');
	d2 = strchr(d1 + 1, '.');
	snprintf(inst, sizeof(inst), "%.*s", (int)(d2 - d1 - 1), d1 + 1);
	memset(ls, 0, sizeof(*ls));
	if (promql_labels_set(ls, "__name__", name) == -1 ||
	    promql_labels_set(ls, "instance", inst) == -1)
		return (-1);
	return (0);
}

/* ---- JSON */

/*
 * Float seconds as Prometheus writes times (1700000000, 4.5) at p, which
 * has NUMFMT_LEN bytes at least; its length.  Points are many: no printf.
 */
static size_t
prom_fmt_time(char *p, long long ms)
{
	long long	 sec, frac;
	size_t		 n = 0;

	if (ms < 0) {
		p[n++] = '-';
		ms = -ms;
	}
	sec = ms / 1000;
	frac = ms % 1000;
	n += (size_t)numfmt_ulong(p + n, (unsigned long long)sec);
	if (frac != 0) {
		p[n++] = '.';
		p[n++] = (char)('0' + frac / 100);
		p[n++] = (char)('0' + frac / 10 % 10);
		p[n++] = (char)('0' + frac % 10);
		while (p[n - 1] == '0')
			n--;
	}
	return (n);
}

/*
 * A value as Prometheus writes it (Go's FormatFloat 'f', -1): the
 * shortest digits that read back the same (numfmt_double's), never an
 * exponent; NaN, +Inf, -Inf.
 */
static const char *
prom_num(char *buf, size_t len, double v)
{
	char	 e[NUMFMT_LEN], digits[24], *p;
	int	 exp, nd, i, o = 0;

	if (isnan(v))
		return ("NaN");
	if (isinf(v))
		return (v > 0 ? "+Inf" : "-Inf");
	numfmt_double(e, sizeof(e), v);
	if ((p = strchr(e, 'e')) == NULL) {
		snprintf(buf, len, "%s", e);
		return (buf);
	}
	exp = atoi(p + 1);
	p = e;
	if (*p == '-')
		buf[o++] = *p++;
	for (nd = 0; *p != 'e' && nd < (int)sizeof(digits) - 1; p++)
		if (isdigit((unsigned char)*p))
			digits[nd++] = *p;
	if (exp < 0) {
		o += snprintf(buf + o, len - o, "0.");
		for (i = 0; i < -exp - 1 && o < (int)len - 1; i++)
			buf[o++] = '0';
		for (i = 0; i < nd && o < (int)len - 1; i++)
			buf[o++] = digits[i];
	} else {
		for (i = 0; i <= exp && o < (int)len - 1; i++)
			buf[o++] = i < nd ? digits[i] : '0';
		if (nd > exp + 1 && o < (int)len - 2) {
			buf[o++] = '.';
			for (i = exp + 1; i < nd && o < (int)len - 1; i++)
				buf[o++] = digits[i];
		}
	}
	buf[o] = '\0';
	return (buf);
}

static void
prom_json_labels(struct evbuffer *b, const struct promql_labels *ls)
{
	int	 i;

	evbuffer_add(b, "{", 1);
	for (i = 0; i < ls->n; i++) {
		if (i > 0)
			evbuffer_add(b, ",", 1);
		json_string(b, ls->name[i]);
		evbuffer_add(b, ":", 1);
		json_string(b, ls->value[i]);
	}
	evbuffer_add(b, "}", 1);
}

/*
 * The last value written and its text: a series often repeats a value
 * (a figure that did not move, a steady rate), and a fractional value's
 * shortest text costs a few snprintf and strtod.
 */
struct prom_numcache {
	double	 v;
	int	 valid;
	size_t	 len;
	char	 text[400];
};

/* [time,"value"], after a comma if sep. */
static void
prom_json_point(struct evbuffer *b, int sep, long long ms, double v,
    struct prom_numcache *nc)
{
	char		 buf[480];
	const char	*t;
	size_t		 n = 0;

	if (sep)
		buf[n++] = ',';
	buf[n++] = '[';
	n += prom_fmt_time(buf + n, ms);
	buf[n++] = ',';
	buf[n++] = '"';
	if (!nc->valid || memcmp(&nc->v, &v, sizeof(v)) != 0) {
		t = prom_num(nc->text, sizeof(nc->text), v);
		if (t != nc->text)
			snprintf(nc->text, sizeof(nc->text), "%s", t);
		nc->len = strlen(nc->text);
		nc->v = v;
		nc->valid = 1;
	}
	memcpy(buf + n, nc->text, nc->len);
	n += nc->len;
	buf[n++] = '"';
	buf[n++] = ']';
	evbuffer_add(b, buf, n);
}

/* The HTTP status of an error type, as Prometheus answers. */
static int
prom_status(const char *type)
{
	if (strcmp(type, "bad_data") == 0)
		return (400);
	if (strcmp(type, "execution") == 0)
		return (422);
	if (strcmp(type, "timeout") == 0 || strcmp(type, "unavailable") == 0)
		return (503);
	if (strcmp(type, "not_found") == 0)
		return (404);
	return (500);
}

static struct evbuffer *
prom_error_body(const char *type, const char *msg)
{
	struct evbuffer	*b = evbuffer_new();

	evbuffer_add_printf(b, "{\"status\":\"error\",\"errorType\":");
	json_string(b, type);
	evbuffer_add_printf(b, ",\"error\":");
	json_string(b, msg);
	evbuffer_add_printf(b, "}\n");
	return (b);
}

static void	prom_error(struct prom_req *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
prom_error(struct prom_req *r, const char *type, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_reply(r->req, r->head, prom_status(type), prom_error_body(type,
	    msg));
}

/* {"status":"success","data":...} around data (taken). */
static void
prom_success(struct prom_req *r, struct evbuffer *data)
{
	struct evbuffer	*b = evbuffer_new();

	evbuffer_add_printf(b, "{\"status\":\"success\",\"data\":");
	evbuffer_add_buffer(b, data);
	evbuffer_free(data);
	evbuffer_add_printf(b, "}\n");
	http_reply(r->req, r->head, 200, b);
}

/* ---- parameters */

/* Query string, then a form body; -1 after answering 400. */
static int
prom_params(struct prom_req *r)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(r->req);
	const char		*q = uri != NULL ? evhttp_uri_get_query(uri) :
				    NULL, *ct;
	struct evbuffer		*in = evhttp_request_get_input_buffer(r->req);
	struct evkeyvalq	 form;
	struct evkeyval		*kv;
	size_t			 len = evbuffer_get_length(in);
	char			*body;
	int			 n = 0;

	TAILQ_INIT(&r->params);
	TAILQ_INIT(&form);
	if (q != NULL && *q != '\0' && (strstr(q, "%00") != NULL ||
	    evhttp_parse_query_str(q, &r->params) == -1)) {
		prom_error(r, "bad_data", "bad query string: want key=value "
		    "pairs joined by &");
		return (-1);
	}
	if (len > 0 && evhttp_request_get_command(r->req) == EVHTTP_REQ_POST) {
		ct = evhttp_find_header(evhttp_request_get_input_headers(
		    r->req), "Content-Type");
		if (ct == NULL || strncasecmp(ct,
		    "application/x-www-form-urlencoded", 33) != 0) {
			prom_error(r, "bad_data", "a POST body must be "
			    "application/x-www-form-urlencoded");
			return (-1);
		}
		body = xmalloc(len + 1);
		evbuffer_copyout(in, body, len);
		body[len] = '\0';
		if (strlen(body) != len || strstr(body, "%00") != NULL ||
		    evhttp_parse_query_str(body, &form) == -1) {
			free(body);
			evhttp_clear_headers(&form);
			prom_error(r, "bad_data", "bad form body: want "
			    "key=value pairs joined by &");
			return (-1);
		}
		free(body);
		while ((kv = TAILQ_FIRST(&form)) != NULL) {
			TAILQ_REMOVE(&form, kv, next);
			TAILQ_INSERT_TAIL(&r->params, kv, next);
		}
	}
	TAILQ_FOREACH(kv, &r->params, next)
		n++;
	if (n > PROM_PARAMS_MAX) {
		prom_error(r, "bad_data", "more than %d parameters",
		    PROM_PARAMS_MAX);
		return (-1);
	}
	return (0);
}

static const char *
prom_param(struct prom_req *r, const char *name)
{
	return (evhttp_find_header(&r->params, name));
}

/*
 * A time: float seconds or RFC 3339 (2024-01-02T03:04:05.678Z, with an
 * offset or Z).  0, or -1 if it is neither.
 */
static int
prom_time(const char *s, long long *ms)
{
	struct tm	 tm;
	char		*end;
	double		 d, frac = 0;
	int		 n = 0, oh, om;
	long long	 off = 0;
	time_t		 t;

	d = strtod(s, &end);
	if (end != s && *end == '\0' && isfinite(d) && fabs(d) < 1e13) {
		*ms = llround(d * 1000);
		return (0);
	}
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
	    &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 ||
	    n != 19)
		return (-1);
	s += n;
	if (*s == '.') {
		frac = strtod(s, &end);
		if (end == s + 1)
			return (-1);
		s = end;
	}
	if (*s == 'Z' && s[1] == '\0')
		off = 0;
	else if ((*s == '+' || *s == '-') && sscanf(s + 1, "%2d:%2d%n", &oh,
	    &om, &n) == 2 && n == 5 && s[6] == '\0' && oh < 24 && om < 60)
		off = (*s == '-' ? -1 : 1) * (oh * 3600LL + om * 60);
	else
		return (-1);
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return (-1);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if ((t = timegm(&tm)) == -1)
		return (-1);
	*ms = ((long long)t - off) * 1000 + llround(frac * 1000);
	return (0);
}

/* A duration: float seconds or 5m, 1h30m. */
static int
prom_duration(const char *s, long long *ms)
{
	char	*end;
	double	 d;

	d = strtod(s, &end);
	if (end != s && *end == '\0' && isfinite(d) && d >= 0 && d < 1e12) {
		*ms = llround(d * 1000);
		return (0);
	}
	return (promql_parse_duration(s, ms));
}

/* Parameter name as a time, or def if absent; -1 after answering. */
static int
prom_time_param(struct prom_req *r, const char *name, long long def,
    long long *ms)
{
	const char	*v = prom_param(r, name);
	char		 show[4 * 32 + 4];

	if (v == NULL) {
		*ms = def;
		return (0);
	}
	if (prom_time(v, ms) == -1) {
		proto_quote(show, sizeof(show), v, 32);
		prom_error(r, "bad_data", "invalid parameter \"%s\": cannot "
		    "parse \"%s\" to a valid timestamp", name, show);
		return (-1);
	}
	return (0);
}

/* "invalid parameter "query": LINE:COL: parse error: MSG" */
static void
prom_parse_error(struct prom_req *r, const char *param, const char *q,
    const struct promql_error *err)
{
	int	 i, line = 1, col = 1;

	for (i = 0; i < err->pos && q[i] != '\0'; i++) {
		if (q[i] == '\n') {
			line++;
			col = 1;
		} else
			col++;
	}
	prom_error(r, "bad_data", "invalid parameter \"%s\": %d:%d: parse "
	    "error: %s", param, line, col, err->msg);
}

/* ---- the series a query may read */

struct prom_list {
	char		**names;
	size_t		  n;
};

static void
prom_list_cb(struct series *s, void *arg)
{
	struct prom_list	*l = arg;

	l->names = xreallocarray(l->names, l->n + 1, sizeof(*l->names));
	l->names[l->n++] = xstrdup(series_name(s));
}

static int
prom_list_cmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Every series the registry knows, sorted by name. */
static void
prom_list(struct prom_list *l)
{
	memset(l, 0, sizeof(*l));
	series_foreach(prom_list_cb, l);
	if (l->n > 0)
		qsort(l->names, l->n, sizeof(*l->names), prom_list_cmp);
}

static void
prom_list_free(struct prom_list *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
}

/* Does a selector anywhere in the tree match ls? */
static int
prom_tree_match(const struct promql_node *n, const struct promql_labels *ls)
{
	if (n == NULL)
		return (0);
	if (n->kind == PQ_SELECTOR)
		return (promql_selector_match(n, ls));
	return (prom_tree_match(n->arg[0], ls) ||
	    prom_tree_match(n->arg[1], ls));
}

/* ---- evaluation on the worker */

/*
 * The archive to read for a window reaching back to from: of the CF
 * wanted or AVERAGE (any, if the file has neither), those that reach
 * back that far; of those, the coarsest whose rows are no wider than
 * want, else the finest.  If none reaches back, the one reaching
 * furthest.  The wanted CF wins at equal resolution.
 */
static int
prom_pick_rra(const struct query_rra *rra, int n, long long last,
    const char *cf, long long from, long long want)
{
	long long	 cstart, bstart = 0;
	int		 i, best = -1, any = 0, cover, bcover = 0;
	int		 fit, bfit = 0;

	for (i = 0; i < n; i++)
		if (strcmp(rra[i].cf, cf) == 0 ||
		    strcmp(rra[i].cf, "AVERAGE") == 0)
			any = 1;
	for (i = 0; i < n; i++) {
		if (rra[i].res <= 0 || (any && strcmp(rra[i].cf, cf) != 0 &&
		    strcmp(rra[i].cf, "AVERAGE") != 0))
			continue;
		cstart = last - last % rra[i].res - rra[i].res * rra[i].rows;
		cover = cstart <= from;
		fit = rra[i].res <= want;
		if (best == -1)
			goto take;
		if (cover != bcover) {
			if (cover)
				goto take;
			continue;
		}
		if (!cover) {
			if (cstart < bstart || (cstart == bstart &&
			    rra[i].res < rra[best].res))
				goto take;
			continue;
		}
		if (fit != bfit) {
			if (fit)
				goto take;
			continue;
		}
		if ((fit && rra[i].res > rra[best].res) || (!fit &&
		    rra[i].res < rra[best].res) || (rra[i].res ==
		    rra[best].res && strcmp(rra[i].cf, cf) == 0))
			goto take;
		continue;
take:
		best = i;
		bstart = cstart;
		bcover = cover;
		bfit = fit;
	}
	return (best);
}

/* promql_eval's reader: the known rows of series i in (from, to]. */
static int
prom_read(void *arg, size_t i, const char *cf, long long from, long long to,
    long long hint, long long range, struct promql_samples *out, char *err,
    size_t errlen)
{
	struct prom_job		*j = arg;
	struct query_rra	 rra[64];
	struct query_result	 res;
	struct proto_fetch	 f;
	struct stat		 sb;
	long long		 last, want, rows, t;
	size_t			 k;
	int			 n, best;

	memset(out, 0, sizeof(*out));
	if (j->rc == NULL && stat(j->paths[i], &sb) == -1)
		return (0);		/* declared, nothing stored yet */
	memset(rra, 0, sizeof(rra));
	memset(&res, 0, sizeof(res));
	if ((n = query_file_rras(j->rc, j->paths[i], rra, 64, &last)) <= 0) {
		/* rrdcached's INFO of a file not made yet */
		if (j->rc != NULL && strstr(rrd_get_error(), "No such file") !=
		    NULL)
			return (0);
		snprintf(err, errlen, "%s: cannot read the file's layout",
		    j->names[i]);
		return (-1);
	}
	want = hint / 1000;
	if (range > 0 && range / 1000 < want)
		want = range / 1000;
	if ((best = prom_pick_rra(rra, n, last, cf, from / 1000, want <= 0 ?
	    1 : want)) == -1)
		return (0);
	/* an instant selector looks back a row at least (promql.h) */
	if (range == 0)
		from -= rra[best].res * 1000;
	memset(&f, 0, sizeof(f));
	f.start = (time_t)(from / 1000 - (from % 1000 < 0 ? 1 : 0));
	f.end = (time_t)((to + 999) / 1000);
	if (f.end <= f.start)
		f.end = f.start + 1;
	snprintf(f.cf, sizeof(f.cf), "%s", rra[best].cf);
	f.resolution = (long)rra[best].res;
	rows = (f.end - f.start) / rra[best].res + 2;
	if ((j->samples += rows) > PROM_SAMPLES_MAX) {
		snprintf(err, errlen, "query would read more than %d samples: "
		    "shorten the range or raise the step", PROM_SAMPLES_MAX);
		return (-1);
	}
	if (query_read_rows(j->rc, j->paths[i], &f, &res) == -1) {
		snprintf(err, errlen, "%s: %s", j->names[i], res.msg);
		query_rows_free(&res);
		return (res.code == PERR_BUSY ? -2 : -1);
	}
	out->res = (long long)res.step * 1000;
	out->t = xreallocarray(NULL, res.nrows + 1, sizeof(*out->t));
	out->v = xreallocarray(NULL, res.nrows + 1, sizeof(*out->v));
	for (k = 0; k < res.nrows; k++) {
		t = ((long long)res.start + (long long)(k + 1) * res.step) *
		    1000;
		if (isnan(res.rows[k]) || t <= from || t > to)
			continue;
		out->t[out->n] = t;
		out->v[out->n++] = res.rows[k];
	}
	query_rows_free(&res);
	return (0);
}

/* The evaluated answer as the data of the envelope. */
static void
prom_job_json(struct prom_job *j, const struct promql_result *res)
{
	struct evbuffer		*b = j->out;
	struct prom_numcache	 nc;
	size_t			 i, k;
	int			 first;

	memset(&nc, 0, sizeof(nc));
	evbuffer_add_printf(b, "{\"status\":\"success\",\"data\":{");
	if (res->type == PQT_SCALAR && !j->range) {
		evbuffer_add_printf(b, "\"resultType\":\"scalar\","
		    "\"result\":");
		prom_json_point(b, 0, j->ev.start, res->nrows > 0 ?
		    res->rows[0].v[0] : NAN, &nc);
		evbuffer_add_printf(b, "}}\n");
		return;
	}
	evbuffer_add_printf(b, "\"resultType\":\"%s\",\"result\":[",
	    j->range || res->type == PQT_MATRIX ? "matrix" : "vector");
	for (i = 0; i < res->nrows; i++) {
		evbuffer_add(b, i > 0 ? ",{\"metric\":" : "{\"metric\":", i >
		    0 ? 11 : 10);
		prom_json_labels(b, &res->rows[i].ls);
		if (res->type == PQT_MATRIX) {	/* raw samples */
			evbuffer_add_printf(b, ",\"values\":[");
			for (k = 0; k < res->rows[i].nsamples; k++)
				prom_json_point(b, k > 0, res->rows[i].t[k],
				    res->rows[i].v[k], &nc);
			evbuffer_add(b, "]}", 2);
			continue;
		}
		if (!j->range) {
			evbuffer_add_printf(b, ",\"value\":");
			prom_json_point(b, 0, j->ev.start, res->rows[i].v[0],
			    &nc);
			evbuffer_add(b, "}", 1);
			continue;
		}
		evbuffer_add_printf(b, ",\"values\":[");
		for (k = 0, first = 1; k < res->nsteps; k++) {
			if (!res->rows[i].have[k])
				continue;
			prom_json_point(b, !first, j->ev.start + (long long)k *
			    j->ev.step, res->rows[i].v[k], &nc);
			first = 0;
		}
		evbuffer_add(b, "]}", 2);
	}
	evbuffer_add_printf(b, "]}}\n");
}

/* Worker: evaluate and write the answer or the error. */
static void
prom_job_run(void *arg)
{
	struct prom_job		*j = arg;
	struct promql_result	 res;
	const char		*type;

	j->ev.limits.deadline_ms += clock_mono();
	promql_eval(j->tree, &j->ev, &res);
	j->out = evbuffer_new();
	if (res.errtype != PQE_NONE) {
		type = promql_errtype_name(res.errtype);
		j->status = prom_status(type);
		evbuffer_free(j->out);
		j->out = prom_error_body(type, res.error);
		return;
	}
	j->status = 200;
	prom_job_json(j, &res);
	promql_result_free(&res);
}

static void
prom_job_free(struct prom_job *j)
{
	size_t	 i;

	for (i = 0; i < j->n; i++) {
		free(j->names[i]);
		free(j->paths[i]);
	}
	free(j->names);
	free(j->paths);
	free(j->rc);
	free(j->labels);
	promql_free(j->tree);
	if (j->out != NULL)
		evbuffer_free(j->out);
	free(j);
}

/* Loop: send the answer if the client is still there. */
static void
prom_job_done(void *arg)
{
	struct prom_job		*j = arg;
	struct evhttp_request	*req;
	int			 head;

	if ((req = http_release(j->id, &head)) != NULL && j->out != NULL) {
		http_reply(req, head, j->status, j->out);
		j->out = NULL;
	}
	prom_job_free(j);
}

/* ---- /api/v1/query and /api/v1/query_range */

/* The query's timeout: PROM_TIMEOUT_MS or less if asked. */
static int
prom_timeout(struct prom_req *r, long long *ms)
{
	const char	*v = prom_param(r, "timeout");

	*ms = PROM_TIMEOUT_MS;
	if (v == NULL)
		return (0);
	if (prom_duration(v, ms) == -1) {
		prom_error(r, "bad_data", "invalid parameter \"timeout\": "
		    "not a duration");
		return (-1);
	}
	if (*ms <= 0 || *ms > PROM_TIMEOUT_MS)
		*ms = PROM_TIMEOUT_MS;
	return (0);
}

/* Parse, list the series, hold the request and hand the job over. */
static void
prom_query_start(struct prom_req *r, struct promql_node *tree,
    struct prom_job *j)
{
	struct prom_list	 l;
	struct promql_labels	 ls;
	char			 path[PATH_MAX];
	size_t			 i;

	j->tree = tree;
	prom_list(&l);
	for (i = 0; i < l.n; i++) {
		if (prom_series_labels(l.names[i], &ls) == -1 ||
		    !prom_tree_match(tree, &ls) || names_series_path(path,
		    sizeof(path), query_datadir_path(), l.names[i]) == -1)
			continue;
		if (j->n >= PROM_SERIES_MAX) {
			prom_list_free(&l);
			prom_job_free(j);
			prom_error(r, "execution", "the query's selectors "
			    "match more than %d series", PROM_SERIES_MAX);
			return;
		}
		j->labels = xreallocarray(j->labels, j->n + 1,
		    sizeof(*j->labels));
		j->names = xreallocarray(j->names, j->n + 1,
		    sizeof(*j->names));
		j->paths = xreallocarray(j->paths, j->n + 1,
		    sizeof(*j->paths));
		j->labels[j->n] = ls;
		j->names[j->n] = xstrdup(l.names[i]);
		j->paths[j->n] = xstrdup(path);
		j->n++;
	}
	prom_list_free(&l);
	j->ev.series = j->labels;
	j->ev.nseries = j->n;
	j->ev.read = prom_read;
	j->ev.read_arg = j;
	j->ev.lookback = PROM_LOOKBACK_MS;
	j->ev.limits.series_max = PROM_SERIES_MAX;
	j->ev.limits.points_max = PROM_POINTS_MAX;
	if ((j->id = http_hold(r->req, r->head)) == 0) {
		prom_job_free(j);
		prom_error(r, "unavailable", "too many requests are being "
		    "answered; try again");
		return;
	}
	query_exec((const char *const *)j->names, j->n, prom_job_run,
	    prom_job_done, j);
}

static void
prom_query(struct prom_req *r, int range)
{
	struct promql_error	 err;
	struct promql_node	*tree;
	struct prom_job		*j;
	const char		*q = prom_param(r, "query"), *v;
	long long		 now = clock_wall(), timeout, step = 0;
	long long		 start, end;

	if (q == NULL) {
		prom_error(r, "bad_data", "invalid parameter \"query\": query "
		    "is required");
		return;
	}
	if (prom_timeout(r, &timeout) == -1)
		return;
	if (range) {
		if (prom_param(r, "start") == NULL || prom_param(r, "end") ==
		    NULL || (v = prom_param(r, "step")) == NULL) {
			prom_error(r, "bad_data", "invalid parameter: start, "
			    "end and step are required");
			return;
		}
		if (prom_time_param(r, "start", 0, &start) == -1 ||
		    prom_time_param(r, "end", 0, &end) == -1)
			return;
		if (end < start) {
			prom_error(r, "bad_data", "invalid parameter \"end\": "
			    "end timestamp must not be before start time");
			return;
		}
		if (prom_duration(v, &step) == -1 || step <= 0) {
			prom_error(r, "bad_data", "invalid parameter \"step\": "
			    "zero or negative query resolution step widths "
			    "are not accepted. Try a positive integer");
			return;
		}
		if ((end - start) / step + 1 > PROM_STEPS_MAX) {
			prom_error(r, "bad_data", "exceeded maximum resolution "
			    "of %d points per timeseries. Try decreasing the "
			    "query resolution (?step=XX)", PROM_STEPS_MAX);
			return;
		}
	} else {
		if (prom_time_param(r, "time", now, &start) == -1)
			return;
		end = start;
		step = 1000;
	}
	if ((tree = promql_parse(q, &err)) == NULL) {
		prom_parse_error(r, "query", q, &err);
		return;
	}
	if (tree->type == PQT_MATRIX && range) {
		prom_error(r, "bad_data", "invalid expression type \"range "
		    "vector\" for range query, must be Scalar or instant "
		    "Vector");
		promql_free(tree);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	if (query_shared_rrdcached() != NULL)
		j->rc = xstrdup(query_shared_rrdcached());
	j->range = range;
	j->ev.start = start;
	j->ev.end = end;
	j->ev.step = step;
	j->ev.limits.deadline_ms = timeout;	/* from the worker's start */
	prom_query_start(r, tree, j);
}

/* ---- catalogue: labels, values, series, metadata, buildinfo */

/*
 * The series that match[] selects (every series without match[]), as
 * label sets; -1 after answering 400.
 */
static int
prom_matched(struct prom_req *r, int required, struct promql_labels **out,
    size_t *nout)
{
	struct promql_node	*sel[PROM_MATCH_MAX];
	struct promql_error	 err;
	struct promql_labels	 ls;
	struct prom_list	 l;
	struct evkeyval		*kv;
	long long		 t;
	size_t			 i;
	int			 n = 0, k, rc = -1;

	*out = NULL;
	*nout = 0;
	if (prom_time_param(r, "start", 0, &t) == -1 ||
	    prom_time_param(r, "end", 0, &t) == -1)
		return (-1);
	TAILQ_FOREACH(kv, &r->params, next) {
		if (strcmp(kv->key, "match[]") != 0)
			continue;
		if (n >= PROM_MATCH_MAX) {
			prom_error(r, "bad_data", "more than %d match[]",
			    PROM_MATCH_MAX);
			goto done;
		}
		if ((sel[n] = promql_parse(kv->value, &err)) == NULL) {
			prom_parse_error(r, "match[]", kv->value, &err);
			goto done;
		}
		if (sel[n++]->kind != PQ_SELECTOR || sel[n - 1]->range > 0) {
			prom_error(r, "bad_data", "invalid parameter "
			    "\"match[]\": must be an instant vector "
			    "selector");
			goto done;
		}
	}
	if (required && n == 0) {
		prom_error(r, "bad_data", "no match[] parameter provided");
		goto done;
	}
	prom_list(&l);
	for (i = 0; i < l.n; i++) {
		if (prom_series_labels(l.names[i], &ls) == -1)
			continue;
		for (k = 0; k < n; k++)
			if (promql_selector_match(sel[k], &ls))
				break;
		if (n > 0 && k == n)
			continue;
		*out = xreallocarray(*out, *nout + 1, sizeof(**out));
		(*out)[(*nout)++] = ls;
	}
	prom_list_free(&l);
	rc = 0;
done:
	for (k = 0; k < n; k++)
		promql_free(sel[k]);
	return (rc);
}

static int
prom_str_cmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

/* A sorted, unique JSON array of strings (borrowed). */
static struct evbuffer *
prom_strings(const char **v, size_t n)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 i, out = 0;

	if (n > 0)
		qsort(v, n, sizeof(*v), prom_str_cmp);
	evbuffer_add(b, "[", 1);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
			continue;
		if (out++ > 0)
			evbuffer_add(b, ",", 1);
		json_string(b, v[i]);
	}
	evbuffer_add(b, "]", 1);
	return (b);
}

static void
prom_labels(struct prom_req *r)
{
	struct promql_labels	*ls;
	const char		**v = NULL;
	size_t			 n, i, nv = 0;
	int			 k;

	if (prom_matched(r, 0, &ls, &n) == -1)
		return;
	for (i = 0; i < n; i++)
		for (k = 0; k < ls[i].n; k++) {
			v = xreallocarray(v, nv + 1, sizeof(*v));
			v[nv++] = ls[i].name[k];
		}
	prom_success(r, prom_strings(v, nv));
	free(v);
	free(ls);
}

static void
prom_label_values(struct prom_req *r, const char *name)
{
	struct promql_labels	*ls;
	const char		**v = NULL, *val;
	size_t			 n, i, nv = 0;

	if (prom_matched(r, 0, &ls, &n) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (*(val = promql_label(&ls[i], name)) == '\0')
			continue;
		v = xreallocarray(v, nv + 1, sizeof(*v));
		v[nv++] = val;
	}
	prom_success(r, prom_strings(v, nv));
	free(v);
	free(ls);
}

static void
prom_series(struct prom_req *r)
{
	struct promql_labels	*ls;
	struct evbuffer		*b;
	size_t			 n, i;

	if (prom_matched(r, 1, &ls, &n) == -1)
		return;
	b = evbuffer_new();
	evbuffer_add(b, "[", 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			evbuffer_add(b, ",", 1);
		prom_json_labels(b, &ls[i]);
	}
	evbuffer_add(b, "]", 1);
	prom_success(r, b);
	free(ls);
}

/* One entry per metric name: type and help from the first series. */
static void
prom_metadata(struct prom_req *r)
{
	struct prom_list	 l;
	struct series		*s;
	struct evbuffer		*b = evbuffer_new();
	const char		*want = prom_param(r, "metric"), *lim, *sn;
	char			 name[NAMES_SERIES_MAX + 8], prev[sizeof(name)];
	char			 help[2 * NAMES_SERIES_MAX];
	size_t			 i, out = 0;
	long			 limit = -1;

	if ((lim = prom_param(r, "limit")) != NULL)
		limit = strtol(lim, NULL, 10);
	prom_list(&l);
	evbuffer_add(b, "{", 1);
	*prev = '\0';
	for (i = 0; i < l.n; i++) {
		sn = l.names[i];
		if (names_prom(name, sizeof(name), NULL, 0, sn) == -1 ||
		    (want != NULL && strcmp(want, name) != 0) ||
		    (s = series_find(sn)) == NULL)
			continue;
		if (strcmp(name, prev) == 0)
			continue;
		/* sorted by series name: a name may come back later */
		snprintf(help, sizeof(help), "\"%s\":", name);
		if (evbuffer_search(b, help, strlen(help), NULL).pos != -1)
			continue;
		if (limit > 0 && (long)out >= limit)
			break;
		snprintf(prev, sizeof(prev), "%s", name);
		snprintf(help, sizeof(help), "%.*s.<instance>%s%s%s%s%s",
		    (int)strcspn(sn, "."), sn, strchr(strchr(sn, '.') + 1,
		    '.'), *series_unit(s) != '\0' ? " (" : "",
		    series_unit(s), *series_unit(s) != '\0' ? ")" : "",
		    series_kind(s) == TALLY_GAUGE ? "" : ", per second");
		evbuffer_add_printf(b, "%s\"%s\":[{\"type\":\"gauge\","
		    "\"help\":", out++ > 0 ? "," : "", name);
		json_string(b, help);
		evbuffer_add_printf(b, ",\"unit\":\"\"}]");
	}
	evbuffer_add(b, "}", 1);
	prom_list_free(&l);
	prom_success(r, b);
}

static void
prom_buildinfo(struct prom_req *r)
{
	struct evbuffer	*b = evbuffer_new();

	evbuffer_add_printf(b, "{\"version\":\"%s\",\"revision\":\"tallyd "
	    "%s\",\"branch\":\"\",\"buildUser\":\"\",\"buildDate\":\"\","
	    "\"goVersion\":\"\"}", PROM_API_VERSION, PACKAGE_VERSION);
	prom_success(r, b);
}

static void
prom_exemplars(struct prom_req *r)
{
	struct evbuffer	*b = evbuffer_new();

	evbuffer_add(b, "[]", 2);
	prom_success(r, b);
}

/* ---- routing */

/* /api/v1/label/NAME/values: NAME into name, or -1 if path is not one. */
static int
prom_label_path(const char *path, char *name, size_t len)
{
	const char	*p = path + strlen("/api/v1/label/"), *e;

	if (strncmp(path, "/api/v1/label/", 14) != 0 ||
	    (e = strchr(p, '/')) == NULL || strcmp(e, "/values") != 0 ||
	    e == p || (size_t)(e - p) >= len)
		return (-1);
	snprintf(name, len, "%.*s", (int)(e - p), p);
	return (0);
}

/* http.c hands the API's paths here (http_set_router). */
static int
prom_route(struct evhttp_request *req, const char *path)
{
	static const char *const paths[] = { "/api/v1/query",
	    "/api/v1/query_range", "/api/v1/labels", "/api/v1/series",
	    "/api/v1/metadata", "/api/v1/status/buildinfo",
	    "/api/v1/query_exemplars", NULL };
	enum evhttp_cmd_type	 m = evhttp_request_get_command(req);
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const char		*q = uri != NULL ? evhttp_uri_get_query(uri) :
				    NULL;
	struct prom_req		 r;
	struct evkeyvalq	 qp;
	char			 label[64];
	int			 i, islabel, match;

	islabel = prom_label_path(path, label, sizeof(label)) == 0;
	for (i = 0; paths[i] != NULL && strcmp(paths[i], path) != 0; i++)
		;
	if (paths[i] == NULL && !islabel)
		return (0);
	/* tallyd's own /api/v1/series takes metric=, never match[] */
	if (strcmp(path, "/api/v1/series") == 0 && m != EVHTTP_REQ_POST) {
		TAILQ_INIT(&qp);
		match = q != NULL && evhttp_parse_query_str(q, &qp) == 0 &&
		    evhttp_find_header(&qp, "match[]") != NULL;
		evhttp_clear_headers(&qp);
		if (!match)
			return (0);
	}
	memset(&r, 0, sizeof(r));
	r.req = req;
	r.head = m == EVHTTP_REQ_HEAD;
	TAILQ_INIT(&r.params);
	if (m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD &&
	    m != EVHTTP_REQ_POST) {
		evhttp_add_header(evhttp_request_get_output_headers(req),
		    "Allow", "GET, HEAD, POST");
		http_reply(req, r.head, 405, prom_error_body("bad_data",
		    "use GET or POST"));
		return (1);
	}
	if (prom_params(&r) == -1) {
		evhttp_clear_headers(&r.params);
		return (1);
	}
	if (islabel)
		prom_label_values(&r, label);
	else if (strcmp(path, "/api/v1/query") == 0)
		prom_query(&r, 0);
	else if (strcmp(path, "/api/v1/query_range") == 0)
		prom_query(&r, 1);
	else if (strcmp(path, "/api/v1/labels") == 0)
		prom_labels(&r);
	else if (strcmp(path, "/api/v1/series") == 0)
		prom_series(&r);
	else if (strcmp(path, "/api/v1/metadata") == 0)
		prom_metadata(&r);
	else if (strcmp(path, "/api/v1/query_exemplars") == 0)
		prom_exemplars(&r);
	else
		prom_buildinfo(&r);
	evhttp_clear_headers(&r.params);
	return (1);
}

void
prom_start(void)
{
	http_set_router(prom_route);
}
