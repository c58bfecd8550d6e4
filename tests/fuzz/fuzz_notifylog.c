/*
 * fuzz_notifylog.c - libFuzzer target for the notice journal's reader
 * (notifylog_parse) and the notice records it hands back
 * (notify_record_parse), as a start reads statedir/notify.journal after
 * a crash: torn lines, bad checksums, D records without their N.  Each
 * pending entry must have a notifier and a notice without newlines, and
 * writing the entries again and reading that back must give them back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "notify.h"
#include "notifylog.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct notifylog_entry	*e, *e2;
	struct notify_event	 ev;
	struct evbuffer		*b;
	char			*text, *again, *copy;
	size_t			 n, n2, i;

	if ((text = malloc(len + 1)) == NULL)
		return (0);
	memcpy(text, data, len);
	text[len] = '\0';
	notifylog_parse(text, len, "fuzz", 0, &e, &n);
	if ((b = evbuffer_new()) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		if (e[i].notifier == NULL || e[i].notice == NULL ||
		    strchr(e[i].notifier, '\n') != NULL ||
		    strchr(e[i].notice, '\n') != NULL)
			abort();
		copy = strdup(e[i].notice);
		if (copy != NULL && notify_record_parse(copy, &ev) == 0 &&
		    (ev.rule == NULL || ev.message == NULL))
			abort();
		free(copy);
		notifylog_fmt_add(b, e[i].seq, e[i].notifier, e[i].notice);
	}
	again = util_evbuffer_string(b);
	notifylog_parse(again, strlen(again), "fuzz", 0, &e2, &n2);
	if (n2 != n)
		abort();
	for (i = 0; i < n; i++) {
		if (e2[i].seq != e[i].seq || strcmp(e2[i].notifier,
		    e[i].notifier) != 0 || strcmp(e2[i].notice,
		    e[i].notice) != 0)
			abort();
	}
	notifylog_entries_free(e, n);
	notifylog_entries_free(e2, n2);
	evbuffer_free(b);
	free(again);
	free(text);
	return (0);
}
