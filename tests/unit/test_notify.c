/*
 * test_notify.c - the notifiers' pure helpers (URLs, commands, the JSON
 * document, the environment) and exec deliveries on a real event loop:
 * the environment arrives, a failing program is retried with backoff, and
 * a program that hangs is killed at its timeout without holding the loop.
 */
#include <sys/stat.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>

#include <netinet/in.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "notify.h"
#include "tap.h"

static char	 tmpdir[256];

static const struct notify_event ev = {
	.rule = "coop-falling", .metric = "coop.registry.revenue.avg",
	.kind = "change", .event = "fire", .level = "critical",
	.previous = "ok", .message = "change -12%: \"quoted\"\tand tab",
	.value = -12, .threshold = -10, .time = 1672531200,
	.since = 1672531200
};

static void
test_url(void)
{
	struct notify_url	 u;
	char			 why[160];

	ok(notify_url_parse("http://127.0.0.1:8080/hook?x=1", &u, why,
	    sizeof(why)) == 0 && strcmp(u.host, "127.0.0.1") == 0 &&
	    u.port == 8080 && strcmp(u.path, "/hook?x=1") == 0 &&
	    strcmp(u.hosthdr, "127.0.0.1:8080") == 0, "host, port, path");
	ok(notify_url_parse("http://example.org", &u, why, sizeof(why)) == 0 &&
	    u.port == 80 && strcmp(u.path, "/") == 0 &&
	    strcmp(u.hosthdr, "example.org") == 0, "defaults: port 80, /");
	ok(notify_url_parse("http://[::1]:9/x", &u, why, sizeof(why)) == 0 &&
	    strcmp(u.host, "::1") == 0 && strcmp(u.hosthdr, "[::1]:9") == 0,
	    "IPv6 literal");
	ok(notify_url_parse("https://example.org/h", &u, why, sizeof(why)) ==
	    0 && u.tls && u.port == 443 &&
	    strcmp(u.hosthdr, "example.org") == 0 &&
	    strcmp(u.path, "/h") == 0, "https: TLS, port 443");
	ok(notify_url_parse("https://example.org:8443/", &u, why,
	    sizeof(why)) == 0 && u.tls && u.port == 8443 &&
	    strcmp(u.hosthdr, "example.org:8443") == 0, "https, port 8443");
	ok(notify_url_parse("http://example.org/", &u, why, sizeof(why)) ==
	    0 && !u.tls, "http: no TLS");
	ok(notify_url_parse("ftp://example.org/", NULL, why, sizeof(why)) ==
	    -1, "ftp refused: %s", why);
	ok(notify_url_parse("http://h:99999/", NULL, why, sizeof(why)) == -1,
	    "bad port refused");
	ok(notify_url_parse("http://a b/", NULL, why, sizeof(why)) == -1,
	    "space refused");
	ok(notify_url_parse("http://user@h/", NULL, why, sizeof(why)) == -1,
	    "user@ refused");
}

static void
test_argv(void)
{
	char	**argv, why[160];

	ok(notify_argv_split("/bin/echo  a \"b c\" \"d\\\"e\"", &argv, why,
	    sizeof(why)) == 0 && strcmp(argv[0], "/bin/echo") == 0 &&
	    strcmp(argv[1], "a") == 0 && strcmp(argv[2], "b c") == 0 &&
	    strcmp(argv[3], "d\"e") == 0 && argv[4] == NULL,
	    "words, quotes, escapes");
	notify_argv_free(argv);
	ok(notify_argv_split("echo hi", &argv, why, sizeof(why)) == -1,
	    "relative program refused: %s", why);
	ok(notify_argv_split("/bin/echo \"open", &argv, why, sizeof(why)) ==
	    -1, "unclosed quote refused");
	ok(notify_argv_split("   ", &argv, why, sizeof(why)) == -1,
	    "empty command refused");
}

static void
test_documents(void)
{
	static char	 path[] = "PATH=/bin";
	char		*json, **envp, *const keep[] = { path, NULL };
	int		 i, found = 0;

	json = notify_json(&ev, "host1");
	ok(strstr(json, "\"name\":\"coop-falling\"") != NULL &&
	    strstr(json, "\"level\":\"critical\"") != NULL &&
	    strstr(json, "\"value\":-12,") != NULL &&
	    strstr(json, "\"threshold\":-10,") != NULL &&
	    strstr(json, "\"event\":\"fire\"") != NULL &&
	    strstr(json, "\"time\":1672531200") != NULL &&
	    strstr(json, "\"version\":1") != NULL, "JSON fields: %s", json);
	ok(strstr(json, "\\\"quoted\\\"\\u0009and tab") != NULL,
	    "JSON escapes quotes and control bytes");
	free(json);
	envp = notify_envp(&ev, keep);
	for (i = 0; envp[i] != NULL; i++) {
		found += strcmp(envp[i], "TALLY_ALERT_NAME=coop-falling") == 0;
		found += strcmp(envp[i], "TALLY_ALERT_LEVEL=critical") == 0;
		found += strcmp(envp[i], "TALLY_ALERT_VALUE=-12") == 0;
		found += strcmp(envp[i], "TALLY_ALERT_METRIC="
		    "coop.registry.revenue.avg") == 0;
		found += strcmp(envp[i], "PATH=/bin") == 0;
	}
	is_int(found, 5, "environment has the alert fields and PATH");
	notify_argv_free(envp);
}

static struct config *
load(const char *text)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cf;
	char			 path[512];
	FILE			*fp;
	size_t			 i;

	snprintf(path, sizeof(path), "%s/t.conf", tmpdir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fprintf(fp, "[daemon]\nstatedir = %s\n", tmpdir);
	fputs(text, fp);
	fclose(fp);
	if ((cf = config_load(path, &errs)) == NULL)
		for (i = 0; i < errs.n; i++)
			printf("#   %s\n", errs.msg[i]);
	config_errors_clear(&errs);
	return (cf);
}

static int
lines(const char *path)
{
	FILE	*fp;
	int	 c, n = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return (0);
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return (n);
}

/* Run the loop until nothing is pending or ms pass; the time it took. */
static msec_t
run(struct event_base *base, msec_t ms)
{
	msec_t	 start = clock_mono();

	while (notify_pending() > 0 && clock_mono() - start < ms) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(5000);
	}
	return (clock_mono() - start);
}

static void
test_exec(void)
{
	struct event_base	*base;
	struct config		*cf;
	static char		 env[] = "env", fail[] = "fail", hang[] = "hang";
	char			 text[2048], out[300], fails[300], *names[1];
	char			 buf[512];
	FILE			*fp;
	msec_t			 took;

	snprintf(out, sizeof(out), "%s/out", tmpdir);
	snprintf(fails, sizeof(fails), "%s/fails", tmpdir);
	snprintf(text, sizeof(text),
	    "[notify env]\ntype = exec\ncommand = /bin/sh -c \"echo "
	    "$TALLY_ALERT_NAME $TALLY_ALERT_LEVEL $TALLY_ALERT_VALUE >%s\"\n"
	    "[notify fail]\ntype = exec\nretries = 2\nbackoff = 100ms\n"
	    "command = /bin/sh -c \"echo x >>%s; exit 3\"\n"
	    "[notify hang]\ntype = exec\ntimeout = 300ms\nretries = 0\n"
	    "command = /bin/sleep 30\n", out, fails);
	if ((cf = load(text)) == NULL) {
		ok(0, "notify config loads");
		return;
	}
	evthread_use_pthreads();
	base = event_base_new();
	notify_start(base, cf);
	names[0] = env;
	notify_send(&ev, names, 1);
	run(base, 5000);
	buf[0] = '\0';
	if ((fp = fopen(out, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), fp) == NULL)
			buf[0] = '\0';
		fclose(fp);
	}
	is_str(buf, "coop-falling critical -12\n", "exec sees TALLY_ALERT_*");
	names[0] = fail;
	notify_send(&ev, names, 1);
	took = run(base, 5000);
	ok(lines(fails) == 3 && took >= 300, "a failing program: tried 3 "
	    "times, backoff 100 + 200 ms (%d runs, %lld ms)", lines(fails),
	    (long long)took);
	names[0] = hang;
	notify_send(&ev, names, 1);
	took = run(base, 10000);
	ok(notify_pending() == 0 && took < 3000, "a hanging program is "
	    "killed at its timeout (%lld ms)", (long long)took);
	notify_stop();
	event_base_free(base);
	config_free(cf);
}

static int	 got;
static char	 body[2048];

/* The receiver: keeps the body, answers 200. */
static void
receive_cb(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(req);
	size_t		 n = evbuffer_get_length(in);

	if (n >= sizeof(body))
		n = sizeof(body) - 1;
	evbuffer_remove(in, body, n);
	body[n] = '\0';
	got++;
	evhttp_send_reply(req, 200, "OK", NULL);
}

/* Webhooks on the same loop as an evhttp receiver; a closed port. */
static void
test_webhook(void)
{
	static char			 hook[] = "hook", dead[] = "dead";
	struct evhttp_bound_socket	*bs;
	struct event_base		*base;
	struct sockaddr_in		 sin;
	socklen_t			 len = sizeof(sin);
	struct evhttp			*http;
	struct config			*cf;
	char				 text[512], *names[1];
	msec_t				 took;

	base = event_base_new();
	http = evhttp_new(base);
	bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	evhttp_set_gencb(http, receive_cb, NULL);
	getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin,
	    &len);
	snprintf(text, sizeof(text), "[notify hook]\ntype = webhook\n"
	    "url = http://127.0.0.1:%d/in\n[notify dead]\ntype = webhook\n"
	    "url = http://127.0.0.1:1/\nretries = 1\nbackoff = 100ms\n",
	    ntohs(sin.sin_port));
	if ((cf = load(text)) == NULL) {
		ok(0, "webhook config loads");
		return;
	}
	notify_start(base, cf);
	names[0] = hook;
	notify_send(&ev, names, 1);
	run(base, 5000);
	ok(got == 1 && strstr(body, "\"name\":\"coop-falling\"") != NULL,
	    "the receiver got the document");
	names[0] = dead;
	notify_send(&ev, names, 1);
	took = run(base, 5000);
	ok(notify_pending() == 0 && took >= 100 && got == 1, "refused "
	    "connection: retried once after 100 ms, then given up (%lld ms)",
	    (long long)took);
	notify_stop();
	evhttp_free(http);
	event_base_free(base);
	config_free(cf);
}

/* Notices as queue lines, and back; bad lines refused. */
static void
test_record(void)
{
	struct notify_event	 back, nan = ev;
	char			*rec, *nl;
	char			 bad[256];
	size_t			 i;
	static const char *const bads[] = {
		"",
		"r\tm\tk\tfire\tcritical\tok\t1\t2\t3",
		"r\tm\tk\tfire\tcritical\tok\tx\t2\t3\t4\tmsg",
		"r\tm\tk\tfire\tcritical\tok\t1\t2\t-3\t4\tmsg",
		"r\tm\tk\tfire\tcritical\tok\t1\t2\t3\t4\tmsg\textra",
		"r\t\tk\tfire\tcritical\tok\t1\t2\t3\t4\tmsg",
	};

	rec = notify_record_fmt(&ev);
	nl = strchr(rec, '\n');
	ok(nl != NULL && nl[1] == '\0', "a queued notice is one line");
	*nl = '\0';
	ok(notify_record_parse(rec, &back) == 0, "and reads back");
	ok(strcmp(back.rule, ev.rule) == 0 && strcmp(back.metric,
	    ev.metric) == 0 && strcmp(back.kind, ev.kind) == 0 &&
	    strcmp(back.event, ev.event) == 0 && strcmp(back.level,
	    ev.level) == 0 && strcmp(back.previous, ev.previous) == 0,
	    "names, kind, event and levels survive");
	ok(back.value == -12 && back.threshold == -10 &&
	    back.time == ev.time && back.since == ev.since,
	    "numbers and times survive");
	is_str(back.message, "change -12%: \"quoted\" and tab",
	    "the message survives, its tab a space");
	free(rec);
	nan.value = NAN;
	nan.threshold = NAN;
	rec = notify_record_fmt(&nan);
	*strchr(rec, '\n') = '\0';
	ok(notify_record_parse(rec, &back) == 0 && isnan(back.value) &&
	    isnan(back.threshold), "an unknown value stays unknown");
	free(rec);
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		snprintf(bad, sizeof(bad), "%s", bads[i]);
		ok(notify_record_parse(bad, &back) == -1,
		    "bad queue line %zu refused", i);
	}
}

/*
 * A notice a stop cut off is kept in statedir/notify.queue; the next
 * start delivers it through the notifier's new settings and removes the
 * file; a damaged line is skipped and the rest still delivered.
 */
static void
test_queue(void)
{
	struct event_base	*base;
	struct config		*cf;
	static char		 q[] = "q";
	char			 text[1024], out[300], qpath[300], *names[1];
	char			 buf[512];
	FILE			*fp;

	snprintf(out, sizeof(out), "%s/queued", tmpdir);
	snprintf(qpath, sizeof(qpath), "%s/notify.queue", tmpdir);
	evthread_use_pthreads();
	if ((cf = load("[notify q]\ntype = exec\ncommand = /bin/false\n"
	    "retries = 5\nbackoff = 1h\n")) == NULL) {
		ok(0, "queue config loads");
		return;
	}
	base = event_base_new();
	notify_start(base, cf);
	names[0] = q;
	notify_send(&ev, names, 1);
	notify_hold(&ev, names, 1);
	run(base, 300);
	is_int(notify_pending(), 2, "a failing delivery and a held one wait");
	notify_stop();
	event_base_free(base);
	config_free(cf);
	is_int(lines(qpath), 3, "the stop kept both in the queue (+ header)");
	if ((fp = fopen(qpath, "a")) != NULL) {
		fputs("q\tdamaged line\n", fp);
		fclose(fp);
	}

	snprintf(text, sizeof(text), "[notify q]\ntype = exec\n"
	    "command = /bin/sh -c \"echo $TALLY_ALERT_NAME "
	    "$TALLY_ALERT_EVENT >>%s\"\n", out);
	if ((cf = load(text)) == NULL) {
		ok(0, "second queue config loads");
		return;
	}
	base = event_base_new();
	notify_start(base, cf);
	ok(access(qpath, F_OK) == -1, "the start took the queue and removed it");
	run(base, 5000);
	is_int(lines(out), 2, "both kept notices delivered after the restart");
	buf[0] = '\0';
	if ((fp = fopen(out, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), fp) == NULL)
			buf[0] = '\0';
		fclose(fp);
	}
	is_str(buf, "coop-falling fire\n", "as the notice they were");
	notify_stop();
	ok(access(qpath, F_OK) == -1, "nothing left: no queue written");
	event_base_free(base);
	config_free(cf);
}

int
main(void)
{
	char	 cmd[300];

	log_init(1, 0, "test_notify");
	config_register(&notify_section);
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_notify.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		return (1);
	}
	test_url();
	test_argv();
	test_documents();
	test_exec();
	test_webhook();
	test_record();
	test_queue();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return (tap_done());
}
