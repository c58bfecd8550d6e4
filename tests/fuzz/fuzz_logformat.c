/*
 * fuzz_logformat.c - libFuzzer target for the traffic plugin's log_format
 * compiler (plugins/traffic/logparse.c).  The input is "FORMAT\nLINE": a
 * format that compiles is used on the line.  Checked: the compiled items
 * stay within their bounds, errors are terminated, a parse never reads
 * outside the line.
 */
#include "fuzz.h"
#include "logparse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_format	 f;
	struct tp_clock		 clk;
	struct tp_rec		 r;
	const char		*nl;
	char			*spec, err[256];
	size_t			 i, flen;

	if (size > 8192)
		return (0);
	nl = memchr(data, '\n', size);
	flen = nl != NULL ? (size_t)(nl - (const char *)data) : size;
	if ((spec = fuzz_string(data, flen)) == NULL)
		return (0);
	memset(err, 0, sizeof(err));
	if (tp_format_compile(&f, spec, err, sizeof(err)) == -1) {
		fuzz_check_msg(err, sizeof(err));
		free(spec);
		return (0);
	}
	if (f.nitems > TP_ITEMS_MAX)
		abort();
	for (i = 0; i < f.nitems; i++)
		if (f.items[i].litlen > TP_LIT_MAX ||
		    f.items[i].field > TP_F_SKIP)
			abort();
	if (nl != NULL) {
		memset(&clk, 0, sizeof(clk));
		/* a copy of exactly the line, so ASan sees any overread */
		flen = size - flen - 1;
		free(spec);
		if ((spec = malloc(flen > 0 ? flen : 1)) == NULL)
			return (0);
		memcpy(spec, nl + 1, flen);
		(void)tp_parse(&f, &clk, spec, flen, 0, &r);
		(void)tp_parse(&f, &clk, spec, flen, TP_LENIENT, &r);
	}
	free(spec);
	return (0);
}
