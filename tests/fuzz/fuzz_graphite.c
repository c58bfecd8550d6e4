/*
 * fuzz_graphite.c - libFuzzer target for the Graphite plaintext line
 * parser (plaintext.c).  The input is one line, any bytes; the first byte
 * picks the depth limit.  What parses must be a valid series name of the
 * rules' plugin with a time in the allowed window and a finite value;
 * what does not must say why.  Build: tests/fuzz/build.sh.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "plaintext.h"

#define NOW	((time_t)1700000000)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct plaintext_map	 maps[2] = {
		{ "servers.web01", "web01" }, { "a.b", "ab" }
	};
	struct plaintext_rules		 r = { "graphite", maps, 2, 8, 600 };
	struct plaintext_value		 v;
	const char			*why = NULL;
	char				*line;
	int				 rc;

	if (size > 0) {
		r.max_depth = 1 + data[0] % PLAINTEXT_DEPTH_MAX;
		data++;
		size--;
	}
	/* Exactly size bytes, so reads past the end are ASan's to find. */
	if ((line = malloc(size > 0 ? size : 1)) == NULL)
		return (0);
	memcpy(line, data, size);
	rc = plaintext_parse(&r, line, size, NOW, &v, &why);
	if (rc == 1) {
		if (!names_series_valid(v.name) ||
		    strncmp(v.name, "graphite.", 9) != 0 ||
		    !isfinite(v.value) || v.when < PLAINTEXT_TIME_MIN ||
		    v.when > NOW + 600)
			abort();
	} else if (rc == -1) {
		if (why == NULL || why[0] == '\0')
			abort();
	} else if (rc != 0)
		abort();
	free(line);
	return (0);
}
