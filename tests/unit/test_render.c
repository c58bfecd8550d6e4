/*
 * test_render.c - the render pool (render.c) with the real tally-render
 * and with small shell scripts standing in for helpers that hang, die,
 * answer garbage or show what they were given.  Completions are awaited
 * by running the loop, bounded in time.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <rrd.h>

#include "tap.h"

#include "clock.h"
#include "log.h"
#include "render.h"

#define NJOBS	8

struct answer {
	int		 done;
	int		 error;
	int		 rrd_error;
	char		 msg[256];
	size_t		 len;
	int		 png;
	msec_t		 at;
};

static struct event_base	*base;
static char			 tmpdir[] = "/tmp/test_render.XXXXXX";
static char			 helper[4096];
static char			 rrdfile[4096];

static void
answer_cb(struct render_result *res, void *arg)
{
	struct answer	*a = arg;

	a->done = 1;
	a->error = res->error;
	a->rrd_error = res->rrd_error;
	snprintf(a->msg, sizeof(a->msg), "%s", res->msg);
	a->len = res->len;
	a->png = res->image != NULL && res->len > 8 &&
	    memcmp(res->image, "\211PNG", 4) == 0;
	a->at = clock_mono();
	free(res->image);
}

/* Run the loop until *flag or ms pass; 1 if the flag came up. */
static int
run_until(const int *flag, msec_t ms)
{
	msec_t	 end = clock_mono() + ms;

	while (!*flag && clock_mono() < end)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	return (*flag);
}

static int
all_done(const struct answer *a, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (!a[i].done)
			return (0);
	return (1);
}

static void
run_all(const struct answer *a, int n, msec_t ms)
{
	msec_t	 end = clock_mono() + ms;

	while (!all_done(a, n) && clock_mono() < end)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/* Run the loop for ms, e.g. to let the pool reap. */
static void
spin(msec_t ms)
{
	int	 never = 0;

	run_until(&never, ms);
}

static int
gone(pid_t pid)
{
	return (kill(pid, 0) == -1 && errno == ESRCH);
}

/* rrd_graph's argv for file, width w (so renders are not alike). */
static void
graph_argv(char *argv[], char words[][4200], int w, const char *file)
{
	const char	*fixed[] = { "graph", "-", "--start", "end-1h",
	    "--height", "100", "LINE1:v#0000ff:value" };
	int		 i;

	for (i = 0; i < 7; i++)
		snprintf(words[i], sizeof(words[i]), "%s", fixed[i]);
	snprintf(words[7], sizeof(words[7]), "--width=%d", w);
	snprintf(words[8], sizeof(words[8]), "DEF:v=%s:value:AVERAGE", file);
	for (i = 0; i < 6; i++)
		argv[i] = words[i];
	argv[6] = words[7];
	argv[7] = words[8];
	argv[8] = words[6];
	argv[9] = NULL;
}

static void
submit(struct render_pool *rp, struct answer *a, int w, const char *file)
{
	static char	 words[9][4200];
	char		*argv[10];

	memset(a, 0, sizeof(*a));
	graph_argv(argv, words, w, file);
	render_submit(rp, argv, answer_cb, a);
}

static struct render_pool *
pool(const char *path, int procs, unsigned long recycle, msec_t timeout)
{
	struct render_opts	 o;

	memset(&o, 0, sizeof(o));
	o.helper = path;
	o.procs = procs;
	o.recycle = recycle;
	o.rss_max = 256UL << 20;
	o.timeout = timeout;
	return (render_pool_new(base, &o));
}

/* A helper script in tmpdir; returns its path (static). */
static const char *
script(const char *name, const char *body)
{
	static char	 path[4096];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
	return (path);
}

static void
test_render(void)
{
	struct render_pool	*rp = pool(helper, 2, 1000, 30000);
	struct render_stats	 st;
	struct answer		 a, b;

	submit(rp, &a, 300, rrdfile);
	ok(!a.done, "no answer inside render_submit");
	ok(run_until(&a.done, 10000), "a render answers");
	ok(!a.error && a.png, "it is a PNG (%zu bytes, %s)", a.len, a.msg);
	submit(rp, &b, 300, "/nonexistent/x.rrd");
	run_until(&b.done, 10000);
	ok(b.error && b.rrd_error && strstr(b.msg, "nonexistent") != NULL,
	    "librrd's error comes back: %s", b.msg);
	render_pool_stats(rp, &st);
	is_int(st.renders, 2, "two answers counted");
	is_int(st.spawned, 1, "one helper did both");
	is_int(st.failed + st.lost, 0, "nothing failed or lost");
	render_pool_free(rp);
}

static void
test_concurrent(void)
{
	struct render_pool	*rp = pool(helper, 2, 1000, 30000);
	struct render_stats	 st;
	struct answer		 a[NJOBS];
	int			 i, good = 0;

	for (i = 0; i < NJOBS; i++)
		submit(rp, &a[i], 200 + i, rrdfile);
	render_pool_stats(rp, &st);
	is_int(st.busy, 2, "two helpers busy at once");
	is_int(st.queued, NJOBS - 2, "the rest wait in the queue");
	run_all(a, NJOBS, 20000);
	for (i = 0; i < NJOBS; i++)
		good += a[i].done && !a[i].error && a[i].png;
	is_int(good, NJOBS, "every queued render answered with a PNG");
	render_pool_stats(rp, &st);
	is_int(st.spawned, 2, "no more helpers than procs");
	render_pool_free(rp);
}

static void
test_recycle(void)
{
	struct render_pool	*rp = pool(helper, 1, 3, 30000);
	struct render_stats	 st;
	struct answer		 a[7];
	pid_t			 first, now;
	int			 i, good = 0;

	submit(rp, &a[0], 300, rrdfile);
	render_pool_pids(rp, &first, 1);
	for (i = 1; i < 7; i++)
		submit(rp, &a[i], 300 + i, rrdfile);
	run_all(a, 7, 20000);
	for (i = 0; i < 7; i++)
		good += a[i].done && !a[i].error && a[i].png;
	is_int(good, 7, "7 renders through recycling helpers");
	render_pool_stats(rp, &st);
	is_int(st.recycled, 2, "a helper retired after each 3 renders");
	is_int(st.spawned, 3, "and was replaced");
	ok(render_pool_pids(rp, &now, 1) == 1 && now != first,
	    "the helper now is another process");
	spin(300);
	ok(gone(first), "the retired helper was reaped (no zombie)");
	render_pool_free(rp);
}

static void
test_killed(void)
{
	struct render_pool	*rp;
	struct render_stats	 st;
	struct answer		 a, b;
	char			 body[8192];
	pid_t			 pid;

	/* The first helper hangs; later ones are the real thing. */
	snprintf(body, sizeof(body), "mkdir %s/once 2>/dev/null && "
	    "exec sleep 30\nexec %s", tmpdir, helper);
	rp = pool(script("first-hangs", body), 1, 1000, 30000);
	submit(rp, &a, 300, rrdfile);
	ok(render_pool_pids(rp, &pid, 1) == 1, "a helper took the job");
	spin(100);
	kill(pid, SIGKILL);
	ok(run_until(&a.done, 5000) && a.error && !a.rrd_error &&
	    strncmp(a.msg, "render failed", 13) == 0,
	    "SIGKILL mid-render fails that job: %s", a.msg);
	submit(rp, &b, 300, rrdfile);
	ok(run_until(&b.done, 10000) && !b.error && b.png,
	    "the next render works (%s)", b.msg);
	render_pool_stats(rp, &st);
	is_int(st.lost, 1, "one helper lost");
	is_int(st.spawned, 2, "and replaced");
	spin(200);
	ok(gone(pid), "the killed helper was reaped");
	render_pool_free(rp);
}

static void
test_timeout(void)
{
	struct render_pool	*rp;
	struct answer		 a;
	msec_t			 t0;
	pid_t			 pid;

	rp = pool(script("hang", "exec sleep 30"), 1, 1000, 500);
	t0 = clock_mono();
	submit(rp, &a, 300, rrdfile);
	render_pool_pids(rp, &pid, 1);
	ok(run_until(&a.done, 5000) && a.error &&
	    strstr(a.msg, "took over 500 ms") != NULL,
	    "a hung render fails at the timeout: %s", a.msg);
	ok(a.at - t0 >= 450 && a.at - t0 < 3000, "after %lld ms",
	    (long long)(a.at - t0));
	spin(200);
	ok(gone(pid), "the hung helper was killed and reaped");
	render_pool_free(rp);
}

static void
test_dying(void)
{
	struct render_pool	*rp;
	struct render_stats	 st;
	struct answer		 a[3];
	msec_t			 t0;
	int			 i;

	rp = pool(script("dies", "exit 3"), 1, 1000, 30000);
	for (i = 0; i < 2; i++) {
		submit(rp, &a[i], 300, rrdfile);
		run_until(&a[i].done, 5000);
	}
	ok(a[0].error && a[1].error &&
	    strncmp(a[1].msg, "render failed", 13) == 0,
	    "a helper that dies fails its jobs: %s", a[1].msg);
	t0 = clock_mono();
	submit(rp, &a[2], 300, rrdfile);
	run_until(&a[2].done, 5000);
	ok(a[2].error && a[2].at - t0 >= 90,
	    "the third waits for the backoff (%lld ms)",
	    (long long)(a[2].at - t0));
	render_pool_stats(rp, &st);
	is_int(st.lost, 3, "three helpers lost");
	render_pool_free(rp);

	rp = pool("/nonexistent/tally-render", 1, 1000, 30000);
	submit(rp, &a[0], 300, rrdfile);
	ok(run_until(&a[0].done, 3000) && a[0].error &&
	    strstr(a[0].msg, "cannot start") != NULL,
	    "a missing helper fails the job at once: %s", a[0].msg);
	render_pool_free(rp);

	rp = pool(script("garbage", "head -c 4 >/dev/null\n"
	    "printf 'not the protocol at all' >&0\nexec sleep 30"), 1, 1000,
	    30000);
	submit(rp, &a[0], 300, rrdfile);
	ok(run_until(&a[0].done, 5000) && a[0].error &&
	    strstr(a[0].msg, "out of protocol") != NULL,
	    "garbage from a helper fails the job: %s", a[0].msg);
	render_pool_free(rp);
}

/* What a helper gets: no RRDCACHED_ADDRESS, none of our other fds. */
static void
test_spawn_env(void)
{
	struct render_pool	*rp;
	struct answer		 a;
	char			 body[8192], path[4200], line[256];
	FILE			*f;
	int			 fd, leaked = 0, cached = 0, tz = 0;

	setenv("RRDCACHED_ADDRESS", "unix:/nonexistent", 1);
	setenv("TZ", "Asia/Ho_Chi_Minh", 1);
	fd = open("/dev/null", O_RDONLY);	/* not close-on-exec */
	snprintf(body, sizeof(body), "env >%s/env\nls /proc/$$/fd >%s/fds\n"
	    "exit 0", tmpdir, tmpdir);
	rp = pool(script("show", body), 1, 1000, 30000);
	unsetenv("RRDCACHED_ADDRESS");
	submit(rp, &a, 300, rrdfile);
	run_until(&a.done, 5000);
	render_pool_free(rp);
	close(fd);
	snprintf(path, sizeof(path), "%s/fds", tmpdir);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL)
			leaked |= atoi(line) == fd;
		fclose(f);
	}
	ok(f != NULL && !leaked, "fd %d was not inherited", fd);
	snprintf(path, sizeof(path), "%s/env", tmpdir);
	if ((f = fopen(path, "r")) != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			cached |= strncmp(line, "RRDCACHED_ADDRESS=", 18) == 0;
			tz |= strcmp(line, "TZ=Asia/Ho_Chi_Minh\n") == 0;
		}
		fclose(f);
	}
	ok(f != NULL && !cached, "RRDCACHED_ADDRESS is not passed");
	ok(tz, "TZ is passed");
}

static void
test_shutdown(void)
{
	struct render_pool	*rp;
	struct answer		 a;
	msec_t			 t0;
	pid_t			 pid;

	rp = pool(script("hang2", "exec sleep 30"), 1, 1000, 30000);
	submit(rp, &a, 300, rrdfile);
	render_pool_pids(rp, &pid, 1);
	t0 = clock_mono();
	render_pool_free(rp);
	ok(a.done && a.error && strstr(a.msg, "shutting down") != NULL,
	    "shutdown fails the running job: %s", a.msg);
	ok(clock_mono() - t0 < 2500 && gone(pid),
	    "and kills and reaps a helper that would not go (%lld ms)",
	    (long long)(clock_mono() - t0));
}

static int
rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return (remove(path));
}

static int
make_rrd(void)
{
	const char	*args[] = { "DS:value:GAUGE:10:U:U",
	    "RRA:AVERAGE:0.5:1:3600" };
	char		 upd[64];
	const char	*u[1] = { upd };
	time_t		 now = time(NULL);
	int		 i;

	snprintf(rrdfile, sizeof(rrdfile), "%s/v.rrd", tmpdir);
	if (rrd_create_r(rrdfile, 1, now - 600, 2, args) != 0)
		return (-1);
	for (i = 0; i < 500; i += 5) {
		snprintf(upd, sizeof(upd), "%lld:%d", (long long)(now - 590 +
		    i), i % 50);
		if (rrd_update_r(rrdfile, NULL, 1, u) != 0)
			return (-1);
	}
	return (0);
}

int
main(void)
{
	const char	*bd = getenv("top_builddir");

	log_init(1, 0, "test_render");
	signal(SIGPIPE, SIG_IGN);
	snprintf(helper, sizeof(helper), "%s/tally-render",
	    bd != NULL ? bd : ".");
	if (access(helper, X_OK) == -1) {	/* this build makes it */
		printf("Bail out! no %s\n", helper);
		return (1);
	}
	if (mkdtemp(tmpdir) == NULL || make_rrd() == -1) {
		printf("Bail out! cannot make %s: %s\n", tmpdir,
		    rrd_get_error());
		return (1);
	}
	base = event_base_new();
	test_render();
	test_concurrent();
	test_recycle();
	test_killed();
	test_timeout();
	test_dying();
	test_spawn_env();
	test_shutdown();
	event_base_free(base);
	nftw(tmpdir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	return (tap_done());
}
