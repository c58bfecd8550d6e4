/*
 * csv.h - an RFC 4180 reader over a buffer in memory, shared by the coop
 * and creditfund plugins.
 *
 * Fields may be quoted; inside quotes a doubled quote is one quote, and
 * separators and line ends are data.  The separator is ',' unless the
 * caller sets c->sep (';' or tab, as a Vietnamese Excel writes).  Records end with CRLF, LF or a lone CR.
 * A UTF-8 byte-order mark at the start is skipped.  Line numbers are
 * physical lines of the input, counting the line ends inside quotes, so an
 * error names the line an editor shows.
 */
#ifndef COOP_CSV_H
#define COOP_CSV_H

#include <stddef.h>

#define CSV_FIELD_MAX	4096	/* longest field, bytes */
#define CSV_FIELDS_MAX	64	/* most fields in one record */

struct csv {
	const char	*buf;
	size_t		 len;
	size_t		 pos;
	unsigned long	 line;		/* physical line at pos, from 1 */
	unsigned long	 rec_line;	/* line the last record started on */
	char		*store;		/* the last record's fields */
	size_t		 store_len;
	size_t		 store_cap;
	size_t		 off[CSV_FIELDS_MAX];
	const char	*field[CSV_FIELDS_MAX];
	size_t		 nfields;
	char		 sep;		/* ',' unless set after csv_init */
};

/*
 * How a decoded file is written, found by the feed before parsing: the
 * separator and decimal mark (given or sniffed), and how it was decoded
 * (for messages that suggest a likely cause).
 */
struct csv_format {
	char		 sep;
	char		 dec;
	int		 sep_set;	/* given in the config, not sniffed */
	char		 encoding[40];
	int		 guessed;	/* not UTF-8, read as Windows-1258 */
	char		 sheet[128];	/* an XLSX sheet: places are cells */
	char		 sheets[256];	/* the workbook's, for hints */
};

void		 csv_init(struct csv *, const char *, size_t);
int		 csv_next(struct csv *, char *, size_t);
void		 csv_free(struct csv *);

/* A set of strings, to find duplicate rows. */
struct csv_set {
	char		**v;
	size_t		 cap;
	size_t		 n;
};

int		 csv_set_add(struct csv_set *, const char *);
void		 csv_set_free(struct csv_set *);

const char	*csv_sep_name(char);
char		 csv_sniff_sep(const char *, size_t);
char		 csv_sniff_decimal(const char *, size_t, char);
char		 csv_figure_vote(const char *);
void		 csv_colname(unsigned, char *, size_t);
void		 csv_where(const struct csv_format *, unsigned long, int, char *,
		    size_t);
void		 csv_column(const struct csv_format *, unsigned long, int,
		    char *, size_t);
int		 csv_number(const char *, char, double *);
int		 csv_date(const char *, int *, int *, int *, char *, size_t);
int		 csv_count(const char *, unsigned long *);
int		 csv_blank(const char *);
void		 csv_header_hint(const struct csv *, const struct csv_format *,
		    char *, size_t);
int		 csv_label_eq(const char *, const char *);
int		 csv_labels_add(char ***, size_t *, const char *);
void		 csv_labels_free(char ***, size_t *);
int		 csv_days(int, int, int, long *);

#endif
