/*
 * webhook-sink.c - an HTTP receiver for the alert tests, on libevent's
 * evhttp.
 *
 *	webhook-sink -p PORTFILE -o OUTFILE [-f N] [-s MS] [-t PEM]
 *
 * Listens on 127.0.0.1 at a free port, written to PORTFILE once it
 * listens.  Each request is appended to OUTFILE as one line, "STATUS
 * METHOD PATH CONTENT-TYPE BODY" (the body with newlines as spaces), and
 * answered with STATUS: 500 for the first N requests (-f, to test
 * retries), 200 after.  -s MS: answer only after MS milliseconds (a slow
 * receiver).  -t PEM: HTTPS, with the certificate and key in PEM.  Runs
 * until killed.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static const char	*sink_out;
static int		 sink_fail;
static int		 sink_slow;
static struct event_base *sink_base;

/* Append one request's line; the body's newlines become spaces. */
static void
sink_record(struct evhttp_request *req, int status)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	const char	*ct, *method;
	size_t		 len = evbuffer_get_length(in), i;
	char		*body, *line;
	int		 fd, n;

	body = calloc(1, len + 1);
	if (body == NULL)
		abort();
	evbuffer_copyout(in, body, len);
	for (i = 0; i < len; i++) {
		if (body[i] == '\n' || body[i] == '\r')
			body[i] = ' ';
	}
	ct = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Content-Type");
	method = evhttp_request_get_command(req) == EVHTTP_REQ_POST ? "POST" :
	    "OTHER";
	n = asprintf(&line, "%d %s %s %s %s\n", status, method,
	    evhttp_request_get_uri(req), ct != NULL ? ct : "-", body);
	if (n == -1)
		abort();
	if ((fd = open(sink_out, O_WRONLY | O_CREAT | O_APPEND, 0644)) ==
	    -1 || write(fd, line, n) != n) {
		perror(sink_out);
		exit(1);
	}
	close(fd);
	free(line);
	free(body);
}

struct sink_later {
	struct evhttp_request	*req;
	int			 status;
};

static void
sink_answer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct sink_later	*l = arg;

	sink_record(l->req, l->status);
	evhttp_send_reply(l->req, l->status, l->status == 200 ? "OK" :
	    "Failing on purpose", NULL);
	free(l);
}

static void
sink_request_cb(struct evhttp_request *req, void *arg)
{
	struct sink_later	*l;
	struct timeval		 tv;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		abort();
	l->req = req;
	l->status = sink_fail > 0 ? 500 : 200;
	if (sink_fail > 0)
		sink_fail--;
	tv.tv_sec = sink_slow / 1000;
	tv.tv_usec = (sink_slow % 1000) * 1000;
	event_base_once(sink_base, -1, EV_TIMEOUT, sink_answer_cb, l, &tv);
}

/* HTTPS: each connection a server-side OpenSSL bufferevent. */
static struct bufferevent *
sink_tls_cb(struct event_base *base, void *arg)
{
	return (bufferevent_openssl_socket_new(base, -1, SSL_new(arg),
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE));
}

static SSL_CTX *
sink_tls(const char *pem)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(ctx, pem) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, pem, SSL_FILETYPE_PEM) != 1) {
		ERR_print_errors_fp(stderr);
		exit(1);
	}
	return (ctx);
}

/* Write the port aside and rename it, so a reader never sees half. */
static void
sink_port(const char *path, int port)
{
	char	 tmp[4096];
	FILE	*fp;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL || fprintf(fp, "%d\n", port) < 0 ||
	    fclose(fp) == EOF || rename(tmp, path) == -1) {
		perror(path);
		exit(1);
	}
}

int
main(int argc, char *argv[])
{
	struct evhttp			*http;
	struct evhttp_bound_socket	*bs;
	struct sockaddr_in		 sin;
	socklen_t			 len = sizeof(sin);
	const char			*portfile = NULL, *pem = NULL;
	int				 ch;

	while ((ch = getopt(argc, argv, "f:o:p:s:t:")) != -1) {
		switch (ch) {
		case 'f':
			sink_fail = atoi(optarg);
			break;
		case 'o':
			sink_out = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 's':
			sink_slow = atoi(optarg);
			break;
		case 't':
			pem = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (portfile == NULL || sink_out == NULL)
		goto usage;
	if ((sink_base = event_base_new()) == NULL ||
	    (http = evhttp_new(sink_base)) == NULL ||
	    (bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0)) ==
	    NULL) {
		fprintf(stderr, "webhook-sink: cannot listen\n");
		return (1);
	}
	evhttp_set_gencb(http, sink_request_cb, NULL);
	if (pem != NULL)
		evhttp_set_bevcb(http, sink_tls_cb, sink_tls(pem));
	if (getsockname(evhttp_bound_socket_get_fd(bs),
	    (struct sockaddr *)&sin, &len) == -1) {
		perror("getsockname");
		return (1);
	}
	sink_port(portfile, ntohs(sin.sin_port));
	event_base_dispatch(sink_base);
	return (0);
usage:
	fprintf(stderr, "usage: webhook-sink -p portfile -o outfile [-f n] "
	    "[-s ms] [-t pem]\n");
	return (2);
}
