/*
 * proc.c - the process side of being a daemon.
 *
 * Order matters (and is main's job): check the config, open the pidfile,
 * then fork; the parent only reports whether the child came up.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "xmalloc.h"

static int	 proc_pidfd = -1;
static char	*proc_pidpath;
static int	 proc_readyfd = -1;

int
proc_pidfile_open(const char *path)
{
	char	 buf[32];
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		fprintf(stderr, "tallyd: pidfile %s: %s\n", path,
		    strerror(errno));
		return (-1);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fprintf(stderr, "tallyd: already running (pid %s, pidfile "
		    "%s)\n", buf[0] != '\0' ? buf : "?", path);
		close(fd);
		return (-1);
	}
	proc_pidfd = fd;
	proc_pidpath = xstrdup(path);
	return (0);
}

void
proc_pidfile_write(void)
{
	char	 buf[32];
	int	 n;

	if (proc_pidfd == -1)
		return;
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(proc_pidfd, 0) == -1 ||
	    pwrite(proc_pidfd, buf, n, 0) != n)
		log_warn("pidfile %s", proc_pidpath);
}

void
proc_pidfile_remove(void)
{
	if (proc_pidfd == -1)
		return;
	/*
	 * After dropping privileges the unlink may fail (the directory is
	 * root's): then empty the file through the descriptor we still hold,
	 * so no one reads a stale pid.  The lock ends with the close.
	 */
	if (unlink(proc_pidpath) == -1 && errno != ENOENT) {
		log_debug("pidfile %s: cannot remove; emptied", proc_pidpath);
		(void)!ftruncate(proc_pidfd, 0);
	}
	close(proc_pidfd);
	proc_pidfd = -1;
	free(proc_pidpath);
	proc_pidpath = NULL;
}

void
proc_daemonize(void)
{
	int	 fds[2], status, devnull;
	char	 c;
	pid_t	 pid;

	if (pipe2(fds, O_CLOEXEC) == -1)
		fatal("pipe");
	switch ((pid = fork())) {
	case -1:
		fatal("fork");
	case 0:
		break;
	default:
		close(fds[1]);
		if (read(fds[0], &c, 1) == 1)
			_exit(0);
		/* The child died before it was ready: say how. */
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status) != 0 ?
			    WEXITSTATUS(status) : 1);
		_exit(1);
	}
	close(fds[0]);
	proc_readyfd = fds[1];
	if (setsid() == -1)
		fatal("setsid");
	/* A second fork would lose the ready pipe's simple contract: none. */
	if (chdir("/") == -1)
		fatal("chdir /");
	if ((devnull = open("/dev/null", O_RDWR)) == -1)
		fatal("/dev/null");
	dup2(devnull, STDIN_FILENO);
	dup2(devnull, STDOUT_FILENO);
	if (devnull > STDERR_FILENO)
		close(devnull);
}

void
proc_ready(void)
{
	int	 devnull;

	if (proc_readyfd == -1)
		return;
	/* stderr stayed open until now so early fatal errors were seen. */
	if ((devnull = open("/dev/null", O_RDWR)) != -1) {
		dup2(devnull, STDERR_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
	(void)!write(proc_readyfd, "", 1);
	close(proc_readyfd);
	proc_readyfd = -1;
}

int
proc_user(const char *name, uid_t *uid, gid_t *gid)
{
	struct passwd	 pw, *res;
	char		 buf[4096];

	if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return (-1);
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return (0);
}

void
proc_drop(const char *name, uid_t uid, gid_t gid)
{
	if (getuid() == uid)
		return;
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		fatal("cannot drop privileges to %s", name);
	if (setuid(0) != -1)
		fatalx("privileges not dropped: setuid(0) succeeded");
	log_info("running as %s", name);
}
