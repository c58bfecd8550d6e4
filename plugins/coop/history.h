/*
 * history.h - what a plugin has stored of each metric, kept in its state
 * directory, and how a new reading of a source is brought into storage:
 * new periods submitted in time order, corrected past periods through the
 * host's rewrite.  Shared by the coop and creditfund plugins.
 */
#ifndef COOP_HISTORY_H
#define COOP_HISTORY_H

#include <stddef.h>
#include <time.h>

#include <tally/plugin.h>

struct history;

/*
 * One reading of a source as a table: value[m * nperiods + p] is metric m
 * at the end of period p (NAN: no figure); when[] increases.  A period
 * whose rows were partly bad is "kept": a figure stored for it before
 * stands, and only a period never stored takes the new figure.
 */
#define HISTORY_WHY_MAX	400

/* How well a period was read: its rows, the bad ones, the first fault. */
struct history_quality {
	unsigned long	 rows;		/* rows of the period, bad included */
	unsigned long	 bad;
	char		 why[HISTORY_WHY_MAX];	/* "line 17, column 9 ..." */
};

struct history_table {
	size_t			 nmetrics;
	size_t			 nperiods;
	char			**metric;
	time_t			*when;
	unsigned char		*keep;
	double			*value;
	struct history_quality	*quality;	/* per period */
	struct history_quality	 unplaced;	/* bad rows of no known period */
	int			 yearly;	/* periods are years (names) */
};

/* What one history_apply did. */
struct history_stats {
	unsigned long	 added;		/* points submitted */
	unsigned long	 corrected;	/* metrics rewritten */
	unsigned long	 held;		/* points of periods not yet ended */
	unsigned long	 unfixed;	/* corrections not stored */
};

struct history	*history_new(void);
void		 history_free(struct history *);
int		 history_load(struct history *, const char *, char *, size_t);
int		 history_save(const struct history *, const char *, char *,
		    size_t);
int		 history_apply(struct history *, struct tally_ctx *,
		    const struct tally_host *, const struct history_table *,
		    time_t, struct history_stats *);
size_t		 history_points(const struct history *, const char *,
		    const time_t **, const double **);

int		 history_table_init(struct history_table *, size_t, size_t);
void		 history_table_free(struct history_table *);
void		 history_when_str(time_t, char *, size_t);
void		 history_suspect(struct history *);
size_t		 history_verify(struct history *, struct tally_ctx *,
		    const struct tally_host *);
int		 history_stored(const struct history *, const char *, time_t,
		    double *);

#endif
