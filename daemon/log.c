/*
 * log.c - log lines to syslog, or to stderr in the foreground.
 *
 * Safe from any thread: each line is formatted into a stack buffer and
 * written with one write(2) or syslog(3) call, and errno text comes from
 * strerror_r.  fatal() and fatalx() log and exit(1).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	2048

static void	log_str(int, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

static int	 log_foreground = 1;
static int	 log_verbose;

void
log_init(int foreground, int verbose, const char *ident)
{
	log_foreground = foreground;
	log_verbose = verbose;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

int
log_getverbose(void)
{
	return (log_verbose);
}

static const char *
log_prioname(int prio)
{
	switch (prio) {
	case LOG_EMERG:
	case LOG_ALERT:
	case LOG_CRIT:
	case LOG_ERR:
		return ("error");
	case LOG_WARNING:
		return ("warning");
	case LOG_NOTICE:
		return ("notice");
	case LOG_INFO:
		return ("info");
	default:
		return ("debug");
	}
}

void
log_vmsg(int prio, const char *prefix, const char *fmt, va_list ap)
{
	char		 line[LOG_LINE_MAX];
	int		 saved = errno, n = 0, m;

	if (prio >= LOG_DEBUG && !log_verbose)
		return;
	if (log_foreground) {
		struct timespec	 ts;
		struct tm	 tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = (int)strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S", &tm);
		n += snprintf(line + n, sizeof(line) - n, ".%03ld %s: ",
		    ts.tv_nsec / 1000000, log_prioname(prio));
	}
	if (prefix != NULL)
		n += snprintf(line + n, sizeof(line) - n, "%s: ", prefix);
	m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	if (log_foreground) {
		line[n++] = '\n';
		(void)!write(STDERR_FILENO, line, n);
	} else {
		line[n] = '\0';
		syslog(prio, "%s", line);
	}
	errno = saved;
}

/* Formats fmt, appends ": strerror(err)" and logs it. */
static void
log_errno(int prio, int err, const char *fmt, va_list ap)
{
	char	 msg[LOG_LINE_MAX], ebuf[128];
	char	*e;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* GNU strerror_r may return a static string instead of filling ebuf. */
	e = strerror_r(err, ebuf, sizeof(ebuf));
	log_str(prio, "%s: %s", msg, e);
}

static void
log_str(int prio, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(prio, NULL, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 err = errno;

	va_start(ap, fmt);
	log_errno(LOG_WARNING, err, fmt, ap);
	va_end(ap);
	errno = err;
}

#define LOG_SIMPLE(fn, prio)			\
void						\
fn(const char *fmt, ...)			\
{						\
	va_list	 ap;				\
						\
	va_start(ap, fmt);			\
	log_vmsg(prio, NULL, fmt, ap);		\
	va_end(ap);				\
}
LOG_SIMPLE(log_warnx, LOG_WARNING)
LOG_SIMPLE(log_notice, LOG_NOTICE)
LOG_SIMPLE(log_info, LOG_INFO)
LOG_SIMPLE(log_debug, LOG_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 err = errno;

	va_start(ap, fmt);
	log_errno(LOG_CRIT, err, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vmsg(LOG_CRIT, NULL, fmt, ap);
	va_end(ap);
	exit(1);
}

int
log_limit_ok(struct log_limit *ll, time_t now, int interval,
    unsigned long *suppressed)
{
	if (ll->last != 0 && now - ll->last < interval) {
		ll->suppressed++;
		return (0);
	}
	ll->last = now;
	if (suppressed != NULL)
		*suppressed = ll->suppressed;
	ll->suppressed = 0;
	return (1);
}
