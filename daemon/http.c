/*
 * http.c - the HTTP gateway: graphs, JSON, Prometheus text, the visitor
 * counter and the dashboard (docs/HTTP.md).
 *
 * DESIGN
 * Loop thread only: evhttp runs on the main event base and every answer
 * is made here or in a query.c callback, which also runs on the loop.
 * Requests that wait for a query (/graph, /api/v1/series) are "waits":
 * an entry with an id in http_waits, and the query gets the id, never a
 * pointer.  The entry holds the evhttp request until the answer comes.  If
 * the client goes first, evhttp calls the connection's close callback:
 * a request evhttp has detached (its connection is now NULL) is ours to
 * free when the answer comes; one still on the connection is freed by
 * evhttp right after the callback, so the entry forgets it.  The entry
 * stays until its query answers, so max_requests counts work under way,
 * not clients still there.  http_stop empties the table; answers that
 * come later find no entry and are dropped.  The Prometheus API (prom.c)
 * is a router asked first (http_set_router); its queries wait the same
 * way (http_hold, http_release), so max_requests counts them too.
 *
 * Nothing from a URL becomes a path: the dashboard is a fixed list of
 * files read from dashboard_dir at start and on reload, and a URL either
 * names one of the routes below exactly or gets 404.  Query parameters
 * become the key=value words of the protocol's GRAPH and FETCH and go
 * through the same parsers (graph.c, proto.c), which check every name.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "alert.h"
#include "command.h"
#include "compat.h"
#include "config.h"
#include "forward.h"
#include "graph.h"
#include "http.h"
#include "httpconn.h"
#include "journal.h"
#include "json.h"
#include "labels.h"
#include "log.h"
#include "names.h"
#include "numfmt.h"
#include "proto.h"
#include "plugin.h"
#include "query.h"
#include "report.h"
#include "series.h"
#include "util.h"
#include "xmalloc.h"

#define HTTP_NITEMS(a)		(sizeof(a) / sizeof((a)[0]))
#define HTTP_PARAMS_MAX		64	/* query parameters per request */
#define HTTP_FILE_MAX		(1024 * 1024)	/* bytes per dashboard file */
#define HTTP_POINTS_MAX		20000	/* rows of a series: JSON made on */
					/* the loop, ~1.3 us a row */
#define HTTP_PUT_MAX		10000	/* values of one /api/v1/put */
#define HTTP_SHOW_MAX		64	/* client text quoted in a message */
#define HTTP_JSON		"application/json; charset=utf-8"

/*
 * /api/v1/metrics or /metrics being completed: last values the registry
 * lacks (after a restart, a yearly series has none until its next value)
 * are read from the files, one LAST query each.
 */
struct http_batch {
	int		  prom;		/* /metrics: Prometheus text */
	struct series	**s;
	size_t		  n;
	time_t		 *when;
	double		 *value;
	int		 *have;
	size_t		  pending;	/* LAST queries not answered */
};

/* A request waiting for a query. */
struct http_wait {
	uint64_t			 id;
	struct evhttp_request		*req;	/* NULL: freed by evhttp */
	struct evhttp_connection	*evcon;	/* to match the close cb */
	int				 orphan; /* client left: free req */
	int				 head;
	char				 metric[NAMES_SERIES_MAX + 1];
	struct http_batch		*batch;	/* /api/v1/metrics */
	struct evbuffer			*body;	/* /api/v1/put: the answer */
	int				 csv;	/* /api/v1/series?format=csv */
	int				 json;	/* /api/v1/report as JSON */
	enum report_format		 format; /* or as this */
	TAILQ_ENTRY(http_wait)		 entry;
};

/* Which LAST query of which batch answers (the query's arg). */
struct http_last {
	uint64_t	 id;
	size_t		 i;
};

/* A dashboard file, read whole. */
struct http_file {
	const char	*name;
	const char	*mime;
	unsigned char	*data;		/* NULL: not loaded */
	size_t		 len;
	char		 etag[24];
};

static struct http_file http_files[] = {
	{ "index.html", "text/html; charset=utf-8", NULL, 0, "" },
	{ "app.js", "text/javascript; charset=utf-8", NULL, 0, "" },
	{ "style.css", "text/css; charset=utf-8", NULL, 0, "" },
	{ "counter.js", "text/javascript; charset=utf-8", NULL, 0, "" },
	{ "report.html", "text/html; charset=utf-8", NULL, 0, "" },
	{ "report.js", "text/javascript; charset=utf-8", NULL, 0, "" },
};

/* One call to a route's handler. */
struct http_call {
	struct evhttp_request	*req;
	struct evkeyvalq	 params;
	int			 head;	/* HEAD: headers only */
};

struct http_route {
	const char	*path;
	void		(*fn)(struct http_call *);
	int		 file;		/* index in http_files, or -1 */
	int		 write;		/* POST/PUT with the token */
};

static void	http_graph(struct http_call *);
static void	http_series(struct http_call *);
static void	http_metrics(struct http_call *);
static void	http_alerts(struct http_call *);
static void	http_prometheus(struct http_call *);
static int	http_prom_cmp(const void *, const void *);
static void	http_counter(struct http_call *);
static void	http_put(struct http_call *);
static void	http_report(struct http_call *);
static void	http_plugins(struct http_call *);
static void	http_batch_send(struct evhttp_request *, int,
		    const struct http_batch *);

static const struct http_route http_routes[] = {
	{ "/", NULL, 0, 0 },
	{ "/index.html", NULL, 0, 0 },
	{ "/app.js", NULL, 1, 0 },
	{ "/style.css", NULL, 2, 0 },
	{ "/counter.js", NULL, 3, 0 },
	{ "/report.html", NULL, 4, 0 },
	{ "/report.js", NULL, 5, 0 },
	{ "/graph", http_graph, -1, 0 },
	{ "/api/v1/series", http_series, -1, 0 },
	{ "/api/v1/metrics", http_metrics, -1, 0 },
	{ "/api/v1/alerts", http_alerts, -1, 0 },
	{ "/api/v1/put", http_put, -1, 1 },
	{ "/api/v1/report", http_report, -1, 0 },
	{ "/api/v1/plugins", http_plugins, -1, 0 },
	{ "/metrics", http_prometheus, -1, 0 },
	{ "/counter.json", http_counter, -1, 0 },
};

static int			 http_fd = -1;
static http_router		 http_router_fn;
static struct evhttp		*http_ev;
static TAILQ_HEAD(, http_wait)	 http_waits =
    TAILQ_HEAD_INITIALIZER(http_waits);
static int			 http_nwaits;
static uint64_t			 http_next_id = 1;
/* The config in force (main's, replaced on reload) and its [http]. */
static const struct config	*http_cf;
static const struct http_conf	*http_hc;
static struct journal		*http_journal;
static struct log_limit		 http_ll_busy;

#define H(f)	offsetof(struct http_conf, f)

static const struct config_key http_keys[] = {
	{ .name = "listen", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_HOSTPORT,
	  .off = H(listen),
	  .help = "address of the HTTP gateway and dashboard, host:port "
	  "(loopback unless you mean it, e.g. 127.0.0.1:8080); empty: off" },
	{ .name = "token", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_RELOAD,
	  .off = H(token),
	  .help = "if set, POST or PUT /api/v1/put with \"Authorization: "
	  "Bearer TOKEN\" stores values; empty: only GET and HEAD" },
	{ .name = "max_headers", .type = CONFIG_COUNT,
	  .min = 1024, .max = 1048576, .def = "8192", .flags = CONFIG_RELOAD,
	  .off = H(max_headers),
	  .help = "bytes of request line and headers; more is refused" },
	{ .name = "max_body", .type = CONFIG_COUNT,
	  .min = 0, .max = 67108864, .def = "65536", .flags = CONFIG_RELOAD,
	  .off = H(max_body),
	  .help = "bytes of a request body (values sent to /api/v1/put); "
	  "more is refused" },
	{ .name = "max_requests", .type = CONFIG_INT,
	  .min = 1, .max = 65536, .def = "64", .flags = CONFIG_RELOAD,
	  .off = H(max_requests),
	  .help = "graph and series requests waiting for an answer at once; "
	  "more get 503" },
	{ .name = "timeout", .type = CONFIG_DURATION,
	  .min = 1000, .max = CONFIG_MS_H, .def = "30s",
	  .flags = CONFIG_RELOAD, .off = H(timeout),
	  .help = "a connection idle this long, reading a request or "
	  "writing an answer, is closed" },
	{ .name = "max_connections", .type = CONFIG_INT,
	  .min = 1, .max = 65536, .def = "2048", .flags = CONFIG_RELOAD,
	  .off = H(max_connections),
	  .help = "HTTP connections open at once; past it the longest idle "
	  "one gives way to a new one" },
	{ .name = "header_timeout", .type = CONFIG_DURATION,
	  .min = 1000, .max = CONFIG_MS_H, .def = "10s",
	  .flags = CONFIG_RELOAD, .off = H(header_timeout),
	  .help = "a connection must send a whole request within this long "
	  "of connecting or of its last answer, however slowly it trickles" },
	{ .name = "dashboard_dir", .type = CONFIG_PATH,
	  .def = TALLY_DATADIR "/dashboard", .flags = CONFIG_RELOAD,
	  .off = H(dashboard_dir),
	  .help = "directory of the dashboard files (index.html, app.js, "
	  "style.css, counter.js), read at start and on reload" },
	{ .name = "counter_total", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_RELOAD | CONFIG_METRIC,
	  .off = H(counter_total),
	  .help = "metric whose last value is the visitor counter's total, "
	  "e.g. traffic.site.visits.total; empty: no /counter.json" },
	{ .name = "counter_online", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_RELOAD | CONFIG_METRIC,
	  .off = H(counter_online),
	  .help = "metric whose last value is the visitors online now, e.g. "
	  "traffic.site.online" },
};

const struct config_section http_section = {
	.word = "http", .minw = 1, .maxw = 1, .usage = "[http]",
	.head = "[http]", .keys = http_keys, .nkeys = HTTP_NITEMS(http_keys),
	.size = sizeof(struct http_conf)
};

static void	http_error(struct evhttp_request *, int, int, const char *,
		    const char *, ...) __attribute__((format(printf, 5, 6)));

/* ---- JSON and hashing */

/* A report's figure: a whole number exactly, NAN as null. */
static void
http_report_num(struct evbuffer *b, double v)
{
	char	 buf[64];

	if (!isfinite(v)) {
		evbuffer_add(b, "null", 4);
		return;
	}
	report_number(buf, sizeof(buf), v);
	evbuffer_add(b, buf, strlen(buf));
}

/* An entity tag: FNV-1a over the bytes, quoted. */
static void
http_etag(char *buf, size_t len, const unsigned char *p, size_t n)
{
	uint64_t	 h = 14695981039346656037ULL;
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	snprintf(buf, len, "\"%016llx\"", (unsigned long long)h);
}

/* Does If-None-Match name etag (or "*")?  Weak tags compare as strong. */
static int
http_etag_match(struct evhttp_request *req, const char *etag)
{
	const char	*h, *p, *end;
	size_t		 n, elen = strlen(etag);

	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "If-None-Match");
	for (p = h; p != NULL && *p != '\0'; p = *end == ',' ? end + 1 : end) {
		p += strspn(p, " \t");
		if ((end = strchr(p, ',')) == NULL)
			end = p + strlen(p);
		n = end - p;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 1 && *p == '*')
			return (1);
		if (n > 2 && p[0] == 'W' && p[1] == '/') {
			p += 2;
			n -= 2;
		}
		if (n == elen && memcmp(p, etag, n) == 0)
			return (1);
	}
	return (0);
}

/* ---- answers */

static void
http_header(struct evhttp_request *req, const char *key, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), key, value);
}

/*
 * Send status with body (taken, may be NULL).  A HEAD answer carries the
 * length the body would have had, and no body.
 */
static void
http_send(struct evhttp_request *req, int head, int status, const char *type,
    struct evbuffer *body)
{
	char	 len[32];

	if (type != NULL)
		http_header(req, "Content-Type", type);
	http_header(req, "X-Content-Type-Options", "nosniff");
	log_debug("http: %s %d", evhttp_request_get_uri(req), status);
	if (head && body != NULL) {
		snprintf(len, sizeof(len), "%zu", evbuffer_get_length(body));
		http_header(req, "Content-Length", len);
		evhttp_send_reply(req, status, NULL, NULL);
	} else
		evhttp_send_reply(req, status, NULL, body);
	if (body != NULL)
		evbuffer_free(body);
}

/* The HTTP status of a protocol error code. */
static int
http_status(enum proto_err code)
{
	switch (code) {
	case PERR_NOTFOUND:
	case PERR_UNKNOWN:
		return (404);
	case PERR_AUTH:
		return (401);
	case PERR_LIMIT:
		return (413);
	case PERR_BUSY:
		return (503);
	case PERR_STORE:
	case PERR_INTERNAL:
	case PERR__MAX:
		return (500);
	default:
		return (400);
	}
}

/* {"error":{"code":CODE,"message":...}} with status. */
static void
http_error(struct evhttp_request *req, int head, int status, const char *code,
    const char *fmt, ...)
{
	struct evbuffer	*b = evbuffer_new();
	va_list		 ap;
	char		*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("%s", __func__);
	va_end(ap);
	evbuffer_add_printf(b, "{\"error\":{\"code\":");
	json_string(b, code);
	evbuffer_add_printf(b, ",\"message\":");
	json_string(b, msg);
	evbuffer_add_printf(b, "}}\n");
	free(msg);
	http_header(req, "Cache-Control", "no-store");
	http_send(req, head, status, HTTP_JSON, b);
}

/* A JSON answer that no cache keeps (figures change). */
static void
http_json(struct evhttp_request *req, int head, struct evbuffer *b)
{
	http_header(req, "Cache-Control", "no-store");
	http_send(req, head, 200, HTTP_JSON, b);
}

/* ---- requests waiting for queries */

/* evhttp is closing a connection: forget or adopt its waiting request. */
static void
http_close_cb(struct evhttp_connection *evcon, void *arg)
{
	struct http_wait	*w;

	TAILQ_FOREACH(w, &http_waits, entry) {
		if (w->req == NULL || w->evcon != evcon)
			continue;
		if (evhttp_request_get_connection(w->req) == NULL)
			w->orphan = 1;		/* detached: ours */
		else
			w->req = NULL;		/* evhttp frees it now */
		w->evcon = NULL;
	}
}

/* A wait for req, or NULL when max_requests are waiting (not answered). */
static struct http_wait *
http_wait_add(struct evhttp_request *req, int head)
{
	struct http_wait	*w;
	unsigned long		 n;

	if (http_nwaits >= http_hc->max_requests) {
		if (log_limit_ok(&http_ll_busy, time(NULL), 60, &n))
			log_warnx("http: %d requests waiting; refusing more "
			    "(%lu more refused)", http_nwaits, n);
		http_header(req, "Retry-After", "1");
		return (NULL);
	}
	w = xcalloc(1, sizeof(*w));
	w->id = http_next_id++;
	w->req = req;
	w->head = head;
	w->evcon = evhttp_request_get_connection(req);
	if (w->evcon != NULL)
		evhttp_connection_set_closecb(w->evcon, http_close_cb, NULL);
	TAILQ_INSERT_TAIL(&http_waits, w, entry);
	http_nwaits++;
	return (w);
}

/* A wait for call's request, or NULL after answering 503. */
static struct http_wait *
http_wait_new(struct http_call *c)
{
	struct http_wait	*w;

	if ((w = http_wait_add(c->req, c->head)) == NULL)
		http_error(c->req, c->head, 503, proto_err_name(PERR_BUSY),
		    "%d requests are being answered; try again", http_nwaits);
	return (w);
}

void
http_set_router(http_router fn)
{
	http_router_fn = fn;
}

uint64_t
http_hold(struct evhttp_request *req, int head)
{
	struct http_wait	*w;

	return ((w = http_wait_add(req, head)) == NULL ? 0 : w->id);
}

static struct http_wait *
http_wait_find(uint64_t id)
{
	struct http_wait	*w;

	TAILQ_FOREACH(w, &http_waits, entry) {
		if (w->id == id)
			return (w);
	}
	return (NULL);
}

static void
http_batch_free(struct http_batch *b)
{
	if (b == NULL)
		return;
	free(b->s);
	free(b->when);
	free(b->value);
	free(b->have);
	free(b);
}

/* Remove w and free it; a request whose client left is freed too. */
static void
http_wait_free(struct http_wait *w)
{
	TAILQ_REMOVE(&http_waits, w, entry);
	http_nwaits--;
	if (w->req != NULL && w->orphan)
		evhttp_request_free(w->req);
	http_batch_free(w->batch);
	if (w->body != NULL)
		evbuffer_free(w->body);
	free(w);
}

/*
 * The query of wait id answered: end the wait and return the request to
 * answer, or NULL if there is none any more.
 */
static struct evhttp_request *
http_wait_end(void *arg, int *head, char *metric, size_t len)
{
	struct http_wait	*w;
	struct evhttp_request	*req;

	if ((w = http_wait_find((uintptr_t)arg)) == NULL)
		return (NULL);
	req = w->orphan ? NULL : w->req;
	*head = w->head;
	if (metric != NULL)
		snprintf(metric, len, "%s", w->metric);
	http_wait_free(w);
	return (req);
}

struct evhttp_request *
http_release(uint64_t id, int *head)
{
	return (http_wait_end((void *)(uintptr_t)id, head, NULL, 0));
}

void
http_reply(struct evhttp_request *req, int head, int status,
    struct evbuffer *body)
{
	http_header(req, "Cache-Control", "no-store");
	http_send(req, head, status, HTTP_JSON, body);
}

/* ---- parameters */

/*
 * Parse a query string (NULL or "" is none) into params; -1 with why.
 * Pure, for the fuzzer as much as for http_params.
 */
int
http_query_parse(const char *q, struct evkeyvalq *params, char *why,
    size_t len)
{
	struct evkeyval	*kv;
	int		 n = 0;

	TAILQ_INIT(params);
	if (q == NULL || *q == '\0')
		return (0);
	if (strstr(q, "%00") != NULL || evhttp_parse_query_str(q,
	    params) == -1) {
		evhttp_clear_headers(params);
		snprintf(why, len, "bad query string: want key=value pairs "
		    "joined by &");
		return (-1);
	}
	TAILQ_FOREACH(kv, params, next) {
		if (++n > HTTP_PARAMS_MAX) {
			evhttp_clear_headers(params);
			snprintf(why, len, "more than %d parameters",
			    HTTP_PARAMS_MAX);
			return (-1);
		}
	}
	return (0);
}

/* Parse the request's query; -1 after answering 400. */
static int
http_params(struct http_call *c)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(c->req);
	char			 why[128];

	if (http_query_parse(uri != NULL ? evhttp_uri_get_query(uri) : NULL,
	    &c->params, why, sizeof(why)) == -1) {
		http_error(c->req, c->head, 400, proto_err_name(PERR_ARGS),
		    "%s", why);
		return (-1);
	}
	return (0);
}

/* Client text, made safe and short for a message. */
static const char *
http_show(char *buf, size_t len, const char *s)
{
	proto_quote(buf, len, s, HTTP_SHOW_MAX);
	return (buf);
}

/*
 * Every parameter must be one of names (NULL-terminated), each once unless
 * listed in multi.  -1 with why.
 */
int
http_params_known(const struct evkeyvalq *params, const char *const *names,
    const char *multi, char *why, size_t len)
{
	struct evkeyval	*kv, *kv2;
	char		 show[4 * HTTP_SHOW_MAX + 4];
	size_t		 i;

	TAILQ_FOREACH(kv, params, next) {
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(kv->key, names[i]) == 0)
				break;
		if (names[i] == NULL) {
			snprintf(why, len, "unknown parameter \"%s\"",
			    http_show(show, sizeof(show), kv->key));
			return (-1);
		}
		if (multi != NULL && strcmp(kv->key, multi) == 0)
			continue;
		for (kv2 = TAILQ_NEXT(kv, next); kv2 != NULL;
		    kv2 = TAILQ_NEXT(kv2, next)) {
			if (strcmp(kv->key, kv2->key) == 0) {
				snprintf(why, len, "%s given twice",
				    http_show(show, sizeof(show), kv->key));
				return (-1);
			}
		}
	}
	return (0);
}

/* http_params_known, answering 400 when not. */
static int
http_params_check(struct http_call *c, const char *const *names,
    const char *multi)
{
	char	 why[4 * HTTP_SHOW_MAX + 64];

	if (http_params_known(&c->params, names, multi, why,
	    sizeof(why)) == 0)
		return (0);
	http_error(c->req, c->head, 400, proto_err_name(PERR_ARGS), "%s",
	    why);
	return (-1);
}

/* A parameter's value (the first if repeated), or def. */
static const char *
http_find(const struct evkeyvalq *params, const char *name, const char *def)
{
	const char	*v = evhttp_find_header(params, name);

	return (v != NULL ? v : def);
}

/* A parameter's value (the first if repeated), or def. */
static const char *
http_param(struct http_call *c, const char *name, const char *def)
{
	const char	*v = evhttp_find_header(&c->params, name);

	return (v != NULL ? v : def);
}

/* ---- /graph */

/* /graph's parameters, KEY=VALUE words of a GRAPH spec; -1 with err. */
int
http_graph_args(const struct evkeyvalq *params, time_t now,
    struct graph_spec *spec, struct proto_error *err)
{
	const char	*keys[HTTP_PARAMS_MAX];
	const char	*values[HTTP_PARAMS_MAX];
	struct evkeyval	*kv;
	int		 n = 0;

	TAILQ_FOREACH(kv, params, next) {
		if (n == HTTP_PARAMS_MAX)	/* http_query_parse refused more */
			break;
		keys[n] = kv->key;
		values[n++] = kv->value;
	}
	return (graph_spec_parse_pairs(keys, values, n, now, spec, err));
}

/* A render came back: the image with its validators, 304, or the error. */
static void
http_graph_done(const struct query_result *res, void *arg)
{
	struct evhttp_request	*req;
	struct evbuffer		*b;
	char			 etag[24], cc[64];
	int			 head;

	if ((req = http_wait_end(arg, &head, NULL, 0)) == NULL)
		return;
	if (res->error) {
		http_error(req, head, http_status(res->code),
		    proto_err_name(res->code), "%s", res->msg);
		return;
	}
	http_etag(etag, sizeof(etag), res->image, res->image_len);
	http_header(req, "ETag", etag);
	if (http_cf->graph_cache >= 1000)
		snprintf(cc, sizeof(cc), "max-age=%lu",
		    http_cf->graph_cache / 1000);
	else
		snprintf(cc, sizeof(cc), "no-cache");
	http_header(req, "Cache-Control", cc);
	if (http_etag_match(req, etag)) {
		http_send(req, head, 304, NULL, NULL);
		return;
	}
	b = evbuffer_new();
	evbuffer_add(b, res->image, res->image_len);
	http_send(req, head, 200, res->mime, b);
}

/* The parameters are GRAPH's keys and values, parsed by graph.c. */
static void
http_graph(struct http_call *c)
{
	struct proto_error	 err;
	struct graph_spec	 spec;
	struct http_wait	*w;

	if (http_graph_args(&c->params, time(NULL), &spec, &err) == -1) {
		http_error(c->req, c->head, http_status(err.code),
		    proto_err_name(err.code), "%s", err.msg);
		return;
	}
	if ((w = http_wait_new(c)) != NULL)
		command_graph(&spec, http_graph_done, (void *)(uintptr_t)w->id);
}

/* ---- /api/v1/series */

/*
 * The rows as CSV: "time,utc,METRIC", a row's end in epoch seconds and
 * as UTC, its value exact (empty if unknown).
 */
static void
http_series_csv(struct evhttp_request *req, int head, const char *metric,
    const struct query_result *res)
{
	struct evbuffer	*b = evbuffer_new();
	struct tm	 tm;
	time_t		 t;
	char		 num[64], utc[32];
	size_t		 i;

	evbuffer_add_printf(b, "time,utc,%s\r\n", metric);
	for (i = 0; i < res->nrows; i++) {
		t = res->start + (time_t)((i + 1) * res->step);
		gmtime_r(&t, &tm);
		strftime(utc, sizeof(utc), "%Y-%m-%dT%H:%M:%SZ", &tm);
		evbuffer_add_printf(b, "%lld,%s,%s\r\n", (long long)t, utc,
		    isfinite(res->rows[i]) ? json_number_text(num, sizeof(num),
		    res->rows[i]) : "");
	}
	http_header(req, "Cache-Control", "no-store");
	http_send(req, head, 200, "text/csv; charset=utf-8", b);
}

/* FETCH came back: its rows as [time, value] pairs, null if unknown. */
static void
http_series_done(const struct query_result *res, void *arg)
{
	struct evhttp_request	*req;
	struct evbuffer		*b;
	struct http_wait	*w;
	char			 metric[NAMES_SERIES_MAX + 1];
	char			 num[64], point[128];
	size_t			 i;
	int			 head, n, csv;

	csv = (w = http_wait_find((uintptr_t)arg)) != NULL && w->csv;
	if ((req = http_wait_end(arg, &head, metric, sizeof(metric))) == NULL)
		return;
	if (res->error) {
		http_error(req, head, http_status(res->code),
		    proto_err_name(res->code), "%s", res->msg);
		return;
	}
	if (res->nrows > HTTP_POINTS_MAX) {
		http_error(req, head, 400, proto_err_name(PERR_ARGS), "%zu "
		    "points (at most %d): ask for a coarser resolution or a "
		    "shorter span", res->nrows, HTTP_POINTS_MAX);
		return;
	}
	if (csv) {
		http_series_csv(req, head, metric, res);
		return;
	}
	b = evbuffer_new();
	evbuffer_add_printf(b, "{\"metric\":");
	json_string(b, metric);
	evbuffer_add_printf(b, ",\"cf\":\"%s\",\"step\":%lu,\"start\":%lld,"
	    "\"end\":%lld,\"points\":[", res->cf, res->step,
	    (long long)res->start, (long long)(res->start +
	    (time_t)(res->nrows * res->step)));
	for (i = 0; i < res->nrows; i++) {
		n = snprintf(point, sizeof(point), "%s[%lld,%s]",
		    i > 0 ? "," : "", (long long)(res->start +
		    (time_t)((i + 1) * res->step)), json_number_text(num,
		    sizeof(num), res->rows[i]));
		evbuffer_add(b, point, (size_t)n);
	}
	evbuffer_add_printf(b, "]}\n");
	http_json(req, head, b);
}

/* Before the rows are read: is the request still there to answer? */
static int
http_series_waiting(void *arg)
{
	struct http_wait	*w;
	int			 head;

	if ((w = http_wait_find((uintptr_t)arg)) == NULL)
		return (0);
	if (w->req != NULL && !w->orphan)
		return (1);
	(void)http_wait_end(arg, &head, NULL, 0);	/* its client left */
	return (0);
}

/* The span has more rows than an answer may hold: none were read. */
static void
http_series_too_many(void *arg, long long rows)
{
	struct evhttp_request	*req;
	int			 head;

	if ((req = http_wait_end(arg, &head, NULL, 0)) == NULL)
		return;
	http_error(req, head, 400, proto_err_name(PERR_ARGS), "about %lld "
	    "points (at most %d): ask for a coarser resolution or a shorter "
	    "span", rows, HTTP_POINTS_MAX);
}

/*
 * /api/v1/series's parameters as FETCH arguments (metric, start, end, cf,
 * resolution); -1 with err.  f->metric points into params.
 */
int
http_series_args(const struct evkeyvalq *params, time_t now,
    struct proto_fetch *f, struct proto_error *err)
{
	const char	*metric;

	if ((metric = evhttp_find_header(params, "metric")) == NULL)
		return (proto_error_set(err, PERR_ARGS, "metric= is required"));
	return (proto_fetch_parse(metric, http_find(params, "start", "-1d"),
	    http_find(params, "end", "now"), http_find(params, "cf",
	    "AVERAGE"), evhttp_find_header(params, "resolution"), now, f,
	    err));
}

/* metric, start, end, cf, resolution: FETCH's arguments, by name. */
static void
http_series(struct http_call *c)
{
	static const char *const names[] = { "metric", "start", "end", "cf",
	    "resolution", "format", NULL };
	struct command_fetch		 fetch = { .max_rows = HTTP_POINTS_MAX };
	struct command_fetch_reply	 reply = { .done = http_series_done,
	    .waiting = http_series_waiting, .too_many = http_series_too_many };
	struct proto_error		 err;
	struct http_wait		*w;
	char			 show[4 * HTTP_SHOW_MAX + 4];
	const char		*metric, *format;

	if (http_params_check(c, names, NULL) == -1)
		return;
	format = http_param(c, "format", "json");
	if (strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
		http_error(c->req, c->head, 400, proto_err_name(PERR_ARGS),
		    "format is json or csv");
		return;
	}
	if ((metric = http_param(c, "metric", NULL)) == NULL) {
		http_error(c->req, c->head, 400, proto_err_name(PERR_ARGS),
		    "metric= is required");
		return;
	}
	if (!names_series_valid(metric)) {
		http_error(c->req, c->head, 400, proto_err_name(PERR_NAME),
		    "bad metric name \"%s\"", http_show(show, sizeof(show),
		    metric));
		return;
	}
	if (http_series_args(&c->params, time(NULL), &fetch.f, &err) == -1) {
		http_error(c->req, c->head, http_status(err.code),
		    proto_err_name(err.code), "%s", err.msg);
		return;
	}
	if ((w = http_wait_new(c)) == NULL)
		return;
	snprintf(w->metric, sizeof(w->metric), "%s", metric);
	w->csv = strcmp(format, "csv") == 0;
	reply.arg = (void *)(uintptr_t)w->id;
	(void)command_fetch(&fetch, &reply, &err);	/* the name was checked */
}

/* ---- /api/v1/report */

/* The report as JSON: years, and per indicator its figures and changes. */
static void
http_report_json(struct evbuffer *b, const struct report *r)
{
	size_t	 i;
	int	 y;
	double	 a, v;

	evbuffer_add_printf(b, "{\"from\":%d,\"to\":%d,\"years\":[",
	    r->from, r->to);
	for (y = r->from; y <= r->to; y++)
		evbuffer_add_printf(b, "%s\"%d\"", y > r->from ? "," : "", y);
	evbuffer_add_printf(b, "],\"indicators\":[");
	for (i = 0; i < r->nind; i++) {
		evbuffer_add_printf(b, "%s{\"series\":", i ? "," : "");
		json_string(b, r->ind[i].series);
		evbuffer_add_printf(b, ",\"label\":");
		json_string(b, r->ind[i].label);
		evbuffer_add_printf(b, ",\"values\":[");
		for (y = r->from; y <= r->to; y++) {
			evbuffer_add_printf(b, "%s", y > r->from ? "," : "");
			http_report_num(b, report_value(r, i, y));
		}
		evbuffer_add_printf(b, "],\"change\":[");
		for (y = r->from; y <= r->to; y++) {
			a = report_value(r, i, y - 1);
			v = report_value(r, i, y);
			evbuffer_add_printf(b, "%s", y > r->from ? "," : "");
			http_report_num(b, v - a);
		}
		evbuffer_add_printf(b, "],\"change_pct\":[");
		for (y = r->from; y <= r->to; y++) {
			a = report_value(r, i, y - 1);
			v = report_value(r, i, y);
			evbuffer_add_printf(b, "%s", y > r->from ? "," : "");
			http_report_num(b, a != 0 ? nearbyint(1000 * (v - a) /
			    fabs(a)) / 10 : NAN);
		}
		evbuffer_add_printf(b, "]}");
	}
	evbuffer_add_printf(b, "]}\n");
}

static void
http_report_done(struct report *r, struct evbuffer *data, const char *mime,
    const char *err, void *arg)
{
	struct evhttp_request	*req;
	struct http_wait	*w;
	struct evbuffer		*b;
	int			 head, json = 0;
	enum report_format	 f = REPORT_TEXT;

	if ((w = http_wait_find((uintptr_t)arg)) != NULL) {
		json = w->json;
		f = w->format;
	}
	if ((req = http_wait_end(arg, &head, NULL, 0)) == NULL) {
		report_free(r);
		return;
	}
	if (err != NULL) {
		if (r->nind == 0)
			http_error(req, head, 404,
			    proto_err_name(PERR_NOTFOUND), "%s", err);
		else
			http_error(req, head, 500, proto_err_name(PERR_STORE),
			    "%s", err);
		report_free(r);
		return;
	}
	b = evbuffer_new();
	if (json)
		http_report_json(b, r);
	else
		evbuffer_add_buffer(b, data);
	report_free(r);
	if (json) {
		http_json(req, head, b);
		return;
	}
	if (f == REPORT_XLSX)
		http_header(req, "Content-Disposition",
		    "attachment; filename=\"bao-cao.xlsx\"");
	else if (f == REPORT_CSV)
		http_header(req, "Content-Disposition",
		    "attachment; filename=\"bao-cao.csv\"");
	http_header(req, "Cache-Control", "no-store");
	http_send(req, head, 200, mime, b);
}

/* from, to (years), format (json, text, csv, xlsx): the annual report. */
static void
http_report(struct http_call *c)
{
	static const char *const names[] = { "from", "to", "format", NULL };
	struct http_wait	*w;
	enum report_format	 f = REPORT_TEXT;
	const char		*format;
	char			 err[160];
	int			 from, to, json;

	if (http_params_check(c, names, NULL) == -1)
		return;
	format = http_param(c, "format", "json");
	json = strcmp(format, "json") == 0;
	if (!json && report_format_parse(format, &f) == -1) {
		http_error(c->req, c->head, 400, proto_err_name(PERR_ARGS),
		    "format is json, text, csv or xlsx");
		return;
	}
	if (report_years(http_param(c, "from", NULL), http_param(c, "to",
	    NULL), &from, &to, err, sizeof(err)) == -1) {
		http_error(c->req, c->head, 400, proto_err_name(PERR_ARGS),
		    "%s", err);
		return;
	}
	if ((w = http_wait_new(c)) == NULL)
		return;
	w->json = json;
	w->format = f;
	report_run(from, to, json ? REPORT_RAW : f, http_report_done,
	    (void *)(uintptr_t)w->id);
}

/* ---- answers from the registry */

struct http_list {
	struct series	**s;
	size_t		  n;
};

/* Every series, sorted by name (series are never freed while we run). */
static void
http_list(struct http_list *l)
{
	l->n = command_list(NULL, &l->s);
}

/* Endpoints without parameters refuse any (400), so typos show. */
static int
http_no_params(struct http_call *c)
{
	static const char *const none[] = { NULL };

	return (http_params_check(c, none, NULL));
}

/* The series list as JSON; a series without a last value gets nulls. */
static struct evbuffer *
http_metrics_json(const struct http_batch *bt)
{
	struct evbuffer	*b = evbuffer_new();
	const char	*label;
	size_t		 i;
	int		 set;

	evbuffer_add_printf(b, "{\"metrics\":[");
	for (i = 0; i < bt->n; i++) {
		evbuffer_add_printf(b, "%s{\"name\":", i > 0 ? "," : "");
		json_string(b, series_name(bt->s[i]));
		evbuffer_add_printf(b, ",\"kind\":\"%s\",\"unit\":",
		    series_kind_name(series_kind(bt->s[i])));
		json_string(b, series_unit(bt->s[i]));
		if (bt->have[i]) {
			evbuffer_add_printf(b, ",\"time\":%lld,\"value\":",
			    (long long)bt->when[i]);
			json_number(b, bt->value[i]);
		} else
			evbuffer_add_printf(b, ",\"time\":null,\"value\":null");
		if ((label = labels_get(series_name(bt->s[i]), &set)) != NULL) {
			evbuffer_add_printf(b, ",\"label\":");
			json_string(b, label);
			evbuffer_add_printf(b, ",\"label_set\":%s", set ?
			    "true" : "false");
		}
		evbuffer_add(b, "}", 1);
	}
	evbuffer_add_printf(b, "]}\n");
	return (b);
}

/* A LAST query of a batch answered; the last one sends the list. */
static void
http_metrics_last_cb(const struct query_result *res, void *arg)
{
	struct http_last	*l = arg;
	struct http_wait	*w;
	struct http_batch	*bt;
	struct evhttp_request	*req;
	int			 head;

	if ((w = http_wait_find(l->id)) == NULL) {
		free(l);
		return;
	}
	bt = w->batch;
	if (!res->error) {
		bt->when[l->i] = res->last_time;
		bt->value[l->i] = res->last_value;
		bt->have[l->i] = 1;
	}
	free(l);
	if (--bt->pending > 0)
		return;
	w->batch = NULL;		/* the wait's end would free it */
	if ((req = http_wait_end((void *)(uintptr_t)w->id, &head, NULL,
	    0)) != NULL)
		http_batch_send(req, head, bt);
	http_batch_free(bt);
}

/*
 * Every series with kind, unit and last value: from the registry, or,
 * for series it has none of yet, from their files (LAST queries).  When
 * max_requests are busy the registry's answer is given as it is.  For
 * /api/v1/metrics (JSON) and /metrics (Prometheus, prom set).
 */
static void
http_batch_start(struct http_call *c, int prom)
{
	struct http_list	 l;
	struct http_batch	*bt;
	struct http_wait	*w = NULL;
	struct http_last	*last;
	size_t			 i, missing = 0;

	if (http_no_params(c) == -1)
		return;
	http_list(&l);
	if (prom && l.n > 0)
		qsort(l.s, l.n, sizeof(*l.s), http_prom_cmp);
	bt = xcalloc(1, sizeof(*bt));
	bt->prom = prom;
	bt->s = l.s;
	bt->n = l.n;
	bt->when = xcalloc(l.n + 1, sizeof(*bt->when));
	bt->value = xcalloc(l.n + 1, sizeof(*bt->value));
	bt->have = xcalloc(l.n + 1, sizeof(*bt->have));
	for (i = 0; i < l.n; i++) {
		bt->have[i] = series_last(l.s[i], &bt->when[i],
		    &bt->value[i]) == 0;
		missing += !bt->have[i];
	}
	if (missing == 0 || http_nwaits >= http_hc->max_requests ||
	    (w = http_wait_new(c)) == NULL) {
		http_batch_send(c->req, c->head, bt);
		http_batch_free(bt);
		return;
	}
	w->batch = bt;
	bt->pending = missing;
	for (i = 0; i < l.n; i++) {
		if (bt->have[i])
			continue;
		last = xmalloc(sizeof(*last));
		last->id = w->id;
		last->i = i;
		query_last(series_name(l.s[i]), http_metrics_last_cb, last);
	}
}

static void
http_metrics(struct http_call *c)
{
	http_batch_start(c, 0);
}

/*
 * Plugin instances: reads and failures, and the status an instance set
 * (a reading refused as unsafe), for the dashboard.
 */
static void
http_plugins(struct http_call *c)
{
	struct plugin_info	*pi;
	struct evbuffer		*b;
	size_t			 i, n;

	if (http_no_params(c) == -1)
		return;
	n = plugins_info(&pi);
	b = evbuffer_new();
	evbuffer_add_printf(b, "{\"plugins\":[");
	for (i = 0; i < n; i++) {
		evbuffer_add_printf(b, "%s{\"name\":", i > 0 ? "," : "");
		json_string(b, pi[i].name);
		evbuffer_add_printf(b, ",\"runs\":%llu,\"failed\":%llu,"
		    "\"status\":", pi[i].runs, pi[i].failed);
		if (pi[i].status != NULL)
			json_string(b, pi[i].status);
		else
			evbuffer_add(b, "null", 4);
		evbuffer_add(b, "}", 1);
	}
	evbuffer_add_printf(b, "]}\n");
	plugins_info_free(pi, n);
	http_json(c->req, c->head, b);
}

/* The alert engine writes its own document. */
static void
http_alerts(struct http_call *c)
{
	struct evbuffer	*b;

	if (http_no_params(c) == -1)
		return;
	b = evbuffer_new();
	alert_json(b);
	http_json(c->req, c->head, b);
}

/* A HELP text: backslash and newline escaped, other controls blanked. */
static void
http_prom_text(struct evbuffer *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			evbuffer_add(b, "\\\\", 2);
		else if (*s == '\n')
			evbuffer_add(b, "\\n", 2);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			evbuffer_add(b, " ", 1);
		else
			evbuffer_add(b, s, 1);
	}
}

/* Series by Prometheus name, then instance: a family's lines together. */
static int
http_prom_cmp(const void *a, const void *b)
{
	const char	*sa = series_name(*(struct series *const *)a);
	const char	*sb = series_name(*(struct series *const *)b);
	char		 na[NAMES_SERIES_MAX + 8], nb[NAMES_SERIES_MAX + 8];
	int		 rc;

	names_prom(na, sizeof(na), NULL, 0, sa);
	names_prom(nb, sizeof(nb), NULL, 0, sb);
	return ((rc = strcmp(na, nb)) != 0 ? rc : strcmp(sa, sb));
}

/*
 * Last values in the text exposition format, named as the query API names
 * them (names_prom): one family per plugin and metric, the instance a
 * label; the batch is sorted by family (http_batch_start).  Unknown values
 * are left out.
 */
static struct evbuffer *
http_prom_text_all(const struct http_batch *bt)
{
	struct evbuffer	*b = evbuffer_new();
	char		 name[NAMES_SERIES_MAX + 8], prev[sizeof(name)];
	char		 sample[2 * NAMES_SERIES_MAX + 32];
	char		 num[NUMFMT_LEN];
	const char	*sn;
	double		 v;
	size_t		 i;

	*prev = '\0';
	for (i = 0; i < bt->n; i++) {
		if (!bt->have[i])
			continue;
		v = bt->value[i];
		sn = series_name(bt->s[i]);
		names_prom(name, sizeof(name), sample, sizeof(sample), sn);
		if (strcmp(name, prev) != 0) {
			evbuffer_add_printf(b, "# HELP %s %.*s.<instance>%s",
			    name, (int)strcspn(sn, "."), sn,
			    strchr(strchr(sn, '.') + 1, '.'));
			if (*series_unit(bt->s[i]) != '\0') {
				evbuffer_add(b, " (", 2);
				http_prom_text(b, series_unit(bt->s[i]));
				evbuffer_add(b, ")", 1);
			}
			evbuffer_add_printf(b, "\n# TYPE %s %s\n", name,
			    series_kind(bt->s[i]) == TALLY_COUNTER ? "counter" :
			    "gauge");
			snprintf(prev, sizeof(prev), "%s", name);
		}
		evbuffer_add_printf(b, "%s ", sample);
		if (isnan(v))
			evbuffer_add_printf(b, "NaN\n");
		else if (isinf(v))
			evbuffer_add_printf(b, "%sInf\n", v > 0 ? "+" : "-");
		else {
			numfmt_double(num, sizeof(num), v);
			evbuffer_add_printf(b, "%s\n", num);
		}
	}
	forward_metrics(b);
	return (b);
}

/* Answer a batch as its endpoint speaks. */
static void
http_batch_send(struct evhttp_request *req, int head,
    const struct http_batch *bt)
{
	if (!bt->prom) {
		http_json(req, head, http_metrics_json(bt));
		return;
	}
	http_header(req, "Cache-Control", "no-store");
	http_send(req, head, 200, "text/plain; version=0.0.4; charset=utf-8",
	    http_prom_text_all(bt));
}

/*
 * Last values for Prometheus: from the registry, or from the files for
 * series it has none of yet, as /api/v1/metrics does (after a restart a
 * yearly figure is otherwise missing until next year).
 */
static void
http_prometheus(struct http_call *c)
{
	http_batch_start(c, 1);
}

/* "name":N (a whole number) or null; *updated gets the latest time. */
static void
http_counter_field(struct evbuffer *b, const char *key, const char *metric,
    time_t *updated)
{
	struct series	*s;
	time_t		 when;
	double		 v;

	evbuffer_add_printf(b, "\"%s\":", key);
	if (metric == NULL || (s = series_find(metric)) == NULL ||
	    series_last(s, &when, &v) == -1 || !isfinite(v)) {
		evbuffer_add(b, "null", 4);
		return;
	}
	evbuffer_add_printf(b, "%.0f", v);
	if (when > *updated)
		*updated = when;
}

/* The visitor counter; any site may read it (CORS). */
static void
http_counter(struct http_call *c)
{
	struct evbuffer	*b;
	time_t		 updated = 0;

	if (http_no_params(c) == -1)
		return;
	http_header(c->req, "Access-Control-Allow-Origin", "*");
	if (http_hc->counter_total == NULL) {
		http_error(c->req, c->head, 404, proto_err_name(PERR_NOTFOUND),
		    "no visitor counter: set counter_total in [http]");
		return;
	}
	b = evbuffer_new();
	evbuffer_add(b, "{", 1);
	http_counter_field(b, "visits_total", http_hc->counter_total, &updated);
	evbuffer_add(b, ",", 1);
	http_counter_field(b, "online", http_hc->counter_online, &updated);
	if (updated > 0)
		evbuffer_add_printf(b, ",\"updated\":%lld}\n",
		    (long long)updated);
	else
		evbuffer_add_printf(b, ",\"updated\":null}\n");
	http_json(c->req, c->head, b);
}

/* ---- /api/v1/put */

void
http_set_journal(struct journal *j)
{
	http_journal = j;
}

/* "Authorization: Bearer TOKEN", compared in constant time. */
static int
http_authorized(struct evhttp_request *req)
{
	const char	*h, *t;
	size_t		 i, n, m;
	unsigned char	 diff;

	h = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Authorization");
	if (h == NULL || strncmp(h, "Bearer ", 7) != 0)
		return (0);
	t = h + 7;
	n = strlen(http_hc->token);
	m = strlen(t);
	diff = n != m;
	for (i = 0; i < n; i++)
		diff |= http_hc->token[i] ^ (i < m ? t[i] : 0);
	return (diff == 0);
}

/* The journal has a put's values on disk (or failed to): answer. */
static void
http_put_durable(void *arg, int error, const char *why)
{
	struct http_wait	*w;
	struct evhttp_request	*req;
	struct evbuffer		*b;
	int			 head;

	if ((w = http_wait_find((uintptr_t)arg)) == NULL)
		return;
	b = w->body;
	w->body = NULL;
	if ((req = http_wait_end(arg, &head, NULL, 0)) == NULL) {
		evbuffer_free(b);
		return;
	}
	if (error) {
		evbuffer_free(b);
		http_error(req, head, 503, proto_err_name(PERR_STORE),
		    "values not made durable: %s", why);
		return;
	}
	http_json(req, head, b);
}

/* A refused value, added to the "refused" array. */
static void
http_put_refused(void *arg, const char *value, int bad_value, const char *why)
{
	struct evbuffer	*refused = arg;

	(void)bad_value;
	evbuffer_add_printf(refused, "%s{\"value\":",
	    evbuffer_get_length(refused) > 0 ? "," : "");
	json_string(refused, value);
	evbuffer_add_printf(refused, ",\"reason\":");
	json_string(refused, why);
	evbuffer_add(refused, "}", 1);
}

/* The request's value words: value= parameters, then the body's words. */
static int
http_put_words(struct http_call *c, char ***words, size_t *n, char **body)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(c->req);
	struct evkeyval	*kv;
	size_t		 len = evbuffer_get_length(in);
	char		*w, *save;

	*words = NULL;
	*n = 0;
	*body = xmalloc(len + 1);
	evbuffer_copyout(in, *body, len);
	(*body)[len] = '\0';
	if (memchr(*body, '\0', len) != NULL)
		return (-1);
	TAILQ_FOREACH(kv, &c->params, next) {
		if (strcmp(kv->key, "value") != 0 || *n == HTTP_PUT_MAX + 1)
			continue;
		*words = xreallocarray(*words, *n + 1, sizeof(**words));
		(*words)[(*n)++] = kv->value;
	}
	for (w = strtok_r(*body, " \t\r\n", &save); w != NULL &&
	    *n <= HTTP_PUT_MAX; w = strtok_r(NULL, " \t\r\n", &save)) {
		*words = xreallocarray(*words, *n + 1, sizeof(**words));
		(*words)[(*n)++] = w;
	}
	return (0);
}

/* POST or PUT /api/v1/put?metric=NAME[&value=TIME:VALUE...], body words. */
static void
http_put(struct http_call *c)
{
	static const char *const names[] = { "metric", "value", NULL };
	struct command_put	 put;
	struct command_put_reply reply;
	struct evbuffer		*b, *refused;
	const char		*metric;
	char			**words, *body, why[256];
	char			 show[4 * HTTP_SHOW_MAX + 4];
	size_t			 n;
	int			 nok;
	struct http_wait	*w;
	uint64_t		 maxlsn = 0;

	if (!http_authorized(c->req)) {
		http_header(c->req, "WWW-Authenticate",
		    "Bearer realm=\"tallyd\"");
		http_error(c->req, c->head, 401, proto_err_name(PERR_AUTH),
		    "send Authorization: Bearer TOKEN");
		return;
	}
	if (http_params_check(c, names, "value") == -1)
		return;
	if ((metric = http_param(c, "metric", NULL)) == NULL ||
	    !names_series_valid(metric)) {
		http_error(c->req, c->head, 400, proto_err_name(PERR_NAME),
		    "bad metric name \"%s\"", http_show(show, sizeof(show),
		    metric != NULL ? metric : ""));
		return;
	}
	if (http_put_words(c, &words, &n, &body) == -1 || n == 0 ||
	    n > HTTP_PUT_MAX) {
		http_error(c->req, c->head, 400, proto_err_name(PERR_ARGS),
		    "send 1 to %d TIME:VALUE words as value= or in the body",
		    HTTP_PUT_MAX);
	} else {
		put.metric = metric;
		put.values = (const char *const *)words;
		put.nvalues = n;
		put.now = time(NULL);
		put.retention = http_cf->default_retention;
		refused = evbuffer_new();
		reply.refused = http_put_refused;
		reply.arg = refused;
		if ((nok = command_put(&put, &reply, &maxlsn, why,
		    sizeof(why))) < 0) {
			evbuffer_free(refused);
			/* -2: max_series */
			http_error(c->req, c->head, nok == -2 ? 403 : 400,
			    proto_err_name(nok == -2 ? PERR_LIMIT : PERR_NAME),
			    "%s", why);
			goto out;
		}
		b = evbuffer_new();
		evbuffer_add_printf(b, "{\"metric\":");
		json_string(b, metric);
		evbuffer_add_printf(b, ",\"accepted\":%d,\"refused\":[", nok);
		evbuffer_add_buffer(b, refused);
		evbuffer_add_printf(b, "]}\n");
		evbuffer_free(refused);
		/* Accepted means durable: answer once the journal says so. */
		if (maxlsn == 0 || http_journal == NULL)
			http_json(c->req, c->head, b);
		else if ((w = http_wait_new(c)) == NULL)
			evbuffer_free(b);
		else {
			w->body = b;
			journal_notify(http_journal, maxlsn, http_put_durable,
			    (void *)(uintptr_t)w->id);
		}
	}
out:
	free(words);
	free(body);
}

/* ---- dashboard files and routing */

/* A dashboard file, or 404 if it could not be read. */
static void
http_file(struct http_call *c, int i)
{
	const struct http_file	*f = &http_files[i];
	struct evbuffer		*b;

	if (f->data == NULL) {
		http_error(c->req, c->head, 404, proto_err_name(PERR_NOTFOUND),
		    "%s is not installed (see dashboard_dir in [http])",
		    f->name);
		return;
	}
	http_header(c->req, "ETag", f->etag);
	http_header(c->req, "Cache-Control", "no-cache");
	if (i == 0 || i == 4) {		/* the pages */
		http_header(c->req, "Content-Security-Policy", "default-src "
		    "'none'; script-src 'self'; style-src 'self'; img-src "
		    "'self' data:; connect-src 'self'; base-uri 'none'; "
		    "form-action 'none'; frame-ancestors 'none'");
		http_header(c->req, "Referrer-Policy", "no-referrer");
	}
	if (http_etag_match(c->req, f->etag)) {
		http_send(c->req, c->head, 304, NULL, NULL);
		return;
	}
	b = evbuffer_new();
	evbuffer_add(b, f->data, f->len);
	http_send(c->req, c->head, 200, f->mime, b);
}

/* Is the method allowed on rt?  If not, answers 405 (with Allow). */
static int
http_method_ok(struct http_call *c, const struct http_route *rt)
{
	enum evhttp_cmd_type	 m = evhttp_request_get_command(c->req);
	int			 write = m == EVHTTP_REQ_POST ||
				    m == EVHTTP_REQ_PUT;

	c->head = m == EVHTTP_REQ_HEAD;
	if (rt->write && write && http_hc->token != NULL)
		return (1);
	if (!rt->write && (m == EVHTTP_REQ_GET || c->head))
		return (1);
	if (rt->write && http_hc->token == NULL) {
		http_header(c->req, "Allow", "");
		http_error(c->req, c->head, 405, "method-not-allowed",
		    "writes are off: set token in [http]");
	} else {
		http_header(c->req, "Allow", rt->write ? "POST, PUT" :
		    "GET, HEAD");
		http_error(c->req, c->head, 405, "method-not-allowed",
		    "use %s", rt->write ? "POST or PUT" : "GET or HEAD");
	}
	return (0);
}

/* Every request: find the route by exact path, check method, dispatch. */
static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	const struct evhttp_uri	*uri = evhttp_request_get_evhttp_uri(req);
	const struct http_route	*rt;
	const char		*path = uri != NULL ? evhttp_uri_get_path(uri) :
				    NULL;
	struct http_call	 c;

	httpconn_request(req);
	memset(&c, 0, sizeof(c));
	c.req = req;
	TAILQ_INIT(&c.params);
	if (path != NULL && http_router_fn != NULL &&
	    http_router_fn(req, path))
		return;		/* the Prometheus API (prom.c) answered */
	for (rt = http_routes; path != NULL &&
	    rt < http_routes + HTTP_NITEMS(http_routes); rt++)
		if (strcmp(path, rt->path) == 0)
			break;
	if (path == NULL || rt == http_routes + HTTP_NITEMS(http_routes)) {
		c.head = evhttp_request_get_command(req) == EVHTTP_REQ_HEAD;
		http_error(req, c.head, 404, proto_err_name(PERR_NOTFOUND),
		    "no such page");
		return;
	}
	if (!http_method_ok(&c, rt))
		return;
	if (rt->fn == NULL) {
		http_file(&c, rt->file);
		return;
	}
	if (http_params(&c) == 0)
		rt->fn(&c);
	evhttp_clear_headers(&c.params);
}

/* ---- start, reload, stop */

/* Read dashboard file f from dir; -1 with why. */
static int
http_file_read(struct http_file *f, const char *dir, char *why, size_t len)
{
	struct stat	 sb;
	char		*path;
	unsigned char	*data;
	ssize_t		 r;
	size_t		 got = 0;
	int		 fd;

	xasprintf(&path, "%s/%s", dir, f->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		snprintf(why, len, "%s", strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > HTTP_FILE_MAX) {
		snprintf(why, len, "not a file of at most %d bytes",
		    HTTP_FILE_MAX);
		close(fd);
		return (-1);
	}
	data = xmalloc((size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size && (r = read(fd, data + got,
	    (size_t)sb.st_size - got)) > 0)
		got += (size_t)r;
	close(fd);
	free(f->data);
	f->data = data;
	f->len = got;
	http_etag(f->etag, sizeof(f->etag), data, got);
	return (0);
}

/*
 * (Re)read the dashboard files.  One that cannot be read keeps its old
 * copy, if any; each failure is reported to stderr or the log.
 */
static void
http_files_load(const char *dir, int to_stderr)
{
	char	 why[128];
	size_t	 i;

	for (i = 0; i < HTTP_NITEMS(http_files); i++) {
		if (http_file_read(&http_files[i], dir, why, sizeof(why)) == 0)
			continue;
		if (to_stderr)
			fprintf(stderr, "tallyd: [http] dashboard_dir %s: %s: "
			    "%s\n", dir, http_files[i].name, why);
		else
			log_warnx("http: dashboard_dir %s: %s: %s", dir,
			    http_files[i].name, why);
	}
}

void
http_check(const struct config *conf, struct config_errors *errs)
{
	const struct http_conf	*hc = config_single(conf, &http_section);
	char			 why[128], path[PATH_MAX];
	size_t			 i;

	if (hc->listen == NULL)
		return;
	if (util_hostport_valid(hc->listen, why, sizeof(why)) == 0 &&
	    util_hostport_resolve(hc->listen, why, sizeof(why)) == -1)
		config_error(errs, conf->path, 0, "[http] listen = %s: %s",
		    hc->listen, why);
	for (i = 0; i < HTTP_NITEMS(http_files); i++) {
		snprintf(path, sizeof(path), "%s/%s", hc->dashboard_dir,
		    http_files[i].name);
		if (access(path, R_OK) == 0)
			continue;
		config_error(errs, conf->path, 0, "[http] dashboard_dir %s: "
		    "%s: %s", hc->dashboard_dir, http_files[i].name,
		    strerror(errno));
		break;		/* one line says the directory is wrong */
	}
}

int
http_open(const struct config *conf)
{
	const struct http_conf	*hc = config_single(conf, &http_section);
	int			 one = 1;

	if (hc->listen == NULL)
		return (0);
	if ((http_fd = util_tcp_listen("[http] listen", hc->listen)) == -1)
		return (-1);
	/*
	 * evhttp writes an answer's headers and body apart: with Nagle the
	 * body waits for the client's delayed ACK, 40 ms a request on a
	 * kept-alive connection.  Accepted sockets inherit the option.
	 */
	if (setsockopt(http_fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)) == -1)
		log_warn("http: TCP_NODELAY");
	http_files_load(hc->dashboard_dir, 1);
	return (0);
}

/* Requests read conf from now on; set evhttp's limits if running. */
static void
http_set_config(const struct config *conf)
{
	struct timeval	 tv;

	http_cf = conf;
	http_hc = config_single(conf, &http_section);
	if (http_ev == NULL)
		return;
	evhttp_set_max_headers_size(http_ev,
	    (ev_ssize_t)http_hc->max_headers);
	evhttp_set_max_body_size(http_ev, (ev_ssize_t)http_hc->max_body);
	tv.tv_sec = http_hc->timeout / 1000;
	tv.tv_usec = (http_hc->timeout % 1000) * 1000;
	evhttp_set_timeout_tv(http_ev, &tv);
	httpconn_set_limits(http_hc->max_connections,
	    http_hc->header_timeout);
}

/* evhttp takes the socket bound by http_open; every request comes here. */
void
http_start(struct event_base *base, const struct config *conf)
{
	struct evhttp_bound_socket	*bound;
	const struct http_conf	*hc = config_single(conf, &http_section);

	if (http_fd == -1)
		return;
	if ((http_ev = evhttp_new(base)) == NULL ||
	    (bound = evhttp_accept_socket_with_handle(http_ev,
	    http_fd)) == NULL)
		fatalx("http: cannot serve on %s", hc->listen);
	http_fd = -1;		/* evhttp closes it */
	httpconn_start(base, http_ev, bound);
	/* Every common method reaches us, so that we answer 405 in JSON. */
	evhttp_set_allowed_methods(http_ev, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH | EVHTTP_REQ_TRACE);
	evhttp_set_gencb(http_ev, http_request_cb, NULL);
	http_set_config(conf);
	log_info("http: serving on http://%s/", http_hc->listen);
}

/* New limits for new connections; the dashboard files read again. */
void
http_reload(const struct config *conf)
{
	if (http_ev == NULL)
		return;
	http_set_config(conf);
	http_files_load(http_hc->dashboard_dir, 0);
}

/*
 * Forget every wait (adopted requests are freed; the others go with their
 * connections in evhttp_free), then close everything.
 */
void
http_stop(void)
{
	struct http_wait	*w;
	size_t			 i;

	while ((w = TAILQ_FIRST(&http_waits)) != NULL)
		http_wait_free(w);	/* others go with their connection */
	if (http_ev != NULL) {
		evhttp_free(http_ev);
		httpconn_stop();
	}
	http_ev = NULL;
	if (http_fd != -1)
		close(http_fd);
	http_fd = -1;
	for (i = 0; i < HTTP_NITEMS(http_files); i++) {
		free(http_files[i].data);
		http_files[i].data = NULL;
	}
	http_cf = NULL;
	http_hc = NULL;
}
