/*
 * graphite.c - the Graphite plaintext listener (see graphite.h).
 *
 * DESIGN
 * Loop thread only, like listen.c.  Each TCP connection is a bufferevent
 * read line by line; nothing is ever written back (the protocol has no
 * answers).  A line longer than max_line is refused once and the rest of
 * it, up to its newline, dropped, so a client cannot make us buffer more
 * than the input watermark; the connection stays.  At most lines_per_wake
 * lines are served per turn, then the connection yields (an event made
 * active) so one busy sender cannot starve the others.  Connections past
 * max_clients are closed at once, an idle one after timeout.  A UDP
 * datagram is a batch of lines; a line it cuts short is refused.
 *
 * Each line goes through plaintext_parse (pure, fuzzed) and then
 * command_series/command_submit, the path of PUT's values.  The series a
 * Graphite line declared are remembered by name (at most max_series since
 * start), so a line for a known series costs one table lookup and no
 * registry lock but series_submit's.  A refused line is counted in STATS
 * (graphite.refused) and logged with its reason and peer at most once
 * every GRAPHITE_LOG_EVERY seconds, with how many went unlogged.
 *
 * Reordering.  An RRD file takes no value older than its last, and
 * senders are not always in order: collectd's write threads (5 by
 * default) hand one series' values to write_graphite in any order.  So a
 * series' values are held for `reorder` after the first of them came,
 * then stored sorted by time (stable: of two equal times the first sent
 * wins, as in the store).  Held series wait in graphite_held in arrival
 * order; one timer releases those due.  A series holding
 * GRAPHITE_HOLD_MAX values is released at once, and past GRAPHITE_HELD_MAX
 * in all the longest held are, so memory stays bounded.
 * Held values are not yet journaled: a crash loses at most `reorder` of
 * them (the protocol acknowledges nothing, and a sender cannot tell).
 * graphite_stop releases everything, before the store stops.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "clock.h"
#include "command.h"
#include "compat.h"
#include "config.h"
#include "graphite.h"
#include "hmap.h"
#include "log.h"
#include "names.h"
#include "numfmt.h"
#include "plaintext.h"
#include "series.h"
#include "stats.h"
#include "util.h"
#include "xmalloc.h"

#define GRAPHITE_NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define GRAPHITE_LINE_MAX	65536	/* the most max_line may be */
#define GRAPHITE_WATERMARK	65536	/* bytes read ahead per connection */
#define GRAPHITE_LOG_EVERY	10	/* seconds between refusal lines */
#define GRAPHITE_SHOW_MAX	80	/* bytes of a refused line logged */
#define GRAPHITE_DGRAMS		64	/* UDP datagrams per wake-up */
#define GRAPHITE_HOLD_MAX	4096	/* values a series holds at most */
#define GRAPHITE_HELD_MAX	(1 << 20) /* values all series hold at most */

struct graphite_conn {
	struct bufferevent		*bev;
	struct event			*more_ev;
	int				 skipping;	/* an over-long line */
	char				 peer[64];
	TAILQ_ENTRY(graphite_conn)	 entry;
};

/* A series Graphite lines declared, and the values it holds. */
struct graphite_ser {
	struct series			*s;
	char				*name;
	size_t				 n, cap;
	time_t				*when;
	double				*value;
	msec_t				 due;		/* when held: release */
	int				 held;
	TAILQ_ENTRY(graphite_ser)	 entry;
};

static int			 graphite_tcp_fd = -1;
static int			 graphite_udp_fd = -1;
static struct evconnlistener	*graphite_ev;
static struct event		*graphite_udp_ev;
static struct event_base	*graphite_base;
static TAILQ_HEAD(, graphite_conn) graphite_conns =
    TAILQ_HEAD_INITIALIZER(graphite_conns);
static int			 graphite_nconns;
static const struct config	*graphite_cf;	/* in force: main's */
static const struct graphite_conf *graphite_gc;
static struct plaintext_rules	 graphite_rules;
static struct hmap		*graphite_series;	/* name: graphite_ser */
static TAILQ_HEAD(, graphite_ser) graphite_held =
    TAILQ_HEAD_INITIALIZER(graphite_held);
static struct event		*graphite_hold_ev;
static size_t			 graphite_nheld;	/* values, all series */
static struct log_limit		 graphite_ll_refused, graphite_ll_full;
static char			 graphite_buf[GRAPHITE_LINE_MAX + 2];

static void	graphite_release(struct graphite_ser *);

#define G(f)	offsetof(struct graphite_conf, f)

static const struct config_key graphite_keys[] = {
	{ .name = "listen", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_HOSTPORT,
	  .off = G(listen),
	  .help = "TCP address of the Graphite plaintext listener, host:port "
	  "(e.g. 127.0.0.1:2003); empty: off" },
	{ .name = "udp", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_HOSTPORT,
	  .off = G(udp),
	  .help = "UDP address for the same lines, one or more a datagram; "
	  "empty: off" },
	{ .name = "plugin", .type = CONFIG_OWN,
	  .own = "name (a-z, 0-9, _, -)", .flags = CONFIG_RELOAD,
	  .help = "first part of the series names Graphite lines make "
	  "(default graphite): PLUGIN.INSTANCE.METRIC" },
	{ .name = "instance", .type = CONFIG_OWN,
	  .own = "PATH.PREFIX NAME", .flags = CONFIG_RELOAD | CONFIG_MULTI,
	  .help = "paths starting with these components go to instance NAME, "
	  "the prefix removed (the longest prefix wins); other paths take "
	  "their first component as the instance" },
	{ .name = "retention", .type = CONFIG_STRING,
	  .def = "", .flags = CONFIG_NONE_OK | CONFIG_RELOAD,
	  .ref = "retention", .off = G(retention),
	  .help = "retention preset of the series Graphite lines declare; "
	  "empty: [storage] retention" },
	{ .name = "max_series", .type = CONFIG_COUNT,
	  .min = 1, .max = 10000000, .def = "10000", .flags = CONFIG_RELOAD,
	  .off = G(max_series),
	  .help = "series Graphite lines may declare since start; lines "
	  "for more are refused" },
	{ .name = "max_clients", .type = CONFIG_INT,
	  .min = 1, .max = 65536, .def = "64", .flags = CONFIG_RELOAD,
	  .off = G(max_clients),
	  .help = "TCP connections at once; more are closed at once" },
	{ .name = "max_line", .type = CONFIG_COUNT,
	  .min = 64, .max = GRAPHITE_LINE_MAX, .def = "1024",
	  .flags = CONFIG_RELOAD, .off = G(max_line),
	  .help = "bytes of a line; a longer one is refused and skipped" },
	{ .name = "timeout", .type = CONFIG_DURATION,
	  .min = 1000, .max = CONFIG_MS_D, .def = "5m",
	  .flags = CONFIG_RELOAD, .off = G(timeout),
	  .help = "a connection silent this long is closed" },
	{ .name = "lines_per_wake", .type = CONFIG_INT,
	  .min = 1, .max = 1000000, .def = "1000", .flags = CONFIG_RELOAD,
	  .off = G(lines_per_wake),
	  .help = "lines of one connection served before the others get "
	  "a turn" },
	{ .name = "max_depth", .type = CONFIG_INT,
	  .min = 1, .max = PLAINTEXT_DEPTH_MAX, .def = "8",
	  .flags = CONFIG_RELOAD, .off = G(max_depth),
	  .help = "path components of the metric (after the instance); "
	  "deeper paths are refused" },
	{ .name = "future", .type = CONFIG_DURATION,
	  .min = 0, .max = CONFIG_MS_D, .def = "10m",
	  .flags = CONFIG_RELOAD | CONFIG_SECONDS, .off = G(future),
	  .help = "how far ahead of our clock a timestamp may be; later "
	  "ones are refused" },
	{ .name = "reorder", .type = CONFIG_DURATION,
	  .min = 0, .max = 60000, .def = "2s", .flags = CONFIG_RELOAD,
	  .off = G(reorder),
	  .help = "a series' values are held this long and stored in time "
	  "order, so lines sent a little out of order are kept; 0: stored "
	  "at once (held values are lost by a crash)" },
};

static int	graphite_value(struct config_parse *, void *, const char *,
		    const char *);

const struct config_section graphite_section = {
	.word = "graphite", .minw = 1, .maxw = 1, .usage = "[graphite]",
	.head = "[graphite]", .keys = graphite_keys,
	.nkeys = GRAPHITE_NITEMS(graphite_keys), .value = graphite_value,
	.size = sizeof(struct graphite_conf)
};

/* "PATH.PREFIX NAME" of an instance key. */
static void
graphite_value_instance(struct config_parse *p, struct graphite_conf *gc,
    const char *value)
{
	char	 prefix[PLAINTEXT_PREFIX_MAX + 2], name[NAMES_PART_MAX + 2];
	size_t	 i, n;

	n = strcspn(value, " \t");
	i = n + strspn(value + n, " \t");
	if (n == 0 || n >= sizeof(prefix) || value[i] == '\0' ||
	    strlen(value + i) >= sizeof(name) ||
	    value[i + strcspn(value + i, " \t")] != '\0') {
		config_perr(p, config_line(p), "bad value '%s' for instance: "
		    "use PATH.PREFIX NAME", value);
		return;
	}
	memcpy(prefix, value, n);
	prefix[n] = '\0';
	snprintf(name, sizeof(name), "%s", value + i);
	if (!plaintext_prefix_valid(prefix)) {
		config_perr(p, config_line(p), "bad prefix '%s' for instance: "
		    "dotted path components, none empty, at most %d bytes",
		    prefix, PLAINTEXT_PREFIX_MAX);
		return;
	}
	if (!names_part_valid(name)) {
		config_perr(p, config_line(p), "bad instance name '%s': use 1 "
		    "to %d of a-z, 0-9, _ and -", name, NAMES_PART_MAX);
		return;
	}
	for (i = 0; i < gc->nmaps; i++) {
		if (strcmp(gc->maps[i].prefix, prefix) == 0) {
			config_perr(p, config_line(p), "duplicate instance "
			    "prefix '%s'", prefix);
			return;
		}
	}
	if (gc->nmaps == GRAPHITE_MAPS_MAX) {
		config_perr(p, config_line(p), "more than %d instance lines",
		    GRAPHITE_MAPS_MAX);
		return;
	}
	memcpy(gc->maps[gc->nmaps].prefix, prefix, n + 1);
	memcpy(gc->maps[gc->nmaps].instance, name, strlen(name) + 1);
	gc->nmaps++;
}

static int
graphite_value(struct config_parse *p, void *base, const char *key,
    const char *value)
{
	struct graphite_conf	*gc = base;

	if (strcmp(key, "instance") == 0) {
		graphite_value_instance(p, gc, value);
		return (0);
	}
	if (strcmp(key, "plugin") != 0)
		return (-1);
	if (!names_part_valid(value))
		config_perr(p, config_line(p), "bad value '%s' for plugin: "
		    "use 1 to %d of a-z, 0-9, _ and -", value, NAMES_PART_MAX);
	else
		memcpy(gc->plugin, value, strlen(value) + 1);	/* <= 64 */
	return (0);
}

void
graphite_set_config(const struct config *conf)
{
	const struct graphite_conf	*gc;
	struct graphite_ser		*g;

	gc = config_single(conf, &graphite_section);
	graphite_cf = conf;
	graphite_gc = gc;
	graphite_rules.plugin = gc->plugin[0] != '\0' ? gc->plugin :
	    "graphite";
	graphite_rules.maps = gc->maps;
	graphite_rules.nmaps = gc->nmaps;
	graphite_rules.max_depth = gc->max_depth;
	graphite_rules.future = (time_t)gc->future;
	/* Stored at once from now on: what is held goes first, in order. */
	if (gc->reorder == 0)
		while ((g = TAILQ_FIRST(&graphite_held)) != NULL)
			graphite_release(g);
}

/* Count a refused line; say why now and then, with what was not said. */
static void
graphite_refuse(const char *peer, const char *why, const char *line,
    size_t len)
{
	char		 show[GRAPHITE_SHOW_MAX + 1];
	unsigned long	 more;
	size_t		 i, n;

	stats_add(STAT_GRAPHITE_REFUSED, 1);
	if (!log_limit_ok(&graphite_ll_refused, time(NULL),
	    GRAPHITE_LOG_EVERY, &more))
		return;
	n = len < GRAPHITE_SHOW_MAX ? len : GRAPHITE_SHOW_MAX;
	for (i = 0; i < n; i++)
		show[i] = line[i] >= 0x20 && line[i] < 0x7f &&
		    line[i] != '"' && line[i] != '\\' ? line[i] : '?';
	show[n] = '\0';
	log_warnx("graphite: %s: line refused: %s: \"%s\"%s (%lu more "
	    "refused since the last such message)", peer, why, show,
	    len > n ? "..." : "", more);
}

/* Store what g holds, oldest first; a value still too old is refused. */
static void
graphite_release(struct graphite_ser *g)
{
	char	 line[GRAPHITE_SHOW_MAX + 1], num[NUMFMT_LEN];
	size_t	 i, k;
	time_t	 t;
	double	 v;
	int	 rc, len;

	if (g->held) {
		TAILQ_REMOVE(&graphite_held, g, entry);
		g->held = 0;
	}
	/* Insertion sort: stable, and a sender's values are nearly sorted. */
	for (i = 1; i < g->n; i++) {
		t = g->when[i];
		v = g->value[i];
		for (k = i; k > 0 && g->when[k - 1] > t; k--) {
			g->when[k] = g->when[k - 1];
			g->value[k] = g->value[k - 1];
		}
		g->when[k] = t;
		g->value[k] = v;
	}
	for (i = 0; i < g->n; i++) {
		if ((rc = command_submit(g->s, g->when[i], g->value[i],
		    NULL)) == SERIES_OK) {
			stats_add(STAT_GRAPHITE_ACCEPTED, 1);
			continue;
		}
		numfmt_double(num, sizeof(num), g->value[i]);
		len = snprintf(line, sizeof(line), "%s %s %lld", g->name, num,
		    (long long)g->when[i]);
		graphite_refuse("held", series_rc_name(rc), line,
		    len < 0 ? 0 : (size_t)len < sizeof(line) ? (size_t)len :
		    sizeof(line) - 1);
	}
	graphite_nheld -= g->n;
	stats_set(STAT_GRAPHITE_HELD, graphite_nheld);
	g->n = 0;
}

static void
graphite_hold_arm(void)
{
	struct graphite_ser	*g;
	struct timeval		 tv;
	msec_t			 now, wait;

	if ((g = TAILQ_FIRST(&graphite_held)) == NULL) {
		evtimer_del(graphite_hold_ev);
		return;
	}
	now = clock_mono();
	wait = g->due > now ? g->due - now : 0;
	tv.tv_sec = (time_t)(wait / 1000);
	tv.tv_usec = (suseconds_t)(wait % 1000) * 1000;
	evtimer_add(graphite_hold_ev, &tv);
}

/* The timer: release the series whose time is up. */
static void
graphite_hold_cb(evutil_socket_t fd, short events, void *arg)
{
	struct graphite_ser	*g;
	msec_t			 now = clock_mono();

	(void)fd;
	(void)events;
	(void)arg;
	while ((g = TAILQ_FIRST(&graphite_held)) != NULL && g->due <= now)
		graphite_release(g);
	graphite_hold_arm();
}

/* Hold one value of g until reorder has passed since its first. */
static void
graphite_hold(struct graphite_ser *g, time_t when, double value)
{
	struct graphite_ser	*h;

	if (g->n == g->cap) {
		g->cap = g->cap == 0 ? 8 : g->cap * 2;
		g->when = xreallocarray(g->when, g->cap, sizeof(*g->when));
		g->value = xreallocarray(g->value, g->cap, sizeof(*g->value));
	}
	g->when[g->n] = when;
	g->value[g->n++] = value;
	stats_set(STAT_GRAPHITE_HELD, ++graphite_nheld);
	if (g->n >= GRAPHITE_HOLD_MAX) {
		graphite_release(g);
		graphite_hold_arm();
		return;
	}
	/* Past the overall bound the longest held go first. */
	if (graphite_nheld >= GRAPHITE_HELD_MAX) {
		while (graphite_nheld >= GRAPHITE_HELD_MAX / 2 &&
		    (h = TAILQ_FIRST(&graphite_held)) != NULL)
			graphite_release(h);
		if (!g->held && g->n > 0)
			graphite_release(g);
		graphite_hold_arm();
		return;
	}
	if (!g->held) {
		g->held = 1;
		g->due = clock_mono() + graphite_gc->reorder;
		TAILQ_INSERT_TAIL(&graphite_held, g, entry);
		if (TAILQ_FIRST(&graphite_held) == g)
			graphite_hold_arm();
	}
}

static void
graphite_ser_free(void *arg)
{
	struct graphite_ser	*g = arg;

	free(g->name);
	free(g->when);
	free(g->value);
	free(g);
}

/* One line (without its newline): parsed, declared, stored. */
static void
graphite_line(const char *peer, const char *line, size_t len)
{
	struct plaintext_value	 v;
	struct graphite_ser	*g;
	struct series		*s;
	const char		*why, *preset;
	char			 err[256];
	int			 rc;

	if ((rc = plaintext_parse(&graphite_rules, line, len, time(NULL), &v,
	    &why)) == 0)
		return;
	if (rc == -1) {
		graphite_refuse(peer, why, line, len);
		return;
	}
	if ((g = hmap_get(graphite_series, v.name)) == NULL) {
		if (hmap_count(graphite_series) >= graphite_gc->max_series) {
			graphite_refuse(peer, "max_series reached", line, len);
			return;
		}
		preset = graphite_gc->retention != NULL ?
		    graphite_gc->retention : graphite_cf->default_retention;
		if ((s = command_series(v.name, preset, err, sizeof(err))) ==
		    NULL) {
			graphite_refuse(peer, err[0] != '\0' ? err :
			    "not a series name", line, len);
			return;
		}
		g = xcalloc(1, sizeof(*g));
		g->s = s;
		g->name = xstrdup(v.name);
		hmap_put(graphite_series, v.name, g);
		stats_set(STAT_GRAPHITE_SERIES, hmap_count(graphite_series));
	}
	if (graphite_gc->reorder == 0) {
		if ((rc = command_submit(g->s, v.when, v.value, NULL)) !=
		    SERIES_OK)
			graphite_refuse(peer, series_rc_name(rc), line, len);
		else
			stats_add(STAT_GRAPHITE_ACCEPTED, 1);
		return;
	}
	graphite_hold(g, v.when, v.value);
}

static void
graphite_conn_free(struct graphite_conn *c)
{
	TAILQ_REMOVE(&graphite_conns, c, entry);
	graphite_nconns--;
	bufferevent_free(c->bev);
	event_free(c->more_ev);
	log_debug("graphite: %s: closed", c->peer);
	free(c);
}

/*
 * Serve the complete lines of c, at most lines_per_wake unless at its end
 * (eof: then an unterminated last line counts too).
 */
static void
graphite_conn_process(struct graphite_conn *c, int eof)
{
	struct evbuffer		*in = bufferevent_get_input(c->bev);
	struct evbuffer_ptr	 eol;
	size_t			 avail, len, eollen;
	int			 n;

	for (n = 0;; n++) {
		avail = evbuffer_get_length(in);
		if (avail == 0)
			break;
		if (n == graphite_gc->lines_per_wake && !eof) {
			event_active(c->more_ev, EV_TIMEOUT, 0);
			break;
		}
		eol = evbuffer_search_eol(in, NULL, &eollen, EVBUFFER_EOL_LF);
		if (eol.pos == -1) {
			if (avail > graphite_gc->max_line) {
				if (!c->skipping)
					graphite_refuse(c->peer, "line longer "
					    "than max_line", NULL, 0);
				c->skipping = 1;
				evbuffer_drain(in, avail);
				break;
			}
			if (!eof)
				break;
			len = avail;	/* the last line, unterminated */
			eollen = 0;
		} else
			len = (size_t)eol.pos;
		if (c->skipping || len > graphite_gc->max_line) {
			if (!c->skipping)
				graphite_refuse(c->peer, "line longer than "
				    "max_line", NULL, 0);
			c->skipping = 0;
			evbuffer_drain(in, len + eollen);
			continue;
		}
		evbuffer_remove(in, graphite_buf, len + eollen);
		graphite_line(c->peer, graphite_buf, len);
	}
}

static void
graphite_read_cb(struct bufferevent *bev, void *arg)
{
	graphite_conn_process(arg, 0);
}

static void
graphite_more_cb(evutil_socket_t fd, short events, void *arg)
{
	graphite_conn_process(arg, 0);
}

static void
graphite_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct graphite_conn	*c = arg;

	if (what & BEV_EVENT_EOF)
		graphite_conn_process(c, 1);
	else if (what & BEV_EVENT_TIMEOUT)
		log_debug("graphite: %s: idle; closing", c->peer);
	graphite_conn_free(c);
}

static void
graphite_peer(const struct sockaddr *sa, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    host, sizeof(host));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr, host,
		    sizeof(host));
	else
		snprintf(host, sizeof(host), "?");
	snprintf(buf, len, "%s", host);
}

static void
graphite_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct graphite_conn	*c;
	struct timeval		 tv;
	unsigned long		 more;
	size_t			 hi;

	if (graphite_nconns >= graphite_gc->max_clients) {
		if (log_limit_ok(&graphite_ll_full, time(NULL), 60, &more))
			log_warnx("graphite: %d connections: refusing more "
			    "(%lu more refused)", graphite_nconns, more);
		close(fd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	graphite_peer(sa, c->peer, sizeof(c->peer));
	c->bev = bufferevent_socket_new(graphite_base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	c->more_ev = event_new(graphite_base, -1, 0, graphite_more_cb, c);
	if (c->bev == NULL || c->more_ev == NULL)
		fatalx("graphite: cannot make a connection's events");
	bufferevent_setcb(c->bev, graphite_read_cb, NULL, graphite_event_cb,
	    c);
	hi = graphite_gc->max_line + 2;
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	    hi > GRAPHITE_WATERMARK ? hi : GRAPHITE_WATERMARK);
	tv.tv_sec = graphite_gc->timeout / 1000;
	tv.tv_usec = (graphite_gc->timeout % 1000) * 1000;
	bufferevent_set_timeouts(c->bev, &tv, NULL);
	bufferevent_enable(c->bev, EV_READ);
	TAILQ_INSERT_TAIL(&graphite_conns, c, entry);
	graphite_nconns++;
	log_debug("graphite: %s: connected", c->peer);
}

/* Datagrams waiting, each a batch of lines; a cut-off last line refused. */
static void
graphite_udp_cb(evutil_socket_t fd, short events, void *arg)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 peer[64];
	ssize_t			 n;
	size_t			 off, len;
	const char		*nl;
	int			 i;

	for (i = 0; i < GRAPHITE_DGRAMS; i++) {
		sslen = sizeof(ss);
		n = recvfrom(fd, graphite_buf, sizeof(graphite_buf), MSG_TRUNC,
		    (struct sockaddr *)&ss, &sslen);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR)
				log_warn("graphite: udp receive");
			return;
		}
		graphite_peer((struct sockaddr *)&ss, peer, sizeof(peer));
		if ((size_t)n > sizeof(graphite_buf)) {
			graphite_refuse(peer, "datagram longer than 65538 "
			    "bytes", NULL, 0);
			continue;
		}
		for (off = 0; off < (size_t)n; off += len + 1) {
			nl = memchr(graphite_buf + off, '\n', (size_t)n - off);
			len = nl != NULL ? (size_t)(nl - graphite_buf) - off :
			    (size_t)n - off;
			if (len > graphite_gc->max_line)
				graphite_refuse(peer, "line longer than "
				    "max_line", graphite_buf + off, len);
			else
				graphite_line(peer, graphite_buf + off, len);
		}
	}
}

int
graphite_open(const struct config *conf)
{
	const struct graphite_conf *gc = config_single(conf,
	    &graphite_section);

	if (gc->listen != NULL && (graphite_tcp_fd =
	    util_tcp_listen("[graphite] listen", gc->listen)) == -1)
		return (-1);
	if (gc->udp != NULL && (graphite_udp_fd =
	    util_udp_bind("[graphite] udp", gc->udp)) == -1)
		return (-1);
	return (0);
}

void
graphite_start(struct event_base *base, const struct config *conf)
{
	graphite_set_config(conf);
	if (graphite_tcp_fd == -1 && graphite_udp_fd == -1)
		return;
	graphite_base = base;
	graphite_series = hmap_new();
	if ((graphite_hold_ev = evtimer_new(base, graphite_hold_cb, NULL)) ==
	    NULL)
		fatalx("graphite: cannot make the reorder timer");
	if (graphite_tcp_fd != -1) {
		graphite_ev = evconnlistener_new(base, graphite_accept_cb,
		    NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1,
		    graphite_tcp_fd);
		if (graphite_ev == NULL)
			fatalx("graphite: cannot watch the listening socket");
		graphite_tcp_fd = -1;
		log_info("graphite: listening on %s (TCP)",
		    graphite_gc->listen);
	}
	if (graphite_udp_fd != -1) {
		graphite_udp_ev = event_new(base, graphite_udp_fd,
		    EV_READ | EV_PERSIST, graphite_udp_cb, NULL);
		if (graphite_udp_ev == NULL ||
		    event_add(graphite_udp_ev, NULL) == -1)
			fatalx("graphite: cannot watch the UDP socket");
		log_info("graphite: listening on %s (UDP)", graphite_gc->udp);
	}
}

void
graphite_stop(void)
{
	struct graphite_conn	*c;
	struct graphite_ser	*g;

	if (graphite_ev != NULL)
		evconnlistener_free(graphite_ev);
	graphite_ev = NULL;
	if (graphite_tcp_fd != -1)
		close(graphite_tcp_fd);
	graphite_tcp_fd = -1;
	if (graphite_udp_ev != NULL)
		event_free(graphite_udp_ev);
	graphite_udp_ev = NULL;
	if (graphite_udp_fd != -1)
		close(graphite_udp_fd);
	graphite_udp_fd = -1;
	while ((c = TAILQ_FIRST(&graphite_conns)) != NULL)
		graphite_conn_free(c);
	while ((g = TAILQ_FIRST(&graphite_held)) != NULL)
		graphite_release(g);
	if (graphite_hold_ev != NULL)
		event_free(graphite_hold_ev);
	graphite_hold_ev = NULL;
	hmap_free(graphite_series, graphite_ser_free);
	graphite_series = NULL;
}
