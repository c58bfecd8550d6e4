/*
 * graph.h - GRAPH specs: a small whitelist of fields, validated, turned
 * into rrd_graph arguments by code.  Pure (no librrd calls) so it is
 * unit-tested and fuzzed alone; query.c renders.
 *
 * Spec words are key=value (values may be quoted, see proto_parse):
 *	metric=NAME	up to GRAPH_METRICS_MAX, in drawing order (required)
 *	start=TIME end=TIME	as proto_time; default -1d and now
 *	width=N height=N	canvas pixels: GRAPH_WIDTH_MIN..GRAPH_WIDTH_MAX
 *			by GRAPH_HEIGHT_MIN..GRAPH_HEIGHT_MAX; default 600x200
 *	title="TEXT"	UTF-8, printable, at most GRAPH_TITLE_MAX bytes
 *	format=png|svg	default png
 *	cf=AVERAGE|MIN|MAX|LAST	default AVERAGE
 *	style=line|area|stack	default line
 *	compare=DURATION	overlay the same span shifted back (7d, 1y);
 *			less than 100 years
 *	label=TEXT	legend of the metric before it (optional, once per
 *			metric; UTF-8, printable, at most GRAPH_LABEL_MAX bytes)
 *	unit=ty|trieu|nghin|pct|plain	how the value axis is written
 *			(vi-VN words, not rrdtool's SI k/M/G): values divided
 *			by 10^9, 10^6 or 10^3 and labelled "1,8 tỷ", "25
 *			triệu", "120 nghìn"; "0,68 %"; plain numbers.  Default:
 *			rrdtool's own axis
 *
 * Keys are lowercase; every key but metric and label may appear once.
 * Text is refused if it is not valid UTF-8 (overlong forms and surrogates
 * included) or holds a control character (C0, DEL, C1).  librrd refuses
 * data before 1980, so start (and start - compare) must not be earlier
 * than GRAPH_START_MIN.  Errors: PERR_ARGS (keys, sizes, text), PERR_TIME
 * (times, durations, start >= end), PERR_NAME (metric names).
 */
#ifndef TALLY_GRAPH_H
#define TALLY_GRAPH_H

#include <time.h>

#include "proto.h"

#define GRAPH_METRICS_MAX	8
#define GRAPH_NAME_MAX		258	/* >= NAMES_SERIES_MAX, checked */
#define GRAPH_WIDTH_MIN		100
#define GRAPH_WIDTH_MAX		3000
#define GRAPH_WIDTH_DEFAULT	600
#define GRAPH_HEIGHT_MIN	50
#define GRAPH_HEIGHT_MAX	2000
#define GRAPH_HEIGHT_DEFAULT	200
#define GRAPH_TITLE_MAX		200
#define GRAPH_LABEL_MAX		64
#define GRAPH_START_MIN		315360000L	/* 1979-12-30: librrd's floor */
#define GRAPH_COMPARE_MAX	(100L * 365 * 86400)	/* exclusive */
#define GRAPH_KEY_MAX		4096	/* graph_spec_key never needs more */

enum graph_format { GRAPH_PNG, GRAPH_SVG };
enum graph_style { GRAPH_LINE, GRAPH_AREA, GRAPH_STACK };
enum graph_unit { GRAPH_UNIT_AUTO, GRAPH_UNIT_TY, GRAPH_UNIT_TRIEU,
	GRAPH_UNIT_NGHIN, GRAPH_UNIT_PCT, GRAPH_UNIT_PLAIN };

struct graph_spec {
	char		 metric[GRAPH_METRICS_MAX][GRAPH_NAME_MAX + 1];
	char		 label[GRAPH_METRICS_MAX][GRAPH_LABEL_MAX + 1];
	int		 nmetrics;
	time_t		 start, end;
	int		 width, height;
	char		 title[GRAPH_TITLE_MAX + 1];
	enum graph_format format;
	char		 cf[8];
	enum graph_style style;
	long		 compare;	/* seconds back; 0 = none */
	enum graph_unit	 unit;		/* AUTO: rrdtool's SI axis */
};

/* Parse and validate req's words (after GRAPH).  0, or -1 with err. */
int	graph_spec_parse(const struct proto_req *, time_t now,
	    struct graph_spec *, struct proto_error *err);
/* The same from keys and values already apart (HTTP's parameters). */
int	graph_spec_parse_pairs(const char *const *keys,
	    const char *const *values, int n, time_t now, struct graph_spec *,
	    struct proto_error *err);
/*
 * The canonical text of a spec: the render cache's key.  Fields come in a
 * fixed order whatever the order of the words, so equal specs give equal
 * keys; a buf of GRAPH_KEY_MAX bytes always holds the whole key.
 */
void	graph_spec_key(const struct graph_spec *, char *buf, size_t len);

/*
 * rrd_graph arguments for a spec whose metric i is stored in paths[i]
 * (absolute, produced by names_series_path, so safe).  Output goes to "-" (in
 * memory).  rrdcached, if not NULL, is passed with --daemon; if NULL,
 * librrd still honours RRDCACHED_ADDRESS from the environment.  Returns
 * argc and fills argv (NULL-terminated) with strings allocated in one
 * block *mem (free it).  Returns -1 (nothing allocated) if the spec has no
 * metric or a path is empty, holds ':' (DEF syntax) or a control byte.
 *
 * Labels become "legend=" fields, the last of their element: ':' is
 * escaped as "\:", and "\." is appended when the text ends in a backslash
 * and a byte, so rrdtool never reads a trailing "\X" as a legend control
 * code.  No client text reaches any other place.
 */
int	graph_args(const struct graph_spec *, const char *const *paths,
	    const char *rrdcached, char ***argv, void **mem);

#endif
