/*
 * forward.c - [forward NAME]: values sent on to VictoriaMetrics or
 * Graphite, the journal as the outbox (see forward.h).
 *
 * DESIGN
 *
 * One thread per forwarder, started before the journal's replay, stopped
 * before the journal closes.  It owns its cursor, its descriptor of the
 * segment it reads and, for VictoriaMetrics, an event_base of its own with
 * one evhttp connection (kept alive); Graphite is a blocking socket with
 * every wait a poll bounded by the timeout.  Nothing here touches the
 * loop: figures go to stats.c's named table, which STATS and /metrics
 * read.
 *
 * Reading.  The journal's segment files, never its buffer, and only up
 * to the durable end (journal_tail), so nothing is sent that was not
 * acknowledged.  Records are read from the cursor (segment, offset) with
 * pread into a buffer and decoded by journal_parse, VALUE and REWRITE
 * alike: every point goes with its own time (a rewrite's whole history, a
 * backfilled year).  Records are never split: a batch ends after the
 * record that takes it to `batch` values.  A damaged record in a closed
 * segment (a torn tail after a crash) ends that segment, as at replay.
 *
 * Acknowledged.  VictoriaMetrics: a 2xx answer to the POST.  Graphite has
 * no answers: a batch is one connection, written whole, then shut down
 * for writing, and acknowledged when the receiver closes its side (it has
 * read every line up to our EOF: carbon-cache holds them in its cache,
 * not yet in whisper files).  Only then is the cursor moved and saved:
 * STATEDIR/forward/NAME.cursor, written aside, fsynced, renamed over the
 * old one, directory fsynced.  A crash between the acknowledgement and
 * the rename sends that batch again: at least once (VictoriaMetrics keeps
 * one sample per series and millisecond with -dedup.minScrapeInterval;
 * whisper keeps one value per slot anyway).
 *
 * Failures.  A 4xx is the receiver refusing the batch for good: logged
 * with its answer (cut short), counted as refused, skipped.  A 5xx, a
 * failed connection or a timeout is retried, the same batch, after 1 s
 * doubling to 60 s, logged at most once a minute per forwarder.
 *
 * Retention.  The journal removes a segment only when the store has it
 * and every forwarder's cursor is past it (journal_hold); a segment only
 * forwarders hold no longer counts in journal_max, so a receiver that is
 * gone never stops local ingest.  Each forwarder bounds what it holds:
 * past max_backlog bytes from its cursor to the durable end it gives up
 * its oldest segment (never the open one), counting its values as
 * dropped and saying so in the log.  Disk used is at most journal_max
 * plus the largest max_backlog, plus one segment.
 *
 * Start.  A forwarder without a cursor file starts at the oldest segment
 * on disk; a cursor whose segment is gone goes on at the next one there
 * is.  journal_floor keeps segment numbers from being reused under a
 * cursor.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "clock.h"
#include "config.h"
#include "forward.h"
#include "fwdenc.h"
#include "journal.h"
#include "log.h"
#include "names.h"
#include "notify.h"
#include "stats.h"
#include "util.h"
#include "xmalloc.h"

#define FORWARD_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define FORWARD_CHUNK		(1u << 20)	/* bytes read at once */
#define FORWARD_BACKOFF_MIN	1000		/* ms */
#define FORWARD_BACKOFF_MAX	60000
#define FORWARD_LOG_EVERY	60		/* s between failure lines */
#define FORWARD_ANSWER_MAX	200		/* bytes of an answer logged */
#define FORWARD_MATCH_MAX	64
#define FORWARD_IMPORT		"/api/v1/import/prometheus"

struct forward {
	char			*name;
	int			 type;
	struct notify_url	 url;
	char			 path[1100];	/* the import path */
	char			 host[256];	/* graphite */
	char			 port[32];
	char			*prefix;
	char			**match;
	size_t			 nmatch;
	uint64_t		 max_backlog;
	size_t			 batch;
	unsigned long		 timeout;

	struct journal		*journal;
	int			 reader;
	char			 cursor[PATH_MAX];
	uint64_t		 seq;		/* the cursor */
	uint64_t		 off;
	pthread_t		 thread;
	int			 started;
	int			 stopping;	/* atomic */

	int			 fd;		/* segment fdseq */
	uint64_t		 fdseq;
	unsigned char		*rbuf;
	size_t			 rsize;
	struct journal_scratch	 sc;
	struct fwdenc_buf	 out;
	size_t			 lines;		/* in out */

	struct event_base	*base;		/* victoriametrics */
	struct event		*tick;
	struct evhttp_connection *conn;
	int			 status;	/* -1: waiting */
	int			 http_error;
	char			 answer[FORWARD_ANSWER_MAX + 1];

	uint64_t		 sent, refused, dropped, errors, backlog;
	time_t			 last_ok;
	struct log_limit	 ll;
	char			 why[512];
};

static struct forward	**forward_all;
static size_t		  forward_n;
static char		 *forward_sig;	/* of the sections in force */
static pthread_mutex_t	  forward_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- [forward NAME] sections */

#define F(f)	offsetof(struct forward_conf, f)

static const char *const forward_types[] = { "victoriametrics", "graphite",
    NULL };

static const struct config_key forward_keys[] = {
	{ .name = "type", .type = CONFIG_ENUM,
	  .choices = forward_types, .defshow = "(required)", .off = F(type),
	  .help = "victoriametrics: POST to URL/api/v1/import/prometheus; "
	  "graphite: plaintext lines over TCP to address" },
	{ .name = "url", .type = CONFIG_STRING, .off = F(url),
	  .help = "victoriametrics: http://host:port[/path prefix], e.g. "
	  "http://127.0.0.1:8428 (a cluster's vminsert: "
	  "http://host:8480/insert/0/prometheus)" },
	{ .name = "address", .type = CONFIG_STRING, .off = F(address),
	  .help = "graphite: host:port of a carbon-cache or carbon-c-relay "
	  "plaintext listener" },
	{ .name = "prefix", .type = CONFIG_STRING, .def = "",
	  .flags = CONFIG_NONE_OK, .off = F(prefix),
	  .help = "graphite: put before every path (PREFIX.plugin.instance."
	  "metric); empty: none" },
	{ .name = "match", .type = CONFIG_OWN, .own = "GLOB",
	  .flags = CONFIG_MULTI,
	  .help = "forward only series whose name matches one of these "
	  "globs (* ? [...]); none: every series" },
	{ .name = "max_backlog", .type = CONFIG_COUNT,
	  .min = 1000000, .max = 1000000000000ULL, .def = "1G",
	  .off = F(max_backlog),
	  .help = "bytes of journal kept for this forwarder while its "
	  "receiver is behind; past it the oldest segment is given up "
	  "(logged, counted as dropped)" },
	{ .name = "batch", .type = CONFIG_COUNT,
	  .min = 1, .max = 1000000, .def = "10000", .off = F(batch),
	  .help = "values sent in one request (a record is never split)" },
	{ .name = "timeout", .type = CONFIG_DURATION,
	  .min = 100, .max = CONFIG_MS_H, .def = "30s", .off = F(timeout),
	  .help = "a request (connect, send, answer) taking longer fails "
	  "and is retried" },
};

static void	*forward_conf_begin(struct config_parse *, const char *,
		    const char *);
static int	 forward_conf_value(struct config_parse *, void *,
		    const char *, const char *);
static void	*forward_conf_end(struct config_parse *, void *);
static void	 forward_conf_check(struct config_parse *);
static void	 forward_conf_free(void *);

const struct config_section forward_section = {
	.word = "forward", .minw = 2, .maxw = 2, .usage = "[forward NAME]",
	.head = "[forward NAME]\n# send every value stored (or those "
	"matching) to VictoriaMetrics or Graphite; read at start",
	.noun = { "forwarder", NULL },
	.keys = forward_keys, .nkeys = FORWARD_NITEMS(forward_keys),
	.begin = forward_conf_begin, .value = forward_conf_value,
	.end = forward_conf_end, .check = forward_conf_check,
	.free = forward_conf_free
};

static void *
forward_conf_begin(struct config_parse *p, const char *name,
    const char *instance)
{
	struct forward_conf	*fc;

	(void)instance;
	fc = xcalloc(1, sizeof(*fc));
	fc->name = xstrdup(name);
	fc->line = config_line(p);
	return (fc);
}

static int
forward_conf_value(struct config_parse *p, void *base, const char *key,
    const char *value)
{
	struct forward_conf	*fc = base;

	if (strcmp(key, "match") != 0)
		return (-1);
	if (!fwdenc_glob_valid(value))
		config_perr(p, config_line(p), "bad match glob '%s': use "
		    "a-z 0-9 _ - . and * ? [ ] !, at most 255 bytes", value);
	else if (fc->nmatch == FORWARD_MATCH_MAX)
		config_perr(p, config_line(p), "more than %d match lines",
		    FORWARD_MATCH_MAX);
	else {
		fc->match = xreallocarray(fc->match, fc->nmatch + 1,
		    sizeof(*fc->match));
		fc->match[fc->nmatch++] = xstrdup(value);
	}
	return (0);
}

/* Checks a victoriametrics url; -1 and why. */
static int
forward_url_check(const char *s, struct notify_url *u, char *why, size_t len)
{
	if (strncmp(s, "http://", 7) != 0) {
		snprintf(why, len, "http:// only");
		return (-1);
	}
	if (notify_url_parse(s, u, why, len) == -1)
		return (-1);
	if (strpbrk(u->path, "?#") != NULL) {
		snprintf(why, len, "no query or fragment: the path is a prefix "
		    "of " FORWARD_IMPORT);
		return (-1);
	}
	return (0);
}

static void *
forward_conf_end(struct config_parse *p, void *base)
{
	struct forward_conf	*fc = base;
	struct notify_url	 u;
	const char		*c;
	char			 why[160];
	int			 url, addr, prefix;

	url = config_seen(p, "url");
	addr = config_seen(p, "address");
	prefix = config_seen(p, "prefix");
	if (config_seen(p, "type") == 0) {
		config_perr(p, fc->line, "[forward %s] needs type = "
		    "victoriametrics or graphite", fc->name);
		return (fc);
	}
	if (fc->type == FORWARD_VM) {
		if (addr > 0)
			config_perr(p, addr, "address applies to type = "
			    "graphite only");
		if (prefix > 0)
			config_perr(p, prefix, "prefix applies to type = "
			    "graphite only");
		if (url == 0)
			config_perr(p, fc->line, "[forward %s] needs a url "
			    "(http://127.0.0.1:8428)", fc->name);
		else if (fc->url != NULL &&
		    forward_url_check(fc->url, &u, why, sizeof(why)) == -1)
			config_perr(p, url, "bad url '%s': %s", fc->url, why);
		return (fc);
	}
	if (url > 0)
		config_perr(p, url, "url applies to type = victoriametrics "
		    "only");
	if (addr == 0)
		config_perr(p, fc->line, "[forward %s] needs an address "
		    "(127.0.0.1:2003)", fc->name);
	else if (fc->address != NULL &&
	    util_hostport_valid(fc->address, why, sizeof(why)) == -1)
		config_perr(p, addr, "bad address '%s': %s", fc->address, why);
	if (fc->prefix != NULL) {
		/* Parts of the name set joined by dots. */
		for (c = fc->prefix; *c != '\0'; c++)
			if (strchr(NAMES_CONF_CHARS ".", *c) == NULL)
				break;
		if (*c != '\0' || fc->prefix[0] == '.' ||
		    fc->prefix[strlen(fc->prefix) - 1] == '.' ||
		    strstr(fc->prefix, "..") != NULL ||
		    strlen(fc->prefix) > 128)
			config_perr(p, prefix, "bad prefix '%s': parts of a-z "
			    "0-9 _ - joined by dots, at most 128 bytes",
			    fc->prefix);
	}
	return (fc);
}

/* The journal is the outbox: durability = memory has none. */
static void
forward_conf_check(struct config_parse *p)
{
	struct config		*cf = config_loading(p);
	struct config_item	*it;
	struct forward_conf	*fc;

	if (cf->durability != JOURNAL_MEMORY)
		return;
	CONFIG_FOREACH(it, cf, &forward_section) {
		fc = config_data(it);
		config_perr(p, fc->line, "[forward %s] needs the journal: "
		    "[storage] durability = memory has none (use fsync or "
		    "os)", fc->name);
	}
}

static void
forward_conf_free(void *arg)
{
	struct forward_conf	*fc = arg;
	size_t			 i;

	config_free_keys(&forward_section, fc);
	for (i = 0; i < fc->nmatch; i++)
		free(fc->match[i]);
	free(fc->match);
	free(fc->name);
	free(fc);
}

/* ---- figures */

static void
forward_figures(struct forward *f)
{
	char	 name[128];

	pthread_mutex_lock(&forward_lock);
#define FIG(k, kind, v) do {						\
	snprintf(name, sizeof(name), "forward.%s." k, f->name);		\
	stats_named_set(name, kind, (double)(v));			\
} while (0)
	FIG("backlog_bytes", TALLY_GAUGE, f->backlog);
	FIG("sent", TALLY_COUNTER, f->sent);
	FIG("refused", TALLY_COUNTER, f->refused);
	FIG("dropped", TALLY_COUNTER, f->dropped);
	FIG("errors", TALLY_COUNTER, f->errors);
	FIG("last_ok", TALLY_GAUGE, f->last_ok);
#undef FIG
	pthread_mutex_unlock(&forward_lock);
}

void
forward_metrics(struct evbuffer *b)
{
	static const struct {
		const char	*fig, *prom, *type, *help;
	} m[] = {
		{ "backlog_bytes", "tally_forward_backlog_bytes", "gauge",
		  "journal bytes not yet acknowledged by the receiver" },
		{ "sent", "tally_forward_sent_total", "counter",
		  "values the receiver acknowledged" },
		{ "refused", "tally_forward_refused_total", "counter",
		  "values in batches the receiver refused (4xx)" },
		{ "dropped", "tally_forward_dropped_total", "counter",
		  "values given up past max_backlog" },
		{ "errors", "tally_forward_errors_total", "counter",
		  "failed attempts (retried)" },
		{ "last_ok", "tally_forward_last_ok_seconds", "gauge",
		  "time of the last acknowledged batch" },
	};
	struct forward	*f;
	double		 v[6];
	size_t		 i, k;

	if (forward_n == 0)
		return;
	for (k = 0; k < FORWARD_NITEMS(m); k++) {
		evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n",
		    m[k].prom, m[k].help, m[k].prom, m[k].type);
		for (i = 0; i < forward_n; i++) {
			f = forward_all[i];
			pthread_mutex_lock(&forward_lock);
			v[0] = (double)f->backlog;
			v[1] = (double)f->sent;
			v[2] = (double)f->refused;
			v[3] = (double)f->dropped;
			v[4] = (double)f->errors;
			v[5] = (double)f->last_ok;
			pthread_mutex_unlock(&forward_lock);
			evbuffer_add_printf(b, "%s{forward=\"%s\"} %.0f\n",
			    m[k].prom, f->name, v[k]);
		}
	}
}

/* ---- the cursor */

static int
forward_stopping(struct forward *f)
{
	return (__atomic_load_n(&f->stopping, __ATOMIC_RELAXED));
}

/* Saves the cursor: aside, fsync, rename, fsync the directory. */
static int
forward_save(struct forward *f)
{
	char	 tmp[PATH_MAX + 8], buf[FWDENC_CURSOR_MAX], *slash;
	int	 fd, n, ok;

	n = fwdenc_cursor_format(buf, sizeof(buf), f->seq, f->off);
	snprintf(tmp, sizeof(tmp), "%s.new", f->cursor);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		log_warn("forward %s: %s", f->name, tmp);
		return (-1);
	}
	ok = write(fd, buf, (size_t)n) == n && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, f->cursor) == -1) {
		log_warn("forward %s: save %s", f->name, f->cursor);
		(void)unlink(tmp);
		return (-1);
	}
	if ((slash = strrchr(tmp, '/')) != NULL) {
		*slash = '\0';
		if ((fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
			(void)fsync(fd);
			close(fd);
		}
	}
	return (0);
}

/* Reads the cursor; none or a bad one: from the oldest segment. */
static void
forward_load(struct forward *f)
{
	char	 buf[FWDENC_CURSOR_MAX + 1];
	ssize_t	 n;
	int	 fd;

	f->seq = 1;
	f->off = JOURNAL_MAGIC_SIZE;
	if ((fd = open(f->cursor, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("forward %s: %s; sending from the oldest "
			    "journal segment", f->name, f->cursor);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0 || fwdenc_cursor_parse(buf, (size_t)n, &f->seq,
	    &f->off) == -1) {
		log_warnx("forward %s: %s is not a cursor (tallyfwd1 SEQ "
		    "OFFSET); sending from the oldest journal segment "
		    "(values may be sent twice)", f->name, f->cursor);
		f->seq = 1;
		f->off = JOURNAL_MAGIC_SIZE;
	}
}

/* ---- reading the journal */

/* The lowest segment on disk numbered above seq; 0 if none. */
static uint64_t
forward_next_seg(struct forward *f, const char *dir, uint64_t seq)
{
	struct dirent	*de;
	DIR		*d;
	uint64_t	 s, best = 0;
	char		*end;

	if ((d = opendir(dir)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL) {
		errno = 0;
		s = strtoull(de->d_name, &end, 10);
		if (end == de->d_name || errno != 0 || (strcmp(end, ".jnl") !=
		    0 && strcmp(end, ".fwd") != 0))
			continue;
		if (s > seq && (best == 0 || s < best))
			best = s;
	}
	closedir(d);
	(void)f;
	return (best);
}

static char	 forward_jdir[PATH_MAX];

/* Opens the cursor's segment if it is not open. -1: it is gone. */
static int
forward_open(struct forward *f)
{
	if (f->fd != -1 && f->fdseq == f->seq)
		return (0);
	if (f->fd != -1)
		close(f->fd);
	f->fdseq = f->seq;
	if ((f->fd = journal_segopen(f->journal, f->seq)) == -1) {
		if (errno != ENOENT)
			log_warn("forward %s: journal segment %" PRIu64,
			    f->name, f->seq);
		return (-1);
	}
	return (0);
}

/* Bytes of segment seq (closed) or -1. */
static int64_t
forward_segsize(struct forward *f, uint64_t seq)
{
	struct stat	 sb;
	int		 fd;

	if (seq == f->fdseq && f->fd != -1)
		return (fstat(f->fd, &sb) == 0 ? (int64_t)sb.st_size : -1);
	if ((fd = journal_segopen(f->journal, seq)) == -1)
		return (-1);
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return (-1);
	}
	close(fd);
	return ((int64_t)sb.st_size);
}

/* Moves the cursor to the next segment there is (at most tseq). */
static void
forward_next(struct forward *f, uint64_t tseq)
{
	uint64_t	 s;

	s = forward_next_seg(f, forward_jdir, f->seq);
	if (s == 0 || s > tseq)
		s = tseq;
	f->seq = s;
	f->off = JOURNAL_MAGIC_SIZE;
}

/*
 * Reads records from the cursor up to limit: encodes those that match
 * into f->out (lines in f->lines) until batch values; *values counts every
 * point read.  The new cursor in *nseq, *noff.  encode 0: only counts.
 */
static void
forward_read(struct forward *f, uint64_t tseq, uint64_t limit, int encode,
    uint64_t *nseq, uint64_t *noff, uint64_t *values)
{
	struct journal_rec	 rec;
	const char		*why;
	uint64_t		 pos = f->off, have, base;
	size_t			 want, i, got, n;
	ssize_t			 r;
	long			 len;

	*nseq = f->seq;
	*values = 0;
	fwdenc_reset(&f->out);
	f->lines = 0;
	want = FORWARD_CHUNK;
	while (pos < limit && (!encode || *values < f->batch)) {
		if (forward_stopping(f))
			break;
		n = limit - pos < want ? (size_t)(limit - pos) : want;
		if (n > f->rsize) {
			f->rbuf = xreallocarray(f->rbuf, 1, n);
			f->rsize = n;
		}
		for (got = 0; got < n; got += (size_t)r) {
			r = pread(f->fd, f->rbuf + got, n - got,
			    (off_t)(pos + got));
			if (r == -1 && errno == EINTR) {
				r = 0;
				continue;
			}
			if (r <= 0)
				break;
		}
		base = pos;
		have = got;
		len = 0;
		while (have - (pos - base) > 0 && (!encode ||
		    *values < f->batch)) {
			len = journal_parse(f->rbuf + (pos - base),
			    (size_t)(have - (pos - base)), &rec, &f->sc, &why);
			if (len <= 0)
				break;
			pos += (uint64_t)len;
			*values += rec.n;
			if (!encode || !fwdenc_match(f->match, f->nmatch,
			    rec.name))
				continue;
			for (i = 0; i < rec.n; i++) {
				if ((f->type == FORWARD_VM ? fwdenc_prom(&f->out,
				    rec.name, rec.when[i], rec.value[i]) :
				    fwdenc_graphite(&f->out, f->prefix,
				    rec.name, rec.when[i], rec.value[i])) == 0)
					f->lines++;
			}
		}
		if (len < 0 || (len == 0 && pos == base && got < n) ||
		    (len == 0 && pos == base && n == limit - base)) {
			/* Damaged, or cut short at the end: give it up. */
			log_warnx("forward %s: journal segment %" PRIu64 ": %s "
			    "at offset %" PRIu64 "; the rest of it is not "
			    "forwarded", f->name, f->seq, len < 0 ? why :
			    "a record cut short", pos);
			pos = limit;
			break;
		}
		if (len == 0 && pos == base) {
			/* One record longer than the chunk. */
			if (got >= 4) {
				uint32_t	 rl;

				memcpy(&rl, f->rbuf, 4);
				want = (size_t)rl + 8;
			} else
				want = n * 2;
		} else
			want = FORWARD_CHUNK;
	}
	*noff = pos;
	(void)tseq;
}

/* ---- sending: VictoriaMetrics */

static void
forward_vm_cb(struct evhttp_request *req, void *arg)
{
	struct forward	*f = arg;
	struct evbuffer	*in;
	ssize_t		 n;

	f->status = req != NULL ? evhttp_request_get_response_code(req) : 0;
	f->answer[0] = '\0';
	if (req != NULL && f->status != 0 && (f->status < 200 ||
	    f->status > 299) && (in = evhttp_request_get_input_buffer(req)) !=
	    NULL) {
		n = evbuffer_copyout(in, f->answer, FORWARD_ANSWER_MAX);
		f->answer[n > 0 ? (size_t)n : 0] = '\0';
		for (n = 0; f->answer[n] != '\0'; n++)
			if ((unsigned char)f->answer[n] < 0x20 ||
			    (unsigned char)f->answer[n] > 0x7e)
				f->answer[n] = ' ';
	}
	event_base_loopbreak(f->base);
}

static void
forward_vm_error_cb(enum evhttp_request_error e, void *arg)
{
	struct forward	*f = arg;

	f->http_error = (int)e + 1;
}

/* Every quarter second: stop waiting if the forwarder is stopping. */
static void
forward_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct forward	*f = arg;

	(void)fd;
	(void)ev;
	if (forward_stopping(f))
		event_base_loopbreak(f->base);
}

/* 0: acknowledged; 1: refused (4xx); -1: retry (why in f->why). */
static int
forward_vm_send(struct forward *f)
{
	struct evhttp_request	*req;
	struct evkeyvalq	*h;
	struct timeval		 tv;
	msec_t			 deadline;
	char			 len[32];

	if (f->conn == NULL) {
		if ((f->conn = evhttp_connection_base_new(f->base, NULL,
		    f->url.host, (unsigned short)f->url.port)) == NULL) {
			snprintf(f->why, sizeof(f->why), "cannot make a "
			    "connection");
			return (-1);
		}
		tv.tv_sec = f->timeout / 1000;
		tv.tv_usec = (f->timeout % 1000) * 1000;
		evhttp_connection_set_timeout_tv(f->conn, &tv);
		evhttp_connection_set_retries(f->conn, 0);
		evhttp_connection_set_max_headers_size(f->conn, 65536);
		evhttp_connection_set_max_body_size(f->conn, 1 << 20);
	}
	if ((req = evhttp_request_new(forward_vm_cb, f)) == NULL)
		fatalx("forward: evhttp_request_new failed");
	evhttp_request_set_error_cb(req, forward_vm_error_cb);
	h = evhttp_request_get_output_headers(req);
	snprintf(len, sizeof(len), "%zu", f->out.len);
	evhttp_add_header(h, "Host", f->url.hosthdr);
	evhttp_add_header(h, "Content-Type", "text/plain");
	evhttp_add_header(h, "Content-Length", len);
	evhttp_add_header(h, "User-Agent", "tallyd/" PACKAGE_VERSION);
	evbuffer_add(evhttp_request_get_output_buffer(req), f->out.p,
	    f->out.len);
	f->status = -1;
	f->http_error = 0;
	if (evhttp_make_request(f->conn, req, EVHTTP_REQ_POST,
	    f->path) == -1) {
		evhttp_connection_free(f->conn);
		f->conn = NULL;
		snprintf(f->why, sizeof(f->why), "cannot send the request");
		return (-1);
	}
	/* The answer, a stop, or the whole exchange's deadline. */
	deadline = clock_mono() + f->timeout;
	while (f->status == -1 && !forward_stopping(f) &&
	    clock_mono() < deadline)
		event_base_loop(f->base, EVLOOP_ONCE);
	if (f->status >= 200 && f->status <= 299)
		return (0);
	/* Whatever the connection's state, start the next one afresh. */
	evhttp_connection_free(f->conn);	/* and a request left */
	f->conn = NULL;
	if (f->status >= 400 && f->status <= 499) {
		snprintf(f->why, sizeof(f->why), "HTTP status %d: %s",
		    f->status, f->answer);
		return (1);
	}
	if (f->status > 0)
		snprintf(f->why, sizeof(f->why), "HTTP status %d: %s",
		    f->status, f->answer);
	else if (f->status == -1)
		snprintf(f->why, sizeof(f->why), forward_stopping(f) ?
		    "stopping" : "no answer within the %lu ms timeout",
		    f->timeout);
	else if (f->http_error - 1 == EVREQ_HTTP_TIMEOUT)
		snprintf(f->why, sizeof(f->why), "no answer: the connection "
		    "was silent for the %lu ms timeout", f->timeout);
	else if (f->http_error - 1 == EVREQ_HTTP_EOF)
		snprintf(f->why, sizeof(f->why), "the connection closed "
		    "before a complete answer");
	else
		snprintf(f->why, sizeof(f->why), "no answer from %s:%d "
		    "(connection failed or refused)", f->url.host, f->url.port);
	return (-1);
}

/* ---- sending: Graphite */

/* Waits for fd to be ready for events until deadline; 0, or -1 (why). */
static int
forward_poll(struct forward *f, int fd, short events, msec_t deadline)
{
	struct pollfd	 pfd;
	msec_t		 now;
	int		 n;

	for (;;) {
		if (forward_stopping(f)) {
			snprintf(f->why, sizeof(f->why), "stopping");
			return (-1);
		}
		if ((now = clock_mono()) >= deadline) {
			snprintf(f->why, sizeof(f->why), "no progress within "
			    "the %lu ms timeout", f->timeout);
			return (-1);
		}
		pfd.fd = fd;
		pfd.events = events;
		n = poll(&pfd, 1, deadline - now > 250 ? 250 :
		    (int)(deadline - now));
		if (n > 0)
			return (0);
		if (n == -1 && errno != EINTR) {
			snprintf(f->why, sizeof(f->why), "poll: %s",
			    strerror(errno));
			return (-1);
		}
	}
}

/* A connected non-blocking socket to host:port; -1 (why). */
static int
forward_connect(struct forward *f, msec_t deadline)
{
	struct addrinfo	 hints, *res, *ai;
	socklen_t	 sl;
	int		 fd = -1, e, err;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((e = getaddrinfo(f->host, f->port, &hints, &res)) != 0) {
		snprintf(f->why, sizeof(f->why), "%s: %s", f->host,
		    gai_strerror(e));
		return (-1);
	}
	snprintf(f->why, sizeof(f->why), "%s: no address", f->host);
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol)) == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS) {
			if (forward_poll(f, fd, POLLOUT, deadline) == -1) {
				close(fd);
				fd = -1;
				break;
			}
			sl = sizeof(err);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
			    &sl) == -1)
				err = errno;
			if (err == 0)
				break;
		}
		snprintf(f->why, sizeof(f->why), "connect %s:%s: %s",
		    f->host, f->port, strerror(err));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return (fd);
}

/* One batch, one connection: write, shut down, wait for the close. */
static int
forward_graphite_send(struct forward *f)
{
	msec_t		 deadline = clock_mono() + f->timeout;
	size_t		 off = 0;
	ssize_t		 n;
	char		 sink[4096];
	int		 fd;

	if ((fd = forward_connect(f, deadline)) == -1)
		return (-1);
	while (off < f->out.len) {
		n = write(fd, f->out.p + off, f->out.len - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			snprintf(f->why, sizeof(f->why), "write: %s",
			    strerror(errno));
			goto fail;
		}
		if (forward_poll(f, fd, POLLOUT, deadline) == -1)
			goto fail;
	}
	if (shutdown(fd, SHUT_WR) == -1) {
		snprintf(f->why, sizeof(f->why), "shutdown: %s",
		    strerror(errno));
		goto fail;
	}
	/* The receiver read up to our EOF once it closes its side. */
	for (;;) {
		n = read(fd, sink, sizeof(sink));
		if (n == 0)
			break;
		if (n > 0)
			continue;
		if (errno != EAGAIN && errno != EINTR) {
			snprintf(f->why, sizeof(f->why), "before the close: "
			    "%s", strerror(errno));
			goto fail;
		}
		if (forward_poll(f, fd, POLLIN, deadline) == -1)
			goto fail;
	}
	close(fd);
	return (0);
fail:
	close(fd);
	return (-1);
}

/* ---- the thread */

/* Sleeps ms, or less if stopping. */
static void
forward_sleep(struct forward *f, unsigned long ms)
{
	msec_t	 until = clock_mono() + ms;

	while (!forward_stopping(f) && clock_mono() < until)
		poll(NULL, 0, 100);
}

/*
 * Bytes from the cursor to the durable end; past max_backlog the oldest
 * segments are given up (never the open one).
 */
static void
forward_bound(struct forward *f, uint64_t tseq, uint64_t tsize)
{
	uint64_t	 total, s, nseq, noff, values;
	int64_t		 size;

	for (;;) {
		total = 0;
		for (s = f->seq; s <= tseq; s++) {
			if (s == tseq)
				size = (int64_t)tsize;
			else if ((size = forward_segsize(f, s)) < 0)
				continue;
			if (s == f->seq)
				total += (uint64_t)size > f->off ?
				    (uint64_t)size - f->off : 0;
			else
				total += (uint64_t)size -
				    JOURNAL_MAGIC_SIZE;
		}
		pthread_mutex_lock(&forward_lock);
		f->backlog = total;
		pthread_mutex_unlock(&forward_lock);
		if (total <= f->max_backlog || f->seq >= tseq)
			return;
		values = 0;
		if (forward_open(f) == 0 && (size = forward_segsize(f,
		    f->seq)) > 0)
			forward_read(f, tseq, (uint64_t)size, 0, &nseq, &noff,
			    &values);
		log_warnx("forward %s: backlog of %" PRIu64 " bytes is past "
		    "max_backlog (%" PRIu64 "): journal segment %" PRIu64
		    " given up, %" PRIu64 " values NOT forwarded", f->name,
		    total, f->max_backlog, f->seq, values);
		pthread_mutex_lock(&forward_lock);
		f->dropped += values;
		pthread_mutex_unlock(&forward_lock);
		forward_next(f, tseq);
		/* Saved first: a crash never leaves a cursor in a removed
		 * segment that still had values to send. */
		(void)forward_save(f);
		journal_hold(f->journal, f->reader, f->seq);
	}
}

static void *
forward_main(void *arg)
{
	struct forward	*f = arg;
	uint64_t	 tseq = 0, tsize = 0, nseq, noff, values, limit;
	uint64_t	 oseq, ooff;
	unsigned long	 backoff = FORWARD_BACKOFF_MIN, missed;
	int64_t		 size;
	int		 r = 0;

	while (!forward_stopping(f)) {
		(void)journal_tail(f->journal, 0, 0, 0, &tseq, &tsize);
		if (tseq == 0) {	/* the journal has not started yet */
			forward_sleep(f, 100);
			continue;
		}
		if (f->seq < tseq && forward_open(f) == -1) {
			forward_next(f, tseq);	/* gone: the next there is */
			continue;
		}
		forward_bound(f, tseq, tsize);
		forward_figures(f);
		if (f->seq > tseq || (f->seq == tseq && f->off >= tsize)) {
			(void)journal_tail(f->journal, tseq, tsize, 1000,
			    &tseq, &tsize);
			continue;
		}
		if (forward_open(f) == -1) {
			forward_sleep(f, 1000);
			continue;
		}
		if (f->seq < tseq) {
			if ((size = forward_segsize(f, f->seq)) < 0) {
				forward_sleep(f, 1000);
				continue;
			}
			limit = (uint64_t)size;
		} else
			limit = tsize;
		if (f->off < JOURNAL_MAGIC_SIZE)
			f->off = JOURNAL_MAGIC_SIZE;
		forward_read(f, tseq, limit, 1, &nseq, &noff, &values);
		if (forward_stopping(f))
			break;
		while (f->lines > 0) {
			r = f->type == FORWARD_VM ? forward_vm_send(f) :
			    forward_graphite_send(f);
			if (r >= 0)
				break;
			if (forward_stopping(f))
				goto out;
			pthread_mutex_lock(&forward_lock);
			f->errors++;
			pthread_mutex_unlock(&forward_lock);
			forward_figures(f);
			if (log_limit_ok(&f->ll, time(NULL), FORWARD_LOG_EVERY,
			    &missed))
				log_warnx("forward %s: %zu values not sent, "
				    "retried in %lu s: %s (%lu such failures "
				    "not logged)", f->name, f->lines,
				    backoff / 1000, f->why, missed);
			forward_sleep(f, backoff);
			backoff = backoff * 2 > FORWARD_BACKOFF_MAX ?
			    FORWARD_BACKOFF_MAX : backoff * 2;
			r = -1;
			/* The backlog grows meanwhile: bound it here too. */
			oseq = f->seq;
			ooff = f->off;
			(void)journal_tail(f->journal, 0, 0, 0, &tseq, &tsize);
			forward_bound(f, tseq, tsize);
			forward_figures(f);
			if (f->seq != oseq || f->off != ooff) {
				f->lines = 0;	/* its segment was given up */
				goto next;
			}
		}
		if (f->lines > 0) {
			pthread_mutex_lock(&forward_lock);
			if (r == 0) {
				f->sent += f->lines;
				f->last_ok = time(NULL);
			} else
				f->refused += f->lines;
			pthread_mutex_unlock(&forward_lock);
			if (r == 1)
				log_warnx("forward %s: %zu values refused by "
				    "the receiver, skipped: %s", f->name,
				    f->lines, f->why);
			backoff = FORWARD_BACKOFF_MIN;
		}
		f->seq = nseq;
		f->off = noff;
		if (f->seq < tseq && f->off >= limit)
			forward_next(f, tseq);
		(void)forward_save(f);
		journal_hold(f->journal, f->reader, f->seq);
		forward_figures(f);
next:
		;
	}
out:
	forward_figures(f);
	return (NULL);
}

/* ---- start and stop */

static struct forward *
forward_new(const struct forward_conf *fc, const char *statedir)
{
	struct forward	*f = xcalloc(1, sizeof(*f));
	char		 why[160];
	size_t		 i, l;

	f->name = xstrdup(fc->name);
	f->type = fc->type;
	f->fd = -1;
	f->max_backlog = fc->max_backlog;
	f->batch = fc->batch;
	f->timeout = fc->timeout;
	f->prefix = fc->prefix != NULL ? xstrdup(fc->prefix) : NULL;
	for (i = 0; i < fc->nmatch; i++) {
		f->match = xreallocarray(f->match, f->nmatch + 1,
		    sizeof(*f->match));
		f->match[f->nmatch++] = xstrdup(fc->match[i]);
	}
	if (f->type == FORWARD_VM) {
		if (forward_url_check(fc->url, &f->url, why, sizeof(why)) == -1)
			fatalx("forward %s: %s", f->name, why);
		l = strlen(f->url.path);
		while (l > 0 && f->url.path[l - 1] == '/')
			l--;
		snprintf(f->path, sizeof(f->path), "%.*s%s", (int)l,
		    f->url.path, FORWARD_IMPORT);
	} else if (util_split_hostport(fc->address, f->host, sizeof(f->host),
	    f->port, sizeof(f->port)) == -1)
		fatalx("forward %s: bad address %s", f->name, fc->address);
	snprintf(f->cursor, sizeof(f->cursor), "%s/forward/%s.cursor",
	    statedir, f->name);
	return (f);
}

static void
forward_free(struct forward *f)
{
	size_t	 i;

	if (f->conn != NULL)
		evhttp_connection_free(f->conn);
	if (f->tick != NULL)
		event_free(f->tick);
	if (f->base != NULL)
		event_base_free(f->base);
	if (f->fd != -1)
		close(f->fd);
	for (i = 0; i < f->nmatch; i++)
		free(f->match[i]);
	free(f->match);
	free(f->prefix);
	free(f->rbuf);
	journal_scratch_free(&f->sc);
	fwdenc_free(&f->out);
	free(f->name);
	free(f);
}

/* The [forward] sections as one string, to see a reload change them. */
static char *
forward_signature(const struct config *cf)
{
	struct config_item	*it;
	struct forward_conf	*fc;
	char			*sig = xstrdup(""), *n;
	size_t			 i;

	CONFIG_FOREACH(it, cf, &forward_section) {
		fc = config_data(it);
		xasprintf(&n, "%s[%s %d %s %s %s %lu %lu %lu", sig, fc->name,
		    fc->type, fc->url != NULL ? fc->url : "",
		    fc->address != NULL ? fc->address : "",
		    fc->prefix != NULL ? fc->prefix : "", fc->max_backlog,
		    fc->batch, fc->timeout);
		free(sig);
		sig = n;
		for (i = 0; i < fc->nmatch; i++) {
			xasprintf(&n, "%s %s", sig, fc->match[i]);
			free(sig);
			sig = n;
		}
	}
	return (sig);
}

void
forward_reload(const struct config *cf)
{
	char	*sig = forward_signature(cf);

	if (forward_sig != NULL && strcmp(sig, forward_sig) != 0)
		log_warnx("reload: [forward] sections changed; the "
		    "forwarders keep running as they started until tallyd "
		    "is restarted");
	free(sig);
}

int
forward_start(const struct config *cf, struct journal *j)
{
	struct config_item	*it;
	struct forward		*f;
	struct timeval		 tv = { 0, 250000 };
	sigset_t		 all, old;
	char			 dir[PATH_MAX];
	int			 e;

	snprintf(forward_jdir, sizeof(forward_jdir), "%s/journal",
	    cf->statedir);
	free(forward_sig);
	forward_sig = forward_signature(cf);
	CONFIG_FOREACH(it, cf, &forward_section) {
		if (journal_mode(j) == JOURNAL_MEMORY) {
			log_warnx("forward: durability = memory has no "
			    "journal; nothing is forwarded");
			return (-1);
		}
		snprintf(dir, sizeof(dir), "%s/forward", cf->statedir);
		if (util_mkdirs(dir, 0700) == -1) {
			log_warn("forward: %s", dir);
			return (-1);
		}
		f = forward_new(config_data(it), cf->statedir);
		f->journal = j;
		forward_load(f);
		journal_floor(j, f->seq);
		if ((f->reader = journal_reader(j, f->seq)) == -1) {
			log_warnx("forward %s: too many forwarders", f->name);
			forward_free(f);
			return (-1);
		}
		if (f->type == FORWARD_VM) {
			if ((f->base = event_base_new()) == NULL ||
			    (f->tick = event_new(f->base, -1, EV_PERSIST,
			    forward_tick_cb, f)) == NULL ||
			    event_add(f->tick, &tv) == -1)
				fatalx("forward: cannot make an event base");
		}
		forward_all = xreallocarray(forward_all, forward_n + 1,
		    sizeof(*forward_all));
		forward_all[forward_n++] = f;
		forward_figures(f);
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		e = pthread_create(&f->thread, NULL, forward_main, f);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (e != 0) {
			errno = e;
			log_warn("forward %s: pthread_create", f->name);
			return (-1);
		}
		f->started = 1;
		log_info("forward %s: to %s%s%s, from journal segment %" PRIu64
		    " offset %" PRIu64, f->name, f->type == FORWARD_VM ?
		    "http://" : "", f->type == FORWARD_VM ? f->url.hosthdr :
		    f->host, f->type == FORWARD_VM ? f->path : "", f->seq,
		    f->off);
	}
	return (0);
}

void
forward_stop(void)
{
	size_t	 i;

	for (i = 0; i < forward_n; i++)
		__atomic_store_n(&forward_all[i]->stopping, 1,
		    __ATOMIC_RELAXED);
	if (forward_n > 0)
		journal_wake(forward_all[0]->journal);
	for (i = 0; i < forward_n; i++) {
		if (forward_all[i]->started &&
		    (errno = pthread_join(forward_all[i]->thread, NULL)) != 0)
			fatal("forward: join");
		forward_free(forward_all[i]);
	}
	free(forward_all);
	forward_all = NULL;
	forward_n = 0;
	free(forward_sig);
	forward_sig = NULL;
}
