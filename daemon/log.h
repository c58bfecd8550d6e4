/* log.h - logging to syslog or stderr; thread-safe, one write per line. */
#ifndef TALLY_LOG_H
#define TALLY_LOG_H

#include <stdarg.h>
#include <time.h>

#define TALLY_ASSERT(e) \
	((e) ? (void)0 : fatalx("assertion failed: %s:%d: %s", __FILE__, \
	    __LINE__, #e))

/* Rate limit for repeated complaints: at most one line per interval. */
struct log_limit {
	time_t		 last;
	unsigned long	 suppressed;
};

void	log_init(int foreground, int verbose, const char *ident);
void	log_setverbose(int verbose);	/* 0 = info, 1 = debug */
int	log_getverbose(void);
void	log_vmsg(int prio, const char *prefix, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
/*
 * Returns 1 if a complaint may be logged now; the caller then logs and may
 * mention ll->suppressed (reset by this call).  Not locked: each limit
 * belongs to one thread.
 */
int	log_limit_ok(struct log_limit *ll, time_t now, int interval,
	    unsigned long *suppressed);

#endif
