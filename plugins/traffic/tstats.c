/*
 * tstats.c - count parsed lines into the traffic plugin's figures.
 *
 * Totals only grow.  Unique visitors are exact sets of fingerprints, one per
 * day, month and year; the current and the previous period of each are kept
 * (a late line of yesterday still counts for yesterday), older ones are
 * closed.  Each set's new keys are appended to a file in the state
 * directory at every flush, so a restart reloads them; adding a key twice is
 * harmless, which makes the files safe to replay.  Everything that is not
 * idempotent (totals, day rows, the visit map) goes into the one state file
 * that the plugin replaces atomically together with the log offsets.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tstats.h"

static const char *ts_gran_names[TS_NGRAN] = { "day", "month", "year" };

const char *
ts_gran_name(enum ts_gran g)
{
	return (ts_gran_names[g]);
}

void
ts_init(struct tstats *s, int profile)
{
	memset(s, 0, sizeof(*s));
	s->profile = profile;
	s->visit_idle = 30 * 60;
	s->keep_days = 400;
	if (profile == TS_DEFAULT) {
		s->max_future = 15 * 60;
		s->max_lag = 60 * 60;
	}
}

/* Drop a period's set and pending keys. */
static void
ts_period_free(struct ts_period *p)
{
	tset_free(&p->set);
	free(p->pending);
	memset(p, 0, sizeof(*p));
}

void
ts_free(struct tstats *s)
{
	int	 g;

	for (g = 0; g < TS_NGRAN; g++) {
		ts_period_free(&s->cur[g]);
		ts_period_free(&s->prev[g]);
	}
	free(s->days);
	tseen_free(&s->seen);
	if (s->b != NULL)
		free(s->b->out);
	free(s->b);
	s->b = NULL;
	s->days = NULL;
	s->ndays = s->capdays = 0;
}

/* The period a local date falls in. */
static int32_t
ts_period_id(int32_t date, int g)
{
	return (g == TS_DAY ? date : g == TS_MONTH ? date / 100 : date / 10000);
}

/* Remember a new key for the next flush; -1 without memory. */
static int
ts_period_pend(struct ts_period *p, uint64_t key)
{
	uint64_t	*np;
	size_t		 ncap;

	if (p->npending == p->cappending) {
		ncap = p->cappending ? p->cappending * 2 : 256;
		if ((np = realloc(p->pending, ncap * sizeof(*np))) == NULL)
			return (-1);
		p->pending = np;
		p->cappending = ncap;
	}
	p->pending[p->npending++] = key;
	p->dirty = 1;
	return (0);
}

/*
 * Add a visitor to the period of granularity g that holds id; a newer id
 * closes the previous period.  Returns 1 if the visitor is new there, 0 if
 * not, -1 if the period is closed.
 */
static int
ts_visitor_add(struct tstats *s, int g, int32_t id, uint64_t key)
{
	struct ts_period	*p;

	if (id == s->cur[g].id)
		p = &s->cur[g];
	else if (id > s->cur[g].id) {
		ts_period_free(&s->prev[g]);
		s->prev[g] = s->cur[g];
		memset(&s->cur[g], 0, sizeof(s->cur[g]));
		s->cur[g].id = id;
		p = &s->cur[g];
	} else if (id == s->prev[g].id)
		p = &s->prev[g];
	else
		return (-1);	/* closed long ago: documented */
	if (tset_add(&p->set, key) != 1)
		return (0);
	(void)ts_period_pend(p, key);
	return (1);
}

/* The row of a date, created in date order; NULL without memory. */
static struct ts_day *
ts_day_get(struct tstats *s, int32_t date)
{
	struct ts_day	*nd;
	size_t		 i, ncap;

	for (i = s->ndays; i > 0 && s->days[i - 1].date > date; i--)
		continue;
	if (i > 0 && s->days[i - 1].date == date)
		return (&s->days[i - 1]);
	if (s->ndays == s->capdays) {
		ncap = s->capdays ? s->capdays * 2 : 64;
		if ((nd = realloc(s->days, ncap * sizeof(*nd))) == NULL)
			return (NULL);
		s->days = nd;
		s->capdays = ncap;
	}
	memmove(&s->days[i + 1], &s->days[i], (s->ndays - i) *
	    sizeof(*s->days));
	memset(&s->days[i], 0, sizeof(*s->days));
	s->days[i].date = date;
	s->ndays++;
	if (s->ndays > s->keep_days && i > 0) {
		memmove(&s->days[0], &s->days[1], (s->ndays - 1) *
		    sizeof(*s->days));
		s->ndays--;
		i--;
	}
	return (&s->days[i]);
}

const struct ts_day *
ts_day_find(const struct tstats *s, int32_t date)
{
	size_t	 i;

	for (i = s->ndays; i > 0; i--) {
		if (s->days[i - 1].date == date)
			return (&s->days[i - 1]);
	}
	return (NULL);
}

void
ts_bad(struct tstats *s, enum tp_error e)
{
	if (e <= TP_OK || e >= TP_E_COUNT)
		return;
	s->tot.malformed++;
	s->tot.bad[e]++;
	tb_bad(s);
}

/* Whether a line's time stamp is acceptable. */
static enum tp_error
ts_check_time(struct tstats *s, int64_t when, int64_t now, int64_t *newest)
{
	if (s->max_future > 0 && when > now + s->max_future)
		return (TP_E_FUTURE);
	if (s->max_lag > 0 && *newest != 0 && when < *newest - s->max_lag)
		return (TP_E_ORDER);
	return (TP_OK);
}

/* Take a counted line's time stamp as the newest if it is. */
static void
ts_newest(struct tstats *s, int64_t when, int64_t *newest)
{
	if (when > *newest)
		*newest = when;
	if (when > s->newest)
		s->newest = when;
}

/*
 * Count a visitor in its day, month and year; bump the day's figure.  A
 * visitor already in its day's set is in the month's and year's too.
 */
static void
ts_count_visitor(struct tstats *s, struct ts_day *d, int32_t date,
    uint64_t key)
{
	int	 g, rc;

	for (g = 0; g < TS_NGRAN; g++) {
		rc = ts_visitor_add(s, g, ts_period_id(date, g), key);
		if (rc == 0 && g == TS_DAY)
			return;
		if (rc == 1 && g == TS_DAY && d != NULL)
			d->visitors++;
	}
}

/*
 * Whether a line's user agent is a crawler.  Agents repeat line after
 * line, so the answer is kept per agent hash in agents (TS_AGENTS slots;
 * the crawler test scans the whole agent, the hash reads it eight bytes at
 * a time).
 */
static int
ts_crawler(uint64_t *agents, const struct tp_rec *r)
{
	uint64_t	 h, *slot;
	int		 c;

	h = th_hash(r->agent, r->agentlen, 0x6372617766ULL) | 1;
	slot = &agents[(h >> 40) & (TS_AGENTS - 1)];
	if (*slot != 0 && (*slot | 1) == h)
		return ((int)(*slot & 1) ^ 1);
	c = tp_is_crawler(r->agent, r->agentlen);
	*slot = c ? h & ~1ULL : h;
	return (c);
}

/*
 * Reduce a parsed line to what counting needs: the part of the work that
 * needs no counting state, so another thread can do it (import.c).
 */
void
ts_fact_of(uint64_t seed, int profile, uint64_t *agents,
    const struct tp_rec *r, struct ts_fact *f)
{
	int	 cls = r->status / 100, isvis;

	f->when = r->when;
	f->bytes = r->bytes;
	f->date = r->date;
	f->tzoff = r->tzoff;
	f->status = (int16_t)r->status;
	f->crawler = (uint8_t)ts_crawler(agents, r);
	f->pv = !f->crawler && tp_is_pageview(r);
	f->first = 0;
	isvis = profile == TS_GOACCESS ? cls != 4 : f->pv;
	f->vis = (uint8_t)isvis;
	f->key = isvis || f->pv ? th_visitor(seed, r->addr, r->addrlen,
	    r->agent, r->agentlen) : 0;
}

/*
 * Count one parsed line read at wall-clock time now; file_newest is the
 * newest time stamp of the file it came from.  Returns TP_OK, or why the
 * line was counted as malformed instead.
 */
enum tp_error
ts_add(struct tstats *s, const struct tp_rec *r, int64_t now,
    int64_t *file_newest)
{
	struct ts_fact	 f;

	ts_fact_of(s->seed, s->profile, s->agents, r, &f);
	return (ts_add_fact(s, &f, now, file_newest));
}

/* Count one line reduced by ts_fact_of; as ts_add. */
enum tp_error
ts_add_fact(struct tstats *s, const struct ts_fact *f, int64_t now,
    int64_t *file_newest)
{
	struct ts_day	*d;
	enum tp_error	 e;
	int		 cls = f->status / 100;
	int64_t		 last;

	if ((e = ts_check_time(s, f->when, now, file_newest)) != TP_OK) {
		ts_bad(s, e);
		return (e);
	}
	if (tb_late(s, f, now))
		return (TP_OK);
	ts_newest(s, f->when, file_newest);
	if (s->b != NULL) {
		tb_count(s, f->when, TS_F_HITS, 1);
		tb_count(s, f->when, TS_F_BYTES, f->bytes);
		if (cls >= 1)
			tb_count(s, f->when, TS_F_S1 + cls - 1, 1);
		if (f->crawler)
			tb_count(s, f->when, TS_F_CRAWLERS, 1);
		if (f->pv)
			tb_count(s, f->when, TS_F_PAGEVIEWS, 1);
	}
	s->tot.hits++;
	s->tot.bytes += f->bytes;
	s->tot.status[cls]++;
	s->tot.crawlers += f->crawler;
	s->tot.pageviews += f->pv;
	if ((d = ts_day_get(s, f->date)) != NULL) {
		d->hits++;
		d->bytes += f->bytes;
		d->status[cls]++;
		d->crawlers += f->crawler;
		d->pageviews += f->pv;
	}
	if (f->vis)
		ts_count_visitor(s, d, f->date, f->key);
	if (f->pv) {
		last = tseen_get(&s->seen, f->key);
		if (last == 0 || f->when - last > s->visit_idle) {
			s->tot.visits++;
			tb_count(s, f->when, TS_F_VISITS, 1);
		}
		(void)tseen_put(&s->seen, f->key, f->when);
	}
	if (s->b != NULL)
		tb_close(s, s->newest - s->b->grace);
	return (TP_OK);
}

/* Distinct visitors with a page view in the window before now. */
size_t
ts_online(const struct tstats *s, int64_t now, int64_t window)
{
	return (tseen_count_since(&s->seen, now - window));
}

/* Unique visitors of the current day, month or year. */
uint64_t
ts_unique(const struct tstats *s, enum ts_gran g)
{
	return (s->cur[g].set.n);
}

/* Forget visitors that can no longer start or extend a visit. */
void
ts_expire(struct tstats *s, int64_t now, int64_t window)
{
	int64_t	 t = s->newest < now ? s->newest : now;

	(void)tseen_expire(&s->seen, t - (s->visit_idle > window ?
	    s->visit_idle : window) - 1);
}
