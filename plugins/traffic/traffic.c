/*
 * traffic.c - website visitors from access logs: the tallyd plugin.
 *
 * Each read polls every configured log (tail.c), parses new lines
 * (logparse.c), counts them (tstats.c), submits the running figures with
 * the read's time stamp, and saves one state file: log checkpoints and all
 * figures that are not idempotent, written aside and renamed, so a crash
 * anywhere re-reads at most the lines after the last saved checkpoint and
 * counts them exactly once.  See docs/TRAFFIC.md.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tally/plugin.h>

#include "logparse.h"
#include "tail.h"
#include "tstats.h"

#define TRAFFIC_MAX_LOGS	16
#define TRAFFIC_COMPLAIN	5	/* malformed lines logged per read */
#define TRAFFIC_STATE		"traffic.state"
#define TRAFFIC_MAGIC		"tallyd-traffic 1"

struct traffic {
	struct tally_ctx		*ctx;
	const struct tally_host		*host;
	char				*paths[TRAFFIC_MAX_LOGS];
	size_t				 npaths;
	size_t				 ntails;	/* initialised */
	struct tail			 tails[TRAFFIC_MAX_LOGS];
	char				 format[512];
	char				 suffix[32];
	char				 preset[64];
	struct tp_format		 fmt;
	struct tp_clock			 clock;
	struct tstats			 st;
	int				 profile;
	int				 mode;	/* TP_LENIENT or 0 */
	int				 start_at_end;
	int64_t				 online_window;
	int64_t				 visit_idle;
	int64_t				 max_future;	/* -1: default */
	int64_t				 max_lag;	/* -1: default */
	uint64_t			 visits_start;
	size_t				 max_line;
	size_t				 keep_days;
	int64_t				 now;
	unsigned int			 complained;	/* this read */
	uint64_t			 bad_this_read;
};

static const char *traffic_totals[] = {
	"hits", "pageviews", "bytes", "crawlers", "malformed", "visits",
	"status.1xx", "status.2xx", "status.3xx", "status.4xx", "status.5xx"
};
static const char *traffic_gauges[] = {
	"online", "visitors.day", "visitors.month", "visitors.year",
	"visits.total"
};

static void *
traffic_create(struct tally_ctx *ctx, const struct tally_host *host)
{
	struct traffic	*tr;

	if (host->abi != TALLY_PLUGIN_ABI || (tr = calloc(1, sizeof(*tr))) ==
	    NULL)
		return (NULL);
	tr->ctx = ctx;
	tr->host = host;
	snprintf(tr->format, sizeof(tr->format), "combined");
	snprintf(tr->suffix, sizeof(tr->suffix), ".1");
	snprintf(tr->preset, sizeof(tr->preset), "fast");
	tr->online_window = 5 * 60;
	tr->visit_idle = 30 * 60;
	tr->max_future = tr->max_lag = -1;
	tr->max_line = 64 * 1024;
	tr->keep_days = 400;
	return (tr);
}

/* A duration: seconds, or numbers each with s, m, h or d; -1 if bad. */
static int64_t
traffic_duration(const char *s)
{
	int64_t	 total = 0, v;
	char	*end;

	if (*s == '\0')
		return (-1);
	while (*s != '\0') {
		if (*s < '0' || *s > '9')
			return (-1);
		errno = 0;
		v = (int64_t)strtoull(s, &end, 10);
		if (errno != 0 || v > 100L * 365 * 86400)
			return (-1);
		switch (*end) {
		case '\0':
			return (end == s ? -1 : total + v);
		case 's':
			break;
		case 'm':
			v *= 60;
			break;
		case 'h':
			v *= 3600;
			break;
		case 'd':
			v *= 86400;
			break;
		default:
			return (-1);
		}
		total += v;
		s = end + 1;
	}
	return (total);
}

/* A count with an optional k or M suffix, within [min, max]; -1 if bad. */
static int
traffic_count(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char		*end;
	uint64_t	 v;

	if (*s < '0' || *s > '9')
		return (-1);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'k' && end[1] == '\0')
		v *= 1000;
	else if (*end == 'M' && end[1] == '\0')
		v *= 1000000;
	else if (*end != '\0')
		return (-1);
	if (errno != 0 || v < min || v > max)
		return (-1);
	*out = v;
	return (0);
}

/* Keys that take a duration. */
static int
traffic_configure_time(struct traffic *tr, const char *key,
    const char *value, char *err, size_t errlen)
{
	int64_t	 v, *dst, min = 0;

	if (strcmp(key, "online_window") == 0)
		dst = &tr->online_window, min = 1;
	else if (strcmp(key, "visit_timeout") == 0)
		dst = &tr->visit_idle, min = 1;
	else if (strcmp(key, "max_future") == 0)
		dst = &tr->max_future;
	else if (strcmp(key, "max_lag") == 0)
		dst = &tr->max_lag;
	else
		return (1);
	if ((v = traffic_duration(value)) < min) {
		snprintf(err, errlen, "bad duration '%s' for %s (like 90, 5m, "
		    "1h30m)", value, key);
		return (-1);
	}
	*dst = v;
	return (0);
}

/* Keys that take a number. */
static int
traffic_configure_number(struct traffic *tr, const char *key,
    const char *value, char *err, size_t errlen)
{
	uint64_t	 v, min, max;

	if (strcmp(key, "max_line") == 0)
		min = 256, max = 16 * 1024 * 1024;
	else if (strcmp(key, "keep_days") == 0)
		min = 2, max = 100000;
	else if (strcmp(key, "visits_start") == 0)
		min = 0, max = UINT64_MAX / 2;
	else
		return (1);
	if (traffic_count(value, min, max, &v) == -1) {
		snprintf(err, errlen, "bad number '%s' for %s: must be "
		    "%" PRIu64 "..%" PRIu64, value, key, min, max);
		return (-1);
	}
	if (strcmp(key, "max_line") == 0)
		tr->max_line = (size_t)v;
	else if (strcmp(key, "keep_days") == 0)
		tr->keep_days = (size_t)v;
	else
		tr->visits_start = v;
	return (0);
}

/* Keys that choose between words. */
static int
traffic_configure_word(struct traffic *tr, const char *key,
    const char *value, char *err, size_t errlen)
{
	if (strcmp(key, "profile") == 0) {
		if (strcmp(value, "default") == 0)
			tr->profile = TS_DEFAULT;
		else if (strcmp(value, "goaccess") == 0)
			tr->profile = TS_GOACCESS;
		else {
			snprintf(err, errlen, "profile is default or goaccess");
			return (-1);
		}
	} else if (strcmp(key, "start") == 0) {
		if (strcmp(value, "beginning") != 0 && strcmp(value, "end") !=
		    0) {
			snprintf(err, errlen, "start is beginning or end");
			return (-1);
		}
		tr->start_at_end = strcmp(value, "end") == 0;
	} else
		return (1);
	return (0);
}

/* Find a configured log by path; -1 if it is not configured any more. */
static int
traffic_log_index(const struct traffic *tr, const char *path)
{
	size_t	 i;

	for (i = 0; i < tr->npaths; i++) {
		if (strcmp(tr->paths[i], path) == 0)
			return ((int)i);
	}
	return (-1);
}

/* Keys that take a string kept as it is. */
static int
traffic_configure_string(struct traffic *tr, const char *key,
    const char *value, char *err, size_t errlen)
{
	char	*dst;
	size_t	 len;

	if (strcmp(key, "log") == 0 || strcmp(key, "path") == 0) {
		if (*value == '\0' || strchr(value, '\n') != NULL) {
			snprintf(err, errlen, "bad log path");
			return (-1);
		}
		if (traffic_log_index(tr, value) != -1) {
			snprintf(err, errlen, "log '%s' is given twice", value);
			return (-1);
		}
		if (tr->npaths == TRAFFIC_MAX_LOGS) {
			snprintf(err, errlen, "at most %d logs per instance",
			    TRAFFIC_MAX_LOGS);
			return (-1);
		}
		if ((tr->paths[tr->npaths] = strdup(value)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
		tr->npaths++;
		return (0);
	}
	if (strcmp(key, "format") == 0) {
		if (tp_format_compile(&tr->fmt, value, err, errlen) == -1)
			return (-1);
		dst = tr->format, len = sizeof(tr->format);
	}
	else if (strcmp(key, "rotated_suffix") == 0)
		dst = tr->suffix, len = sizeof(tr->suffix);
	else if (strcmp(key, "preset") == 0)
		dst = tr->preset, len = sizeof(tr->preset);
	else
		return (1);
	if ((size_t)snprintf(dst, len, "%s", value) >= len) {
		snprintf(err, errlen, "%s is longer than %zu bytes", key,
		    len - 1);
		return (-1);
	}
	return (0);
}

static int
traffic_configure(void *arg, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct traffic	*tr = arg;
	int		 rc;

	if ((rc = traffic_configure_string(tr, key, value, err, errlen)) != 1 ||
	    (rc = traffic_configure_time(tr, key, value, err, errlen)) != 1 ||
	    (rc = traffic_configure_number(tr, key, value, err, errlen)) !=
	    1 || (rc = traffic_configure_word(tr, key, value, err, errlen)) !=
	    1)
		return (rc);
	snprintf(err, errlen, "unknown key (traffic takes log, format, "
	    "profile, online_window, visit_timeout, max_future, max_lag, "
	    "max_line, rotated_suffix, start, keep_days, visits_start, "
	    "preset)");
	return (-1);
}

/* errno as text, thread-safely (the GNU strerror_r). */
static const char *
traffic_strerror(char *buf, size_t len)
{
	return (strerror_r(errno, buf, len));
}

/* Write a log message for the tail layer through the host. */
static void __attribute__((format(printf, 3, 4)))
traffic_tail_log(void *arg, int prio, const char *fmt, ...)
{
	struct traffic	*tr = arg;
	char		 msg[512];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tr->host->log(tr->ctx, prio, "%s", msg);
}

/* Log a malformed line with its file and line number, a few per read. */
static void
traffic_complain(struct traffic *tr, const struct tail_file *f,
    enum tp_error e, const char *line, size_t len)
{
	char	 show[81];
	size_t	 i, n = 0;

	tr->bad_this_read++;
	if (tr->complained >= TRAFFIC_COMPLAIN)
		return;
	tr->complained++;
	for (i = 0; line != NULL && i < len && n < sizeof(show) - 1; i++)
		show[n++] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
	show[n] = '\0';
	tr->host->log(tr->ctx, TALLY_LOG_WARNING, "%s:%" PRIu64 ": malformed "
	    "line (%s)%s%s", f->name != NULL ? f->name : "?", f->lines,
	    tp_error_name(e), n > 0 ? ": " : "", show);
}

/* Count one line of a log (NULL: an overlong line that was skipped). */
static void
traffic_line(void *arg, const char *line, size_t len, struct tail_file *f)
{
	struct traffic	*tr = arg;
	struct tp_rec	 r;
	enum tp_error	 e;

	if (line == NULL) {
		e = TP_E_OVERLONG;
		ts_bad(&tr->st, e);
	} else if ((e = tp_parse(&tr->fmt, &tr->clock, line, len, tr->mode,
	    &r)) == TP_OK)
		e = ts_add(&tr->st, &r, tr->now, &f->newest);
	else if (e != TP_IGNORE)
		ts_bad(&tr->st, e);
	if (e != TP_OK && e != TP_IGNORE)
		traffic_complain(tr, f, e, line, len);
}

/* Dispatch one state line; -1 if it is broken. */
static int
traffic_load_line(struct traffic *tr, char *line, int *map)
{
	size_t	 idx;
	char	*p;
	int	 rc;

	line[strcspn(line, "\n")] = '\0';
	if (strncmp(line, "log ", 4) == 0) {
		idx = strtoul(line + 4, &p, 10);
		if (*p != ' ' || idx >= TRAFFIC_MAX_LOGS)
			return (-1);
		map[idx] = traffic_log_index(tr, p + 1);
		return (0);
	}
	if (strncmp(line, "file ", 5) == 0) {
		idx = strtoul(line + 5, NULL, 10);
		if (idx >= TRAFFIC_MAX_LOGS)
			return (-1);
		if (map[idx] < 0)
			return (0);	/* a log no longer configured */
		rc = tail_load_line(&tr->tails[map[idx]], idx, line);
		return (rc == 1 ? 0 : -1);
	}
	if (strcmp(line, "end") == 0)
		return (0);
	return (ts_load_line(&tr->st, line) == 1 ? 0 : -1);
}

/* Load the state file; 1 if there was none, 0 if loaded, -1 if broken. */
static int
traffic_load(struct traffic *tr, const char *dir)
{
	char	 eb[128];
	char	 path[4096], *line = NULL;
	size_t	 cap = 0, lineno = 0;
	int	 map[TRAFFIC_MAX_LOGS], rc = 0;
	FILE	*f;

	memset(map, 0xff, sizeof(map));
	snprintf(path, sizeof(path), "%s/%s", dir, TRAFFIC_STATE);
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return (1);
		tr->host->log(tr->ctx, TALLY_LOG_ERR, "%s: cannot open: %s",
		    path, traffic_strerror(eb, sizeof(eb)));
		return (-1);
	}
	while (rc == 0 && getline(&line, &cap, f) != -1) {
		if (++lineno == 1)
			rc = strncmp(line, TRAFFIC_MAGIC, strlen(TRAFFIC_MAGIC))
			    == 0 ? 0 : -1;
		else
			rc = traffic_load_line(tr, line, map);
	}
	free(line);
	fclose(f);
	if (rc == -1) {
		tr->host->log(tr->ctx, TALLY_LOG_ERR, "%s:%zu: bad state line; "
		    "move the file away to start counting afresh", path,
		    lineno);
		return (-1);
	}
	if (ts_load_sets(&tr->st, dir) == -1) {
		tr->host->log(tr->ctx, TALLY_LOG_ERR, "%s: cannot load visitor "
		    "sets: %s", dir, traffic_strerror(eb, sizeof(eb)));
		return (-1);
	}
	return (0);
}

/* Write a file aside and rename it into place; -1 on any failure. */
static int
traffic_write_file(struct traffic *tr, const char *dir, const char *name,
    int sync)
{
	char	 path[4096], tmp[4096];
	FILE	*f;
	size_t	 i;
	int	 bad;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	if ((f = fopen(tmp, "we")) == NULL)
		return (-1);
	if (strcmp(name, TRAFFIC_STATE) == 0) {
		fprintf(f, "%s\n", TRAFFIC_MAGIC);
		for (i = 0; i < tr->npaths; i++) {
			fprintf(f, "log %zu %s\n", i, tr->paths[i]);
			tail_save(&tr->tails[i], i, f);
		}
		ts_save(&tr->st, f);
		fprintf(f, "end\n");
	} else
		ts_write_days(&tr->st, f);
	bad = fflush(f) == EOF || ferror(f) || (sync && fsync(fileno(f)) ==
	    -1);
	if (fclose(f) == EOF || bad || rename(tmp, path) == -1) {
		unlink(tmp);
		return (-1);
	}
	return (0);
}

/*
 * Save everything: visitor sets first (replaying them is harmless), then
 * the state file in one rename, then drop closed sets and export the days.
 */
static int
traffic_save(struct traffic *tr)
{
	char		 eb[128];
	const char	*dir = tr->host->state_dir(tr->ctx);

	if (ts_flush_sets(&tr->st, dir) == -1 ||
	    traffic_write_file(tr, dir, TRAFFIC_STATE, 1) == -1) {
		tr->host->log(tr->ctx, TALLY_LOG_ERR, "%s: cannot save state: "
		    "%s", dir, traffic_strerror(eb, sizeof(eb)));
		return (-1);
	}
	ts_forget_closed(&tr->st, dir);
	if (traffic_write_file(tr, dir, "days.tsv", 0) == -1)
		tr->host->log(tr->ctx, TALLY_LOG_WARNING, "%s: cannot write "
		    "days.tsv: %s", dir, traffic_strerror(eb, sizeof(eb)));
	return (0);
}

/* Declare every series; -1 if the core refuses one. */
static int
traffic_declare(struct traffic *tr)
{
	const char	*preset = tr->preset[0] != '\0' ? tr->preset : NULL;
	size_t		 i;

	for (i = 0; i < sizeof(traffic_totals) / sizeof(traffic_totals[0]);
	    i++) {
		if (tr->host->declare(tr->ctx, traffic_totals[i], TALLY_DERIVE,
		    i == 2 ? "bytes" : i == 4 ? "lines" : i == 5 ? "visits" :
		    "hits", preset) == -1)
			return (-1);
	}
	for (i = 0; i < sizeof(traffic_gauges) / sizeof(traffic_gauges[0]);
	    i++) {
		if (tr->host->declare(tr->ctx, traffic_gauges[i], TALLY_GAUGE,
		    i == 0 ? "people" : i == 4 ? "visits" : "visitors",
		    preset) == -1)
			return (-1);
	}
	return (0);
}

/* Fill a fresh seed for visitor fingerprints. */
static void
traffic_seed(struct traffic *tr)
{
	uint64_t	 seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^
		    (uint64_t)getpid();
	tr->st.seed = seed;
}

/*
 * Make relative log paths relative to the config file's directory, as the
 * core does with its own paths (a daemon runs in "/").
 */
static int
traffic_resolve(struct traffic *tr)
{
	const char	*dir;
	char		*p;
	size_t		 i;

	if (tr->host->size < offsetof(struct tally_host, config_dir) +
	    sizeof(tr->host->config_dir) || tr->host->config_dir == NULL ||
	    (dir = tr->host->config_dir(tr->ctx)) == NULL)
		return (0);
	for (i = 0; i < tr->npaths; i++) {
		if (tr->paths[i][0] == '/')
			continue;
		if (asprintf(&p, "%s/%s", dir, tr->paths[i]) == -1)
			return (-1);
		free(tr->paths[i]);
		tr->paths[i] = p;
	}
	return (0);
}

/* Set up the figures and the logs from the configuration. */
static int
traffic_setup(struct traffic *tr)
{
	char	 err[256];
	size_t	 i;

	if (tr->npaths == 0) {
		tr->host->log(tr->ctx, TALLY_LOG_ERR, "no log configured "
		    "(log = /var/log/nginx/access.log)");
		return (-1);
	}
	if (traffic_resolve(tr) == -1)
		return (-1);
	if (tp_format_compile(&tr->fmt, tr->format, err, sizeof(err)) == -1) {
		tr->host->log(tr->ctx, TALLY_LOG_ERR, "format: %s", err);
		return (-1);
	}
	ts_init(&tr->st, tr->profile);
	tr->mode = tr->profile == TS_GOACCESS ? TP_LENIENT : 0;
	tr->st.visit_idle = tr->visit_idle;
	tr->st.keep_days = tr->keep_days;
	if (tr->max_future >= 0)
		tr->st.max_future = tr->max_future;
	if (tr->max_lag >= 0)
		tr->st.max_lag = tr->max_lag;
	for (i = 0; i < tr->npaths; i++) {
		if (tail_init(&tr->tails[i], tr->paths[i], tr->suffix,
		    tr->max_line) == -1)
			return (-1);
		tr->ntails++;
		tr->tails[i].log = traffic_tail_log;
		tr->tails[i].logarg = tr;
	}
	return (0);
}

static int
traffic_init(void *arg)
{
	struct traffic	*tr = arg;
	size_t		 i;
	int		 rc;

	if (traffic_setup(tr) == -1 ||
	    (rc = traffic_load(tr, tr->host->state_dir(tr->ctx))) == -1)
		return (-1);
	if (rc == 1) {
		traffic_seed(tr);
		for (i = 0; i < tr->npaths; i++)
			tr->tails[i].start_at_end = tr->start_at_end;
	}
	return (traffic_declare(tr));
}

/* Submit the running figures, all stamped with the read's time. */
static void
traffic_submit(struct traffic *tr)
{
	const struct ts_totals	*t = &tr->st.tot;
	double			 tot[11], g[5];
	size_t			 i;

	tot[0] = (double)t->hits;
	tot[1] = (double)t->pageviews;
	tot[2] = (double)t->bytes;
	tot[3] = (double)t->crawlers;
	tot[4] = (double)t->malformed;
	tot[5] = (double)t->visits;
	for (i = 1; i <= 5; i++)
		tot[5 + i] = (double)t->status[i];
	g[0] = (double)ts_online(&tr->st, tr->now, tr->online_window);
	g[1] = (double)ts_unique(&tr->st, TS_DAY);
	g[2] = (double)ts_unique(&tr->st, TS_MONTH);
	g[3] = (double)ts_unique(&tr->st, TS_YEAR);
	g[4] = (double)(tr->visits_start + t->visits);
	for (i = 0; i < 11; i++)
		(void)tr->host->submit(tr->ctx, traffic_totals[i], tr->now,
		    tot[i]);
	for (i = 0; i < 5; i++)
		(void)tr->host->submit(tr->ctx, traffic_gauges[i], tr->now,
		    g[i]);
}

static int
traffic_read(void *arg)
{
	char		 eb[128];
	struct traffic	*tr = arg;
	size_t		 i;
	int		 failed = 0;

	tr->now = time(NULL);
	tr->complained = 0;
	tr->bad_this_read = 0;
	for (i = 0; i < tr->ntails; i++) {
		if (tail_poll(&tr->tails[i], traffic_line, tr) == -1) {
			tr->host->log(tr->ctx, TALLY_LOG_ERR, "%s: read: %s",
			    tr->paths[i], traffic_strerror(eb, sizeof(eb)));
			failed = 1;
		}
	}
	if (tr->bad_this_read > tr->complained)
		tr->host->log(tr->ctx, TALLY_LOG_WARNING, "%" PRIu64 " more "
		    "malformed lines in this read", tr->bad_this_read -
		    tr->complained);
	ts_expire(&tr->st, tr->now, tr->online_window);
	traffic_submit(tr);
	/* The checkpoint must not say more than storage holds. */
	if (TALLY_HOST_HAS(tr->host, sync) && tr->host->sync(tr->ctx) == -1)
		failed = 1;
	else if (traffic_save(tr) == -1)
		failed = 1;
	return (failed ? -1 : 0);
}

static void
traffic_destroy(void *arg)
{
	struct traffic	*tr = arg;
	size_t		 i;

	for (i = 0; i < tr->ntails; i++)
		tail_free(&tr->tails[i]);
	for (i = 0; i < tr->npaths; i++)
		free(tr->paths[i]);
	ts_free(&tr->st);
	free(tr);
}

TALLY_PLUGIN_EXPORT = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_plugin),
	.name = "traffic",
	.description = "website visitors from nginx/Apache access logs",
	.create = traffic_create,
	.configure = traffic_configure,
	.init = traffic_init,
	.read = traffic_read,
	.destroy = traffic_destroy,
};
