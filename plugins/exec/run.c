/*
 * run.c - run one external program and collect what it says.
 *
 * DESIGN
 * fork, then in the child only async-signal-safe calls: default signal
 * dispositions and an empty mask, a process group of its own, stdin from
 * /dev/null, stdout and stderr to pipes, chdir, optional setgroups /
 * setresgid / setresuid, SIGKILL on the death of the forking thread (so a
 * killed tallyd leaves no program behind), every other descriptor closed
 * (close_range, or a loop), execve of an absolute path with a complete
 * envp.  A failure
 * before execve is written down a close-on-exec pipe, so the parent can
 * tell "cannot execute" from "exited 127".
 *
 * The parent polls stdout, stderr, that pipe and a pidfd (when the kernel
 * has one) against a monotonic deadline.  The run ends when the program
 * exits, not at EOF: a background child that keeps a pipe open cannot
 * hold the read.  Whatever is left of the group is then killed, the pipes
 * drained and the program reaped.  At the deadline, or when stdout passes
 * the cap, the group gets SIGTERM, after the grace SIGKILL; a program
 * that still has not exited EXEC_REAP_WAIT_MS later is reported, and the
 * caller reaps it later with exec_reap().  No state outside the call.
 */
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define EXEC_CHUNK	16384
#define EXEC_FDS_MAX	65536	/* fallback close loop goes this far */

enum exec_step {
	EXEC_STEP_DUP = 1,
	EXEC_STEP_CHDIR,
	EXEC_STEP_SETGROUPS,
	EXEC_STEP_SETGID,
	EXEC_STEP_SETUID,
	EXEC_STEP_PDEATHSIG,
	EXEC_STEP_EXECVE
};

struct exec_child_err {
	int	 step;
	int	 err;
};

/* The parent's side of one run. */
struct exec_io {
	const struct exec_spec	*sp;
	struct exec_result	*res;
	int			 out, err, errp, pidfd;
	size_t			 outcap;
	char			 line[EXEC_ERR_LINE_MAX];
	size_t			 linelen;
	int			 skipping;	/* rest of a cut line */
	int			 exited;	/* the program has ended */
	int			 phase;		/* 0 run, 1 TERM, 2 KILL */
	unsigned long long	 start, next;
};

const char *
exec_strerror(int e, char *buf, size_t len)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return (strerror_r(e, buf, len));
#else
	if (strerror_r(e, buf, len) != 0)
		snprintf(buf, len, "error %d", e);
	return (buf);
#endif
}

static unsigned long long
exec_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((unsigned long long)ts.tv_sec * 1000 +
	    (unsigned long long)ts.tv_nsec / 1000000);
}

/* Report a failed step to the parent and end the child (no stdio). */
static void __attribute__((noreturn))
exec_child_fail(int errp, int step)
{
	struct exec_child_err	 ce;

	ce.step = step;
	ce.err = errno;
	(void)!write(errp, &ce, sizeof(ce));
	_exit(127);
}

/* Close every descriptor from 3 up but keep; close_range when we can. */
static void
exec_close_from(int keep, int maxfd)
{
	int	 fd;

#ifdef SYS_close_range
	if ((keep == 3 || syscall(SYS_close_range, 3U, (unsigned)keep - 1,
	    0U) == 0) && syscall(SYS_close_range, (unsigned)keep + 1, ~0U,
	    0U) == 0)
		return;
#endif
	for (fd = 3; fd < maxfd; fd++) {
		if (fd != keep)
			close(fd);
	}
}

/*
 * Default action for every signal and none blocked, whatever tallyd (or
 * whoever started it) ignores.  glibc refuses to touch the two signals it
 * keeps for itself; the raw system call resets those too.
 */
static void
exec_child_signals(void)
{
	struct sigaction	 sa;
	sigset_t		 none;
	int			 sig;
#if defined(__linux__) && defined(SYS_rt_sigaction)
	unsigned long		 ksa[8];	/* kernel's: all zero = SIG_DFL */
#endif

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP ||
		    sigaction(sig, &sa, NULL) == 0)
			continue;
#if defined(__linux__) && defined(SYS_rt_sigaction)
		memset(ksa, 0, sizeof(ksa));
		(void)syscall(SYS_rt_sigaction, sig, ksa, NULL,
		    (size_t)(NSIG - 1) / 8);
#endif
	}
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The child, between fork and execve: async-signal-safe calls only. */
static void __attribute__((noreturn))
exec_child(const struct exec_spec *sp, int devnull, int outw, int errw,
    int errp, int maxfd, pid_t parent)
{
	exec_child_signals();
	(void)setpgid(0, 0);
	if ((devnull != -1 && dup2(devnull, STDIN_FILENO) == -1) ||
	    dup2(outw, STDOUT_FILENO) == -1 || dup2(errw, STDERR_FILENO) == -1)
		exec_child_fail(errp, EXEC_STEP_DUP);
	if (sp->dir != NULL && chdir(sp->dir) == -1)
		exec_child_fail(errp, EXEC_STEP_CHDIR);
	if (sp->setuser) {
		if (setgroups(sp->ngroups, sp->groups) == -1)
			exec_child_fail(errp, EXEC_STEP_SETGROUPS);
		if (setresgid(sp->gid, sp->gid, sp->gid) == -1)
			exec_child_fail(errp, EXEC_STEP_SETGID);
		if (setresuid(sp->uid, sp->uid, sp->uid) == -1)
			exec_child_fail(errp, EXEC_STEP_SETUID);
	}
#ifdef PR_SET_PDEATHSIG
	/* If the thread waiting for us dies (tallyd killed), so do we. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		exec_child_fail(errp, EXEC_STEP_PDEATHSIG);
#endif
	exec_close_from(errp, maxfd);
	execve(sp->argv[0], sp->argv, sp->envp);
	exec_child_fail(errp, EXEC_STEP_EXECVE);
}

static const char *
exec_step_name(int step)
{
	static const char	*names[] = { "?", "dup2", "chdir", "setgroups",
	    "setresgid", "setresuid", "prctl", "execve" };

	return (step > 0 && step <= EXEC_STEP_EXECVE ? names[step] : "?");
}

static void
exec_close(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

/* Pipes, fork, and the parent's half of the set-up.  0, or -1 (errno). */
static int
exec_spawn(struct exec_io *io, int maxfd)
{
	int	 outp[2] = { -1, -1 }, errpp[2] = { -1, -1 };
	int	 ep[2] = { -1, -1 }, devnull, saved;
	pid_t	 pid, parent = getpid();

	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (pipe2(outp, O_CLOEXEC) == -1 || pipe2(errpp, O_CLOEXEC) == -1 ||
	    pipe2(ep, O_CLOEXEC) == -1 || (pid = fork()) == -1) {
		saved = errno;
		exec_close(&outp[0]), exec_close(&outp[1]);
		exec_close(&errpp[0]), exec_close(&errpp[1]);
		exec_close(&ep[0]), exec_close(&ep[1]);
		exec_close(&devnull);
		errno = saved;
		return (-1);
	}
	if (pid == 0)
		exec_child(io->sp, devnull, outp[1], errpp[1], ep[1], maxfd,
		    parent);
	(void)setpgid(pid, pid);	/* either side may win the race */
	io->res->pid = pid;
	exec_close(&outp[1]);
	exec_close(&errpp[1]);
	exec_close(&ep[1]);
	exec_close(&devnull);
	io->out = outp[0];
	io->err = errpp[0];
	io->errp = ep[0];
	(void)fcntl(io->out, F_SETFL, O_NONBLOCK);
	(void)fcntl(io->err, F_SETFL, O_NONBLOCK);
#ifdef SYS_pidfd_open
	io->pidfd = (int)syscall(SYS_pidfd_open, pid, 0U);
#endif
	return (0);
}

/* Signal the program's group (and the program, if the group is gone). */
static void
exec_signal(struct exec_io *io, int sig)
{
	if (kill(-io->res->pid, sig) == -1 && !io->res->reaped)
		(void)kill(io->res->pid, sig);
}

/* Next step of SIGTERM, grace, SIGKILL, give up; returns 0 to give up. */
static int
exec_escalate(struct exec_io *io, unsigned long long now)
{
	switch (io->phase++) {
	case 0:
		exec_signal(io, SIGTERM);
		io->next = now + io->sp->grace_ms;
		return (1);
	case 1:
		exec_signal(io, SIGKILL);
		io->res->killed = 1;
		io->next = now + EXEC_REAP_WAIT_MS;
		return (1);
	default:
		return (0);
	}
}

/* Read what stdout has; past the cap, close it and mark a flood. */
static void
exec_read_out(struct exec_io *io)
{
	struct exec_result	*r = io->res;
	size_t			 room;
	ssize_t			 n;
	char			*p;

	for (;;) {
		if (r->outlen + EXEC_CHUNK + 1 > io->outcap &&
		    io->outcap < io->sp->max_output + 1) {
			io->outcap = io->outcap == 0 ? EXEC_CHUNK * 2 :
			    io->outcap * 2;
			if (io->outcap > io->sp->max_output + 1)
				io->outcap = io->sp->max_output + 1;
			if ((p = realloc(r->out, io->outcap)) == NULL) {
				r->flooded = 1;
				exec_close(&io->out);
				return;
			}
			r->out = p;
		}
		room = io->outcap - r->outlen;
		if ((n = read(io->out, r->out + r->outlen, room)) > 0) {
			r->outlen += (size_t)n;
			if (r->outlen > io->sp->max_output) {
				r->outlen = io->sp->max_output;
				r->flooded = 1;
				exec_close(&io->out);
				return;
			}
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			exec_close(&io->out);
		if (n == -1 && errno == EINTR)
			continue;
		return;
	}
}

static void
exec_emit(struct exec_io *io, int cut)
{
	size_t	 n = io->linelen;

	if (n > 0 && io->line[n - 1] == '\r')
		n--;
	io->res->err_lines++;
	if (io->sp->err_line != NULL)
		io->sp->err_line(io->sp->arg, io->line, n, cut);
	io->linelen = 0;
}

/* Cut stderr into lines of at most EXEC_ERR_LINE_MAX bytes. */
static void
exec_err_bytes(struct exec_io *io, const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			if (!io->skipping)
				exec_emit(io, 0);
			io->skipping = 0;
			io->linelen = 0;
		} else if (io->skipping)
			continue;
		else if (io->linelen == sizeof(io->line)) {
			exec_emit(io, 1);
			io->skipping = 1;
		} else
			io->line[io->linelen++] = p[i];
	}
}

static void
exec_read_err(struct exec_io *io)
{
	char	 buf[EXEC_CHUNK];
	ssize_t	 n;

	for (;;) {
		if ((n = read(io->err, buf, sizeof(buf))) > 0) {
			exec_err_bytes(io, buf, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			exec_close(&io->err);
		return;
	}
}

/* The child's report of a failed step, or EOF once execve worked. */
static void
exec_read_errp(struct exec_io *io)
{
	struct exec_child_err	 ce;
	ssize_t			 n;

	while ((n = read(io->errp, &ce, sizeof(ce))) == -1 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(ce)) {
		io->res->exec_errno = ce.err != 0 ? ce.err : EINVAL;
		io->res->exec_step = exec_step_name(ce.step);
	}
	exec_close(&io->errp);
}

/* waitpid without EINTR; ECHILD means someone else reaped it. */
static void
exec_wait(struct exec_io *io, int flags)
{
	pid_t	 p;

	while ((p = waitpid(io->res->pid, &io->res->status, flags)) == -1 &&
	    errno == EINTR)
		;
	if (p == io->res->pid || (p == -1 && errno == ECHILD)) {
		io->res->reaped = 1;
		io->exited = 1;
		if (p == -1)
			io->res->status = -1;
	}
}

static size_t
exec_pollfds(struct exec_io *io, struct pollfd *pfd)
{
	size_t	 n = 0;

	if (io->out != -1)
		pfd[n++].fd = io->out;
	if (io->err != -1)
		pfd[n++].fd = io->err;
	if (io->errp != -1)
		pfd[n++].fd = io->errp;
	if (io->pidfd != -1)
		pfd[n++].fd = io->pidfd;
	return (n);
}

/* One poll round: read what is ready, note an exit. */
static void
exec_poll_once(struct exec_io *io, int wait)
{
	struct pollfd	 pfd[4];
	size_t		 i, n;

	memset(pfd, 0, sizeof(pfd));
	n = exec_pollfds(io, pfd);
	for (i = 0; i < n; i++)
		pfd[i].events = POLLIN;
	if (poll(pfd, n, wait) == -1) {
		if (errno != EINTR)
			io->next = 0;	/* poll itself broke: escalate */
		return;
	}
	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		if (pfd[i].fd == io->out)
			exec_read_out(io);
		else if (pfd[i].fd == io->err)
			exec_read_err(io);
		else if (pfd[i].fd == io->errp)
			exec_read_errp(io);
		else if (pfd[i].fd == io->pidfd)
			io->exited = 1;
	}
	if (io->pidfd == -1)
		exec_wait(io, WNOHANG);
}

/* Wait for the program to end, escalating at each deadline. */
static void
exec_loop(struct exec_io *io)
{
	unsigned long long	 now;
	unsigned long long	 wait;

	io->next = io->start + io->sp->timeout_ms;
	while (!io->exited) {
		now = exec_now_ms();
		if (io->res->flooded && io->phase == 0)
			io->next = now;
		if (now >= io->next) {
			if (io->phase == 0 && !io->res->flooded)
				io->res->timed_out = 1;
			if (!exec_escalate(io, now))
				return;
			continue;
		}
		wait = io->next - now;
		if (io->pidfd == -1 && wait > 20)
			wait = 20;
		exec_poll_once(io, (int)wait);
	}
}

/* After the exit: kill what is left of the group, drain, reap. */
static void
exec_finish(struct exec_io *io)
{
	if (io->exited) {
		exec_signal(io, SIGKILL);
		if (io->out != -1)
			exec_read_out(io);
		if (io->err != -1)
			exec_read_err(io);
		if (io->errp != -1)
			exec_read_errp(io);
		if (!io->res->reaped)
			exec_wait(io, 0);
	}
	if (io->linelen > 0 && !io->skipping)
		exec_emit(io, 0);
	exec_close(&io->out);
	exec_close(&io->err);
	exec_close(&io->errp);
	exec_close(&io->pidfd);
}

/*
 * Run the program of sp to its end (or give up on it); res is filled in
 * and must be freed with exec_result_free.  -1 (errno) only if it could
 * not be started at all: no pipe, no fork.
 */
int
exec_run(const struct exec_spec *sp, struct exec_result *res)
{
	struct exec_io	 io;
	long		 maxfd;

	memset(res, 0, sizeof(*res));
	memset(&io, 0, sizeof(io));
	io.sp = sp;
	io.res = res;
	io.out = io.err = io.errp = io.pidfd = -1;
	res->max_output = sp->max_output;
	res->timeout_ms = sp->timeout_ms;
	if ((maxfd = sysconf(_SC_OPEN_MAX)) <= 0 || maxfd > EXEC_FDS_MAX)
		maxfd = EXEC_FDS_MAX;
	io.start = exec_now_ms();
	if (exec_spawn(&io, (int)maxfd) == -1)
		return (-1);
	exec_loop(&io);
	exec_finish(&io);
	if (res->out == NULL)
		res->out = malloc(1);
	if (res->out != NULL)
		res->out[res->outlen] = '\0';
	else
		res->outlen = 0;
	res->elapsed_ms = (unsigned long)(exec_now_ms() - io.start);
	return (0);
}

/* Did the program start, end by itself, in time, and exit 0? */
int
exec_result_ok(const struct exec_result *r)
{
	return (r->exec_errno == 0 && !r->flooded && !r->timed_out &&
	    r->reaped && r->status != -1 && WIFEXITED(r->status) &&
	    WEXITSTATUS(r->status) == 0);
}

static const char *
exec_signame(int sig)
{
	static const struct {
		int		 sig;
		const char	*name;
	} names[] = {
		{ SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" },
		{ SIGILL, "ILL" }, { SIGTRAP, "TRAP" }, { SIGABRT, "ABRT" },
		{ SIGBUS, "BUS" }, { SIGFPE, "FPE" }, { SIGKILL, "KILL" },
		{ SIGUSR1, "USR1" }, { SIGSEGV, "SEGV" }, { SIGUSR2, "USR2" },
		{ SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" }, { SIGTERM, "TERM" },
		{ SIGXCPU, "XCPU" }, { SIGXFSZ, "XFSZ" }, { SIGSYS, "SYS" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i].sig == sig)
			return (names[i].name);
	}
	return ("?");
}

/* How the program ended, e.g. "killed by signal 11 (SEGV)". */
static void
exec_status_text(const struct exec_result *r, char *buf, size_t len)
{
	if (!r->reaped)
		snprintf(buf, len, "pid %ld has not exited even after SIGKILL;"
		    " it will be reaped later", (long)r->pid);
	else if (r->status == -1)
		snprintf(buf, len, "exit status lost (reaped elsewhere)");
	else if (WIFEXITED(r->status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(r->status));
	else if (WIFSIGNALED(r->status))
		snprintf(buf, len, "killed by signal %d (%s)%s",
		    WTERMSIG(r->status), exec_signame(WTERMSIG(r->status)),
		    WCOREDUMP(r->status) ? ", core dumped" : "");
	else
		snprintf(buf, len, "ended with wait status %#x", r->status);
}

/* A line for the log that says what happened to a run, and why. */
void
exec_result_describe(const struct exec_result *r, char *buf, size_t len)
{
	char	 st[128], e[128];

	exec_status_text(r, st, sizeof(st));
	if (r->exec_errno != 0)
		snprintf(buf, len, "cannot run it: %s: %s", r->exec_step,
		    exec_strerror(r->exec_errno, e, sizeof(e)));
	else if (r->flooded)
		snprintf(buf, len, "wrote more than %zu bytes to stdout, so was"
		    " stopped (SIGTERM%s); %s", r->max_output, r->killed ?
		    ", then SIGKILL" : "", st);
	else if (r->timed_out)
		snprintf(buf, len, "timed out after %lu ms (SIGTERM%s); %s",
		    r->timeout_ms, r->killed ? ", then SIGKILL" : "", st);
	else
		snprintf(buf, len, "%s after %lu ms", st, r->elapsed_ms);
}

void
exec_result_free(struct exec_result *r)
{
	free(r->out);
	r->out = NULL;
	r->outlen = 0;
}

/* Reap a program given up on earlier; 1 once it is gone, 0 if not yet. */
int
exec_reap(pid_t pid)
{
	int	 status;
	pid_t	 p;

	while ((p = waitpid(pid, &status, WNOHANG)) == -1 && errno == EINTR)
		;
	return (p == pid || (p == -1 && errno == ECHILD));
}
