/*
 * fuzz_proto.c - libFuzzer target for the request parser and the argument
 * parsers behind it.  The input is one request line; whatever parses is
 * fed on to the parser of its command, and the invariants every handler
 * relies on are checked (words inside the line, no control bytes, error
 * messages terminated, codes in range).  Build: make fuzz.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define NOW	((time_t)1700000000)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_err(const struct proto_error *err)
{
	if ((unsigned)err->code >= PERR__MAX ||
	    memchr(err->msg, '\0', sizeof(err->msg)) == NULL)
		abort();
}

/* Every word lies inside the line and holds no control byte. */
static void
check_words(const struct proto_req *req, const char *buf, size_t len)
{
	const unsigned char	*p;
	int			 i;

	if (req->argc < 0 || req->argc > PROTO_ARGS_MAX ||
	    req->entry == NULL || strcmp(proto_err_name(PERR_SYNTAX),
	    "syntax") != 0)
		abort();
	for (i = 0; i < req->argc; i++) {
		if (req->argv[i] < buf || req->argv[i] > buf + len)
			abort();
		for (p = (const unsigned char *)req->argv[i]; *p != '\0'; p++) {
			if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
				abort();
		}
	}
}

static void
fuzz_args(const struct proto_req *req)
{
	struct proto_fetch	 f;
	struct proto_error	 err;
	time_t			 t;
	double			 v;
	long			 d;
	int			 i;

	for (i = 0; i < req->argc && i < 64; i++) {
		if (proto_time(req->argv[i], NOW, &t, &err) == 0) {
			if (t < 0 || t >= 7258118400LL)
				abort();
		} else
			check_err(&err);
		if (proto_duration(req->argv[i], &d, &err) == 0 && d <= 0)
			abort();
		if (proto_put_value(req->argv[i], NOW, &t, &v, &err) == 0 &&
		    (isinf(v) || t < 0))
			abort();
	}
	if (req->entry->cmd == PROTO_FETCH) {
		if (proto_fetch_args(req, NOW, &f, &err) == 0) {
			if (f.start >= f.end || f.metric != req->argv[0])
				abort();
		} else
			check_err(&err);
	}
	if (req->argc >= 2)
		(void)proto_glob(req->argv[0], req->argv[1]);
	if (req->argc >= 1)
		(void)proto_glob(req->argv[0], "traffic.site.status.4xx");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_req	*req;
	struct proto_error	 err;
	char			*buf;

	if (size > PROTO_LINE_MAX + 16)
		return (0);
	if ((req = malloc(sizeof(*req))) == NULL ||
	    (buf = malloc(size + 1)) == NULL) {
		free(req);
		return (0);
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	if (proto_parse(buf, size, req, &err) == 0) {
		check_words(req, buf, size);
		fuzz_args(req);
	} else
		check_err(&err);
	free(buf);
	free(req);
	return (0);
}
