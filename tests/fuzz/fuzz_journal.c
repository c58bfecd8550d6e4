/*
 * fuzz_journal.c - libFuzzer target for the journal's replay: the input is
 * the bytes of a segment after its magic (records: length, crc32,
 * payload), written to a scratch directory and replayed.  The crc is
 * checked first, so the input's records are re-sealed with their right
 * crc too (a second segment), or the decoder behind it would rarely be
 * reached.  Every record handed out must be self-consistent.  Built by
 * make fuzz.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "fuzz.h"
#include "journal.h"
#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	 dir[64];

static void
check(void *arg, const struct journal_rec *r)
{
	size_t	 i;

	if (r->name == NULL || r->preset == NULL || strlen(r->name) == 0 ||
	    strlen(r->name) > 255 || strlen(r->preset) > 255 ||
	    (r->type != JOURNAL_VALUE && r->type != JOURNAL_REWRITE) ||
	    (r->n > 0 && (r->when == NULL || r->value == NULL)))
		abort();
	for (i = 0; i < r->n; i++)
		*(volatile double *)arg += r->value[i] + (double)r->when[i];
}

static void
put(const char *name, const uint8_t *p, size_t n)
{
	char	 path[128];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite("tallyj1\n", 1, 8, f);
	fwrite(p, 1, n, f);
	fclose(f);
}

/* The input's records with each crc made right. */
static uint8_t *
reseal(const uint8_t *p, size_t n)
{
	uint8_t		*q = malloc(n + 1);
	uint32_t	 len, crc;
	size_t		 off = 0;

	memcpy(q, p, n);
	while (n - off >= 8) {
		memcpy(&len, q + off, 4);
		if (len > n - off - 8)
			break;
		crc = (uint32_t)crc32(0L, q + off + 8, len);
		memcpy(q + off + 4, &crc, 4);
		off += 8 + len;
	}
	return (q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal	*j;
	char		 err[256];
	double		 sink = 0;
	uint8_t		*sealed;

	if (dir[0] == '\0') {
		log_init(1, 0, "fuzz_journal");
		snprintf(dir, sizeof(dir), "%s/fuzz_journal.%d",
		    fuzz_tmpdir(), getpid());
	}
	if ((j = journal_open(dir, JOURNAL_FSYNC, 1 << 30, 0, err,
	    sizeof(err))) == NULL)
		abort();
	sealed = reseal(data, size);
	put("00000000000000000001.jnl", data, size);
	put("00000000000000000002.jnl", sealed, size);
	free(sealed);
	(void)journal_replay(j, check, &sink);
	journal_close(j, 1);
	return (0);
}
