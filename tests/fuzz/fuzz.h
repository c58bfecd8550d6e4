/*
 * fuzz.h - shared by the libFuzzer targets: the entry point's prototype
 * copying an input into a string, and the scratch directory.
 */
#ifndef TALLY_FUZZ_H
#define TALLY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A NUL-terminated copy of the input (the caller frees it), or NULL. */
static inline char *
fuzz_string(const uint8_t *data, size_t size)
{
	char	*s;

	if ((s = malloc(size + 1)) == NULL)
		return (NULL);
	memcpy(s, data, size);
	s[size] = '\0';
	return (s);
}

/*
 * Where a target writes its scratch files: $TMPDIR (run.sh points it at
 * /dev/shm, where an fsync costs nothing), else /tmp.
 */
static inline const char *
fuzz_tmpdir(void)
{
	const char	*d = getenv("TMPDIR");

	return (d != NULL && *d == '/' && strlen(d) < 32 ? d : "/tmp");
}

/* An error message must be terminated within its buffer. */
static inline void
fuzz_check_msg(const char *buf, size_t len)
{
	if (memchr(buf, '\0', len) == NULL)
		abort();
}

#endif
