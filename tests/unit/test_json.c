/* test_json.c - the JSON encoder: escapes, UTF-8 checks, numbers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "json.h"
#include "tap.h"

static char *
take(struct evbuffer *b)
{
	size_t	 len = evbuffer_get_length(b);
	char	*s = malloc(len + 1);

	evbuffer_remove(b, s, len);
	s[len] = '\0';
	return (s);
}

static void
str(const char *in, const char *want, const char *name)
{
	struct evbuffer	*b = evbuffer_new();
	char		*got;

	json_string(b, in);
	got = take(b);
	is_str(got, want, name);
	free(got);
	evbuffer_free(b);
}

static void
num(double v, const char *want, const char *name)
{
	struct evbuffer	*b = evbuffer_new();
	char		*got;

	json_number(b, v);
	got = take(b);
	is_str(got, want, name);
	free(got);
	evbuffer_free(b);
}

int
main(void)
{
	struct evbuffer	*b;
	char		*got;

	str("", "\"\"", "empty");
	str("plain text", "\"plain text\"", "ASCII as is");
	str("a\"b\\c", "\"a\\\"b\\\\c\"", "quote and backslash escaped");
	str("\t\n\x01\x7f", "\"\\u0009\\u000a\\u0001\\u007f\"",
	    "control bytes as \\u");
	str("H\xe1\xbb\xa3p t\xc3\xa1\x63 x\xc3\xa3", "\"H\xe1\xbb\xa3p "
	    "t\xc3\xa1\x63 x\xc3\xa3\"", "Vietnamese kept");
	str("\xf0\x9f\x93\x88", "\"\xf0\x9f\x93\x88\"", "4-byte kept");
	str("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"", "U+10FFFF kept");
	str("a\x80z", "\"a\\ufffdz\"", "lone continuation byte");
	str("\xc0\xaf", "\"\\ufffd\\ufffd\"", "overlong 2-byte");
	str("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"", "overlong 3-byte");
	str("\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	    "overlong 4-byte");
	str("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "surrogate");
	str("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"",
	    "past U+10FFFF");
	str("\xf5\x80", "\"\\ufffd\\ufffd\"", "F5 never starts UTF-8");
	str("x\xe1\x80", "\"x\\ufffd\\ufffd\"", "cut at the end");
	str("\xc3(", "\"\\ufffd(\"", "bad continuation");

	num(0, "0", "zero");
	num(0.1, "0.1", "0.1 shortest");
	num(-1e-7, "-1e-07", "small negative");
	num(NAN, "null", "NaN is null");
	num(INFINITY, "null", "Inf is null");

	b = evbuffer_new();
	json_field(b, "name", "r\"1");
	json_field(b, "none", NULL);
	got = take(b);
	is_str(got, ",\"name\":\"r\\\"1\",\"none\":\"\"", "fields");
	free(got);
	evbuffer_free(b);
	return (tap_done());
}
