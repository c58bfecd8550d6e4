/*
 * fuzz_registry.c - libFuzzer target for the coop plugin's registry CSV
 * reader (plugins/coop/registry.c over csv.c): the input is the whole
 * file.  Checked: every report and error is terminated, counts add up,
 * years increase and a parse that succeeds yields a history table.
 */
#include <math.h>

#include "csv.h"
#include "fuzz.h"
#include "registry.h"

static unsigned long	 reports;

static void
report_cb(void *arg, unsigned long line, int fatal, const char *msg)
{
	if (msg == NULL || strlen(msg) > 4096)
		abort();
	reports++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry_conf	 rc;
	struct registry_result	 res;
	struct history_table	 ht;
	struct csv_format	 fmt = { .sep = ',', .dec = '.' };
	char			 err[256];
	size_t			 i;

	if (size > 1 << 16)
		return (0);
	if (registry_conf_init(&rc) == -1)
		abort();
	memset(&res, 0, sizeof(res));
	reports = 0;
	if (registry_parse(&rc, (const char *)data, size, &fmt, &res,
	    report_cb, NULL, err, sizeof(err)) == 0) {
		if (res.bad > res.rows)
			abort();
		for (i = 1; i < res.nyears; i++)
			if (res.years[i].year <= res.years[i - 1].year)
				abort();
		memset(&ht, 0, sizeof(ht));
		if (registry_table(&rc, &res, &ht) == 0) {
			for (i = 1; i < ht.nperiods; i++)
				if (ht.when[i] <= ht.when[i - 1])
					abort();
			history_table_free(&ht);
		}
	} else
		fuzz_check_msg(err, sizeof(err));
	registry_result_free(&res);
	registry_conf_free(&rc);
	return (0);
}
