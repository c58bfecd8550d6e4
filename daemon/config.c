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
 * Every core key is one entry of config_keys: the table sets defaults,
 * rejects unknown and duplicate keys, parses values, compares configs on
 * reload and prints --help-config.  Only the loop thread loads configs.
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
#include "notify.h"
#include "series.h"
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
#define CONFIG_NAME_MAX		64
#define CONFIG_NAME_CHARS	"abcdefghijklmnopqrstuvwxyz0123456789_-"
#define CONFIG_OPT_CHARS	CONFIG_NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ."
#define CONFIG_ROWS_MAX		10000000ULL	/* 80 MB per archive */

#define CONFIG_MS_S		1000ULL
#define CONFIG_MS_H		(3600 * CONFIG_MS_S)
#define CONFIG_MS_D		(24 * CONFIG_MS_H)
#define CONFIG_MS_Y		(365 * CONFIG_MS_D)

enum config_sec {
	CONFIG_NONE,			/* before the first section */
	CONFIG_DAEMON,
	CONFIG_STORAGE,
	CONFIG_RETENTION,
	CONFIG_PLUGIN,
	CONFIG_HTTP,
	CONFIG_ALERT,
	CONFIG_NOTIFY,
	CONFIG_BAD			/* bad header: its keys are skipped */
};

enum config_type {
	CONFIG_STRING,			/* char * */
	CONFIG_PATH,			/* char *, made absolute */
	CONFIG_BOOL,			/* int */
	CONFIG_INT,			/* int */
	CONFIG_COUNT,			/* unsigned long; k, M, G suffixes */
	CONFIG_DURATION,		/* unsigned long, ms (or seconds) */
	CONFIG_ENUM,			/* int: index in choices */
	CONFIG_FRACTION,		/* double in [0, 1) */
	CONFIG_RRA,			/* CF:RESOLUTION:SPAN, collected */
	CONFIG_NUMBER			/* double, any finite number */
};

#define CONFIG_RELOAD	0x01		/* may change on reload */
#define CONFIG_NONE_OK	0x02		/* empty means none: stored as NULL */
#define CONFIG_SECONDS	0x04		/* duration kept in whole seconds */
#define CONFIG_MULTI	0x08		/* may be repeated */
#define CONFIG_PRESET	0x10		/* names a retention preset */
#define CONFIG_METRIC	0x20		/* a series name, or empty */

struct config_key {
	enum config_sec		 sec;
	const char		*name;
	enum config_type	 type;
	unsigned long long	 min;		/* durations in ms */
	unsigned long long	 max;
	const char		*def;		/* parsed as values are */
	const char		*defshow;	/* shown instead of def */
	const char *const	*choices;	/* CONFIG_ENUM; NULL ends */
	int			 flags;
	size_t			 off;		/* in the section's struct */
	const char		*help;
};

/* An rra line of a retention section, checked when the section ends. */
struct config_rra_line {
	char			*text;
	char			 cf[8];
	unsigned long long	 res;		/* ms */
	unsigned long long	 span;		/* ms */
	int			 line;
};

/* The keys of the retention section being read. */
struct config_rsec {
	unsigned long		 step;		/* seconds */
	unsigned long		 heartbeat;	/* seconds; 0: 3 * step */
	double			 xff;
	struct config_rra_line	*rra;
	size_t			 nrra;
};

static const char *const config_loglevels[] = { "info", "debug", NULL };

#define D(f)	offsetof(struct config, f)
#define P(f)	offsetof(struct plugin_conf, f)
#define R(f)	offsetof(struct config_rsec, f)
#define A(f)	offsetof(struct alert_conf, f)
#define N(f)	offsetof(struct notify_conf, f)

static const char *const config_notify_types[] = { "log", "exec",
	"webhook", NULL };

static const struct config_key config_keys[] = {
	{ .sec = CONFIG_DAEMON, .name = "pidfile", .type = CONFIG_PATH,
	  .def = TALLY_RUNSTATEDIR "/tallyd.pid", .flags = CONFIG_NONE_OK,
	  .off = D(pidfile),
	  .help = "file that holds the daemon's process id; empty: none" },
	{ .sec = CONFIG_DAEMON, .name = "user", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK, .off = D(user),
	  .help = "user to switch to once started as root; empty: stay" },
	{ .sec = CONFIG_DAEMON, .name = "plugin_dir", .type = CONFIG_PATH,
	  .def = TALLY_PLUGIN_DIR, .off = D(plugin_dir),
	  .help = "directory of the plugin files, NAME.so" },
	{ .sec = CONFIG_DAEMON, .name = "statedir", .type = CONFIG_PATH,
	  .def = TALLY_LOCALSTATEDIR "/lib/tallyd/state", .off = D(statedir),
	  .help = "each plugin instance keeps its state in "
	  "statedir/NAME/INSTANCE" },
	{ .sec = CONFIG_DAEMON, .name = "log_level", .type = CONFIG_ENUM,
	  .def = "info", .choices = config_loglevels, .flags = CONFIG_RELOAD,
	  .off = D(verbose),
	  .help = "info, or debug for every read and write" },
	{ .sec = CONFIG_DAEMON, .name = "read_threads", .type = CONFIG_INT,
	  .min = 1, .max = 64, .def = "4", .off = D(read_threads),
	  .help = "threads that run plugin reads" },
	{ .sec = CONFIG_DAEMON, .name = "shutdown_timeout",
	  .type = CONFIG_DURATION, .max = CONFIG_MS_H, .def = "5s",
	  .flags = CONFIG_RELOAD, .off = D(shutdown_timeout),
	  .help = "how long shutdown waits for running reads" },

	{ .sec = CONFIG_DAEMON, .name = "socket", .type = CONFIG_PATH,
	  .def = TALLY_RUNSTATEDIR "/tallyd.sock", .flags = CONFIG_NONE_OK,
	  .off = D(socket),
	  .help = "unix socket of the query protocol; empty: none" },
	{ .sec = CONFIG_DAEMON, .name = "socket_mode", .type = CONFIG_COUNT,
	  .min = 0, .max = 0777, .def = "0660", .defshow = "0660",
	  .off = D(socket_mode),
	  .help = "permission bits of the unix socket (octal with a "
	  "leading 0)" },
	{ .sec = CONFIG_DAEMON, .name = "socket_group", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK, .off = D(socket_group),
	  .help = "group that owns the unix socket; empty: the daemon's" },
	{ .sec = CONFIG_DAEMON, .name = "listen", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK, .off = D(listen),
	  .help = "TCP address of the query protocol, host:port (loopback "
	  "unless you mean it); empty: no TCP" },
	{ .sec = CONFIG_DAEMON, .name = "token", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_RELOAD, .off = D(token),
	  .help = "if set, TCP clients must send AUTH token before anything "
	  "but PING, HELP and QUIT" },
	{ .sec = CONFIG_DAEMON, .name = "max_clients", .type = CONFIG_INT,
	  .min = 1, .max = 65536, .def = "256", .flags = CONFIG_RELOAD,
	  .off = D(max_clients),
	  .help = "TCP protocol connections served at once; more are "
	  "refused (the unix socket and HTTP have their own limits)" },
	{ .sec = CONFIG_DAEMON, .name = "max_local_clients",
	  .type = CONFIG_INT, .min = 1, .max = 65536, .def = "32",
	  .flags = CONFIG_RELOAD, .off = D(max_local_clients),
	  .help = "unix socket connections served at once; TCP and HTTP "
	  "clients cannot use them up" },
	{ .sec = CONFIG_DAEMON, .name = "auth_timeout",
	  .type = CONFIG_DURATION, .min = 1000, .max = CONFIG_MS_H,
	  .def = "10s", .flags = CONFIG_RELOAD, .off = D(auth_timeout),
	  .help = "a TCP client that has not sent AUTH this long after "
	  "connecting is closed (when token is set)" },
	{ .sec = CONFIG_DAEMON, .name = "max_output_total",
	  .type = CONFIG_COUNT, .min = 65536, .max = 68719476736ULL,
	  .def = "256M", .flags = CONFIG_RELOAD, .off = D(max_output_total),
	  .help = "bytes of answers waiting for all protocol clients "
	  "together; a request that would pass it is refused with ERR busy" },
	{ .sec = CONFIG_DAEMON, .name = "max_future", .type = CONFIG_DURATION,
	  .min = 0, .max = CONFIG_MS_D, .def = "10m",
	  .flags = CONFIG_RELOAD, .off = D(max_future),
	  .help = "PUT and HTTP put refuse times further ahead of now than "
	  "this" },
	{ .sec = CONFIG_DAEMON, .name = "max_series", .type = CONFIG_INT,
	  .min = 0, .max = 10000000, .def = "1000", .flags = CONFIG_RELOAD,
	  .off = D(max_series),
	  .help = "series clients may create with PUT and HTTP put (each "
	  "is an RRD file); 0: none" },
	{ .sec = CONFIG_DAEMON, .name = "client_timeout",
	  .type = CONFIG_DURATION, .min = 1000, .max = CONFIG_MS_D,
	  .def = "300s", .flags = CONFIG_RELOAD, .off = D(client_timeout),
	  .help = "an idle connection is closed after this long" },
	{ .sec = CONFIG_DAEMON, .name = "max_output", .type = CONFIG_COUNT,
	  .min = 65536, .max = 1073741824, .def = "16M",
	  .flags = CONFIG_RELOAD, .off = D(max_output),
	  .help = "bytes of answers waiting for a slow client; past it the "
	  "client is cut off" },
	{ .sec = CONFIG_DAEMON, .name = "requests_per_wake", .type = CONFIG_INT,
	  .min = 1, .max = 10000, .def = "16", .flags = CONFIG_RELOAD,
	  .off = D(requests_per_wake),
	  .help = "requests of one client served before others get a turn" },
	{ .sec = CONFIG_DAEMON, .name = "graph_cache", .type = CONFIG_DURATION,
	  .max = CONFIG_MS_H, .def = "5s", .flags = CONFIG_RELOAD,
	  .off = D(graph_cache),
	  .help = "identical GRAPH requests within this time share a render" },
	{ .sec = CONFIG_DAEMON, .name = "render_helper", .type = CONFIG_PATH,
	  .def = TALLY_LIBEXECDIR "/tally-render", .off = D(render_helper),
	  .help = "the graph helper program; graphs are rendered in these "
	  "processes" },
	{ .sec = CONFIG_DAEMON, .name = "render_procs", .type = CONFIG_INT,
	  .min = 1, .max = 16, .def = "2", .off = D(render_procs),
	  .help = "graph helpers at most: graphs rendered at once" },
	{ .sec = CONFIG_DAEMON, .name = "render_recycle", .type = CONFIG_COUNT,
	  .min = 1, .max = 1000000, .def = "1000", .flags = CONFIG_RELOAD,
	  .off = D(render_recycle),
	  .help = "a graph helper is replaced after this many renders "
	  "(librrd leaks a little on each)" },
	{ .sec = CONFIG_DAEMON, .name = "render_rss_max", .type = CONFIG_COUNT,
	  .min = 16000000, .max = 64000000000ULL, .def = "256M",
	  .flags = CONFIG_RELOAD, .off = D(render_rss_max),
	  .help = "a graph helper resident past this many bytes is replaced" },
	{ .sec = CONFIG_DAEMON, .name = "render_timeout",
	  .type = CONFIG_DURATION, .min = 1000, .max = CONFIG_MS_H,
	  .def = "30s", .flags = CONFIG_RELOAD, .off = D(render_timeout),
	  .help = "a render taking longer is killed, and a graph waiting "
	  "longer for a helper fails" },

	{ .sec = CONFIG_STORAGE, .name = "datadir", .type = CONFIG_PATH,
	  .def = TALLY_LOCALSTATEDIR "/lib/tallyd/rrd", .off = D(datadir),
	  .help = "directory of the RRD files, "
	  "datadir/PLUGIN/INSTANCE/METRIC.rrd" },
	{ .sec = CONFIG_STORAGE, .name = "rrdcached", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK, .off = D(rrdcached),
	  .help = "rrdcached address: unix:/path, /path or host:port; "
	  "empty: write the files directly" },
	{ .sec = CONFIG_STORAGE, .name = "queue_max", .type = CONFIG_COUNT,
	  .min = 100, .max = 100000000, .def = "1000000",
	  .off = D(queue_max),
	  .help = "values waiting to be written at most; more are dropped" },
	{ .sec = CONFIG_STORAGE, .name = "write_delay",
	  .type = CONFIG_DURATION, .max = CONFIG_MS_H, .def = "0",
	  .off = D(write_delay),
	  .help = "how long a value may wait so that one update writes "
	  "several values of a file" },
	{ .sec = CONFIG_STORAGE, .name = "retention", .type = CONFIG_STRING,
	  .def = "fast", .flags = CONFIG_RELOAD | CONFIG_PRESET,
	  .off = D(default_retention),
	  .help = "retention preset of metrics whose plugin section names "
	  "none" },

	{ .sec = CONFIG_HTTP, .name = "listen", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK, .off = D(http_listen),
	  .help = "address of the HTTP gateway and dashboard, host:port "
	  "(loopback unless you mean it, e.g. 127.0.0.1:8080); empty: off" },
	{ .sec = CONFIG_HTTP, .name = "token", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_RELOAD,
	  .off = D(http_token),
	  .help = "if set, POST or PUT /api/v1/put with \"Authorization: "
	  "Bearer TOKEN\" stores values; empty: only GET and HEAD" },
	{ .sec = CONFIG_HTTP, .name = "max_headers", .type = CONFIG_COUNT,
	  .min = 1024, .max = 1048576, .def = "8192", .flags = CONFIG_RELOAD,
	  .off = D(http_max_headers),
	  .help = "bytes of request line and headers; more is refused" },
	{ .sec = CONFIG_HTTP, .name = "max_body", .type = CONFIG_COUNT,
	  .min = 0, .max = 67108864, .def = "65536", .flags = CONFIG_RELOAD,
	  .off = D(http_max_body),
	  .help = "bytes of a request body (values sent to /api/v1/put); "
	  "more is refused" },
	{ .sec = CONFIG_HTTP, .name = "max_requests", .type = CONFIG_INT,
	  .min = 1, .max = 65536, .def = "64", .flags = CONFIG_RELOAD,
	  .off = D(http_max_requests),
	  .help = "graph and series requests waiting for an answer at once; "
	  "more get 503" },
	{ .sec = CONFIG_HTTP, .name = "timeout", .type = CONFIG_DURATION,
	  .min = 1000, .max = CONFIG_MS_H, .def = "30s",
	  .flags = CONFIG_RELOAD, .off = D(http_timeout),
	  .help = "a connection idle this long, reading a request or "
	  "writing an answer, is closed" },
	{ .sec = CONFIG_HTTP, .name = "max_connections", .type = CONFIG_INT,
	  .min = 1, .max = 65536, .def = "2048", .flags = CONFIG_RELOAD,
	  .off = D(http_max_connections),
	  .help = "HTTP connections open at once; while full, new ones wait "
	  "in the kernel's backlog" },
	{ .sec = CONFIG_HTTP, .name = "header_timeout",
	  .type = CONFIG_DURATION, .min = 1000, .max = CONFIG_MS_H,
	  .def = "10s", .flags = CONFIG_RELOAD, .off = D(http_header_timeout),
	  .help = "a connection must send a whole request within this long "
	  "of connecting or of its last answer, however slowly it trickles" },
	{ .sec = CONFIG_HTTP, .name = "dashboard_dir", .type = CONFIG_PATH,
	  .def = TALLY_DATADIR "/dashboard", .flags = CONFIG_RELOAD,
	  .off = D(http_dashboard_dir),
	  .help = "directory of the dashboard files (index.html, app.js, "
	  "style.css, counter.js), read at start and on reload" },
	{ .sec = CONFIG_HTTP, .name = "counter_total", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_RELOAD | CONFIG_METRIC,
	  .off = D(http_counter_total),
	  .help = "metric whose last value is the visitor counter's total, "
	  "e.g. traffic.site.visits.total; empty: no /counter.json" },
	{ .sec = CONFIG_HTTP, .name = "counter_online", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_RELOAD | CONFIG_METRIC,
	  .off = D(http_counter_online),
	  .help = "metric whose last value is the visitors online now, e.g. "
	  "traffic.site.online" },

	{ .sec = CONFIG_RETENTION, .name = "step", .type = CONFIG_DURATION,
	  .min = CONFIG_MS_S, .max = CONFIG_MS_Y, .def = "60s",
	  .flags = CONFIG_RELOAD | CONFIG_SECONDS, .off = R(step),
	  .help = "time between two primary data points" },
	{ .sec = CONFIG_RETENTION, .name = "heartbeat",
	  .type = CONFIG_DURATION, .min = CONFIG_MS_S, .max = 100 * CONFIG_MS_Y,
	  .defshow = "3 * step", .flags = CONFIG_RELOAD | CONFIG_SECONDS,
	  .off = R(heartbeat),
	  .help = "longest gap between two values that is interpolated; "
	  "longer gaps are unknown" },
	{ .sec = CONFIG_RETENTION, .name = "rra", .type = CONFIG_RRA,
	  .defshow = "(none; at least one)",
	  .flags = CONFIG_RELOAD | CONFIG_MULTI,
	  .help = "one archive, CF:RESOLUTION:SPAN: CF is AVERAGE, MIN, MAX "
	  "or LAST; one row per RESOLUTION (a multiple of step) for SPAN" },
	{ .sec = CONFIG_RETENTION, .name = "xff", .type = CONFIG_FRACTION,
	  .def = "0.5", .flags = CONFIG_RELOAD, .off = R(xff),
	  .help = "share of unknown points above which a row is unknown" },

	{ .sec = CONFIG_PLUGIN, .name = "interval", .type = CONFIG_DURATION,
	  .min = 100, .max = CONFIG_MS_Y, .def = "10s", .flags = CONFIG_RELOAD,
	  .off = P(interval),
	  .help = "time between two reads" },
	{ .sec = CONFIG_PLUGIN, .name = "jitter", .type = CONFIG_DURATION,
	  .max = CONFIG_MS_D, .def = "1s",
	  .defshow = "1s (at most half the interval)", .flags = CONFIG_RELOAD,
	  .off = P(jitter),
	  .help = "a read starts up to this late, so that instances spread "
	  "their reads; less than interval" },
	{ .sec = CONFIG_PLUGIN, .name = "timeout", .type = CONFIG_DURATION,
	  .min = 100, .max = CONFIG_MS_Y, .defshow = "interval",
	  .flags = CONFIG_RELOAD, .off = P(timeout),
	  .help = "read deadline: a read running longer is reported and the "
	  "instance waits for it" },
	{ .sec = CONFIG_PLUGIN, .name = "max_backoff", .type = CONFIG_DURATION,
	  .min = CONFIG_MS_S, .max = CONFIG_MS_Y, .def = "1h",
	  .defshow = "1h (at least interval)", .flags = CONFIG_RELOAD,
	  .off = P(max_backoff),
	  .help = "failed reads double the wait up to this; not less than "
	  "interval" },
	{ .sec = CONFIG_PLUGIN, .name = "retention", .type = CONFIG_STRING,
	  .defshow = "[storage] retention",
	  .flags = CONFIG_RELOAD | CONFIG_PRESET, .off = P(retention),
	  .help = "retention preset of this instance's metrics" },
	{ .sec = CONFIG_PLUGIN, .name = "file", .type = CONFIG_PATH,
	  .defshow = "plugin_dir/NAME.so", .flags = CONFIG_RELOAD,
	  .off = P(file),
	  .help = "the plugin's shared object" },

	{ .sec = CONFIG_ALERT, .name = "metric", .type = CONFIG_STRING,
	  .defshow = "(required)", .flags = CONFIG_RELOAD, .off = A(metric),
	  .help = "the series watched, or a glob (* ? [...]) over series "
	  "names: each series it matches is an alert of its own" },
	{ .sec = CONFIG_ALERT, .name = "kind", .type = CONFIG_ENUM,
	  .def = "threshold", .choices = alertrule_kinds,
	  .flags = CONFIG_RELOAD, .off = A(rule.kind),
	  .help = "threshold: a value against the levels; change: a window "
	  "against the same window compare earlier; trend: slope, or "
	  "periods that fell (rose) in a row; absent: age of the newest "
	  "value, or a report missing at its deadline; forecast: a linear "
	  "fit horizon ahead" },
	{ .sec = CONFIG_ALERT, .name = "enabled", .type = CONFIG_BOOL,
	  .def = "yes", .flags = CONFIG_RELOAD, .off = A(enabled),
	  .help = "no: never evaluated, but ALERT TEST can try it" },
	{ .sec = CONFIG_ALERT, .name = "every", .type = CONFIG_DURATION,
	  .min = CONFIG_MS_S, .max = CONFIG_MS_Y, .def = "1m",
	  .flags = CONFIG_RELOAD | CONFIG_SECONDS, .off = A(rule.every),
	  .help = "time between two evaluations" },
	{ .sec = CONFIG_ALERT, .name = "cf", .type = CONFIG_ENUM,
	  .def = "AVERAGE", .choices = alertrule_cfs, .flags = CONFIG_RELOAD,
	  .off = A(rule.cf),
	  .help = "consolidation function of the rows read" },
	{ .sec = CONFIG_ALERT, .name = "resolution", .type = CONFIG_DURATION,
	  .max = 10 * CONFIG_MS_Y, .def = "0", .defshow = "0 (the finest)",
	  .flags = CONFIG_RELOAD | CONFIG_SECONDS, .off = A(rule.resolution),
	  .help = "seconds per row read (librrd picks the archive)" },
	{ .sec = CONFIG_ALERT, .name = "anchor", .type = CONFIG_ENUM,
	  .def = "now", .choices = alertrule_anchors, .flags = CONFIG_RELOAD,
	  .off = A(rule.anchor),
	  .help = "where windows end: now; last, the newest value; calendar, "
	  "the last whole window the data reaches (1 January for window = "
	  "1y, so yearly figures compare year with year)" },
	{ .sec = CONFIG_ALERT, .name = "window", .type = CONFIG_STRING,
	  .defshow = "(none: the newest value)", .flags = CONFIG_RELOAD,
	  .off = A(window),
	  .help = "span of data judged: a duration, or Ny / Nmo for "
	  "calendar years and months" },
	{ .sec = CONFIG_ALERT, .name = "reduce", .type = CONFIG_ENUM,
	  .def = "avg", .choices = alertrule_reduces, .flags = CONFIG_RELOAD,
	  .off = A(rule.reduce),
	  .help = "threshold: how the window's values become one" },
	{ .sec = CONFIG_ALERT, .name = "compare", .type = CONFIG_STRING,
	  .defshow = "1y", .flags = CONFIG_RELOAD, .off = A(compare),
	  .help = "change: how far back the window compared with lies "
	  "(7d: the same day last week; 1y: the same calendar span a year "
	  "earlier)" },
	{ .sec = CONFIG_ALERT, .name = "as", .type = CONFIG_ENUM,
	  .choices = alertrule_as, .defshow = "percent (change), amount "
	  "(trend)", .flags = CONFIG_RELOAD, .off = A(rule.as),
	  .help = "change and slope: as a percentage of the base, or as an "
	  "amount" },
	{ .sec = CONFIG_ALERT, .name = "min_base", .type = CONFIG_NUMBER,
	  .def = "0", .flags = CONFIG_RELOAD, .off = A(rule.min_base),
	  .help = "change and slope: a base (earlier window, mean) smaller "
	  "than this in magnitude is not judged, so tiny figures do not "
	  "alarm" },
	{ .sec = CONFIG_ALERT, .name = "trend", .type = CONFIG_ENUM,
	  .def = "slope", .choices = alertrule_trends, .flags = CONFIG_RELOAD,
	  .off = A(rule.trend),
	  .help = "slope: the least-squares slope over the window, per the "
	  "span per; falls, rises: how many periods in a row fell (rose)" },
	{ .sec = CONFIG_ALERT, .name = "per", .type = CONFIG_STRING,
	  .defshow = "1d", .flags = CONFIG_RELOAD, .off = A(per),
	  .help = "trend = slope: the slope is the change per this span" },
	{ .sec = CONFIG_ALERT, .name = "period", .type = CONFIG_STRING,
	  .defshow = "1y", .flags = CONFIG_RELOAD, .off = A(period),
	  .help = "trend = falls or rises: one period's average is compared "
	  "with the one before" },
	{ .sec = CONFIG_ALERT, .name = "horizon", .type = CONFIG_DURATION,
	  .max = 100 * CONFIG_MS_Y, .def = "0",
	  .defshow = "(forecast: required)",
	  .flags = CONFIG_RELOAD | CONFIG_SECONDS, .off = A(rule.horizon),
	  .help = "forecast: how far ahead the fit is judged" },
	{ .sec = CONFIG_ALERT, .name = "deadline", .type = CONFIG_STRING,
	  .defshow = "(none)", .flags = CONFIG_RELOAD, .off = A(deadline),
	  .help = "absent: MM-DD, the figures of year Y are due by that day "
	  "of Y+1 (UTC); DD, a month's by that day of the next month" },
	{ .sec = CONFIG_ALERT, .name = "op", .type = CONFIG_ENUM,
	  .choices = alertrule_ops, .defshow = "> (threshold, forecast), < "
	  "(change, slope), >= (absent, falls, rises)",
	  .flags = CONFIG_RELOAD, .off = A(rule.op),
	  .help = "how a value reaches a level's threshold" },
	{ .sec = CONFIG_ALERT, .name = "warning", .type = CONFIG_STRING,
	  .defshow = "(none)", .flags = CONFIG_RELOAD, .off = A(warning),
	  .help = "threshold of the warning level: a number (a percentage "
	  "for as = percent), or for absent a duration" },
	{ .sec = CONFIG_ALERT, .name = "critical", .type = CONFIG_STRING,
	  .defshow = "(none; absent with a deadline: 0)",
	  .flags = CONFIG_RELOAD, .off = A(critical),
	  .help = "threshold of the critical level, as warning" },
	{ .sec = CONFIG_ALERT, .name = "clear_below", .type = CONFIG_NUMBER,
	  .defshow = "(threshold)", .flags = CONFIG_RELOAD,
	  .off = A(clear_below),
	  .help = "op > or >=: once firing, back to ok only when the value "
	  "falls below this" },
	{ .sec = CONFIG_ALERT, .name = "clear_above", .type = CONFIG_NUMBER,
	  .defshow = "(threshold)", .flags = CONFIG_RELOAD,
	  .off = A(clear_above),
	  .help = "op < or <=: once firing, back to ok only when the value "
	  "rises above this" },
	{ .sec = CONFIG_ALERT, .name = "hysteresis", .type = CONFIG_STRING,
	  .def = "0", .flags = CONFIG_RELOAD, .off = A(hysteresis),
	  .help = "a level held stays while the value reaches its threshold "
	  "moved back by this: an amount, or N% of the threshold" },
	{ .sec = CONFIG_ALERT, .name = "for", .type = CONFIG_INT,
	  .min = 1, .max = 100000, .def = "1", .flags = CONFIG_RELOAD,
	  .off = A(rule.for_count),
	  .help = "evaluations in a row that must reach a level before it "
	  "fires" },
	{ .sec = CONFIG_ALERT, .name = "repeat", .type = CONFIG_DURATION,
	  .max = CONFIG_MS_Y, .def = "0", .defshow = "0 (never)",
	  .flags = CONFIG_RELOAD | CONFIG_SECONDS, .off = A(rule.repeat),
	  .help = "notify again this often while firing" },
	{ .sec = CONFIG_ALERT, .name = "notify", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_RELOAD | CONFIG_NONE_OK,
	  .off = A(notify_list),
	  .help = "comma-separated [notify NAME] sections told of each "
	  "change (every change is logged anyway)" },

	{ .sec = CONFIG_NOTIFY, .name = "type", .type = CONFIG_ENUM,
	  .choices = config_notify_types, .defshow = "(required)",
	  .flags = CONFIG_RELOAD, .off = N(type),
	  .help = "log: a log line (every notice is logged anyway); exec: run "
	  "command; webhook: POST a JSON document to url" },
	{ .sec = CONFIG_NOTIFY, .name = "command", .type = CONFIG_STRING,
	  .flags = CONFIG_RELOAD, .off = N(command),
	  .help = "exec: an absolute path and arguments, split at spaces "
	  "(\"double quotes\" keep spaces), no shell; the alert is in "
	  "TALLY_ALERT_* environment variables" },
	{ .sec = CONFIG_NOTIFY, .name = "url", .type = CONFIG_STRING,
	  .flags = CONFIG_RELOAD, .off = N(url),
	  .help = "webhook: http://host[:port]/path or https://...; https "
	  "checks the server's certificate and name" },
	{ .sec = CONFIG_NOTIFY, .name = "ca_file", .type = CONFIG_PATH,
	  .flags = CONFIG_RELOAD, .off = N(ca_file), .defshow = "(the "
	  "system's CAs)",
	  .help = "webhook over https: PEM file of the CAs to trust instead "
	  "of the system's" }, 
	{ .sec = CONFIG_NOTIFY, .name = "timeout", .type = CONFIG_DURATION,
	  .min = 100, .max = CONFIG_MS_H, .def = "10s",
	  .flags = CONFIG_RELOAD, .off = N(timeout),
	  .help = "exec: then TERM, and KILL 2s later; webhook: a POST "
	  "taking longer fails" },
	{ .sec = CONFIG_NOTIFY, .name = "retries", .type = CONFIG_INT,
	  .max = 100, .def = "3", .flags = CONFIG_RELOAD, .off = N(retries),
	  .help = "attempts after a failure (exit status not 0, no 2xx "
	  "answer)" },
	{ .sec = CONFIG_NOTIFY, .name = "backoff", .type = CONFIG_DURATION,
	  .min = 100, .max = CONFIG_MS_H, .def = "1s",
	  .flags = CONFIG_RELOAD, .off = N(backoff),
	  .help = "wait before the first retry, doubled for each next one" },
};
#define CONFIG_NKEYS	CONFIG_NITEMS(config_keys)

/* Section headers and how many words each takes. */
static const struct config_section {
	const char		*word;
	enum config_sec		 sec;
	int			 minw;
	int			 maxw;
	const char		*usage;
} config_sections[] = {
	{ "daemon", CONFIG_DAEMON, 1, 1, "[daemon]" },
	{ "storage", CONFIG_STORAGE, 1, 1, "[storage]" },
	{ "retention", CONFIG_RETENTION, 2, 2, "[retention NAME]" },
	{ "http", CONFIG_HTTP, 1, 1, "[http]" },
	{ "plugin", CONFIG_PLUGIN, 2, 3,
	  "[plugin NAME] or [plugin NAME INSTANCE]" },
	{ "alert", CONFIG_ALERT, 2, 2, "[alert NAME]" },
	{ "notify", CONFIG_NOTIFY, 2, 2, "[notify NAME]" },
};

/* Built-in retention presets, as the keys of a [retention] section. */
static const struct config_builtin {
	const char	*name;
	const char	*about;
	const char	*keys[8][2];
} config_builtins[] = {
	{ "fast", "site traffic: minutes for 8 days, hours for 5 years, days "
	  "for 20", {
		{ "step", "60s" }, { "heartbeat", "180s" },
		{ "rra", "AVERAGE:1m:8d" },
		{ "rra", "AVERAGE:1h:5y" }, { "rra", "MAX:1h:5y" },
		{ "rra", "AVERAGE:1d:20y" }, { "rra", "MAX:1d:20y" } } },
	{ "slow", "monthly and yearly figures: days for 40 years, months "
	  "and years for 100", {
		{ "step", "1d" }, { "heartbeat", "2y" },
		{ "rra", "AVERAGE:1d:40y" }, { "rra", "LAST:1d:40y" },
		{ "rra", "AVERAGE:30d:100y" }, { "rra", "LAST:30d:100y" },
		{ "rra", "LAST:365d:100y" } } },
};

/* Duration units, smallest first. */
static const struct config_unit {
	const char		*name;
	unsigned long long	 ms;
} config_units[] = {
	{ "ms", 1 }, { "s", CONFIG_MS_S }, { "m", 60 * CONFIG_MS_S },
	{ "h", CONFIG_MS_H }, { "d", CONFIG_MS_D }, { "w", 7 * CONFIG_MS_D },
	{ "y", CONFIG_MS_Y },
};

/* A key that names a retention preset, checked once all are known. */
struct config_ref {
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

	enum config_sec		 sec;
	char			*secname;	/* "plugin demo": messages */
	int			 seen_top[CONFIG_NKEYS];
	int			 seen_sec[CONFIG_NKEYS];
	struct plugin_conf	*pc;
	char			*rname;
	int			 rline;
	struct config_rsec	 rsec;
	struct alert_conf	*ac;
	struct notify_conf	*nc;

	struct config_ref	*refs;
	size_t			 nrefs;
	struct config_errors	 errs;
	int			*elines;	/* line of each error */
};

static void	config_verror(struct config_errors *, const char *, int,
		    const char *, va_list)
		    __attribute__((format(printf, 4, 0)));
static void	config_perr(struct config_parse *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	config_section_end(struct config_parse *);

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
static void
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

/* Sum "<number><unit>" groups; a lone number is seconds. */
unsigned long long
config_duration(const char *s, const char **errstr)
{
	unsigned long long	 total = 0, n, mul;
	const struct config_unit *u;
	char			*end;
	size_t			 len;
	int			 groups;

	*errstr = NULL;
	for (groups = 0; *s != '\0' || groups == 0; groups++) {
		if (*s == '-' || *s == '\0' || !isdigit((unsigned char)*s)) {
			*errstr = *s == '-' ? "must not be negative" :
			    "not a duration (a number with ms, s, m, h, d, w "
			    "or y)";
			return (0);
		}
		errno = 0;
		n = strtoull(s, &end, 10);
		s = end;
		mul = (*s == '\0' && groups == 0) ? CONFIG_MS_S : 0;
		for (u = config_units; mul == 0 && u < config_units +
		    CONFIG_NITEMS(config_units); u++) {
			len = strlen(u->name);
			if (strncmp(s, u->name, len) == 0 &&
			    !isalpha((unsigned char)s[len])) {
				mul = u->ms;
				s += len;
			}
		}
		if (mul == 0) {
			*errstr = "unknown unit (use ms, s, m, h, d, w or y)";
			return (0);
		}
		if (errno == ERANGE || n > (ULLONG_MAX - total) / mul) {
			*errstr = "too large";
			return (0);
		}
		total += n * mul;
	}
	return (total);
}

/* Write ms in the largest unit that divides it: "90s", "8d", "1y". */
static void
config_fmt_duration(char *buf, size_t len, unsigned long long ms)
{
	size_t	 i;

	if (ms == 0) {
		snprintf(buf, len, "0");
		return;
	}
	for (i = CONFIG_NITEMS(config_units) - 1; i > 0; i--) {
		if (ms % config_units[i].ms == 0)
			break;
	}
	snprintf(buf, len, "%llu%s", ms / config_units[i].ms,
	    config_units[i].name);
}

/* A decimal count, with k, M or G (thousands) if suffixes is set. */
static unsigned long long
config_count(const char *s, int suffixes, const char **errstr)
{
	unsigned long long	 v, mul = 1;
	char			*end;

	*errstr = NULL;
	if (*s == '-') {
		*errstr = "must not be negative";
		return (0);
	}
	if (!isdigit((unsigned char)*s)) {
		*errstr = "not a number";
		return (0);
	}
	errno = 0;
	/* A leading 0 means octal, as for chmod: socket_mode = 0660. */
	v = strtoull(s, &end, s[0] == '0' && s[1] != '\0' ? 8 : 10);
	if (suffixes && end[0] != '\0' && end[1] == '\0' &&
	    strchr("kMG", end[0]) != NULL) {
		mul = end[0] == 'k' ? 1000 : end[0] == 'M' ? 1000000 :
		    1000000000;
		end++;
	}
	if (*end != '\0') {
		*errstr = suffixes ? "not a number (k, M and G may follow)" :
		    "not a number";
		return (0);
	}
	if (errno == ERANGE || v > ULLONG_MAX / mul) {
		*errstr = "too large";
		return (0);
	}
	return (v * mul);
}

static void
config_fmt_value(const struct config_key *k, unsigned long long v,
    char *buf, size_t len)
{
	if (k->type == CONFIG_DURATION)
		config_fmt_duration(buf, len, v);
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
		v = config_duration(s, &errstr);
	else
		v = config_count(s, k->type == CONFIG_COUNT, &errstr);
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

/* Join dir and a relative path, dropping leading "./". */
static char *
config_abspath(const char *dir, const char *path)
{
	char	*s;

	while (path[0] == '.' && path[1] == '/') {
		for (path++; *path == '/'; path++)
			;
	}
	if (*path == '\0' || strcmp(path, ".") == 0)
		return (xstrdup(dir));
	xasprintf(&s, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
	    path);
	return (s);
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
		s = config_abspath(dir, value);
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
		if (alertrule_number(value, &d, NULL) == -1) {
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
	case CONFIG_RRA:
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
config_find_key(enum config_sec sec, const char *name)
{
	const struct config_key	*k;

	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++) {
		if (k->sec == sec && strcmp(k->name, name) == 0)
			return (k);
	}
	return (NULL);
}

/* Set every default of a section; a default that does not parse is a bug. */
static void
config_defaults(enum config_sec sec, void *base)
{
	const struct config_key	*k;
	char			 why[128];

	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++) {
		if (k->sec != sec || k->def == NULL)
			continue;
		if (config_set(k, base, k->def, NULL, why, sizeof(why)) == -1)
			fatalx("config: default of %s: %s", k->name, why);
	}
}

/* Free the strings the table put into a section's struct. */
static void
config_free_keys(enum config_sec sec, void *base)
{
	const struct config_key	*k;

	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++) {
		if (k->sec == sec && (k->type == CONFIG_STRING ||
		    k->type == CONFIG_PATH))
			free(*(char **)((char *)base + k->off));
	}
}

static int
config_name_ok(const char *s, const char *chars)
{
	size_t	 n = strlen(s);

	return (n >= 1 && n <= CONFIG_NAME_MAX && strspn(s, chars) == n);
}

/* Line of a key in this section: 0 if unset, negative if its value was bad. */
static int
config_seen(const struct config_parse *p, const char *name)
{
	const struct config_key	*k;

	if ((k = config_find_key(p->sec, name)) == NULL)
		fatalx("%s: no key %s", __func__, name);
	return (p->seen_sec[k - config_keys]);
}

/* Parse "CF:RESOLUTION:SPAN"; the step is checked when the section ends. */
static int
config_rra_parse(const char *text, struct config_rra_line *rl, char *why,
    size_t len)
{
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX", "LAST",
	    NULL };
	char		*copy, *res, *span;
	const char	*errstr;
	int		 i, rv = -1;

	copy = xstrdup(text);
	if ((res = strchr(copy, ':')) == NULL ||
	    (span = strchr(res + 1, ':')) == NULL ||
	    strchr(span + 1, ':') != NULL) {
		snprintf(why, len, "use CF:RESOLUTION:SPAN");
		goto out;
	}
	*res++ = '\0';
	*span++ = '\0';
	for (i = 0; cfs[i] != NULL && strcmp(copy, cfs[i]) != 0; i++)
		;
	if (cfs[i] == NULL) {
		snprintf(why, len, "CF must be AVERAGE, MIN, MAX or LAST");
		goto out;
	}
	snprintf(rl->cf, sizeof(rl->cf), "%s", cfs[i]);
	rl->res = config_duration(res, &errstr);
	if (errstr == NULL && rl->res < CONFIG_MS_S)
		errstr = "must be at least 1s";
	if (errstr == NULL) {
		rl->span = config_duration(span, &errstr);
		res = span;
	}
	if (errstr != NULL)
		snprintf(why, len, "'%s': %s", res, errstr);
	else
		rv = 0;
out:
	free(copy);
	return (rv);
}

/* Keep an rra line until the section ends and its step is known. */
static void
config_rra_add(struct config_parse *p, const char *value)
{
	struct config_rsec	*rs = &p->rsec;
	struct config_rra_line	 rl;
	char			 why[160];

	memset(&rl, 0, sizeof(rl));
	if (config_rra_parse(value, &rl, why, sizeof(why)) == -1) {
		config_perr(p, p->line, "bad rra '%s': %s", value, why);
		return;
	}
	rl.text = xstrdup(value);
	rl.line = p->line;
	rs->rra = xreallocarray(rs->rra, rs->nrra + 1, sizeof(*rs->rra));
	rs->rra[rs->nrra++] = rl;
}

static void
config_rsec_clear(struct config_rsec *rs)
{
	size_t	 i;

	for (i = 0; i < rs->nrra; i++)
		free(rs->rra[i].text);
	free(rs->rra);
	memset(rs, 0, sizeof(*rs));
}

/* Check one rra against the step and append it to r as steps and rows. */
static void
config_rra_make(struct config_parse *p, struct retention *r,
    const struct config_rra_line *rl)
{
	unsigned long long	 step = r->step * CONFIG_MS_S, rows;
	struct retention_rra	*a;
	char			 b1[32], b2[32];
	size_t			 i;

	config_fmt_duration(b1, sizeof(b1), rl->res);
	if (rl->res % step != 0) {
		config_fmt_duration(b2, sizeof(b2), step);
		config_perr(p, rl->line, "rra '%s': resolution %s is not a "
		    "multiple of step %s", rl->text, b1, b2);
		return;
	}
	if (rl->span < rl->res) {
		config_perr(p, rl->line, "rra '%s': span is shorter than "
		    "resolution %s", rl->text, b1);
		return;
	}
	rows = rl->span / rl->res + (rl->span % rl->res != 0);
	if (rows > CONFIG_ROWS_MAX) {
		config_perr(p, rl->line, "rra '%s': %llu rows, at most %llu",
		    rl->text, rows, CONFIG_ROWS_MAX);
		return;
	}
	for (i = 0; i < r->nrra; i++) {
		if (strcmp(r->rra[i].cf, rl->cf) == 0 &&
		    r->rra[i].steps == rl->res / step) {
			config_perr(p, rl->line, "rra '%s': another rra has "
			    "the same CF and resolution", rl->text);
			return;
		}
	}
	a = &r->rra[r->nrra++];
	snprintf(a->cf, sizeof(a->cf), "%s", rl->cf);
	a->xff = p->rsec.xff;
	a->steps = rl->res / step;
	a->rows = rows;
}

/* The retention section ended: build its preset from the keys read. */
static void
config_retention_end(struct config_parse *p)
{
	struct config_rsec	*rs = &p->rsec;
	struct retention	*r;
	size_t			 i;

	r = xcalloc(1, sizeof(*r));
	r->name = p->rname;
	p->rname = NULL;
	r->line = p->rline;
	r->step = rs->step;
	r->heartbeat = rs->heartbeat != 0 ? rs->heartbeat : 3 * rs->step;
	if (rs->nrra == 0)
		config_perr(p, p->rline, "[retention %s] has no rra", r->name);
	r->rra = xcalloc(rs->nrra, sizeof(*r->rra));
	for (i = 0; i < rs->nrra; i++)
		config_rra_make(p, r, &rs->rra[i]);
	TAILQ_INSERT_TAIL(&p->cf->retentions, r, entry);
	config_rsec_clear(rs);
}

/* The plugin section ended: fill timings that follow interval, check. */
static void
config_plugin_end(struct config_parse *p)
{
	struct plugin_conf	*pc = p->pc;
	char			 a[32], b[32];
	int			 line;

	config_fmt_duration(b, sizeof(b), pc->interval);
	if (config_seen(p, "timeout") <= 0)
		pc->timeout = pc->interval;
	if ((line = config_seen(p, "jitter")) == 0) {
		if (pc->jitter > pc->interval / 2)
			pc->jitter = pc->interval / 2;
	} else if (line > 0 && pc->jitter >= pc->interval) {
		config_fmt_duration(a, sizeof(a), pc->jitter);
		config_perr(p, line, "jitter %s must be less than interval %s",
		    a, b);
	}
	if ((line = config_seen(p, "max_backoff")) == 0) {
		if (pc->max_backoff < pc->interval)
			pc->max_backoff = pc->interval;
	} else if (line > 0 && pc->max_backoff < pc->interval) {
		config_fmt_duration(a, sizeof(a), pc->max_backoff);
		config_perr(p, line, "max_backoff %s is less than interval %s",
		    a, b);
	}
	p->pc = NULL;
}

/* ---- [alert NAME] and [notify NAME] */

/* Keys of an alert section that only some kinds read. */
static const struct config_alert_only {
	const char	*key;
	int		 kinds;		/* bits 1 << enum alert_kind */
} config_alert_only[] = {
	{ "window", ~(1 << ALERT_ABSENT) },
	{ "reduce", 1 << ALERT_THRESHOLD },
	{ "compare", 1 << ALERT_CHANGE },
	{ "as", (1 << ALERT_CHANGE) | (1 << ALERT_TREND) },
	{ "min_base", (1 << ALERT_CHANGE) | (1 << ALERT_TREND) },
	{ "trend", 1 << ALERT_TREND },
	{ "per", 1 << ALERT_TREND },
	{ "period", 1 << ALERT_TREND },
	{ "horizon", 1 << ALERT_FORECAST },
	{ "deadline", 1 << ALERT_ABSENT },
};

/* A key the rule's kind does not read is reported at its line. */
static void
config_alert_kind_keys(struct config_parse *p, const struct alert_conf *ac)
{
	const struct config_alert_only	*o;
	int				 line;

	for (o = config_alert_only; o < config_alert_only +
	    CONFIG_NITEMS(config_alert_only); o++) {
		line = config_seen(p, o->key);
		if (line > 0 && !(o->kinds & (1 << ac->rule.kind)))
			config_perr(p, line, "%s does not apply to kind = %s",
			    o->key, alertrule_kinds[ac->rule.kind]);
	}
}

/* A span key as written; unset keeps the rule's default. */
static void
config_alert_span(struct config_parse *p, const char *key, const char *text,
    struct alert_span *out)
{
	char	 why[160];

	if (text != NULL && alertrule_span_parse(text, out, why,
	    sizeof(why)) == -1)
		config_perr(p, config_seen(p, key), "bad value '%s' for %s: %s",
		    text, key, why);
}

/* A level's threshold: a number (N% if a percentage), or a duration. */
static void
config_alert_level(struct config_parse *p, struct alert_conf *ac,
    const char *key, const char *text, int level)
{
	struct alertrule	*r = &ac->rule;
	const char		*errstr = NULL;
	unsigned long long	 ms;
	int			 pct, pct_ok;

	if (text == NULL)
		return;
	pct_ok = r->as == ALERT_PERCENT || (r->as == -1 && r->kind ==
	    ALERT_CHANGE);
	if (r->kind == ALERT_ABSENT) {
		ms = config_duration(text, &errstr);
		r->thr[level] = ms / 1000.0;
	} else if (alertrule_number(text, &r->thr[level], &pct) == -1)
		errstr = "not a number";
	else if (pct && !pct_ok)
		errstr = "a percentage needs as = percent";
	if (errstr != NULL)
		config_perr(p, config_seen(p, key), "bad value '%s' for %s: %s",
		    text, key, errstr);
	else
		r->has[level] = 1;
}

/* clear_below or clear_above: one of them, on the side op leaves by. */
static void
config_alert_clear(struct config_parse *p, struct alert_conf *ac)
{
	struct alertrule	*r = &ac->rule;
	int			 below, above, up;

	below = config_seen(p, "clear_below");
	above = config_seen(p, "clear_above");
	up = r->op == ALERT_GT || r->op == ALERT_GE;
	if (below > 0 && above > 0)
		config_perr(p, above, "clear_below and clear_above: set one");
	else if (below > 0 && !up)
		config_perr(p, below, "clear_below goes with op > or >=; "
		    "use clear_above");
	else if (above > 0 && up)
		config_perr(p, above, "clear_above goes with op < or <=; "
		    "use clear_below");
	else if (below > 0 || above > 0) {
		r->has_clear = 1;
		r->clear = below > 0 ? ac->clear_below : ac->clear_above;
	}
}

/* Split "a, b" into the names of notifiers, checked once all are read. */
static void
config_alert_notify(struct config_parse *p, struct alert_conf *ac)
{
	char	*list, *s, *save, *e;

	if (ac->notify_list == NULL)
		return;
	ac->notify_line = config_seen(p, "notify");
	list = xstrdup(ac->notify_list);
	for (s = strtok_r(list, ",", &save); s != NULL;
	    s = strtok_r(NULL, ",", &save)) {
		while (isspace((unsigned char)*s))
			s++;
		for (e = s + strlen(s); e > s && isspace((unsigned char)
		    e[-1]); e--)
			*--e = '\0';
		if (!config_name_ok(s, CONFIG_NAME_CHARS)) {
			config_perr(p, ac->notify_line, "bad notifier name "
			    "'%s' in notify", s);
			continue;
		}
		ac->notify = xreallocarray(ac->notify, ac->nnotify + 1,
		    sizeof(*ac->notify));
		ac->notify[ac->nnotify++] = xstrdup(s);
	}
	free(list);
}

/* The alert section ended: parse what depends on the kind, check it all. */
static void
config_alert_end(struct config_parse *p)
{
	struct alert_conf	*ac = p->ac;
	struct alertrule	*r = &ac->rule;
	char			 why[160];
	int			 n = (int)p->errs.n, pct;

	p->ac = NULL;
	if (ac->metric == NULL)
		config_perr(p, ac->line, "[alert %s] needs a metric", ac->name);
	else if (!alertrule_metric_valid(ac->metric))
		config_perr(p, config_seen(p, "metric"), "bad metric '%s': a "
		    "series name, or a glob of a-z, 0-9, _, -, ., *, ? and "
		    "[...]", ac->metric);
	config_alert_kind_keys(p, ac);
	config_alert_span(p, "window", ac->window, &r->window);
	config_alert_span(p, "compare", ac->compare, &r->compare);
	config_alert_span(p, "per", ac->per, &r->per);
	config_alert_span(p, "period", ac->period, &r->period);
	if (ac->deadline != NULL && alertrule_deadline_parse(ac->deadline,
	    &r->deadline_mon, &r->deadline_day, why, sizeof(why)) == -1)
		config_perr(p, config_seen(p, "deadline"), "bad value '%s' for "
		    "deadline: %s", ac->deadline, why);
	config_alert_level(p, ac, "warning", ac->warning, ALERT_WARNING);
	config_alert_level(p, ac, "critical", ac->critical, ALERT_CRITICAL);
	if (alertrule_number(ac->hysteresis, &r->hyst, &pct) == -1 ||
	    r->hyst < 0)
		config_perr(p, config_seen(p, "hysteresis"), "bad value '%s' "
		    "for hysteresis: an amount or N%%, at least 0",
		    ac->hysteresis);
	r->hyst_pct = pct;
	config_alert_notify(p, ac);
	if ((int)p->errs.n != n)
		return;		/* the rule as a whole would mislead */
	if (alertrule_check(r, why, sizeof(why)) == -1)
		config_perr(p, ac->line, "[alert %s]: %s", ac->name, why);
	else
		config_alert_clear(p, ac);
}

/* The notify section ended: each type needs its own keys. */
static void
config_notify_end(struct config_parse *p)
{
	struct notify_conf	*nc = p->nc;
	char			 why[160], **argv;
	int			 cmd, url, ca;

	p->nc = NULL;
	cmd = config_seen(p, "command");
	url = config_seen(p, "url");
	ca = config_seen(p, "ca_file");
	if (config_seen(p, "type") == 0) {
		config_perr(p, nc->line, "[notify %s] needs type = log, exec "
		    "or webhook", nc->name);
		return;
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
}

/* [alert NAME]: a new name; starts from the table's defaults. */
static void
config_section_alert(struct config_parse *p, const char *name)
{
	struct alert_conf	*ac;

	if (!config_name_ok(name, CONFIG_NAME_CHARS)) {
		config_perr(p, p->line, "bad alert name '%s': use 1 to %d of "
		    "a-z, 0-9, _ and -", name, CONFIG_NAME_MAX);
		return;
	}
	TAILQ_FOREACH(ac, &p->cf->alerts, entry) {
		if (strcmp(ac->name, name) == 0) {
			config_perr(p, p->line, "duplicate section [alert %s] "
			    "(first at line %d)", name, ac->line);
			return;
		}
	}
	ac = xcalloc(1, sizeof(*ac));
	ac->name = xstrdup(name);
	ac->line = p->line;
	alertrule_init(&ac->rule);
	config_defaults(CONFIG_ALERT, ac);
	TAILQ_INSERT_TAIL(&p->cf->alerts, ac, entry);
	p->ac = ac;
	p->sec = CONFIG_ALERT;
}

/* [notify NAME]: a new name; starts from the table's defaults. */
static void
config_section_notify(struct config_parse *p, const char *name)
{
	struct notify_conf	*nc;

	if (!config_name_ok(name, CONFIG_NAME_CHARS)) {
		config_perr(p, p->line, "bad notifier name '%s': use 1 to %d "
		    "of a-z, 0-9, _ and -", name, CONFIG_NAME_MAX);
		return;
	}
	TAILQ_FOREACH(nc, &p->cf->notifiers, entry) {
		if (strcmp(nc->name, name) == 0) {
			config_perr(p, p->line, "duplicate section [notify %s] "
			    "(first at line %d)", name, nc->line);
			return;
		}
	}
	nc = xcalloc(1, sizeof(*nc));
	nc->name = xstrdup(name);
	nc->line = p->line;
	config_defaults(CONFIG_NOTIFY, nc);
	TAILQ_INSERT_TAIL(&p->cf->notifiers, nc, entry);
	p->nc = nc;
	p->sec = CONFIG_NOTIFY;
}

static void
config_alert_free(struct alert_conf *ac)
{
	size_t	 i;

	config_free_keys(CONFIG_ALERT, ac);
	for (i = 0; i < ac->nnotify; i++)
		free(ac->notify[i]);
	free(ac->notify);
	free(ac->name);
	free(ac);
}

static void
config_notify_free(struct notify_conf *nc)
{
	config_free_keys(CONFIG_NOTIFY, nc);
	free(nc->name);
	free(nc);
}

/* Notifiers named by rules must exist; their sections may come later. */
static void
config_check_alerts(struct config_parse *p)
{
	struct alert_conf	*ac;
	struct notify_conf	*nc;
	size_t			 i;

	TAILQ_FOREACH(ac, &p->cf->alerts, entry) {
		for (i = 0; i < ac->nnotify; i++) {
			TAILQ_FOREACH(nc, &p->cf->notifiers, entry) {
				if (strcmp(nc->name, ac->notify[i]) == 0)
					break;
			}
			if (nc == NULL)
				config_perr(p, ac->notify_line, "unknown "
				    "notifier '%s': no [notify %s] section",
				    ac->notify[i], ac->notify[i]);
		}
	}
}

/* Finish the section being read: its checks need all of its keys. */
static void
config_section_end(struct config_parse *p)
{
	if (p->sec == CONFIG_RETENTION)
		config_retention_end(p);
	else if (p->sec == CONFIG_PLUGIN)
		config_plugin_end(p);
	else if (p->sec == CONFIG_ALERT)
		config_alert_end(p);
	else if (p->sec == CONFIG_NOTIFY)
		config_notify_end(p);
	p->sec = CONFIG_NONE;
	free(p->secname);
	p->secname = NULL;
}

/* Start reading a retention section, from the table's defaults. */
static void
config_retention_start(struct config_parse *p, const char *name)
{
	config_rsec_clear(&p->rsec);
	config_defaults(CONFIG_RETENTION, &p->rsec);
	p->rname = xstrdup(name);
	p->rline = p->line;
	p->sec = CONFIG_RETENTION;
}

/* [retention NAME]: a new name, not a built-in one. */
static void
config_section_retention(struct config_parse *p, const char *name)
{
	const struct retention	*r;

	if (!config_name_ok(name, CONFIG_NAME_CHARS)) {
		config_perr(p, p->line, "bad retention name '%s': use 1 to %d "
		    "of a-z, 0-9, _ and -", name, CONFIG_NAME_MAX);
		return;
	}
	if ((r = config_retention(p->cf, name)) != NULL && r->builtin) {
		config_perr(p, p->line, "[retention %s] would redefine a "
		    "built-in preset", name);
		return;
	}
	if (r != NULL) {
		config_perr(p, p->line, "duplicate section [retention %s] "
		    "(first at line %d)", name, r->line);
		return;
	}
	config_retention_start(p, name);
}

/* [plugin NAME INSTANCE]: valid names, once per pair; starts from defaults. */
static void
config_section_plugin(struct config_parse *p, const char *name,
    const char *instance)
{
	struct plugin_conf	*pc;
	int			 bad = 0;

	if (!config_name_ok(name, CONFIG_NAME_CHARS)) {
		config_perr(p, p->line, "bad plugin name '%s': use 1 to %d "
		    "of a-z, 0-9, _ and -", name, CONFIG_NAME_MAX);
		bad = 1;
	}
	if (!config_name_ok(instance, CONFIG_NAME_CHARS)) {
		config_perr(p, p->line, "bad instance name '%s': use 1 to %d "
		    "of a-z, 0-9, _ and -", instance, CONFIG_NAME_MAX);
		bad = 1;
	}
	TAILQ_FOREACH(pc, &p->cf->plugins, entry) {
		if (!bad && strcmp(pc->plugin, name) == 0 &&
		    strcmp(pc->instance, instance) == 0) {
			config_perr(p, p->line, "duplicate section [plugin %s "
			    "%s] (first at line %d)", name, instance, pc->line);
			bad = 1;
		}
	}
	if (bad)
		return;
	pc = xcalloc(1, sizeof(*pc));
	pc->plugin = xstrdup(name);
	pc->instance = xstrdup(instance);
	pc->line = p->line;
	config_defaults(CONFIG_PLUGIN, pc);
	TAILQ_INSERT_TAIL(&p->cf->plugins, pc, entry);
	p->pc = pc;
	p->sec = CONFIG_PLUGIN;
}

/* A section header (the text inside []): end the last section, start it. */
static void
config_section(struct config_parse *p, const char *hdr, size_t len)
{
	const struct config_section	*cs;
	char				*copy, *w[4], *s, *save;
	int				 n = 0;

	config_section_end(p);
	p->sec = CONFIG_BAD;
	memset(p->seen_sec, 0, sizeof(p->seen_sec));
	copy = xstrndup(hdr, len);
	for (s = strtok_r(copy, " \t\v\f\r", &save); s != NULL;
	    s = strtok_r(NULL, " \t\v\f\r", &save)) {
		if (n < 4)
			w[n] = s;
		n++;
	}
	for (cs = config_sections; n > 0 && cs < config_sections +
	    CONFIG_NITEMS(config_sections); cs++) {
		if (strcmp(w[0], cs->word) == 0)
			break;
	}
	if (n == 0 || cs == config_sections + CONFIG_NITEMS(config_sections))
		config_perr(p, p->line, "unknown section [%.*s]", (int)len,
		    hdr);
	else if (n < cs->minw || n > cs->maxw)
		config_perr(p, p->line, "bad section [%.*s]: use %s",
		    (int)len, hdr, cs->usage);
	else if (cs->sec == CONFIG_RETENTION)
		config_section_retention(p, w[1]);
	else if (cs->sec == CONFIG_PLUGIN)
		config_section_plugin(p, w[1], n == 3 ? w[2] : "default");
	else if (cs->sec == CONFIG_ALERT)
		config_section_alert(p, w[1]);
	else if (cs->sec == CONFIG_NOTIFY)
		config_section_notify(p, w[1]);
	else
		p->sec = cs->sec;
	if (p->sec != CONFIG_BAD)
		xasprintf(&p->secname, "%s%s%s%s%s", w[0], n > 1 ? " " : "",
		    n > 1 ? w[1] : "", n > 2 ? " " : "", n > 2 ? w[2] : "");
	free(copy);
}

/* Like inih's find_chars_or_comment: a ';' after a space starts a comment. */
static const char *
config_find(const char *s, const char *chars)
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

	end = config_find(start + 1, "]");
	if (*end != ']') {
		config_perr(p, p->line, "section header without closing ']'");
		config_section_end(p);
		p->sec = CONFIG_BAD;
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

	end = config_find(start, "=:");
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
			p->sec = CONFIG_BAD;
		}
		line = "";
	}
	switch (config_classify(p, line, &start)) {
	case CONFIG_LINE_BLANK:
		break;
	case CONFIG_LINE_CONT:	/* libinih 55 keeps comments here: cut */
		p->continuation = 1;
		p->buf[config_find(start, "") - p->buf] = '\0';
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

/* A key the core does not own goes to the plugin, with its line. */
static void
config_plugin_opt(struct config_parse *p, const char *key, const char *value)
{
	struct plugin_conf	*pc = p->pc;
	struct plugin_opt	*o;

	if (!config_name_ok(key, CONFIG_OPT_CHARS)) {
		config_perr(p, p->line, "bad key '%s' in [%s]: use 1 to %d of "
		    "a-z, A-Z, 0-9, _, - and .", key, p->secname,
		    CONFIG_NAME_MAX);
		return;
	}
	pc->opts = xreallocarray(pc->opts, pc->nopts + 1, sizeof(*pc->opts));
	o = &pc->opts[pc->nopts++];
	o->key = xstrdup(key);
	o->value = xstrdup(value);
	o->line = p->line;
}

/* One key of a known section: check it against the table and store it. */
static void
config_key(struct config_parse *p, const char *name, const char *value)
{
	const struct config_key	*k;
	void			*base = p->cf;
	int			*seen = p->seen_top;
	char			 why[160];

	if (p->sec == CONFIG_RETENTION || p->sec == CONFIG_PLUGIN) {
		seen = p->seen_sec;
		base = p->sec == CONFIG_PLUGIN ? (void *)p->pc :
		    (void *)&p->rsec;
	} else if (p->sec == CONFIG_ALERT || p->sec == CONFIG_NOTIFY) {
		seen = p->seen_sec;
		base = p->sec == CONFIG_ALERT ? (void *)p->ac : (void *)p->nc;
	}
	if ((k = config_find_key(p->sec, name)) == NULL) {
		if (p->sec == CONFIG_PLUGIN)
			config_plugin_opt(p, name, value);
		else
			config_perr(p, p->line, "unknown key '%s' in [%s]",
			    name, p->secname);
		return;
	}
	if (seen[k - config_keys] != 0 && !(k->flags & CONFIG_MULTI)) {
		if (p->continuation)
			config_perr(p, p->line, "indented line continues "
			    "'%s', which takes one value", name);
		else
			config_perr(p, p->line, "duplicate key '%s' in [%s] "
			    "(first at line %d)", name, p->secname,
			    abs(seen[k - config_keys]));
		return;
	}
	seen[k - config_keys] = p->line;
	if (k->type == CONFIG_RRA)
		config_rra_add(p, value);
	else if (config_set(k, base, value, p->dir, why, sizeof(why)) == -1) {
		config_perr(p, p->line, "bad value '%s' for %s: %s", value,
		    name, why);
		seen[k - config_keys] = -p->line;	/* no checks with it */
	} else if ((k->flags & CONFIG_METRIC) && *value != '\0' &&
	    !series_name_valid(value)) {
		config_perr(p, p->line, "bad value '%s' for %s: not a metric "
		    "name (plugin.instance.metric of a-z, 0-9, _, -)", value,
		    name);
		seen[k - config_keys] = -p->line;
	} else if ((k->flags & CONFIG_PRESET) && *value != '\0') {
		p->refs = xreallocarray(p->refs, p->nrefs + 1,
		    sizeof(*p->refs));
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
	if (p->sec == CONFIG_BAD)
		return (1);
	if (*name == '\0')
		config_perr(p, p->line, "missing key before '='");
	else if (p->sec == CONFIG_NONE)
		config_perr(p, p->line, "key '%s' outside any section", name);
	else
		config_key(p, name, value);
	return (1);
}

static void
config_retention_free(struct retention *r)
{
	free(r->name);
	free(r->rra);
	free(r);
}

/* Free one plugin section, its table strings and its opts. */
static void
config_plugin_free(struct plugin_conf *pc)
{
	size_t	 i;

	config_free_keys(CONFIG_PLUGIN, pc);
	for (i = 0; i < pc->nopts; i++) {
		free(pc->opts[i].key);
		free(pc->opts[i].value);
	}
	free(pc->opts);
	free(pc->plugin);
	free(pc->instance);
	free(pc);
}

/* Free a config and everything in it; NULL is a no-op. */
void
config_free(struct config *cf)
{
	struct retention	*r;
	struct plugin_conf	*pc;
	struct alert_conf	*ac;
	struct notify_conf	*nc;

	if (cf == NULL)
		return;
	while ((r = TAILQ_FIRST(&cf->retentions)) != NULL) {
		TAILQ_REMOVE(&cf->retentions, r, entry);
		config_retention_free(r);
	}
	while ((pc = TAILQ_FIRST(&cf->plugins)) != NULL) {
		TAILQ_REMOVE(&cf->plugins, pc, entry);
		config_plugin_free(pc);
	}
	while ((ac = TAILQ_FIRST(&cf->alerts)) != NULL) {
		TAILQ_REMOVE(&cf->alerts, ac, entry);
		config_alert_free(ac);
	}
	while ((nc = TAILQ_FIRST(&cf->notifiers)) != NULL) {
		TAILQ_REMOVE(&cf->notifiers, nc, entry);
		config_notify_free(nc);
	}
	config_free_keys(CONFIG_DAEMON, cf);
	config_free_keys(CONFIG_STORAGE, cf);
	config_free_keys(CONFIG_HTTP, cf);
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
	config_rsec_clear(&p->rsec);
	config_errors_clear(&p->errs);
	free(p->elines);
	free(p->rname);
	free(p->secname);
	free(p->prev_key);
	free(p->buf);
	free(p->dir);
}

/* Add the built-in presets, read as if they were [retention] sections. */
static void
config_add_builtins(struct config *cf)
{
	const struct config_builtin	*b;
	struct config_parse		 p;
	struct retention		*r;
	size_t				 i;

	memset(&p, 0, sizeof(p));
	p.cf = cf;
	p.file = "built-in";
	for (b = config_builtins; b < config_builtins +
	    CONFIG_NITEMS(config_builtins); b++) {
		config_retention_start(&p, b->name);
		for (i = 0; i < CONFIG_NITEMS(b->keys) && b->keys[i][0]; i++)
			config_key(&p, b->keys[i][0], b->keys[i][1]);
		config_section_end(&p);
	}
	if (p.errs.n != 0)
		fatalx("config: %s", p.errs.msg[0]);
	config_parse_clear(&p);
	TAILQ_FOREACH(r, &cf->retentions, entry)
		r->builtin = 1;
}

/* A config holding every default and the built-in presets. */
static struct config *
config_new(void)
{
	struct config	*cf;

	cf = xcalloc(1, sizeof(*cf));
	TAILQ_INIT(&cf->retentions);
	TAILQ_INIT(&cf->plugins);
	TAILQ_INIT(&cf->alerts);
	TAILQ_INIT(&cf->notifiers);
	config_defaults(CONFIG_DAEMON, cf);
	config_defaults(CONFIG_STORAGE, cf);
	config_defaults(CONFIG_HTTP, cf);
	config_add_builtins(cf);
	return (cf);
}

/* The config file's absolute path and directory, without resolving links. */
static int
config_locate(struct config_parse *p, const char *path)
{
	char	*cwd, *slash;

	if (path[0] == '/')
		p->cf->path = config_abspath("/", path + 1);
	else {
		if ((cwd = getcwd(NULL, 0)) == NULL) {
			config_perr(p, 0, "current directory: %s",
			    strerror(errno));
			return (-1);
		}
		p->cf->path = config_abspath(cwd, path);
		free(cwd);
	}
	slash = strrchr(p->cf->path, '/');
	p->dir = xstrndup(p->cf->path, slash == p->cf->path ? 1 :
	    (size_t)(slash - p->cf->path));
	return (0);
}

/* Presets named by keys must exist; they may be defined after the key. */
static void
config_check_refs(struct config_parse *p)
{
	size_t	 i;

	for (i = 0; i < p->nrefs; i++) {
		if (config_retention(p->cf, p->refs[i].name) == NULL)
			config_perr(p, p->refs[i].line, "unknown retention "
			    "'%s'", p->refs[i].name);
	}
}

/* Parse a whole file into a fresh config; NULL and every error if bad. */
struct config *
config_load(const char *path, struct config_errors *errs)
{
	struct config_parse	 p;
	struct config		*cf;
	int			 rv;

	memset(&p, 0, sizeof(p));
	p.file = path;
	if ((p.fp = fopen(path, "r")) == NULL) {
		config_error(errs, path, 0, "%s", strerror(errno));
		return (NULL);
	}
	p.cf = cf = config_new();
	if (config_locate(&p, path) == 0) {
		rv = ini_parse_stream(config_read, &p, config_handler, &p);
		config_section_end(&p);
		if (rv == -2)
			fatalx("config: inih is out of memory");
		if (rv != 0)	/* config_read passes inih no bad line */
			config_perr(&p, rv, "syntax error");
		config_check_refs(&p);
		config_check_alerts(&p);
	}
	fclose(p.fp);
	if (p.errs.n != 0) {
		config_free(cf);
		cf = NULL;
	}
	config_errors_move(&p, errs);
	config_parse_clear(&p);
	return (cf);
}

/* The preset called name, built-in or from the file, or NULL. */
const struct retention *
config_retention(const struct config *cf, const char *name)
{
	const struct retention	*r;

	TAILQ_FOREACH(r, &cf->retentions, entry) {
		if (strcmp(r->name, name) == 0)
			return (r);
	}
	return (NULL);
}

static int
config_streq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

/* Same section if everything but line numbers matches, opts in order. */
int
config_plugin_same(const struct plugin_conf *a, const struct plugin_conf *b)
{
	size_t	 i;

	if (strcmp(a->plugin, b->plugin) != 0 ||
	    strcmp(a->instance, b->instance) != 0 ||
	    !config_streq(a->file, b->file) ||
	    !config_streq(a->retention, b->retention) ||
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

/* Compare one table key of two configs by its type. */
static int
config_key_equal(const struct config_key *k, const struct config *a,
    const struct config *b)
{
	const char	*pa = (const char *)a + k->off;
	const char	*pb = (const char *)b + k->off;

	if (k->type == CONFIG_STRING || k->type == CONFIG_PATH)
		return (config_streq(*(char *const *)pa, *(char *const *)pb));
	return (memcmp(pa, pb, config_type_size(k->type)) == 0);
}

/* A [daemon] or [storage] key that only a restart can change. */
static int
config_key_fixed(const struct config_key *k)
{
	return ((k->sec == CONFIG_DAEMON || k->sec == CONFIG_STORAGE ||
	    k->sec == CONFIG_HTTP) &&
	    !(k->flags & CONFIG_RELOAD));
}

/* List the fixed keys whose values differ, in table order. */
char *
config_unreloadable(const struct config *old, const struct config *new)
{
	const struct config_key	*k;
	char			*list = NULL, *s;

	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++) {
		if (!config_key_fixed(k) || config_key_equal(k, old, new))
			continue;
		if (list == NULL)
			list = xstrdup(k->name);
		else {
			xasprintf(&s, "%s, %s", list, k->name);
			free(list);
			list = s;
		}
	}
	return (list);
}

/* Give new the old values of fixed keys, so the config in force is true. */
void
config_keep_unreloadable(struct config *new, const struct config *old)
{
	const struct config_key	*k;
	char			*dst, **sp;
	const char		*src;

	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++) {
		if (!config_key_fixed(k))
			continue;
		dst = (char *)new + k->off;
		src = (const char *)old + k->off;
		if (k->type == CONFIG_STRING || k->type == CONFIG_PATH) {
			sp = (char **)dst;
			free(*sp);
			*sp = *(char *const *)src;
			if (*sp != NULL)
				*sp = xstrdup(*sp);
		} else
			memcpy(dst, src, config_type_size(k->type));
	}
}

/* Type and range of a key, as --help-config and the man page say them. */
static void
config_describe(const struct config_key *k, char *buf, size_t len)
{
	char	 lo[32], hi[32], list[128];

	config_fmt_value(k, k->min, lo, sizeof(lo));
	config_fmt_value(k, k->max, hi, sizeof(hi));
	switch (k->type) {
	case CONFIG_STRING:
		snprintf(buf, len, "%s", (k->flags & CONFIG_PRESET) ?
		    "retention preset" : "string");
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
		snprintf(buf, len, "count %s..%s (k, M, G: thousands)", lo, hi);
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
	case CONFIG_RRA:
		snprintf(buf, len, "CF:RESOLUTION:SPAN, repeated");
		break;
	case CONFIG_NUMBER:
		snprintf(buf, len, "number");
		break;
	}
}

/* Print the built-in presets as the sections that would define them. */
static void
config_print_builtins(FILE *fp)
{
	const struct config_builtin	*b;
	size_t				 i;

	for (b = config_builtins; b < config_builtins +
	    CONFIG_NITEMS(config_builtins); b++) {
		fprintf(fp, "\n# built in: %s\n# %s\n[retention %s]\n",
		    b->name, b->about, b->name);
		for (i = 0; i < CONFIG_NITEMS(b->keys) && b->keys[i][0]; i++)
			fprintf(fp, "  %s = %s\n", b->keys[i][0],
			    b->keys[i][1]);
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

/* Print every key of the table, by section, then the built-in presets. */
void
config_print_help(FILE *fp)
{
	static const char *const heads[] = {
		[CONFIG_DAEMON] = "[daemon]",
		[CONFIG_STORAGE] = "[storage]",
		[CONFIG_HTTP] = "[http]",
		[CONFIG_RETENTION] = "[retention NAME]",
		[CONFIG_PLUGIN] = "[plugin NAME INSTANCE]\n"
		    "# INSTANCE defaults to \"default\"; other keys go to "
		    "the plugin",
		[CONFIG_ALERT] = "[alert NAME]\n"
		    "# an alert rule; see tallyd.conf(5) and docs/ALERTS.md",
		[CONFIG_NOTIFY] = "[notify NAME]\n"
		    "# a notifier named by rules' notify",
	};
	const struct config_key	*k;
	enum config_sec		 sec = CONFIG_NONE;
	const char		*def;
	char			 type[160];

	for (k = config_keys; k < config_keys + CONFIG_NKEYS; k++) {
		if (k->sec != sec) {
			sec = k->sec;
			fprintf(fp, "%s%s\n", k == config_keys ? "" : "\n",
			    heads[sec]);
		}
		if ((def = k->defshow) == NULL && (def = k->def) == NULL)
			def = "";
		config_describe(k, type, sizeof(type));
		fprintf(fp, "  %s =%s%s\n\t%s; %s\n", k->name,
		    *def != '\0' ? " " : "", def, type,
		    (k->flags & CONFIG_RELOAD) ? "reloadable" :
		    "restart to change");
		config_print_folded(fp, k->help);
	}
	config_print_builtins(fp);
}
