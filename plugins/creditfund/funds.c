/*
 * funds.c - read people's credit fund reports into per-period figures.
 *
 * A row is one fund's report for a year (2021), a quarter (2021-Q3) or a
 * month (2021-07).  An instance reads one granularity and leaves rows of
 * the others aside (counted, not reported: one export may hold all three).
 * A bad row is skipped and reported with its physical line; its period is
 * marked so that the figures stored for it before stand.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "csv.h"
#include "funds.h"
#include "text.h"

static const char *const funds_colkey[FUND_NCOLS] = {
	"id", "name", "district", "period", "assets", "loans", "revenue",
	"expenses", "profit", "baddebt"
};

static const int funds_colneed[FUND_NCOLS] = {
	1, 0, 0, 1, 1, 1, 0, 0, 1, 1
};

static const char *const funds_metric[] = {
	"funds.reporting", "funds.profit", "funds.loss", "profit.total",
	"profit.avg", "assets.total", "loans.total", "roa", "baddebt"
};
#define FUNDS_NMETRICS	(sizeof(funds_metric) / sizeof(funds_metric[0]))

/* A parse in progress. */
struct funds_parse {
	const struct funds_conf	*conf;
	struct columns		 cols;		/* FUND_* */
	struct funds_result	*res;
	struct csv_set		 seen;
};

/* One good row, decoded. */
struct funds_row {
	time_t		 end;
	char		 label[16];
	double		 assets, loans, profit, baddebt;
};

/* The built-in reading: English headers, yearly periods. */
int
funds_conf_init(struct funds_conf *fc)
{
	size_t	 i;

	memset(fc, 0, sizeof(*fc));
	fc->gran = FUND_YEAR;
	for (i = 0; i < FUND_NCOLS; i++)
		if ((fc->column[i] = strdup(funds_colkey[i])) == NULL)
			return (-1);
	return (0);
}

void
funds_conf_free(struct funds_conf *fc)
{
	size_t	 i;

	for (i = 0; i < FUND_NCOLS; i++)
		free(fc->column[i]);
	memset(fc, 0, sizeof(*fc));
}

/* Takes period and column.KEY; 1 if the key is neither. */
int
funds_configure(struct funds_conf *fc, const char *key, const char *value,
    char *err, size_t errlen)
{
	static const char *const gran[] = { "year", "quarter", "month" };
	size_t			 i;

	if (strcmp(key, "period") == 0) {
		for (i = 0; i < 3; i++)
			if (strcmp(value, gran[i]) == 0) {
				fc->gran = (enum funds_gran)i;
				return (0);
			}
		snprintf(err, errlen, "period is year, quarter or month");
		return (-1);
	}
	if (strncmp(key, "column.", 7) != 0)
		return (1);
	for (i = 0; i < FUND_NCOLS; i++)
		if (strcmp(key + 7, funds_colkey[i]) == 0)
			break;
	if (i == FUND_NCOLS || csv_blank(value)) {
		snprintf(err, errlen, "column keys are id, name, district, "
		    "period, assets, loans, revenue, expenses, profit, "
		    "baddebt; the value a header name");
		return (-1);
	}
	free(fc->column[i]);
	return ((fc->column[i] = text_nfc(value)) == NULL ? -1 : 0);
}

/*
 * Decodes a period: YYYY, YYYY-Qn or YYYY-MM, spaces around allowed.
 * Sets its granularity, its end (the first instant after it, UTC) and a
 * canonical label; -1 if s is none of these.
 */
int
funds_period(const char *s, enum funds_gran *gran, time_t *end,
    char *label, size_t len)
{
	int	 y, n = 0, k = 0, m;
	long	 days;

	while (*s == ' ')
		s++;
	if (sscanf(s, "%4d%n", &y, &n) != 1 || n != 4 || !isdigit((unsigned
	    char)s[0]) || y < 1800 || y > 2200)
		return (-1);
	if (s[4] == '-' && (s[5] == 'Q' || s[5] == 'q') && s[6] >= '1' &&
	    s[6] <= '4') {
		*gran = FUND_QUARTER;
		m = 3 * (s[6] - '0') + 1;
		snprintf(label, len, "%d-Q%c", y, s[6]);
		k = 7;
	} else if (s[4] == '-' && isdigit((unsigned char)s[5]) &&
	    isdigit((unsigned char)s[6])) {
		*gran = FUND_MONTH;
		m = (s[5] - '0') * 10 + (s[6] - '0');
		if (m < 1 || m > 12)
			return (-1);
		snprintf(label, len, "%d-%02d", y, m);
		m++;
		k = 7;
	} else {
		*gran = FUND_YEAR;
		snprintf(label, len, "%d", y);
		m = 13;
		k = 4;
	}
	while (s[k] == ' ')
		k++;
	if (s[k] != '\0' || csv_days(m == 13 ? y + 1 : y, m == 13 ? 1 : m, 1,
	    &days) == -1)
		return (-1);
	*end = (time_t)days * 86400;
	return (0);
}

void
funds_result_free(struct funds_result *res)
{
	free(res->periods);
	memset(res, 0, sizeof(*res));
}

/* A required number of a row, at least min; -1 (reported) otherwise. */
static int
funds_number(struct funds_parse *fp, const struct csv *c, int col,
    double min, double *out)
{
	const char	*s = columns_field(&fp->cols, c, col);

	if (csv_number(s, fp->cols.fmt->dec, out) == -1 || *out < min) {
		columns_say(&fp->cols, c->rec_line, col, 1, "%s '%s' is not a number%s "
		    "with decimal mark '%c'", funds_colkey[col], s, min == 0 ?
		    " of at least 0" : "", fp->cols.fmt->dec);
		return (-1);
	}
	return (0);
}

/* A bad-debt ratio in percent, "0.45" or "0.45%"; -1 if not 0..100. */
static int
funds_ratio(struct funds_parse *fp, const struct csv *c, double *out)
{
	const char	*s = columns_field(&fp->cols, c, FUND_BADDEBT);
	char		 buf[64];
	size_t		 n;

	snprintf(buf, sizeof(buf), "%s", s);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	if (n > 0 && buf[n - 1] == '%')
		n--;
	buf[n] = '\0';
	if (csv_number(buf, fp->cols.fmt->dec, out) == -1 || *out < 0 ||
	    *out > 100) {
		columns_say(&fp->cols, c->rec_line, FUND_BADDEBT, 1, "bad-debt ratio "
		    "'%s' is not a percentage 0..100", s);
		return (-1);
	}
	return (0);
}

/*
 * Decodes a row.  1 if it is good, 0 if it is of another granularity, -1
 * if bad (reported); *end is its period's end when that is known.
 */
static int
funds_row(struct funds_parse *fp, const struct csv *c, struct funds_row *r,
    time_t *end)
{
	const char	*p = columns_field(&fp->cols, c, FUND_PERIOD);
	const char	*opt[] = { columns_field(&fp->cols, c, FUND_REVENUE),
			    columns_field(&fp->cols, c, FUND_EXPENSES) };
	enum funds_gran	 gran;
	double		 d;
	size_t		 i;

	*end = 0;
	if (funds_period(p, &gran, &r->end, r->label, sizeof(r->label)) ==
	    -1) {
		columns_say(&fp->cols, c->rec_line, FUND_PERIOD, 1, "period '%s' is "
		    "not YYYY, YYYY-Qn or YYYY-MM", p);
		return (-1);
	}
	if (gran != fp->conf->gran)
		return (0);
	*end = r->end;
	if (columns_width(&fp->cols, c) == -1)
		return (-1);
	if (csv_blank(columns_field(&fp->cols, c, FUND_ID))) {
		columns_say(&fp->cols, c->rec_line, FUND_ID, 1, "no fund id");
		return (-1);
	}
	if (funds_number(fp, c, FUND_ASSETS, 0, &r->assets) == -1 ||
	    funds_number(fp, c, FUND_LOANS, 0, &r->loans) == -1 ||
	    funds_number(fp, c, FUND_PROFIT, -INFINITY, &r->profit) == -1 ||
	    funds_ratio(fp, c, &r->baddebt) == -1)
		return (-1);
	for (i = 0; i < 2; i++)
		if (!csv_blank(opt[i]) && csv_number(opt[i], fp->cols.fmt->dec,
		    &d) == -1) {
			columns_say(&fp->cols, c->rec_line, FUND_REVENUE + (int)i, 1,
			    "%s '%s' is not a number with decimal mark '%c'",
			    funds_colkey[FUND_REVENUE + i], opt[i],
			    fp->cols.fmt->dec);
			return (-1);
		}
	return (1);
}

/* The figures of the period ending at end, made if new; NULL w/o memory. */
static struct funds_period *
funds_get(struct funds_result *res, time_t end, const char *label)
{
	struct funds_period	*p;
	size_t			 i;

	for (i = 0; i < res->nperiods && res->periods[i].end <= end; i++)
		if (res->periods[i].end == end)
			return (&res->periods[i]);
	if ((p = realloc(res->periods, (res->nperiods + 1) * sizeof(*p))) ==
	    NULL)
		return (NULL);
	res->periods = p;
	memmove(&p[i + 1], &p[i], (res->nperiods - i) * sizeof(*p));
	res->nperiods++;
	memset(&p[i], 0, sizeof(p[i]));
	p[i].end = end;
	snprintf(p[i].label, sizeof(p[i].label), "%s", label);
	return (&p[i]);
}

/* Marks the period of a bad row (all, if it is unknown). */
static void
funds_taint(struct funds_parse *fp, time_t end, const char *label)
{
	struct funds_period	*p;

	fp->res->bad++;
	if (end == 0) {
		if (fp->res->unplaced++ == 0)
			snprintf(fp->res->unplaced_why,
			    sizeof(fp->res->unplaced_why), "%s", fp->cols.last);
	} else if ((p = funds_get(fp->res, end, label)) != NULL &&
	    p->bad++ == 0)
		snprintf(p->why, sizeof(p->why), "%s", fp->cols.last);
}

/* Takes one record; -1 without memory. */
static int
funds_record(void *arg, const struct csv *c)
{
	struct funds_parse	*fp = arg;
	struct funds_row	 r;
	struct funds_period	*p;
	char			 key[CSV_FIELD_MAX + 32];
	time_t			 end;
	int			 rc;

	fp->res->rows++;
	memset(&r, 0, sizeof(r));
	if ((rc = funds_row(fp, c, &r, &end)) == 0) {
		fp->res->other++;
		return (0);
	}
	if (rc == 1) {
		snprintf(key, sizeof(key), "%s %s", r.label,
		    columns_field(&fp->cols, c, FUND_ID));
		if ((rc = csv_set_add(&fp->seen, key)) == -1)
			return (-1);
		if (rc == 1)
			columns_say(&fp->cols, c->rec_line, FUND_ID, 1, "fund '%s' "
			    "appears twice in period %s", columns_field(&fp->cols, c,
			    FUND_ID),
			    r.label);
		rc = rc == 1 ? -1 : 1;
	}
	if (rc == -1) {
		funds_taint(fp, end, r.label);
		return (0);
	}
	if ((p = funds_get(fp->res, r.end, r.label)) == NULL)
		return (-1);
	p->reporting++;
	p->inprofit += r.profit > 0;
	p->atloss += r.profit < 0;
	p->profit += r.profit;
	p->assets += r.assets;
	p->loans += r.loans;
	p->baddebt_loans += r.baddebt * r.loans;
	return (0);
}

/* A record the CSV reader could not split (reported): a bad row. */
static void
funds_bad(void *arg, const struct csv *c)
{
	struct funds_parse	*fp = arg;

	(void)c;
	fp->res->rows++;
	funds_taint(fp, 0, "");
}

/*
 * Reads reports into per-period figures of the configured granularity.
 * -1 (err set, res empty) if the export cannot be read at all.
 */
int
funds_parse(const struct funds_conf *fc, const char *buf, size_t len,
    const struct csv_format *fmt, struct funds_result *res,
    funds_report_cb report, void *arg, char *err, size_t errlen)
{
	struct funds_parse	 fp;
	int			 r;

	memset(&fp, 0, sizeof(fp));
	memset(res, 0, sizeof(*res));
	fp.conf = fc;
	fp.res = res;
	fp.cols.fmt = fmt;
	fp.cols.name = fc->column;
	fp.cols.key = funds_colkey;
	fp.cols.need = funds_colneed;
	fp.cols.n = FUND_NCOLS;
	fp.cols.report = report;
	fp.cols.arg = arg;
	r = columns_read(&fp.cols, buf, len, funds_record, funds_bad, &fp,
	    err, errlen);
	csv_set_free(&fp.seen);
	if (r == -1)
		funds_result_free(res);
	return (r);
}

/* A ratio in percent, NAN when the base is zero. */
static double
funds_pct(double part, double whole)
{
	return (whole == 0 ? NAN : 100 * part / whole);
}

/*
 * Turns the figures into a table for history_apply, one period per
 * report period (a period with no good row has no figures); with an
 * empty result it still names every metric.
 */
int
funds_table(const struct funds_result *res, struct history_table *t)
{
	const struct funds_period	*p;
	size_t				 i, m, n = res->nperiods;
	double				 v[FUNDS_NMETRICS];

	if (history_table_init(t, FUNDS_NMETRICS, n) == -1)
		return (-1);
	for (i = 0; i < FUNDS_NMETRICS; i++)
		if ((t->metric[i] = strdup(funds_metric[i])) == NULL) {
			history_table_free(t);
			return (-1);
		}
	t->yearly = 1;
	for (i = 0; i < n; i++)
		t->yearly &= strlen(res->periods[i].label) == 4;
	t->unplaced.rows = t->unplaced.bad = res->unplaced;
	snprintf(t->unplaced.why, sizeof(t->unplaced.why), "%s",
	    res->unplaced_why);
	for (i = 0; i < n; i++) {
		p = &res->periods[i];
		t->when[i] = p->end;
		t->keep[i] = p->bad || res->unplaced;
		t->quality[i].rows = p->reporting + p->bad;
		t->quality[i].bad = p->bad;
		snprintf(t->quality[i].why, sizeof(t->quality[i].why), "%s",
		    p->why);
		v[0] = (double)p->reporting;
		v[1] = (double)p->inprofit;
		v[2] = (double)p->atloss;
		v[3] = p->profit;
		v[4] = p->reporting == 0 ? NAN : p->profit /
		    (double)p->reporting;
		v[5] = p->assets;
		v[6] = p->loans;
		v[7] = funds_pct(p->profit, p->assets);
		v[8] = p->loans == 0 ? NAN : p->baddebt_loans / p->loans;
		for (m = 0; m < FUNDS_NMETRICS && p->reporting > 0; m++)
			t->value[m * n + i] = v[m];
	}
	return (0);
}
