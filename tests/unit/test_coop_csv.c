/*
 * test_coop_csv.c - the RFC 4180 reader shared by coop and creditfund:
 * quoting, line ends, physical line numbers, malformed records and how
 * reading resumes after them; and the field parsers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
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

	ok(csv_number("1550000000", &d) == 0 && d == 1550000000.0,
	    "number: integer");
	ok(csv_number(" -87000.5 ", &d) == 0 && d == -87000.5,
	    "number: sign, fraction, spaces");
	ok(csv_number("1e5", &d) == -1, "number: exponent refused");
	ok(csv_number("abc", &d) == -1, "number: text refused");
	ok(csv_number("", &d) == -1, "number: empty refused");
	ok(csv_number("1,5", &d) == -1, "number: comma refused");
	ok(csv_number("nan", &d) == -1 && csv_number("inf", &d) == -1,
	    "number: nan and inf refused");
	ok(csv_number("12abc", &d) == -1, "number: trailing text refused");
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

int
main(void)
{
	test_records();
	test_malformed();
	test_fields();
	return (tap_done());
}
