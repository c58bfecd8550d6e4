/*
 * test_creditfund_funds.c - credit fund reports read into per-period
 * figures: period forms and their ends, one granularity per instance,
 * the weighted bad-debt ratio, malformed rows at their physical lines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "funds.h"
#include "tap.h"

/* A plain export: comma-separated UTF-8 with decimal points. */
static const struct csv_format plain_fmt = { .sep = ',', .dec = '.',
    .encoding = "UTF-8" };

#define HDR "id,name,district,period,assets,loans,revenue,expenses,profit," \
	"baddebt\r\n"

struct reports {
	char	 text[2048];
	size_t	 n;
	char	 last[512];
};

static void
report_cb(void *arg, unsigned long line, int skipped, const char *msg)
{
	struct reports	*r = arg;

	r->n += (size_t)snprintf(r->text + r->n, sizeof(r->text) - r->n,
	    "%lu:%c ", line, skipped ? 's' : 'w');
	snprintf(r->last, sizeof(r->last), "%s", msg);
}

static double
cell(const struct history_table *t, const char *metric, size_t p)
{
	size_t	 m;

	for (m = 0; m < t->nmetrics; m++)
		if (strcmp(t->metric[m], metric) == 0)
			return (t->value[m * t->nperiods + p]);
	return (-12345);
}

static void
test_periods(void)
{
	enum funds_gran	 g;
	time_t		 end;
	char		 l[16];

	ok(funds_period("2021", &g, &end, l, sizeof(l)) == 0 &&
	    g == FUND_YEAR && end == 1640995200 && strcmp(l, "2021") == 0,
	    "2021 ends 2022-01-01");
	ok(funds_period(" 2021-Q3 ", &g, &end, l, sizeof(l)) == 0 &&
	    g == FUND_QUARTER && end == 1633046400 &&
	    strcmp(l, "2021-Q3") == 0, "2021-Q3 ends 2021-10-01");
	ok(funds_period("2021-q4", &g, &end, l, sizeof(l)) == 0 &&
	    end == 1640995200 && strcmp(l, "2021-Q4") == 0,
	    "2021-q4 ends 2022-01-01");
	ok(funds_period("2021-07", &g, &end, l, sizeof(l)) == 0 &&
	    g == FUND_MONTH && end == 1627776000, "2021-07 ends 2021-08-01");
	ok(funds_period("2021-12", &g, &end, l, sizeof(l)) == 0 &&
	    end == 1640995200, "2021-12 ends 2022-01-01");
	ok(funds_period("2021-13", &g, &end, l, sizeof(l)) == -1,
	    "month 13 refused");
	ok(funds_period("2021-Q5", &g, &end, l, sizeof(l)) == -1,
	    "quarter 5 refused");
	ok(funds_period("21", &g, &end, l, sizeof(l)) == -1,
	    "two-digit year refused");
	ok(funds_period("2021-7", &g, &end, l, sizeof(l)) == -1,
	    "one-digit month refused");
	ok(funds_period("Q3/2021", &g, &end, l, sizeof(l)) == -1,
	    "other orders refused");
}

static void
test_figures(void)
{
	static const char csv[] = "\xef\xbb\xbf" HDR
	    "F1,\"Quỹ A, xã A\",D,2021,1000,800,100,60,40,1.5\r\n"
	    "F2,Quỹ B,D,2021,3000,200,300,250,50,6%\r\n"
	    "F3,Quỹ C,D,2021,1000,0,10,20,-10,0\r\n"
	    "F1,\"Quỹ A, xã A\",D,2021-Q1,900,700,20,15,5,1\r\n"
	    "F1,\"Quỹ A, xã A\",D,2020,900,700,90,60,30,1\r\n";
	struct funds_conf	 fc;
	struct funds_result	 res;
	struct history_table	 t;
	struct reports		 rep;
	char			 err[256];

	memset(&rep, 0, sizeof(rep));
	funds_conf_init(&fc);
	ok(funds_parse(&fc, csv, sizeof(csv) - 1, &plain_fmt, &res, report_cb, &rep, err,
	    sizeof(err)) == 0, "yearly figures parsed");
	is_str(rep.text, "", "nothing reported");
	is_int(res.other, 1, "the quarterly row left aside");
	is_int(res.nperiods, 2, "two years");
	funds_table(&res, &t);
	ok(cell(&t, "funds.reporting", 1) == 3 &&
	    cell(&t, "funds.profit", 1) == 2 &&
	    cell(&t, "funds.loss", 1) == 1, "2021: 3 funds, 2 in profit, 1 "
	    "at a loss");
	ok(cell(&t, "profit.total", 1) == 80 &&
	    fabs(cell(&t, "profit.avg", 1) - 80.0 / 3) < 1e-9,
	    "profit total and average");
	ok(cell(&t, "roa", 1) == 80.0 * 100 / 5000, "roa: profit / assets %%");
	ok(fabs(cell(&t, "baddebt", 1) - (1.5 * 800 + 6 * 200) / 1000) <
	    1e-12, "bad-debt ratio weighted by loans (2.4%%)");
	ok(cell(&t, "funds.reporting", 0) == 1, "2020 counted apart");
	ok(t.yearly, "a table of years says so (refusals name the year)");
	history_table_free(&t);
	funds_result_free(&res);

	funds_configure(&fc, "period", "quarter", err, sizeof(err));
	ok(funds_parse(&fc, csv, sizeof(csv) - 1, &plain_fmt, &res, report_cb, &rep, err,
	    sizeof(err)) == 0 && res.nperiods == 1 && res.other == 4 &&
	    res.periods[0].end == 1617235200, "period = quarter: only "
	    "2021-Q1, ending 2021-04-01");
	funds_table(&res, &t);
	ok(!t.yearly, "a table of quarters is not yearly");
	history_table_free(&t);
	funds_result_free(&res);
	funds_conf_free(&fc);
}

static void
test_malformed(void)
{
	static const char csv[] = HDR
	    "F1,A,D,2021,1000,800,100,60,40,1.5\r\n"
	    "F2,B,D,2021,lots,800,100,60,40,1.5\r\n"
	    "F3,\"B\r\nC\",D,2021,1000,800,100,60,40,1.5\r\n"
	    "F4,D,D,2021,1000,800,100,60,40,150\r\n"
	    "F5,E,D,2021,1000,-1,100,60,40,1\r\n"
	    "F1,A,D,2021,1000,800,100,60,40,1.5\r\n"
	    "F6,F,D,2021/22,1000,800,100,60,40,1\r\n"
	    "F7,G,D,2020,1000,800,100,60,40,1,x\r\n"
	    ",H,D,2019,1000,800,100,60,40,1\r\n"
	    "F8,I,D,2018,1000,800,many,60,40,1\r\n"
	    "F9,J,D,2017,1000,800,100,60,0.4.1,1\r\n";
	struct funds_conf	 fc;
	struct funds_result	 res;
	struct history_table	 t;
	struct reports		 rep;
	char			 err[256];

	memset(&rep, 0, sizeof(rep));
	funds_conf_init(&fc);
	ok(funds_parse(&fc, csv, sizeof(csv) - 1, &plain_fmt, &res, report_cb, &rep, err,
	    sizeof(err)) == 0, "bad reports still parse");
	is_str(rep.text, "3:s 6:s 7:s 8:s 9:s 10:s 11:s 12:s 13:s ",
	    "bad rows at their physical lines (a quoted newline counted)");
	is_str(rep.last, "column 9 'profit': profit '0.4.1' is not a number with decimal mark '.'", "bad profit named");
	is_int(res.bad, 9, "9 bad rows");
	ok(res.unplaced, "a bad period marks all periods");
	funds_table(&res, &t);
	ok(cell(&t, "funds.reporting", 4) == 2, "2021: the 2 good funds "
	    "counted");
	ok(isnan(cell(&t, "funds.reporting", 3)) && t.keep[3],
	    "2020 with no good row: no figures, kept");
	history_table_free(&t);
	funds_result_free(&res);
	ok(funds_parse(&fc, "a,b\r\n1,2\r\n", 10, &plain_fmt, &res, NULL, NULL, err,
	    sizeof(err)) == -1 && strstr(err, "column.id") != NULL,
	    "missing column named");
	ok(funds_configure(&fc, "period", "week", err, sizeof(err)) == -1,
	    "period = week refused");
	ok(funds_configure(&fc, "column.rate", "x", err, sizeof(err)) == -1,
	    "unknown column refused");
	funds_conf_free(&fc);
}

int
main(void)
{
	test_periods();
	test_figures();
	test_malformed();
	return (tap_done());
}
