/*
 * exec.c - the exec plugin: run an external program each interval and
 * store the values it prints (docs/EXEC.md).
 *
 * mode = plain reads "metric value [time]" lines; mode = munin runs a
 * Munin plugin unchanged: `prog config` once and again whenever the
 * program file changes, then `prog` each interval.  The program gets
 * argv (no shell) and a clean environment, runs in the instance's state
 * directory, optionally as another user, and is stopped at timeout_kill.
 * A failed run (could not start, non-zero exit, signal, timeout, output
 * over max_output) submits nothing and fails the read, so the core backs
 * off; bad lines of a good run are reported with their line numbers and
 * skipped.  Its stderr goes to the log line by line, within limits.
 *
 * Each instance's state is its own struct exec; nothing is global.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <tally/plugin.h>

#include "parse.h"
#include "run.h"

#define EXEC_DEFAULT_PATH	"/usr/bin:/bin"
#define EXEC_MUNIN_LIBDIR	"/usr/share/munin"
#define EXEC_STDERR_RUN		20	/* stderr lines logged per run */
#define EXEC_BAD_RUN		5	/* bad lines logged per run */
#define EXEC_WINDOW		600	/* seconds of a log budget */
#define EXEC_STDERR_WINDOW	200	/* stderr lines per window */
#define EXEC_BAD_WINDOW		20	/* bad lines per window */
#define EXEC_GROUPS_MAX		256

/* A log budget: at most per_run lines a run, per_window a window. */
struct exec_limit {
	unsigned	 per_run, per_window;
	unsigned	 run_used, window_used;
	unsigned long	 run_dropped, window_dropped;
	time_t		 window_start;
};

/* A metric of the plain mode, configured or first seen in the output. */
struct exec_metric {
	char		 name[TALLY_METRIC_MAX + 1];
	enum tally_kind	 kind;
	char		*unit;
	int		 state;		/* 0 not yet, 1 declared, -1 refused */
};

struct exec {
	struct tally_ctx	*ctx;
	const struct tally_host	*host;
	char			**cmd, **args, **env;
	size_t			 ncmd, nargs, nenv;
	char			**argv;		/* cmd + args + slot + NULL */
	size_t			 argc;
	char			**envp;
	size_t			 nenvp;
	const char		*prog;		/* basename, for messages */
	int			 munin;
	unsigned long		 timeout_ms, grace_ms;
	size_t			 max_output, max_metrics;
	char			*user;
	uid_t			 uid;
	gid_t			 gid;
	gid_t			*groups;
	size_t			 ngroups;
	struct exec_metric	*metrics;
	size_t			 nmetrics;
	struct exec_munin_config mc;
	int			 mc_ok;
	struct stat		 mc_stat;	/* program file at config */
	pid_t			*unreaped;
	size_t			 nunreaped;
	const char		*phase;		/* "" or " config" */
	char			 config_word[8];	/* argv "config" */
	struct exec_limit	 err_limit, bad_limit;
	int			 warned_empty;
};

static void *
exec_create(struct tally_ctx *ctx, const struct tally_host *host)
{
	struct exec	*e;

	if (host->abi != TALLY_PLUGIN_ABI || (e = calloc(1, sizeof(*e))) ==
	    NULL)
		return (NULL);
	e->ctx = ctx;
	e->host = host;
	e->timeout_ms = 5000;
	e->grace_ms = 1000;
	e->max_output = 1024 * 1024;
	e->max_metrics = 100;
	e->phase = "";
	memcpy(e->config_word, "config", 7);
	e->err_limit.per_run = EXEC_STDERR_RUN;
	e->err_limit.per_window = EXEC_STDERR_WINDOW;
	e->bad_limit.per_run = EXEC_BAD_RUN;
	e->bad_limit.per_window = EXEC_BAD_WINDOW;
	exec_munin_init(&e->mc);
	return (e);
}

/* ---- configuration */

/* Append a copy of s to a string vector; -1 on no memory. */
static int
exec_vec_push(char ***vp, size_t *np, const char *s)
{
	char	**v;

	if ((v = realloc(*vp, (*np + 2) * sizeof(*v))) == NULL)
		return (-1);
	*vp = v;
	if ((v[*np] = strdup(s)) == NULL)
		return (-1);
	v[++*np] = NULL;
	return (0);
}

/* The index of NAME= in an env vector, or -1. */
static int
exec_env_find(char **v, size_t n, const char *entry)
{
	size_t	 i, len = strcspn(entry, "=");

	for (i = 0; i < n; i++) {
		if (strncmp(v[i], entry, len) == 0 && v[i][len] == '=')
			return ((int)i);
	}
	return (-1);
}

static int
exec_conf_env(struct exec *e, const char *value, char *err, size_t errlen)
{
	char	*copy;
	int	 i;

	if (!exec_env_valid(value)) {
		snprintf(err, errlen, "'%s' is not NAME=VALUE (NAME of A-Z, "
		    "a-z, 0-9 and _, not starting with a digit)", value);
		return (-1);
	}
	if ((i = exec_env_find(e->env, e->nenv, value)) == -1)
		return (exec_vec_push(&e->env, &e->nenv, value));
	if ((copy = strdup(value)) == NULL)
		return (-1);
	free(e->env[i]);
	e->env[i] = copy;
	return (0);
}

static struct exec_metric *
exec_metric_find(struct exec *e, const char *name)
{
	size_t	 i;

	for (i = 0; i < e->nmetrics; i++) {
		if (strcmp(e->metrics[i].name, name) == 0)
			return (&e->metrics[i]);
	}
	return (NULL);
}

static struct exec_metric *
exec_metric_add(struct exec *e, const char *name)
{
	struct exec_metric	*m;

	if ((m = realloc(e->metrics, (e->nmetrics + 1) * sizeof(*m))) == NULL)
		return (NULL);
	e->metrics = m;
	m = &e->metrics[e->nmetrics++];
	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->kind = TALLY_GAUGE;
	return (m);
}

/* metric.NAME.kind = gauge|counter|derive, metric.NAME.unit = TEXT. */
static int
exec_conf_metric(struct exec *e, const char *key, const char *value,
    char *err, size_t errlen)
{
	char			 name[TALLY_METRIC_MAX + 1];
	const char		*attr = strrchr(key, '.');
	size_t			 n = (size_t)(attr - key) - 7;
	struct exec_metric	*m;

	name[0] = '\0';
	if (n <= TALLY_METRIC_MAX) {
		memcpy(name, key + 7, n);
		name[n] = '\0';
	}
	if (!exec_metric_valid(name) || (strcmp(attr, ".kind") != 0 &&
	    strcmp(attr, ".unit") != 0)) {
		snprintf(err, errlen, "want metric.NAME.kind or metric.NAME."
		    "unit, NAME of [a-z0-9_-]+ parts joined by dots");
		return (-1);
	}
	if ((m = exec_metric_find(e, name)) == NULL &&
	    (m = exec_metric_add(e, name)) == NULL)
		return (-1);
	if (strcmp(attr, ".unit") == 0) {
		free(m->unit);
		return ((m->unit = strdup(value)) == NULL ? -1 : 0);
	}
	if (strcasecmp(value, "gauge") == 0)
		m->kind = TALLY_GAUGE;
	else if (strcasecmp(value, "counter") == 0)
		m->kind = TALLY_COUNTER;
	else if (strcasecmp(value, "derive") == 0)
		m->kind = TALLY_DERIVE;
	else {
		snprintf(err, errlen, "'%s' is not gauge, counter or derive",
		    value);
		return (-1);
	}
	return (0);
}

/* A duration key within [min, max] milliseconds. */
static int
exec_conf_duration(const char *value, unsigned long min, unsigned long max,
    unsigned long *out, char *err, size_t errlen)
{
	unsigned long	 ms;

	if (exec_parse_duration(value, &ms) == -1 || ms < min || ms > max) {
		snprintf(err, errlen, "'%s' is not a duration from %lu ms to "
		    "%lu s (e.g. 5s, 1500ms)", value, min, max / 1000);
		return (-1);
	}
	*out = ms;
	return (0);
}

static int
exec_conf_count(const char *value, size_t min, size_t max, size_t *out,
    char *err, size_t errlen)
{
	size_t	 n;

	if (exec_parse_size(value, &n) == -1 || n < min || n > max) {
		snprintf(err, errlen, "'%s' is not a number from %zu to %zu "
		    "(k, M: times 1024, 1024^2)", value, min, max);
		return (-1);
	}
	*out = n;
	return (0);
}

static int
exec_conf_command(struct exec *e, const char *value, char *err,
    size_t errlen)
{
	if (e->ncmd != 0) {
		snprintf(err, errlen, "command given twice (add words with "
		    "arg = instead)");
		return (-1);
	}
	if (exec_split_command(value, &e->cmd, &e->ncmd, err, errlen) == -1)
		return (-1);
	if (e->cmd[0][0] != '/') {
		snprintf(err, errlen, "'%s' is not an absolute path (no PATH "
		    "search, no shell)", e->cmd[0]);
		return (-1);
	}
	return (0);
}

static int
exec_configure(void *arg, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct exec	*e = arg;
	int		 rc = -2;

	if (strcmp(key, "command") == 0)
		rc = exec_conf_command(e, value, err, errlen);
	else if (strcmp(key, "arg") == 0)
		rc = exec_vec_push(&e->args, &e->nargs, value);
	else if (strcmp(key, "env") == 0)
		rc = exec_conf_env(e, value, err, errlen);
	else if (strcmp(key, "mode") == 0) {
		e->munin = strcmp(value, "munin") == 0;
		rc = e->munin || strcmp(value, "plain") == 0 ? 0 : -1;
		if (rc == -1)
			snprintf(err, errlen, "'%s' is not plain or munin",
			    value);
	} else if (strcmp(key, "timeout_kill") == 0)
		rc = exec_conf_duration(value, 100, 3600000, &e->timeout_ms,
		    err, errlen);
	else if (strcmp(key, "kill_grace") == 0)
		rc = exec_conf_duration(value, 0, 60000, &e->grace_ms, err,
		    errlen);
	else if (strcmp(key, "max_output") == 0)
		rc = exec_conf_count(value, 1024, 64 * 1024 * 1024,
		    &e->max_output, err, errlen);
	else if (strcmp(key, "max_metrics") == 0)
		rc = exec_conf_count(value, 1, 10000, &e->max_metrics, err,
		    errlen);
	else if (strcmp(key, "user") == 0) {
		free(e->user);
		rc = (e->user = strdup(value)) == NULL ? -1 : 0;
	} else if (strncmp(key, "metric.", 7) == 0 && strchr(key + 7, '.'))
		rc = exec_conf_metric(e, key, value, err, errlen);
	if (rc == -2)
		snprintf(err, errlen, "unknown key (exec takes command, arg, "
		    "env, mode, timeout_kill, kill_grace, max_output, "
		    "max_metrics, user, metric.NAME.kind, metric.NAME.unit)");
	else if (rc == -1 && err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	return (rc == 0 ? 0 : -1);
}

/* ---- init */

/* Look up user = NAME: ids and groups, only when tallyd runs as root. */
static int
exec_init_user(struct exec *e)
{
	struct passwd	 pw, *res = NULL;
	char		 buf[4096];
	int		 n = EXEC_GROUPS_MAX;

	if (geteuid() != 0) {
		e->host->log(e->ctx, TALLY_LOG_ERR, "user = %s needs tallyd "
		    "running as root (it runs as uid %ld)", e->user,
		    (long)geteuid());
		return (-1);
	}
	if (getpwnam_r(e->user, &pw, buf, sizeof(buf), &res) != 0 ||
	    res == NULL) {
		e->host->log(e->ctx, TALLY_LOG_ERR, "user = %s: no such user",
		    e->user);
		return (-1);
	}
	e->uid = pw.pw_uid;
	e->gid = pw.pw_gid;
	if ((e->groups = calloc(EXEC_GROUPS_MAX, sizeof(gid_t))) == NULL)
		return (-1);
	if (getgrouplist(pw.pw_name, pw.pw_gid, e->groups, &n) == -1) {
		e->host->log(e->ctx, TALLY_LOG_WARNING, "user = %s: in more "
		    "than %d groups; only the primary group is kept", e->user,
		    EXEC_GROUPS_MAX);
		e->groups[0] = pw.pw_gid;
		n = 1;
	}
	e->ngroups = (size_t)n;
	if (chown(e->host->state_dir(e->ctx), e->uid, e->gid) == -1)
		e->host->log(e->ctx, TALLY_LOG_WARNING, "chown %s to %s: %s",
		    e->host->state_dir(e->ctx), e->user, exec_strerror(errno,
		    buf, sizeof(buf)));
	return (0);
}

/* Add "NAME=VALUE" unless env = already gave NAME; -1 on no memory. */
static int
exec_envp_default(struct exec *e, const char *name, const char *value)
{
	char	*s;
	int	 rc;

	if (asprintf(&s, "%s=%s", name, value) == -1)
		return (-1);
	rc = exec_env_find(e->env, e->nenv, s) != -1 ? 0 :
	    exec_vec_push(&e->envp, &e->nenvp, s);
	free(s);
	return (rc);
}

/* The child's whole environment: PATH, env = keys, MUNIN_* in munin mode. */
static int
exec_init_envp(struct exec *e)
{
	const char	*sd = e->host->state_dir(e->ctx);
	char		*statefile = NULL;
	size_t		 i;
	int		 rc = 0;

	rc |= exec_envp_default(e, "PATH", EXEC_DEFAULT_PATH);
	for (i = 0; i < e->nenv; i++)
		rc |= exec_vec_push(&e->envp, &e->nenvp, e->env[i]);
	if (e->munin) {
		if (asprintf(&statefile, "%s/state", sd) == -1)
			return (-1);
		rc |= exec_envp_default(e, "MUNIN_PLUGSTATE", sd);
		rc |= exec_envp_default(e, "MUNIN_STATEFILE", statefile);
		rc |= exec_envp_default(e, "MUNIN_LIBDIR", EXEC_MUNIN_LIBDIR);
		rc |= exec_envp_default(e, "MUNIN_CAP_MULTIGRAPH", "1");
		free(statefile);
	}
	if (e->envp == NULL)
		rc |= (e->envp = calloc(1, sizeof(char *))) == NULL ? -1 : 0;
	return (rc == 0 ? 0 : -1);
}

/* argv = command words, then arg keys, then room for "config". */
static int
exec_init_argv(struct exec *e)
{
	size_t	 i;

	e->argc = e->ncmd + e->nargs;
	if ((e->argv = calloc(e->argc + 2, sizeof(char *))) == NULL)
		return (-1);
	for (i = 0; i < e->ncmd; i++)
		e->argv[i] = e->cmd[i];
	for (i = 0; i < e->nargs; i++)
		e->argv[e->ncmd + i] = e->args[i];
	e->prog = strrchr(e->argv[0], '/') + 1;
	return (0);
}

/* Declare the metrics named in metric.NAME.* keys. */
static int
exec_init_metrics(struct exec *e)
{
	struct exec_metric	*m;
	size_t			 i;

	if (e->nmetrics > e->max_metrics) {
		e->host->log(e->ctx, TALLY_LOG_ERR, "%zu metrics configured, "
		    "more than max_metrics = %zu", e->nmetrics, e->max_metrics);
		return (-1);
	}
	for (i = 0; i < e->nmetrics; i++) {
		m = &e->metrics[i];
		m->state = e->host->declare(e->ctx, m->name, m->kind, m->unit,
		    NULL) == 0 ? 1 : -1;
		if (m->state == -1)
			return (-1);
	}
	return (0);
}

static int
exec_init(void *arg)
{
	struct exec	*e = arg;

	if (e->ncmd == 0) {
		e->host->log(e->ctx, TALLY_LOG_ERR, "no command = key: nothing "
		    "to run");
		return (-1);
	}
	if (e->munin && e->nmetrics > 0) {
		e->host->log(e->ctx, TALLY_LOG_ERR, "metric.* keys are for mode"
		    " = plain; a Munin plugin's config names its fields");
		return (-1);
	}
	if ((e->user != NULL && exec_init_user(e) == -1) ||
	    exec_init_argv(e) == -1 || exec_init_envp(e) == -1 ||
	    (!e->munin && exec_init_metrics(e) == -1))
		return (-1);
	if (access(e->argv[0], X_OK) == -1)
		e->host->log(e->ctx, TALLY_LOG_WARNING, "%s is not executable "
		    "(yet); each run will fail until it is", e->argv[0]);
	e->host->log(e->ctx, TALLY_LOG_INFO, "runs %s with %zu args in %s "
	    "mode as %s, for %lu ms at most", e->argv[0], e->argc - 1,
	    e->munin ? "munin" : "plain", e->user != NULL ? e->user :
	    geteuid() == 0 ? "root" : "tallyd's user", e->timeout_ms);
	return (0);
}

/* ---- logging within limits */

/* May another line be logged now?  Starts a new window when due. */
static int
exec_limit_ok(struct exec *e, struct exec_limit *l, const char *what)
{
	time_t	 now = time(NULL);

	if (now - l->window_start >= EXEC_WINDOW) {
		if (l->window_dropped > 0)
			e->host->log(e->ctx, TALLY_LOG_WARNING, "%lu %s not "
			    "logged in the last %d s", l->window_dropped, what,
			    EXEC_WINDOW);
		l->window_start = now;
		l->window_used = 0;
		l->window_dropped = 0;
	}
	if (l->run_used < l->per_run && l->window_used < l->per_window) {
		l->run_used++;
		l->window_used++;
		return (1);
	}
	if (l->run_used >= l->per_run)
		l->run_dropped++;
	else
		l->window_dropped++;
	return (0);
}

/* End of a run: say how many lines the per-run limit kept out. */
static void
exec_limit_end(struct exec *e, struct exec_limit *l, const char *what)
{
	if (l->run_dropped > 0)
		e->host->log(e->ctx, TALLY_LOG_WARNING, "%s%s: %lu more %s not "
		    "logged", e->prog, e->phase, l->run_dropped, what);
	l->run_used = 0;
	l->run_dropped = 0;
}

static void
exec_stderr_line(void *arg, const char *line, size_t n, int cut)
{
	struct exec	*e = arg;
	char		 text[EXEC_ERR_LINE_MAX + 1];

	if (!exec_limit_ok(e, &e->err_limit, "stderr lines"))
		return;
	exec_printable(text, sizeof(text), line, n);
	e->host->log(e->ctx, TALLY_LOG_WARNING, "%s%s: stderr: %s%s",
	    e->prog, e->phase, text, cut ? " [cut]" : "");
}

static void
exec_bad_line(struct exec *e, size_t lineno, const char *why)
{
	if (exec_limit_ok(e, &e->bad_limit, "bad output lines"))
		e->host->log(e->ctx, TALLY_LOG_WARNING, "%s%s: stdout line "
		    "%zu: %s", e->prog, e->phase, lineno, why);
}

/* ---- running */

/* Reap programs given up on in an earlier run, so none stays a zombie. */
static void
exec_reap_old(struct exec *e)
{
	size_t	 i = 0;

	while (i < e->nunreaped) {
		if (exec_reap(e->unreaped[i])) {
			e->host->log(e->ctx, TALLY_LOG_NOTICE, "%s: pid %ld "
			    "finally exited and was reaped", e->prog,
			    (long)e->unreaped[i]);
			e->unreaped[i] = e->unreaped[--e->nunreaped];
		} else
			i++;
	}
}

/*
 * Run the program (with "config" as the last argument if config) and
 * report how it went.  0 with *res to parse and free, -1 if the run
 * failed (logged; nothing to free).
 */
static int
exec_run_prog(struct exec *e, int config, struct exec_result *res)
{
	struct exec_spec	 sp;
	char			 why[512], ebuf[128];
	pid_t			*p;

	memset(&sp, 0, sizeof(sp));
	e->argv[e->argc] = config ? e->config_word : NULL;
	e->phase = config ? " config" : "";
	sp.argv = e->argv;
	sp.envp = e->envp;
	sp.dir = e->host->state_dir(e->ctx);
	sp.setuser = e->user != NULL;
	sp.uid = e->uid;
	sp.gid = e->gid;
	sp.groups = e->groups;
	sp.ngroups = e->ngroups;
	sp.timeout_ms = e->timeout_ms;
	sp.grace_ms = e->grace_ms;
	sp.max_output = e->max_output;
	sp.err_line = exec_stderr_line;
	sp.arg = e;
	if (exec_run(&sp, res) == -1) {
		e->host->log(e->ctx, TALLY_LOG_ERR, "%s%s: cannot start: %s",
		    e->prog, e->phase, exec_strerror(errno, ebuf,
		    sizeof(ebuf)));
		return (-1);
	}
	exec_limit_end(e, &e->err_limit, "stderr lines");
	if (!res->reaped && (p = realloc(e->unreaped, (e->nunreaped + 1) *
	    sizeof(*p))) != NULL) {
		e->unreaped = p;
		p[e->nunreaped++] = res->pid;
	}
	if (exec_result_ok(res))
		return (0);
	exec_result_describe(res, why, sizeof(why));
	e->host->log(e->ctx, TALLY_LOG_ERR, "%s%s: %s; nothing stored from "
	    "this run", e->prog, e->phase, why);
	exec_result_free(res);
	return (-1);
}

/* ---- mode = plain */

/* The metric of an output line, declared on first sight; NULL if not. */
static struct exec_metric *
exec_plain_metric(struct exec *e, const char *name, char *why, size_t len)
{
	struct exec_metric	*m;

	if ((m = exec_metric_find(e, name)) == NULL) {
		if (e->nmetrics >= e->max_metrics) {
			snprintf(why, len, "'%s' would be metric number %zu, "
			    "over max_metrics = %zu", name, e->nmetrics + 1,
			    e->max_metrics);
			return (NULL);
		}
		if ((m = exec_metric_add(e, name)) == NULL) {
			snprintf(why, len, "out of memory");
			return (NULL);
		}
	}
	if (m->state == 0)
		m->state = e->host->declare(e->ctx, m->name, m->kind, m->unit,
		    NULL) == 0 ? 1 : -1;
	if (m->state == -1) {
		snprintf(why, len, "'%s' was refused by the core (see its "
		    "declare error)", name);
		return (NULL);
	}
	return (m);
}

static void
exec_plain_submit(struct exec *e, const struct exec_result *r, time_t now)
{
	struct exec_value	 v;
	const char		*line;
	char			 why[256];
	size_t			 off = 0, n, lineno = 0, good = 0;
	int			 rc;

	while (exec_next_line(r->out, r->outlen, &off, &line, &n)) {
		lineno++;
		if ((rc = exec_parse_line(line, n, now, &v, why,
		    sizeof(why))) == 0)
			continue;
		if (rc == -1 || exec_plain_metric(e, v.metric, why,
		    sizeof(why)) == NULL) {
			exec_bad_line(e, lineno, why);
			continue;
		}
		if (e->host->submit(e->ctx, v.metric, v.when != 0 ? v.when :
		    now, v.value) == -1) {
			snprintf(why, sizeof(why), "value of '%s' refused (not "
			    "newer than the last one, or not integral for a "
			    "counter or derive)", v.metric);
			exec_bad_line(e, lineno, why);
			continue;
		}
		good++;
	}
	exec_limit_end(e, &e->bad_limit, "bad output lines");
	if (good == 0 && !e->warned_empty)
		e->host->log(e->ctx, TALLY_LOG_WARNING, "%s: no value stored "
		    "from %zu lines of output", e->prog, lineno);
	e->warned_empty = good == 0;
}

/* ---- mode = munin */

/* Does the program file differ from the one whose config we hold? */
static int
exec_munin_stale(struct exec *e, struct stat *st)
{
	if (stat(e->argv[0], st) == -1)
		return (!e->mc_ok);
	return (!e->mc_ok || st->st_mtim.tv_sec != e->mc_stat.st_mtim.tv_sec ||
	    st->st_mtim.tv_nsec != e->mc_stat.st_mtim.tv_nsec ||
	    st->st_ino != e->mc_stat.st_ino || st->st_dev != e->mc_stat.st_dev ||
	    st->st_size != e->mc_stat.st_size);
}

/* Parse `prog config` output into mc; the number of fields. */
static size_t
exec_munin_parse_config(struct exec *e, const struct exec_result *r,
    struct exec_munin_config *mc)
{
	const char	*line;
	char		 why[256];
	size_t		 off = 0, n, lineno = 0;

	while (exec_next_line(r->out, r->outlen, &off, &line, &n)) {
		lineno++;
		if (exec_munin_config_line(mc, line, n, why, sizeof(why)) ==
		    -1)
			exec_bad_line(e, lineno, why);
	}
	exec_limit_end(e, &e->bad_limit, "bad output lines");
	return (mc->nfields);
}

/* Declare the fields of a new config; keep rate state of known ones. */
static void
exec_munin_declare(struct exec *e, struct exec_munin_config *mc)
{
	struct exec_munin_field	*f;
	size_t			 i;
	int			 old;

	for (i = 0; i < mc->nfields; i++) {
		f = &mc->fields[i];
		f->usable = e->host->declare(e->ctx, f->metric,
		    exec_munin_kind(f->type), mc->vlabel[0] != '\0' ?
		    mc->vlabel : NULL, NULL) == 0;
		if ((old = exec_munin_find(&e->mc, f->metric)) != -1 &&
		    e->mc.fields[old].type == f->type) {
			f->prev_value = e->mc.fields[old].prev_value;
			f->prev_time = e->mc.fields[old].prev_time;
		}
	}
	e->host->log(e->ctx, TALLY_LOG_INFO, "%s config: \"%s\", %zu fields, "
	    "first %s (%s%s%s)", e->prog, mc->title, mc->nfields,
	    mc->fields[0].metric, exec_munin_type_name(mc->fields[0].type),
	    mc->fields[0].label[0] != '\0' ? ", " : "", mc->fields[0].label);
}

/*
 * Run `prog config` if we have no config yet or the program changed.
 * -1 only if there is no usable config at all.
 */
static int
exec_munin_refresh(struct exec *e)
{
	struct exec_munin_config	 mc;
	struct exec_result		 res;
	struct stat			 st;

	memset(&st, 0, sizeof(st));
	if (!exec_munin_stale(e, &st))
		return (0);
	if (exec_run_prog(e, 1, &res) == -1)
		return (e->mc_ok ? 0 : -1);
	exec_munin_init(&mc);
	if (exec_munin_parse_config(e, &res, &mc) == 0) {
		e->host->log(e->ctx, TALLY_LOG_ERR, "%s config: no fields in "
		    "%zu bytes of output%s", e->prog, res.outlen, e->mc_ok ?
		    "; keeping the previous config" : "");
		exec_result_free(&res);
		exec_munin_clear(&mc);
		return (e->mc_ok ? 0 : -1);
	}
	exec_result_free(&res);
	exec_munin_declare(e, &mc);
	exec_munin_clear(&e->mc);
	e->mc = mc;
	e->mc_ok = 1;
	e->mc_stat = st;
	return (0);
}

static void
exec_munin_submit(struct exec *e, const struct exec_result *r, time_t now)
{
	struct exec_value	 v;
	struct exec_munin_field	*f;
	const char		*line;
	char			 why[256];
	size_t			 off = 0, n, lineno = 0, good = 0;
	double			 out;
	int			 rc;

	e->mc.graph[0] = '\0';
	while (exec_next_line(r->out, r->outlen, &off, &line, &n)) {
		lineno++;
		if ((rc = exec_munin_value_line(&e->mc, line, n, now, &v, why,
		    sizeof(why))) == 0)
			continue;
		if (rc == -1) {
			exec_bad_line(e, lineno, why);
			continue;
		}
		f = &e->mc.fields[v.field];
		if (!f->usable || !exec_munin_apply(f, v.when != 0 ? v.when :
		    now, v.value, &out))
			continue;
		if (e->host->submit(e->ctx, f->metric, v.when != 0 ? v.when :
		    now, out) == 0)
			good++;
	}
	exec_limit_end(e, &e->bad_limit, "bad output lines");
	if (good == 0 && !e->warned_empty)
		e->host->log(e->ctx, TALLY_LOG_WARNING, "%s: no value stored "
		    "from %zu lines of output", e->prog, lineno);
	e->warned_empty = good == 0;
}

static int
exec_read(void *arg)
{
	struct exec		*e = arg;
	struct exec_result	 res;

	exec_reap_old(e);
	if (e->munin && exec_munin_refresh(e) == -1)
		return (-1);
	if (exec_run_prog(e, 0, &res) == -1)
		return (-1);
	if (e->munin)
		exec_munin_submit(e, &res, time(NULL));
	else
		exec_plain_submit(e, &res, time(NULL));
	exec_result_free(&res);
	return (0);
}

static void
exec_destroy(void *arg)
{
	struct exec	*e = arg;
	size_t		 i;

	exec_reap_old(e);
	if (e->nunreaped > 0)
		e->host->log(e->ctx, TALLY_LOG_WARNING, "%zu programs still "
		    "not reaped at shutdown", e->nunreaped);
	exec_free_argv(e->cmd, e->ncmd);
	exec_free_argv(e->args, e->nargs);
	exec_free_argv(e->env, e->nenv);
	exec_free_argv(e->envp, e->nenvp);
	free(e->argv);
	free(e->user);
	free(e->groups);
	for (i = 0; i < e->nmetrics; i++)
		free(e->metrics[i].unit);
	free(e->metrics);
	free(e->unreaped);
	exec_munin_clear(&e->mc);
	free(e);
}

TALLY_PLUGIN_EXPORT = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_plugin),
	.name = "exec",
	.description = "runs a program or Munin plugin, stores what it prints",
	.create = exec_create,
	.configure = exec_configure,
	.init = exec_init,
	.read = exec_read,
	.destroy = exec_destroy,
};
