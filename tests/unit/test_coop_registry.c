/*
 * test_coop_registry.c - the registry export read into yearly figures:
 * counting rules, configurable columns and labels, and malformed rows
 * (reported with their physical line, their year marked, the rest read).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "registry.h"
#include "tap.h"

/* A plain export: comma-separated UTF-8 with decimal points. */
static const struct csv_format plain_fmt = { .sep = ',', .dec = '.',
    .encoding = "UTF-8" };

#define HDR "id,name,kind,sector,district,founded,dissolved,members,revenue," \
	"profit,year\r\n"

/* The reports of a parse: "line:s" (skipped) or "line:w" (warning). */
struct reports {
	char	 text[4096];
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

static const struct registry_year *
year_of(const struct registry_result *res, int y)
{
	size_t	 i;

	for (i = 0; i < res->nyears; i++)
		if (res->years[i].year == y)
			return (&res->years[i]);
	return (NULL);
}

/* The value of a metric in the table's period p; NAN if absent. */
static double
cell(const struct history_table *t, const char *metric, size_t p)
{
	size_t	 m;

	for (m = 0; m < t->nmetrics; m++)
		if (strcmp(t->metric[m], metric) == 0)
			return (t->value[m * t->nperiods + p]);
	return (NAN);
}

static void
test_counting(void)
{
	static const char csv[] = HDR
	    "C1,\"HTX A, xã A\",cooperative,agriculture,D1,2010-01-05,,100,"
	    "1000,100,2021\r\n"
	    "C2,HTX B,Hợp tác xã,Nông nghiệp - thủy sản,D1,15/03/2021,,50,"
	    "3000,-20,2021\r\n"
	    "C3,HTX C,cooperative,industry,D2,2005,,10,500,50,2021\r\n"
	    "C4,HTX D,cooperative,agriculture,D2,2001,12/06/2021,30,,,2021\r\n"
	    "G1,THT,group,agriculture,D1,2019,,12,,,2021\r\n"
	    "G2,THT 2,Tổ hợp tác,Dịch vụ,D1,2019,,12,,,2021\r\n"
	    "U1,LH,union,,D1,2016,,5,100,10,2021\r\n"
	    "C1,\"HTX A, xã A\",cooperative,agriculture,D1,2010-01-05,,90,"
	    "800,80,2020\r\n";
	struct registry_conf		 rc;
	struct registry_result		 res;
	struct reports			 rep;
	struct history_table		 t;
	const struct registry_year	*y;
	char				 err[256];

	memset(&rep, 0, sizeof(rep));
	registry_conf_init(&rc);
	ok(registry_parse(&rc, csv, sizeof(csv) - 1, &plain_fmt, &res, report_cb, &rep,
	    err, sizeof(err)) == 0, "parse a clean export");
	is_int(res.rows, 8, "8 rows");
	is_int(res.bad, 0, "no bad rows");
	is_str(rep.text, "", "nothing reported");
	is_int(res.nyears, 2, "two report years");
	y = year_of(&res, 2021);
	ok(y != NULL, "2021 present");
	if (y == NULL)
		return;
	is_int(y->active, 3, "2021: 3 active (a dissolved one is not)");
	is_int(y->founded, 1, "2021: 1 founded");
	is_int(y->dissolved, 1, "2021: 1 dissolved");
	is_int(y->members, 160, "2021: members of active cooperatives");
	is_int(y->groups, 2, "2021: 2 groups");
	is_int(y->farming, 1, "2021: 1 farming group");
	is_int(y->unions, 1, "2021: 1 union (without a sector)");
	is_int(y->sector_active[1], 1, "2021: 1 industrial cooperative");
	ok(registry_table(&rc, &res, &t) == 0, "table");
	is_int(t.nperiods, 2, "table: two periods");
	is_int(t.when[1], 1640995200, "2021 ends at 2022-01-01 00:00 UTC");
	ok(cell(&t, "revenue.avg.agriculture", 1) == 2000,
	    "avg agricultural revenue (1000 + 3000) / 2");
	ok(cell(&t, "profit.avg.agriculture", 1) == 40,
	    "avg agricultural profit (100 - 20) / 2");
	ok(cell(&t, "revenue.total", 1) == 4500 &&
	    cell(&t, "revenue.avg", 1) == 1500, "revenue total and average");
	ok(cell(&t, "profit.total", 1) == 130, "profit total");
	ok(cell(&t, "cooperatives.active.trade", 1) == 0 &&
	    cell(&t, "cooperatives.active.agriculture", 1) == 2,
	    "per-sector counts");
	ok(cell(&t, "cooperatives.active", 0) == 1 &&
	    cell(&t, "members", 0) == 90, "2020 from its own row");
	is_int(t.keep[0] + t.keep[1], 0, "no period kept back");
	history_table_free(&t);
	registry_result_free(&res);
	registry_conf_free(&rc);
}

static void
test_malformed(void)
{
	char				 csv[16384], big[5000];
	struct registry_conf		 rc;
	struct registry_result		 res;
	struct reports			 rep;
	const struct registry_year	*y;
	char				 err[256];
	int				 n;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	n = snprintf(csv, sizeof(csv), "%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s",
	    HDR,
	    "C1,A,cooperative,agriculture,D,2010,,100,1000,100,2021\r\n",
	    "C2,B,cooperative,agriculture,D,2010,,abc,1000,100,2021\r\n",
	    "C3,C,cooperative,agriculture,D,2010,,1,1,1,2020,extra\r\n",
	    "C4,\"two\r\nlines\",cooperative,industry,D,2010,,5,10,1,2021\r\n",
	    "C5,E,company,agriculture,D,2010,,5,10,1,2021\r\n",
	    "C6,F,cooperative,Thủ công mỹ nghệ,D,2010,,5,10,1,2019\r\n",
	    "C7,G\"x,cooperative,agriculture,D,2010,,5,10,1,2018\r\n",
	    "C8,H,cooperative,agriculture,D,2022,,5,10,1,2021\r\n",
	    "C1,A again,cooperative,agriculture,D,2010,,5,10,1,2021\r\n",
	    "C9,I,cooperative,agriculture,D,31/02/2020,,5,10,1,2020\r\n",
	    "C10,", big, ",cooperative,agriculture,D,2010,,5,10,1,2017\r\n",
	    "C11,K,cooperative,agriculture,D,2010,,5,ten,1,2016\r\n");
	memset(&rep, 0, sizeof(rep));
	registry_conf_init(&rc);
	ok(registry_parse(&rc, csv, (size_t)n, &plain_fmt, &res, report_cb, &rep, err,
	    sizeof(err)) == 0, "a bad export still parses");
	is_str(rep.text, "3:s 4:s 7:s 8:w 9:s 10:s 11:s 12:s 13:s 14:s ",
	    "bad rows and the unknown sector reported at their physical "
	    "lines");
	is_str(rep.last, "column 9 'revenue': revenue 'ten' is not a number with decimal mark '.'",
	    "non-numeric revenue named");
	is_int(res.bad, 9, "9 rows skipped");
	ok(res.unplaced, "a row of unknown year (bad quote) marks all years");
	y = year_of(&res, 2021);
	ok(y != NULL && y->bad && y->active == 2,
	    "2021 marked bad; its 2 good rows counted");
	y = year_of(&res, 2019);
	ok(y != NULL && !y->bad && y->active == 1 &&
	    y->sector_active[rc.nsectors - 1] == 1,
	    "unknown sector: row kept, counted as other");
	y = year_of(&res, 2020);
	ok(y != NULL && y->bad && y->active == 0,
	    "2020: wrong field count and impossible date marked");
	registry_result_free(&res);
	registry_conf_free(&rc);
}

/* One bad row and what the report says about it. */
static void
one_bad(const char *row, const char *want, const char *name)
{
	char			 csv[2048], err[256];
	struct registry_conf	 rc;
	struct registry_result	 res;
	struct reports		 rep;
	int			 n;

	n = snprintf(csv, sizeof(csv), HDR "%s\r\n", row);
	memset(&rep, 0, sizeof(rep));
	registry_conf_init(&rc);
	if (registry_parse(&rc, csv, (size_t)n, &plain_fmt, &res, report_cb, &rep, err,
	    sizeof(err)) == -1)
		rep.last[0] = '\0';
	ok(res.bad == 1 && strstr(rep.last, want) != NULL, "%s", name);
	if (strstr(rep.last, want) == NULL)
		printf("#   got \"%s\"\n", rep.last);
	registry_result_free(&res);
	registry_conf_free(&rc);
}

static void
test_messages(void)
{
	one_bad("C,N,cooperative,agriculture,D,2010,,nhiều,1,1,2021",
	    "members 'nhiều' is not a whole number", "non-numeric members");
	one_bad("C,N,cooperative,agriculture,D,2010,,-5,1,1,2021",
	    "members '-5'", "negative members");
	one_bad("C,N,cooperative,agriculture,D,2010,,5,1,1,2021,x",
	    "12 fields, but the header has 11", "too many fields");
	one_bad("C,N,cooperative,agriculture,D,2010,,5,1,1",
	    "10 fields, but the header has 11", "too few fields");
	one_bad("C,N,firm,agriculture,D,2010,,5,1,1,2021",
	    "unknown kind 'firm'", "unknown kind");
	one_bad("C,N,cooperative,agriculture,D,2010,2009,5,1,1,2021",
	    "dissolved in 2009, before it was founded in 2010",
	    "dissolved before founded");
	one_bad("C,N,cooperative,agriculture,D,12-2010,,5,1,1,2021",
	    "founding date '12-2010'", "bad date format");
	one_bad("C,N,cooperative,agriculture,D,2010,,5,1,1,21",
	    "report year '21' is not a year", "two-digit year");
	one_bad("C,\"N,cooperative,agriculture,D,2010,,5,1,1,2021",
	    "unterminated quoted field 2", "unterminated quote");
}

static void
test_config(void)
{
	static const char csv[] = "\xef\xbb\xbf"
	    "Mã số,Tên tổ chức,Loại hình,Lĩnh vực,\"Huyện, thị xã\","
	    "Ngày thành lập,Ngày giải thể,Số thành viên,Doanh thu (đồng),"
	    "Lợi nhuận (đồng),Năm báo cáo\r\n"
	    "HTX-1,HTX Đồng Tâm,Hợp tác xã,Trồng trọt,\"Huyện Kim Sơn\","
	    "01/02/2003,,1200,1550000000,87000000,2021\r\n"
	    "HTX-2,HTX Du lịch,Hợp tác xã,Du lịch cộng đồng,Huyện Kim Sơn,"
	    "2003,,20,1,1,2021\r\n";
	static const char *const map[][2] = {
		{ "column.id", "Mã số" }, { "column.name", "Tên tổ chức" },
		{ "column.kind", "Loại hình" }, { "column.sector", "Lĩnh vực" },
		{ "column.district", "Huyện, thị xã" },
		{ "column.founded", "Ngày thành lập" },
		{ "column.dissolved", "Ngày giải thể" },
		{ "column.members", "Số thành viên" },
		{ "column.revenue", "Doanh thu (đồng)" },
		{ "column.profit", "Lợi nhuận (đồng)" },
		{ "column.year", "Năm báo cáo" },
		{ "sector.agriculture", "Trồng trọt, Chăn nuôi" },
		{ "sector.tourism", "Du lịch cộng đồng" },
	};
	struct registry_conf	 rc;
	struct registry_result	 res;
	struct history_table	 t;
	struct reports		 rep;
	char			 err[256];
	size_t			 i;
	int			 bad = 0;

	registry_conf_init(&rc);
	ok(registry_parse(&rc, csv, sizeof(csv) - 1, &plain_fmt, &res, NULL, NULL, err,
	    sizeof(err)) == -1 && strstr(err, "column.kind") != NULL,
	    "Vietnamese header without mapping: missing column named");
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		bad |= registry_configure(&rc, map[i][0], map[i][1], err,
		    sizeof(err));
	is_int(bad, 0, "column and sector keys accepted");
	memset(&rep, 0, sizeof(rep));
	ok(registry_parse(&rc, csv, sizeof(csv) - 1, &plain_fmt, &res, report_cb, &rep,
	    err, sizeof(err)) == 0, "mapped Vietnamese export with BOM, CRLF");
	is_str(rep.text, "", "no warnings");
	registry_table(&rc, &res, &t);
	ok(cell(&t, "cooperatives.active.agriculture", 0) == 1 &&
	    cell(&t, "revenue.avg.agriculture", 0) == 1550000000 &&
	    cell(&t, "profit.avg.agriculture", 0) == 87000000,
	    "sector.agriculture labels replaced");
	ok(cell(&t, "cooperatives.active.tourism", 0) == 1,
	    "a new sector gets its metric");
	is_str(t.metric[rc.nsectors], "cooperatives.active.other",
	    "other stays the last sector");
	history_table_free(&t);
	registry_result_free(&res);
	ok(registry_configure(&rc, "sector.Bad Name", "x", err,
	    sizeof(err)) == -1, "bad sector name refused");
	ok(registry_configure(&rc, "column.colour", "x", err,
	    sizeof(err)) == -1, "unknown column key refused");
	ok(registry_configure(&rc, "kind.firm", "x", err, sizeof(err)) == -1,
	    "unknown kind key refused");
	ok(registry_configure(&rc, "sector.x", "a,,b", err,
	    sizeof(err)) == -1, "empty label refused");
	is_int(registry_configure(&rc, "source", "x", err, sizeof(err)), 1,
	    "other keys left to the caller");
	registry_conf_free(&rc);
}

static void
test_empty(void)
{
	struct registry_conf	 rc;
	struct registry_result	 res;
	char			 err[256];

	registry_conf_init(&rc);
	ok(registry_parse(&rc, "", 0, &plain_fmt, &res, NULL, NULL, err,
	    sizeof(err)) == -1 && strstr(err, "no header") != NULL,
	    "empty file: no header");
	ok(registry_parse(&rc, HDR, sizeof(HDR) - 1, &plain_fmt, &res, NULL, NULL, err,
	    sizeof(err)) == 0 && res.nyears == 0, "header only: no years");
	registry_result_free(&res);
	registry_conf_free(&rc);
}

int
main(void)
{
	test_counting();
	test_malformed();
	test_messages();
	test_config();
	test_empty();
	return (tap_done());
}
