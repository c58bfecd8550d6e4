/*
 * hang.c - a plugin that misbehaves on demand, for the scheduler tests.
 *
 * Keys: hang_after N (reads before it starts hanging, default 0),
 * hang_seconds S (how long each hanging read sleeps, default 3600),
 * fail yes|no (every read fails).  It submits "reads" = reads started, so a
 * test sees whether it still runs.
 */
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

static int
hang_init(void *arg)
{
	struct hang	*h = arg;

	return (h->host->declare(h->ctx, "reads", TALLY_GAUGE, NULL, NULL));
}

static int
hang_read(void *arg)
{
	struct hang	*h = arg;
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	time_t		 end;

	h->reads++;
	h->host->submit(h->ctx, "reads", 0, (double)h->reads);
	if (h->reads > h->hang_after) {
		end = time(NULL) + h->hang_seconds;
		while (time(NULL) < end)
			nanosleep(&ts, NULL);
	}
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
