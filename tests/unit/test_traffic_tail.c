/*
 * test_traffic_tail.c - following a log through partial lines, rename and
 * copy-truncate rotation, replacement, overlong lines and restarts from a
 * checkpoint: every line must arrive exactly once and in file order.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tail.h"
#include "tap.h"

static char	 dir[] = "/tmp/traffic-tail.XXXXXX";
static char	 logpath[256], rotpath[256];
static char	 got[1 << 16];		/* lines received, ";" after each */
static int	 overlong, notices;

static void
collect(void *arg, const char *line, size_t len, struct tail_file *f)
{
	size_t	 n = strlen(got);

	if (line == NULL) {
		overlong++;
		return;
	}
	if (n + len + 2 < sizeof(got)) {
		memcpy(got + n, line, len);
		got[n + len] = ';';
		got[n + len + 1] = '\0';
	}
}

static void
logmsg(void *arg, int prio, const char *fmt, ...)
{
	if (prio <= 5)
		notices++;
}

static void
append(const char *path, const char *s)
{
	int	 fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	if (fd == -1 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		abort();
	close(fd);
}

static void
sh(const char *fmt, ...)
{
	char	 cmd[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		abort();
}

static void
start(struct tail *t, size_t max_line)
{
	if (tail_init(t, logpath, ".1", max_line) == -1)
		abort();
	t->log = logmsg;
	t->logarg = NULL;
}

/* Poll once and return what arrived. */
static const char *
poll1(struct tail *t)
{
	got[0] = '\0';
	if (tail_poll(t, collect, NULL) == -1)
		return ("ERROR");
	return (got);
}

/* Save t's checkpoint, free it, and start t again from the checkpoint. */
static void
restart(struct tail *t)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&buf, &len);
	char	*line, *save = NULL;

	tail_save(t, 3, f);
	fclose(f);
	tail_free(t);
	start(t, 4096);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (tail_load_line(t, 3, line) != 1)
			abort();
	free(buf);
}

static void
test_partial(void)
{
	struct tail	 t;

	start(&t, 4096);
	is_str(poll1(&t), "", "missing file: nothing, no error");
	ok(notices == 1, "... noticed once");
	append(logpath, "a1\na2\npart");
	is_str(poll1(&t), "a1;a2;", "complete lines only");
	append(logpath, "ial\n");
	is_str(poll1(&t), "partial;", "partial line completed");
	is_str(poll1(&t), "", "nothing new");
	tail_free(&t);
	sh("rm -f %s", logpath);
}

static void
test_rename(void)
{
	struct tail	 t;

	start(&t, 4096);
	append(logpath, "b1\nb2\n");
	is_str(poll1(&t), "b1;b2;", "before rotation");
	append(logpath, "b3\n");
	sh("mv %s %s", logpath, rotpath);
	append(rotpath, "b4\nb5-no-newline");
	append(logpath, "c1\n");
	is_str(poll1(&t), "b3;b4;c1;", "rename: old file's rest, then new");
	is_int(t.rotations, 1, "one rotation followed");
	append(rotpath, "\nb6\n");
	append(logpath, "c2\n");
	is_str(poll1(&t), "b5-no-newline;b6;c2;", "late writes to old first");
	append(rotpath, "b7-last");
	is_str(poll1(&t), "", "old file's partial line waits");
	is_str(poll1(&t), "", "one poll without growth");
	is_str(poll1(&t), "b7-last;", "two: old closed, last line passed on");
	ok(t.old.fd == -1, "old file closed");
	tail_free(&t);
	sh("rm -f %s %s", logpath, rotpath);
}

static void
test_copytruncate(void)
{
	struct tail	 t;

	start(&t, 4096);
	append(logpath, "d1\nd2\n");
	is_str(poll1(&t), "d1;d2;", "before copytruncate");
	append(logpath, "d3\nd4\n");
	sh("cp %s %s && : > %s", logpath, rotpath, logpath);
	append(logpath, "e1\n");
	is_str(poll1(&t), "d3;d4;e1;", "unread end taken from the copy");
	is_int(t.truncations, 1, "one truncation followed");
	append(logpath, "e2\n");
	is_str(poll1(&t), "e2;", "then the truncated file goes on");
	sh("rm -f %s", rotpath);
	append(logpath, "e3-gone\n");
	sh(": > %s", logpath);
	append(logpath, "f1-longer-than-before\n");
	notices = 0;
	is_str(poll1(&t), "f1-longer-than-before;",
	    "truncated and regrown, no copy: head changed, from the start");
	ok(notices == 1, "... and the possible loss is logged");
	tail_free(&t);
	sh("rm -f %s %s", logpath, rotpath);
}

static void
test_restart(void)
{
	struct tail	 t;

	start(&t, 4096);
	append(logpath, "h1\n");
	is_str(poll1(&t), "h1;", "read before a restart");
	restart(&t);
	append(logpath, "h2\n");
	is_str(poll1(&t), "h2;", "restart: goes on at the checkpoint");
	restart(&t);
	append(logpath, "h3\n");
	sh("mv %s %s", logpath, rotpath);
	append(logpath, "i1\n");
	is_str(poll1(&t), "h3;i1;", "renamed while stopped: old rest, new");
	restart(&t);
	is_str(poll1(&t), "", "restart while finishing the old file");
	ok(t.old.fd != -1, "... old file found again by inode");
	append(logpath, "i2\n");
	sh("rm -f %s", rotpath);
	restart(&t);
	notices = 0;
	is_str(poll1(&t), "i2;", "old file gone while stopped: new goes on");
	ok(notices == 1, "... the loss is logged");
	restart(&t);
	append(logpath, "j1\n");
	sh("cp %s %s && : > %s", logpath, rotpath, logpath);
	append(logpath, "k1\n");
	is_str(poll1(&t), "j1;k1;", "copytruncated while stopped");
	tail_free(&t);
	sh("rm -f %s %s", logpath, rotpath);
}

static void
test_replaced_and_overlong(void)
{
	struct tail	 t;
	char		*big;

	start(&t, 100);
	append(logpath, "m1\n");
	is_str(poll1(&t), "m1;", "first file");
	sh("rm %s", logpath);
	append(logpath, "n1-other-content\n");
	is_str(poll1(&t), "n1-other-content;", "deleted and recreated");
	big = malloc(1536 * 1024 + 2);
	memset(big, 'x', 1536 * 1024);
	strcpy(big + 1536 * 1024, "\n");
	big[5000] = '\n';
	append(logpath, big);
	append(logpath, "ok1\n");
	overlong = 0;
	is_str(poll1(&t), "ok1;", "overlong lines skipped");
	is_int(overlong, 2, "... one 5000-byte and one 1.5 MiB line");
	free(big);
	tail_free(&t);
	t.start_at_end = 0;
	start(&t, 100);
	t.start_at_end = 1;
	is_str(poll1(&t), "", "start at end: existing lines skipped");
	append(logpath, "p1\n");
	is_str(poll1(&t), "p1;", "... new lines read");
	tail_free(&t);
	sh("rm -f %s %s", logpath, rotpath);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(logpath, sizeof(logpath), "%s/access.log", dir);
	snprintf(rotpath, sizeof(rotpath), "%s/access.log.1", dir);
	test_partial();
	test_rename();
	test_copytruncate();
	test_restart();
	test_replaced_and_overlong();
	sh("rm -rf %s", dir);
	return (tap_done());
}
