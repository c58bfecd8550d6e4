/*
 * fuzz_rrdread.c - libFuzzer target for rrdread's reading of an RRD
 * file's header and rows, as a damaged file in the datadir would be read.
 * The input becomes a file; its version, DS and archive counts are kept
 * in the range rrdread reads itself (others go to librrd, not the target
 * here), the rest is as given.  Each of a few spans and CFs must answer 0
 * with rows, or -1 with a message; never a crash or a read out of bounds.
 * Then LAST from its header (rrdread_lastds).
 */
#include <sys/types.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RRD_EXPORT_DEPRECATED
#include <rrd.h>

#include "fuzz.h"
#include "rrdread.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 path[64];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const cfs[] = { "AVERAGE", "MIN", "MAX", "LAST" };
	/*
	 * Spans of at most ~10,000 s: at a 1 s step a longer one asks for
	 * 10^5..10^6 rows, and filling them was 75% of the time (650
	 * inputs a second); test_rrdread compares long spans with librrd.
	 */
	static const long spans[][3] = { { -300, 0, 1 }, { -7200, 0, 60 },
	    { -10, 3000, 0 }, { -5000000, -4990000, 3600 } };
	struct rrdread_rows	 rr;
	stat_head_t		 sh;
	unsigned char		*buf;
	char			 err[256], ds[64];
	time_t			 now = 1700000000, last;
	size_t			 i;
	FILE			*fp;
	int			 errnum, r;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "%s/fuzz_rrdread.%ld.rrd",
		    fuzz_tmpdir(), (long)getpid());
	if (len < sizeof(sh) || (buf = malloc(len)) == NULL)
		return (0);
	memcpy(buf, data, len);
	memcpy(&sh, buf, sizeof(sh));
	memcpy(sh.cookie, "RRD", 4);
	memcpy(sh.version, data[4] & 1 ? "0003" : "0004", 5);
	sh.float_cookie = FLOAT_COOKIE;
	sh.ds_cnt = 1 + sh.ds_cnt % 4;
	sh.rra_cnt = sh.rra_cnt % 9;
	memcpy(buf, &sh, sizeof(sh));
	/* A new file each time: the descriptor table sees another inode. */
	unlink(path);
	if ((fp = fopen(path, "w")) == NULL || fwrite(buf, 1, len, fp) !=
	    len || fclose(fp) != 0)
		abort();
	free(buf);
	for (i = 0; i < sizeof(spans) / sizeof(spans[0]); i++) {
		r = rrdread_fetch(path, cfs[i], now + spans[i][0],
		    now + spans[i][1], (unsigned long)spans[i][2], 0, &rr, NULL,
		    NULL, err, sizeof(err), &errnum);
		if (r == 0) {
			if (rr.step == 0 || (rr.nrows > 0 && rr.data == NULL))
				abort();
			/* Every row is readable (ASan checks the bounds). */
			for (size_t k = 0; k < rr.nrows; k++)
				if (rr.data[k] != rr.data[k] && !isnan(rr.data[k]))
					abort();
			free(rr.data);
		} else if (err[0] == '\0')
			abort();
	}
	/* LAST from the header: a terminated value, or a refusal. */
	r = rrdread_lastds(path, 0, &last, ds, sizeof(ds));
	if ((r == 0 && memchr(ds, '\0', sizeof(ds)) == NULL) || r < -1 ||
	    r > 1)
		abort();
	rrdread_close_all();
	return (0);
}
