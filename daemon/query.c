/*
 * query.c - reading series off the loop: fetch, info, last and graphs.
 *
 * DESIGN
 * A query is a job that owns copies of everything it needs (paths, spec).
 * On the loop it resolves names to paths (no I/O) and asks the store to
 * flush the files it will read; when the last flush answers it goes to
 * the "query" pool (two threads, only _r librrd calls).  The worker fills
 * job->res; the completion runs the caller's callback on the loop.
 * Callers that vanished are the caller's business: they pass an arg that
 * lets them tell (an id, never a pointer to a freed client).
 *
 * A graph job's worker only checks the files and builds rrd_graph's
 * arguments; its completion hands them to the render pool (render.c),
 * whose helper processes render, since rrd_graph is neither thread-safe
 * nor free of leaks.  The pool answers on the loop, and the job ends there.
 *
 * With a shared rrdcached ([storage] rrdcached_prefix) the files are not
 * ours to open: a job carries rrdcached's address and reads through
 * librrd's client (rrdc_info, rrdc_fetch), which is one
 * connection for the process, so the workers take query_rc_lock around
 * each call (a leaf: nothing else is locked inside); graphs pass --daemon
 * to the helpers, whose rrd_graph fetches through rrdcached.
 *
 * Graph renders are cached by canonical spec for graph_cache ms; a
 * request for a spec being rendered waits for that render instead of
 * starting another.  The cache is loop-only state.
 *
 * The workers share one more cache, of each file's layout (archives and
 * last update, query_file_rras), under query_layout_lock: a leaf lock,
 * held for a lookup or a copy, never across librrd or another lock.
 *
 * A FETCH of our own files goes to rrdread (pread on kept descriptors).
 * A short one (QUERY_INLINE_ROWS, up to QUERY_INLINE_MAX a loop turn) is
 * read by the loop itself if it needs no disk (RRDREAD_NOWAIT: the
 * descriptor is open, the bytes are in the page cache), later in the same
 * loop turn: two thread hand-offs cost more than such a read, busy
 * workers or not.  LAST of a file the same way, from its header (rrdread
 * keeps the descriptor).  Anything else still goes to the pool.
 *
 * query_exec runs a caller's job (the Prometheus API's) the same way:
 * flushes, then the pool, then the caller's completion on the loop.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <rrd.h>
#include <rrd_client.h>

#include "clock.h"
#include "config.h"
#include "graph.h"
#include "hmap.h"
#include "log.h"
#include "names.h"
#include "query.h"
#include "render.h"
#include "rrdread.h"
#include "series.h"
#include "store.h"
#include "work.h"
#include "xmalloc.h"

#define QUERY_CACHE_MAX		64	/* renders kept at most */
#define QUERY_RRA_MAX		64	/* archives of a file we look at */
#define QUERY_LAYOUTS_MAX	8192	/* files whose layout is kept */
#define QUERY_INLINE_ROWS	1000	/* FETCH rows the loop reads itself */
#define QUERY_INLINE_MAX	32	/* such FETCHes in one loop turn */

enum query_type { Q_FETCH, Q_INFO, Q_LAST, Q_GRAPH };

struct query_waiter {
	query_cb	 cb;
	void		*arg;
};

/* A render, done or under way, shared by identical GRAPH requests. */
struct query_render {
	char			*key;
	msec_t			 expires;	/* 0 while rendering */
	struct query_result	 res;
	unsigned char		*image;
	struct query_waiter	*waiters;
	size_t			 nwaiters;
	int			 cached;	/* in query_cache, else free it */
};

struct query_job {
	struct work_job		 job;
	enum query_type		 type;
	char			*name[GRAPH_METRICS_MAX];
	char			*path[GRAPH_METRICS_MAX];
	int			 npaths;
	int			 flushes;	/* store flushes to wait for */
	size_t			 dirlen;	/* of datadir in paths */
	char			*rrdcached;	/* read through it; or NULL */
	struct proto_fetch	 fetch;
	struct graph_spec	*spec;		/* GRAPH only: 2.8 kB */
	char			*kind;		/* INFO: from the registry */
	char			*unit;
	struct query_render	*render;
	char			**argv;		/* GRAPH: rrd_graph's, in argmem */
	void			*argmem;
	query_cb		 cb;
	query_fmt		 fmt;		/* FETCH: on the worker */
	void			*arg;
	struct query_result	 res;
	unsigned char		*image;
	size_t			 image_len;
};

static struct event_base	*query_base;
static struct store		*query_store;
static const struct config	*query_cf;	/* in force: main's */
static struct work_pool		*query_pool;
static struct render_pool	*query_rpool;
static struct hmap		*query_cache;
static unsigned long		 query_renders, query_hits;
static int			 query_inlined;	/* FETCHes the loop will read */
static int			 query_stopping;	/* query_stop was called */
/* librrd's rrdcached client is one connection per process: one user. */
static pthread_mutex_t		 query_rc_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * FETCH rows read and not yet handed on (freed, or taken by an answer
 * sent in parts, which listen.c counts): bounded by max_output_total
 * before any row is read, so a crowd asking at once cannot pile up
 * results waiting for the loop.  Atomic: workers add, the loop takes.
 */
static size_t			 query_rows_held;
static unsigned long		 query_rows_max = 256UL << 20;
static unsigned long		 query_rows_refused;

static pthread_mutex_t	 query_layout_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hmap	*query_layouts;		/* under query_layout_lock */

static void	query_job_free(struct query_job *);

void
query_init(struct event_base *base, struct store *store)
{
	query_base = base;
	query_store = store;
	query_pool = work_pool_new(base, "query", 2);
	query_cache = hmap_new();
}

/* The render pool starts with the first config; reloads retune it. */
void
query_set_config(const struct config *conf)
{
	struct render_opts	 ro;

	query_cf = conf;
	__atomic_store_n(&query_rows_max, conf->max_output_total,
	    __ATOMIC_RELAXED);
	memset(&ro, 0, sizeof(ro));
	ro.helper = conf->render_helper;
	ro.locale = conf->graph_locale;
	ro.procs = conf->render_procs;
	ro.recycle = conf->render_recycle;
	ro.rss_max = conf->render_rss_max;
	ro.timeout = (msec_t)conf->render_timeout;
	if (query_rpool == NULL)
		query_rpool = render_pool_new(query_base, &ro);
	else
		render_pool_set(query_rpool, &ro);
}

static void
query_render_free(void *arg)
{
	struct query_render	*r = arg;

	free(r->key);
	free(r->image);
	free(r->waiters);
	free(r);
}

void
query_stop(void)
{
	query_stopping = 1;
}

void
query_shutdown(void)
{
	/* Graph completions submit renders: drain them before the pool goes. */
	if (query_pool != NULL)
		work_drain(query_pool, 5000);
	render_pool_free(query_rpool);
	if (query_pool != NULL)
		work_pool_free(query_pool);
	hmap_free(query_cache, query_render_free);
	pthread_mutex_lock(&query_layout_lock);
	hmap_free(query_layouts, free);
	query_layouts = NULL;
	pthread_mutex_unlock(&query_layout_lock);
	rrdread_close_all();
	query_cf = NULL;
	query_pool = NULL;
	query_rpool = NULL;
	query_cache = NULL;
}

void
query_render_stats(struct render_stats *rs)
{
	memset(rs, 0, sizeof(*rs));
	if (query_rpool != NULL)
		render_pool_stats(query_rpool, rs);
}

unsigned long
query_busy(void)
{
	return (__atomic_load_n(&query_rows_refused, __ATOMIC_RELAXED));
}

void
query_stats(unsigned long *renders, unsigned long *hits)
{
	*renders = query_renders;
	*hits = query_hits;
}

void
query_fail(struct query_result *res, enum proto_err code, const char *fmt,
    ...)
{
	va_list	 ap;

	res->error = 1;
	res->code = code;
	va_start(ap, fmt);
	vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
	va_end(ap);
}

/* ---- worker side */

/*
 * The archive rrd_fetch would read for f, picked as librrd 1.7 does
 * (rrd_fetch.c): of those of the CF (any CF if cf is NULL), the one that
 * covers the span with the step nearest the one asked for, else the one
 * covering most of it.  -1 if none.
 */
static int
query_fetch_rra(const struct query_rra *rra, int n, long long last,
    const struct proto_fetch *f, const char *cf)
{
	long long	 want, cend, cstart, diff, cover, bdiff = 0, bcover = 0;
	long long	 span = f->end - f->start;
	int		 i, best = -1, full = 0;

	want = f->resolution > 0 ? f->resolution : 1;
	for (i = 0; i < n; i++) {
		if ((cf != NULL && strcmp(rra[i].cf, cf) != 0) ||
		    rra[i].res <= 0)
			continue;
		cend = last - last % rra[i].res;
		cstart = cend - rra[i].res * rra[i].rows;
		diff = llabs(want - rra[i].res);
		cover = span - (cstart > f->start ? cstart - f->start : 0) -
		    (cend < f->end ? f->end - cend : 0);
		if (cend >= f->end && cstart <= f->start) {
			if (!full || diff < bdiff) {
				full = 1;
				best = i;
				bdiff = diff;
			}
		} else if (!full && (best == -1 || cover > bcover ||
		    (cover == bcover && diff < bdiff))) {
			best = i;
			bcover = cover;
			bdiff = diff;
		}
	}
	return (best);
}

long long
query_fetch_rows(const struct query_rra *rra, int n, long long last,
    const struct proto_fetch *f)
{
	int	 best;

	/* A CF the file lacks makes librrd fall back to another. */
	if ((best = query_fetch_rra(rra, n, last, f, f->cf)) == -1)
		best = query_fetch_rra(rra, n, last, f, NULL);
	return (best == -1 ? 0 : (f->end - f->start) / rra[best].res + 2);
}

/*
 * A file's rrd_info, from the file or, with a shared rrdcached, from it
 * (its INFO; rrdc_* are librrd's client, one connection, so locked).
 * NULL with rrd_get_error() set.
 */
static rrd_info_t *
query_rrd_info(const char *rc, const char *path)
{
	rrd_info_t	*info = NULL;

	rrd_clear_error();
	if (rc == NULL)
		return (rrd_info_r(path));
	pthread_mutex_lock(&query_rc_lock);
	if (rrdc_connect(rc) == 0)
		info = rrdc_info(path);
	pthread_mutex_unlock(&query_rc_lock);
	return (info);
}

/*
 * rrd_fetch_r, or rrdcached's FETCH: that has no resolution, so rrdcached
 * picks the finest archive covering the span.  0, or -1 with the error.
 */
static int
query_rrd_fetch(const char *rc, const char *path, const char *cf,
    time_t *start, time_t *end, unsigned long *step, unsigned long *nds,
    char ***names, rrd_value_t **data)
{
	int	 r = -1;

	rrd_clear_error();
	if (rc == NULL)
		return (rrd_fetch_r(path, cf, start, end, step, nds,
		    names, data) == 0 ? 0 : -1);
	pthread_mutex_lock(&query_rc_lock);
	if (rrdc_connect(rc) == 0)
		r = rrdc_fetch(path, cf, start, end, step, nds, names,
		    data) == 0 ? 0 : -1;
	pthread_mutex_unlock(&query_rc_lock);
	return (r);
}

/*
 * 1 if the file exists, 0 if not, -1 if that cannot be known (error).
 * Through rrdcached by INFO: librrd 1.7.2's rrdc_last parses its answer
 * from a buffer already out of scope (valgrind: invalid reads).
 */
static int
query_rrd_exists(const struct query_job *q, const char *path)
{
	struct stat	 sb;
	rrd_info_t	*info;

	if (q->rrdcached == NULL)
		return (stat(path, &sb) == 0 && S_ISREG(sb.st_mode));
	if ((info = query_rrd_info(q->rrdcached, path)) != NULL) {
		rrd_info_free(info);
		return (1);
	}
	return (strstr(rrd_get_error(), "No such file") != NULL ? 0 : -1);
}

/* The archives of a file, from rrd_info; -1 on error. */
static int
query_info_rras(const char *rc, const char *path, struct query_rra *rra,
    int max, long long *last)
{
	rrd_info_t	*info, *i;
	unsigned long	 step = 0;
	int		 n = 0, k;

	if ((info = query_rrd_info(rc, path)) == NULL)
		return (-1);
	*last = 0;
	for (i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, "step") == 0)
			step = i->value.u_cnt;
		else if (strcmp(i->key, "last_update") == 0)
			*last = (long long)i->value.u_cnt;
		else if (sscanf(i->key, "rra[%d]", &k) == 1 && k >= 0 &&
		    k < max) {
			n = k + 1 > n ? k + 1 : n;
			if (strstr(i->key, "].cf") != NULL)
				snprintf(rra[k].cf, sizeof(rra[k].cf), "%s",
				    i->value.u_str);
			else if (strstr(i->key, "].rows") != NULL)
				rra[k].rows = (long long)i->value.u_cnt;
			else if (strstr(i->key, "].pdp_per_row") != NULL)
				rra[k].res = (long long)i->value.u_cnt;
		}
	}
	rrd_info_free(info);
	for (k = 0; k < n; k++)
		rra[k].res *= (long long)step;
	return (n);
}

/*
 * The layout cache: rrd_info_r walks the whole header into a list (about
 * 100 us a file), and every FETCH and Prometheus read needs the layout.
 * An entry holds until the file is another (a create or a rewrite renames
 * a new file into place: another inode) or its last update is a second
 * old (the only field that moves; what it decides, the archive librrd
 * will read and the rows it will allocate, only shifts by a row).
 */
struct query_layout {
	dev_t			 dev;
	ino_t			 ino;
	off_t			 size;
	msec_t			 read_at;
	long long		 last;
	int			 n;
	struct query_rra	 rra[QUERY_RRA_MAX];
};


int
query_file_rras(const char *rc, const char *path, struct query_rra *rra,
    int max, long long *last)
{
	struct query_layout	*l, fresh;
	struct stat		 sb;
	msec_t			 now = clock_mono();
	int			 n;

	/* Through rrdcached the file is not ours to stat: no cache. */
	if (rc != NULL || stat(path, &sb) == -1)
		return (query_info_rras(rc, path, rra, max, last)); /* error */
	pthread_mutex_lock(&query_layout_lock);
	if (query_layouts != NULL && (l = hmap_get(query_layouts, path)) !=
	    NULL && l->dev == sb.st_dev && l->ino == sb.st_ino &&
	    l->size == sb.st_size && now - l->read_at < 1000) {
		n = l->n < max ? l->n : max;
		memcpy(rra, l->rra, (size_t)n * sizeof(*rra));
		*last = l->last;
		pthread_mutex_unlock(&query_layout_lock);
		return (n);
	}
	pthread_mutex_unlock(&query_layout_lock);
	memset(&fresh, 0, sizeof(fresh));
	if ((fresh.n = query_info_rras(NULL, path, fresh.rra, QUERY_RRA_MAX,
	    &fresh.last)) == -1)
		return (-1);
	fresh.dev = sb.st_dev;
	fresh.ino = sb.st_ino;
	fresh.size = sb.st_size;
	fresh.read_at = now;
	pthread_mutex_lock(&query_layout_lock);
	if (query_layouts == NULL || hmap_count(query_layouts) >=
	    QUERY_LAYOUTS_MAX) {
		hmap_free(query_layouts, free);
		query_layouts = hmap_new();
	}
	if ((l = hmap_get(query_layouts, path)) == NULL) {
		l = xmalloc(sizeof(*l));
		hmap_put(query_layouts, path, l);
	}
	*l = fresh;
	pthread_mutex_unlock(&query_layout_lock);
	n = fresh.n < max ? fresh.n : max;
	memcpy(rra, fresh.rra, (size_t)n * sizeof(*rra));
	*last = fresh.last;
	return (n);
}

/* A CF name into a small buffer, cut to fit (no printf on FETCH's path). */
static void
query_cf_copy(char *dst, size_t len, const char *src)
{
	size_t	 n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* rrdread's check: refuse a span whose rows would pass QUERY_ROWS_MAX. */
struct query_limit {
	const struct proto_fetch	*f;
	struct query_result		*res;
	long long			 max;	/* rows on the loop, or 0 */
	int				 defer;	/* too many for the loop */
};

/* Counts rows about to be read; -1 (busy) past max_output_total. */
static int
query_rows_count(struct query_result *res, long long rows)
{
	size_t	 bytes = (size_t)(rows > 0 ? rows : 0) * sizeof(double);
	size_t	 held;

	held = __atomic_add_fetch(&query_rows_held, bytes, __ATOMIC_RELAXED);
	if (held > bytes && held > __atomic_load_n(&query_rows_max,
	    __ATOMIC_RELAXED)) {
		__atomic_sub_fetch(&query_rows_held, bytes, __ATOMIC_RELAXED);
		__atomic_add_fetch(&query_rows_refused, 1, __ATOMIC_RELAXED);
		query_fail(res, PERR_BUSY, "%zu bytes of answers are being read "
		    "for clients (max_output_total); try later", held - bytes);
		return (-1);
	}
	/* A job may read more than once (a retry off the loop): all count. */
	res->counted += bytes;
	return (0);
}

static void
query_rows_uncount(struct query_result *res)
{
	__atomic_sub_fetch(&query_rows_held, res->counted, __ATOMIC_RELAXED);
	res->counted = 0;
}

void
query_rows_free(struct query_result *res)
{
	query_rows_uncount(res);
	free(res->rows);
	res->rows = NULL;
}

size_t
query_reading(void)
{
	return (__atomic_load_n(&query_rows_held, __ATOMIC_RELAXED));
}

static int
query_rows_check(const struct rrdread_rows *rr, void *arg)
{
	struct query_limit	*ql = arg;
	struct query_rra	 rra[RRDREAD_RRA_MAX];
	long long		 rows;
	int			 i;

	/* only the first nrra are read; the CFs are short (AVERAGE) */
	for (i = 0; i < rr->nrra; i++) {
		query_cf_copy(rra[i].cf, sizeof(rra[i].cf), rr->rra[i].cf);
		rra[i].res = (long long)rr->rra[i].res;
		rra[i].rows = (long long)rr->rra[i].rows;
	}
	rows = query_fetch_rows(rra, rr->nrra, rr->last, ql->f);
	if (ql->max > 0 && rows > ql->max) {
		ql->defer = 1;
		return (-1);
	}
	if (rows > QUERY_ROWS_MAX) {
		query_fail(ql->res, PERR_LIMIT, "%lld rows: ask a coarser "
		    "resolution or a shorter span (at most %d rows)", rows,
		    QUERY_ROWS_MAX);
		return (-1);
	}
	return (query_rows_count(ql->res, rows));
}

/*
 * Our own files: rrdread, which keeps them open (rrdread.c).  On the loop
 * (max > 0) nothing is recorded when it would wait or pass max rows: 1.
 */
static int
query_read_local(const char *path, const struct proto_fetch *f,
    struct query_result *res, long long max)
{
	struct rrdread_rows	 rr;
	struct query_limit	 ql = { f, res, max, 0 };
	char			 err[256];
	int			 errnum;

	if (rrdread_fetch(path, f->cf, f->start, f->end, f->resolution > 0 ?
	    (unsigned long)f->resolution : 1, max > 0 ? RRDREAD_NOWAIT : 0, &rr,
	    query_rows_check, &ql, err, sizeof(err), &errnum) == -1) {
		/* left to a worker, which counts the rows again */
		query_rows_uncount(res);
		if (max > 0 && !res->error)
			return (1);
		if (!res->error)
			query_fail(res, PERR_STORE, "%s", err);
		return (-1);
	}
	res->start = rr.start;
	res->step = rr.step;
	query_cf_copy(res->cf, sizeof(res->cf), f->cf);
	res->rows = rr.data;
	res->nrows = rr.nrows;
	return (0);
}

int
query_read_rows(const char *rc, const char *path, const struct proto_fetch *f,
    struct query_result *res)
{
	time_t		 start = f->start, end = f->end;
	unsigned long	 step = f->resolution > 0 ?
	    (unsigned long)f->resolution : 1, nds = 0, i, n;
	char		**names = NULL;
	rrd_value_t	*data = NULL;
	struct query_rra rra[64];
	long long	 last, rows;
	int		 nrra;

	if (rc == NULL)
		return (query_read_local(path, f, res, 0));
	/* librrd would allocate every row of the span: refuse a huge one. */
	memset(rra, 0, sizeof(rra));
	if ((nrra = query_file_rras(rc, path, rra, 64, &last)) == -1) {
		query_fail(res, PERR_STORE, "%s", rrd_get_error());
		return (-1);
	}
	if ((rows = query_fetch_rows(rra, nrra, last, f)) > QUERY_ROWS_MAX) {
		query_fail(res, PERR_LIMIT, "%lld rows: ask a coarser "
		    "resolution or a shorter span (at most %d rows)", rows,
		    QUERY_ROWS_MAX);
		return (-1);
	}
	if (query_rrd_fetch(rc, path, f->cf, &start, &end, &step, &nds,
	    &names, &data) != 0) {
		query_fail(res, PERR_STORE, "%s", rrd_get_error());
		return (-1);
	}
	n = step > 0 && end > start ? (unsigned long)(end - start) / step : 0;
	res->start = start;
	res->step = step;
	snprintf(res->cf, sizeof(res->cf), "%s", f->cf);
	res->rows = xreallocarray(NULL, n, sizeof(double));
	res->nrows = n;
	for (i = 0; i < n; i++)
		res->rows[i] = nds > 0 ? data[i * nds] : NAN;
	for (i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return (0);
}

static void
query_run_fetch(struct query_job *q)
{
	if (query_read_rows(q->rrdcached, q->path[0], &q->fetch,
	    &q->res) == 0 && q->fmt != NULL)
		q->fmt(&q->res);
}

static void
query_add_line(struct query_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
query_add_line(struct query_result *res, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	res->lines = xreallocarray(res->lines, res->nlines + 1,
	    sizeof(*res->lines));
	res->lines[res->nlines++] = s;
}

/* INFO: what a user needs from rrd_info, in stable "key value" lines. */
static void
query_run_info(struct query_job *q)
{
	rrd_info_t	*info, *i;
	unsigned long	 step = 0, pdp;

	if ((info = query_rrd_info(q->rrdcached, q->path[0])) == NULL) {
		query_fail(&q->res, PERR_STORE, "%s", rrd_get_error());
		return;
	}
	query_add_line(&q->res, "name %s", q->name[0]);
	query_add_line(&q->res, "file %s", q->path[0] + q->dirlen + 1);
	if (q->kind != NULL)
		query_add_line(&q->res, "kind %s", q->kind);
	if (q->unit != NULL && *q->unit != '\0')
		query_add_line(&q->res, "unit %s", q->unit);
	for (i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, "step") == 0 && i->type == RD_I_CNT) {
			step = i->value.u_cnt;
			query_add_line(&q->res, "step %lu", step);
		} else if (strcmp(i->key, "last_update") == 0)
			query_add_line(&q->res, "last_update %lu",
			    i->value.u_cnt);
		else if (strcmp(i->key, "ds[value].type") == 0)
			query_add_line(&q->res, "ds_type %s", i->value.u_str);
		else if (strcmp(i->key, "ds[value].minimal_heartbeat") == 0)
			query_add_line(&q->res, "heartbeat %lu",
			    i->value.u_cnt);
		else if (strcmp(i->key, "ds[value].last_ds") == 0)
			query_add_line(&q->res, "last_value %s",
			    i->value.u_str);
		else if (strncmp(i->key, "rra[", 4) == 0 &&
		    strstr(i->key, "].cf") != NULL)
			query_add_line(&q->res, "%.*s cf %s",
			    (int)(strchr(i->key, ']') - i->key + 1), i->key,
			    i->value.u_str);
		else if (strncmp(i->key, "rra[", 4) == 0 &&
		    strstr(i->key, "].rows") != NULL)
			query_add_line(&q->res, "%.*s rows %lu",
			    (int)(strchr(i->key, ']') - i->key + 1), i->key,
			    i->value.u_cnt);
		else if (strncmp(i->key, "rra[", 4) == 0 &&
		    strstr(i->key, "].pdp_per_row") != NULL) {
			pdp = i->value.u_cnt;
			query_add_line(&q->res, "%.*s resolution %lu",
			    (int)(strchr(i->key, ']') - i->key + 1), i->key,
			    pdp * step);
		}
	}
	rrd_info_free(info);
}

/* LAST through rrdcached: its INFO has the last update and value. */
static void
query_run_last_cached(struct query_job *q)
{
	rrd_info_t	*info, *i;
	char		*end;

	if ((info = query_rrd_info(q->rrdcached, q->path[0])) == NULL) {
		query_fail(&q->res, PERR_STORE, "%s", rrd_get_error());
		return;
	}
	q->res.last_time = 0;
	q->res.last_value = NAN;
	for (i = info; i != NULL; i = i->next) {
		if (strcmp(i->key, "last_update") == 0)
			q->res.last_time = (time_t)i->value.u_cnt;
		else if (strcmp(i->key, "ds[value].last_ds") == 0 &&
		    strcmp(i->value.u_str, "U") != 0) {
			q->res.last_value = strtod(i->value.u_str, &end);
			if (*end != '\0')
				q->res.last_value = NAN;
		}
	}
	rrd_info_free(info);
}

/* The last value as librrd keeps it (a string), or NAN. */
static double
query_last_value(const char *ds)
{
	char	*end;
	double	 v;

	if (strcmp(ds, "U") == 0)
		return (NAN);
	v = strtod(ds, &end);
	return (*end == '\0' && end != ds ? v : NAN);
}

/*
 * LAST of our own file from its header (rrdread, a kept descriptor);
 * with flags RRDREAD_NOWAIT (the loop) 1 if it would wait: a worker
 * reads it then.
 */
static int
query_read_last_local(struct query_job *q, int flags)
{
	char	 ds[64];
	time_t	 last;
	int	 r;

	if ((r = rrdread_lastds(q->path[0], flags, &last, ds,
	    sizeof(ds))) == 1 || (r == -1 && errno == EAGAIN))
		return (1);
	if (r == -1) {
		query_fail(&q->res, errno == ENOENT ? PERR_NOTFOUND :
		    PERR_STORE, "reading %s: %s", q->name[0], strerror(errno));
		return (-1);
	}
	q->res.last_time = last;
	q->res.last_value = query_last_value(ds);
	return (0);
}

static void
query_run_last(struct query_job *q)
{
	time_t		 last;
	unsigned long	 nds = 0, i;
	char		**names = NULL, **vals = NULL, *end;

	if (q->rrdcached != NULL) {
		query_run_last_cached(q);
		return;
	}
	if (query_read_last_local(q, 0) != 1)
		return;
	rrd_clear_error();
	if (rrd_lastupdate_r(q->path[0], &last, &nds, &names, &vals) != 0) {
		query_fail(&q->res, PERR_STORE, "%s", rrd_get_error());
		return;
	}
	q->res.last_time = last;
	q->res.last_value = NAN;
	if (nds > 0 && strcmp(vals[0], "U") != 0) {
		q->res.last_value = strtod(vals[0], &end);
		if (*end != '\0')
			q->res.last_value = NAN;
	}
	for (i = 0; i < nds; i++) {
		rrd_freemem(names[i]);
		rrd_freemem(vals[i]);
	}
	rrd_freemem(names);
	rrd_freemem(vals);
}

/* Only rrd_graph's arguments: a helper process renders (query_done). */
static void
query_run_graph(struct query_job *q)
{
	if (graph_args(q->spec, (const char *const *)q->path, q->rrdcached,
	    &q->argv, &q->argmem) < 0)
		query_fail(&q->res, PERR_ARGS, "cannot build the graph");
}

/* Every path must be a file; a missing one is "not-found". */
static void
query_run(struct work_job *job)
{
	struct query_job	*q = (struct query_job *)job;
	int			 i, r;

	for (i = 0; i < q->npaths; i++) {
		if ((r = query_rrd_exists(q, q->path[i])) == 0) {
			query_fail(&q->res, PERR_NOTFOUND, "no data for %s",
			    q->name[i]);
			return;
		}
		if (r == -1) {
			query_fail(&q->res, PERR_STORE, "%s", rrd_get_error());
			return;
		}
	}
	switch (q->type) {
	case Q_FETCH:
		query_run_fetch(q);
		break;
	case Q_INFO:
		query_run_info(q);
		break;
	case Q_LAST:
		query_run_last(q);
		break;
	case Q_GRAPH:
		query_run_graph(q);
		break;
	}
}

/* ---- loop side */

static void
query_job_free(struct query_job *q)
{
	size_t	 i;
	int	 j;

	for (j = 0; j < q->npaths; j++) {
		free(q->name[j]);
		free(q->path[j]);
	}
	for (i = 0; i < q->res.nlines; i++)
		free(q->res.lines[i]);
	free(q->res.lines);
	query_rows_uncount(&q->res);
	free(q->res.rows);
	if (q->res.text != NULL)
		evbuffer_free(q->res.text);
	free(q->kind);
	free(q->unit);
	free(q->spec);
	free(q->image);
	free(q->argmem);
	free(q->rrdcached);
	free(q);
}

/* A graph finished: fill its cache entry and answer every waiter. */
static void
query_render_done(struct query_job *q)
{
	struct query_render	*r = q->render;
	size_t			 i;

	r->res = q->res;
	r->res.lines = NULL;
	r->res.rows = NULL;
	r->image = q->image;
	q->image = NULL;
	r->res.image = r->image;
	r->res.image_len = q->image_len;
	r->res.mime = q->spec->format == GRAPH_SVG ? "image/svg+xml" :
	    "image/png";
	r->expires = clock_mono() + (r->res.error ? 1 :
	    query_cf->graph_cache);
	query_renders++;
	for (i = 0; i < r->nwaiters; i++)
		r->waiters[i].cb(&r->res, r->waiters[i].arg);
	free(r->waiters);
	r->waiters = NULL;
	r->nwaiters = 0;
	if (!r->cached)
		query_render_free(r);
}

/* The render pool answered: an error (librrd's or its own) or an image. */
static void
query_rendered_cb(struct render_result *rr, void *arg)
{
	struct query_job	*q = arg;

	if (rr->error)
		query_fail(&q->res, PERR_STORE, "%s", rr->msg);
	else {
		q->image = rr->image;
		q->image_len = rr->len;
		rr->image = NULL;
	}
	query_render_done(q);
	query_job_free(q);
}

static void
query_done(struct work_job *job)
{
	struct query_job	*q = (struct query_job *)job;

	if (q->type == Q_GRAPH && !q->res.error && query_rpool != NULL) {
		render_submit(query_rpool, q->argv, query_rendered_cb, q);
		free(q->argmem);
		q->argv = q->argmem = NULL;
		return;
	}
	if (q->type == Q_GRAPH && !q->res.error)
		query_fail(&q->res, PERR_STORE, "render failed: no renderer");
	if (q->type == Q_GRAPH)
		query_render_done(q);
	else
		q->cb(&q->res, q->arg);
	query_job_free(q);
}

/*
 * A small FETCH of a file already open: the loop reads it from the page
 * cache itself (RRDREAD_NOWAIT never waits on the
 * disk), sparing the two thread hand-offs that cost more than the read.
 * Anything else (a miss, an error, a long span) goes to a worker.
 */
static void
query_inline_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct query_job	*q = arg;
	int			 r = 1;

	query_inlined--;
	if (query_pool != NULL && q->type == Q_LAST)
		r = query_read_last_local(q, RRDREAD_NOWAIT);
	else if (query_pool != NULL)
		r = query_read_local(q->path[0], &q->fetch, &q->res,
		    QUERY_INLINE_ROWS);
	if (r != 1) {
		if (r == 0 && q->type == Q_FETCH && q->fmt != NULL)
			q->fmt(&q->res);
		query_done(&q->job);
		return;
	}
	if (query_pool == NULL) {
		query_fail(&q->res, PERR_INTERNAL, "shutting down");
		query_done(&q->job);
		return;
	}
	work_submit(query_pool, &q->job);
}

static void
query_submit(struct query_job *q)
{
	q->job.run = query_run;
	q->job.done = query_done;
	if ((q->type == Q_FETCH || q->type == Q_LAST) &&
	    q->rrdcached == NULL && query_inlined < QUERY_INLINE_MAX) {
		query_inlined++;
		/* Later in this loop turn: the caller answers CMD_WAIT first. */
		if (event_base_once(query_base, -1, EV_TIMEOUT,
		    query_inline_cb, q, NULL) == -1)
			fatalx("query: event_base_once failed");
		return;
	}
	work_submit(query_pool, &q->job);
}

static void
query_flushed_cb(void *arg, int error, const char *why)
{
	struct query_job	*q = arg;

	if (--q->flushes > 0)
		return;
	/* The store runs flushes left at its stop: the loop has ended. */
	if (query_pool == NULL || query_stopping) {
		query_fail(&q->res, PERR_INTERNAL, "shutting down");
		query_done(&q->job);
		return;
	}
	query_submit(q);
}

/* Answer a job at once, from the loop, without running it. */
static void
query_now_cb(evutil_socket_t fd, short ev, void *arg)
{
	query_done(arg);
}

static void
query_now(struct query_job *q)
{
	if (event_base_once(query_base, -1, EV_TIMEOUT, query_now_cb, q,
	    NULL) == -1)
		fatalx("query: event_base_once failed");
}

/*
 * Resolve the job's names to paths and flush the files the store knows;
 * submit once every flush answered.  A bad name answers at once.
 */
static void
query_start(struct query_job *q, const char *const *names, int n)
{
	struct series	*s;
	char		 path[PATH_MAX];
	int		 i;

	q->dirlen = strlen(config_rrd_dir(query_cf));
	if (query_cf->rrdcached_prefix != NULL)
		q->rrdcached = xstrdup(query_cf->rrdcached);
	for (i = 0; i < n; i++) {
		if (names_series_path(path, sizeof(path),
		    config_rrd_dir(query_cf), names[i]) == -1) {
			query_fail(&q->res, PERR_NAME, "bad metric name");
			query_now(q);
			return;
		}
		q->name[i] = xstrdup(names[i]);
		q->path[i] = xstrdup(path);
		q->npaths++;
	}
	q->flushes = 1;		/* held until every flush is asked */
	for (i = 0; i < n; i++) {
		if ((s = series_find(names[i])) == NULL ||
		    store_quiet(query_store, series_file(s)))
			continue;	/* nothing to flush: no loop turn */
		q->flushes++;
		store_flush(query_store, series_file(s), query_flushed_cb, q);
	}
	query_flushed_cb(q, 0, NULL);
}

static struct query_job *
query_job_new(enum query_type type, query_cb cb, void *arg)
{
	struct query_job	*q;

	q = xcalloc(1, sizeof(*q));
	q->type = type;
	q->cb = cb;
	q->arg = arg;
	return (q);
}

void
query_fetch(const struct proto_fetch *f, query_fmt fmt, query_cb cb,
    void *arg)
{
	struct query_job	*q = query_job_new(Q_FETCH, cb, arg);

	q->fmt = fmt;
	q->fetch = *f;
	q->fetch.metric = NULL;
	query_start(q, &f->metric, 1);
}

double *
query_take_rows(const struct query_result *res)
{
	struct query_job	*q;
	double			*rows;

	/* Every result a callback sees is a job's (FETCH is never cached). */
	q = (struct query_job *)(void *)((char *)(uintptr_t)res -
	    offsetof(struct query_job, res));
	rows = q->res.rows;
	q->res.rows = NULL;
	query_rows_uncount(&q->res);	/* the answer's now: listen.c's */
	return (rows);
}

void
query_info(const char *metric, query_cb cb, void *arg)
{
	struct query_job	*q = query_job_new(Q_INFO, cb, arg);
	struct series		*s;

	if ((s = series_find(metric)) != NULL) {
		q->kind = xstrdup(series_kind_name(series_kind(s)));
		q->unit = xstrdup(series_unit(s));
	}
	query_start(q, &metric, 1);
}

void
query_last(const char *metric, query_cb cb, void *arg)
{
	struct query_job	*q = query_job_new(Q_LAST, cb, arg);
	struct series		*s;

	/* The registry knows the last value of a live series: no disk. */
	if ((s = series_find(metric)) != NULL &&
	    series_last(s, &q->res.last_time, &q->res.last_value) == 0) {
		query_now(q);
		return;
	}
	query_start(q, &metric, 1);
}

static int
query_expired_cb(const char *key, void *value, void *arg)
{
	struct query_render	*r = value;
	char			***victims = arg;
	size_t			 n;

	if (r->expires != 0 && r->expires <= clock_mono()) {
		for (n = 0; (*victims)[n] != NULL; n++)
			;
		if (n < QUERY_CACHE_MAX) {
			(*victims)[n] = r->key;
			(*victims)[n + 1] = NULL;
		}
	}
	return (0);
}

/* Drop expired renders; the cache never holds more than its cap. */
static void
query_cache_sweep(void)
{
	char	**victims;
	size_t	  i;

	victims = xcalloc(QUERY_CACHE_MAX + 1, sizeof(*victims));
	hmap_foreach(query_cache, query_expired_cb, &victims);
	for (i = 0; victims[i] != NULL; i++)
		query_render_free(hmap_del(query_cache, victims[i]));
	free(victims);
}

/* A cache hit, answered on the next turn with its own copy. */
struct query_hit {
	struct query_result	 res;
	unsigned char		*image;
	query_cb		 cb;
	void			*arg;
};

static void
query_hit_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct query_hit	*h = arg;

	h->cb(&h->res, h->arg);
	free(h->image);
	free(h);
}

void
query_graph(const struct graph_spec *spec, query_cb cb, void *arg)
{
	struct query_render	*r;
	struct query_job	*q;
	struct query_hit	*h;
	const char		*names[GRAPH_METRICS_MAX];
	char			 key[4096];
	int			 i;

	graph_spec_key(spec, key, sizeof(key));
	if ((r = hmap_get(query_cache, key)) != NULL && r->expires != 0 &&
	    r->expires <= clock_mono()) {
		query_render_free(hmap_del(query_cache, key));
		r = NULL;
	}
	if (r != NULL && r->expires != 0) {
		/* Rendered a moment ago: answer from the cache. */
		query_hits++;
		h = xmalloc(sizeof(*h));
		h->res = r->res;
		h->image = NULL;
		if (r->res.image_len > 0) {
			h->image = xmalloc(r->res.image_len);
			memcpy(h->image, r->res.image, r->res.image_len);
		}
		h->res.image = h->image;
		h->cb = cb;
		h->arg = arg;
		if (event_base_once(query_base, -1, EV_TIMEOUT, query_hit_cb,
		    h, NULL) == -1)
			fatalx("query: event_base_once failed");
		return;
	}
	if (r == NULL) {
		if (hmap_count(query_cache) >= QUERY_CACHE_MAX)
			query_cache_sweep();
		r = xcalloc(1, sizeof(*r));
		r->key = xstrdup(key);
		if (hmap_count(query_cache) < QUERY_CACHE_MAX) {
			hmap_put(query_cache, key, r);
			r->cached = 1;
		}
		q = query_job_new(Q_GRAPH, NULL, NULL);
		q->spec = xmalloc(sizeof(*q->spec));
		*q->spec = *spec;
		q->render = r;
		for (i = 0; i < spec->nmetrics; i++)
			names[i] = spec->metric[i];
		r->waiters = xreallocarray(NULL, 1, sizeof(*r->waiters));
		r->waiters[0].cb = cb;
		r->waiters[0].arg = arg;
		r->nwaiters = 1;
		query_start(q, names, spec->nmetrics);
		return;
	}
	/* Being rendered: wait for that render. */
	query_hits++;
	r->waiters = xreallocarray(r->waiters, r->nwaiters + 1,
	    sizeof(*r->waiters));
	r->waiters[r->nwaiters].cb = cb;
	r->waiters[r->nwaiters].arg = arg;
	r->nwaiters++;
}

/* ---- a caller's job over flushed files */

struct query_exec {
	struct work_job	 job;
	int		 flushes;
	query_exec_fn	 run;
	query_exec_fn	 done;
	void		*arg;
};

static void
query_exec_run(struct work_job *job)
{
	struct query_exec	*x = (struct query_exec *)job;

	x->run(x->arg);
}

static void
query_exec_done(struct work_job *job)
{
	struct query_exec	*x = (struct query_exec *)job;

	x->done(x->arg);
	free(x);
}

static void
query_exec_flushed_cb(void *arg, int error, const char *why)
{
	struct query_exec	*x = arg;

	if (--x->flushes > 0)
		return;
	if (query_pool == NULL || query_stopping) {	/* shut down */
		query_exec_done(&x->job);
		return;
	}
	x->job.run = query_exec_run;
	x->job.done = query_exec_done;
	work_submit(query_pool, &x->job);
}

void
query_exec(const char *const *names, size_t n, query_exec_fn run,
    query_exec_fn done, void *arg)
{
	struct query_exec	*x = xcalloc(1, sizeof(*x));
	struct series		*s;
	size_t			 i;

	x->run = run;
	x->done = done;
	x->arg = arg;
	x->flushes = 1;		/* held until every flush is asked */
	for (i = 0; i < n; i++) {
		if ((s = series_find(names[i])) == NULL ||
		    store_quiet(query_store, series_file(s)))
			continue;
		x->flushes++;
		store_flush(query_store, series_file(s),
		    query_exec_flushed_cb, x);
	}
	query_exec_flushed_cb(x, 0, NULL);
}

const char *
query_datadir_path(void)
{
	return (config_rrd_dir(query_cf));
}

const char *
query_shared_rrdcached(void)
{
	return (query_cf->rrdcached_prefix != NULL ? query_cf->rrdcached :
	    NULL);
}
