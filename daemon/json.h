/*
 * json.h - the one JSON encoder: strings (UTF-8 checked) and numbers into
 * an evbuffer.  A leaf: only numfmt and libevent's buffers.
 */
#ifndef TALLY_JSON_H
#define TALLY_JSON_H

#include <stddef.h>

struct evbuffer;

/*
 * s as a JSON string, quoted: '"', '\' and control bytes escaped; a byte
 * that does not start well-formed UTF-8 (overlong forms, surrogates and
 * code points past U+10FFFF included) becomes U+FFFD.
 */
void		 json_string(struct evbuffer *, const char *s);
/* ,"key":"value" (value NULL is ""); key is a literal of ours. */
void		 json_field(struct evbuffer *, const char *key,
		    const char *value);
/* The shortest decimal that reads back as v; null if not finite. */
void		 json_number(struct evbuffer *, double v);
/* The same text in buf (NUMFMT_LEN bytes), returned. */
const char	*json_number_text(char *buf, size_t len, double v);

#endif
