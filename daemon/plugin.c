/*
 * plugin.c - plugin modules (dlopen, ABI check) and their instances.
 *
 * DESIGN
 * The loop owns every module and instance.  A read is a work_job embedded
 * in its instance: while it runs, the worker alone may touch the plugin's
 * data, and the loop does not call any callback of that instance.  Plugins
 * submit straight into the series registry (thread-safe), so a read hands
 * nothing back but its return code.
 *
 * An instance removed by a reload while its read runs is only marked and
 * moved to plugin_retiring; the read's completion destroys it.  A section
 * of the same name (a changed instance) starts only then: two copies of
 * one instance never run at once or share a state directory.
 *
 * A read past its deadline is logged once, counted, and the pool lends
 * itself one more thread until it returns, so a hung plugin costs a
 * thread, never another instance's schedule.
 *
 * Durability.  host_submit and host_rewrite remember the journal LSN of
 * the instance's last value (only its read submits, one at a time);
 * host_sync waits for it on the journal's condition, or, with no journal,
 * for a store flush whose completion (on the loop) signals the worker.
 * A worker never waits for the loop without a bound: at shutdown the
 * loop no longer runs completions, so such a wait gives up.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <rrd.h>

#include "compat.h"
#include "config.h"
#include "journal.h"
#include "log.h"
#include "names.h"
#include "plugin.h"
#include "sched.h"
#include "series.h"
#include "stats.h"
#include "store.h"
#include "util.h"
#include "work.h"
#include "xmalloc.h"

#define PLUGIN_DESC_MIN	(offsetof(struct tally_plugin, destroy) + \
	sizeof(((struct tally_plugin *)0)->destroy))

struct plugin_mod {
	char				*path;
	void				*handle;
	const struct tally_plugin	*desc;
	int				 refs;
	TAILQ_ENTRY(plugin_mod)		 entry;
};

struct tally_ctx {
	char			*name;		/* "plugin.instance" */
	struct plugin_conf	*conf;		/* in the config in force */
	struct plugin_mod	*mod;
	void			*data;
	char			*state_dir;
	char			*preset;	/* default retention */
	char			*config_dir;
	struct sched		 sched;
	struct event		*tick_ev;
	struct event		*deadline_ev;
	struct work_job		 job;
	int			 read_rc;
	int			 lent;		/* holds a lent thread */
	int			 removed;	/* destroy when the read ends */
	uint64_t		 lsn;		/* of its last submitted value */
	struct log_limit	 refuse_limit;	/* worker or loop, never both */
	char			*status;	/* under plugin_status_lock */
	TAILQ_ENTRY(tally_ctx)	 entry;
};

static TAILQ_HEAD(, plugin_mod)	 plugin_mods =
    TAILQ_HEAD_INITIALIZER(plugin_mods);
static TAILQ_HEAD(, tally_ctx)	 plugin_insts =
    TAILQ_HEAD_INITIALIZER(plugin_insts);
static TAILQ_HEAD(, tally_ctx)	 plugin_retiring =	/* reads running */
    TAILQ_HEAD_INITIALIZER(plugin_retiring);
static struct event_base	*plugin_base;
static struct work_pool		*plugin_pool;
static const struct config	*plugin_config;
static volatile int		 plugin_stopping;
static struct store		*plugin_store;
static struct journal		*plugin_journal;
/* A leaf lock: a read sets its status while PLUGINS reads it. */
static pthread_mutex_t		 plugin_status_lock = PTHREAD_MUTEX_INITIALIZER;

static void	plugin_tick_cb(evutil_socket_t, short, void *);
static void	plugin_deadline_cb(evutil_socket_t, short, void *);
static void	plugin_add(const struct config *, struct plugin_conf *);
static struct tally_ctx *plugin_find(const char *, const char *);

/* ---- host services lent to plugins */

static void
host_log(struct tally_ctx *ctx, int prio, const char *fmt, ...)
{
	va_list	 ap;

	if (prio < TALLY_LOG_ERR)
		prio = TALLY_LOG_ERR;
	va_start(ap, fmt);
	log_vmsg(prio, ctx->name, fmt, ap);
	va_end(ap);
}

static int
host_fullname(struct tally_ctx *ctx, const char *metric, char *buf,
    size_t len)
{
	int	 n;

	if (metric == NULL || !names_metric_valid(metric))
		return (-1);
	n = snprintf(buf, len, "%s.%s", ctx->name, metric);
	return (n < 0 || (size_t)n >= len ? -1 : 0);
}

static int
host_declare(struct tally_ctx *ctx, const char *metric, enum tally_kind kind,
    const char *unit, const char *preset)
{
	char	 name[NAMES_SERIES_MAX + 1], err[256];

	if (host_fullname(ctx, metric, name, sizeof(name)) == -1) {
		host_log(ctx, TALLY_LOG_ERR, "declare: invalid metric name "
		    "'%s'", metric != NULL ? metric : "(null)");
		return (-1);
	}
	if (series_declare(name, kind, unit, preset != NULL ? preset :
	    ctx->preset, err, sizeof(err)) == NULL) {
		host_log(ctx, TALLY_LOG_ERR, "declare: %s", err);
		return (-1);
	}
	return (0);
}

static int
host_submit(struct tally_ctx *ctx, const char *metric, time_t when,
    double value)
{
	char		 name[NAMES_SERIES_MAX + 1];
	struct series	*s = NULL;
	unsigned long	 n;
	uint64_t	 lsn;

	if (host_fullname(ctx, metric, name, sizeof(name)) == 0)
		s = series_find(name);
	if (s == NULL) {
		stats_add(STAT_VALUES_REFUSED, 1);
		if (log_limit_ok(&ctx->refuse_limit, time(NULL), 60, &n))
			host_log(ctx, TALLY_LOG_WARNING, "submit: metric '%s' "
			    "is not declared (%lu more suppressed)",
			    metric != NULL ? metric : "(null)", n);
		return (-1);
	}
	if (series_submit(s, when, value, &lsn) != SERIES_OK)
		return (-1);
	if (lsn > ctx->lsn)
		ctx->lsn = lsn;
	return (0);
}

static int
host_rewrite(struct tally_ctx *ctx, const char *metric, size_t n,
    const time_t *when, const double *value)
{
	char		 name[NAMES_SERIES_MAX + 1];
	struct series	*s = NULL;
	uint64_t	 lsn = 0;
	int		 r = -1;

	if (host_fullname(ctx, metric, name, sizeof(name)) == 0)
		s = series_find(name);
	if (s == NULL) {
		host_log(ctx, TALLY_LOG_ERR, "rewrite: metric '%s' is not "
		    "declared", metric != NULL ? metric : "(null)");
		return (-1);
	}
	if (n == 0 || when == NULL || value == NULL ||
	    (r = series_rewrite(s, n, when, value, &lsn)) != 0) {
		if (r == -2)
			host_log(ctx, TALLY_LOG_ERR, "rewrite %s: %s", metric,
			    plugin_journal != NULL ?
			    journal_error(plugin_journal) : "refused");
		else
			host_log(ctx, TALLY_LOG_ERR, "rewrite %s: need points "
			    "in increasing time (integral for counters)",
			    metric);
		return (-1);
	}
	if (lsn > ctx->lsn)
		ctx->lsn = lsn;
	return (0);
}

/* A worker waiting for a store flush that completes on the loop. */
struct host_flush {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 done;
	int		 error;
	int		 abandoned;
};

static void
host_flush_cb(void *arg, int error, const char *why)
{
	struct host_flush	*w = arg;
	int			 gone;

	pthread_mutex_lock(&w->lock);
	w->done = 1;
	w->error = error;
	gone = w->abandoned;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (gone) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w);
	}
}

/* Worker: store_flush(f) and wait for it; 0 or -1. */
static int
host_flush_wait(struct tally_ctx *ctx, struct store_file *f)
{
	struct host_flush	*w;
	struct timespec		 ts;
	int			 r, gone = 0;

	if (plugin_store == NULL)
		return (-1);
	w = xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	store_flush(plugin_store, f, host_flush_cb, w);
	pthread_mutex_lock(&w->lock);
	while (!w->done) {
		if (plugin_stopping) {
			w->abandoned = gone = 1;
			break;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&w->cond, &w->lock, &ts);
	}
	r = w->done && !w->error ? 0 : -1;
	pthread_mutex_unlock(&w->lock);
	if (!gone) {
		pthread_mutex_destroy(&w->lock);
		pthread_cond_destroy(&w->cond);
		free(w);
	} else
		host_log(ctx, TALLY_LOG_WARNING, "shutting down: not waiting "
		    "for storage");
	return (r);
}

static int
host_sync(struct tally_ctx *ctx)
{
	if (plugin_journal != NULL &&
	    journal_mode(plugin_journal) != JOURNAL_MEMORY) {
		if (journal_wait(plugin_journal, ctx->lsn) == 0)
			return (0);
		host_log(ctx, TALLY_LOG_ERR, "sync: %s",
		    journal_error(plugin_journal));
		return (-1);
	}
	if (host_flush_wait(ctx, NULL) == 0)
		return (0);
	host_log(ctx, TALLY_LOG_ERR, "sync: values not yet in their files; "
	    "see the store's warnings");
	return (-1);
}

static time_t
host_stored_last(struct tally_ctx *ctx, const char *metric)
{
	char		 name[NAMES_SERIES_MAX + 1];
	struct series	*s = NULL;
	const char	*path;
	time_t		 t;

	if (host_fullname(ctx, metric, name, sizeof(name)) == 0)
		s = series_find(name);
	if (s == NULL || host_flush_wait(ctx, series_file(s)) == -1)
		return (-1);
	path = store_file_path(series_file(s));
	if (access(path, F_OK) == -1)
		return (errno == ENOENT ? 0 : -1);
	rrd_clear_error();
	if ((t = rrd_last_r(path)) == -1) {
		host_log(ctx, TALLY_LOG_ERR, "%s: %s", path, rrd_get_error());
		return (-1);
	}
	return (t);
}

static const char *
host_config_dir(struct tally_ctx *ctx)
{
	return (ctx->config_dir);
}

static const char *
host_state_dir(struct tally_ctx *ctx)
{
	return (ctx->state_dir);
}

static void
host_stats(struct tally_ctx *ctx, tally_stat_cb cb, void *arg)
{
	stats_foreach(cb, arg);
}

/* One line for PLUGINS, control characters made spaces. */
static void
host_status(struct tally_ctx *ctx, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, *p;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = NULL;
	va_end(ap);
	for (p = s; p != NULL && *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	pthread_mutex_lock(&plugin_status_lock);
	free(ctx->status);
	ctx->status = s != NULL && *s != '\0' ? s : NULL;
	pthread_mutex_unlock(&plugin_status_lock);
	if (s != NULL && *s == '\0')
		free(s);
}

static const struct tally_host plugin_host = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_host),
	.declare = host_declare,
	.submit = host_submit,
	.log = host_log,
	.state_dir = host_state_dir,
	.stats = host_stats,
	.rewrite = host_rewrite,
	.config_dir = host_config_dir,
	.sync = host_sync,
	.stored_last = host_stored_last,
	.status = host_status,
};

/* ---- modules */

/* ---- [plugin NAME INSTANCE] sections */

#define P(f)	offsetof(struct plugin_conf, f)

static const struct config_key plugin_keys[] = {
	{ .name = "interval", .type = CONFIG_DURATION,
	  .min = 100, .max = CONFIG_MS_Y, .def = "10s", .flags = CONFIG_RELOAD,
	  .off = P(interval),
	  .help = "time between two reads" },
	{ .name = "jitter", .type = CONFIG_DURATION,
	  .max = CONFIG_MS_D, .def = "1s",
	  .defshow = "1s (at most half the interval)", .flags = CONFIG_RELOAD,
	  .off = P(jitter),
	  .help = "a read starts up to this late, so that instances spread "
	  "their reads; less than interval" },
	{ .name = "timeout", .type = CONFIG_DURATION,
	  .min = 100, .max = CONFIG_MS_Y, .defshow = "interval",
	  .flags = CONFIG_RELOAD, .off = P(timeout),
	  .help = "read deadline: a read running longer is reported and the "
	  "instance waits for it" },
	{ .name = "max_backoff", .type = CONFIG_DURATION,
	  .min = CONFIG_MS_S, .max = CONFIG_MS_Y, .def = "1h",
	  .defshow = "1h (at least interval)", .flags = CONFIG_RELOAD,
	  .off = P(max_backoff),
	  .help = "failed reads double the wait up to this; not less than "
	  "interval" },
	{ .name = "retention", .type = CONFIG_STRING,
	  .defshow = "[storage] retention",
	  .flags = CONFIG_RELOAD, .ref = "retention", .off = P(retention),
	  .help = "retention preset of this instance's metrics" },
	{ .name = "file", .type = CONFIG_PATH,
	  .defshow = "plugin_dir/NAME.so", .flags = CONFIG_RELOAD,
	  .off = P(file),
	  .help = "the plugin's shared object" },
};

static void	*plugin_conf_begin(struct config_parse *, const char *,
		    const char *);
static int	 plugin_conf_opt(struct config_parse *, void *, const char *,
		    const char *);
static void	*plugin_conf_end(struct config_parse *, void *);
static void	 plugin_conf_free(void *);

const struct config_section plugin_section = {
	.word = "plugin", .minw = 2, .maxw = 3,
	.usage = "[plugin NAME] or [plugin NAME INSTANCE]",
	.head = "[plugin NAME INSTANCE]\n"
	    "# INSTANCE defaults to \"default\"; other keys go to the plugin",
	.noun = { "plugin", "instance" },
	.keys = plugin_keys, .nkeys = sizeof(plugin_keys) /
	    sizeof(plugin_keys[0]),
	.begin = plugin_conf_begin, .value = plugin_conf_opt,
	.end = plugin_conf_end, .free = plugin_conf_free
};

static void *
plugin_conf_begin(struct config_parse *p, const char *name,
    const char *instance)
{
	struct plugin_conf	*pc;

	pc = xcalloc(1, sizeof(*pc));
	pc->plugin = xstrdup(name);
	pc->instance = xstrdup(instance);
	pc->line = config_line(p);
	return (pc);
}

/* A key the core does not own goes to the plugin, with its line. */
static int
plugin_conf_opt(struct config_parse *p, void *base, const char *key,
    const char *value)
{
	struct plugin_conf	*pc = base;
	struct plugin_opt	*o;

	if (!names_conf_valid(key, NAMES_OPT_CHARS)) {
		config_perr(p, config_line(p), "bad key '%s' in [%s]: use 1 to "
		    "%d of a-z, A-Z, 0-9, _, - and .", key, config_secname(p),
		    NAMES_CONF_MAX);
		return (0);
	}
	pc->opts = xreallocarray(pc->opts, pc->nopts + 1, sizeof(*pc->opts));
	o = &pc->opts[pc->nopts++];
	o->key = xstrdup(key);
	o->value = xstrdup(value);
	o->line = config_line(p);
	return (0);
}

/* The plugin section ended: fill timings that follow interval, check. */
static void *
plugin_conf_end(struct config_parse *p, void *base)
{
	struct plugin_conf	*pc = base;
	char			 a[32], b[32];
	int			 line;

	util_fmt_duration(b, sizeof(b), pc->interval);
	if (config_seen(p, "timeout") <= 0)
		pc->timeout = pc->interval;
	if ((line = config_seen(p, "jitter")) == 0) {
		if (pc->jitter > pc->interval / 2)
			pc->jitter = pc->interval / 2;
	} else if (line > 0 && pc->jitter >= pc->interval) {
		util_fmt_duration(a, sizeof(a), pc->jitter);
		config_perr(p, line, "jitter %s must be less than interval %s",
		    a, b);
	}
	if ((line = config_seen(p, "max_backoff")) == 0) {
		if (pc->max_backoff < pc->interval)
			pc->max_backoff = pc->interval;
	} else if (line > 0 && pc->max_backoff < pc->interval) {
		util_fmt_duration(a, sizeof(a), pc->max_backoff);
		config_perr(p, line, "max_backoff %s is less than interval %s",
		    a, b);
	}
	return (pc);
}

/* Free one plugin section, its table strings and its opts. */
static void
plugin_conf_free(void *arg)
{
	struct plugin_conf	*pc = arg;
	size_t			 i;

	config_free_keys(&plugin_section, pc);
	for (i = 0; i < pc->nopts; i++) {
		free(pc->opts[i].key);
		free(pc->opts[i].value);
	}
	free(pc->opts);
	free(pc->plugin);
	free(pc->instance);
	free(pc);
}

/* Same section if everything but line numbers matches, opts in order. */
int
plugin_conf_same(const struct plugin_conf *a, const struct plugin_conf *b)
{
	size_t	 i;

	if (strcmp(a->plugin, b->plugin) != 0 ||
	    strcmp(a->instance, b->instance) != 0 ||
	    !util_streq(a->file, b->file) ||
	    !util_streq(a->retention, b->retention) ||
	    a->interval != b->interval || a->jitter != b->jitter ||
	    a->timeout != b->timeout || a->max_backoff != b->max_backoff ||
	    a->nopts != b->nopts)
		return (0);
	for (i = 0; i < a->nopts; i++) {
		if (strcmp(a->opts[i].key, b->opts[i].key) != 0 ||
		    strcmp(a->opts[i].value, b->opts[i].value) != 0)
			return (0);
	}
	return (1);
}

/* ---- modules and instances */

static char *
plugin_mod_path(const struct config *conf, const struct plugin_conf *pc)
{
	char	*path;

	if (pc->file != NULL)
		return (xstrdup(pc->file));
	xasprintf(&path, "%s/%s.so", conf->plugin_dir, pc->plugin);
	return (path);
}

/* Load (or share) the module of a section; NULL with the reason in err. */
static struct plugin_mod *
plugin_mod_get(const struct config *conf, const struct plugin_conf *pc,
    char *err, size_t errlen)
{
	struct plugin_mod		*m;
	const struct tally_plugin	*d;
	void				*h;
	char				*path;

	path = plugin_mod_path(conf, pc);
	TAILQ_FOREACH(m, &plugin_mods, entry) {
		if (strcmp(m->path, path) == 0) {
			free(path);
			m->refs++;
			return (m);
		}
	}
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		goto fail;
	}
	if ((d = dlsym(h, TALLY_PLUGIN_SYMBOL)) == NULL) {
		snprintf(err, errlen, "%s: no %s symbol: not a tallyd plugin, "
		    "or built for another ABI", path, TALLY_PLUGIN_SYMBOL);
		goto fail_close;
	}
	if (d->abi != TALLY_PLUGIN_ABI || d->size < PLUGIN_DESC_MIN) {
		snprintf(err, errlen, "%s: plugin ABI %u (size %u), tallyd "
		    "speaks ABI %d", path, d->abi, d->size, TALLY_PLUGIN_ABI);
		goto fail_close;
	}
	if (d->name == NULL || strcmp(d->name, pc->plugin) != 0) {
		snprintf(err, errlen, "%s: plugin calls itself '%s', not '%s'",
		    path, d->name != NULL ? d->name : "(null)", pc->plugin);
		goto fail_close;
	}
	if (d->read == NULL) {
		snprintf(err, errlen, "%s: plugin has no read callback", path);
		goto fail_close;
	}
	m = xcalloc(1, sizeof(*m));
	m->path = path;
	m->handle = h;
	m->desc = d;
	m->refs = 1;
	TAILQ_INSERT_TAIL(&plugin_mods, m, entry);
	return (m);

fail_close:
	dlclose(h);
fail:
	free(path);
	return (NULL);
}

static void
plugin_mod_put(struct plugin_mod *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	TAILQ_REMOVE(&plugin_mods, m, entry);
	dlclose(m->handle);
	free(m->path);
	free(m);
}

/* ---- instances */

/*
 * Destroy an instance's data and free it; its timers and figures are the
 * caller's (plugin_inst_free).  Also undoes a half-made plugin_inst_new.
 */
static void
plugin_inst_discard(struct tally_ctx *ctx)
{
	if (ctx->mod != NULL && ctx->data != NULL &&
	    ctx->mod->desc->destroy != NULL)
		ctx->mod->desc->destroy(ctx->data);
	plugin_mod_put(ctx->mod);
	free(ctx->name);
	free(ctx->state_dir);
	free(ctx->preset);
	free(ctx->config_dir);
	free(ctx->status);
	free(ctx);
}

/*
 * Make an instance and pass it its keys.  Returns NULL after adding
 * "file:line: message" errors to errs.
 */
static struct tally_ctx *
plugin_inst_new(const struct config *conf, struct plugin_conf *pc,
    struct config_errors *errs)
{
	struct tally_ctx		*ctx;
	const struct tally_plugin	*d;
	char				 err[512], *p;
	size_t				 i, before = errs->n;

	ctx = xcalloc(1, sizeof(*ctx));
	xasprintf(&ctx->name, "%s.%s", pc->plugin, pc->instance);
	xasprintf(&ctx->state_dir, "%s/%s/%s", conf->statedir, pc->plugin,
	    pc->instance);
	ctx->preset = xstrdup(pc->retention != NULL ? pc->retention :
	    conf->default_retention);
	ctx->conf = pc;
	ctx->config_dir = xstrdup(conf->path);
	if ((p = strrchr(ctx->config_dir, '/')) != NULL)
		*(p == ctx->config_dir ? p + 1 : p) = '\0';
	if ((ctx->mod = plugin_mod_get(conf, pc, err, sizeof(err))) == NULL) {
		config_error(errs, conf->path, pc->line, "[plugin %s %s]: %s",
		    pc->plugin, pc->instance, err);
		goto fail;
	}
	d = ctx->mod->desc;
	if (d->create != NULL && (ctx->data = d->create(ctx,
	    &plugin_host)) == NULL) {
		config_error(errs, conf->path, pc->line, "[plugin %s %s]: "
		    "%s: create failed", pc->plugin, pc->instance,
		    ctx->mod->path);
		goto fail;
	}
	for (i = 0; i < pc->nopts; i++) {
		if (d->configure == NULL) {
			config_error(errs, conf->path, pc->opts[i].line,
			    "plugin %s takes no key '%s'", pc->plugin,
			    pc->opts[i].key);
			continue;
		}
		err[0] = '\0';
		if (d->configure(ctx->data, pc->opts[i].key, pc->opts[i].value,
		    err, sizeof(err)) != 0)
			config_error(errs, conf->path, pc->opts[i].line,
			    "%s: %s", pc->opts[i].key, err[0] != '\0' ? err :
			    "rejected by the plugin");
	}
	if (errs->n == before)
		return (ctx);
fail:
	plugin_inst_discard(ctx);
	return (NULL);
}

static void
plugin_inst_free(struct tally_ctx *ctx)
{
	char	 prefix[NAMES_SERIES_MAX + 8];

	if (ctx->tick_ev != NULL)
		event_free(ctx->tick_ev);
	if (ctx->deadline_ev != NULL)
		event_free(ctx->deadline_ev);
	snprintf(prefix, sizeof(prefix), "read.%s.", ctx->name);
	stats_named_remove_prefix(prefix);
	plugin_inst_discard(ctx);
}

/* tallyd -t: what a plugin's keys name outside the config (its check). */
static void
plugin_inst_check(const struct config *conf, struct tally_ctx *ctx,
    struct config_errors *errs)
{
	const struct tally_plugin	*d = ctx->mod->desc;
	const struct plugin_conf	*pc = ctx->conf;
	char				 err[512];
	size_t				 i;

	if (d->size < offsetof(struct tally_plugin, check) +
	    sizeof(d->check) || d->check == NULL)
		return;
	for (i = 0; i < pc->nopts; i++) {
		err[0] = '\0';
		if (d->check(ctx->data, pc->opts[i].key, pc->opts[i].value,
		    err, sizeof(err)) != 0)
			config_error(errs, conf->path, pc->opts[i].line,
			    "%s: %s", pc->opts[i].key, err[0] != '\0' ? err :
			    "refused by the plugin");
	}
}

int
plugins_check(const struct config *conf, struct config_errors *errs)
{
	struct config_item	*it;
	struct tally_ctx	*ctx;
	size_t			 before = errs->n;

	CONFIG_FOREACH(it, conf, &plugin_section) {
		ctx = plugin_inst_new(conf, config_data(it), errs);
		if (ctx != NULL) {
			plugin_inst_check(conf, ctx, errs);
			plugin_inst_discard(ctx);
		}
	}
	return ((int)(errs->n - before));
}

static uint32_t
plugin_seed(const char *s)
{
	uint32_t	 h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return (h);
}

static void
plugin_arm(struct tally_ctx *ctx)
{
	struct timeval	 tv;
	msec_t		 wait = ctx->sched.next - clock_mono();

	if (wait < 0)
		wait = 0;
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	evtimer_add(ctx->tick_ev, &tv);
}

static void
plugin_read_run(struct work_job *job)
{
	struct tally_ctx	*ctx = (struct tally_ctx *)((char *)job -
	    offsetof(struct tally_ctx, job));

	ctx->read_rc = ctx->mod->desc->read(ctx->data);
}

/* Publish an instance's figures for selfstat. */
static void
plugin_inst_stats(struct tally_ctx *ctx)
{
	char	 name[NAMES_SERIES_MAX + 32];

	snprintf(name, sizeof(name), "read.%s.msec", ctx->name);
	stats_named_set(name, TALLY_GAUGE, (double)ctx->sched.last_duration);
	snprintf(name, sizeof(name), "read.%s.failed", ctx->name);
	stats_named_set(name, TALLY_COUNTER, (double)ctx->sched.failed);
	snprintf(name, sizeof(name), "read.%s.skipped", ctx->name);
	stats_named_set(name, TALLY_COUNTER, (double)ctx->sched.skipped);
	snprintf(name, sizeof(name), "read.%s.late", ctx->name);
	stats_named_set(name, TALLY_COUNTER, (double)ctx->sched.late);
}

/*
 * The last read of a removed instance returned: destroy it, then start
 * the section that replaces it, if the config in force still has one.
 */
static void
plugin_retire(struct tally_ctx *ctx)
{
	struct config_item	*it;
	struct plugin_conf	*pc;
	char			*plugin, *instance;

	TAILQ_REMOVE(&plugin_retiring, ctx, entry);
	plugin = xstrdup(ctx->name);
	instance = strchr(plugin, '.');
	*instance++ = '\0';
	plugin_inst_free(ctx);
	if (!plugin_stopping && plugin_find(plugin, instance) == NULL) {
		CONFIG_FOREACH(it, plugin_config, &plugin_section) {
			pc = config_data(it);
			if (strcmp(pc->plugin, plugin) == 0 &&
			    strcmp(pc->instance, instance) == 0) {
				log_info("%s.%s: the old instance's read "
				    "returned; starting its replacement",
				    plugin, instance);
				plugin_add(plugin_config, pc);
				break;
			}
		}
	}
	free(plugin);
}

static void
plugin_read_done(struct work_job *job)
{
	struct tally_ctx	*ctx = (struct tally_ctx *)((char *)job -
	    offsetof(struct tally_ctx, job));
	msec_t			 now = clock_mono();
	int			 ok = ctx->read_rc == 0;

	evtimer_del(ctx->deadline_ev);
	if (ctx->lent) {
		work_return_thread(plugin_pool);
		ctx->lent = 0;
		log_notice("%s: late read returned after %lld ms", ctx->name,
		    (long long)(now - ctx->sched.started));
	}
	sched_done(&ctx->sched, now, ok);
	stats_add(STAT_READS, 1);
	stats_add(STAT_READ_MSEC, (uint64_t)ctx->sched.last_duration);
	if (!ok) {
		stats_add(STAT_READS_FAILED, 1);
		log_warnx("%s: read failed (%u in a row); next in %lld ms",
		    ctx->name, ctx->sched.failures,
		    (long long)(ctx->sched.next - now));
	} else if (ctx->sched.failures == 0 && ctx->sched.failed > 0 &&
	    ctx->sched.runs > 1)
		log_debug("%s: read ok", ctx->name);
	plugin_inst_stats(ctx);
	if (ctx->removed) {
		plugin_retire(ctx);
		return;
	}
	if (!plugin_stopping)
		plugin_arm(ctx);
}

static void
plugin_tick_cb(evutil_socket_t fd, short events, void *arg)
{
	struct tally_ctx	*ctx = arg;
	struct timeval		 tv;
	msec_t			 now = clock_mono();

	if (plugin_stopping)
		return;
	if (now < ctx->sched.next && ctx->sched.started < 0) {
		/* Fired early (libevent's coarse clock): wait for the rest. */
		plugin_arm(ctx);
		return;
	}
	if (sched_due(&ctx->sched, now) == SCHED_SKIP) {
		stats_add(STAT_READS_SKIPPED, 1);
		log_debug("%s: still reading; tick skipped (%llu so far)",
		    ctx->name, (unsigned long long)ctx->sched.skipped);
		plugin_inst_stats(ctx);
		plugin_arm(ctx);
		return;
	}
	ctx->job.run = plugin_read_run;
	ctx->job.done = plugin_read_done;
	work_submit(plugin_pool, &ctx->job);
	tv.tv_sec = ctx->sched.timeout / 1000;
	tv.tv_usec = (ctx->sched.timeout % 1000) * 1000;
	evtimer_add(ctx->deadline_ev, &tv);
	/* Ticks keep firing while it runs, so overruns are counted. */
	plugin_arm(ctx);
}

static void
plugin_deadline_cb(evutil_socket_t fd, short events, void *arg)
{
	struct tally_ctx	*ctx = arg;
	struct timeval		 tv;
	msec_t			 left;

	if (!sched_late(&ctx->sched, clock_mono())) {
		/* Fired early (coarse clock): wait for the rest. */
		left = sched_deadline(&ctx->sched) - clock_mono();
		if (sched_running(&ctx->sched) && !ctx->lent && left > 0) {
			tv.tv_sec = left / 1000;
			tv.tv_usec = (left % 1000) * 1000;
			evtimer_add(ctx->deadline_ev, &tv);
		}
		return;
	}
	stats_add(STAT_READS_LATE, 1);
	log_warnx("%s: read still running after its %lld ms deadline; "
	    "lending the pool a thread", ctx->name,
	    (long long)ctx->sched.timeout);
	work_lend_thread(plugin_pool);
	ctx->lent = 1;
	plugin_inst_stats(ctx);
}

/* Init an instance and put it on the schedule; -1 if it is refused. */
static int
plugin_inst_start(struct tally_ctx *ctx)
{
	const struct plugin_conf	*pc = ctx->conf;

	if (util_mkdirs(ctx->state_dir, 0755) == -1) {
		log_warn("%s: state directory %s", ctx->name, ctx->state_dir);
		return (-1);
	}
	if (ctx->mod->desc->init != NULL && ctx->mod->desc->init(ctx->data)
	    != 0) {
		log_warnx("%s: %s: init failed; instance not started",
		    ctx->name, ctx->mod->path);
		return (-1);
	}
	ctx->tick_ev = evtimer_new(plugin_base, plugin_tick_cb, ctx);
	ctx->deadline_ev = evtimer_new(plugin_base, plugin_deadline_cb, ctx);
	if (ctx->tick_ev == NULL || ctx->deadline_ev == NULL)
		fatalx("%s: cannot make timers", ctx->name);
	sched_init(&ctx->sched, pc->interval, pc->jitter, pc->timeout,
	    pc->max_backoff, plugin_seed(ctx->name), clock_mono(),
	    clock_wall());
	plugin_arm(ctx);
	log_info("%s: started (%s, every %lu ms)", ctx->name, ctx->mod->path,
	    pc->interval);
	return (0);
}

/* Make, configure, init and schedule one section's instance. */
static void
plugin_add(const struct config *conf, struct plugin_conf *pc)
{
	struct config_errors	 errs = { NULL, 0 };
	struct tally_ctx	*ctx;
	size_t			 i;

	if ((ctx = plugin_inst_new(conf, pc, &errs)) == NULL) {
		for (i = 0; i < errs.n; i++)
			log_warnx("%s", errs.msg[i]);
		config_errors_clear(&errs);
		return;
	}
	if (plugin_inst_start(ctx) == -1) {
		if (ctx->tick_ev != NULL)
			event_free(ctx->tick_ev);
		if (ctx->deadline_ev != NULL)
			event_free(ctx->deadline_ev);
		plugin_inst_discard(ctx);
		return;
	}
	TAILQ_INSERT_TAIL(&plugin_insts, ctx, entry);
}

/* Stop one instance now, or when its running read returns. */
static void
plugin_remove(struct tally_ctx *ctx)
{
	TAILQ_REMOVE(&plugin_insts, ctx, entry);
	evtimer_del(ctx->tick_ev);
	log_info("%s: stopped", ctx->name);
	if (sched_running(&ctx->sched)) {
		ctx->removed = 1;
		ctx->conf = NULL;
		TAILQ_INSERT_TAIL(&plugin_retiring, ctx, entry);
		return;
	}
	plugin_inst_free(ctx);
}

/* An instance of that name whose read still runs after its removal. */
static struct tally_ctx *
plugin_find_retiring(const char *plugin, const char *instance)
{
	struct tally_ctx	*ctx;
	size_t			 n = strlen(plugin);

	TAILQ_FOREACH(ctx, &plugin_retiring, entry) {
		if (strncmp(ctx->name, plugin, n) == 0 && ctx->name[n] == '.' &&
		    strcmp(ctx->name + n + 1, instance) == 0)
			return (ctx);
	}
	return (NULL);
}

void
plugins_set_storage(struct store *store, struct journal *j)
{
	plugin_store = store;
	plugin_journal = j;
}

/* Tell the registry which names are the instances' (not clients'). */
void
plugins_set_owners(const struct config *conf)
{
	struct config_item	*it;
	struct plugin_conf	*pc;
	char			**v = NULL;
	size_t			  n = 0;

	CONFIG_FOREACH(it, conf, &plugin_section) {
		pc = config_data(it);
		v = xreallocarray(v, n + 1, sizeof(*v));
		xasprintf(&v[n++], "%s.%s.", pc->plugin, pc->instance);
	}
	series_set_owners(v, n);
}

void
plugins_start(struct event_base *base, const struct config *conf)
{
	struct config_item	*it;

	plugin_base = base;
	plugin_config = conf;
	plugin_stopping = 0;
	plugin_pool = work_pool_new(base, "read", conf->read_threads);
	plugins_set_owners(conf);
	CONFIG_FOREACH(it, conf, &plugin_section)
		plugin_add(conf, config_data(it));
}

static struct tally_ctx *
plugin_find(const char *plugin, const char *instance)
{
	struct tally_ctx	*ctx;

	TAILQ_FOREACH(ctx, &plugin_insts, entry) {
		if (strcmp(ctx->conf->plugin, plugin) == 0 &&
		    strcmp(ctx->conf->instance, instance) == 0)
			return (ctx);
	}
	return (NULL);
}

void
plugins_reload(const struct config *conf)
{
	struct tally_ctx	*ctx, *next;
	struct config_item	*it;
	struct plugin_conf	*pc, *match;
	int			 kept = 0, removed = 0, added = 0;
	int			 waiting = 0;

	/* Pass 1: keep what is unchanged, stop what changed or went. */
	TAILQ_FOREACH_SAFE(ctx, &plugin_insts, entry, next) {
		match = NULL;
		CONFIG_FOREACH(it, conf, &plugin_section) {
			pc = config_data(it);
			if (strcmp(pc->plugin, ctx->conf->plugin) == 0 &&
			    strcmp(pc->instance, ctx->conf->instance) == 0) {
				match = pc;
				break;
			}
		}
		if (match != NULL && plugin_conf_same(match, ctx->conf) &&
		    strcmp(ctx->preset, match->retention != NULL ?
		    match->retention : conf->default_retention) == 0) {
			ctx->conf = match;
			kept++;
		} else {
			plugin_remove(ctx);
			removed++;
		}
	}
	plugin_config = conf;
	plugins_set_owners(conf);
	/*
	 * Pass 2: start sections with no instance; one whose old instance is
	 * still reading starts when that read returns (plugin_retire).
	 */
	CONFIG_FOREACH(it, conf, &plugin_section) {
		pc = config_data(it);
		if (plugin_find(pc->plugin, pc->instance) != NULL)
			continue;
		if (plugin_find_retiring(pc->plugin, pc->instance) != NULL) {
			log_info("%s.%s: its old instance is still reading; "
			    "the new one starts when that read returns",
			    pc->plugin, pc->instance);
			waiting++;
			continue;
		}
		plugin_add(conf, pc);
		added++;
	}
	log_info("reload: %d instance(s) kept, %d stopped, %d started, %d "
	    "waiting for a read to return", kept, removed, added, waiting);
}

int
plugins_stop(msec_t timeout)
{
	struct tally_ctx	*ctx, *next;
	int			 stuck;

	plugin_stopping = 1;
	TAILQ_FOREACH(ctx, &plugin_insts, entry)
		evtimer_del(ctx->tick_ev);
	if (plugin_pool == NULL)
		return (0);
	stuck = work_drain(plugin_pool, timeout);
	TAILQ_FOREACH_SAFE(ctx, &plugin_insts, entry, next) {
		TAILQ_REMOVE(&plugin_insts, ctx, entry);
		if (sched_running(&ctx->sched)) {
			/* Its worker still uses it: leave it to the exit. */
			log_warnx("%s: read still running at shutdown",
			    ctx->name);
			continue;
		}
		plugin_inst_free(ctx);
	}
	TAILQ_FOREACH_SAFE(ctx, &plugin_retiring, entry, next) {
		if (sched_running(&ctx->sched))
			continue;	/* the exit takes it */
		TAILQ_REMOVE(&plugin_retiring, ctx, entry);
		plugin_inst_free(ctx);
	}
	if (work_pool_free(plugin_pool) == 0)
		plugin_pool = NULL;
	return (stuck);
}

int
plugins_count(void)
{
	struct tally_ctx	*ctx;
	int			 n = 0;

	TAILQ_FOREACH(ctx, &plugin_insts, entry)
		n++;
	return (n);
}

size_t
plugins_info(struct plugin_info **info)
{
	struct tally_ctx	*ctx;
	size_t			 n = 0;

	*info = NULL;
	TAILQ_FOREACH(ctx, &plugin_insts, entry) {
		*info = xreallocarray(*info, n + 1, sizeof(**info));
		(*info)[n].name = xstrdup(ctx->name);
		(*info)[n].runs = ctx->sched.runs;
		(*info)[n].failed = ctx->sched.failed;
		pthread_mutex_lock(&plugin_status_lock);
		(*info)[n].status = ctx->status != NULL ?
		    xstrdup(ctx->status) : NULL;
		pthread_mutex_unlock(&plugin_status_lock);
		n++;
	}
	return (n);
}

void
plugins_info_free(struct plugin_info *info, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(info[i].name);
		free(info[i].status);
	}
	free(info);
}

size_t
plugins_describe(char ***lines)
{
	struct tally_ctx	*ctx;
	size_t			 n = 0;

	*lines = NULL;
	TAILQ_FOREACH(ctx, &plugin_insts, entry) {
		*lines = xreallocarray(*lines, n + 1, sizeof(**lines));
		pthread_mutex_lock(&plugin_status_lock);
		xasprintf(&(*lines)[n++], "%s file=%s interval=%lld runs=%llu "
		    "failed=%llu skipped=%llu late=%llu last_ms=%lld "
		    "running=%d%s%s", ctx->name, ctx->mod->path,
		    (long long)ctx->sched.interval,
		    (unsigned long long)ctx->sched.runs,
		    (unsigned long long)ctx->sched.failed,
		    (unsigned long long)ctx->sched.skipped,
		    (unsigned long long)ctx->sched.late,
		    (long long)ctx->sched.last_duration,
		    sched_running(&ctx->sched), ctx->status != NULL ?
		    " status=" : "", ctx->status != NULL ? ctx->status : "");
		pthread_mutex_unlock(&plugin_status_lock);
	}
	return (n);
}
