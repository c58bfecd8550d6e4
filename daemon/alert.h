/*
 * alert.h - the alert engine: [alert NAME] rules evaluated on their own
 * timers over data read from RRD files, with persistent state and history,
 * and notifications through notify.c.  (Interface agreed between the
 * engine, the protocol and the HTTP gateway; the engine owns the rest.)
 */
#ifndef TALLY_ALERT_H
#define TALLY_ALERT_H

#include <stdint.h>
#include <time.h>

struct config;
struct event_base;
struct evbuffer;
struct store;

/*
 * Loop thread.  Starts evaluating the rules of conf; reads the state and
 * history files under conf->statedir (blocking: call at start-up).
 */
void	alert_start(struct event_base *, struct store *, const struct config *);
/* Apply a new config: rules kept by name keep their state. */
void	alert_reload(const struct config *);
/*
 * Save state and stop; running evaluations and notices are waited for,
 * at most shutdown_timeout, running the loop meanwhile.
 */
void	alert_stop(void);

/*
 * The current state of every rule as a JSON document (for the HTTP
 * gateway's /api/v1/alerts), appended to out:
 * {"alerts":[{"name":..,"metric":..,"kind":..,"level":"ok|warning|critical",
 *   "since":EPOCH,"value":NUM|null,"message":..}, ...]}
 * (each rule also has "series": its alerts, one per series matched).
 */
void	alert_json(struct evbuffer *out);

/* ALERTS: the status line and one "NAME LEVEL SINCE VALUE MESSAGE" line
 * per rule, appended to out. */
void	alert_list(struct evbuffer *out);
/* Alerts (rule and series) at warning and at critical now. */
void	alert_counts(int *warning, int *critical);
/*
 * ALERT HISTORY [name]: the status line and the events, oldest first
 * ("TIME NAME METRIC FROM TO VALUE MESSAGE"); -1 (nothing appended) if
 * name is neither a rule nor in the history.
 */
int	alert_history(const char *name, struct evbuffer *out);

/* How an asynchronous answer goes back: client_resume fits. */
typedef void (*alert_answer_cb)(uint64_t id, struct evbuffer *answer);
/*
 * ALERT TEST name from: replay the rule (enabled or not) from `from` to
 * now over the stored data, notifying nobody; answer(id, buf) runs later
 * with "OK n events step=S" and the events.  -1 if there is no such rule.
 */
int	alert_test(const char *name, time_t from, alert_answer_cb answer,
	    uint64_t id);

#endif
