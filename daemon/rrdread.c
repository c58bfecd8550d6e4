/*
 * rrdread.c - FETCH's rows from our own RRD files, as rrd_fetch_r gives
 * them, at a fraction of its cost.
 *
 * DESIGN
 * rrd_fetch_r opens the file, locks it, maps it, advises the kernel three
 * times, then unmaps and closes it: about 15 system calls, and the unmap
 * of a threaded process stops the other core for a TLB flush.  Here a
 * read is an fstat of a descriptor kept open per path (a create or a
 * rewrite renames a new file into place, which leaves the kept one
 * without a link), one pread of the header and one or two of the rows.  The
 * archive, the aligned span and the rows are chosen by the arithmetic of
 * librrd 1.7's rrd_fetch_fn, with its types, so the answer is the same
 * bits (tests/unit/test_rrdread compares both on real files).
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

struct rrdread_fd {
	int		 fd;
	off_t		 size;
	int		 refs;		/* users, and 1 for the table */
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

/*
 * The open descriptor of path, with a reference for the caller; NULL with
 * errno set.  A file renamed over the path since, or removed, left the
 * kept one without a link: it is opened anew (an fstat of the kept
 * descriptor, no walk of the path).
 */
static void	rrdread_release(struct rrdread_fd *);

static struct rrdread_fd *
rrdread_open(const char *path, int flags)
{
	struct rrdread_fd	*f, *old;
	struct stat		 sb;
	int			 fd;

	pthread_mutex_lock(&rrdread_lock);
	if (rrdread_fds != NULL && (f = hmap_get(rrdread_fds, path)) != NULL)
		f->refs++;
	else
		f = NULL;
	pthread_mutex_unlock(&rrdread_lock);
	if (f != NULL) {
		if (fstat(f->fd, &sb) == 0 && sb.st_nlink > 0)
			return (f);
		rrdread_release(f);
	}
	if (flags & RRDREAD_NOWAIT) {
		errno = EAGAIN;		/* an open may wait on the disk */
		return (NULL);
	}

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (NULL);
	if (fstat(fd, &sb) == -1) {
		close(fd);
		return (NULL);
	}
	f = xcalloc(1, sizeof(*f));
	f->fd = fd;
	f->size = sb.st_size;
	f->refs = 2;
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

static void
rrdread_release(struct rrdread_fd *f)
{
	pthread_mutex_lock(&rrdread_lock);
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

int
rrdread_lastds(const char *path, int flags, time_t *last, char *ds,
    size_t dslen)
{
	unsigned char		 h[4096];
	struct rrdread_fd	*f;
	stat_head_t		 head;
	live_head_t		 live;
	pdp_prep_t		 pdp;
	size_t			 off, got;
	int			 r = -1, saved;

	if ((f = rrdread_open(path, flags)) == NULL)
		return (-1);
	got = f->size > 0 && (size_t)f->size < sizeof(h) ? (size_t)f->size :
	    sizeof(h);
	if (rrdread_full(f->fd, h, got, 0, flags) == -1)
		goto out;
	errno = EINVAL;
	if (got < sizeof(head))
		goto out;
	memcpy(&head, h, sizeof(head));
	if (memcmp(head.cookie, RRD_COOKIE, sizeof(RRD_COOKIE)) != 0 ||
	    head.float_cookie != FLOAT_COOKIE)
		goto out;
	if (atoi(head.version) < 3 || head.ds_cnt < 1 ||
	    head.ds_cnt > RRDREAD_DS_MAX || head.rra_cnt > RRDREAD_RRA_MAX) {
		r = 1;
		goto out;
	}
	off = sizeof(stat_head_t) + head.ds_cnt * sizeof(ds_def_t) +
	    head.rra_cnt * sizeof(rra_def_t);
	if (off + sizeof(live) + sizeof(pdp) > got) {
		r = 1;
		goto out;
	}
	memcpy(&live, h + off, sizeof(live));
	memcpy(&pdp, h + off + sizeof(live), sizeof(pdp));
	*last = live.last_up;
	snprintf(ds, dslen, "%.*s", (int)sizeof(pdp.last_ds), pdp.last_ds);
	r = 0;
out:
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
	unsigned char		 hbuf[4096], *h = hbuf;
	const stat_head_t	*sh;
	const rra_def_t		*rd;
	const rra_ptr_t		*rp;
	struct rrdread_fd	*f;
	stat_head_t		 head;
	time_t			 last_up, cal_start, cal_end, rra_start_time,
				 rra_end_time;
	long			 i, best_full_rra = 0, best_part_rra = 0,
				 chosen = 0, rra_pointer, best_full_step_diff = 0,
				 best_part_step_diff = 0, tmp_step_diff,
				 tmp_match, best_match = 0, full_match, lo, hi;
	long long		 start_offset, end_offset;
	unsigned long		 nds, nrra, rows, k, rowcnt;
	size_t			 hlen, off_live, off_ptr, data_len, got, cflen;
	off_t			 rra_base;
	int			 version, first_full = 1, first_part = 1, r = -1;

	*errnum = 0;
	err[0] = '\0';
	memset(out, 0, sizeof(*out));
	if ((f = rrdread_open(path, flags)) == NULL) {
		*errnum = errno;
		snprintf(err, errlen, "opening '%s': %s", path,
		    strerror(errno));
		return (-1);
	}
	/* The header in one read, as far as the buffer and the file go. */
	got = f->size > 0 && (size_t)f->size < sizeof(hbuf) ?
	    (size_t)f->size : sizeof(hbuf);
	if ((r = rrdread_full(f->fd, hbuf, got, 0, flags)) == -1 &&
	    errno == EAGAIN)
		goto wouldblock;
	if (r == 0 && got < sizeof(head))
		r = -1;
	if (r == 0)
		memcpy(&head, hbuf, sizeof(head));
	if (r == -1 || memcmp(head.cookie, RRD_COOKIE,
	    sizeof(RRD_COOKIE)) != 0) {
		r = -1;
		snprintf(err, errlen, "'%s' is not an RRD file", path);
		goto out;
	}
	r = -1;
	if (head.float_cookie != FLOAT_COOKIE) {
		snprintf(err, errlen, "This RRD was created on another "
		    "architecture");
		goto out;
	}
	version = atoi(head.version);
	nds = head.ds_cnt;
	nrra = head.rra_cnt;
	if (version < 3 || version > atoi(RRD_VERSION5) || nds < 1 ||
	    nds > RRDREAD_DS_MAX || nrra > RRDREAD_RRA_MAX)
		goto librrd;
	off_live = sizeof(stat_head_t) + nds * sizeof(ds_def_t) +
	    nrra * sizeof(rra_def_t);
	off_ptr = off_live + sizeof(live_head_t) + nds * sizeof(pdp_prep_t) +
	    nrra * nds * sizeof(cdp_prep_t);
	hlen = off_ptr + nrra * sizeof(rra_ptr_t);
	if (hlen > RRDREAD_HEADER_MAX)
		goto librrd;
	if (hlen > sizeof(hbuf))
		h = xmalloc(hlen);
	if (hlen > got && rrdread_full(f->fd, h, hlen, 0, flags) == -1) {
		if (errno == EAGAIN)
			goto wouldblock;
		snprintf(err, errlen, "'%s' is too small (should be %zu "
		    "bytes)", path, hlen);
		goto out;
	}
	sh = (const stat_head_t *)h;
	rd = (const rra_def_t *)(h + sizeof(stat_head_t) +
	    nds * sizeof(ds_def_t));
	rp = (const rra_ptr_t *)(h + off_ptr);
	memcpy(&last_up, h + off_live, sizeof(last_up));
	/*
	 * A damaged header must not divide by zero (librrd would: a row of
	 * 0 PDPs) nor overflow the sizes or times (each archive's span and
	 * the last update under 2^61 s); the archives must fit the file.
	 */
	data_len = 0;
	for (k = 0; k < nrra; k++) {
		if (sh->pdp_step == 0 || rd[k].pdp_cnt == 0 ||
		    rd[k].pdp_cnt > RRDREAD_TIME_MAX / 4 / sh->pdp_step ||
		    rd[k].row_cnt == 0 || rp[k].cur_row >= rd[k].row_cnt ||
		    rd[k].row_cnt > RRDREAD_TIME_MAX / (rd[k].pdp_cnt *
		    sh->pdp_step) || last_up < 0 ||
		    (unsigned long)last_up > RRDREAD_TIME_MAX) {
			snprintf(err, errlen, "'%s' has a damaged header "
			    "(archive %lu)", path, k);
			goto out;
		}
		if (rd[k].row_cnt > (unsigned long)f->size / (nds *
		    sizeof(rrd_value_t)) || (data_len += nds * rd[k].row_cnt *
		    sizeof(rrd_value_t)) > (size_t)f->size)
			data_len = (size_t)f->size + 1;
	}
	if (hlen + data_len > (size_t)f->size) {
		snprintf(err, errlen, "'%s' is too small (should be %lld "
		    "bytes)", path, (long long)(hlen + data_len));
		goto out;
	}
	out->last = (long long)last_up;
	out->nrra = (int)nrra;
	for (k = 0; k < nrra; k++) {
		/* cf_nam is NUL-padded to 20 bytes; a damaged one may not be */
		cflen = strnlen(rd[k].cf_nam, sizeof(out->rra[k].cf) - 1);
		memcpy(out->rra[k].cf, rd[k].cf_nam, cflen);
		out->rra[k].cf[cflen] = '\0';
		out->rra[k].rows = rd[k].row_cnt;
		out->rra[k].res = rd[k].pdp_cnt * sh->pdp_step;
	}

	/* rrd_fetch_fn's choice, its types and all. */
	for (i = 0; (unsigned long)i < nrra; i++) {
		if (strcmp(out->rra[i].cf, cf) != 0 && !(rd[i].pdp_cnt == 1 &&
		    rrdread_basic_cf(out->rra[i].cf)))
			continue;
		cal_end = (last_up - (last_up % (rd[i].pdp_cnt *
		    sh->pdp_step)));
		cal_start = (cal_end - (rd[i].pdp_cnt * rd[i].row_cnt *
		    sh->pdp_step));
		full_match = end - start;
		tmp_step_diff = labs((long)step - ((long)sh->pdp_step *
		    (long)rd[i].pdp_cnt));
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
	step = sh->pdp_step * rd[chosen].pdp_cnt;
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
	out->nds = nds;
	if (check != NULL && check(out, arg) == -1) {
		r = 1;
		goto out;
	}
	out->nrows = end > start ? (unsigned long)(end - start) / step : 0;
	out->data = xreallocarray(NULL, rows, sizeof(double));
	for (k = 0; k < rows; k++)
		out->data[k] = NAN;

	rra_base = (off_t)hlen;
	for (i = 0; i < chosen; i++)
		rra_base += (off_t)(nds * rd[i].row_cnt * sizeof(rrd_value_t));
	rowcnt = rd[chosen].row_cnt;
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
		if (rrdread_rows(f->fd, rra_base, nds, (long)rowcnt,
		    rra_pointer, hi - lo, out->data + (lo - start_offset),
		    flags) == -1) {
			if (errno == EAGAIN) {
				free(out->data);
				out->data = NULL;
				goto wouldblock;
			}
			snprintf(err, errlen, "fetching cdp from rra");
			free(out->data);
			out->data = NULL;
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
	*errnum = EAGAIN;
	snprintf(err, errlen, "'%s' would wait on the disk", path);
out:
	if (h != hbuf)
		free(h);
	rrdread_release(f);
	return (r == 1 ? -1 : r);
}
