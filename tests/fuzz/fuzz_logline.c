/*
 * fuzz_logline.c - libFuzzer target for the traffic plugin's access-log
 * line parser (plugins/traffic/logparse.c).  The first byte picks one of
 * the formats the plugin knows and the mode (strict or GoAccess-lenient);
 * the rest is one line.  Checked: every field of a parsed record lies
 * inside the line (a missing agent is the constant "-"), dates and
 * statuses are in range.
 */
#include "fuzz.h"
#include "logparse.h"

static const char *const formats[] = {
	"combined",
	"common",
	"$remote_addr - $remote_user [$time_local] \"$request\" $status "
	    "$body_bytes_sent \"$http_referer\" \"$http_user_agent\" $host",
	"$remote_addr [$time_iso8601] \"$request_method $request_uri\" "
	    "$status $bytes_sent",
	"$msec $remote_addr $status \"$request\"",
	"$remote_addr\t$time_iso8601\t$request_uri\t$status\t$http_user_agent",
};
#define NFORMATS	(sizeof(formats) / sizeof(formats[0]))

static struct tp_format	 fmt[NFORMATS];
static int		 compiled;

static void
inside(const char *p, size_t n, const char *line, size_t len)
{
	if (n == 0)
		return;
	if (p == NULL || p < line || p + n > line + len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_clock	 clk;
	struct tp_rec	 r;
	enum tp_error	 e;
	const char	*line;
	char		 err[128];
	size_t		 i, len;

	if (!compiled) {
		for (i = 0; i < NFORMATS; i++)
			if (tp_format_compile(&fmt[i], formats[i], err,
			    sizeof(err)) == -1)
				abort();
		compiled = 1;
	}
	if (size < 1 || size > 16384)
		return (0);
	memset(&clk, 0, sizeof(clk));
	line = (const char *)data + 1;
	len = size - 1;
	e = tp_parse(&fmt[data[0] % NFORMATS], &clk, line, len,
	    (data[0] / NFORMATS) & 1 ? TP_LENIENT : 0, &r);
	if (tp_error_name(e) == NULL)
		abort();
	if (e != TP_OK)
		return (0);
	inside(r.addr, r.addrlen, line, len);
	if (!(r.agentlen == 1 && r.agent[0] == '-'))	/* none: "-" */
		inside(r.agent, r.agentlen, line, len);
	inside(r.method, r.methodlen, line, len);
	inside(r.path, r.pathlen, line, len);
	if (r.status != 0 && (r.status < 100 || r.status > 599))
		abort();
	if (r.date != 0 && (r.date < 100101 || r.date > 99991231))
		abort();
	(void)tp_is_pageview(&r);
	(void)tp_is_static(r.path, r.pathlen);
	(void)tp_is_crawler(r.agent, r.agentlen);
	return (0);
}
