/*
 * columns.h - an export read as a table of named columns, shared by the
 * coop registry and the creditfund reports: which header field holds each
 * configured column, a record's field by column, and messages that name
 * the file's line and column (or the sheet's cell) as the office worker
 * sees them, with the column's header text.
 */
#ifndef COOP_COLUMNS_H
#define COOP_COLUMNS_H

#include <stddef.h>

#include "csv.h"
#include "history.h"

#define COLUMNS_MAX	16

typedef void (*columns_report_cb)(void *, unsigned long, int, const char *);

struct columns {
	/* Set by the caller before columns_read. */
	const struct csv_format	*fmt;
	char *const		*name;	/* [n]: the header text of each */
	const char *const	*key;	/* [n]: its config key, column.KEY */
	const int		*need;	/* [n]: an export must have it */
	size_t			 n;
	columns_report_cb	 report;	/* each message, or NULL */
	void			*arg;

	int			 col[COLUMNS_MAX];	/* its field, or -1 */
	size_t			 nheader;	/* fields of the header */
	char			 last[HISTORY_WHY_MAX]; /* the last bad row */
};

/* Called with each record; -1 (no memory) stops the read. */
typedef int (*columns_record_cb)(void *, const struct csv *);
/* Called with each record the CSV reader could not read, after it is
 * reported (columns.last holds the message). */
typedef void (*columns_bad_cb)(void *, const struct csv *);

int		 columns_read(struct columns *, const char *, size_t,
		    columns_record_cb, columns_bad_cb, void *, char *, size_t);
const char	*columns_field(const struct columns *, const struct csv *, int);
int		 columns_width(struct columns *, const struct csv *);
void		 columns_say(struct columns *, unsigned long, int, int,
		    const char *, ...) __attribute__((format(printf, 5, 6)));

#endif
