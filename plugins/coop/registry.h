/*
 * registry.h - the province's cooperative registry export (CSV, one row
 * per organisation and report year) read into yearly figures.
 */
#ifndef COOP_REGISTRY_H
#define COOP_REGISTRY_H

#include <stddef.h>

#include "history.h"

enum registry_col {
	REG_ID, REG_NAME, REG_KIND, REG_SECTOR, REG_DISTRICT, REG_FOUNDED,
	REG_DISSOLVED, REG_MEMBERS, REG_REVENUE, REG_PROFIT, REG_YEAR,
	REG_NCOLS
};

enum registry_kind {
	REG_COOP, REG_UNION, REG_GROUP, REG_NKINDS
};

#define REG_SECTOR_NAME_MAX	32

struct registry_sector {
	char		 name[REG_SECTOR_NAME_MAX + 1];
	char		**labels;
	size_t		 nlabels;
};

/* How to read an export: column names, kind and sector labels. */
struct registry_conf {
	char			*column[REG_NCOLS];	/* header names */
	char			**kind[REG_NKINDS];	/* labels per kind */
	size_t			 nkind[REG_NKINDS];
	struct registry_sector	*sector;	/* agriculture first */
	size_t			 nsectors;
};

/* The figures of one report year, over the rows that were good. */
struct registry_year {
	int		 year;
	unsigned long	 bad;		/* rows of this year that were bad */
	unsigned long	 good;		/* rows of this year that were good */
	char		 why[HISTORY_WHY_MAX];	/* the first bad row */
	unsigned long	 active, founded, dissolved, groups, farming, unions;
	unsigned long	*sector_active;		/* per sector */
	double		 members;
	double		 revenue, profit;	/* sums over active coops */
	unsigned long	 nrevenue, nprofit;
	double		 agri_revenue, agri_profit;
	unsigned long	 nagri_revenue, nagri_profit;
};

struct registry_result {
	struct registry_year	*years;		/* by year, increasing */
	size_t			 nyears;
	unsigned long		 rows;		/* data rows read */
	unsigned long		 bad;		/* rows skipped */
	unsigned long		 unplaced;	/* bad rows of unknown year */
	char			 unplaced_why[HISTORY_WHY_MAX];
};

/* Told of each bad row (skipped = 1) and warning (line of the CSV). */
typedef void (*registry_report_cb)(void *, unsigned long, int, const char *);

int	registry_conf_init(struct registry_conf *);
void	registry_conf_free(struct registry_conf *);
int	registry_configure(struct registry_conf *, const char *, const char *,
	    char *, size_t);
struct csv_format;
int	registry_parse(const struct registry_conf *, const char *, size_t,
	    const struct csv_format *, struct registry_result *,
	    registry_report_cb, void *, char *, size_t);
void	registry_result_free(struct registry_result *);
int	registry_table(const struct registry_conf *,
	    const struct registry_result *, struct history_table *);

#endif
