/*
 * test_tallyctl.c - tallyctl's pure pieces: request words and quoting,
 * status lines, the greeting, FETCH output (table, CSV, JSON), and the
 * response reader against a fake server on a socketpair (a forked child
 * writes canned bytes): lines, DATA bytes, ERR, pipelined answers, early
 * close, truncated DATA, oversized lines, NUL bytes and the timeout.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../client/conn.h"
#include "../../client/output.h"
#include "../../client/req.h"
#include "../../client/when.h"
#include "numfmt.h"
#include "tap.h"

static char	line[REQ_LINE_MAX + 1];
static char	err[CONN_ERR_MAX];

/* Build a request from up to three words; the line, or "!" + error. */
static const char *
build(const char *cmd, const char *a, const char *b, const char *c)
{
	char	*argv[3];
	int	 argc = 0;

	if (a != NULL)
		argv[argc++] = strdup(a);
	if (b != NULL)
		argv[argc++] = strdup(b);
	if (c != NULL)
		argv[argc++] = strdup(c);
	if (req_build(line, cmd, argc, argv, err + 1, sizeof(err) - 1) ==
	    -1) {
		err[0] = '!';
		while (argc > 0)
			free(argv[--argc]);
		return (err);
	}
	while (argc > 0)
		free(argv[--argc]);
	return (line);
}

static void
test_req(void)
{
	char	*big;
	size_t	 n;

	is_str(build("PING", NULL, NULL, NULL), "PING", "req: bare verb");
	is_str(build("FETCH", "a.b.c", "-1h", "now"), "FETCH a.b.c -1h now",
	    "req: plain words unquoted");
	is_str(build("INFO", "", NULL, NULL), "INFO \"\"",
	    "req: empty word quoted");
	is_str(build("GRAPH", "title=Doanh thu tháng", NULL, NULL),
	    "GRAPH \"title=Doanh thu tháng\"", "req: space quoted, UTF-8 kept");
	is_str(build("X", "a\tb", NULL, NULL), "X \"a\tb\"", "req: tab quoted");
	is_str(build("X", "say \"hi\"", NULL, NULL), "X \"say \\\"hi\\\"\"",
	    "req: quotes escaped");
	is_str(build("X", "c:\\dir", NULL, NULL), "X \"c:\\\\dir\"",
	    "req: backslash escaped");
	is_str(build("X", "a\"b", NULL, NULL), "X \"a\\\"b\"",
	    "req: lone quote forces quoting");
	ok(build("X", "a\nb", NULL, NULL)[0] == '!', "req: newline refused");
	ok(strstr(err, "0x0a") != NULL, "req: error names the byte (%s)",
	    err + 1);
	ok(build("X", "a\rb", NULL, NULL)[0] == '!', "req: CR refused");
	ok(build("X", "\033[2J", NULL, NULL)[0] == '!', "req: ESC refused");
	ok(build("X", "a\177", NULL, NULL)[0] == '!', "req: DEL refused");
	is_str(build("ALERT TEST", "disk", "2024-01-01", NULL),
	    "ALERT TEST disk 2024-01-01", "req: two-word verb");

	n = REQ_LINE_MAX - 2;		/* "X " + n bytes = the limit */
	big = malloc(n + 2);
	memset(big, 'a', n + 1);
	big[n] = '\0';
	ok(build("X", big, NULL, NULL)[0] != '!', "req: exactly %d bytes ok",
	    REQ_LINE_MAX);
	is_int(strlen(line), REQ_LINE_MAX, "req: length at the limit");
	big[n] = 'a';
	big[n + 1] = '\0';
	ok(build("X", big, NULL, NULL)[0] == '!', "req: one byte over refused");
	big[n - 1] = ' ';		/* quoting pushes it over too */
	big[n] = '\0';
	ok(build("X", big, NULL, NULL)[0] == '!', "req: quotes counted");
	free(big);
}

/* Parse a status line; 0/-1 like resp_parse_status. */
static int
status(const char *s, struct resp *r)
{
	memset(r, 0, sizeof(*r));
	return (resp_parse_status(strdup(s), r, err, sizeof(err)));
}

static void
test_status(void)
{
	struct resp	 r;
	int		 rc;

	rc = status("OK 0 PONG", &r);
	ok(rc == 0 && r.type == RESP_OK && r.count == 0, "status: OK 0");
	is_str(r.text, "PONG", "status: OK text");
	resp_free(&r);
	rc = status("OK 12 step=60 cf=AVERAGE", &r);
	ok(rc == 0 && r.count == 12, "status: OK 12");
	is_str(r.text, "step=60 cf=AVERAGE", "status: text keeps spaces");
	resp_free(&r);
	rc = status("OK 0", &r);
	ok(rc == 0 && *r.text == '\0', "status: OK without text");
	resp_free(&r);
	rc = status("DATA 1234 image/png", &r);
	ok(rc == 0 && r.type == RESP_DATA && r.count == 1234, "status: DATA");
	is_str(r.text, "image/png", "status: DATA type");
	resp_free(&r);
	rc = status("ERR not-found no such metric: a.b.c", &r);
	ok(rc == 0 && r.type == RESP_ERR, "status: ERR");
	is_str(r.code, "not-found", "status: ERR code");
	is_str(r.text, "no such metric: a.b.c", "status: ERR message");
	resp_free(&r);
	rc = status("ERR busy", &r);
	ok(rc == 0 && strcmp(r.code, "busy") == 0 && *r.text == '\0',
	    "status: ERR without message");
	resp_free(&r);

	ok(status("DATA 67108864 image/png", &r) == 0, "status: DATA 64 MiB");
	resp_free(&r);
	ok(status("DATA 67108865 image/png", &r) == -1 &&
	    strstr(err, "limit") != NULL, "status: DATA over 64 MiB refused");
	resp_free(&r);
	ok(status("OK 99999999999999999999999 x", &r) == -1,
	    "status: count overflow refused");
	resp_free(&r);
}

static void
test_status_bad(void)
{
	static const char *const bad[] = {
		"", "OK", "OK ", "OK x", "OK -1", "OK 1x", "OK  1", "ok 0",
		"OK\t0", "DATA 10", "DATA 10 ", "DATA x image/png", "ERR",
		"ERR ", "ERR Bad-Code x", "ERR a_b x", "PONG", "+OK 0",
		"ERR aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa x",
	};
	struct resp	 r;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ok(status(bad[i], &r) == -1 && strstr(err, "malformed") !=
		    NULL, "status: \"%s\" is malformed", bad[i]);
		resp_free(&r);
	}
}

static void
test_greeting(void)
{
	struct resp	 r;
	int		 auth;

	status("OK 0 tallyd 0.1.0 protocol 1 auth=none", &r);
	ok(resp_check_greeting(&r, &auth, err, sizeof(err)) == 0 && !auth,
	    "greeting: protocol 1, auth=none");
	resp_free(&r);
	status("OK 0 tallyd 0.1.0 protocol 1 auth=required", &r);
	ok(resp_check_greeting(&r, &auth, err, sizeof(err)) == 0 && auth,
	    "greeting: auth=required seen");
	resp_free(&r);
	status("OK 0 tallyd 9.0 protocol 2 auth=none", &r);
	ok(resp_check_greeting(&r, &auth, err, sizeof(err)) == -1 &&
	    strstr(err, "protocol 2") != NULL, "greeting: protocol 2 refused");
	resp_free(&r);
	status("OK 0 tallyd 9.0 protocol 10", &r);
	ok(resp_check_greeting(&r, &auth, err, sizeof(err)) == -1,
	    "greeting: protocol 10 is not 1");
	resp_free(&r);
	status("OK 0 hello there", &r);
	ok(resp_check_greeting(&r, &auth, err, sizeof(err)) == -1 &&
	    strstr(err, "not a tallyd") != NULL, "greeting: no protocol word");
	resp_free(&r);
	status("OK 0 protocol", &r);
	ok(resp_check_greeting(&r, &auth, err, sizeof(err)) == -1,
	    "greeting: protocol without a version");
	resp_free(&r);
}

/*
 * A fake server: a child writes len bytes of reply (in pieces of chunk
 * bytes, 0: all at once) on one end of a socketpair, then either closes
 * or holds the socket open for linger seconds.  Returns the client end.
 */
static struct conn *
fake(const char *reply, size_t len, size_t chunk, int linger, int timeout_ms,
    pid_t *pid)
{
	int	 sv[2];
	size_t	 off, n;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	if ((*pid = fork()) == -1)
		abort();
	if (*pid == 0) {
		close(sv[0]);
		for (off = 0; off < len; off += n) {
			n = chunk == 0 || len - off < chunk ? len - off : chunk;
			if (write(sv[1], reply + off, n) != (ssize_t)n)
				_exit(1);
		}
		if (linger > 0)
			sleep(linger);
		_exit(0);
	}
	close(sv[1]);
	return (conn_new(sv[0], timeout_ms));
}

static void
fake_done(struct conn *c, pid_t pid)
{
	conn_free(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void
test_read_ok(void)
{
	static const char	 reply[] = "OK 2 two lines\r\nfirst\r\n"
	    "second line\n" "ERR bad-time cannot parse \"yesterday\"\n"
	    "OK 0\n";
	struct conn		*c;
	struct resp		 r;
	pid_t			 pid;

	c = fake(reply, sizeof(reply) - 1, 3, 0, 5000, &pid);
	ok(conn_response(c, &r) == 0 && r.type == RESP_OK && r.count == 2,
	    "read: OK 2 (3-byte pieces)");
	is_str(r.text, "two lines", "read: OK text without \\r");
	is_str(r.count == 2 ? r.lines[0] : NULL, "first", "read: line 1");
	is_str(r.count == 2 ? r.lines[1] : NULL, "second line", "read: line 2");
	resp_free(&r);
	ok(conn_response(c, &r) == 0 && r.type == RESP_ERR,
	    "read: pipelined ERR");
	is_str(r.code, "bad-time", "read: ERR code");
	is_str(r.text, "cannot parse \"yesterday\"", "read: ERR message");
	resp_free(&r);
	ok(conn_response(c, &r) == 0 && r.type == RESP_OK && r.count == 0,
	    "read: third answer OK 0");
	resp_free(&r);
	ok(conn_response(c, &r) == -1 && strstr(conn_error(c), "closed") !=
	    NULL, "read: then the close is reported (%s)", conn_error(c));
	resp_free(&r);
	fake_done(c, pid);
}

static void
test_read_data(void)
{
	static const char	 reply[] = "DATA 9 image/png\n"
	    "\x89PNG\n\0\r\n\x1a" "OK 0 PONG\n";
	struct conn		*c;
	struct resp		 r;
	pid_t			 pid;

	c = fake(reply, sizeof(reply) - 1, 0, 0, 5000, &pid);
	ok(conn_response(c, &r) == 0 && r.type == RESP_DATA && r.count == 9,
	    "data: DATA 9");
	ok(r.data != NULL && memcmp(r.data, "\x89PNG\n\0\r\n\x1a", 9) == 0,
	    "data: bytes exact, \\n \\0 \\r kept");
	is_str(r.text, "image/png", "data: type");
	resp_free(&r);
	ok(conn_response(c, &r) == 0 && r.type == RESP_OK &&
	    strcmp(r.text, "PONG") == 0, "data: next answer follows the bytes");
	resp_free(&r);
	fake_done(c, pid);
}

static void
test_read_big_data(void)
{
	struct conn	*c;
	struct resp	 r;
	char		*reply;
	size_t		 n = 3 * 1024 * 1024 + 7, hdr, i;
	pid_t		 pid;
	int		 same = 1;

	reply = malloc(n + 64);
	hdr = snprintf(reply, 64, "DATA %zu image/svg+xml\n", n);
	for (i = 0; i < n; i++)
		reply[hdr + i] = (char)(i * 7 + i / 251);
	c = fake(reply, hdr + n, 65000, 0, 10000, &pid);
	ok(conn_response(c, &r) == 0 && r.count == n, "data: 3 MiB answer");
	for (i = 0; r.data != NULL && i < n; i++)
		same &= r.data[i] == reply[hdr + i];
	ok(r.data != NULL && same, "data: 3 MiB exact");
	resp_free(&r);
	fake_done(c, pid);
	free(reply);
}

static void
test_read_truncated(void)
{
	static const char	 lines[] = "OK 3 x\none\ntwo\n";
	static const char	 data[] = "DATA 10 image/png\nabc";
	static const char	 status_only[] = "OK 0 PON";
	struct conn		*c;
	struct resp		 r;
	pid_t			 pid;

	c = fake(lines, sizeof(lines) - 1, 0, 0, 5000, &pid);
	ok(conn_response(c, &r) == -1 && strstr(conn_error(c), "closed") !=
	    NULL, "early close: 2 of 3 lines (%s)", conn_error(c));
	resp_free(&r);
	fake_done(c, pid);
	c = fake(data, sizeof(data) - 1, 0, 0, 5000, &pid);
	ok(conn_response(c, &r) == -1 && strstr(conn_error(c), "3 of 10") !=
	    NULL, "truncated DATA: 3 of 10 bytes (%s)", conn_error(c));
	resp_free(&r);
	fake_done(c, pid);
	c = fake(status_only, sizeof(status_only) - 1, 0, 0, 5000, &pid);
	ok(conn_response(c, &r) == -1 && strstr(conn_error(c), "closed") !=
	    NULL, "early close: status line without newline");
	resp_free(&r);
	fake_done(c, pid);
	c = fake("", 0, 0, 0, 5000, &pid);
	ok(conn_response(c, &r) == -1, "early close: nothing at all");
	resp_free(&r);
	fake_done(c, pid);
}

/* An OK 1 answer whose line has n bytes (then "\n" if nl). */
static void
long_line(size_t n, int nl, int want, const char *name)
{
	struct conn	*c;
	struct resp	 r;
	char		*reply;
	size_t		 len;
	pid_t		 pid;
	int		 rc;

	reply = malloc(n + 16);
	len = snprintf(reply, 16, "OK 1 x\n");
	memset(reply + len, 'v', n);
	len += n;
	if (nl)
		reply[len++] = '\n';
	c = fake(reply, len, 0, 2, 5000, &pid);
	rc = conn_response(c, &r);
	ok(rc == want && (rc == 0 ||
	    strstr(conn_error(c), "longer than") != NULL), "%s", name);
	if (rc == 0)
		is_int(strlen(r.lines[0]), n, "long line: all bytes kept");
	resp_free(&r);
	fake_done(c, pid);
	free(reply);
}

static void
test_read_limits(void)
{
	static const char	 nul[] = "OK 1 x\nab\0cd\n";
	static const char	 big[] = "DATA 999999999 image/png\n";
	struct conn		*c;
	struct resp		 r;
	pid_t			 pid;

	long_line(CONN_LINE_MAX, 1, 0, "long line: 64 KiB accepted");
	long_line(CONN_LINE_MAX + 1, 1, -1, "long line: 64 KiB + 1 refused");
	long_line(CONN_LINE_MAX + 100, 0, -1,
	    "long line: no newline in sight refused without waiting");
	c = fake(nul, sizeof(nul) - 1, 0, 0, 5000, &pid);
	ok(conn_response(c, &r) == -1 && strstr(conn_error(c), "NUL") != NULL,
	    "NUL byte in a line refused");
	resp_free(&r);
	fake_done(c, pid);
	c = fake(big, sizeof(big) - 1, 0, 2, 5000, &pid);
	ok(conn_response(c, &r) == -1 && strstr(conn_error(c), "limit") !=
	    NULL, "DATA over 64 MiB refused before reading (%s)",
	    conn_error(c));
	ok(r.data == NULL, "no buffer allocated for it");
	resp_free(&r);
	fake_done(c, pid);
}

static void
test_timeout(void)
{
	static const char	 part[] = "OK 2 x\none\n";
	struct conn		*c;
	struct resp		 r;
	struct timespec		 t0, t1;
	double			 dt;
	pid_t			 pid;

	c = fake(part, sizeof(part) - 1, 0, 5, 300, &pid);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ok(conn_response(c, &r) == -1 && strstr(conn_error(c), "timed out") !=
	    NULL, "timeout: a stalled answer gives up (%s)", conn_error(c));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(dt > 0.25 && dt < 2.0, "timeout: after about 0.3 s (%.2f)", dt);
	resp_free(&r);
	fake_done(c, pid);
}

/* conn_send writes the line and a newline; the child echoes it back. */
static void
test_send(void)
{
	struct conn	*c;
	struct resp	 r;
	char		 buf[128], out[160];
	ssize_t		 n;
	size_t		 got = 0;
	int		 sv[2];
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    (pid = fork()) == -1)
		abort();
	if (pid == 0) {
		close(sv[0]);
		while (got < sizeof(buf) &&
		    (got == 0 || buf[got - 1] != '\n') &&
		    (n = read(sv[1], buf + got, sizeof(buf) - got)) > 0)
			got += n;
		n = snprintf(out, sizeof(out), "OK 1 echo\n%.*s", (int)got,
		    buf);
		_exit(write(sv[1], out, n) == n ? 0 : 1);
	}
	close(sv[1]);
	c = conn_new(sv[0], 5000);
	ok(conn_send(c, "INFO \"a b\"") == 0, "send: request sent");
	ok(conn_response(c, &r) == 0 && r.count == 1, "send: echo read");
	is_str(r.count == 1 ? r.lines[0] : NULL, "INFO \"a b\"",
	    "send: the server saw exactly the line and one newline");
	resp_free(&r);
	fake_done(c, pid);
}

/* Run fn over a FILE and return what it printed (static buffer). */
static const char *
printed(const struct fetch_result *f, int how)
{
	static char	 out[4096];
	FILE		*fp;
	size_t		 n;

	fp = tmpfile();
	if (how == 0)
		output_fetch_table(fp, f, 1);
	else if (how == 3)
		output_fetch_table(fp, f, 0);
	else if (how == 1)
		output_fetch_csv(fp, f);
	else
		output_fetch_json(fp, "web.site.\"hits\"", f);
	rewind(fp);
	n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	fclose(fp);
	return (out);
}

static void
test_output_units(void)
{
	char	 buf[64];

	char	 in[64], *p;

	when_fmt(0, 1, 0, buf, sizeof(buf));
	is_str(buf, "1970-01-01T00:00:00Z", "iso: epoch 0");
	when_fmt(1700000000, 1, 0, buf, sizeof(buf));
	is_str(buf, "2023-11-14T22:13:20Z", "iso: 1700000000");
	when_fmt(951782400, 1, 0, buf, sizeof(buf));
	is_str(buf, "2000-02-29T00:00:00Z", "iso: leap day");
	when_fmt(1700000000, 0, 0, buf, sizeof(buf));
	is_str(buf, "2023-11-15 05:13:20", "local: +07:00");
	when_fmt(1672506000, 0, 1, buf, sizeof(buf));
	is_str(buf, "2023-01-01", "local: a date alone");
	ok(when_midnight(1672506000, 0) && !when_midnight(1672506000, 1) &&
	    when_midnight(1672531200, 1), "midnight, local and UTC");
	/* Dates typed in local time become epoch seconds. */
	snprintf(in, sizeof(in), "2021");
	is_str(when_arg(in, 0, buf, sizeof(buf)), "1609434000", "arg: year");
	snprintf(in, sizeof(in), "2021-06");
	is_str(when_arg(in, 0, buf, sizeof(buf)), "1622480400", "arg: month");
	snprintf(in, sizeof(in), "30/06/2021 14:00");
	is_str(when_arg(in, 0, buf, sizeof(buf)), "1625036400",
	    "arg: DD/MM/YYYY HH:MM");
	snprintf(in, sizeof(in), "2021-06-30T14:00:30");
	is_str(when_arg(in, 0, buf, sizeof(buf)), "1625036430",
	    "arg: ISO without a zone");
	snprintf(in, sizeof(in), "2021-06-30T14:00Z");
	p = when_arg(in, 0, buf, sizeof(buf));
	ok(p == in, "arg: Z goes as it is");
	snprintf(in, sizeof(in), "12345");
	ok(when_arg(in, 0, buf, sizeof(buf)) == in, "arg: epoch as it is");
	snprintf(in, sizeof(in), "-1h");
	ok(when_arg(in, 0, buf, sizeof(buf)) == in, "arg: -1h as it is");
	snprintf(in, sizeof(in), "30/02/2021");
	ok(when_arg(in, 0, buf, sizeof(buf)) == in, "arg: 30/02 as it is");
	snprintf(in, sizeof(in), "2021");
	ok(when_arg(in, 1, buf, sizeof(buf)) == in, "arg: utc as it is");
	when_number(-12.941176470588237, buf, sizeof(buf));
	is_str(buf, "-12.94", "plain: two decimals");
	when_number(1364000000, buf, sizeof(buf));
	is_str(buf, "1364000000", "plain: an integer in full");
	when_number(0.0068123, buf, sizeof(buf));
	is_str(buf, "0.006812", "plain: four significant digits below 1");
	when_number(2.5, buf, sizeof(buf));
	is_str(buf, "2.5", "plain: no trailing zero");
	when_number(-0.0000001, buf, sizeof(buf));
	is_str(buf, "-0.0000001", "plain: tiny, no exponent");
	numfmt_double(buf, sizeof(buf), 0.1);
	is_str(buf, "0.1", "number: 0.1 short");
	numfmt_double(buf, sizeof(buf), 1.0 / 3);
	ok(strtod(buf, NULL) == 1.0 / 3, "number: 1/3 round-trips (%s)", buf);
	numfmt_double(buf, sizeof(buf), 42);
	is_str(buf, "42", "number: integer");
	numfmt_double(buf, sizeof(buf), 1e300);
	is_str(buf, "1e+300", "number: huge");
	numfmt_double(buf, sizeof(buf), -2.5e-7);
	is_str(buf, "-2.5e-07", "number: tiny negative");
}

static void
test_output_fetch(void)
{
	static const char	 st[] = "OK 3 step=300 cf=AVERAGE";
	char			 l0[] = "1700000100 1.5", l1[] = "1700000400 U";
	char			 l2[] = "1700000700 12345.25";
	char			*lines[3] = { l0, l1, l2 };
	struct fetch_result	 f;
	struct resp		 r;

	status(st, &r);
	r.lines = lines;
	ok(output_fetch_parse(&r, &f, err, sizeof(err)) == 0 && f.n == 3,
	    "fetch: 3 rows parsed");
	ok(f.step == 300 && strcmp(f.cf, "AVERAGE") == 0, "fetch: step, cf");
	ok(!f.pts[1].known && f.pts[2].known && f.pts[2].v == 12345.25,
	    "fetch: U unknown, numbers read");
	is_str(printed(&f, 0),
	    "time                     value\n"
	    "2023-11-14T22:15:00Z       1.5\n"
	    "2023-11-14T22:20:00Z         U\n"
	    "2023-11-14T22:25:00Z  12345.25\n", "fetch: aligned table");
	is_str(printed(&f, 3),
	    "time                    value\n"
	    "2023-11-15 05:15:00       1.5\n"
	    "2023-11-15 05:20:00         U\n"
	    "2023-11-15 05:25:00  12345.25\n", "fetch: local times");
	is_str(printed(&f, 1),
	    "time,value\n1700000100,1.5\n1700000400,\n1700000700,12345.25\n",
	    "fetch: CSV, unknown empty");
	is_str(printed(&f, 2),
	    "{\"metric\":\"web.site.\\\"hits\\\"\",\"step\":300,"
	    "\"cf\":\"AVERAGE\",\"points\":[[1700000100,1.5],"
	    "[1700000400,null],[1700000700,12345.25]]}\n",
	    "fetch: JSON, null for unknown, strings escaped");
	output_fetch_free(&f);
	r.count = 0;
	ok(output_fetch_parse(&r, &f, err, sizeof(err)) == 0, "fetch: 0 rows");
	is_str(printed(&f, 2), "{\"metric\":\"web.site.\\\"hits\\\"\","
	    "\"step\":300,\"cf\":\"AVERAGE\",\"points\":[]}\n",
	    "fetch: JSON of nothing");
	is_str(printed(&f, 0), "time                  value\n",
	    "fetch: table of nothing");
	r.lines = NULL;
	resp_free(&r);
}

static void
test_output_bad(void)
{
	static const char *const rows[] = {
		"1700000100", "1700000100 ", " 1700000100 1", "x 1",
		"1700000100 1 2", "1700000100 nan", "1700000100 1.5x",
		"1700000100  1", "1700000100 u",
	};
	static const char *const heads[] = {
		"OK 1 cf=AVERAGE", "OK 1 step=300", "OK 1 step=0 cf=MAX",
		"OK 1 step=x cf=MAX", "OK 1",
	};
	struct fetch_result	 f;
	struct resp		 r;
	char			*one[1];
	size_t			 i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		status("OK 1 step=1 cf=LAST", &r);
		one[0] = strdup(rows[i]);
		r.lines = one;
		ok(output_fetch_parse(&r, &f, err, sizeof(err)) == -1,
		    "fetch: bad row \"%s\"", rows[i]);
		free(one[0]);
		r.lines = NULL;
		resp_free(&r);
	}
	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		status(heads[i], &r);
		one[0] = strdup("1 2");
		r.lines = one;
		ok(output_fetch_parse(&r, &f, err, sizeof(err)) == -1,
		    "fetch: bad status \"%s\"", heads[i]);
		free(one[0]);
		r.lines = NULL;
		resp_free(&r);
	}
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	setenv("TZ", "Asia/Ho_Chi_Minh", 1);	/* +07:00, no summer time */
	tzset();
	test_req();
	test_status();
	test_status_bad();
	test_greeting();
	test_read_ok();
	test_read_data();
	test_read_big_data();
	test_read_truncated();
	test_read_limits();
	test_timeout();
	test_send();
	test_output_units();
	test_output_fetch();
	test_output_bad();
	return (tap_done());
}
