/*
 * test_tallyctl_cli.c - the tallyctl program end to end against a fake
 * server: a forked child listens on a unix socket (or 127.0.0.1), sends a
 * greeting, records each request line it reads and answers with canned
 * bytes.  Checks what goes on the wire (verbs, quoting, AUTH), what is
 * printed (table, CSV, JSON, images) and every exit status (0, 1 on ERR,
 * 2 on usage, 3 on connection trouble).  The binary is $TALLYCTL, else
 * $top_builddir/tallyctl, else ./tallyctl; without it the test skips.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

#define GREET		"OK 0 tallyd 0.1.0 protocol 1 auth=none"
#define GREET_AUTH	"OK 0 tallyd 0.1.0 protocol 1 auth=required"
#define NO_SERVER	((const struct fake *)NULL)

/* What the fake server does with one connection. */
struct fake {
	const char	*greeting;	/* sent first, with "\n"; NULL: none */
	const char	*reply[4];	/* written after each request line */
	size_t		 replen[4];	/* 0: strlen(reply[i]) */
	int		 hangup;	/* close right after the replies */
	int		 stall;		/* then hold it silent this long (s) */
	int		 tcp;		/* listen on 127.0.0.1, not a socket */
};

/* What one run of tallyctl did. */
struct run {
	int		 rc;		/* exit status, or -1 if it died */
	char		 out[8192];	/* stdout (may hold NUL bytes) */
	size_t		 outlen;
	char		 err[4096];	/* stderr */
	char		 err1[256];	/* its first line, for messages */
	char		 got[4096];	/* request lines the server read */
	double		 secs;
};

static char		 tallyctl[1024];
static char		 dir[64];
static char		 sockpath[100];
static char		 hostport[64];
static int		 tty_stdout;	/* next run: stdout is a terminal */

/* Read one line (with "\n") from fd into buf; 0 at EOF. */
static size_t
read_line(int fd, char *buf, size_t len)
{
	size_t	 n = 0;

	while (n + 1 < len && read(fd, buf + n, 1) == 1) {
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return (n);
}

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0 && (w = write(fd, p, n)) > 0) {
		p += w;
		n -= w;
	}
}

/* The fake server's child: one connection, then exit. */
static void __attribute__((noreturn))
serve(int lfd, const struct fake *fk, int gotfd)
{
	char	 line[70000];
	size_t	 n;
	int	 i, fd;

	alarm(20);
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(1);
	if (fk->greeting != NULL) {
		write_all(fd, fk->greeting, strlen(fk->greeting));
		write_all(fd, "\n", 1);
	}
	for (i = 0; i < 4 && fk->reply[i] != NULL; i++) {
		if ((n = read_line(fd, line, sizeof(line))) == 0)
			_exit(0);
		write_all(gotfd, line, n);
		write_all(fd, fk->reply[i], fk->replen[i] != 0 ?
		    fk->replen[i] : strlen(fk->reply[i]));
	}
	if (fk->hangup)
		_exit(0);
	if (fk->stall > 0)
		sleep(fk->stall);
	while ((n = read_line(fd, line, sizeof(line))) > 0)
		write_all(gotfd, line, n);
	_exit(0);
}

/* Listen where the next tallyctl will connect. */
static int
listen_fake(const struct fake *fk)
{
	struct sockaddr_un	 sun;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	if (fk->tcp) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
		    getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
			abort();
		snprintf(hostport, sizeof(hostport), "127.0.0.1:%d",
		    ntohs(sin.sin_port));
	} else {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sockpath);
		unlink(sockpath);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			abort();
	}
	if (listen(fd, 4) == -1)
		abort();
	return (fd);
}

/* Read a whole file into buf (NUL-terminated); bytes read. */
static size_t
slurp(const char *path, char *buf, size_t len)
{
	size_t	 n = 0;
	FILE	*fp;

	buf[0] = '\0';
	if ((fp = fopen(path, "rb")) == NULL)
		return (0);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return (n);
}

/* The tallyctl child: stdout and stderr to files in dir, then exec. */
static void __attribute__((noreturn))
exec_ctl(char **argv)
{
	char	 path[128];
	int	 fd, master;

	snprintf(path, sizeof(path), "%s/out", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (tty_stdout) {
		if ((master = posix_openpt(O_RDWR | O_NOCTTY)) == -1 ||
		    grantpt(master) == -1 || unlockpt(master) == -1 ||
		    (fd = open(ptsname(master), O_RDWR | O_NOCTTY)) == -1)
			_exit(99);
	}
	dup2(fd, STDOUT_FILENO);
	snprintf(path, sizeof(path), "%s/err", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, STDERR_FILENO);
	execv(argv[0], argv);
	_exit(98);
}

/* Wait for the server child; kill it if it is still waiting to accept. */
static void
reap_server(pid_t pid)
{
	int	 i;

	for (i = 0; i < 300; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Time since t0, in seconds. */
static double
since(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9);
}

/*
 * Run tallyctl with args (NULL-terminated) against fk (NULL: no server,
 * and -s names a socket that does not exist).  Adds "-s path" or
 * "-H 127.0.0.1:port" first unless args start with "!".
 */
static void
run(const struct fake *fk, struct run *r, const char *const *args)
{
	char		*argv[32], path[128];
	int		 argc = 0, lfd = -1, gotp[2], status;
	pid_t		 srv = -1, pid;
	ssize_t		 n;
	size_t		 got = 0;
	struct timespec	 t0;

	memset(r, 0, sizeof(*r));
	if (pipe(gotp) == -1)
		abort();
	argv[argc++] = tallyctl;
	if (fk != NULL) {
		lfd = listen_fake(fk);
		if ((srv = fork()) == 0) {
			close(gotp[0]);
			serve(lfd, fk, gotp[1]);
		}
		close(lfd);
	}
	if (args[0] != NULL && args[0][0] == '!')
		args++;
	else if (fk != NULL && fk->tcp) {
		argv[argc++] = strdup("-H");
		argv[argc++] = strdup(hostport);
	} else {
		argv[argc++] = strdup("-s");
		argv[argc++] = strdup(fk != NULL ? sockpath : "/nonexistent/s");
	}
	while (*args != NULL && argc < 31)
		argv[argc++] = strdup(*args++);
	argv[argc] = NULL;
	close(gotp[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == 0)
		exec_ctl(argv);
	waitpid(pid, &status, 0);
	r->secs = since(&t0);
	r->rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (srv != -1)
		reap_server(srv);
	while (got + 1 < sizeof(r->got) &&
	    (n = read(gotp[0], r->got + got, sizeof(r->got) - 1 - got)) > 0)
		got += n;
	r->got[got] = '\0';
	close(gotp[0]);
	snprintf(path, sizeof(path), "%s/out", dir);
	r->outlen = slurp(path, r->out, sizeof(r->out));
	snprintf(path, sizeof(path), "%s/err", dir);
	slurp(path, r->err, sizeof(r->err));
	snprintf(r->err1, sizeof(r->err1), "%.*s",
	    (int)strcspn(r->err, "\n"), r->err);
	while (--argc > 0)
		free(argv[argc]);
	tty_stdout = 0;
}

#define RUN(fk, r, ...) do {						\
	const char *const _a[] = { __VA_ARGS__, NULL };			\
	run((fk), (r), _a);						\
} while (0)

static void
test_simple(void)
{
	struct fake	 ping = { .greeting = GREET, .reply = {
	    "OK 0 PONG\n" } };
	struct fake	 list = { .greeting = GREET, .reply = {
	    "OK 2 series\na.b.c gauge\na.b.d counter\n" } };
	struct fake	 put = { .greeting = GREET, .reply = {
	    "OK 1 accepted=1 refused=1\n5:x bad-value\n" } };
	struct fake	 verbs = { .greeting = GREET, .reply = { "OK 0\n" } };
	struct fake	 alerts = { .greeting = GREET, .reply = {
	    "OK 1 alerts\ndisk critical 1700000000 91.234567 disk.x.used: "
	    "91.234567 %\n" } };
	struct fake	 events = { .greeting = GREET, .reply = {
	    "OK 1 events\n1672531200 coop-falling a.b.c ok critical "
	    "-12.941176470588237 change -12.941176470588237%\n" } };
	struct run	 r;

	RUN(&ping, &r, "ping");
	ok(r.rc == 0, "ping: exit 0");
	is_str(r.got, "PING\n", "ping: PING sent");
	is_str(r.out, "PONG\n", "ping: PONG printed");
	RUN(&list, &r, "list", "a.*");
	is_str(r.got, "LIST a.*\n", "list: glob sent as a word");
	is_str(r.out, "a.b.c gauge\na.b.d counter\n", "list: lines printed");
	RUN(&put, &r, "put", "x.y.z", "1700000000:1", "5:x");
	is_str(r.got, "PUT x.y.z 1700000000:1 5:x\n", "put: words sent");
	is_str(r.out, "accepted=1 refused=1\n5:x bad-value\n",
	    "put: counts and refusals printed");
	ok(r.rc == 0, "put: exit 0 with a refusal");
	RUN(&verbs, &r, "info", "web.site one");
	is_str(r.got, "INFO \"web.site one\"\n", "info: word quoted");
	RUN(&verbs, &r, "last", "a.b.c");
	is_str(r.got, "LAST a.b.c\n", "last: LAST");
	RUN(&verbs, &r, "flush");
	is_str(r.got, "FLUSH\n", "flush: FLUSH");
	RUN(&verbs, &r, "plugins");
	is_str(r.got, "PLUGINS\n", "plugins: PLUGINS");
	RUN(&verbs, &r, "STATS");
	is_str(r.got, "STATS\n", "stats: name is case-insensitive");
	RUN(&alerts, &r, "alerts");
	is_str(r.out, "disk critical 2023-11-15 05:13:20 91.23 "
	    "disk.x.used: 91.234567 %\n",
	    "alerts: since as a local date, the value plain");
	RUN(&alerts, &r, "alerts", "--utc");
	ok(r.rc == 0, "alerts --utc: exit 0");
	is_str(r.out, "disk critical 2023-11-14T22:13:20Z 91.23 "
	    "disk.x.used: 91.234567 %\n",
	    "alerts --utc: since in ISO-8601 UTC, as -u does");
	RUN(&events, &r, "alert", "history");
	is_str(r.out, "2023-01-01 07:00:00 coop-falling a.b.c ok critical "
	    "-12.94 change -12.941176470588237%\n",
	    "alert history: a local date, the value plain, message as sent");
	RUN(&verbs, &r, "alerts");
	is_str(r.got, "ALERTS\n", "alerts: ALERTS");
	RUN(&verbs, &r, "alert", "history");
	is_str(r.got, "ALERT HISTORY\n", "alert history");
	RUN(&verbs, &r, "alert", "history", "disk full");
	is_str(r.got, "ALERT HISTORY \"disk full\"\n", "alert history name");
	RUN(&verbs, &r, "alert", "test", "disk", "--from", "2024-01-01");
	is_str(r.got, "ALERT TEST disk 1704042000\n",
	    "alert test --from: a local date as epoch seconds");
	RUN(&verbs, &r, "alert", "test", "disk", "--from", "2021");
	is_str(r.got, "ALERT TEST disk 1609434000\n",
	    "alert test --from 2021: local 1 January 2021");
	RUN(&verbs, &r, "--utc", "alert", "test", "disk", "--from", "2021");
	is_str(r.got, "ALERT TEST disk 2021\n", "--utc: the year as it is");
	RUN(&verbs, &r, "alert", "test", "disk", "--from", "31/02/2021");
	is_str(r.got, "ALERT TEST disk 31/02/2021\n",
	    "an impossible date goes as it is, for the server to refuse");
	RUN(&verbs, &r, "alert", "test", "--from=-7d", "disk");
	is_str(r.got, "ALERT TEST disk -7d\n", "alert test --from=");
}

static void
test_fetch(void)
{
	static const char	 rows[] = "OK 3 step=60 cf=AVERAGE\n"
	    "1700000040 0.5\n1700000100 U\n1700000160 1e+20\n";
	struct fake		 fk = { .greeting = GREET, .reply = { rows } };
	struct fake		 bad = { .greeting = GREET, .reply = {
	    "OK 1 step=60 cf=MAX\n1700000040 zero\n" } };
	struct run		 r;

	RUN(&fk, &r, "fetch", "a.b.c", "-1h", "now", "AVERAGE", "60");
	is_str(r.got, "FETCH a.b.c -1h now AVERAGE 60\n", "fetch: request");
	is_str(r.out, "time                 value\n"
	    "2023-11-15 05:14:00    0.5\n"
	    "2023-11-15 05:15:00      U\n"
	    "2023-11-15 05:16:00  1e+20\n", "fetch: table, local times");
	RUN(&fk, &r, "-u", "fetch", "a.b.c", "2021-06", "30/06/2021 14:00");
	is_str(r.got, "FETCH a.b.c 2021-06 \"30/06/2021 14:00\"\n",
	    "fetch -u: dates sent as written (the server reads UTC)");
	is_str(r.out, "time                  value\n"
	    "2023-11-14T22:14:00Z    0.5\n"
	    "2023-11-14T22:15:00Z      U\n"
	    "2023-11-14T22:16:00Z  1e+20\n", "fetch -u: table, UTC times");
	RUN(&fk, &r, "fetch", "a.b.c", "2021-06", "30/06/2021 14:00");
	is_str(r.got, "FETCH a.b.c 1622480400 1625036400\n",
	    "fetch: local dates sent as epoch seconds");
	RUN(&fk, &r, "fetch", "--csv", "a.b.c", "-1h", "now");
	is_str(r.got, "FETCH a.b.c -1h now\n", "fetch: --csv not sent");
	is_str(r.out, "time,value\n1700000040,0.5\n1700000100,\n"
	    "1700000160,1e+20\n", "fetch: CSV");
	RUN(&fk, &r, "fetch", "a.b.c", "2021-12-31", "now", "--json");
	is_str(r.out, "{\"metric\":\"a.b.c\",\"step\":60,\"cf\":\"AVERAGE\","
	    "\"points\":[[1700000040,0.5],[1700000100,null],"
	    "[1700000160,1e+20]]}\n", "fetch: JSON");
	RUN(&bad, &r, "fetch", "a.b.c", "-1h", "now");
	ok(r.rc == 3 && strstr(r.err, "malformed") != NULL,
	    "fetch: a bad row is exit 3 (%s)", r.err1);
	ok(r.outlen == 0, "fetch: nothing printed from a bad answer");
}

static void
test_graph(void)
{
	static const char	 img[] = "DATA 6 image/png\n\x89P\0\nG\r";
	struct fake		 fk = { .greeting = GREET, .reply = { img },
	    .replen = { sizeof(img) - 1 } };
	struct fake		 err = { .greeting = GREET, .reply = {
	    "ERR bad-args no metric\n" } };
	struct fake		 okay = { .greeting = GREET, .reply = {
	    "OK 0 nope\n" } };
	struct run		 r;
	char			 file[128], buf[64];
	size_t			 n;

	snprintf(file, sizeof(file), "%s/g.png", dir);
	RUN(&fk, &r, "graph", "-o", file, "metric=a.b.c",
	    "title=Doanh thu tháng 12", "start=-7d");
	ok(r.rc == 0, "graph -o: exit 0 (%s)", r.err1);
	is_str(r.got, "GRAPH metric=a.b.c \"title=Doanh thu tháng 12\" "
	    "start=-7d\n", "graph: Vietnamese title quoted as one word");
	n = slurp(file, buf, sizeof(buf));
	ok(n == 6 && memcmp(buf, "\x89P\0\nG\r", 6) == 0,
	    "graph -o: file holds exactly the bytes");
	RUN(&fk, &r, "graph", "metric=a.b.c");
	ok(r.rc == 0 && r.outlen == 6 && memcmp(r.out, "\x89P\0\nG\r", 6) == 0,
	    "graph: bytes to a non-terminal stdout");
	unlink(file);
	RUN(&err, &r, "graph", "-o", file, "metric=x");
	ok(r.rc == 1 && access(file, F_OK) == -1,
	    "graph: ERR is exit 1 and creates no file");
	is_str(r.err1, "tallyctl: ERR bad-args no metric",
	    "graph: ERR printed as code and message");
	RUN(&okay, &r, "graph", "metric=x");
	ok(r.rc == 3, "graph: an OK answer instead of DATA is exit 3");
	tty_stdout = 1;
	RUN(NO_SERVER, &r, "graph", "metric=x");
	ok(r.rc == 2 && strstr(r.err, "terminal") != NULL,
	    "graph: refuses a terminal before connecting (%d)", r.rc);
	RUN(NO_SERVER, &r, "graph", "metric=x", "oops");
	ok(r.rc == 2, "graph: a word without = is a usage error");
}

static void
test_raw(void)
{
	static const char	 img[] = "DATA 3 image/svg+xml\n<s>";
	struct fake		 fk = { .greeting = GREET, .reply = {
	    "OK 1 two\nline\n" } };
	struct fake		 data = { .greeting = GREET, .reply = { img } };
	struct fake		 err = { .greeting = GREET, .reply = {
	    "ERR syntax unbalanced\n" } };
	struct run		 r;

	RUN(&fk, &r, "raw", "fetch  \"a b", "x");
	is_str(r.got, "fetch  \"a b x\n", "raw: line sent verbatim");
	is_str(r.out, "OK 1 two\nline\n", "raw: response printed as is");
	RUN(&data, &r, "raw", "GRAPH metric=x");
	ok(r.rc == 0 && r.outlen == 24 &&
	    memcmp(r.out, "DATA 3 image/svg+xml\n<s>", 24) == 0,
	    "raw: DATA printed with its bytes");
	RUN(&err, &r, "raw", "FETCH \"x");
	ok(r.rc == 1 && strstr(r.err, "ERR syntax") != NULL, "raw: ERR exit 1");
	RUN(NO_SERVER, &r, "raw", "PING\nPING");
	ok(r.rc == 2, "raw: a newline is a usage error");
}

static void
test_usage(void)
{
	static const char *const bad[][7] = {
		{ "!", NULL }, { "frobnicate", NULL }, { "ping", "x", NULL },
		{ "info", NULL }, { "info", "a\x01", NULL },
		{ "fetch", "a", "b", NULL },
		{ "fetch", "a", "b", "c", "--csv", "--json" },
		{ "fetch", "a", "b", "c", "--xml", NULL },
		{ "put", "a", NULL }, { "alert", "test", "disk", NULL },
		{ "alert", "frob", NULL }, { "alert", NULL },
		{ "!", "-T", "soon", "ping", NULL },
		{ "!", "-s", "/x", "-H", "h:1", "ping" },
		{ "!", "-q", "ping", NULL }, { "graph", "-o", NULL },
	};
	struct run	 r;
	char		 desc[128];
	size_t		 i, j, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run(NO_SERVER, &r, bad[i]);
		for (j = n = 0; bad[i][j] != NULL && n < sizeof(desc) - 1;
		    j++)
			n += snprintf(desc + n, sizeof(desc) - n, " %s",
			    bad[i][j]);
		for (j = 0; desc[j] != '\0'; j++)
			if ((unsigned char)desc[j] < 0x20)
				desc[j] = '?';
		ok(r.rc == 2 && r.err[0] != '\0', "usage:%s -> 2 (got %d)",
		    desc, r.rc);
	}
	RUN(NO_SERVER, &r, "!", "-h");
	ok(r.rc == 0 && strstr(r.out, "usage: tallyctl") != NULL, "-h: help");
	RUN(NO_SERVER, &r, "!", "-V");
	ok(r.rc == 0 && strncmp(r.out, "tallyctl ", 9) == 0, "-V: version");
}

static void
test_conn_errors(void)
{
	struct fake	 proto2 = { .greeting =
	    "OK 0 tallyd 9.0 protocol 2 auth=none" };
	struct fake	 hang = { .greeting = GREET, .hangup = 1 };
	struct fake	 junk = { .greeting = GREET, .reply = { "HELLO\n" } };
	struct fake	 slow = { .greeting = GREET, .reply = {
	    "OK 2 x\none\n" }, .stall = 5 };
	struct fake	 trunc = { .greeting = GREET, .reply = {
	    "DATA 10 image/png\nabc" }, .hangup = 1 };
	struct fake	 full = { .greeting =
	    "ERR limit too many connections", .hangup = 1 };
	struct fake	 none = { .hangup = 1 };
	struct run	 r;

	RUN(NO_SERVER, &r, "ping");
	ok(r.rc == 3 && strstr(r.err, "cannot connect") != NULL,
	    "no server: exit 3 (%s)", r.err1);
	RUN(&proto2, &r, "ping");
	ok(r.rc == 3 && strstr(r.err, "protocol 2") != NULL,
	    "protocol 2: exit 3 (%s)", r.err1);
	ok(r.got[0] == '\0', "protocol 2: nothing sent");
	RUN(&hang, &r, "ping");
	ok(r.rc == 3, "closed after the greeting: exit 3 (%s)", r.err1);
	RUN(&none, &r, "ping");
	ok(r.rc == 3, "closed before the greeting: exit 3 (%s)", r.err1);
	RUN(&junk, &r, "ping");
	ok(r.rc == 3 && strstr(r.err, "malformed") != NULL,
	    "bad status line: exit 3 (%s)", r.err1);
	RUN(&slow, &r, "-T", "1", "list");
	ok(r.rc == 3 && strstr(r.err, "timed out") != NULL && r.secs < 3.5,
	    "stalled answer: -T 1 gives exit 3 in %.1f s", r.secs);
	RUN(&trunc, &r, "graph", "metric=x");
	ok(r.rc == 3 && strstr(r.err, "3 of 10") != NULL,
	    "truncated DATA: exit 3 (%s)", r.err1);
	ok(r.outlen == 0, "truncated DATA: nothing written");
	RUN(&full, &r, "ping");
	ok(r.rc == 1 && strstr(r.err, "ERR limit too many") != NULL,
	    "ERR greeting: exit 1 (%s)", r.err1);
}

static void
test_auth(void)
{
	struct fake	 fk = { .greeting = GREET_AUTH, .reply = {
	    "OK 0 authenticated\n", "OK 0 PONG\n" } };
	struct fake	 bad = { .greeting = GREET_AUTH, .reply = {
	    "ERR auth wrong token\n" } };
	struct fake	 need = { .greeting = GREET_AUTH, .reply = {
	    "ERR auth authenticate first\n" } };
	struct fake	 open = { .greeting = GREET, .reply = {
	    "OK 0 PONG\n" } };
	struct run	 r;

	RUN(&fk, &r, "-t", "s3cret word", "ping");
	is_str(r.got, "AUTH \"s3cret word\"\nPING\n", "auth: -t sent first");
	ok(r.rc == 0, "auth: then the command");
	setenv("TALLY_TOKEN", "from-env", 1);
	RUN(&fk, &r, "ping");
	is_str(r.got, "AUTH from-env\nPING\n", "auth: TALLY_TOKEN");
	RUN(&fk, &r, "-t", "flag", "ping");
	is_str(r.got, "AUTH flag\nPING\n", "auth: -t wins over TALLY_TOKEN");
	RUN(&open, &r, "ping");
	is_str(r.got, "PING\n", "auth=none: no AUTH even with a token");
	RUN(&bad, &r, "ping");
	ok(r.rc == 1 && strstr(r.err, "ERR auth wrong token") != NULL,
	    "auth: wrong token is exit 1");
	is_str(r.got, "AUTH from-env\n", "auth: nothing after a refused AUTH");
	unsetenv("TALLY_TOKEN");
	RUN(&need, &r, "ping");
	ok(r.rc == 1 && strstr(r.err, "-t or TALLY_TOKEN") != NULL,
	    "auth: no token gives ERR auth and a hint");
	RUN(&open, &r, "-t", "a\tb\x7f", "ping");
	ok(r.rc == 0, "auth: token not checked when not needed");
}

static void
test_where(void)
{
	struct fake	 tcp = { .greeting = GREET, .reply = { "OK 0 PONG\n" },
	    .tcp = 1 };
	struct fake	 local = { .greeting = GREET, .reply = {
	    "OK 0 PONG\n" } };
	struct run	 r;

	RUN(&tcp, &r, "ping");
	ok(r.rc == 0 && strcmp(r.out, "PONG\n") == 0, "TCP -H %s: ping",
	    hostport);
	setenv("TALLY_SOCKET", sockpath, 1);
	RUN(&local, &r, "!", "ping");
	ok(r.rc == 0 && strcmp(r.out, "PONG\n") == 0, "TALLY_SOCKET used");
	RUN(NO_SERVER, &r, "ping");
	ok(r.rc == 3, "-s wins over TALLY_SOCKET");
	unsetenv("TALLY_SOCKET");
	RUN(NO_SERVER, &r, "!", "-H", "no-port", "ping");
	ok(r.rc == 3 && strstr(r.err, "host:port") != NULL,
	    "-H without a port: exit 3 (%s)", r.err1);
}

int
main(void)
{
	const char	*p;
	char		 path[128];

	signal(SIGPIPE, SIG_IGN);
	if ((p = getenv("TALLYCTL")) != NULL)
		snprintf(tallyctl, sizeof(tallyctl), "%s", p);
	else if ((p = getenv("top_builddir")) != NULL)
		snprintf(tallyctl, sizeof(tallyctl), "%s/tallyctl", p);
	else
		snprintf(tallyctl, sizeof(tallyctl), "./tallyctl");
	if (access(tallyctl, X_OK) == -1) {
		printf("1..0 # SKIP no tallyctl at %s\n", tallyctl);
		return (0);
	}
	snprintf(dir, sizeof(dir), "/tmp/tallyctl-test.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(sockpath, sizeof(sockpath), "%s/s", dir);
	unsetenv("TALLY_TOKEN");
	unsetenv("TALLY_SOCKET");
	setenv("TZ", "Asia/Ho_Chi_Minh", 1);	/* +07:00, no summer time */
	test_simple();
	test_fetch();
	test_graph();
	test_raw();
	test_usage();
	test_conn_errors();
	test_auth();
	test_where();
	unlink(sockpath);
	snprintf(path, sizeof(path), "%s/out", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/err", dir);
	unlink(path);
	rmdir(dir);
	return (tap_done());
}
