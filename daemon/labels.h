/*
 * labels.h - the names people read for series: [labels] in the config,
 * else Vietnamese defaults for the coop and creditfund metrics.  One
 * table for the dashboard, the API and the annual report.
 */
#ifndef TALLY_LABELS_H
#define TALLY_LABELS_H

struct config;
struct config_section;

#define LABELS_MAX	128	/* lines of [labels] */
#define LABEL_MAX	160	/* bytes of a label */

extern const struct config_section labels_section;

void		 labels_set_config(const struct config *);
const char	*labels_get(const char *, int *);
void		 labels_shutdown(void);

#endif
