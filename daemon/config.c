/*
 * config.c - read tallyd.conf with inih into a fresh struct config.
 *
 * inih (the distribution's libinih, built with ini.h's defaults) splits
 * "key = value", strips inline "; comments" and joins indented
 * continuation lines.  What it cannot do is done by config_read, the line
 * reader we hand to ini_parse_stream: it counts lines (the handler gets no
 * line number), refuses lines of ini_max_line bytes or more, checks each
 * line the way inih will parse it so that every bad line is reported (inih
 * returns only the first), and follows section headers itself (inih cuts
 * section names at 49 bytes and never reports a section without keys).
 * Bad lines reach inih as empty lines.
 *
 * Every key is one entry of a section's table: [daemon] and [storage]
 * here, the others in the modules that own them (config_register).  The
 * tables set defaults, reject unknown and duplicate keys, parse values,
 * compare configs on reload and print --help-config; what a section means
 * is checked by its owner's callbacks.  config.c includes no subsystem
 * header.  Only the loop thread loads configs.
 */
#include <sys/queue.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>

#include "config.h"
#include "log.h"
#include "names.h"
#include "util.h"
#include "xmalloc.h"

#ifndef TALLY_PLUGIN_DIR
#define TALLY_PLUGIN_DIR	"/usr/local/lib/tallyd"
#endif
#ifndef TALLY_LOCALSTATEDIR
#define TALLY_LOCALSTATEDIR	"/usr/local/var"
#endif
#ifndef TALLY_RUNSTATEDIR
#define TALLY_RUNSTATEDIR	"/usr/local/var/run"
#endif
#ifndef TALLY_DATADIR
#define TALLY_DATADIR		"/usr/local/share/tallyd"
#endif
#ifndef TALLY_SYSCONFDIR
#define TALLY_SYSCONFDIR	"/usr/local/etc"
#endif
#ifndef TALLY_LIBEXECDIR
#define TALLY_LIBEXECDIR	"/usr/local/libexec/tallyd"
#endif

#define CONFIG_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define CONFIG_SECS_MAX		16	/* registered kinds of section */

static const char *const config_loglevels[] = { "info", "debug", NULL };
/* In the order of enum journal_mode. */
static const char *const config_durability[] = { "fsync", "os", "memory",
    NULL };

#define D(f)	offsetof(struct config, f)

static const struct config_key config_daemon_keys[] = {
	{ .name = "pidfile", .type = CONFIG_PATH,
	  .def = TALLY_RUNSTATEDIR "/tallyd.pid", .flags = CONFIG_NONE_OK,
	  .off = D(pidfile),
	  .help = "file that holds the daemon's process id; empty: none" },
	{ .name = "user", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK, .off = D(user),
	  .help = "user to switch to once started as root; empty: stay" },
	{ .name = "plugin_dir", .type = CONFIG_PATH,
	  .def = TALLY_PLUGIN_DIR, .off = D(plugin_dir),
	  .help = "directory of the plugin files, NAME.so" },
	{ .name = "statedir", .type = CONFIG_PATH,
	  .def = TALLY_LOCALSTATEDIR "/lib/tallyd/state", .off = D(statedir),
	  .help = "each plugin instance keeps its state in "
	  "statedir/NAME/INSTANCE" },
	{ .name = "log_level", .type = CONFIG_ENUM,
	  .def = "info", .choices = config_loglevels, .flags = CONFIG_RELOAD,
	  .off = D(verbose),
	  .help = "info, or debug for every read and write" },
	{ .name = "read_threads", .type = CONFIG_INT,
	  .min = 1, .max = 64, .def = "4", .off = D(read_threads),
	  .help = "threads that run plugin reads" },
	{ .name = "shutdown_timeout",
	  .type = CONFIG_DURATION, .max = CONFIG_MS_H, .def = "5s",
	  .flags = CONFIG_RELOAD, .off = D(shutdown_timeout),
	  .help = "how long shutdown waits for running reads" },
	{ .name = "socket", .type = CONFIG_PATH,
	  .def = TALLY_RUNSTATEDIR "/tallyd.sock", .flags = CONFIG_NONE_OK,
	  .off = D(socket),
	  .help = "unix socket of the query protocol; empty: none" },
	{ .name = "socket_mode", .type = CONFIG_COUNT,
	  .min = 0, .max = 0777, .def = "0660", .defshow = "0660",
	  .flags = CONFIG_OCTAL, .off = D(socket_mode),
	  .help = "permission bits of the unix socket (octal with a "
	  "leading 0)" },
	{ .name = "socket_group", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK, .off = D(socket_group),
	  .help = "group that owns the unix socket; empty: the daemon's" },
	{ .name = "listen", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_HOSTPORT,
	  .off = D(listen),
	  .help = "TCP address of the query protocol, host:port (loopback "
	  "unless you mean it); empty: no TCP" },
	{ .name = "token", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_RELOAD, .off = D(token),
	  .help = "if set, TCP clients must send AUTH token before anything "
	  "but PING, HELP and QUIT" },
	{ .name = "max_clients", .type = CONFIG_INT,
	  .min = 1, .max = 65536, .def = "256", .flags = CONFIG_RELOAD,
	  .off = D(max_clients),
	  .help = "TCP protocol connections served at once; more are "
	  "refused (the unix socket and HTTP have their own limits)" },
	{ .name = "max_local_clients",
	  .type = CONFIG_INT, .min = 1, .max = 65536, .def = "32",
	  .flags = CONFIG_RELOAD, .off = D(max_local_clients),
	  .help = "unix socket connections served at once; TCP and HTTP "
	  "clients cannot use them up" },
	{ .name = "auth_timeout",
	  .type = CONFIG_DURATION, .min = 1000, .max = CONFIG_MS_H,
	  .def = "10s", .flags = CONFIG_RELOAD, .off = D(auth_timeout),
	  .help = "a TCP client that has not sent AUTH this long after "
	  "connecting is closed (when token is set)" },
	{ .name = "max_output_total",
	  .type = CONFIG_COUNT, .min = 65536, .max = 68719476736ULL,
	  .def = "256M", .flags = CONFIG_RELOAD, .off = D(max_output_total),
	  .help = "bytes of answers waiting for all protocol clients "
	  "together; a request that would pass it is refused with ERR busy" },
	{ .name = "max_future", .type = CONFIG_DURATION,
	  .min = 0, .max = CONFIG_MS_D, .def = "10m",
	  .flags = CONFIG_RELOAD, .off = D(max_future),
	  .help = "PUT and HTTP put refuse times further ahead of now than "
	  "this" },
	{ .name = "max_series", .type = CONFIG_INT,
	  .min = 0, .max = 10000000, .def = "1000", .flags = CONFIG_RELOAD,
	  .off = D(max_series),
	  .help = "series clients may create with PUT and HTTP put (each "
	  "is an RRD file); 0: none" },
	{ .name = "client_timeout",
	  .type = CONFIG_DURATION, .min = 1000, .max = CONFIG_MS_D,
	  .def = "300s", .flags = CONFIG_RELOAD, .off = D(client_timeout),
	  .help = "an idle connection is closed after this long" },
	{ .name = "max_output", .type = CONFIG_COUNT,
	  .min = 65536, .max = 1073741824, .def = "16M",
	  .flags = CONFIG_RELOAD, .off = D(max_output),
	  .help = "bytes of answers waiting for a slow client; past it the "
	  "client is cut off" },
	{ .name = "requests_per_wake", .type = CONFIG_INT,
	  .min = 1, .max = 10000, .def = "16", .flags = CONFIG_RELOAD,
	  .off = D(requests_per_wake),
	  .help = "requests of one client served before others get a turn" },
	{ .name = "graph_cache", .type = CONFIG_DURATION,
	  .max = CONFIG_MS_H, .def = "5s", .flags = CONFIG_RELOAD,
	  .off = D(graph_cache),
	  .help = "identical GRAPH requests within this time share a render" },
	{ .name = "render_helper", .type = CONFIG_PATH,
	  .def = TALLY_LIBEXECDIR "/tally-render", .off = D(render_helper),
	  .help = "the graph helper program; graphs are rendered in these "
	  "processes" },
	{ .name = "graph_locale", .type = CONFIG_STRING,
	  .def = "vi_VN.UTF-8", .flags = CONFIG_NONE_OK,
	  .off = D(graph_locale),
	  .help = "locale graphs are drawn in: decimal comma, weekdays and "
	  "months (T2, Thg 11) with vi_VN.UTF-8; if it is not installed "
	  "(locale-gen), C, as with an empty value" },
	{ .name = "render_procs", .type = CONFIG_INT,
	  .min = 1, .max = 16, .def = "2", .off = D(render_procs),
	  .help = "graph helpers at most: graphs rendered at once" },
	{ .name = "render_recycle", .type = CONFIG_COUNT,
	  .min = 1, .max = 1000000, .def = "1000", .flags = CONFIG_RELOAD,
	  .off = D(render_recycle),
	  .help = "a graph helper is replaced after this many renders "
	  "(librrd leaks a little on each)" },
	{ .name = "render_rss_max", .type = CONFIG_COUNT,
	  .min = 16000000, .max = 64000000000ULL, .def = "256M",
	  .flags = CONFIG_RELOAD, .off = D(render_rss_max),
	  .help = "a graph helper resident past this many bytes is replaced" },
	{ .name = "render_timeout",
	  .type = CONFIG_DURATION, .min = 1000, .max = CONFIG_MS_H,
	  .def = "30s", .flags = CONFIG_RELOAD, .off = D(render_timeout),
	  .help = "a render taking longer is killed, and a graph waiting "
	  "longer for a helper fails" },
};

static const struct config_key config_storage_keys[] = {
	{ .name = "datadir", .type = CONFIG_PATH,
	  .def = TALLY_LOCALSTATEDIR "/lib/tallyd/rrd", .off = D(datadir),
	  .help = "directory of the RRD files, "
	  "datadir/PLUGIN/INSTANCE/METRIC.rrd" },
	{ .name = "rrdcached", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK, .off = D(rrdcached),
	  .help = "rrdcached address: unix:/path, /path or host:port; "
	  "empty: write the files directly" },
	{ .name = "rrdcached_prefix", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK, .off = D(rrdcached_prefix),
	  .help = "with a shared rrdcached (started with -b DIR -B -R): this "
	  "tallyd's directory under DIR, e.g. site-a; files are then named "
	  "to rrdcached as PREFIX/PLUGIN/INSTANCE/METRIC.rrd and every read "
	  "goes through it; empty: files under datadir" },
	{ .name = "queue_max", .type = CONFIG_COUNT,
	  .min = 100, .max = 100000000, .def = "1000000",
	  .off = D(queue_max),
	  .help = "values waiting to be written at most; more are refused "
	  "(busy)" },
	{ .name = "write_delay",
	  .type = CONFIG_DURATION, .max = CONFIG_MS_H, .def = "0",
	  .off = D(write_delay),
	  .help = "how long a value may wait so that one update writes "
	  "several values of a file" },
	{ .name = "durability", .type = CONFIG_ENUM,
	  .def = "fsync", .choices = config_durability, .off = D(durability),
	  .help = "when a value is acknowledged: fsync (in the journal on "
	  "disk), os (in the journal, in the system's cache: survives a "
	  "crash of tallyd, not of the machine) or memory (queued; no "
	  "journal)" },
	{ .name = "journal_max", .type = CONFIG_COUNT,
	  .min = 1000000, .max = 1000000000000ULL, .def = "1G",
	  .off = D(journal_max),
	  .help = "bytes of journal at most (STATEDIR/journal); when full, "
	  "new values are refused (busy) until storage catches up" },
	{ .name = "retention", .type = CONFIG_STRING,
	  .def = "fast", .flags = CONFIG_RELOAD,
	  .ref = "retention", .off = D(default_retention),
	  .help = "retention preset of metrics whose plugin section names "
	  "none" },
};

/* The core's own sections: their keys are fields of struct config. */
static const struct config_section config_daemon = {
	.word = "daemon", .minw = 1, .maxw = 1, .usage = "[daemon]",
	.head = "[daemon]", .keys = config_daemon_keys,
	.nkeys = CONFIG_NITEMS(config_daemon_keys)
};
static void	config_storage_check(struct config_parse *);
static const struct config_section config_storage = {
	.word = "storage", .minw = 1, .maxw = 1, .usage = "[storage]",
	.head = "[storage]", .keys = config_storage_keys,
	.nkeys = CONFIG_NITEMS(config_storage_keys),
	.check = config_storage_check
};

/* Every kind of section: the core's two, then the registered ones. */
static const struct config_section *config_secs[CONFIG_SECS_MAX + 2] = {
	&config_daemon, &config_storage
};
static size_t	 config_nsecs = 2;

/* One section of a loaded config. */
struct config_item {
	const struct config_section	*sec;
	char				*name;
	char				*instance;	/* or NULL */
	int				 line;		/* 0 for built-ins */
	int				 builtin;
	void				*data;
	TAILQ_ENTRY(config_item)	 entry;
};

/* A key that names a section ([retention NAME]), checked once all are known. */
struct config_ref {
	const char	*word;
	char		*name;
	int		 line;
};

/* What inih will make of a line. */
enum config_line {
	CONFIG_LINE_BLANK,		/* empty or a comment */
	CONFIG_LINE_CONT,		/* continues the previous value */
	CONFIG_LINE_SECTION,
	CONFIG_LINE_KEY
};

/* State of one config_load, shared by the reader and the handler. */
struct config_parse {
	struct config		*cf;
	const char		*file;		/* as given, for messages */
	char			*dir;		/* absolute; base of paths */
	FILE			*fp;
	char			*buf;
	size_t			 bufsz;
	int			 line;
	int			 prev_name;	/* inih would continue a key */
	char			*prev_key;	/* that key, uncut */
	int			 continuation;	/* this line continues it */

	const struct config_section *sec;	/* NULL: none or a bad one */
	int			 bad;		/* bad header: keys skipped */
	char			*secname;	/* "plugin demo": messages */
	void			*base;		/* where keys go */
	struct config_item	*item;		/* a named section's */
	int			*seen;		/* line of each key */
	int			*seen_single[CONFIG_SECS_MAX + 2];
	int			*seen_named;
	size_t			 nseen_named;

	struct config_ref	*refs;
	size_t			 nrefs;
	struct config_errors	 errs;
	int			*elines;	/* line of each error */
};

static void	config_verror(struct config_errors *, const char *, int,
		    const char *, va_list)
		    __attribute__((format(printf, 4, 0)));
static void	config_section_end(struct config_parse *);

void
config_register(const struct config_section *sec)
{
	if (config_nsecs == CONFIG_NITEMS(config_secs))
		fatalx("%s: too many sections", __func__);
	config_secs[config_nsecs++] = sec;
}

/* Position of a kind of section, or -1 if not registered. */
static int
config_sec_index(const struct config_section *sec)
{
	size_t	 i;

	for (i = 0; i < config_nsecs; i++) {
		if (config_secs[i] == sec)
			return ((int)i);
	}
	return (-1);
}

static const struct config_section *
config_sec_find(const char *word)
{
	size_t	 i;

	for (i = 0; i < config_nsecs; i++) {
		if (strcmp(config_secs[i]->word, word) == 0)
			return (config_secs[i]);
	}
	return (NULL);
}

/* Where a single section's keys live: struct config for the core's own. */
static int
config_is_core(size_t i)
{
	return (config_secs[i] == &config_daemon ||
	    config_secs[i] == &config_storage);
}

static void *
config_single_base(struct config *cf, size_t i)
{
	return (config_is_core(i) ? (void *)cf : cf->single[i]);
}

static const void *
config_single_cbase(const struct config *cf, size_t i)
{
	return (config_is_core(i) ? (const void *)cf : cf->single[i]);
}

static int
config_is_single(const struct config_section *sec)
{
	return (sec->begin == NULL);
}

/* Format one "file:line: message" (or "file: message") and append it. */
static void
config_verror(struct config_errors *errs, const char *file, int line,
    const char *fmt, va_list ap)
{
	char	*msg, *full;

	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("%s", __func__);
	if (line > 0)
		xasprintf(&full, "%s:%d: %s", file, line, msg);
	else
		xasprintf(&full, "%s: %s", file, msg);
	free(msg);
	errs->msg = xreallocarray(errs->msg, errs->n + 1, sizeof(*errs->msg));
	errs->msg[errs->n++] = full;
}

void
config_error(struct config_errors *errs, const char *file, int line,
    const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	config_verror(errs, file, line, fmt, ap);
	va_end(ap);
}

void
config_errors_clear(struct config_errors *errs)
{
	size_t	 i;

	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}

/* Record an error of this load with its line, to be sorted at the end. */
void
config_perr(struct config_parse *p, int line, const char *fmt, ...)
{
	va_list	 ap;

	p->elines = xreallocarray(p->elines, p->errs.n + 1,
	    sizeof(*p->elines));
	p->elines[p->errs.n] = line;
	va_start(ap, fmt);
	config_verror(&p->errs, p->file, line, fmt, ap);
	va_end(ap);
}

/* Errors come out in line order, as sections are checked at their end. */
static void
config_errors_move(struct config_parse *p, struct config_errors *errs)
{
	size_t	 i, j;
	char	*m;
	int	 l;

	for (i = 1; i < p->errs.n; i++) {
		for (j = i; j > 0 && p->elines[j - 1] > p->elines[j]; j--) {
			l = p->elines[j];
			p->elines[j] = p->elines[j - 1];
			p->elines[j - 1] = l;
			m = p->errs.msg[j];
			p->errs.msg[j] = p->errs.msg[j - 1];
			p->errs.msg[j - 1] = m;
		}
	}
	for (i = 0; i < p->errs.n; i++) {
		errs->msg = xreallocarray(errs->msg, errs->n + 1,
		    sizeof(*errs->msg));
		errs->msg[errs->n++] = p->errs.msg[i];
	}
	free(p->errs.msg);
	p->errs.msg = NULL;
	p->errs.n = 0;
}

static void
config_fmt_value(const struct config_key *k, unsigned long long v,
    char *buf, size_t len)
{
	if (k->type == CONFIG_DURATION)
		util_fmt_duration(buf, len, v);
	else if (k->flags & CONFIG_OCTAL)
		snprintf(buf, len, "%#llo", v);
	else
		snprintf(buf, len, "%llu", v);
}

/* Parse an integer, count or duration of key k and check its range. */
static int
config_number(const struct config_key *k, const char *s,
    unsigned long long *out, char *why, size_t len)
{
	unsigned long long	 v;
	const char		*errstr;
	char			 lo[32], hi[32];

	if (k->type == CONFIG_DURATION)
		v = util_duration(s, &errstr);
	else
		v = util_count(s, k->type == CONFIG_COUNT &&
		    !(k->flags & CONFIG_OCTAL), (k->flags & CONFIG_OCTAL) != 0,
		    &errstr);
	if (errstr != NULL) {
		snprintf(why, len, "%s", errstr);
		return (-1);
	}
	if (v < k->min || v > k->max) {
		config_fmt_value(k, k->min, lo, sizeof(lo));
		config_fmt_value(k, k->max, hi, sizeof(hi));
		snprintf(why, len, "must be %s..%s", lo, hi);
		return (-1);
	}
	if ((k->flags & CONFIG_SECONDS) && v % CONFIG_MS_S != 0) {
		snprintf(why, len, "must be whole seconds");
		return (-1);
	}
	*out = v;
	return (0);
}

/* Join a NULL-terminated list with ", " into buf. */
static void
config_join(const char *const *words, char *buf, size_t len)
{
	size_t	 i, n = 0;

	buf[0] = '\0';
	for (i = 0; words[i] != NULL && n < len; i++)
		n += snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
		    words[i]);
}

/* Index of value among k's choices, or -1 with the choices in why. */
static int
config_choice(const struct config_key *k, const char *value, char *why,
    size_t len)
{
	char	 list[128];
	int	 i;

	for (i = 0; k->choices[i] != NULL; i++) {
		if (strcmp(value, k->choices[i]) == 0)
			return (i);
	}
	config_join(k->choices, list, sizeof(list));
	snprintf(why, len, "use one of %s", list);
	return (-1);
}

/* 1 or 0 for the usual spellings of yes and no, -1 otherwise. */
static int
config_bool(const char *s)
{
	if (strcmp(s, "yes") == 0 || strcmp(s, "true") == 0 ||
	    strcmp(s, "on") == 0 || strcmp(s, "1") == 0)
		return (1);
	if (strcmp(s, "no") == 0 || strcmp(s, "false") == 0 ||
	    strcmp(s, "off") == 0 || strcmp(s, "0") == 0)
		return (0);
	return (-1);
}

/* A number in [0, 1), as xff must be. */
static int
config_fraction(const char *s, double *out)
{
	char	*end;
	double	 d;

	d = strtod(s, &end);
	if (end == s || *end != '\0' || !(d >= 0 && d < 1))
		return (-1);
	*out = d;
	return (0);
}

/* Store a copy, absolute if a relative path, or NULL for an allowed empty. */
static int
config_set_string(const struct config_key *k, char **dst, const char *value,
    const char *dir, char *why, size_t len)
{
	char	*s;

	if (*value == '\0' && !(k->flags & CONFIG_NONE_OK)) {
		snprintf(why, len, "must not be empty");
		return (-1);
	}
	if (*value == '\0')
		s = NULL;
	else if (k->type == CONFIG_PATH && dir != NULL && *value != '/')
		s = names_abspath(dir, value);
	else
		s = xstrdup(value);
	free(*dst);
	*dst = s;
	return (0);
}

/* Parse value as key k's type into base + k->off; -1 and why if bad. */
static int
config_set(const struct config_key *k, void *base, const char *value,
    const char *dir, char *why, size_t len)
{
	char			*dst = (char *)base + k->off;
	unsigned long long	 n;
	double			 d;
	int			 i;

	switch (k->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
		return (config_set_string(k, (char **)dst, value, dir, why,
		    len));
	case CONFIG_BOOL:
	case CONFIG_ENUM:
		if (k->type == CONFIG_ENUM)
			i = config_choice(k, value, why, len);
		else if ((i = config_bool(value)) == -1)
			snprintf(why, len, "use yes or no");
		if (i == -1)
			return (-1);
		*(int *)dst = i;
		return (0);
	case CONFIG_FRACTION:
		if (config_fraction(value, &d) == -1) {
			snprintf(why, len, "must be at least 0, less than 1");
			return (-1);
		}
		*(double *)dst = d;
		return (0);
	case CONFIG_NUMBER:
		if (util_number(value, &d, NULL) == -1) {
			snprintf(why, len, "not a number");
			return (-1);
		}
		*(double *)dst = d;
		return (0);
	case CONFIG_INT:
	case CONFIG_COUNT:
	case CONFIG_DURATION:
		if (config_number(k, value, &n, why, len) == -1)
			return (-1);
		if (k->type == CONFIG_INT)
			*(int *)dst = (int)n;
		else
			*(unsigned long *)dst = (k->flags & CONFIG_SECONDS) ?
			    n / CONFIG_MS_S : n;
		return (0);
	case CONFIG_OWN:
		break;
	}
	fatalx("%s: key %s has no value", __func__, k->name);
}

/* Bytes a value of this type takes in its struct, to compare and copy it. */
static size_t
config_type_size(enum config_type type)
{
	switch (type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
		return (sizeof(char *));
	case CONFIG_COUNT:
	case CONFIG_DURATION:
		return (sizeof(unsigned long));
	case CONFIG_FRACTION:
	case CONFIG_NUMBER:
		return (sizeof(double));
	default:
		return (sizeof(int));
	}
}

/* The table entry of a key of a section, or NULL. */
static const struct config_key *
config_find_key(const struct config_section *sec, const char *name)
{
	size_t	 i;

	for (i = 0; i < sec->nkeys; i++) {
		if (strcmp(sec->keys[i].name, name) == 0)
			return (&sec->keys[i]);
	}
	return (NULL);
}

/* Set every default of a section; a default that does not parse is a bug. */
static void
config_defaults(const struct config_section *sec, void *base)
{
	const struct config_key	*k;
	char			 why[128];

	for (k = sec->keys; k < sec->keys + sec->nkeys; k++) {
		if (k->def == NULL)
			continue;
		if (config_set(k, base, k->def, NULL, why, sizeof(why)) == -1)
			fatalx("config: default of %s: %s", k->name, why);
	}
}

void
config_free_keys(const struct config_section *sec, void *base)
{
	const struct config_key	*k;

	for (k = sec->keys; k < sec->keys + sec->nkeys; k++) {
		if (k->type == CONFIG_STRING || k->type == CONFIG_PATH)
			free(*(char **)((char *)base + k->off));
	}
}

int
config_seen(const struct config_parse *p, const char *name)
{
	const struct config_key	*k;

	if (p->sec == NULL || (k = config_find_key(p->sec, name)) == NULL)
		fatalx("%s: no key %s", __func__, name);
	return (p->seen[k - p->sec->keys]);
}

int
config_line(const struct config_parse *p)
{
	return (p->line);
}

const char *
config_secname(const struct config_parse *p)
{
	return (p->secname);
}

struct config *
config_loading(const struct config_parse *p)
{
	return (p->cf);
}

size_t
config_nerrors(const struct config_parse *p)
{
	return (p->errs.n);
}

/* ---- the sections of a config */

struct config_item *
config_next(const struct config *cf, const struct config_section *sec,
    struct config_item *it)
{
	it = it == NULL ? TAILQ_FIRST(&cf->items) : TAILQ_NEXT(it, entry);
	while (it != NULL && it->sec != sec)
		it = TAILQ_NEXT(it, entry);
	return (it);
}

void *
config_data(const struct config_item *it)
{
	return (it->data);
}

int
config_builtin(const struct config_item *it)
{
	return (it->builtin);
}

static struct config_item *
config_item_find(const struct config *cf, const char *word, const char *name,
    const char *instance)
{
	struct config_item	*it;

	TAILQ_FOREACH(it, &cf->items, entry) {
		if (strcmp(it->sec->word, word) == 0 &&
		    strcmp(it->name, name) == 0 && (instance == NULL ||
		    (it->instance != NULL && strcmp(it->instance,
		    instance) == 0)))
			return (it);
	}
	return (NULL);
}

void *
config_find(const struct config *cf, const char *word, const char *name)
{
	struct config_item	*it;

	if ((it = config_item_find(cf, word, name, NULL)) == NULL)
		return (NULL);
	return (it->data);
}

void *
config_single(const struct config *cf, const struct config_section *sec)
{
	int	 i;

	if ((i = config_sec_index(sec)) == -1 || config_is_core((size_t)i))
		return (NULL);
	return (cf->single[i]);
}

/* ---- section headers */

/* Finish the section being read: its checks need all of its keys. */
static void
config_section_end(struct config_parse *p)
{
	if (p->item != NULL && p->sec->end != NULL)
		p->item->data = p->sec->end(p, p->base);
	p->sec = NULL;
	p->item = NULL;
	p->base = NULL;
	free(p->secname);
	p->secname = NULL;
}

/* A named section's words: valid names, once each; then its owner's begin. */
static void
config_section_named(struct config_parse *p, const struct config_section *sec,
    const char *name, const char *instance)
{
	struct config_item	*it;
	const char		*w[2] = { name, instance };
	int			 i, bad = 0;

	for (i = 0; i < 2 && w[i] != NULL; i++) {
		if (!names_conf_valid(w[i], NAMES_CONF_CHARS)) {
			config_perr(p, p->line, "bad %s name '%s': use 1 to "
			    "%d of a-z, 0-9, _ and -", sec->noun[i], w[i],
			    NAMES_CONF_MAX);
			bad = 1;
		}
	}
	if (bad)
		return;
	if ((it = config_item_find(p->cf, sec->word, name, instance)) != NULL) {
		if (it->builtin)
			config_perr(p, p->line, "[%s %s] would redefine a "
			    "built-in preset", sec->word, name);
		else
			config_perr(p, p->line, "duplicate section [%s %s%s%s] "
			    "(first at line %d)", sec->word, name,
			    instance != NULL ? " " : "", instance != NULL ?
			    instance : "", it->line);
		return;
	}
	memset(p->seen_named, 0, p->nseen_named * sizeof(*p->seen_named));
	if ((p->base = sec->begin(p, name, instance)) == NULL)
		return;
	config_defaults(sec, p->base);
	it = xcalloc(1, sizeof(*it));
	it->sec = sec;
	it->name = xstrdup(name);
	it->instance = instance != NULL ? xstrdup(instance) : NULL;
	it->line = p->line;
	it->data = p->base;
	TAILQ_INSERT_TAIL(&p->cf->items, it, entry);
	p->item = it;
	p->seen = p->seen_named;
	p->sec = sec;
}

/* A section header (the text inside []): end the last section, start it. */
static void
config_section(struct config_parse *p, const char *hdr, size_t len)
{
	const struct config_section	*cs = NULL;
	char				*copy, *w[4], *s, *save;
	int				 n = 0, i;

	config_section_end(p);
	p->bad = 1;
	copy = xstrndup(hdr, len);
	for (s = strtok_r(copy, " \t\v\f\r", &save); s != NULL;
	    s = strtok_r(NULL, " \t\v\f\r", &save)) {
		if (n < 4)
			w[n] = s;
		n++;
	}
	if (n > 0)
		cs = config_sec_find(w[0]);
	if (cs == NULL)
		config_perr(p, p->line, "unknown section [%.*s]", (int)len,
		    hdr);
	else if (n < cs->minw || n > cs->maxw)
		config_perr(p, p->line, "bad section [%.*s]: use %s",
		    (int)len, hdr, cs->usage);
	else if (!config_is_single(cs))
		config_section_named(p, cs, w[1], n == 3 ? w[2] :
		    cs->maxw == 3 ? "default" : NULL);
	else {
		i = config_sec_index(cs);
		p->sec = cs;
		p->base = config_single_base(p->cf, (size_t)i);
		p->seen = p->seen_single[i];
	}
	if (p->sec != NULL) {
		p->bad = 0;
		xasprintf(&p->secname, "%s%s%s%s%s", w[0], n > 1 ? " " : "",
		    n > 1 ? w[1] : "", n > 2 ? " " : "", n > 2 ? w[2] : "");
	}
	free(copy);
}

/* Like inih's find_chars_or_comment: a ';' after a space starts a comment. */
static const char *
config_scan(const char *s, const char *chars)
{
	int	 was_space = 0;

	while (*s != '\0' && strchr(chars, *s) == NULL &&
	    !(INI_ALLOW_INLINE_COMMENTS && was_space &&
	    strchr(INI_INLINE_COMMENT_PREFIXES, *s) != NULL)) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return (s);
}

/* What inih will make of a line, by its rules and ini.h's defaults. */
static enum config_line
config_classify(const struct config_parse *p, const char *line,
    const char **start)
{
	const char	*s;

	for (s = line; isspace((unsigned char)*s); s++)
		;
	*start = s;
	if (*s == '\0' || strchr(INI_START_COMMENT_PREFIXES, *s) != NULL)
		return (CONFIG_LINE_BLANK);
	if (INI_ALLOW_MULTILINE && p->prev_name && s > line)
		return (CONFIG_LINE_CONT);
	if (*s == '[')
		return (CONFIG_LINE_SECTION);
	return (CONFIG_LINE_KEY);
}

/* A header line: report what inih would refuse, then start the section. */
static int
config_check_section(struct config_parse *p, const char *start)
{
	const char	*end, *rest;

	end = config_scan(start + 1, "]");
	if (*end != ']') {
		config_perr(p, p->line, "section header without closing ']'");
		config_section_end(p);
		p->bad = 1;
		return (-1);
	}
	for (rest = end + 1; isspace((unsigned char)*rest); rest++)
		;
	if (*rest != '\0' && strchr(INI_START_COMMENT_PREFIXES, *rest) == NULL)
		config_perr(p, p->line, "text after ']'");
	p->prev_name = 0;
	config_section(p, start + 1, end - start - 1);
	return (0);
}

/* A key line: inih needs "=" or ":"; remember the key for continuations. */
static int
config_check_key(struct config_parse *p, const char *start)
{
	const char	*end, *e;

	end = config_scan(start, "=:");
	if (*end != '=' && *end != ':') {
		config_perr(p, p->line, "expected 'key = value' or "
		    "'[section]'");
		return (-1);
	}
	for (e = end; e > start && isspace((unsigned char)e[-1]); e--)
		;
	free(p->prev_key);
	p->prev_key = xstrndup(start, e - start);
	p->prev_name = e > start;
	return (0);
}

/*
 * The reader inih calls for each line: count it, refuse what inih would
 * cut, and check it as inih will parse it so that every bad line is
 * reported; inih gets a bad line as an empty one.
 */
static char *
config_read(char *str, int num, void *arg)
{
	struct config_parse	*p = arg;
	const char		*line, *start;
	ssize_t			 n;

	if ((n = getline(&p->buf, &p->bufsz, p->fp)) == -1) {
		if (ferror(p->fp))
			config_perr(p, p->line + 1, "%s", strerror(errno));
		return (NULL);
	}
	p->line++;
	p->continuation = 0;
	while (n > 0 && (p->buf[n - 1] == '\n' || p->buf[n - 1] == '\r'))
		p->buf[--n] = '\0';
	line = p->buf;
	if (INI_ALLOW_BOM && p->line == 1 && strncmp(line, "\xef\xbb\xbf",
	    3) == 0) {
		line += 3;
		n -= 3;
	}
	if (n >= num || strlen(line) != (size_t)n) {
		if (n >= num)
			config_perr(p, p->line, "line too long (at most %d "
			    "bytes)", num - 1);
		else
			config_perr(p, p->line, "NUL byte in line");
		if (config_classify(p, line, &start) == CONFIG_LINE_SECTION) {
			config_section_end(p);
			p->bad = 1;
		}
		line = "";
	}
	switch (config_classify(p, line, &start)) {
	case CONFIG_LINE_BLANK:
		break;
	case CONFIG_LINE_CONT:	/* libinih 55 keeps comments here: cut */
		p->continuation = 1;
		p->buf[config_scan(start, "") - p->buf] = '\0';
		break;
	case CONFIG_LINE_SECTION:
		if (config_check_section(p, start) == -1)
			line = "";
		break;
	case CONFIG_LINE_KEY:
		if (config_check_key(p, start) == -1)
			line = "";
		break;
	}
	memcpy(str, line, strlen(line) + 1);
	return (str);
}

/* One key of a known section: check it against the table and store it. */
static void
config_key(struct config_parse *p, const char *name, const char *value)
{
	const struct config_section	*sec = p->sec;
	const struct config_key		*k;
	int				*seen = p->seen;
	char				 why[160];

	if ((k = config_find_key(sec, name)) == NULL) {
		if (sec->value == NULL || sec->value(p, p->base, name,
		    value) == -1)
			config_perr(p, p->line, "unknown key '%s' in [%s]",
			    name, p->secname);
		return;
	}
	if (seen[k - sec->keys] != 0 && !(k->flags & CONFIG_MULTI)) {
		if (p->continuation)
			config_perr(p, p->line, "indented line continues "
			    "'%s', which takes one value", name);
		else
			config_perr(p, p->line, "duplicate key '%s' in [%s] "
			    "(first at line %d)", name, p->secname,
			    abs(seen[k - sec->keys]));
		return;
	}
	seen[k - sec->keys] = p->line;
	if (k->type == CONFIG_OWN)
		sec->value(p, p->base, name, value);
	else if (config_set(k, p->base, value, p->dir, why,
	    sizeof(why)) == -1) {
		config_perr(p, p->line, "bad value '%s' for %s: %s", value,
		    name, why);
		seen[k - sec->keys] = -p->line;	/* no checks with it */
	} else if ((k->flags & CONFIG_METRIC) && *value != '\0' &&
	    !names_series_valid(value)) {
		config_perr(p, p->line, "bad value '%s' for %s: not a metric "
		    "name (plugin.instance.metric of a-z, 0-9, _, -)", value,
		    name);
		seen[k - sec->keys] = -p->line;
	} else if ((k->flags & CONFIG_HOSTPORT) && *value != '\0' &&
	    util_hostport_valid(value, why, sizeof(why)) == -1) {
		config_perr(p, p->line, "bad value '%s' for %s: %s", value,
		    name, why);
		seen[k - sec->keys] = -p->line;
	} else if (k->ref != NULL && *value != '\0') {
		p->refs = xreallocarray(p->refs, p->nrefs + 1,
		    sizeof(*p->refs));
		p->refs[p->nrefs].word = k->ref;
		p->refs[p->nrefs].name = xstrdup(value);
		p->refs[p->nrefs++].line = p->line;
	}
}

/* inih's handler; the section and, on continuation lines, the key are ours. */
static int
config_handler(void *arg, const char *section, const char *name,
    const char *value)
{
	struct config_parse	*p = arg;

	(void)section;
	if (p->continuation)
		name = p->prev_key;
	if (p->bad)
		return (1);
	if (*name == '\0')
		config_perr(p, p->line, "missing key before '='");
	else if (p->sec == NULL)
		config_perr(p, p->line, "key '%s' outside any section", name);
	else
		config_key(p, name, value);
	return (1);
}

/*
 * [storage] rrdcached_prefix: needs rrdcached; relative, made of name
 * parts (so never "..", never outside rrdcached's base directory).
 */
static void
config_storage_check(struct config_parse *p)
{
	const struct config_key	*k;
	const char		*s = p->cf->rrdcached_prefix, *e;
	char			 part[NAMES_CONF_MAX + 1];
	size_t			 n;
	int			 line;

	if (s == NULL)
		return;
	k = config_find_key(&config_storage, "rrdcached_prefix");
	line = abs(p->seen_single[1][k - config_storage_keys]);
	if (p->cf->rrdcached == NULL)
		config_perr(p, line, "rrdcached_prefix needs rrdcached (the "
		    "address of the shared rrdcached)");
	for (;;) {
		e = strchr(s, '/');
		n = e != NULL ? (size_t)(e - s) : strlen(s);
		if (n == 0 || n > NAMES_CONF_MAX) {
			config_perr(p, line, "bad value '%s' for "
			    "rrdcached_prefix: a relative path of names, "
			    "e.g. site-a or province/site-a",
			    p->cf->rrdcached_prefix);
			return;
		}
		memcpy(part, s, n);
		part[n] = '\0';
		if (!names_conf_valid(part, NAMES_CONF_CHARS)) {
			config_perr(p, line, "bad value '%s' for "
			    "rrdcached_prefix: '%s' is not 1 to %d of a-z, "
			    "0-9, _ and -", p->cf->rrdcached_prefix, part,
			    NAMES_CONF_MAX);
			return;
		}
		if (e == NULL)
			break;
		s = e + 1;
	}
}

const char *
config_rrd_dir(const struct config *cf)
{
	return (cf->rrdcached_prefix != NULL ? cf->rrdcached_prefix :
	    cf->datadir);
}

/* Free a config and everything in it; NULL is a no-op. */
void
config_free(struct config *cf)
{
	struct config_item	*it;
	size_t			 i;

	if (cf == NULL)
		return;
	while ((it = TAILQ_FIRST(&cf->items)) != NULL) {
		TAILQ_REMOVE(&cf->items, it, entry);
		if (it->sec->free != NULL)
			it->sec->free(it->data);
		free(it->name);
		free(it->instance);
		free(it);
	}
	for (i = 0; i < config_nsecs; i++) {
		if (!config_is_single(config_secs[i]))
			continue;
		config_free_keys(config_secs[i], config_single_base(cf, i));
		if (config_secs[i]->size != 0)
			free(cf->single[i]);
	}
	free(cf->path);
	free(cf);
}

/* Free the loader's state, including on error paths. */
static void
config_parse_clear(struct config_parse *p)
{
	size_t	 i;

	for (i = 0; i < p->nrefs; i++)
		free(p->refs[i].name);
	free(p->refs);
	for (i = 0; i < config_nsecs; i++)
		free(p->seen_single[i]);
	free(p->seen_named);
	config_errors_clear(&p->errs);
	free(p->elines);
	free(p->secname);
	free(p->prev_key);
	free(p->buf);
	free(p->dir);
}

/* Room for the lines of every key of every kind of section. */
static void
config_parse_init(struct config_parse *p, struct config *cf,
    const char *file)
{
	size_t	 i, most = 0;

	memset(p, 0, sizeof(*p));
	p->cf = cf;
	p->file = file;
	for (i = 0; i < config_nsecs; i++) {
		p->seen_single[i] = xcalloc(config_secs[i]->nkeys + 1,
		    sizeof(int));
		if (config_secs[i]->nkeys > most)
			most = config_secs[i]->nkeys;
	}
	p->nseen_named = most + 1;
	p->seen_named = xcalloc(p->nseen_named, sizeof(int));
}

/* Add the built-in sections (presets), read as if they were in the file. */
static void
config_add_builtins(struct config *cf)
{
	const struct config_section	*sec;
	const struct config_builtin	*b;
	struct config_parse		 p;
	struct config_item		*it;
	size_t				 i, j, k;

	config_parse_init(&p, cf, "built-in");
	for (i = 0; i < config_nsecs; i++) {
		sec = config_secs[i];
		/* by index: builtins is NULL for most (NULL + 0 is UB) */
		for (k = 0; k < sec->nbuiltins; k++) {
			b = &sec->builtins[k];
			config_section_named(&p, sec, b->name, NULL);
			for (j = 0; j < CONFIG_NITEMS(b->keys) &&
			    b->keys[j][0]; j++)
				config_key(&p, b->keys[j][0], b->keys[j][1]);
			config_section_end(&p);
		}
	}
	if (p.errs.n != 0)
		fatalx("config: %s", p.errs.msg[0]);
	config_parse_clear(&p);
	TAILQ_FOREACH(it, &cf->items, entry)
		it->builtin = 1;
}

/* A config holding every default and the built-in sections. */
static struct config *
config_new(void)
{
	struct config	*cf;
	size_t		 i;

	cf = xcalloc(1, sizeof(*cf));
	TAILQ_INIT(&cf->items);
	for (i = 0; i < config_nsecs; i++) {
		if (!config_is_single(config_secs[i]))
			continue;
		if (config_secs[i]->size != 0)
			cf->single[i] = xcalloc(1, config_secs[i]->size);
		config_defaults(config_secs[i], config_single_base(cf, i));
	}
	config_add_builtins(cf);
	return (cf);
}

/* The config file's absolute path and directory, without resolving links. */
static int
config_locate(struct config_parse *p, const char *path)
{
	char	*cwd, *slash;

	if (path[0] == '/')
		p->cf->path = names_abspath("/", path + 1);
	else {
		if ((cwd = getcwd(NULL, 0)) == NULL) {
			config_perr(p, 0, "current directory: %s",
			    strerror(errno));
			return (-1);
		}
		p->cf->path = names_abspath(cwd, path);
		free(cwd);
	}
	slash = strrchr(p->cf->path, '/');
	p->dir = xstrndup(p->cf->path, slash == p->cf->path ? 1 :
	    (size_t)(slash - p->cf->path));
	return (0);
}

/* Sections named by keys must exist; they may be defined after the key. */
static void
config_check_refs(struct config_parse *p)
{
	size_t	 i;

	for (i = 0; i < p->nrefs; i++) {
		if (config_find(p->cf, p->refs[i].word, p->refs[i].name) ==
		    NULL)
			config_perr(p, p->refs[i].line, "unknown %s '%s'",
			    p->refs[i].word, p->refs[i].name);
	}
}

/* Parse a whole file into a fresh config; NULL and every error if bad. */
struct config *
config_load(const char *path, struct config_errors *errs)
{
	struct config	*cf;
	size_t		 before = errs->n;

	if ((cf = config_load_all(path, errs)) != NULL && errs->n != before) {
		config_free(cf);
		cf = NULL;
	}
	return (cf);
}

struct config *
config_load_all(const char *path, struct config_errors *errs)
{
	struct config_parse	 p;
	struct config		*cf;
	FILE			*fp;
	size_t			 i;
	int			 rv;

	if ((fp = fopen(path, "r")) == NULL) {
		config_error(errs, path, 0, "%s", strerror(errno));
		return (NULL);
	}
	cf = config_new();
	config_parse_init(&p, cf, path);
	p.fp = fp;
	if (config_locate(&p, path) == 0) {
		rv = ini_parse_stream(config_read, &p, config_handler, &p);
		config_section_end(&p);
		if (rv == -2)
			fatalx("config: inih is out of memory");
		if (rv != 0)	/* config_read passes inih no bad line */
			config_perr(&p, rv, "syntax error");
		config_check_refs(&p);
		for (i = 0; i < config_nsecs; i++) {
			if (config_secs[i]->check != NULL)
				config_secs[i]->check(&p);
		}
	}
	fclose(p.fp);
	config_errors_move(&p, errs);
	config_parse_clear(&p);
	return (cf);
}

/* Compare one table key of two sections by its type. */
static int
config_key_equal(const struct config_key *k, const void *a, const void *b)
{
	const char	*pa = (const char *)a + k->off;
	const char	*pb = (const char *)b + k->off;

	if (k->type == CONFIG_STRING || k->type == CONFIG_PATH)
		return (util_streq(*(char *const *)pa, *(char *const *)pb));
	return (memcmp(pa, pb, config_type_size(k->type)) == 0);
}

/* Calls fn for each key of a single section that only a restart changes. */
static void
config_each_fixed(void (*fn)(const struct config_key *, size_t, void *),
    void *arg)
{
	const struct config_key	*k;
	size_t			 i;

	for (i = 0; i < config_nsecs; i++) {
		if (!config_is_single(config_secs[i]))
			continue;
		for (k = config_secs[i]->keys; k < config_secs[i]->keys +
		    config_secs[i]->nkeys; k++) {
			if (!(k->flags & CONFIG_RELOAD))
				fn(k, i, arg);
		}
	}
}

struct config_diff {
	const struct config	*old, *new;
	char			*list;
};

static void
config_diff_key(const struct config_key *k, size_t i, void *arg)
{
	struct config_diff	*d = arg;
	char			*s;

	if (config_key_equal(k, config_single_cbase(d->old, i),
	    config_single_cbase(d->new, i)))
		return;
	if (d->list == NULL)
		d->list = xstrdup(k->name);
	else {
		xasprintf(&s, "%s, %s", d->list, k->name);
		free(d->list);
		d->list = s;
	}
}

/* List the fixed keys of single sections whose values differ, in order. */
char *
config_unreloadable(const struct config *old, const struct config *new)
{
	struct config_diff	 d = { old, new, NULL };

	config_each_fixed(config_diff_key, &d);
	return (d.list);
}

struct config_copy {
	struct config		*new;
	const struct config	*old;
};

static void
config_keep_key(const struct config_key *k, size_t i, void *arg)
{
	struct config_copy	*c = arg;
	char			*dst, **sp;
	const char		*src;

	dst = (char *)config_single_base(c->new, i) + k->off;
	src = (const char *)config_single_cbase(c->old, i) + k->off;
	if (k->type == CONFIG_STRING || k->type == CONFIG_PATH) {
		sp = (char **)dst;
		free(*sp);
		*sp = *(char *const *)src;
		if (*sp != NULL)
			*sp = xstrdup(*sp);
	} else
		memcpy(dst, src, config_type_size(k->type));
}

/* Give new the old values of fixed keys, so the config in force is true. */
void
config_keep_unreloadable(struct config *new, const struct config *old)
{
	struct config_copy	 c = { new, old };

	config_each_fixed(config_keep_key, &c);
}

/* Type and range of a key, as --help-config and the man page say them. */
static void
config_describe(const struct config_key *k, char *buf, size_t len)
{
	const struct config_section	*ref;
	char				 lo[32], hi[32], list[128];

	config_fmt_value(k, k->min, lo, sizeof(lo));
	config_fmt_value(k, k->max, hi, sizeof(hi));
	switch (k->type) {
	case CONFIG_STRING:
		ref = k->ref != NULL ? config_sec_find(k->ref) : NULL;
		snprintf(buf, len, "%s", ref != NULL && ref->reftype != NULL ?
		    ref->reftype : "string");
		break;
	case CONFIG_PATH:
		snprintf(buf, len, "path, relative to the config file");
		break;
	case CONFIG_BOOL:
		snprintf(buf, len, "yes or no");
		break;
	case CONFIG_INT:
		snprintf(buf, len, "integer %s..%s", lo, hi);
		break;
	case CONFIG_COUNT:
		if (k->flags & CONFIG_OCTAL)
			snprintf(buf, len, "octal mode %s..%s", lo, hi);
		else
			snprintf(buf, len, "count %s..%s (k, M, G: thousands)",
			    lo, hi);
		break;
	case CONFIG_DURATION:
		snprintf(buf, len, "duration %s..%s", lo, hi);
		break;
	case CONFIG_ENUM:
		config_join(k->choices, list, sizeof(list));
		snprintf(buf, len, "one of %s", list);
		break;
	case CONFIG_FRACTION:
		snprintf(buf, len, "number from 0 to less than 1");
		break;
	case CONFIG_OWN:
		snprintf(buf, len, "%s", k->own);
		break;
	case CONFIG_NUMBER:
		snprintf(buf, len, "number");
		break;
	}
}

/* Print the built-in sections as the sections that would define them. */
static void
config_print_builtins(FILE *fp)
{
	const struct config_builtin	*b;
	size_t				 i, j, k;

	for (i = 0; i < config_nsecs; i++) {
		for (k = 0; k < config_secs[i]->nbuiltins; k++) {
			b = &config_secs[i]->builtins[k];
			fprintf(fp, "\n# built in: %s\n# %s\n[%s %s]\n",
			    b->name, b->about, config_secs[i]->word, b->name);
			for (j = 0; j < CONFIG_NITEMS(b->keys) &&
			    b->keys[j][0]; j++)
				fprintf(fp, "  %s = %s\n", b->keys[j][0],
				    b->keys[j][1]);
		}
	}
}

/* Print text after a tab, folded at spaces to fit 80 columns. */
static void
config_print_folded(FILE *fp, const char *text)
{
	const char	*end;
	int		 col = 8, len;

	fputc('\t', fp);
	while (*text != '\0') {
		if ((end = strchr(text, ' ')) == NULL)
			end = text + strlen(text);
		len = end - text;
		if (col > 8 && col + 1 + len > 78) {
			fputs("\n\t", fp);
			col = 8;
		} else if (col > 8) {
			fputc(' ', fp);
			col++;
		}
		fprintf(fp, "%.*s", len, text);
		col += len;
		text = *end == ' ' ? end + 1 : end;
	}
	fputc('\n', fp);
}

/* Print every key of every section, then the built-in sections. */
void
config_print_help(FILE *fp)
{
	const struct config_section	*sec;
	const struct config_key		*k;
	const char			*def;
	char				 type[160];
	size_t				 i;

	for (i = 0; i < config_nsecs; i++) {
		sec = config_secs[i];
		fprintf(fp, "%s%s\n", i == 0 ? "" : "\n", sec->head);
		for (k = sec->keys; k < sec->keys + sec->nkeys; k++) {
			if ((def = k->defshow) == NULL &&
			    (def = k->def) == NULL)
				def = "";
			config_describe(k, type, sizeof(type));
			fprintf(fp, "  %s =%s%s\n\t%s; %s\n", k->name,
			    *def != '\0' ? " " : "", def, type,
			    (k->flags & CONFIG_RELOAD) ? "reloadable" :
			    "restart to change");
			config_print_folded(fp, k->help);
		}
	}
	config_print_builtins(fp);
}
