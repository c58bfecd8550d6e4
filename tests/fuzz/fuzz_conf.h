/*
 * fuzz_conf.h - shared by the targets that read a whole tallyd.conf
 * (fuzz_config, fuzz_alert): the sections tallyd registers, and one load
 * of a text through the real config_load path with its checks.
 */
#ifndef TALLY_FUZZ_CONF_H
#define TALLY_FUZZ_CONF_H

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
static inline void
fuzz_conf_register(void)
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

/*
 * head then data as a file (a memfd: the real path, no disk), loaded.  A
 * refused file must give at least one error, each starting with the
 * file's name ("file:line: message"); an accepted one none, and must
 * free cleanly.
 */
static inline void
fuzz_conf_load(const char *head, size_t hlen, const uint8_t *data,
    size_t size)
{
	struct config_errors	 errs;
	struct config		*cf;
	char			 path[64];
	size_t			 i;
	int			 fd;

	fuzz_conf_register();
	if ((fd = memfd_create("fuzz.conf", MFD_CLOEXEC)) == -1)
		abort();
	if ((hlen > 0 && write(fd, head, hlen) != (ssize_t)hlen) ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size))
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
}

#endif
