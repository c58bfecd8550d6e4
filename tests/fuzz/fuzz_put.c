/*
 * fuzz_put.c - libFuzzer target for PUT values as both the socket
 * protocol and HTTP put read them: the input is a PUT request line's
 * arguments ("METRIC TIME:VALUE ..."), split by the request parser, then
 * each value through proto_put_value and the max_future rule.  Checked:
 * accepted values have a time in range and a finite or unknown value; a
 * time accepted by the rule is at most max_future ahead.
 */
#include <math.h>

#include "fuzz.h"
#include "names.h"
#include "proto.h"
#include "series.h"

#define NOW	((time_t)1700000000)
#define FUTURE	600000UL		/* the default max_future, ms */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_req	*req;
	struct proto_error	 err;
	char			*buf;
	time_t			 when;
	double			 v;
	int			 i;

	if (size > PROTO_LINE_MAX)
		return (0);
	if ((req = malloc(sizeof(*req))) == NULL ||
	    (buf = malloc(size + 5)) == NULL) {
		free(req);
		return (0);
	}
	memcpy(buf, "PUT ", 4);
	memcpy(buf + 4, data, size);
	buf[size + 4] = '\0';
	if (proto_parse(buf, size + 4, req, &err) == 0 &&
	    req->entry->cmd == PROTO_PUT) {
		(void)names_series_valid(req->argv[0]);
		for (i = 1; i < req->argc; i++) {
			if (proto_put_value(req->argv[i], NOW, &when, &v,
			    &err) == -1) {
				fuzz_check_msg(err.msg, sizeof(err.msg));
				continue;
			}
			if (when < 0 || isinf(v))
				abort();
			if (series_future_ok(when, NOW, FUTURE) &&
			    when > NOW + 600)
				abort();
		}
	} else
		fuzz_check_msg(err.msg, sizeof(err.msg));
	free(buf);
	free(req);
	return (0);
}
