/*
 * report.c - the annual report: indicators by year, each with its change
 * against the year before, as the Alliance's office prepares it.
 *
 * A yearly figure of year Y is stored at the instant Y ends, 1 January
 * Y+1 00:00 UTC (docs/COOP.md), so on the daily LAST archive the row
 * stamped that instant holds Y's figure exactly.  The report reads one
 * FETCH per indicator through query.c (off the loop, after a flush),
 * one after the other, and labels each figure by its year.  Indicators
 * and their labels come from [report], or by default from every coop and
 * yearly creditfund instance of the config.
 *
 * DESIGN
 * The loop owns the indicators and every report being read.  Rendering
 * (an XLSX goes through a temporary file) runs on the one thread of
 * report_pool: a report_job passes to it with work_submit and comes back
 * at its done, nobody touching it in between.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <xlsxwriter.h>

#ifndef MAX
#define MAX(a, b)	((a) > (b) ? (a) : (b))
#endif

#include "compat.h"
#include "config.h"
#include "labels.h"
#include "names.h"
#include "plugin.h"
#include "proto.h"
#include "query.h"
#include "report.h"
#include "series.h"
#include "work.h"
#include "xmalloc.h"

/*
 * Built-in indicators of a plugin's instance, in report order; their
 * labels are the series' labels (labels.c), one table for everyone.
 */
static const char *const report_coop[] = {
	"cooperatives.active", "members", "founded", "dissolved",
	"cooperatives.active.agriculture", "cooperatives.active.industry",
	"groups", "groups.farming", "unions", "revenue.avg",
	"revenue.avg.agriculture", "profit.avg", "profit.avg.agriculture"
};

static const char *const report_creditfund[] = {
	"funds.reporting", "funds.profit", "funds.loss", "profit.total",
	"assets.total", "loans.total", "roa", "baddebt"
};

#define REPORT_IND_MAX		64	/* indicators of [report] */
#define REPORT_LABEL_MAX	160	/* bytes of a label */

/*
 * [report]: SERIES = label lines, in file order.  Inline arrays: a single
 * section is freed whole by config.c, with no callback.
 */
struct report_conf {
	size_t		 n;
	struct {
		char	 series[NAMES_SERIES_MAX + 1];
		char	 label[REPORT_LABEL_MAX + 1];
		int	 line;
	}		 ind[REPORT_IND_MAX];
};

static int	report_conf_value(struct config_parse *, void *, const char *,
		    const char *);

const struct config_section report_section = {
	.word = "report", .minw = 1, .maxw = 1, .usage = "[report]",
	.head = "[report]\n# SERIES = label: the annual report's indicators, "
	"in this order;\n# without the section, the main figures of every "
	"coop and yearly\n# creditfund instance",
	.value = report_conf_value, .size = sizeof(struct report_conf)
};

/* An indicator line of [report]: its series and label, checked. */
static int
report_conf_value(struct config_parse *p, void *base, const char *key,
    const char *value)
{
	struct report_conf	*rc = base;
	size_t			 i;

	if (!names_series_valid(key) || *value == '\0' ||
	    strlen(value) > REPORT_LABEL_MAX) {
		config_perr(p, config_line(p), "bad indicator '%s = %s' in "
		    "[report]: use SERIES = label, SERIES a metric name "
		    "(plugin.instance.metric), the label at most %d bytes",
		    key, value, REPORT_LABEL_MAX);
		return (0);
	}
	for (i = 0; i < rc->n; i++)
		if (strcmp(rc->ind[i].series, key) == 0) {
			config_perr(p, config_line(p), "duplicate indicator "
			    "'%s' in [report] (first at line %d)", key,
			    rc->ind[i].line);
			return (0);
		}
	if (rc->n == REPORT_IND_MAX) {
		config_perr(p, config_line(p), "at most %d indicators in "
		    "[report]", REPORT_IND_MAX);
		return (0);
	}
	snprintf(rc->ind[rc->n].series, sizeof(rc->ind[rc->n].series), "%s",
	    key);
	snprintf(rc->ind[rc->n].label, sizeof(rc->ind[rc->n].label), "%s",
	    value);
	rc->ind[rc->n++].line = config_line(p);
	return (0);
}

/* The indicators in force; the loop's. */
static struct report_ind	*report_ind;
static size_t			 report_nind;
static int			 report_configured;	/* from [report] */

/* A report being read (one FETCH at a time), then rendered. */
struct report_job {
	struct work_job		 wj;		/* first: the pool's handle */
	struct report		*r;
	size_t			 next;
	enum report_format	 format;
	report_cb		 cb;
	void			*arg;
	struct evbuffer		*out;
	const char		*mime;
	int			 failed;
	char			 err[256];
};

static struct work_pool		*report_pool;

static void	report_next(struct report_job *);

static void
report_ind_add(const char *series, const char *label)
{
	report_ind = xreallocarray(report_ind, report_nind + 1,
	    sizeof(*report_ind));
	report_ind[report_nind].series = xstrdup(series);
	report_ind[report_nind++].label = xstrdup(label);
}

static void
report_ind_clear(void)
{
	size_t	 i;

	for (i = 0; i < report_nind; i++) {
		free(report_ind[i].series);
		free(report_ind[i].label);
	}
	free(report_ind);
	report_ind = NULL;
	report_nind = 0;
}

/* 1 if a creditfund instance reads years (period = year, the default). */
static int
report_yearly(const struct plugin_conf *pc)
{
	size_t	 i;

	for (i = 0; i < pc->nopts; i++)
		if (strcmp(pc->opts[i].key, "period") == 0)
			return (strcmp(pc->opts[i].value, "year") == 0);
	return (1);
}

/* Takes the indicators of a config: [report], or the built-in ones. */
void
report_set_config(const struct config *cf)
{
	const struct report_conf	*rc = config_single(cf, &report_section);
	const struct plugin_conf	*pc;
	struct config_item		*it;
	char				 name[NAMES_SERIES_MAX + 1];
	const char			*label;
	size_t				 i, n;
	const char *const		*def;

	report_ind_clear();
	report_configured = rc != NULL && rc->n > 0;
	for (i = 0; report_configured && i < rc->n; i++)
		report_ind_add(rc->ind[i].series, rc->ind[i].label);
	if (report_configured)
		return;
	CONFIG_FOREACH(it, cf, &plugin_section) {
		pc = config_data(it);
		if (strcmp(pc->plugin, "coop") == 0) {
			def = report_coop;
			n = sizeof(report_coop) / sizeof(report_coop[0]);
		} else if (strcmp(pc->plugin, "creditfund") == 0 &&
		    report_yearly(pc)) {
			def = report_creditfund;
			n = sizeof(report_creditfund) /
			    sizeof(report_creditfund[0]);
		} else
			continue;
		for (i = 0; i < n; i++) {
			snprintf(name, sizeof(name), "%s.%s.%s", pc->plugin,
			    pc->instance, def[i]);
			label = labels_get(name, NULL);
			report_ind_add(name, label != NULL ? label : def[i]);
		}
	}
}

/* A year argument: 1800..2200. */
static int
report_year(const char *s, int *y)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 1800 || v > 2200)
		return (-1);
	*y = (int)v;
	return (0);
}

/*
 * The years of a report from its arguments (NULL: by default the ten
 * years up to last year); -1 with a reason.
 */
int
report_years(const char *from, const char *to, int *f, int *t, char *err,
    size_t errlen)
{
	struct tm	 tm;
	time_t		 now = time(NULL);

	gmtime_r(&now, &tm);
	*t = tm.tm_year + 1900 - 1;
	if (to != NULL && report_year(to, t) == -1) {
		snprintf(err, errlen, "to: a year, 1800-2200");
		return (-1);
	}
	*f = *t - 9;
	if (from != NULL && report_year(from, f) == -1) {
		snprintf(err, errlen, "from: a year, 1800-2200");
		return (-1);
	}
	if (to == NULL && from != NULL && *t < *f)
		*t = *f;
	if (*f > *t || *t - *f + 1 > REPORT_YEARS_MAX) {
		snprintf(err, errlen, "from must not be after to, and a report "
		    "covers at most %d years", REPORT_YEARS_MAX);
		return (-1);
	}
	return (0);
}

/* 1 January of a year, 00:00 UTC, without timegm. */
static time_t
report_jan1(int y)
{
	long	 yy = y - 1;

	return ((time_t)(yy * 365 + yy / 4 - yy / 100 + yy / 400 - 719162) *
	    86400);
}

void
report_free(struct report *r)
{
	size_t	 i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nind; i++) {
		free(r->ind[i].series);
		free(r->ind[i].label);
	}
	free(r->ind);
	free(r->value);
	free(r);
}

/* The figure of indicator i in year y (from - 1 .. to), or NAN. */
double
report_value(const struct report *r, size_t i, int y)
{
	if (y < r->from - 1 || y > r->to)
		return (NAN);
	return (r->value[i * (r->nyears + 1) + (size_t)(y - r->from + 1)]);
}

/* Picks the year-end rows of one indicator out of its FETCH. */
static void
report_fetch_done(const struct query_result *res, void *arg)
{
	struct report_job	*j = arg;
	struct report		*r = j->r;
	double			*v = r->value + j->next * (r->nyears + 1);
	long long		 off;
	size_t			 k;

	for (k = 0; !res->error && k <= r->nyears; k++) {
		off = (long long)(report_jan1(r->from + (int)k) - res->start);
		if (res->step == 0 || off <= 0 || off % (long long)res->step)
			continue;
		off = off / (long long)res->step - 1;
		if (off >= 0 && (size_t)off < res->nrows)
			v[k] = res->rows[off];
	}
	j->next++;
	report_next(j);
}

void
report_init(struct event_base *base)
{
	report_pool = work_pool_new(base, "report", 1);
}

/* After query_shutdown: its completions may still start renders. */
void
report_shutdown(void)
{
	if (report_pool == NULL)
		return;
	work_drain(report_pool, 5000);
	work_pool_free(report_pool);
	report_pool = NULL;
}

/* Worker: renders the report; owns the job until its done. */
static void
report_render_run(struct work_job *wj)
{
	struct report_job	*j = (struct report_job *)wj;

	j->out = evbuffer_new();
	j->failed = j->out == NULL || report_render(j->r, j->format, j->out,
	    &j->mime, j->err, sizeof(j->err)) == -1;
}

/* Loop: hands the rendered report over. */
static void
report_render_done(struct work_job *wj)
{
	struct report_job	*j = (struct report_job *)wj;

	j->cb(j->r, j->failed ? NULL : j->out, j->mime, j->failed ?
	    j->err : NULL, j->arg);
	if (j->out != NULL)
		evbuffer_free(j->out);
	free(j);
}

/* Reads the next indicator, or renders the finished report. */
static void
report_next(struct report_job *j)
{
	struct proto_fetch	 f;
	struct report		*r = j->r;

	if (j->next == r->nind && (j->format == REPORT_RAW ||
	    report_pool == NULL)) {
		j->mime = NULL;
		if (j->format != REPORT_RAW)
			snprintf(j->err, sizeof(j->err), "shutting down");
		j->cb(r, NULL, NULL, j->format != REPORT_RAW ? j->err : NULL,
		    j->arg);
		free(j);
		return;
	}
	if (j->next == r->nind) {
		j->wj.run = report_render_run;
		j->wj.done = report_render_done;
		work_submit(report_pool, &j->wj);
		return;
	}
	memset(&f, 0, sizeof(f));
	f.metric = r->ind[j->next].series;
	f.start = report_jan1(r->from) - 2 * 86400;
	f.end = report_jan1(r->to + 1);
	snprintf(f.cf, sizeof(f.cf), "LAST");
	f.resolution = 86400;
	query_fetch(&f, NULL, report_fetch_done, j);
}

/*
 * Reads the report of years from..to, renders it in a format and calls
 * cb on the loop.  Built-in indicators whose series does not exist (yet)
 * are left out; configured ones stay, empty.
 */
void
report_run(int from, int to, enum report_format format, report_cb cb,
    void *arg)
{
	struct report_job	*j = xcalloc(1, sizeof(*j));
	struct report		*r = xcalloc(1, sizeof(*r));
	size_t			 i, k;

	r->from = from;
	r->to = to;
	r->nyears = (size_t)(to - from + 1);
	r->ind = xcalloc(report_nind + 1, sizeof(*r->ind));
	for (i = 0; i < report_nind; i++) {
		if (!report_configured &&
		    series_find(report_ind[i].series) == NULL)
			continue;
		r->ind[r->nind].series = xstrdup(report_ind[i].series);
		r->ind[r->nind++].label = xstrdup(report_ind[i].label);
	}
	r->value = xcalloc(r->nind * (r->nyears + 1) + 1, sizeof(*r->value));
	for (k = 0; k < r->nind * (r->nyears + 1); k++)
		r->value[k] = NAN;
	j->r = r;
	j->format = format;
	j->cb = cb;
	j->arg = arg;
	if (r->nind == 0) {
		cb(r, NULL, NULL, "no indicators: no coop or yearly creditfund "
		    "instance has figures, and [report] names none", arg);
		free(j);
		return;
	}
	report_next(j);
}

int
report_format_parse(const char *s, enum report_format *f)
{
	if (s == NULL || strcmp(s, "text") == 0)
		*f = REPORT_TEXT;
	else if (strcmp(s, "csv") == 0)
		*f = REPORT_CSV;
	else if (strcmp(s, "xlsx") == 0)
		*f = REPORT_XLSX;
	else
		return (-1);
	return (0);
}

/*
 * A figure as a machine reads it: a whole number exactly ("565874",
 * "500771107192": the float noise of a sum is rounded off), else the
 * shortest decimal of 15 significant digits.
 */
void
report_number(char *buf, size_t len, double v)
{
	double	 r = nearbyint(v);

	if (fabs(v) < 9007199254740992.0 && fabs(v - r) <= 1e-6 *
	    fmax(1, fabs(v)) && fabs(v - r) < 0.001)
		snprintf(buf, len, "%.0f", r == 0 ? 0 : r);
	else
		snprintf(buf, len, "%.15g", v);
}

/*
 * The same for a person in Vietnam: "565.874", "0,68", "-1.235" (figures
 * of 100 or more to the unit, smaller ones to two decimals).
 */
static void
report_number_vi(char *buf, size_t len, double v, int sign)
{
	char	 raw[64], *dot, *p;
	size_t	 digits, i, o = 0;

	/* A person reads whole units of big figures, two decimals of small. */
	if (fabs(v) >= 100)
		v = nearbyint(v);
	else
		v = nearbyint(v * 100) / 100;
	report_number(raw, sizeof(raw), v);
	p = raw;
	if (*p == '-')
		buf[o++] = *p++;
	else if (sign && v != 0)
		buf[o++] = '+';
	dot = strchr(p, '.');
	digits = dot != NULL ? (size_t)(dot - p) : strlen(p);
	for (i = 0; i < digits && o + 2 < len; i++) {
		if (i > 0 && (digits - i) % 3 == 0)
			buf[o++] = '.';
		buf[o++] = p[i];
	}
	if (dot != NULL)
		for (buf[o++] = ','; dot[1] != '\0' && o + 1 < len; dot++)
			buf[o++] = dot[1];
	buf[o] = '\0';
}

/* Change of indicator i in year y against y - 1: 1 if there is one. */
static int
report_change(const struct report *r, size_t i, int y, double *abs,
    double *pct)
{
	double	 a = report_value(r, i, y - 1), b = report_value(r, i, y);

	if (isnan(a) || isnan(b))
		return (0);
	*abs = b - a;
	*pct = a != 0 ? 100 * (b - a) / fabs(a) : NAN;
	return (1);
}

/* The three rows of an indicator: its figures, change, change in %. */
static const char *const report_measure[] = {
	"Giá trị", "Thay đổi so với năm trước",
	"Thay đổi so với năm trước (%)"
};

/* Cell (row of measure m of indicator i, year y) as a number; 0: empty. */
static int
report_cell(const struct report *r, size_t i, int m, int y, double *v)
{
	double	 abs, pct;

	if (m == 0) {
		*v = report_value(r, i, y);
		return (!isnan(*v));
	}
	if (!report_change(r, i, y, &abs, &pct))
		return (0);
	*v = m == 1 ? abs : pct;
	if (m == 2)		/* one decimal, as a report prints it */
		*v = nearbyint(*v * 10) / 10;
	return (!isnan(*v));
}

/*
 * A cell as the CSV and the spreadsheet hold it: figures of 1000 or more
 * to two decimals (an average in đồng), smaller ones to six, so both
 * formats carry the same number (a spreadsheet keeps 15 digits).
 */
static int
report_cell_rounded(const struct report *r, size_t i, int m, int y,
    double *v)
{
	double	 k;

	if (!report_cell(r, i, m, y, v))
		return (0);
	k = fabs(*v) >= 1000 ? 100 : 1e6;
	if (*v != nearbyint(*v))
		*v = nearbyint(*v * k) / k;
	return (1);
}

/* A CSV field, quoted when it must be. */
static void
report_csv_field(struct evbuffer *b, const char *s)
{
	const char	*p;

	if (strpbrk(s, ",\"\r\n") == NULL) {
		evbuffer_add(b, s, strlen(s));
		return;
	}
	evbuffer_add(b, "\"", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"')
			evbuffer_add(b, "\"", 1);
		evbuffer_add(b, p, 1);
	}
	evbuffer_add(b, "\"", 1);
}

/*
 * CSV (RFC 4180, UTF-8 with a BOM so that Excel reads the Vietnamese,
 * CRLF): Chỉ tiêu, Chuỗi số liệu, Số đo, then one column per year; three
 * rows per indicator.  Numbers plain ("565874", "1.8").
 */
static void
report_csv(const struct report *r, struct evbuffer *b)
{
	char	 num[64];
	size_t	 i;
	int	 m, y;
	double	 v;

	evbuffer_add_printf(b, "\xef\xbb\xbf" "Chỉ tiêu,Chuỗi số liệu,Số đo");
	for (y = r->from; y <= r->to; y++)
		evbuffer_add_printf(b, ",%d", y);
	evbuffer_add_printf(b, "\r\n");
	for (i = 0; i < r->nind; i++)
		for (m = 0; m < 3; m++) {
			report_csv_field(b, r->ind[i].label);
			evbuffer_add(b, ",", 1);
			report_csv_field(b, r->ind[i].series);
			evbuffer_add(b, ",", 1);
			report_csv_field(b, report_measure[m]);
			for (y = r->from; y <= r->to; y++) {
				evbuffer_add(b, ",", 1);
				if (!report_cell_rounded(r, i, m, y, &v))
					continue;
				report_number(num, sizeof(num), v);
				evbuffer_add(b, num, strlen(num));
			}
			evbuffer_add_printf(b, "\r\n");
		}
}

/* Columns a UTF-8 string takes (one per code point; enough here). */
static size_t
report_width(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return (n);
}

static void
report_pad(struct evbuffer *b, const char *s, size_t w, int right)
{
	size_t	 n = report_width(s);

	if (right)
		for (; n < w; n++)
			evbuffer_add(b, " ", 1);
	evbuffer_add(b, s, strlen(s));
	if (!right)
		for (; n < w; n++)
			evbuffer_add(b, " ", 1);
}

/*
 * Text for a person: an indicator's label, then its figures by year in
 * vi-VN ("565.874"), and below its change ("+7.874") and in % ("+1,4 %").
 */
static void
report_text(const struct report *r, struct evbuffer *b)
{
	char	 num[64], cell[80];
	size_t	 i, lw = strlen("Chỉ tiêu"), cw = 4;
	int	 m, y;
	double	 v;

	for (i = 0; i < r->nind; i++)
		lw = MAX(lw, report_width(r->ind[i].label));
	for (i = 0; i < r->nind; i++)
		for (y = r->from; y <= r->to; y++)
			for (m = 0; m < 3; m++)
				if (report_cell(r, i, m, y, &v)) {
					report_number_vi(num, sizeof(num), v,
					    m > 0);
					cw = MAX(cw, report_width(num) +
					    (m == 2 ? 2 : 0));
				}
	report_pad(b, "Chỉ tiêu", lw, 0);
	for (y = r->from; y <= r->to; y++) {
		snprintf(num, sizeof(num), "%d", y);
		evbuffer_add(b, "  ", 2);
		report_pad(b, num, cw, 1);
	}
	evbuffer_add(b, "\n", 1);
	for (i = 0; i < r->nind; i++)
		for (m = 0; m < 3; m++) {
			report_pad(b, m == 0 ? r->ind[i].label : m == 1 ?
			    "  thay đổi" : "  thay đổi (%)", lw, 0);
			for (y = r->from; y <= r->to; y++) {
				cell[0] = '\0';
				if (report_cell(r, i, m, y, &v)) {
					report_number_vi(num, sizeof(num), v,
					    m > 0);
					snprintf(cell, sizeof(cell), "%s%s",
					    num, m == 2 ? " %" : "");
				}
				evbuffer_add(b, "  ", 2);
				report_pad(b, cell, cw, 1);
			}
			evbuffer_add(b, "\n", 1);
		}
}

/*
 * XLSX through libxlsxwriter: the cells of the CSV, figures as numbers
 * (whole numbers shown grouped, changes in % with one decimal).  The
 * library writes a file: a private temporary one, read back and removed.
 */
static int
report_xlsx(const struct report *r, struct evbuffer *b, char *err,
    size_t errlen)
{
	lxw_workbook		*wb;
	lxw_worksheet		*ws;
	lxw_format		*bold, *whole, *frac;
	char			 path[] = "/tmp/tallyd-report.XXXXXX";
	char			 tmpdir[] = "/tmp";
	lxw_workbook_options	 opt = { .tmpdir = tmpdir };
	lxw_error		 e;
	size_t			 i;
	int			 fd, m, y;
	lxw_row_t		 row = 0;
	lxw_col_t		 col;
	double			 v;

	if ((fd = mkstemp(path)) == -1) {
		snprintf(err, errlen, "xlsx: %s", strerror(errno));
		return (-1);
	}
	close(fd);
	if ((wb = workbook_new_opt(path, &opt)) == NULL) {
		unlink(path);
		snprintf(err, errlen, "xlsx: cannot start a workbook");
		return (-1);
	}
	ws = workbook_add_worksheet(wb, "Báo cáo");
	bold = workbook_add_format(wb);
	format_set_bold(bold);
	whole = workbook_add_format(wb);
	format_set_num_format(whole, "#,##0");
	frac = workbook_add_format(wb);
	format_set_num_format(frac, "#,##0.0##");
	worksheet_write_string(ws, row, 0, "Chỉ tiêu", bold);
	worksheet_write_string(ws, row, 1, "Chuỗi số liệu", bold);
	worksheet_write_string(ws, row, 2, "Số đo", bold);
	for (y = r->from; y <= r->to; y++)
		worksheet_write_number(ws, row, (lxw_col_t)(3 + y - r->from),
		    y, bold);
	worksheet_set_column(ws, 0, 0, 45, NULL);
	worksheet_set_column(ws, 1, 1, 40, NULL);
	worksheet_set_column(ws, 2, 2, 28, NULL);
	worksheet_set_column(ws, 3, (lxw_col_t)(3 + r->to - r->from), 16,
	    NULL);
	for (i = 0; i < r->nind; i++)
		for (m = 0; m < 3; m++) {
			row++;
			worksheet_write_string(ws, row, 0, r->ind[i].label,
			    NULL);
			worksheet_write_string(ws, row, 1, r->ind[i].series,
			    NULL);
			worksheet_write_string(ws, row, 2, report_measure[m],
			    NULL);
			for (y = r->from; y <= r->to; y++) {
				col = (lxw_col_t)(3 + y - r->from);
				if (report_cell_rounded(r, i, m, y, &v))
					worksheet_write_number(ws, row, col, v,
					    v == nearbyint(v) ? whole : frac);
			}
		}
	if ((e = workbook_close(wb)) != LXW_NO_ERROR) {
		unlink(path);
		snprintf(err, errlen, "xlsx: %s", lxw_strerror(e));
		return (-1);
	}
	if ((fd = open(path, O_RDONLY)) == -1 ||
	    evbuffer_read(b, fd, -1) == -1) {
		snprintf(err, errlen, "xlsx: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(path);
		return (-1);
	}
	while (evbuffer_read(b, fd, 65536) > 0)
		;
	close(fd);
	unlink(path);
	return (0);
}

/* Writes the report in a format; its MIME type in *mime.  -1 with err. */
int
report_render(const struct report *r, enum report_format f,
    struct evbuffer *b, const char **mime, char *err, size_t errlen)
{
	switch (f) {
	case REPORT_CSV:
		*mime = "text/csv; charset=utf-8";
		report_csv(r, b);
		return (0);
	case REPORT_XLSX:
		*mime = "application/vnd.openxmlformats-officedocument."
		    "spreadsheetml.sheet";
		return (report_xlsx(r, b, err, errlen));
	default:
		*mime = "text/plain; charset=utf-8";
		report_text(r, b);
		return (0);
	}
}
