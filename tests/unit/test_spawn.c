/*
 * test_spawn.c - children start clean: no descriptor of ours leaks past
 * 0-2, they lead their own process group, and /dev/null stands in for -1.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"
#include "tap.h"

/* Run argv with stdout on a pipe; the output in buf, the exit status back. */
static int
run(char *const argv[], char *buf, size_t len)
{
	char	*envp[] = { NULL };
	pid_t	 pid;
	size_t	 used = 0;
	ssize_t	 n;
	int	 p[2], status, error;

	if (pipe2(p, O_CLOEXEC) == -1)
		return (-1);
	error = spawn_process(&pid, argv[0], argv, envp, -1, p[1], -1);
	close(p[1]);
	if (error != 0) {
		close(p[0]);
		errno = error;
		return (-1);
	}
	while (used < len - 1 && (n = read(p[0], buf + used,
	    len - 1 - used)) > 0)
		used += n;
	buf[used] = '\0';
	close(p[0]);
	if (waitpid(pid, &status, 0) == -1)
		return (-1);
	return (status);
}

int
main(void)
{
	static char	 ls0[] = "/bin/ls", ls1[] = "/proc/self/fd";
	static char	 sl0[] = "/bin/sleep", sl1[] = "30";
	static char	 no0[] = "/nonexistent/prog";
	char		 out[4096], fdpath[64];
	char		*ls[] = { ls0, ls1, NULL };
	char		*sleeper[] = { sl0, sl1, NULL };
	char		*nothere[] = { no0, NULL };
	char		*envp[] = { NULL };
	pid_t		 pid;
	int		 leak, status;

	/* A descriptor without close-on-exec, as a careless plugin makes. */
	leak = dup2(open("/dev/null", O_RDONLY), 40);
	ok(leak == 40, "a leaky descriptor open (%d)", leak);
	status = run(ls, out, sizeof(out));
	ok(status == 0, "ls /proc/self/fd ran");
	snprintf(fdpath, sizeof(fdpath), "\n%d\n", leak);
	ok(strstr(out, "0\n1\n2\n") == out,
	    "the child has 0, 1 and 2");
	ok(strstr(out, fdpath) == NULL,
	    "descriptor %d did not leak into the child", leak);

	ok(spawn_process(&pid, sleeper[0], sleeper, envp, -1, -1, -1) == 0,
	    "sleep started");
	ok(getpgid(pid) == pid, "the child leads its own process group");
	ok(kill(-pid, SIGTERM) == 0, "the group can be signalled as one");
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) &&
	    WTERMSIG(status) == SIGTERM, "and the child died of it");

	ok(spawn_process(&pid, nothere[0], nothere, envp, -1, -1, -1) != 0 ||
	    (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 127),
	    "a missing program is an error, not a hang");
	close(leak);
	return (tap_done());
}
