/*
 * tstats.h - the traffic plugin's figures: running totals, one row per
 * calendar day of the log, exact unique visitors per day, month and year,
 * visits (30-minute idle timeout) and visitors online.  Pure counting on
 * parsed lines; saving and loading is text through stdio, so a unit test
 * can drive it without a daemon.
 */
#ifndef TRAFFIC_TSTATS_H
#define TRAFFIC_TSTATS_H

#include <stdio.h>
#include <stdint.h>

#include "logparse.h"
#include "tset.h"

enum ts_profile {
	TS_DEFAULT = 0,		/* page views by people */
	TS_GOACCESS		/* count as GoAccess 1.7 does */
};

enum ts_gran { TS_DAY = 0, TS_MONTH, TS_YEAR, TS_NGRAN };

struct ts_period {
	int32_t		 id;		/* YYYYMMDD, YYYYMM, YYYY; 0 */
	struct tset	 set;
	uint64_t	*pending;	/* keys added since the last flush */
	size_t		 npending, cappending;
	int		 dirty;		/* pending holds keys */
	uint64_t	 nfile;		/* keys in its file (flushed) */
	int		 limit;		/* load only nfile keys (a "setlen") */
};

struct ts_day {
	int32_t		 date;		/* YYYYMMDD, log's own zone */
	uint64_t	 hits, pageviews, bytes, crawlers, visitors;
	uint64_t	 status[6];	/* [0] none, [1] 1xx .. [5] 5xx */
};

struct ts_totals {
	uint64_t	 hits, pageviews, bytes, crawlers, visits, malformed;
	uint64_t	 status[6];
	uint64_t	 bad[TP_E_COUNT];
};

/*
 * Log-time figures (tbucket.c): what a bucket of the log's own time holds,
 * in the order of the plugin's series names.
 */
enum ts_fig {
	TS_F_HITS = 0, TS_F_PAGEVIEWS, TS_F_BYTES, TS_F_CRAWLERS,
	TS_F_MALFORMED, TS_F_VISITS, TS_F_S1, TS_F_S2, TS_F_S3, TS_F_S4,
	TS_F_S5, TS_F_LATE, TS_NFIG
};

#define TS_RING		4096	/* open buckets at most (a power of two) */
#define TS_FILL		1440	/* empty buckets stored in a row at most */

/* What closing produced, for the plugin to submit in order. */
enum ts_out_kind {
	TS_O_BUCKET = 0,	/* v: running totals of every figure */
	TS_O_DAY,		/* v: visitors hits pageviews bytes of a day */
	TS_O_MONTH,		/* v[0]: unique visitors of a month */
	TS_O_YEAR		/* v[0]: unique visitors of a year */
};

struct ts_out {
	int64_t		 when;		/* end of the period, UTC */
	int		 kind;		/* enum ts_out_kind */
	uint64_t	 v[TS_NFIG];
};

struct ts_buckets {
	int64_t		 step;		/* seconds; 0: no log-time figures */
	int64_t		 grace;		/* a bucket closes this long after */
	int64_t		 horizon;	/* this far past the clock: late */
	int64_t		 sub;		/* start of the first open bucket */
	int64_t		 top;		/* start of the newest bucket used */
	int64_t		 dnext;		/* day number of the first open day */
	int64_t		 mnext;		/* y * 12 + m - 1, first open month */
	int64_t		 ynext;		/* first open year */
	int32_t		 tzoff;		/* of the newest line */
	uint32_t	 empty;		/* empty buckets closed in a row */
	int		 loaded;	/* a state file gave "tb" */
	int32_t		 lastdate;	/* a cache of tb_days */
	int64_t		 lastdays;
	uint64_t	 held;		/* malformed lines before any bucket */
	uint64_t	 heldlate;	/* late lines before any bucket */
	uint64_t	 run[TS_NFIG];	/* running totals submitted */
	uint64_t	 ring[TS_RING][TS_NFIG];
	struct ts_out	*out;		/* closed, not yet taken */
	size_t		 nout, capout;
};

#define TS_AGENTS	1024	/* user agents whose crawler test is kept */

/* A parsed line reduced to what counting needs (ts_fact_of). */
struct ts_fact {
	int64_t		 when;
	uint64_t	 bytes;
	uint64_t	 key;		/* visitor fingerprint, or 0 */
	int32_t		 date;		/* local YYYYMMDD */
	int32_t		 tzoff;
	int16_t		 status;	/* < 0: malformed, -enum tp_error */
	uint8_t		 crawler, pv, vis;
	uint8_t		 first;		/* first line of a file */
};

struct tstats {
	int		 profile;
	uint64_t	 agents[TS_AGENTS];	/* hash | crawler bit */
	int64_t		 visit_idle;	/* seconds that end a visit */
	int64_t		 max_future;	/* 0: any time stamp */
	int64_t		 max_lag;	/* 0: accept any order */
	size_t		 keep_days;	/* day rows kept */
	uint64_t	 seed;		/* of visitor fingerprints */
	struct ts_totals tot;
	struct ts_period cur[TS_NGRAN], prev[TS_NGRAN];
	struct ts_day	*days;
	size_t		 ndays, capdays;
	struct tseen	 seen;		/* visitor: last page view */
	int64_t		 newest;	/* newest time stamp counted */
	struct ts_buckets *b;		/* log-time figures, or NULL */
};

void		 ts_init(struct tstats *, int profile);
void		 ts_free(struct tstats *);
enum tp_error	 ts_add(struct tstats *, const struct tp_rec *,
		    int64_t now, int64_t *file_newest);
void		 ts_fact_of(uint64_t seed, int profile, uint64_t *agents,
		    const struct tp_rec *, struct ts_fact *);
enum tp_error	 ts_add_fact(struct tstats *, const struct ts_fact *,
		    int64_t now, int64_t *file_newest);
void		 ts_bad(struct tstats *, enum tp_error);
size_t		 ts_online(const struct tstats *, int64_t now,
		    int64_t window);
uint64_t	 ts_unique(const struct tstats *, enum ts_gran);
const struct ts_day *ts_day_find(const struct tstats *, int32_t date);
void		 ts_expire(struct tstats *, int64_t now, int64_t window);

void		 ts_save(const struct tstats *, FILE *);
int		 ts_load_line(struct tstats *, const char *line);
int		 ts_flush_sets(struct tstats *, const char *dir);
int		 ts_load_sets(struct tstats *, const char *dir);
void		 ts_forget_closed(struct tstats *, const char *dir);
void		 ts_write_days(const struct tstats *, FILE *);
const char	*ts_gran_name(enum ts_gran);

int		 tb_init(struct tstats *, int64_t step, int64_t grace);
int		 tb_late(struct tstats *, const struct ts_fact *, int64_t now);
void		 tb_count(struct tstats *, int64_t when, int fig, uint64_t n);
void		 tb_bad(struct tstats *);
void		 tb_close(struct tstats *, int64_t upto);
void		 tb_save(const struct tstats *, FILE *);
int		 tb_load_line(struct tstats *, const char *line);
void		 tb_civil(int64_t days, int *y, int *m, int *d);

#endif
