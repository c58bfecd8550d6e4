/*
 * test_alertconf.c - [alert NAME] and [notify NAME] sections: a full good
 * config read into rules, and each kind of mistake reported as file:line
 * with every error of the file, never just the first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alertconf.h"
#include "config.h"
#include "notify.h"
#include "retention.h"
#include "tap.h"

static char	 dir[256];

static struct config *
load(const char *text, struct config_errors *errs, char *path, size_t len)
{
	FILE	*fp;

	snprintf(path, len, "%s/t.conf", dir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
	return (config_load(path, errs));
}

static void
test_good(void)
{
	static const char text[] =
	    "[notify hook]\n"
	    "type = webhook\n"
	    "url = http://127.0.0.1:9000/x\n"
	    "[notify run]\n"
	    "type = exec\n"
	    "command = /usr/bin/logger -t tally \"alert fired\"\n"
	    "timeout = 3s\n"
	    "[alert coop-falling]\n"
	    "metric = coop.*.revenue.avg.agriculture\n"
	    "kind = change\n"
	    "window = 1y\n"
	    "anchor = calendar\n"
	    "warning = -5%\n"
	    "critical = -10%\n"
	    "min_base = 1000000\n"
	    "hysteresis = 20%\n"
	    "for = 2\n"
	    "every = 1h\n"
	    "notify = hook, run\n"
	    "[alert late]\n"
	    "metric = coop.registry.revenue.avg\n"
	    "kind = absent\n"
	    "deadline = 02-01\n"
	    "warning = 0\n"
	    "critical = 30d\n"
	    "[alert loss]\n"
	    "metric = creditfund.*.funds.loss\n"
	    "critical = 0\n"
	    "clear_below = 0\n"
	    "repeat = 1d\n";
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cf;
	struct alert_conf	*ac;
	struct notify_conf	*nc;
	struct config_item	*it;
	char			 path[512];
	size_t			 i;

	cf = load(text, &errs, path, sizeof(path));
	for (i = 0; i < errs.n; i++)
		printf("#   %s\n", errs.msg[i]);
	ok(cf != NULL, "good alert config loads");
	if (cf == NULL)
		return;
	it = config_next(cf, &alertconf_section, NULL);
	ac = config_data(it);
	ok(strcmp(ac->name, "coop-falling") == 0 && ac->rule.kind ==
	    ALERT_CHANGE && ac->rule.window.months == 12 &&
	    ac->rule.compare.months == 12 && ac->rule.anchor ==
	    ALERT_ANCHOR_CALENDAR && ac->rule.thr[ALERT_CRITICAL] == -10 &&
	    ac->rule.op == ALERT_LT && ac->rule.hyst == 20 &&
	    ac->rule.hyst_pct && ac->rule.for_count == 2 &&
	    ac->rule.every == 3600 && ac->rule.min_base == 1000000 &&
	    ac->enabled, "change rule read");
	ok(ac->nnotify == 2 && strcmp(ac->notify[0], "hook") == 0 &&
	    strcmp(ac->notify[1], "run") == 0, "notify list split");
	it = config_next(cf, &alertconf_section, it);
	ac = config_data(it);
	ok(ac->rule.kind == ALERT_ABSENT && ac->rule.deadline_mon == 2 &&
	    ac->rule.deadline_day == 1 && ac->rule.thr[ALERT_WARNING] == 0 &&
	    ac->rule.thr[ALERT_CRITICAL] == 30 * 86400 &&
	    ac->rule.op == ALERT_GE, "deadline rule: durations in seconds");
	it = config_next(cf, &alertconf_section, it);
	ac = config_data(it);
	ok(ac->rule.has_clear && ac->rule.clear == 0 && ac->rule.repeat ==
	    86400 && ac->rule.op == ALERT_GT, "clear_below and repeat");
	it = config_next(cf, &notify_section, NULL);
	nc = config_data(it);
	ok(nc->type == NOTIFY_WEBHOOK && nc->timeout == 10000 &&
	    nc->retries == 3 && nc->backoff == 1000, "webhook defaults");
	it = config_next(cf, &notify_section, it);
	nc = config_data(it);
	ok(nc->type == NOTIFY_EXEC && nc->timeout == 3000, "exec notifier");
	config_free(cf);
}

static void
test_errors(void)
{
	static const char text[] =
	    "[alert a]\n"				/* 1 */
	    "kind = threshold\n"			/* 2: no metric */
	    "critical = 5\n"
	    "[alert b]\n"				/* 4 */
	    "metric = x.y.z\n"
	    "kind = sometimes\n"			/* 6 */
	    "critical = 1\n"
	    "[alert c]\n"				/* 8 */
	    "metric = x.y.z\n"
	    "deadline = 02-01\n"			/* 10: not absent */
	    "critical = 1\n"
	    "[alert d]\n"				/* 12 */
	    "metric = x.y.z\n"
	    "critical = -10%\n"				/* 14: threshold */
	    "[alert e]\n"				/* 15 */
	    "metric = x.y.z\n"
	    "op = <\n"
	    "critical = 1\n"
	    "clear_below = 2\n"				/* 19 */
	    "[alert f]\n"				/* 20 */
	    "metric = x.y.z\n"
	    "kind = change\n"
	    "window = 1q\n"				/* 23 */
	    "critical = -1\n"
	    "notify = nobody\n"				/* 25 */
	    "[notify g]\n"				/* 26: no type */
	    "[notify h]\n"				/* 27 */
	    "type = exec\n"
	    "command = sh -c true\n"			/* 29 */
	    "[notify i]\n"				/* 30 */
	    "type = webhook\n"
	    "url = ftp://example.org/\n"		/* 32 */
	    "[alert a]\n"				/* 33: duplicate */
	    "metric = ../etc.x.y\n"			/* 34 */
	    "bogus = 1\n"				/* 35 */
	    "critical = 1\n"
	    "[notify j]\n"				/* 37 */
	    "type = webhook\n"
	    "url = http://example.org/\n"
	    "ca_file = /etc/hostname\n"			/* 40 */
	    "[notify k]\n"
	    "type = webhook\n"
	    "url = https://example.org/\n"
	    "ca_file = /nonexistent/ca.pem\n";		/* 44 */
	static const char *const want[] = {
	    ":1: [alert a] needs a metric",
	    ":6: bad value 'sometimes' for kind: use one of threshold, "
	    "change, trend, absent, forecast",
	    ":10: deadline does not apply to kind = threshold",
	    ":14: bad value '-10%' for critical: a percentage needs as = "
	    "percent",
	    ":19: clear_below goes with op > or >=; use clear_above",
	    ":23: bad value '1q' for window: unknown unit (use ms, s, m, h, "
	    "d, w or y) (or Ny, Nmo for calendar years and months)",
	    ":25: unknown notifier 'nobody': no [notify nobody] section",
	    ":26: [notify g] needs type = log, exec or webhook",
	    ":29: bad command: the program must be an absolute path",
	    ":32: bad url 'ftp://example.org/': http:// or https:// URLs only",
	    ":40: ca_file applies to an https:// webhook only",
	    ":44: ca_file /nonexistent/ca.pem: No such file or directory",
	    ":33: duplicate section [alert a] (first at line 1)",
	    NULL };
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cf;
	char			 path[512], name[64];
	size_t			 i, j;
	int			 found;

	cf = load(text, &errs, path, sizeof(path));
	ok(cf == NULL, "bad alert config refused");
	for (i = 0; want[i] != NULL; i++) {
		found = 0;
		for (j = 0; j < errs.n; j++) {
			if (strncmp(errs.msg[j], path, strlen(path)) == 0 &&
			    strcmp(errs.msg[j] + strlen(path), want[i]) == 0)
				found = 1;
		}
		snprintf(name, sizeof(name), "error %s", want[i]);
		ok(found, "%.60s", name);
	}
	for (j = 0; j < errs.n; j++)
		printf("#   %s\n", errs.msg[j]);
	config_errors_clear(&errs);
	config_free(cf);
}

int
main(void)
{
	char	 cmd[300];

	config_register(&retention_section);
	config_register(&alertconf_section);
	config_register(&notify_section);
	snprintf(dir, sizeof(dir), "%s/test_alertconf.XXXXXX",
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return (1);
	}
	test_good();
	test_errors();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return (tap_done());
}
