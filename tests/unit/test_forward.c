/*
 * test_forward.c - what forwarding rests on, without a receiver: the
 * lines for VictoriaMetrics and Graphite (names as names_prom makes them,
 * exact numbers, millisecond and second times, unknowns left out), the
 * match globs, the cursor file's strict parser, and the journal's
 * retention with readers: a stored segment a reader holds is kept (as
 * .fwd, no longer replayed nor counted in journal_max), removed once the
 * reader's hold passes it, and segment numbers are not reused under a
 * cursor (journal_floor).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fwdenc.h"
#include "journal.h"
#include "log.h"
#include "tap.h"
#include "tjournal.h"

static uint64_t	sync_token;
static int	sync_asked;

/* The store's answer, at once: everything asked for is stored. */
static void
on_sync(void *arg, uint64_t token)
{
	sync_token = token;
	sync_asked++;
	journal_stored(arg, token, 0);
}

static void
count_rec(void *arg, const struct journal_rec *r)
{
	(void)r;
	(*(size_t *)arg)++;
}

/* Files in dir ending with ext; the lowest number into *low. */
static int
nfiles(const char *dir, const char *ext, uint64_t *low)
{
	DIR		*d;
	struct dirent	*de;
	uint64_t	 s;
	int		 n = 0;

	if (low != NULL)
		*low = 0;
	if ((d = opendir(dir)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ext) == NULL)
			continue;
		n++;
		s = strtoull(de->d_name, NULL, 10);
		if (low != NULL && (*low == 0 || s < *low))
			*low = s;
	}
	closedir(d);
	return (n);
}

static void
wait_asked(int n)
{
	int	 i;

	for (i = 0; i < 100 && sync_asked < n; i++)
		usleep(50000);
}

static void
test_encoders(void)
{
	struct fwdenc_buf	 b;
	char			 g1[] = "coop.*.year", g2[] = "fwd.[ab].*";
	char			*globs[] = { g1, g2 };
	char			 buf[FWDENC_CURSOR_MAX];
	uint64_t		 seq, off;
	int			 n;

	memset(&b, 0, sizeof(b));
	ok(fwdenc_prom(&b, "coop.hanoi.members-total", 1451520000, 6045) == 0,
	    "a Prometheus line");
	is_str(b.p, "tally_coop_members_total{instance=\"hanoi\"} 6045 "
	    "1451520000000\n", "its name, label, value and ms time");
	fwdenc_reset(&b);
	ok(fwdenc_prom(&b, "a.b.c.d", 1, 0.1) == 0 &&
	    fwdenc_prom(&b, "a.b.c", 2, -2.5e-300) == 0,
	    "dotted metrics, tiny numbers");
	is_str(b.p, "tally_a_c_d{instance=\"b\"} 0.1 1000\n"
	    "tally_a_c{instance=\"b\"} -2.5e-300 2000\n",
	    "shortest exact decimals");
	fwdenc_reset(&b);
	ok(fwdenc_prom(&b, "a.b.c", 1, NAN) == -1 && b.len == 0,
	    "an unknown is not a value: nothing written");
	ok(fwdenc_prom(&b, "a..c", 1, 1) == -1 && fwdenc_prom(&b, "A.b.c", 1,
	    1) == -1 && b.len == 0, "invalid names refused");
	ok(fwdenc_graphite(&b, "tally.site1", "a.b.c", 1700000000, 42.5) ==
	    0 && fwdenc_graphite(&b, NULL, "a.b-x.c_y", 5, -1) == 0 &&
	    fwdenc_graphite(&b, "", "x.y.z", 6, 1e21) == 0,
	    "plaintext lines");
	is_str(b.p, "tally.site1.a.b.c 42.5 1700000000\na.b-x.c_y -1 5\n"
	    "x.y.z 1e+21 6\n", "path value seconds, prefix optional");
	fwdenc_reset(&b);
	ok(fwdenc_graphite(&b, NULL, "a.b.c", 1, INFINITY) == -1 &&
	    b.len == 0, "inf is not sent");
	/* Growth past the first block. */
	for (n = 0; n < 5000; n++)
		fwdenc_prom(&b, "plugin.instance.some-long-metric-name", n, n);
	ok(b.len > 65536 && strcmp(b.p + b.len - 14, " 4999 4999000\n") == 0,
	    "the buffer grows (%zu bytes), the last line whole", b.len);
	fwdenc_free(&b);

	ok(fwdenc_match(NULL, 0, "any.thing.here"), "no glob: every series");
	ok(fwdenc_match(globs, 2, "coop.hanoi.year") &&
	    fwdenc_match(globs, 2, "fwd.b.temp") &&
	    !fwdenc_match(globs, 2, "fwd.c.temp") &&
	    !fwdenc_match(globs, 2, "coop.hanoi.month"), "globs match names");
	ok(fwdenc_glob_valid("coop.*") && fwdenc_glob_valid("a.[!b]?.c") &&
	    !fwdenc_glob_valid("") && !fwdenc_glob_valid("a b") &&
	    !fwdenc_glob_valid("a/b") && !fwdenc_glob_valid("A.*"),
	    "glob characters checked");

	n = fwdenc_cursor_format(buf, sizeof(buf), 12, 345678);
	ok(fwdenc_cursor_parse(buf, (size_t)n, &seq, &off) == 0 &&
	    seq == 12 && off == 345678, "a cursor reads back: %s", buf);
#define BADCUR(s, why)							\
	ok(fwdenc_cursor_parse(s, strlen(s), &seq, &off) == -1,		\
	    "cursor refused: " why)
	BADCUR("", "empty");
	BADCUR("tallyfwd1 12 345678", "no newline (torn)");
	BADCUR("tallyfwd1 12 345678\n\n", "trailing bytes");
	BADCUR("tallyfwd1 0 100\n", "segment 0");
	BADCUR("tallyfwd1 1 7\n", "offset inside the magic");
	BADCUR("tallyfwd1 01 100\n", "leading zero");
	BADCUR("tallyfwd1 -1 100\n", "negative");
	BADCUR("tallyfwd1 99999999999999999999 100\n", "overflow");
	BADCUR("tallyfwd2 1 100\n", "another version");
	BADCUR("tallyfwd1 1  100\n", "two spaces");
#undef BADCUR
}

static void
test_retention(void)
{
	struct event_base	*base = event_base_new();
	struct journal		*j;
	char			 dir[] = "/tmp/test_forward.XXXXXX", jdir[300];
	char			 err[256];
	uint64_t		 low, tseq, tsize, bytes;
	size_t			 replayed = 0;
	int			 i, id, n;

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(jdir, sizeof(jdir), "%s/journal", dir);

	j = journal_open(jdir, JOURNAL_FSYNC, 1 << 20, 4096, err,
	    sizeof(err));
	ok(j != NULL, "journal opened");
	journal_replay(j, count_rec, &replayed);
	id = journal_reader(j, 1);
	ok(id == 0, "a reader registered, holding from segment 1");
	ok(journal_start(j, base, on_sync, j) == 0, "started");
	ok(journal_tail(j, 0, 0, 0, &tseq, &tsize) == 1 && tseq == 1 &&
	    tsize == JOURNAL_MAGIC_SIZE, "the durable end: segment 1, its "
	    "magic");
	for (i = 0; i < 400; i++)
		tj_append(j, "a.b.seg", 1000 + i, i);
	(void)journal_tail(j, 0, 0, 0, &tseq, &tsize);
	ok(tseq >= 4, "400 values filled several segments (open: %llu)",
	    (unsigned long long)tseq);
	wait_asked(1);
	ok(sync_asked > 0, "a sync was asked for");
	for (i = 0; i < 60 && nfiles(jdir, ".jnl", NULL) > 1; i++)
		usleep(50000);
	n = nfiles(jdir, ".fwd", &low);
	ok(n >= 3 && low == 1, "stored segments the reader holds are kept as "
	    ".fwd (%d, from %llu)", n, (unsigned long long)low);
	bytes = journal_bytes(j);
	ok(bytes < 8192, "and no longer count in journal_max (%llu bytes)",
	    (unsigned long long)bytes);
	journal_hold(j, id, 3);
	for (i = 0; i < 50 && (nfiles(jdir, ".fwd", &low), low) < 3; i++)
		usleep(50000);
	ok(low == 3, "the reader moved to segment 3: 1 and 2 are removed "
	    "(lowest now %llu)", (unsigned long long)low);
	ok(journal_tail(j, tseq, tsize, 200, &tseq, &tsize) == 0,
	    "journal_tail waits while nothing is written");
	journal_close(j, 1);
	n = nfiles(jdir, ".jnl", NULL);
	ok(n == 0 && nfiles(jdir, ".fwd", &low) >= 2 && low == 3,
	    "a clean close keeps what the reader holds, as .fwd (%d .jnl)",
	    n);

	/* Restart: .fwd is not replayed; new segments come after them. */
	replayed = 0;
	j = journal_open(jdir, JOURNAL_FSYNC, 1 << 20, 4096, err,
	    sizeof(err));
	journal_replay(j, count_rec, &replayed);
	is_int((int)replayed, 0, ".fwd segments are not replayed");
	id = journal_reader(j, 3);
	ok(journal_start(j, base, on_sync, j) == 0, "started again");
	(void)journal_tail(j, 0, 0, 0, &tseq, &tsize);
	ok(tseq > 4, "the new open segment is numbered after them (%llu)",
	    (unsigned long long)tseq);
	journal_hold(j, id, tseq);
	for (i = 0; i < 60 && nfiles(jdir, ".fwd", NULL) > 0; i++)
		usleep(50000);
	is_int(nfiles(jdir, ".fwd", NULL), 0, "once the reader passed them, "
	    "they are removed");
	journal_close(j, 1);
	n = nfiles(jdir, ".fwd", NULL) + nfiles(jdir, ".jnl", NULL);
	is_int(n, 1, "a clean close keeps only the segment the reader is in");

	/* The floor: a cursor's number is never reused. */
	j = journal_open(jdir, JOURNAL_FSYNC, 1 << 20, 4096, err,
	    sizeof(err));
	journal_replay(j, count_rec, &replayed);
	journal_floor(j, 1000);
	(void)journal_reader(j, 1000);
	ok(journal_start(j, base, NULL, NULL) == 0, "started with a floor");
	(void)journal_tail(j, 0, 0, 0, &tseq, &tsize);
	ok(tseq == 1001, "the next segment is 1001 (%llu)",
	    (unsigned long long)tseq);
	journal_close(j, 0);
	event_base_free(base);
}

int
main(void)
{
	log_init(1, 0, "test_forward");
	test_encoders();
	test_retention();
	printf("1..%d\n", tap_n);
	return (tap_failed != 0);
}
