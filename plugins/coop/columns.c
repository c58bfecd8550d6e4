/*
 * columns.c - an export read as a table of named columns (columns.h).
 *
 * The registry and the fund reports differ in what a row means, not in
 * how a header is matched, a row's width checked or a bad cell named: that
 * part is here once, so both plugins say "line 17, column I 'Doanh thu
 * (đồng)'" (or the sheet's cell) the same way.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "columns.h"

/*
 * Reports a bad row or a warning through the report callback; col is the
 * column at fault or -1.  A bad row's message (skipped) is kept in
 * cols->last for the caller to file with its period: "line 17, column I
 * 'Doanh thu (đồng)': ...".
 */
void
columns_say(struct columns *cols, unsigned long line, int col, int skipped,
    const char *fmt, ...)
{
	char	 msg[HISTORY_WHY_MAX], where[200] = "", at[160], loc[160];
	char	 full[HISTORY_WHY_MAX + 200];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	csv_where(cols->fmt, line, -1, loc, sizeof(loc));
	if (col >= 0 && (size_t)col < cols->n && cols->col[col] >= 0) {
		csv_column(cols->fmt, line, cols->col[col], at, sizeof(at));
		snprintf(where, sizeof(where), "%s '%s': ", at,
		    cols->name[col]);
		csv_where(cols->fmt, line, cols->col[col], loc, sizeof(loc));
		snprintf(loc + strlen(loc), sizeof(loc) - strlen(loc),
		    " '%s'", cols->name[col]);
	}
	/* Cut to fit: the start of a message says enough. */
	if (skipped && snprintf(cols->last, sizeof(cols->last), "%s%s %s",
	    loc, where[0] != '\0' ? ":" : ",", msg) < 0)
		cols->last[0] = '\0';
	if (cols->report != NULL) {
		snprintf(full, sizeof(full), "%s%s", where, msg);
		cols->report(cols->arg, line, skipped, full);
	}
}

/* Maps the configured names to header fields; -1 if a needed one is missing. */
static int
columns_header(struct columns *cols, const struct csv *c, char *err,
    size_t errlen)
{
	char	 hint[1024], loc[160];
	size_t	 i, f;

	cols->nheader = c->nfields;
	for (i = 0; i < cols->n; i++) {
		cols->col[i] = -1;
		for (f = 0; f < c->nfields && cols->col[i] == -1; f++)
			if (csv_label_eq(c->field[f], cols->name[i]))
				cols->col[i] = (int)f;
		if (cols->col[i] == -1 && cols->need[i]) {
			csv_header_hint(c, cols->fmt, hint, sizeof(hint));
			csv_where(cols->fmt, c->rec_line, -1, loc, sizeof(loc));
			snprintf(err, errlen, "%s: the header has no column "
			    "'%s' (set column.%s to its name); %s", loc,
			    cols->name[i], cols->key[i], hint);
			return (-1);
		}
	}
	return (0);
}

/* Field of column i in the record, or "" if the export lacks it. */
const char *
columns_field(const struct columns *cols, const struct csv *c, int i)
{
	if (cols->col[i] == -1 || (size_t)cols->col[i] >= c->nfields)
		return ("");
	return (c->field[cols->col[i]]);
}

/*
 * 0 if the record has as many fields as the header; else -1, reported
 * with the likely cause (a separator inside an unquoted field).
 */
int
columns_width(struct columns *cols, const struct csv *c)
{
	if (c->nfields == cols->nheader)
		return (0);
	if (cols->fmt->sheet[0] != '\0')
		columns_say(cols, c->rec_line, -1, 1, "a value in column %zu, "
		    "right of the header's last column (%zu)", c->nfields,
		    cols->nheader);
	else
		columns_say(cols, c->rec_line, -1, 1, "%zu fields, but the "
		    "header has %zu (a '%s' inside an unquoted field, such as "
		    "the decimal comma of 1,5 tỷ in a ',' file? quote the "
		    "field or save with ';')", c->nfields, cols->nheader,
		    csv_sep_name(cols->fmt->sep));
	return (-1);
}

/*
 * Reads buf: the header, then each record to record(arg), each record the
 * reader cannot split to bad(arg) after reporting it.  -1 with err set if
 * the export cannot be read at all (no header, a needed column missing,
 * no memory).
 */
int
columns_read(struct columns *cols, const char *buf, size_t len,
    columns_record_cb record, columns_bad_cb bad, void *arg, char *err,
    size_t errlen)
{
	struct csv	 c;
	char		 why[256], loc[160];
	int		 r, rc;

	if (cols->n > COLUMNS_MAX) {
		snprintf(err, errlen, "too many columns");
		return (-1);
	}
	csv_init(&c, buf, len);
	c.sep = cols->fmt->sep;
	if ((r = csv_next(&c, why, sizeof(why))) != 1) {
		csv_where(cols->fmt, c.rec_line, -1, loc, sizeof(loc));
		snprintf(err, errlen, "%s: no header (%s)", loc,
		    r == 0 ? (cols->fmt->sheet[0] != '\0' ? "empty sheet" :
		    "empty file") : why);
		rc = -1;
	} else
		rc = columns_header(cols, &c, err, errlen);
	while (rc == 0 && (r = csv_next(&c, why, sizeof(why))) != 0) {
		if (r == -1) {
			columns_say(cols, c.rec_line, -1, 1, "%s", why);
			bad(arg, &c);
		} else if (record(arg, &c) == -1) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	}
	csv_free(&c);
	return (rc);
}
