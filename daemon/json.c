/*
 * json.c - JSON text for the HTTP gateway, webhooks and /api/v1/alerts.
 *
 * Names, messages and metrics may come from plugins and clients, so a
 * string is checked as UTF-8 byte by byte (RFC 3629: no overlong forms, no
 * surrogates, nothing past U+10FFFF); what is not becomes U+FFFD, and a
 * JSON reader never sees invalid text.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>

#include "json.h"
#include "numfmt.h"

/* Bytes of the well-formed UTF-8 sequence at p, or 0 if it is not one. */
static int
json_utf8_len(const unsigned char *p)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	int		 n, i;

	if (*p < 0x80)
		return (1);
	if (*p >= 0xc2 && *p <= 0xdf)
		n = 2;
	else if (*p >= 0xe0 && *p <= 0xef) {
		n = 3;
		if (*p == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (*p == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (*p >= 0xf0 && *p <= 0xf4) {
		n = 4;
		if (*p == 0xf0)
			lo = 0x90;	/* overlong */
		else if (*p == 0xf4)
			hi = 0x8f;	/* past U+10FFFF */
	} else
		return (0);
	if (p[1] < lo || p[1] > hi)
		return (0);
	for (i = 2; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
	}
	return (n);
}

void
json_string(struct evbuffer *b, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	int			 n;

	evbuffer_add(b, "\"", 1);
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			evbuffer_add_printf(b, "\\%c", *p++);
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			evbuffer_add_printf(b, "\\u%04x", *p++);
			continue;
		}
		if ((n = json_utf8_len(p)) == 0) {
			evbuffer_add(b, "\\ufffd", 6);
			p++;
			continue;
		}
		evbuffer_add(b, p, n);
		p += n;
	}
	evbuffer_add(b, "\"", 1);
}

void
json_field(struct evbuffer *b, const char *key, const char *value)
{
	evbuffer_add_printf(b, ",\"%s\":", key);
	json_string(b, value != NULL ? value : "");
}

const char *
json_number_text(char *buf, size_t len, double v)
{
	if (!isfinite(v))
		return ("null");
	numfmt_double(buf, len, v);
	return (buf);
}

void
json_number(struct evbuffer *b, double v)
{
	char		 buf[NUMFMT_LEN];
	const char	*t = json_number_text(buf, sizeof(buf), v);

	evbuffer_add(b, t, strlen(t));
}
