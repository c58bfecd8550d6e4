/*
 * req.h - turning tallyctl's arguments into one protocol request line:
 * each argument becomes one word, quoted when it has to be.
 */
#ifndef TALLYCTL_REQ_H
#define TALLYCTL_REQ_H

#include <stddef.h>

#define REQ_LINE_MAX	65536	/* bytes in a request, without "\n" */

/*
 * Append word to line (of size bytes, NUL-terminated, *len used) after a
 * space unless line is empty.  The word is written "in quotes", with \"
 * and \\ escapes, if it is empty or holds a space, tab, quote or
 * backslash.  -1 with err filled if it holds another control character
 * or the line would pass REQ_LINE_MAX.
 */
int	req_add_word(char *line, size_t size, size_t *len, const char *word,
	    char *err, size_t errlen);

/*
 * Build "CMD word word ...": cmd is written as is (it may be two words,
 * "ALERT TEST"), every argv[i] as one word.  line has REQ_LINE_MAX + 1
 * bytes.  0, or -1 with err filled.
 */
int	req_build(char *line, const char *cmd, int argc,
	    char *const *argv, char *err, size_t errlen);

#endif
