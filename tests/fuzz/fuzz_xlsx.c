/*
 * fuzz_xlsx.c - libFuzzer target for the XLSX reader (plugins/coop/xlsx.c).
 * A zip mutated byte by byte seldom gets past its checksums, so the input
 * is mostly the XML: "\n--part--\n" separates a sheet, shared strings,
 * styles and a workbook, which the target packs into a workbook (stored,
 * in memory) with fixed relationships; an input starting "PK" is passed
 * whole, as a file.  Checks that the CSV written is valid UTF-8 with one
 * line per row, then runs the registry and totals readers over it, as
 * the plugins do.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "csv.h"
#include "history.h"
#include "registry.h"
#include "text.h"
#include "totals.h"
#include "xlsx.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SEP	"\n--part--\n"

static const char *rels =
    "<Relationships><Relationship Id=\"rId1\" Type=\"x/officeDocument\" "
    "Target=\"xl/workbook.xml\"/></Relationships>";
static const char *wbrels =
    "<Relationships><Relationship Id=\"rId1\" Type=\"x/worksheet\" "
    "Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId3\" "
    "Type=\"x/sharedStrings\" Target=\"sharedStrings.xml\"/>"
    "<Relationship Id=\"rId4\" Type=\"x/styles\" Target=\"../xl/"
    "styles.xml\"/></Relationships>";
static const char *wbdefault =
    "<workbook><sheets><sheet name=\"S\" r:id=\"rId1\"/></sheets>"
    "</workbook>";

/* Packs the parts into a zip in memory; NULL if libzip refused. */
static char *
pack(const char *const *name, const char *const *part, const size_t *plen,
    size_t n, size_t *len)
{
	zip_error_t	 ze;
	zip_source_t	*src, *s;
	zip_t		*za;
	zip_int64_t	 idx, size;
	char		*buf = NULL;
	size_t		 i;

	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(NULL, 0, 0, &ze)) == NULL)
		goto out;
	zip_source_keep(src);
	if ((za = zip_open_from_source(src, ZIP_TRUNCATE, &ze)) == NULL) {
		zip_source_free(src);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((s = zip_source_buffer(za, part[i], plen[i], 0)) == NULL ||
		    (idx = zip_file_add(za, name[i], s, 0)) < 0) {
			zip_source_free(s);
			zip_discard(za);
			zip_source_free(src);
			goto out;
		}
		zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_STORE,
		    0);
	}
	if (zip_close(za) == -1) {
		zip_discard(za);
		zip_source_free(src);
		goto out;
	}
	if (zip_source_open(src) == 0) {
		zip_source_seek(src, 0, SEEK_END);
		size = zip_source_tell(src);
		zip_source_seek(src, 0, SEEK_SET);
		if (size > 0 && (buf = malloc((size_t)size)) != NULL &&
		    zip_source_read(src, buf, (zip_uint64_t)size) != size) {
			free(buf);
			buf = NULL;
		}
		*len = size > 0 ? (size_t)size : 0;
		zip_source_close(src);
	}
	zip_source_free(src);
out:
	zip_error_fini(&ze);
	return (buf);
}

static void
readers(const char *csv, size_t len, const struct xlsx_info *xi)
{
	static char		 m0[] = "cooperatives.active";
	static char		 m1[] = "members";
	static char		*metrics[] = { m0, m1 };
	struct registry_conf	 rc;
	struct registry_result	 rr;
	struct totals_map	 map;
	struct history_table	 t;
	struct csv_format	 fmt;
	char			 err[2048];

	memset(&fmt, 0, sizeof(fmt));
	fmt.sep = ',';
	fmt.dec = xi->dec;
	snprintf(fmt.sheet, sizeof(fmt.sheet), "%s", xi->sheet);
	snprintf(fmt.sheets, sizeof(fmt.sheets), "%s", xi->sheets);
	if (registry_conf_init(&rc) == 0 && registry_parse(&rc, csv, len,
	    &fmt, &rr, NULL, NULL, err, sizeof(err)) == 0) {
		if (registry_table(&rc, &rr, &t) == 0)
			history_table_free(&t);
		registry_result_free(&rr);
	}
	registry_conf_free(&rc);
	memset(&map, 0, sizeof(map));
	if (totals_map_set(&map, "cooperatives.active", "S") == 0 &&
	    totals_map_set(&map, "members", "M") == 0 &&
	    totals_parse(&map, metrics, 2, csv, len, &fmt, &t, NULL, NULL,
	    err, sizeof(err)) == 0)
		history_table_free(&t);
	totals_map_free(&map);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*names[] = { "xl/worksheets/sheet1.xml",
			    "xl/sharedStrings.xml", "xl/styles.xml" };
	const char	*name[6], *part[6], *p, *e, *in = (const char *)data;
	const char	*wb = wbdefault;
	size_t		 plen[6], wblen = strlen(wbdefault), len, n, i, k;
	size_t		 seglen, lines;
	struct xlsx_info xi;
	char		*zipped = NULL, *csv, err[1024];

	if (size >= 2 && memcmp(data, "PK", 2) == 0) {
		zipped = NULL;
		len = size;
	} else {
		name[0] = "_rels/.rels";
		part[0] = rels;
		name[1] = "xl/_rels/workbook.xml.rels";
		part[1] = wbrels;
		for (n = 0; n < 2; n++)
			plen[n] = strlen(part[n]);
		for (p = in, k = 0; k < 4; k++) {
			e = memmem(p, (size_t)(in + size - p), SEP,
			    strlen(SEP));
			seglen = (size_t)((e != NULL ? e : in + size) - p);
			if (k == 3) {
				wb = p;
				wblen = seglen;
			} else {
				name[n] = names[k];
				part[n] = p;
				plen[n++] = seglen;
			}
			if (e == NULL)
				break;
			p = e + strlen(SEP);
		}
		name[n] = "xl/workbook.xml";
		part[n] = wb;
		plen[n++] = wblen;
		if ((zipped = pack(name, part, plen, n, &len)) == NULL)
			return (0);
	}
	if (xlsx_to_csv(zipped != NULL ? zipped : in, len, NULL, 0, &csv,
	    &n, &xi, err, sizeof(err)) == 0) {
		if (!text_utf8_valid(csv, n, NULL) || strlen(csv) != n)
			abort();
		for (i = 0, lines = 0; i < n; i++)
			lines += csv[i] == '\n';
		if (lines != xi.rows)
			abort();
		readers(csv, n, &xi);
		free(csv);
	} else if (err[0] == '\0')
		abort();
	free(zipped);
	return (0);
}
