/*
 * main.c - tallyd: arguments, start-up order, signals, reload, shutdown.
 *
 * Start-up: parse and check the config (errors to stderr as file:line),
 * load-check the plugins, make directories, lock the pidfile, then fork;
 * only then create the event base and threads (neither survives fork).
 * Start-up of storage: the store's writer, the forwarders (they hold
 * their journal segments), then the journal's replay
 * (values an earlier run acknowledged), a flush of what it replayed, and
 * only then clients and plugins.
 * Shutdown: stop scheduling, wait for running reads (bounded), flush the
 * store; the journal is emptied only if everything reached the files.  Reload (SIGHUP) parses into a fresh config and
 * swaps it in only if it is good.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "alert.h"
#include "alertconf.h"
#include "cmd.h"
#include "command.h"
#include "config.h"
#include "forward.h"
#include "graphite.h"
#include "http.h"
#include "journal.h"
#include "listen.h"
#include "log.h"
#include "notify.h"
#include "plugin.h"
#include "proc.h"
#include "prom.h"
#include "query.h"
#include "labels.h"
#include "report.h"
#include "retention.h"
#include "series.h"
#include "stats.h"
#include "store.h"
#include "util.h"
#include "xmalloc.h"

static struct config		*main_conf;
static struct event_base	*main_base;
static struct store		*main_store;
static struct journal		*main_journal;
static int			 main_replayed;	/* its flush answered */
static volatile int		 main_stopping;
static int			 main_verbose;

/* listen.c hands each request line to cmd.c through this. */
static int
main_request(struct client *c, char *line, size_t len)
{
	return (cmd_exec(c, line, len) == CMD_WAIT);
}

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: tallyd [-fhtVv] [-c file] [--help-config]\n"
	    "  -c file        configuration file (default %s/tallyd.conf)\n"
	    "  -f             stay in the foreground, log to stderr\n"
	    "  -t             check the configuration and exit\n"
	    "  -v             more verbose logging (debug)\n"
	    "  -V             print the version and exit\n"
	    "  -h             this help\n"
	    "  --help-config  every configuration key with its default\n",
	    TALLY_SYSCONFDIR);
	exit(status);
}

/* The line of "path:LINE: message"; 0 (last) for "path: message". */
static long
main_error_line(const char *msg, const char *path)
{
	size_t	 n = strlen(path);

	if (strncmp(msg, path, n) != 0 || msg[n] != ':')
		return (LONG_MAX);
	return (msg[n + 1] >= '0' && msg[n + 1] <= '9' ?
	    strtol(msg + n + 1, NULL, 10) : LONG_MAX);
}

/*
 * Every error once, in line order: a check may find what the reader
 * already said, and plugins and checks come after the reader.
 */
static void
main_print_errors(struct config_errors *errs, const char *path, int to_log)
{
	size_t	 i, j;
	char	*m;

	for (i = 1; i < errs->n; i++) {
		for (j = i; j > 0 && main_error_line(errs->msg[j - 1], path) >
		    main_error_line(errs->msg[j], path); j--) {
			m = errs->msg[j];
			errs->msg[j] = errs->msg[j - 1];
			errs->msg[j - 1] = m;
		}
	}
	for (i = 0; i < errs->n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(errs->msg[i], errs->msg[j]) == 0)
				break;
		if (j < i)
			continue;
		if (to_log)
			log_warnx("%s", errs->msg[i]);
		else
			fprintf(stderr, "%s\n", errs->msg[i]);
	}
}

/* tallyd -t: what the start would find wrong, short of starting. */
static void
main_check(const struct config *conf, struct config_errors *errs)
{
	struct group	 gr, *res;
	char		 why[128], buf[4096];
	uid_t		 uid;
	gid_t		 gid;

	if (conf->listen != NULL && util_hostport_valid(conf->listen, why,
	    sizeof(why)) == 0 && util_hostport_resolve(conf->listen, why,
	    sizeof(why)) == -1)
		config_error(errs, conf->path, 0, "listen = %s: %s",
		    conf->listen, why);
	if (conf->render_helper != NULL &&
	    access(conf->render_helper, X_OK) == -1)
		config_error(errs, conf->path, 0, "render_helper %s: %s",
		    conf->render_helper, strerror(errno));
	if (conf->user != NULL && proc_user(conf->user, &uid, &gid) == -1)
		config_error(errs, conf->path, 0, "user '%s': no such user",
		    conf->user);
	if (conf->socket != NULL && conf->socket_group != NULL &&
	    (getgrnam_r(conf->socket_group, &gr, buf, sizeof(buf), &res) != 0 ||
	    res == NULL))
		config_error(errs, conf->path, 0, "socket_group '%s': no such "
		    "group", conf->socket_group);
	http_check(conf, errs);
}

/*
 * Load a config.  With check (tallyd -t) everything that can be checked
 * without starting is, and every error is reported at once: plugins are
 * dlopened and their keys checked even when core keys are wrong.  A
 * running daemon instead refuses a bad instance alone and carries on.
 */
static struct config *
main_load(const char *path, int to_log, int check)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*conf;

	if (!check)
		conf = config_load(path, &errs);
	else if ((conf = config_load_all(path, &errs)) != NULL) {
		plugins_check(conf, &errs);
		main_check(conf, &errs);
		if (errs.n != 0) {
			config_free(conf);
			conf = NULL;
		}
	}
	main_print_errors(&errs, path, to_log);
	config_errors_clear(&errs);
	return (conf);
}

static void
main_reload(void)
{
	struct config	*conf;
	char		*fixed;

	log_info("reload: reading %s", main_conf->path);
	if ((conf = main_load(main_conf->path, 1, 0)) == NULL) {
		log_warnx("reload: %s has errors; keeping the running "
		    "configuration", main_conf->path);
		return;
	}
	if ((fixed = config_unreloadable(main_conf, conf)) != NULL) {
		log_warnx("reload: changes to %s need a restart; they are not "
		    "applied", fixed);
		free(fixed);
		config_keep_unreloadable(conf, main_conf);
	}
	log_setverbose(main_verbose || conf->verbose);
	series_set_config(conf);
	listen_set_config(conf);
	graphite_set_config(conf);
	forward_reload(conf);
	cmd_set_config(conf);
	query_set_config(conf);
	labels_set_config(conf);
	report_set_config(conf);
	http_reload(conf);
	alert_reload(conf);
	plugins_reload(conf);
	config_free(main_conf);
	main_conf = conf;
}

static void
main_signal_cb(evutil_socket_t sig, short events, void *arg)
{
	switch (sig) {
	case SIGHUP:
		main_reload();
		break;
	case SIGTERM:
	case SIGINT:
		log_info("%s: shutting down", strsignal(sig));
		main_stopping = 1;	/* also during the journal's replay */
		event_base_loopbreak(main_base);
		break;
	}
}

/* Make the data and state directories, owned by the user we become. */
static int
main_dirs(const struct config *conf, uid_t uid, gid_t gid, int chown_them)
{
	const char	*dirs[] = { conf->datadir, conf->statedir };
	size_t		 i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (util_mkdirs(dirs[i], 0755) == -1) {
			fprintf(stderr, "tallyd: %s: %s\n", dirs[i],
			    strerror(errno));
			return (-1);
		}
		if (chown_them && chown(dirs[i], uid, gid) == -1) {
			fprintf(stderr, "tallyd: chown %s: %s\n", dirs[i],
			    strerror(errno));
			return (-1);
		}
	}
	return (0);
}

/*
 * Every listener's cap at once must fit the descriptor limit, with room
 * for files, plugins and helpers; say so at start if it does not.
 */
static void
main_check_nofile(const struct config *conf)
{
	const struct http_conf	*hc = config_single(conf, &http_section);
	struct rlimit		 rl;
	unsigned long		 want;

	want = (unsigned long)conf->max_clients + conf->max_local_clients +
	    (hc != NULL && hc->listen != NULL ? (unsigned long)
	    hc->max_connections + 256 : 0) + 256;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
		log_warnx("max_clients + max_local_clients + [http] "
		    "max_connections need about %lu descriptors, the limit is "
		    "%llu: raise it (LimitNOFILE) or lower them", want,
		    (unsigned long long)rl.rlim_cur);
}

static void
main_replay_cb(void *arg, const struct journal_rec *rec)
{
	series_replay(rec);
}

struct main_sync {
	uint64_t	 token;
};

static void
main_stored_cb(void *arg, int error, const char *why)
{
	struct main_sync	*ms = arg;

	/* After journal_close (a request the stopped store answers late). */
	if (main_journal == NULL) {
		free(ms);
		return;
	}
	if (error)
		log_warnx("journal: kept until storage works: %s", why);
	journal_stored(main_journal, ms->token, error);
	free(ms);
}

/* Journal thread: have everything queued so far written. */
static void
main_sync_cb(void *arg, uint64_t token)
{
	struct main_sync	*ms = xcalloc(1, sizeof(*ms));

	ms->token = token;
	store_flush(main_store, NULL, main_stored_cb, ms);
}

static void
main_replayed_cb(void *arg, int error, const char *why)
{
	if (error)
		log_warnx("journal: replayed values not all stored yet (kept, "
		    "retried): %s", why);
	else
		journal_stored(main_journal, journal_replayed(main_journal), 0);
	main_replayed = 1;
}

/* Replay the journal into the store and wait until it is written. */
static void
main_journal_start(void)
{
	char	 dir[PATH_MAX], err[512];
	size_t	 n;

	snprintf(dir, sizeof(dir), "%s/journal", main_conf->statedir);
	if ((main_journal = journal_open(dir, main_conf->durability,
	    main_conf->journal_max, 0, err, sizeof(err))) == NULL)
		fatalx("journal: %s", err);
	/* Forwarders hold their segments before any can be removed. */
	if (forward_start(main_conf, main_journal) == -1)
		fatalx("forward: cannot start");
	if ((n = journal_replay(main_journal, main_replay_cb, NULL)) > 0) {
		store_flush(main_store, NULL, main_replayed_cb, NULL);
		while (!main_replayed && !main_stopping)
			event_base_loop(main_base, EVLOOP_ONCE);
	}
	if (journal_start(main_journal, main_base, main_sync_cb, NULL) == -1)
		fatalx("journal: cannot start");
	if (main_conf->durability != JOURNAL_MEMORY)
		series_set_journal(main_journal);
	cmd_set_journal(main_journal);
	command_set_journal(main_journal);
	http_set_journal(main_journal);
	plugins_set_storage(main_store, main_journal);
}

static void
main_run(int foreground)
{
	struct store_opts	 so;
	struct event		*sig[4];
	int			 signos[] = { SIGHUP, SIGTERM, SIGINT };
	size_t			 i;
	unsigned long		 left;
	char			 undo[PATH_MAX], bases[PATH_MAX];
	int			 stuck;

	signal(SIGPIPE, SIG_IGN);
	/*
	 * librrd's graph falls back to RRDCACHED_ADDRESS from the environment;
	 * files are flushed by the store before a render, so it must not.
	 * No thread runs yet, so changing the environment is safe here.
	 */
	unsetenv("RRDCACHED_ADDRESS");
	if (evthread_use_pthreads() == -1)
		fatalx("libevent has no pthreads support");
	/*
	 * libevent's coarse clock fires timers up to a tick (4 ms) early; the
	 * plugin schedule allows for it (sched.c's slack, and a tick that
	 * comes early waits for the rest).  A precise timer would cost a
	 * timerfd_settime on every turn of the loop.
	 */
	if ((main_base = event_base_new()) == NULL)
		fatalx("cannot make the event base");
	for (i = 0; i < 3; i++) {
		sig[i] = evsignal_new(main_base, signos[i], main_signal_cb,
		    NULL);
		if (sig[i] == NULL || evsignal_add(sig[i], NULL) == -1)
			fatalx("cannot watch signal %d", signos[i]);
	}
	memset(&so, 0, sizeof(so));
	so.rrdcached = main_conf->rrdcached;
	so.queue_max = main_conf->queue_max;
	so.write_delay = main_conf->write_delay;
	snprintf(undo, sizeof(undo), "%s/store.undo", main_conf->statedir);
	so.undo = undo;
	snprintf(bases, sizeof(bases), "%s/store.bases", main_conf->statedir);
	so.bases = bases;
	so.fsync = main_conf->durability == JOURNAL_FSYNC;
	main_store = store_new(main_base, &so);
	if (store_start(main_store) == -1)
		fatalx("store: cannot start the writer");
	series_init(main_store);
	series_set_config(main_conf);
	cmd_set_store(main_store);
	plugins_set_owners(main_conf);
	main_journal_start();
	query_init(main_base, main_store);
	query_set_config(main_conf);
	report_init(main_base);
	labels_set_config(main_conf);
	report_set_config(main_conf);
	cmd_set_config(main_conf);
	main_check_nofile(main_conf);
	listen_start(main_base, main_conf, main_request);
	graphite_start(main_base, main_conf);
	http_start(main_base, main_conf);
	prom_start();
	alert_start(main_base, main_store, main_conf);
	plugins_start(main_base, main_conf);
	log_info("tallyd %s running: %d plugin instance(s), data in %s%s%s",
	    PACKAGE_VERSION, plugins_count(), main_conf->datadir,
	    main_conf->rrdcached != NULL ? ", via rrdcached " : "",
	    main_conf->rrdcached != NULL ? main_conf->rrdcached : "");
	proc_ready();

	if (!main_stopping)
		event_base_dispatch(main_base);

	listen_stop();
	graphite_stop();
	http_stop();
	if ((stuck = plugins_stop(main_conf->shutdown_timeout)) > 0)
		log_warnx("%d read(s) did not finish in %lu ms", stuck,
		    main_conf->shutdown_timeout);
	alert_stop();
	/*
	 * The store's last round runs the completions of flushes still
	 * waited for; a FETCH, INFO or GRAPH among them submits to the query
	 * pool, so that pool (and the render helpers) must outlive it.  A
	 * report's last FETCH submits its render: the report pool goes last.
	 */
	query_stop();
	if ((left = store_stop(main_store)) > 0)
		log_warnx("store: %lu values not in their files; the journal "
		    "keeps them for the next start", left);
	query_shutdown();
	report_shutdown();
	forward_stop();
	labels_shutdown();
	journal_close(main_journal, left == 0);
	main_journal = NULL;
	cmd_shutdown();
	log_info("stopped: %llu values received, %llu written, %llu "
	    "dropped", (unsigned long long)stats_get(STAT_VALUES_RECEIVED),
	    (unsigned long long)stats_get(STAT_VALUES_WRITTEN),
	    (unsigned long long)stats_get(STAT_VALUES_DROPPED));
	series_shutdown();
	store_free(main_store);
	for (i = 0; i < 3; i++)
		event_free(sig[i]);
	event_base_free(main_base);
	(void)foreground;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help-config", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*path = TALLY_SYSCONFDIR "/tallyd.conf";
	int		 ch, foreground = 0, check = 0;
	uid_t		 uid = 0;
	gid_t		 gid = 0;

	/* Each owner's sections, in the order --help-config shows them. */
	config_register(&http_section);
	config_register(&retention_section);
	config_register(&plugin_section);
	config_register(&alertconf_section);
	config_register(&notify_section);
	config_register(&graphite_section);
	config_register(&forward_section);
	config_register(&report_section);
	config_register(&labels_section);
	while ((ch = getopt_long(argc, argv, "c:fhtVv", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			config_print_help(stdout);
			exit(0);
		case 'f':
			foreground = 1;
			break;
		case 'h':
			usage(0);
		case 't':
			check = 1;
			break;
		case 'V':
			printf("tallyd %s (plugin ABI %d)\n", PACKAGE_VERSION,
			    TALLY_PLUGIN_ABI);
			exit(0);
		case 'v':
			main_verbose = 1;
			break;
		default:
			usage(1);
		}
	}
	if (optind != argc)
		usage(1);

	log_init(1, main_verbose, "tallyd");
	if ((main_conf = main_load(path, 0, check)) == NULL) {
		if (check)
			fprintf(stderr, "%s: configuration has errors\n", path);
		exit(1);
	}
	if (check) {
		printf("%s: configuration OK\n", path);
		config_free(main_conf);
		exit(0);
	}
	if (main_conf->user != NULL && proc_user(main_conf->user, &uid,
	    &gid) == -1) {
		fprintf(stderr, "tallyd: unknown user '%s'\n", main_conf->user);
		exit(1);
	}
	if (main_dirs(main_conf, uid, gid, main_conf->user != NULL &&
	    geteuid() == 0) == -1)
		exit(1);
	if (main_conf->pidfile != NULL &&
	    proc_pidfile_open(main_conf->pidfile) == -1)
		exit(1);
	if (listen_open(main_conf) == -1 || http_open(main_conf) == -1 ||
	    graphite_open(main_conf) == -1)
		exit(1);
	if (!foreground)
		proc_daemonize();
	log_init(foreground, main_verbose || main_conf->verbose, "tallyd");
	proc_pidfile_write();
	if (main_conf->user != NULL && geteuid() == 0)
		proc_drop(main_conf->user, uid, gid);

	main_run(foreground);

	proc_pidfile_remove();
	config_free(main_conf);
	return (0);
}
