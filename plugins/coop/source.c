/*
 * source.c - fetch a plugin's CSV from a file or an http:// URL, and tell
 * whether it changed since the reading last processed.
 *
 * Files: same mtime and size means unchanged, without reading; otherwise
 * the content is read and hashed, and the same hash means unchanged too
 * (a touched or rewritten-as-is file).  HTTP: the ETag and Last-Modified
 * of the last reading go back as If-None-Match and If-Modified-Since, and
 * 304 means unchanged; a 200 whose body hashes the same is unchanged too.
 * A fetch fills the new_* fields; source_commit makes them the reference
 * once the reading has been processed, so a failed one is fetched again.
 *
 * HTTP runs on the calling (worker) thread with its own event_base, made
 * and freed in each fetch: nothing is shared with the daemon's loop.  The
 * answer is bounded: its head to SOURCE_HEAD_MAX bytes, its body to
 * SOURCE_MAX, and the whole exchange to the source's timeout (evhttp's
 * own timeout only counts silence, which a trickling server never gives).
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "source.h"

#define SOURCE_HEAD_MAX	16384	/* bytes of an answer's head */

/* One HTTP exchange in progress. */
struct source_http {
	struct event_base	*base;
	int			 code;
	char			 line[64];
	char			*etag;
	char			*lastmod;
	char			*body;
	size_t			 len;
	int			 error;		/* evhttp_request_error + 1 */
	int			 toolarge;
	int			 done;		/* the request ended */
};

/* strerror for a worker thread (the GNU strerror_r may not fill buf). */
static const char *
source_strerror(int err, char *buf, size_t len)
{
	return (strerror_r(err, buf, len));
}

/* 64-bit FNV-1a: enough to tell two versions of an export apart. */
uint64_t
source_hash(const char *buf, size_t len)
{
	uint64_t	 h = 14695981039346656037ULL;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)buf[i];
		h *= 1099511628211ULL;
	}
	return (h);
}

/* The config file's directory, if the core is new enough to say. */
const char *
source_base(struct tally_ctx *ctx, const struct tally_host *host)
{
	if (host->size < offsetof(struct tally_host, config_dir) +
	    sizeof(host->config_dir) || host->config_dir == NULL)
		return (NULL);
	return (host->config_dir(ctx));
}

/*
 * Sets the source from the config.  A relative path is taken from base,
 * the config file's directory (or, from an older core, the current one),
 * and made absolute now, before a daemon's chdir("/").
 */
int
source_set(struct source *s, const char *where, const char *base,
    char *err, size_t errlen)
{
	char	 cwd[PATH_MAX], *p;

	if (strncmp(where, "https://", 8) == 0) {
		snprintf(err, errlen, "https is not supported: use http:// or "
		    "a file");
		return (-1);
	}
	if (strncmp(where, "http://", 7) == 0 || where[0] == '/')
		p = strdup(where);
	else if (where[0] == '\0' || strstr(where, "://") != NULL) {
		snprintf(err, errlen, "'%s' is neither a file nor an http:// "
		    "URL", where);
		return (-1);
	} else if (base == NULL && getcwd(cwd, sizeof(cwd)) == NULL)
		p = NULL;
	else if (asprintf(&p, "%s/%s", base != NULL ? base : cwd, where) == -1)
		p = NULL;
	if (p == NULL) {
		snprintf(err, errlen, "cannot resolve '%s'", where);
		return (-1);
	}
	free(s->where);
	s->where = p;
	s->http = strncmp(p, "http://", 7) == 0;
	if (s->timeout == 0)
		s->timeout = 30;
	return (0);
}

/* The name to put in messages: the file name or the URL. */
const char *
source_label(const struct source *s)
{
	const char	*p;

	if (s->http || (p = strrchr(s->where, '/')) == NULL)
		return (s->where);
	return (p + 1);
}

static void
source_clear_new(struct source *s)
{
	free(s->new_etag);
	free(s->new_lastmod);
	s->new_etag = s->new_lastmod = NULL;
}

void
source_free(struct source *s)
{
	source_clear_new(s);
	free(s->where);
	free(s->etag);
	free(s->lastmod);
	memset(s, 0, sizeof(*s));
}

/* Makes the reading just fetched the one to compare the next against. */
void
source_commit(struct source *s)
{
	s->have = 1;
	s->mtime = s->new_mtime;
	s->size = s->new_size;
	s->hash = s->new_hash;
	free(s->etag);
	free(s->lastmod);
	s->etag = s->new_etag;
	s->lastmod = s->new_lastmod;
	s->new_etag = s->new_lastmod = NULL;
}

/* Reads a whole open file; -1 with a reason. */
static int
source_read_fd(int fd, off_t size, char **buf, size_t *len, char *err,
    size_t errlen)
{
	char	*b, ebuf[128];
	size_t	 n = 0;
	ssize_t	 r;

	if (size < 0 || (unsigned long long)size > SOURCE_MAX) {
		snprintf(err, errlen, "larger than %lu bytes", SOURCE_MAX);
		return (-1);
	}
	if ((b = malloc((size_t)size + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	while (n < (size_t)size) {
		if ((r = read(fd, b + n, (size_t)size - n)) == -1 &&
		    errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "%s", r == 0 ? "shrank while "
			    "read" : source_strerror(errno, ebuf,
			    sizeof(ebuf)));
			free(b);
			return (-1);
		}
		n += (size_t)r;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return (0);
}

/* Fetches a file: 1 changed, 0 unchanged, -1 error. */
static int
source_file(struct source *s, char **buf, size_t *len, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 why[128], ebuf[128];
	int		 fd;

	if ((fd = open(s->where, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", s->where, source_strerror(errno,
		    ebuf, sizeof(ebuf)));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	s->new_mtime = st.st_mtim;
	s->new_size = st.st_size;
	if (s->have && st.st_size == s->size && st.st_mtim.tv_sec ==
	    s->mtime.tv_sec && st.st_mtim.tv_nsec == s->mtime.tv_nsec) {
		close(fd);
		return (0);
	}
	if (source_read_fd(fd, st.st_size, buf, len, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", s->where, why);
		close(fd);
		return (-1);
	}
	close(fd);
	s->new_hash = source_hash(*buf, *len);
	if (s->have && s->new_hash == s->hash) {
		source_commit(s);	/* touched, not changed */
		free(*buf);
		*buf = NULL;
		return (0);
	}
	return (1);
}

static void
source_http_error_cb(enum evhttp_request_error e, void *arg)
{
	struct source_http	*x = arg;

	x->error = (int)e + 1;
}

/* Keeps what the answer says (status, validators, body) and stops. */
static void
source_http_done_cb(struct evhttp_request *req, void *arg)
{
	struct source_http	*x = arg;
	struct evkeyvalq	*hdr;
	struct evbuffer		*in;
	const char		*v;

	event_base_loopexit(x->base, NULL);
	x->done = 1;
	if (req == NULL || (x->code = evhttp_request_get_response_code(req))
	    == 0)
		return;
	if ((v = evhttp_request_get_response_code_line(req)) != NULL)
		snprintf(x->line, sizeof(x->line), "%s", v);
	hdr = evhttp_request_get_input_headers(req);
	if ((v = evhttp_find_header(hdr, "ETag")) != NULL)
		x->etag = strdup(v);
	if ((v = evhttp_find_header(hdr, "Last-Modified")) != NULL)
		x->lastmod = strdup(v);
	in = evhttp_request_get_input_buffer(req);
	x->len = evbuffer_get_length(in);
	if (x->len > SOURCE_MAX) {
		x->toolarge = 1;
		return;
	}
	if ((x->body = malloc(x->len + 1)) != NULL) {
		evbuffer_remove(in, x->body, x->len);
		x->body[x->len] = '\0';
	}
}

/* Why a request got no answer, in words. */
static const char *
source_http_why(int error)
{
	switch (error - 1) {
	case EVREQ_HTTP_TIMEOUT:
		return ("timed out");
	case EVREQ_HTTP_EOF:
		return ("connection closed before the answer");
	case EVREQ_HTTP_INVALID_HEADER:
		return ("the answer's head is invalid or longer than 16384 "
		    "bytes");
	case EVREQ_HTTP_BUFFER_ERROR:
		return ("connection refused or broken");
	case EVREQ_HTTP_DATA_TOO_LONG:
		return ("answer too long");
	default:
		return ("no answer (connection refused?)");
	}
}

/* Builds and sends the GET, with the validators of the last reading. */
static int
source_http_send(struct source *s, struct evhttp_connection *conn,
    const struct evhttp_uri *uri, struct source_http *x)
{
	struct evhttp_request	*req;
	struct evkeyvalq	*out;
	const char		*path = evhttp_uri_get_path(uri);
	const char		*query = evhttp_uri_get_query(uri);
	char			 target[2048], host[300];
	int			 port = evhttp_uri_get_port(uri);

	if (path == NULL || *path == '\0')
		path = "/";
	if ((size_t)snprintf(target, sizeof(target), "%s%s%s", path,
	    query != NULL ? "?" : "", query != NULL ? query : "") >=
	    sizeof(target))
		return (-1);
	if (port == -1)
		snprintf(host, sizeof(host), "%s", evhttp_uri_get_host(uri));
	else
		snprintf(host, sizeof(host), "%s:%d", evhttp_uri_get_host(uri),
		    port);
	if ((req = evhttp_request_new(source_http_done_cb, x)) == NULL)
		return (-1);
	evhttp_request_set_error_cb(req, source_http_error_cb);
	out = evhttp_request_get_output_headers(req);
	evhttp_add_header(out, "Host", host);
	evhttp_add_header(out, "User-Agent", "tallyd");
	evhttp_add_header(out, "Connection", "close");
	if (s->have && s->etag != NULL)
		evhttp_add_header(out, "If-None-Match", s->etag);
	if (s->have && s->lastmod != NULL)
		evhttp_add_header(out, "If-Modified-Since", s->lastmod);
	return (evhttp_make_request(conn, req, EVHTTP_REQ_GET, target));
}

/* Runs one GET to its end on a private event_base; -1 with a reason. */
static int
source_http_get(struct source *s, struct source_http *x, char *err,
    size_t errlen)
{
	struct evhttp_uri		*uri;
	struct evhttp_connection	*conn = NULL;
	struct timeval			 deadline;
	int				 rc = -1, port;

	if ((uri = evhttp_uri_parse(s->where)) == NULL ||
	    evhttp_uri_get_host(uri) == NULL) {
		snprintf(err, errlen, "%s: not a valid URL", s->where);
		goto out;
	}
	port = evhttp_uri_get_port(uri);
	if ((x->base = event_base_new()) == NULL ||
	    (conn = evhttp_connection_base_new(x->base, NULL,
	    evhttp_uri_get_host(uri), port == -1 ? 80 : port)) == NULL) {
		snprintf(err, errlen, "%s: cannot set up a connection",
		    s->where);
		goto out;
	}
	evhttp_connection_set_timeout(conn, s->timeout);
	evhttp_connection_set_retries(conn, 0);
	evhttp_connection_set_max_body_size(conn, SOURCE_MAX);
	evhttp_connection_set_max_headers_size(conn, SOURCE_HEAD_MAX);
	if (source_http_send(s, conn, uri, x) == -1) {
		snprintf(err, errlen, "%s: cannot make the request", s->where);
		goto out;
	}
	deadline.tv_sec = s->timeout;
	deadline.tv_usec = 0;
	event_base_loopexit(x->base, &deadline);
	event_base_dispatch(x->base);
	if (!x->done)
		snprintf(err, errlen, "%s: no complete answer within the %d s "
		    "timeout (the server is too slow)", s->where, s->timeout);
	else if (x->code == 0)
		snprintf(err, errlen, "%s: %s", s->where,
		    source_http_why(x->error));
	else
		rc = 0;
out:
	if (conn != NULL)
		evhttp_connection_free(conn);
	if (x->base != NULL)
		event_base_free(x->base);
	if (uri != NULL)
		evhttp_uri_free(uri);
	return (rc);
}

/* Fetches a URL: 1 changed, 0 unchanged (304 or same body), -1 error. */
static int
source_url(struct source *s, char **buf, size_t *len, char *err,
    size_t errlen)
{
	struct source_http	 x;
	int			 rc = -1;

	memset(&x, 0, sizeof(x));
	if (source_http_get(s, &x, err, errlen) == -1)
		goto out;
	s->status = x.code;
	if (x.code == 304 && s->have) {
		rc = 0;
		goto out;
	}
	if (x.code != 200) {
		snprintf(err, errlen, "%s: HTTP %d %s", s->where, x.code,
		    x.line);
		goto out;
	}
	if (x.body == NULL) {
		snprintf(err, errlen, "%s: %s", s->where, x.toolarge ?
		    "answer too long" : "out of memory");
		goto out;
	}
	source_clear_new(s);
	s->new_etag = x.etag;
	s->new_lastmod = x.lastmod;
	x.etag = x.lastmod = NULL;
	s->new_hash = source_hash(x.body, x.len);
	if (s->have && s->new_hash == s->hash) {
		source_commit(s);	/* new validators, same content */
		rc = 0;
		goto out;
	}
	*buf = x.body;
	*len = x.len;
	x.body = NULL;
	rc = 1;
out:
	free(x.etag);
	free(x.lastmod);
	free(x.body);
	return (rc);
}

/*
 * Fetches the source: 1 with its content in *buf (NUL-terminated, the
 * caller frees it), 0 if unchanged since the last commit, -1 on error.
 */
int
source_fetch(struct source *s, char **buf, size_t *len, char *err,
    size_t errlen)
{
	*buf = NULL;
	*len = 0;
	if (s->where == NULL) {
		snprintf(err, errlen, "no source configured");
		return (-1);
	}
	if (s->http)
		return (source_url(s, buf, len, err, errlen));
	return (source_file(s, buf, len, err, errlen));
}
