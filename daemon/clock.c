/* clock.c - monotonic and wall clocks in milliseconds. */
#include <time.h>

#include "clock.h"
#include "log.h"

static msec_t
clock_read(clockid_t id)
{
	struct timespec	 ts;

	if (clock_gettime(id, &ts) == -1)
		fatal("clock_gettime");
	return ((msec_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

msec_t
clock_mono(void)
{
	return (clock_read(CLOCK_MONOTONIC));
}

msec_t
clock_wall(void)
{
	return (clock_read(CLOCK_REALTIME));
}
