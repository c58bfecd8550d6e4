/*
 * prom.h - the Prometheus HTTP query API of the gateway, for Grafana
 * (docs/PROMETHEUS.md).
 */
#ifndef TALLY_PROM_H
#define TALLY_PROM_H

#include <stddef.h>

struct promql_labels;

/* A series' Prometheus labels (names_prom): __name__ and instance. */
int	prom_series_labels(const char *series, struct promql_labels *);

/*
 * Loop thread, after http_start: serve the API's paths.  /api/v1/series
 * belongs to the API when it carries match[] or is a POST; tallyd's own
 * /api/v1/series (metric=) keeps the rest.
 */
void	prom_start(void);

#endif
