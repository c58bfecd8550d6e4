/*
 * totals.h - a table of indicators by year (the office's yearly totals,
 * years as columns or as rows) read into the same series as the
 * per-organisation layouts.  Shared by the coop and creditfund plugins.
 */
#ifndef COOP_TOTALS_H
#define COOP_TOTALS_H

#include <stddef.h>

#include "csv.h"
#include "history.h"

/* Which metric each indicator label names. */
struct totals_map {
	char		**metric;
	char		***labels;
	size_t		 *nlabels;
	size_t		  n;
};

typedef void (*totals_report_cb)(void *, unsigned long, int, const char *);

int	totals_map_set(struct totals_map *, const char *, const char *);
void	totals_map_free(struct totals_map *);
int	totals_parse(const struct totals_map *, char *const *, size_t,
	    const char *, size_t, const struct csv_format *,
	    struct history_table *, totals_report_cb, void *, char *, size_t);

#endif
