/*
 * fuzz_traffic.c - libFuzzer target for the traffic plugin's parsers: the
 * access-log scanner (both profiles, combined and an nginx format) with
 * the counters and log-time buckets behind it, and the state-file line
 * parsers (figures, buckets, archives).  The input is split at newlines;
 * every line goes to each.  Invariants checked: a parsed record points
 * inside its line, dates are real, the running totals never shrink and
 * the queued points are in time order.  Build: tests/fuzz/build.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "logparse.h"
#include "tstats.h"

#define NOW	((int64_t)1700000000)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_rec(const struct tp_rec *r, const char *line, size_t len)
{
	int	 m = r->date / 100 % 100, d = r->date % 100;

	/* a missing agent may be the constant "-" (GoAccess's rule) */
	if ((r->addr != NULL && (r->addr < line || r->addr + r->addrlen >
	    line + len)) || (r->agentlen > 0 && (r->agent < line ||
	    r->agent + r->agentlen > line + len) && !(r->agentlen == 1 &&
	    r->agent[0] == '-')) || m < 1 || m > 12 ||
	    d < 1 || d > 31 || r->status < 0 || r->status > 599)
		abort();
}

/* The queued points of each kind are in increasing time. */
static void
check_out(const struct tstats *s)
{
	int64_t	 last[4] = { 0, 0, 0, 0 };
	size_t	 i;

	for (i = 0; i < s->b->nout; i++) {
		if (s->b->out[i].kind < 0 || s->b->out[i].kind > 3 ||
		    s->b->out[i].when <= last[s->b->out[i].kind])
			abort();
		last[s->b->out[i].kind] = s->b->out[i].when;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tp_format	 fmt[2];
	static int		 init;
	static struct ts_buckets *ring[2];
	struct tstats		 s, l;
	struct archive		 a;
	struct tp_clock		 clk;
	struct tp_rec		 r;
	char			 err[128], *buf, *line, *nl;
	int64_t			 newest = 0;
	uint64_t		 hits = 0;
	int			 f, mode;

	if (!init) {
		tp_format_compile(&fmt[0], "combined", err, sizeof(err));
		tp_format_compile(&fmt[1], "$remote_addr [$time_iso8601] "
		    "\"$request\" $status $body_bytes_sent $msec "
		    "\"$http_user_agent\"", err, sizeof(err));
		init = 1;
	}
	if ((buf = malloc(size + 1)) == NULL)
		return (0);
	memcpy(buf, data, size);
	buf[size] = '\0';
	ts_init(&s, size > 0 && data[0] & 1 ? TS_GOACCESS : TS_DEFAULT);
	ts_init(&l, TS_DEFAULT);
	/*
	 * The bucket rings (460 kB each) and their queues of closed points
	 * are kept between inputs, emptied as tb_init's calloc would leave
	 * them: mapping, growing and faulting them in anew was over half
	 * the time (1,500 inputs a second).
	 */
	for (f = 0; f < 2; f++) {
		struct ts_out	*out;
		size_t		 cap;

		if (ring[f] == NULL && (ring[f] = calloc(1, sizeof(*ring[f]))) ==
		    NULL)
			abort();
		out = ring[f]->out;
		cap = ring[f]->capout;
		memset(ring[f], 0, sizeof(*ring[f]));
		ring[f]->out = out;
		ring[f]->capout = cap;
	}
	s.b = ring[0];
	l.b = ring[1];
	if (tb_init(&s, 60, 300) == -1 || tb_init(&l, 60, 300) == -1)
		abort();
	archive_init(&a, 4096);
	memset(&clk, 0, sizeof(clk));
	mode = s.profile == TS_GOACCESS ? TP_LENIENT : 0;
	for (line = buf; line <= buf + size; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(buf + size - line))) ==
		    NULL)
			nl = buf + size;
		for (f = 0; f < 2; f++) {
			if (tp_parse(&fmt[f], &clk, line, (size_t)(nl - line),
			    mode, &r) != TP_OK)
				continue;
			check_rec(&r, line, (size_t)(nl - line));
			(void)ts_add(&s, &r, NOW, &newest);
		}
		if (s.b->run[TS_F_HITS] < hits)
			abort();
		hits = s.b->run[TS_F_HITS];
		*nl = '\0';
		(void)ts_load_line(&l, line);
		(void)archive_load_line(&a, line);
	}
	tb_close(&s, NOW);
	check_out(&s);
	archive_free(&a);
	s.b = l.b = NULL;
	ts_free(&s);
	ts_free(&l);
	free(buf);
	return (0);
}
