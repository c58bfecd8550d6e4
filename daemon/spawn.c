/*
 * spawn.c - the one way tallyd starts a program (exec notifiers, render
 * helpers).  posix_spawn rather than fork: the daemon has threads and a
 * large address space, and vfork-style spawning copies neither.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

#include "spawn.h"

/* Make fd the child's descriptor target, or /dev/null when fd is -1. */
static int
spawn_stdio(posix_spawn_file_actions_t *fa, int fd, int target)
{
	if (fd == -1)
		return (posix_spawn_file_actions_addopen(fa, target,
		    "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0));
	return (posix_spawn_file_actions_adddup2(fa, fd, target));
}

int
spawn_process(pid_t *pid, const char *path, char *const argv[],
    char *const envp[], int fd0, int fd1, int fd2)
{
	posix_spawn_file_actions_t	 fa;
	posix_spawnattr_t		 at;
	sigset_t			 none, all;
	int				 error;

	sigemptyset(&none);
	sigfillset(&all);
	if ((error = posix_spawn_file_actions_init(&fa)) != 0)
		return (error);
	if ((error = posix_spawnattr_init(&at)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return (error);
	}
	if ((error = spawn_stdio(&fa, fd0, 0)) != 0 ||
	    (error = spawn_stdio(&fa, fd1, 1)) != 0 ||
	    (error = spawn_stdio(&fa, fd2, 2)) != 0)
		goto out;
	/*
	 * Plugins and libraries may open descriptors without close-on-exec;
	 * none of them is the child's business.
	 */
#if defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 34)
	if ((error = posix_spawn_file_actions_addclosefrom_np(&fa, 3)) != 0)
		goto out;
#endif
#endif
	if ((error = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)) != 0 ||
	    (error = posix_spawnattr_setsigmask(&at, &none)) != 0 ||
	    (error = posix_spawnattr_setsigdefault(&at, &all)) != 0 ||
	    (error = posix_spawnattr_setpgroup(&at, 0)) != 0)
		goto out;
	error = posix_spawn(pid, path, &fa, &at, argv, envp);
out:
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return (error);
}
