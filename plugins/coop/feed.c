/*
 * feed.c - the plugin instance behind coop and creditfund: a report file
 * (a file or an http:// URL) read into one figure per metric and period.
 *
 * Each read fetches the file only if it changed, has the kind's parser
 * turn it into a table, and lets history.c store what is new or
 * corrected.  A period's figures are stored at the instant it ends, so
 * a reading whose last period has not ended yet is kept, and its held
 * points are stored by a later read even if the file stays the same.
 * What differs between the plugins (keys, columns, metrics, units, the
 * log's summary of a reading) is in their struct feed_kind.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <tally/plugin.h>

#include "csv.h"
#include "feed.h"
#include "history.h"
#include "source.h"
#include "text.h"
#include "totals.h"
#include "xlsx.h"

#define FEED_REPORT_MAX	20	/* bad rows logged one by one per reading */
#define FEED_MAX_BAD	0.02	/* default share of bad rows a period takes */
#define FEED_MAX_DROP	0.5	/* default fall of a figure with bad rows */

enum feed_format {
	FEED_AUTO,		/* .xlsx (or a zip) is a workbook, else CSV */
	FEED_CSV,
	FEED_XLSX
};

struct feed {
	const struct feed_kind		*kind;
	struct tally_ctx		*ctx;
	const struct tally_host		*host;
	void				*conf;	/* the kind's */
	void				*res;	/* the kind's, of one reading */
	struct source			 src;
	struct history			*hist;
	char				*hist_path;
	struct history_table		 last;	/* last reading, if it waits */
	int				 waiting; /* periods not yet ended */
	int				 verified; /* history checked */
	unsigned long			 nreported;
	char				*encoding;	/* "auto" or iconv's */
	char				 sep;		/* 0: sniff */
	char				 dec;		/* 0: sniff */
	enum feed_format		 format;
	char				*sheet;		/* NULL: the first */
	char				 sheet_read[128]; /* of this reading */
	double				 max_bad;	/* share of rows */
	double				 max_drop;	/* share of a figure */
	int				 totals;	/* layout = totals */
	struct totals_map		 map;		/* its indicators */
	char				**metrics;	/* every metric */
	size_t				 nmetrics;
};

void *
feed_create(struct tally_ctx *ctx, const struct tally_host *host,
    const struct feed_kind *k)
{
	struct feed	*f;
	size_t		 i;

	if (host->abi != TALLY_PLUGIN_ABI || (f = calloc(1, sizeof(*f))) ==
	    NULL)
		return (NULL);
	f->kind = k;
	f->ctx = ctx;
	f->host = host;
	f->max_bad = FEED_MAX_BAD;
	f->max_drop = FEED_MAX_DROP;
	if ((f->conf = calloc(1, k->conf_size)) == NULL ||
	    (f->res = calloc(1, k->result_size)) == NULL) {
		free(f->conf);
		free(f);
		return (NULL);
	}
	if (k->conf_init(f->conf) == -1 || (f->hist = history_new()) == NULL) {
		feed_destroy(f);
		return (NULL);
	}
	for (i = 0; i < k->nindicators; i++)
		if (totals_map_set(&f->map, k->indicators[i][0],
		    k->indicators[i][1]) == -1) {
			feed_destroy(f);
			return (NULL);
		}
	return (f);
}

/* A share: "5%" or "0.05", 0 to 1; -1 otherwise. */
static int
feed_share(const char *s, double *out)
{
	char	 buf[64];
	size_t	 n;
	double	 v;
	int	 pct;

	snprintf(buf, sizeof(buf), "%s", s);
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	if ((pct = n > 0 && buf[n - 1] == '%'))
		n--;
	buf[n] = '\0';
	if (csv_number(buf, '.', &v) == -1)
		return (-1);
	if (pct)
		v /= 100;
	if (v < 0 || v > 1)
		return (-1);
	*out = v;
	return (0);
}

/* Takes the keys of how a file is written: encoding, separator, decimal. */
static int
feed_configure_format(struct feed *f, const char *key, const char *value,
    char *err, size_t errlen)
{
	if (strcmp(key, "encoding") == 0) {
		if (text_encoding_ok(value, err, errlen) == -1)
			return (-1);
		free(f->encoding);
		return ((f->encoding = strdup(value)) == NULL ? -1 : 0);
	}
	if (strcmp(key, "separator") == 0) {
		if (strcmp(value, "auto") == 0)
			f->sep = 0;
		else if (strcmp(value, ",") == 0 || strcmp(value, ";") == 0)
			f->sep = value[0];
		else if (strcmp(value, "tab") == 0)
			f->sep = '\t';
		else {
			snprintf(err, errlen, "separator is auto, ',', ';' or "
			    "tab");
			return (-1);
		}
		return (0);
	}
	if (strcmp(key, "decimal") == 0) {
		if (strcmp(value, "auto") == 0)
			f->dec = 0;
		else if (strcmp(value, ".") == 0 || strcmp(value, ",") == 0)
			f->dec = value[0];
		else {
			snprintf(err, errlen, "decimal is auto, '.' or ','");
			return (-1);
		}
		return (0);
	}
	return (1);
}

/* Takes format and sheet: which files are workbooks, which sheet. */
static int
feed_configure_xlsx(struct feed *f, const char *key, const char *value,
    char *err, size_t errlen)
{
	if (strcmp(key, "format") == 0) {
		if (strcmp(value, "auto") == 0)
			f->format = FEED_AUTO;
		else if (strcmp(value, "csv") == 0)
			f->format = FEED_CSV;
		else if (strcmp(value, "xlsx") == 0)
			f->format = FEED_XLSX;
		else {
			snprintf(err, errlen, "format is auto (by the file's "
			    "name and first bytes), csv or xlsx");
			return (-1);
		}
		return (0);
	}
	if (strcmp(key, "sheet") == 0) {
		if (csv_blank(value) || strlen(value) > XLSX_SHEET_MAX * 4) {
			snprintf(err, errlen, "the name of a sheet of the "
			    "workbook, at most %d characters", XLSX_SHEET_MAX);
			return (-1);
		}
		free(f->sheet);
		return ((f->sheet = text_nfc(value)) == NULL ? -1 : 0);
	}
	return (1);
}

/* Takes the keys of the guard against unreadable cells. */
static int
feed_configure_guard(struct feed *f, const char *key, const char *value,
    char *err, size_t errlen)
{
	double	*v;

	if (strcmp(key, "max_bad_rows") == 0)
		v = &f->max_bad;
	else if (strcmp(key, "max_drop") == 0)
		v = &f->max_drop;
	else
		return (1);
	if (feed_share(value, v) == -1) {
		snprintf(err, errlen, "a share, 0%% to 100%% (\"2%%\" or "
		    "\"0.02\")");
		return (-1);
	}
	return (0);
}

/* Takes source, http_timeout, format and guard keys, the kind's own. */
int
feed_configure(void *arg, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct feed	*f = arg;
	unsigned long	 v;
	int		 rc;

	if ((rc = feed_configure_format(f, key, value, err, errlen)) != 1 ||
	    (rc = feed_configure_xlsx(f, key, value, err, errlen)) != 1 ||
	    (rc = feed_configure_guard(f, key, value, err, errlen)) != 1)
		return (rc);
	if (strcmp(key, "layout") == 0) {
		if (strcmp(value, "rows") != 0 && strcmp(value, "totals") !=
		    0) {
			snprintf(err, errlen, "layout is rows (one row per "
			    "organisation) or totals (indicators by year)");
			return (-1);
		}
		f->totals = strcmp(value, "totals") == 0;
		return (0);
	}
	if (strncmp(key, "indicator.", 10) == 0) {
		if (key[10] == '\0' || strspn(key + 10,
		    "abcdefghijklmnopqrstuvwxyz0123456789_-.") !=
		    strlen(key + 10) || csv_blank(value)) {
			snprintf(err, errlen, "indicator.METRIC = labels, "
			    "comma-separated");
			return (-1);
		}
		return (totals_map_set(&f->map, key + 10, value));
	}

	if (strcmp(key, "source") == 0)
		return (source_set(&f->src, value,
		    source_base(f->ctx, f->host), err, errlen));
	if (strcmp(key, "http_timeout") == 0) {
		if (csv_count(value, &v) == -1 || v < 1 || v > 600) {
			snprintf(err, errlen, "seconds, 1..600");
			return (-1);
		}
		f->src.timeout = (int)v;
		return (0);
	}
	if ((rc = f->kind->configure(f->conf, key, value, err, errlen)) != 1)
		return (rc);
	snprintf(err, errlen, "unknown key (%s takes source, http_timeout, "
	    "format, sheet, encoding, separator, decimal, max_bad_rows, "
	    "max_drop, layout, indicator.*, %s)",
	    f->kind->name, f->kind->keys);
	return (-1);
}

static int
feed_metric_known(const struct feed *f, const char *name)
{
	size_t	 i;

	for (i = 0; i < f->nmetrics; i++)
		if (strcmp(f->metrics[i], name) == 0)
			return (1);
	return (0);
}

/* Declares every metric on the slow preset and loads the history. */
int
feed_init(void *arg)
{
	struct feed		*f = arg;
	const struct feed_kind	*k = f->kind;
	struct history_table	 t;
	char			 err[512];
	size_t			 i;
	int			 rc = 0;

	if (f->src.where == NULL) {
		f->host->log(f->ctx, TALLY_LOG_ERR, "no source: set source = "
		    "FILE or http://HOST/PATH");
		return (-1);
	}
	if (f->sheet != NULL && f->format == FEED_CSV) {
		f->host->log(f->ctx, TALLY_LOG_ERR, "sheet is set, but format "
		    "= csv: a CSV file has no sheets");
		return (-1);
	}
	/* The table of a reading with no rows still names every metric. */
	memset(f->res, 0, k->result_size);
	if (k->table(f->conf, f->res, &t) == -1)
		return (-1);
	for (i = 0; i < t.nmetrics && rc == 0; i++)
		rc = f->host->declare(f->ctx, t.metric[i], TALLY_GAUGE,
		    k->unit(t.metric[i]), "slow");
	f->metrics = t.metric;	/* the names stay, for a totals table */
	f->nmetrics = t.nmetrics;
	t.metric = NULL;
	history_table_free(&t);
	for (i = 0; i < f->map.n && rc == 0; i++)
		if (!feed_metric_known(f, f->map.metric[i])) {
			f->host->log(f->ctx, TALLY_LOG_ERR, "indicator.%s: no "
			    "such metric", f->map.metric[i]);
			rc = -1;
		}
	if (rc == -1 || asprintf(&f->hist_path, "%s/history",
	    f->host->state_dir(f->ctx)) == -1)
		return (-1);
	if (history_load(f->hist, f->hist_path, err, sizeof(err)) == -1)
		f->host->log(f->ctx, TALLY_LOG_WARNING, "%s; every metric's "
		    "history will be rewritten from the source", err);
	return (0);
}

/* Logs a bad row or a warning as FILE:LINE, the first few of a reading. */
static void
feed_report(void *arg, unsigned long line, int skipped, const char *msg)
{
	struct feed	*f = arg;

	if (f->nreported++ >= FEED_REPORT_MAX)
		return;
	if (f->sheet_read[0] != '\0' && strncmp(msg, "cell ", 5) == 0)
		f->host->log(f->ctx, TALLY_LOG_WARNING, "%s: sheet '%s' %s%s",
		    source_label(&f->src), f->sheet_read, msg, skipped ?
		    "; row skipped" : "");
	else if (f->sheet_read[0] != '\0')
		f->host->log(f->ctx, TALLY_LOG_WARNING, "%s: sheet '%s' row "
		    "%lu: %s%s", source_label(&f->src), f->sheet_read, line,
		    msg, skipped ? "; row skipped" : "");
	else
		f->host->log(f->ctx, TALLY_LOG_WARNING, "%s:%lu: %s%s",
		    source_label(&f->src), line, msg, skipped ?
		    "; row skipped" : "");
}

/* Stores a reading, saves the history; -1 if any of it failed. */
static int
feed_store(struct feed *f, const struct history_table *t,
    struct history_stats *st)
{
	char	 err[512];
	int	 rc;

	rc = history_apply(f->hist, f->ctx, f->host, t, time(NULL), st);
	/*
	 * The history says "stored": only once the core has it durably.
	 * If not, forget what this reading claimed and store it all again.
	 */
	if (TALLY_HOST_HAS(f->host, sync) && f->host->sync(f->ctx) == -1) {
		f->host->log(f->ctx, TALLY_LOG_ERR, "figures not durable; "
		    "the history is not saved and will be stored again");
		if (history_load(f->hist, f->hist_path, err, sizeof(err)) ==
		    -1)
			f->host->log(f->ctx, TALLY_LOG_WARNING, "%s", err);
		history_suspect(f->hist);
		f->waiting = 1;
		return (-1);
	}
	if (history_save(f->hist, f->hist_path, err, sizeof(err)) == -1) {
		f->host->log(f->ctx, TALLY_LOG_ERR, "%s", err);
		rc = -1;
	}
	f->waiting = st->held > 0;
	return (rc);
}

/* Sets the status PLUGINS shows, if the core offers it (1.1). */
static void __attribute__((format(printf, 2, 3)))
feed_status(struct feed *f, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	if (f->host->size < offsetof(struct tally_host, status) +
	    sizeof(f->host->status) || f->host->status == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	f->host->status(f->ctx, "%s", buf);
}

/* "2021" for a yearly table's period, else "the period ending DATE". */
static void
feed_period_name(const struct history_table *t, size_t p, char *buf,
    size_t len)
{
	struct tm	 tm;
	time_t		 w = t->when[p];
	char		 day[32];

	if (t->yearly && w % 86400 == 0 && gmtime_r(&w, &tm) != NULL &&
	    tm.tm_mon == 0 && tm.tm_mday == 1) {
		snprintf(buf, len, "%d", tm.tm_year + 1900 - 1);
		return;
	}
	history_when_str(w, day, sizeof(day));
	snprintf(buf, len, "the period ending %s", day);
}

/*
 * Why period p must not be stored, or NULL: more bad rows than max_bad
 * (rows of no known period count against every period), or with any bad
 * row, a figure that would fall to zero or by more than max_drop from the
 * one stored for the period (or, if none, from the period before).
 */
static const char *
feed_guard_why(struct feed *f, const struct history_table *t, size_t p,
    char *buf, size_t len)
{
	const struct history_quality	*q = &t->quality[p], *u = &t->unplaced;
	const char			*first = q->bad > 0 ? q->why : u->why;
	unsigned long			 bad = q->bad + u->bad;
	unsigned long			 rows = q->rows + u->bad;
	double				 v, ref;
	size_t				 m;
	int				 st;

	if (bad == 0)
		return (NULL);
	if ((double)bad > f->max_bad * (double)rows) {
		snprintf(buf, len, "%lu of its %lu rows are unreadable "
		    "(%.1f%%, more than max_bad_rows %.1f%%); first at %s",
		    bad, rows, 100.0 * (double)bad / (double)rows,
		    100 * f->max_bad, first);
		return (buf);
	}
	for (m = 0; m < t->nmetrics; m++) {
		v = t->value[m * t->nperiods + p];
		if (isnan(v))
			continue;
		st = history_stored(f->hist, t->metric[m], t->when[p], &ref);
		if (st != 1 && p > 0 && !isnan(t->value[m * t->nperiods + p -
		    1]))
			ref = t->value[m * t->nperiods + p - 1];
		else if (st == 0)
			continue;
		if (ref > 0 && (v <= 0 || v < ref * (1 - f->max_drop))) {
			snprintf(buf, len, "%s would fall from %.15g to %.15g "
			    "(more than max_drop %.0f%%) with %lu unreadable "
			    "rows; first at %s", t->metric[m], ref, v,
			    100 * f->max_drop, bad, first);
			return (buf);
		}
	}
	return (NULL);
}

/*
 * Refuses the periods of a reading that unreadable cells would make
 * wrong: their figures leave the table, so nothing stored for them
 * changes.  Each is logged as an error naming file, line and column; the
 * first goes to the status.  Returns how many were refused.
 */
static size_t
feed_guard(struct feed *f, struct history_table *t, char *status,
    size_t slen)
{
	char		 why[HISTORY_WHY_MAX + 256], first[sizeof(why)] = "";
	char		 name[64];
	const char	*w;
	size_t		 p, m, n = 0, o = 0;

	status[0] = '\0';
	for (p = 0; p < t->nperiods; p++) {
		if ((w = feed_guard_why(f, t, p, why, sizeof(why))) == NULL)
			continue;
		for (m = 0; m < t->nmetrics; m++)
			t->value[m * t->nperiods + p] = NAN;
		feed_period_name(t, p, name, sizeof(name));
		f->host->log(f->ctx, TALLY_LOG_ERR, "%s: %s refused: %s; its "
		    "stored figures are unchanged", source_label(&f->src),
		    name, w);
		if (n++ == 0) {
			snprintf(first, sizeof(first), "%s", w);
			o = (size_t)snprintf(status, slen, "refused %s", name);
		} else if (o < slen)
			o += (size_t)snprintf(status + o, slen - o, ", %s",
			    name);
	}
	if (n > 0 && o < slen)
		snprintf(status + o, slen - o, " (%s: %s)",
		    source_label(&f->src), first);
	return (n);
}

/* Refuses a file that cannot be read at all: logged, status, unchanged. */
static int
feed_refuse(struct feed *f, const char *err)
{
	f->host->log(f->ctx, TALLY_LOG_ERR, "%s: %s; figures unchanged",
	    source_label(&f->src), err);
	feed_status(f, "refused: %s: %s", source_label(&f->src), err);
	source_commit(&f->src);	/* reading it again will not help */
	return (-1);
}

/* Decodes a file and finds how it is written; -1 (err set) if it cannot. */
static int
feed_decode(struct feed *f, const char *buf, size_t len, char **text,
    size_t *tlen, struct csv_format *fmt, char *err, size_t errlen)
{
	struct text_info	 ti;

	if (text_decode(buf, len, f->encoding != NULL ? f->encoding : "auto",
	    text, tlen, &ti, err, errlen) == -1)
		return (-1);
	memset(fmt, 0, sizeof(*fmt));
	fmt->sep_set = f->sep != 0;
	fmt->sep = f->sep != 0 ? f->sep : csv_sniff_sep(*text, *tlen);
	fmt->dec = f->dec != 0 ? f->dec : csv_sniff_decimal(*text, *tlen,
	    fmt->sep);
	snprintf(fmt->encoding, sizeof(fmt->encoding), "%s", ti.encoding);
	fmt->guessed = ti.guessed;
	f->host->log(f->ctx, ti.guessed ? TALLY_LOG_NOTICE : TALLY_LOG_DEBUG,
	    "%s: read as %s%s%s%s, separator '%s', decimal mark '%c'",
	    source_label(&f->src), ti.encoding, ti.bom ? " with a BOM" : "",
	    ti.guessed ? " (not valid UTF-8)" : "", ti.normalised ?
	    ", normalised to NFC" : "", csv_sep_name(fmt->sep), fmt->dec);
	return (0);
}

/* 1 if a reading is a workbook: by format, the name, or a zip's bytes. */
static int
feed_is_xlsx(const struct feed *f, const char *buf, size_t len)
{
	const char	*w = f->src.where, *dot;
	size_t		 n;

	if (f->format != FEED_AUTO)
		return (f->format == FEED_XLSX);
	n = strcspn(w, f->src.http ? "?#" : "");
	for (dot = w + n; dot > w && dot[-1] != '.' && dot[-1] != '/';
	    dot--)
		;
	if (dot > w && dot[-1] == '.' && ((size_t)(w + n - dot) == 4 &&
	    (strncasecmp(dot, "xlsx", 4) == 0 || strncasecmp(dot, "xlsm",
	    4) == 0)))
		return (1);
	return (xlsx_is_zip(buf, len));
}

/* Reads the sheet of a workbook as CSV text; -1 (err set) if it cannot. */
static int
feed_decode_xlsx(struct feed *f, const char *buf, size_t len, char **text,
    size_t *tlen, struct csv_format *fmt, char *err, size_t errlen)
{
	struct xlsx_info	 xi;

	if (xlsx_to_csv(buf, len, f->sheet, f->dec, text, tlen, &xi, err,
	    errlen) == -1)
		return (-1);
	memset(fmt, 0, sizeof(*fmt));
	fmt->sep = ',';
	fmt->sep_set = 1;
	fmt->dec = xi.dec;
	snprintf(fmt->encoding, sizeof(fmt->encoding), "XLSX");
	snprintf(fmt->sheet, sizeof(fmt->sheet), "%s", xi.sheet);
	snprintf(fmt->sheets, sizeof(fmt->sheets), "%s", xi.sheets);
	snprintf(f->sheet_read, sizeof(f->sheet_read), "%s", xi.sheet);
	f->host->log(f->ctx, TALLY_LOG_DEBUG, "%s: sheet '%s' of %s: %lu "
	    "cells to row %lu, %s date system, text figures with decimal "
	    "mark '%c'", source_label(&f->src), xi.sheet, xi.sheets,
	    xi.cells, xi.rows, xi.date1904 ? "1904" : "1900", xi.dec);
	return (0);
}

/* A totals reading for the log: its cells and years. */
static void
feed_totals_summary(const struct history_table *t, char *buf, size_t len)
{
	unsigned long	 cells = 0, bad = 0;
	size_t		 p;
	time_t		 w;
	struct tm	 a, b;

	for (p = 0; p < t->nperiods; p++) {
		cells += t->quality[p].rows;
		bad += t->quality[p].bad;
	}
	w = t->nperiods > 0 ? t->when[0] - 1 : 0;
	gmtime_r(&w, &a);
	w = t->nperiods > 0 ? t->when[t->nperiods - 1] - 1 : 0;
	gmtime_r(&w, &b);
	snprintf(buf, len, "totals table: %lu cells (%lu bad), years %d-%d",
	    cells, bad, t->nperiods > 0 ? a.tm_year + 1900 : 0,
	    t->nperiods > 0 ? b.tm_year + 1900 : 0);
}

/* Parses a new reading and stores it; the table is kept for later. */
static int
feed_process(struct feed *f, const char *buf, size_t len)
{
	const struct feed_kind	*k = f->kind;
	struct history_table	 t;
	struct history_stats	 st;
	struct csv_format	 fmt;
	char			 err[2048], sum[256], refused[1024], *text;
	size_t			 tlen, nref;
	int			 rc;

	f->nreported = 0;
	f->sheet_read[0] = '\0';
	if (feed_is_xlsx(f, buf, len)) {
		if (feed_decode_xlsx(f, buf, len, &text, &tlen, &fmt, err,
		    sizeof(err)) == -1)
			return (feed_refuse(f, err));
	} else if (xlsx_is_zip(buf, len))
		return (feed_refuse(f, "not a CSV file: it starts as a zip "
		    "does (an Excel workbook?); set format = xlsx or auto"));
	else if (feed_decode(f, buf, len, &text, &tlen, &fmt, err,
	    sizeof(err)) == -1)
		return (feed_refuse(f, err));
	if (f->totals)
		rc = totals_parse(&f->map, f->metrics, f->nmetrics, text, tlen,
		    &fmt, &t, feed_report, f, err, sizeof(err));
	else
		rc = k->parse(f->conf, text, tlen, &fmt, f->res, feed_report,
		    f, err, sizeof(err));
	free(text);
	if (rc == -1)
		return (feed_refuse(f, err));
	if (f->nreported > FEED_REPORT_MAX)
		f->host->log(f->ctx, TALLY_LOG_WARNING, "%s: %lu more bad "
		    "rows or warnings not shown", source_label(&f->src),
		    f->nreported - FEED_REPORT_MAX);
	if (!f->totals && k->table(f->conf, f->res, &t) == -1) {
		k->result_free(f->res);
		f->host->log(f->ctx, TALLY_LOG_ERR, "out of memory");
		return (-1);
	}
	nref = feed_guard(f, &t, refused, sizeof(refused));
	rc = feed_store(f, &t, &st);
	if (f->totals)
		feed_totals_summary(&t, sum, sizeof(sum));
	else
		k->summary(f->res, sum, sizeof(sum));
	f->host->log(f->ctx, nref > 0 ? TALLY_LOG_ERR : TALLY_LOG_INFO,
	    "%s: %s: %lu points added, %lu metrics rewritten, %lu waiting "
	    "for their period to end%s%s", source_label(&f->src), sum,
	    st.added, st.corrected, st.held, nref > 0 ? "; " : "", refused);
	if (nref > 0)
		feed_status(f, "%s", refused);
	else if (fmt.sheet[0] != '\0')
		feed_status(f, "ok: %s (XLSX, sheet '%s')", sum, fmt.sheet);
	else
		feed_status(f, "ok: %s (%s, separator '%s', decimal mark "
		    "'%c')", sum, fmt.encoding, csv_sep_name(fmt.sep),
		    fmt.dec);
	if (!f->totals)
		k->result_free(f->res);
	history_table_free(&f->last);
	f->last = t;
	if (rc == 0)
		source_commit(&f->src);
	return (rc == 0 && nref > 0 ? -1 : rc);
}

/* Fetches the report file if it changed and stores what is new in it. */
int
feed_read(void *arg)
{
	struct feed		*f = arg;
	struct history_stats	 st;
	char			*buf, err[512];
	size_t			 len;
	int			 rc;

	if (!f->verified) {
		f->verified = 1;
		(void)history_verify(f->hist, f->ctx, f->host);
	}
	if ((rc = source_fetch(&f->src, &buf, &len, err, sizeof(err))) ==
	    -1) {
		f->host->log(f->ctx, TALLY_LOG_ERR, "%s; figures unchanged",
		    err);
		feed_status(f, "error: %s", err);
		return (-1);
	}
	if (rc == 0) {	/* unchanged: store periods that have ended since */
		f->host->log(f->ctx, TALLY_LOG_DEBUG, "%s unchanged",
		    source_label(&f->src));
		return (f->waiting ? feed_store(f, &f->last, &st) : 0);
	}
	rc = feed_process(f, buf, len);
	free(buf);
	return (rc);
}

/*
 * tallyd -t: a file source must be there and readable now (an http://
 * source is not fetched: the check makes no connection).
 */
int
feed_check(void *arg, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct feed	*f = arg;
	struct stat	 st;
	char		 b;
	int		 fd;

	(void)value;
	if (strcmp(key, "source") != 0 || f->src.where == NULL ||
	    f->src.http)
		return (0);
	if ((fd = open(f->src.where, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		snprintf(err, errlen, "%s: %s%s", f->src.where,
		    strerror(errno), errno == ENOENT ? " (a relative path is "
		    "taken from the config file's directory)" : "");
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    read(fd, &b, 1) == -1) {
		snprintf(err, errlen, "%s: %s", f->src.where,
		    fstat(fd, &st) == -1 ? strerror(errno) :
		    S_ISDIR(st.st_mode) ? "a directory, not a file" :
		    !S_ISREG(st.st_mode) ? "not a regular file" :
		    strerror(errno));
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

void
feed_destroy(void *arg)
{
	struct feed	*f = arg;
	size_t		 i;

	f->kind->conf_free(f->conf);
	free(f->conf);
	free(f->res);
	source_free(&f->src);
	history_free(f->hist);
	history_table_free(&f->last);
	free(f->hist_path);
	free(f->encoding);
	free(f->sheet);
	totals_map_free(&f->map);
	for (i = 0; i < f->nmetrics; i++)
		free(f->metrics[i]);
	free(f->metrics);
	free(f);
}
