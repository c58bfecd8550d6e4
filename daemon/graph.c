/*
 * graph.c - GRAPH specs: the client's key=value words checked against a
 * whitelist into a struct graph_spec, and the spec turned into librrd's
 * rrd_graph_v arguments by code.
 *
 * Client text reaches librrd in two places only: the title (the value of
 * --title, one argv element, which librrd draws as plain text) and the
 * labels, which become the last "legend=" field of a LINE/AREA/STACK
 * element.  librrd 1.7 splits elements at ':' (only "\:" escapes one), and
 * takes "key=value" fields as named options, so the legend is always given
 * by name and its colons escaped; its leg_place() reads a trailing "\X"
 * as a control code, which "\." (a no-op code) neutralises.  Paths, vnames,
 * colours and numbers come from here.  No librrd call is made in this file.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "names.h"
#include "xmalloc.h"

#define GRAPH_NITEMS(a)		(sizeof(a) / sizeof((a)[0]))
#define GRAPH_SHOW_MAX		32
#define GRAPH_SHOW_LEN		(4 * GRAPH_SHOW_MAX + 4)
#define GRAPH_LEGEND_LEN	(2 * (GRAPH_NAME_MAX + 32) + 4)
#define GRAPH_YEAR		(365 * 86400L)
/* A span this long is labelled by years. */
#define GRAPH_YEARS_FROM	(3 * GRAPH_YEAR)

_Static_assert(GRAPH_NAME_MAX >= NAMES_SERIES_MAX,
    "a valid series name fits a graph_spec");

enum graph_key {
	GK_METRIC, GK_LABEL, GK_START, GK_END, GK_WIDTH, GK_HEIGHT, GK_TITLE,
	GK_FORMAT, GK_CF, GK_STYLE, GK_COMPARE, GK_UNIT, GK__MAX
};

static const char *const graph_keys[] = {
	"metric", "label", "start", "end", "width", "height", "title",
	"format", "cf", "style", "compare", "unit"
};

/*
 * unit=: the word, what the values are divided by and the axis format
 * (ours, never a client's; librrd checks it takes one double).
 */
static const struct {
	const char	*word;
	const char	*divisor;	/* RPN number; NULL: as stored */
	const char	*format;
	const char	*width;		/* characters the labels take */
} graph_units[] = {
	[GRAPH_UNIT_AUTO] = { "", NULL, NULL, NULL },
	[GRAPH_UNIT_TY] = { "ty", "1000000000", "%lg t\xe1\xbb\xb7", "9" },
	[GRAPH_UNIT_TRIEU] = { "trieu", "1000000", "%lg tri\xe1\xbb\x87u",
	    "12" },
	[GRAPH_UNIT_NGHIN] = { "nghin", "1000", "%lg ngh\xc3\xacn", "12" },
	[GRAPH_UNIT_PCT] = { "pct", NULL, "%lg %%", "8" },
	[GRAPH_UNIT_PLAIN] = { "plain", NULL, "%lg", "10" }
};
_Static_assert(GRAPH_NITEMS(graph_keys) == GK__MAX, "one name per key");

/* Line colours, and the lighter ones of the compare overlay. */
static const char *const graph_colors[GRAPH_METRICS_MAX] = {
	"1f77b4", "ff7f0e", "2ca02c", "d62728", "9467bd", "8c564b", "e377c2",
	"17becf"
};
static const char *const graph_light[GRAPH_METRICS_MAX] = {
	"8fbbd9", "ffbf86", "95cf95", "ea9393", "c9b3de", "c5aaa5", "f1bbe0",
	"8bdee7"
};

/* Parsing state beyond the spec itself. */
struct graph_parse {
	int	 seen[GK__MAX];
	int	 labelled[GRAPH_METRICS_MAX];
};

/*
 * Is s valid UTF-8 without control characters (C0, DEL, C1), overlong
 * forms, surrogates or code points past U+10FFFF?
 */
static int
graph_text_valid(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp, min;
	int			 n, i;

	while (*p != '\0') {
		if (*p < 0x80) {
			cp = *p;
			n = 0;
			min = 0;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			n = 1;
			min = 0x80;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			n = 2;
			min = 0x800;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			n = 3;
			min = 0x10000;
		} else
			return (0);
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return (0);
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 &&
		    cp <= 0xdfff) || cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return (0);
		p += n + 1;
	}
	return (1);
}

/* A title or label: printable UTF-8 of at most max bytes, copied to dst. */
static int
graph_set_text(char *dst, size_t max, const char *key, const char *v,
    struct proto_error *err)
{
	if (strlen(v) > max)
		return (proto_error_set(err, PERR_ARGS,
		    "%s is longer than %zu bytes", key, max));
	if (!graph_text_valid(v))
		return (proto_error_set(err, PERR_ARGS, "%s is not printable "
		    "UTF-8", key));
	memcpy(dst, v, strlen(v) + 1);
	return (0);
}

/* Decimal digits only, within [min, max]. */
static int
graph_set_int(int *dst, int min, int max, const char *key, const char *v,
    struct proto_error *err)
{
	char	*end;
	long	 n;

	if (v[0] < '0' || v[0] > '9' || v[strspn(v, "0123456789")] != '\0')
		return (proto_error_set(err, PERR_ARGS, "%s must be a number "
		    "from %d to %d", key, min, max));
	n = strtol(v, &end, 10);
	if (*end != '\0' || n < min || n > max)
		return (proto_error_set(err, PERR_ARGS, "%s must be a number "
		    "from %d to %d", key, min, max));
	*dst = (int)n;
	return (0);
}

static int
graph_set_metric(struct graph_spec *gs, const char *v,
    struct proto_error *err)
{
	char	 show[GRAPH_SHOW_LEN];

	if (gs->nmetrics == GRAPH_METRICS_MAX)
		return (proto_error_set(err, PERR_ARGS,
		    "too many metrics (max %d)", GRAPH_METRICS_MAX));
	if (!names_series_valid(v)) {
		proto_quote(show, sizeof(show), v, GRAPH_SHOW_MAX);
		return (proto_error_set(err, PERR_NAME,
		    "bad metric name \"%s\"", show));
	}
	memcpy(gs->metric[gs->nmetrics++], v, strlen(v) + 1);
	return (0);
}

static int
graph_set_label(struct graph_spec *gs, struct graph_parse *gp,
    const char *v, struct proto_error *err)
{
	int	 i = gs->nmetrics - 1;

	if (i < 0)
		return (proto_error_set(err, PERR_ARGS,
		    "label must follow its metric"));
	if (gp->labelled[i])
		return (proto_error_set(err, PERR_ARGS,
		    "metric %d has two labels", i + 1));
	if (*v == '\0')
		return (proto_error_set(err, PERR_ARGS, "label is empty"));
	gp->labelled[i] = 1;
	return (graph_set_text(gs->label[i], GRAPH_LABEL_MAX, "label", v,
	    err));
}

/* format, cf and style: one of a few words. */
static int
graph_set_choice(struct graph_spec *gs, enum graph_key k, const char *v,
    struct proto_error *err)
{
	switch (k) {
	case GK_FORMAT:
		if (strcmp(v, "png") == 0 || strcmp(v, "svg") == 0) {
			gs->format = v[0] == 'p' ? GRAPH_PNG : GRAPH_SVG;
			return (0);
		}
		return (proto_error_set(err, PERR_ARGS,
		    "format must be png or svg"));
	case GK_CF:
		if (proto_cf(v, gs->cf) == 0)
			return (0);
		return (proto_error_set(err, PERR_ARGS,
		    "cf must be AVERAGE, MIN, MAX or LAST"));
	case GK_UNIT: {
		size_t	 u;

		for (u = 1; u < GRAPH_NITEMS(graph_units); u++) {
			if (strcmp(v, graph_units[u].word) == 0) {
				gs->unit = (enum graph_unit)u;
				return (0);
			}
		}
		return (proto_error_set(err, PERR_ARGS,
		    "unit must be ty, trieu, nghin, pct or plain"));
	}
	default:
		if (strcmp(v, "line") == 0)
			gs->style = GRAPH_LINE;
		else if (strcmp(v, "area") == 0)
			gs->style = GRAPH_AREA;
		else if (strcmp(v, "stack") == 0)
			gs->style = GRAPH_STACK;
		else
			return (proto_error_set(err, PERR_ARGS,
			    "style must be line, area or stack"));
		return (0);
	}
}

static int
graph_set_compare(struct graph_spec *gs, const char *v,
    struct proto_error *err)
{
	if (proto_duration(v, &gs->compare, err) == -1)
		return (-1);
	if (gs->compare >= GRAPH_COMPARE_MAX)
		return (proto_error_set(err, PERR_ARGS,
		    "compare must be less than 100y"));
	return (0);
}

/* One key (klen bytes) and its value: find it, refuse repeats, set it. */
static int
graph_pair(struct graph_spec *gs, struct graph_parse *gp, const char *key,
    size_t klen, const char *v, time_t now, struct proto_error *err)
{
	char		 show[GRAPH_SHOW_LEN], *word;
	size_t		 k;

	for (k = 0; k < GK__MAX; k++) {
		if (strlen(graph_keys[k]) == klen &&
		    memcmp(graph_keys[k], key, klen) == 0)
			break;
	}
	if (k == GK__MAX) {
		xasprintf(&word, "%.*s=%s", (int)klen, key, v);
		proto_quote(show, sizeof(show), word, GRAPH_SHOW_MAX);
		free(word);
		return (proto_error_set(err, PERR_ARGS,
		    "unknown key in \"%s\"", show));
	}
	if (k != GK_METRIC && k != GK_LABEL && gp->seen[k])
		return (proto_error_set(err, PERR_ARGS, "%s given twice",
		    graph_keys[k]));
	gp->seen[k] = 1;
	switch (k) {
	case GK_METRIC:
		return (graph_set_metric(gs, v, err));
	case GK_LABEL:
		return (graph_set_label(gs, gp, v, err));
	case GK_START:
		return (proto_time(v, now, &gs->start, err));
	case GK_END:
		return (proto_time(v, now, &gs->end, err));
	case GK_WIDTH:
		return (graph_set_int(&gs->width, GRAPH_WIDTH_MIN,
		    GRAPH_WIDTH_MAX, "width", v, err));
	case GK_HEIGHT:
		return (graph_set_int(&gs->height, GRAPH_HEIGHT_MIN,
		    GRAPH_HEIGHT_MAX, "height", v, err));
	case GK_TITLE:
		return (graph_set_text(gs->title, GRAPH_TITLE_MAX, "title", v,
		    err));
	case GK_COMPARE:
		return (graph_set_compare(gs, v, err));
	default:
		return (graph_set_choice(gs, k, v, err));
	}
}

static int	graph_spec_check(const struct graph_spec *,
		    struct proto_error *);

/* One key=value word of GRAPH. */
static int
graph_word(struct graph_spec *gs, struct graph_parse *gp, const char *word,
    time_t now, struct proto_error *err)
{
	char		 show[GRAPH_SHOW_LEN];
	const char	*eq;

	if ((eq = strchr(word, '=')) == NULL) {
		proto_quote(show, sizeof(show), word, GRAPH_SHOW_MAX);
		return (proto_error_set(err, PERR_ARGS,
		    "expected key=value, got \"%s\"", show));
	}
	return (graph_pair(gs, gp, word, (size_t)(eq - word), eq + 1, now,
	    err));
}

/* Defaults of a spec, before its words. */
static void
graph_spec_init(struct graph_spec *gs, struct graph_parse *gp, time_t now)
{
	memset(gs, 0, sizeof(*gs));
	memset(gp, 0, sizeof(*gp));
	gs->width = GRAPH_WIDTH_DEFAULT;
	gs->height = GRAPH_HEIGHT_DEFAULT;
	gs->format = GRAPH_PNG;
	gs->style = GRAPH_LINE;
	snprintf(gs->cf, sizeof(gs->cf), "AVERAGE");
	gs->end = now;
	gs->start = now - 86400;
}

int
graph_spec_parse(const struct proto_req *req, time_t now,
    struct graph_spec *gs, struct proto_error *err)
{
	struct graph_parse	 gp;
	int			 i;

	graph_spec_init(gs, &gp, now);
	for (i = 0; i < req->argc; i++) {
		if (graph_word(gs, &gp, req->argv[i], now, err) == -1)
			return (-1);
	}
	return (graph_spec_check(gs, err));
}

int
graph_spec_parse_pairs(const char *const *keys, const char *const *values,
    int n, time_t now, struct graph_spec *gs, struct proto_error *err)
{
	struct graph_parse	 gp;
	int			 i;

	graph_spec_init(gs, &gp, now);
	for (i = 0; i < n; i++) {
		if (graph_pair(gs, &gp, keys[i], strlen(keys[i]), values[i],
		    now, err) == -1)
			return (-1);
	}
	return (graph_spec_check(gs, err));
}

/* What holds only of the spec as a whole. */
static int
graph_spec_check(const struct graph_spec *gs, struct proto_error *err)
{
	if (gs->nmetrics == 0)
		return (proto_error_set(err, PERR_ARGS,
		    "metric= is required"));
	if (gs->start >= gs->end)
		return (proto_error_set(err, PERR_TIME,
		    "start must be before end"));
	if (gs->start < GRAPH_START_MIN)
		return (proto_error_set(err, PERR_TIME,
		    "start must not be before 1980"));
	if (gs->start - gs->compare < GRAPH_START_MIN)
		return (proto_error_set(err, PERR_ARGS,
		    "compare reaches before 1980"));
	return (0);
}

void
graph_spec_key(const struct graph_spec *gs, char *buf, size_t len)
{
	size_t	 o;
	int	 i, n;

	if (len == 0)
		return;
	n = snprintf(buf, len, "%s %dx%d %lld %lld %s %s %ld%s%s\n%s\n",
	    gs->format == GRAPH_SVG ? "svg" : "png", gs->width, gs->height,
	    (long long)gs->start, (long long)gs->end, gs->cf,
	    gs->style == GRAPH_AREA ? "area" : gs->style == GRAPH_STACK ?
	    "stack" : "line", gs->compare, gs->unit != GRAPH_UNIT_AUTO ?
	    " " : "", graph_units[gs->unit].word, gs->title);
	for (i = 0; i < gs->nmetrics && n >= 0 && (size_t)n < len; i++) {
		o = n;
		n = snprintf(buf + o, len - o, "%s\t%s\n", gs->metric[i],
		    gs->label[i]);
		n = n < 0 ? n : n + (int)o;
	}
}

/* Builds argv in two passes: sizing (argv NULL), then writing. */
struct graph_buf {
	char	**argv;
	char	 *text;
	size_t	  used, size;
	int	  argc;
};

static void __attribute__((format(printf, 2, 3)))
graph_arg(struct graph_buf *gb, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	if (gb->argv == NULL)
		n = vsnprintf(NULL, 0, fmt, ap);
	else {
		gb->argv[gb->argc] = gb->text + gb->used;
		n = vsnprintf(gb->text + gb->used, gb->size - gb->used, fmt,
		    ap);
	}
	va_end(ap);
	if (n < 0)
		n = 0;
	gb->used += (size_t)n + 1;
	gb->argc++;
}

/* text (and suffix) as a legend= value: ':' escaped, no control code. */
static void
graph_legend(char *buf, size_t len, const char *text, const char *suffix)
{
	char	 raw[GRAPH_LEGEND_LEN];
	size_t	 i, o = 0, n;

	n = (size_t)snprintf(raw, sizeof(raw), "%s%s", text, suffix);
	if (n >= sizeof(raw))
		n = sizeof(raw) - 1;
	for (i = 0; i < n && o + 4 < len; i++) {
		if (raw[i] == ':')
			buf[o++] = '\\';
		buf[o++] = raw[i];
	}
	if (n >= 2 && raw[n - 2] == '\\' && o + 3 < len) {
		buf[o++] = '\\';
		buf[o++] = '.';
	}
	buf[o] = '\0';
}

/* A compare span for humans: the largest of y d h m s that divides it. */
static void
graph_human(char *buf, size_t len, long secs)
{
	static const struct {
		char	 unit;
		long	 secs;
	} units[] = { { 'y', 365 * 86400L }, { 'd', 86400 }, { 'h', 3600 },
	    { 'm', 60 } };
	size_t	 i;

	for (i = 0; i < GRAPH_NITEMS(units); i++) {
		if (secs % units[i].secs == 0) {
			snprintf(buf, len, "%ld%c", secs / units[i].secs,
			    units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%lds", secs);
}

/* The drawing elements: one per metric, then the dashed compare lines. */
static void
graph_draw(const struct graph_spec *gs, struct graph_buf *gb)
{
	char		 legend[GRAPH_LEGEND_LEN], suffix[32], span[24];
	const char	*text, *elem;
	int		 i;

	for (i = 0; i < gs->nmetrics; i++) {
		text = gs->label[i][0] != '\0' ? gs->label[i] : gs->metric[i];
		graph_legend(legend, sizeof(legend), text, "");
		if (gs->style == GRAPH_LINE)
			elem = "LINE2";
		else if (gs->style == GRAPH_STACK && i > 0)
			elem = "STACK";
		else
			elem = "AREA";
		graph_arg(gb, "%s:m%d#%s:legend=%s", elem, i, graph_colors[i],
		    legend);
	}
	if (gs->compare == 0)
		return;
	graph_human(span, sizeof(span), gs->compare);
	/* U+2212 MINUS SIGN */
	snprintf(suffix, sizeof(suffix), " (\xe2\x88\x92%s)", span);
	for (i = 0; i < gs->nmetrics; i++) {
		text = gs->label[i][0] != '\0' ? gs->label[i] : gs->metric[i];
		graph_legend(legend, sizeof(legend), text, suffix);
		graph_arg(gb, "LINE1:c%d#%s:dashes:legend=%s", i,
		    graph_light[i], legend);
	}
}

static void
graph_build(const struct graph_spec *gs, const char *const *paths,
    const char *rrdcached, struct graph_buf *gb)
{
	const char	*div;
	int		 i;

	graph_arg(gb, "graph");
	graph_arg(gb, "-");
	graph_arg(gb, "--imgformat");
	graph_arg(gb, "%s", gs->format == GRAPH_SVG ? "SVG" : "PNG");
	graph_arg(gb, "--start");
	graph_arg(gb, "%lld", (long long)gs->start);
	graph_arg(gb, "--end");
	graph_arg(gb, "%lld", (long long)gs->end);
	graph_arg(gb, "--width");
	graph_arg(gb, "%d", gs->width);
	graph_arg(gb, "--height");
	graph_arg(gb, "%d", gs->height);
	if (gs->title[0] != '\0') {
		graph_arg(gb, "--title");
		graph_arg(gb, "%s", gs->title);
	}
	/* width and height are the whole image, as the client asked. */
	graph_arg(gb, "--full-size-mode");
	graph_arg(gb, "--slope-mode");
	/* An office's graph: no "RRDTOOL / TOBI OETIKER" down the side. */
	graph_arg(gb, "--disable-rrdtool-tag");
	/*
	 * Years of figures: a line at each new year and the year's number
	 * in the middle of its span, as a yearly figure is named ("2021"
	 * under the span 2021 holds).
	 */
	if (gs->end - gs->start >= GRAPH_YEARS_FROM) {
		graph_arg(gb, "--x-grid");
		graph_arg(gb, "YEAR:1:YEAR:1:YEAR:%d:31536000:%%Y",
		    gs->end - gs->start > 16 * GRAPH_YEAR ? 2 : 1);
	}
	if (rrdcached != NULL) {
		graph_arg(gb, "--daemon");
		graph_arg(gb, "%s", rrdcached);
	}
	if (gs->unit != GRAPH_UNIT_AUTO) {
		/* vi-VN words for the scale, not SI letters (graph.h) */
		graph_arg(gb, "--units-exponent");
		graph_arg(gb, "0");
		graph_arg(gb, "--left-axis-format");
		graph_arg(gb, "%s", graph_units[gs->unit].format);
		/* librrd sizes the margin for numbers, not for words */
		graph_arg(gb, "--units-length");
		graph_arg(gb, "%s", graph_units[gs->unit].width);
	}
	div = graph_units[gs->unit].divisor;
	for (i = 0; i < gs->nmetrics; i++) {
		graph_arg(gb, "DEF:%s%d=%s:value:%s", div != NULL ? "r" : "m",
		    i, paths[i], gs->cf);
		if (div != NULL)
			graph_arg(gb, "CDEF:m%d=r%d,%s,/", i, i, div);
	}
	for (i = 0; i < gs->nmetrics && gs->compare != 0; i++) {
		graph_arg(gb, "DEF:%s%d=%s:value:%s:start=%lld:end=%lld",
		    div != NULL ? "rc" : "c", i, paths[i], gs->cf,
		    (long long)(gs->start - gs->compare),
		    (long long)(gs->end - gs->compare));
		graph_arg(gb, "SHIFT:%s%d:%ld", div != NULL ? "rc" : "c", i,
		    gs->compare);
		if (div != NULL)
			graph_arg(gb, "CDEF:c%d=rc%d,%s,/", i, i, div);
	}
	graph_draw(gs, gb);
}

/*
 * Paths come from names_series_path, but one that breaks DEF syntax is
 * refused.
 */
static int
graph_paths_ok(const struct graph_spec *gs, const char *const *paths)
{
	const char	*p;
	int		 i;

	if (gs->nmetrics < 1 || gs->nmetrics > GRAPH_METRICS_MAX ||
	    paths == NULL)
		return (0);
	for (i = 0; i < gs->nmetrics; i++) {
		if ((p = paths[i]) == NULL || *p == '\0')
			return (0);
		for (; *p != '\0'; p++) {
			if (*p == ':' || (unsigned char)*p < 0x20 ||
			    *p == 0x7f)
				return (0);
		}
	}
	return (1);
}

int
graph_args(const struct graph_spec *gs, const char *const *paths,
    const char *rrdcached, char ***argv, void **mem)
{
	struct graph_buf	 gb;
	size_t			 ptrs;

	*argv = NULL;
	*mem = NULL;
	if (!graph_paths_ok(gs, paths))
		return (-1);
	memset(&gb, 0, sizeof(gb));
	graph_build(gs, paths, rrdcached, &gb);
	ptrs = (size_t)(gb.argc + 1) * sizeof(char *);
	gb.size = gb.used;
	gb.argv = xmalloc(ptrs + gb.size);
	gb.text = (char *)gb.argv + ptrs;
	gb.used = 0;
	gb.argc = 0;
	graph_build(gs, paths, rrdcached, &gb);
	gb.argv[gb.argc] = NULL;
	*argv = gb.argv;
	*mem = gb.argv;
	return (gb.argc);
}
