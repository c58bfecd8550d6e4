/*
 * fuzz_exec.c - libFuzzer target for the exec plugin's output parsers
 * (plugins/exec/parse.c, munin.c).  The first byte picks the format:
 * even, "METRIC VALUE [TIME]" lines; odd, Munin: `config` lines up to a
 * line ".", then value lines, each applied to its field as the plugin
 * does.  Checked: metric names of parsed values are valid and
 * terminated, field indexes in range, errors terminated.
 */
#include <math.h>

#include "fuzz.h"
#include "parse.h"

#define NOW	((time_t)1700000000)

static void
check_value(const struct exec_value *v, size_t nfields)
{
	fuzz_check_msg(v->metric, sizeof(v->metric));
	if (!exec_metric_valid(v->metric))
		abort();
	if (nfields > 0 && v->field >= nfields)
		abort();
	if (v->when < 0 || v->when > NOW + EXEC_FUTURE_MAX)
		abort();
}

static void
fuzz_plain(const char *buf, size_t len)
{
	struct exec_value	 v;
	const char		*line;
	size_t			 off = 0, n;
	char			 err[256];
	int			 r;

	while (exec_next_line(buf, len, &off, &line, &n) == 1) {
		if (exec_line_sane(line, n, err, sizeof(err)) == -1) {
			fuzz_check_msg(err, sizeof(err));
			continue;
		}
		r = exec_parse_line(line, n, NOW, &v, err, sizeof(err));
		if (r == 1)
			check_value(&v, 0);
		else if (r == -1)
			fuzz_check_msg(err, sizeof(err));
	}
}

static void
fuzz_munin(const char *buf, size_t len)
{
	struct exec_munin_config	 mc;
	struct exec_value		 v;
	const char			*line;
	size_t				 off = 0, n;
	char				 err[256];
	double				 out;
	int				 values = 0;

	exec_munin_init(&mc);
	while (exec_next_line(buf, len, &off, &line, &n) == 1) {
		if (n == 1 && line[0] == '.') {
			values = 1;
			continue;
		}
		if (exec_line_sane(line, n, err, sizeof(err)) == -1)
			continue;
		if (!values) {
			if (exec_munin_config_line(&mc, line, n, err,
			    sizeof(err)) == -1)
				fuzz_check_msg(err, sizeof(err));
			if (mc.nfields > EXEC_MUNIN_FIELDS_MAX)
				abort();
			continue;
		}
		if (exec_munin_value_line(&mc, line, n, NOW, &v, err,
		    sizeof(err)) == 1) {
			if (v.field >= mc.nfields)
				abort();
			fuzz_check_msg(v.metric, sizeof(v.metric));
			(void)exec_munin_apply(&mc.fields[v.field],
			    v.when != 0 ? v.when : NOW, v.value, &out);
		}
	}
	exec_munin_clear(&mc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*buf;

	if (size < 1 || size > 1 << 16 ||
	    (buf = fuzz_string(data + 1, size - 1)) == NULL)
		return (0);
	if (data[0] & 1)
		fuzz_munin(buf, size - 1);
	else
		fuzz_plain(buf, size - 1);
	free(buf);
	return (0);
}
