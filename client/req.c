/*
 * req.c - request lines for tallyctl.  The server splits words on spaces
 * and tabs and honours "quotes" with \" and \\ escapes; anything else it
 * takes literally, so quoting here is the whole of the escaping there.
 */
#include <stdio.h>
#include <string.h>

#include "req.h"

/* 1 if c is a control byte the protocol cannot carry in a word. */
static int
req_is_control(unsigned char c)
{
	return ((c < 0x20 && c != '\t') || c == 0x7f);
}

static int
req_needs_quotes(const char *word)
{
	return (*word == '\0' || strpbrk(word, " \t\"\\") != NULL);
}

/* Append one byte, keeping the line within REQ_LINE_MAX. */
static int
req_put(char *line, size_t size, size_t *len, char c)
{
	if (*len >= REQ_LINE_MAX || *len + 1 >= size)
		return (-1);
	line[(*len)++] = c;
	line[*len] = '\0';
	return (0);
}

int
req_add_word(char *line, size_t size, size_t *len, const char *word,
    char *err, size_t errlen)
{
	const char	*p;
	int		 quote, rc = 0;

	for (p = word; *p != '\0'; p++) {
		if (req_is_control((unsigned char)*p)) {
			snprintf(err, errlen, "control character 0x%02x in "
			    "an argument, after \"%.*s\"", (unsigned char)*p,
			    (int)(p - word > 40 ? 40 : p - word), word);
			return (-1);
		}
	}
	quote = req_needs_quotes(word);
	if (*len > 0)
		rc |= req_put(line, size, len, ' ');
	if (quote)
		rc |= req_put(line, size, len, '"');
	for (p = word; *p != '\0' && rc == 0; p++) {
		if (quote && (*p == '"' || *p == '\\'))
			rc |= req_put(line, size, len, '\\');
		rc |= req_put(line, size, len, *p);
	}
	if (quote)
		rc |= req_put(line, size, len, '"');
	if (rc != 0) {
		snprintf(err, errlen, "request longer than %d bytes",
		    REQ_LINE_MAX);
		return (-1);
	}
	return (0);
}

int
req_build(char *line, const char *cmd, int argc, char *const *argv,
    char *err, size_t errlen)
{
	size_t	 len;
	int	 i;

	len = strlen(cmd);
	if (len > REQ_LINE_MAX) {
		snprintf(err, errlen, "request longer than %d bytes",
		    REQ_LINE_MAX);
		return (-1);
	}
	memcpy(line, cmd, len + 1);
	for (i = 0; i < argc; i++) {
		if (req_add_word(line, REQ_LINE_MAX + 1, &len, argv[i], err,
		    errlen) == -1)
			return (-1);
	}
	return (0);
}
