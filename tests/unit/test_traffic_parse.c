/*
 * test_traffic_parse.c - the traffic plugin's log scanner: formats, fields,
 * time stamps, and every kind of malformed line, in strict mode and in
 * GoAccess's lenient mode.
 */
#include <string.h>

#include "logparse.h"
#include "tap.h"

#define NULLINE "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / " \
	"HTTP/1.1\" 200 5 \"-\" \"a\0b\""
#define GOOD "203.0.113.9 - alice [10/Oct/2000:13:55:36 -0700] " \
	"\"GET /tin-tuc/a.html?x=1 HTTP/1.1\" 200 2326 " \
	"\"http://example.vn/\" \"Mozilla/5.0 (X11; Linux)\""

static struct tp_format	 comb;
static struct tp_clock	 clk;

static enum tp_error
parse(const char *line, int mode, struct tp_rec *r)
{
	return (tp_parse(&comb, &clk, line, strlen(line), mode, r));
}

static void
test_formats(void)
{
	struct tp_format	 f;
	char			 err[128];

	is_int(tp_format_compile(&f, "combined", err, sizeof(err)), 0,
	    "combined compiles");
	is_int(f.nitems, 16, "combined: 8 fields and 8 literals");
	is_int(tp_format_compile(&f, "$remote_addr [$time_iso8601] "
	    "\"$request\" $status ${body_bytes_sent} $request_time",
	    err, sizeof(err)), 0, "custom nginx format with ${} compiles");
	is_int(tp_format_compile(&f, "$remote_addr$remote_user [$time_local] "
	    "\"$request\"", err, sizeof(err)), -1,
	    "adjacent variables refused");
	ok(strstr(err, "nothing between") != NULL, "... with a reason: %s",
	    err);
	is_int(tp_format_compile(&f, "$remote_addr \"$request\"", err,
	    sizeof(err)), -1, "a format without time refused");
	is_int(tp_format_compile(&f, "$remote_addr $ [$time_local]", err,
	    sizeof(err)), -1, "a bare $ refused");
	is_int(tp_format_compile(&f, "$remote_addr ${time_local [x] $request",
	    err, sizeof(err)), -1, "an unclosed ${ refused");
}

static void
test_good_line(void)
{
	struct tp_rec	 r;

	is_int(parse(GOOD, 0, &r), TP_OK, "combined line parses");
	ok(r.addrlen == 11 && memcmp(r.addr, "203.0.113.9", 11) == 0,
	    "address");
	is_int(r.when, 971211336, "time stamp to UTC with its -0700 offset");
	is_int(r.date, 20001010, "local calendar date kept");
	is_int(r.status, 200, "status");
	is_int(r.bytes, 2326, "bytes");
	ok(r.methodlen == 3 && memcmp(r.method, "GET", 3) == 0, "method");
	ok(memcmp(r.path, "/tin-tuc/a.html", 15) == 0, "path");
	is_int(r.pathlen, 15, "path length");
	ok(r.agentlen == 24 && memcmp(r.agent, "Mozilla/5.0 (X11; Linux)",
	    24) == 0, "user agent");
	is_int(parse(GOOD "\r", 0, &r), TP_OK, "CRLF line end accepted");
	is_int(parse("::1 - - [29/Feb/2024:00:00:00 +0000] \"GET / HTTP/2.0\" "
	    "304 - \"-\" \"-\"", 0, &r), TP_OK, "IPv6, leap day, bytes '-'");
	is_int(r.bytes, 0, "... '-' bytes are 0");
	is_int(r.when, 1709164800, "... 2024-02-29 00:00 UTC");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"GET / "
	    "HTTP/1.1\" 200 5 \"-\" \"say \\\"hi\\\" bot\"", 0, &r), TP_OK,
	    "Apache-escaped quote inside the user agent");
	is_int(r.agentlen, 14, "... the agent runs to the real closing quote");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] \"-\" 400 0 "
	    "\"-\" \"-\"", 0, &r), TP_OK, "request \"-\" is still a hit");
	is_int(r.methodlen, 0, "... with no method");
}

static void
test_times(void)
{
	struct tp_format	 f;
	struct tp_rec		 r;
	char			 err[64];
	const char		*l;

	tp_format_compile(&f, "$remote_addr $time_iso8601 \"$request\" "
	    "$status", err, sizeof(err));
	l = "1.2.3.4 2000-10-10T13:55:36-07:00 \"GET / HTTP/1.1\" 200";
	is_int(tp_parse(&f, &clk, l, strlen(l), 0, &r), TP_OK, "ISO 8601");
	is_int(r.when, 971211336, "... same instant as $time_local");
	l = "1.2.3.4 2000-10-10T20:55:36Z \"GET / HTTP/1.1\" 200";
	is_int(tp_parse(&f, &clk, l, strlen(l), 0, &r), TP_OK, "ISO 8601 Z");
	is_int(r.when, 971211336, "... same instant");
	tp_format_compile(&f, "$remote_addr $msec \"$request\" $status", err,
	    sizeof(err));
	l = "1.2.3.4 971211336.250 \"GET / HTTP/1.1\" 200";
	is_int(tp_parse(&f, &clk, l, strlen(l), 0, &r), TP_OK, "$msec");
	is_int(r.when, 971211336, "... seconds");
	is_int(r.date, 20001010, "... UTC date");
	is_int(tp_days_from_civil(1970, 1, 1), 0, "day 0 is 1970-01-01");
	is_int(tp_days_from_civil(2000, 3, 1), 11017, "2000-03-01");
}

static void
test_malformed_strict(void)
{
	struct tp_rec	 r;

	is_int(parse("", 0, &r), TP_IGNORE, "empty line ignored");
	is_int(parse("# Fields: date time", 0, &r), TP_IGNORE,
	    "comment ignored");
	is_int(parse("this is not an access log line", 0, &r), TP_E_ADDR,
	    "garbage: no address");
	is_int(parse("\x16\x03\x01\xff\xfe binary", 0, &r), TP_E_BINARY,
	    "control bytes: binary");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\" 200 ", 0, &r), TP_E_SHORT, "cut after the status");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 (Wind", 0, &r), TP_E_SHORT,
	    "cut inside the user agent");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:5", 0, &r), TP_E_SHORT,
	    "cut inside the time");
	is_int(parse("1.2.3.4 - - [32/Foo/2023:25:61:00 +0700] \"GET / "
	    "HTTP/1.1\" 200 5 \"-\" \"-\"", 0, &r), TP_E_TIME, "bad date");
	is_int(parse("1.2.3.4 - - [31/Feb/2023:10:00:00 +0700] \"GET / "
	    "HTTP/1.1\" 200 5 \"-\" \"-\"", 0, &r), TP_E_TIME, "31 February");
	is_int(parse("1.2.3.4 - - [29/Feb/2023:10:00:00 +0700] \"GET / "
	    "HTTP/1.1\" 200 5 \"-\" \"-\"", 0, &r), TP_E_TIME,
	    "29 February of a common year");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -07x0] \"GET / "
	    "HTTP/1.1\" 200 5 \"-\" \"-\"", 0, &r), TP_E_TIME, "bad offset");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\" abc 5 \"-\" \"-\"", 0, &r), TP_E_STATUS, "bad status");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\" 999 5 \"-\" \"-\"", 0, &r), TP_E_STATUS,
	    "status out of range");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\" 200 5k \"-\" \"-\"", 0, &r), TP_E_BYTES, "bad size");
	is_int(parse("proxy.example.vn - - [10/Oct/2000:13:55:36 -0700] \"GET "
	    "/ HTTP/1.1\" 200 5 \"-\" \"-\"", 0, &r), TP_E_ADDR,
	    "host name instead of an address");
	is_int(parse(GOOD " extra", 0, &r), TP_E_LITERAL, "trailing text");
	is_int(parse("1.2.3.4 + - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\" 200 5 \"-\" \"-\"", 0, &r), TP_E_LITERAL,
	    "text between fields differs");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\" 200 5 \"-\" \"a\0b\"", 0, &r), TP_E_SHORT,
	    "NUL inside (strlen view)");
	is_int(tp_parse(&comb, &clk, NULLINE, sizeof(NULLINE) - 1, 0, &r),
	    TP_E_BINARY,
	    "NUL inside a line: binary");
	ok(strcmp(tp_error_name(TP_E_STATUS), "status") == 0 &&
	    strcmp(tp_error_name(TP_E_OVERLONG), "overlong") == 0,
	    "error names");
}

static void
test_lenient(void)
{
	struct tp_rec	 r;

	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 (Wind", TP_LENIENT, &r),
	    TP_OK, "GoAccess: cut inside the agent is a hit");
	ok(r.agentlen == 1 && r.agent[0] == '-', "... with agent \"-\"");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\"", TP_LENIENT, &r), TP_OK,
	    "GoAccess: a line that ends after the request is a hit");
	is_int(r.status, 0, "... without a status");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\" 200 ", TP_LENIENT, &r), TP_OK,
	    "GoAccess: ending after the status is a hit");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\" 200 12", TP_LENIENT, &r), TP_E_SHORT,
	    "GoAccess: cut inside the size is not");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\" 200 5k \"-\" \"\"", TP_LENIENT, &r), TP_OK,
	    "GoAccess: a bad size is 0");
	is_int(r.bytes, 0, "... 0 bytes");
	ok(r.agentlen == 1 && r.agent[0] == '-', "... empty agent is \"-\"");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / "
	    "HTTP/1.1\" abc 5 \"-\" \"-\"", TP_LENIENT, &r), TP_E_STATUS,
	    "GoAccess: bad status still refused");
	is_int(parse("proxy.example.vn - - [10/Oct/2000:13:55:36 -0700] \"GET "
	    "/ HTTP/1.1\" 200 5 \"-\" \"-\"", TP_LENIENT, &r), TP_E_ADDR,
	    "GoAccess: host name still refused");
	is_int(parse("\x16\x03\x01\xff\xfe\x80", TP_LENIENT, &r), TP_E_SHORT,
	    "GoAccess: binary refused (no field ends)");
	is_int(tp_parse(&comb, &clk, "\0garbage", 8, TP_LENIENT, &r),
	    TP_IGNORE, "GoAccess: a line starting with NUL is skipped");
	is_int(parse("1.2.3.4 - - [10/Oct/2000:13:55:36] \"GET / HTTP/1.1\" "
	    "200 5 \"-\" \" ua \"", TP_LENIENT, &r), TP_OK,
	    "GoAccess: no offset in the time");
	ok(r.agentlen == 2 && memcmp(r.agent, "ua", 2) == 0,
	    "... tokens are trimmed");
}

static void
test_classify(void)
{
	struct tp_rec	 r;

	ok(tp_is_ip("192.168.0.1", 11) && !tp_is_ip("192.168.0", 9) &&
	    !tp_is_ip("01.2.3.4", 8) && !tp_is_ip("256.1.1.1", 9) &&
	    !tp_is_ip("1.2.3.4.5", 9) && !tp_is_ip("", 0), "IPv4 rules");
	ok(tp_is_ip("2001:db8::1", 11) && tp_is_ip("::ffff:1.2.3.4", 14) &&
	    !tp_is_ip("2001:::1", 8), "IPv6 through inet_pton");
	ok(tp_is_static("/css/site.CSS", 13) && tp_is_static("/a.woff2", 8) &&
	    !tp_is_static("/tin-tuc", 8) && !tp_is_static("/v1.2/page", 10) &&
	    !tp_is_static("/.htaccess", 10), "static assets by extension");
	ok(tp_is_crawler("Mozilla/5.0 (compatible; Googlebot/2.1)", 39) &&
	    tp_is_crawler("Baiduspider", 11) && tp_is_crawler("AhrefsBot",
	    9) && !tp_is_crawler("Mozilla/5.0 (X11; Linux) Firefox", 32),
	    "crawlers by name");
	parse(GOOD, 0, &r);
	ok(tp_is_pageview(&r), "a 200 GET of a page is a page view");
	r.status = 404;
	ok(!tp_is_pageview(&r), "a 404 is not");
	r.status = 301;
	ok(!tp_is_pageview(&r), "a redirect is not");
	r.status = 304;
	ok(tp_is_pageview(&r), "a 304 is");
	r.method = "HEAD";
	r.methodlen = 4;
	ok(!tp_is_pageview(&r), "a HEAD is not");
}

int
main(void)
{
	char	 err[64];

	tp_format_compile(&comb, "combined", err, sizeof(err));
	test_formats();
	test_good_line();
	test_times();
	test_malformed_strict();
	test_lenient();
	test_classify();
	return (tap_done());
}
