/*
 * names.c - name rules and the paths made of names.  Names from plugins,
 * clients and the config pass these checks before they become paths or
 * rrdtool arguments.
 */
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "xmalloc.h"

int
names_part_valid(const char *s)
{
	size_t	 n;

	for (n = 0; s[n] != '\0'; n++) {
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '-'))
			return (0);
	}
	return (n >= 1 && n <= NAMES_PART_MAX);
}

/* Dotted parts; each part must be valid on its own. */
static int
names_parts_valid(const char *s, size_t maxlen, int minparts)
{
	char	 part[NAMES_PART_MAX + 2];
	size_t	 len = strlen(s), n;
	int	 parts = 0;
	const char *p = s, *dot;

	if (len == 0 || len > maxlen)
		return (0);
	for (;;) {
		dot = strchr(p, '.');
		n = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (n == 0 || n > NAMES_PART_MAX)
			return (0);
		memcpy(part, p, n);
		part[n] = '\0';
		if (!names_part_valid(part))
			return (0);
		parts++;
		if (dot == NULL)
			break;
		p = dot + 1;
	}
	return (parts >= minparts);
}

int
names_metric_valid(const char *s)
{
	return (names_parts_valid(s, TALLY_METRIC_MAX, 1));
}

int
names_series_valid(const char *s)
{
	const char	*dot;

	/* plugin and instance are single parts; the metric may be dotted. */
	if ((dot = strchr(s, '.')) == NULL || (dot = strchr(dot + 1, '.')) ==
	    NULL || !names_metric_valid(dot + 1))
		return (0);
	return (names_parts_valid(s, NAMES_SERIES_MAX, 3));
}

int
names_prom(char *name, size_t namelen, char *sample, size_t samplelen,
    const char *series)
{
	const char	*d1, *d2;
	size_t		 i;

	if (!names_series_valid(series))
		return (-1);
	d1 = strchr(series, '.');
	d2 = strchr(d1 + 1, '.');
	snprintf(name, namelen, "tally_%.*s_%s", (int)(d1 - series), series,
	    d2 + 1);
	for (i = 6; name[i] != '\0'; i++)
		if (name[i] == '.' || name[i] == '-')
			name[i] = '_';
	if (sample != NULL)
		snprintf(sample, samplelen, "%s{instance=\"%.*s\"}", name,
		    (int)(d2 - d1 - 1), d1 + 1);
	return (0);
}

int
names_conf_valid(const char *s, const char *chars)
{
	size_t	 n = strlen(s);

	return (n >= 1 && n <= NAMES_CONF_MAX && strspn(s, chars) == n);
}

int
names_series_path(char *buf, size_t len, const char *datadir,
    const char *name)
{
	const char	*d1, *d2;
	size_t		 dl, nl;

	if (!names_series_valid(name))
		return (-1);
	/* DATADIR/A/B/C.rrd of A.B.C, copied (every FETCH makes one) */
	d1 = strchr(name, '.');
	d2 = strchr(d1 + 1, '.');
	dl = strlen(datadir);
	nl = strlen(name);
	if (dl + nl + 6 > len)
		return (-1);
	memcpy(buf, datadir, dl);
	buf[dl] = '/';
	memcpy(buf + dl + 1, name, nl);
	buf[dl + 1 + (size_t)(d1 - name)] = '/';
	buf[dl + 1 + (size_t)(d2 - name)] = '/';
	memcpy(buf + dl + 1 + nl, ".rrd", 5);
	return (0);
}

char *
names_abspath(const char *dir, const char *path)
{
	char	*s;

	while (path[0] == '.' && path[1] == '/') {
		for (path++; *path == '/'; path++)
			;
	}
	if (*path == '\0' || strcmp(path, ".") == 0)
		return (xstrdup(dir));
	xasprintf(&s, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/",
	    path);
	return (s);
}
