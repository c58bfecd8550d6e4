/*
 * registry.c - read the cooperative registry export into yearly figures.
 *
 * One row per organisation and report year.  A cooperative counts as
 * active in year Y if its row for Y says it was founded by Y and not
 * dissolved by the end of Y; members, revenue and profit are summed over
 * active cooperatives only.  Groups and unions are counted alike, apart.
 * A bad row is skipped and reported with its physical line; its year is
 * marked so the caller can keep the figures it stored for that year.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "csv.h"
#include "registry.h"
#include "text.h"

#define REG_SECTORS_MAX		32
#define REG_WARNED_MAX		16	/* unknown labels warned about once */

static const char *const registry_colkey[REG_NCOLS] = {
	"id", "name", "kind", "sector", "district", "founded", "dissolved",
	"members", "revenue", "profit", "year"
};

/* Columns an export must have; the others only make messages better. */
static const int registry_colneed[REG_NCOLS] = {
	0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1
};

static const char *const registry_kindkey[REG_NKINDS] = {
	"cooperative", "union", "group"
};

static const char *const registry_kinddef[REG_NKINDS] = {
	"cooperative, Hợp tác xã, HTX",
	"union, union of cooperatives, Liên hiệp hợp tác xã, Liên hiệp HTX",
	"group, cooperative group, Tổ hợp tác, THT"
};

/* Built-in sectors: the first is agriculture, the last is other. */
static const char *const registry_sectordef[][2] = {
	{ "agriculture", "agriculture, Nông nghiệp, Nông nghiệp - thủy sản, "
	  "Nông - lâm - ngư nghiệp, Nông lâm ngư nghiệp, Lâm nghiệp, "
	  "Thủy sản" },
	{ "industry", "industry, Công nghiệp, Tiểu thủ công nghiệp, "
	  "Công nghiệp - tiểu thủ công nghiệp, Công nghiệp - TTCN, "
	  "Thủ công nghiệp" },
	{ "construction", "construction, Xây dựng" },
	{ "transport", "transport, Vận tải, Giao thông vận tải" },
	{ "trade", "trade, Thương mại, Dịch vụ, Thương mại - dịch vụ" },
	{ "environment", "environment, Môi trường, Vệ sinh môi trường, "
	  "Nước sạch, Nước sạch - môi trường" },
	{ "credit", "credit, Tín dụng, Quỹ tín dụng nhân dân" },
	{ "other", "other, Khác, Lĩnh vực khác" },
};
#define REG_NSECTORDEF	(sizeof(registry_sectordef) / \
	sizeof(registry_sectordef[0]))

/* A parse in progress. */
struct registry_parse {
	const struct registry_conf	*conf;
	struct columns			 cols;		/* REG_* */
	struct registry_result		*res;
	struct csv_set			 seen;		/* "year id" of rows */
	char				*warned[REG_WARNED_MAX];
	size_t				 nwarned;
};

/* One good row, decoded. */
struct registry_row {
	int		 year, kind, founded, dissolved;
	size_t		 sector;
	int		 has_members, has_revenue, has_profit;
	unsigned long	 members;
	double		 revenue, profit;
};

/* The built-in reading: English headers, built-in kinds and sectors. */
int
registry_conf_init(struct registry_conf *rc)
{
	size_t	 i;

	memset(rc, 0, sizeof(*rc));
	for (i = 0; i < REG_NCOLS; i++)
		if ((rc->column[i] = strdup(registry_colkey[i])) == NULL)
			return (-1);
	for (i = 0; i < REG_NKINDS; i++)
		if (csv_labels_add(&rc->kind[i], &rc->nkind[i],
		    registry_kinddef[i]) == -1)
			return (-1);
	if ((rc->sector = calloc(REG_SECTORS_MAX, sizeof(*rc->sector))) ==
	    NULL)
		return (-1);
	for (i = 0; i < REG_NSECTORDEF; i++) {
		snprintf(rc->sector[i].name, sizeof(rc->sector[i].name), "%s",
		    registry_sectordef[i][0]);
		if (csv_labels_add(&rc->sector[i].labels,
		    &rc->sector[i].nlabels, registry_sectordef[i][1]) == -1)
			return (-1);
		rc->nsectors++;
	}
	return (0);
}

void
registry_conf_free(struct registry_conf *rc)
{
	size_t	 i;

	for (i = 0; i < REG_NCOLS; i++)
		free(rc->column[i]);
	for (i = 0; i < REG_NKINDS; i++)
		csv_labels_free(&rc->kind[i], &rc->nkind[i]);
	for (i = 0; i < rc->nsectors; i++)
		csv_labels_free(&rc->sector[i].labels, &rc->sector[i].nlabels);
	free(rc->sector);
	memset(rc, 0, sizeof(*rc));
}

/* 1 if s is a sector name fit for a metric: [a-z0-9_-]+. */
static int
registry_sector_name_ok(const char *s)
{
	size_t	 n = strlen(s);

	if (n == 0 || n > REG_SECTOR_NAME_MAX)
		return (0);
	return (strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n);
}

/* Adds labels from the config, in NFC as the decoded export is. */
static int
registry_labels(char ***list, size_t *n, const char *value)
{
	char	*v;
	int	 rc;

	if ((v = text_nfc(value)) == NULL)
		return (-1);
	rc = csv_labels_add(list, n, v);
	free(v);
	return (rc);
}

/* sector.NAME = labels: replaces a sector's labels, or adds a sector. */
static int
registry_conf_sector(struct registry_conf *rc, const char *name,
    const char *value, char *err, size_t errlen)
{
	struct registry_sector	*s = NULL, tmp;
	size_t			 i;

	if (!registry_sector_name_ok(name)) {
		snprintf(err, errlen, "sector name '%s' must be 1 to %d of "
		    "a-z, 0-9, _ and -", name, REG_SECTOR_NAME_MAX);
		return (-1);
	}
	for (i = 0; i < rc->nsectors; i++)
		if (strcmp(rc->sector[i].name, name) == 0)
			s = &rc->sector[i];
	if (s == NULL) {
		if (rc->nsectors == REG_SECTORS_MAX) {
			snprintf(err, errlen, "at most %d sectors",
			    REG_SECTORS_MAX);
			return (-1);
		}
		/* New sectors go before "other", which stays last. */
		tmp = rc->sector[rc->nsectors - 1];
		s = &rc->sector[rc->nsectors - 1];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", name);
		rc->sector[rc->nsectors++] = tmp;
	}
	csv_labels_free(&s->labels, &s->nlabels);
	if (registry_labels(&s->labels, &s->nlabels, value) == -1) {
		snprintf(err, errlen, "a comma-separated list of labels, "
		    "none empty");
		return (-1);
	}
	return (0);
}

/*
 * Takes a key of the instance's section that concerns the export:
 * column.KEY, kind.KIND, sector.NAME.  1 if the key is not one of these.
 */
int
registry_configure(struct registry_conf *rc, const char *key,
    const char *value, char *err, size_t errlen)
{
	size_t	 i;

	if (strncmp(key, "column.", 7) == 0) {
		for (i = 0; i < REG_NCOLS; i++)
			if (strcmp(key + 7, registry_colkey[i]) == 0)
				break;
		if (i == REG_NCOLS || csv_blank(value)) {
			snprintf(err, errlen, "column keys are id, name, "
			    "kind, sector, district, founded, dissolved, "
			    "members, revenue, profit, year; the value a "
			    "header name");
			return (-1);
		}
		free(rc->column[i]);
		return ((rc->column[i] = text_nfc(value)) == NULL ? -1 : 0);
	}
	if (strncmp(key, "kind.", 5) == 0) {
		for (i = 0; i < REG_NKINDS; i++)
			if (strcmp(key + 5, registry_kindkey[i]) == 0)
				break;
		if (i == REG_NKINDS) {
			snprintf(err, errlen, "kinds are kind.cooperative, "
			    "kind.union and kind.group");
			return (-1);
		}
		csv_labels_free(&rc->kind[i], &rc->nkind[i]);
		if (registry_labels(&rc->kind[i], &rc->nkind[i], value) == 0)
			return (0);
		snprintf(err, errlen, "a comma-separated list of labels");
		return (-1);
	}
	if (strncmp(key, "sector.", 7) == 0)
		return (registry_conf_sector(rc, key + 7, value, err, errlen));
	return (1);
}

void
registry_result_free(struct registry_result *res)
{
	size_t	 i;

	for (i = 0; i < res->nyears; i++)
		free(res->years[i].sector_active);
	free(res->years);
	memset(res, 0, sizeof(*res));
}

/*
 * The year of a date (see csv_date); 0 for an empty field, -1 for
 * anything else, with why.
 */
static int
registry_date_year(const char *s, char *why, size_t len)
{
	int	 y, m, d, r;

	if ((r = csv_date(s, &y, &m, &d, why, len)) <= 0)
		return (r);
	return (y);
}

/* Which label list s is in; -1 if none. */
static int
registry_match(char **const *lists, const size_t *n, size_t nlists,
    const char *s)
{
	size_t	 i, j;

	for (i = 0; i < nlists; i++)
		for (j = 0; j < n[i]; j++)
			if (csv_label_eq(s, lists[i][j]))
				return ((int)i);
	return (-1);
}

/* The sector of a label; unknown ones are "other", warned about once. */
static size_t
registry_sector(struct registry_parse *rp, const char *label,
    unsigned long line)
{
	const struct registry_conf	*rc = rp->conf;
	size_t				 i, j;

	for (i = 0; i < rc->nsectors; i++)
		for (j = 0; j < rc->sector[i].nlabels; j++)
			if (csv_label_eq(label, rc->sector[i].labels[j]))
				return (i);
	for (j = 0; j < rp->nwarned; j++)
		if (strcmp(rp->warned[j], label) == 0)
			return (rc->nsectors - 1);
	if (rp->nwarned < REG_WARNED_MAX &&
	    (rp->warned[rp->nwarned] = strdup(label)) != NULL)
		rp->nwarned++;
	if (csv_blank(label))
		columns_say(&rp->cols, line, -1, 0, "no sector, counted as other");
	else
		columns_say(&rp->cols, line, -1, 0, "unknown sector '%s', counted as "
		    "other (map it with sector.NAME = %s)", label, label);
	return (rc->nsectors - 1);
}

/* Decodes the numbers of a row (members, revenue, profit); -1 if bad. */
static int
registry_row_numbers(struct registry_parse *rp, const struct csv *c,
    struct registry_row *r)
{
	const char	*m = columns_field(&rp->cols, c, REG_MEMBERS);
	const char	*rev = columns_field(&rp->cols, c, REG_REVENUE);
	const char	*pro = columns_field(&rp->cols, c, REG_PROFIT);

	char		 dec = rp->cols.fmt->dec;

	if ((r->has_members = !csv_blank(m)) &&
	    csv_count(m, &r->members) == -1) {
		columns_say(&rp->cols, c->rec_line, REG_MEMBERS, 1, "members '%s' "
		    "is not a whole number", m);
		return (-1);
	}
	if ((r->has_revenue = !csv_blank(rev)) &&
	    csv_number(rev, dec, &r->revenue) == -1) {
		columns_say(&rp->cols, c->rec_line, REG_REVENUE, 1, "revenue '%s' "
		    "is not a number with decimal mark '%c'", rev, dec);
		return (-1);
	}
	if ((r->has_profit = !csv_blank(pro)) &&
	    csv_number(pro, dec, &r->profit) == -1) {
		columns_say(&rp->cols, c->rec_line, REG_PROFIT, 1, "profit '%s' is "
		    "not a number with decimal mark '%c'", pro, dec);
		return (-1);
	}
	return (0);
}

/* Decodes the dates of a row against its report year; -1 if bad. */
static int
registry_row_dates(struct registry_parse *rp, const struct csv *c,
    struct registry_row *r)
{
	const char	*f = columns_field(&rp->cols, c, REG_FOUNDED);
	const char	*d = columns_field(&rp->cols, c, REG_DISSOLVED);
	char		 why[160];

	if ((r->founded = registry_date_year(f, why, sizeof(why))) == -1 ||
	    (r->dissolved = registry_date_year(d, why, sizeof(why))) == -1) {
		columns_say(&rp->cols, c->rec_line, r->founded == -1 ? REG_FOUNDED :
		    REG_DISSOLVED, 1, "%s date '%s': %s", r->founded == -1 ?
		    "founding" : "dissolution", r->founded == -1 ? f : d, why);
		return (-1);
	}
	if (r->founded > r->year) {
		columns_say(&rp->cols, c->rec_line, REG_FOUNDED, 1, "founded in %d, "
		    "after its report year %d", r->founded, r->year);
		return (-1);
	}
	if (r->dissolved != 0 && r->dissolved < r->founded) {
		columns_say(&rp->cols, c->rec_line, REG_DISSOLVED, 1, "dissolved in "
		    "%d, before it was founded in %d", r->dissolved,
		    r->founded);
		return (-1);
	}
	return (0);
}

/* Decodes a row; -1 if it is bad (reported), its year in *year if known. */
static int
registry_row(struct registry_parse *rp, const struct csv *c,
    struct registry_row *r, int *year)
{
	const struct registry_conf	*rc = rp->conf;
	const char			*y, *k;
	unsigned long			 v;

	memset(r, 0, sizeof(*r));
	*year = 0;
	y = columns_field(&rp->cols, c, REG_YEAR);
	if (csv_count(y, &v) == 0 && v >= 1800 && v <= 2200)
		*year = r->year = (int)v;
	if (columns_width(&rp->cols, c) == -1)
		return (-1);
	if (*year == 0) {
		columns_say(&rp->cols, c->rec_line, REG_YEAR, 1, "report year '%s' "
		    "is not a year", y);
		return (-1);
	}
	k = columns_field(&rp->cols, c, REG_KIND);
	if ((r->kind = registry_match((char **const *)rc->kind, rc->nkind,
	    REG_NKINDS, k)) == -1) {
		columns_say(&rp->cols, c->rec_line, REG_KIND, 1, "unknown kind '%s' "
		    "(kinds are set by kind.cooperative, kind.union, "
		    "kind.group)", k);
		return (-1);
	}
	if (registry_row_dates(rp, c, r) == -1 ||
	    registry_row_numbers(rp, c, r) == -1)
		return (-1);
	if (r->kind != REG_UNION || !csv_blank(columns_field(&rp->cols, c,
	    REG_SECTOR)))
		r->sector = registry_sector(rp, columns_field(&rp->cols, c,
		    REG_SECTOR), c->rec_line);
	return (0);
}

/* The figures of a year, made (in year order) if new; NULL w/o memory. */
static struct registry_year *
registry_year(struct registry_parse *rp, int year)
{
	struct registry_result	*res = rp->res;
	struct registry_year	*y;
	size_t			 i;

	for (i = 0; i < res->nyears && res->years[i].year <= year; i++)
		if (res->years[i].year == year)
			return (&res->years[i]);
	if ((y = realloc(res->years, (res->nyears + 1) * sizeof(*y))) == NULL)
		return (NULL);
	res->years = y;
	memmove(&y[i + 1], &y[i], (res->nyears - i) * sizeof(*y));
	res->nyears++;
	memset(&y[i], 0, sizeof(y[i]));
	y[i].year = year;
	y[i].sector_active = calloc(rp->conf->nsectors,
	    sizeof(*y[i].sector_active));
	return (y[i].sector_active == NULL ? NULL : &y[i]);
}

/* Adds a good row to its year's figures. */
static void
registry_add(struct registry_year *y, const struct registry_row *r)
{
	int	 active = r->dissolved == 0 || r->dissolved > r->year;

	y->good++;
	if (r->kind == REG_GROUP) {
		y->groups += active;
		y->farming += active && r->sector == 0;
		return;
	}
	if (r->kind == REG_UNION) {
		y->unions += active;
		return;
	}
	y->founded += r->founded == r->year;
	y->dissolved += r->dissolved == r->year;
	if (!active)
		return;
	y->active++;
	y->sector_active[r->sector]++;
	y->members += r->has_members ? (double)r->members : 0;
	y->revenue += r->has_revenue ? r->revenue : 0;
	y->nrevenue += r->has_revenue;
	y->profit += r->has_profit ? r->profit : 0;
	y->nprofit += r->has_profit;
	if (r->sector != 0)
		return;
	y->agri_revenue += r->has_revenue ? r->revenue : 0;
	y->nagri_revenue += r->has_revenue;
	y->agri_profit += r->has_profit ? r->profit : 0;
	y->nagri_profit += r->has_profit;
}

/* Marks the year of a bad row (or all years, if it is unknown). */
static void
registry_taint(struct registry_parse *rp, int year)
{
	struct registry_year	*y;

	rp->res->bad++;
	if (year == 0) {
		if (rp->res->unplaced++ == 0)
			snprintf(rp->res->unplaced_why,
			    sizeof(rp->res->unplaced_why), "%s", rp->cols.last);
	} else if ((y = registry_year(rp, year)) != NULL && y->bad++ == 0)
		snprintf(y->why, sizeof(y->why), "%s", rp->cols.last);
}

/* Takes one record: decodes, checks for a duplicate, adds; -1 on OOM. */
static int
registry_record(void *arg, const struct csv *c)
{
	struct registry_parse	*rp = arg;
	struct registry_row	 r;
	struct registry_year	*y;
	char			 key[CSV_FIELD_MAX + 16];
	const char		*id;
	int			 year, dup = 0;

	rp->res->rows++;
	if (registry_row(rp, c, &r, &year) == -1) {
		registry_taint(rp, year);
		return (0);
	}
	id = columns_field(&rp->cols, c, REG_ID);
	if (rp->cols.col[REG_ID] != -1 && !csv_blank(id)) {
		snprintf(key, sizeof(key), "%d %s", r.year, id);
		if ((dup = csv_set_add(&rp->seen, key)) == -1)
			return (-1);
	}
	if (dup) {
		columns_say(&rp->cols, c->rec_line, REG_ID, 1, "organisation '%s' "
		    "appears twice in report year %d", id, r.year);
		registry_taint(rp, year);
		return (0);
	}
	if ((y = registry_year(rp, r.year)) == NULL)
		return (-1);
	registry_add(y, &r);
	return (0);
}

/* A record the CSV reader could not split (reported): a bad row. */
static void
registry_bad(void *arg, const struct csv *c)
{
	struct registry_parse	*rp = arg;

	(void)c;
	rp->res->rows++;
	registry_taint(rp, 0);
}

static void
registry_parse_free(struct registry_parse *rp)
{
	size_t	 i;

	csv_set_free(&rp->seen);
	for (i = 0; i < rp->nwarned; i++)
		free(rp->warned[i]);
}

/*
 * Reads an export into yearly figures.  Bad rows are told to report and
 * skipped.  -1 (err set, res empty) if the export cannot be read at all:
 * no header, a missing column, no memory.
 */
int
registry_parse(const struct registry_conf *rc, const char *buf, size_t len,
    const struct csv_format *fmt, struct registry_result *res,
    registry_report_cb report, void *arg, char *err, size_t errlen)
{
	struct registry_parse	 rp;
	int			 r;

	memset(&rp, 0, sizeof(rp));
	memset(res, 0, sizeof(*res));
	rp.conf = rc;
	rp.res = res;
	rp.cols.fmt = fmt;
	rp.cols.name = rc->column;
	rp.cols.key = registry_colkey;
	rp.cols.need = registry_colneed;
	rp.cols.n = REG_NCOLS;
	rp.cols.report = report;
	rp.cols.arg = arg;
	r = columns_read(&rp.cols, buf, len, registry_record, registry_bad,
	    &rp, err, errlen);
	registry_parse_free(&rp);
	if (r == -1)
		registry_result_free(res);
	return (r);
}

/* The metrics after the per-sector ones, in table order. */
static const char *const registry_metric_tail[] = {
	"members", "founded", "dissolved", "groups", "groups.farming",
	"unions", "revenue.total", "revenue.avg", "revenue.avg.agriculture",
	"profit.total", "profit.avg", "profit.avg.agriculture"
};
#define REG_NTAIL	(sizeof(registry_metric_tail) / \
	sizeof(registry_metric_tail[0]))

/* A sum over n figures, or NAN when there is none to average. */
static double
registry_avg(double sum, unsigned long n)
{
	return (n == 0 ? NAN : sum / (double)n);
}

/* Fills the column of one year: every metric's figure, in table order. */
static void
registry_column(const struct registry_conf *rc, const struct registry_year *y,
    double *v, size_t stride)
{
	double	 tail[REG_NTAIL];
	size_t	 i, m = 0;

	v[m++ * stride] = (double)y->active;
	for (i = 0; i < rc->nsectors; i++)
		v[m++ * stride] = (double)y->sector_active[i];
	tail[0] = y->members;
	tail[1] = (double)y->founded;
	tail[2] = (double)y->dissolved;
	tail[3] = (double)y->groups;
	tail[4] = (double)y->farming;
	tail[5] = (double)y->unions;
	tail[6] = y->nrevenue == 0 ? NAN : y->revenue;
	tail[7] = registry_avg(y->revenue, y->nrevenue);
	tail[8] = registry_avg(y->agri_revenue, y->nagri_revenue);
	tail[9] = y->nprofit == 0 ? NAN : y->profit;
	tail[10] = registry_avg(y->profit, y->nprofit);
	tail[11] = registry_avg(y->agri_profit, y->nagri_profit);
	for (i = 0; i < REG_NTAIL; i++)
		v[m++ * stride] = tail[i];
}

/*
 * Turns the yearly figures into a table for history_apply: one period per
 * report year, ending at 1 January of the next year, 00:00 UTC (a year
 * with no good row has no figures).  With an empty result it still names
 * every metric (for declaring them).
 */
int
registry_table(const struct registry_conf *rc,
    const struct registry_result *res, struct history_table *t)
{
	size_t	 nm = 1 + rc->nsectors + REG_NTAIL, i, p;
	long	 days;

	if (history_table_init(t, nm, res->nyears) == -1)
		return (-1);
	for (i = 0; i < nm; i++) {
		if (i == 0)
			t->metric[i] = strdup("cooperatives.active");
		else if (i <= rc->nsectors) {
			if (asprintf(&t->metric[i], "cooperatives.active.%s",
			    rc->sector[i - 1].name) == -1)
				t->metric[i] = NULL;
		} else
			t->metric[i] = strdup(registry_metric_tail[i - 1 -
			    rc->nsectors]);
		if (t->metric[i] == NULL)
			goto fail;
	}
	t->yearly = 1;
	t->unplaced.rows = t->unplaced.bad = res->unplaced;
	snprintf(t->unplaced.why, sizeof(t->unplaced.why), "%s",
	    res->unplaced_why);
	for (p = 0; p < res->nyears; p++) {
		if (csv_days(res->years[p].year + 1, 1, 1, &days) == -1)
			goto fail;
		t->when[p] = (time_t)days * 86400;
		t->keep[p] = res->years[p].bad || res->unplaced;
		t->quality[p].rows = res->years[p].good + res->years[p].bad;
		t->quality[p].bad = res->years[p].bad;
		snprintf(t->quality[p].why, sizeof(t->quality[p].why), "%s",
		    res->years[p].why);
		if (res->years[p].good > 0)
			registry_column(rc, &res->years[p], t->value + p,
			    t->nperiods);
	}
	return (0);
fail:
	history_table_free(t);
	return (-1);
}
