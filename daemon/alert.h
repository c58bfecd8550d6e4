/*
 * alert.h - the alert engine: [alert NAME] rules evaluated on their own
 * timers over data read from RRD files, with persistent state and history,
 * and notifications through notify.c.  (Interface agreed between the
 * engine, the protocol and the HTTP gateway; the engine owns the rest.)
 */
#ifndef TALLY_ALERT_H
#define TALLY_ALERT_H

struct config;
struct event_base;
struct evbuffer;
struct store;

/* Loop thread.  Starts evaluating the rules of conf. */
void	alert_start(struct event_base *, struct store *, const struct config *);
/* Apply a new config: rules kept by name keep their state. */
void	alert_reload(const struct config *);
/* Save state and stop; running evaluations are waited for (bounded). */
void	alert_stop(void);

/*
 * The current state of every rule as a JSON document (for the HTTP
 * gateway's /api/v1/alerts), appended to out:
 * {"alerts":[{"name":..,"metric":..,"kind":..,"level":"ok|warning|critical",
 *   "since":EPOCH,"value":NUM|null,"message":..}, ...]}
 */
void	alert_json(struct evbuffer *out);

#endif
