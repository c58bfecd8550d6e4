/*
 * fuzz_config.c - libFuzzer target for the configuration reader
 * (daemon/config.c over inih): the input is a whole tallyd.conf, read
 * through a memfd so the real config_load path runs.  Checked: a refused
 * file gives at least one "file:line: message" and no config; an
 * accepted one gives no error and frees cleanly.
 */
#include <sys/mman.h>

#include <stdio.h>
#include <unistd.h>

#include "alertconf.h"
#include "config.h"
#include "fuzz.h"
#include "http.h"
#include "notify.h"
#include "plugin.h"
#include "retention.h"

/* The sections tallyd registers (main.c), once. */
static void
fuzz_register(void)
{
	static int	 done;

	if (done)
		return;
	config_register(&http_section);
	config_register(&retention_section);
	config_register(&plugin_section);
	config_register(&alertconf_section);
	config_register(&notify_section);
	done = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors	 errs;
	struct config		*cf;
	char			 path[64];
	size_t			 i;
	int			 fd;

	if (size > 1 << 16)
		return (0);
	fuzz_register();
	if ((fd = memfd_create("fuzz.conf", MFD_CLOEXEC)) == -1)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(&errs, 0, sizeof(errs));
	cf = config_load(path, &errs);
	if ((cf == NULL) == (errs.n == 0))
		abort();
	for (i = 0; i < errs.n; i++)
		if (strncmp(errs.msg[i], path, strlen(path)) != 0)
			abort();
	if (cf != NULL)
		config_free(cf);
	config_errors_clear(&errs);
	close(fd);
	return (0);
}
