/*
 * test_coop_xlsx.c - a workbook's sheet as the CSV the readers take:
 * shared, inline and rich strings, numbers exact as stored (no exponent,
 * no display rounding), booleans, errors, unsaved formulas, dates by
 * built-in and custom formats in the 1900 system (its leap-year bug) and
 * the 1904 one, rows and columns in place (line N is row N), a named
 * sheet, NFD text made NFC; and files refused with the cause: a CSV
 * renamed, a truncated zip, an encrypted (OLE) workbook, an old .xls, a
 * DTD, a bad shared string, a missing sheet.  A workbook written by
 * libxlsxwriter reads back too, through registry_parse with cells named.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xlsxwriter.h>
#include <zip.h>

#include "csv.h"
#include "history.h"
#include "registry.h"
#include "tap.h"
#include "xlsx.h"

static char	 dir[] = "/tmp/test_coop_xlsx.XXXXXX";

static const char *rels =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas."
    "openxmlformats.org/officeDocument/2006/relationships/officeDocument\" "
    "Target=\"xl/workbook.xml\"/></Relationships>";

static const char *wbrels =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "relationships\">"
    "<Relationship Id=\"rId1\" Type=\"http://x/worksheet\" "
    "Target=\"worksheets/sheet1.xml\"/>"
    "<Relationship Id=\"rId2\" Type=\"http://x/worksheet\" "
    "Target=\"/xl/worksheets/sheet2.xml\"/>"
    "<Relationship Id=\"rId3\" Type=\"http://x/sharedStrings\" "
    "Target=\"sharedStrings.xml\"/>"
    "<Relationship Id=\"rId4\" Type=\"http://x/styles\" "
    "Target=\"styles.xml\"/></Relationships>";

#define NS	"xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/" \
		"2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/" \
		"officeDocument/2006/relationships\""

/* Styles: 0 general, 1 built-in date 14, 2 custom dd/mm/yyyy, 3 "0.0". */
static const char *styles =
    "<styleSheet " NS "><numFmts count=\"2\">"
    "<numFmt numFmtId=\"164\" formatCode=\"dd/mm/yyyy\"/>"
    "<numFmt numFmtId=\"165\" formatCode=\"&quot;ngày&quot; 0.0\"/>"
    "</numFmts><cellStyleXfs><xf numFmtId=\"14\"/></cellStyleXfs>"
    "<cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/>"
    "<xf numFmtId=\"164\"/><xf numFmtId=\"165\"/></cellXfs></styleSheet>";

static const char *sst =
    "<sst " NS "><si><t>Mã số</t></si><si><t>Ngày</t></si>"
    "<si><r><t>Doanh </t></r><r><t>thu</t></r><rPh><t>x</t></rPh></si>"
    "<si><t>Lo\xcc\x9b\xcc\xa3i _x000D__x000A_nhua\xcc\x82\xcc\xa3n</t></si>"
    "<si><t>1,55 tỷ</t></si><si><t>Số \"HTX\"</t></si></sst>";

/* A workbook of these parts, as bytes in *buf; sheet2 may be NULL. */
static size_t
book(char **buf, const char *workbook, const char *sheet1,
    const char *sheet2, const char *sst_xml, const char *styles_xml)
{
	const char	*names[] = { "_rels/.rels", "xl/workbook.xml",
			    "xl/_rels/workbook.xml.rels",
			    "xl/worksheets/sheet1.xml",
			    "xl/worksheets/sheet2.xml", "xl/sharedStrings.xml",
			    "xl/styles.xml" };
	const char	*parts[] = { rels, workbook, wbrels, sheet1, sheet2,
			    sst_xml, styles_xml };
	char		 path[256];
	zip_t		*za;
	zip_source_t	*src;
	FILE		*f;
	long		 n;
	size_t		 i;
	int		 err;

	snprintf(path, sizeof(path), "%s/book.xlsx", dir);
	unlink(path);
	if ((za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err)) == NULL)
		return (0);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (parts[i] == NULL)
			continue;
		src = zip_source_buffer(za, parts[i], strlen(parts[i]), 0);
		if (src == NULL || zip_file_add(za, names[i], src, 0) < 0)
			return (0);
	}
	if (zip_close(za) == -1 || (f = fopen(path, "rb")) == NULL)
		return (0);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*buf = malloc((size_t)n);
	if (fread(*buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	fclose(f);
	return ((size_t)n);
}

static const char *wb1900 =
    "<workbook " NS "><workbookPr/><sheets>"
    "<sheet name=\"Ẩn\" sheetId=\"3\" state=\"hidden\" r:id=\"rId2\"/>"
    "<sheet name=\"DS HTX\" sheetId=\"1\" r:id=\"rId1\"/>"
    "<sheet name=\"Tổng hợp\" sheetId=\"2\" r:id=\"rId2\"/>"
    "</sheets></workbook>";
static const char *wb1904 =
    "<workbook " NS "><workbookPr date1904=\"1\"/><sheets>"
    "<sheet name=\"DS HTX\" sheetId=\"1\" r:id=\"rId1\"/>"
    "</sheets></workbook>";

static const char *sheet1 =
    "<worksheet " NS "><sheetData>"
    "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\">"
    "<v>1</v></c><c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"s\">"
    "<v>3</v></c></row>"
    "<row r=\"2\"><c r=\"A2\"><v>695349372</v></c><c r=\"B2\" s=\"1\">"
    "<v>42094</v></c><c r=\"C2\" s=\"3\"><v>1.55</v></c>"
    "<c r=\"D2\" t=\"s\"><v>4</v></c></row>"
    "<row r=\"4\"><c r=\"A4\"><v>1.5E-2</v></c><c r=\"B4\" s=\"2\">"
    "<v>60</v></c><c r=\"C4\"><v>6.9534937200000001E+8</v></c>"
    "<c r=\"E4\" t=\"b\"><v>1</v></c></row>"
    "<row r=\"5\"><c r=\"A5\" t=\"inlineStr\"><is><t>Số</t></is></c>"
    "<c r=\"B5\" s=\"2\"><v>61.75</v></c><c r=\"C5\" t=\"e\">"
    "<v>#DIV/0!</v></c><c r=\"D5\"><f>SUM(A1:A2)</f></c></row>"
    "<row r=\"6\"><c t=\"s\"><v>5</v></c><c><v>-0.5</v></c>"
    "<c s=\"2\"><v>1</v></c><c><v>565874.0</v></c></row>"
    "</sheetData></worksheet>";

static const char *sheet2 =
    "<worksheet " NS "><sheetData><row r=\"3\"><c r=\"B3\" t=\"s\">"
    "<v>1</v></c></row></sheetData></worksheet>";

static int
convert(const char *buf, size_t len, const char *sheet, char dec,
    char **out, struct xlsx_info *xi, char *err, size_t errlen)
{
	size_t	 olen;

	*out = NULL;
	err[0] = '\0';
	return (xlsx_to_csv(buf, len, sheet, dec, out, &olen, xi, err,
	    errlen));
}

static void
test_cells(void)
{
	struct xlsx_info	 xi;
	char			*buf, *out, err[1024];
	size_t			 len;

	len = book(&buf, wb1900, sheet1, sheet2, sst, styles);
	ok(len > 0, "a workbook written");
	ok(xlsx_is_zip(buf, len), "it is a zip");
	ok(convert(buf, len, NULL, 0, &out, &xi, err, sizeof(err)) == 0,
	    "the first visible sheet read (%s)", err);
	is_str(xi.sheet, "DS HTX", "the hidden sheet skipped");
	is_str(xi.sheets, "'Ẩn' (hidden), 'DS HTX', 'Tổng hợp'",
	    "the sheets listed, hidden marked");
	is_int(xi.dec, ',', "a text figure (1,55 tỷ) votes a decimal comma");
	is_str(out,
	    "\"Mã số\",\"Ngày\",\"Doanh thu\",\"Lợi   nhuận\"\n"
	    "\"695349372\",\"31/03/2015\",\"1,55\",\"1,55 tỷ\"\n"
	    "\n"
	    "\"0,015\",\"29/02/1900\",\"695349372\",,\"TRUE\"\n"
	    "\"Số\",\"01/03/1900\",\"#DIV/0!\",\"=SUM(A1:A2) (a formula "
	    "without a saved value: open and save the file in Excel)\"\n"
	    "\"Số \"\"HTX\"\"\",\"-0,5\",\"01/01/1900\",\"565874\"\n",
	    "cells as CSV: exact numbers, dates, rows in place, NFC, "
	    "line breaks as spaces");
	is_int(xi.cells, 20, "20 cells");
	is_int(xi.rows, 6, "to row 6");
	free(out);

	ok(convert(buf, len, NULL, '.', &out, &xi, err, sizeof(err)) == 0 &&
	    strstr(out, "\"0.015\"") != NULL && strstr(out, "\"1.55\",") !=
	    NULL, "decimal = . writes figures with a point");
	free(out);

	ok(convert(buf, len, "tổng  hợp", 0, &out, &xi, err,
	    sizeof(err)) == 0, "a sheet by name, as labels compare (%s)", err);
	is_str(out, "\n\n,\"Ngày\"\n", "its one cell at B3, line 3");
	free(out);

	ok(convert(buf, len, "Báo cáo", 0, &out, &xi, err, sizeof(err)) ==
	    -1, "a missing sheet refused");
	is_str(err, "no sheet 'Báo cáo'; the workbook has 'Ẩn' (hidden), "
	    "'DS HTX', 'Tổng hợp' (set sheet = one of them)",
	    "the sheets listed");
	free(buf);

	len = book(&buf, wb1900, "<worksheet><sheetData><row r=\"1\">"
	    "<c r=\"A1\"><v>0.00012345678901234567</v></c>"
	    "<c r=\"B1\"><v>9.9999999999999999E+2</v></c>"
	    "<c r=\"C1\"><v>-1E+30</v></c><c r=\"D1\"><v>1E+31</v></c>"
	    "<c r=\"E1\"><v>0.30000000000000004</v></c>"
	    "</row></sheetData></worksheet>", sheet2, sst, styles);
	ok(convert(buf, len, NULL, '.', &out, &xi, err, sizeof(err)) == 0,
	    "numbers at the edges (%s)", err);
	is_str(out, "\"0.000123456789012346\",\"1000\",\"-1000000000000000"
	    "000000000000000\",\"1E+31\",\"0.3\"\n",
	    "15 significant digits as Excel keeps them; past 10^30 as written");
	free(out);
	free(buf);

	len = book(&buf, wb1904, sheet1, NULL, sst, styles);
	ok(convert(buf, len, NULL, 0, &out, &xi, err, sizeof(err)) == 0 &&
	    xi.date1904, "the 1904 date system seen");
	ok(out != NULL && strstr(out, "\"01/04/2019\"") != NULL &&
	    strstr(out, "\"01/03/1904\"") != NULL &&
	    strstr(out, "\"02/01/1904\"") != NULL,
	    "1904 dates: 42094 is 01/04/2019, 60 is 01/03/1904");
	free(out);
	free(buf);
}

static void
test_refused(void)
{
	struct xlsx_info	 xi;
	char			*buf, *out, err[1024], ole[1024];
	size_t			 len;
	const char		*csvtext = "Mã số,Tên\r\nHTX-1,A\r\n";

	ok(convert(csvtext, strlen(csvtext), NULL, 0, &out, &xi, err,
	    sizeof(err)) == -1 && strstr(err, "not an XLSX workbook: it "
	    "starts as text ('Mã số,Tên") != NULL && strstr(err, "set format "
	    "= csv") != NULL, "a CSV renamed .xlsx: %s", err);
	ok(convert("", 0, NULL, 0, &out, &xi, err, sizeof(err)) == -1 &&
	    strstr(err, "empty") != NULL, "an empty file: %s", err);

	memset(ole, 0, sizeof(ole));
	memcpy(ole, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
	memcpy(ole + 600, "E\0n\0c\0r\0y\0p\0t\0i\0o\0n\0I\0n\0f\0o\0", 28);
	ok(convert(ole, sizeof(ole), NULL, 0, &out, &xi, err,
	    sizeof(err)) == -1 && strstr(err, "password-protected") != NULL,
	    "an encrypted workbook named: %s", err);
	memset(ole + 600, 0, 28);
	ok(convert(ole, sizeof(ole), NULL, 0, &out, &xi, err,
	    sizeof(err)) == -1 && strstr(err, "97-2003 .xls") != NULL,
	    "an old .xls named: %s", err);

	len = book(&buf, wb1900, sheet1, sheet2, sst, styles);
	ok(convert(buf, len / 2, NULL, 0, &out, &xi, err, sizeof(err)) ==
	    -1 && strstr(err, "damaged or truncated") != NULL,
	    "a truncated workbook: %s", err);
	free(buf);

	len = book(&buf, wb1900, "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>"
	    "<worksheet/>", sheet2, sst, styles);
	ok(convert(buf, len, NULL, 0, &out, &xi, err, sizeof(err)) == -1 &&
	    strstr(err, "DTD") != NULL, "a DTD refused: %s", err);
	free(buf);

	len = book(&buf, wb1900, "<worksheet><sheetData><row r=\"7\">"
	    "<c r=\"C7\" t=\"s\"><v>99</v></c></row></sheetData></worksheet>",
	    sheet2, sst, styles);
	ok(convert(buf, len, NULL, 0, &out, &xi, err, sizeof(err)) == -1 &&
	    strstr(err, "cell C7: shared string '99' does not exist") != NULL,
	    "a bad shared string named by cell: %s", err);
	free(buf);

	len = book(&buf, wb1900, "<worksheet><sheetData><row r=\"1\">"
	    "<c r=\"1A\"><v>1</v></c></row></sheetData></worksheet>",
	    sheet2, sst, styles);
	ok(convert(buf, len, NULL, 0, &out, &xi, err, sizeof(err)) == -1 &&
	    strstr(err, "'1A' is not a cell reference") != NULL,
	    "a bad reference: %s", err);
	free(buf);

	len = book(&buf, wb1900, "<worksheet><sheetData><row>", sheet2, sst,
	    styles);
	ok(convert(buf, len, NULL, 0, &out, &xi, err, sizeof(err)) == -1 &&
	    strstr(err, "xl/worksheets/sheet1.xml") != NULL,
	    "broken XML named with its part: %s", err);
	free(buf);

	len = book(&buf, "<workbook/>", sheet1, NULL, sst, styles);
	ok(convert(buf, len, NULL, 0, &out, &xi, err, sizeof(err)) == -1 &&
	    strstr(err, "no visible sheet") != NULL, "no sheet: %s", err);
	free(buf);
}

static char	 said[8192];

static void
report_cb(void *arg, unsigned long line, int skipped, const char *msg)
{
	size_t	 n = strlen(said);

	(void)arg;
	snprintf(said + n, sizeof(said) - n, "%lu%s: %s\n", line,
	    skipped ? "s" : "w", msg);
}

/* A registry as libxlsxwriter writes it, through the registry reader. */
static void
test_registry(void)
{
	static const char	*head[] = { "Mã số", "Loại hình", "Lĩnh vực",
				    "Ngày thành lập", "Ngày giải thể",
				    "Số thành viên", "Doanh thu (đồng)",
				    "Lợi nhuận (đồng)", "Năm báo cáo" };
	struct registry_conf	 rc;
	struct registry_result	 res;
	struct csv_format	 fmt;
	struct xlsx_info	 xi;
	lxw_workbook		*wb;
	lxw_worksheet		*ws;
	lxw_format		*date;
	lxw_datetime		 dt = { 2015, 3, 31, 0, 0, 0 };
	char			 path[256], *buf, *out, err[2048];
	size_t			 len, i;
	FILE			*f;
	long			 n;

	snprintf(path, sizeof(path), "%s/lxw.xlsx", dir);
	wb = workbook_new(path);
	ws = workbook_add_worksheet(wb, "DS HTX");
	date = workbook_add_format(wb);
	format_set_num_format(date, "dd/mm/yyyy");
	for (i = 0; i < 9; i++)
		worksheet_write_string(ws, 0, (lxw_col_t)i, head[i], NULL);
	for (i = 1; i <= 3; i++) {
		worksheet_write_string(ws, (lxw_row_t)i, 0, i == 3 ? "HTX-3" :
		    i == 2 ? "HTX-2" : "HTX-1", NULL);
		worksheet_write_string(ws, (lxw_row_t)i, 1, "Hợp tác xã", NULL);
		worksheet_write_string(ws, (lxw_row_t)i, 2, "Nông nghiệp",
		    NULL);
		worksheet_write_datetime(ws, (lxw_row_t)i, 3, &dt, date);
		worksheet_write_number(ws, (lxw_row_t)i, 5, 100, NULL);
		if (i == 3)
			worksheet_write_string(ws, (lxw_row_t)i, 6, "nhiều",
			    NULL);
		else
			worksheet_write_number(ws, (lxw_row_t)i, 6,
			    i == 1 ? 1550000000 : 695349372, NULL);
		worksheet_write_number(ws, (lxw_row_t)i, 7, -12.5, NULL);
		worksheet_write_number(ws, (lxw_row_t)i, 8, 2021, NULL);
	}
	ok(workbook_close(wb) == LXW_NO_ERROR, "libxlsxwriter wrote a registry");
	f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n);
	len = fread(buf, 1, (size_t)n, f);
	fclose(f);
	err[0] = '\0';
	ok(xlsx_to_csv(buf, len, NULL, 0, &out, &len, &xi, err,
	    sizeof(err)) == 0, "read (%s)", err);
	memset(&fmt, 0, sizeof(fmt));
	fmt.sep = ',';
	fmt.dec = xi.dec;
	snprintf(fmt.sheet, sizeof(fmt.sheet), "%s", xi.sheet);
	snprintf(fmt.sheets, sizeof(fmt.sheets), "%s", xi.sheets);
	registry_conf_init(&rc);
	registry_configure(&rc, "column.id", "Mã số", err, sizeof(err));
	registry_configure(&rc, "column.kind", "Loại hình", err, sizeof(err));
	registry_configure(&rc, "column.sector", "Lĩnh vực", err, sizeof(err));
	registry_configure(&rc, "column.founded", "Ngày thành lập", err,
	    sizeof(err));
	registry_configure(&rc, "column.dissolved", "Ngày giải thể", err,
	    sizeof(err));
	registry_configure(&rc, "column.members", "Số thành viên", err,
	    sizeof(err));
	registry_configure(&rc, "column.revenue", "Doanh thu (đồng)", err,
	    sizeof(err));
	registry_configure(&rc, "column.profit", "Lợi nhuận (đồng)", err,
	    sizeof(err));
	registry_configure(&rc, "column.year", "Năm báo cáo", err, sizeof(err));
	said[0] = '\0';
	err[0] = '\0';
	ok(registry_parse(&rc, out, strlen(out), &fmt, &res, report_cb, NULL,
	    err, sizeof(err)) == 0, "registry_parse takes it (%s)", err);
	is_int(res.nyears, 1, "one year");
	is_int(res.rows, 3, "three rows");
	is_int(res.bad, 1, "one bad");
	ok(res.nyears == 1 && res.years[0].active == 2 &&
	    res.years[0].revenue == 1550000000.0 + 695349372.0 &&
	    res.years[0].profit == -25.0, "figures exact (revenue %.17g)",
	    res.nyears == 1 ? res.years[0].revenue : 0.0);
	ok(strstr(said, "4s: cell G4 'Doanh thu (đồng)': revenue 'nhiều' is "
	    "not a number") != NULL, "the bad cell named: %s", said);
	ok(res.nyears == 1 && strstr(res.years[0].why, "sheet 'DS HTX' cell "
	    "G4 'Doanh thu (đồng)': revenue 'nhiều'") != NULL,
	    "the year's first bad cell, for the guard: %s", res.nyears == 1 ?
	    res.years[0].why : "");
	registry_result_free(&res);

	/* The header found in the wrong sheet: the sheets are suggested. */
	registry_configure(&rc, "column.kind", "Loại", err, sizeof(err));
	ok(registry_parse(&rc, out, strlen(out), &fmt, &res, report_cb, NULL,
	    err, sizeof(err)) == -1 && strstr(err, "sheet 'DS HTX' row 1: "
	    "the header has no column 'Loại'") != NULL && strstr(err,
	    "the workbook has 'DS HTX' (set sheet = NAME)") != NULL,
	    "a missing column: sheet and row, sheets suggested: %s", err);
	registry_conf_free(&rc);
	free(out);
	free(buf);
}

int
main(void)
{
	char	 cmd[300];

	if (mkdtemp(dir) == NULL)
		return (1);
	test_cells();
	test_refused();
	test_registry();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		ok(0, "cleanup");
	return (tap_done());
}
