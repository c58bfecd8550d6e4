/* badabi.c - a plugin built for an ABI tallyd does not speak. */
#include <tally/plugin.h>

static int
badabi_read(void *data)
{
	return (0);
}

TALLY_PLUGIN_EXPORT = {
	.abi = TALLY_PLUGIN_ABI + 98,
	.size = sizeof(struct tally_plugin),
	.name = "badabi",
	.read = badabi_read,
};
