/*
 * plaintext.c - Graphite's plaintext line to a series (see plaintext.h).
 *
 * A path "a.b.c.d" becomes PLUGIN.INSTANCE.METRIC: PLUGIN is the rules'
 * plugin; INSTANCE is the instance of the longest map whose prefix starts
 * the path (whole components, byte for byte), else the path's first
 * component; METRIC is the rest, at most max_depth components.  In each
 * component A-Z become a-z, a-z 0-9 _ - stay, other bytes become _ and a
 * control byte refuses the line; an empty or over-long component refuses
 * it too.  Every refusal names its reason, a constant string, so the
 * listener can count and log it without copying.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "plaintext.h"

#define PLAINTEXT_FIELDS	3
#define PLAINTEXT_NUM_MAX	64	/* bytes of a value */
#define PLAINTEXT_SECS_DIGITS	12	/* a timestamp's integer part */

struct plaintext_field {
	const char	*p;
	size_t		 len;
};

/* Split on spaces and tabs; returns how many fields (up to max + 1). */
static int
plaintext_split(const char *line, size_t len, struct plaintext_field *f,
    int max)
{
	size_t	 i = 0, start;
	int	 n = 0;

	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		if (n == max)
			return (max + 1);
		f[n].p = line + start;
		f[n].len = i - start;
		n++;
	}
	return (n);
}

/*
 * Append one path component to name at *pos, made of the name set.
 * Returns NULL or the reason it is refused.
 */
static const char *
plaintext_component(const char *c, size_t len, char *name, size_t *pos,
    size_t size)
{
	unsigned char	 ch;
	size_t		 i;

	if (len == 0)
		return ("empty component in path");
	if (len > NAMES_PART_MAX)
		return ("path component longer than 64 bytes");
	if (*pos + len >= size)
		return ("path too long for a series name");
	for (i = 0; i < len; i++) {
		ch = (unsigned char)c[i];
		if (ch < 0x20 || ch == 0x7f)
			return ("control character in path");
		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		else if (!((ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-'))
			ch = '_';
		name[(*pos)++] = (char)ch;
	}
	name[*pos] = '\0';
	return (NULL);
}

/* The map whose prefix starts path at a component boundary, longest. */
static const struct plaintext_map *
plaintext_find_map(const struct plaintext_rules *r, const char *path,
    size_t len)
{
	const struct plaintext_map	*best = NULL;
	size_t				 i, n, bestn = 0;

	for (i = 0; i < r->nmaps; i++) {
		n = strlen(r->maps[i].prefix);
		if (n == 0 || n >= len || path[n] != '.' ||
		    memcmp(path, r->maps[i].prefix, n) != 0 || n <= bestn)
			continue;
		best = &r->maps[i];
		bestn = n;
	}
	return (best);
}

static const char *
plaintext_path(const struct plaintext_rules *r, const char *path,
    size_t len, char *name, size_t size)
{
	const struct plaintext_map	*m;
	const char			*why, *dot, *end = path + len;
	size_t				 pos, mstart, n;
	int				 depth = 0;

	pos = strlen(r->plugin);
	if (pos + 2 >= size)
		return ("plugin name too long");
	memcpy(name, r->plugin, pos);
	name[pos++] = '.';
	if ((m = plaintext_find_map(r, path, len)) != NULL) {
		n = strlen(m->instance);
		memcpy(name + pos, m->instance, n);
		pos += n;
		path += strlen(m->prefix) + 1;
	} else {
		if ((dot = memchr(path, '.', len)) == NULL)
			return ("path has no metric after its first component");
		if ((why = plaintext_component(path, (size_t)(dot - path),
		    name, &pos, size)) != NULL)
			return (why);
		path = dot + 1;
	}
	name[pos++] = '.';
	mstart = pos;
	for (;;) {
		if (++depth > r->max_depth)
			return ("path deeper than max_depth");
		if ((dot = memchr(path, '.', (size_t)(end - path))) == NULL)
			dot = end;
		if ((why = plaintext_component(path, (size_t)(dot - path),
		    name, &pos, size)) != NULL)
			return (why);
		if (pos - mstart > TALLY_METRIC_MAX)
			return ("metric longer than 128 bytes");
		if (dot == end)
			break;
		name[pos++] = '.';
		path = dot + 1;
	}
	name[pos] = '\0';
	if (!names_series_valid(name))
		return ("path makes no valid series name");
	return (NULL);
}

/* A finite decimal number: no nan, inf, hex or other words. */
static const char *
plaintext_value(const struct plaintext_field *f, double *out)
{
	char	 buf[PLAINTEXT_NUM_MAX + 1], *end;
	size_t	 i;
	int	 digits = 0;

	if (f->len > PLAINTEXT_NUM_MAX)
		return ("value longer than 64 bytes");
	for (i = 0; i < f->len; i++) {
		if (f->p[i] >= '0' && f->p[i] <= '9')
			digits = 1;
		else if (strchr("+-.eE", f->p[i]) == NULL || f->p[i] == '\0')
			return ("value is not a decimal number");
	}
	if (!digits)
		return ("value is not a decimal number");
	memcpy(buf, f->p, f->len);
	buf[f->len] = '\0';
	*out = strtod(buf, &end);
	if (*end != '\0')
		return ("value is not a decimal number");
	if (!isfinite(*out))
		return ("value out of range");
	return (NULL);
}

/* Seconds since the epoch, a fraction dropped; "-1" or "N": now. */
static const char *
plaintext_time(const struct plaintext_rules *r, const struct plaintext_field *f,
    time_t now, time_t *out)
{
	size_t		 i;
	long long	 t = 0;

	if ((f->len == 2 && memcmp(f->p, "-1", 2) == 0) ||
	    (f->len == 1 && f->p[0] == 'N')) {
		*out = now;
		return (NULL);
	}
	for (i = 0; i < f->len && f->p[i] >= '0' && f->p[i] <= '9'; i++) {
		if (i == PLAINTEXT_SECS_DIGITS)
			return ("timestamp too far in the future");
		t = t * 10 + (f->p[i] - '0');
	}
	if (i == 0)
		return ("timestamp is not a number of seconds");
	if (i < f->len) {
		if (f->p[i] != '.')
			return ("timestamp is not a number of seconds");
		for (i++; i < f->len; i++)
			if (f->p[i] < '0' || f->p[i] > '9')
				return ("timestamp is not a number of "
				    "seconds");
	}
	if (t < (long long)PLAINTEXT_TIME_MIN)
		return ("timestamp before 2000");
	if (t > (long long)now + (long long)r->future)
		return ("timestamp too far in the future");
	*out = (time_t)t;
	return (NULL);
}

int
plaintext_parse(const struct plaintext_rules *r, const char *line,
    size_t len, time_t now, struct plaintext_value *out, const char **why)
{
	struct plaintext_field	 f[PLAINTEXT_FIELDS];
	int			 n;

	while (len > 0 && line[len - 1] == '\r')
		len--;
	if ((n = plaintext_split(line, len, f, PLAINTEXT_FIELDS)) == 0)
		return (0);
	if (n != PLAINTEXT_FIELDS) {
		*why = "not three fields (path value timestamp)";
		return (-1);
	}
	if ((*why = plaintext_path(r, f[0].p, f[0].len, out->name,
	    sizeof(out->name))) != NULL ||
	    (*why = plaintext_value(&f[1], &out->value)) != NULL ||
	    (*why = plaintext_time(r, &f[2], now, &out->when)) != NULL)
		return (-1);
	return (1);
}

int
plaintext_prefix_valid(const char *s)
{
	size_t	 len = strlen(s), i;

	if (len == 0 || len > PLAINTEXT_PREFIX_MAX || s[0] == '.' ||
	    s[len - 1] == '.')
		return (0);
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f ||
		    (s[i] == '.' && s[i + 1] == '.'))
			return (0);
	}
	return (1);
}
