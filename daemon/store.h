/*
 * store.h - the one writer of RRD files.
 *
 * Values go into a bounded queue (any thread); a single writer thread owns
 * every RRD update.  It batches the values of one file into one
 * rrd_update_r call (or one rrdcached UPDATE line inside a BATCH), creates
 * a file on first sight from its retention preset with a start before its
 * first value, and drops values not newer than the file's last update.
 * Values that fail to reach a file stay pending and are retried.
 */
#ifndef TALLY_STORE_H
#define TALLY_STORE_H

#include <time.h>
#include <tally/plugin.h>

struct event_base;
struct retention;
struct store;
struct store_file;

struct store_opts {
	const char	*rrdcached;	/* NULL, "unix:/path", "/path", "host:port" */
	unsigned long	 queue_max;	/* values queued at most; then drop new */
	unsigned long	 write_delay;	/* ms a value may wait to be batched */
	const char	*undo;		/* header copy of the file being updated */
	const char	*bases;		/* rrdcached: headers of files it holds */
	int		 fsync;		/* a flush of all files fsyncs them */
};

/* error 0, or -1 with why (borrowed for the call). */
typedef void (*store_done_cb)(void *arg, int error, const char *why);

/* Loop thread.  base is used to run flush completions on the loop. */
struct store		*store_new(struct event_base *base,
			    const struct store_opts *);
int			 store_start(struct store *);

/*
 * Loop thread: the record of one RRD file, made on first call.  path is
 * absolute and already validated; kind and retention are copied and used
 * only if the file does not exist yet.  Records live until store_free.
 */
struct store_file	*store_file_get(struct store *, const char *path,
			    enum tally_kind kind, const struct retention *);
const char		*store_file_path(const struct store_file *);

/* Any thread: queue one value.  0, or -1 when the queue is full. */
int			 store_put(struct store *, struct store_file *,
			    time_t when, double value);
/* Any thread: queue n values of one file, all or none (-1: full). */
int			 store_put_many(struct store *, struct store_file *,
			    size_t n, const time_t *when, const double *value);

/*
 * Loop thread: write what is pending for file (NULL: all files) now, and
 * call done on the loop once it is in the files (with rrdcached: flushed
 * by rrdcached).  error is 0, or -1 when something accepted before the
 * call is still pending (it stays pending and is retried).  Any thread.
 */
void			 store_flush(struct store *, struct store_file *,
			    store_done_cb done, void *arg);

/*
 * Loop thread: 1 if file has had no value or rewrite queued since a flush
 * of it answered, so its file holds everything: readers may skip the
 * flush (store_flush then answers on the loop's next turn anyway).
 */
int			 store_quiet(struct store *, struct store_file *);

/*
 * Any thread: replace the whole history of file with these n points (when
 * strictly increasing).  Values of file put before this call are
 * superseded.  The file is built aside and renamed into place (with
 * rrdcached the files must be local).  done runs on the loop.
 */
void			 store_rewrite(struct store *, struct store_file *,
			    size_t n, const time_t *when, const double *value,
			    store_done_cb done, void *arg);

/*
 * Loop thread: write everything pending and stop the writer.  Blocks.
 * Returns how many values (or rewrites) could not be stored: 0 means
 * everything accepted is in the files.
 */
unsigned long		 store_stop(struct store *);
void			 store_free(struct store *);

#endif
