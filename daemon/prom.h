/*
 * prom.h - the Prometheus HTTP query API of the gateway, for Grafana
 * (docs/PROMETHEUS.md), and the one naming of series that it and the
 * /metrics exposition share.
 */
#ifndef TALLY_PROM_H
#define TALLY_PROM_H

#include <stddef.h>

struct evhttp_request;
struct promql_labels;

/*
 * The Prometheus name of series "plugin.instance.metric":
 * tally_PLUGIN_METRIC with '.' and '-' as '_' into name, and (if sample
 * is not NULL) that name with {instance="INSTANCE"} into sample.  -1 if
 * the name is not a valid series name.
 */
int	prom_series_name(char *name, size_t namelen, char *sample,
	    size_t samplelen, const char *series);
/* The same as a label set: __name__ and instance.  -1 if invalid. */
int	prom_series_labels(const char *series, struct promql_labels *);

/*
 * Loop thread: answer req if path is an endpoint of the API (then 1).
 * /api/v1/series belongs to the API when it carries match[] or is a
 * POST; tallyd's own /api/v1/series (metric=) keeps the rest.
 */
int	prom_route(struct evhttp_request *, const char *path);

#endif
