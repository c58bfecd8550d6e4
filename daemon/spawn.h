/* spawn.h - start a program the way every child of tallyd starts. */
#ifndef TALLY_SPAWN_H
#define TALLY_SPAWN_H

#include <sys/types.h>

/*
 * posix_spawn path with argv and envp: no shell, in its own process group
 * (so a timeout can kill everything it started), signals unblocked and at
 * their defaults, and no descriptor of ours beyond 0, 1 and 2.  fd0, fd1
 * and fd2 become its stdin, stdout and stderr; -1 means /dev/null.
 * Returns 0 with *pid set, or an errno value.
 */
int	spawn_process(pid_t *pid, const char *path, char *const argv[],
	    char *const envp[], int fd0, int fd1, int fd2);

#endif
