/*
 * tset.h - the traffic plugin's visitor sets: open-addressing hash tables
 * of 64-bit visitor fingerprints (a set, and a map to the time last seen),
 * and the fingerprint hash itself.  They grow by doubling; adding a key
 * never allocates otherwise.
 */
#ifndef TRAFFIC_TSET_H
#define TRAFFIC_TSET_H

#include <stddef.h>
#include <stdint.h>

struct tset {
	uint64_t	*keys;		/* 0 marks an empty slot */
	size_t		 cap;		/* a power of two, or 0 */
	size_t		 n;
};

struct tseen {
	uint64_t	*keys;
	int64_t		*when;
	size_t		 cap;
	size_t		 n;
};

uint64_t	 th_hash(const void *, size_t, uint64_t seed);
uint64_t	 th_visitor(uint64_t seed, const char *addr, size_t alen,
		    const char *agent, size_t agentlen);

int		 tset_add(struct tset *, uint64_t key);
int		 tset_has(const struct tset *, uint64_t key);
void		 tset_free(struct tset *);

int64_t		 tseen_get(const struct tseen *, uint64_t key);
int		 tseen_put(struct tseen *, uint64_t key, int64_t when);
int		 tseen_expire(struct tseen *, int64_t before);
size_t		 tseen_count_since(const struct tseen *, int64_t since);
void		 tseen_free(struct tseen *);

#endif
