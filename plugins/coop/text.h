/*
 * text.h - an office's file as text the readers understand: UTF-8 without
 * a byte-order mark, in Unicode normal form C.  Shared by the coop and
 * creditfund plugins.
 */
#ifndef COOP_TEXT_H
#define COOP_TEXT_H

#include <stddef.h>

#define TEXT_ENC_MAX	32	/* longest encoding name */

/* What a decode found, for messages. */
struct text_info {
	char	 encoding[TEXT_ENC_MAX + 1];	/* as read: "UTF-16LE" */
	int	 bom;		/* it started with a byte-order mark */
	int	 guessed;	/* not UTF-8, so read as Windows-1258 */
	int	 normalised;	/* some text was not NFC */
};

int	 text_encoding_ok(const char *, char *, size_t);
int	 text_decode(const char *, size_t, const char *, char **, size_t *,
	    struct text_info *, char *, size_t);
char	*text_nfc(const char *);
int	 text_utf8_valid(const char *, size_t, size_t *);

#endif
