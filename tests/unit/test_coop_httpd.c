/*
 * test_coop_httpd.c - a tiny HTTP server for the coop http:// source test
 * (tests/integration/coop.sh); not a test by itself.
 *
 *	test_coop_httpd FILE PORTFILE LOGFILE
 *
 * Listens on 127.0.0.1 on a port of the kernel's choosing, written to
 * PORTFILE once it listens.  Every GET answers FILE as it is on disk now,
 * with an ETag (a hash of the content) and Last-Modified; a request whose
 * If-None-Match carries the current ETag gets 304 Not Modified.  Each
 * request is logged to LOGFILE as "GET PATH STATUS [if-none-match]".  The
 * path /gone answers 404.  Exits by itself after 120 s, so a test that
 * dies cannot leave it behind for long.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
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

#define HTTPD_LIFETIME	120

struct httpd {
	const char	*file;
	FILE		*log;
};

/* Reads the served file whole; NULL on error. */
static char *
httpd_slurp(const char *path, size_t *len, time_t *mtime)
{
	struct stat	 st;
	char		*b;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return (NULL);
	if (fstat(fd, &st) == -1 || (b = malloc((size_t)st.st_size + 1)) ==
	    NULL) {
		close(fd);
		return (NULL);
	}
	for (*len = 0; *len < (size_t)st.st_size; *len += (size_t)r)
		if ((r = read(fd, b + *len, (size_t)st.st_size - *len)) <= 0)
			break;
	close(fd);
	*mtime = st.st_mtime;
	return (b);
}

/* Answers one request: the file, 304, or 404. */
static void
httpd_cb(struct evhttp_request *req, void *arg)
{
	struct httpd	*h = arg;
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*body;
	const char		*inm = evhttp_find_header(in, "If-None-Match");
	const char		*uri = evhttp_request_get_uri(req);
	char			*b, etag[40], date[64];
	uint64_t		 hash = 14695981039346656037ULL;
	size_t			 len, i;
	time_t			 mtime;
	struct tm		 tm;
	int			 code;

	if (strcmp(uri, "/gone") == 0 || (b = httpd_slurp(h->file, &len,
	    &mtime)) == NULL) {
		evhttp_send_error(req, 404, "Not Found");
		fprintf(h->log, "GET %s 404\n", uri);
		fflush(h->log);
		return;
	}
	for (i = 0; i < len; i++)
		hash = (hash ^ (unsigned char)b[i]) * 1099511628211ULL;
	snprintf(etag, sizeof(etag), "\"%016llx\"", (unsigned long long)hash);
	gmtime_r(&mtime, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	evhttp_add_header(out, "ETag", etag);
	evhttp_add_header(out, "Last-Modified", date);
	evhttp_add_header(out, "Content-Type", "text/csv; charset=utf-8");
	if (inm != NULL && strcmp(inm, etag) == 0) {
		code = 304;
		evhttp_send_reply(req, 304, "Not Modified", NULL);
	} else {
		code = 200;
		body = evbuffer_new();
		evbuffer_add(body, b, len);
		evhttp_send_reply(req, 200, "OK", body);
		evbuffer_free(body);
	}
	free(b);
	fprintf(h->log, "GET %s %d%s\n", uri, code, inm != NULL ?
	    " if-none-match" : "");
	fflush(h->log);
}

/* Writes the port aside and renames it, so a reader never sees half. */
static int
httpd_port(evutil_socket_t fd, const char *path)
{
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof(sin);
	char			 tmp[4096];
	FILE			*f;

	if (getsockname(fd, (struct sockaddr *)&sin, &slen) == -1)
		return (-1);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return (-1);
	fprintf(f, "%d\n", ntohs(sin.sin_port));
	if (fclose(f) != 0)
		return (-1);
	return (rename(tmp, path));
}

int
main(int argc, char *argv[])
{
	struct event_base		*base;
	struct evhttp			*http;
	struct evhttp_bound_socket	*bs;
	struct httpd		 h;
	struct timeval			 life = { HTTPD_LIFETIME, 0 };

	if (argc != 4) {
		fprintf(stderr, "usage: test_coop_httpd FILE PORTFILE "
		    "LOGFILE\n");
		return (2);
	}
	h.file = argv[1];
	if ((h.log = fopen(argv[3], "a")) == NULL ||
	    (base = event_base_new()) == NULL ||
	    (http = evhttp_new(base)) == NULL) {
		fprintf(stderr, "test_coop_httpd: setup failed\n");
		return (1);
	}
	evhttp_set_gencb(http, httpd_cb, &h);
	if ((bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0)) ==
	    NULL || httpd_port(evhttp_bound_socket_get_fd(bs),
	    argv[2]) == -1) {
		fprintf(stderr, "test_coop_httpd: cannot listen\n");
		return (1);
	}
	event_base_loopexit(base, &life);
	event_base_dispatch(base);
	evhttp_free(http);
	event_base_free(base);
	fclose(h.log);
	return (0);
}
