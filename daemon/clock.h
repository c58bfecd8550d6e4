/* clock.h - the core's one time type: milliseconds. */
#ifndef TALLY_CLOCK_H
#define TALLY_CLOCK_H

#include <stdint.h>

typedef int64_t msec_t;

msec_t	clock_mono(void);	/* CLOCK_MONOTONIC, for schedules and deadlines */
msec_t	clock_wall(void);	/* CLOCK_REALTIME, for value timestamps */

#endif
