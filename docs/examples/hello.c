/*
 * hello.c - the smallest useful tallyd plugin, built out of tree:
 *
 *	cc -Wall -fPIC -shared $(pkg-config --cflags tally-plugin) \
 *	    -o hello.so hello.c
 *
 * It stores one gauge, "answer", whose value comes from the "greeting" key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tally/plugin.h>

struct hello {
	struct tally_ctx	*ctx;
	const struct tally_host	*host;
	double			 value;
};

static void *
hello_create(struct tally_ctx *ctx, const struct tally_host *host)
{
	struct hello	*h;

	if (host->abi != TALLY_PLUGIN_ABI || (h = calloc(1, sizeof(*h))) ==
	    NULL)
		return (NULL);
	h->ctx = ctx;
	h->host = host;
	return (h);
}

static int
hello_configure(void *data, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct hello	*h = data;
	char		*end;

	if (strcmp(key, "greeting") != 0) {
		snprintf(err, errlen, "unknown key (hello takes greeting)");
		return (-1);
	}
	h->value = strtod(value, &end);
	if (end == value || *end != '\0') {
		snprintf(err, errlen, "'%s' is not a number", value);
		return (-1);
	}
	return (0);
}

static int
hello_init(void *data)
{
	struct hello	*h = data;

	return (h->host->declare(h->ctx, "answer", TALLY_GAUGE, "units",
	    NULL));
}

static int
hello_read(void *data)
{
	struct hello	*h = data;

	return (h->host->submit(h->ctx, "answer", 0, h->value));
}

TALLY_PLUGIN_EXPORT = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_plugin),
	.name = "hello",
	.description = "stores the configured greeting as a gauge",
	.create = hello_create,
	.configure = hello_configure,
	.init = hello_init,
	.read = hello_read,
	.destroy = free,
};
