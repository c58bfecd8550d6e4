/*
 * archive.h - import rotated access logs (plain or gzip) once each, oldest
 * first.  A file is known by a hash of its first line, which survives
 * logrotate's renames and compression, so "access.log.1" becoming
 * "access.log.2.gz" is the same archive.  See docs/TRAFFIC.md.
 */
#ifndef TRAFFIC_ARCHIVE_H
#define TRAFFIC_ARCHIVE_H

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>

#include <zlib.h>

#include "tail.h"
#include "tset.h"

#define ARCHIVE_GLOBS	8

/* The time stamp of a line, or -1 if it has none (a callback). */
typedef int64_t	(*archive_time_cb)(void *arg, const char *line, size_t len);

struct archive_file {
	char		*path;
	uint64_t	 key;		/* hash of the first line */
	int64_t		 first;		/* time of the first dated line */
	off_t		 size;		/* on disk */
	dev_t		 dev;
	ino_t		 ino;
	time_t		 mtime;
};

struct archive {
	char		*globs[ARCHIVE_GLOBS];
	size_t		 nglobs;
	const char	*const *live;	/* the live logs: never archives */
	size_t		 nlive;
	size_t		 max_line;
	archive_time_cb	 timeof;
	void		*timearg;
	struct tset	 done;		/* keys imported, or read as live */
	struct tset	 failed;	/* could not be opened: not this run */
	struct archive_file *cache;	/* every file seen, by identity */
	size_t		 ncache;
	size_t		*plan;		/* cache indexes to import, in order */
	size_t		 nplan, next;
	/* the file being imported */
	uint64_t	 curkey;	/* 0: none */
	uint64_t	 curoff;	/* bytes of its text consumed */
	gzFile		 gz;
	struct tail_file f;		/* name, lines, newest for messages */
	char		*buf;
	size_t		 bufsize, have;
	/* progress of this run */
	uint64_t	 files_total, files_done;
	uint64_t	 bytes_total, bytes_done;
	uint64_t	 lines;
};

int	 archive_init(struct archive *, size_t max_line);
int	 archive_add_glob(struct archive *, const char *);
void	 archive_free(struct archive *);
uint64_t archive_key(const char *line, size_t len);
int	 archive_plan(struct archive *, char *err, size_t errlen);
int	 archive_read(struct archive *, size_t budget, tail_line_cb, void *,
	    char *err, size_t errlen);
void	 archive_mark(struct archive *, uint64_t key);
int	 archive_first_key(const char *path, size_t max_line, uint64_t *key,
	    dev_t *, ino_t *);
void	 archive_save(const struct archive *, FILE *);
int	 archive_load_line(struct archive *, const char *line);

#endif
