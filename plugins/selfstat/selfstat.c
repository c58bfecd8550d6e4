/*
 * selfstat.c - tallyd's own figures as series: values received, written,
 * dropped, queue depth, read durations and overruns, and the process's
 * resident memory and CPU time.
 *
 * It learns the figures through the host's stats() service, so it needs no
 * daemon symbol; a figure seen for the first time is declared then.
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tally/plugin.h>

struct selfstat {
	struct tally_ctx		*ctx;
	const struct tally_host		*host;
	char				**declared;	/* names declared so far */
	size_t				 ndeclared;
	time_t				 now;
	int				 failed;
};

static void *
selfstat_create(struct tally_ctx *ctx, const struct tally_host *host)
{
	struct selfstat	*s;

	if (host->abi != TALLY_PLUGIN_ABI || (s = calloc(1, sizeof(*s))) ==
	    NULL)
		return (NULL);
	s->ctx = ctx;
	s->host = host;
	return (s);
}

static int
selfstat_configure(void *arg, const char *key, const char *value, char *err,
    size_t errlen)
{
	snprintf(err, errlen, "unknown key (selfstat takes none)");
	return (-1);
}

/* Declare a figure the first time it is seen; -1 if that fails. */
static int
selfstat_declare(struct selfstat *s, const char *name, enum tally_kind kind)
{
	char	**p;
	size_t	  i;

	for (i = 0; i < s->ndeclared; i++) {
		if (strcmp(s->declared[i], name) == 0)
			return (0);
	}
	/* Counters restart at zero with the daemon: DERIVE, not COUNTER. */
	if (s->host->declare(s->ctx, name, kind == TALLY_GAUGE ? TALLY_GAUGE :
	    TALLY_DERIVE, NULL, NULL) == -1)
		return (-1);
	if ((p = realloc(s->declared, (s->ndeclared + 1) * sizeof(*p))) ==
	    NULL)
		return (-1);
	s->declared = p;
	if ((p[s->ndeclared] = strdup(name)) == NULL)
		return (-1);
	s->ndeclared++;
	return (0);
}

static void
selfstat_figure(void *arg, const char *name, enum tally_kind kind,
    double value)
{
	struct selfstat	*s = arg;

	if (selfstat_declare(s, name, kind) == -1 ||
	    s->host->submit(s->ctx, name, s->now, value) == -1)
		s->failed = 1;
}

/* Resident set size in bytes, from /proc/self/statm. */
static double
selfstat_rss(void)
{
	FILE		*f;
	unsigned long	 size, resident;

	if ((f = fopen("/proc/self/statm", "r")) == NULL)
		return (-1);
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return ((double)resident * (double)sysconf(_SC_PAGESIZE));
}

static int
selfstat_read(void *arg)
{
	struct selfstat	*s = arg;
	struct rusage	 ru;
	double		 cpu_ms;

	s->now = time(NULL);
	s->failed = 0;
	s->host->stats(s->ctx, selfstat_figure, s);
	selfstat_figure(s, "process.rss", TALLY_GAUGE, selfstat_rss());
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		cpu_ms = ru.ru_utime.tv_sec * 1000.0 + ru.ru_utime.tv_usec /
		    1000 + ru.ru_stime.tv_sec * 1000.0 + ru.ru_stime.tv_usec /
		    1000;
		selfstat_figure(s, "process.cpu_ms", TALLY_DERIVE,
		    (double)(long long)cpu_ms);
	}
	return (s->failed ? -1 : 0);
}

static void
selfstat_destroy(void *arg)
{
	struct selfstat	*s = arg;
	size_t		 i;

	for (i = 0; i < s->ndeclared; i++)
		free(s->declared[i]);
	free(s->declared);
	free(s);
}

TALLY_PLUGIN_EXPORT = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_plugin),
	.name = "selfstat",
	.description = "tallyd's own figures: values, queue, reads, memory",
	.create = selfstat_create,
	.configure = selfstat_configure,
	.read = selfstat_read,
	.destroy = selfstat_destroy,
};
