/*
 * xlsx.c - read one sheet of an Excel workbook into CSV text.
 *
 * An .xlsx is a zip (libzip, from memory) of XML parts (expat, streamed:
 * no part is held whole).  The package's relationships lead to the
 * workbook (sheet names, the 1904 date system), its shared strings, its
 * styles (which cells are dates) and the sheet asked for.  Cells become
 * the fields Excel's own "CSV" would hold, except that figures are
 * written as stored, not as displayed: "695349372" stays whole, 1.55
 * stays 1.55 whatever the cell's format rounds it to, and a date is
 * written DD/MM/YYYY from its serial number.  A line break inside a cell
 * becomes a space, so that line N of the CSV is row N of the sheet.
 *
 * Hostile files: inflating stops at XLSX_INFLATE_MAX bytes over all parts
 * (a zip bomb), an XML part with a DTD is refused (entity expansion), an
 * encrypted entry or an OLE file (a password-protected workbook, an old
 * .xls) is named as such.  Nothing here keeps state between calls.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>
#include <zip.h>

#include "csv.h"
#include "text.h"
#include "xlsx.h"

#define XLSX_ROWS_MAX	1048576UL	/* Excel's last row */
#define XLSX_COLS_MAX	16384U		/* column XFD */
#define XLSX_TEXT_MAX	(1024 * 1024)	/* longest text collected */
#define XLSX_CHUNK	65536
#define XLSX_DIGITS	15		/* significant digits Excel keeps */
#define XLSX_NS_SEP	'\x01'		/* expat's namespace separator */

#define OLE_MAGIC	"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
#define ZIP_MAGIC	"PK\x03\x04"

/* A cell with a value, as found. */
struct xlsx_cell {
	uint32_t	 row;
	uint32_t	 col;		/* from 1 */
	char		 kind;		/* n number, D date serial, s text */
	char		*text;
};

struct xlsx_rel {
	char		*id;
	char		*type;		/* the last part of the type URI */
	char		*target;	/* resolved: a part name */
};

struct xlsx_sheet {
	char		*name;
	char		*rid;
	int		 hidden;
};

/* Collected text of the element being read. */
struct xlsx_buf {
	char		*s;
	size_t		 len;
	size_t		 cap;
};

struct xlsx {
	zip_t			*za;
	size_t			 inflated;
	char			*err;
	size_t			 errlen;
	int			 failed;
	const char		*part;		/* being parsed, for errors */
	XML_Parser		 xp;

	struct xlsx_rel		*rel;
	size_t			 nrel;
	const char		*rel_base;	/* of the rels being read */
	struct xlsx_sheet	*sheet;
	size_t			 nsheet;
	int			 date1904;
	char			*sheet_name;	/* the one read */

	unsigned char		*xf_date;	/* per cellXfs index */
	size_t			 nxf;
	int			*fmt_date;	/* custom numFmt ids that are dates */
	size_t			 nfmt_date;

	char			**sst;
	size_t			 nsst, capsst;

	struct xlsx_cell	*cell;
	size_t			 ncell, capcell;

	/* The element state of the part being parsed. */
	int			 in_cellxfs, in_rph, in_si, in_is, collect;
	int			 has_v, has_f;
	uint32_t		 row, col;
	char			 type[16];
	unsigned long		 style;
	struct xlsx_buf		 text, v, f;
};

static void __attribute__((format(printf, 2, 3)))
xlsx_fail(struct xlsx *x, const char *fmt, ...)
{
	va_list	 ap;

	if (x->failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(x->err, x->errlen, fmt, ap);
	va_end(ap);
	if (x->xp != NULL)
		XML_StopParser(x->xp, XML_FALSE);
}

/* An element's or attribute's name without its namespace. */
static const char *
xlsx_local(const char *name)
{
	const char	*p = strrchr(name, XLSX_NS_SEP);

	return (p != NULL ? p + 1 : name);
}

static const char *
xlsx_attr(const char **attr, const char *name)
{
	for (; attr[0] != NULL; attr += 2)
		if (strcmp(xlsx_local(attr[0]), name) == 0)
			return (attr[1]);
	return (NULL);
}

static int
xlsx_buf_add(struct xlsx_buf *b, const char *s, size_t len)
{
	char	*p;
	size_t	 cap;

	if (b->len + len + 1 > b->cap) {
		cap = b->cap == 0 ? 256 : b->cap;
		while (cap < b->len + len + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL)
			return (-1);
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
	b->s[b->len] = '\0';
	return (0);
}

static void
xlsx_buf_reset(struct xlsx_buf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

/* Character data: kept while an element that holds text is open. */
static void
xlsx_chars(void *arg, const XML_Char *s, int len)
{
	struct xlsx	*x = arg;

	if (!x->collect || x->failed)
		return;
	if (x->text.len + (size_t)len > XLSX_TEXT_MAX) {
		xlsx_fail(x, "%s: a text longer than %d bytes", x->part,
		    XLSX_TEXT_MAX);
		return;
	}
	if (xlsx_buf_add(&x->text, s, (size_t)len) == -1)
		xlsx_fail(x, "out of memory");
}

/* A DTD could expand entities without end: an XLSX part never has one. */
static void
xlsx_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int internal)
{
	struct xlsx	*x = arg;

	(void)name;
	(void)sysid;
	(void)pubid;
	(void)internal;
	xlsx_fail(x, "%s has a DTD, which no workbook part has (refused: "
	    "entity expansion)", x->part);
}

/*
 * Parses one part with the given handlers, inflating at most what is
 * left of XLSX_INFLATE_MAX.  0, or -1 with the error set; a part that
 * is not there is an error only if need is set (1 if it is absent).
 */
static int
xlsx_parse_part(struct xlsx *x, const char *name, int need,
    XML_StartElementHandler start, XML_EndElementHandler end)
{
	zip_stat_t	 st;
	zip_file_t	*zf;
	zip_int64_t	 idx, n;
	char		*chunk;
	int		 rc = 0;

	if ((idx = zip_name_locate(x->za, name, ZIP_FL_NOCASE)) < 0) {
		if (need)
			xlsx_fail(x, "no part '%s' (not a workbook Excel "
			    "writes, or damaged)", name);
		return (need ? -1 : 1);
	}
	if (zip_stat_index(x->za, (zip_uint64_t)idx, 0, &st) == 0 &&
	    (st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
	    st.encryption_method != ZIP_EM_NONE) {
		xlsx_fail(x, "part '%s' is encrypted (save the workbook "
		    "without a password)", name);
		return (-1);
	}
	if ((zf = zip_fopen_index(x->za, (zip_uint64_t)idx, 0)) == NULL) {
		xlsx_fail(x, "part '%s': %s (a damaged workbook?)", name,
		    zip_strerror(x->za));
		return (-1);
	}
	if ((chunk = malloc(XLSX_CHUNK)) == NULL ||
	    (x->xp = XML_ParserCreateNS(NULL, XLSX_NS_SEP)) == NULL) {
		free(chunk);
		zip_fclose(zf);
		xlsx_fail(x, "out of memory");
		return (-1);
	}
	x->part = name;
	XML_SetUserData(x->xp, x);
	XML_SetElementHandler(x->xp, start, end);
	XML_SetCharacterDataHandler(x->xp, xlsx_chars);
	XML_SetStartDoctypeDeclHandler(x->xp, xlsx_doctype);
	for (;;) {
		if ((n = zip_fread(zf, chunk, XLSX_CHUNK)) < 0) {
			xlsx_fail(x, "part '%s': %s (a damaged workbook?)",
			    name, zip_file_strerror(zf));
			break;
		}
		x->inflated += (size_t)n;
		if (x->inflated > XLSX_INFLATE_MAX) {
			xlsx_fail(x, "its parts inflate to more than %lu MiB "
			    "(refused: a zip bomb, or a sheet far larger than "
			    "a registry)", XLSX_INFLATE_MAX >> 20);
			break;
		}
		if (XML_Parse(x->xp, chunk, (int)n, n == 0) ==
		    XML_STATUS_ERROR) {
			if (!x->failed)
				xlsx_fail(x, "part '%s' line %lu: %s (a "
				    "damaged workbook?)", name,
				    (unsigned long)XML_GetCurrentLineNumber(
				    x->xp), XML_ErrorString(XML_GetErrorCode(
				    x->xp)));
			break;
		}
		if (n == 0 || x->failed)
			break;
	}
	if (x->failed)
		rc = -1;
	XML_ParserFree(x->xp);
	x->xp = NULL;
	free(chunk);
	zip_fclose(zf);
	x->collect = 0;
	return (rc);
}

/*
 * A relationship target as a part name: relative to the directory of
 * the part that has it (base ends in '/'), or absolute; ".." resolved.
 */
static char *
xlsx_resolve(const char *base, const char *target)
{
	char	*path, *p, *q;

	if (target[0] == '/') {
		if ((path = strdup(target + 1)) == NULL)
			return (NULL);
	} else if (asprintf(&path, "%s%s", base, target) == -1)
		return (NULL);
	/* Drop "x/../" and "./" segments in place. */
	while ((p = strstr(path, "/../")) != NULL) {
		*p = '\0';
		q = strrchr(path, '/');
		memmove(q != NULL ? q + 1 : path, p + 4, strlen(p + 4) + 1);
	}
	while ((p = strstr(path, "./")) == path)
		memmove(path, path + 2, strlen(path + 2) + 1);
	return (path);
}

static void
xlsx_rels_start(void *arg, const XML_Char *el, const XML_Char **attr)
{
	struct xlsx	*x = arg;
	const char	*id, *type, *target, *mode;
	struct xlsx_rel	*r;

	if (x->failed || strcmp(xlsx_local(el), "Relationship") != 0)
		return;
	id = xlsx_attr(attr, "Id");
	type = xlsx_attr(attr, "Type");
	target = xlsx_attr(attr, "Target");
	mode = xlsx_attr(attr, "TargetMode");
	if (id == NULL || type == NULL || target == NULL || (mode != NULL &&
	    strcmp(mode, "External") == 0))
		return;
	if ((r = reallocarray(x->rel, x->nrel + 1, sizeof(*r))) == NULL) {
		xlsx_fail(x, "out of memory");
		return;
	}
	x->rel = r;
	r += x->nrel;
	memset(r, 0, sizeof(*r));
	type = strrchr(type, '/') != NULL ? strrchr(type, '/') + 1 : type;
	if ((r->id = strdup(id)) == NULL || (r->type = strdup(type)) ==
	    NULL || (r->target = xlsx_resolve(x->rel_base, target)) ==
	    NULL) {
		free(r->id);
		free(r->type);
		xlsx_fail(x, "out of memory");
		return;
	}
	x->nrel++;
}

static void
xlsx_rels_free(struct xlsx *x)
{
	size_t	 i;

	for (i = 0; i < x->nrel; i++) {
		free(x->rel[i].id);
		free(x->rel[i].type);
		free(x->rel[i].target);
	}
	free(x->rel);
	x->rel = NULL;
	x->nrel = 0;
}

static void
xlsx_noend(void *arg, const XML_Char *el)
{
	(void)arg;
	(void)el;
}

/* Reads the relationships of a part (its directory is base). */
static int
xlsx_rels(struct xlsx *x, const char *part, const char *base, int need)
{
	char		*name;
	const char	*slash = strrchr(part, '/');
	int		 rc;

	xlsx_rels_free(x);
	if (asprintf(&name, "%.*s_rels/%s.rels", slash != NULL ?
	    (int)(slash - part + 1) : 0, part, slash != NULL ? slash + 1 :
	    part) == -1) {
		xlsx_fail(x, "out of memory");
		return (-1);
	}
	x->rel_base = base;
	rc = xlsx_parse_part(x, name, need, xlsx_rels_start, xlsx_noend);
	x->rel_base = NULL;
	free(name);
	return (rc == -1 ? -1 : 0);
}

/* The target of the first relationship of a type; NULL if none. */
static const char *
xlsx_rel_find(const struct xlsx *x, const char *type, const char *id)
{
	size_t	 i;

	for (i = 0; i < x->nrel; i++)
		if ((type == NULL || strcmp(x->rel[i].type, type) == 0) &&
		    (id == NULL || strcmp(x->rel[i].id, id) == 0))
			return (x->rel[i].target);
	return (NULL);
}

static void
xlsx_workbook_start(void *arg, const XML_Char *el, const XML_Char **attr)
{
	struct xlsx		*x = arg;
	const char		*name = xlsx_local(el), *v, *rid, *state;
	struct xlsx_sheet	*s;

	if (x->failed)
		return;
	if (strcmp(name, "workbookPr") == 0 && (v = xlsx_attr(attr,
	    "date1904")) != NULL)
		x->date1904 = strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
	if (strcmp(name, "sheet") != 0)
		return;
	v = xlsx_attr(attr, "name");
	rid = xlsx_attr(attr, "id");
	state = xlsx_attr(attr, "state");
	if (v == NULL || rid == NULL)
		return;
	if ((s = reallocarray(x->sheet, x->nsheet + 1, sizeof(*s))) == NULL) {
		xlsx_fail(x, "out of memory");
		return;
	}
	x->sheet = s;
	s += x->nsheet;
	s->hidden = state != NULL && strcmp(state, "visible") != 0;
	if ((s->name = text_nfc(v)) == NULL || (s->rid = strdup(rid)) ==
	    NULL) {
		free(s->name);
		xlsx_fail(x, "out of memory");
		return;
	}
	x->nsheet++;
}

/*
 * 1 if a number format code shows a date: it has d or y (or m without h
 * or s) outside quotes, escapes and [brackets].
 */
static int
xlsx_code_is_date(const char *code)
{
	int	 d = 0, m = 0, hs = 0;

	for (; *code != '\0'; code++) {
		if (*code == '"') {
			while (code[1] != '\0' && code[1] != '"')
				code++;
			if (code[1] == '"')
				code++;
		} else if (*code == '\\' || *code == '_' || *code == '*') {
			if (code[1] != '\0')
				code++;
		} else if (*code == '[') {
			while (code[1] != '\0' && code[1] != ']')
				code++;
		} else if (*code == ';')
			break;	/* the first section says */
		else {
			switch (tolower((unsigned char)*code)) {
			case 'd':
			case 'y':
				d = 1;
				break;
			case 'm':
				m = 1;
				break;
			case 'h':
			case 's':
				hs = 1;
				break;
			}
		}
	}
	return (d || (m && !hs));
}

/* Built-in formats that are dates: 14-22, and the East Asian ones. */
static int
xlsx_builtin_date(long id)
{
	return ((id >= 14 && id <= 22) || (id >= 27 && id <= 36) ||
	    (id >= 50 && id <= 58));
}

static void
xlsx_styles_start(void *arg, const XML_Char *el, const XML_Char **attr)
{
	struct xlsx	*x = arg;
	const char	*name = xlsx_local(el), *v, *code;
	unsigned char	*xf;
	int		*fd;
	long		 id;
	size_t		 i;

	if (x->failed)
		return;
	if (strcmp(name, "cellXfs") == 0)
		x->in_cellxfs = 1;
	if (strcmp(name, "numFmt") == 0) {
		if ((v = xlsx_attr(attr, "numFmtId")) == NULL || (code =
		    xlsx_attr(attr, "formatCode")) == NULL ||
		    !xlsx_code_is_date(code))
			return;
		if ((fd = reallocarray(x->fmt_date, x->nfmt_date + 1,
		    sizeof(*fd))) == NULL) {
			xlsx_fail(x, "out of memory");
			return;
		}
		x->fmt_date = fd;
		fd[x->nfmt_date++] = atoi(v);
		return;
	}
	if (strcmp(name, "xf") != 0 || !x->in_cellxfs)
		return;
	if ((xf = realloc(x->xf_date, x->nxf + 1)) == NULL) {
		xlsx_fail(x, "out of memory");
		return;
	}
	x->xf_date = xf;
	v = xlsx_attr(attr, "numFmtId");
	id = v != NULL ? strtol(v, NULL, 10) : 0;
	xf[x->nxf] = xlsx_builtin_date(id);
	for (i = 0; i < x->nfmt_date; i++)
		if (x->fmt_date[i] == id)
			xf[x->nxf] = 1;
	x->nxf++;
}

static void
xlsx_styles_end(void *arg, const XML_Char *el)
{
	struct xlsx	*x = arg;

	if (strcmp(xlsx_local(el), "cellXfs") == 0)
		x->in_cellxfs = 0;
}

/*
 * Decodes OOXML's _xHHHH_ escapes (a character XML cannot carry) in
 * place; control characters other than tab and line ends are dropped.
 */
static void
xlsx_unescape(char *s)
{
	char		*w = s;
	unsigned	 cp;

	while (*s != '\0') {
		if (s[0] == '_' && s[1] == 'x' && isxdigit((unsigned char)s[2])
		    && isxdigit((unsigned char)s[3]) &&
		    isxdigit((unsigned char)s[4]) &&
		    isxdigit((unsigned char)s[5]) && s[6] == '_') {
			cp = (unsigned)strtoul((char []){ s[2], s[3], s[4],
			    s[5], '\0' }, NULL, 16);
			s += 7;
			if (cp < 0x20 && cp != '\t' && cp != '\n' &&
			    cp != '\r')
				continue;
			if (cp >= 0xd800 && cp <= 0xdfff)
				continue;
			if (cp < 0x80)
				*w++ = (char)cp;
			else if (cp < 0x800) {
				*w++ = (char)(0xc0 | (cp >> 6));
				*w++ = (char)(0x80 | (cp & 0x3f));
			} else {	/* 3 bytes: never longer than _xHHHH_ */
				*w++ = (char)(0xe0 | (cp >> 12));
				*w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
				*w++ = (char)(0x80 | (cp & 0x3f));
			}
			continue;
		}
		*w++ = *s++;
	}
	*w = '\0';
}

/* Text of a string cell: unescaped and in NFC, as the CSV path reads. */
static char *
xlsx_text(const char *s)
{
	char	*t, *n;

	if ((t = strdup(s)) == NULL)
		return (NULL);
	xlsx_unescape(t);
	n = text_nfc(t);
	free(t);
	return (n);
}

static void
xlsx_sst_start(void *arg, const XML_Char *el, const XML_Char **attr)
{
	struct xlsx	*x = arg;
	const char	*name = xlsx_local(el);

	(void)attr;
	if (strcmp(name, "si") == 0) {
		x->in_si = 1;
		xlsx_buf_reset(&x->text);
	} else if (strcmp(name, "rPh") == 0)
		x->in_rph = 1;
	else if (strcmp(name, "t") == 0 && x->in_si && !x->in_rph)
		x->collect = 1;
}

static void
xlsx_sst_end(void *arg, const XML_Char *el)
{
	struct xlsx	*x = arg;
	const char	*name = xlsx_local(el);
	char		**v;

	if (strcmp(name, "t") == 0)
		x->collect = 0;
	else if (strcmp(name, "rPh") == 0)
		x->in_rph = 0;
	else if (strcmp(name, "si") == 0 && !x->failed) {
		x->in_si = 0;
		if (x->nsst == XLSX_CELLS_MAX) {
			xlsx_fail(x, "more than %lu shared strings (refused: "
			    "far more than a registry has)", XLSX_CELLS_MAX);
			return;
		}
		if (x->nsst == x->capsst) {
			x->capsst = x->capsst == 0 ? 1024 : x->capsst * 2;
			if ((v = reallocarray(x->sst, x->capsst,
			    sizeof(*v))) == NULL) {
				xlsx_fail(x, "out of memory");
				return;
			}
			x->sst = v;
		}
		if ((x->sst[x->nsst] = xlsx_text(x->text.s != NULL ?
		    x->text.s : "")) == NULL) {
			xlsx_fail(x, "out of memory");
			return;
		}
		x->nsst++;
	}
}

/* "D17" as column 4, row 17; -1 if it is not a cell reference. */
static int
xlsx_ref(const char *r, uint32_t *row, uint32_t *col)
{
	unsigned long	 c = 0, n = 0;

	for (; isupper((unsigned char)*r); r++)
		if ((c = c * 26 + (unsigned long)(*r - 'A' + 1)) >
		    XLSX_COLS_MAX)
			return (-1);
	for (; isdigit((unsigned char)*r); r++)
		if ((n = n * 10 + (unsigned long)(*r - '0')) > XLSX_ROWS_MAX)
			return (-1);
	if (*r != '\0' || c == 0 || n == 0)
		return (-1);
	*row = (uint32_t)n;
	*col = (uint32_t)c;
	return (0);
}

static void
xlsx_sheet_start(void *arg, const XML_Char *el, const XML_Char **attr)
{
	struct xlsx	*x = arg;
	const char	*name = xlsx_local(el), *v;
	char		 ref[16];

	if (x->failed)
		return;
	if (strcmp(name, "row") == 0) {
		v = xlsx_attr(attr, "r");
		if (v != NULL) {
			snprintf(ref, sizeof(ref), "A%s", v);
			if (xlsx_ref(ref, &x->row, &x->col) == -1) {
				xlsx_fail(x, "row '%s' is not a row number",
				    v);
				return;
			}
		} else if (++x->row > XLSX_ROWS_MAX) {
			xlsx_fail(x, "more than %lu rows", XLSX_ROWS_MAX);
			return;
		}
		x->col = 0;
	} else if (strcmp(name, "c") == 0) {
		v = xlsx_attr(attr, "r");
		if (v != NULL && xlsx_ref(v, &x->row, &x->col) == -1) {
			xlsx_fail(x, "cell '%s' is not a cell reference", v);
			return;
		}
		if (v == NULL && (x->row == 0 || ++x->col > XLSX_COLS_MAX)) {
			xlsx_fail(x, "a cell out of a row or past column "
			    "XFD");
			return;
		}
		v = xlsx_attr(attr, "t");
		snprintf(x->type, sizeof(x->type), "%s", v != NULL ? v : "n");
		v = xlsx_attr(attr, "s");
		x->style = v != NULL ? strtoul(v, NULL, 10) : 0;
		x->has_v = x->has_f = 0;
		xlsx_buf_reset(&x->v);
		xlsx_buf_reset(&x->f);
		xlsx_buf_reset(&x->text);
	} else if (strcmp(name, "v") == 0 || strcmp(name, "f") == 0) {
		xlsx_buf_reset(&x->text);
		x->collect = 1;
	} else if (strcmp(name, "is") == 0) {
		x->in_is = 1;
		xlsx_buf_reset(&x->text);
	} else if (strcmp(name, "rPh") == 0)
		x->in_rph = 1;
	else if (strcmp(name, "t") == 0 && x->in_is && !x->in_rph)
		x->collect = 1;
}

/* Adds a cell; takes text. */
static void
xlsx_cell_add(struct xlsx *x, char kind, char *text)
{
	struct xlsx_cell	*c;

	if (text == NULL) {
		xlsx_fail(x, "out of memory");
		return;
	}
	if (x->ncell == XLSX_CELLS_MAX) {
		free(text);
		xlsx_fail(x, "more than %lu cells with a value (refused: far "
		    "more than a registry has)", XLSX_CELLS_MAX);
		return;
	}
	if (x->ncell == x->capcell) {
		x->capcell = x->capcell == 0 ? 4096 : x->capcell * 2;
		if ((c = reallocarray(x->cell, x->capcell, sizeof(*c))) ==
		    NULL) {
			free(text);
			xlsx_fail(x, "out of memory");
			return;
		}
		x->cell = c;
	}
	c = &x->cell[x->ncell++];
	c->row = x->row;
	c->col = x->col;
	c->kind = kind;
	c->text = text;
}

/* A cell is complete: its value by its type. */
static void
xlsx_cell_end(struct xlsx *x)
{
	const char	*v = x->v.s != NULL ? x->v.s : "";
	char		 col[8], *end, *s;
	unsigned long	 i;

	csv_colname(x->col, col, sizeof(col));
	if (strcmp(x->type, "inlineStr") == 0) {
		xlsx_cell_add(x, 's', xlsx_text(x->text.s != NULL ?
		    x->text.s : ""));
		return;
	}
	if (!x->has_v) {
		/* A formula never calculated: say so where the value is. */
		if (x->has_f && asprintf(&s, "=%s (a formula without a "
		    "saved value: open and save the file in Excel)",
		    x->f.s != NULL ? x->f.s : "") != -1)
			xlsx_cell_add(x, 's', s);
		return;
	}
	if (strcmp(x->type, "s") == 0) {
		errno = 0;
		i = strtoul(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0 || i >= x->nsst) {
			xlsx_fail(x, "cell %s%u: shared string '%s' does not "
			    "exist (%zu in the workbook; a damaged file?)", col,
			    x->row, v, x->nsst);
			return;
		}
		xlsx_cell_add(x, 's', strdup(x->sst[i]));
	} else if (strcmp(x->type, "b") == 0)
		xlsx_cell_add(x, 's', strdup(strcmp(v, "1") == 0 ? "TRUE" :
		    "FALSE"));
	else if (strcmp(x->type, "str") == 0 || strcmp(x->type, "e") == 0)
		xlsx_cell_add(x, 's', xlsx_text(v));
	else if (strcmp(x->type, "d") == 0)
		xlsx_cell_add(x, 'd', strdup(v));
	else
		xlsx_cell_add(x, x->style < x->nxf && x->xf_date[x->style] ?
		    'D' : 'n', strdup(v));
}

static void
xlsx_sheet_end(void *arg, const XML_Char *el)
{
	struct xlsx	*x = arg;
	const char	*name = xlsx_local(el);
	struct xlsx_buf	*b = NULL;

	if (x->failed)
		return;
	if (strcmp(name, "v") == 0) {
		b = &x->v;
		x->has_v = 1;
	} else if (strcmp(name, "f") == 0) {
		b = &x->f;
		x->has_f = 1;
	} else if (strcmp(name, "t") == 0)
		x->collect = 0;
	else if (strcmp(name, "rPh") == 0)
		x->in_rph = 0;
	else if (strcmp(name, "is") == 0)
		x->in_is = 0;
	else if (strcmp(name, "c") == 0)
		xlsx_cell_end(x);
	if (b != NULL) {
		x->collect = 0;
		xlsx_buf_reset(b);
		if (xlsx_buf_add(b, x->text.s != NULL ? x->text.s : "",
		    x->text.len) == -1)
			xlsx_fail(x, "out of memory");
		xlsx_buf_reset(&x->text);
	}
}

/*
 * Excel keeps 15 significant digits; a part writes up to 17 so the binary
 * double round-trips ("6.9534937200000001E+8").  Rounded to 15, it is the
 * figure Excel's formula bar shows: 695349372.
 */
static void
xlsx_round(char *dig, size_t *nd, long *point)
{
	long	 i = XLSX_DIGITS;

	if (*nd <= XLSX_DIGITS)
		return;
	*nd = XLSX_DIGITS;
	if (dig[i] < '5')
		return;
	while (--i >= 0 && dig[i] == '9')
		dig[i] = '0';
	if (i >= 0)
		dig[i]++;
	else {	/* 999... rounds to 1000... */
		memmove(dig + 1, dig, *nd - 1);
		dig[0] = '1';
		(*point)++;
	}
}

/*
 * A number as stored ("695349372", "1.55", "1.5E-2") written out in full
 * with dec as its decimal mark and no exponent: "0,015".  -1 if it is
 * not a plain number or too large to write so.
 */
static int
xlsx_number(const char *s, char dec, char *buf, size_t len)
{
	char		 dig[64];
	size_t		 nd = 0, n = 0;
	long		 point = 0, exp = 0, at, i;
	int		 neg = 0, any = 0, mark = 0;
	char		*end;

	/* dig holds the significant digits, point how many are whole. */
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; isdigit((unsigned char)*s) || *s == '.'; s++) {
		if (*s == '.') {
			if (mark++)
				return (-1);
			continue;
		}
		any = 1;
		if (nd == 0 && *s == '0') {
			point -= mark;	/* 0.05: the mark moves left */
			continue;
		}
		if (nd + 1 >= sizeof(dig))
			return (-1);
		dig[nd++] = *s;
		point += !mark;
	}
	if (!any)
		return (-1);
	xlsx_round(dig, &nd, &point);
	if (*s == 'E' || *s == 'e') {
		errno = 0;
		exp = strtol(s + 1, &end, 10);
		if (end == s + 1 || errno != 0 || exp > 30 || exp < -30)
			return (-1);
		s = end;
	}
	if (*s != '\0')
		return (-1);
	at = point + exp;	/* digits before the mark */
	while (nd > 0 && (long)nd > at && dig[nd - 1] == '0')
		nd--;		/* trailing zeros after the mark */
	if (nd == 0)
		return (snprintf(buf, len, "0") >= (int)len ? -1 : 0);
	if (neg)
		buf[n++] = '-';
	for (i = 0; i < at || i == 0; i++) {
		if (n + 2 >= len)
			return (-1);
		buf[n++] = i >= 0 && i < (long)nd && at > 0 ? dig[i] : '0';
	}
	if ((long)nd > at) {
		buf[n++] = dec;
		for (i = at; i < (long)nd; i++) {
			if (n + 2 >= len)
				return (-1);
			buf[n++] = i < 0 ? '0' : dig[i];
		}
	}
	buf[n] = '\0';
	return (0);
}

/* Days from 1970-01-01 to a civil date (the inverse of csv_days). */
static void
xlsx_civil(long z, int *y, int *m, int *d)
{
	long	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/*
 * A date cell's serial number as DD/MM/YYYY, the time of day left out.
 * The 1900 system counts the day Lotus thought was 29 February 1900
 * (serial 60): written so, csv_date refuses it as the day it is not.
 * A serial that is no date is written as it is, and refused as such.
 */
static void
xlsx_date(const char *v, int date1904, char *buf, size_t len)
{
	char		*end;
	double		 s;
	long		 days, base;
	int		 y, m, d;

	errno = 0;
	s = strtod(v, &end);
	if (*v == '\0' || *end != '\0' || errno != 0 || !isfinite(s) ||
	    s < 0 || s >= 2958466) {
		snprintf(buf, len, "%s", v);
		return;
	}
	days = (long)floor(s);
	if (date1904) {
		(void)csv_days(1904, 1, 1, &base);
		days += base;
	} else if (days == 0) {
		snprintf(buf, len, "00/01/1900");
		return;
	} else if (days == 60) {
		snprintf(buf, len, "29/02/1900");
		return;
	} else {
		(void)csv_days(1899, 12, days < 60 ? 31 : 30, &base);
		days += base;
	}
	xlsx_civil(days, &y, &m, &d);
	snprintf(buf, len, "%02d/%02d/%04d", d, m, y);
}

static int
xlsx_cell_cmp(const void *a, const void *b)
{
	const struct xlsx_cell	*x = a, *y = b;

	if (x->row != y->row)
		return (x->row < y->row ? -1 : 1);
	return (x->col < y->col ? -1 : x->col > y->col);
}

/* The decimal mark text cells show ("1,55 tỷ"), ',' if none does. */
static char
xlsx_vote(const struct xlsx *x)
{
	size_t	 i, dot = 0, comma = 0;
	char	 v;

	for (i = 0; i < x->ncell; i++) {
		if (x->cell[i].kind != 's')
			continue;
		v = csv_figure_vote(x->cell[i].text);
		dot += v == '.';
		comma += v == ',';
	}
	return (dot > comma ? '.' : ',');
}

/* Appends a field, quoted, line breaks as spaces; -1 past the cap. */
static int
xlsx_put_field(struct xlsx_buf *o, const char *s)
{
	const char	*p;

	if (xlsx_buf_add(o, "\"", 1) == -1)
		return (-1);
	for (p = s; *p != '\0'; p++)
		if (xlsx_buf_add(o, *p == '"' ? "\"\"" : *p == '\r' ||
		    *p == '\n' ? " " : p, *p == '"' ? 2 : 1) == -1)
			return (-1);
	return (xlsx_buf_add(o, "\"", 1));
}

/* Ends a row: empty fields up to the header's width, as Excel's CSV has. */
static int
xlsx_row_end(struct xlsx_buf *o, uint32_t at, uint32_t width)
{
	for (; at < width; at++)
		if (xlsx_buf_add(o, ",", 1) == -1)
			return (-1);
	return (xlsx_buf_add(o, "\n", 1));
}

/*
 * Writes the cells as CSV: line N is row N, field C column C, each row
 * at least as wide as the first (the header).
 */
static int
xlsx_write(struct xlsx *x, char dec, struct xlsx_buf *o)
{
	struct xlsx_cell	*c;
	char			 num[96], col[8];
	const char		*s;
	uint32_t		 line = 1, at = 1, width = 0;
	size_t			 i;

	qsort(x->cell, x->ncell, sizeof(*x->cell), xlsx_cell_cmp);
	for (i = 0; i < x->ncell && x->cell[i].row == x->cell[0].row; i++)
		width = x->cell[i].col;
	for (i = 0; i < x->ncell; i++) {
		c = &x->cell[i];
		if (i > 0 && c->row == c[-1].row && c->col == c[-1].col) {
			csv_colname(c->col, col, sizeof(col));
			xlsx_fail(x, "cell %s%u appears twice (a damaged "
			    "file?)", col, c->row);
			return (-1);
		}
		if (i == 0 || c->row != c[-1].row) {
			if (i > 0 && xlsx_row_end(o, at, width) == -1)
				goto nomem;
			line += i > 0;
			for (; line < c->row; line++)
				if (xlsx_buf_add(o, "\n", 1) == -1)
					goto nomem;
			at = 1;
		}
		for (; at < c->col; at++)
			if (xlsx_buf_add(o, ",", 1) == -1)
				goto nomem;
		s = num;
		if (c->kind == 'D')
			xlsx_date(c->text, x->date1904, num, sizeof(num));
		else if (c->kind == 'd' && strlen(c->text) >= 10 &&
		    c->text[4] == '-' && c->text[7] == '-')
			snprintf(num, sizeof(num), "%.2s/%.2s/%.4s",
			    c->text + 8, c->text + 5, c->text);
		else if (c->kind != 'n' || xlsx_number(c->text, dec, num,
		    sizeof(num)) == -1)
			s = c->text;
		if (xlsx_put_field(o, s) == -1)
			goto nomem;
		if (o->len > XLSX_CSV_MAX) {
			xlsx_fail(x, "the sheet is larger than %lu MiB as text",
			    XLSX_CSV_MAX >> 20);
			return (-1);
		}
	}
	if (x->ncell > 0 && xlsx_row_end(o, at, width) == -1)
		goto nomem;
	return (0);
nomem:
	xlsx_fail(x, "out of memory");
	return (-1);
}

/* 1 if buf starts as a zip file does. */
int
xlsx_is_zip(const char *buf, size_t len)
{
	return (len >= 4 && memcmp(buf, ZIP_MAGIC, 4) == 0);
}

/* Why a file that is no zip is no workbook: the likely cause. */
static void
xlsx_not_zip(const char *buf, size_t len, char *err, size_t errlen)
{
	size_t	 i, n = len < 40 ? len : 40;
	int	 text = 1;

	if (len >= 8 && memcmp(buf, OLE_MAGIC, 8) == 0) {
		/* EncryptionInfo, in the UTF-16 of an OLE directory. */
		if (memmem(buf, len, "E\0n\0c\0r\0y\0p\0t\0i\0o\0n\0I\0n\0f\0"
		    "o\0", 28) != NULL)
			snprintf(err, errlen, "not readable: a password-"
			    "protected workbook (Excel encrypts it whole); "
			    "save it without a password (File > Info > "
			    "Protect Workbook)");
		else
			snprintf(err, errlen, "not an XLSX workbook: an Excel "
			    "97-2003 .xls file; save it as .xlsx or CSV");
		return;
	}
	for (i = 0; i < n; i++)
		if (buf[i] == '\0' || ((unsigned char)buf[i] < 0x20 &&
		    buf[i] != '\t' && buf[i] != '\r' && buf[i] != '\n'))
			text = 0;
	/* The start of its first line, cut on a character boundary. */
	for (i = 0; i < n; i++)
		if (buf[i] == '\r' || buf[i] == '\n')
			n = i;
	while (n > 0 && n < len && ((unsigned char)buf[n] & 0xc0) == 0x80)
		n--;
	if (len == 0)
		snprintf(err, errlen, "not an XLSX workbook: the file is "
		    "empty");
	else if (text)
		snprintf(err, errlen, "not an XLSX workbook: it starts as "
		    "text ('%.*s...'), not as a zip; a CSV file named .xlsx? "
		    "(rename it .csv or set format = csv)", (int)n, buf);
	else
		snprintf(err, errlen, "not an XLSX workbook: no zip "
		    "signature (a damaged file, or another format)");
}

/* Opens the zip in memory; NULL with err set. */
static zip_t *
xlsx_open(const char *buf, size_t len, char *err, size_t errlen)
{
	zip_error_t	 ze;
	zip_source_t	*src;
	zip_t		*za;

	if (!xlsx_is_zip(buf, len)) {
		xlsx_not_zip(buf, len, err, errlen);
		return (NULL);
	}
	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(buf, len, 0, &ze)) == NULL) {
		snprintf(err, errlen, "out of memory");
		zip_error_fini(&ze);
		return (NULL);
	}
	if ((za = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS,
	    &ze)) == NULL) {
		snprintf(err, errlen, "not readable as a zip: %s (a damaged "
		    "or truncated workbook)", zip_error_strerror(&ze));
		zip_source_free(src);
	}
	zip_error_fini(&ze);
	return (za);
}

/* Lists the sheets for messages: 'DS HTX', 'Tổng hợp'. */
static void
xlsx_list(const struct xlsx *x, char *buf, size_t len)
{
	size_t	 i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < x->nsheet && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s'%s'%s", i ? ", " :
		    "", x->sheet[i].name, x->sheet[i].hidden ? " (hidden)" :
		    "");
}

/* The workbook, its sheets and the part of the one asked for. */
static const char *
xlsx_find_sheet(struct xlsx *x, const char *want, struct xlsx_info *info)
{
	const char	*wb, *part;
	char		*wbpath, *base, *slash;
	size_t		 i;

	if (xlsx_rels(x, "", "", 1) == -1)
		return (NULL);
	if ((wb = xlsx_rel_find(x, "officeDocument", NULL)) == NULL) {
		xlsx_fail(x, "the package names no workbook (a document "
		    "of another kind?)");
		return (NULL);
	}
	if ((wbpath = strdup(wb)) == NULL || (base = strdup(wb)) == NULL) {
		free(wbpath);
		xlsx_fail(x, "out of memory");
		return (NULL);
	}
	slash = strrchr(base, '/');
	*(slash != NULL ? slash + 1 : base) = '\0';
	if (xlsx_parse_part(x, wbpath, 1, xlsx_workbook_start,
	    xlsx_noend) == -1 || xlsx_rels(x, wbpath, base, 1) == -1) {
		free(wbpath);
		free(base);
		return (NULL);
	}
	free(wbpath);
	free(base);
	xlsx_list(x, info->sheets, sizeof(info->sheets));
	info->date1904 = x->date1904;
	for (i = 0; i < x->nsheet; i++)
		if (want != NULL ? csv_label_eq(x->sheet[i].name, want) :
		    !x->sheet[i].hidden)
			break;
	if (i == x->nsheet) {
		if (want != NULL)
			xlsx_fail(x, "no sheet '%s'; the workbook has %s "
			    "(set sheet = one of them)", want, info->sheets);
		else
			xlsx_fail(x, "the workbook has no visible sheet");
		return (NULL);
	}
	x->sheet_name = x->sheet[i].name;
	snprintf(info->sheet, sizeof(info->sheet), "%s", x->sheet_name);
	if ((part = xlsx_rel_find(x, NULL, x->sheet[i].rid)) == NULL) {
		xlsx_fail(x, "sheet '%s' has no part (a damaged workbook?)",
		    x->sheet_name);
		return (NULL);
	}
	return (part);
}

static void
xlsx_free(struct xlsx *x)
{
	size_t	 i;

	xlsx_rels_free(x);
	for (i = 0; i < x->nsheet; i++) {
		free(x->sheet[i].name);
		free(x->sheet[i].rid);
	}
	free(x->sheet);
	free(x->xf_date);
	free(x->fmt_date);
	for (i = 0; i < x->nsst; i++)
		free(x->sst[i]);
	free(x->sst);
	for (i = 0; i < x->ncell; i++)
		free(x->cell[i].text);
	free(x->cell);
	free(x->text.s);
	free(x->v.s);
	free(x->f.s);
	if (x->za != NULL)
		zip_discard(x->za);
}

/*
 * Reads sheet want (NULL: the first visible one) of the workbook in buf
 * into CSV text in *out (malloc'd, NUL-terminated): ',' separates fields,
 * numbers are written with dec as their decimal mark (0: the one the
 * sheet's text cells show, ',' if none), dates DD/MM/YYYY.  -1 with err
 * naming the cause if the file is not a workbook, is damaged, encrypted
 * or too large.
 */
int
xlsx_to_csv(const char *buf, size_t len, const char *want, char dec,
    char **out, size_t *outlen, struct xlsx_info *info, char *err,
    size_t errlen)
{
	struct xlsx	 x;
	struct xlsx_buf	 o;
	const char	*part;
	char		*sheet = NULL, *sst = NULL, *styles = NULL;

	memset(&x, 0, sizeof(x));
	memset(&o, 0, sizeof(o));
	memset(info, 0, sizeof(*info));
	*out = NULL;
	x.err = err;
	x.errlen = errlen;
	if ((x.za = xlsx_open(buf, len, err, errlen)) == NULL)
		return (-1);
	if ((part = xlsx_find_sheet(&x, want, info)) == NULL ||
	    (sheet = strdup(part)) == NULL)
		goto fail;
	if ((part = xlsx_rel_find(&x, "sharedStrings", NULL)) != NULL &&
	    (sst = strdup(part)) == NULL)
		goto fail;
	if ((part = xlsx_rel_find(&x, "styles", NULL)) != NULL &&
	    (styles = strdup(part)) == NULL)
		goto fail;
	if ((styles != NULL && xlsx_parse_part(&x, styles, 0,
	    xlsx_styles_start, xlsx_styles_end) == -1) || (sst != NULL &&
	    xlsx_parse_part(&x, sst, 0, xlsx_sst_start, xlsx_sst_end) == -1))
		goto fail;
	x.row = 0;
	if (xlsx_parse_part(&x, sheet, 1, xlsx_sheet_start,
	    xlsx_sheet_end) == -1)
		goto fail;
	info->dec = dec != 0 ? dec : xlsx_vote(&x);
	if (xlsx_write(&x, info->dec, &o) == -1)
		goto fail;
	info->cells = x.ncell;
	info->rows = x.ncell > 0 ? x.cell[x.ncell - 1].row : 0;
	if (o.s == NULL && xlsx_buf_add(&o, "", 0) == -1) {
		xlsx_fail(&x, "out of memory");
		goto fail;
	}
	*out = o.s;
	*outlen = o.len;
	free(sheet);
	free(sst);
	free(styles);
	xlsx_free(&x);
	return (0);
fail:
	if (!x.failed)
		snprintf(err, errlen, "out of memory");
	free(o.s);
	free(sheet);
	free(sst);
	free(styles);
	xlsx_free(&x);
	return (-1);
}
