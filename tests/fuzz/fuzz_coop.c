/*
 * fuzz_coop.c - libFuzzer target for an office's file as the coop and
 * creditfund plugins read it: decoding (BOM, UTF-16, Windows-1258, NFC),
 * separator and decimal sniffing, then the registry, credit fund and
 * totals parsers over the same bytes.  Checks that a figure read is
 * finite and that every table's periods increase.  Build:
 * tests/fuzz/build.sh.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "funds.h"
#include "registry.h"
#include "text.h"
#include "totals.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_table(const struct history_table *t)
{
	size_t	 i;

	for (i = 1; i < t->nperiods; i++)
		if (t->when[i] <= t->when[i - 1])
			abort();
	for (i = 0; i < t->nmetrics * t->nperiods; i++)
		if (isinf(t->value[i]))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char		 m0[] = "cooperatives.active";
	static char		 m1[] = "members";
	static char		 m2[] = "revenue.avg.agriculture";
	static char		*metrics[] = { m0, m1, m2 };
	struct registry_conf	 rc;
	struct registry_result	 rr;
	struct funds_conf	 fc;
	struct funds_result	 fr;
	struct totals_map	 map;
	struct history_table	 t;
	struct csv_format	 fmt;
	struct text_info	 ti;
	char			 err[2048], *text;
	size_t			 tlen;
	double			 v;

	if (text_decode((const char *)data, len, "auto", &text, &tlen, &ti,
	    err, sizeof(err)) == -1)
		return (0);
	memset(&fmt, 0, sizeof(fmt));
	fmt.sep = csv_sniff_sep(text, tlen);
	fmt.dec = csv_sniff_decimal(text, tlen, fmt.sep);
	snprintf(fmt.encoding, sizeof(fmt.encoding), "%s", ti.encoding);
	if (tlen < 64 && memchr(text, '\0', tlen) == NULL &&
	    csv_number(text, fmt.dec, &v) == 0 && !isfinite(v))
		abort();
	if (registry_conf_init(&rc) == 0 && registry_parse(&rc, text, tlen,
	    &fmt, &rr, NULL, NULL, err, sizeof(err)) == 0) {
		if (registry_table(&rc, &rr, &t) == 0) {
			check_table(&t);
			history_table_free(&t);
		}
		registry_result_free(&rr);
	}
	registry_conf_free(&rc);
	if (funds_conf_init(&fc) == 0 && funds_parse(&fc, text, tlen, &fmt,
	    &fr, NULL, NULL, err, sizeof(err)) == 0) {
		if (funds_table(&fr, &t) == 0) {
			check_table(&t);
			history_table_free(&t);
		}
		funds_result_free(&fr);
	}
	funds_conf_free(&fc);
	memset(&map, 0, sizeof(map));
	if (totals_map_set(&map, "cooperatives.active", "Số HTX") == 0 &&
	    totals_map_set(&map, "members", "Số thành viên") == 0 &&
	    totals_parse(&map, metrics, 3, text, tlen, &fmt, &t, NULL, NULL,
	    err, sizeof(err)) == 0) {
		check_table(&t);
		history_table_free(&t);
	}
	totals_map_free(&map);
	free(text);
	return (0);
}
