/* util.h - small filesystem helpers shared by the core. */
#ifndef TALLY_UTIL_H
#define TALLY_UTIL_H

#include <sys/types.h>

/* mkdir -p with mode for every directory made; 0 or -1 with errno. */
int	util_mkdirs(const char *path, mode_t mode);

#endif
