/*
 * demo.c - deterministic synthetic series, for the demo config and tests.
 *
 * Every value is a pure function of its timestamp, so a test can fetch a
 * stored point and know what it must be:
 *	wave      offset + amplitude * sin(2 pi t / period)   (gauge, people)
 *	visits    floor(rate * t)                              (counter)
 *	sawtooth  t mod modulus                                (gauge)
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tally/plugin.h>

struct demo {
	struct tally_ctx		*ctx;
	const struct tally_host		*host;
	double				 amplitude;
	double				 offset;
	double				 period;
	double				 rate;
	double				 modulus;
	unsigned long			 fail_every;	/* 0: never */
	unsigned long			 reads;
};

static void *
demo_create(struct tally_ctx *ctx, const struct tally_host *host)
{
	struct demo	*d;

	if (host->abi != TALLY_PLUGIN_ABI || (d = calloc(1, sizeof(*d))) ==
	    NULL)
		return (NULL);
	d->ctx = ctx;
	d->host = host;
	d->amplitude = 50;
	d->offset = 100;
	d->period = 3600;
	d->rate = 2;
	d->modulus = 1000;
	return (d);
}

/* A finite number in [min, max]; -1 with a reason otherwise. */
static int
demo_number(const char *s, double min, double max, double *out, char *err,
    size_t errlen)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v) ||
	    v < min || v > max) {
		snprintf(err, errlen, "'%s' is not a number in [%g, %g]", s,
		    min, max);
		return (-1);
	}
	*out = v;
	return (0);
}

static int
demo_configure(void *arg, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct demo	*d = arg;
	double		 v;

	if (strcmp(key, "amplitude") == 0)
		return (demo_number(value, 0, 1e12, &d->amplitude, err,
		    errlen));
	if (strcmp(key, "offset") == 0)
		return (demo_number(value, -1e12, 1e12, &d->offset, err,
		    errlen));
	if (strcmp(key, "period") == 0)
		return (demo_number(value, 1, 1e9, &d->period, err, errlen));
	if (strcmp(key, "rate") == 0)
		return (demo_number(value, 0, 1e6, &d->rate, err, errlen));
	if (strcmp(key, "modulus") == 0)
		return (demo_number(value, 1, 1e12, &d->modulus, err, errlen));
	if (strcmp(key, "fail_every") == 0) {
		if (demo_number(value, 0, 1e9, &v, err, errlen) == -1)
			return (-1);
		d->fail_every = (unsigned long)v;
		return (0);
	}
	snprintf(err, errlen, "unknown key (demo takes amplitude, offset, "
	    "period, rate, modulus, fail_every)");
	return (-1);
}

static int
demo_init(void *arg)
{
	struct demo	*d = arg;

	if (d->host->declare(d->ctx, "wave", TALLY_GAUGE, "people", NULL) ||
	    d->host->declare(d->ctx, "visits", TALLY_COUNTER, "visits",
	    NULL) || d->host->declare(d->ctx, "sawtooth", TALLY_GAUGE, "",
	    NULL))
		return (-1);
	return (0);
}

static int
demo_read(void *arg)
{
	struct demo	*d = arg;
	struct timespec	 ts;
	time_t		 t;
	double		 x;
	int		 rc = 0;

	/* time(2) may lag the precise clock by a tick; the schedule does not. */
	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec;
	x = (double)t;

	d->reads++;
	if (d->fail_every != 0 && d->reads % d->fail_every == 0) {
		d->host->log(d->ctx, TALLY_LOG_INFO, "failing read %lu on "
		    "purpose (fail_every)", d->reads);
		return (-1);
	}
	rc |= d->host->submit(d->ctx, "wave", t, d->offset + d->amplitude *
	    sin(2 * M_PI * x / d->period));
	rc |= d->host->submit(d->ctx, "visits", t, floor(d->rate * x));
	rc |= d->host->submit(d->ctx, "sawtooth", t, fmod(x, d->modulus));
	return (rc == 0 ? 0 : -1);
}

static void
demo_destroy(void *arg)
{
	free(arg);
}

TALLY_PLUGIN_EXPORT = {
	.abi = TALLY_PLUGIN_ABI,
	.size = sizeof(struct tally_plugin),
	.name = "demo",
	.description = "deterministic synthetic series (wave, visits, sawtooth)",
	.create = demo_create,
	.configure = demo_configure,
	.init = demo_init,
	.read = demo_read,
	.destroy = demo_destroy,
};
