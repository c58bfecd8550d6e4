/*
 * hang.c - a plugin that misbehaves on demand, for the scheduler tests.
 *
 * Keys: hang_after N (reads before it starts hanging, default 0),
 * hang_seconds S (how long each hanging read sleeps, default 3600),
 * fail yes|no (every read fails), guard yes|no (see below).  It submits
 * "reads" = reads started, so a test sees whether it still runs.
 *
 * guard: a read holds the file "reading" in the state directory (made
 * with O_EXCL, removed when the read ends); a read or an init that finds
 * it there appends a line to "overlap": two copies of the instance ran at
 * once.  Each init and read end also appends a line to "events".
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tally/plugin.h>

struct hang {
	struct tally_ctx	*ctx;
	const struct tally_host	*host;
	long			 hang_after;
	long			 hang_seconds;
	int			 fail;
	int			 guard;
	long			 reads;
};

static void *
hang_create(struct tally_ctx *ctx, const struct tally_host *host)
{
	struct hang	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return (NULL);
	h->ctx = ctx;
	h->host = host;
	h->hang_seconds = 3600;
	return (h);
}

static int
hang_configure(void *arg, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct hang	*h = arg;
	char		*end;
	long		 v;

	if (strcmp(key, "fail") == 0) {
		h->fail = strcmp(value, "yes") == 0;
		return (0);
	}
	if (strcmp(key, "guard") == 0) {
		h->guard = strcmp(value, "yes") == 0;
		return (0);
	}
	v = strtol(value, &end, 10);
	if (*value == '\0' || *end != '\0' || v < 0) {
		snprintf(err, errlen, "'%s' is not a count", value);
		return (-1);
	}
	if (strcmp(key, "hang_after") == 0)
		h->hang_after = v;
	else if (strcmp(key, "hang_seconds") == 0)
		h->hang_seconds = v;
	else {
		snprintf(err, errlen, "unknown key");
		return (-1);
	}
	return (0);
}

/* Append a line to a file of the state directory. */
static void
hang_note(struct hang *h, const char *file, const char *what)
{
	char	 path[4096];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", h->host->state_dir(h->ctx),
	    file);
	if ((f = fopen(path, "a")) != NULL) {
		fprintf(f, "%s %ld %lld\n", what, h->reads,
		    (long long)time(NULL));
		fclose(f);
	}
}

static void
hang_reading(struct hang *h, const char *what)
{
	char	 path[4096];
	int	 fd;

	snprintf(path, sizeof(path), "%s/reading", h->host->state_dir(h->ctx));
	if (strcmp(what, "end") == 0) {
		unlink(path);
		hang_note(h, "events", "read-end");
		return;
	}
	if (strcmp(what, "init") == 0) {
		if (access(path, F_OK) == 0)
			hang_note(h, "overlap", "init");
		hang_note(h, "events", "init");
		return;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1) {
		if (errno == EEXIST)
			hang_note(h, "overlap", "read");
		return;
	}
	close(fd);
	hang_note(h, "events", "read-start");
}

static int
hang_init(void *arg)
{
	struct hang	*h = arg;

	if (h->guard)
		hang_reading(h, "init");
	return (h->host->declare(h->ctx, "reads", TALLY_GAUGE, NULL, NULL));
}

static int
hang_read(void *arg)
{
	struct hang	*h = arg;
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	time_t		 end;

	h->reads++;
	if (h->guard)
		hang_reading(h, "start");
	h->host->submit(h->ctx, "reads", 0, (double)h->reads);
	if (h->reads > h->hang_after) {
		end = time(NULL) + h->hang_seconds;
		while (time(NULL) < end)
			nanosleep(&ts, NULL);
	}
	if (h->guard)
		hang_reading(h, "end");
	return (h->fail ? -1 : 0);
}

TALLY_PLUGIN_EXPORT = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_plugin),
	.name = "hang",
	.create = hang_create,
	.configure = hang_configure,
	.init = hang_init,
	.read = hang_read,
	.destroy = free,
};
