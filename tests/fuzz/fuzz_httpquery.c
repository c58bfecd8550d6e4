/*
 * fuzz_httpquery.c - libFuzzer target for the HTTP gateway's parameters
 * (daemon/http.c): the input is a request target, parsed the way evhttp
 * hands it to us, then through the same functions the handlers call: the
 * query string, the allowed names of /api/v1/series, and the parameters
 * as FETCH and as GRAPH arguments.  Checked: errors terminated, a FETCH
 * that parses has start < end and its metric among the parameters.
 */
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "fuzz.h"
#include "graph.h"
#include "http.h"
#include "proto.h"

#define NOW	((time_t)1700000000)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "metric", "start", "end", "cf",
	    "resolution", NULL };
	struct evhttp_uri	*uri;
	struct evkeyvalq	 params;
	struct proto_fetch	 f;
	struct proto_error	 err;
	struct graph_spec	 gs;
	char			*target, why[512];

	if (size > 8192 || (target = fuzz_string(data, size)) == NULL)
		return (0);
	/* evhttp's own request-target parser, as for a real request */
	uri = evhttp_uri_parse_with_flags(target, EVHTTP_URI_NONCONFORMANT);
	free(target);
	if (uri == NULL)
		return (0);
	memset(why, 0, sizeof(why));
	if (http_query_parse(evhttp_uri_get_query(uri), &params, why,
	    sizeof(why)) == -1) {
		fuzz_check_msg(why, sizeof(why));
		evhttp_uri_free(uri);
		return (0);
	}
	if (http_params_known(&params, names, NULL, why, sizeof(why)) == 0) {
		if (http_series_args(&params, NOW, &f, &err) == 0) {
			if (f.start >= f.end || f.metric !=
			    evhttp_find_header(&params, "metric"))
				abort();
		} else
			fuzz_check_msg(err.msg, sizeof(err.msg));
	} else
		fuzz_check_msg(why, sizeof(why));
	if (http_graph_args(&params, NOW, &gs, &err) == -1)
		fuzz_check_msg(err.msg, sizeof(err.msg));
	evhttp_clear_headers(&params);
	evhttp_uri_free(uri);
	return (0);
}
