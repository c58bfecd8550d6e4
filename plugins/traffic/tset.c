/*
 * tset.c - fingerprint sets for exact unique-visitor counts.
 *
 * A visitor is reduced to a seeded 64-bit hash of its address and user
 * agent; two different visitors are merged only if their fingerprints
 * collide: among a million visitors, a chance of about 3 in 10^8.  Tables use
 * linear probing at a load of at most one half.
 */
#include <stdlib.h>
#include <string.h>

#include "tset.h"

#define TH_K1	0x9e3779b97f4a7c15ULL
#define TH_K2	0xc2b2ae3d27d4eb4fULL

/* A final avalanche so that every input bit moves every output bit. */
static uint64_t
th_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (h);
}

/* Hash n bytes, eight at a time; not for cryptography, only for spread. */
uint64_t
th_hash(const void *p, size_t n, uint64_t seed)
{
	const unsigned char	*s = p;
	uint64_t		 h = seed ^ (n * TH_K2), w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ (w * TH_K1)) * TH_K2;
		h ^= h >> 29;
		s += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ (w * TH_K1)) * TH_K2;
	return (th_mix(h));
}

/* The fingerprint of one visitor: address and user agent, never 0. */
uint64_t
th_visitor(uint64_t seed, const char *addr, size_t alen, const char *agent,
    size_t agentlen)
{
	uint64_t	 h;

	h = th_hash(agent, agentlen, th_hash(addr, alen, seed) + alen);
	return (h == 0 ? 1 : h);
}

/* Slot of key in a table of cap slots: where it is, or the empty one. */
static size_t
tset_slot(const uint64_t *keys, size_t cap, uint64_t key)
{
	size_t	 i = (size_t)(key ^ (key >> 31)) & (cap - 1);

	while (keys[i] != 0 && keys[i] != key)
		i = (i + 1) & (cap - 1);
	return (i);
}

/* Double a set's table; -1 if memory ran out (the set is unchanged). */
static int
tset_grow(struct tset *s)
{
	uint64_t	*nk;
	size_t		 ncap = s->cap ? s->cap * 2 : 1024, i;

	if ((nk = calloc(ncap, sizeof(*nk))) == NULL)
		return (-1);
	for (i = 0; i < s->cap; i++) {
		if (s->keys[i] != 0)
			nk[tset_slot(nk, ncap, s->keys[i])] = s->keys[i];
	}
	free(s->keys);
	s->keys = nk;
	s->cap = ncap;
	return (0);
}

/* Add a fingerprint: 1 if it is new, 0 if known, -1 without memory. */
int
tset_add(struct tset *s, uint64_t key)
{
	size_t	 i;

	if (key == 0)
		key = 1;
	if ((s->n + 1) * 2 > s->cap && tset_grow(s) == -1)
		return (-1);
	i = tset_slot(s->keys, s->cap, key);
	if (s->keys[i] == key)
		return (0);
	s->keys[i] = key;
	s->n++;
	return (1);
}

int
tset_has(const struct tset *s, uint64_t key)
{
	if (key == 0)
		key = 1;
	return (s->cap != 0 && s->keys[tset_slot(s->keys, s->cap, key)] ==
	    key);
}

void
tset_free(struct tset *s)
{
	free(s->keys);
	memset(s, 0, sizeof(*s));
}

/* Rebuild a map into cap slots, keeping entries seen at or after keep. */
static int
tseen_rebuild(struct tseen *m, size_t cap, int64_t keep)
{
	uint64_t	*nk;
	int64_t		*nw;
	size_t		 i, j, n = 0;

	if ((nk = calloc(cap, sizeof(*nk))) == NULL ||
	    (nw = calloc(cap, sizeof(*nw))) == NULL) {
		free(nk);
		return (-1);
	}
	for (i = 0; i < m->cap; i++) {
		if (m->keys[i] == 0 || m->when[i] < keep)
			continue;
		j = tset_slot(nk, cap, m->keys[i]);
		nk[j] = m->keys[i];
		nw[j] = m->when[i];
		n++;
	}
	free(m->keys);
	free(m->when);
	m->keys = nk;
	m->when = nw;
	m->cap = cap;
	m->n = n;
	return (0);
}

/* When a visitor was last seen, or 0 if not in the map. */
int64_t
tseen_get(const struct tseen *m, uint64_t key)
{
	size_t	 i;

	if (m->cap == 0)
		return (0);
	i = tset_slot(m->keys, m->cap, key == 0 ? 1 : key);
	return (m->keys[i] != 0 ? m->when[i] : 0);
}

/* Record that a visitor was seen at when (the later time wins). */
int
tseen_put(struct tseen *m, uint64_t key, int64_t when)
{
	size_t	 i;

	if (key == 0)
		key = 1;
	if ((m->n + 1) * 2 > m->cap && tseen_rebuild(m, m->cap ? m->cap * 2 :
	    1024, INT64_MIN) == -1)
		return (-1);
	i = tset_slot(m->keys, m->cap, key);
	if (m->keys[i] == 0) {
		m->keys[i] = key;
		m->when[i] = when;
		m->n++;
	} else if (when > m->when[i])
		m->when[i] = when;
	return (0);
}

/* Forget visitors last seen before a time; shrinks the table if sparse. */
int
tseen_expire(struct tseen *m, int64_t before)
{
	size_t	 i, live = 0, cap;

	for (i = 0; i < m->cap; i++)
		live += m->keys[i] != 0 && m->when[i] >= before;
	if (live == m->n)
		return (0);
	for (cap = 1024; cap < live * 4; cap *= 2)
		continue;
	return (tseen_rebuild(m, cap, before));
}

/* Number of visitors seen at or after since. */
size_t
tseen_count_since(const struct tseen *m, int64_t since)
{
	size_t	 i, n = 0;

	for (i = 0; i < m->cap; i++)
		n += m->keys[i] != 0 && m->when[i] >= since;
	return (n);
}

void
tseen_free(struct tseen *m)
{
	free(m->keys);
	free(m->when);
	memset(m, 0, sizeof(*m));
}
