/*
 * test_exec_run.c - the exec plugin's runner, linked alone, on real
 * programs: output and stderr lines, exit codes and signals, the deadline
 * (SIGTERM, then SIGKILL for a program that ignores it), output floods,
 * a program that cannot start, the clean environment, closed descriptors,
 * signal state reset in the child, a background child that must not
 * hold the run, and a program whose runner dies.  The test makes itself a child subreaper so it can see
 * how orphaned grandchildren ended.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"
#include "tap.h"

#define SH	"/bin/sh"

struct lines {
	int	 n;
	size_t	 len[8];
	int	 cut[8];
	char	 text[8][64];
};

static char	 env_path[] = "PATH=/usr/bin:/bin", env_only[] = "ONLY_THIS=1";
static char	*test_env[] = { env_path, env_only, NULL };
static char	 arg_sh[] = SH, arg_c[] = "-c", arg_env[] = "/usr/bin/env";
static char	 arg_pwd[] = "/bin/pwd", arg_id[] = "/usr/bin/id";
static char	 arg_missing[] = "/nonexistent/prog";

static void
collect(void *arg, const char *line, size_t len, int cut)
{
	struct lines	*l = arg;

	if (l->n < 8) {
		l->len[l->n] = len;
		l->cut[l->n] = cut;
		snprintf(l->text[l->n], sizeof(l->text[0]), "%.*s",
		    (int)(len < 63 ? len : 63), line);
	}
	l->n++;
}

/* Run sh -c SCRIPT with a deadline; stderr lines into *l if not NULL. */
static int
run_sh(const char *script, unsigned long timeout_ms, size_t max_output,
    struct lines *l, struct exec_result *res)
{
	char			*argv[] = { arg_sh, arg_c, NULL, NULL };
	struct exec_spec	 sp;
	int			 rc;

	if ((argv[2] = strdup(script)) == NULL)
		return (-1);
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.envp = test_env;
	sp.timeout_ms = timeout_ms;
	sp.grace_ms = 300;
	sp.max_output = max_output;
	sp.err_line = l != NULL ? collect : NULL;
	sp.arg = l;
	rc = exec_run(&sp, res);
	free(argv[2]);
	return (rc);
}

static int
gone(pid_t pid)
{
	return (waitpid(pid, NULL, WNOHANG) == -1 && errno == ECHILD);
}

static void
test_output(void)
{
	struct exec_result	 r;
	struct lines		 l;
	char			 why[256];

	memset(&l, 0, sizeof(l));
	ok(run_sh("echo 'load 1'; echo oops >&2; printf 'x 2'", 5000, 65536,
	    &l, &r) == 0, "runs");
	ok(exec_result_ok(&r), "exit 0 is ok");
	is_str(r.out, "load 1\nx 2", "stdout collected");
	ok(l.n == 1 && strcmp(l.text[0], "oops") == 0, "one stderr line");
	ok(gone(r.pid), "child reaped");
	exec_result_describe(&r, why, sizeof(why));
	ok(strstr(why, "exited with status 0") != NULL, "describe: %s", why);
	exec_result_free(&r);

	memset(&l, 0, sizeof(l));
	run_sh("head -c 2000 /dev/zero | tr '\\0' x >&2; echo >&2; "
	    "echo next >&2; printf tail >&2", 5000, 65536, &l, &r);
	ok(l.n == 3 && l.cut[0] && l.len[0] == EXEC_ERR_LINE_MAX,
	    "2000-byte stderr line cut to %d", EXEC_ERR_LINE_MAX);
	ok(l.n == 3 && strcmp(l.text[1], "next") == 0 && !l.cut[1],
	    "next line whole");
	ok(l.n == 3 && strcmp(l.text[2], "tail") == 0,
	    "unterminated last line kept");
	is_int(r.err_lines, 3, "three stderr lines counted");
	exec_result_free(&r);
}

static void
test_status(void)
{
	struct exec_result	 r;
	char			 why[256];

	run_sh("exit 3", 5000, 65536, NULL, &r);
	ok(!exec_result_ok(&r), "exit 3 is a failure");
	exec_result_describe(&r, why, sizeof(why));
	ok(strstr(why, "exited with status 3") != NULL, "describe: %s", why);
	exec_result_free(&r);

	run_sh("kill -SEGV $$", 5000, 65536, NULL, &r);
	ok(!exec_result_ok(&r), "a crash is a failure");
	exec_result_describe(&r, why, sizeof(why));
	ok(strstr(why, "killed by signal 11 (SEGV)") != NULL, "describe: %s",
	    why);
	exec_result_free(&r);
}

static void
test_cannot_start(void)
{
	char			*argv[] = { arg_missing, NULL };
	struct exec_spec	 sp;
	struct exec_result	 r;
	char			 why[256];

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.envp = test_env;
	sp.timeout_ms = 5000;
	sp.max_output = 1024;
	ok(exec_run(&sp, &r) == 0, "exec_run returns for a missing program");
	is_int(r.exec_errno, ENOENT, "ENOENT reported from the child");
	exec_result_describe(&r, why, sizeof(why));
	ok(strstr(why, "execve: No such file") != NULL, "describe: %s", why);
	ok(r.reaped && gone(r.pid), "child reaped");
	exec_result_free(&r);
}

static void
test_timeout(void)
{
	struct exec_result	 r;
	char			 why[256];
	pid_t			 bg;
	int			 st;

	run_sh("sleep 30 & echo $!; wait", 400, 65536, NULL, &r);
	bg = (pid_t)atol(r.out);
	ok(r.timed_out && !r.killed, "timed out, SIGTERM was enough");
	ok(r.elapsed_ms >= 400 && r.elapsed_ms < 2000, "stopped in time "
	    "(%lu ms)", r.elapsed_ms);
	ok(r.reaped && gone(r.pid), "timed-out child reaped, no zombie");
	ok(bg > 0 && waitpid(bg, &st, 0) == bg && WIFSIGNALED(st) &&
	    WTERMSIG(st) == SIGTERM, "its background sleep got SIGTERM too");
	exec_result_describe(&r, why, sizeof(why));
	ok(strstr(why, "timed out after 400 ms (SIGTERM)") != NULL,
	    "describe: %s", why);
	exec_result_free(&r);

	run_sh("trap '' TERM; echo started; while :; do sleep 0.05; done",
	    300, 65536, NULL, &r);
	ok(r.timed_out && r.killed, "TERM ignored: SIGKILL after the grace");
	ok(r.elapsed_ms >= 600 && r.elapsed_ms < 3000, "in timeout + grace "
	    "(%lu ms)", r.elapsed_ms);
	ok(r.reaped && WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL,
	    "ended by SIGKILL");
	ok(gone(r.pid), "and reaped");
	exec_result_free(&r);
}

static void
test_flood(void)
{
	struct exec_result	 r;
	char			 why[256];

	run_sh("yes 0123456789", 10000, 65536, NULL, &r);
	ok(r.flooded && !exec_result_ok(&r), "output flood stopped");
	is_int(r.outlen, 65536, "kept exactly max_output bytes");
	ok(r.elapsed_ms < 3000, "quickly (%lu ms)", r.elapsed_ms);
	/* Killed, or its shell reporting the SIGPIPE or TERM it died of. */
	ok(r.reaped && (WIFSIGNALED(r.status) || (WIFEXITED(r.status) &&
	    WEXITSTATUS(r.status) > 128)), "writer ended by a signal");
	exec_result_describe(&r, why, sizeof(why));
	ok(strstr(why, "more than 65536 bytes") != NULL, "describe: %s", why);
	exec_result_free(&r);
}

static void
test_environment(void)
{
	char			*argv[] = { arg_env, NULL };
	struct exec_spec	 sp;
	struct exec_result	 r;

	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.envp = test_env;
	sp.timeout_ms = 5000;
	sp.max_output = 65536;
	exec_run(&sp, &r);
	is_str(r.out, "PATH=/usr/bin:/bin\nONLY_THIS=1\n",
	    "child sees exactly envp");
	exec_result_free(&r);

	sp.dir = "/tmp";	/* make check's own HOME, TERM... must not show */
	argv[0] = arg_pwd;
	exec_run(&sp, &r);
	is_str(r.out, "/tmp\n", "runs in the given directory");
	exec_result_free(&r);
}

static void
test_fds_and_signals(void)
{
	struct exec_result	 r;
	sigset_t		 set;
	int			 fd;

	fd = open("/dev/null", O_RDONLY);	/* no O_CLOEXEC on purpose */
	ok(fd != -1 && dup2(fd, 42) == 42, "fd 42 open without CLOEXEC");
	run_sh("ls /proc/$$/fd | tr '\\n' ' '", 5000, 65536, NULL, &r);
	ok(strncmp(r.out, "0 1 2 ", 6) == 0 && strstr(r.out, "42") == NULL,
	    "child has only 0 1 2 (and its own): %s", r.out);
	exec_result_free(&r);
	close(42);
	close(fd);

	run_sh("cat; echo end", 5000, 65536, NULL, &r);
	is_str(r.out, "end\n", "stdin is /dev/null");
	exec_result_free(&r);

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	run_sh("grep -E '^Sig(Blk|Ign)' /proc/self/status | tr '\\t\\n' ' '",
	    5000, 65536, NULL, &r);
	is_str(r.out, "SigBlk: 0000000000000000 SigIgn: 0000000000000000 ",
	    "nothing blocked or ignored in the child (here SIGTERM is "
	    "blocked, SIGPIPE ignored)");
	exec_result_free(&r);

	run_sh("sleep 30", 300, 65536, NULL, &r);
	ok(r.timed_out && !r.killed && WIFSIGNALED(r.status) &&
	    WTERMSIG(r.status) == SIGTERM, "SIGTERM blocked here, not in the "
	    "child");
	exec_result_free(&r);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

static void
test_background(void)
{
	struct exec_result	 r;
	pid_t			 bg;
	int			 st;

	run_sh("sleep 20 & echo $!", 10000, 65536, NULL, &r);
	bg = (pid_t)atol(r.out);
	ok(exec_result_ok(&r), "background child: the run is ok");
	ok(r.elapsed_ms < 2000, "and does not wait for it (%lu ms)",
	    r.elapsed_ms);
	ok(bg > 0 && waitpid(bg, &st, 0) == bg && WIFSIGNALED(st) &&
	    WTERMSIG(st) == SIGKILL, "the leftover was killed");
	exec_result_free(&r);
}

/* Helper's stderr callback: pass the line (a pid) to the test. */
static void
forward(void *arg, const char *line, size_t len, int cut)
{
	(void)!write(*(int *)arg, line, len);
}

/* A killed tallyd must not leave its program running. */
static void
test_parent_death(void)
{
	char			*argv[] = { arg_sh, arg_c, NULL, NULL };
	struct exec_spec	 sp;
	struct exec_result	 r;
	char			 buf[32];
	pid_t			 helper, prog = 0;
	int			 p[2], st = 0, i;
	ssize_t			 n;

	if (pipe(p) == -1 || (helper = fork()) == -1)
		return;
	if (helper == 0) {	/* plays tallyd: a run that would take 30 s */
		argv[2] = strdup("echo $$ >&2; exec sleep 30");
		memset(&sp, 0, sizeof(sp));
		sp.argv = argv;
		sp.envp = test_env;
		sp.timeout_ms = 60000;
		sp.max_output = 1024;
		sp.err_line = forward;
		sp.arg = &p[1];
		exec_run(&sp, &r);
		_exit(0);
	}
	close(p[1]);
	if ((n = read(p[0], buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		prog = (pid_t)atol(buf);
	}
	close(p[0]);
	kill(helper, SIGKILL);
	waitpid(helper, NULL, 0);
	for (i = 0; i < 300 && prog > 0; i++) {	/* up to 3 s */
		if (waitpid(prog, &st, WNOHANG) == prog)
			break;
		usleep(10000);
	}
	ok(prog > 0 && i < 300 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "program killed when the process running it dies");
	if (prog > 0 && i == 300) {
		kill(prog, SIGKILL);
		waitpid(prog, NULL, 0);
	}
}

static void
test_user(void)
{
	char			*argv[] = { arg_id, NULL };
	gid_t			 groups[] = { 65534 };
	struct exec_spec	 sp;
	struct exec_result	 r;

	if (geteuid() != 0) {
		printf("ok %d - # SKIP not root: user switch untested\n",
		    ++tap_n);
		return;
	}
	memset(&sp, 0, sizeof(sp));
	sp.argv = argv;
	sp.envp = test_env;
	sp.timeout_ms = 5000;
	sp.max_output = 65536;
	sp.setuser = 1;
	sp.uid = 65534;
	sp.gid = 65534;
	sp.groups = groups;
	sp.ngroups = 1;
	exec_run(&sp, &r);
	ok(strncmp(r.out, "uid=65534(", 10) == 0 &&
	    strstr(r.out, "gid=65534(") != NULL && strstr(r.out, "groups="
	    "65534(") != NULL && strstr(r.out, ",") == NULL,
	    "runs as uid, gid and groups 65534: %s", r.out);
	exec_result_free(&r);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);	/* as the daemon does */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
		perror("prctl");
	test_output();
	test_status();
	test_cannot_start();
	test_timeout();
	test_flood();
	test_environment();
	test_fds_and_signals();
	test_background();
	test_parent_death();
	test_user();
	return (tap_done());
}
