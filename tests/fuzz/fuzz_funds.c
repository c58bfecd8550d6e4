/*
 * fuzz_funds.c - libFuzzer target for the creditfund plugin's fund CSV
 * reader (plugins/creditfund/funds.c over coop's csv.c).  The first byte
 * picks the period granularity; the rest is the file.  Checked: reports
 * and errors terminated, counts add up, periods in increasing order with
 * labels terminated, and the history table in time order.
 */
#include "csv.h"
#include "fuzz.h"
#include "funds.h"

static void
report_cb(void *arg, unsigned long line, int fatal, const char *msg)
{
	if (msg == NULL || strlen(msg) > 4096)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const grans[] = { "year", "quarter", "month" };
	struct funds_conf	 fc;
	struct funds_result	 res;
	struct history_table	 ht;
	struct csv_format	 fmt = { .sep = ',', .dec = '.' };
	char			 err[256];
	size_t			 i;

	if (size < 1 || size > 1 << 16)
		return (0);
	if (funds_conf_init(&fc) == -1)
		abort();
	if (funds_configure(&fc, "period", grans[data[0] % 3], err,
	    sizeof(err)) == -1)
		abort();
	memset(&res, 0, sizeof(res));
	if (funds_parse(&fc, (const char *)data + 1, size - 1, &fmt, &res,
	    report_cb, NULL, err, sizeof(err)) == 0) {
		if (res.bad > res.rows)
			abort();
		for (i = 0; i < res.nperiods; i++) {
			fuzz_check_msg(res.periods[i].label,
			    sizeof(res.periods[i].label));
			if (i > 0 && res.periods[i].end <=
			    res.periods[i - 1].end)
				abort();
		}
		memset(&ht, 0, sizeof(ht));
		if (funds_table(&res, &ht) == 0) {
			for (i = 1; i < ht.nperiods; i++)
				if (ht.when[i] <= ht.when[i - 1])
					abort();
			history_table_free(&ht);
		}
	} else
		fuzz_check_msg(err, sizeof(err));
	funds_result_free(&res);
	funds_conf_free(&fc);
	return (0);
}
