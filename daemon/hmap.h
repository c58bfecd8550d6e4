/* hmap.h - a string-keyed hash table (chained, grows by doubling). */
#ifndef TALLY_HMAP_H
#define TALLY_HMAP_H

#include <stddef.h>

struct hmap;

struct hmap	*hmap_new(void);
/* Frees the table; calls free_value on each value if not NULL. */
void		 hmap_free(struct hmap *, void (*free_value)(void *));
void		*hmap_get(const struct hmap *, const char *key);
/* Inserts or replaces; the key is copied.  Returns the old value or NULL. */
void		*hmap_put(struct hmap *, const char *key, void *value);
/* Removes key; returns its value or NULL. */
void		*hmap_del(struct hmap *, const char *key);
size_t		 hmap_count(const struct hmap *);
/*
 * Calls fn for each entry in no particular order; fn may not change the
 * table.  A non-zero return from fn stops the walk and is returned.
 */
int		 hmap_foreach(const struct hmap *,
		    int (*fn)(const char *key, void *value, void *arg), void *arg);

#endif
