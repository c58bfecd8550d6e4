/*
 * tjournal.h - for the unit tests that write a journal (test_journal,
 * test_forward): one value appended and waited for, as PUT does.
 */
#ifndef TALLY_TJOURNAL_H
#define TALLY_TJOURNAL_H

#include <string.h>
#include <time.h>

#include "journal.h"

/* name's value v at when, durable on return: 0, or -1. */
static inline int
tj_append(struct journal *j, const char *name, time_t when, double v)
{
	struct journal_rec	 r;
	uint64_t		 lsn;

	memset(&r, 0, sizeof(r));
	r.type = JOURNAL_VALUE;
	r.kind = 1;
	r.name = name;
	r.preset = "fast";
	r.n = 1;
	r.when = &when;
	r.value = &v;
	if (journal_append(j, &r, NULL, NULL, &lsn) != JOURNAL_OK)
		return (-1);
	return (journal_wait(j, lsn));
}

#endif
