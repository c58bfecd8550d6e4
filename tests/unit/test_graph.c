/*
 * test_graph.c - GRAPH specs: the key whitelist, every refusal, the exact
 * rrd_graph arguments for hostile text, and real renders by librrd to
 * prove it accepts them (PNG and SVG, a Vietnamese title).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rrd.h>

#include "graph.h"
#include "tap.h"

#define NOW	((time_t)1700000000)	/* 2023-11-14T22:13:20Z */
#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static char	 linebuf[PROTO_LINE_MAX + 1];

/*
 * rrd_graph_v leaks inside librrd (vasprintf'd strings) and fontconfig on
 * every render.  LeakSanitizer (CI's ASan run) reads this hook; only those
 * libraries' allocations are excused, never ours.
 */
const char	*__lsan_default_suppressions(void);
const char *
__lsan_default_suppressions(void)
{
	return ("leak:librrd.so\nleak:libfontconfig.so\nleak:libpango\n"
	    "leak:libcairo\nleak:libglib\nleak:__vasprintf_internal\n");
}

/* "GRAPH words" through proto_parse and graph_spec_parse. */
static int
spec(const char *words, struct graph_spec *gs, struct proto_error *err)
{
	struct proto_req	 req;
	int			 n;

	n = snprintf(linebuf, sizeof(linebuf), "GRAPH %s", words);
	if (proto_parse(linebuf, (size_t)n, &req, err) == -1)
		return (-2);
	return (graph_spec_parse(&req, NOW, gs, err));
}

static void
spec_fails(const char *words, enum proto_err code, const char *msg)
{
	struct graph_spec	 gs;
	struct proto_error	 err;
	int			 rc;

	memset(&err, 0, sizeof(err));
	rc = spec(words, &gs, &err);
	ok(rc == -1 && err.code == code && strncmp(err.msg, msg,
	    strlen(msg)) == 0, "%s: %s \"%s\" (%s)", words,
	    proto_err_name(code), msg, err.msg);
}

/* Words proto_parse could never produce: straight to graph_spec_parse. */
static void
raw_fails(const char *word, enum proto_err code, const char *what)
{
	struct proto_req	 req;
	struct graph_spec	 gs;
	struct proto_error	 err;
	char			 w0[] = "metric=demo.main.wave", w1[512];

	snprintf(w1, sizeof(w1), "%s", word);
	req.entry = NULL;
	req.argc = 2;
	req.argv[0] = w0;
	req.argv[1] = w1;
	memset(&err, 0, sizeof(err));
	ok(graph_spec_parse(&req, NOW, &gs, &err) == -1 && err.code == code,
	    "refused: %s (%s)", what, err.msg);
}

/* argv equals want (NULL-terminated), element by element. */
static void
argv_is(int argc, char **argv, const char *const *want, const char *name)
{
	int	 i, n = 0;

	while (want[n] != NULL)
		n++;
	for (i = 0; i < argc && i < n; i++) {
		if (strcmp(argv[i], want[i]) != 0)
			break;
	}
	ok(argc == n && i == n && argv[argc] == NULL, "%s", name);
	if (argc != n || i != n)
		printf("#   argc %d want %d; first difference at %d: "
		    "\"%s\" vs \"%s\"\n", argc, n, i, i < argc ? argv[i] : "",
		    i < n ? want[i] : "");
}

static void
test_defaults(void)
{
	struct graph_spec	 gs;
	struct proto_error	 err;

	ok(spec("metric=demo.main.wave", &gs, &err) == 0, "one metric");
	ok(gs.nmetrics == 1 && strcmp(gs.metric[0], "demo.main.wave") == 0 &&
	    gs.label[0][0] == '\0', "metric stored, no label");
	ok(gs.start == NOW - 86400 && gs.end == NOW, "default -1d .. now");
	ok(gs.width == GRAPH_WIDTH_DEFAULT && gs.height ==
	    GRAPH_HEIGHT_DEFAULT, "default 600x200");
	ok(gs.format == GRAPH_PNG && strcmp(gs.cf, "AVERAGE") == 0 &&
	    gs.style == GRAPH_LINE && gs.compare == 0 && gs.title[0] == '\0',
	    "default png, AVERAGE, line, no compare, no title");
}

static void
test_keys(void)
{
	struct graph_spec	 gs;
	struct proto_error	 err;
	char			 words[600];

	ok(spec("metric=a.b.c label=A metric=d.e.f metric=g.h.i label=\"G i\"",
	    &gs, &err) == 0 && gs.nmetrics == 3 &&
	    strcmp(gs.metric[1], "d.e.f") == 0 && strcmp(gs.label[0], "A") ==
	    0 && gs.label[1][0] == '\0' && strcmp(gs.label[2], "G i") == 0,
	    "metric and label, in order");
	ok(spec("metric=a.b.c start=2023-11-01 end=2023-11-02T12:00Z", &gs,
	    &err) == 0 && gs.start == 1698796800 && gs.end == 1698926400,
	    "start and end");
	ok(spec("metric=a.b.c start=-7d end=-1d", &gs, &err) == 0 &&
	    gs.start == NOW - 7 * 86400 && gs.end == NOW - 86400,
	    "relative start and end");
	ok(spec("metric=a.b.c width=100 height=50", &gs, &err) == 0 &&
	    gs.width == 100 && gs.height == 50, "smallest size");
	ok(spec("metric=a.b.c width=3000 height=2000", &gs, &err) == 0 &&
	    gs.width == 3000 && gs.height == 2000, "largest size");
	ok(spec("metric=a.b.c title=\"S\xe1\xbb\x91 ng\xc6\xb0\xe1\xbb\x9di "
	    "tr\xe1\xbb\xb1\x63 tuy\xe1\xba\xbfn\"", &gs, &err) == 0 &&
	    strcmp(gs.title, "S\xe1\xbb\x91 ng\xc6\xb0\xe1\xbb\x9di "
	    "tr\xe1\xbb\xb1\x63 tuy\xe1\xba\xbfn") == 0,
	    "Vietnamese title kept byte for byte");
	ok(spec("metric=a.b.c title=\"\xf0\x9f\x98\x80 \xc2\xa0\"", &gs,
	    &err) == 0, "4-byte UTF-8 and U+00A0 accepted");
	ok(spec("metric=a.b.c format=svg", &gs, &err) == 0 &&
	    gs.format == GRAPH_SVG, "format=svg");
	ok(spec("metric=a.b.c format=png", &gs, &err) == 0 &&
	    gs.format == GRAPH_PNG, "format=png");
	ok(spec("metric=a.b.c cf=max", &gs, &err) == 0 &&
	    strcmp(gs.cf, "MAX") == 0, "cf=max");
	ok(spec("metric=a.b.c cf=MIN", &gs, &err) == 0 &&
	    strcmp(gs.cf, "MIN") == 0, "cf=MIN");
	ok(spec("metric=a.b.c cf=Last", &gs, &err) == 0 &&
	    strcmp(gs.cf, "LAST") == 0, "cf=Last");
	ok(spec("metric=a.b.c style=area", &gs, &err) == 0 &&
	    gs.style == GRAPH_AREA, "style=area");
	ok(spec("metric=a.b.c style=stack", &gs, &err) == 0 &&
	    gs.style == GRAPH_STACK, "style=stack");
	ok(spec("metric=a.b.c style=line", &gs, &err) == 0 &&
	    gs.style == GRAPH_LINE, "style=line");
	ok(spec("metric=a.b.c compare=7d", &gs, &err) == 0 &&
	    gs.compare == 7 * 86400, "compare=7d");
	ok(spec("metric=a.b.c compare=40y", &gs, &err) == 0 &&
	    gs.compare == 40 * 365 * 86400L, "compare=40y");
	ok(spec("metric=a.b.c label=\"x:y\\\\z %s\" title=\"--daemon\"",
	    &gs, &err) == 0 && strcmp(gs.label[0], "x:y\\z %s") == 0 &&
	    strcmp(gs.title, "--daemon") == 0,
	    "hostile-looking text is stored as is (escaped later)");
	memset(words, 0, sizeof(words));
	snprintf(words, sizeof(words), "metric=a.b.c label=\"%064d\" "
	    "title=\"%0200d\"", 0, 0);
	ok(spec(words, &gs, &err) == 0 && strlen(gs.label[0]) == 64 &&
	    strlen(gs.title) == 200, "label of 64 and title of 200 bytes");
	ok(spec("metric=a.b.c title=\"\"", &gs, &err) == 0 &&
	    gs.title[0] == '\0', "empty title: none");
	ok(spec("metric=a.b.c start=1980-01-01", &gs, &err) == 0,
	    "start in 1980");
}

static void
test_refused_keys(void)
{
	char	 words[800];

	spec_fails("title=x", PERR_ARGS, "metric= is required");
	spec_fails("metric", PERR_ARGS, "expected key=value, got \"metric\"");
	spec_fails("metric=a.b.c colour=red", PERR_ARGS, "unknown key in "
	    "\"colour=red\"");
	spec_fails("metric=a.b.c Title=x", PERR_ARGS, "unknown key");
	spec_fails("metric=a.b.c =x", PERR_ARGS, "unknown key");
	spec_fails("metric=a.b.c daemon=/tmp/s", PERR_ARGS, "unknown key");
	spec_fails("metric=a.b.c width=200 width=300", PERR_ARGS,
	    "width given twice");
	spec_fails("metric=a.b.c height=200 height=300", PERR_ARGS,
	    "height given twice");
	spec_fails("metric=a.b.c title=a title=b", PERR_ARGS,
	    "title given twice");
	spec_fails("metric=a.b.c start=-1h start=-2h", PERR_ARGS,
	    "start given twice");
	spec_fails("metric=a.b.c end=now end=now", PERR_ARGS,
	    "end given twice");
	spec_fails("metric=a.b.c format=png format=svg", PERR_ARGS,
	    "format given twice");
	spec_fails("metric=a.b.c cf=MIN cf=MAX", PERR_ARGS, "cf given twice");
	spec_fails("metric=a.b.c style=line style=area", PERR_ARGS,
	    "style given twice");
	spec_fails("metric=a.b.c compare=1d compare=2d", PERR_ARGS,
	    "compare given twice");
	spec_fails("metric=a.b.c metric=a.b.c metric=a.b.c metric=a.b.c "
	    "metric=a.b.c metric=a.b.c metric=a.b.c metric=a.b.c metric=a.b.c",
	    PERR_ARGS, "too many metrics (max 8)");
	spec_fails("metric=../../etc/passwd", PERR_NAME,
	    "bad metric name \"../../etc/passwd\"");
	spec_fails("metric=demo.main/../x", PERR_NAME, "bad metric name");
	spec_fails("metric=demo.main..wave", PERR_NAME, "bad metric name");
	spec_fails("metric=Demo.main.wave", PERR_NAME, "bad metric name");
	spec_fails("metric=demo.main.w:v", PERR_NAME, "bad metric name");
	spec_fails("metric=", PERR_NAME, "bad metric name \"\"");
	spec_fails("label=x metric=a.b.c", PERR_ARGS,
	    "label must follow its metric");
	spec_fails("metric=a.b.c label=x label=y", PERR_ARGS,
	    "metric 1 has two labels");
	spec_fails("metric=a.b.c label=", PERR_ARGS, "label is empty");
	snprintf(words, sizeof(words), "metric=a.b.c label=%065d", 0);
	spec_fails(words, PERR_ARGS, "label is longer than 64 bytes");
	snprintf(words, sizeof(words), "metric=a.b.c title=%0201d", 0);
	spec_fails(words, PERR_ARGS, "title is longer than 200 bytes");
}

static void
test_refused_values(void)
{
	spec_fails("metric=a.b.c width=99", PERR_ARGS,
	    "width must be a number from 100 to 3000");
	spec_fails("metric=a.b.c width=3001", PERR_ARGS, "width must be");
	spec_fails("metric=a.b.c width=10000 height=10000", PERR_ARGS,
	    "width must be");
	spec_fails("metric=a.b.c width=-5", PERR_ARGS, "width must be");
	spec_fails("metric=a.b.c width=+500", PERR_ARGS, "width must be");
	spec_fails("metric=a.b.c width=1e3", PERR_ARGS, "width must be");
	spec_fails("metric=a.b.c width=0x100", PERR_ARGS, "width must be");
	spec_fails("metric=a.b.c width=", PERR_ARGS, "width must be");
	spec_fails("metric=a.b.c width=99999999999999999999", PERR_ARGS,
	    "width must be");
	spec_fails("metric=a.b.c height=49", PERR_ARGS,
	    "height must be a number from 50 to 2000");
	spec_fails("metric=a.b.c height=2001", PERR_ARGS, "height must be");
	spec_fails("metric=a.b.c height=10000", PERR_ARGS, "height must be");
	spec_fails("metric=a.b.c format=gif", PERR_ARGS,
	    "format must be png or svg");
	spec_fails("metric=a.b.c format=PNG", PERR_ARGS, "format must be");
	spec_fails("metric=a.b.c cf=avg", PERR_ARGS,
	    "cf must be AVERAGE, MIN, MAX or LAST");
	spec_fails("metric=a.b.c style=bars", PERR_ARGS,
	    "style must be line, area or stack");
	spec_fails("metric=a.b.c compare=0", PERR_TIME, "bad duration");
	spec_fails("metric=a.b.c compare=lastweek", PERR_TIME, "bad duration");
	spec_fails("metric=a.b.c compare=100y", PERR_ARGS,
	    "compare must be less than 100y");
	spec_fails("metric=a.b.c compare=45y", PERR_ARGS,
	    "compare reaches before 1980");
	spec_fails("metric=a.b.c start=yesterday", PERR_TIME, "bad time");
	spec_fails("metric=a.b.c end=2021-02-30", PERR_TIME, "bad time");
	spec_fails("metric=a.b.c start=now end=-1h", PERR_TIME,
	    "start must be before end");
	spec_fails("metric=a.b.c start=-1h end=-1h", PERR_TIME,
	    "start must be before end");
	spec_fails("metric=a.b.c start=1979-12-01", PERR_TIME,
	    "start must not be before 1980");
}

static void
test_bad_text(void)
{
	static const struct {
		const char	*word, *what;
	} t[] = {
		{ "title=a\nb", "newline in title" },
		{ "title=a\rb", "CR in title" },
		{ "title=a\x1b[31m", "escape in title" },
		{ "title=\x7f", "DEL in title" },
		{ "title=a\xc2\x85", "C1 NEL in title" },
		{ "title=\xc0\xaf", "overlong 2-byte" },
		{ "title=\xe0\x80\xaf", "overlong 3-byte" },
		{ "title=\xf0\x80\x80\xaf", "overlong 4-byte" },
		{ "title=\xed\xa0\x80", "UTF-16 surrogate" },
		{ "title=\xf4\x90\x80\x80", "past U+10FFFF" },
		{ "title=\x80", "lone continuation byte" },
		{ "title=\xe1\x80", "truncated sequence" },
		{ "title=\xe1\x80x", "bad continuation" },
		{ "title=\xff", "byte 0xff" },
		{ "title=\xf8\x88\x80\x80\x80", "5-byte form" },
		{ "label=a\tb", "tab in label" },
		{ "label=\xc3", "truncated label" },
	};
	size_t	 i;

	for (i = 0; i < NITEMS(t); i++)
		raw_fails(t[i].word, PERR_ARGS, t[i].what);
}

static void
test_key(void)
{
	struct graph_spec	 a, b;
	struct proto_error	 err;
	char			 ka[GRAPH_KEY_MAX], kb[GRAPH_KEY_MAX];
	char			 small[16], words[4000];
	size_t			 o = 0;
	int			 i;

	spec("metric=a.b.c label=A width=800 title=T cf=max metric=d.e.f "
	    "start=-2d", &a, &err);
	spec("start=-2d cf=MAX title=T metric=a.b.c label=A width=800 "
	    "metric=d.e.f", &b, &err);
	graph_spec_key(&a, ka, sizeof(ka));
	graph_spec_key(&b, kb, sizeof(kb));
	is_str(ka, kb, "word order does not change the key");
	is_str(ka, "png 800x200 1699827200 1700000000 MAX line 0\nT\n"
	    "a.b.c\tA\nd.e.f\t\n", "canonical key text");
	spec("metric=d.e.f metric=a.b.c label=A width=800 title=T cf=max "
	    "start=-2d", &b, &err);
	graph_spec_key(&b, kb, sizeof(kb));
	ok(strcmp(ka, kb) != 0, "metric order changes the key");
	spec("metric=a.b.c label=A width=800 title=T cf=max metric=d.e.f "
	    "start=-2d format=svg", &b, &err);
	graph_spec_key(&b, kb, sizeof(kb));
	ok(strcmp(ka, kb) != 0, "format changes the key");
	memset(small, 'x', sizeof(small));
	graph_spec_key(&a, small, 10);
	ok(strlen(small) == 9 && small[10] == 'x', "key cut to the buffer");
	/* the largest spec still fits GRAPH_KEY_MAX */
	memset(&err, 0, sizeof(err));
	o = (size_t)snprintf(words, sizeof(words), "title=%0200d", 0);
	for (i = 0; i < GRAPH_METRICS_MAX; i++)
		o += (size_t)snprintf(words + o, sizeof(words) - o,
		    " metric=%064d.%064d.%064d.%063d label=%064d", i, i, i, i,
		    i);
	ok(spec(words, &a, &err) == 0, "largest spec parses (%s)",
	    err.msg);
	graph_spec_key(&a, ka, sizeof(ka));
	ok(strlen(ka) < GRAPH_KEY_MAX - 1 && ka[strlen(ka) - 1] == '\n',
	    "largest key fits GRAPH_KEY_MAX (%zu bytes)", strlen(ka));
}

static void
test_args(void)
{
	struct graph_spec	 gs;
	struct proto_error	 err;
	const char		*paths[GRAPH_METRICS_MAX] = { "/d/a/b/c.rrd",
	    "/d/d/e/f.rrd", "/d/g/h/i.rrd" };
	char			**argv;
	void			*mem;
	int			 argc;

	spec("metric=a.b.c", &gs, &err);
	argc = graph_args(&gs, paths, NULL, &argv, &mem);
	argv_is(argc, argv, (const char *const[]){ "graph", "-",
	    "--imgformat", "PNG", "--start", "1699913600", "--end",
	    "1700000000", "--width", "600", "--height", "200",
	    "--full-size-mode", "--slope-mode", "--disable-rrdtool-tag",
	    "DEF:m0=/d/a/b/c.rrd:value:AVERAGE",
	    "LINE2:m0#1f77b4:legend=a.b.c", NULL }, "default argv");
	free(mem);

	spec("metric=a.b.c label=\"in: a\\\\b %s\" metric=d.e.f "
	    "label=\"x=1:debug=1:STACK\" metric=g.h.i label=\"end\\\\l\" "
	    "title=\"--daemon\" format=svg cf=max width=300 height=100 "
	    "style=stack", &gs, &err);
	argc = graph_args(&gs, paths, "unix:/run/rrdcached.sock", &argv,
	    &mem);
	argv_is(argc, argv, (const char *const[]){ "graph", "-",
	    "--imgformat", "SVG", "--start", "1699913600", "--end",
	    "1700000000", "--width", "300", "--height", "100", "--title",
	    "--daemon", "--full-size-mode", "--slope-mode",
	    "--disable-rrdtool-tag", "--daemon",
	    "unix:/run/rrdcached.sock", "DEF:m0=/d/a/b/c.rrd:value:MAX",
	    "DEF:m1=/d/d/e/f.rrd:value:MAX", "DEF:m2=/d/g/h/i.rrd:value:MAX",
	    "AREA:m0#1f77b4:legend=in\\: a\\b %s",
	    "STACK:m1#ff7f0e:legend=x=1\\:debug=1\\:STACK",
	    "STACK:m2#2ca02c:legend=end\\l\\.", NULL },
	    "hostile title and labels: escaped, title one argv element");
	free(mem);

	spec("metric=a.b.c label=\"a:b\" metric=d.e.f compare=7d style=area "
	    "title=\"100%s: a\\\\\"", &gs, &err);
	argc = graph_args(&gs, paths, NULL, &argv, &mem);
	argv_is(argc, argv, (const char *const[]){ "graph", "-",
	    "--imgformat", "PNG", "--start", "1699913600", "--end",
	    "1700000000", "--width", "600", "--height", "200", "--title",
	    "100%s: a\\", "--full-size-mode", "--slope-mode",
	    "--disable-rrdtool-tag",
	    "DEF:m0=/d/a/b/c.rrd:value:AVERAGE",
	    "DEF:m1=/d/d/e/f.rrd:value:AVERAGE",
	    "DEF:c0=/d/a/b/c.rrd:value:AVERAGE:start=1699308800:"
	    "end=1699395200", "SHIFT:c0:604800",
	    "DEF:c1=/d/d/e/f.rrd:value:AVERAGE:start=1699308800:"
	    "end=1699395200", "SHIFT:c1:604800",
	    "AREA:m0#1f77b4:legend=a\\:b", "AREA:m1#ff7f0e:legend=d.e.f",
	    "LINE1:c0#8fbbd9:dashes:legend=a\\:b (\xe2\x88\x92" "7d)",
	    "LINE1:c1#ffbf86:dashes:legend=d.e.f (\xe2\x88\x92" "7d)",
	    NULL }, "compare: shifted DEFs and dashed lighter lines");
	free(mem);

	spec("metric=a.b.c start=2015 end=2025", &gs, &err);
	argc = graph_args(&gs, paths, NULL, &argv, &mem);
	argv_is(argc, argv, (const char *const[]){ "graph", "-",
	    "--imgformat", "PNG", "--start", "1420070400", "--end",
	    "1735689600", "--width", "600", "--height", "200",
	    "--full-size-mode", "--slope-mode", "--disable-rrdtool-tag",
	    "--x-grid", "YEAR:1:YEAR:1:YEAR:1:31536000:%Y",
	    "DEF:m0=/d/a/b/c.rrd:value:AVERAGE",
	    "LINE2:m0#1f77b4:legend=a.b.c", NULL },
	    "ten years: labelled by year, in the middle of each");
	free(mem);
}

static void
test_args_edges(void)
{
	struct graph_spec	 gs;
	struct proto_error	 err;
	const char		*paths[1] = { "/d/a/b/c.rrd" };
	const char		*bad[1];
	char			**argv;
	void			*mem;
	int			 argc;

	spec("metric=a.b.c compare=90m", &gs, &err);
	argc = graph_args(&gs, paths, NULL, &argv, &mem);
	ok(argc > 0 && strcmp(argv[argc - 1], "LINE1:c0#8fbbd9:dashes:"
	    "legend=a.b.c (\xe2\x88\x92" "90m)") == 0, "compare 90m label");
	free(mem);
	spec("metric=a.b.c compare=1y", &gs, &err);
	argc = graph_args(&gs, paths, NULL, &argv, &mem);
	ok(argc > 0 && strstr(argv[argc - 1], "(\xe2\x88\x92" "1y)") != NULL,
	    "compare 1y label");
	free(mem);
	spec("metric=a.b.c compare=3601", &gs, &err);
	argc = graph_args(&gs, paths, NULL, &argv, &mem);
	ok(argc > 0 && strstr(argv[argc - 1], "(\xe2\x88\x92" "3601s)") !=
	    NULL, "compare 3601s label");
	free(mem);

	/* unit=: vi-VN scale words on the axis, values divided in RPN. */
	spec("metric=a.b.c unit=ty", &gs, &err);
	argc = graph_args(&gs, paths, NULL, &argv, &mem);
	ok(argc > 9 && strcmp(argv[argc - 9], "--units-exponent") == 0 &&
	    strcmp(argv[argc - 8], "0") == 0 &&
	    strcmp(argv[argc - 7], "--left-axis-format") == 0 &&
	    strcmp(argv[argc - 6], "%lg t\xe1\xbb\xb7") == 0 &&
	    strcmp(argv[argc - 5], "--units-length") == 0 &&
	    strcmp(argv[argc - 3], "DEF:r0=/d/a/b/c.rrd:value:AVERAGE") == 0 &&
	    strcmp(argv[argc - 2], "CDEF:m0=r0,1000000000,/") == 0,
	    "unit=ty: no SI exponent, the axis reads \"%%lg t\xe1\xbb\xb7\", "
	    "values / 10^9");
	free(mem);
	spec("metric=a.b.c unit=trieu compare=1y", &gs, &err);
	argc = graph_args(&gs, paths, NULL, &argv, &mem);
	{
		int	 k, def = 0, cdef = 0, shift = 0;

		for (k = 0; k < argc; k++) {
			def += strncmp(argv[k], "DEF:r0=", 7) == 0 ||
			    strncmp(argv[k], "DEF:rc0=", 8) == 0;
			cdef += strcmp(argv[k], "CDEF:m0=r0,1000000,/") == 0 ||
			    strcmp(argv[k], "CDEF:c0=rc0,1000000,/") == 0;
			shift += strncmp(argv[k], "SHIFT:rc0:", 10) == 0;
		}
		ok(def == 2 && cdef == 2 && shift == 1,
		    "unit=trieu with compare: raw DEFs, the shift on the raw "
		    "one, both divided by 10^6");
	}
	free(mem);
	spec("metric=a.b.c unit=pct", &gs, &err);
	argc = graph_args(&gs, paths, NULL, &argv, &mem);
	ok(argc > 0 && strcmp(argv[argc - 2], "DEF:m0=/d/a/b/c.rrd:value:"
	    "AVERAGE") == 0 && strcmp(argv[argc - 5], "%lg %%") == 0,
	    "unit=pct: values as stored, \"%%lg %%%%\" (%s)",
	    argc > 2 ? argv[argc - 2] : "");
	free(mem);
	spec_fails("metric=a.b.c unit=G", PERR_ARGS,
	    "unit must be ty, trieu, nghin, pct or plain");
	spec_fails("metric=a.b.c unit=ty unit=ty", PERR_ARGS,
	    "unit given twice");
	{
		struct graph_spec	 g1, g2;
		char			 k1[GRAPH_KEY_MAX], k2[GRAPH_KEY_MAX];

		spec("metric=a.b.c unit=ty", &g1, &err);
		spec("metric=a.b.c", &g2, &err);
		graph_spec_key(&g1, k1, sizeof(k1));
		graph_spec_key(&g2, k2, sizeof(k2));
		ok(strcmp(k1, k2) != 0, "the unit is part of the cache key");
	}

	spec("metric=a.b.c", &gs, &err);
	bad[0] = "/d/a:b/c.rrd";
	ok(graph_args(&gs, bad, NULL, &argv, &mem) == -1 && argv == NULL &&
	    mem == NULL, "path with ':' refused");
	bad[0] = "";
	is_int(graph_args(&gs, bad, NULL, &argv, &mem), -1,
	    "empty path refused");
	bad[0] = "/d/a\nb.rrd";
	is_int(graph_args(&gs, bad, NULL, &argv, &mem), -1,
	    "path with a newline refused");
	bad[0] = NULL;
	is_int(graph_args(&gs, bad, NULL, &argv, &mem), -1,
	    "NULL path refused");
	is_int(graph_args(&gs, NULL, NULL, &argv, &mem), -1,
	    "NULL paths refused");
	gs.nmetrics = 0;
	is_int(graph_args(&gs, paths, NULL, &argv, &mem), -1,
	    "no metric refused");
}

/* A 3-day RRD with a sawtooth, 5-minute steps. */
static int
make_rrd(const char *path, int phase)
{
	const char	*def[] = { "DS:value:GAUGE:600:U:U",
	    "RRA:AVERAGE:0.5:1:1000", "RRA:MIN:0.5:1:1000",
	    "RRA:MAX:0.5:1:1000", "RRA:LAST:0.5:1:1000" };
	char		 up[64];
	const char	*ua[1] = { up };
	time_t		 t;

	rrd_clear_error();
	if (rrd_create_r(path, 300, NOW - 3 * 86400, NITEMS(def), def) != 0)
		return (-1);
	for (t = NOW - 3 * 86400 + 300; t <= NOW; t += 300) {
		snprintf(up, sizeof(up), "%lld:%d", (long long)t,
		    (int)((t / 300 + phase) % 24));
		if (rrd_update_r(path, NULL, 1, ua) != 0)
			return (-1);
	}
	return (0);
}

/* Render words with librrd; the blob's head, and its legends. */
static int
render(const char *words, const char *const *paths, char *head, size_t hlen,
    char legends[][128], int nleg)
{
	struct graph_spec	 gs;
	struct proto_error	 err;
	rrd_info_t		*info, *p;
	char			**argv;
	void			*mem;
	int			 argc, blob = 0, i;

	if (spec(words, &gs, &err) != 0 ||
	    (argc = graph_args(&gs, paths, NULL, &argv, &mem)) == -1)
		return (-1);
	rrd_clear_error();
	info = rrd_graph_v(argc, argv);
	free(mem);
	if (info == NULL) {
		printf("# rrd_graph_v: %s\n", rrd_get_error());
		return (-1);
	}
	for (p = info; p != NULL; p = p->next) {
		if (strcmp(p->key, "image") == 0 && p->type == RD_I_BLO &&
		    p->value.u_blo.size >= hlen) {
			memcpy(head, p->value.u_blo.ptr, hlen);
			blob = 1;
		}
		if (strncmp(p->key, "legend[", 7) == 0 && p->type == RD_I_STR &&
		    (i = atoi(p->key + 7)) >= 0 && i < nleg)
			snprintf(legends[i], 128, "%s", p->value.u_str);
	}
	rrd_info_free(info);
	return (blob ? 0 : -1);
}

static void
test_render(void)
{
	char		 dir[] = "/tmp/test_graph.XXXXXX", pa[64], pb[64];
	const char	*paths[2] = { pa, pb };
	char		 head[8], leg[4][128];
	int		 made;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(pa, sizeof(pa), "%s/a.rrd", dir);
	snprintf(pb, sizeof(pb), "%s/b.rrd", dir);
	made = make_rrd(pa, 0) == 0 && make_rrd(pb, 7) == 0;
	ok(made, "two RRD files made (%s)", made ? "" : rrd_get_error());
	memset(leg, 0, sizeof(leg));
	ok(render("metric=a.b.c metric=d.e.f title=\"S\xe1\xbb\x91 "
	    "ng\xc6\xb0\xe1\xbb\x9di tr\xe1\xbb\xb1\x63 tuy\xe1\xba\xbfn\"",
	    paths, head, 8, leg, 4) == 0 &&
	    memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0,
	    "PNG rendered, Vietnamese title");
	ok(render("metric=a.b.c metric=d.e.f format=svg style=stack cf=max "
	    "title=\"--daemon\"", paths, head, 5, leg, 4) == 0 &&
	    memcmp(head, "<?xml", 5) == 0, "SVG rendered, stacked");
	memset(leg, 0, sizeof(leg));
	ok(render("metric=a.b.c label=\"x=1:debug=1:STACK\" metric=d.e.f "
	    "label=\"b\\\\:\" compare=1d style=area title=\"a:b \\\\ 100%s\"",
	    paths, head, 8, leg, 4) == 0, "PNG with compare and hostile text");
	is_str(leg[0], "  x=1:debug=1:STACK",
	    "librrd took the label as one legend");
	is_str(leg[1], "  b\\:", "trailing backslash-colon kept as text");
	is_str(leg[2], "  x=1:debug=1:STACK (\xe2\x88\x92" "1d)",
	    "compare legend");
	is_str(leg[3], "  b\\: (\xe2\x88\x92" "1d)", "second compare legend");
	ok(render("metric=a.b.c metric=d.e.f unit=ty compare=1d",
	    paths, head, 8, leg, 4) == 0 &&
	    memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0,
	    "PNG rendered with unit=ty and compare (librrd takes the format)");
	ok(render("metric=a.b.c unit=pct format=svg", paths, head, 5, leg, 4) ==
	    0 && memcmp(head, "<?xml", 5) == 0, "SVG rendered with unit=pct");
	memset(leg, 0, sizeof(leg));
	ok(render("metric=a.b.c label=\"end\\\\l\" metric=d.e.f "
	    "label=\"C:\\\\\" style=line", paths, head, 8, leg, 4) == 0,
	    "PNG with legends ending in backslashes");
	is_str(leg[0], "  end\\l", "\\l is text, not a control code");
	is_str(leg[1], "  C:\\", "a final backslash is text");
	unlink(pa);
	unlink(pb);
	rmdir(dir);
}

/* HTTP's keys and values give the spec GRAPH's words give. */
static void
test_pairs(void)
{
	static const char *const keys[] = { "metric", "label", "metric",
	    "start", "width", "style" };
	static const char *const values[] = { "a.b.c", "A = b", "a.b.d",
	    "-2d", "800", "area" };
	static const char *const bad[] = { "metric", "colour" };
	static const char *const badv[] = { "a.b.c", "red" };
	struct graph_spec	 w, p;
	struct proto_error	 err;
	char			 kw[GRAPH_KEY_MAX], kp[GRAPH_KEY_MAX];

	ok(spec("metric=a.b.c label=\"A = b\" metric=a.b.d start=-2d "
	    "width=800 style=area", &w, &err) == 0, "words parse");
	ok(graph_spec_parse_pairs(keys, values, 6, NOW, &p, &err) == 0,
	    "pairs parse");
	graph_spec_key(&w, kw, sizeof(kw));
	graph_spec_key(&p, kp, sizeof(kp));
	is_str(kp, kw, "pairs and words: the same spec");
	ok(graph_spec_parse_pairs(bad, badv, 2, NOW, &p, &err) == -1 &&
	    err.code == PERR_ARGS && strcmp(err.msg,
	    "unknown key in \"colour=red\"") == 0,
	    "an unknown pair is named as key=value: %s", err.msg);
	ok(graph_spec_parse_pairs(keys, values, 0, NOW, &p, &err) == -1 &&
	    strcmp(err.msg, "metric= is required") == 0, "no pairs: %s",
	    err.msg);
}

int
main(void)
{
	test_defaults();
	test_pairs();
	test_keys();
	test_refused_keys();
	test_refused_values();
	test_bad_text();
	test_key();
	test_args();
	test_args_edges();
	test_render();
	return (tap_done());
}
