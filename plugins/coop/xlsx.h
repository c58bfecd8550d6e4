/*
 * xlsx.h - one sheet of an Excel workbook (.xlsx) turned into the CSV text
 * the coop and creditfund readers take, so that the rest (column mapping,
 * the guard, the totals layout) is the same code for both formats.
 *
 * The CSV written has one physical line per sheet row (line N is row N,
 * blank lines for empty rows) and one field per column from A, so a
 * reader's "line 17, column 4" is cell D17 (csv_where says so).
 */
#ifndef COOP_XLSX_H
#define COOP_XLSX_H

#include <stddef.h>

#define XLSX_INFLATE_MAX	(256UL * 1024 * 1024)	/* all XML parts */
#define XLSX_CELLS_MAX		1000000UL	/* cells, and shared strings */
#define XLSX_CSV_MAX		(256UL * 1024 * 1024)	/* the text written */
#define XLSX_SHEET_MAX		31	/* Excel's longest sheet name */
#define XLSX_SHEETS_MAX		256	/* bytes of the list of names */

/* What a conversion found, for messages and the log. */
struct xlsx_info {
	char		 sheet[XLSX_SHEET_MAX * 4 + 1];	/* the one read */
	char		 sheets[XLSX_SHEETS_MAX];	/* 'A', 'B', ... */
	int		 date1904;	/* the workbook's 1904 date system */
	char		 dec;		/* decimal mark numbers were written with */
	unsigned long	 cells;		/* cells with a value */
	unsigned long	 rows;		/* last row with a value */
};

int	xlsx_is_zip(const char *, size_t);
int	xlsx_to_csv(const char *, size_t, const char *, char, char **,
	    size_t *, struct xlsx_info *, char *, size_t);

#endif
