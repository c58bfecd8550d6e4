/*
 * fuzz_graph.c - libFuzzer target for GRAPH specs.  The input is the text
 * after "GRAPH "; a spec that parses is turned into rrd_graph arguments,
 * and each argument is checked the way librrd 1.7 will read it: options
 * where options belong, and every drawing element split at its unescaped
 * colons into exactly the fields we meant, the legend last and, once
 * unescaped, equal to the label.  Build: make fuzz.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

#define NOW	((time_t)1700000000)
#define FIELDS	8

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const paths[GRAPH_METRICS_MAX] = {
	"/d/a.rrd", "/d/b.rrd", "/d/c.rrd", "/d/d.rrd", "/d/e.rrd",
	"/d/f.rrd", "/d/g.rrd", "/d/h.rrd"
};

/*
 * Split like librrd's parseArguments: "\:" is a literal colon, any other
 * colon ends a field.  Returns the number of fields (copies in f).
 */
static int
rrd_split(const char *s, char f[FIELDS][1024])
{
	int	 n = 0;
	size_t	 o = 0;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == ':')
			s++;
		else if (*s == ':') {
			f[n][o] = '\0';
			if (++n == FIELDS)
				abort();
			o = 0;
			continue;
		}
		if (o + 1 >= 1024)
			abort();
		f[n][o++] = *s;
	}
	f[n][o] = '\0';
	return (n + 1);
}

/* A drawing element: "ELEM", "vname#color", [flag], "legend=TEXT". */
static void
check_element(const char *arg, const char *text, int compare)
{
	char	 f[FIELDS][1024];
	size_t	 n, tl = strlen(text);
	int	 nf;

	nf = rrd_split(arg, f);
	if (nf != (compare ? 4 : 3) || strncmp(f[nf - 1], "legend=", 7) != 0)
		abort();
	if (compare && strcmp(f[2], "dashes") != 0)
		abort();
	if (strchr(f[1], '=') != NULL || strchr(f[0], '=') != NULL)
		abort();
	/* librrd strips a final "\X" control code; "\." is ours. */
	n = strlen(f[nf - 1] + 7);
	if (n >= 2 && f[nf - 1][7 + n - 2] == '\\') {
		if (f[nf - 1][7 + n - 1] != '.')
			abort();
		f[nf - 1][7 + n - 2] = '\0';
	}
	if (strncmp(f[nf - 1] + 7, text, tl) != 0 ||
	    (!compare && f[nf - 1][7 + tl] != '\0'))
		abort();
}

static void
check_args(const struct graph_spec *gs, int argc, char **argv)
{
	const char	*text;
	int		 i, opts, want, scaled;

	/* graph - and five option, value pairs (values never start with -) */
	if (argc < 12 || strcmp(argv[1], "-") != 0)
		abort();
	for (i = 2; i < 12; i += 2) {
		if (strncmp(argv[i], "--", 2) != 0 || argv[i + 1][0] == '-')
			abort();
	}
	opts = 12;
	if (gs->title[0] != '\0') {
		if (argc < 14 || strcmp(argv[12], "--title") != 0 ||
		    strcmp(argv[13], gs->title) != 0)
			abort();
		opts = 14;
	}
	if (argc < opts + 3 || strcmp(argv[opts], "--full-size-mode") != 0 ||
	    strcmp(argv[opts + 1], "--slope-mode") != 0 ||
	    strcmp(argv[opts + 2], "--disable-rrdtool-tag") != 0)
		abort();
	opts += 3;
	/* years are labelled from three years on */
	if (gs->end - gs->start >= 3 * 365 * 86400L) {
		if (argc < opts + 2 || strcmp(argv[opts], "--x-grid") != 0 ||
		    strncmp(argv[opts + 1], "YEAR:", 5) != 0)
			abort();
		opts += 2;
	}
	/* unit=: three option pairs, each value ours (no leading '-') */
	if (gs->unit != GRAPH_UNIT_AUTO) {
		if (argc < opts + 6 ||
		    strcmp(argv[opts], "--units-exponent") != 0 ||
		    strcmp(argv[opts + 1], "0") != 0 ||
		    strcmp(argv[opts + 2], "--left-axis-format") != 0 ||
		    strncmp(argv[opts + 3], "%lg", 3) != 0 ||
		    strcmp(argv[opts + 4], "--units-length") != 0 ||
		    atoi(argv[opts + 5]) < 8)
			abort();
		opts += 6;
	}
	scaled = gs->unit == GRAPH_UNIT_TY || gs->unit == GRAPH_UNIT_TRIEU ||
	    gs->unit == GRAPH_UNIT_NGHIN;
	want = opts + (scaled ? 3 : 2) * gs->nmetrics +
	    (gs->compare ? (scaled ? 4 : 3) * gs->nmetrics : 0);
	if (argc != want || argv[argc] != NULL)
		abort();
	for (i = opts; i < argc; i++) {
		if (argv[i][0] == '-' || strchr(argv[i], '\n') != NULL)
			abort();
	}
	for (i = 0; i < gs->nmetrics; i++) {
		text = gs->label[i][0] != '\0' ? gs->label[i] : gs->metric[i];
		check_element(argv[argc - (gs->compare ? 2 : 1) *
		    gs->nmetrics + i], text, 0);
		if (gs->compare)
			check_element(argv[argc - gs->nmetrics + i], text, 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_req	*req;
	struct proto_error	 err;
	struct graph_spec	 gs;
	char			*buf, key[GRAPH_KEY_MAX], **argv;
	void			*mem;
	int			 argc;

	if (size > 8192 || (req = malloc(sizeof(*req))) == NULL)
		return (0);
	if ((buf = malloc(size + 7)) == NULL) {
		free(req);
		return (0);
	}
	memcpy(buf, "GRAPH ", 6);
	memcpy(buf + 6, data, size);
	buf[size + 6] = '\0';
	if (proto_parse(buf, size + 6, req, &err) == 0 &&
	    req->entry->cmd == PROTO_GRAPH &&
	    graph_spec_parse(req, NOW, &gs, &err) == 0) {
		graph_spec_key(&gs, key, sizeof(key));
		if (strlen(key) >= sizeof(key) - 1)
			abort();
		if ((argc = graph_args(&gs, paths, NULL, &argv, &mem)) < 0)
			abort();
		check_args(&gs, argc, argv);
		free(mem);
	} else if ((unsigned)err.code >= PERR__MAX)
		abort();
	free(buf);
	free(req);
	return (0);
}
