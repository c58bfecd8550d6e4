/*
 * text.c - decode an office's file into UTF-8 in normal form C.
 *
 * Excel on a Vietnamese Windows writes "CSV" in Windows-1258, "CSV UTF-8"
 * with a byte-order mark, and "Unicode text" in UTF-16LE with a mark; a
 * Mac may type headers decomposed (NFD).  Conversion is glibc's iconv,
 * normalisation ICU's (iconv does not normalise, and Windows-1258 itself
 * writes some tone marks as combining characters).  Nothing here keeps
 * state between calls.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "text.h"

#define TEXT_GUESS	"WINDOWS-1258"	/* not UTF-8: a Vietnamese Windows */
#define TEXT_SNIFF	4096		/* bytes looked at for UTF-16 */

/*
 * 1 if buf is valid UTF-8 (no overlongs, surrogates or values past
 * U+10FFFF); otherwise 0 and the offset of the first bad byte in *bad.
 */
int
text_utf8_valid(const char *buf, size_t len, size_t *bad)
{
	const unsigned char	*s = (const unsigned char *)buf;
	size_t			 i = 0, n, k;
	unsigned long		 cp, min;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			n = 1;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			n = 2;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			n = 3;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			goto fail;
		if (len - i <= n)
			goto fail;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				goto fail;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 &&
		    cp <= 0xdfff))
			goto fail;
		i += n + 1;
	}
	return (1);
fail:
	if (bad != NULL)
		*bad = i;
	return (0);
}

/* The canonical spelling of an encoding name; NULL for "auto". */
static const char *
text_canon(const char *enc, char *buf, size_t len)
{
	size_t	 i;

	if (enc == NULL || strcasecmp(enc, "auto") == 0)
		return (NULL);
	for (i = 0; enc[i] != '\0' && i + 1 < len; i++)
		buf[i] = (char)toupper((unsigned char)enc[i]);
	buf[i] = '\0';
	if (strcmp(buf, "UTF8") == 0)
		snprintf(buf, len, "UTF-8");
	else if (strcmp(buf, "CP1258") == 0)
		snprintf(buf, len, "WINDOWS-1258");
	return (buf);
}

/* 0 if iconv knows enc (or it is "auto"); -1 with a reason otherwise. */
int
text_encoding_ok(const char *enc, char *err, size_t errlen)
{
	char	 name[TEXT_ENC_MAX + 1];
	iconv_t	 cd;

	if (strlen(enc) > TEXT_ENC_MAX || strchr(enc, '/') != NULL)
		goto bad;
	if (text_canon(enc, name, sizeof(name)) == NULL)
		return (0);
	if ((cd = iconv_open("UTF-8", name)) == (iconv_t)-1)
		goto bad;
	iconv_close(cd);
	return (0);
bad:
	snprintf(err, errlen, "encoding is auto, utf-8, utf-16, utf-16le, "
	    "utf-16be, windows-1258 or another name iconv knows");
	return (-1);
}

/* The physical line of byte off of a text in enc (1-based). */
static unsigned long
text_line_at(const char *buf, size_t off, const char *enc)
{
	unsigned long	 line = 1;
	size_t		 i;
	int		 le = strcmp(enc, "UTF-16LE") == 0;
	int		 be = strcmp(enc, "UTF-16BE") == 0;

	for (i = 0; i < off; i++) {
		if (le && i % 2 == 0 && i + 1 < off)
			line += buf[i] == '\n' && buf[i + 1] == '\0';
		else if (be && i % 2 == 1)
			line += buf[i] == '\n' && buf[i - 1] == '\0';
		else if (!le && !be)
			line += buf[i] == '\n';
	}
	return (line);
}

/* Guesses UTF-16 without a mark from where the NUL bytes are; or NULL. */
static const char *
text_sniff_utf16(const char *buf, size_t len)
{
	size_t	 i, even = 0, odd = 0, n = len < TEXT_SNIFF ? len : TEXT_SNIFF;

	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			*(i % 2 ? &odd : &even) += 1;
	if (odd > n / 4 && even < odd / 8)
		return ("UTF-16LE");
	if (even > n / 4 && odd < even / 8)
		return ("UTF-16BE");
	return (NULL);
}

/* Converts buf from enc to UTF-8 with iconv; -1 with a located reason. */
static int
text_iconv(const char *buf, size_t len, const char *enc, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	iconv_t	 cd;
	/* iconv takes char ** but does not write the input. */
	char	*in = (char *)(uintptr_t)buf, *o, *p;
	size_t	 inleft = len, cap = len * 2 + 16, oleft, r;

	if ((cd = iconv_open("UTF-8", enc)) == (iconv_t)-1) {
		snprintf(err, errlen, "iconv cannot read %s", enc);
		return (-1);
	}
	if ((o = malloc(cap)) == NULL)
		goto nomem;
	p = o;
	oleft = cap - 1;
	while (inleft > 0) {
		if ((r = iconv(cd, &in, &inleft, &p, &oleft)) != (size_t)-1)
			continue;
		if (errno == E2BIG) {
			size_t	 used = (size_t)(p - o);
			char	*n;

			if ((n = realloc(o, cap * 2)) == NULL)
				goto nomem;
			o = n;
			cap *= 2;
			p = o + used;
			oleft = cap - used - 1;
			continue;
		}
		snprintf(err, errlen, "line %lu: %s at byte %zu that is not "
		    "%s (set encoding = to the file's encoding)",
		    text_line_at(buf, (size_t)(in - buf), enc), errno ==
		    EINVAL ? "a character cut short" : "a byte sequence",
		    (size_t)(in - buf) + 1, enc);
		free(o);
		iconv_close(cd);
		return (-1);
	}
	iconv(cd, NULL, NULL, &p, &oleft);
	iconv_close(cd);
	*p = '\0';
	*out = o;
	*outlen = (size_t)(p - o);
	return (0);
nomem:
	free(o);
	iconv_close(cd);
	snprintf(err, errlen, "out of memory");
	return (-1);
}

/* Normalisation of one piece of text: ICU works in UTF-16. */
struct text_nfc {
	const UNormalizer2	*nfc;
	UChar			*u, *v;		/* reused between lines */
	int32_t			 ucap, vcap;
	char			*out;		/* NULL until a line changes */
	size_t			 olen, ocap;
};

/* Appends bytes to the output; -1 without memory. */
static int
text_nfc_put(struct text_nfc *n, const char *s, size_t len)
{
	char	*p;
	size_t	 cap;

	if (n->olen + len + 1 > n->ocap) {
		cap = (n->olen + len + 1) * 2;
		if ((p = realloc(n->out, cap)) == NULL)
			return (-1);
		n->out = p;
		n->ocap = cap;
	}
	memcpy(n->out + n->olen, s, len);
	n->olen += len;
	n->out[n->olen] = '\0';
	return (0);
}

/* Grows a UTF-16 buffer to hold need units; -1 without memory. */
static int
text_nfc_room(UChar **b, int32_t *cap, int32_t need)
{
	UChar	*p;

	if (need <= *cap)
		return (0);
	if ((p = realloc(*b, (size_t)need * 2 * sizeof(*p))) == NULL)
		return (-1);
	*b = p;
	*cap = need * 2;
	return (0);
}

/*
 * One line (a line end is a normalisation boundary, so lines are
 * independent): 1 and its NFC in n->v (*vlen units) if it changes, 0 if
 * it is NFC already, -1 on an error.
 */
static int
text_nfc_line(struct text_nfc *n, const char *s, int32_t len, int32_t *vlen)
{
	UErrorCode	 e = U_ZERO_ERROR;
	int32_t		 nu = 0;

	u_strFromUTF8(NULL, 0, &nu, s, len, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return (-1);
	e = U_ZERO_ERROR;
	if (text_nfc_room(&n->u, &n->ucap, nu + 1) == -1)
		return (-1);
	u_strFromUTF8(n->u, n->ucap, NULL, s, len, &e);
	if (U_FAILURE(e))
		return (-1);
	if (unorm2_quickCheck(n->nfc, n->u, nu, &e) == UNORM_YES &&
	    U_SUCCESS(e))
		return (0);
	e = U_ZERO_ERROR;
	*vlen = unorm2_normalize(n->nfc, n->u, nu, NULL, 0, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return (-1);
	e = U_ZERO_ERROR;
	if (text_nfc_room(&n->v, &n->vcap, *vlen + 1) == -1)
		return (-1);
	unorm2_normalize(n->nfc, n->u, nu, n->v, n->vcap, &e);
	return (U_FAILURE(e) ? -1 : 1);
}

/* Appends a normalised line (n->v) to the output as UTF-8. */
static int
text_nfc_put16(struct text_nfc *n, int32_t vlen)
{
	UErrorCode	 e = U_ZERO_ERROR;
	int32_t		 n8 = 0;
	char		*p;

	u_strToUTF8(NULL, 0, &n8, n->v, vlen, &e);
	if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e))
		return (-1);
	e = U_ZERO_ERROR;
	if (n->olen + (size_t)n8 + 1 > n->ocap) {
		if ((p = realloc(n->out, (n->olen + (size_t)n8 + 1) * 2)) ==
		    NULL)
			return (-1);
		n->out = p;
		n->ocap = (n->olen + (size_t)n8 + 1) * 2;
	}
	u_strToUTF8(n->out + n->olen, (int32_t)(n->ocap - n->olen), NULL,
	    n->v, vlen, &e);
	if (U_FAILURE(e))
		return (-1);
	n->olen += (size_t)n8;
	n->out[n->olen] = '\0';
	return (0);
}

/*
 * Normalises UTF-8 text to NFC with ICU, line by line (memory for one
 * line, not the file, in UTF-16); *out is a new buffer, or NULL when the
 * text was NFC already.  -1 without memory or on an ICU error.
 */
static int
text_nfc_buf(const char *s, size_t len, char **out, size_t *outlen)
{
	struct text_nfc	 n;
	UErrorCode	 e = U_ZERO_ERROR;
	const char	*nl;
	size_t		 i, start, end;
	int32_t		 vlen;
	int		 r, ascii;

	*out = NULL;
	memset(&n, 0, sizeof(n));
	if ((n.nfc = unorm2_getNFCInstance(&e)) == NULL || U_FAILURE(e))
		return (-1);
	for (start = 0; start < len; start = end) {
		nl = memchr(s + start, '\n', len - start);
		end = nl != NULL ? (size_t)(nl - s) + 1 : len;
		for (ascii = 1, i = start; i < end && ascii; i++)
			ascii = (unsigned char)s[i] < 0x80;
		r = 0;
		if (!ascii && (end - start > INT32_MAX / 2 ||
		    (r = text_nfc_line(&n, s + start, (int32_t)(end - start),
		    &vlen)) == -1))
			goto fail;
		if (r == 1 && n.out == NULL &&
		    text_nfc_put(&n, s, start) == -1)
			goto fail;
		if (r == 1 && text_nfc_put16(&n, vlen) == -1)
			goto fail;
		if (r == 0 && n.out != NULL &&
		    text_nfc_put(&n, s + start, end - start) == -1)
			goto fail;
	}
	free(n.u);
	free(n.v);
	*out = n.out;
	*outlen = n.olen;
	return (0);
fail:
	free(n.u);
	free(n.v);
	free(n.out);
	return (-1);
}

/* A copy of a string in NFC (for labels from the config); NULL w/o memory. */
char *
text_nfc(const char *s)
{
	char	*n;
	size_t	 len;

	if (text_nfc_buf(s, strlen(s), &n, &len) == -1)
		return (NULL);
	return (n != NULL ? n : strdup(s));
}

/* Takes a byte-order mark off the front; sets the encoding it names. */
static size_t
text_bom(const char *buf, size_t len, const char **enc)
{
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		*enc = "UTF-8";
		return (3);
	}
	if (len >= 2 && memcmp(buf, "\xff\xfe", 2) == 0) {
		*enc = "UTF-16LE";
		return (2);
	}
	if (len >= 2 && memcmp(buf, "\xfe\xff", 2) == 0) {
		*enc = "UTF-16BE";
		return (2);
	}
	return (0);
}

/*
 * Decodes a file into UTF-8 in NFC, without a byte-order mark.  enc is
 * "auto" (a mark, then UTF-16 by its NUL bytes, then UTF-8 if valid, else
 * Windows-1258) or an iconv name.  *out is malloc'd and NUL-terminated.
 * -1 with err naming the line and byte that cannot be read.
 */
int
text_decode(const char *buf, size_t len, const char *enc, char **out,
    size_t *outlen, struct text_info *info, char *err, size_t errlen)
{
	char		 name[TEXT_ENC_MAX + 1], *u8 = NULL, *n;
	const char	*want = text_canon(enc, name, sizeof(name));
	const char	*bomenc = NULL, *use;
	size_t		 skip, bad, u8len, nlen;

	memset(info, 0, sizeof(*info));
	skip = text_bom(buf, len, &bomenc);
	info->bom = skip > 0;
	if (want != NULL && strcmp(want, "UTF-16") == 0)
		use = bomenc != NULL ? bomenc : "UTF-16LE";
	else if (want != NULL) {
		use = want;
		if (bomenc == NULL || strcmp(bomenc, want) != 0)
			skip = 0;	/* not its own mark: data */
	} else if (bomenc != NULL)
		use = bomenc;
	else if ((use = text_sniff_utf16(buf, len)) == NULL)
		use = "UTF-8";
	buf += skip;
	len -= skip;
	if (strcmp(use, "UTF-8") == 0 && !text_utf8_valid(buf, len, &bad)) {
		if (want != NULL || bomenc != NULL) {
			snprintf(err, errlen, "line %lu: byte %zu (0x%02x) is "
			    "not UTF-8 (a file saved as plain \"CSV\" on a "
			    "Vietnamese Windows is Windows-1258: set encoding "
			    "= windows-1258)", text_line_at(buf, bad, use),
			    bad + skip + 1, (unsigned char)buf[bad]);
			return (-1);
		}
		use = TEXT_GUESS;
		info->guessed = 1;
	}
	snprintf(info->encoding, sizeof(info->encoding), "%s", use);
	if (strcmp(use, "UTF-8") == 0) {
		if ((u8 = malloc(len + 1)) == NULL)
			goto nomem;
		memcpy(u8, buf, len);
		u8[len] = '\0';
		u8len = len;
	} else if (text_iconv(buf, len, use, &u8, &u8len, err, errlen) == -1)
		return (-1);
	if (text_nfc_buf(u8, u8len, &n, &nlen) == -1) {
		free(u8);
		goto nomem;
	}
	if (n != NULL) {
		free(u8);
		u8 = n;
		u8len = nlen;
		info->normalised = 1;
	}
	*out = u8;
	*outlen = u8len;
	return (0);
nomem:
	snprintf(err, errlen, "out of memory (or text ICU cannot normalise)");
	return (-1);
}
