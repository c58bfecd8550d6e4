/*
 * output.h - how tallyctl prints FETCH answers: an aligned table with
 * local (or ISO-8601 UTC) times, CSV or JSON; and alert lines with dates.
 * Pure functions over parsed rows.
 */
#ifndef TALLYCTL_OUTPUT_H
#define TALLYCTL_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "conn.h"

struct fetch_point {
	long long	 t;		/* end of the interval, epoch s */
	int		 known;		/* 0: "U" */
	double		 v;
};

struct fetch_result {
	long			 step;	/* seconds, from "step=S" */
	char			 cf[16];	/* from "cf=CF" */
	size_t			 n;
	struct fetch_point	*pts;
};

/* Parse an "OK n step=S cf=CF" answer and its rows.  0, or -1 with err. */
int	output_fetch_parse(const struct resp *, struct fetch_result *,
	    char *err, size_t errlen);
void	output_fetch_free(struct fetch_result *);

/* Times local (or UTC), dates alone when every row is at midnight. */
void	output_fetch_table(FILE *, const struct fetch_result *, int utc);
void	output_fetch_csv(FILE *, const struct fetch_result *);
void	output_fetch_json(FILE *, const char *metric,
	    const struct fetch_result *);

/*
 * An alert line (ALERTS, ALERT HISTORY, ALERT TEST) for a person: word
 * tword (from 0), epoch seconds, as a local date and time; word vword a
 * plain number; the rest as it came.
 */
void	output_alert_line(FILE *, const char *line, int tword, int vword,
	    int utc);
/* A JSON string literal, quotes included. */
void	output_json_string(FILE *, const char *);

#endif
