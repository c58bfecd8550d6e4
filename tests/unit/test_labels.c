/*
 * test_labels.c - friendly series labels: [labels] lines win, the
 * built-in Vietnamese label of a coop or creditfund metric serves any
 * instance, other series have none; bad and duplicate lines are refused
 * at their line; a reload replaces the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "labels.h"
#include "retention.h"
#include "tap.h"

static char	 dir[] = "/tmp/test_labels.XXXXXX";

static struct config *
load(const char *text, struct config_errors *errs)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/t.conf", dir);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF)
		abort();
	return (config_load(path, errs));
}

int
main(void)
{
	struct config_errors	 errs = { NULL, 0 };
	struct config		*cf;
	const char		*l;
	int			 set;
	size_t			 i;

	if (mkdtemp(dir) == NULL)
		return (1);
	config_register(&retention_section);
	config_register(&labels_section);
	cf = load("[labels]\n"
	    "coop.registry.revenue.avg.agriculture = Doanh thu bình quân HTX "
	    "NN\n"
	    "traffic.site.online = Người đang xem trang\n", &errs);
	for (i = 0; i < errs.n; i++)
		printf("# %s\n", errs.msg[i]);
	ok(cf != NULL, "a config with [labels] loads");
	labels_set_config(cf);
	l = labels_get("coop.registry.revenue.avg.agriculture", &set);
	ok(l != NULL && strcmp(l, "Doanh thu bình quân HTX NN") == 0 && set,
	    "a configured label wins: %s", l ? l : "(null)");
	l = labels_get("coop.other.revenue.avg.agriculture", &set);
	ok(l != NULL && strcmp(l, "Doanh thu bình quân HTX nông nghiệp "
	    "(đồng)") == 0 && !set, "another instance: the built-in label");
	l = labels_get("creditfund.funds.roa", &set);
	ok(l != NULL && strcmp(l, "Tỷ suất lợi nhuận trên tài sản (%)") == 0,
	    "creditfund: built-in");
	l = labels_get("traffic.site.online", &set);
	ok(l != NULL && set, "any series may be labelled");
	ok(labels_get("traffic.site.hits", NULL) == NULL,
	    "a series with no label: NULL");
	ok(labels_get("coop", NULL) == NULL && labels_get("coop.x", NULL) ==
	    NULL, "names without a metric: NULL");
	ok(labels_get("coopx.registry.members", NULL) == NULL,
	    "the plugin must match whole");
	config_free(cf);

	cf = load("[labels]\nfoo = x\n"
	    "coop.a.members = Thành viên\ncoop.a.members = Hội viên\n", &errs);
	ok(cf == NULL && errs.n == 2, "bad and duplicate lines refused");
	ok(errs.n == 2 && strstr(errs.msg[0], "t.conf:2: bad label 'foo = x'")
	    != NULL, "a bad name at its line: %s", errs.n ? errs.msg[0] : "");
	ok(errs.n == 2 && strstr(errs.msg[1], "t.conf:4: duplicate label for "
	    "'coop.a.members' in [labels] (first at line 3)") != NULL,
	    "a duplicate at its line: %s", errs.n > 1 ? errs.msg[1] : "");
	config_errors_clear(&errs);

	cf = load("# no labels\n", &errs);
	labels_set_config(cf);
	l = labels_get("coop.registry.revenue.avg.agriculture", &set);
	ok(l != NULL && !set, "a reload without [labels]: built-in again");
	config_free(cf);
	labels_shutdown();
	{
		char	 p[300];

		snprintf(p, sizeof(p), "%s/t.conf", dir);
		unlink(p);
		rmdir(dir);
	}
	return (tap_done());
}
