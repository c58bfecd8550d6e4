/*
 * fuzz_config.c - libFuzzer target for the configuration reader
 * (daemon/config.c over inih): the input is a whole tallyd.conf, read
 * through a memfd so the real config_load path runs.  Checked: a refused
 * file gives at least one "file:line: message" and no config; an
 * accepted one gives no error and frees cleanly.
 */
#include "fuzz_conf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return (0);
	fuzz_conf_load(NULL, 0, data, size);
	return (0);
}
