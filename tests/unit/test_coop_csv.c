/*
 * test_coop_csv.c - the RFC 4180 reader shared by coop and creditfund:
 * quoting, line ends, physical line numbers, malformed records and how
 * reading resumes after them; and the field parsers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <iconv.h>

#include "csv.h"
#include "text.h"
#include "tap.h"

/* Reads every record of s: "line:f1|f2;" each, "line:!;" if bad. */
static char *
dump(const char *s, size_t len)
{
	static char	 out[8192];
	struct csv	 c;
	char		 err[256];
	size_t		 i, n = 0;
	int		 r;

	out[0] = '\0';
	csv_init(&c, s, len);
	while ((r = csv_next(&c, err, sizeof(err))) != 0) {
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%lu:",
		    c.rec_line);
		if (r == -1)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "!");
		for (i = 0; r == 1 && i < c.nfields; i++)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
			    i ? "|" : "", c.field[i]);
		n += (size_t)snprintf(out + n, sizeof(out) - n, ";");
	}
	csv_free(&c);
	return (out);
}

#define DUMP(s)	dump((s), sizeof(s) - 1)

/* The error message of the first bad record of s. */
static const char *
first_error(const char *s, size_t len)
{
	static char	 err[256];
	struct csv	 c;
	int		 r;

	err[0] = '\0';
	csv_init(&c, s, len);
	while ((r = csv_next(&c, err, sizeof(err))) == 1)
		;
	csv_free(&c);
	return (r == -1 ? err : "");
}

static void
test_records(void)
{
	is_str(DUMP("a,b,c\r\n1,2,3\r\n"), "1:a|b|c;2:1|2|3;",
	    "CRLF records");
	is_str(DUMP("a,b\n1,2"), "1:a|b;2:1|2;", "LF, no final line end");
	is_str(DUMP("a,b\r1,2\r"), "1:a|b;2:1|2;", "lone CR ends a line");
	is_str(DUMP("\xef\xbb\xbfid,n\r\n"), "1:id|n;", "BOM skipped");
	is_str(DUMP("a,,c,\r\n"), "1:a||c|;", "empty fields kept");
	is_str(DUMP("a\r\n\r\n\nb\r\n"), "1:a;4:b;",
	    "blank lines skipped but counted");
	is_str(DUMP("\"x, y\",\"say \"\"hi\"\"\",z\r\n"),
	    "1:x, y|say \"hi\"|z;", "quotes, commas and doubled quotes");
	is_str(DUMP("\"\",\"\"\"\"\n"), "1:|\";", "empty and lone-quote "
	    "quoted fields");
	is_str(DUMP("n\r\n\"two\r\nlines\",x\r\nnext\r\n"),
	    "1:n;2:two\nlines|x;4:next;",
	    "newline inside quotes: kept as LF, counted as a line");
	is_str(DUMP("\"a\n\nb\",1\n\"c\",2\n"), "1:a\n\nb|1;4:c|2;",
	    "two quoted newlines push the next record to line 4");
	is_str(DUMP("Nông nghiệp,Số thành viên\r\n"),
	    "1:Nông nghiệp|Số thành viên;", "UTF-8 passes through");
}

static void
test_malformed(void)
{
	char	*big, *many;
	size_t	 i, n;

	is_str(DUMP("a,b\r\nx\"y,2\r\nok,3\r\n"), "1:a|b;2:!;3:ok|3;",
	    "quote inside unquoted field: bad, next line read");
	is_str(DUMP("\"ab\"c,2\nok,3\n"), "1:!;2:ok|3;",
	    "text after closing quote: bad, next line read");
	is_str(DUMP("h\n\"open,2\nmore\n"), "1:h;2:!;",
	    "unterminated quote runs to the end: one bad record");
	ok(strstr(first_error("h\n\n\"open\n", 9), "opened on line 3") !=
	    NULL, "unterminated quote names the line it opened on");
	ok(strstr(first_error("x\"y\n", 4), "field 1") != NULL,
	    "bad quote names the field");
	is_str(DUMP("a,b\0c\nok\n"), "1:!;2:ok;", "NUL byte is bad");

	n = CSV_FIELD_MAX + 10;
	big = malloc(n + 32);
	memset(big, 'x', n);
	memcpy(big + n, "\r\nok,1\r\n", 8);
	is_str(dump(big, n + 8), "1:!;2:ok|1;", "overlong field: bad, next "
	    "line read");
	ok(strstr(first_error(big, n + 8), "longer than 4096") != NULL,
	    "overlong field says the limit");
	big[0] = '"';
	memcpy(big + n, "\"\r\nok,1\r\n", 9);
	is_str(dump(big, n + 9), "1:!;2:ok|1;", "overlong quoted field: bad");
	memset(big, 'x', CSV_FIELD_MAX);
	memcpy(big + CSV_FIELD_MAX, "\n", 1);
	is_int(strlen(dump(big, CSV_FIELD_MAX + 1)), CSV_FIELD_MAX + 3,
	    "a field of exactly the limit is fine");
	free(big);

	many = malloc(4 * CSV_FIELDS_MAX + 16);
	for (i = n = 0; i <= CSV_FIELDS_MAX; i++)
		n += (size_t)sprintf(many + n, "%s1", i ? "," : "");
	n += (size_t)sprintf(many + n, "\nok\n");
	is_str(dump(many, n), "1:!;2:ok;", "too many fields: bad");
	free(many);
}

static void
test_fields(void)
{
	double		 d = 0;
	unsigned long	 u = 0;
	long		 days = 0;
	struct csv_set	 s;

	ok(csv_number("1550000000", '.', &d) == 0 && d == 1550000000.0,
	    "number: integer");
	ok(csv_number(" -87000.5 ", '.', &d) == 0 && d == -87000.5,
	    "number: sign, fraction, spaces");
	ok(csv_number("1e5", '.', &d) == -1, "number: exponent refused");
	ok(csv_number("abc", '.', &d) == -1, "number: text refused");
	ok(csv_number("", '.', &d) == -1, "number: empty refused");
	ok(csv_number("1,5", '.', &d) == -1, "number: comma refused");
	ok(csv_number("nan", '.', &d) == -1 && csv_number("inf", '.', &d) == -1,
	    "number: nan and inf refused");
	ok(csv_number("12abc", '.', &d) == -1, "number: trailing text refused");
	ok(csv_count("565874", &u) == 0 && u == 565874, "count: digits");
	ok(csv_count("-1", &u) == -1, "count: sign refused");
	ok(csv_count("12.5", &u) == -1, "count: fraction refused");
	ok(csv_count("nhiều", &u) == -1, "count: words refused");
	ok(csv_count("99999999999999999999", &u) == -1,
	    "count: overflow refused");
	ok(csv_label_eq("  Nông   nghiệp ", "nông nghiệp"),
	    "label: spaces and ASCII case do not matter");
	ok(!csv_label_eq("Nông nghiệp", "Nông nghiệp - thủy sản"),
	    "label: a longer label differs");
	ok(!csv_label_eq("Nông nghiệp", "Nôngnghiệp"),
	    "label: a missing space differs");
	ok(csv_days(1970, 1, 1, &days) == 0 && days == 0, "days: epoch");
	ok(csv_days(2022, 1, 1, &days) == 0 && days == 18993,
	    "days: 2022-01-01");
	ok(csv_days(2021, 2, 29, &days) == -1, "days: 2021-02-29 refused");
	ok(csv_days(2020, 2, 29, &days) == 0 && days == 18321,
	    "days: 2020-02-29");
	memset(&s, 0, sizeof(s));
	ok(csv_set_add(&s, "2021 HTX-1") == 0 && csv_set_add(&s,
	    "2021 HTX-2") == 0 && csv_set_add(&s, "2021 HTX-1") == 1,
	    "set: finds a duplicate");
	csv_set_free(&s);
}

/* Figures as a Vietnamese office writes them, exact. */
static void
test_office_numbers(void)
{
	double		 d;
	unsigned long	 n;

	ok(csv_number("695.349.372", ',', &d) == 0 && d == 695349372.0,
	    "vi-VN grouping");
	ok(csv_number("1 234 567", ',', &d) == 0 && d == 1234567.0,
	    "grouping by spaces");
	ok(csv_number("1\xc2\xa0" "234,5", ',', &d) == 0 && d == 1234.5,
	    "grouping by a no-break space, decimal comma");
	ok(csv_number("1,55 tỷ", ',', &d) == 0 && d == 1550000000.0,
	    "1,55 tỷ is exactly 1550000000");
	ok(csv_number("1,5 tỷ đồng", ',', &d) == 0 && d == 1500000000.0,
	    "1,5 tỷ đồng");
	ok(csv_number("87 triệu", ',', &d) == 0 && d == 87000000.0,
	    "87 triệu");
	ok(csv_number("-12.941.176", ',', &d) == 0 && d == -12941176.0,
	    "negative grouped");
	ok(csv_number("500.771.107.192", ',', &d) == 0 &&
	    d == 500771107192.0, "a large figure, exact");
	ok(csv_number("0,68 %", ',', &d) == 0 && d == 0.68, "0,68 %%");
	ok(csv_number("1,234,567.5", '.', &d) == 0 && d == 1234567.5,
	    "en-US grouping");
	ok(csv_number("1.5", ',', &d) == -1, "1.5 with decimal comma "
	    "refused (not a group of three)");
	ok(csv_number("1.23.456", ',', &d) == -1, "bad groups refused");
	ok(csv_number("1234.567", ',', &d) == -1, "first group of four "
	    "refused");
	ok(csv_number("1,5 tỷ tỷ", ',', &d) == -1, "two scales refused");
	ok(csv_number("1,5 cái", ',', &d) == -1, "an unknown word refused");
	ok(csv_count("565.874", &n) == 0 && n == 565874, "count 565.874");
	ok(csv_count("565,874", &n) == 0 && n == 565874, "count 565,874");
	ok(csv_count("565 874", &n) == 0 && n == 565874, "count 565 874");
	ok(csv_count("5,5", &n) == -1, "count 5,5 refused");
	ok(csv_count("-5", &n) == -1, "negative count refused");
}

static void
test_sniff(void)
{
	const char	 semi[] = "Năm;Số HTX;Doanh thu\r\n2021;458;1,55\r\n";
	const char	 tab[] = "a\tb\tc\n1\t2\t3\n";
	const char	 viq[] = "a,b\n2021,\"695.349.372\"\n2022,\"1,5 tỷ\"\n";
	const char	 en[] = "a,b\n2021,1234.5\n";
	const char	 amb[] = "a;b\n2021;1.234\n";

	ok(csv_sniff_sep(semi, sizeof(semi) - 1) == ';', "sniff ';'");
	ok(csv_sniff_sep(tab, sizeof(tab) - 1) == '\t', "sniff tab");
	ok(csv_sniff_sep(en, sizeof(en) - 1) == ',', "sniff ','");
	ok(csv_sniff_decimal(semi, sizeof(semi) - 1, ';') == ',',
	    "decimal comma shown by 1,55");
	ok(csv_sniff_decimal(viq, sizeof(viq) - 1, ',') == ',',
	    "quoted vi-VN figures in a ',' file: decimal comma");
	ok(csv_sniff_decimal(en, sizeof(en) - 1, ',') == '.',
	    "1234.5: decimal point");
	ok(csv_sniff_decimal(amb, sizeof(amb) - 1, ';') == ',',
	    "only 1.234: a ';' file reads it vi-VN");
}

static void
test_dates(void)
{
	char	 why[160];
	int	 y, m, d;

	ok(csv_date("31/12/2021", &y, &m, &d, why, sizeof(why)) == 1 &&
	    y == 2021 && m == 12 && d == 31, "DD/MM/YYYY");
	ok(csv_date("1/2/2015", &y, &m, &d, why, sizeof(why)) == 1 &&
	    m == 2 && d == 1, "D/M/YYYY");
	ok(csv_date("2015-02-01", &y, &m, &d, why, sizeof(why)) == 1,
	    "YYYY-MM-DD");
	ok(csv_date("", &y, &m, &d, why, sizeof(why)) == 0, "empty");
	ok(csv_date("31/02/2015", &y, &m, &d, why, sizeof(why)) == -1,
	    "31/02/2015 refused");
	is_str(why, "day 31 does not exist: February 2015 has 28 days",
	    "31/02/2015 says why");
	ok(csv_date("29/02/2016", &y, &m, &d, why, sizeof(why)) == 1,
	    "29/02/2016 (leap)");
	ok(csv_date("12/13/2015", &y, &m, &d, why, sizeof(why)) == -1 &&
	    strstr(why, "month 13") != NULL, "month 13 named");
}

/* Converts UTF-8 s to enc with iconv, for files as Windows writes them. */
static size_t
to_enc(const char *s, const char *enc, char *out, size_t cap)
{
	iconv_t	 cd = iconv_open(enc, "UTF-8");
	char	*in = (char *)(uintptr_t)s, *o = out;
	size_t	 il = strlen(s), ol = cap;

	if (cd == (iconv_t)-1 || iconv(cd, &in, &il, &o, &ol) == (size_t)-1)
		return (0);
	iconv_close(cd);
	return (cap - ol);
}

static void
test_decode(void)
{
	const char		*nfc = "Loại hình;Năm\r\nHợp tác xã;2021\r\n";
	const char		*nfd = "Loa\xcc\xa3i hi\xcc\x80nh;Na\xcc\x86m\r\n"
				    "Ho\xcc\x9b\xcc\xa3p ta\xcc\x81" "c xa\xcc\x83"
				    ";2021\r\n";
	const char		*mixed = "id,x\nLoa\xcc\xa3i,\xc3\xa9\n"
				    "Na\xcc\x86m,y\n";
	char			 buf[512], err[512], *out;
	size_t			 n, olen;
	struct text_info	 ti;

	ok(text_decode(nfd, strlen(nfd), "auto", &out, &olen, &ti, err,
	    sizeof(err)) == 0 && strcmp(out, nfc) == 0 && ti.normalised,
	    "NFD becomes NFC");
	free(out);
	ok(text_decode(mixed, strlen(mixed), "auto", &out, &olen, &ti, err, sizeof(err)) == 0 &&
	    strcmp(out, "id,x\nLoại,\xc3\xa9\nNăm,y\n") == 0 &&
	    olen == strlen(out), "NFD lines after an ASCII line, NFC between");
	free(out);
	ok(text_decode("Lo\xe1\xba\xa1i\n", 7, "auto", &out, &olen, &ti,
	    err, sizeof(err)) == 0 && !ti.normalised &&
	    strcmp(out, "Loại\n") == 0, "NFC text left as it is");
	free(out);
	buf[0] = '\xff';
	buf[1] = '\xfe';
	n = 2 + to_enc(nfc, "UTF-16LE", buf + 2, sizeof(buf) - 2);
	ok(text_decode(buf, n, "auto", &out, &olen, &ti, err,
	    sizeof(err)) == 0 && strcmp(out, nfc) == 0 &&
	    strcmp(ti.encoding, "UTF-16LE") == 0 && ti.bom,
	    "UTF-16LE with a BOM (Excel's Unicode text)");
	free(out);
	buf[0] = '\xfe';
	buf[1] = '\xff';
	n = 2 + to_enc(nfc, "UTF-16BE", buf + 2, sizeof(buf) - 2);
	ok(text_decode(buf, n, "auto", &out, &olen, &ti, err,
	    sizeof(err)) == 0 && strcmp(out, nfc) == 0, "UTF-16BE with a BOM");
	free(out);
	n = to_enc(nfc, "UTF-16LE", buf, sizeof(buf));
	ok(text_decode(buf, n, "auto", &out, &olen, &ti, err,
	    sizeof(err)) == 0 && strcmp(out, nfc) == 0, "UTF-16LE sniffed");
	free(out);
	n = to_enc(nfc, "WINDOWS-1258", buf, sizeof(buf));
	ok(n > 0 && text_decode(buf, n, "auto", &out, &olen, &ti, err,
	    sizeof(err)) == 0 && strcmp(out, nfc) == 0 && ti.guessed,
	    "Windows-1258 guessed and composed to NFC");
	free(out);
	ok(text_decode(buf, n, "windows-1258", &out, &olen, &ti, err,
	    sizeof(err)) == 0 && strcmp(out, nfc) == 0 && !ti.guessed,
	    "Windows-1258 as set");
	free(out);
	ok(text_decode(buf, n, "utf-8", &out, &olen, &ti, err,
	    sizeof(err)) == -1 && strstr(err, "line 1") != NULL &&
	    strstr(err, "windows-1258") != NULL,
	    "Windows-1258 read as UTF-8: refused, line and hint");
	ok(text_encoding_ok("windows-1258", err, sizeof(err)) == 0 &&
	    text_encoding_ok("klingon", err, sizeof(err)) == -1,
	    "encoding names checked");
}

static void
test_hint(void)
{
	const char		 h[] = "Mã số;Loại hình;Năm\r\n";
	struct csv_format	 f = { .sep = ',', .dec = '.', .encoding =
				    "UTF-8" };
	struct csv		 c;
	char			 err[256], hint[1024];

	csv_init(&c, h, sizeof(h) - 1);
	ok(csv_next(&c, err, sizeof(err)) == 1, "header read");
	csv_header_hint(&c, &f, hint, sizeof(hint));
	ok(strstr(hint, "'Mã số;Loại hình;Năm'") != NULL &&
	    strstr(hint, "set separator = ;") != NULL,
	    "one field holding ';': separator suggested");
	csv_free(&c);
}

int
main(void)
{
	test_records();
	test_malformed();
	test_fields();
	test_office_numbers();
	test_sniff();
	test_dates();
	test_decode();
	test_hint();
	return (tap_done());
}
