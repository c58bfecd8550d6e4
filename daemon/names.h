/*
 * names.h - the name rules of the core and the paths built from names.
 *
 * A series is "plugin.instance.metric", stored in
 * DATADIR/plugin/instance/metric.rrd; names are checked here before any
 * path is built.  Section names of the config follow the same part rule.
 * A leaf: no other tallyd module but xmalloc.
 */
#ifndef TALLY_NAMES_H
#define TALLY_NAMES_H

#include <stddef.h>
#include <tally/plugin.h>

#define NAMES_PART_MAX		64
#define NAMES_SERIES_MAX	(2 * NAMES_PART_MAX + TALLY_METRIC_MAX + 2)
/* Config: section names, and keys of a plugin section. */
#define NAMES_CONF_MAX		64
#define NAMES_CONF_CHARS	"abcdefghijklmnopqrstuvwxyz0123456789_-"
#define NAMES_OPT_CHARS		NAMES_CONF_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZ."

/* 1 if valid. */
int	names_part_valid(const char *);		/* [a-z0-9_-]{1,64} */
int	names_metric_valid(const char *);	/* part(.part)*, <= 128 */
int	names_series_valid(const char *);	/* plugin.instance.metric */
/* 1 to NAMES_CONF_MAX bytes, all of chars. */
int	names_conf_valid(const char *, const char *chars);
/* The file of a valid series name; -1 if invalid or too long for buf. */
int	names_series_path(char *buf, size_t len, const char *datadir,
	    const char *name);
/* dir/path, leading "./" dropped; dir itself for "" or "." (allocated). */
char	*names_abspath(const char *dir, const char *path);

#endif
