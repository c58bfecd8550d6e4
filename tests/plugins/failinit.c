/* failinit.c - a plugin whose init always fails. */
#include <stdlib.h>

#include <tally/plugin.h>

static void *
failinit_create(struct tally_ctx *ctx, const struct tally_host *host)
{
	host->log(ctx, TALLY_LOG_INFO, "created");
	return (malloc(1));
}

static int
failinit_init(void *data)
{
	return (-1);
}

static int
failinit_read(void *data)
{
	return (0);
}

TALLY_PLUGIN_EXPORT = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_plugin),
	.name = "failinit",
	.create = failinit_create,
	.init = failinit_init,
	.read = failinit_read,
	.destroy = free,
};
