/*
 * alertconf.h - the [alert NAME] sections of the config: what the file
 * says, checked and parsed into a struct alertrule (alertrule.h) when the
 * section ends.  alert.c runs the rules of the config in force.
 */
#ifndef TALLY_ALERTCONF_H
#define TALLY_ALERTCONF_H

#include "alertrule.h"

struct config_section;

/* One [alert NAME] section. */
struct alert_conf {
	char			*name;
	char			*metric;	/* a series name or a glob */
	int			 enabled;
	struct alertrule	 rule;		/* complete once loaded */
	char			**notify;	/* [notify NAME]s to tell */
	size_t			 nnotify;
	int			 line;		/* of the section header */
	/* as written; parsed into rule when the section ends */
	char			*window, *compare, *per, *period;
	char			*deadline, *warning, *critical, *hysteresis;
	char			*notify_list;
	int			 notify_line;
	double			 clear_below, clear_above;
};

extern const struct config_section alertconf_section;

#endif
