/*
 * fuzz_alert.c - libFuzzer target for alert rules and notifier settings:
 * the input is appended to a config that already holds a notifier and a
 * rule, so the fuzzer edits keys of [alert] and [notify] sections (and
 * adds sections) through the real config path; each "key = value" line's
 * value also goes to the value parsers on their own: spans, numbers and
 * percentages, deadlines, webhook URLs, exec command lines and the
 * notice queue's records.
 */
#include <stdio.h>

#include "alertrule.h"
#include "fuzz_conf.h"
#include "util.h"

static const char head[] =
    "[notify fzn]\n"
    "type = log\n"
    "[alert fz]\n"
    "metric = fz.metric\n"
    "notify = fzn\n";

static void
fuzz_value(const char *v)
{
	struct alert_span	 sp;
	struct notify_url	 u;
	struct notify_event	 ev;
	char			 why[256], *copy, **argv;
	double			 d;
	int			 pct, mon, day;

	if (alertrule_span_parse(v, &sp, why, sizeof(why)) == 0) {
		alertrule_span_fmt(why, sizeof(why), &sp);
		fuzz_check_msg(why, sizeof(why));
	}
	if (util_number(v, &d, &pct) == 0 && d != d)
		abort();
	(void)alertrule_deadline_parse(v, &mon, &day, why, sizeof(why));
	if (notify_url_parse(v, &u, why, sizeof(why)) == 0) {
		fuzz_check_msg(u.host, sizeof(u.host));
		fuzz_check_msg(u.path, sizeof(u.path));
		if (u.port < 1 || u.port > 65535)
			abort();
	}
	if (notify_argv_split(v, &argv, why, sizeof(why)) == 0) {
		if (argv[0] == NULL || argv[0][0] != '/')
			abort();
		notify_argv_free(argv);
	}
	(void)alertrule_metric_valid(v);
	if ((copy = strdup(v)) != NULL) {
		(void)notify_record_parse(copy, &ev);
		free(copy);
	}
}

static void
fuzz_values(char *text)
{
	char	*line, *save, *eq;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((eq = strchr(line, '=')) == NULL)
			continue;
		eq++;
		while (*eq == ' ')
			eq++;
		fuzz_value(eq);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text;

	if (size > 1 << 14)
		return (0);
	fuzz_conf_load(head, sizeof(head) - 1, data, size);
	if ((text = fuzz_string(data, size)) != NULL) {
		fuzz_values(text);
		free(text);
	}
	return (0);
}
