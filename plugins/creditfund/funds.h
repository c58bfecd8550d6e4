/*
 * funds.h - people's credit fund reports (CSV, one row per fund and
 * period) read into per-period figures of one granularity.
 */
#ifndef CREDITFUND_FUNDS_H
#define CREDITFUND_FUNDS_H

#include <stddef.h>
#include <time.h>

#include "history.h"

enum funds_col {
	FUND_ID, FUND_NAME, FUND_DISTRICT, FUND_PERIOD, FUND_ASSETS,
	FUND_LOANS, FUND_REVENUE, FUND_EXPENSES, FUND_PROFIT, FUND_BADDEBT,
	FUND_NCOLS
};

enum funds_gran {
	FUND_YEAR, FUND_QUARTER, FUND_MONTH
};

struct funds_conf {
	char		*column[FUND_NCOLS];
	enum funds_gran	 gran;
};

/* The figures of one period, over the rows that were good. */
struct funds_period {
	time_t		 end;		/* first instant after the period */
	char		 label[16];	/* 2021, 2021-Q3, 2021-07 */
	unsigned long	 bad;		/* bad rows */
	char		 why[HISTORY_WHY_MAX];	/* the first of them */
	unsigned long	 reporting, inprofit, atloss;
	double		 profit, assets, loans, baddebt_loans;
};

struct funds_result {
	struct funds_period	*periods;	/* by end, increasing */
	size_t			 nperiods;
	unsigned long		 rows, bad;
	unsigned long		 other;		/* rows of other granularity */
	unsigned long		 unplaced;	/* bad rows of unknown period */
	char			 unplaced_why[HISTORY_WHY_MAX];
};

typedef void (*funds_report_cb)(void *, unsigned long, int, const char *);

int	funds_conf_init(struct funds_conf *);
void	funds_conf_free(struct funds_conf *);
int	funds_configure(struct funds_conf *, const char *, const char *,
	    char *, size_t);
int	funds_period(const char *, enum funds_gran *, time_t *, char *,
	    size_t);
struct csv_format;
int	funds_parse(const struct funds_conf *, const char *, size_t,
	    const struct csv_format *, struct funds_result *, funds_report_cb,
	    void *, char *, size_t);
void	funds_result_free(struct funds_result *);
int	funds_table(const struct funds_result *, struct history_table *);

#endif
