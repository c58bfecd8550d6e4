/*
 * fuzz_forward.c - libFuzzer target for a forwarder's cursor file parser
 * and its line encoders (fwdenc.c).  The input is parsed as a cursor: if
 * it parses, writing it back must give exactly the input.  Then it is cut
 * at its first NUL-free line into a series name and a glob: a name that
 * encodes must make one whole line of each kind, and a glob must never
 * match a name it was not checked against.  Build: tests/fuzz/build.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fwdenc.h"
#include "names.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fwdenc_buf	 b;
	char			 back[FWDENC_CURSOR_MAX], *s, *nl, *globs[1];
	uint64_t		 seq, off;
	double			 v;
	int			 n;

	/* Exactly size bytes, so reads past the end are ASan's to find. */
	if ((s = malloc(size > 0 ? size : 1)) == NULL)
		return (0);
	memcpy(s, data, size);
	if (fwdenc_cursor_parse(s, size, &seq, &off) == 0) {
		n = fwdenc_cursor_format(back, sizeof(back), seq, off);
		if (n < 0 || (size_t)n != size || memcmp(back, s, size) != 0)
			abort();
		if (seq == 0 || off < 8)
			abort();
	}
	free(s);

	if ((s = fuzz_string(data, size)) == NULL)
		return (0);
	memset(&b, 0, sizeof(b));
	if ((nl = strchr(s, '\n')) != NULL)
		*nl++ = '\0';
	memcpy(&v, data, size >= 8 ? 8 : 0);
	if (size < 8)
		v = (double)size;
	if (fwdenc_prom(&b, s, (time_t)size, v) == 0) {
		if (!names_series_valid(s) || b.len == 0 ||
		    b.p[b.len - 1] != '\n' || memchr(b.p, '\n', b.len - 1) !=
		    NULL || strncmp(b.p, "tally_", 6) != 0)
			abort();
	} else if (b.len != 0)
		abort();
	fwdenc_reset(&b);
	if (fwdenc_graphite(&b, nl != NULL && names_series_valid(nl) ? nl :
	    NULL, s, (time_t)size, v) == 0) {
		if (b.len == 0 || b.p[b.len - 1] != '\n' ||
		    memchr(b.p, '\n', b.len - 1) != NULL ||
		    strchr(b.p, ' ') == NULL)
			abort();
	} else if (b.len != 0)
		abort();
	fwdenc_free(&b);
	if (nl != NULL && fwdenc_glob_valid(nl)) {
		globs[0] = nl;
		(void)fwdenc_match(globs, 1, s);
	}
	free(s);
	return (0);
}
