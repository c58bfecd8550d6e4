/*
 * rrdread.c - FETCH's rows from our own RRD files, as rrd_fetch_r gives
 * them, at a fraction of its cost.
 *
 * DESIGN
 * rrd_fetch_r opens the file, locks it, maps it, advises the kernel three
 * times, then unmaps and closes it: about 15 system calls, and the unmap
 * of a threaded process stops the other core for a TLB flush.  Here a
 * read is one pread of the header's live part (the last update and the
 * archives' current rows) and one or two of the rows, on a descriptor
 * kept open per path with the file's layout (DS and archive counts, each
 * archive's CF, rows, step and offset), read and checked once when it is
 * opened: an RRD's layout never changes in place.  A create or a rewrite
 * renames a new file over the path, which leaves the kept one without a
 * link: ours call rrdread_forget, another program's is seen by an fstat
 * of the kept descriptor, at most once a second (as is a file of another
 * size copied over it in place).  The archive, the aligned
 * span and the rows are chosen by the arithmetic of librrd 1.7's
 * rrd_fetch_fn, with its types, so the answer is the same bits
 * (tests/unit/test_rrdread compares both on real files).
 *
 * No fcntl lock is taken: POSIX locks are per process, so one never kept
 * our own writer out (and librrd's close of its descriptor dropped the
 * writer's lock); the store flushes what a query needs before it reads.
 * Files this reader does not know (versions before 3, more than
 * RRDREAD_RRA_MAX archives, odd sizes) are read by rrd_fetch_r.
 *
 * THREADS
 * Called by the query workers.  The table of descriptors is under
 * rrdread_lock, a leaf held for a lookup only; an entry counts its users,
 * and one replaced or evicted while in use is closed by its last user.
 */
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RRD_EXPORT_DEPRECATED	/* rrd_format.h: the on-disk structs */
#include <rrd.h>

#include "hmap.h"
#include "rrdread.h"
#include "xmalloc.h"

#define RRDREAD_FDS_MAX		256	/* descriptors kept at most */
#define RRDREAD_HEADER_MAX	65536	/* larger headers go to librrd */
#define RRDREAD_DS_MAX		64
#define RRDREAD_ROWS_MAX	(1UL << 28)	/* what no malloc would give */
#define RRDREAD_TIME_MAX	(1UL << 61)	/* seconds: no time_t overflow */

/* An archive of a kept file, as its header defines it. */
struct rrdread_arch {
	char		 cf[20];	/* NUL-terminated */
	int		 basic;		/* AVERAGE, MIN, MAX or LAST */
	unsigned long	 rows;
	unsigned long	 pdp_cnt;
	off_t		 base;		/* its first row's offset */
};

struct rrdread_fd {
	int		 fd;
	off_t		 size;
	int		 refs;		/* users, and 1 for the table */
	long		 checked;	/* monotonic second of the last fstat */
	int		 ours;		/* 0: a layout for librrd */
	unsigned long	 nds, nrra, pdp_step;
	size_t		 off_live;	/* live_head_t */
	size_t		 off_ptr;	/* rra_ptr_t[nrra] */
	size_t		 hlen;		/* the header; then the rows */
	struct rrdread_arch arch[];	/* nrra */
};

static pthread_mutex_t	 rrdread_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hmap	*rrdread_fds;		/* path -> rrdread_fd */

/* Drops one reference; the last closes.  With rrdread_lock held. */
static void
rrdread_unref(struct rrdread_fd *f)
{
	if (--f->refs > 0)
		return;
	close(f->fd);
	free(f);
}

static void
rrdread_unref_cb(void *arg)
{
	rrdread_unref(arg);
}

/* The four CFs rrd_fetch_fn lets stand in for each other at one PDP. */
static int
rrdread_basic_cf(const char *cf)
{
	return (strcmp(cf, "AVERAGE") == 0 || strcmp(cf, "MIN") == 0 ||
	    strcmp(cf, "MAX") == 0 || strcmp(cf, "LAST") == 0);
}

/* len bytes at off; -1 with errno EAGAIN if NOWAIT and not in memory. */
static int
rrdread_full(int fd, void *buf, size_t len, off_t off, int flags)
{
	struct iovec	 iov;
	ssize_t		 r;
	size_t		 n = 0;

	while (n < len) {
		iov.iov_base = (char *)buf + n;
		iov.iov_len = len - n;
		if ((r = preadv2(fd, &iov, 1, off + (off_t)n,
		    (flags & RRDREAD_NOWAIT) ? RWF_NOWAIT : 0)) <= 0) {
			if (r == 0 || errno != EAGAIN)
				errno = EIO;
			return (-1);
		}
		n += (size_t)r;
	}
	return (0);
}

/* The second a kept descriptor was last checked for a rename. */
static long
rrdread_now(void)
{
	struct timespec	 ts;

#ifdef CLOCK_MONOTONIC_COARSE
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);	/* no system call */
#else
	clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
	return ((long)ts.tv_sec);
}

/*
 * path opened for reading.  No access time: every read after a write
 * would otherwise update the inode (relatime), a write of its own.
 * O_NOATIME is for the file's owner; others open without it.
 */
static int
rrdread_open_path(const char *path)
{
	int	 fd = -1;

#ifdef O_NOATIME
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOATIME)) == -1 &&
	    errno != EPERM)
		return (-1);
#endif
	if (fd == -1)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	return (fd);
}

/*
 * The layout of path, open on fd (size bytes), read and checked: a new
 * entry, with ours 0 for a file librrd reads (a version, DS or archive
 * count this reader does not know, a huge header); NULL with err set for
 * a file that is no RRD or has a damaged layout.  The live part (the last
 * update, the archives' current rows) is checked on every read.
 */
static struct rrdread_fd *
rrdread_layout(const char *path, int fd, off_t size, char *err,
    size_t errlen)
{
	unsigned long		 hbuf[4096 / sizeof(unsigned long)];
	unsigned char		*h = (unsigned char *)hbuf;
	const rra_def_t		*rd;
	struct rrdread_arch	*a;
	struct rrdread_fd	*f;
	stat_head_t		 head;
	unsigned long		 nds, nrra, k;
	size_t			 got, hlen, off_live, off_ptr, data_len;
	off_t			 base;
	int			 version;

	got = size > 0 && (size_t)size < sizeof(hbuf) ? (size_t)size :
	    sizeof(hbuf);
	if (rrdread_full(fd, h, got, 0, 0) == -1 || got < sizeof(head) ||
	    memcmp(h, RRD_COOKIE, sizeof(RRD_COOKIE)) != 0) {
		snprintf(err, errlen, "'%s' is not an RRD file", path);
		return (NULL);
	}
	memcpy(&head, h, sizeof(head));
	if (head.float_cookie != FLOAT_COOKIE) {
		snprintf(err, errlen, "This RRD was created on another "
		    "architecture");
		return (NULL);
	}
	version = atoi(head.version);
	nds = head.ds_cnt;
	nrra = head.rra_cnt;
	off_live = sizeof(stat_head_t) + nds * sizeof(ds_def_t) +
	    nrra * sizeof(rra_def_t);
	off_ptr = off_live + sizeof(live_head_t) + nds * sizeof(pdp_prep_t) +
	    nrra * nds * sizeof(cdp_prep_t);
	hlen = off_ptr + nrra * sizeof(rra_ptr_t);
	if (version < 3 || version > atoi(RRD_VERSION5) || nds < 1 ||
	    nds > RRDREAD_DS_MAX || nrra > RRDREAD_RRA_MAX ||
	    hlen > RRDREAD_HEADER_MAX) {
		f = xcalloc(1, sizeof(*f));	/* librrd's */
		f->size = size;
		return (f);
	}
	if (hlen > got) {
		h = xmalloc(hlen);
		if (rrdread_full(fd, h, hlen, 0, 0) == -1) {
			snprintf(err, errlen, "'%s' is too small (should be "
			    "%zu bytes)", path, hlen);
			free(h);
			return (NULL);
		}
	}
	rd = (const rra_def_t *)(h + sizeof(stat_head_t) +
	    nds * sizeof(ds_def_t));
	f = xcalloc(1, sizeof(*f) + nrra * sizeof(f->arch[0]));
	f->size = size;
	f->ours = 1;
	f->nds = nds;
	f->nrra = nrra;
	f->pdp_step = head.pdp_step;
	f->off_live = off_live;
	f->off_ptr = off_ptr;
	f->hlen = hlen;
	/*
	 * A damaged header must not divide by zero (librrd would: a row of
	 * 0 PDPs) nor overflow the sizes or times (each archive's span
	 * under 2^61 s); the archives must fit the file.
	 */
	data_len = 0;
	base = (off_t)hlen;
	for (k = 0; k < nrra; k++) {
		if (head.pdp_step == 0 || rd[k].pdp_cnt == 0 ||
		    rd[k].pdp_cnt > RRDREAD_TIME_MAX / 4 / head.pdp_step ||
		    rd[k].row_cnt == 0 || rd[k].row_cnt > RRDREAD_TIME_MAX /
		    (rd[k].pdp_cnt * head.pdp_step)) {
			snprintf(err, errlen, "'%s' has a damaged header "
			    "(archive %lu)", path, k);
			goto bad;
		}
		if (rd[k].row_cnt > (unsigned long)size / (nds *
		    sizeof(rrd_value_t)) || (data_len += nds * rd[k].row_cnt *
		    sizeof(rrd_value_t)) > (size_t)size) {
			data_len = (size_t)size + 1;
			break;
		}
		/* cf_nam is NUL-padded to 20 bytes; a damaged one may not be */
		a = &f->arch[k];
		memcpy(a->cf, rd[k].cf_nam, strnlen(rd[k].cf_nam,
		    sizeof(a->cf) - 1));
		a->basic = rrdread_basic_cf(a->cf);
		a->rows = rd[k].row_cnt;
		a->pdp_cnt = rd[k].pdp_cnt;
		a->base = base;
		base += (off_t)(nds * rd[k].row_cnt * sizeof(rrd_value_t));
	}
	if (hlen + data_len > (size_t)size) {
		snprintf(err, errlen, "'%s' is too small (should be %lld "
		    "bytes)", path, (long long)(hlen + data_len));
		goto bad;
	}
	if (h != (unsigned char *)hbuf)
		free(h);
	return (f);
bad:
	if (h != (unsigned char *)hbuf)
		free(h);
	free(f);
	return (NULL);
}

static void
rrdread_release(struct rrdread_fd *f)
{
	pthread_mutex_lock(&rrdread_lock);
	rrdread_unref(f);
	pthread_mutex_unlock(&rrdread_lock);
}

/*
 * The open descriptor of path and its layout, with a reference for the
 * caller; NULL with errno and err set (EINVAL: no RRD file, or a damaged
 * one).  Once a second a kept descriptor is checked with an fstat: a file
 * renamed over the path by another program, or removed, left it without
 * a link; one copied over in place (cp) has another size, or the same
 * layout.  Either way the path is opened anew.
 */
static struct rrdread_fd *
rrdread_open(const char *path, int flags, char *err, size_t errlen)
{
	struct rrdread_fd	*f, *old;
	struct stat		 sb;
	long			 now = rrdread_now();
	int			 fd, check = 0, saved;

	pthread_mutex_lock(&rrdread_lock);
	f = NULL;
	if (rrdread_fds != NULL && (f = hmap_get(rrdread_fds, path)) != NULL) {
		f->refs++;
		if (f->checked != now) {
			f->checked = now;
			check = 1;
		}
	}
	pthread_mutex_unlock(&rrdread_lock);
	if (f != NULL) {
		if (!check || (fstat(f->fd, &sb) == 0 && sb.st_nlink > 0 &&
		    sb.st_size == f->size))
			return (f);
		/* gone: out of the table, so no reader takes it again */
		pthread_mutex_lock(&rrdread_lock);
		if (hmap_get(rrdread_fds, path) == f) {
			hmap_del(rrdread_fds, path);
			f->refs--;	/* the table's; ours is still held */
		}
		rrdread_unref(f);
		pthread_mutex_unlock(&rrdread_lock);
	}
	if (flags & RRDREAD_NOWAIT) {
		snprintf(err, errlen, "'%s' would wait on the disk", path);
		errno = EAGAIN;		/* an open may wait on the disk */
		return (NULL);
	}

	if ((fd = rrdread_open_path(path)) == -1 || fstat(fd, &sb) == -1) {
		saved = errno;
		snprintf(err, errlen, "opening '%s': %s", path,
		    strerror(saved));
		if (fd != -1)
			close(fd);
		errno = saved;
		return (NULL);
	}
	if ((f = rrdread_layout(path, fd, sb.st_size, err, errlen)) == NULL) {
		close(fd);
		errno = EINVAL;
		return (NULL);
	}
	f->fd = fd;
	f->refs = 2;
	f->checked = now;
	pthread_mutex_lock(&rrdread_lock);
	if (rrdread_fds == NULL || hmap_count(rrdread_fds) >= RRDREAD_FDS_MAX) {
		hmap_free(rrdread_fds, rrdread_unref_cb);
		rrdread_fds = hmap_new();
	}
	if ((old = hmap_put(rrdread_fds, path, f)) != NULL && old != f)
		rrdread_unref(old);
	pthread_mutex_unlock(&rrdread_lock);
	return (f);
}

void
rrdread_forget(const char *path)
{
	struct rrdread_fd	*f;

	pthread_mutex_lock(&rrdread_lock);
	if (rrdread_fds != NULL && (f = hmap_del(rrdread_fds, path)) != NULL)
		rrdread_unref(f);
	pthread_mutex_unlock(&rrdread_lock);
}

void
rrdread_close_all(void)
{
	pthread_mutex_lock(&rrdread_lock);
	hmap_free(rrdread_fds, rrdread_unref_cb);
	rrdread_fds = NULL;
	pthread_mutex_unlock(&rrdread_lock);
}

int
rrdread_lastds(const char *path, int flags, time_t *last, char *ds,
    size_t dslen)
{
	struct rrdread_fd	*f;
	live_head_t		 live;
	pdp_prep_t		 pdp;
	char			 err[256], buf[sizeof(live) + sizeof(pdp)];
	int			 r = -1, saved;

	/* no RRD, or a damaged one: librrd's verdict, in its words */
	if ((f = rrdread_open(path, flags, err, sizeof(err))) == NULL)
		return (errno == EINVAL ? 1 : -1);
	if (!f->ours)
		r = 1;
	else if (rrdread_full(f->fd, buf, sizeof(buf), (off_t)f->off_live,
	    flags) == 0) {
		memcpy(&live, buf, sizeof(live));
		memcpy(&pdp, buf + sizeof(live), sizeof(pdp));
		*last = live.last_up;
		snprintf(ds, dslen, "%.*s", (int)sizeof(pdp.last_ds),
		    pdp.last_ds);
		r = 0;
	}
	saved = errno;
	rrdread_release(f);
	errno = saved;
	return (r);
}

int
rrdread_last(const char *path, time_t *last)
{
	stat_head_t	 head;
	live_head_t	 live;
	off_t		 off;
	int		 fd, r = -1, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (rrdread_full(fd, &head, sizeof(head), 0, 0) == 0) {
		if (memcmp(head.cookie, RRD_COOKIE, sizeof(RRD_COOKIE)) != 0 ||
		    head.float_cookie != FLOAT_COOKIE ||
		    head.ds_cnt > RRDREAD_DS_MAX ||
		    head.rra_cnt > RRDREAD_RRA_MAX)
			errno = EINVAL;
		else {
			off = (off_t)(sizeof(head) + head.ds_cnt *
			    sizeof(ds_def_t) + head.rra_cnt *
			    sizeof(rra_def_t));
			if (rrdread_full(fd, &live, sizeof(live), off, 0) == 0) {
				*last = live.last_up;
				r = 0;
			}
		}
	}
	saved = errno;
	close(fd);
	errno = saved;
	return (r);
}

/* librrd's way for what this reader does not know: 0, -1 or 1 (none). */
static int
rrdread_librrd(const char *path, const char *cf, time_t start, time_t end,
    unsigned long step, struct rrdread_rows *out, char *err, size_t errlen)
{
	unsigned long	 nds = 0, i, n;
	char		**names = NULL;
	rrd_value_t	*data = NULL;

	rrd_clear_error();
	if (rrd_fetch_r(path, cf, &start, &end, &step, &nds, &names,
	    &data) != 0) {
		snprintf(err, errlen, "%s", rrd_get_error());
		return (-1);
	}
	n = step > 0 && end > start ? (unsigned long)(end - start) / step : 0;
	out->start = start;
	out->end = end;
	out->step = step;
	out->nds = nds;
	out->nrows = n;
	out->data = xreallocarray(NULL, n > 0 ? n : 1, sizeof(double));
	for (i = 0; i < n; i++)
		out->data[i] = nds > 0 ? data[i * nds] : NAN;
	for (i = 0; i < nds; i++)
		rrd_freemem(names[i]);
	rrd_freemem(names);
	rrd_freemem(data);
	return (0);
}

/*
 * Rows of archive rra read in order from physical row ptr, count rows,
 * wrapping once at the end of the archive, DS 0 of each into dst.
 */
static int
rrdread_rows(int fd, off_t base, unsigned long nds, long rowcnt, long ptr,
    long count, double *dst, int flags)
{
	double	*tmp = NULL;
	long	 seg, k;
	size_t	 row = nds * sizeof(double);

	if (nds > 1)
		tmp = xreallocarray(NULL, (size_t)count, row);
	while (count > 0) {
		if (ptr >= rowcnt)
			ptr -= rowcnt;
		seg = rowcnt - ptr < count ? rowcnt - ptr : count;
		if (rrdread_full(fd, nds > 1 ? tmp : dst, (size_t)seg * row,
		    base + (off_t)ptr * (off_t)row, flags) == -1) {
			free(tmp);
			return (-1);
		}
		if (nds > 1)
			for (k = 0; k < seg; k++)
				dst[k] = tmp[k * nds];
		dst += seg;
		count -= seg;
		ptr += seg;
	}
	free(tmp);
	return (0);
}

int
rrdread_fetch(const char *path, const char *cf, time_t start, time_t end,
    unsigned long step, int flags, struct rrdread_rows *out,
    rrdread_check check, void *arg, char *err, size_t errlen, int *errnum)
{
	unsigned long		 lbuf[4096 / sizeof(unsigned long)];
	unsigned char		*lb = (unsigned char *)lbuf;
	const struct rrdread_arch *a;
	const rra_ptr_t		*rp;
	struct rrdread_fd	*f;
	time_t			 last_up, cal_start, cal_end, rra_start_time,
				 rra_end_time;
	long			 i, best_full_rra = 0, best_part_rra = 0,
				 chosen = 0, rra_pointer, best_full_step_diff = 0,
				 best_part_step_diff = 0, tmp_step_diff,
				 tmp_match, best_match = 0, full_match, lo, hi;
	long long		 start_offset, end_offset;
	unsigned long		 nrra, rows, k, rowcnt;
	size_t			 llen = 0;
	int			 first_full = 1, first_part = 1, r = -1;

	*errnum = 0;
	err[0] = '\0';
	out->start = out->end = 0;
	out->step = out->nds = out->nrows = 0;
	out->data = NULL;
	out->last = 0;
	out->nrra = 0;
	if ((f = rrdread_open(path, flags, err, errlen)) == NULL) {
		*errnum = errno;
		return (-1);
	}
	if (!f->ours)
		goto librrd;
	/* The header's live part in one read: the last update, the rows. */
	llen = f->hlen - f->off_live;
	if (llen > sizeof(lbuf))
		lb = xmalloc(llen);
	if (rrdread_full(f->fd, lb, llen, (off_t)f->off_live, flags) == -1) {
		if (errno == EAGAIN)
			goto wouldblock;
		snprintf(err, errlen, "'%s' is too small (should be %zu "
		    "bytes)", path, f->hlen);
		goto out;
	}
	memcpy(&last_up, lb, sizeof(last_up));
	rp = (const rra_ptr_t *)(lb + (f->off_ptr - f->off_live));
	nrra = f->nrra;
	for (k = 0; k < nrra; k++) {
		if (rp[k].cur_row >= f->arch[k].rows || last_up < 0 ||
		    (unsigned long)last_up > RRDREAD_TIME_MAX) {
			snprintf(err, errlen, "'%s' has a damaged header "
			    "(archive %lu)", path, k);
			goto out;
		}
	}
	out->last = (long long)last_up;
	out->nrra = (int)nrra;
	for (k = 0; k < nrra; k++) {
		a = &f->arch[k];
		memcpy(out->rra[k].cf, a->cf, sizeof(out->rra[k].cf));
		out->rra[k].rows = a->rows;
		out->rra[k].res = a->pdp_cnt * f->pdp_step;
	}

	/* rrd_fetch_fn's choice, its types and all. */
	for (i = 0; (unsigned long)i < nrra; i++) {
		a = &f->arch[i];
		if (strcmp(a->cf, cf) != 0 && !(a->pdp_cnt == 1 && a->basic))
			continue;
		cal_end = (last_up - (last_up % (a->pdp_cnt * f->pdp_step)));
		cal_start = (cal_end - (a->pdp_cnt * a->rows * f->pdp_step));
		full_match = end - start;
		tmp_step_diff = labs((long)step - ((long)f->pdp_step *
		    (long)a->pdp_cnt));
		if (cal_start <= start) {
			if (first_full || tmp_step_diff < best_full_step_diff) {
				first_full = 0;
				best_full_step_diff = tmp_step_diff;
				best_full_rra = i;
			}
		} else {
			tmp_match = full_match;
			if (cal_start > start)
				tmp_match -= (cal_start - start);
			if (first_part || best_match < tmp_match ||
			    (best_match == tmp_match &&
			    tmp_step_diff < best_part_step_diff)) {
				first_part = 0;
				best_match = tmp_match;
				best_part_step_diff = tmp_step_diff;
				best_part_rra = i;
			}
		}
	}
	if (first_full == 0)
		chosen = best_full_rra;
	else if (first_part == 0)
		chosen = best_part_rra;
	else {
		snprintf(err, errlen, "the RRD does not contain an RRA "
		    "matching the chosen CF");
		goto out;
	}
	a = &f->arch[chosen];
	step = f->pdp_step * a->pdp_cnt;
	start -= (start % step);
	end += (step - end % step);
	rows = (end - start) / step + 1;
	if (end < start || rows > RRDREAD_ROWS_MAX) {
		snprintf(err, errlen, "malloc fetch data area");	/* librrd */
		goto out;
	}
	out->start = start;
	out->end = end;
	out->step = step;
	out->nds = f->nds;
	if (check != NULL && check(out, arg) == -1) {
		r = 1;
		goto out;
	}
	out->nrows = end > start ? (unsigned long)(end - start) / step : 0;
	out->data = xreallocarray(NULL, rows, sizeof(double));
	for (k = 0; k < rows; k++)
		out->data[k] = NAN;

	rowcnt = a->rows;
	rra_end_time = (last_up - (last_up % step));
	rra_start_time = (rra_end_time - (step * (rowcnt - 1)));
	start_offset = ((long long)start + (long long)step -
	    (long long)rra_start_time) / (long long)step;
	end_offset = ((long long)rra_end_time - (long long)end) /
	    (long long)step;
	/* Row i of the loop is data[i - start_offset]; 0 <= i < rowcnt read. */
	lo = start_offset > 0 ? (long)start_offset : 0;
	hi = (long)rowcnt - (long)end_offset;
	if (hi > (long)rowcnt)
		hi = (long)rowcnt;
	/* Only a damaged header (times past time_t) gets here otherwise. */
	if (hi > lo && (unsigned long)(hi - start_offset) > rows)
		hi = (long)(rows + start_offset);
	if (hi > lo) {
		rra_pointer = (long)(rp[chosen].cur_row + 1 + lo) %
		    (long)rowcnt;
		if (rrdread_rows(f->fd, a->base, f->nds, (long)rowcnt,
		    rra_pointer, hi - lo, out->data + (lo - start_offset),
		    flags) == -1) {
			if (errno == EAGAIN)
				r = 2;
			free(out->data);
			out->data = NULL;
			if (r == 2)
				goto wouldblock;
			snprintf(err, errlen, "fetching cdp from rra");
			goto out;
		}
	}
	r = 0;
	goto out;

librrd:
	if (flags & RRDREAD_NOWAIT)
		goto wouldblock;
	r = rrdread_librrd(path, cf, start, end, step, out, err, errlen);
	goto out;
wouldblock:
	r = -1;
	*errnum = EAGAIN;
	snprintf(err, errlen, "'%s' would wait on the disk", path);
out:
	if (lb != (unsigned char *)lbuf)
		free(lb);
	rrdread_release(f);
	return (r == 1 ? -1 : r);
}
