/*
 * notify.c - delivering alert notices: a log line always, then exec and
 * webhook notifiers, each retried with exponential backoff.
 *
 * DESIGN
 * The loop owns the notifiers (copies of the [notify] sections) and every
 * delivery in flight (notify_jobs).  A delivery owns copies of all it
 * needs, so a reload never pulls anything from under it.
 * - exec: the job goes to the "notify" pool (four threads).  The worker
 *   spawns the program with posix_spawn (no shell; its own process group;
 *   signals reset; stdin /dev/null; stdout and stderr into a pipe whose
 *   first bytes are kept for the log), then polls the pipe and waitpid
 *   until it exits or the timeout passes; then TERM to the group, KILL two
 *   seconds later, and it is reaped.  The completion on the loop logs and
 *   retries.  A program that hangs holds one worker, never the loop.
 * - webhook: an evhttp connection on the loop (names resolved by evdns,
 *   never blocking), one POST, a timeout.  https: the connection runs
 *   over an OpenSSL bufferevent; the certificate must chain to ca_file or
 *   the system's CAs and name the host.  The request callback records
 *   the outcome and arms the job's own event, which frees the connection
 *   (never inside its callback) and finishes or arms a retry timer.
 * At most four programs run at once; more wait for a worker.
 * - At a stop, deliveries waiting to retry (and notices the engine decided
 *   but had no time to send) go to statedir/notify.queue, one line each;
 *   the next start delivers them and removes the file.  One cut off
 *   mid-attempt is not kept: it may have arrived.
 * Lock order: none here; the pool has its own.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/http.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "alertdb.h"
#include "clock.h"
#include "compat.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "numfmt.h"
#include "notify.h"
#include "stats.h"
#include "spawn.h"
#include "util.h"
#include "work.h"
#include "xmalloc.h"

#define NOTIFY_THREADS		4
#define NOTIFY_KILL_GRACE	2000	/* ms from TERM to KILL */
#define NOTIFY_OUT_MAX		200	/* bytes of a program's output logged */
#define NOTIFY_BACKOFF_MAX	3600000	/* ms */
#define NOTIFY_ARGS_MAX		64
#define NOTIFY_QUEUE		"notify.queue"
#define NOTIFY_QUEUE_HEAD	"# tallyd notify queue 1\n"
#define NOTIFY_QUEUE_MAX	(16 * 1024 * 1024)

/* A delivery in flight: owns copies of everything it needs. */
struct notify_job {
	struct work_job			 job;	/* exec: runs in the pool */
	TAILQ_ENTRY(notify_job)		 entry;
	int				 type;
	char				*name;		/* notifier */
	char				*what;		/* for the log */
	char				*record;	/* the notice, for the queue */
	unsigned long			 timeout;	/* ms */
	int				 retries;	/* left */
	unsigned long			 backoff;	/* ms, next wait */
	int				 attempt;
	struct event			*retry_ev;
	struct event			*after_ev;	/* webhook answered */
	int				 in_pool;

	char				**argv;		/* exec */
	char				**envp;
	int				 status;
	int				 pid;		/* atomic: worker sets */
	int				 spawn_error;
	int				 timed_out;
	char				 out[NOTIFY_OUT_MAX + 1];

	struct notify_url		 url;		/* webhook */
	char				*ca_file;	/* https: or the system's */
	SSL_CTX				*tls_ctx;	/* https: a reference */
	char				*body;
	struct evhttp_connection	*conn;
	struct bufferevent		*bev;		/* https: the conn's */
	SSL				*ssl;
	int				 http_status;
	char				 tls_err[160];
};

TAILQ_HEAD(notify_jobs, notify_job);

static struct event_base	*notify_base;
static struct evdns_base	*notify_dns;
static struct work_pool		*notify_pool;
static struct notify_jobs	 notify_jobs = TAILQ_HEAD_INITIALIZER(
				    notify_jobs);
static struct notify_conf	*notify_confs;
static SSL_CTX			**notify_tls;	/* of notify_confs[i], https */
static size_t			 notify_nconfs;
static char			 notify_host[256];
static char			**notify_keep;	/* PATH=..., passed to exec */
static int			 notify_stopping;
static char			*notify_queue_path;

static void	notify_try(struct notify_job *);
static void	notify_tls_error(struct notify_job *);

/* ---- pure helpers */

int
notify_url_parse(const char *s, struct notify_url *out, char *why,
    size_t len)
{
	struct notify_url	 u;
	const char		*h, *e, *p;
	char			*end;
	long			 port = 80;

	memset(&u, 0, sizeof(u));
	if (strncmp(s, "https://", 8) == 0) {
		u.tls = 1;
		port = 443;
	} else if (strncmp(s, "http://", 7) != 0) {
		snprintf(why, len, "http:// or https:// URLs only");
		return (-1);
	}
	for (p = s; *p != '\0'; p++) {
		if (!isgraph((unsigned char)*p)) {
			snprintf(why, len, "spaces or control bytes in URL");
			return (-1);
		}
	}
	h = s + (u.tls ? 8 : 7);
	if (*h == '[') {
		if ((e = strchr(h, ']')) == NULL) {
			snprintf(why, len, "unclosed [ in host");
			return (-1);
		}
		snprintf(u.host, sizeof(u.host), "%.*s", (int)(e - h - 1),
		    h + 1);
		p = e + 1;
	} else {
		p = h + strcspn(h, ":/?#");
		snprintf(u.host, sizeof(u.host), "%.*s", (int)(p - h), h);
	}
	if (u.host[0] == '\0' || strchr(u.host, '@') != NULL) {
		snprintf(why, len, "no host (user@ is not supported)");
		return (-1);
	}
	if (*p == ':') {
		port = strtol(p + 1, &end, 10);
		if (end == p + 1 || port < 1 || port > 65535 ||
		    (*end != '\0' && *end != '/')) {
			snprintf(why, len, "bad port");
			return (-1);
		}
		p = end;
	}
	if (*p != '\0' && *p != '/') {
		snprintf(why, len, "the path must start with /");
		return (-1);
	}
	u.port = (int)port;
	snprintf(u.path, sizeof(u.path), "%s", *p == '/' ? p : "/");
	snprintf(u.hosthdr, sizeof(u.hosthdr), "%s%s%s%s", strchr(u.host,
	    ':') != NULL ? "[" : "", u.host, strchr(u.host, ':') != NULL ?
	    "]" : "", "");
	if (port != (u.tls ? 443 : 80))
		snprintf(u.hosthdr + strlen(u.hosthdr), sizeof(u.hosthdr) -
		    strlen(u.hosthdr), ":%ld", port);
	if (out != NULL)
		*out = u;
	return (0);
}

void
notify_argv_free(char **argv)
{
	size_t	 i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* One word of a command; *s moves past it.  -1 on an unclosed quote. */
static int
notify_word(const char **s, char *buf, size_t len)
{
	const char	*p = *s;
	size_t		 n = 0;
	int		 quoted = 0;

	for (; *p != '\0' && (quoted || !isspace((unsigned char)*p)); p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
			p++;
		if (n + 1 < len)
			buf[n++] = *p;
	}
	buf[n] = '\0';
	*s = p;
	return (quoted ? -1 : 0);
}

int
notify_argv_split(const char *cmd, char ***argvp, char *why, size_t len)
{
	char	**argv = NULL, word[1024];
	size_t	  n = 0;

	*argvp = NULL;
	for (;;) {
		while (isspace((unsigned char)*cmd))
			cmd++;
		if (*cmd == '\0')
			break;
		if (notify_word(&cmd, word, sizeof(word)) == -1 ||
		    n == NOTIFY_ARGS_MAX) {
			snprintf(why, len, n == NOTIFY_ARGS_MAX ? "more than "
			    "64 words" : "unclosed quote");
			goto bad;
		}
		argv = xreallocarray(argv, n + 2, sizeof(*argv));
		argv[n++] = xstrdup(word);
		argv[n] = NULL;
	}
	if (n == 0 || argv[0][0] != '/') {
		snprintf(why, len, "the program must be an absolute path");
		goto bad;
	}
	*argvp = argv;
	return (0);
bad:
	notify_argv_free(argv);
	return (-1);
}

/* ---- [notify NAME] sections */

#define N(f)	offsetof(struct notify_conf, f)

static const char *const notify_types[] = { "log", "exec", "webhook", NULL };

static const struct config_key notify_keys[] = {
	{ .name = "type", .type = CONFIG_ENUM,
	  .choices = notify_types, .defshow = "(required)",
	  .flags = CONFIG_RELOAD, .off = N(type),
	  .help = "log: a log line (every notice is logged anyway); exec: run "
	  "command; webhook: POST a JSON document to url" },
	{ .name = "command", .type = CONFIG_STRING,
	  .flags = CONFIG_RELOAD, .off = N(command),
	  .help = "exec: an absolute path and arguments, split at spaces "
	  "(\"double quotes\" keep spaces), no shell; the alert is in "
	  "TALLY_ALERT_* environment variables" },
	{ .name = "url", .type = CONFIG_STRING,
	  .flags = CONFIG_RELOAD, .off = N(url),
	  .help = "webhook: http://host[:port]/path or https://...; https "
	  "checks the server's certificate and name" },
	{ .name = "ca_file", .type = CONFIG_PATH,
	  .flags = CONFIG_RELOAD, .off = N(ca_file), .defshow = "(the "
	  "system's CAs)",
	  .help = "webhook over https: PEM file of the CAs to trust instead "
	  "of the system's" },
	{ .name = "timeout", .type = CONFIG_DURATION,
	  .min = 100, .max = CONFIG_MS_H, .def = "10s",
	  .flags = CONFIG_RELOAD, .off = N(timeout),
	  .help = "exec: then TERM, and KILL 2s later; webhook: a POST "
	  "taking longer fails" },
	{ .name = "retries", .type = CONFIG_INT,
	  .max = 100, .def = "3", .flags = CONFIG_RELOAD, .off = N(retries),
	  .help = "attempts after a failure (exit status not 0, no 2xx "
	  "answer)" },
	{ .name = "backoff", .type = CONFIG_DURATION,
	  .min = 100, .max = CONFIG_MS_H, .def = "1s",
	  .flags = CONFIG_RELOAD, .off = N(backoff),
	  .help = "wait before the first retry, doubled for each next one" },
};

static void	*notify_conf_begin(struct config_parse *, const char *,
		    const char *);
static void	*notify_conf_end(struct config_parse *, void *);
static void	 notify_conf_free(void *);

const struct config_section notify_section = {
	.word = "notify", .minw = 2, .maxw = 2, .usage = "[notify NAME]",
	.head = "[notify NAME]\n# a notifier named by rules' notify",
	.noun = { "notifier", NULL },
	.keys = notify_keys, .nkeys = sizeof(notify_keys) /
	    sizeof(notify_keys[0]),
	.begin = notify_conf_begin, .end = notify_conf_end,
	.free = notify_conf_free
};

static void *
notify_conf_begin(struct config_parse *p, const char *name,
    const char *instance)
{
	struct notify_conf	*nc;

	(void)instance;
	nc = xcalloc(1, sizeof(*nc));
	nc->name = xstrdup(name);
	nc->line = config_line(p);
	return (nc);
}

/* The notify section ended: each type needs its own keys. */
static void *
notify_conf_end(struct config_parse *p, void *base)
{
	struct notify_conf	*nc = base;
	char			 why[160], **argv;
	int			 cmd, url, ca;

	cmd = config_seen(p, "command");
	url = config_seen(p, "url");
	ca = config_seen(p, "ca_file");
	if (config_seen(p, "type") == 0) {
		config_perr(p, nc->line, "[notify %s] needs type = log, exec "
		    "or webhook", nc->name);
		return (nc);
	}
	if (cmd > 0 && nc->type != NOTIFY_EXEC)
		config_perr(p, cmd, "command applies to type = exec only");
	if (url > 0 && nc->type != NOTIFY_WEBHOOK)
		config_perr(p, url, "url applies to type = webhook only");
	if (ca > 0 && (nc->type != NOTIFY_WEBHOOK || nc->url == NULL ||
	    strncmp(nc->url, "https://", 8) != 0))
		config_perr(p, ca, "ca_file applies to an https:// webhook "
		    "only");
	else if (ca > 0 && nc->ca_file != NULL && access(nc->ca_file, R_OK) ==
	    -1)
		config_perr(p, ca, "ca_file %s: %s", nc->ca_file,
		    strerror(errno));
	if (nc->type == NOTIFY_EXEC && cmd == 0)
		config_perr(p, nc->line, "[notify %s] needs a command",
		    nc->name);
	else if (nc->type == NOTIFY_EXEC && nc->command != NULL) {
		if (notify_argv_split(nc->command, &argv, why,
		    sizeof(why)) == -1)
			config_perr(p, cmd, "bad command: %s", why);
		else
			notify_argv_free(argv);
	}
	if (nc->type == NOTIFY_WEBHOOK && url == 0)
		config_perr(p, nc->line, "[notify %s] needs a url", nc->name);
	else if (nc->type == NOTIFY_WEBHOOK && nc->url != NULL &&
	    notify_url_parse(nc->url, NULL, why, sizeof(why)) == -1)
		config_perr(p, url, "bad url '%s': %s", nc->url, why);
	return (nc);
}

static void
notify_conf_free(void *arg)
{
	struct notify_conf	*nc = arg;

	config_free_keys(&notify_section, nc);
	free(nc->name);
	free(nc);
}

char *
notify_json(const struct notify_event *ev, const char *host)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s, id[512];

	if (b == NULL)
		fatalx("%s: out of memory", __func__);
	snprintf(id, sizeof(id), "%s/%s/%s/%lld", ev->rule, ev->metric,
	    ev->level, (long long)ev->since);
	evbuffer_add_printf(b, "{\"version\":1");
	json_field(b, "id", id);
	json_field(b, "name", ev->rule);
	json_field(b, "metric", ev->metric);
	json_field(b, "kind", ev->kind);
	json_field(b, "event", ev->event);
	json_field(b, "level", ev->level);
	json_field(b, "previous", ev->previous);
	evbuffer_add_printf(b, ",\"value\":");
	json_number(b, ev->value);
	evbuffer_add_printf(b, ",\"threshold\":");
	json_number(b, ev->threshold);
	json_field(b, "message", ev->message);
	evbuffer_add_printf(b, ",\"time\":%lld,\"since\":%lld",
	    (long long)ev->time, (long long)ev->since);
	json_field(b, "host", host);
	evbuffer_add_printf(b, "}");
	s = util_evbuffer_string(b);
	evbuffer_free(b);
	return (s);
}

char **
notify_envp(const struct notify_event *ev, char *const *keep)
{
	char	**envp, num[32], id[512];
	size_t	  n = 0, i, nkeep = 0;

	while (keep != NULL && keep[nkeep] != NULL)
		nkeep++;
	envp = xcalloc(nkeep + 16, sizeof(*envp));
	numfmt_double(num, sizeof(num), ev->value);
	snprintf(id, sizeof(id), "%s/%s/%s/%lld", ev->rule, ev->metric,
	    ev->level, (long long)ev->since);
	xasprintf(&envp[n++], "TALLY_ALERT_NAME=%s", ev->rule);
	xasprintf(&envp[n++], "TALLY_ALERT_METRIC=%s", ev->metric);
	xasprintf(&envp[n++], "TALLY_ALERT_KIND=%s", ev->kind);
	xasprintf(&envp[n++], "TALLY_ALERT_EVENT=%s", ev->event);
	xasprintf(&envp[n++], "TALLY_ALERT_LEVEL=%s", ev->level);
	xasprintf(&envp[n++], "TALLY_ALERT_PREVIOUS=%s", ev->previous);
	xasprintf(&envp[n++], "TALLY_ALERT_VALUE=%s", num);
	numfmt_double(num, sizeof(num), ev->threshold);
	xasprintf(&envp[n++], "TALLY_ALERT_THRESHOLD=%s", num);
	xasprintf(&envp[n++], "TALLY_ALERT_MESSAGE=%s", ev->message);
	xasprintf(&envp[n++], "TALLY_ALERT_TIME=%lld", (long long)ev->time);
	xasprintf(&envp[n++], "TALLY_ALERT_SINCE=%lld", (long long)ev->since);
	xasprintf(&envp[n++], "TALLY_ALERT_ID=%s", id);
	for (i = 0; i < nkeep; i++)
		envp[n++] = xstrdup(keep[i]);
	envp[n] = NULL;
	return (envp);
}

/* A queue field: tabs, newlines and other control bytes become spaces. */
static void
notify_field(struct evbuffer *b, const char *s, int last)
{
	for (; *s != '\0'; s++)
		evbuffer_add(b, (unsigned char)*s < 0x20 || *s == 0x7f ? " " : s,
		    1);
	evbuffer_add(b, last ? "\n" : "\t", 1);
}

char *
notify_record_fmt(const struct notify_event *ev)
{
	struct evbuffer	*b;
	char		 v[32], th[32], *s;

	if ((b = evbuffer_new()) == NULL)
		fatalx("notify: evbuffer_new failed");
	numfmt_double(v, sizeof(v), ev->value);
	numfmt_double(th, sizeof(th), ev->threshold);
	notify_field(b, ev->rule, 0);
	notify_field(b, ev->metric, 0);
	notify_field(b, ev->kind, 0);
	notify_field(b, ev->event, 0);
	notify_field(b, ev->level, 0);
	notify_field(b, ev->previous, 0);
	evbuffer_add_printf(b, "%s\t%s\t%lld\t%lld\t", v, th,
	    (long long)ev->time, (long long)ev->since);
	notify_field(b, ev->message, 1);
	s = util_evbuffer_string(b);
	evbuffer_free(b);
	return (s);
}

/* A number field: "U" is unknown (NAN). */
static int
notify_num(const char *w, double *out)
{
	char	*end;

	if (strcmp(w, "U") == 0) {
		*out = NAN;
		return (0);
	}
	errno = 0;
	*out = strtod(w, &end);
	return (*w == '\0' || *end != '\0' || errno != 0 ? -1 : 0);
}

static int
notify_time(const char *w, time_t *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(w, &end, 10);
	if (*w == '\0' || *end != '\0' || errno != 0 || v < 0)
		return (-1);
	*out = (time_t)v;
	return (0);
}

int
notify_record_parse(char *line, struct notify_event *ev)
{
	char	*f[11];
	size_t	 i;

	for (i = 0; i < 10; i++) {
		f[i] = line;
		if ((line = strchr(line, '\t')) == NULL)
			return (-1);
		*line++ = '\0';
		if (*f[i] == '\0')
			return (-1);
	}
	f[10] = line;
	if (strchr(f[10], '\t') != NULL)
		return (-1);
	ev->rule = f[0];
	ev->metric = f[1];
	ev->kind = f[2];
	ev->event = f[3];
	ev->level = f[4];
	ev->previous = f[5];
	ev->message = f[10];
	if (notify_num(f[6], &ev->value) == -1 ||
	    notify_num(f[7], &ev->threshold) == -1 ||
	    notify_time(f[8], &ev->time) == -1 ||
	    notify_time(f[9], &ev->since) == -1)
		return (-1);
	return (0);
}

/* ---- deliveries */

static void
notify_job_free(struct notify_job *j)
{
	if (j->retry_ev != NULL)
		event_free(j->retry_ev);
	if (j->after_ev != NULL)
		event_free(j->after_ev);
	notify_argv_free(j->argv);
	notify_argv_free(j->envp);
	free(j->body);
	free(j->ca_file);
	SSL_CTX_free(j->tls_ctx);
	free(j->name);
	free(j->what);
	free(j->record);
	free(j);
}

static void
notify_retry_cb(evutil_socket_t fd, short ev, void *arg)
{
	notify_try(arg);
}

/* One attempt ended: done, retried later, or given up (logged). */
static void
notify_finished(struct notify_job *j, int ok, const char *why)
{
	struct timeval	 tv;

	if (notify_stopping) {
		TAILQ_REMOVE(&notify_jobs, j, entry);
		notify_job_free(j);
		return;
	}
	if (ok) {
		stats_add(STAT_NOTIFY_DELIVERED, 1);
		log_debug("notify: %s delivered %s (attempt %d)", j->name,
		    j->what, j->attempt);
		TAILQ_REMOVE(&notify_jobs, j, entry);
		notify_job_free(j);
		return;
	}
	if (j->retries-- > 0) {
		stats_add(STAT_NOTIFY_RETRIED, 1);
		log_warnx("notify: %s: %s: %s; retry in %lu ms", j->name,
		    j->what, why, j->backoff);
		tv.tv_sec = j->backoff / 1000;
		tv.tv_usec = (j->backoff % 1000) * 1000;
		j->backoff = j->backoff * 2 > NOTIFY_BACKOFF_MAX ?
		    NOTIFY_BACKOFF_MAX : j->backoff * 2;
		if (j->retry_ev == NULL && (j->retry_ev = evtimer_new(
		    notify_base, notify_retry_cb, j)) == NULL)
			fatalx("notify: evtimer_new failed");
		evtimer_add(j->retry_ev, &tv);
		return;
	}
	stats_add(STAT_NOTIFY_FAILED, 1);
	log_warnx("notify: %s: %s: %s; given up after %d attempt%s",
	    j->name, j->what, why, j->attempt, j->attempt == 1 ? "" : "s");
	TAILQ_REMOVE(&notify_jobs, j, entry);
	notify_job_free(j);
}

/* Worker: read what the program says while waiting for it, bounded. */
static void
notify_exec_wait(struct notify_job *j, pid_t pid, int fd)
{
	struct pollfd	 pfd;
	msec_t		 deadline = clock_mono() + j->timeout, now;
	size_t		 used = 0;
	ssize_t		 n;
	char		 buf[512];
	int		 killed = 0;
	pid_t		 r;

	for (;;) {
		while ((r = waitpid(pid, &j->status, WNOHANG)) == -1 &&
		    errno == EINTR)
			;
		if (r == pid || r == -1)
			break;
		now = clock_mono();
		if (killed < 2 && now >= deadline) {
			kill(-pid, killed == 0 ? SIGTERM : SIGKILL);
			j->timed_out = 1;
			killed++;
			deadline = now + NOTIFY_KILL_GRACE;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(fd == -1 ? NULL : &pfd, fd == -1 ? 0 : 1, 20) <= 0)
			continue;
		if ((n = read(fd, buf, sizeof(buf))) <= 0) {
			close(fd);
			fd = -1;
			continue;
		}
		if (used < NOTIFY_OUT_MAX) {
			if ((size_t)n > NOTIFY_OUT_MAX - used)
				n = NOTIFY_OUT_MAX - used;
			memcpy(j->out + used, buf, n);
			used += n;
		}
	}
	if (fd != -1)
		close(fd);
	j->out[used] = '\0';
}

/* Worker: run the program; no shell, its own process group. */
static void
notify_exec_run(struct work_job *wj)
{
	struct notify_job	*j = (struct notify_job *)wj;
	pid_t			 pid;
	int			 p[2];

	j->status = 0;
	j->timed_out = 0;
	j->out[0] = '\0';
	if (pipe2(p, O_CLOEXEC) == -1) {
		j->spawn_error = errno;
		return;
	}
	j->spawn_error = spawn_process(&pid, j->argv[0], j->argv, j->envp,
	    -1, p[1], p[1]);
	close(p[1]);
	if (j->spawn_error != 0) {
		close(p[0]);
		return;
	}
	__atomic_store_n(&j->pid, (int)pid, __ATOMIC_SEQ_CST);
	notify_exec_wait(j, pid, p[0]);
	__atomic_store_n(&j->pid, 0, __ATOMIC_SEQ_CST);
}

/* Loop: the program ended (or never started); say why if it failed. */
static void
notify_exec_done(struct work_job *wj)
{
	struct notify_job	*j = (struct notify_job *)wj;
	char			 why[NOTIFY_OUT_MAX + 96], *nl;

	j->in_pool = 0;
	if ((nl = strchr(j->out, '\n')) != NULL)
		*nl = '\0';
	if (j->spawn_error != 0)
		snprintf(why, sizeof(why), "%s: %s", j->argv[0],
		    strerror(j->spawn_error));
	else if (j->timed_out)
		snprintf(why, sizeof(why), "%s: killed after the %lu ms "
		    "timeout", j->argv[0], j->timeout);
	else if (WIFSIGNALED(j->status))
		snprintf(why, sizeof(why), "%s: killed by signal %d%s%s",
		    j->argv[0], WTERMSIG(j->status), *j->out ? ": " : "",
		    j->out);
	else if (WIFEXITED(j->status) && WEXITSTATUS(j->status) != 0)
		snprintf(why, sizeof(why), "%s: exit status %d%s%s",
		    j->argv[0], WEXITSTATUS(j->status), *j->out ? ": " : "",
		    j->out);
	else {
		notify_finished(j, 1, NULL);
		return;
	}
	notify_finished(j, 0, why);
}

/*
 * Loop: the POST ended.  The connection cannot be freed inside its own
 * callback (and libevent frees it on no path we can rely on), so the
 * outcome is handled by an event of our own right after.
 */
static void
notify_hook_cb(struct evhttp_request *req, void *arg)
{
	struct notify_job	*j = arg;
	struct timeval		 now = { 0, 0 };

	j->http_status = req != NULL ? evhttp_request_get_response_code(req) :
	    0;
	if (j->http_status == 0 && j->ssl != NULL)
		notify_tls_error(j);
	evtimer_add(j->after_ev, &now);
}

static void
notify_hook_after_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct notify_job	*j = arg;
	char			 why[192];

	evhttp_connection_free(j->conn);	/* and bev and ssl */
	j->conn = NULL;
	j->bev = NULL;
	j->ssl = NULL;
	if (j->http_status >= 200 && j->http_status < 300) {
		notify_finished(j, 1, NULL);
		return;
	}
	if (j->http_status == 0 && j->tls_err[0] != '\0')
		snprintf(why, sizeof(why), "TLS: %s", j->tls_err);
	else if (j->http_status == 0)
		snprintf(why, sizeof(why), "no answer (connection failed or "
		    "timed out)");
	else
		snprintf(why, sizeof(why), "HTTP status %d", j->http_status);
	notify_finished(j, 0, why);
}

/* Why a TLS connection failed, from OpenSSL, into j->tls_err. */
static void
notify_tls_error(struct notify_job *j)
{
	unsigned long	 e, last = 0;
	long		 v;

	if ((v = SSL_get_verify_result(j->ssl)) != X509_V_OK) {
		snprintf(j->tls_err, sizeof(j->tls_err), "certificate not "
		    "trusted: %s", X509_verify_cert_error_string(v));
		return;
	}
	while ((e = bufferevent_get_openssl_error(j->bev)) != 0)
		last = e;
	if (last != 0)
		ERR_error_string_n(last, j->tls_err, sizeof(j->tls_err));
}

/*
 * An https connection: the server's certificate must chain to ca_file or
 * the system's CAs and name the URL's host (or IP).  NULL with tls_err.
 */
static struct evhttp_connection *
notify_tls_conn(struct notify_job *j)
{
	struct evhttp_connection	*conn;
	struct in6_addr			 a6;
	struct in_addr			 a4;
	int				 ip, ok;

	if (j->tls_ctx == NULL || (j->ssl = SSL_new(j->tls_ctx)) == NULL) {
		snprintf(j->tls_err, sizeof(j->tls_err), "no TLS context (the "
		    "CAs of %s could not be loaded)", j->ca_file != NULL ?
		    j->ca_file : "the system");
		return (NULL);
	}
	ip = inet_pton(AF_INET, j->url.host, &a4) == 1 ||
	    inet_pton(AF_INET6, j->url.host, &a6) == 1;
	if (ip)
		ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(j->ssl),
		    j->url.host);
	else
		ok = SSL_set1_host(j->ssl, j->url.host) == 1 &&
		    SSL_set_tlsext_host_name(j->ssl, j->url.host) == 1;
	if (ok != 1 || (j->bev = bufferevent_openssl_socket_new(notify_base,
	    -1, j->ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS)) == NULL) {
		SSL_free(j->ssl);
		j->ssl = NULL;
		snprintf(j->tls_err, sizeof(j->tls_err), "cannot set up TLS "
		    "for %.100s", j->url.host);
		return (NULL);
	}
	/* Unclean closes are common and harmless after the answer. */
	bufferevent_openssl_set_allow_dirty_shutdown(j->bev, 1);
	if ((conn = evhttp_connection_base_bufferevent_new(notify_base,
	    notify_dns, j->bev, j->url.host, j->url.port)) == NULL) {
		bufferevent_free(j->bev);	/* and the SSL */
		j->bev = NULL;
		j->ssl = NULL;
		snprintf(j->tls_err, sizeof(j->tls_err), "cannot make a "
		    "connection");
	}
	return (conn);
}

/* Loop: one POST, asynchronous; failures come back to notify_hook_cb. */
static void
notify_hook_try(struct notify_job *j)
{
	struct evhttp_request	*req;
	struct evkeyvalq	*h;
	struct timeval		 tv;
	char			 len[32];

	j->tls_err[0] = '\0';
	if (j->url.tls)
		j->conn = notify_tls_conn(j);
	else
		j->conn = evhttp_connection_base_new(notify_base, notify_dns,
		    j->url.host, j->url.port);
	if (j->conn == NULL) {
		notify_finished(j, 0, j->tls_err[0] != '\0' ? j->tls_err :
		    "cannot make a connection");
		return;
	}
	tv.tv_sec = j->timeout / 1000;
	tv.tv_usec = (j->timeout % 1000) * 1000;
	evhttp_connection_set_timeout_tv(j->conn, &tv);
	evhttp_connection_set_retries(j->conn, 0);
	if ((req = evhttp_request_new(notify_hook_cb, j)) == NULL)
		fatalx("notify: evhttp_request_new failed");
	h = evhttp_request_get_output_headers(req);
	snprintf(len, sizeof(len), "%zu", strlen(j->body));
	evhttp_add_header(h, "Host", j->url.hosthdr);
	evhttp_add_header(h, "Content-Type", "application/json");
	evhttp_add_header(h, "Content-Length", len);
	evhttp_add_header(h, "User-Agent", "tallyd/" PACKAGE_VERSION);
	evhttp_add_header(h, "Connection", "close");
	evbuffer_add(evhttp_request_get_output_buffer(req), j->body,
	    strlen(j->body));
	if (evhttp_make_request(j->conn, req, EVHTTP_REQ_POST,
	    j->url.path) == -1) {
		evhttp_connection_free(j->conn);
		j->conn = NULL;
		notify_finished(j, 0, "cannot send the request");
	}
}

static void
notify_try(struct notify_job *j)
{
	j->attempt++;
	if (j->type == NOTIFY_WEBHOOK)
		notify_hook_try(j);
	else {
		j->in_pool = 1;
		j->job.run = notify_exec_run;
		j->job.done = notify_exec_done;
		work_submit(notify_pool, &j->job);
	}
}

/* A delivery of ev through notifier nc, with copies of both. */
static struct notify_job *
notify_job_new(const struct notify_conf *nc, const struct notify_event *ev)
{
	struct notify_job	*j;
	char			 why[160];

	j = xcalloc(1, sizeof(*j));
	j->type = nc->type;
	j->name = xstrdup(nc->name);
	xasprintf(&j->what, "%s %s %s", ev->rule, ev->metric, ev->event);
	j->record = notify_record_fmt(ev);
	j->timeout = nc->timeout;
	j->retries = nc->retries;
	j->backoff = nc->backoff;
	if (j->type == NOTIFY_EXEC) {
		if (notify_argv_split(nc->command, &j->argv, why,
		    sizeof(why)) == -1)
			fatalx("notify: %s: %s (config checked it)", nc->name,
			    why);
		j->envp = notify_envp(ev, notify_keep);
	} else {
		if (notify_url_parse(nc->url, &j->url, why, sizeof(why)) == -1)
			fatalx("notify: %s: %s (config checked it)", nc->name,
			    why);
		j->body = notify_json(ev, notify_host);
		j->ca_file = nc->ca_file != NULL ? xstrdup(nc->ca_file) :
		    NULL;
		if ((j->tls_ctx = notify_tls[nc - notify_confs]) != NULL)
			SSL_CTX_up_ref(j->tls_ctx);
		if ((j->after_ev = evtimer_new(notify_base,
		    notify_hook_after_cb, j)) == NULL)
			fatalx("notify: evtimer_new failed");
	}
	return (j);
}

static const struct notify_conf *
notify_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < notify_nconfs; i++) {
		if (strcmp(notify_confs[i].name, name) == 0)
			return (&notify_confs[i]);
	}
	return (NULL);
}

/* Log the notice (unless it comes back from the queue); queue or try
 * a delivery for each notifier named. */
static void
notify_dispatch(const struct notify_event *ev, char *const *names, size_t n,
    int logit, int now)
{
	const struct notify_conf	*nc;
	struct notify_job		*j;
	char				 num[32];
	size_t				 i;

	numfmt_double(num, sizeof(num), ev->value);
	if (!logit)
		;
	else if (strcmp(ev->level, "critical") == 0 && strcmp(ev->event,
	    "resolve") != 0)
		log_warnx("alert: %s %s: %s %s (was %s), value %s: %s",
		    ev->rule, ev->metric, ev->event, ev->level, ev->previous,
		    num, ev->message);
	else
		log_notice("alert: %s %s: %s %s (was %s), value %s: %s",
		    ev->rule, ev->metric, ev->event, ev->level, ev->previous,
		    num, ev->message);
	for (i = 0; i < n; i++) {
		if ((nc = notify_find(names[i])) == NULL) {
			log_warnx("notify: no notifier %s (removed by a "
			    "reload?); %s %s %s dropped", names[i], ev->rule,
			    ev->metric, ev->event);
			continue;
		}
		if (nc->type == NOTIFY_LOG)
			continue;	/* the line above */
		j = notify_job_new(nc, ev);
		TAILQ_INSERT_TAIL(&notify_jobs, j, entry);
		if (now)
			notify_try(j);
	}
}

void
notify_send(const struct notify_event *ev, char *const *names, size_t n)
{
	notify_dispatch(ev, names, n, 1, 1);
}

void
notify_hold(const struct notify_event *ev, char *const *names, size_t n)
{
	notify_dispatch(ev, names, n, 1, 0);
}

/* ---- lifetime */

static void
notify_confs_free(void)
{
	size_t	 i;

	for (i = 0; i < notify_nconfs; i++) {
		free(notify_confs[i].name);
		free(notify_confs[i].command);
		free(notify_confs[i].url);
		free(notify_confs[i].ca_file);
		SSL_CTX_free(notify_tls[i]);	/* jobs hold their own */
	}
	free(notify_confs);
	free(notify_tls);
	notify_confs = NULL;
	notify_tls = NULL;
	notify_nconfs = 0;
}

/*
 * The TLS context of an https notifier, made once per (re)load: loading
 * the system's CAs takes ~50 ms, too long to do on the loop per notice.
 */
static SSL_CTX *
notify_tls_ctx(const struct notify_conf *c)
{
	SSL_CTX	*ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return (NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if ((c->ca_file != NULL ? SSL_CTX_load_verify_locations(ctx,
	    c->ca_file, NULL) : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
		log_warnx("notify: %s: cannot load the CAs of %s; its https "
		    "deliveries will fail", c->name, c->ca_file != NULL ?
		    c->ca_file : "the system");
		SSL_CTX_free(ctx);
		return (NULL);
	}
	return (ctx);
}

void
notify_reload(const struct config *conf)
{
	const struct notify_conf	*nc;
	struct notify_conf		*c;
	struct config_item		*it;

	notify_confs_free();
	CONFIG_FOREACH(it, conf, &notify_section) {
		nc = config_data(it);
		notify_confs = xreallocarray(notify_confs, notify_nconfs + 1,
		    sizeof(*notify_confs));
		notify_tls = xreallocarray(notify_tls, notify_nconfs + 1,
		    sizeof(*notify_tls));
		notify_tls[notify_nconfs] = NULL;
		c = &notify_confs[notify_nconfs++];
		*c = *nc;
		c->name = xstrdup(nc->name);
		c->command = nc->command != NULL ? xstrdup(nc->command) : NULL;
		c->url = nc->url != NULL ? xstrdup(nc->url) : NULL;
		c->ca_file = nc->ca_file != NULL ? xstrdup(nc->ca_file) : NULL;
		if (c->type == NOTIFY_WEBHOOK && c->url != NULL &&
		    strncmp(c->url, "https://", 8) == 0)
			notify_tls[notify_nconfs - 1] = notify_tls_ctx(c);
	}
}

/* Copy the few variables a notifier program may need from our own. */
static void
notify_keep_env(void)
{
	static const char *const names[] = { "PATH", "HOME", "LANG",
	    "LC_ALL", "TZ", NULL };
	const char	*v;
	size_t		 i, n = 0;

	notify_keep = xcalloc(6, sizeof(*notify_keep));
	for (i = 0; names[i] != NULL; i++) {
		if ((v = getenv(names[i])) != NULL)
			xasprintf(&notify_keep[n++], "%s=%s", names[i], v);
	}
	if (getenv("PATH") == NULL)
		notify_keep[n++] = xstrdup("PATH=/usr/bin:/bin");
}

/* Deliver the notices the last stop left in the queue, then forget it. */
static void
notify_queue_load(void)
{
	struct notify_event	 ev;
	char			*text, *line, *next, *rec;
	char			*names[1];
	unsigned long		 lineno = 0, n = 0;

	if ((text = alertdb_read(notify_queue_path, NOTIFY_QUEUE_MAX)) ==
	    NULL) {
		if (errno != ENOENT)
			log_warn("notify: %s: not read; its notices are lost",
			    notify_queue_path);
		return;
	}
	for (line = text; *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (*line == '#' || *line == '\0')
			continue;
		if ((rec = strchr(line, '\t')) == NULL ||
		    (*rec++ = '\0', notify_record_parse(rec, &ev) == -1)) {
			log_warnx("notify: %s:%lu: not a queued notice; skipped",
			    notify_queue_path, lineno);
			continue;
		}
		log_info("notify: %s: %s %s %s: kept at the last stop; "
		    "delivering", line, ev.rule, ev.metric, ev.event);
		names[0] = line;
		notify_dispatch(&ev, names, 1, 0, 1);
		n++;
	}
	free(text);
	if (unlink(notify_queue_path) == -1)
		log_warn("notify: %s: cannot remove it; its notices may be "
		    "sent again at the next start", notify_queue_path);
	log_debug("notify: %lu notice(s) from %s", n, notify_queue_path);
}

/*
 * Keep what is surely not delivered for the next start: notices never
 * tried and deliveries waiting to retry.  One in progress (a program
 * running, a POST awaiting its answer) may have arrived; it is not kept,
 * so nothing is sent twice.
 */
static void
notify_queue_save(void)
{
	struct notify_job	*j;
	struct evbuffer		*b;
	char			 err[512];
	int			 n = 0;

	if ((b = evbuffer_new()) == NULL)
		fatalx("notify: evbuffer_new failed");
	evbuffer_add(b, NOTIFY_QUEUE_HEAD, strlen(NOTIFY_QUEUE_HEAD));
	TAILQ_FOREACH(j, &notify_jobs, entry) {
		if (j->attempt > 0 && (j->in_pool || j->conn != NULL)) {
			log_warnx("notify: %s: %s cut off mid-delivery; not "
			    "kept (it may have arrived)", j->name, j->what);
			continue;
		}
		evbuffer_add_printf(b, "%s\t%s", j->name, j->record);
		n++;
	}
	if (n > 0) {
		if (alertdb_replace(notify_queue_path,
		    (const char *)evbuffer_pullup(b, -1),
		    evbuffer_get_length(b), err, sizeof(err)) == -1)
			log_warnx("notify: %d notice(s) not delivered and not "
			    "kept: %s", n, err);
		else
			log_warnx("notify: %d notice(s) not delivered; kept in "
			    "%s for the next start", n, notify_queue_path);
	}
	evbuffer_free(b);
}

void
notify_start(struct event_base *base, const struct config *conf)
{
	notify_base = base;
	if ((notify_dns = evdns_base_new(base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL &&
	    (notify_dns = evdns_base_new(base, 0)) == NULL)
		fatalx("notify: cannot make a DNS resolver");
	notify_pool = work_pool_new(base, "notify", NOTIFY_THREADS);
	if (gethostname(notify_host, sizeof(notify_host)) == -1)
		snprintf(notify_host, sizeof(notify_host), "localhost");
	notify_host[sizeof(notify_host) - 1] = '\0';
	notify_keep_env();
	notify_reload(conf);
	xasprintf(&notify_queue_path, "%s/%s", conf->statedir, NOTIFY_QUEUE);
	notify_queue_load();
}

int
notify_pending(void)
{
	struct notify_job	*j;
	int			 n = 0;

	TAILQ_FOREACH(j, &notify_jobs, entry)
		n++;
	return (n);
}

/*
 * Abandon deliveries still going, queued for the next start: cancel POSTs
 * and timers, stop running programs (TERM to their group), log each.
 */
void
notify_stop(void)
{
	struct notify_job	*j, *t;
	int			 pid;

	if (notify_base == NULL)
		return;
	notify_stopping = 1;
	notify_queue_save();
	TAILQ_FOREACH_SAFE(j, &notify_jobs, entry, t) {
		log_warnx("notify: %s: %s not delivered (shutting down)",
		    j->name, j->what);
		if (j->in_pool) {	/* the pool gives it back */
			if ((pid = __atomic_load_n(&j->pid,
			    __ATOMIC_SEQ_CST)) > 0)
				kill(-pid, SIGTERM);
			continue;
		}
		TAILQ_REMOVE(&notify_jobs, j, entry);
		if (j->conn != NULL)
			evhttp_connection_free(j->conn);
		notify_job_free(j);
	}
	(void)work_drain(notify_pool, NOTIFY_KILL_GRACE + 500);
	(void)work_pool_free(notify_pool);	/* stuck programs: kept */
	evdns_base_free(notify_dns, 0);
	notify_confs_free();
	notify_argv_free(notify_keep);
	notify_keep = NULL;
	free(notify_queue_path);
	notify_queue_path = NULL;
	notify_pool = NULL;
	notify_dns = NULL;
	notify_base = NULL;
	notify_stopping = 0;
}
