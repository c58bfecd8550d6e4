/*
 * test_journal.c - the write-ahead journal on a real directory: records
 * come back in order after a "crash" (no clean close), a torn tail and a
 * flipped byte end their segment and are reported with the offset, replay
 * twice gives the same records, a full journal refuses, a disk that
 * refuses a write (RLIMIT_FSIZE standing in for a full disk) fails those
 * values' acknowledgements and refuses new ones with the reason while
 * every value acknowledged before is replayed, and a segment is removed
 * only once a sync for it answered success.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "journal.h"
#include "log.h"
#include "tap.h"
#include "tjournal.h"

struct seen {
	size_t	 n;
	char	 names[64][32];
	time_t	 when[64];
	double	 value[64];
	int	 type[64];
};

static void
collect(void *arg, const struct journal_rec *r)
{
	struct seen	*s = arg;

	if (s->n >= 64)
		return;
	snprintf(s->names[s->n], sizeof(s->names[0]), "%s", r->name);
	s->when[s->n] = r->n > 0 ? r->when[r->n - 1] : 0;
	s->value[s->n] = r->n > 0 ? r->value[r->n - 1] : 0;
	s->type[s->n] = r->type;
	s->n++;
}

/* Segments in dir. */
static int
nsegs(const char *dir, char *last, size_t len)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".jnl") == NULL)
			continue;
		n++;
		if (last != NULL && strcmp(de->d_name, last) > 0)
			snprintf(last, len, "%s", de->d_name);
	}
	closedir(d);
	return (n);
}

static uint64_t	 sync_token;
static int	 sync_asked;

static void
on_sync(void *arg, uint64_t token)
{
	sync_token = token;
	sync_asked++;
}

static off_t
fsize(const char *path)
{
	struct stat	 sb;

	return (stat(path, &sb) == 0 ? sb.st_size : -1);
}

int
main(void)
{
	struct event_base	*base;
	struct journal		*j;
	struct seen		 a, b;
	char			 dir[] = "/tmp/test_journal.XXXXXX", jdir[256];
	char			 last[300], path[600], err[256];
	uint64_t		 lsn;
	struct journal_rec	 r;
	time_t			 t;
	double			 v;
	int			 i, fd, n, full = 0;

	log_init(1, 0, "test_journal");
	base = event_base_new();
	if (mkdtemp(dir) == NULL)
		return (1);
	snprintf(jdir, sizeof(jdir), "%s/journal", dir);

	/* Values, then a "crash": the thread stops without removing. */
	j = journal_open(jdir, JOURNAL_FSYNC, 1 << 20, 0, err, sizeof(err));
	ok(j != NULL, "journal opened");
	is_int(journal_replay(j, collect, &a), 0, "nothing to replay at first");
	ok(journal_start(j, base, NULL, NULL) == 0, "thread started");
	for (i = 0; i < 20; i++)
		if (tj_append(j, i % 2 ? "a.b.odd" : "a.b.even", 1000 + i,
		    i * 1.5) == -1)
			break;
	is_int(i, 20, "20 values durable");
	journal_close(j, 0);

	memset(&a, 0, sizeof(a));
	j = journal_open(jdir, JOURNAL_FSYNC, 1 << 20, 0, err, sizeof(err));
	is_int(journal_replay(j, collect, &a), 20, "20 records replayed");
	ok(strcmp(a.names[0], "a.b.even") == 0 && a.when[0] == 1000 &&
	    strcmp(a.names[19], "a.b.odd") == 0 && a.when[19] == 1019 &&
	    a.value[19] == 19 * 1.5, "in order, names, times and values "
	    "intact");
	journal_close(j, 0);

	/* Replay is idempotent: the same records again. */
	memset(&b, 0, sizeof(b));
	j = journal_open(jdir, JOURNAL_FSYNC, 1 << 20, 0, err, sizeof(err));
	is_int(journal_replay(j, collect, &b), 20, "replayed again: 20");
	ok(memcmp(&a, &b, sizeof(a)) == 0, "the same records both times");
	journal_close(j, 0);

	/* A torn tail: the last record cut in half. */
	last[0] = '\0';
	nsegs(jdir, last, sizeof(last));
	snprintf(path, sizeof(path), "%s/%s", jdir, last);
	ok(truncate(path, fsize(path) - 10) == 0, "segment cut 10 bytes short");
	memset(&a, 0, sizeof(a));
	j = journal_open(jdir, JOURNAL_FSYNC, 1 << 20, 0, err, sizeof(err));
	is_int(journal_replay(j, collect, &a), 19, "torn tail ignored, 19 "
	    "records before it replayed");
	journal_close(j, 0);

	/* A flipped byte in the middle: the checksum stops the segment. */
	fd = open(path, O_RDWR);
	/* magic 8, then records of 8 + 8 + 8 ("a.b.even") + 4 + 16 bytes */
	ok(fd != -1 && pwrite(fd, "Z", 1, 8 + 44 + 16 + 2) == 1,
	    "a byte of the second record's name flipped");
	close(fd);
	memset(&a, 0, sizeof(a));
	j = journal_open(jdir, JOURNAL_FSYNC, 1 << 20, 2048, err, sizeof(err));
	n = (int)journal_replay(j, collect, &a);
	is_int(n, 1, "checksum mismatch: only the record before it");
	ok(a.n == 1 && strcmp(a.names[0], "a.b.even") == 0,
	    "the first record is intact");

	/*
	 * Segments: small ones, so appends close several.  None is removed
	 * before a sync answered; after success, all up to its token are.
	 */
	ok(journal_start(j, base, on_sync, NULL) == 0, "started with a sync");
	for (i = 0; i < 300; i++)
		tj_append(j, "a.b.seg", 2000 + i, i);
	n = nsegs(jdir, NULL, 0);
	ok(n >= 3, "300 values filled several segments (%d)", n);
	for (i = 0; i < 50 && sync_asked == 0; i++)
		usleep(100000);
	ok(sync_asked > 0 && sync_token > 0, "a sync was asked for (token "
	    "%llu)", (unsigned long long)sync_token);
	is_int(nsegs(jdir, NULL, 0), n, "no segment removed before the sync "
	    "answered");
	journal_stored(j, sync_token, -1);
	usleep(1200000);
	is_int(nsegs(jdir, NULL, 0), n, "a failed sync removes nothing");
	for (i = 0; i < 50 && sync_asked < 2; i++)
		usleep(100000);
	ok(sync_asked >= 2, "the sync is asked again after a failure");
	journal_stored(j, sync_token, 0);
	for (i = 0; i < 30 && nsegs(jdir, NULL, 0) >= n; i++)
		usleep(100000);
	ok(nsegs(jdir, NULL, 0) < n, "segments removed once stored (%d of "
	    "%d left)", nsegs(jdir, NULL, 0), n);
	journal_close(j, 0);
	memset(&a, 0, sizeof(a));
	j = journal_open(jdir, JOURNAL_FSYNC, 1 << 20, 2048, err, sizeof(err));
	n = (int)journal_replay(j, collect, &a);
	ok(n < 300, "what was stored is not replayed (%d records)", n);
	journal_close(j, 1);
	is_int(nsegs(jdir, NULL, 0), 0, "a clean close removes every segment");

	/* journal_max: full means refused, never dropped later. */
	j = journal_open(jdir, JOURNAL_FSYNC, 1000000, 4096, err, sizeof(err));
	journal_replay(j, collect, &a);
	journal_start(j, base, NULL, NULL);
	memset(&r, 0, sizeof(r));
	r.type = JOURNAL_VALUE;
	r.kind = 1;
	r.name = "a.b.full";
	r.preset = "fast";
	r.n = 1;
	r.when = &t;
	r.value = &v;
	for (i = 0; i < 100000 && !full; i++) {
		t = 5000 + i;
		v = i;
		full = journal_append(j, &r, NULL, NULL, &lsn) == JOURNAL_FULL;
	}
	ok(full, "a full journal refuses (after %d values)", i);
	ok(strstr(journal_error(j), "journal_max") != NULL, "and says why: "
	    "%s", journal_error(j));
	journal_close(j, 0);
	memset(&a, 0, sizeof(a));
	j = journal_open(jdir, JOURNAL_FSYNC, 1000000, 4096, err, sizeof(err));
	is_int((int)journal_replay(j, collect, &a), i - 1, "every value "
	    "accepted before it is replayed");
	journal_close(j, 1);

	/* A disk that refuses writes: acknowledged values survive it. */
	{
		struct rlimit	 rl, small;
		int		 acked = 0, failed = 0, refused = 0;

		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &rl);
		j = journal_open(jdir, JOURNAL_FSYNC, 1 << 24, 1 << 22, err,
		    sizeof(err));
		journal_replay(j, collect, &a);
		journal_start(j, base, NULL, NULL);
		small = rl;
		small.rlim_cur = 16384;
		setrlimit(RLIMIT_FSIZE, &small);
		for (i = 0; i < 2000 && !refused; i++) {
			t = 9000 + i;
			v = i;
			r.name = "a.b.disk";
			switch (journal_append(j, &r, NULL, NULL, &lsn)) {
			case JOURNAL_OK:
				if (journal_wait(j, lsn) == 0)
					acked++;
				else
					failed++;
				break;
			case JOURNAL_FAILED:
				refused = 1;
				break;
			}
		}
		setrlimit(RLIMIT_FSIZE, &rl);
		ok(failed > 0, "a failed write fails its acknowledgement (%d "
		    "acknowledged first)", acked);
		ok(refused, "then new values are refused");
		ok(strstr(journal_error(j), "journal write failed") != NULL,
		    "with the reason: %s", journal_error(j));
		journal_close(j, 0);
		memset(&a, 0, sizeof(a));
		j = journal_open(jdir, JOURNAL_FSYNC, 1 << 24, 1 << 22, err,
		    sizeof(err));
		n = (int)journal_replay(j, collect, &a);
		is_int(n, acked, "every acknowledged value is replayed, no "
		    "half record");
		journal_close(j, 1);
	}

	snprintf(path, sizeof(path), "rm -rf %s", dir);
	(void)system(path);
	event_base_free(base);
	return (tap_done());
}
