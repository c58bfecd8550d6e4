/*
 * parse.h - the exec plugin's pure parsers: command lines, config values,
 * the plain "metric value [time]" output and Munin's config and value
 * output.  No I/O and no daemon: tests/unit/test_exec_parse.c links
 * parse.c alone.
 */
#ifndef EXEC_PARSE_H
#define EXEC_PARSE_H

#include <stddef.h>
#include <time.h>

#include <tally/plugin.h>

#define EXEC_LINE_MAX		4096	/* longest output line parsed */
#define EXEC_PART_MAX		64	/* longest dotted part of a metric */
#define EXEC_FUTURE_MAX		86400	/* a time may be this far ahead */
#define EXEC_MUNIN_FIELDS_MAX	256	/* fields of one Munin plugin */
#define EXEC_TEXT_MAX		128	/* titles, labels, units kept */

/* One parsed output line. */
struct exec_value {
	char	 metric[TALLY_METRIC_MAX + 1];
	double	 value;			/* NAN for U (unknown) */
	time_t	 when;			/* 0: the time of the run */
	size_t	 field;			/* Munin: index into the fields */
};

enum exec_munin_type {
	EXEC_MUNIN_GAUGE = 1,
	EXEC_MUNIN_COUNTER,
	EXEC_MUNIN_DERIVE,
	EXEC_MUNIN_ABSOLUTE
};

/* A Munin field, from `prog config`, and what its last value was. */
struct exec_munin_field {
	char			 metric[TALLY_METRIC_MAX + 1];
	char			 label[EXEC_TEXT_MAX];
	enum exec_munin_type	 type;
	double			 min;		/* NAN: none */
	double			 max;		/* NAN: none */
	int			 usable;	/* declared with the core */
	double			 prev_value;	/* NAN: none yet */
	time_t			 prev_time;
};

/* What `prog config` said, and the multigraph in force while parsing. */
struct exec_munin_config {
	char			 title[EXEC_TEXT_MAX];
	char			 vlabel[EXEC_TEXT_MAX];
	struct exec_munin_field	*fields;
	size_t			 nfields;
	char			 graph[TALLY_METRIC_MAX + 1];	/* "" or prefix */
};

int	 exec_metric_valid(const char *);
int	 exec_sanitize_name(const char *, size_t, char *, size_t);
int	 exec_parse_number(const char *, size_t, double *);
int	 exec_parse_time(const char *, size_t, time_t, time_t *);
int	 exec_parse_duration(const char *, unsigned long *);
int	 exec_parse_size(const char *, size_t *);
int	 exec_env_valid(const char *);
int	 exec_split_command(const char *, char ***, size_t *, char *, size_t);
void	 exec_free_argv(char **, size_t);
int	 exec_next_line(const char *, size_t, size_t *, const char **,
	    size_t *);
void	 exec_printable(char *, size_t, const char *, size_t);
int	 exec_line_sane(const char *, size_t, char *, size_t);
int	 exec_parse_line(const char *, size_t, time_t, struct exec_value *,
	    char *, size_t);

void	 exec_munin_init(struct exec_munin_config *);
void	 exec_munin_clear(struct exec_munin_config *);
int	 exec_munin_config_line(struct exec_munin_config *, const char *,
	    size_t, char *, size_t);
int	 exec_munin_value_line(struct exec_munin_config *, const char *,
	    size_t, time_t, struct exec_value *, char *, size_t);
int	 exec_munin_find(const struct exec_munin_config *, const char *);
enum tally_kind exec_munin_kind(enum exec_munin_type);
const char *exec_munin_type_name(enum exec_munin_type);
int	 exec_munin_apply(struct exec_munin_field *, time_t, double,
	    double *);

#endif /* EXEC_PARSE_H */
