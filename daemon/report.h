/*
 * report.h - the annual report: a table of indicators by year with the
 * change against the year before, read from the yearly series, as text,
 * CSV or XLSX.  For REPORT (cmd.c) and /api/v1/report (http.c).
 */
#ifndef TALLY_REPORT_H
#define TALLY_REPORT_H

#include <stddef.h>

struct config;
struct config_section;
struct evbuffer;

extern const struct config_section report_section;

#define REPORT_YEARS_MAX	100	/* years in one report at most */

struct report_ind {
	char		*series;
	char		*label;
};

/*
 * value[i * (nyears + 1) + k] is indicator i in year from - 1 + k (k = 0
 * is the year before the first, for its change); NAN where there is none.
 */
struct report {
	int			 from, to;
	size_t			 nyears;	/* to - from + 1 */
	struct report_ind	*ind;
	size_t			 nind;
	double			*value;
};

enum report_format {
	REPORT_TEXT, REPORT_CSV, REPORT_XLSX,
	REPORT_RAW		/* the figures only: the caller formats */
};

struct event_base;

/*
 * Runs on the loop once the report is read and rendered: data (freed
 * after the call; move what is kept) of type mime, or err.  The report
 * is the callback's to free.
 */
typedef void (*report_cb)(struct report *, struct evbuffer *data,
    const char *mime, const char *err, void *arg);

void		 report_init(struct event_base *);
void		 report_shutdown(void);
void		 report_set_config(const struct config *);
int		 report_years(const char *, const char *, int *, int *, char *,
		    size_t);
void		 report_run(int, int, enum report_format, report_cb, void *);
void		 report_free(struct report *);
double		 report_value(const struct report *, size_t, int);
int		 report_format_parse(const char *, enum report_format *);
int		 report_render(const struct report *, enum report_format,
		    struct evbuffer *, const char **, char *, size_t);
void		 report_number(char *, size_t, double);

#endif
