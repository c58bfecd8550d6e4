/*
 * totals.c - read a table of indicators by year into a history table.
 *
 * The office's own report is such a table: a first column of indicator
 * labels ("Số hợp tác xã", "Doanh thu bình quân (tỷ đồng)") and a column
 * per year, or the same turned round (a row per year, a column per
 * indicator).  Which way round is seen from where the years are.  A unit
 * in brackets after a label ("(tỷ đồng)", "(triệu đồng)") scales that
 * indicator's figures, digit-exact.  Each cell is a figure; an empty cell
 * or "-" is no figure, an unreadable one is a bad cell of its year (the
 * unit the guard counts).  Labels the map does not know are warned about
 * once and left out.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "history.h"
#include "text.h"
#include "totals.h"

#define TOTALS_YEARS_MAX	400

/* The table as read: every record's fields, copied. */
struct totals_grid {
	char		***cell;
	size_t		 *ncells;
	unsigned long	 *line;
	size_t		  n;
};

/* A parse in progress. */
struct totals_parse {
	const struct totals_map	*map;
	const struct csv_format	*fmt;
	struct history_table	*t;
	totals_report_cb	 report;
	void			*arg;
	int			 years[TOTALS_YEARS_MAX];
	size_t			 nyears;
	unsigned long		*seen;		/* line naming each metric */
};

/* indicator.METRIC = labels: the labels of a metric, replacing any. */
int
totals_map_set(struct totals_map *m, const char *metric, const char *labels)
{
	char	*v;
	size_t	 i;
	int	 rc;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->metric[i], metric) == 0)
			break;
	if (i == m->n) {
		m->metric = reallocarray(m->metric, m->n + 1,
		    sizeof(*m->metric));
		m->labels = reallocarray(m->labels, m->n + 1,
		    sizeof(*m->labels));
		m->nlabels = reallocarray(m->nlabels, m->n + 1,
		    sizeof(*m->nlabels));
		if (m->metric == NULL || m->labels == NULL ||
		    m->nlabels == NULL ||
		    (m->metric[i] = strdup(metric)) == NULL)
			return (-1);
		m->labels[i] = NULL;
		m->nlabels[i] = 0;
		m->n++;
	}
	csv_labels_free(&m->labels[i], &m->nlabels[i]);
	if ((v = text_nfc(labels)) == NULL)
		return (-1);
	rc = csv_labels_add(&m->labels[i], &m->nlabels[i], v);
	free(v);
	return (rc);
}

void
totals_map_free(struct totals_map *m)
{
	size_t	 i;

	for (i = 0; i < m->n; i++) {
		free(m->metric[i]);
		csv_labels_free(&m->labels[i], &m->nlabels[i]);
	}
	free(m->metric);
	free(m->labels);
	free(m->nlabels);
	memset(m, 0, sizeof(*m));
}

static void
totals_grid_free(struct totals_grid *g)
{
	size_t	 i, j;

	for (i = 0; i < g->n; i++) {
		for (j = 0; j < g->ncells[i]; j++)
			free(g->cell[i][j]);
		free(g->cell[i]);
	}
	free(g->cell);
	free(g->ncells);
	free(g->line);
	memset(g, 0, sizeof(*g));
}

/* Room for one more record; -1 without memory (the grid stays whole). */
static int
totals_grid_grow(struct totals_grid *g)
{
	char		***cell;
	size_t		 *ncells;
	unsigned long	 *line;

	if ((cell = reallocarray(g->cell, g->n + 1, sizeof(*cell))) == NULL)
		return (-1);
	g->cell = cell;
	if ((ncells = reallocarray(g->ncells, g->n + 1, sizeof(*ncells))) ==
	    NULL)
		return (-1);
	g->ncells = ncells;
	if ((line = reallocarray(g->line, g->n + 1, sizeof(*line))) == NULL)
		return (-1);
	g->line = line;
	return (0);
}

/* Reads every record; -1 (err set) on a malformed one or without memory. */
static int
totals_grid_read(struct totals_grid *g, const char *buf, size_t len,
    const struct csv_format *fmt, char *err, size_t errlen)
{
	struct csv	 c;
	char		 why[256];
	size_t		 i;
	int		 r, rc = 0;

	memset(g, 0, sizeof(*g));
	csv_init(&c, buf, len);
	c.sep = fmt->sep;
	while (rc == 0 && (r = csv_next(&c, why, sizeof(why))) != 0) {
		if (r == -1) {
			char	 loc[160];

			csv_where(fmt, c.rec_line, -1, loc, sizeof(loc));
			snprintf(err, errlen, "%s: %s", loc, why);
			rc = -1;
			break;
		}
		if (totals_grid_grow(g) == -1 ||
		    (g->cell[g->n] = calloc(c.nfields, sizeof(char *))) ==
		    NULL)
			goto nomem;
		g->ncells[g->n] = c.nfields;
		g->line[g->n] = c.rec_line;
		g->n++;
		for (i = 0; i < c.nfields; i++)
			if ((g->cell[g->n - 1][i] = strdup(c.field[i])) == NULL)
				goto nomem;
	}
	csv_free(&c);
	if (rc == -1)
		totals_grid_free(g);
	return (rc);
nomem:
	csv_free(&c);
	totals_grid_free(g);
	snprintf(err, errlen, "out of memory");
	return (-1);
}

/* The year a header or first cell names ("2021", "Năm 2021"); or 0. */
static int
totals_year(const char *s)
{
	unsigned long	 y;
	char		 buf[64];

	while (*s == ' ')
		s++;
	if (strncmp(s, "Năm ", strlen("Năm ")) == 0)
		s += strlen("Năm ");
	else if (strncmp(s, "năm ", strlen("năm ")) == 0)
		s += strlen("năm ");
	snprintf(buf, sizeof(buf), "%s", s);
	if (strlen(buf) > 6 || csv_count(buf, &y) == -1 || strchr(buf, '.') ||
	    strchr(buf, ',') || y < 1800 || y > 2200)
		return (0);
	return ((int)y);
}

/* 1 if cells from..n-1 of a record are all years. */
static int
totals_all_years(char *const *cells, size_t from, size_t n)
{
	size_t	 i;

	if (from >= n)
		return (0);
	for (i = from; i < n; i++)
		if (totals_year(cells[i]) == 0)
			return (0);
	return (1);
}

/*
 * Splits an indicator label into its name and the scale of its unit in
 * brackets: "Doanh thu bình quân (tỷ đồng)" -> "Doanh thu bình quân", "tỷ".
 */
static void
totals_label(const char *s, char *name, size_t len, const char **scale)
{
	char	*o;

	*scale = NULL;
	snprintf(name, len, "%s", s);
	if ((o = strrchr(name, '(')) == NULL || strchr(o, ')') == NULL)
		return;
	if (strstr(o, "tỷ") != NULL || strstr(o, "tỉ") != NULL)
		*scale = "tỷ";
	else if (strstr(o, "triệu") != NULL)
		*scale = "triệu";
	else if (strstr(o, "nghìn") != NULL || strstr(o, "ngàn") != NULL)
		*scale = "nghìn";
	*o = '\0';
}

/* The metric (index in the table) a label names; -1 if none. */
static int
totals_metric(const struct totals_parse *tp, const char *label)
{
	const struct totals_map	*m = tp->map;
	size_t			 i, j;

	for (i = 0; i < m->n; i++) {
		if (csv_label_eq(label, m->metric[i]))
			goto found;
		for (j = 0; j < m->nlabels[i]; j++)
			if (csv_label_eq(label, m->labels[i][j]))
				goto found;
	}
	return (-1);
found:
	for (j = 0; j < tp->t->nmetrics; j++)
		if (strcmp(tp->t->metric[j], m->metric[i]) == 0)
			return ((int)j);
	return (-1);
}

static void __attribute__((format(printf, 4, 5)))
totals_say(struct totals_parse *tp, unsigned long line, int skipped,
    const char *fmt, ...)
{
	char	 msg[HISTORY_WHY_MAX];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (tp->report != NULL)
		tp->report(tp->arg, line, skipped, msg);
}

/* Period index of a year, added (in order) if new; -1 if too many. */
static int
totals_period(struct totals_parse *tp, int year)
{
	size_t	 i;

	for (i = 0; i < tp->nyears; i++)
		if (tp->years[i] == year)
			return ((int)i);
	if (tp->nyears == TOTALS_YEARS_MAX)
		return (-1);
	tp->years[tp->nyears] = year;
	return ((int)tp->nyears++);
}

/*
 * One cell: the figure of metric m in period p, scaled by the label's
 * unit.  A bad cell counts against its year, with line and column.
 */
static void
totals_cell(struct totals_parse *tp, int m, int p, const char *cell,
    const char *scale, unsigned long line, size_t col, const char *header)
{
	struct history_quality	*q = &tp->t->quality[p];
	char			 buf[CSV_FIELD_MAX + 16], loc[160], at[32];
	double			 v;
	size_t			 np = tp->t->nperiods;

	if (csv_blank(cell) || strcmp(cell, "-") == 0 ||
	    strcmp(cell, "–") == 0)
		return;
	q->rows++;
	snprintf(buf, sizeof(buf), "%s%s%s", cell, scale ? " " : "",
	    scale ? scale : "");
	if (csv_number(buf, tp->fmt->dec, &v) == 0) {
		tp->t->value[(size_t)m * np + (size_t)p] = v;
		return;
	}
	csv_where(tp->fmt, line, (int)col, loc, sizeof(loc));
	csv_column(tp->fmt, line, (int)col, at, sizeof(at));
	if (q->bad++ == 0 && snprintf(q->why, sizeof(q->why), "%s '%s': "
	    "'%s' is not a number with decimal mark '%c'", loc, header, cell,
	    tp->fmt->dec) < 0)
		q->why[0] = '\0';
	totals_say(tp, line, 1, "%s '%s': '%s' is not a number with "
	    "decimal mark '%c'", at, header, cell, tp->fmt->dec);
}

/*
 * The metric a label names, once: a second row (or column) naming the
 * same metric is warned about and left out.  -1 if none or a repeat.
 */
static int
totals_metric_once(struct totals_parse *tp, const char *name,
    unsigned long line, unsigned long where, const char *what)
{
	int	 m;

	if ((m = totals_metric(tp, name)) == -1) {
		totals_say(tp, line, 0, "indicator '%s' is not mapped to a "
		    "metric (set indicator.METRIC = %s); %s left out", name,
		    name, what);
		return (-1);
	}
	if (tp->seen[m] != 0) {
		totals_say(tp, line, 0, "indicator '%s' names %s, as %s %lu "
		    "does; %s left out", name, tp->t->metric[m],
		    strcmp(what, "row") == 0 ? "line" : "column",
		    tp->seen[m], what);
		return (-1);
	}
	tp->seen[m] = where;
	return (m);
}

/* Years as columns: a header of years, a row per indicator. */
static void
totals_by_columns(struct totals_parse *tp, const struct totals_grid *g)
{
	char		 name[CSV_FIELD_MAX + 1];
	const char	*scale;
	size_t		 r, i;
	int		 m;

	for (r = 1; r < g->n; r++) {
		if (g->ncells[r] == 0 || csv_blank(g->cell[r][0]))
			continue;
		totals_label(g->cell[r][0], name, sizeof(name), &scale);
		if ((m = totals_metric_once(tp, name, g->line[r], g->line[r],
		    "row")) == -1)
			continue;
		for (i = 1; i < g->ncells[r] && i < g->ncells[0]; i++)
			totals_cell(tp, m, (int)(i - 1), g->cell[r][i], scale,
			    g->line[r], i, g->cell[0][i]);
	}
}

/* Years as rows: a header of indicators, a row per year. */
static void
totals_by_rows(struct totals_parse *tp, const struct totals_grid *g,
    const int *periods)
{
	char		 name[CSV_FIELD_MAX + 1];
	const char	*scale;
	size_t		 r, i;
	int		 m;

	for (i = 1; i < g->ncells[0]; i++) {
		totals_label(g->cell[0][i], name, sizeof(name), &scale);
		if ((m = totals_metric_once(tp, name, g->line[0], i + 1,
		    "column")) == -1)
			continue;
		for (r = 1; r < g->n; r++)
			if (periods[r] >= 0 && i < g->ncells[r])
				totals_cell(tp, m, periods[r], g->cell[r][i],
				    scale, g->line[r], i, g->cell[0][i]);
	}
}

/* Sorts the table's periods by year (they were made in file order). */
static void
totals_sort(struct totals_parse *tp)
{
	struct history_table	*t = tp->t;
	struct history_quality	 q;
	size_t			 i, j, m, np = t->nperiods;
	double			 v;
	int			 y;

	for (i = 1; i < tp->nyears; i++)
		for (j = i; j > 0 && tp->years[j - 1] > tp->years[j]; j--) {
			y = tp->years[j];
			tp->years[j] = tp->years[j - 1];
			tp->years[j - 1] = y;
			q = t->quality[j];
			t->quality[j] = t->quality[j - 1];
			t->quality[j - 1] = q;
			for (m = 0; m < t->nmetrics; m++) {
				v = t->value[m * np + j];
				t->value[m * np + j] = t->value[m * np + j - 1];
				t->value[m * np + j - 1] = v;
			}
		}
}

/* Finds the years: header or first column; -1 (err set) if neither. */
static int
totals_orient(struct totals_parse *tp, const struct totals_grid *g,
    int **periods, char *err, size_t errlen)
{
	struct csv	 hc;
	size_t		 r, i;
	int		 p, rows = 1;
	char		 hint[1024];

	if ((*periods = calloc(g->n + 1, sizeof(**periods))) == NULL)
		return (-1);
	if (totals_all_years(g->cell[0], 1, g->ncells[0])) {
		for (i = 1; i < g->ncells[0]; i++)
			if (totals_period(tp, totals_year(g->cell[0][i])) !=
			    (int)i - 1) {
				csv_where(tp->fmt, g->line[0], -1, hint,
				    sizeof(hint));
				snprintf(err, errlen, "%s: year '%s' "
				    "appears twice in the header", hint,
				    g->cell[0][i]);
				return (-1);
			}
		return (0);	/* years as columns */
	}
	for (r = 1; r < g->n; r++)
		rows &= g->ncells[r] > 0 && (csv_blank(g->cell[r][0]) ||
		    totals_year(g->cell[r][0]) != 0);
	if (g->n < 2 || !rows) {
		memset(&hc, 0, sizeof(hc));
		hc.nfields = g->ncells[0] < CSV_FIELDS_MAX ? g->ncells[0] :
		    CSV_FIELDS_MAX;
		for (i = 0; i < hc.nfields; i++)
			hc.field[i] = g->cell[0][i];
		char	 loc[160];

		csv_header_hint(&hc, tp->fmt, hint, sizeof(hint));
		csv_where(tp->fmt, g->line[0], -1, loc, sizeof(loc));
		snprintf(err, errlen, "%s: a totals table has years "
		    "after the first header cell (Chỉ tiêu;2020;2021) or in "
		    "the first column of every row; %s", loc, hint);
		return (-1);
	}
	for (r = 1; r < g->n; r++) {
		(*periods)[r] = -1;
		if (csv_blank(g->cell[r][0]))
			continue;
		if ((p = totals_period(tp, totals_year(g->cell[r][0]))) == -1)
			return (-1);
		(*periods)[r] = p;
	}
	return (1);	/* years as rows */
}

/*
 * Reads a totals table into t, whose metrics (nmetrics names) are the
 * plugin's: one period per year, ending 1 January of the next year.  -1
 * (err set, t empty) if the table cannot be read at all.
 */
int
totals_parse(const struct totals_map *map, char *const *metrics,
    size_t nmetrics, const char *buf, size_t len,
    const struct csv_format *fmt, struct history_table *t,
    totals_report_cb report, void *arg, char *err, size_t errlen)
{
	struct totals_parse	 tp;
	struct totals_grid	 g;
	int			*periods = NULL, orient;
	size_t			 i, np;
	long			 days;

	memset(&tp, 0, sizeof(tp));
	memset(t, 0, sizeof(*t));
	tp.map = map;
	tp.fmt = fmt;
	tp.report = report;
	tp.arg = arg;
	tp.t = t;
	if (totals_grid_read(&g, buf, len, fmt, err, errlen) == -1)
		return (-1);
	if (g.n == 0) {
		csv_where(fmt, 1, -1, err, errlen);
		snprintf(err + strlen(err), errlen - strlen(err), ": no header "
		    "(empty %s)", fmt->sheet[0] != '\0' ? "sheet" : "file");
		goto fail;
	}
	np = g.ncells[0] > g.n ? g.ncells[0] : g.n;
	if (history_table_init(t, nmetrics, np) == -1)
		goto nomem;
	for (i = 0; i < nmetrics; i++)
		if ((t->metric[i] = strdup(metrics[i])) == NULL)
			goto nomem;
	if ((tp.seen = calloc(nmetrics + 1, sizeof(*tp.seen))) == NULL)
		goto nomem;
	if ((orient = totals_orient(&tp, &g, &periods, err, errlen)) == -1)
		goto fail;
	if (orient == 0)
		totals_by_columns(&tp, &g);
	else
		totals_by_rows(&tp, &g, periods);
	totals_sort(&tp);
	/* Shrink to the years found: values are metric-major. */
	for (i = 0; i < nmetrics; i++)
		memmove(t->value + i * tp.nyears, t->value + i * np,
		    tp.nyears * sizeof(*t->value));
	t->nperiods = tp.nyears;
	t->yearly = 1;
	for (i = 0; i < tp.nyears; i++) {
		if (csv_days(tp.years[i] + 1, 1, 1, &days) == -1)
			goto fail;
		t->when[i] = (time_t)days * 86400;
		t->keep[i] = t->quality[i].bad > 0;
	}
	free(periods);
	free(tp.seen);
	totals_grid_free(&g);
	return (0);
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	free(periods);
	free(tp.seen);
	totals_grid_free(&g);
	history_table_free(t);
	return (-1);
}
