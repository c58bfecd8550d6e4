/*
 * traffic.c - website visitors from access logs: the tallyd plugin.
 *
 * On the first start the reads import the rotated archives (archive.c),
 * oldest first, for up to import_time each; then each read polls every
 * configured log (tail.c).  Lines are parsed (logparse.c) and counted
 * (tstats.c) into buckets of their own time (tbucket.c); closed buckets,
 * days, months and years are submitted stamped with log time, the gauges
 * with the read's time.  Then traffic_checkpoint saves one state file: log
 * and archive checkpoints and all figures that are not idempotent, written
 * aside and renamed, so a crash anywhere re-reads at most the lines after
 * the last saved checkpoint and counts them exactly once.  See
 * docs/TRAFFIC.md.
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

#include "archive.h"
#include "import.h"
#include "logparse.h"
#include "tail.h"
#include "tstats.h"

#define TRAFFIC_MAX_LOGS	16
#define TRAFFIC_COMPLAIN	5	/* malformed lines logged per read */
#define TRAFFIC_STATE		"traffic.state"
#define TRAFFIC_MAGIC		"tallyd-traffic 1"
#define TRAFFIC_CHUNK		(1024 * 1024)	/* import batch, text */
#define TRAFFIC_QUEUE_HIGH	200000	/* store queue: wait above this */
#define TRAFFIC_COARSE		180	/* fast preset: heartbeat */
#define TRAFFIC_FINE_SPAN	(8 * 86400)	/* fast preset: minute rows */

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
	char				 daily_preset[64];
	struct archive			 arch;
	struct import			 imp;		/* its worker */
	char				 arch_err[512];	/* last logged */
	uint64_t			 imp_lines;	/* counted */
	int64_t				 imp_newest;	/* of the file */
	int				 importing;	/* archives first */
	int				 import_logged;
	int64_t				 step;		/* log-time bucket */
	int64_t				 grace;
	int64_t				 import_time;	/* per read, at most */
	uint64_t			 import_rate;	/* lines/s; 0: any */
	double				 import_t0;	/* monotonic start */
	uint64_t			 import_lines0;
	uint64_t			 live_key[TRAFFIC_MAX_LOGS];
	dev_t				 live_dev[TRAFFIC_MAX_LOGS];
	ino_t				 live_ino[TRAFFIC_MAX_LOGS];
	uint64_t			 dropped;	/* points refused */
	struct tp_clock			 headclock;	/* for archive heads */
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

/* Log-time totals, in the order of enum ts_fig. */
static const char *traffic_totals[TS_NFIG] = {
	"hits", "pageviews", "bytes", "crawlers", "malformed", "visits",
	"status.1xx", "status.2xx", "status.3xx", "status.4xx", "status.5xx",
	"late"
};
static const char *traffic_units[TS_NFIG] = {
	"hits", "hits", "bytes", "hits", "lines", "visits", "hits", "hits",
	"hits", "hits", "hits", "lines"
};
/* Read-time gauges. */
static const char *traffic_gauges[] = {
	"online", "visitors.day", "visitors.month", "visitors.year",
	"visits.total"
};
/* One point per day, month, year of the log's calendar. */
static const char *traffic_daily[] = {
	"visitors.daily", "hits.daily", "pageviews.daily", "bytes.daily"
};
static const char *traffic_progress[] = {
	"import.files", "import.files_done", "import.bytes",
	"import.bytes_done", "import.lines_per_s"
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
	snprintf(tr->daily_preset, sizeof(tr->daily_preset), "slow");
	tr->step = 60;
	tr->grace = 5 * 60;
	tr->import_time = 20;
	tr->online_window = 5 * 60;
	tr->visit_idle = 30 * 60;
	tr->max_future = tr->max_lag = -1;
	tr->max_line = 64 * 1024;
	tr->keep_days = 400;
	archive_init(&tr->arch, tr->max_line);
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
	else if (strcmp(key, "step") == 0)
		dst = &tr->step, min = 1;
	else if (strcmp(key, "grace") == 0)
		dst = &tr->grace;
	else if (strcmp(key, "import_time") == 0)
		dst = &tr->import_time, min = 1;
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
	else if (strcmp(key, "import_rate") == 0)
		min = 0, max = 1000000000;
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
	else if (strcmp(key, "import_rate") == 0)
		tr->import_rate = v;
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
	if (strcmp(key, "archive") == 0) {
		if (*value == '\0' || archive_add_glob(&tr->arch, value) ==
		    -1) {
			snprintf(err, errlen, "bad archive pattern, or more "
			    "than %d", ARCHIVE_GLOBS);
			return (-1);
		}
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
	else if (strcmp(key, "daily_preset") == 0)
		dst = tr->daily_preset, len = sizeof(tr->daily_preset);
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
	snprintf(err, errlen, "unknown key (traffic takes log, archive, "
	    "format, profile, online_window, visit_timeout, max_future, "
	    "max_lag, max_line, rotated_suffix, start, keep_days, "
	    "visits_start, preset, daily_preset, step, grace, import_time, "
	    "import_rate)");
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
	if (strcmp(line, "imported") == 0) {
		tr->importing = 0;
		return (0);
	}
	if ((rc = archive_load_line(&tr->arch, line)) != 0)
		return (rc == 1 ? 0 : -1);
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
		archive_save(&tr->arch, f);
		if (!tr->importing)
			fprintf(f, "imported\n");
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
	const char	*daily = tr->daily_preset[0] != '\0' ?
			    tr->daily_preset : NULL;
	size_t		 i;

	for (i = 0; i < TS_NFIG; i++) {
		if (tr->host->declare(tr->ctx, traffic_totals[i], TALLY_DERIVE,
		    traffic_units[i], preset) == -1)
			return (-1);
	}
	for (i = 0; i < sizeof(traffic_gauges) / sizeof(traffic_gauges[0]);
	    i++) {
		if (tr->host->declare(tr->ctx, traffic_gauges[i], TALLY_GAUGE,
		    i == 0 ? "people" : i == 4 ? "visits" : "visitors",
		    preset) == -1)
			return (-1);
	}
	for (i = 0; i < sizeof(traffic_daily) / sizeof(traffic_daily[0]);
	    i++) {
		if (tr->host->declare(tr->ctx, traffic_daily[i], TALLY_GAUGE,
		    i == 0 ? "visitors" : i == 3 ? "bytes" : "hits", daily) ==
		    -1)
			return (-1);
	}
	if (tr->host->declare(tr->ctx, "visitors.monthly", TALLY_GAUGE,
	    "visitors", daily) == -1 || tr->host->declare(tr->ctx,
	    "visitors.yearly", TALLY_GAUGE, "visitors", daily) == -1)
		return (-1);
	for (i = 0; tr->arch.nglobs > 0 && i < sizeof(traffic_progress) /
	    sizeof(traffic_progress[0]); i++) {
		if (tr->host->declare(tr->ctx, traffic_progress[i], TALLY_GAUGE,
		    i < 2 ? "files" : i < 4 ? "bytes" : "lines/s", preset) ==
		    -1)
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

/* A path relative to the config file's directory made absolute. */
static int
traffic_absolute(const char *dir, char **path)
{
	char	*p;

	if ((*path)[0] == '/')
		return (0);
	if (asprintf(&p, "%s/%s", dir, *path) == -1)
		return (-1);
	free(*path);
	*path = p;
	return (0);
}

/*
 * Make relative log paths and archive patterns relative to the config
 * file's directory, as the core does with its own paths (a daemon runs in
 * "/").
 */
static int
traffic_resolve(struct traffic *tr)
{
	const char	*dir;
	size_t		 i;

	if (tr->host->size < offsetof(struct tally_host, config_dir) +
	    sizeof(tr->host->config_dir) || tr->host->config_dir == NULL ||
	    (dir = tr->host->config_dir(tr->ctx)) == NULL)
		return (0);
	for (i = 0; i < tr->npaths; i++) {
		if (traffic_absolute(dir, &tr->paths[i]) == -1)
			return (-1);
	}
	for (i = 0; i < tr->arch.nglobs; i++) {
		if (traffic_absolute(dir, &tr->arch.globs[i]) == -1)
			return (-1);
	}
	return (0);
}

/* The time stamp of an archive's line, or -1 (archive_time_cb). */
static int64_t
traffic_line_time(void *arg, const char *line, size_t len)
{
	struct traffic	*tr = arg;
	struct tp_rec	 r;

	if (tp_parse(&tr->fmt, &tr->headclock, line, len, tr->mode, &r) !=
	    TP_OK)
		return (-1);
	return (r.when);
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
	if (tb_init(&tr->st, tr->step, tr->grace) == -1) {
		tr->host->log(tr->ctx, TALLY_LOG_ERR, "grace must be at most "
		    "%d steps (step %" PRId64 " s)", TS_RING / 2, tr->step);
		return (-1);
	}
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
	tr->arch.max_line = tr->max_line;
	tr->arch.bufsize = tr->max_line + 1024 * 1024;
	tr->arch.live = (const char *const *)tr->paths;
	tr->arch.nlive = tr->npaths;
	tr->arch.timeof = traffic_line_time;
	tr->arch.timearg = tr;
	tr->importing = tr->arch.nglobs > 0;
	return (0);
}

/*
 * A state file of a version that stamped totals with the read's time:
 * the log-time totals go on from its totals, so the stored series have no
 * step back to 0.
 */
static void
traffic_upgrade(struct traffic *tr)
{
	const struct ts_totals	*t = &tr->st.tot;
	uint64_t		*run = tr->st.b->run;
	size_t			 i;

	run[TS_F_HITS] = t->hits;
	run[TS_F_PAGEVIEWS] = t->pageviews;
	run[TS_F_BYTES] = t->bytes;
	run[TS_F_CRAWLERS] = t->crawlers;
	run[TS_F_MALFORMED] = t->malformed;
	run[TS_F_VISITS] = t->visits;
	for (i = 1; i <= 5; i++)
		run[TS_F_S1 + i - 1] = t->status[i];
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
	} else if (!tr->st.b->loaded)
		traffic_upgrade(tr);
	return (traffic_declare(tr));
}

/* Seconds of a monotonic clock. */
static double
traffic_clock(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* tally_stat_cb: pick the store's queue depth. */
static void
traffic_queue_stat(void *arg, const char *name, enum tally_kind kind,
    double value)
{
	(void)kind;
	if (strcmp(name, "store.queue") == 0)
		*(double *)arg = value;
}

/*
 * Wait while the store's queue is long (an import makes points faster than
 * RRD files take them), so that no point is refused; at most until the
 * monotonic deadline.
 */
static void
traffic_pace(struct traffic *tr, double deadline)
{
	struct timespec	 nap = { 0, 5 * 1000 * 1000 };
	double		 depth;

	for (;;) {
		depth = 0;
		tr->host->stats(tr->ctx, traffic_queue_stat, &depth);
		if (depth < TRAFFIC_QUEUE_HIGH || traffic_clock() > deadline)
			return;
		nanosleep(&nap, NULL);
	}
}

/* Submit one point; count it if refused. */
static void
traffic_put(struct traffic *tr, const char *metric, time_t when, double v)
{
	if (tr->host->submit(tr->ctx, metric, when, v) == -1)
		tr->dropped++;
}

/*
 * Whether a bucket's point may be left out: on the fast preset, minutes
 * older than its minute archive (8 days) are only kept as hours and days,
 * which one point every heartbeat (3 minutes) gives exactly, a third of
 * the writes in an import.  The next point, at most two steps later,
 * carries the left-out bucket's counts in its running totals.
 */
static int
traffic_coarse(const struct traffic *tr, const struct ts_buckets *b,
    size_t i)
{
	const struct ts_out	*o = &b->out[i];

	if (strcmp(tr->preset, "fast") != 0 || tr->step != 60 ||
	    o->when % TRAFFIC_COARSE == 0 || o->when >= tr->now -
	    TRAFFIC_FINE_SPAN)
		return (0);
	/* only between two points of the same run of buckets */
	return (i + 1 < b->nout && b->out[i + 1].kind == TS_O_BUCKET &&
	    b->out[i + 1].when == o->when + tr->step && i > 0 &&
	    b->out[i - 1].kind == TS_O_BUCKET && b->out[i - 1].when ==
	    o->when - tr->step);
}

/* Submit what closing queued, in order: log-time points. */
static void
traffic_emit(struct traffic *tr)
{
	struct ts_buckets	*b = tr->st.b;
	const struct ts_out	*o;
	size_t			 i, f;

	for (i = 0; i < b->nout; i++) {
		o = &b->out[i];
		if (i % 8192 == 0)
			traffic_pace(tr, traffic_clock() + 60);
		switch (o->kind) {
		case TS_O_BUCKET:
			if (traffic_coarse(tr, b, i))
				break;
			for (f = 0; f < TS_NFIG; f++)
				traffic_put(tr, traffic_totals[f], o->when,
				    (double)o->v[f]);
			break;
		case TS_O_DAY:
			for (f = 0; f < 4; f++)
				traffic_put(tr, traffic_daily[f], o->when,
				    (double)o->v[f]);
			break;
		case TS_O_MONTH:
			traffic_put(tr, "visitors.monthly", o->when,
			    (double)o->v[0]);
			break;
		case TS_O_YEAR:
			traffic_put(tr, "visitors.yearly", o->when,
			    (double)o->v[0]);
			break;
		}
	}
	b->nout = 0;
	if (tr->dropped > 0) {
		tr->host->log(tr->ctx, TALLY_LOG_WARNING, "%" PRIu64 " points "
		    "refused by the store (already stored before a restart, "
		    "or its queue was full)", tr->dropped);
		tr->dropped = 0;
	}
}

/* Submit the gauges, stamped with the read's time. */
static void
traffic_gauges_submit(struct traffic *tr)
{
	double	 g[5];
	size_t	 i;

	g[0] = (double)ts_online(&tr->st, tr->now, tr->online_window);
	g[1] = (double)ts_unique(&tr->st, TS_DAY);
	g[2] = (double)ts_unique(&tr->st, TS_MONTH);
	g[3] = (double)ts_unique(&tr->st, TS_YEAR);
	g[4] = (double)(tr->visits_start + tr->st.tot.visits);
	for (i = 0; i < 5; i++)
		traffic_put(tr, traffic_gauges[i], tr->now, g[i]);
}

/*
 * The one place where a read's work becomes durable: submit the points
 * closed so far, wait until the core says they are durable (host sync:
 * in the journal, or in their files without one), then save the
 * checkpoint that says they were.  A crash before the save re-reads the
 * lines and submits the same points again, which the store drops as not
 * newer.
 */
static int
traffic_checkpoint(struct traffic *tr)
{
	traffic_emit(tr);
	/* The checkpoint must not say more than storage holds. */
	if (TALLY_HOST_HAS(tr->host, sync) && tr->host->sync(tr->ctx) == -1)
		return (-1);
	return (traffic_save(tr));
}

/* Log and submit the import's progress. */
static void
traffic_import_progress(struct traffic *tr, int done)
{
	struct archive	*a = &tr->arch;
	double		 secs = traffic_clock() - tr->import_t0;
	double		 rate = secs > 0 ? (double)(tr->imp_lines -
			    tr->import_lines0) / secs : 0;

	tr->host->log(tr->ctx, TALLY_LOG_NOTICE, "import%s: %" PRIu64 " of %"
	    PRIu64 " archives, %.1f of %.1f MiB, %" PRIu64 " lines, %.0f "
	    "lines/s", done ? " done" : "", a->files_done, a->files_total,
	    (double)a->bytes_done / 1048576, (double)a->bytes_total / 1048576,
	    a->lines, rate);
	/* What tallyctl plugins shows: how far the import is, or that it ended. */
	if (TALLY_HOST_HAS(tr->host, status))
		tr->host->status(tr->ctx, "import%s %" PRIu64 "/%" PRIu64
		    " archives, %.1f/%.1f MiB, %.0f lines/s", done ? " done" :
		    "", a->files_done, a->files_total,
		    (double)a->bytes_done / 1048576,
		    (double)a->bytes_total / 1048576, rate);
	traffic_put(tr, traffic_progress[0], tr->now, (double)a->files_total);
	traffic_put(tr, traffic_progress[1], tr->now, (double)a->files_done);
	traffic_put(tr, traffic_progress[2], tr->now, (double)a->bytes_total);
	traffic_put(tr, traffic_progress[3], tr->now, (double)a->bytes_done);
	traffic_put(tr, traffic_progress[4], tr->now, rate);
}

/* List the archives still to import; 0 when there are none. */
static int
traffic_import_plan(struct traffic *tr)
{
	struct archive	*a = &tr->arch;
	char		 err[512];
	size_t		 i;
	int		 n;

	n = archive_plan(a, err, sizeof(err));
	if (err[0] != '\0' && strcmp(err, tr->arch_err) != 0)	/* once */
		tr->host->log(tr->ctx, TALLY_LOG_WARNING, "archive %s", err);
	snprintf(tr->arch_err, sizeof(tr->arch_err), "%s", err);
	if (n <= 0)
		return (0);
	a->files_total = a->files_done + a->nplan;
	a->bytes_total = a->bytes_done;
	for (i = 0; i < a->nplan; i++)
		a->bytes_total += (uint64_t)a->cache[a->plan[i]].size;
	if (!tr->import_logged) {
		tr->import_logged = 1;
		tr->import_t0 = traffic_clock();
		tr->import_lines0 = tr->imp_lines;
	}
	return (n);
}

/* Sleep while the import runs ahead of import_rate (a gentler import). */
static void
traffic_throttle(struct traffic *tr, double deadline)
{
	struct timespec	 nap = { 0, 10 * 1000 * 1000 };
	double		 ahead;

	if (tr->import_rate == 0)
		return;
	ahead = (double)(tr->imp_lines - tr->import_lines0) /
	    (double)tr->import_rate - (traffic_clock() - tr->import_t0);
	while (ahead > 0 && traffic_clock() < deadline) {
		nanosleep(&nap, NULL);
		ahead -= 0.01;
	}
}

/* Count a batch of facts from the import worker, in order. */
static void
traffic_count_batch(struct traffic *tr, const struct import_batch *b)
{
	const struct ts_fact	*f;
	const struct import_bad	*bad;
	enum tp_error		 e;
	size_t			 i, j;

	for (i = 0; i < b->n; i++) {
		f = &b->facts[i];
		if (f->first)
			tr->imp_newest = 0;
		if (f->status < 0) {	/* malformed, as the worker parsed it */
			e = (enum tp_error)-f->status;
			ts_bad(&tr->st, e);
		} else if ((e = ts_add_fact(&tr->st, f, tr->now,
		    &tr->imp_newest)) == TP_OK)
			continue;
		tr->bad_this_read++;
		if (tr->complained >= TRAFFIC_COMPLAIN)
			continue;
		for (j = 0, bad = NULL; j < b->nbad && bad == NULL; j++)
			bad = b->bad[j].idx == i ? &b->bad[j] : NULL;
		if (bad == NULL)
			continue;
		tr->complained++;
		tr->host->log(tr->ctx, TALLY_LOG_WARNING, "%s:%" PRIu64 ": "
		    "malformed line (%s)%s%s", bad->file, bad->lineno,
		    tp_error_name(e), bad->text[0] != '\0' ? ": " : "",
		    bad->text);
	}
	tr->imp_lines += b->n;
}

/*
 * Import archives for up to import_time: returns when they are all done
 * (and none appeared meanwhile) or the time is up.  A worker thread reads
 * and parses (import.c) while this one counts.
 */
static void
traffic_import(struct traffic *tr)
{
	struct archive		*a = &tr->arch;
	struct import		*im = &tr->imp;
	struct import_batch	*b;
	char			 err[512];
	double			 deadline = traffic_clock() +
				    (double)tr->import_time;
	int			 rc, stopping;
	unsigned int		 batches = 0;

	if (a->next >= a->nplan && a->gz == NULL && traffic_import_plan(tr) ==
	    0) {
		tr->importing = 0;
		return;
	}
	while (traffic_clock() < deadline) {
		im->arch = a;
		im->fmt = &tr->fmt;
		im->mode = tr->mode;
		im->seed = tr->st.seed;
		im->profile = tr->profile;
		im->chunk = tr->import_rate > 0 ? 64 * 1024 : TRAFFIC_CHUNK;
		if (import_start(im) == -1) {
			tr->host->log(tr->ctx, TALLY_LOG_ERR, "import: cannot "
			    "start a thread");
			break;
		}
		stopping = 0;
		while ((b = import_next(im)) != NULL) {
			traffic_count_batch(tr, b);
			import_release(im);
			traffic_emit(tr);
			/* bound the visit map */
			if (++batches % 64 == 0)
				ts_expire(&tr->st, tr->now,
				    tr->online_window);
			traffic_throttle(tr, deadline);
			if (!stopping && traffic_clock() >= deadline) {
				import_stop(im);
				stopping = 1;
			}
		}
		rc = import_finish(im, err, sizeof(err));
		if (rc == -1)
			tr->host->log(tr->ctx, TALLY_LOG_ERR, "archive %s",
			    err);
		if (rc != 1 && traffic_import_plan(tr) == 0) {
			tr->importing = 0;
			break;
		}
	}
	traffic_import_progress(tr, !tr->importing);
}

/*
 * Remember the first line of every live log as read: when logrotate moves
 * it among the archives, it is not imported again.
 */
static void
traffic_mark_live(struct traffic *tr)
{
	uint64_t	 key;
	dev_t		 dev;
	ino_t		 ino;
	size_t		 i;

	if (tr->arch.nglobs == 0)
		return;
	for (i = 0; i < tr->npaths; i++) {
		if (archive_first_key(tr->paths[i], tr->max_line, &key, &dev,
		    &ino) == -1 || key == 0)
			continue;
		if (key == tr->live_key[i] && dev == tr->live_dev[i] &&
		    ino == tr->live_ino[i])
			continue;
		archive_mark(&tr->arch, key);
		tr->live_key[i] = key;
		tr->live_dev[i] = dev;
		tr->live_ino[i] = ino;
	}
}

/* Whether every live log has been read to its end. */
static int
traffic_caught_up(const struct traffic *tr)
{
	const struct tail	*t;
	struct stat		 st;
	size_t			 i;

	for (i = 0; i < tr->ntails; i++) {
		t = &tr->tails[i];
		if (t->old.fd >= 0 || (t->cur.fd >= 0 && (fstat(t->cur.fd,
		    &st) == -1 || t->cur.off < st.st_size)))
			return (0);
	}
	return (1);
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
	if (!tr->importing && tr->arch.nglobs > 0) {
		/* archives that appeared since, other than live files */
		traffic_mark_live(tr);
		tr->import_logged = 0;
		if (traffic_import_plan(tr) > 0)
			tr->importing = 1;
	}
	if (tr->importing)
		traffic_import(tr);
	if (!tr->importing) {
		traffic_mark_live(tr);
		for (i = 0; i < tr->ntails; i++) {
			if (tail_poll(&tr->tails[i], traffic_line, tr) == -1) {
				tr->host->log(tr->ctx, TALLY_LOG_ERR, "%s: "
				    "read: %s", tr->paths[i],
				    traffic_strerror(eb, sizeof(eb)));
				failed = 1;
			}
		}
		if (traffic_caught_up(tr))
			tb_close(&tr->st, tr->now - tr->grace);
	}
	if (tr->bad_this_read > tr->complained)
		tr->host->log(tr->ctx, TALLY_LOG_WARNING, "%" PRIu64 " more "
		    "malformed lines in this read", tr->bad_this_read -
		    tr->complained);
	ts_expire(&tr->st, tr->now, tr->online_window);
	traffic_gauges_submit(tr);
	if (traffic_checkpoint(tr) == -1)
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
	archive_free(&tr->arch);
	import_free(&tr->imp);
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
