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

struct tstats {
	int		 profile;
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
};

void		 ts_init(struct tstats *, int profile);
void		 ts_free(struct tstats *);
enum tp_error	 ts_add(struct tstats *, const struct tp_rec *,
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

#endif
