/*
 * test_config.c - config_load on fixture files written to a mkdtemp dir:
 * typed values and defaults, every error with its exact file:line, inih's
 * rules as Debian builds it, retention arithmetic, reload comparisons.
 */
#include <sys/queue.h>
#include <sys/stat.h>

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertconf.h"
#include "config.h"
#include "notify.h"
#include "plugin.h"
#include "retention.h"
#include "util.h"
#include "tap.h"

#ifndef TALLY_PLUGIN_DIR
#define TALLY_PLUGIN_DIR	"/usr/local/lib/tallyd"
#endif
#ifndef TALLY_LOCALSTATEDIR
#define TALLY_LOCALSTATEDIR	"/usr/local/var"
#endif
#ifndef TALLY_RUNSTATEDIR
#define TALLY_RUNSTATEDIR	"/usr/local/var/run"
#endif

#define YEAR_S	(365UL * 86400)

static char	 tmpdir[PATH_MAX];

/* Write a fixture file into the temporary directory; returns its path. */
static char *
fixture(const char *name, const char *text)
{
	char	*path;
	FILE	*fp;

	if (asprintf(&path, "%s/%s", tmpdir, name) == -1)
		abort();
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF) {
		perror(path);
		exit(1);
	}
	return (path);
}

static struct config *
load(const char *name, const char *text, struct config_errors *errs,
    char **pathp)
{
	struct config	*cf;
	char		*path;

	path = fixture(name, text);
	cf = config_load(path, errs);
	if (pathp != NULL)
		*pathp = path;
	else
		free(path);
	return (cf);
}

/* Load a config that must be good; print its errors if it is not. */
static struct config *
load_good(const char *name, const char *text)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cf;
	size_t			 i;

	cf = load(name, text, &errs, NULL);
	ok(cf != NULL && errs.n == 0, "%s loads without errors", name);
	for (i = 0; i < errs.n; i++)
		printf("#   %s\n", errs.msg[i]);
	config_errors_clear(&errs);
	return (cf);
}

/* want[] holds "LINE: message"; each must match errs in order. */
static void
check_errors(const char *what, const struct config_errors *errs,
    const char *path, const char *const *want)
{
	char	 buf[1024], name[256];
	size_t	 i, n;

	for (n = 0; want[n] != NULL; n++)
		;
	snprintf(name, sizeof(name), "%s: %zu errors", what, n);
	is_int(errs->n, n, name);
	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%s:%s", path, want[i]);
		snprintf(name, sizeof(name), "%s: error %zu", what, i + 1);
		is_str(i < errs->n ? errs->msg[i] : NULL, buf, name);
	}
	for (i = n; i < errs->n; i++)
		printf("#   extra: %s\n", errs->msg[i]);
}

/* Load text that must fail and compare every error. */
static void
load_bad(const char *what, const char *text, const char *const *want)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cf;
	char			*path;

	cf = load("bad.conf", text, &errs, &path);
	ok(cf == NULL, "%s: config_load returns NULL", what);
	check_errors(what, &errs, path, want);
	config_free(cf);
	config_errors_clear(&errs);
	free(path);
}

static char *
in_tmp(const char *rel)
{
	char	*s;

	if (asprintf(&s, "%s/%s", tmpdir, rel) == -1)
		abort();
	return (s);
}

static void
is_path(const char *got, const char *rel, const char *name)
{
	char	*want = in_tmp(rel);

	is_str(got, want, name);
	free(want);
}

static struct plugin_conf *
plugin_nth(const struct config *cf, int n)
{
	struct config_item	*it;

	CONFIG_FOREACH(it, cf, &plugin_section) {
		if (n-- == 0)
			return (config_data(it));
	}
	return (NULL);
}

static void
test_good(void)
{
	struct config			*cf;
	const struct retention		*r;
	const struct plugin_conf	*pc;

	cf = load_good("good.conf",
	    "; a full config\n"				/* 1 */
	    "# every key set\n"
	    "[daemon]\n"
	    "pidfile = run/tallyd.pid\n"
	    "user = tally\n"				/* 5 */
	    "plugin_dir = ./plugins\n"
	    "statedir = /var/lib/x/state\n"
	    "log_level = debug\n"
	    "read_threads = 8\n"
	    "shutdown_timeout = 2500ms\n"		/* 10 */
	    "\n"
	    "[storage]\n"
	    "datadir = data/rrd ; inline comment\n"
	    "rrdcached = unix:/run/rrdcached.sock\n"
	    "queue_max = 5k\n"				/* 15 */
	    "write_delay = 1s500ms\n"
	    "retention = mine\n"
	    "\n"
	    "[retention mine]\n"
	    "step = 5m\n"				/* 20 */
	    "heartbeat = 10m\n"
	    "xff = 0.25\n"
	    "rra = AVERAGE:5m:1w\n"
	    "  MAX:1h:1y\n"
	    "rra = LAST:1d:10y\n"			/* 25 */
	    "\n"
	    "[plugin demo]\n"
	    "amplitude = 10\n"
	    "\n"
	    "[plugin selfstat x]\n"			/* 30 */
	    "interval = 1m\n"
	    "jitter = 5s\n"
	    "timeout = 30s\n"
	    "max_backoff = 2h\n"
	    "retention = slow\n"			/* 35 */
	    "file = lib/selfstat.so\n"
	    "path = a=b ; comment\n"
	    "path = second\n"
	    "url: http://x/#frag\n");
	if (cf == NULL)
		return;
	is_path(cf->path, "good.conf", "path is absolute");
	is_path(cf->pidfile, "run/tallyd.pid", "pidfile relative to file");
	is_str(cf->user, "tally", "user");
	is_path(cf->plugin_dir, "plugins", "plugin_dir drops ./");
	is_str(cf->statedir, "/var/lib/x/state", "absolute statedir kept");
	is_int(cf->verbose, 1, "log_level debug");
	is_int(cf->read_threads, 8, "read_threads");
	is_int(cf->shutdown_timeout, 2500, "shutdown_timeout in ms");
	is_path(cf->datadir, "data/rrd", "datadir, inline comment cut");
	is_str(cf->rrdcached, "unix:/run/rrdcached.sock", "rrdcached");
	is_int(cf->queue_max, 5000, "queue_max 5k");
	is_int(cf->write_delay, 1500, "write_delay 1s500ms");
	is_str(cf->default_retention, "mine", "storage retention");

	r = retention_find(cf, "mine");
	ok(r != NULL, "retention mine exists");
	if (r != NULL) {
		is_int(r->step, 300, "mine: step 5m in seconds");
		is_int(r->heartbeat, 600, "mine: heartbeat");
		is_int(r->builtin, 0, "mine: not built in");
		is_int(r->line, 19, "mine: line of its header");
		is_int(r->nrra, 3, "mine: three rras (one continued)");
	}
	if (r != NULL && r->nrra == 3) {
		is_str(r->rra[0].cf, "AVERAGE", "mine rra 0 cf");
		is_int(r->rra[0].steps, 1, "mine rra 0 steps");
		is_int(r->rra[0].rows, 2016, "mine rra 0 rows: 1w / 5m");
		ok(r->rra[0].xff == 0.25, "mine rra 0 xff 0.25");
		is_str(r->rra[1].cf, "MAX", "continued rra cf");
		is_int(r->rra[1].steps, 12, "continued rra steps: 1h / 5m");
		is_int(r->rra[1].rows, 8760, "continued rra rows: 1y / 1h");
		is_str(r->rra[2].cf, "LAST", "mine rra 2 cf");
		is_int(r->rra[2].steps, 288, "mine rra 2 steps: 1d / 5m");
		is_int(r->rra[2].rows, 3650, "mine rra 2 rows: 10y / 1d");
	}

	pc = plugin_nth(cf, 0);
	ok(pc != NULL, "first plugin section");
	if (pc != NULL) {
		is_str(pc->plugin, "demo", "demo: name");
		is_str(pc->instance, "default", "demo: instance defaults");
		is_int(pc->line, 27, "demo: line");
		is_int(pc->interval, 10000, "demo: interval default 10s");
		is_int(pc->jitter, 1000, "demo: jitter default 1s");
		is_int(pc->timeout, 10000, "demo: timeout = interval");
		is_int(pc->max_backoff, 3600000, "demo: max_backoff 1h");
		is_str(pc->retention, NULL, "demo: no retention of its own");
		is_str(pc->file, NULL, "demo: file from plugin_dir");
		is_int(pc->nopts, 1, "demo: one opt");
	}
	if (pc != NULL && pc->nopts == 1) {
		is_str(pc->opts[0].key, "amplitude", "demo: opt key");
		is_str(pc->opts[0].value, "10", "demo: opt value");
		is_int(pc->opts[0].line, 28, "demo: opt line");
	}

	pc = plugin_nth(cf, 1);
	ok(pc != NULL, "second plugin section");
	if (pc != NULL) {
		is_str(pc->plugin, "selfstat", "selfstat: name");
		is_str(pc->instance, "x", "selfstat: instance");
		is_int(pc->interval, 60000, "selfstat: interval 1m");
		is_int(pc->jitter, 5000, "selfstat: jitter 5s");
		is_int(pc->timeout, 30000, "selfstat: timeout 30s");
		is_int(pc->max_backoff, 7200000, "selfstat: max_backoff 2h");
		is_str(pc->retention, "slow", "selfstat: retention");
		is_path(pc->file, "lib/selfstat.so", "selfstat: file");
		is_int(pc->nopts, 3, "selfstat: three opts");
	}
	if (pc != NULL && pc->nopts == 3) {
		is_str(pc->opts[0].value, "a=b", "opt: first '=' splits");
		is_int(pc->opts[0].line, 37, "opt 0 line");
		is_str(pc->opts[1].key, "path", "opt: repeated key kept");
		is_str(pc->opts[1].value, "second", "opt 1 value");
		is_int(pc->opts[1].line, 38, "opt 1 line");
		is_str(pc->opts[2].key, "url", "opt: ':' separates");
		is_str(pc->opts[2].value, "http://x/#frag",
		    "opt: '#' inside a value is kept");
	}
	ok(plugin_nth(cf, 2) == NULL, "two plugin sections");
	config_free(cf);
}

static void
test_defaults(void)
{
	struct config	*cf;

	cf = load_good("empty.conf", "");
	if (cf == NULL)
		return;
	is_str(cf->pidfile, TALLY_RUNSTATEDIR "/tallyd.pid", "default pidfile");
	is_str(cf->user, NULL, "default user: none");
	is_str(cf->plugin_dir, TALLY_PLUGIN_DIR, "default plugin_dir");
	is_str(cf->statedir, TALLY_LOCALSTATEDIR "/lib/tallyd/state",
	    "default statedir");
	is_int(cf->verbose, 0, "default log_level info");
	is_int(cf->read_threads, 4, "default read_threads");
	is_int(cf->shutdown_timeout, 5000, "default shutdown_timeout");
	is_str(cf->datadir, TALLY_LOCALSTATEDIR "/lib/tallyd/rrd",
	    "default datadir");
	is_str(cf->rrdcached, NULL, "default rrdcached: none");
	is_int(cf->queue_max, 1000000, "default queue_max");
	is_int(cf->write_delay, 0, "default write_delay");
	is_str(cf->default_retention, "fast", "default retention");
	ok(plugin_nth(cf, 0) == NULL, "no plugins");
	config_free(cf);

	cf = load_good("none.conf", "[daemon]\npidfile =\nuser =\n"
	    "[storage]\nrrdcached =\n");
	if (cf == NULL)
		return;
	is_str(cf->pidfile, NULL, "empty pidfile: none");
	is_str(cf->user, NULL, "empty user: none");
	is_str(cf->rrdcached, NULL, "empty rrdcached: none");
	config_free(cf);
}

/* Only socket_mode is octal; a count with a leading 0 is still decimal. */
static void
test_octal(void)
{
	struct config	*cf;

	cf = load_good("octal.conf", "[daemon]\nsocket_mode = 0640\n"
	    "max_clients = 010\nread_threads = 08\n"
	    "[storage]\nqueue_max = 0100\n");
	if (cf == NULL)
		return;
	is_int(cf->socket_mode, 0640, "socket_mode 0640 is octal");
	is_int(cf->max_clients, 10, "max_clients 010 is ten");
	is_int(cf->read_threads, 8, "read_threads 08 is eight");
	is_int(cf->queue_max, 100, "queue_max 0100 is a hundred");
	config_free(cf);
}

static unsigned long
longest(const struct retention *r)
{
	unsigned long	 s, max = 0;
	size_t		 i;

	for (i = 0; i < r->nrra; i++) {
		s = r->step * r->rra[i].steps * r->rra[i].rows;
		if (s > max)
			max = s;
	}
	return (max);
}

static void
check_rra(const struct retention *r, size_t i, const char *cf,
    unsigned long steps, unsigned long rows)
{
	char	 name[128];

	snprintf(name, sizeof(name), "%s rra %zu: %s %lu x %lu", r->name, i,
	    cf, steps, rows);
	ok(i < r->nrra && strcmp(r->rra[i].cf, cf) == 0 &&
	    r->rra[i].steps == steps && r->rra[i].rows == rows &&
	    r->rra[i].xff == 0.5, "%s", name);
}

static void
test_builtins(void)
{
	struct config		*cf;
	const struct retention	*r;

	if ((cf = load_good("builtin.conf", "")) == NULL)
		return;
	r = config_data(config_next(cf, &retention_section, NULL));
	ok(r != NULL && strcmp(r->name, "fast") == 0 && r->builtin,
	    "fast is the first preset, built in");
	if ((r = retention_find(cf, "fast")) != NULL) {
		is_int(r->step, 60, "fast: step");
		is_int(r->heartbeat, 180, "fast: heartbeat");
		is_int(r->nrra, 5, "fast: 5 rras");
		check_rra(r, 0, "AVERAGE", 1, 11520);
		check_rra(r, 1, "AVERAGE", 60, 43800);
		check_rra(r, 2, "MAX", 60, 43800);
		check_rra(r, 3, "AVERAGE", 1440, 7300);
		check_rra(r, 4, "MAX", 1440, 7300);
		ok(longest(r) >= 10 * YEAR_S, "fast keeps 10 years or more");
	}
	ok((r = retention_find(cf, "slow")) != NULL && r->builtin,
	    "slow is built in");
	if (r != NULL) {
		is_int(r->step, 86400, "slow: step");
		is_int(r->heartbeat, 2 * YEAR_S, "slow: heartbeat 2y");
		is_int(r->nrra, 5, "slow: 5 rras");
		check_rra(r, 0, "AVERAGE", 1, 14600);
		check_rra(r, 1, "LAST", 1, 14600);
		check_rra(r, 2, "AVERAGE", 30, 1217);
		check_rra(r, 3, "LAST", 30, 1217);
		check_rra(r, 4, "LAST", 365, 100);
		ok(longest(r) >= 10 * YEAR_S, "slow keeps 10 years or more");
	}
	ok(retention_find(cf, "nosuch") == NULL, "no preset nosuch");
	config_free(cf);
}

static void
test_errors(void)
{
	static const char *const want[] = {
		"1: key 'key' outside any section",
		"4: duplicate key 'pidfile' in [daemon] (first at line 3)",
		"5: unknown key 'bogus' in [daemon]",
		"6: bad value '100' for read_threads: must be 1..64",
		"7: bad value 'loud' for log_level: use one of info, debug",
		"8: expected 'key = value' or '[section]'",
		"9: section header without closing ']'",
		"11: unknown section [nosuch]",
		"14: bad value '10x' for interval: unknown unit "
		    "(use ms, s, m, h, d, w or y)",
		"15: duplicate section [plugin demo default] "
		    "(first at line 13)",
		"17: [retention fast] would redefine a built-in preset",
		"18: bad plugin name 'Bad': use 1 to 64 of a-z, 0-9, _ and -",
		"19: text after ']'",
		"20: bad value '50' for queue_max: must be 100..100000000",
		"21: bad value '-1s' for write_delay: must not be negative",
		"22: bad section [daemon x]: use [daemon]",
		"23: bad section [plugin]: use [plugin NAME] or "
		    "[plugin NAME INSTANCE]",
		"25: missing key before '='",
		NULL
	};

	load_bad("many errors",
	    "key = outside\n"				/* 1 */
	    "[daemon]\n"
	    "pidfile = /a\n"
	    "pidfile = /b\n"
	    "bogus = 1\n"				/* 5 */
	    "read_threads = 100\n"
	    "log_level = loud\n"
	    "just some words\n"
	    "[storage\n"
	    "queue_max = 1\n"				/* 10 */
	    "[nosuch]\n"
	    "x = 1\n"
	    "[plugin demo]\n"
	    "interval = 10x\n"
	    "[plugin demo default]\n"			/* 15 */
	    "a = 1\n"
	    "[retention fast]\n"
	    "[plugin Bad]\n"
	    "[storage] x\n"
	    "queue_max = 50\n"				/* 20 */
	    "write_delay = -1s\n"
	    "[daemon x]\n"
	    "[plugin]\n"
	    "[daemon]\n"
	    "= value\n", want);				/* 25 */
}

static void
test_long_lines(void)
{
	static const char *const want[] = {
		"3: line too long (at most 199 bytes)",
		"5: unknown key 'nokey' in [daemon]",
		"7: line too long (at most 199 bytes)",
		NULL
	};
	struct config			*cf;
	const struct plugin_conf	*pc;
	char				 text[2048], v199[200], v200[201];
	char				 v250[260], *p;

	memset(v250, 'a', 250 - 4);
	v250[250 - 4] = '\0';		/* "x = " + 246 = 250 bytes */
	snprintf(text, sizeof(text), "[daemon]\nuser = u\nx = %s\n\n"
	    "nokey = 1\n[plugin demo]\nv = %s\n", v250, v250);
	load_bad("250-byte lines", text, want);

	memset(v199, 'b', 199 - 4);
	v199[199 - 4] = '\0';
	memset(v200, 'c', 200 - 4);
	v200[200 - 4] = '\0';
	snprintf(text, sizeof(text), "[plugin demo]\nk = %s\n", v199);
	cf = load_good("199.conf", text);
	pc = cf != NULL ? plugin_nth(cf, 0) : NULL;
	ok(pc != NULL && pc->nopts == 1 && strcmp(pc->opts[0].value, v199)
	    == 0, "a 199-byte line is read whole");
	config_free(cf);

	snprintf(text, sizeof(text), "[plugin demo]\nk = %s\r\n", v199);
	cf = load_good("199crlf.conf", text);
	config_free(cf);

	{
		static const char *const want200[] = {
			"2: line too long (at most 199 bytes)", NULL };

		snprintf(text, sizeof(text), "[plugin demo]\nk = %s\n", v200);
		load_bad("200-byte line", text, want200);
	}
	/* A too long header: its keys are skipped, not misfiled. */
	p = text + snprintf(text, sizeof(text), "[plugin demo]\n[plugin ");
	memset(p, 'z', 200);
	snprintf(p + 200, 40, "]\ninterval = 1s\ninterval = 2s\n");
	{
		static const char *const wanthdr[] = {
			"2: line too long (at most 199 bytes)", NULL };

		load_bad("long header", text, wanthdr);
	}
}

static void
test_missing(void)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cf;
	char			*path, want[PATH_MAX + 64];

	path = in_tmp("nosuch.conf");
	cf = config_load(path, &errs);
	ok(cf == NULL, "missing file: NULL");
	is_int(errs.n, 1, "missing file: one error");
	snprintf(want, sizeof(want), "%s: No such file or directory", path);
	is_str(errs.n > 0 ? errs.msg[0] : NULL, want, "missing file message");
	config_errors_clear(&errs);
	is_int(errs.n, 0, "config_errors_clear empties");
	free(path);
}

static void
test_relative(void)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cf;
	char			 old[PATH_MAX], *path;

	path = in_tmp("sub");
	if (mkdir(path, 0700) == -1)
		perror(path);
	free(path);
	path = fixture("sub/rel.conf", "[daemon]\nstatedir = ./state\n"
	    "plugin_dir = ../plugins\n[storage]\ndatadir = rrd\n");
	free(path);
	if (getcwd(old, sizeof(old)) == NULL || chdir(tmpdir) == -1)
		abort();
	cf = config_load("sub/rel.conf", &errs);
	ok(cf != NULL, "relative config path loads");
	if (cf != NULL) {
		is_path(cf->path, "sub/rel.conf", "path made absolute");
		is_path(cf->statedir, "sub/state", "./state under its dir");
		is_path(cf->plugin_dir, "sub/../plugins", "../ kept");
		is_path(cf->datadir, "sub/rrd", "datadir under its dir");
	}
	config_free(cf);
	free(fixture("sub/relbad.conf",
	    "[daemon]\nuser = x\nread_threads = 0\n"));
	cf = config_load("sub/relbad.conf", &errs);
	is_str(errs.n > 0 ? errs.msg[0] : NULL, "sub/relbad.conf:3: bad value "
	    "'0' for read_threads: must be 1..64", "errors name the file as "
	    "given");
	config_errors_clear(&errs);
	if (chdir(old) == -1)
		abort();
}

static void
check_duration(const char *s, unsigned long long want, const char *why)
{
	const char		*errstr = "unset";
	unsigned long long	 v;
	char			 name[128];

	v = util_duration(s, &errstr);
	snprintf(name, sizeof(name), "duration '%s'", s);
	if (why == NULL) {
		ok(errstr == NULL && v == want, "%s = %llu ms", name, want);
		if (errstr != NULL || v != want)
			printf("#   got %llu (%s)\n", v, errstr ? errstr : "");
	} else
		is_str(errstr, why, name);
}

static void
test_durations(void)
{
	static const char *const want[] = {
		"2: bad value '-5s' for interval: must not be negative",
		"3: bad value '10x' for timeout: unknown unit "
		    "(use ms, s, m, h, d, w or y)",
		"4: bad value '2y' for jitter: must be 0..1d",
		"5: bad value '50ms' for max_backoff: must be 1s..1y",
		NULL
	};

	check_duration("10s", 10000, NULL);
	check_duration("5m", 300000, NULL);
	check_duration("1h", 3600000, NULL);
	check_duration("1d", 86400000, NULL);
	check_duration("1w", 604800000, NULL);
	check_duration("2y", 2ULL * 365 * 86400000, NULL);
	check_duration("90", 90000, NULL);
	check_duration("0", 0, NULL);
	check_duration("250ms", 250, NULL);
	check_duration("1h30m", 5400000, NULL);
	check_duration("10x", 0, "unknown unit (use ms, s, m, h, d, w or y)");
	check_duration("-5s", 0, "must not be negative");
	check_duration("1h30", 0, "unknown unit (use ms, s, m, h, d, w or y)");
	check_duration("5min", 0, "unknown unit (use ms, s, m, h, d, w or y)");
	check_duration("", 0,
	    "not a duration (a number with ms, s, m, h, d, w or y)");
	check_duration("s", 0,
	    "not a duration (a number with ms, s, m, h, d, w or y)");
	check_duration("1.5h", 0, "unknown unit (use ms, s, m, h, d, w or y)");
	check_duration("99999999999999999999", 0, "too large");
	check_duration("600000000y", 0, "too large");

	load_bad("bad durations", "[plugin demo]\n"
	    "interval = -5s\n"
	    "timeout = 10x\n"
	    "jitter = 2y\n"
	    "max_backoff = 50ms\n", want);
}

static void
test_rra(void)
{
	struct config		*cf;
	const struct retention	*r;

	cf = load_good("rra.conf", "[retention r]\nstep = 60\n"
	    "rra = AVERAGE:1h:5y\nrra = MIN:1w:1y\n[retention s]\n"
	    "rra = AVERAGE:1d:1y\n");
	if (cf != NULL && (r = retention_find(cf, "r")) != NULL &&
	    r->nrra == 2) {
		is_int(r->heartbeat, 180, "heartbeat defaults to 3 * step");
		is_int(r->rra[0].steps, 60, "1h rows of a 60 s step: 60 steps");
		is_int(r->rra[0].rows, 43800, "5y of hours: 43800 rows");
		is_int(r->rra[1].steps, 10080, "1w: 10080 steps");
		is_int(r->rra[1].rows, 53, "1y of weeks rounds up: 53 rows");
		ok(r->rra[0].xff == 0.5, "xff defaults to 0.5");
	} else
		ok(0, "retention r with two rras");
	if (cf != NULL && (r = retention_find(cf, "s")) != NULL)
		is_int(r->step, 60, "step defaults to 60 s");
	config_free(cf);
}

/* Every rra error, each at the line of its rra, sorted by line. */
static void
test_rra_errors(void)
{
	static const char *const want[] = {
		"2: rra 'AVERAGE:90s:1d': resolution 90s is not a multiple of "
		    "step 1m",
		"3: bad rra 'MEDIAN:1h:1d': CF must be AVERAGE, MIN, MAX or "
		    "LAST",
		"4: bad rra 'AVERAGE:1h': use CF:RESOLUTION:SPAN",
		"6: rra 'AVERAGE:1d:1h': span is shorter than resolution 1d",
		"7: rra 'MAX:1m:1000y': 525600000 rows, at most 10000000",
		"8: bad value '1' for xff: must be at least 0, less than 1",
		"10: rra 'AVERAGE:2m:2d': another rra has the same CF and "
		    "resolution",
		"11: bad rra 'LAST:0:1d': '0': must be at least 1s",
		"12: bad rra 'LAST:1h:1q': '1q': unknown unit "
		    "(use ms, s, m, h, d, w or y)",
		"13: [retention empty] has no rra",
		"14: [retention whole] has no rra",
		"15: bad value '1500ms' for step: must be whole seconds",
		"16: bad retention name 'Big': use 1 to 64 of a-z, 0-9, _ "
		    "and -",
		"17: duplicate section [retention r] (first at line 1)",
		NULL
	};

	load_bad("rra errors",
	    "[retention r]\n"				/* 1 */
	    "rra = AVERAGE:90s:1d\n"
	    "rra = MEDIAN:1h:1d\n"
	    "rra = AVERAGE:1h\n"
	    "step = 60s\n"				/* 5 */
	    "rra = AVERAGE:1d:1h\n"
	    "rra = MAX:1m:1000y\n"
	    "xff = 1\n"
	    "rra = AVERAGE:2m:1d\n"
	    "rra = AVERAGE:2m:2d\n"			/* 10 */
	    "rra = LAST:0:1d\n"
	    "rra = LAST:1h:1q\n"
	    "[retention empty]\n"
	    "[retention whole]\n"
	    "step = 1500ms\n"				/* 15 */
	    "[retention Big]\n"
	    "[retention r]\n"
	    "rra = AVERAGE:1m:1d\n", want);
}

static void
test_refs(void)
{
	static const char *const want[] = {
		"2: unknown retention 'nosuch'",
		"6: unknown retention 'missing'",
		NULL
	};
	struct config	*cf;

	load_bad("retention references",
	    "[storage]\n"
	    "retention = nosuch\n"
	    "[plugin a]\n"
	    "retention = later\n"
	    "[plugin b]\n"
	    "retention = missing\n"			/* 6 */
	    "[retention later]\n"
	    "rra = AVERAGE:1m:1d\n", want);
	cf = load_good("refs.conf", "[plugin a]\nretention = later\n"
	    "[storage]\nretention = slow\n[retention later]\n"
	    "rra = AVERAGE:1m:1d\n");
	if (cf != NULL)
		is_str(cf->default_retention, "slow",
		    "built-in named by storage");
	config_free(cf);
}

static void
test_plugins(void)
{
	static const char *const want[] = {
		"3: duplicate key 'interval' in [plugin demo] "
		    "(first at line 2)",
		"5: indented line continues 'timeout', which takes one value",
		"6: jitter 10s must be less than interval 10s",
		"7: max_backoff 5s is less than interval 10s",
		"8: bad key 'two words' in [plugin demo]: use 1 to 64 of a-z, "
		    "A-Z, 0-9, _, - and .",
		"9: bad instance name 'A': use 1 to 64 of a-z, 0-9, _ and -",
		"10: bad plugin name 'x.y': use 1 to 64 of a-z, 0-9, _ and -",
		"10: bad instance name 'a/b': use 1 to 64 of a-z, 0-9, _ and -",
		NULL
	};
	static const char *const want_jitter[] = {
		"3: bad value 'soon' for jitter: not a duration (a number "
		    "with ms, s, m, h, d, w or y)",
		NULL
	};
	struct config			*cf;
	const struct plugin_conf	*pc;

	cf = load_good("plugins.conf",
	    "[plugin fast]\ninterval = 500ms\n"
	    "[plugin slow one]\ninterval = 2h\n"
	    "[plugin demo]\n"
	    "list = a\n"				/* 6 */
	    "\n"
	    "  b ; continued after a blank line\n"	/* 8 */
	    "list = c\n"
	    "   ; an indented comment\n"
	    "Mixed.Case-key_1 = 1\n");
	if (cf == NULL)
		return;
	if ((pc = plugin_nth(cf, 0)) != NULL) {
		is_int(pc->jitter, 250, "jitter default: at most interval / 2");
		is_int(pc->timeout, 500, "timeout default follows interval");
	}
	if ((pc = plugin_nth(cf, 1)) != NULL) {
		is_str(pc->instance, "one", "instance named");
		is_int(pc->max_backoff, 7200000,
		    "max_backoff default: at least interval");
		is_int(pc->jitter, 1000, "jitter default 1s");
	}
	if ((pc = plugin_nth(cf, 2)) != NULL && pc->nopts == 4) {
		ok(strcmp(pc->opts[1].key, "list") == 0 &&
		    strcmp(pc->opts[1].value, "b") == 0 &&
		    pc->opts[1].line == 8, "continuation: same key, own line");
		ok(strcmp(pc->opts[2].value, "c") == 0 && pc->opts[2].line == 9,
		    "repeated opt kept in order");
		is_str(pc->opts[3].key, "Mixed.Case-key_1", "opt key chars");
	} else
		ok(0, "demo has 4 opts");
	config_free(cf);

	load_bad("plugin errors",
	    "[plugin demo]\n"
	    "interval = 10s\n"
	    "interval = 20s\n"
	    "timeout = 1s\n"
	    "  2s\n"					/* 5 */
	    "jitter = 10s\n"
	    "max_backoff = 5s\n"
	    "two words = 1\n"
	    "[plugin demo A]\n"
	    "[plugin x.y a/b]\n", want);		/* 10 */
	load_bad("bad jitter, no follow-up error", "[plugin demo]\n"
	    "interval = 500ms\njitter = soon\n", want_jitter);
}

/* inih's rules as Debian builds it: BOM, comments, continuation, ':'. */
static void
test_inih_rules(void)
{
	static const char *const want[] = {
		"3: expected 'key = value' or '[section]'",
		"4: section header without closing ']'",
		"7: unknown key 'jitter' in [daemon]",
		"8: text after ']'",
		NULL
	};
	struct config			*cf;
	const struct plugin_conf	*pc;

	cf = load_good("bom2.conf", "\xef\xbb\xbf[plugin demo] ; comment\n"
	    "# hash comment\n"
	    "a = x;y\n"
	    "b = x ;y\n"
	    "c = x #y\n"
	    "d: e = f\n"
	    "[daemon] # fine\n");
	pc = cf != NULL ? plugin_nth(cf, 0) : NULL;
	if (pc != NULL && pc->nopts == 4) {
		is_str(pc->opts[0].value, "x;y", "';' without space is kept");
		is_str(pc->opts[1].value, "x", "' ;' starts a comment");
		is_str(pc->opts[2].value, "x #y", "'#' only at line start");
		ok(strcmp(pc->opts[3].key, "d") == 0 &&
		    strcmp(pc->opts[3].value, "e = f") == 0,
		    "first ':' or '=' separates");
	} else
		ok(0, "BOM file: demo with 4 opts");
	config_free(cf);

	load_bad("inih syntax",
	    "[daemon]\n"
	    "user = a\n"
	    "no separator\n"
	    "[plugin a ;b]\n"
	    "  indented = in a bad section\n"
	    "[daemon]\n"
	    "  jitter = 1s\n"
	    "[daemon]\tx\n", want);
}

static void
test_same(void)
{
	struct config		*a, *b, *c;
	struct plugin_conf	*pa, *pb;
	struct plugin_opt	 o;
	unsigned long		 v;
	char			*s, three[] = "3", slow[] = "slow";
	char			 file[] = "/x.so";

	a = load_good("same1.conf", "[plugin demo]\nperiod = 60\nrate = 2\n");
	b = load_good("same2.conf", "; moved down\n\n[plugin demo]\n\n"
	    "period = 60\n  ; note\nrate = 2\n");
	c = load_good("same3.conf", "[plugin demo]\nrate = 2\nperiod = 60\n"
	    "[plugin demo other]\nperiod = 60\nrate = 2\n");
	if (a == NULL || b == NULL || c == NULL)
		goto out;
	pa = plugin_nth(a, 0);
	pb = plugin_nth(b, 0);
	ok(plugin_conf_same(pa, pb), "same keys on other lines: same");
	ok(!plugin_conf_same(pa, plugin_nth(c, 0)),
	    "opts in another order: not same");
	ok(!plugin_conf_same(pa, plugin_nth(c, 1)),
	    "other instance: not same");

	s = pb->opts[1].value;
	pb->opts[1].value = three;
	ok(!plugin_conf_same(pa, pb), "other opt value: not same");
	pb->opts[1].value = s;
	o = pb->opts[1];
	pb->nopts = 1;
	ok(!plugin_conf_same(pa, pb), "fewer opts: not same");
	pb->nopts = 2;
	pb->opts[1] = o;

	v = pb->interval;
	pb->interval = 11000;
	ok(!plugin_conf_same(pa, pb), "other interval: not same");
	pb->interval = v;
	pb->timeout++;
	ok(!plugin_conf_same(pa, pb), "other timeout: not same");
	pb->timeout--;
	pb->jitter++;
	ok(!plugin_conf_same(pa, pb), "other jitter: not same");
	pb->jitter--;
	pb->max_backoff++;
	ok(!plugin_conf_same(pa, pb), "other max_backoff: not same");
	pb->max_backoff--;
	pb->retention = slow;
	ok(!plugin_conf_same(pa, pb), "other retention: not same");
	pb->retention = NULL;
	pb->file = file;
	ok(!plugin_conf_same(pa, pb), "other file: not same");
	pb->file = NULL;
	ok(plugin_conf_same(pa, pb), "restored: same again");
out:
	config_free(a);
	config_free(b);
	config_free(c);
}

static void
test_unreloadable(void)
{
	struct config	*a, *b, *c;
	char		*s;

	a = load_good("r1.conf", "[daemon]\nuser = a\n[storage]\n"
	    "rrdcached = /r.sock\n[plugin demo]\n");
	b = load_good("r2.conf", "[daemon]\nuser = a\nlog_level = debug\n"
	    "shutdown_timeout = 1m\n[storage]\nrrdcached = /r.sock\n"
	    "retention = slow\n[retention x]\nrra = MAX:1m:1d\n"
	    "[plugin demo]\ninterval = 1m\n");
	c = load_good("r3.conf", "[daemon]\npidfile = /p\nplugin_dir = /pd\n"
	    "statedir = /s\nread_threads = 2\n[storage]\ndatadir = /d\n"
	    "queue_max = 1000\nwrite_delay = 1s\n");
	if (a == NULL || b == NULL || c == NULL)
		goto out;
	s = config_unreloadable(a, a);
	is_str(s, NULL, "same config: nothing fixed changed");
	free(s);
	s = config_unreloadable(a, b);
	is_str(s, NULL, "log_level, shutdown_timeout, retention, plugins "
	    "reload");
	free(s);
	s = config_unreloadable(a, c);
	is_str(s, "pidfile, user, plugin_dir, statedir, read_threads, "
	    "datadir, rrdcached, queue_max, write_delay",
	    "every fixed key that changed, in table order");
	free(s);
	config_keep_unreloadable(c, a);
	s = config_unreloadable(a, c);
	is_str(s, NULL, "config_keep_unreloadable copies them back");
	free(s);
	is_str(c->user, "a", "kept user copied");
	ok(c->user != a->user, "kept strings are copies");
	is_int(c->verbose, 0, "reloadable keys untouched");
out:
	config_free(a);
	config_free(b);
	config_free(c);
}

static void
test_help(void)
{
	static const char *const keys[] = { "pidfile", "user", "plugin_dir",
	    "statedir", "log_level", "read_threads", "shutdown_timeout",
	    "datadir", "rrdcached", "queue_max", "write_delay", "retention",
	    "step", "heartbeat", "rra", "xff", "interval", "jitter",
	    "timeout", "max_backoff", "file", NULL };
	char		*buf = NULL, line[64];
	size_t		 len = 0, i;
	FILE		*fp;
	int		 all = 1;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		abort();
	config_print_help(fp);
	fclose(fp);
	for (i = 0; keys[i] != NULL; i++) {
		snprintf(line, sizeof(line), "\n  %s =", keys[i]);
		if (strstr(buf, line) == NULL) {
			printf("#   no key %s\n", keys[i]);
			all = 0;
		}
	}
	ok(all, "--help-config lists every key");
	ok(strstr(buf, "  read_threads = 4\n\tinteger 1..64; restart to "
	    "change\n") != NULL, "key with default, range, reload flag");
	ok(strstr(buf, "  interval = 10s\n\tduration 100ms..1y; reloadable")
	    != NULL, "duration range printed as durations");
	ok(strstr(buf, "[retention slow]\n") != NULL &&
	    strstr(buf, "  rra = LAST:365d:100y\n") != NULL,
	    "built-in presets printed as config");
	free(buf);
}

/* ---- a section registered by an owner, as http.c or notify.c do */

extern const struct config_section widget_section;

struct widget {
	char		*name;
	unsigned long	 size;
	int		 colour;
	char		*parent;
	int		 extras;		/* keys the table lacks */
	int		 ended;
};

static int	 widgets_freed;
static const char *const widget_colours[] = { "red", "blue", NULL };

static const struct config_key widget_keys[] = {
	{ .name = "size", .type = CONFIG_COUNT, .min = 1, .max = 100,
	  .def = "10", .off = offsetof(struct widget, size),
	  .help = "how big" },
	{ .name = "colour", .type = CONFIG_ENUM, .choices = widget_colours,
	  .def = "red", .flags = CONFIG_RELOAD,
	  .off = offsetof(struct widget, colour), .help = "which colour" },
	{ .name = "parent", .type = CONFIG_STRING, .ref = "widget",
	  .off = offsetof(struct widget, parent), .help = "another widget" },
};

static void *
widget_begin(struct config_parse *p, const char *name, const char *instance)
{
	struct widget	*w;

	(void)instance;
	w = calloc(1, sizeof(*w));
	w->name = strdup(name);
	(void)p;
	return (w);
}

/* Keys the table lacks: "x-" ones are the widget's, others unknown. */
static int
widget_value(struct config_parse *p, void *base, const char *key,
    const char *value)
{
	struct widget	*w = base;

	(void)p;
	(void)value;
	if (strncmp(key, "x-", 2) != 0)
		return (-1);
	w->extras++;
	return (0);
}

static void *
widget_end(struct config_parse *p, void *base)
{
	struct widget	*w = base;

	w->ended++;
	if (w->size == 13)
		config_perr(p, config_seen(p, "size"), "unlucky size");
	return (w);
}

/* Across sections: a widget may not be its own parent. */
static void
widget_check(struct config_parse *p)
{
	struct config_item	*it;
	struct widget		*w;

	CONFIG_FOREACH(it, config_loading(p), &widget_section) {
		w = config_data(it);
		if (w->parent != NULL && strcmp(w->parent, w->name) == 0)
			config_perr(p, config_line(p), "widget %s is its own "
			    "parent", w->name);
	}
}

static void
widget_free(void *arg)
{
	struct widget	*w = arg;

	config_free_keys(&widget_section, w);
	free(w->name);
	free(w);
	widgets_freed++;
}

const struct config_section widget_section = {
	.word = "widget", .minw = 2, .maxw = 2, .usage = "[widget NAME]",
	.head = "[widget NAME]", .noun = { "widget", NULL },
	.keys = widget_keys, .nkeys = sizeof(widget_keys) /
	    sizeof(widget_keys[0]),
	.begin = widget_begin, .value = widget_value, .end = widget_end,
	.check = widget_check, .free = widget_free
};

static void
test_registered(void)
{
	static const char *const bad[] = {
		"3: bad value 'green' for colour: use one of red, blue",
		"4: unknown key 'y-thing' in [widget a]",
		"5: duplicate section [widget a] (first at line 1)",
		"6: bad widget name 'B': use 1 to 64 of a-z, 0-9, _ and -",
		"8: unknown widget 'nosuch'",
		"10: unlucky size",
		NULL
	};
	struct config		*cf;
	struct config_item	*it;
	struct widget		*w;
	int			 n = 0;

	widgets_freed = 0;
	cf = load_good("widget.conf", "[widget a]\nsize = 5\nx-one = 1\n"
	    "x-two = 2\n[widget b]\nparent = c\n[widget c]\ncolour = blue\n");
	if (cf != NULL) {
		CONFIG_FOREACH(it, cf, &widget_section) {
			w = config_data(it);
			n++;
			if (n == 1)
				ok(strcmp(w->name, "a") == 0 && w->size == 5 &&
				    w->colour == 0 && w->extras == 2 &&
				    w->ended == 1, "widget a: keys, extras, "
				    "ended once");
			if (n == 2)
				ok(w->size == 10 && w->parent != NULL &&
				    strcmp(w->parent, "c") == 0, "widget b: "
				    "default size, parent defined after it");
		}
		is_int(n, 3, "three widgets, in file order");
		ok(config_find(cf, "widget", "c") != NULL &&
		    ((struct widget *)config_find(cf, "widget", "c"))->colour
		    == 1, "config_find: widget c is blue");
		ok(config_find(cf, "widget", "d") == NULL, "no widget d");
	}
	config_free(cf);
	is_int(widgets_freed, 3, "config_free frees each widget once");
	load_bad("widget errors", "[widget a]\nsize = 5\ncolour = green\n"
	    "y-thing = 1\n[widget a]\n[widget B]\n[widget c]\n"
	    "parent = nosuch\n[widget d]\nsize = 13\n", bad);
	load_bad("widget check", "[widget e]\nparent = e\n", (const char
	    *const []){ "2: widget e is its own parent", NULL });
}

int
main(void)
{
	char	*real;

	config_register(&retention_section);
	config_register(&plugin_section);
	config_register(&alertconf_section);
	config_register(&notify_section);
	config_register(&widget_section);
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_config.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL || (real = realpath(tmpdir, NULL)) ==
	    NULL) {
		perror(tmpdir);
		return (1);
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s", real);
	free(real);

	test_good();
	test_defaults();
	test_octal();
	test_builtins();
	test_errors();
	test_long_lines();
	test_missing();
	test_relative();
	test_durations();
	test_rra();
	test_rra_errors();
	test_refs();
	test_plugins();
	test_inih_rules();
	test_same();
	test_unreloadable();
	test_help();
	test_registered();

	if (getenv("TEST_KEEP") == NULL) {
		char	 cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
	}
	return (tap_done());
}
