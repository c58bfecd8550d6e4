/*
 * tail.h - follow one access log through rotations, counting every byte
 * once.  A checkpoint (device, inode, offset, and a hash of the file's
 * first bytes) survives restarts in the plugin's state file.  Rotation by
 * rename is noticed when the path names another file: the old one is read
 * to its end before the new one is started.  Rotation by copy and truncate
 * is noticed when the file shrinks or its head changes: the unread end is
 * taken from the copy (path plus the rotated suffix) when it is there.
 */
#ifndef TRAFFIC_TAIL_H
#define TRAFFIC_TAIL_H

#include <sys/types.h>

#include <stdint.h>
#include <stdio.h>

#define TAIL_HEAD	512	/* bytes of a file's head that we hash */

struct tail_file {
	int		 fd;		/* -1 when not open */
	int		 known;		/* identity below is valid */
	dev_t		 dev;
	ino_t		 ino;
	off_t		 off;		/* first byte not consumed */
	uint64_t	 headhash;	/* of the first headlen bytes */
	size_t		 headlen;
	int64_t		 newest;	/* newest time stamp read */
	int		 skipping;	/* inside an overlong line */
	int		 idle;		/* polls without growth */
	off_t		 size;		/* size at the last poll */
	uint64_t	 lines;		/* lines read from it so far */
	const char	*name;		/* its path, for messages */
};

/* Called per complete line; line NULL means "an overlong line was skipped". */
struct tail_file;
typedef void	(*tail_line_cb)(void *arg, const char *line, size_t len,
		    struct tail_file *from);
typedef void	(*tail_log_cb)(void *arg, int prio, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

struct tail {
	char		*path;
	char		*rotated;	/* path of the rotated file */
	struct tail_file cur;		/* the file at path */
	struct tail_file old;		/* rotated away, being finished */
	size_t		 max_line;
	size_t		 budget;	/* bytes read per poll at most */
	char		*buf;
	size_t		 bufsize;
	uint64_t	 rotations;	/* rename rotations followed */
	uint64_t	 truncations;	/* truncations followed */
	tail_log_cb	 log;
	void		*logarg;
	int		 start_at_end;	/* skip what exists */
	int		 missing_logged;
};

int	 tail_init(struct tail *, const char *path, const char *suffix,
	    size_t max_line);
void	 tail_free(struct tail *);
int	 tail_poll(struct tail *, tail_line_cb, void *arg);
void	 tail_save(const struct tail *, size_t idx, FILE *);
int	 tail_load_line(struct tail *, size_t idx, const char *line);

#endif
