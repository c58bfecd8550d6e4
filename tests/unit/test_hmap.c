/* test_hmap.c - the hash table under growth, replacement and deletion. */
#include <stdio.h>
#include <stdlib.h>

#include "hmap.h"
#include "tap.h"

static int
count_cb(const char *key, void *value, void *arg)
{
	(*(int *)arg)++;
	return (0);
}

int
main(void)
{
	struct hmap	*hm = hmap_new();
	char		 key[32];
	long		 i, bad = 0;
	int		 n = 0;

	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "k%ld", i);
		hmap_put(hm, key, (void *)(i + 1));
	}
	is_int(hmap_count(hm), 10000, "10000 keys after growth");
	for (i = 0; i < 10000; i++) {
		snprintf(key, sizeof(key), "k%ld", i);
		if (hmap_get(hm, key) != (void *)(i + 1))
			bad++;
	}
	is_int(bad, 0, "every key finds its value");
	ok(hmap_get(hm, "missing") == NULL, "missing key is NULL");
	ok(hmap_put(hm, "k5", (void *)99L) == (void *)6L, "replace returns old");
	is_int(hmap_count(hm), 10000, "replace does not add");
	ok(hmap_del(hm, "k5") == (void *)99L, "delete returns value");
	ok(hmap_get(hm, "k5") == NULL, "deleted key gone");
	ok(hmap_del(hm, "k5") == NULL, "deleting twice is harmless");
	hmap_foreach(hm, count_cb, &n);
	is_int(n, 9999, "foreach visits every entry once");
	hmap_free(hm, NULL);
	return (tap_done());
}
