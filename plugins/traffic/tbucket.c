/*
 * tbucket.c - the traffic figures by the log's own time.
 *
 * Every counted line goes into the bucket (step seconds, the retention
 * preset's step) of its own time stamp.  A bucket closes once the newest
 * line read is grace seconds past its end (or, when the logs are read to
 * their end, once the clock is); closing adds it to running totals and
 * queues one point per figure stamped with the bucket's end.  A line for a
 * bucket already closed is counted only as late: what was stored is never
 * changed.  Days, months and years of the log's calendar close the same
 * way, each queueing one point at 00:00 UTC after its last day.
 *
 * The plugin takes the queued points, submits them in order and then
 * saves the state (open buckets, running totals, the first open bucket)
 * with the log offsets in one rename, so after a restart the next bucket
 * closed is the first one not yet saved as closed.  A point submitted
 * again after a crash carries the same time and total as before, which the
 * store drops as not newer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tstats.h"

#define TB_DAY		86400

/* Civil date of a day number (days since 1970-01-01; Hinnant's method). */
void
tb_civil(int64_t days, int *y, int *m, int *d)
{
	int64_t	 z = days + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Day number of a YYYYMMDD date. */
static int64_t
tb_days(int32_t date)
{
	return (tp_days_from_civil(date / 10000, date / 100 % 100,
	    date % 100));
}

int
tb_init(struct tstats *s, int64_t step, int64_t grace)
{
	if (step <= 0 || grace < 0 || grace > (TS_RING / 2) * step)
		return (-1);
	if (s->b == NULL && (s->b = calloc(1, sizeof(*s->b))) == NULL)
		return (-1);
	s->b->step = step;
	s->b->grace = grace;
	s->b->horizon = TB_DAY;
	return (0);
}

/* The ring slot of the bucket holding time t. */
static uint64_t *
tb_slot(struct ts_buckets *b, int64_t t)
{
	int64_t	 start = t - (t % b->step + b->step) % b->step;

	if (start > b->top)
		b->top = start;
	return (b->ring[(uint64_t)(start / b->step) & (TS_RING - 1)]);
}

/* Queue one point; a point without memory is dropped. */
static void
tb_out(struct ts_buckets *b, int64_t when, int kind, const uint64_t *v,
    size_t n)
{
	struct ts_out	*no;
	size_t		 ncap;

	if (b->nout == b->capout) {
		ncap = b->capout ? b->capout * 2 : 256;
		if ((no = reallocarray(b->out, ncap, sizeof(*no))) == NULL)
			return;
		b->out = no;
		b->capout = ncap;
	}
	memset(&b->out[b->nout], 0, sizeof(b->out[0]));
	b->out[b->nout].when = when;
	b->out[b->nout].kind = kind;
	memcpy(b->out[b->nout].v, v, n * sizeof(*v));
	b->nout++;
}

/* Start the buckets and calendars at a first line. */
static void
tb_start(struct ts_buckets *b, const struct ts_fact *r)
{
	int	 y = r->date / 10000, m = r->date / 100 % 100;

	b->sub = r->when - (r->when % b->step + b->step) % b->step;
	b->top = b->sub;
	b->dnext = tb_days(r->date);
	b->mnext = (int64_t)y * 12 + m - 1;
	b->ynext = y;
	b->tzoff = r->tzoff;
	b->ring[(uint64_t)(b->sub / b->step) & (TS_RING - 1)][TS_F_MALFORMED] +=
	    b->held;
	b->ring[(uint64_t)(b->sub / b->step) & (TS_RING - 1)][TS_F_LATE] +=
	    b->heldlate;
	b->held = b->heldlate = 0;
}

/*
 * Whether a line that passed the time checks is late (its bucket or day
 * is closed, or it is dated more than a day past the clock); a late line
 * is counted in the late figure only.
 */
int
tb_late(struct tstats *s, const struct ts_fact *r, int64_t now)
{
	struct ts_buckets	*b = s->b;
	int64_t			 start;

	if (b == NULL)
		return (0);
	if (r->date != b->lastdate) {
		b->lastdate = r->date;
		b->lastdays = tb_days(r->date);
	}
	if (r->when > now + b->horizon || (b->sub != 0 && (r->when < b->sub ||
	    b->lastdays < b->dnext))) {
		if (b->sub == 0)
			b->heldlate++;	/* counted in the first bucket */
		else
			tb_slot(b, b->sub)[TS_F_LATE]++;
		return (1);
	}
	if (b->sub == 0)
		tb_start(b, r);
	start = r->when - (r->when % b->step + b->step) % b->step;
	if (start >= b->sub + TS_RING * b->step)
		tb_close(s, start - (TS_RING - 1) * b->step);
	if (r->when >= s->newest)
		b->tzoff = r->tzoff;
	return (0);
}

/* Add n to a figure of the bucket of time when. */
void
tb_count(struct tstats *s, int64_t when, int fig, uint64_t n)
{
	if (s->b != NULL && s->b->sub != 0)
		tb_slot(s->b, when)[fig] += n;
}

/* A malformed line: counted in the newest open bucket. */
void
tb_bad(struct tstats *s)
{
	struct ts_buckets	*b = s->b;

	if (b == NULL)
		return;
	if (b->sub == 0)
		b->held++;
	else
		tb_slot(b, s->newest > b->sub ? s->newest : b->sub)
		    [TS_F_MALFORMED]++;
}

/* Close the buckets that end by upto. */
static void
tb_close_buckets(struct ts_buckets *b, int64_t upto)
{
	uint64_t	*row;
	int		 f, used;

	while (b->sub + b->step <= upto) {
		if (b->sub > b->top && b->empty >= TS_FILL) {
			/* a long silence: left unknown, not walked */
			b->sub = upto - (upto % b->step + b->step) % b->step;
			b->top = b->sub - b->step;
			b->empty = TS_FILL + 1;
			break;
		}
		row = b->ring[(uint64_t)(b->sub / b->step) & (TS_RING - 1)];
		for (used = 0, f = 0; f < TS_NFIG; f++)
			used |= row[f] != 0;
		if (used) {
			if (b->empty > TS_FILL)	/* from the last known total */
				tb_out(b, b->sub, TS_O_BUCKET, b->run,
				    TS_NFIG);
			for (f = 0; f < TS_NFIG; f++)
				b->run[f] += row[f];
			memset(row, 0, TS_NFIG * sizeof(*row));
			tb_out(b, b->sub + b->step, TS_O_BUCKET, b->run,
			    TS_NFIG);
			b->empty = 0;
		} else {
			if (b->empty < TS_FILL)
				tb_out(b, b->sub + b->step, TS_O_BUCKET,
				    b->run, TS_NFIG);
			if (b->empty <= TS_FILL)
				b->empty++;
		}
		b->sub += b->step;
	}
}

/* Unique visitors of a month or year whose set is still kept; else 0. */
static uint64_t
tb_unique(const struct tstats *s, int g, int32_t id)
{
	if (s->cur[g].id == id)
		return (s->cur[g].set.n);
	if (s->prev[g].id == id)
		return (s->prev[g].set.n);
	return (0);
}

/* Close the days, months and years of the log's calendar that end by upto. */
static void
tb_close_calendar(struct tstats *s, int64_t upto)
{
	struct ts_buckets	*b = s->b;
	const struct ts_day	*d;
	uint64_t		 v[4];
	int64_t			 end;
	int			 y, m, dd;

	while ((b->dnext + 1) * TB_DAY - b->tzoff <= upto) {
		tb_civil(b->dnext, &y, &m, &dd);
		memset(v, 0, sizeof(v));
		if ((d = ts_day_find(s, y * 10000 + m * 100 + dd)) != NULL) {
			v[0] = d->visitors;
			v[1] = d->hits;
			v[2] = d->pageviews;
			v[3] = d->bytes;
		}
		tb_out(b, (b->dnext + 1) * TB_DAY, TS_O_DAY, v, 4);
		b->dnext++;
	}
	for (;;) {
		y = (int)(b->mnext / 12);
		m = (int)(b->mnext % 12) + 1;
		end = tp_days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 :
		    m + 1, 1) * TB_DAY;
		if (end - b->tzoff > upto)
			break;
		v[0] = tb_unique(s, TS_MONTH, y * 100 + m);
		tb_out(b, end, TS_O_MONTH, v, 1);
		b->mnext++;
	}
	for (;;) {
		end = tp_days_from_civil((int)b->ynext + 1, 1, 1) * TB_DAY;
		if (end - b->tzoff > upto)
			break;
		v[0] = tb_unique(s, TS_YEAR, (int32_t)b->ynext);
		tb_out(b, end, TS_O_YEAR, v, 1);
		b->ynext++;
	}
}

/* Close everything that ends by upto (a time stamp minus the grace). */
void
tb_close(struct tstats *s, int64_t upto)
{
	struct ts_buckets	*b = s->b;

	if (b == NULL || b->sub == 0 || upto < b->sub + b->step)
		return;
	tb_close_buckets(b, upto);
	tb_close_calendar(s, upto);
}

/* Write the open buckets and where closing stands. */
void
tb_save(const struct tstats *s, FILE *f)
{
	const struct ts_buckets	*b = s->b;
	const uint64_t		*row;
	int64_t			 t;
	int			 i, used;

	if (b == NULL)
		return;
	fprintf(f, "tb %" PRId64 " %" PRId64 " %" PRId64 " %" PRId64 " %"
	    PRId64 " %" PRId32 " %" PRIu32 " %" PRIu64 " %" PRIu64 "\n",
	    b->sub, b->top, b->dnext, b->mnext, b->ynext, b->tzoff, b->empty,
	    b->held, b->heldlate);
	fprintf(f, "tbrun");
	for (i = 0; i < TS_NFIG; i++)
		fprintf(f, " %" PRIu64, b->run[i]);
	fprintf(f, "\n");
	for (t = b->sub; b->sub != 0 && t <= b->top; t += b->step) {
		row = b->ring[(uint64_t)(t / b->step) & (TS_RING - 1)];
		for (used = 0, i = 0; i < TS_NFIG; i++)
			used |= row[i] != 0;
		if (!used)
			continue;
		fprintf(f, "tbopen %" PRId64, t);
		for (i = 0; i < TS_NFIG; i++)
			fprintf(f, " %" PRIu64, row[i]);
		fprintf(f, "\n");
	}
}

/* Parse n signed decimal numbers after a keyword; -1 unless exactly n. */
static int
tb_nums(const char *p, int64_t *v, int n)
{
	char	*end;
	int	 i;

	for (i = 0; i < n; i++) {
		v[i] = strtoll(p, &end, 10);
		if (end == p || (*end != ' ' && *end != '\n' && *end != '\0'))
			return (-1);
		p = end;
	}
	while (*p == ' ')
		p++;
	return (*p == '\0' || *p == '\n' ? 0 : -1);
}

/* Take a state line if it is ours: 1 taken, 0 not ours, -1 broken. */
int
tb_load_line(struct tstats *s, const char *line)
{
	struct ts_buckets	*b = s->b;
	int64_t			 v[TS_NFIG + 1];
	uint64_t		*row;
	int			 i;

	if (strncmp(line, "tb ", 3) == 0) {
		if (b == NULL || tb_nums(line + 3, v, 9) == -1)
			return (-1);
		b->sub = v[0];
		b->top = v[1];
		b->dnext = v[2];
		b->mnext = v[3];
		b->ynext = v[4];
		b->tzoff = (int32_t)v[5];
		b->empty = (uint32_t)v[6];
		b->held = (uint64_t)v[7];
		b->heldlate = (uint64_t)v[8];
		b->loaded = 1;
		if (b->sub % b->step != 0 || b->top - b->sub >= TS_RING *
		    b->step)
			return (-1);
		return (1);
	}
	if (strncmp(line, "tbrun ", 6) == 0) {
		if (b == NULL || tb_nums(line + 6, v, TS_NFIG) == -1)
			return (-1);
		for (i = 0; i < TS_NFIG; i++)
			b->run[i] = (uint64_t)v[i];
		return (1);
	}
	if (strncmp(line, "tbopen ", 7) == 0) {
		if (b == NULL || tb_nums(line + 7, v, TS_NFIG + 1) == -1 ||
		    v[0] < b->sub || v[0] > b->top || v[0] % b->step != 0)
			return (-1);
		row = b->ring[(uint64_t)(v[0] / b->step) & (TS_RING - 1)];
		for (i = 0; i < TS_NFIG; i++)
			row[i] = (uint64_t)v[i + 1];
		return (1);
	}
	return (0);
}
