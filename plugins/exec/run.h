/*
 * run.h - run one external program for the exec plugin: fork and execve
 * with a given argv and envp (no shell, no PATH search), stdout collected
 * up to a cap, stderr handed over line by line, a deadline enforced with
 * SIGTERM then SIGKILL to the program's process group, and the child
 * always reaped.  tests/unit/test_exec_run.c links run.c alone.
 */
#ifndef EXEC_RUN_H
#define EXEC_RUN_H

#include <sys/types.h>

#include <stddef.h>

#define EXEC_ERR_LINE_MAX	512	/* stderr lines are cut to this */
#define EXEC_REAP_WAIT_MS	5000	/* after SIGKILL, wait this long */

/* Called with each stderr line (no newline, maybe cut, maybe binary). */
typedef void (*exec_line_cb)(void *arg, const char *line, size_t len,
    int cut);

struct exec_spec {
	char *const	*argv;		/* argv[0]: the program's path */
	char *const	*envp;		/* the whole environment */
	const char	*dir;		/* working directory; NULL: keep */
	int		 setuser;	/* switch to uid, gid, groups */
	uid_t		 uid;
	gid_t		 gid;
	const gid_t	*groups;
	size_t		 ngroups;
	unsigned long	 timeout_ms;	/* then SIGTERM to the group */
	unsigned long	 grace_ms;	/* then SIGKILL */
	size_t		 max_output;	/* stdout bytes kept at most */
	exec_line_cb	 err_line;	/* may be NULL */
	void		*arg;
};

struct exec_result {
	char		*out;		/* stdout, NUL-terminated; freed by */
	size_t		 outlen;	/*  exec_result_free */
	pid_t		 pid;
	int		 reaped;	/* status is valid */
	int		 status;	/* as from waitpid */
	int		 exec_errno;	/* the child failed before execve */
	const char	*exec_step;	/* ... in this step */
	int		 timed_out;	/* SIGTERM sent at the deadline */
	int		 killed;	/* SIGKILL sent after the grace */
	int		 flooded;	/* stdout went past max_output */
	size_t		 max_output;	/* from the spec, for messages */
	unsigned long	 timeout_ms;	/* likewise */
	unsigned long	 elapsed_ms;
	unsigned long	 err_lines;	/* stderr lines seen */
};

int	 exec_run(const struct exec_spec *, struct exec_result *);
int	 exec_result_ok(const struct exec_result *);
void	 exec_result_describe(const struct exec_result *, char *, size_t);
void	 exec_result_free(struct exec_result *);
int	 exec_reap(pid_t);
const char *exec_strerror(int, char *, size_t);

#endif /* EXEC_RUN_H */
