/*
 * hmap.c - string-keyed hash table.
 *
 * FNV-1a over the key, separate chaining, doubling at load factor 1.  Small
 * and dependency-free; the series registry and the store's file table use it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "xmalloc.h"

struct hmap_entry {
	struct hmap_entry	*next;
	uint32_t		 hash;
	void			*value;
	char			 key[];
};

struct hmap {
	struct hmap_entry	**buckets;
	size_t			  nbuckets;	/* power of two */
	size_t			  count;
};

static uint32_t
hmap_hash(const char *s)
{
	uint32_t	 h = 2166136261u;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return (h);
}

struct hmap *
hmap_new(void)
{
	struct hmap	*hm;

	hm = xcalloc(1, sizeof(*hm));
	hm->nbuckets = 16;
	hm->buckets = xcalloc(hm->nbuckets, sizeof(*hm->buckets));
	return (hm);
}

void
hmap_free(struct hmap *hm, void (*free_value)(void *))
{
	struct hmap_entry	*e, *next;
	size_t			 i;

	if (hm == NULL)
		return;
	for (i = 0; i < hm->nbuckets; i++) {
		for (e = hm->buckets[i]; e != NULL; e = next) {
			next = e->next;
			if (free_value != NULL)
				free_value(e->value);
			free(e);
		}
	}
	free(hm->buckets);
	free(hm);
}

static struct hmap_entry **
hmap_slot(const struct hmap *hm, const char *key, uint32_t h)
{
	struct hmap_entry	**ep;

	ep = &hm->buckets[h & (hm->nbuckets - 1)];
	while (*ep != NULL && ((*ep)->hash != h || strcmp((*ep)->key, key) != 0))
		ep = &(*ep)->next;
	return (ep);
}

void *
hmap_get(const struct hmap *hm, const char *key)
{
	struct hmap_entry	*e;

	e = *hmap_slot(hm, key, hmap_hash(key));
	return (e != NULL ? e->value : NULL);
}

static void
hmap_grow(struct hmap *hm)
{
	struct hmap_entry	**nb, *e, *next;
	size_t			  i, n = hm->nbuckets * 2;

	nb = xcalloc(n, sizeof(*nb));
	for (i = 0; i < hm->nbuckets; i++) {
		for (e = hm->buckets[i]; e != NULL; e = next) {
			next = e->next;
			e->next = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	}
	free(hm->buckets);
	hm->buckets = nb;
	hm->nbuckets = n;
}

void *
hmap_put(struct hmap *hm, const char *key, void *value)
{
	struct hmap_entry	**ep, *e;
	uint32_t		  h = hmap_hash(key);
	size_t			  len;
	void			 *old;

	ep = hmap_slot(hm, key, h);
	if (*ep != NULL) {
		old = (*ep)->value;
		(*ep)->value = value;
		return (old);
	}
	len = strlen(key) + 1;
	e = xmalloc(sizeof(*e) + len);
	memcpy(e->key, key, len);
	e->hash = h;
	e->value = value;
	e->next = NULL;
	*ep = e;
	if (++hm->count > hm->nbuckets)
		hmap_grow(hm);
	return (NULL);
}

void *
hmap_del(struct hmap *hm, const char *key)
{
	struct hmap_entry	**ep, *e;
	void			 *value;

	ep = hmap_slot(hm, key, hmap_hash(key));
	if ((e = *ep) == NULL)
		return (NULL);
	*ep = e->next;
	value = e->value;
	free(e);
	hm->count--;
	return (value);
}

size_t
hmap_count(const struct hmap *hm)
{
	return (hm->count);
}

int
hmap_foreach(const struct hmap *hm,
    int (*fn)(const char *, void *, void *), void *arg)
{
	struct hmap_entry	*e;
	size_t			 i;
	int			 rv;

	for (i = 0; i < hm->nbuckets; i++) {
		for (e = hm->buckets[i]; e != NULL; e = e->next) {
			if ((rv = fn(e->key, e->value, arg)) != 0)
				return (rv);
		}
	}
	return (0);
}
