/*
 * test_coop_totals.c - a table of indicators by year: years as columns or
 * as rows, units in labels, exact figures, bad cells counted per year with
 * line and column, unmapped and repeated indicators, a table without
 * years refused with the headers found.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "history.h"
#include "tap.h"
#include "totals.h"

/* Writable arrays: totals_parse takes char *const * (-Wwrite-strings). */
static char	 m0[] = "cooperatives.active", m1[] = "members";
static char	 m2[] = "revenue.avg.agriculture";
static char	 m3[] = "profit.avg.agriculture";
static char	*metrics[] = { m0, m1, m2, m3 };
#define NMETRICS	(sizeof(metrics) / sizeof(metrics[0]))

static char	 said[4096];

static void
report_cb(void *arg, unsigned long line, int skipped, const char *msg)
{
	size_t	 n = strlen(said);

	(void)arg;
	snprintf(said + n, sizeof(said) - n, "%lu%s: %s\n", line,
	    skipped ? "s" : "w", msg);
}

static void
map_init(struct totals_map *m)
{
	memset(m, 0, sizeof(*m));
	totals_map_set(m, "cooperatives.active", "Số hợp tác xã, Số HTX");
	totals_map_set(m, "members", "Số thành viên");
	totals_map_set(m, "revenue.avg.agriculture",
	    "Doanh thu bình quân HTX nông nghiệp");
	totals_map_set(m, "profit.avg.agriculture",
	    "Lợi nhuận bình quân HTX nông nghiệp");
}

/* Metric m in period p of a table (NAN if none). */
static double
cell(const struct history_table *t, size_t m, size_t p)
{
	return (t->value[m * t->nperiods + p]);
}

static int
parse(const char *text, char sep, char dec, struct history_table *t,
    char *err, size_t errlen)
{
	struct totals_map	 m;
	struct csv_format	 f = { .sep = sep, .dec = dec,
				    .encoding = "UTF-8" };
	int			 rc;

	map_init(&m);
	said[0] = '\0';
	rc = totals_parse(&m, metrics, NMETRICS, text, strlen(text), &f, t,
	    report_cb, NULL, err, errlen);
	totals_map_free(&m);
	return (rc);
}

static void
test_columns(void)
{
	struct history_table	 t;
	char			 err[2048];

	ok(parse("Chỉ tiêu;2021;2020\r\n"
	    "Số hợp tác xã;458;450\r\n"
	    "Số thành viên;565.874;563.120\r\n"
	    "Doanh thu bình quân HTX nông nghiệp (tỷ đồng);1,55;1,52\r\n"
	    "Lợi nhuận bình quân HTX nông nghiệp (triệu đồng);87;-\r\n"
	    "Số HTX;1;2\r\n"
	    "Khác;1;2\r\n", ';', ',', &t, err, sizeof(err)) == 0,
	    "years as columns: parsed");
	is_int(t.nperiods, 2, "two years");
	is_int(t.when[0], 1609459200, "2020 first, stored at 2021-01-01");
	is_int(t.when[1], 1640995200, "2021 at 2022-01-01");
	ok(cell(&t, 0, 1) == 458 && cell(&t, 0, 0) == 450, "458, 450");
	ok(cell(&t, 1, 1) == 565874, "565.874 exactly");
	ok(cell(&t, 2, 1) == 1550000000.0 && cell(&t, 2, 0) == 1520000000.0,
	    "1,55 (tỷ đồng) is 1550000000 exactly");
	ok(cell(&t, 3, 1) == 87000000.0 && isnan(cell(&t, 3, 0)),
	    "87 (triệu đồng); '-' is no figure");
	ok(strstr(said, "6w: indicator 'Số HTX' names cooperatives.active, "
	    "as line 2 does; row left out") != NULL,
	    "a repeated indicator left out, both lines named");
	ok(strstr(said, "7w: indicator 'Khác' is not mapped") != NULL,
	    "an unmapped indicator named");
	is_int(t.quality[1].rows, 4, "2021: four cells");
	is_int(t.quality[1].bad, 0, "no bad cell");
	history_table_free(&t);
}

static void
test_rows(void)
{
	struct history_table	 t;
	char			 err[2048];

	ok(parse("Năm\tSố HTX\tSố thành viên\n"
	    "2020\t450\t563 120\n"
	    "Năm 2021\t458\tnhiều\n", '\t', ',', &t, err, sizeof(err)) == 0,
	    "years as rows: parsed");
	is_int(t.nperiods, 2, "two years");
	ok(cell(&t, 0, 1) == 458 && cell(&t, 1, 0) == 563120,
	    "'Năm 2021' is 2021; 563 120 grouped by a space");
	ok(isnan(cell(&t, 1, 1)), "an unreadable cell is no figure");
	is_int(t.quality[1].bad, 1, "2021: one bad cell");
	ok(t.keep[1] && !t.keep[0], "2021 kept, 2020 not");
	is_str(t.quality[1].why, "line 3, column 3 'Số thành viên': 'nhiều' "
	    "is not a number with decimal mark ','", "the bad cell located");
	history_table_free(&t);
}

static void
test_refused(void)
{
	struct history_table	 t;
	char			 err[2048];

	ok(parse("Chỉ tiêu;Đơn vị;Ghi chú\r\nSố HTX;HTX;x\r\n", ';', ',', &t,
	    err, sizeof(err)) == -1 && strstr(err, "a totals table has "
	    "years") != NULL && strstr(err, "'Chỉ tiêu', 'Đơn vị'") != NULL,
	    "no years anywhere: refused with the headers found");
	ok(parse("Chỉ tiêu;2021;2021\r\nSố HTX;1;2\r\n", ';', ',', &t, err,
	    sizeof(err)) == -1 && strstr(err, "appears twice") != NULL,
	    "a year twice in the header refused");
	ok(parse("", ';', ',', &t, err, sizeof(err)) == -1 &&
	    strstr(err, "empty") != NULL, "an empty file refused");
}

int
main(void)
{
	test_columns();
	test_rows();
	test_refused();
	return (tap_done());
}
