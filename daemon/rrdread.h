/*
 * rrdread.h - rrd_fetch_r's answer for our own files, read with pread on
 * descriptors kept open: the same archive, span and rows as librrd 1.7,
 * without its open, lock, mmap, munmap and close on every read.
 */
#ifndef TALLY_RRDREAD_H
#define TALLY_RRDREAD_H

#include <time.h>

#define RRDREAD_RRA_MAX	64	/* archives a file may have */

struct rrdread_rra {
	char		 cf[20];
	unsigned long	 rows;
	unsigned long	 res;		/* seconds a row */
};

/* What rrdread_fetch read, as rrd_fetch_r sets its arguments. */
struct rrdread_rows {
	time_t		 start, end;
	unsigned long	 step;
	unsigned long	 nds;
	unsigned long	 nrows;		/* (end - start) / step */
	double		*data;		/* nrows values of the first DS */
	/* the layout it was read from, for the caller's limits */
	long long	 last;
	int		 nrra;
	struct rrdread_rra rra[RRDREAD_RRA_MAX];
};

/*
 * Checks the span before reading rows: 0 to go on, -1 to stop (then the
 * caller has recorded why).
 */
typedef int (*rrdread_check)(const struct rrdread_rows *, void *arg);

/*
 * rrd_fetch_r(path, cf, start, end, step) into out, the first DS only.
 * 0, else -1 with err set (ENOENT in *errnum for a missing file).  The
 * CF is AVERAGE, MIN, MAX or LAST; check (or NULL) runs once the layout
 * is known, before any row is read.  Thread-safe.
 *
 * With RRDREAD_NOWAIT it never waits on the disk: a file not open yet,
 * bytes not in the page cache or a file for librrd make it fail with
 * EAGAIN in *errnum (for the event loop, which then asks a worker).
 */
#define RRDREAD_NOWAIT	0x1
int	rrdread_fetch(const char *path, const char *cf, time_t start,
	    time_t end, unsigned long step, int flags, struct rrdread_rows *out,
	    rrdread_check check, void *arg, char *err, size_t errlen,
	    int *errnum);
/*
 * The file's last update, read from its header with a new descriptor (so
 * a file renamed into place is seen).  0, or -1 with errno (EINVAL: not
 * an RRD file of this machine).  Thread-safe.
 */
int	rrdread_last(const char *path, time_t *last);
/*
 * LAST from a file, as rrd_lastupdate_r gives it: the last update and the
 * first DS's last value as written ("U" if unknown), from the header on
 * the kept descriptor.  0; 1 if the file is for librrd (a version before
 * 3, odd counts); -1 with errno (EAGAIN with RRDREAD_NOWAIT when it would
 * wait, ENOENT, EINVAL: not an RRD file of this machine).
 */
int	rrdread_lastds(const char *path, int flags, time_t *last, char *ds,
	    size_t dslen);
/*
 * Drops the descriptor kept for path, after our own rename over it (a
 * create, a rewrite): the next read opens the new file.  Thread-safe.
 */
void	rrdread_forget(const char *path);
/* Closes every descriptor kept (at shutdown). */
void	rrdread_close_all(void);

#endif
