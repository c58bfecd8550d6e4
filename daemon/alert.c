/*
 * alert.c - the alert engine: [alert NAME] rules on their own timers,
 * each alert's state (one per rule and series), the history of changes,
 * and the answers to ALERTS, ALERT HISTORY and ALERT TEST.
 *
 * DESIGN
 * The loop owns the rules, the alerts' states, the history ring and the
 * outbox.  An evaluation is a job (struct alert_job) that owns copies of
 * what it needs: on the loop it asks the store to flush the files of the
 * series it will read; once they are flushed a worker of the "alert" pool
 * lists the files (a glob is matched against datadir), reads each with
 * rrd_info_r and rrd_fetch_r and runs alertrule_eval; the completion on
 * the loop finds the rule by name (a reload may have dropped it) and steps
 * each alert's state with alertrule_step.  A rule runs one evaluation at a
 * time: a tick that finds it running is skipped.  ALERT TEST is the same
 * job, replaying eval and step from FROM to now in the worker, with every
 * notice suppressed.
 *
 * Persistence: a change goes to the history ring and, with its notices,
 * to the outbox.  One writer job at a time runs in the "alertio" pool
 * (one thread, so writes keep their order): it appends the new history
 * lines (or rewrites the file past its cap) and replaces alert.state
 * (temp, fsync, rename).  Only when it has returned are the outbox's
 * notices handed to notify.c: a notice is never sent for a change that a
 * restart would forget, and a restart never sends it again.  The files
 * are read once, in alert_start.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <rrd.h>

#include "alert.h"
#include "alertconf.h"
#include "alertdb.h"
#include "alertrule.h"
#include "clock.h"
#include "compat.h"
#include "config.h"
#include "hmap.h"
#include "json.h"
#include "log.h"
#include "names.h"
#include "notify.h"
#include "numfmt.h"
#include "proto.h"
#include "series.h"
#include "stats.h"
#include "store.h"
#include "util.h"
#include "work.h"
#include "xmalloc.h"

#define ALERT_THREADS		2
#define ALERT_SERIES_MAX	1000	/* series one glob rule watches */
#define ALERT_HISTORY_MAX	10000	/* events kept, in memory and file */
#define ALERT_TEST_STEPS	100000	/* evaluations per series replayed */
#define ALERT_TEST_LINES	10000	/* events an ALERT TEST answers */
#define ALERT_ROWS_MAX		2000000	/* rows one fetch may return */
#define ALERT_RRA_MAX		32
#define ALERT_FILE_MAX		(64 * 1024 * 1024)

/* An alert: one rule on one series. */
struct alert_one {
	char			*metric;
	struct alert_state	 st;
};

/*
 * A rule of the config in force being watched: the rule itself (struct
 * alertrule, pure), its timer and the alert of each series it matches.
 */
struct alert_watch {
	char			*name;
	char			*metric;	/* a name or a glob */
	int			 enabled;
	struct alertrule	 r;
	char			**notify;
	size_t			 nnotify;
	struct hmap		*alerts;	/* metric -> struct alert_one */
	struct event		*timer;
	int			 running;
	time_t			 created;
	time_t			 evaluated;	/* 0: not yet */
	unsigned long		 skipped;
	struct log_limit	 complain;
	TAILQ_ENTRY(alert_watch) entry;
};
TAILQ_HEAD(alert_watches, alert_watch);

/* An event of a replay, sorted by time before it is answered. */
struct alert_line {
	time_t			 t;
	char			*text;
};

struct alert_job {
	struct work_job		 job;
	char			*rule;
	char			*pattern;
	char			*datadir;
	struct alertrule	 r;
	int			 test;
	time_t			 now;
	time_t			 from;		/* test: replay from */
	unsigned long		 step;		/* test: seconds per step */
	int			 flushes;
	alert_answer_cb		 answer;	/* test */
	uint64_t		 id;

	char			**names;	/* worker: series read */
	size_t			 nnames;
	struct alert_result	*res;		/* one per name */
	struct alert_line	*lines;		/* test */
	size_t			 nlines;
	int			 truncated;
	char			 err[512];
};

/* A notice waiting for the state that records it to be written. */
struct alert_notice {
	TAILQ_ENTRY(alert_notice) entry;
	char			*rule, *metric, *kind, *event;
	char			*level, *previous, *message;
	double			 value, threshold;
	time_t			 time, since;
	char			**names;
	size_t			 nnames;
};
TAILQ_HEAD(alert_notices, alert_notice);

/* One write of the files, in the alertio pool. */
struct alert_io {
	struct work_job		 job;
	char			*state;
	char			*append;	/* new history lines, or NULL */
	char			*history;	/* the whole history, or NULL */
	char			*state_path;
	char			*history_path;
	struct alert_notices	 outbox;
	char			 err[512];
};

static struct event_base	*alert_base;
static struct store		*alert_store;
static char			*alert_datadir;
static char			*alert_state_path;
static char			*alert_history_path;
static unsigned long		 alert_shutdown_ms = 5000;
static struct work_pool		*alert_pool;
static struct work_pool		*alert_iopool;
static struct alert_watches	 alert_watches = TAILQ_HEAD_INITIALIZER(
				    alert_watches);
static int			 alert_njobs;	/* evaluations in flight */
static int			 alert_stopped;
static int			 alert_cancel;	/* atomic: replays stop */
static struct hmap		*alert_saved;	/* states read at start */

static char			**alert_hist;	/* ring of event lines */
static size_t			 alert_hist_first, alert_hist_n;
static size_t			 alert_hist_lines;	/* in the file */
static struct evbuffer		*alert_hist_new;	/* not yet written */

static struct alert_notices	 alert_outbox = TAILQ_HEAD_INITIALIZER(
				    alert_outbox);
static int			 alert_dirty;
static int			 alert_io_busy;

static void	alert_save(void);

/* ---- rules */

static struct alert_watch *
alert_watch_find(const char *name)
{
	struct alert_watch	*ar;

	TAILQ_FOREACH(ar, &alert_watches, entry) {
		if (strcmp(ar->name, name) == 0)
			return (ar);
	}
	return (NULL);
}

static void
alert_one_free(void *arg)
{
	struct alert_one	*one = arg;

	free(one->metric);
	free(one);
}

static struct alert_one *
alert_one_get(struct alert_watch *ar, const char *metric, time_t now)
{
	struct alert_one	*one;

	if ((one = hmap_get(ar->alerts, metric)) != NULL)
		return (one);
	one = xcalloc(1, sizeof(*one));
	one->metric = xstrdup(metric);
	alertrule_state_init(&one->st, now);
	hmap_put(ar->alerts, metric, one);
	return (one);
}

static void
alert_watch_free(struct alert_watch *ar)
{
	size_t	 i;

	if (ar->timer != NULL)
		event_free(ar->timer);
	hmap_free(ar->alerts, alert_one_free);
	for (i = 0; i < ar->nnotify; i++)
		free(ar->notify[i]);
	free(ar->notify);
	free(ar->metric);
	free(ar->name);
	free(ar);
}

/* Whether a series belongs to a rule's pattern. */
static int
alert_watch_matches(const struct alert_watch *ar, const char *metric)
{
	return (alertrule_is_glob(ar->metric) ? proto_glob(ar->metric,
	    metric) : strcmp(ar->metric, metric) == 0);
}

struct alert_prune {
	const struct alert_watch	*ar;
	char			**gone;
	size_t			  n;
};

static int
alert_prune_cb(const char *key, void *value, void *arg)
{
	struct alert_prune	*p = arg;

	if (!p->ar->enabled || !alert_watch_matches(p->ar, key)) {
		p->gone = xreallocarray(p->gone, p->n + 1, sizeof(*p->gone));
		p->gone[p->n++] = xstrdup(key);
	}
	return (0);
}

/* Forget the alerts of series the rule no longer watches. */
static void
alert_watch_prune(struct alert_watch *ar)
{
	struct alert_prune	 p = { ar, NULL, 0 };
	size_t			 i;

	hmap_foreach(ar->alerts, alert_prune_cb, &p);
	for (i = 0; i < p.n; i++) {
		alert_one_free(hmap_del(ar->alerts, p.gone[i]));
		free(p.gone[i]);
		alert_dirty = 1;
	}
	free(p.gone);
}

/* Take a rule's definition from its section; its alerts stay. */
static void
alert_watch_set(struct alert_watch *ar, const struct alert_conf *ac)
{
	size_t	 i;

	for (i = 0; i < ar->nnotify; i++)
		free(ar->notify[i]);
	free(ar->notify);
	free(ar->metric);
	ar->metric = xstrdup(ac->metric);
	ar->enabled = ac->enabled;
	ar->r = ac->rule;
	ar->nnotify = ac->nnotify;
	ar->notify = xcalloc(ac->nnotify + 1, sizeof(*ar->notify));
	for (i = 0; i < ac->nnotify; i++)
		ar->notify[i] = xstrdup(ac->notify[i]);
	alert_watch_prune(ar);
}

/* ---- the worker side: files, fetches, evaluations, replays */

/* Every series under datadir whose name the glob matches, sorted. */
static void
alert_scan(struct alert_job *j)
{
	DIR		*d1, *d2, *d3;
	struct dirent	*e1, *e2, *e3;
	char		 path[PATH_MAX], name[3 * 256 + 8];
	size_t		 len;

	if ((d1 = opendir(j->datadir)) == NULL)
		return;
	while ((e1 = readdir(d1)) != NULL && j->nnames < ALERT_SERIES_MAX) {
		snprintf(path, sizeof(path), "%s/%s", j->datadir, e1->d_name);
		if (e1->d_name[0] == '.' || (d2 = opendir(path)) == NULL)
			continue;
		while ((e2 = readdir(d2)) != NULL) {
			snprintf(path, sizeof(path), "%s/%s/%s", j->datadir,
			    e1->d_name, e2->d_name);
			if (e2->d_name[0] == '.' || (d3 = opendir(path)) ==
			    NULL)
				continue;
			while ((e3 = readdir(d3)) != NULL &&
			    j->nnames < ALERT_SERIES_MAX) {
				len = strlen(e3->d_name);
				if (len < 5 || strcmp(e3->d_name + len - 4,
				    ".rrd") != 0)
					continue;
				snprintf(name, sizeof(name), "%s.%s.%.*s",
				    e1->d_name, e2->d_name, (int)(len - 4),
				    e3->d_name);
				if (!names_series_valid(name) ||
				    !proto_glob(j->pattern, name))
					continue;
				j->names = xreallocarray(j->names,
				    j->nnames + 1, sizeof(*j->names));
				j->names[j->nnames++] = xstrdup(name);
			}
			closedir(d3);
		}
		closedir(d2);
	}
	closedir(d1);
}

static int
alert_strcmp(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* What rrd_info_r says of a file: last update and the CF's archives. */
struct alert_rrd {
	time_t		 last;
	unsigned long	 step;
	unsigned long	 rra_step[ALERT_RRA_MAX];	/* 0: other CF */
	unsigned long	 rra_rows[ALERT_RRA_MAX];
};

static int
alert_rrd_info(const char *path, const char *cf, struct alert_rrd *ri,
    char *err, size_t len)
{
	rrd_info_t	*info, *i;
	unsigned int	 k;
	char		 field[32];
	unsigned long	 ppr[ALERT_RRA_MAX];

	memset(ri, 0, sizeof(*ri));
	memset(ppr, 0, sizeof(ppr));
	rrd_clear_error();
	if ((info = rrd_info_r(path)) == NULL) {
		snprintf(err, len, "%s", rrd_get_error());
		return (-1);
	}
	for (i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, "step") == 0 && i->type == RD_I_CNT)
			ri->step = i->value.u_cnt;
		else if (strcmp(i->key, "last_update") == 0 &&
		    i->type == RD_I_CNT)
			ri->last = (time_t)i->value.u_cnt;
		else if (sscanf(i->key, "rra[%u].%31s", &k, field) != 2 ||
		    k >= ALERT_RRA_MAX)
			continue;
		else if (strcmp(field, "cf") == 0 && i->type == RD_I_STR)
			ri->rra_step[k] = strcmp(i->value.u_str, cf) == 0;
		else if (strcmp(field, "rows") == 0 && i->type == RD_I_CNT)
			ri->rra_rows[k] = i->value.u_cnt;
		else if (strcmp(field, "pdp_per_row") == 0 &&
		    i->type == RD_I_CNT)
			ppr[k] = i->value.u_cnt;
	}
	rrd_info_free(info);
	for (k = 0; k < ALERT_RRA_MAX; k++)
		ri->rra_step[k] = ri->rra_step[k] ? ppr[k] * ri->step : 0;
	return (0);
}

/*
 * The step librrd will answer (start, end] with, roughly as rrd_fetch
 * picks an archive: the closest to want among those covering the range,
 * else the one covering most.  Only used to bound what a fetch returns.
 */
static unsigned long
alert_rrd_step(const struct alert_rrd *ri, time_t start, unsigned long want)
{
	unsigned long	 best = 0, bestdiff = ULONG_MAX, cover = 0, c, d;
	unsigned long	 partial = 0;
	time_t		 first;
	int		 k;

	for (k = 0; k < ALERT_RRA_MAX; k++) {
		if (ri->rra_step[k] == 0)
			continue;
		first = ri->last - (time_t)(ri->rra_step[k] * ri->rra_rows[k]);
		d = ri->rra_step[k] > want ? ri->rra_step[k] - want : want -
		    ri->rra_step[k];
		if (first <= start && d < bestdiff) {
			best = ri->rra_step[k];
			bestdiff = d;
		}
		c = ri->rra_step[k] * ri->rra_rows[k];
		if (c > cover) {
			cover = c;
			partial = ri->rra_step[k];
		}
	}
	return (best != 0 ? best : partial != 0 ? partial : 1);
}

/*
 * Whether a rule's data ends now; otherwise it ends at the newest value,
 * however old (yearly figures, the age of a series, the newest value).
 */
static int
alert_reads_now(const struct alertrule *r)
{
	return (r->anchor == ALERT_ANCHOR_NOW && r->kind != ALERT_ABSENT &&
	    !(r->kind == ALERT_THRESHOLD && alertrule_span_zero(&r->window)));
}

/* Read one series' rows from start to the job's now into points. */
static int
alert_fetch(struct alert_job *j, const char *path, struct alert_point **pp,
    size_t *np, char *err, size_t len)
{
	struct alert_rrd	 ri;
	time_t			 start, end = j->now, base;
	unsigned long		 step, nds = 0, i, n, slack;
	char			**names = NULL;
	rrd_value_t		*data = NULL;
	struct stat		 sb;

	*pp = NULL;
	*np = 0;
	if (stat(path, &sb) == -1)
		return (0);		/* no file yet: no data */
	if (alert_rrd_info(path, alertrule_cfs[j->r.cf], &ri, err, len) == -1)
		return (-1);
	slack = 2 * (j->r.resolution > 300 ? j->r.resolution : 300);
	base = j->test ? j->from : alert_reads_now(&j->r) ? j->now :
	    (ri.last < j->now ? ri.last : j->now);
	start = base - (time_t)(alertrule_history(&j->r) + slack);
	step = j->r.resolution > 0 ? j->r.resolution : 1;
	n = alert_rrd_step(&ri, start, step);
	if ((unsigned long)(end - start) / n > ALERT_ROWS_MAX)
		start = end - (time_t)(ALERT_ROWS_MAX * n);
	rrd_clear_error();
	if (rrd_fetch_r(path, alertrule_cfs[j->r.cf], &start, &end, &step,
	    &nds, &names, &data) != 0) {
		snprintf(err, len, "%s", rrd_get_error());
		return (-1);
	}
	n = step > 0 && end > start ? (unsigned long)(end - start) / step : 0;
	*pp = xreallocarray(NULL, n, sizeof(**pp));
	for (i = 0; i < n; i++) {
		(*pp)[i].t = start + (time_t)((i + 1) * step);
		(*pp)[i].v = nds > 0 ? data[i * nds] : NAN;
	}
	*np = n;
	for (i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return (0);
}

/*
 * Replay a rule over one series: its state changes from `from` to now.
 * An evaluation that would see the same points as the last one (and does
 * not depend on the time itself) reuses its result.
 */
static void
alert_replay(struct alert_job *j, const char *metric,
    const struct alert_point *p, size_t n)
{
	struct alert_state	 st;
	struct alert_result	 res;
	enum alert_event	 ev;
	time_t			 t;
	char			 line[ALERTDB_LINE_MAX];
	size_t			 m, seen = (size_t)-1;
	int			 prev, moves = alertrule_moves_with_time(&j->r);

	alertrule_state_init(&st, j->from);
	for (t = j->from; t <= j->now; t += (time_t)j->step) {
		if (__atomic_load_n(&alert_cancel, __ATOMIC_RELAXED))
			return;
		m = alertrule_upto(p, n, t);
		if (moves || m != seen)
			alertrule_eval(&j->r, p, n, t, &res);
		seen = m;
		ev = alertrule_step(&j->r, &st, &res, t, &prev);
		if (ev == ALERT_EV_NONE || ev == ALERT_EV_REPEAT)
			continue;
		if (j->nlines == ALERT_TEST_LINES) {
			j->truncated = 1;
			return;
		}
		alertdb_event_fmt(line, sizeof(line), t, j->rule, metric, prev,
		    st.level, st.value, st.msg);
		j->lines = xreallocarray(j->lines, j->nlines + 1,
		    sizeof(*j->lines));
		j->lines[j->nlines].t = t;
		j->lines[j->nlines++].text = xstrdup(line);
	}
}

/* Worker: list the series, read each, evaluate or replay. */
static void
alert_run(struct work_job *wj)
{
	struct alert_job	*j = (struct alert_job *)wj;
	struct alert_point	*p;
	char			 path[PATH_MAX], err[160];
	size_t			 i, n;

	if (alertrule_is_glob(j->pattern)) {
		alert_scan(j);
		qsort(j->names, j->nnames, sizeof(*j->names), alert_strcmp);
	} else {
		j->names = xcalloc(1, sizeof(*j->names));
		j->names[j->nnames++] = xstrdup(j->pattern);
	}
	j->res = xcalloc(j->nnames, sizeof(*j->res));
	for (i = 0; i < j->nnames; i++) {
		if (names_series_path(path, sizeof(path), j->datadir,
		    j->names[i]) == -1 || alert_fetch(j, path, &p, &n, err,
		    sizeof(err)) == -1) {
			snprintf(j->err, sizeof(j->err), "%s: %s",
			    j->names[i], err);
			j->res[i].known = 0;
			j->res[i].value = NAN;
			snprintf(j->res[i].msg, sizeof(j->res[i].msg),
			    "cannot read: %s", err);
			continue;
		}
		if (j->test)
			alert_replay(j, j->names[i], p, n);
		else
			alertrule_eval(&j->r, p, n, j->now, &j->res[i]);
		free(p);
	}
}

/* ---- the loop side: history, outbox, files */

/* Add an event line to the ring and to what the writer will append. */
static void
alert_history_add(const char *line)
{
	size_t	 i;

	if (alert_hist_n == ALERT_HISTORY_MAX) {
		free(alert_hist[alert_hist_first]);
		alert_hist_first = (alert_hist_first + 1) % ALERT_HISTORY_MAX;
		alert_hist_n--;
	}
	i = (alert_hist_first + alert_hist_n) % ALERT_HISTORY_MAX;
	alert_hist[i] = xstrdup(line);
	alert_hist_n++;
	evbuffer_add_printf(alert_hist_new, "%s\n", line);
	alert_dirty = 1;
}

static const char *
alert_hist_get(size_t i)
{
	return (alert_hist[(alert_hist_first + i) % ALERT_HISTORY_MAX]);
}

static int
alert_state_line_cb(const char *key, void *value, void *arg)
{
	struct alert_one	*one = value;
	struct evbuffer		*b = ((void **)arg)[0];
	const char		*rule = ((void **)arg)[1];
	char			 line[ALERTDB_LINE_MAX];

	alertdb_state_fmt(line, sizeof(line), rule, key, &one->st);
	evbuffer_add(b, line, strlen(line));
	return (0);
}

/* The state file's text: one line per alert of every enabled rule. */
static char *
alert_state_text(void)
{
	struct evbuffer		*b = evbuffer_new();
	struct alert_watch	*ar;
	void			*arg[2];
	char			*s;

	evbuffer_add_printf(b, "# tallyd alert state 1: rule metric level "
	    "since evaluated notified count_warning count_critical value "
	    "message\n");
	TAILQ_FOREACH(ar, &alert_watches, entry) {
		arg[0] = b;
		arg[1] = ar->name;
		hmap_foreach(ar->alerts, alert_state_line_cb, arg);
	}
	s = util_evbuffer_string(b);
	evbuffer_free(b);
	return (s);
}

static char *
alert_history_text(void)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 i;
	char		*s;

	for (i = 0; i < alert_hist_n; i++)
		evbuffer_add_printf(b, "%s\n", alert_hist_get(i));
	s = util_evbuffer_string(b);
	evbuffer_free(b);
	return (s);
}

static void
alert_notice_free(struct alert_notice *n)
{
	size_t	 i;

	for (i = 0; i < n->nnames; i++)
		free(n->names[i]);
	free(n->names);
	free(n->rule);
	free(n->metric);
	free(n->kind);
	free(n->event);
	free(n->level);
	free(n->previous);
	free(n->message);
	free(n);
}

/* Send the notice now, or (stopping) only queue it for the next start. */
static void
alert_notice_send(struct alert_notice *n, int now)
{
	struct notify_event	 ev;

	ev.rule = n->rule;
	ev.metric = n->metric;
	ev.kind = n->kind;
	ev.event = n->event;
	ev.level = n->level;
	ev.previous = n->previous;
	ev.message = n->message;
	ev.value = n->value;
	ev.threshold = n->threshold;
	ev.time = n->time;
	ev.since = n->since;
	if (now)
		notify_send(&ev, n->names, n->nnames);
	else
		notify_hold(&ev, n->names, n->nnames);
}

/* Worker of alertio: the history first, then the state. */
static void
alert_io_run(struct work_job *wj)
{
	struct alert_io	*io = (struct alert_io *)wj;
	char		 err[256];
	int		 rv = 0;

	if (io->history != NULL)
		rv = alertdb_replace(io->history_path, io->history,
		    strlen(io->history), err, sizeof(err));
	else if (io->append != NULL)
		rv = alertdb_append(io->history_path, io->append,
		    strlen(io->append), err, sizeof(err));
	if (rv == -1)
		snprintf(io->err, sizeof(io->err), "%s", err);
	if (alertdb_replace(io->state_path, io->state, strlen(io->state), err,
	    sizeof(err)) == -1)
		snprintf(io->err + strlen(io->err), sizeof(io->err) -
		    strlen(io->err), "%s%s", io->err[0] ? "; " : "", err);
}

static void
alert_io_free(struct alert_io *io)
{
	struct alert_notice	*n;

	while ((n = TAILQ_FIRST(&io->outbox)) != NULL) {
		TAILQ_REMOVE(&io->outbox, n, entry);
		alert_notice_free(n);
	}
	free(io->state);
	free(io->append);
	free(io->history);
	free(io->state_path);
	free(io->history_path);
	free(io);
}

/* Loop: the files are written; now the notices recorded there go out. */
static void
alert_io_done(struct work_job *wj)
{
	struct alert_io		*io = (struct alert_io *)wj;
	struct alert_notice	*n;

	alert_io_busy = 0;
	if (io->err[0] != '\0')
		log_warnx("alert: saving state: %s", io->err);
	TAILQ_FOREACH(n, &io->outbox, entry)
		alert_notice_send(n, 1);
	alert_io_free(io);
	if (!alert_stopped)
		alert_save();
}

/* What the files need now: the state, new history or all of it. */
static struct alert_io *
alert_io_new(void)
{
	struct alert_io	*io = xcalloc(1, sizeof(*io));
	const char	*s;

	TAILQ_INIT(&io->outbox);
	io->state = alert_state_text();
	io->state_path = xstrdup(alert_state_path);
	io->history_path = xstrdup(alert_history_path);
	if (evbuffer_get_length(alert_hist_new) > 0) {
		io->append = util_evbuffer_string(alert_hist_new);
		for (s = io->append; *s != '\0'; s++)
			alert_hist_lines += *s == '\n';
	}
	if (alert_hist_lines > ALERT_HISTORY_MAX + ALERT_HISTORY_MAX / 2) {
		io->history = alert_history_text();
		alert_hist_lines = alert_hist_n;
	}
	TAILQ_CONCAT(&io->outbox, &alert_outbox, entry);
	return (io);
}

/* Start a write if something changed and none is under way. */
static void
alert_save(void)
{
	struct alert_io	*io;

	if (alert_io_busy || (!alert_dirty && TAILQ_EMPTY(&alert_outbox)))
		return;
	io = alert_io_new();
	alert_dirty = 0;
	alert_io_busy = 1;
	io->job.run = alert_io_run;
	io->job.done = alert_io_done;
	work_submit(alert_iopool, &io->job);
}

/* ---- applying results */

/* Queue the notice of an event, sent once the state holding it is saved. */
static void
alert_notice_add(const struct alert_watch *ar, const struct alert_one *one,
    enum alert_event ev, int prev, time_t now)
{
	struct alert_notice	*n = xcalloc(1, sizeof(*n));
	size_t			 i;

	n->rule = xstrdup(ar->name);
	n->metric = xstrdup(one->metric);
	n->kind = xstrdup(alertrule_kinds[ar->r.kind]);
	n->event = xstrdup(alertrule_event_name(ev));
	n->level = xstrdup(alertrule_level_name(one->st.level));
	n->previous = xstrdup(alertrule_level_name(prev));
	n->message = xstrdup(one->st.msg);
	n->value = one->st.value;
	n->threshold = ar->r.has[one->st.level] ? ar->r.thr[one->st.level] :
	    NAN;
	n->time = now;
	n->since = one->st.since;
	n->names = xcalloc(ar->nnotify + 1, sizeof(*n->names));
	for (i = 0; i < ar->nnotify; i++)
		n->names[i] = xstrdup(ar->notify[i]);
	n->nnames = ar->nnotify;
	TAILQ_INSERT_TAIL(&alert_outbox, n, entry);
	stats_add(STAT_ALERT_NOTICES, 1);
}

/* Step one alert by one result; record and notify what happened. */
static void
alert_apply(struct alert_watch *ar, const char *metric,
    const struct alert_result *res, time_t now)
{
	struct alert_one	*one = alert_one_get(ar, metric, now);
	struct alert_state	 was = one->st;
	enum alert_event	 ev;
	char			 line[ALERTDB_LINE_MAX];
	int			 prev;

	ev = alertrule_step(&ar->r, &one->st, res, now, &prev);
	if (memcmp(was.count, one->st.count, sizeof(was.count)) != 0)
		alert_dirty = 1;
	log_debug("alert: %s %s: %s: %s", ar->name, metric,
	    alertrule_level_name(one->st.level), one->st.msg);
	if (ev == ALERT_EV_NONE)
		return;
	alert_dirty = 1;
	if (ev != ALERT_EV_REPEAT) {
		alertdb_event_fmt(line, sizeof(line), now, ar->name, metric,
		    prev, one->st.level, one->st.value, one->st.msg);
		alert_history_add(line);
	}
	alert_notice_add(ar, one, ev, prev, now);
}

static void
alert_job_free(struct alert_job *j)
{
	size_t	 i;

	for (i = 0; i < j->nnames; i++)
		free(j->names[i]);
	for (i = 0; i < j->nlines; i++)
		free(j->lines[i].text);
	free(j->names);
	free(j->res);
	free(j->lines);
	free(j->rule);
	free(j->pattern);
	free(j->datadir);
	free(j);
}

static int
alert_line_cmp(const void *a, const void *b)
{
	const struct alert_line	*x = a, *y = b;

	if (x->t != y->t)
		return (x->t < y->t ? -1 : 1);
	return (strcmp(x->text, y->text));
}

/* Loop: answer ALERT TEST with the replay's events in time order. */
static void
alert_test_done(struct alert_job *j)
{
	struct evbuffer	*b = evbuffer_new();
	size_t		 i;

	if (j->err[0] != '\0' && j->nlines == 0 && j->nnames == 1) {
		evbuffer_add_printf(b, "ERR store %s\n", j->err);
		j->answer(j->id, b);
		return;
	}
	qsort(j->lines, j->nlines, sizeof(*j->lines), alert_line_cmp);
	evbuffer_add_printf(b, "OK %zu events step=%lu series=%zu%s\n",
	    j->nlines, j->step, j->nnames, j->truncated ? " truncated" : "");
	for (i = 0; i < j->nlines; i++)
		evbuffer_add_printf(b, "%s\n", j->lines[i].text);
	j->answer(j->id, b);
}

/* Loop: an evaluation came back; its rule may have gone meanwhile. */
static void
alert_done(struct work_job *wj)
{
	struct alert_job	*j = (struct alert_job *)wj;
	struct alert_watch	*ar;
	unsigned long		 supp;
	size_t			 i;

	alert_njobs--;
	if (j->test) {
		if (!alert_stopped)
			alert_test_done(j);
		alert_job_free(j);
		return;
	}
	stats_add(j->err[0] != '\0' ? STAT_ALERT_ERRORS : STAT_ALERT_EVALS, 1);
	if ((ar = alert_watch_find(j->rule)) != NULL) {
		ar->running = 0;
		ar->evaluated = j->now;
		if (j->err[0] != '\0' && log_limit_ok(&ar->complain, j->now,
		    300, &supp))
			log_warnx("alert: %s: %s (%lu more not logged)",
			    ar->name, j->err, supp);
		for (i = 0; ar->enabled && i < j->nnames; i++)
			alert_apply(ar, j->names[i], &j->res[i], j->now);
	}
	alert_job_free(j);
	alert_save();
}

/* ---- starting evaluations */

static void
alert_flushed_cb(void *arg, int error)
{
	struct alert_job	*j = arg;

	if (--j->flushes > 0)
		return;
	if (alert_stopped) {		/* the pool is gone */
		alert_job_free(j);
		return;
	}
	j->job.run = alert_run;
	j->job.done = alert_done;
	work_submit(alert_pool, &j->job);
}

struct alert_flush {
	const char	*glob;
	struct series	**s;
	size_t		  n;
};

static void
alert_flush_match(struct series *s, void *arg)
{
	struct alert_flush	*f = arg;

	if (f->n < ALERT_SERIES_MAX && proto_glob(f->glob, series_name(s))) {
		f->s = xreallocarray(f->s, f->n + 1, sizeof(*f->s));
		f->s[f->n++] = s;
	}
}

/* Flush the files the job reads, then hand it to a worker. */
static void
alert_job_start(struct alert_job *j)
{
	struct alert_flush	 f = { j->pattern, NULL, 0 };
	struct series		*s;
	size_t			 i;

	alert_njobs++;
	if (alertrule_is_glob(j->pattern))
		series_foreach(alert_flush_match, &f);	/* registry locked */
	else if ((s = series_find(j->pattern)) != NULL) {
		f.s = xcalloc(1, sizeof(*f.s));
		f.s[f.n++] = s;
	}
	j->flushes = 1 + (int)f.n;
	for (i = 0; i < f.n; i++)
		store_flush(alert_store, series_file(f.s[i]), alert_flushed_cb,
		    j);
	free(f.s);
	alert_flushed_cb(j, 0);
}

static struct alert_job *
alert_job_new(const struct alert_watch *ar, time_t now)
{
	struct alert_job	*j = xcalloc(1, sizeof(*j));

	j->rule = xstrdup(ar->name);
	j->pattern = xstrdup(ar->metric);
	j->datadir = xstrdup(alert_datadir);
	j->r = ar->r;
	j->now = now;
	return (j);
}

static void
alert_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct alert_watch	*ar = arg;

	if (alert_stopped)
		return;
	if (ar->running) {
		ar->skipped++;
		stats_add(STAT_ALERT_SKIPPED, 1);
		log_debug("alert: %s: still evaluating; tick skipped (%lu)",
		    ar->name, ar->skipped);
		return;
	}
	ar->running = 1;
	alert_job_start(alert_job_new(ar, time(NULL)));
}

/* (Re)start a rule's timer; an enabled rule evaluates at once. */
static void
alert_watch_arm(struct alert_watch *ar)
{
	struct timeval	 tv;

	if (ar->timer == NULL && (ar->timer = event_new(alert_base, -1,
	    EV_PERSIST, alert_timer_cb, ar)) == NULL)
		fatalx("alert: event_new failed");
	event_del(ar->timer);
	if (!ar->enabled)
		return;
	tv.tv_sec = (time_t)ar->r.every;
	tv.tv_usec = 0;
	event_add(ar->timer, &tv);
	event_active(ar->timer, EV_TIMEOUT, 1);
}

int
alert_test(const char *name, time_t from, alert_answer_cb answer,
    uint64_t id)
{
	struct alert_watch	*ar;
	struct alert_job	*j;
	time_t			 now = time(NULL);

	if (alert_stopped || (ar = alert_watch_find(name)) == NULL)
		return (-1);
	j = alert_job_new(ar, now);
	j->test = 1;
	j->from = from < now ? from : now;
	j->step = ar->r.every;
	if ((unsigned long)(now - j->from) / j->step > ALERT_TEST_STEPS)
		j->step = (unsigned long)(now - j->from) / ALERT_TEST_STEPS + 1;
	j->answer = answer;
	j->id = id;
	alert_job_start(j);
	return (0);
}

/* ---- configuration, start and stop */

/* Build the rules of conf, keeping by name the alerts of old ones. */
static void
alert_configure(const struct config *conf)
{
	struct alert_watches	 old;
	const struct alert_conf	*ac;
	struct config_item	*it;
	struct alert_watch	*ar;

	TAILQ_INIT(&old);
	TAILQ_CONCAT(&old, &alert_watches, entry);
	CONFIG_FOREACH(it, conf, &alertconf_section) {
		ac = config_data(it);
		TAILQ_FOREACH(ar, &old, entry) {
			if (strcmp(ar->name, ac->name) == 0)
				break;
		}
		if (ar != NULL)
			TAILQ_REMOVE(&old, ar, entry);
		else {
			ar = xcalloc(1, sizeof(*ar));
			ar->name = xstrdup(ac->name);
			ar->alerts = hmap_new();
			ar->created = time(NULL);
		}
		alert_watch_set(ar, ac);
		TAILQ_INSERT_TAIL(&alert_watches, ar, entry);
		alert_watch_arm(ar);
	}
	while ((ar = TAILQ_FIRST(&old)) != NULL) {
		TAILQ_REMOVE(&old, ar, entry);
		log_info("alert: rule %s removed", ar->name);
		alert_watch_free(ar);
		alert_dirty = 1;
	}
	alert_shutdown_ms = conf->shutdown_timeout;
}

static size_t
alert_nrules(void)
{
	struct alert_watch	*ar;
	size_t			 n = 0;

	TAILQ_FOREACH(ar, &alert_watches, entry)
		n++;
	return (n);
}

/* Read alert.state into alert_saved ("rule metric" -> state). */
static void
alert_load_state(void)
{
	struct alert_state	 st, *copy;
	char			*text, *line, *save, *rule, *metric, key[512];
	int			 n = 0;

	alert_saved = hmap_new();
	if ((text = alertdb_read(alert_state_path, ALERT_FILE_MAX)) == NULL) {
		if (errno != ENOENT)
			log_warn("alert: %s", alert_state_path);
		return;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		n++;
		if (*line == '#')
			continue;
		if (alertdb_state_parse(line, &rule, &metric, &st) == -1) {
			log_warnx("alert: %s: bad line %d ignored",
			    alert_state_path, n);
			continue;
		}
		snprintf(key, sizeof(key), "%s %s", rule, metric);
		copy = xmalloc(sizeof(*copy));
		*copy = st;
		free(hmap_put(alert_saved, key, copy));
	}
	free(text);
}

static int
alert_claim_cb(const char *key, void *value, void *arg)
{
	struct alert_watch	*ar;
	struct alert_one	*one;
	char			 rule[128];
	const char		*sp;

	if ((sp = strchr(key, ' ')) == NULL || (size_t)(sp - key) >=
	    sizeof(rule))
		return (0);
	snprintf(rule, sizeof(rule), "%.*s", (int)(sp - key), key);
	if ((ar = alert_watch_find(rule)) == NULL || !ar->enabled ||
	    !alert_watch_matches(ar, sp + 1))
		return (0);
	one = alert_one_get(ar, sp + 1, 0);
	one->st = *(struct alert_state *)value;
	(*(int *)arg)++;
	return (0);
}

/* Give the rules the states saved by the last run. */
static void
alert_claim_states(void)
{
	int	 n = 0;

	hmap_foreach(alert_saved, alert_claim_cb, &n);
	if (hmap_count(alert_saved) > 0)
		log_info("alert: %d of %zu saved alert states restored", n,
		    hmap_count(alert_saved));
	hmap_free(alert_saved, free);
	alert_saved = NULL;
}

/* Keep the newest ALERT_HISTORY_MAX lines of alert.history. */
static void
alert_load_history(void)
{
	char	*text, *line, *save;

	alert_hist = xcalloc(ALERT_HISTORY_MAX, sizeof(*alert_hist));
	alert_hist_new = evbuffer_new();
	if ((text = alertdb_read(alert_history_path, ALERT_FILE_MAX)) ==
	    NULL) {
		if (errno != ENOENT)
			log_warn("alert: %s", alert_history_path);
		return;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		alert_history_add(line);
		alert_hist_lines++;
	}
	evbuffer_drain(alert_hist_new, evbuffer_get_length(alert_hist_new));
	alert_dirty = 0;
	free(text);
}

void
alert_start(struct event_base *base, struct store *store,
    const struct config *conf)
{
	alert_base = base;
	alert_store = store;
	alert_stopped = 0;
	__atomic_store_n(&alert_cancel, 0, __ATOMIC_RELAXED);
	alert_datadir = xstrdup(conf->datadir);
	xasprintf(&alert_state_path, "%s/%s", conf->statedir, ALERTDB_STATE);
	xasprintf(&alert_history_path, "%s/%s", conf->statedir,
	    ALERTDB_HISTORY);
	alert_pool = work_pool_new(base, "alert", ALERT_THREADS);
	alert_iopool = work_pool_new(base, "alertio", 1);
	notify_start(base, conf);
	alert_load_history();
	alert_load_state();
	alert_configure(conf);
	alert_claim_states();
	log_info("alert: %zu rule(s); state in %s", alert_nrules(),
	    alert_state_path);
}

void
alert_reload(const struct config *conf)
{
	if (alert_base == NULL || alert_stopped)
		return;
	notify_reload(conf);
	alert_configure(conf);
	alert_save();
}

static void
alert_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
}

/* Run the loop until evaluations, writes and notices are done, bounded. */
static void
alert_drain(void)
{
	struct event	*tick;
	struct timeval	 tv = { 0, 50000 };
	msec_t		 deadline = clock_mono() + (msec_t)alert_shutdown_ms;

	if ((tick = event_new(alert_base, -1, EV_PERSIST, alert_tick_cb,
	    NULL)) == NULL)
		fatalx("alert: event_new failed");
	event_add(tick, &tv);
	while ((alert_njobs > 0 || alert_io_busy || notify_pending() > 0 ||
	    !TAILQ_EMPTY(&alert_outbox)) && clock_mono() < deadline) {
		if (!alert_io_busy)
			alert_save();
		event_base_loop(alert_base, EVLOOP_ONCE);
	}
	event_free(tick);
}

/* Write what is still unsaved, on this thread: we are stopping. */
static void
alert_save_now(void)
{
	struct alert_io		*io;
	struct alert_notice	*n;

	if (alert_io_busy) {
		log_warnx("alert: the state writer is stuck; state not saved");
		return;
	}
	if (!alert_dirty && TAILQ_EMPTY(&alert_outbox))
		return;
	io = alert_io_new();
	alert_io_run(&io->job);
	if (io->err[0] != '\0')
		log_warnx("alert: saving state: %s", io->err);
	else {
		/* Recorded as sent: the notifier's queue must have them. */
		TAILQ_FOREACH(n, &io->outbox, entry)
			alert_notice_send(n, 0);
	}
	alert_io_free(io);
}

void
alert_stop(void)
{
	struct alert_watch	*ar;
	size_t			 i;

	if (alert_base == NULL)
		return;
	TAILQ_FOREACH(ar, &alert_watches, entry) {
		if (ar->timer != NULL)
			event_del(ar->timer);
	}
	__atomic_store_n(&alert_cancel, 1, __ATOMIC_RELAXED);
	alert_drain();
	alert_stopped = 1;
	alert_save_now();
	notify_stop();
	if (alert_njobs > 0)
		log_warnx("alert: %d evaluation(s) still running; left",
		    alert_njobs);
	(void)work_pool_free(alert_pool);
	(void)work_pool_free(alert_iopool);
	while ((ar = TAILQ_FIRST(&alert_watches)) != NULL) {
		TAILQ_REMOVE(&alert_watches, ar, entry);
		alert_watch_free(ar);
	}
	for (i = 0; i < alert_hist_n; i++)
		free(alert_hist[(alert_hist_first + i) % ALERT_HISTORY_MAX]);
	free(alert_hist);
	evbuffer_free(alert_hist_new);
	free(alert_datadir);
	free(alert_state_path);
	free(alert_history_path);
	alert_hist = NULL;
	alert_hist_n = alert_hist_first = alert_hist_lines = 0;
	alert_base = NULL;
}

/* ---- answers */

/* The alert that speaks for a rule: the worst, then the longest firing. */
struct alert_worst {
	const struct alert_one	*one;
	int			 firing;
};

static int
alert_worst_cb(const char *key, void *value, void *arg)
{
	const struct alert_one	*one = value, *w;
	struct alert_worst	*ws = arg;

	if (one->st.level != ALERT_OK)
		ws->firing++;
	if ((w = ws->one) == NULL || one->st.level > w->st.level ||
	    (one->st.level == w->st.level && (one->st.level != ALERT_OK ?
	    one->st.since < w->st.since : one->st.since > w->st.since)))
		ws->one = one;
	return (0);
}

static void
alert_watch_line(const struct alert_watch *ar, struct evbuffer *out)
{
	struct alert_worst	 ws = { NULL, 0 };
	const struct alert_one	*w;
	char			 num[32];

	if (!ar->enabled) {
		evbuffer_add_printf(out, "%s disabled %lld U rule disabled "
		    "(enabled = no)\n", ar->name, (long long)ar->created);
		return;
	}
	hmap_foreach(ar->alerts, alert_worst_cb, &ws);
	if ((w = ws.one) == NULL) {
		evbuffer_add_printf(out, "%s ok %lld U %s: %s\n", ar->name,
		    (long long)ar->created, ar->metric, ar->evaluated == 0 ?
		    "not evaluated yet" : "no series matches");
		return;
	}
	numfmt_double(num, sizeof(num), w->st.value);
	evbuffer_add_printf(out, "%s %s %lld %s %s: %s", ar->name,
	    alertrule_level_name(w->st.level), (long long)w->st.since, num,
	    w->metric, w->st.msg);
	if (ws.firing > 1)
		evbuffer_add_printf(out, " (%d series firing)", ws.firing);
	evbuffer_add_printf(out, "\n");
}

static int
alert_count_cb(const char *key, void *value, void *arg)
{
	const struct alert_one	*one = value;
	int			*n = arg;

	if (one->st.level == ALERT_WARNING)
		n[0]++;
	else if (one->st.level == ALERT_CRITICAL)
		n[1]++;
	return (0);
}

void
alert_counts(int *warning, int *critical)
{
	struct alert_watch	*ar;
	int			 n[2] = { 0, 0 };

	TAILQ_FOREACH(ar, &alert_watches, entry) {
		if (ar->enabled)
			hmap_foreach(ar->alerts, alert_count_cb, n);
	}
	*warning = n[0];
	*critical = n[1];
}

void
alert_list(struct evbuffer *out)
{
	struct alert_watch	*ar;

	evbuffer_add_printf(out, "OK %zu alerts\n", alert_nrules());
	TAILQ_FOREACH(ar, &alert_watches, entry)
		alert_watch_line(ar, out);
}

int
alert_history(const char *name, struct evbuffer *out)
{
	struct evbuffer	*b = evbuffer_new();
	char		 rule[128];
	size_t		 i, n = 0;

	for (i = 0; i < alert_hist_n; i++) {
		if (name != NULL && (alertdb_event_rule(alert_hist_get(i),
		    rule, sizeof(rule)) == -1 || strcmp(rule, name) != 0))
			continue;
		evbuffer_add_printf(b, "%s\n", alert_hist_get(i));
		n++;
	}
	if (n == 0 && name != NULL && alert_watch_find(name) == NULL) {
		evbuffer_free(b);
		return (-1);
	}
	evbuffer_add_printf(out, "OK %zu events\n", n);
	evbuffer_add_buffer(out, b);
	evbuffer_free(b);
	return (0);
}

static void
alert_json_state(struct evbuffer *out, const struct alert_one *one)
{
	evbuffer_add_printf(out, "\"metric\":");
	json_string(out, one->metric);
	evbuffer_add_printf(out, ",\"level\":\"%s\",\"since\":%lld,"
	    "\"value\":", alertrule_level_name(one->st.level),
	    (long long)one->st.since);
	json_number(out, one->st.value);
	evbuffer_add_printf(out, ",\"message\":");
	json_string(out, one->st.msg);
}

static int
alert_json_series_cb(const char *key, void *value, void *arg)
{
	struct evbuffer	*out = ((void **)arg)[0];
	int		*first = ((void **)arg)[1];

	evbuffer_add_printf(out, "%s{", *first ? "" : ",");
	*first = 0;
	alert_json_state(out, value);
	evbuffer_add_printf(out, "}");
	return (0);
}

static void
alert_json_rule(struct evbuffer *out, const struct alert_watch *ar)
{
	struct alert_worst	 ws = { NULL, 0 };
	struct alert_one	 none;
	void			*arg[2];
	int			 first = 1;

	hmap_foreach(ar->alerts, alert_worst_cb, &ws);
	if (ws.one == NULL) {
		memset(&none, 0, sizeof(none));
		none.metric = ar->metric;
		alertrule_state_init(&none.st, ar->created);
		if (!ar->enabled)
			snprintf(none.st.msg, sizeof(none.st.msg), "disabled");
		ws.one = &none;
	}
	evbuffer_add_printf(out, "{\"name\":");
	json_string(out, ar->name);
	evbuffer_add_printf(out, ",\"kind\":\"%s\",\"enabled\":%s,",
	    alertrule_kinds[ar->r.kind], ar->enabled ? "true" : "false");
	alert_json_state(out, ws.one);
	evbuffer_add_printf(out, ",\"pattern\":");
	json_string(out, ar->metric);
	evbuffer_add_printf(out, ",\"series\":[");
	arg[0] = out;
	arg[1] = &first;
	hmap_foreach(ar->alerts, alert_json_series_cb, arg);
	evbuffer_add_printf(out, "]}");
}

void
alert_json(struct evbuffer *out)
{
	struct alert_watch	*ar;

	evbuffer_add_printf(out, "{\"alerts\":[");
	TAILQ_FOREACH(ar, &alert_watches, entry) {
		if (ar != TAILQ_FIRST(&alert_watches))
			evbuffer_add_printf(out, ",");
		alert_json_rule(out, ar);
	}
	evbuffer_add_printf(out, "]}");
}
